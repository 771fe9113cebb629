// Builds small Multiboot kernel images in memory: an ELF32 i386 executable with the Multiboot
// header right after its ELF header, or an a.out-kludge image. The loader tests build the
// broken and absurd kernels of issue 14 with it, and the fuzz targets their seed inputs.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mbimage {

// Code that reports through the exit port: MOV AL, v; OUT 0xF4, AL; HLT.
inline std::vector<uint8_t> exit_code(uint8_t v) { return {0xB0, v, 0xE6, 0xF4, 0xF4}; }

struct Seg {
    uint32_t addr = 0;              // p_paddr (and p_vaddr)
    std::vector<uint8_t> data;      // the file bytes
    uint32_t memsz = 0;             // 0: data.size()
    uint32_t type = 1;              // PT_LOAD
    int64_t filesz = -1;            // -1: data.size(); else written as given (a lie, to test checks)
};

inline void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }
inline void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) { std::memcpy(&b[at], &v, 2); }

// The Multiboot header (flags as given; with flag 16 the caller fills the address fields).
inline void put_header(std::vector<uint8_t>& b, size_t at, uint32_t flags) {
    put32(b, at, 0x1BADB002);
    put32(b, at + 4, flags);
    put32(b, at + 8, uint32_t(0) - 0x1BADB002u - flags);
}

// An ELF kernel entered at `entry`. `phnum_extra` adds that many copies of the last program
// header (for the many-headers cases) without storing their data again.
inline std::vector<uint8_t> elf(const std::vector<Seg>& segs, uint32_t entry, uint32_t phnum_extra = 0) {
    const uint32_t phnum = uint32_t(segs.size()) + phnum_extra;
    // The Multiboot header right after the ELF header, so that it stays in the first 8 KiB however
    // many program headers follow.
    const size_t hdr = 52, phoff = hdr + 12;
    std::vector<uint8_t> b(phoff + size_t(phnum) * 32, 0);
    std::memcpy(&b[0], "\x7F" "ELF", 4);
    b[4] = 1;  // ELFCLASS32
    b[5] = 1;  // little-endian
    b[6] = 1;  // EV_CURRENT
    put16(b, 16, 2);  // ET_EXEC
    put16(b, 18, 3);  // EM_386
    put32(b, 20, 1);
    put32(b, 24, entry);
    put32(b, 28, uint32_t(phoff));
    put16(b, 40, 52);
    put16(b, 42, 32);
    put16(b, 44, uint16_t(phnum));
    put_header(b, hdr, 0);
    size_t off = 0;
    for (uint32_t i = 0; i < phnum; ++i) {
        const Seg& s = segs[i < segs.size() ? i : segs.size() - 1];
        if (i < segs.size()) {  // the extra copies share the last segment's data
            off = (b.size() + 15) & ~size_t(15);
            b.resize(off);
            b.insert(b.end(), s.data.begin(), s.data.end());
        }
        const uint32_t filesz = s.filesz < 0 ? uint32_t(s.data.size()) : uint32_t(s.filesz);
        const size_t ph = phoff + size_t(i) * 32;
        put32(b, ph, s.type);
        put32(b, ph + 4, uint32_t(off));
        put32(b, ph + 8, s.addr);
        put32(b, ph + 12, s.addr);
        put32(b, ph + 16, filesz);
        put32(b, ph + 20, s.memsz ? s.memsz : uint32_t(s.data.size()));
        put32(b, ph + 24, 5);
        put32(b, ph + 28, 0x1000);
    }
    return b;
}

// The usual good kernel: one segment of code at 1 MiB that exits with `v`.
inline std::vector<uint8_t> exit_kernel(uint8_t v) { return elf({Seg{0x100000, exit_code(v)}}, 0x100000); }

// An a.out-kludge image loaded at `load_addr` (flag 16): header, then code that exits with v.
inline std::vector<uint8_t> kludge(uint32_t load_addr, uint8_t v, uint32_t bss_bytes = 0) {
    std::vector<uint8_t> b(32, 0);
    put_header(b, 0, 1u << 16);
    std::vector<uint8_t> code = exit_code(v);
    b.insert(b.end(), code.begin(), code.end());
    const uint32_t end = load_addr + uint32_t(b.size());
    put32(b, 12, load_addr);              // header_addr
    put32(b, 16, load_addr);              // load_addr
    put32(b, 20, end);                    // load_end_addr
    put32(b, 24, end + bss_bytes);        // bss_end_addr
    put32(b, 28, load_addr + 32);         // entry_addr
    return b;
}

} // namespace mbimage
