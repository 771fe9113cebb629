#include "frontend/multiboot.h"

#include <algorithm>
#include <cstring>

#include "frontend/machine.h"

namespace xlat {

namespace {

constexpr uint32_t kHeaderMagic = 0x1BADB002;
constexpr uint32_t kSearchBytes = 8192;
// Header flags (Multiboot 0.6.96, 3.1.2): bits 0-15 must be honoured or the load refused.
constexpr uint32_t kFlagPageAlign = 1u << 0, kFlagMemInfo = 1u << 1, kFlagVideo = 1u << 2,
                   kFlagAddresses = 1u << 16;

uint32_t le32(const std::vector<uint8_t>& b, size_t off) {
    if (off + 4 > b.size()) throw BootError("kernel image is truncated");
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v;
}
uint16_t le16(const std::vector<uint8_t>& b, size_t off) {
    if (off + 2 > b.size()) throw BootError("kernel image is truncated");
    uint16_t v;
    std::memcpy(&v, b.data() + off, 2);
    return v;
}

// Offset of the Multiboot header, or -1.
long find_header(const std::vector<uint8_t>& image) {
    size_t limit = std::min<size_t>(image.size(), kSearchBytes);
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t magic, flags, sum;
        std::memcpy(&magic, image.data() + off, 4);
        if (magic != kHeaderMagic) continue;
        std::memcpy(&flags, image.data() + off + 4, 4);
        std::memcpy(&sum, image.data() + off + 8, 4);
        if (uint32_t(magic + flags + sum) == 0) return long(off);
    }
    return -1;
}

struct Loaded {
    uint32_t entry;
    uint32_t end;  // first byte past everything loaded (bss included)
};

// Copies [data, data+filesz) to guest physical `addr` and zero-fills up to memsz.
void place(Machine& m, uint32_t addr, const uint8_t* data, uint32_t filesz, uint32_t memsz) {
    if (memsz < filesz) memsz = filesz;
    if (addr < 0x100000 || uint64_t(addr) + memsz > m.phys.ram_size())
        throw BootError("kernel segment at " + std::to_string(addr) + " (+" + std::to_string(memsz) +
                        " bytes) lies outside guest RAM above 1 MiB; give more memory with -m");
    m.phys.write_bytes(addr, data, filesz);
    m.phys.fill_bytes(uint32_t(addr + filesz), 0, memsz - filesz);
}

Loaded load_elf(Machine& m, const std::vector<uint8_t>& img) {
    // ELF32, little-endian, x86 executable (System V ABI, ELF header and program headers).
    if (img.size() < 52 || img[4] != 1 || img[5] != 1) throw BootError("kernel is not a 32-bit little-endian ELF file");
    if (le16(img, 16) != 2 || le16(img, 18) != 3) throw BootError("kernel ELF is not an i386 executable");
    uint32_t phoff = le32(img, 28);
    uint16_t phentsize = le16(img, 42), phnum = le16(img, 44);
    if (phentsize < 32 || phnum == 0) throw BootError("kernel ELF has no program headers");
    Loaded l{le32(img, 24), 0};
    bool any = false;
    for (unsigned i = 0; i < phnum; ++i) {
        size_t ph = size_t(phoff) + size_t(i) * phentsize;
        if (le32(img, ph) != 1) continue;  // PT_LOAD only
        uint32_t off = le32(img, ph + 4), paddr = le32(img, ph + 12), filesz = le32(img, ph + 16),
                 memsz = le32(img, ph + 20);
        if (uint64_t(off) + filesz > img.size()) throw BootError("kernel ELF segment runs past the end of the file");
        place(m, paddr, img.data() + off, filesz, memsz);
        l.end = std::max(l.end, paddr + std::max(filesz, memsz));
        any = true;
    }
    if (!any) throw BootError("kernel ELF has no loadable segment");
    return l;
}

Loaded load_kludge(Machine& m, const std::vector<uint8_t>& img, size_t hdr) {
    // The a.out kludge (header flag 16): the header gives the load addresses itself.
    uint32_t header_addr = le32(img, hdr + 12), load_addr = le32(img, hdr + 16),
             load_end = le32(img, hdr + 20), bss_end = le32(img, hdr + 24), entry = le32(img, hdr + 28);
    if (load_addr > header_addr || header_addr - load_addr > hdr) throw BootError("Multiboot header addresses are inconsistent");
    size_t file_off = hdr - (header_addr - load_addr);
    uint32_t filesz = load_end ? load_end - load_addr : uint32_t(img.size() - file_off);
    if (load_end && load_end < load_addr) throw BootError("Multiboot load_end_addr is below load_addr");
    if (file_off + filesz > img.size()) throw BootError("Multiboot image is shorter than its header says");
    uint32_t memsz = bss_end > load_addr + filesz ? bss_end - load_addr : filesz;
    place(m, load_addr, img.data() + file_off, filesz, memsz);
    return Loaded{entry, load_addr + memsz};
}

} // namespace

bool is_multiboot(const std::vector<uint8_t>& image) { return find_header(image) >= 0; }

void load_multiboot(Machine& m, const std::vector<uint8_t>& image, const std::string& cmdline,
                    const std::vector<BootModule>& modules) {
    long hdr = find_header(image);
    if (hdr < 0) throw BootError("not a Multiboot kernel: no Multiboot header in its first 8 KiB");
    uint32_t flags = le32(image, size_t(hdr) + 4);
    uint32_t unknown = flags & 0xFFFFu & ~(kFlagPageAlign | kFlagMemInfo | kFlagVideo);
    if (unknown) throw BootError("Multiboot kernel requires features xlat does not know (flags " + std::to_string(flags) + ")");
    Loaded l = (flags & kFlagAddresses) ? load_kludge(m, image, size_t(hdr)) : load_elf(m, image);

    auto w32 = [&](uint32_t a, uint32_t v) { m.phys.write_bytes(a, &v, 4); };
    auto w64 = [&](uint32_t a, uint64_t v) { m.phys.write_bytes(a, &v, 8); };
    auto put_string = [&](uint32_t& at, const std::string& str) {
        uint32_t start = at;
        m.phys.write_bytes(at, str.c_str(), str.size() + 1);
        at += uint32_t(str.size() + 1);
        return start;
    };

    // Modules after the kernel, each page aligned (the spec asks for it with flag 0; we always do).
    uint32_t next = (l.end + 0xFFF) & ~0xFFFu;
    std::vector<std::pair<uint32_t, uint32_t>> placed;
    for (const BootModule& mod : modules) {
        uint32_t size = uint32_t(mod.data.size());
        if (uint64_t(next) + size > m.phys.ram_size())
            throw BootError("modules do not fit in guest RAM; give more memory with -m");
        m.phys.write_bytes(next, mod.data.data(), size);
        placed.emplace_back(next, next + size);
        next = (next + size + 0xFFF) & ~0xFFFu;
    }

    // The information structure (Multiboot 0.6.96, 3.3) and what it points at.
    const uint32_t mbi = kMultibootInfo;
    m.phys.fill_bytes(mbi, 0, 0x1000);
    uint32_t at = mbi + 0x80;
    uint32_t info_flags = (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9);  // mem, cmdline, mmap, loader name
    w32(mbi + 4, 639);                                                    // mem_lower, KiB (below the EBDA)
    w32(mbi + 8, uint32_t((m.phys.ram_size() - 0x100000) >> 10));        // mem_upper, KiB above 1 MiB
    w32(mbi + 16, put_string(at, cmdline));
    w32(mbi + 64, put_string(at, "xlat"));
    at = (at + 15) & ~15u;
    if (!modules.empty()) {
        info_flags |= 1u << 3;
        uint32_t mods = at;
        at += uint32_t(16 * modules.size());
        for (size_t i = 0; i < modules.size(); ++i) {
            w32(mods + 16 * uint32_t(i), placed[i].first);
            w32(mods + 16 * uint32_t(i) + 4, placed[i].second);
            w32(mods + 16 * uint32_t(i) + 8, put_string(at, modules[i].cmdline));
        }
        w32(mbi + 20, uint32_t(modules.size()));
        w32(mbi + 24, mods);
        at = (at + 15) & ~15u;
    }
    // The memory map: conventional memory, the EBDA and BIOS area, RAM above 1 MiB, the firmware.
    struct Range { uint64_t base, len; uint32_t type; };
    const Range ranges[] = {
        {0, 0x9FC00, 1},
        {0x9FC00, 0x400, 2},
        {0xF0000, 0x10000, 2},
        {0x100000, m.phys.ram_size() - 0x100000, 1},
        {0xFFFC0000ull, 0x40000, 2},
    };
    uint32_t mmap = at;
    for (const Range& r : ranges) {
        w32(at, 20);
        w64(at + 4, r.base);
        w64(at + 12, r.len);
        w32(at + 20, r.type);
        at += 24;
    }
    w32(mbi + 44, at - mmap);
    w32(mbi + 48, mmap);
    w32(mbi, info_flags);
    if (at > mbi + 0x1000) throw BootError("kernel command line and module names are too long");

    // A flat GDT for the entry state: 0x08 code, 0x10 data, both base 0 limit 4 GiB.
    const uint64_t gdt[3] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};
    m.phys.write_bytes(kMultibootGdt, gdt, sizeof gdt);

    // The machine state at entry (Multiboot 0.6.96, 3.2).
    Cpu& c = m.cpu;
    CpuState& s = c.s;
    m.phys.set_a20(true);
    s.cr0 = (s.cr0 & ~(CR0_PG | CR0_CD | CR0_NW)) | CR0_PE | CR0_ET;
    s.gdtr = TableRegister{kMultibootGdt, sizeof gdt - 1};
    s.eflags = FIXED1;
    s.cpl = 0;
    const uint16_t code_attr = uint16_t(SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G);
    const uint16_t data_attr = uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G);
    s.seg[CS] = SegmentCache{0, 0xFFFFFFFFu, 0x08, code_attr};
    for (SegReg sr : {ES, SS, DS, FS, GS}) s.seg[sr] = SegmentCache{0, 0xFFFFFFFFu, 0x10, data_attr};
    s.set_reg32(EAX, kMultibootMagic);
    s.set_reg32(EBX, mbi);
    s.set_reg32(ESP, 0x7C00);  // undefined by the spec; somewhere harmless in conventional memory
    s.set_eip(l.entry);
    c.mode_changed();
    c.update_paging();
}

} // namespace xlat
