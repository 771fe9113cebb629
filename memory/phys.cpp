#include "memory/phys.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include <sys/mman.h>

namespace xlat {

namespace {
constexpr uint32_t kVgaBase = 0xA0000, kVgaSize = 0x20000;
uint32_t all_ones(unsigned size) { return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
} // namespace

const PhysMem::PageEntry PhysMem::kBackground{};

PhysMem::PhysMem(uint64_t ram_bytes, bool pc_layout)
    : ram_size_(ram_bytes), code_pages_(size_t(ram_bytes >> kPageBits), 0) {
    if (ram_bytes == 0 || ram_bytes > kMaxRamBytes || (ram_bytes & (kPageSize - 1)))
        throw std::invalid_argument("RAM size must be a whole number of pages, at most 3 GiB");
    // An anonymous mapping gets fresh zero pages lazily: a 3 GiB guest costs nothing until it
    // touches its memory. It is aligned to 2 MiB and asks for transparent huge pages, so that a
    // guest touching many pages costs the host few TLB misses (the bench's `pages`, 8192 pages:
    // bench/README.md); where THP is off or madvise fails the mapping works with 4 KiB pages.
    constexpr size_t kHuge = size_t(2) << 20;
    map_bytes_ = size_t(ram_bytes) + kHuge;
    void* p = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    map_ = static_cast<uint8_t*>(p);
    ram_ = map_ + ((kHuge - (reinterpret_cast<uintptr_t>(map_) & (kHuge - 1))) & (kHuge - 1));
#ifdef MADV_HUGEPAGE
    madvise(ram_, size_t(ram_bytes), MADV_HUGEPAGE);
#endif
    if (pc_layout) map_none(kVgaBase, kVgaSize, "vga-window");
}

PhysMem::~PhysMem() { munmap(map_, map_bytes_); }

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
            if (l.code_page) l.code_page(l.ctx, paddr & kPageMask);
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

// ---- the map ----

PhysMem::Region* PhysMem::region(RegionId id) const {
    for (const auto& r : regions_)
        if (r->id == id) return r.get();
    return nullptr;
}

uint32_t PhysMem::region_base(RegionId id) const {
    const Region* r = region(id);
    if (!r) throw std::invalid_argument("no memory region " + std::to_string(id));
    return r->base;
}

RegionId PhysMem::add(std::unique_ptr<Region> r) {
    if (r->size == 0 || uint64_t(r->base) + r->size > 0x100000000ull)
        throw std::invalid_argument("region " + r->name + " does not fit in 4 GiB");
    for (const auto& o : regions_)
        if (o->priority == r->priority && r->base < uint64_t(o->base) + o->size && o->base < uint64_t(r->base) + r->size)
            throw std::invalid_argument("region " + r->name + " overlaps " + o->name);
    r->id = next_id_++;
    const uint32_t base = r->base, size = r->size;
    const RegionId id = r->id;
    regions_.push_back(std::move(r));
    remap(base, size);
    return id;
}

RegionId PhysMem::map_rom(uint32_t base, const std::vector<uint8_t>& image, const std::string& name, int priority) {
    auto r = std::make_unique<Region>();
    r->base = base;
    r->size = uint32_t(image.size());
    r->kind = RegionKind::Rom;
    r->priority = priority;
    r->name = name;
    r->storage.reset(new uint8_t[image.size() ? image.size() : 1]);
    if (!image.empty()) std::memcpy(r->storage.get(), image.data(), image.size());
    return add(std::move(r));
}

RegionId PhysMem::map_mmio(uint32_t base, uint32_t size, Device* dev, unsigned id, unsigned min_size,
                           unsigned max_size, const std::string& name, int priority) {
    auto r = std::make_unique<Region>();
    r->base = base;
    r->size = size;
    r->kind = RegionKind::Mmio;
    r->priority = priority;
    r->name = name;
    r->mmio.dev = dev;
    r->mmio.id = id;
    r->mmio.base = base;
    r->mmio.size = size;
    r->mmio.min_size = uint8_t(min_size);
    r->mmio.max_size = uint8_t(max_size);
    r->mmio.name = name;
    return add(std::move(r));
}

RegionId PhysMem::map_ram(uint32_t base, uint32_t size, bool reads, bool writes, const std::string& name, int priority) {
    if (uint64_t(base) + size > ram_size_)
        throw std::invalid_argument("region " + name + " lies beyond the end of RAM");
    auto r = std::make_unique<Region>();
    r->base = base;
    r->size = size;
    r->kind = RegionKind::Ram;
    r->priority = priority;
    r->reads = reads;
    r->writes = writes;
    r->name = name;
    return add(std::move(r));
}

RegionId PhysMem::map_none(uint32_t base, uint32_t size, const std::string& name, int priority) {
    auto r = std::make_unique<Region>();
    r->base = base;
    r->size = size;
    r->kind = RegionKind::None;
    r->priority = priority;
    r->name = name;
    return add(std::move(r));
}

void PhysMem::remove_region(RegionId id) {
    for (size_t i = 0; i < regions_.size(); ++i)
        if (regions_[i]->id == id) {
            const uint32_t base = regions_[i]->base, size = regions_[i]->size;
            // The table points at the region: rebuild it before the region goes.
            std::unique_ptr<Region> gone = std::move(regions_[i]);
            regions_.erase(regions_.begin() + long(i));
            remap(base, size);
            return;
        }
    throw std::invalid_argument("no memory region " + std::to_string(id));
}

void PhysMem::move_region(RegionId id, uint32_t new_base) {
    Region* r = region(id);
    if (!r) throw std::invalid_argument("no memory region " + std::to_string(id));
    if (r->base == new_base) return;
    if (uint64_t(new_base) + r->size > 0x100000000ull)
        throw std::invalid_argument("region " + r->name + " does not fit in 4 GiB");
    if (r->kind == RegionKind::Ram && uint64_t(new_base) + r->size > ram_size_)
        throw std::invalid_argument("region " + r->name + " lies beyond the end of RAM");
    for (const auto& o : regions_)
        if (o.get() != r && o->priority == r->priority && new_base < uint64_t(o->base) + o->size &&
            o->base < uint64_t(new_base) + r->size)
            throw std::invalid_argument("region " + r->name + " would overlap " + o->name);
    const uint32_t old = r->base;
    r->base = new_base;
    r->mmio.base = new_base;
    remap(old, r->size);
    remap(new_base, r->size);
}

void PhysMem::set_region_access(RegionId id, bool reads, bool writes) {
    Region* r = region(id);
    if (!r) throw std::invalid_argument("no memory region " + std::to_string(id));
    if (r->reads == reads && r->writes == writes) return;
    r->reads = reads;
    r->writes = writes;
    remap(r->base, r->size);
}

const PhysMem::Region* PhysMem::resolve(uint32_t paddr, bool write) const {
    const Region* best = nullptr;
    for (const auto& r : regions_) {
        if (!r->covers(paddr) || !(write ? r->writes : r->reads)) continue;
        if (!best || r->priority >= best->priority) best = r.get();  // ties: the later one
    }
    return best;
}

void PhysMem::remap(uint32_t base, uint64_t size) {
    const uint64_t first = base & kPageMask, end = uint64_t(base) + size;
    for (uint64_t page = first; page < end; page += kPageSize) {
        const uint32_t p = uint32_t(page);
        // The regions touching this page, and whether any covers only part of it.
        bool any = false, partial = false;
        for (const auto& r : regions_) {
            if (!(p < uint64_t(r->base) + r->size && r->base < page + kPageSize)) continue;
            any = true;
            if (r->base > p || uint64_t(r->base) + r->size < page + kPageSize) partial = true;
        }
        std::unique_ptr<Leaf>& leaf = leaves_[p >> (kPageBits + kLeafBits)];
        if (!any && !leaf) continue;
        if (!leaf) leaf = std::make_unique<Leaf>();
        PageEntry& e = leaf->page[(p >> kPageBits) & (kLeafPages - 1)];
        e.partial = partial;
        e.read = partial ? nullptr : resolve(p, false);
        e.write = partial ? nullptr : resolve(p, true);
    }
    changed(base, size);
}

uint8_t* PhysMem::host_of(const Region* r, uint32_t paddr) const {
    if (!r || r->kind == RegionKind::Ram) return paddr < ram_size_ ? ram_ + paddr : nullptr;
    if (r->kind == RegionKind::Rom) return r->storage.get() + (paddr - r->base);
    return nullptr;
}

PageInfo PhysMem::page(uint32_t paddr) const {
    paddr &= kPageMask;
    const PageEntry& e = entry(paddr);
    if (e.partial) return {RegionKind::Mmio, nullptr, RegionKind::Mmio, nullptr};
    PageInfo pi;
    auto kind_of = [&](const Region* r) {
        if (!r) return paddr < ram_size_ ? RegionKind::Ram : RegionKind::None;
        return r->kind;
    };
    pi.kind = kind_of(e.read);
    if (pi.kind == RegionKind::Ram || pi.kind == RegionKind::Rom) pi.host = host_of(e.read, paddr);
    pi.wkind = kind_of(e.write);
    if (pi.wkind == RegionKind::Ram) pi.whost = host_of(e.write, paddr);
    return pi;
}

uint32_t PhysMem::read(uint32_t paddr, unsigned size) {
    const Region* r = target(paddr, false);
    if (r && r->kind == RegionKind::Mmio && r->covers(paddr + size - 1))
        return window_read(r->mmio, paddr - r->base, size);
    if (!entry(paddr).partial) {
        // One region for the whole page, and an access never crosses a page.
        const uint8_t* h = (!r || r->kind != RegionKind::None) ? host_of(r, paddr) : nullptr;
        if (!h) return all_ones(size);
        if (!r || r->kind == RegionKind::Ram || paddr - r->base + size <= r->size) {
            return load_host(h, size);
        }
    }
    // A page that regions share, or a ROM that ends inside the access: byte by byte.
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const uint32_t a = paddr + i;
        const Region* b = resolve(a, false);
        uint32_t byte = 0xFF;
        if (b && b->kind == RegionKind::Mmio) byte = window_read(b->mmio, a - b->base, 1);
        else if (!b || b->kind != RegionKind::None)
            if (const uint8_t* h = host_of(b, a)) byte = *h;
        v |= byte << (8 * i);
    }
    return v;
}

void PhysMem::write(uint32_t paddr, unsigned size, uint32_t value) {
    const Region* r = target(paddr, true);
    if (r && r->kind == RegionKind::Mmio && r->covers(paddr + size - 1)) {
        window_write(r->mmio, paddr - r->base, size, value);
        return;
    }
    if (entry(paddr).partial) {
        for (unsigned i = 0; i < size; ++i) {
            const uint32_t a = paddr + i;
            const Region* b = resolve(a, true);
            if (b && b->kind == RegionKind::Mmio) window_write(b->mmio, a - b->base, 1, value >> (8 * i));
            else if ((!b || b->kind == RegionKind::Ram) && a < ram_size_) {
                ram_[a] = uint8_t(value >> (8 * i));
                wrote(a, 1);
            }
        }
        return;
    }
    if (r && r->kind != RegionKind::Ram) return;  // ROM and nothing: dropped
    if (paddr >= ram_size_) return;
    store_host(ram_ + paddr, size, value);
    if (on_code_write && code_pages_[paddr >> kPageBits]) on_code_write(on_code_write_ctx, paddr, size);
}

bool PhysMem::plain_ram(uint32_t paddr, size_t len) const {
    const uint64_t end = uint64_t(paddr) + len;
    if (end > ram_size_) return false;
    for (uint64_t page = paddr & kPageMask; page < end; page += kPageSize) {
        const PageEntry& e = entry(uint32_t(page));
        if (e.partial || e.read || e.write) return false;
    }
    return true;
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
