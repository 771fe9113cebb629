#include "frontend/guest_load.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "frontend/machine.h"

namespace xlat {

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return buf;
}

std::string needed_ram(uint64_t end) { return std::to_string((end + kOneMiB - 1) / kOneMiB) + "M"; }

uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) & ~uint64_t(kPageSize - 1); }

namespace {

// The ROM and the VGA window drop what the loader writes there, as they drop the CPU's stores
// (QEMU's Multiboot option ROM copies the image with ordinary stores after SeaBIOS made its own
// area read-only, so a segment there, such as the ELF headers GNU ld places just below a kernel
// linked at 1 MiB, lands nowhere there either). fill(host, n, offset) produces n bytes at host
// for the piece starting at offset. The page lookup keeps every byte inside RAM.
template <class Fill>
void store(Machine& m, uint32_t addr, uint64_t len, Fill fill) {
    if (uint64_t(addr) + len > m.phys.ram_size()) throw BootError("internal error: loader write past guest RAM");
    uint64_t done = 0;
    while (done < len) {
        const uint32_t a = uint32_t(addr + done);
        const PageInfo p = m.phys.page(a);
        uint64_t n = std::min<uint64_t>(len - done, kPageSize - (a & (kPageSize - 1)));
        if (p.kind == RegionKind::Ram) {
            // Extend over the following RAM pages: one read or fill for the whole run.
            uint8_t* host = p.host + (a & (kPageSize - 1));
            while (done + n < len) {
                const PageInfo q = m.phys.page(uint32_t(addr + done + n));
                if (q.kind != RegionKind::Ram || q.host != host + n) break;
                n += std::min<uint64_t>(len - done - n, kPageSize);
            }
            fill(host, n, done);
            m.phys.wrote(uint32_t(addr + done), size_t(n));  // reports writes to code pages
        }
        done += n;
    }
}

} // namespace

void store_file(Machine& m, uint32_t addr, const BootFile& f, uint64_t off, uint64_t len) {
    store(m, addr, len, [&](uint8_t* host, uint64_t n, uint64_t at) { f.read(off + at, host, size_t(n)); });
}

// Skips what is zero already: fresh guest RAM is (calloc maps zero pages lazily), and writing
// 3 GiB of bss again would commit 3 GB of host memory for nothing. Reading an untouched page maps
// the shared zero page, which costs no memory.
void store_zero(Machine& m, uint32_t addr, uint64_t len) {
    store(m, addr, len, [](uint8_t* host, uint64_t n, uint64_t) {
        for (uint64_t done = 0; done < n;) {
            const size_t step = size_t(std::min<uint64_t>(n - done, kPageSize));
            uint8_t* p = host + done;
            bool zero = true;
            for (size_t i = 0; i < step && zero; i += 8) {
                uint64_t w = 0;
                std::memcpy(&w, p + i, std::min<size_t>(8, step - i));
                zero = w == 0;
            }
            if (!zero) std::memset(p, 0, step);
            done += step;
        }
    });
}

void store_bytes(Machine& m, uint32_t addr, const std::vector<uint8_t>& bytes) {
    store(m, addr, bytes.size(), [&](uint8_t* host, uint64_t n, uint64_t at) { std::memcpy(host, bytes.data() + at, size_t(n)); });
}

std::vector<MemRange> pc_memory_map(uint64_t ram) {
    return {
        {0, kLowAreaEnd, 1},
        {kLowAreaEnd, 0xA0000 - kLowAreaEnd, 2},
        {0xF0000, 0x10000, 2},
        {kOneMiB, ram - kOneMiB, 1},
        {0xFFFC0000ull, 0x40000, 2},
    };
}

void enter_flat32(Machine& m, uint32_t gdt_addr, uint16_t code_sel, uint32_t entry) {
    // Base 0, limit 4 GiB (G=1, D/B=1): code execute/read, data read/write (SDM Vol. 3A, 3.4.5).
    const uint64_t code = 0x00CF9A000000FFFFull, data = 0x00CF92000000FFFFull;
    std::vector<uint8_t> gdt(size_t(code_sel) + 16, 0);
    std::memcpy(&gdt[code_sel], &code, 8);
    std::memcpy(&gdt[code_sel + 8u], &data, 8);
    m.phys.set_a20(true);
    store_bytes(m, gdt_addr, gdt);

    Cpu& c = m.cpu;
    CpuState& s = c.s;
    s.cr0 = (s.cr0 & ~(CR0_PG | CR0_CD | CR0_NW)) | CR0_PE | CR0_ET;
    s.gdtr = TableRegister{gdt_addr, uint16_t(gdt.size() - 1)};
    s.eflags = FIXED1;
    s.cpl = 0;
    const uint16_t code_attr = uint16_t(SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G);
    const uint16_t data_attr = uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G);
    s.seg[CS] = SegmentCache{0, 0xFFFFFFFFu, code_sel, code_attr};
    for (SegReg sr : {ES, SS, DS, FS, GS}) s.seg[sr] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(code_sel + 8), data_attr};
    s.set_eip(entry);
    c.mode_changed();
    c.update_paging();
}

} // namespace xlat
