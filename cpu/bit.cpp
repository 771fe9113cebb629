// Bit test and scan: BT BTS BTR BTC, BSF BSR (SDM Vol. 2A, each under its name).
//
// Undefined flags, and what we do:
//  - BT/BTS/BTR/BTC define only CF (ZF is "unaffected"; OF SF AF PF undefined). We leave
//    everything but CF unchanged, as Bochs and QEMU do.
//  - BSF/BSR define only ZF (CF OF SF AF PF undefined). We set the five like a logical operation
//    on the value written (CF = OF = AF = 0, SF PF from the bit index; for a zero source, from
//    0: PF = 1, SF = 0) and keep the destination when the source is 0 (the SDM calls it
//    undefined; P6-family processors leave it). That is what Intel processors do (measured on
//    the test host, an Intel Xeon, by tests/alu_oracle_test.cpp "[.alu-info]"); Bochs does the
//    same for a nonzero source.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

enum class BitOp { Test, Set, Reset, Complement };

uint32_t apply(BitOp op, uint32_t v, uint32_t mask) {
    switch (op) {
    case BitOp::Set: return v | mask;
    case BitOp::Reset: return v & ~mask;
    case BitOp::Complement: return v ^ mask;
    default: return v;
    }
}

// BT* r/m, r/imm8. The bit offset selects a bit of the operand: an immediate offset, or any
// offset with a register operand, is taken modulo the operand width. With a memory operand and a
// register offset the offset is signed and addresses a bit string starting at the operand: the
// word or dword at EA + (offset SAR log2(width)) * size is accessed (SDM Vol. 2A, BT, "Bit(BitBase,
// BitOffset)" and Vol. 1, 3.4.1 figure "Bit Offset for BIT[RAX, 21]").
template <BitOp OP> void bit_test(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0), w = 8 * n;
    const uint32_t offset = c.rd_op(in, 1);
    if (!in.is_mem(0) || in.is_imm(1)) {
        const uint32_t mask = 1u << (offset & (w - 1));
        if (OP != BitOp::Test) c.probe_op(in, 0);
        const uint32_t v = c.rd_op(in, 0);
        if (OP != BitOp::Test) c.wr_op(in, 0, apply(OP, v, mask));
        c.set_flag(CF, v & mask);
        return;
    }
    const int32_t soff = sext(offset, n);
    const unsigned shift = w == 16 ? 4 : 5;
    uint32_t addr = c.ea(in, 0) + uint32_t((soff >> shift) * int32_t(n));
    if (in.addrsize() == 2) addr &= 0xFFFF;  // the address wraps like any 16-bit EA
    const SegReg sr = c.seg_of(in, 0);
    const uint32_t mask = 1u << (uint32_t(soff) & (w - 1));
    if (OP != BitOp::Test) c.probe_wr(sr, addr, n);
    const uint32_t v = c.rd(sr, addr, n);
    if (OP != BitOp::Test) c.wr(sr, addr, n, apply(OP, v, mask));
    c.set_flag(CF, v & mask);
}

// BSF/BSR r, r/m: index of the lowest/highest set bit of the source.
template <bool REVERSE> void bit_scan(Cpu& c, const Insn& in) {
    const uint32_t src = c.rd_op(in, 1);
    if (src == 0) {
        c.set_arith(ZF | PF);
        return;
    }
    const uint32_t index = REVERSE ? 31 - __builtin_clz(src) : __builtin_ctz(src);
    c.wr_op(in, 0, index);
    c.set_arith(szp_flags(index, 4) & ~ZF);  // ZF = 0 even for index 0; SF = 0 (index <= 31)
}

} // namespace

void register_bit(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_BT, bit_test<BitOp::Test>, "bit");
    t.add(ZYDIS_MNEMONIC_BTS, bit_test<BitOp::Set>, "bit", kLockable);
    t.add(ZYDIS_MNEMONIC_BTR, bit_test<BitOp::Reset>, "bit", kLockable);
    t.add(ZYDIS_MNEMONIC_BTC, bit_test<BitOp::Complement>, "bit", kLockable);
    t.add(ZYDIS_MNEMONIC_BSF, bit_scan<false>, "bit");
    t.add(ZYDIS_MNEMONIC_BSR, bit_scan<true>, "bit");
    // F3 0F BC/BD are TZCNT/LZCNT only on CPUs with BMI1/LZCNT, which our CPUID does not claim;
    // elsewhere the F3 prefix is ignored and they execute as BSF/BSR (SDM Vol. 2B, TZCNT and
    // LZCNT). Linux's __ffs is "rep; bsf" for that reason.
    t.add(ZYDIS_MNEMONIC_TZCNT, bit_scan<false>, "bit");
    t.add(ZYDIS_MNEMONIC_LZCNT, bit_scan<true>, "bit");
}

} // namespace xlat
