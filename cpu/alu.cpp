// Integer arithmetic and logic: ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT, and the
// exchange-and-operate forms XADD, CMPXCHG and CMPXCHG8B (SDM Vol. 2A/2B, each under its name).
//
// Every read-modify-write form probes its destination for writing before it reads anything, so
// a fault on the write side (read-only segment, page) leaves registers, memory and flags as they
// were (SDM Vol. 3A, 6.5: faults are reported before the instruction changes any state).
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// The two-operand arithmetic forms share one shape: dest = dest OP src, flags from the result.
enum class Op { Add, Adc, Sub, Sbb, Cmp, And, Or, Xor, Test };

template <Op OP> void arith(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    constexpr bool writes = OP != Op::Cmp && OP != Op::Test;
    if (writes) c.probe_op(in, 0);
    const uint32_t a = c.rd_op(in, 0), b = c.rd_op(in, 1);
    const uint32_t cf = c.flag(CF) ? 1 : 0;
    uint32_t res, f;
    switch (OP) {
    case Op::Add: res = a + b; f = add_flags(a, b, 0, n); break;
    case Op::Adc: res = a + b + cf; f = add_flags(a, b, cf, n); break;
    case Op::Sub:
    case Op::Cmp: res = a - b; f = sub_flags(a, b, 0, n); break;
    case Op::Sbb: res = a - b - cf; f = sub_flags(a, b, cf, n); break;
    case Op::And:
    case Op::Test: res = a & b; f = logic_flags(res, n); break;
    case Op::Or: res = a | b; f = logic_flags(res, n); break;
    default: res = a ^ b; f = logic_flags(res, n); break;
    }
    if (writes) c.wr_op(in, 0, res);
    c.set_arith(f);
}

// INC and DEC: like ADD/SUB 1 but CF is kept (SDM: "The CF flag is not affected").
void INC(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    c.probe_op(in, 0);
    const uint32_t a = c.rd_op(in, 0);
    c.wr_op(in, 0, a + 1);
    c.set_arith((add_flags(a, 1, 0, n) & ~CF) | (c.s.eflags & CF));
}

void DEC(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    c.probe_op(in, 0);
    const uint32_t a = c.rd_op(in, 0);
    c.wr_op(in, 0, a - 1);
    c.set_arith((sub_flags(a, 1, 0, n) & ~CF) | (c.s.eflags & CF));
}

// NEG: 0 - dest, flags as that subtraction; hence CF = (dest != 0) as the SDM states.
void NEG(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    c.probe_op(in, 0);
    const uint32_t a = c.rd_op(in, 0);
    c.wr_op(in, 0, 0u - a);
    c.set_arith(sub_flags(0, a, 0, n));
}

// NOT: no flag is affected.
void NOT(Cpu& c, const Insn& in) {
    c.probe_op(in, 0);
    c.wr_op(in, 0, ~c.rd_op(in, 0));
}

// XADD r/m, r: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. Writing SRC first makes
// XADD r, r with one register for both end with the sum, as the SDM's order implies.
void XADD(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    c.probe_op(in, 0);
    const uint32_t dest = c.rd_op(in, 0), src = c.rd_op(in, 1);
    c.wr_op(in, 1, dest);
    c.wr_op(in, 0, dest + src);
    c.set_arith(add_flags(dest, src, 0, n));
}

// CMPXCHG r/m, r: compares the accumulator (AL/AX/EAX, Zydis' hidden operand 2) with DEST, flags
// as CMP accumulator, DEST. Equal: DEST = SRC. Unequal: the accumulator receives DEST, and DEST
// is written back with its own value: "the destination operand is written back if the
// comparison fails" (SDM Vol. 2A, CMPXCHG), so a read-only destination faults either way.
void CMPXCHG(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0);
    c.probe_op(in, 0);
    const uint32_t dest = c.rd_op(in, 0), src = c.rd_op(in, 1), acc = c.rd_op(in, 2);
    const uint32_t f = sub_flags(acc, dest, 0, n);
    if (f & ZF) {
        c.wr_op(in, 0, src);
    } else {
        c.wr_op(in, 0, dest);
        c.wr_op(in, 2, dest);
    }
    c.set_arith(f);
}

// CMPXCHG8B m64: compares EDX:EAX with m64. Equal: ZF = 1, m64 = ECX:EBX. Unequal: ZF = 0,
// EDX:EAX = m64, and m64 is written back with its own value. Only ZF changes. A register
// operand is #UD (Zydis already refuses 0F C7 /1 with mod = 3; this is the backstop).
void CMPXCHG8B(Cpu& c, const Insn& in) {
    if (!in.is_mem(0)) c.undefined(&in);
    c.probe_op(in, 0);  // all 8 bytes: segment limit and both pages
    const SegReg sr = c.seg_of(in, 0);
    const uint32_t off = c.ea(in, 0);
    const uint32_t lo = c.rd32(sr, off), hi = c.rd32(sr, off + 4);
    const bool equal = lo == c.s.reg32(EAX) && hi == c.s.reg32(EDX);
    if (equal) {
        c.wr32(sr, off, c.s.reg32(EBX));
        c.wr32(sr, off + 4, c.s.reg32(ECX));
    } else {
        c.wr32(sr, off, lo);
        c.wr32(sr, off + 4, hi);
        c.s.set_reg32(EAX, lo);
        c.s.set_reg32(EDX, hi);
    }
    c.set_flag(ZF, equal);
}

} // namespace

void register_alu(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_ADD, arith<Op::Add>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_ADC, arith<Op::Adc>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_SUB, arith<Op::Sub>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_SBB, arith<Op::Sbb>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_CMP, arith<Op::Cmp>, "alu");
    t.add(ZYDIS_MNEMONIC_AND, arith<Op::And>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_OR, arith<Op::Or>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_XOR, arith<Op::Xor>, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_TEST, arith<Op::Test>, "alu");
    t.add(ZYDIS_MNEMONIC_INC, INC, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_DEC, DEC, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_NEG, NEG, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_NOT, NOT, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_XADD, XADD, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_CMPXCHG, CMPXCHG, "alu", kLockable);
    t.add(ZYDIS_MNEMONIC_CMPXCHG8B, CMPXCHG8B, "alu", kLockable);
}

} // namespace xlat
