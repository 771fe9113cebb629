#include "memory/phys.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace xlat {

namespace {
constexpr uint32_t kVgaBase = 0xA0000, kVgaEnd = 0xC0000;
}

PhysMem::PhysMem(uint64_t ram_bytes, bool pc_layout)
    : ram_size_(ram_bytes), vga_hole_(pc_layout), code_pages_(size_t(ram_bytes >> kPageBits), 0) {
    if (ram_bytes == 0 || ram_bytes > kMaxRamBytes || (ram_bytes & (kPageSize - 1)))
        throw std::invalid_argument("RAM size must be a whole number of pages, at most 3 GiB");
    // calloc of a large block maps fresh zero pages lazily: a 3 GiB guest costs nothing until
    // it touches its memory.
    ram_ = static_cast<uint8_t*>(std::calloc(ram_bytes, 1));
    if (!ram_) throw std::bad_alloc();
}

PhysMem::~PhysMem() { std::free(ram_); }

void PhysMem::remove_listener(void* ctx) {
    for (size_t i = 0; i < listeners_.size(); ++i)
        if (listeners_[i].ctx == ctx) listeners_.erase(listeners_.begin() + long(i--));
}

void PhysMem::set_code_page(uint32_t paddr, bool holds_code) {
    size_t i = paddr >> kPageBits;
    if (i >= code_pages_.size()) return;  // only RAM holds translated code
    const bool was = code_pages_[i];
    code_pages_[i] = holds_code;
    if (holds_code && !was)
        for (const Listener& l : listeners_)
            if (l.code_page) l.code_page(l.ctx);
}

void PhysMem::wrote(uint32_t paddr, size_t len) {
    if (!on_code_write || len == 0) return;
    const uint64_t end = uint64_t(paddr) + len;
    for (uint64_t page = paddr & kPageMask; page < end; page += kPageSize) {
        if (!is_code_page(uint32_t(page))) continue;
        const uint64_t from = page > paddr ? page : paddr, to = page + kPageSize < end ? page + kPageSize : end;
        on_code_write(on_code_write_ctx, uint32_t(from), unsigned(to - from));
    }
}

bool PhysMem::plain_ram(uint32_t paddr, size_t len) const {
    const uint64_t end = uint64_t(paddr) + len;
    if (end > ram_size_) return false;
    if (vga_hole_ && paddr < kVgaEnd && end > kVgaBase) return false;
    for (const Region& r : regions_)
        if (paddr < uint64_t(r.base) + r.size && end > r.base) return false;
    return true;
}

void PhysMem::check_overlap(uint32_t base, uint32_t size, const std::string& name) const {
    if (size == 0 || uint64_t(base) + size > 0x100000000ull)
        throw std::invalid_argument("region " + name + " does not fit in 4 GiB");
    for (const Region& r : regions_)
        if (base < uint64_t(r.base) + r.size && r.base < uint64_t(base) + size)
            throw std::invalid_argument("region " + name + " overlaps " + r.name);
}

void PhysMem::map_rom(uint32_t base, const std::vector<uint8_t>& image, const std::string& name) {
    check_overlap(base, uint32_t(image.size()), name);
    Region r{base, uint32_t(image.size()), RegionKind::Rom, nullptr, Window{}, name, nullptr};
    r.storage.reset(new uint8_t[image.size()]);
    std::memcpy(r.storage.get(), image.data(), image.size());
    r.host = r.storage.get();
    regions_.push_back(std::move(r));
    changed();
}

void PhysMem::map_mmio(uint32_t base, uint32_t size, Device* dev, unsigned id, unsigned min_size,
                       unsigned max_size, const std::string& name) {
    check_overlap(base, size, name);
    Window w;
    w.dev = dev;
    w.id = id;
    w.base = base;
    w.size = size;
    w.min_size = uint8_t(min_size);
    w.max_size = uint8_t(max_size);
    w.name = name;
    regions_.push_back(Region{base, size, RegionKind::Mmio, nullptr, std::move(w), name, nullptr});
    changed();
}

const PhysMem::Region* PhysMem::find(uint32_t paddr) const {
    for (const Region& r : regions_)
        if (paddr - r.base < r.size) return &r;
    return nullptr;
}

PageInfo PhysMem::page(uint32_t paddr) const {
    paddr &= kPageMask;
    if (const Region* r = find(paddr)) {
        if (r->kind == RegionKind::Rom && (paddr - r->base) + kPageSize <= r->size)
            return {RegionKind::Rom, r->host + (paddr - r->base)};
        return {r->kind == RegionKind::Rom ? RegionKind::Mmio : r->kind, nullptr};
    }
    if (vga_hole_ && paddr >= kVgaBase && paddr < kVgaEnd) return {};
    if (paddr < ram_size_) return {RegionKind::Ram, ram_ + paddr};
    return {};
}

uint32_t PhysMem::read(uint32_t paddr, unsigned size) {
    if (const Region* r = find(paddr)) {
        if (r->kind == RegionKind::Mmio) return window_read(r->mmio, paddr - r->base, size);
        uint32_t v = 0;
        for (unsigned i = 0; i < size; ++i) {
            uint32_t off = paddr + i - r->base;
            v |= uint32_t(off < r->size ? r->host[off] : 0xFF) << (8 * i);
        }
        return v;
    }
    if ((vga_hole_ && paddr >= kVgaBase && paddr < kVgaEnd) || paddr >= ram_size_)
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    uint32_t v = 0;
    std::memcpy(&v, ram_ + paddr, size);  // little-endian host (x86-64, aarch64)
    return v;
}

void PhysMem::write(uint32_t paddr, unsigned size, uint32_t value) {
    if (const Region* r = find(paddr)) {
        if (r->kind == RegionKind::Mmio) window_write(r->mmio, paddr - r->base, size, value);
        return;  // ROM: writes are dropped
    }
    if ((vga_hole_ && paddr >= kVgaBase && paddr < kVgaEnd) || paddr >= ram_size_) return;
    std::memcpy(ram_ + paddr, &value, size);
    if (on_code_write && code_pages_[paddr >> kPageBits]) on_code_write(on_code_write_ctx, paddr, size);
}

void PhysMem::write_bytes(uint32_t paddr, const void* data, size_t len) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    if (plain_ram(paddr, len)) {
        std::memcpy(ram_ + paddr, p, len);
        wrote(paddr, len);
        return;
    }
    for (size_t i = 0; i < len; ++i) write(uint32_t(paddr + i), 1, p[i]);
}

void PhysMem::fill_bytes(uint32_t paddr, uint8_t value, size_t len) {
    if (plain_ram(paddr, len)) {
        std::memset(ram_ + paddr, value, len);
        wrote(paddr, len);
        return;
    }
    for (size_t i = 0; i < len; ++i) write(uint32_t(paddr + i), 1, value);
}

void PhysMem::read_bytes(uint32_t paddr, void* data, size_t len) {
    uint8_t* p = static_cast<uint8_t*>(data);
    for (size_t i = 0; i < len; ++i) p[i] = uint8_t(read(uint32_t(paddr + i), 1));
}

} // namespace xlat
