// Multiplication and division: MUL, IMUL (one, two and three operands), DIV, IDIV
// (SDM Vol. 2A/2B, each under its name).
//
// Undefined flags, and what we do:
//  - MUL/IMUL leave SF ZF AF PF undefined. We set SF and PF from the low half of the product
//    (the destination for the two- and three-operand forms, AL/AX/EAX for the one-operand ones)
//    and clear ZF and AF. That is what Intel processors do (measured on the test host, an Intel
//    Xeon, by tests/alu_oracle_test.cpp "[.alu-info]"); no P6 measurement was at hand. Bochs and
//    QEMU set ZF from the low half instead.
//  - DIV/IDIV leave all six flags undefined. We leave them unchanged (Bochs and QEMU do too).
// Divide errors (#DE) are raised before anything is written, so the registers keep their values.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// The six arithmetic flags of a multiplication: CF = OF = `overflow` (the SDM's rule), SF PF
// from the low half `lo` of the product, ZF and AF cleared.
uint32_t mul_flags(uint32_t lo, unsigned n, bool overflow) {
    return (szp_flags(lo, n) & ~ZF) | (overflow ? CF | OF : 0);
}

// MUL r/m: AX = AL * src, DX:AX = AX * src or EDX:EAX = EAX * src (unsigned).
// CF = OF = 1 when the upper half of the product is not zero.
void MUL(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    const uint64_t src = c.rd_op(in, 0);
    const uint64_t p = uint64_t(c.reg(EAX, n)) * src;
    const uint32_t lo = uint32_t(p) & size_mask(n);
    const uint32_t hi = uint32_t(p >> (8 * n)) & size_mask(n);
    if (n == 1) {
        c.set_reg16(EAX, uint16_t(p));
    } else {
        c.set_reg(EAX, n, lo);
        c.set_reg(EDX, n, hi);
    }
    c.set_arith(mul_flags(lo, n, hi != 0));
}

// IMUL (signed). One operand: like MUL into AX, DX:AX, EDX:EAX; CF = OF = 1 when the product
// does not fit the lower half sign-extended. Two operands: dest = dest * src; three: dest =
// src * imm (imm8 sign-extended); the product is truncated and CF = OF = 1 when that loses
// significant bits.
void IMUL(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    const uint32_t m = size_mask(n);
    if (in.nops() == 1) {
        const int64_t p = int64_t(sext(c.reg(EAX, n), n)) * sext(c.rd_op(in, 0), n);
        const uint32_t lo = uint32_t(p) & m;
        const bool overflow = p != sext(lo, n);
        if (n == 1) {
            c.set_reg16(EAX, uint16_t(p));
        } else {
            c.set_reg(EAX, n, lo);
            c.set_reg(EDX, n, uint32_t(uint64_t(p) >> (8 * n)) & m);
        }
        c.set_arith(mul_flags(lo, n, overflow));
        return;
    }
    int32_t a, b;
    if (in.nops() == 2) {
        a = sext(c.rd_op(in, 0), n);
        b = sext(c.rd_op(in, 1), n);
    } else {
        a = sext(c.rd_op(in, 1), n);
        b = sext(in.imm(2) & m, n);  // 6B: imm8 sign-extended; 69: imm16/32
    }
    const int64_t p = int64_t(a) * b;
    const uint32_t lo = uint32_t(p) & m;
    c.wr_op(in, 0, lo);
    c.set_arith(mul_flags(lo, n, p != sext(lo, n)));
}

// DIV r/m (unsigned): AX / src -> AL rem AH, DX:AX / src -> AX rem DX, EDX:EAX / src -> EAX rem
// EDX. #DE when src is 0 or the quotient does not fit the destination.
void DIV(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    const uint64_t divisor = c.rd_op(in, 0);
    if (divisor == 0) raise_fault(kDE);
    const uint64_t dividend = n == 1 ? c.reg16(EAX) : (uint64_t(c.reg(EDX, n)) << (8 * n)) | c.reg(EAX, n);
    const uint64_t q = dividend / divisor, r = dividend % divisor;
    if (q > size_mask(n)) raise_fault(kDE);
    if (n == 1) {
        c.set_reg16(EAX, uint16_t((r << 8) | q));
    } else {
        c.set_reg(EAX, n, uint32_t(q));
        c.set_reg(EDX, n, uint32_t(r));
    }
}

// IDIV r/m (signed): as DIV; the quotient truncates toward zero and the remainder takes the
// dividend's sign. #DE when src is 0 or the quotient is outside -2^(w-1) .. 2^(w-1)-1: the most
// negative quotient (-128, -32768, -2^31) is accepted, as on the 286 and every later CPU.
void IDIV(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    const int64_t divisor = sext(c.rd_op(in, 0), n);
    if (divisor == 0) raise_fault(kDE);
    int64_t dividend;
    if (n == 1) dividend = int16_t(c.reg16(EAX));
    else if (n == 2) dividend = int32_t((uint32_t(c.reg16(EDX)) << 16) | c.reg16(EAX));
    else dividend = int64_t((uint64_t(c.s.reg32(EDX)) << 32) | c.s.reg32(EAX));
    // -2^63 / -1 overflows the host division too; its quotient is far out of range anyway.
    if (dividend == INT64_MIN && divisor == -1) raise_fault(kDE);
    const int64_t q = dividend / divisor, r = dividend % divisor;
    const int64_t lim = int64_t(1) << (8 * n - 1);
    if (q < -lim || q >= lim) raise_fault(kDE);
    const uint32_t m = size_mask(n);
    if (n == 1) {
        c.set_reg16(EAX, uint16_t(((uint32_t(r) & 0xFF) << 8) | (uint32_t(q) & 0xFF)));
    } else {
        c.set_reg(EAX, n, uint32_t(q) & m);
        c.set_reg(EDX, n, uint32_t(r) & m);
    }
}

} // namespace

void register_muldiv(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_MUL, MUL, "muldiv");
    t.add(ZYDIS_MNEMONIC_IMUL, IMUL, "muldiv");
    t.add(ZYDIS_MNEMONIC_DIV, DIV, "muldiv");
    t.add(ZYDIS_MNEMONIC_IDIV, IDIV, "muldiv");
}

} // namespace xlat
