// x87 arithmetic, compares and register-stack instructions: FADD FSUB FSUBR FMUL FDIV FDIVR (and
// their P and I forms), FCOM FCOMP FCOMPP FICOM FICOMP FUCOM FUCOMP FUCOMPP FTST FCOMI FCOMIP
// FUCOMI FUCOMIP, FCMOVcc, FXCH, FCHS, FABS, FXAM, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM,
// FPREM1, FINCSTP, FDECSTP, FFREE, FFREEP, FNOP (SDM Vol. 2A/2B under each mnemonic).
//
// The x87 opcode map is regular (SDM Vol. 2B, Appendix A.4): D8-DF, then ModRM.reg selects the
// operation and ModRM.rm the register ST(i). The semantics read the operands from those fields
// rather than from Zydis' operand list, which orders the implicit ST(0) differently from form to
// form. For the two-operand arithmetic, reg 4 is always "ST(0) - other" and reg 5 "other -
// ST(0)" (and likewise 6 and 7 for division), whichever register receives the result: that is
// why DC E0+i is FSUBR ST(i), ST(0).
#include "cpu/x87.h"

namespace xlat::x87 {

namespace {

using fp80::Class;
using fp80::Context;
using fp80::kIndefinite;

// The memory operand of an arithmetic or compare instruction, widened to extended: D8 m32 real,
// DC m64 real, DA m32 integer, DE m16 integer. `denormal`: a denormal single or double.
Float80 read_operand(Cpu& c, const Insn& in, bool& denormal) {
    const MemRef m = mem_ref(c, in);
    denormal = false;
    switch (in.opcode) {
    case 0xD8: {
        uint32_t v;
        read_mem(c, m, &v, 4, 4);
        return fp80::extend_f32(v, denormal);
    }
    case 0xDC: {
        uint64_t v;
        read_mem(c, m, &v, 8, 8);
        return fp80::extend_f64(v, denormal);
    }
    case 0xDA: {
        uint32_t v;
        read_mem(c, m, &v, 4, 4);
        return fp80::from_int(int32_t(v));
    }
    default: {
        uint16_t v;
        read_mem(c, m, &v, 2, 2);
        return fp80::from_int(int16_t(v));
    }
    }
}

// ---- FADD FMUL FSUB FSUBR FDIV FDIVR, with their P and I forms ----

void FARITH(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    const unsigned op = modrm_reg(in), opc = in.opcode;
    const bool mem = has_mem(in);
    bool mem_denormal = false;
    Float80 y{};
    if (mem) y = read_operand(c, in, mem_denormal);
    note_insn(c, in);
    const unsigned i = mem ? 0 : modrm_rm(in);
    const unsigned dest = mem || opc == 0xD8 ? 0 : i;
    const bool pops = opc == 0xDE && !mem;
    if (empty(c, 0) || (!mem && empty(c, i))) {
        if (stack_fault(c, false)) {
            set_st(c, dest, kIndefinite);
            if (pops) pop(c);
        }
        return;
    }
    const Float80 x = st(c, 0);
    if (!mem) y = st(c, i);
    Context ctx = context(c, true);
    ctx.denormal_operand = mem_denormal;
    Float80 r;
    switch (op) {
    case 0: r = fp80::add(ctx, x, y); break;
    case 1: r = fp80::mul(ctx, x, y); break;
    case 4: r = fp80::sub(ctx, x, y); break;
    case 5: r = fp80::sub(ctx, y, x); break;
    case 6: r = fp80::div(ctx, x, y); break;
    default: r = fp80::div(ctx, y, x); break;
    }
    if (!ctx.suppressed()) {
        set_st(c, dest, r);
        if (pops) pop(c);
    }
    finish(c, ctx);
}

// ---- compares ----

// C3 C2 C0 for a compare result (SDM Vol. 2A, FCOM, Table 3-21): greater 000, less 001, equal
// 100, unordered 111.
uint16_t compare_cc(int r) {
    switch (r) {
    case -1: return FSW_C0;
    case 0: return FSW_C3;
    case 1: return 0;
    default: return FSW_C3 | FSW_C2 | FSW_C0;
    }
}

// FCOM FCOMP FCOMPP FICOM FICOMP FUCOM FUCOMP FUCOMPP FTST (and the undocumented aliases DC D0+i,
// DC D8+i, DE D0+i, which Zydis names FCOM and FCOMP).
void FCOM(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    const unsigned opc = in.opcode, reg = modrm_reg(in), rm = modrm_rm(in);
    const bool mem = has_mem(in);
    bool mem_denormal = false;
    Float80 y{};
    if (mem) y = read_operand(c, in, mem_denormal);
    note_insn(c, in);
    const bool ftst = opc == 0xD9;
    const bool quiet = !mem && (opc == 0xDD || opc == 0xDA);  // FUCOM, FUCOMP (DD E0-EF), FUCOMPP (DA E9)
    unsigned pops;
    if (mem) pops = reg == 3 ? 1 : 0;
    else if ((opc == 0xDE && rm == 1 && reg == 3) || (opc == 0xDA)) pops = 2;  // FCOMPP, FUCOMPP
    else if (ftst) pops = 0;
    else pops = (reg == 3 || reg == 5 || opc == 0xDE) ? 1 : 0;
    const unsigned i = mem || ftst ? 0 : (pops == 2 ? 1 : rm);
    // The condition codes are set even when the exception is unmasked (as the hardware does).
    if (empty(c, 0) || (!mem && !ftst && empty(c, i))) {
        const bool masked = stack_fault(c, false);
        set_cc(c, FSW_C3 | FSW_C2 | FSW_C0);
        if (masked)
            for (unsigned k = 0; k < pops; ++k) pop(c);
        return;
    }
    const Float80 x = st(c, 0);
    if (ftst) y = fp80::zero(false);
    else if (!mem) y = st(c, i);
    Context ctx = context(c);
    ctx.denormal_operand = mem_denormal;
    const int r = fp80::compare(ctx, x, y, quiet);
    set_cc(c, compare_cc(r));
    if (!ctx.suppressed())  // an unmasked invalid or denormal operand: no pop
        for (unsigned k = 0; k < pops; ++k) pop(c);
    raise(c, ctx.flags);
}

// FCOMI FCOMIP FUCOMI FUCOMIP: the result in ZF, PF, CF; OF, SF, AF cleared (SDM Vol. 2A, FCOMI).
void FCOMI(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    const unsigned i = modrm_rm(in);
    const bool quiet = modrm_reg(in) == 5;  // DB E8+i, DF E8+i
    const bool pops = in.opcode == 0xDF;
    auto set_flags = [&](int r) {
        uint32_t f = r == -1 ? CF : r == 0 ? ZF : r == 2 ? (ZF | PF | CF) : 0;
        c.set_arith(f);
    };
    // As with FCOM, the flags are set even when the exception is unmasked; C1 is left alone
    // unless the stack underflows (as the hardware does).
    if (empty(c, 0) || empty(c, i)) {
        const bool masked = stack_fault(c, false);
        set_flags(2);
        if (masked && pops) pop(c);
        return;
    }
    Context ctx = context(c);
    const int r = fp80::compare(ctx, st(c, 0), st(c, i), quiet);
    set_flags(r);
    if (!ctx.suppressed() && pops) pop(c);
    raise(c, ctx.flags);
}

// FCMOVcc ST(0), ST(i): DA C0-DF B E BE U, DB C0-DF NB NE NBE NU (SDM Vol. 2A, FCMOVcc).
void FCMOV(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    const unsigned i = modrm_rm(in);
    static const uint8_t cc[4] = {0x2, 0x4, 0x6, 0xA};  // Jcc condition codes: B, E, BE, P
    bool take = c.cond(cc[modrm_reg(in) & 3]);
    if (in.opcode == 0xDB) take = !take;
    if (empty(c, 0) || empty(c, i)) {
        if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
        return;
    }
    if (take) set_st(c, 0, st(c, i));
}

// FXCH ST(i) (and the aliases DD C8+i, DF C8+i): an empty operand is a stack underflow, and
// the masked response exchanges with the indefinite (SDM Vol. 2A, FXCH).
void FXCH(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    const unsigned i = modrm_rm(in);
    set_c1(c, false);
    if (empty(c, 0) || empty(c, i)) {
        if (!stack_fault(c, false)) return;
        if (empty(c, 0)) set_st(c, 0, kIndefinite);
        if (empty(c, i)) set_st(c, i, kIndefinite);
    }
    const Float80 t = st(c, 0);
    set_st(c, 0, st(c, i));
    set_st(c, i, t);
}

// ---- one-operand instructions on ST(0) ----

// Checks ST(0) for a stack underflow; false when there is none. The masked response puts the
// indefinite in ST(0).
bool st0_underflow(Cpu& c) {
    if (!empty(c, 0)) return false;
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return true;
}

// FCHS, FABS: the sign bit only, whatever the value, no exception but the stack fault.
void FCHS(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (st0_underflow(c)) return;
    set_c1(c, false);
    set_st(c, 0, fp80::negate(st(c, 0)));
}

void FABS(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (st0_underflow(c)) return;
    set_c1(c, false);
    set_st(c, 0, fp80::abs(st(c, 0)));
}

// FXAM: the class of ST(0) in C3 C2 C0, its sign in C1 (SDM Vol. 2A, FXAM, Table 3-49). An
// empty register is a class of its own, not a stack fault.
void FXAM(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    const Float80 x = st(c, 0);
    uint16_t cc = fp80::sign(x) ? FSW_C1 : 0;
    if (empty(c, 0)) {
        cc |= FSW_C3 | FSW_C0;
    } else {
        switch (fp80::classify(x)) {
        case Class::Unsupported: break;
        case Class::QNaN:
        case Class::SNaN: cc |= FSW_C0; break;
        case Class::Normal: cc |= FSW_C2; break;
        case Class::Infinity: cc |= FSW_C2 | FSW_C0; break;
        case Class::Zero: cc |= FSW_C3; break;
        case Class::Denormal:
        case Class::PseudoDenormal: cc |= FSW_C3 | FSW_C2; break;
        }
    }
    set_cc(c, cc);
}

// FSQRT (precision control applies) and FRNDINT: ST(0) = f(ST(0)).
template <bool SQRT> void unary(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (st0_underflow(c)) return;
    Context ctx = context(c, SQRT);
    const Float80 r = SQRT ? fp80::sqrt(ctx, st(c, 0)) : fp80::round_to_int(ctx, st(c, 0));
    if (!ctx.suppressed()) set_st(c, 0, r);
    finish(c, ctx);
}

// Checks ST(0) and ST(1) for a stack underflow; the masked response puts the indefinite in
// ST(0).
bool st01_underflow(Cpu& c) {
    if (!empty(c, 0) && !empty(c, 1)) return false;
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return true;
}

// FSCALE: ST(0) = ST(0) × 2^trunc(ST(1)).
void FSCALE(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (st01_underflow(c)) return;
    Context ctx = context(c);
    const Float80 r = fp80::scale(ctx, st(c, 0), st(c, 1));
    if (!ctx.suppressed()) set_st(c, 0, r);
    finish(c, ctx);
}

// FPREM, FPREM1: ST(0) = partial remainder of ST(0) / ST(1); C2 = incomplete, C0 C3 C1 = the
// low three quotient bits Q2 Q1 Q0.
template <bool IEEE> void FPREM(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (empty(c, 0) || empty(c, 1)) c.s.fpu.fsw &= uint16_t(~FSW_C2);  // as the hardware does
    if (st01_underflow(c)) return;
    Context ctx = context(c);
    unsigned q;
    bool partial;
    const Float80 r = fp80::remainder(ctx, st(c, 0), st(c, 1), IEEE, q, partial);
    if (!ctx.suppressed()) set_st(c, 0, r);
    if (ctx.suppressed() || q == fp80::kNoQuotient) {
        // No quotient: C2 and C1 are cleared, C0 and C3 kept (as the hardware does).
        c.s.fpu.fsw &= uint16_t(~(FSW_C2 | FSW_C1));
    } else {
        set_cc(c, uint16_t((partial ? FSW_C2 : 0) | ((q & 4) ? FSW_C0 : 0) | ((q & 2) ? FSW_C3 : 0) |
                           ((q & 1) ? FSW_C1 : 0)));
    }
    raise(c, ctx.flags);
}

// FXTRACT: ST(0) = exponent of ST(0), then push its significand (SDM Vol. 2A, FXTRACT).
void FXTRACT(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    if (empty(c, 0)) {
        if (stack_fault(c, false)) {
            set_st(c, 0, kIndefinite);
            push(c, kIndefinite);
        }
        return;
    }
    if (!empty(c, 7)) {
        if (stack_fault(c, true)) {
            set_st(c, 0, kIndefinite);
            push(c, kIndefinite);
        }
        return;
    }
    Context ctx = context(c);
    Float80 e, s;
    fp80::extract(ctx, st(c, 0), e, s);
    if (!ctx.suppressed()) {
        set_st(c, 0, e);
        push(c, s);
    }
    finish(c, ctx);
}

// ---- the stack itself ----

void FINCSTP(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    set_c1(c, false);
    set_top(c, top(c) + 1);
}

void FDECSTP(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    set_c1(c, false);
    set_top(c, top(c) - 1);
}

// FFREE ST(i) tags it empty; FFREEP (DF C0+i, undocumented) also pops.
void FFREE(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
    set_c1(c, false);  // C0-C3 are undefined; the hardware clears C1
    set_tag(c, phys(c, modrm_rm(in)), 3);
    if (in.opcode == 0xDF) pop(c);
}

void FNOP(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    note_insn(c, in);
}

} // namespace

void register_x87_arith(InsnTable& t) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FIADD, ZYDIS_MNEMONIC_FMUL,
                            ZYDIS_MNEMONIC_FMULP, ZYDIS_MNEMONIC_FIMUL, ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FSUBP,
                            ZYDIS_MNEMONIC_FISUB, ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FSUBRP, ZYDIS_MNEMONIC_FISUBR,
                            ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FDIVP, ZYDIS_MNEMONIC_FIDIV, ZYDIS_MNEMONIC_FDIVR,
                            ZYDIS_MNEMONIC_FDIVRP, ZYDIS_MNEMONIC_FIDIVR})
        t.add(m, FARITH, "x87");
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FCOM, ZYDIS_MNEMONIC_FCOMP, ZYDIS_MNEMONIC_FCOMPP, ZYDIS_MNEMONIC_FICOM,
                            ZYDIS_MNEMONIC_FICOMP, ZYDIS_MNEMONIC_FUCOM, ZYDIS_MNEMONIC_FUCOMP, ZYDIS_MNEMONIC_FUCOMPP,
                            ZYDIS_MNEMONIC_FTST})
        t.add(m, FCOM, "x87");
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FCOMI, ZYDIS_MNEMONIC_FCOMIP, ZYDIS_MNEMONIC_FUCOMI, ZYDIS_MNEMONIC_FUCOMIP})
        t.add(m, FCOMI, "x87");
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FCMOVB, ZYDIS_MNEMONIC_FCMOVE, ZYDIS_MNEMONIC_FCMOVBE, ZYDIS_MNEMONIC_FCMOVU,
                            ZYDIS_MNEMONIC_FCMOVNB, ZYDIS_MNEMONIC_FCMOVNE, ZYDIS_MNEMONIC_FCMOVNBE, ZYDIS_MNEMONIC_FCMOVNU})
        t.add(m, FCMOV, "x87");
    t.add(ZYDIS_MNEMONIC_FXCH, FXCH, "x87");
    t.add(ZYDIS_MNEMONIC_FCHS, FCHS, "x87");
    t.add(ZYDIS_MNEMONIC_FABS, FABS, "x87");
    t.add(ZYDIS_MNEMONIC_FXAM, FXAM, "x87");
    t.add(ZYDIS_MNEMONIC_FSQRT, unary<true>, "x87");
    t.add(ZYDIS_MNEMONIC_FRNDINT, unary<false>, "x87");
    t.add(ZYDIS_MNEMONIC_FSCALE, FSCALE, "x87");
    t.add(ZYDIS_MNEMONIC_FPREM, FPREM<false>, "x87");
    t.add(ZYDIS_MNEMONIC_FPREM1, FPREM<true>, "x87");
    t.add(ZYDIS_MNEMONIC_FXTRACT, FXTRACT, "x87");
    t.add(ZYDIS_MNEMONIC_FINCSTP, FINCSTP, "x87");
    t.add(ZYDIS_MNEMONIC_FDECSTP, FDECSTP, "x87");
    t.add(ZYDIS_MNEMONIC_FFREE, FFREE, "x87");
    t.add(ZYDIS_MNEMONIC_FFREEP, FFREE, "x87");
    t.add(ZYDIS_MNEMONIC_FNOP, FNOP, "x87");
}

} // namespace xlat::x87
