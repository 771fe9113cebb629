// x87 transcendental instructions: FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1 (SDM Vol.
// 2A under each mnemonic). The functions are in cpu/fpu/transcendental.cpp; this file applies
// the stack and status-word rules: C2 = 1 (and nothing else) when a trigonometric operand is out
// of range (|x| >= 2^63), C1 = round-up, stack faults, the masked and unmasked responses.
#include "cpu/fpu/transcendental.h"
#include "cpu/x87.h"

namespace xlat::x87 {

namespace {

using fp80::Context;
using fp80::kIndefinite;

// FSIN (D9 FE), FCOS (D9 FF), F2XM1 (D9 F0): ST(0) = f(ST(0)).
template <int F> void unary(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (empty(c, 0)) {
        if (F != 2) c.s.fpu.fsw &= uint16_t(~FSW_C2);
        if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
        return;
    }
    Context ctx = context(c);
    Float80 r;
    bool in_range = true;
    switch (F) {
    case 0: in_range = fp80::sin(ctx, st(c, 0), r); break;
    case 1: in_range = fp80::cos(ctx, st(c, 0), r); break;
    default: r = fp80::exp2m1(ctx, st(c, 0)); break;
    }
    if (F != 2) {
        // Out of range: C2 = 1, C1 = 0, and nothing else changes.
        c.s.fpu.fsw = uint16_t(in_range ? c.s.fpu.fsw & ~FSW_C2 : (c.s.fpu.fsw | FSW_C2) & ~FSW_C1);
        if (!in_range) return;
    }
    if (!ctx.suppressed()) set_st(c, 0, r);
    finish(c, ctx);
}

// FSINCOS (D9 FB): ST(0) = sin, then push cos. FPTAN (D9 F2): ST(0) = tan, then push 1.0.
template <bool SINCOS> void push_pair(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (empty(c, 0) || !empty(c, 7)) {
        const bool overflow = !empty(c, 0);
        c.s.fpu.fsw &= uint16_t(~FSW_C2);
        if (stack_fault(c, overflow)) {
            set_st(c, 0, kIndefinite);
            push(c, kIndefinite);
        }
        return;
    }
    Context ctx = context(c);
    Float80 a, b;
    const bool in_range = SINCOS ? fp80::sincos(ctx, st(c, 0), a, b) : fp80::tan(ctx, st(c, 0), a);
    c.s.fpu.fsw = uint16_t(in_range ? c.s.fpu.fsw & ~FSW_C2 : (c.s.fpu.fsw | FSW_C2) & ~FSW_C1);
    if (!in_range) return;
    if (!SINCOS) b = fp80::is_nan(fp80::classify(a)) ? a : fp80::make(false, fp80::kBias, fp80::kIntBit);
    if (!ctx.suppressed()) {
        set_st(c, 0, a);
        push(c, b);
    }
    finish(c, ctx);
}

// FPATAN (D9 F3), FYL2X (D9 F1), FYL2XP1 (D9 F9): ST(1) = f(ST(1), ST(0)), then pop.
template <int F> void binary_pop(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (empty(c, 0) || empty(c, 1)) {
        if (stack_fault(c, false)) {
            set_st(c, 1, kIndefinite);
            pop(c);
        }
        return;
    }
    Context ctx = context(c);
    const Float80 x = st(c, 0), y = st(c, 1);
    const Float80 r = F == 0 ? fp80::atan2(ctx, y, x) : F == 1 ? fp80::ylog2x(ctx, y, x) : fp80::ylog2xp1(ctx, y, x);
    if (!ctx.suppressed()) {
        set_st(c, 1, r);
        pop(c);
    }
    finish(c, ctx);
}

} // namespace

void register_x87_transcendental(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_FSIN, unary<0>, "x87");
    t.add(ZYDIS_MNEMONIC_FCOS, unary<1>, "x87");
    t.add(ZYDIS_MNEMONIC_F2XM1, unary<2>, "x87");
    t.add(ZYDIS_MNEMONIC_FSINCOS, push_pair<true>, "x87");
    t.add(ZYDIS_MNEMONIC_FPTAN, push_pair<false>, "x87");
    t.add(ZYDIS_MNEMONIC_FPATAN, binary_pop<0>, "x87");
    t.add(ZYDIS_MNEMONIC_FYL2X, binary_pop<1>, "x87");
    t.add(ZYDIS_MNEMONIC_FYL2XP1, binary_pop<2>, "x87");
}

} // namespace xlat::x87
