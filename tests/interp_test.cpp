// The interpreter loop: the decode cache never runs stale bytes.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "frontend/machine.h"
#include "frontend/multiboot.h"
#include "test_machine.h"

using namespace xlat;

namespace {
Machine make() { return Machine(small_config()); }
} // namespace

TEST_CASE("self-modifying code runs the bytes it wrote", "[interp]") {
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    m.cpu.s.set_eip(0);
    const uint8_t code[] = {
        0xB0, 0x11,                               // 0000: mov al, 0x11
        0x2E, 0xC6, 0x06, 0x01, 0x00, 0x22,       // 0002: mov byte [cs:0001], 0x22
        0xEB, 0xF6,                               // 0008: jmp 0000
    };
    m.phys.write_bytes(0x10000, code, sizeof code);
    for (int i = 0; i < 3; ++i) m.step();
    CHECK(m.cpu.s.eip() == 0);
    CHECK(m.cpu.reg8(0) == 0x11);
    m.step();
    CHECK(m.cpu.reg8(0) == 0x22);  // the new immediate, not the cached decoding
}

TEST_CASE("code replaced behind the CPU's back (DMA, loaders) is decoded again", "[interp]") {
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    const uint8_t inc_ax[] = {0x40}, dec_ax[] = {0x48}, two[] = {0x66, 0x40};  // inc ax; dec ax; inc eax
    for (const auto& [bytes, len, want] : {std::tuple{inc_ax, 1u, 1u}, std::tuple{dec_ax, 1u, 0u},
                                           std::tuple{two, 2u, 1u}}) {
        m.phys.write_bytes(0x10000, bytes, len);
        m.cpu.s.set_eip(0);
        m.step();
        CHECK(m.cpu.s.reg32(EAX) == want);
        CHECK(m.cpu.s.eip() == len);
    }
}

TEST_CASE("a cached instruction still checks the CS limit where it runs", "[interp]") {
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    const uint8_t code[] = {0x66, 0xB8, 1, 2, 3, 4};  // mov eax, imm32 (6 bytes)
    m.phys.write_bytes(0x10000, code, sizeof code);
    m.cpu.s.set_eip(0);
    m.step();  // decoded and cached
    CHECK(m.cpu.s.reg32(EAX) == 0x04030201u);
    m.cpu.s.seg[CS].limit = 4;  // now the instruction runs past the limit
    m.cpu.s.set_eip(0);
    m.cpu.s.idtr = TableRegister{0, 0x3FF};
    m.cpu.s.set_reg32(ESP, 0x1000);
    m.step();
    CHECK(m.cpu.stats.exceptions[kGP] == 1);
}

TEST_CASE("CpuState is the whole CPU: a copy restored runs on as the original did", "[interp]") {
    // PAE paging whose PDPTE registers are loaded, then the PDPT in memory is rewritten: the CPU
    // keeps using the registers until CR3 is loaded again (SDM Vol. 3A, 4.4.1). A snapshot of
    // CpuState alone must carry them, and the NMI and debug-trap state, to a second machine.
    Machine a(small_config()), b(small_config());
    for (Machine* m : {&a, &b}) {
        const uint32_t pdpt = 0x1000, pd = 0x2000;
        const uint64_t pdpte = pd | 1, pde = 0x87;  // 2 MiB identity page at 0, present, user, writable
        m->phys.write_bytes(pdpt, &pdpte, 8);
        m->phys.write_bytes(pd, &pde, 8);
        const uint8_t code[] = {0x40, 0x40, 0xF4};  // inc eax; inc eax; hlt
        m->phys.write_bytes(0x10000, code, sizeof code);
    }
    CpuState& s = a.cpu.s;
    s.cr0 |= CR0_PE;
    s.seg[CS] = SegmentCache{0, 0xFFFFFFFFu, 0x08, uint16_t(SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_DB | SEG_G)};
    s.seg[SS] = SegmentCache{0, 0xFFFFFFFFu, 0x10, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_DB | SEG_G)};
    s.set_eip(0x10000);
    a.cpu.mode_changed();
    a.cpu.load_paging_regs(s.cr0 | CR0_PG, 0x1000, CR4_PAE, 0);
    s.nmi_blocked = 1;
    s.held_dr6 = 1u << 14;
    const uint64_t zero = 0;
    b.phys.write_bytes(0x1000, &zero, 8);  // b's PDPT in memory no longer maps anything
    b.cpu.s = s;
    b.cpu.state_loaded();
    CHECK(b.cpu.s.pdpte[0] == (0x2000 | 1));
    a.step();
    b.step();
    CHECK(std::memcmp(&a.cpu.s, &b.cpu.s, sizeof(CpuState)) == 0);
    CHECK(b.cpu.s.reg32(EAX) == 1);
    CHECK(b.cpu.stats.exceptions[kPF] == 0);
}

TEST_CASE("writes to code pages are reported whoever writes: CPU, DMA-style bulk writes, the loader", "[interp][smc]") {
    Machine m(small_config(4u << 20));
    std::vector<std::pair<uint32_t, unsigned>> seen;
    m.phys.on_code_write_ctx = &seen;
    m.phys.on_code_write = [](void* ctx, uint32_t pa, unsigned size) {
        static_cast<std::vector<std::pair<uint32_t, unsigned>>*>(ctx)->emplace_back(pa, size);
    };
    // The CPU: a store into a code page, after the TLB already mapped the page for writing.
    m.cpu.load_seg_real(CS, 0x1000);
    m.cpu.load_seg_real(DS, 0x2000);
    const uint8_t code[] = {0xC7, 0x06, 0x10, 0x00, 0x34, 0x12,   // mov word [0x10], 0x1234
                            0xC7, 0x06, 0x12, 0x00, 0x78, 0x56};  // mov word [0x12], 0x5678
    m.phys.write_bytes(0x10000, code, sizeof code);
    m.cpu.s.set_eip(0);
    m.interp.step();  // the page 0x20000 is now in the TLB for writes
    CHECK(seen.empty());
    m.phys.set_code_page(0x20000, true);
    m.interp.step();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == std::make_pair(0x20012u, 2u));
    // DMA-style bulk writes, across a code page's edges.
    seen.clear();
    m.phys.set_code_page(0x30000, true);
    std::vector<uint8_t> block(0x2000, 0xAA);
    m.phys.write_bytes(0x2F800, block.data(), block.size());  // 0x2F800-0x317FF
    m.phys.fill_bytes(0x30FF0, 0, 0x20);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == std::make_pair(0x30000u, 0x1000u));
    CHECK(seen[1] == std::make_pair(0x30FF0u, 0x10u));
    // The Multiboot loader copies the kernel through the same interface.
    seen.clear();
    std::ifstream f(std::string(XLAT_BINARY_DIR) + "/tests/kernels/multiboot.elf", std::ios::binary);
    std::vector<uint8_t> kernel((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(kernel.size() > 0);
    m.phys.set_code_page(0x100000, true);  // the kernel loads at 1 MiB (tests/kernels/link.ld)
    load_multiboot(m, BootFile::from_bytes("multiboot.elf", kernel), "", {});
    CHECK(!seen.empty());
    CHECK(std::all_of(seen.begin(), seen.end(), [](auto& w) { return (w.first & kPageMask) == 0x100000; }));
}
