// The interpreter loop: the decode cache never runs stale bytes.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "frontend/machine.h"
#include "frontend/multiboot.h"
#include "flat_machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {
Machine make() { return Machine(small_config()); }

// Runs the (cached) real-mode instruction at CS:`eip` again with the CS limit `limit`, which
// its last byte passes: #GP, whatever the cache holds.
void run_past_limit(Machine& m, uint32_t eip, uint32_t limit) {
    m.cpu.s.seg[CS].limit = limit;
    m.cpu.s.set_eip(eip);
    m.cpu.s.idtr = TableRegister{0, 0x3FF};
    m.cpu.s.set_reg32(ESP, 0x1000);
    m.step();
    CHECK(m.cpu.stats.exceptions[kGP] == 1);
}
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
    run_past_limit(m, 0, 4);  // now the instruction runs past the limit
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

TEST_CASE("an instruction that crosses a page is decoded once and checked again on both pages", "[interp]") {
    // The decode cache holds only instructions at least 16 bytes before the end of their page;
    // those in the last 15 bytes have a cache of their own (Interpreter::fetch_page_end), which
    // reads the bytes again through the TLB, the next page's too, and compares. Real mode: CS =
    // 0x1000, the instruction at 0x1FFE (linear 0x11FFE) is mov eax, imm32 (66 B8 + 4 bytes),
    // two bytes in one page and four in the next; a jmp back to it follows it.
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    const uint8_t code[] = {0x66, 0xB8, 0x01, 0x02, 0x03, 0x04, 0xEB, 0xF8};  // mov eax, 0x04030201; jmp -8
    m.phys.write_bytes(0x11FFE, code, sizeof code);
    m.cpu.s.set_eip(0x1FFE);
    const uint64_t before = m.interp.decodes();
    for (int i = 0; i < 50; ++i) m.step(), m.step();
    CHECK(m.cpu.s.eip() == 0x1FFE);
    CHECK(m.cpu.s.reg32(EAX) == 0x04030201u);
    CHECK(m.interp.decodes() - before == 2);  // the MOV and the JMP, once each
    // A byte in the next page changes: the MOV is decoded again, with its new immediate.
    const uint8_t b = 0x44;
    m.phys.write_bytes(0x12003, &b, 1);
    m.step();
    CHECK(m.cpu.s.reg32(EAX) == 0x44030201u);
    CHECK(m.interp.decodes() - before == 3);
    // A byte in its own page: 66 B8 becomes 66 B9 (mov ecx, imm32).
    const uint8_t mov_ecx = 0xB9;
    m.phys.write_bytes(0x11FFF, &mov_ecx, 1);
    m.cpu.s.set_eip(0x1FFE);
    m.step();
    CHECK(m.cpu.s.reg32(ECX) == 0x44030201u);
    CHECK(m.interp.decodes() - before == 4);
    // Cached, it still checks the CS limit where it runs.
    run_past_limit(m, 0x1FFE, 0x2002);
}

TEST_CASE("a cached instruction that crosses into a page not present faults there every time", "[interp]") {
    // Flat protected mode with paging: the instruction starts 2 bytes before the end of the page
    // at 0x20000; the page after it is present, then not, then present again mapping other bytes.
    Machine m = make();
    CpuState& s = m.cpu.s;
    enter_flat32(m, 0x20FFE, 0x8000);
    install_halting_idt(m, 0x700, 0x800, 0x9000);
    page_first_4mib(m, 0x60000, 0x61000, 0x3FF000);
    auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
    const uint32_t pt = 0x61000;
    // Page 0x21000 maps frame 0x21000 or 0x30000 (PTE 0x21): mov eax, imm32 (B8 + 4 bytes).
    const uint8_t first[] = {0xB8, 0x01}, second[] = {0x02, 0x03, 0x04}, other[] = {0x12, 0x13, 0x14};
    m.phys.write_bytes(0x20FFE, first, 2);
    m.phys.write_bytes(0x21000, second, 3);
    m.phys.write_bytes(0x30000, other, 3);
    m.cpu.state_loaded();
    auto run_it = [&](uint32_t pte, uint32_t want_eax) {
        put32(pt + 0x21 * 4, pte);
        m.mmu.flush_all();
        s.set_eip(0x20FFE);
        s.set_reg32(EAX, 0);
        m.interp.step();
        if (want_eax) {
            CHECK(s.reg32(EAX) == want_eax);
            CHECK(s.eip() == 0x21003);
        } else {
            CHECK(s.eip() == 0x9000);  // delivered: the #PF handler's HLT is next
            CHECK(s.cr2 == 0x21000);
        }
    };
    const uint64_t before = m.interp.decodes();
    run_it(0x21000 | 3, 0x04030201u);
    run_it(0x21000 | 3, 0x04030201u);
    CHECK(m.interp.decodes() - before == 1);
    run_it(0, 0);
    CHECK(m.cpu.stats.exceptions[kPF] == 1);
    run_it(0, 0);
    CHECK(m.cpu.stats.exceptions[kPF] == 2);
    run_it(0x30000 | 3, 0x14131201u);  // the other frame's bytes
    run_it(0x21000 | 3, 0x04030201u);
}
