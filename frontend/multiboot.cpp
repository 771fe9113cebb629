#include "frontend/multiboot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "frontend/guest_load.h"
#include "frontend/machine.h"

namespace xlat {

namespace {

constexpr uint32_t kHeaderBytes = 32;    // magic, flags, checksum and the five address fields
// Header flags (Multiboot 0.6.96, 3.1.2): bits 0-15 must be honoured or the load refused.
constexpr uint32_t kFlagPageAlign = 1u << 0, kFlagMemInfo = 1u << 1, kFlagVideo = 1u << 2,
                   kFlagAddresses = 1u << 16;
// The low area for the GDT and the information structure: from kMultibootGdt up to the EBDA
// (kLowAreaEnd).

uint32_t le32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint16_t le16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// One piece of the kernel: memsz bytes at guest physical addr, the first filesz of them from the
// file at offset off, the rest zero.
struct Segment {
    uint32_t addr;
    uint64_t off;
    uint32_t filesz;
    uint32_t memsz;
};

struct Kernel {
    uint32_t entry = 0;
    std::vector<Segment> segments;
};

Kernel plan_elf(const BootFile& f) {
    // ELF32, little-endian, i386 executable (System V ABI, "ELF Header" and "Program Header").
    uint8_t eh[52];
    if (f.size() < sizeof eh) throw BootError("not an ELF file (too short for an ELF header), and its Multiboot header gives no load addresses");
    f.read(0, eh, sizeof eh);
    if (std::memcmp(eh, "\x7F" "ELF", 4) != 0)
        throw BootError("not an ELF file (no ELF magic), and its Multiboot header gives no load addresses (flag 16)");
    if (eh[4] != 1 || eh[5] != 1) throw BootError("not a 32-bit little-endian ELF file");
    if (le16(eh + 18) == 62) throw BootError("a 64-bit (x86-64) ELF kernel; Multiboot loads 32-bit i386 kernels");
    if (le16(eh + 16) != 2 || le16(eh + 18) != 3) throw BootError("the ELF file is not an i386 executable");
    Kernel k;
    k.entry = le32(eh + 24);
    const uint64_t phoff = le32(eh + 28);
    const uint32_t phentsize = le16(eh + 42), phnum = le16(eh + 44);
    if (phentsize < 32 || phnum == 0) throw BootError("the ELF kernel has no program headers");
    if (phoff + uint64_t(phnum) * phentsize > f.size()) throw BootError("the ELF program headers run past the end of the file");
    // The table is at most 65,535 entries; read it at once when the entries are packed, one by one
    // when a large e_phentsize spreads them out.
    std::vector<uint8_t> table;
    const bool packed = uint64_t(phnum) * phentsize <= (4u << 20);
    if (packed) {
        table.resize(size_t(phnum) * phentsize);
        f.read(phoff, table.data(), table.size());
    }
    bool any = false;
    for (uint32_t i = 0; i < phnum; ++i) {
        uint8_t one[32];
        const uint8_t* ph = one;
        if (packed) ph = &table[size_t(i) * phentsize];
        else f.read(phoff + uint64_t(i) * phentsize, one, sizeof one);
        if (le32(ph) != 1) continue;  // PT_LOAD only
        Segment s{le32(ph + 12), le32(ph + 4), le32(ph + 16), le32(ph + 20)};
        const std::string which = "ELF segment " + std::to_string(i) + " (at " + hex(s.addr) + ")";
        if (s.filesz > s.memsz)
            throw BootError(which + " has more bytes in the file (" + hex(s.filesz) + ") than in memory (" + hex(s.memsz) + ")");
        if (s.off + s.filesz > f.size()) throw BootError(which + " runs past the end of the file");
        any = true;
        if (s.memsz) k.segments.push_back(s);  // an empty segment loads nothing
    }
    if (!any) throw BootError("the ELF kernel has no loadable segment");
    return k;
}

Kernel plan_kludge(const BootFile& f, const std::vector<uint8_t>& head, size_t hdr) {
    // The a.out kludge (header flag 16): the header gives the load addresses itself (3.1.3).
    if (hdr + kHeaderBytes > head.size()) throw BootError("the Multiboot header is cut off by the end of the file");
    const uint8_t* h = &head[hdr];
    const uint32_t header_addr = le32(h + 12), load_addr = le32(h + 16), load_end = le32(h + 20),
                   bss_end = le32(h + 24);
    if (load_addr > header_addr || header_addr - load_addr > hdr)
        throw BootError("Multiboot header_addr " + hex(header_addr) + " and load_addr " + hex(load_addr) +
                        " do not match where the header is in the file");
    const uint64_t file_off = hdr - (header_addr - load_addr);
    if (load_end && load_end < load_addr) throw BootError("Multiboot load_end_addr is below load_addr");
    const uint64_t filesz = load_end ? uint64_t(load_end - load_addr) : f.size() - file_off;
    if (file_off + filesz > f.size()) throw BootError("the Multiboot image is shorter than its header says");
    if (load_addr + filesz > k4GiB) throw BootError("the Multiboot image at " + hex(load_addr) + " runs past 4 GiB");
    if (bss_end && bss_end < load_addr + filesz) throw BootError("Multiboot bss_end_addr is below load_end_addr");
    const uint32_t memsz = bss_end ? bss_end - load_addr : uint32_t(filesz);
    Kernel k;
    k.entry = le32(h + 28);
    if (memsz) k.segments.push_back(Segment{load_addr, file_off, uint32_t(filesz), memsz});
    return k;
}

// Every segment lies in guest RAM and no two overlap.
void check_segments(std::vector<Segment>& segs, uint64_t ram) {
    for (const Segment& s : segs) {
        const uint64_t end = uint64_t(s.addr) + s.memsz;
        const std::string range = "kernel segment " + hex(s.addr) + "-" + hex(end - 1);
        if (end > k4GiB) throw BootError("kernel segment at " + hex(s.addr) + " (" + hex(s.memsz) + " bytes) runs past 4 GiB");
        if (end > kMaxRamBytes)
            throw BootError(range + " is not in RAM: a guest has at most 3 GiB of RAM, up to " + hex(kMaxRamBytes - 1));
        if (end > ram)
            throw BootError(range + " ends past guest RAM (" + hex(ram) + " bytes, up to " + hex(ram - 1) +
                            "); it needs -m " + needed_ram(end) + " or more");
    }
    std::sort(segs.begin(), segs.end(), [](const Segment& a, const Segment& b) { return a.addr < b.addr; });
    for (size_t i = 1; i < segs.size(); ++i)
        if (uint64_t(segs[i - 1].addr) + segs[i - 1].memsz > segs[i].addr)
            throw BootError("kernel segments " + hex(segs[i - 1].addr) + "-" + hex(uint64_t(segs[i - 1].addr) + segs[i - 1].memsz - 1) +
                            " and " + hex(segs[i].addr) + "-" + hex(uint64_t(segs[i].addr) + segs[i].memsz - 1) + " overlap");
}

bool overlaps_any(const std::vector<Segment>& segs, uint64_t base, uint64_t end) {
    for (const Segment& s : segs)
        if (s.addr < end && base < uint64_t(s.addr) + s.memsz) return true;
    return false;
}

// The information structure (Multiboot 0.6.96, 3.3) and everything it points at, built in a
// host buffer for guest address `mbi` once its size is known.
class InfoBuilder {
public:
    InfoBuilder(uint32_t mbi, uint64_t size) : mbi_(mbi), buf_(size_t(size), 0) {}
    void w32(uint64_t a, uint32_t v) { put(a, &v, 4); }
    void w64(uint64_t a, uint64_t v) { put(a, &v, 8); }
    uint32_t string(uint64_t& at, const std::string& s) {
        const uint64_t start = at;
        put(at, s.c_str(), s.size() + 1);
        at += s.size() + 1;
        return uint32_t(start);
    }
    const std::vector<uint8_t>& bytes() const { return buf_; }

private:
    void put(uint64_t a, const void* p, size_t n) {
        // Sizes were computed before the buffer was made; a mistake there must not write past it.
        if (a < mbi_ || a - mbi_ + n > buf_.size()) throw BootError("internal error: Multiboot information larger than computed");
        std::memcpy(buf_.data() + (a - mbi_), p, n);
    }
    uint64_t mbi_;
    std::vector<uint8_t> buf_;
};

constexpr uint64_t kInfoFixed = 0x80;  // the fixed part (88 bytes), then strings from +0x80
constexpr uint64_t kMmapEntries = 5;

uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t(15); }

// Bytes of the information structure with everything it points at.
uint64_t info_size(const std::string& cmdline, const std::vector<BootModule>& modules) {
    uint64_t n = kInfoFixed + cmdline.size() + 1 + 5;  // + "xlat"
    n = align16(n);
    if (!modules.empty()) {
        n += 16 * uint64_t(modules.size());
        for (const BootModule& mod : modules) n += mod.cmdline.size() + 1;
        n = align16(n);
    }
    return n + 24 * kMmapEntries;
}

} // namespace

void load_multiboot(Machine& m, const BootFile& kernel, const std::string& cmdline,
                    const std::vector<BootModule>& modules) {
    const uint64_t ram = m.phys.ram_size();
    // 1. What the kernel is: only its first 8 KiB are read to find out.
    const std::vector<uint8_t> head = kernel.head(kMultibootSearchBytes + kHeaderBytes);
    const long hdr = find_multiboot_header(head);
    if (hdr < 0) throw BootError("not a Multiboot kernel: no Multiboot header in its first 8 KiB");
    const uint32_t flags = le32(&head[size_t(hdr) + 4]);
    const uint32_t unknown = flags & 0xFFFFu & ~(kFlagPageAlign | kFlagMemInfo | kFlagVideo);
    if (unknown) throw BootError("the Multiboot kernel requires features xlat does not know (header flags " + hex(flags) + ")");
    Kernel k = (flags & kFlagAddresses) ? plan_kludge(kernel, head, size_t(hdr)) : plan_elf(kernel);

    // 2. Where everything goes, checked before the first byte is written.
    check_segments(k.segments, ram);
    uint64_t kernel_end = 0;
    for (const Segment& s : k.segments) kernel_end = std::max(kernel_end, uint64_t(s.addr) + s.memsz);
    // Modules after the kernel, page aligned (the spec asks for it with flag 0; we always do), and
    // above 1 MiB even for a kernel loaded low, so that they never run into the VGA window.
    uint64_t next = page_up(std::max(kernel_end, kOneMiB));
    std::vector<uint32_t> mod_start;
    for (const BootModule& mod : modules) {
        const uint64_t end = next + mod.file.size();
        if (end > ram)
            throw BootError("the modules do not fit in guest RAM: '" + mod.file.name() + "' (" + hex(mod.file.size()) +
                            " bytes) would end at " + hex(end - 1) + ", past the end of RAM at " + hex(ram - 1) +
                            (end <= kMaxRamBytes ? "; it needs -m " + needed_ram(end) + " or more" : ""));
        mod_start.push_back(uint32_t(next));
        next = page_up(end);
    }
    // The GDT and the information structure: in conventional memory below the EBDA when the
    // kernel leaves that free, else after the last module.
    const uint64_t info_bytes = info_size(cmdline, modules);
    uint64_t base = kMultibootGdt;
    if (kMultibootInfo + info_bytes > kLowAreaEnd || overlaps_any(k.segments, base, kMultibootInfo + info_bytes)) {
        base = next;
        if (base + kPageSize + info_bytes > ram)
            throw BootError("the Multiboot information (" + std::to_string(info_bytes) +
                            " bytes: the command line, module names and module table) fits neither below " +
                            hex(kLowAreaEnd) + " nor after the modules in guest RAM; give more memory with -m or a shorter command line");
    }
    const uint32_t gdt_addr = uint32_t(base), mbi = uint32_t(base + kPageSize);

    // 3. The information structure, in a host buffer of the size computed above.
    InfoBuilder info(mbi, info_bytes);
    uint64_t at = mbi + kInfoFixed;
    uint32_t info_flags = (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9);  // mem, cmdline, mmap, loader name
    info.w32(mbi + 4, 639);                                               // mem_lower, KiB (below the EBDA)
    info.w32(mbi + 8, uint32_t((ram - kOneMiB) >> 10));                  // mem_upper, KiB above 1 MiB
    info.w32(mbi + 16, info.string(at, cmdline));
    info.w32(mbi + 64, info.string(at, "xlat"));
    at = align16(at);
    if (!modules.empty()) {
        info_flags |= 1u << 3;
        const uint64_t mods = at;
        at += 16 * uint64_t(modules.size());
        for (size_t i = 0; i < modules.size(); ++i) {
            info.w32(mods + 16 * i, mod_start[i]);
            info.w32(mods + 16 * i + 4, uint32_t(mod_start[i] + modules[i].file.size()));
            info.w32(mods + 16 * i + 8, info.string(at, modules[i].cmdline));
        }
        info.w32(mbi + 20, uint32_t(modules.size()));
        info.w32(mbi + 24, uint32_t(mods));
        at = align16(at);
    }
    // The memory map: conventional memory, the EBDA and BIOS area, RAM above 1 MiB, the firmware.
    const std::vector<MemRange> ranges = pc_memory_map(ram);
    if (ranges.size() != kMmapEntries) throw BootError("internal error: memory map size");
    const uint64_t mmap = at;
    for (const MemRange& r : ranges) {
        info.w32(at, 20);
        info.w64(at + 4, r.base);
        info.w64(at + 12, r.len);
        info.w32(at + 20, r.type);
        at += 24;
    }
    info.w32(mbi + 44, uint32_t(at - mmap));
    info.w32(mbi + 48, uint32_t(mmap));
    info.w32(mbi, info_flags);

    // 4. Write: each piece read from its file straight into guest RAM. Guest RAM starts zeroed,
    // but the loader does not rely on it: bss that is not zero is zeroed, once (segments do not
    // overlap).
    m.phys.set_a20(true);
    for (const Segment& s : k.segments) {
        store_file(m, s.addr, kernel, s.off, s.filesz);
        store_zero(m, s.addr + s.filesz, s.memsz - s.filesz);
    }
    kernel.release();
    for (size_t i = 0; i < modules.size(); ++i) {
        store_file(m, mod_start[i], modules[i].file, 0, modules[i].file.size());
        modules[i].file.release();
    }
    // A page for the GDT (the information structure starts on the next one).
    store_zero(m, gdt_addr, kPageSize);
    store_bytes(m, mbi, info.bytes());

    // The machine state at entry (Multiboot 0.6.96, 3.2): flat segments, 0x08 code, 0x10 data.
    enter_flat32(m, gdt_addr, 0x08, k.entry);
    CpuState& s = m.cpu.s;
    s.set_reg32(EAX, kMultibootMagic);
    s.set_reg32(EBX, mbi);
    s.set_reg32(ESP, 0x7C00);  // undefined by the spec; somewhere harmless in conventional memory
}

} // namespace xlat
