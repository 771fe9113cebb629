// Flat 32-bit protected mode for the translator tests (jit_smc, jit_chain, interp_block), which
// each had their own copy of this set-up and of the asmjit wrapper that assembles their guests.
#pragma once
#include <asmjit/x86.h>

#include <cstdint>
#include <vector>

#include "frontend/machine.h"

// Puts `m` in flat 32-bit protected mode (every segment base 0, limit 4 GiB; no GDT is needed:
// nothing reloads a segment) at `eip` with ESP = `esp`.
inline void enter_flat32(xlat::Machine& m, uint32_t eip, uint32_t esp) {
    using namespace xlat;
    CpuState& s = m.cpu.s;
    const uint16_t code_attr = SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G;
    const uint16_t data_attr = SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G;
    for (unsigned i = 0; i < kSegCount; ++i)
        s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(i == CS ? 8 : 16), uint16_t(i == CS ? code_attr : data_attr)};
    s.cr0 = CR0_PE | CR0_ET;
    s.set_reg32(ESP, esp);
    s.set_eip(eip);
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

// The bytes `body` assembles (32-bit code) for address `base`.
template <typename F> std::vector<uint8_t> assemble_at(uint32_t base, F&& body) {
    asmjit::Environment env(asmjit::Arch::kX86);
    asmjit::CodeHolder code;
    code.init(env, base);
    asmjit::x86::Assembler a(&code);
    body(a);
    code.flatten();
    code.resolveUnresolvedLinks();
    code.relocateToBase(base);
    const asmjit::CodeBuffer& b = code.textSection()->buffer();
    return std::vector<uint8_t>(b.data(), b.data() + b.size());
}
