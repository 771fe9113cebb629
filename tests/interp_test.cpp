// The interpreter loop: the decode cache never runs stale bytes.
#include <catch2/catch.hpp>

#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {
Machine make() { return Machine(small_config()); }
} // namespace

TEST_CASE("self-modifying code runs the bytes it wrote", "[interp]") {
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    m.cpu.s.eip = 0;
    const uint8_t code[] = {
        0xB0, 0x11,                               // 0000: mov al, 0x11
        0x2E, 0xC6, 0x06, 0x01, 0x00, 0x22,       // 0002: mov byte [cs:0001], 0x22
        0xEB, 0xF6,                               // 0008: jmp 0000
    };
    m.phys.write_bytes(0x10000, code, sizeof code);
    for (int i = 0; i < 3; ++i) m.interp.step();
    CHECK(m.cpu.s.eip == 0);
    CHECK(m.cpu.reg8(0) == 0x11);
    m.interp.step();
    CHECK(m.cpu.reg8(0) == 0x22);  // the new immediate, not the cached decoding
}

TEST_CASE("code replaced behind the CPU's back (DMA, loaders) is decoded again", "[interp]") {
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    const uint8_t inc_ax[] = {0x40}, dec_ax[] = {0x48}, two[] = {0x66, 0x40};  // inc ax; dec ax; inc eax
    for (const auto& [bytes, len, want] : {std::tuple{inc_ax, 1u, 1u}, std::tuple{dec_ax, 1u, 0u},
                                           std::tuple{two, 2u, 1u}}) {
        m.phys.write_bytes(0x10000, bytes, len);
        m.cpu.s.eip = 0;
        m.interp.step();
        CHECK(m.cpu.s.regs[EAX] == want);
        CHECK(m.cpu.s.eip == len);
    }
}

TEST_CASE("a cached instruction still checks the CS limit where it runs", "[interp]") {
    Machine m = make();
    m.cpu.load_seg_real(CS, 0x1000);
    const uint8_t code[] = {0x66, 0xB8, 1, 2, 3, 4};  // mov eax, imm32 (6 bytes)
    m.phys.write_bytes(0x10000, code, sizeof code);
    m.cpu.s.eip = 0;
    m.interp.step();  // decoded and cached
    CHECK(m.cpu.s.regs[EAX] == 0x04030201u);
    m.cpu.s.seg[CS].limit = 4;  // now the instruction runs past the limit
    m.cpu.s.eip = 0;
    m.cpu.s.idtr = TableRegister{0, 0x3FF};
    m.cpu.s.regs[ESP] = 0x1000;
    m.interp.step();
    CHECK(m.cpu.stats.exceptions[kGP] == 1);
}
