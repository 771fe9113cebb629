// x87 loads, stores and conversions: FLD FST FSTP (32/64/80-bit real and registers), FILD FIST
// FISTP (16/32/64-bit integers), FBLD FBSTP (18-digit packed BCD), and the constants FLD1 FLDZ
// FLDPI FLDL2E FLDL2T FLDLG2 FLDLN2 (SDM Vol. 2A under each mnemonic).
//
// Memory is read, or checked for writing, before anything in the FPU changes, so that a fault
// leaves the FPU as it was. A push onto a non-empty ST(7) is a stack overflow, a store of an
// empty ST(0) a stack underflow (SDM Vol. 1, 8.5.1.1): masked, they push or store the indefinite.
#include "cpu/x87.h"

namespace xlat::x87 {

namespace {

using fp80::Context;
using fp80::kIndefinite;

// Pushes v after checking for a stack overflow (C1 = 1, masked: the indefinite is pushed). With
// `ctx`, an unmasked invalid operation of the conversion pushes nothing.
void push_checked(Cpu& c, Float80 v, const Context* ctx = nullptr) {
    if (!empty(c, 7)) {
        if (stack_fault(c, true)) push(c, kIndefinite);
        return;
    }
    set_c1(c, false);
    if (ctx) {
        raise(c, ctx->flags);
        if (ctx->flags & ~ctx->masks & fp80::kInvalid) return;
    }
    push(c, v);
}

Float80 read80(Cpu& c, const MemRef& m) {
    uint8_t b[10];
    read_mem(c, m, b, 10, 8);
    Float80 v;
    std::memcpy(&v.mant, b, 8);
    v.sexp = uint16_t(b[8] | b[9] << 8);
    return v;
}

void write80(Cpu& c, const MemRef& m, Float80 v) {
    uint8_t b[10];
    std::memcpy(b, &v.mant, 8);
    b[8] = uint8_t(v.sexp);
    b[9] = uint8_t(v.sexp >> 8);
    write_mem(c, m, b, 10);
}

// FLD m32real (D9 /0), m64real (DD /0), m80real (DB /5), ST(i) (D9 C0+i).
void FLD(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    Context ctx = context(c);
    Float80 v{};
    const bool mem = has_mem(in);
    if (mem) {
        const MemRef m = mem_ref(c, in);
        if (in.opcode == 0xD9) {
            uint32_t x;
            read_mem(c, m, &x, 4, 4);
            v = fp80::from_f32(ctx, x);
        } else if (in.opcode == 0xDD) {
            uint64_t x;
            read_mem(c, m, &x, 8, 8);
            v = fp80::from_f64(ctx, x);
        } else {
            v = read80(c, m);  // copied as it is: no exception, even for an SNaN
        }
    }
    note_insn(c, in);
    if (!mem) {
        const unsigned i = modrm_rm(in);
        if (empty(c, i)) {
            // An empty source is a stack underflow (it takes precedence over an overflow); the
            // masked response pushes the indefinite.
            if (stack_fault(c, false)) push(c, kIndefinite);
            return;
        }
        v = st(c, i);
    }
    push_checked(c, v, &ctx);
}

// FILD m16int (DF /0), m32int (DB /0), m64int (DF /5): exact.
void FILD(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    const MemRef m = mem_ref(c, in);
    int64_t v;
    if (in.opcode == 0xDB) {
        int32_t x;
        read_mem(c, m, &x, 4, 4);
        v = x;
    } else if (modrm_reg(in) == 5) {
        read_mem(c, m, &v, 8, 8);
    } else {
        int16_t x;
        read_mem(c, m, &x, 2, 2);
        v = x;
    }
    note_insn(c, in);
    push_checked(c, fp80::from_int(v));
}

// FBLD m80bcd (DF /4).
void FBLD(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    uint8_t b[10];
    read_mem(c, mem_ref(c, in), b, 10, 8);
    note_insn(c, in);
    push_checked(c, fp80::from_bcd(b));
}

// The constants, rounded as the rounding control says (SDM Vol. 1, 8.3.8): the significand
// truncated to 64 bits, and whether the bits beyond are above one half (nearest rounds up).
struct Constant {
    uint16_t sexp;
    uint64_t mant;
    bool inexact;
    bool above_half;
};

template <int K> void FLDCONST(Cpu& c, const Insn& in) {
    static const Constant k[] = {
        {0x3FFF, 0x8000000000000000ull, false, false},  // FLD1
        {0x4000, 0xD49A784BCD1B8AFEull, true, false},   // FLDL2T: log2(10)
        {0x3FFF, 0xB8AA3B295C17F0BBull, true, true},    // FLDL2E: log2(e)
        {0x4000, 0xC90FDAA22168C234ull, true, true},    // FLDPI
        {0x3FFD, 0x9A209A84FBCFF798ull, true, true},    // FLDLG2: log10(2)
        {0x3FFE, 0xB17217F7D1CF79ABull, true, true},    // FLDLN2: ln(2)
        {0x0000, 0x0000000000000000ull, false, false},  // FLDZ
    };
    if (!begin(c)) return;
    note_insn(c, in);
    const Constant& v = k[K];
    const auto rc = fp80::Rounding((c.s.fpu.fcw >> 10) & 3);
    const bool up = v.inexact && (rc == fp80::Rounding::Up || (rc == fp80::Rounding::Nearest && v.above_half));
    push_checked(c, Float80{v.mant + (up ? 1 : 0), v.sexp});
}

// The store forms share this: ST(0) is empty (stack underflow; true when the masked response
// must be stored), or not.
bool st0_empty(Cpu& c, bool& store_indefinite) {
    store_indefinite = false;
    if (!empty(c, 0)) return false;
    store_indefinite = stack_fault(c, false);
    return true;
}

// FST/FSTP m32real (D9 /2 /3), m64real (DD /2 /3), FSTP m80real (DB /7), FST ST(i) (DD D0+i),
// FSTP ST(i) (DD D8+i and the aliases D9 D8+i, DF D0+i, DF D8+i).
void FST(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    const unsigned opc = in.opcode, reg = modrm_reg(in);
    const bool mem = has_mem(in);
    const unsigned size = !mem ? 0 : opc == 0xD9 ? 4 : opc == 0xDD ? 8 : 10;
    const bool pops = mem ? (reg == 3 || reg == 7) : !(opc == 0xDD && reg == 2);
    MemRef m{};
    if (mem) {
        m = mem_ref(c, in);
        check_write(c, m, size, size == 4 ? 4 : 8);
    }
    note_insn(c, in);
    const unsigned i = modrm_rm(in);
    // The undocumented FSTP1 (D9 D8+i, which Zydis calls FSTPNCE) takes an empty ST(0) without
    // a stack fault: it only pops (as the hardware does).
    if (!mem && opc == 0xD9 && empty(c, 0)) {
        set_c1(c, false);
        pop(c);
        return;
    }
    bool indefinite;
    if (st0_empty(c, indefinite)) {
        if (!indefinite) return;
        if (size == 4) { const uint32_t v = 0xFFC00000u; write_mem(c, m, &v, 4); }
        else if (size == 8) { const uint64_t v = 0xFFF8000000000000ull; write_mem(c, m, &v, 8); }
        else if (size == 10) write80(c, m, kIndefinite);
        else set_st(c, i, kIndefinite);
        if (pops) pop(c);
        return;
    }
    const Float80 x = st(c, 0);
    if (size == 4 || size == 8) {
        Context ctx = context(c);
        uint64_t v = size == 4 ? fp80::to_f32(ctx, x) : fp80::to_f64(ctx, x);
        // Unmasked invalid, overflow or underflow: nothing is stored and nothing popped.
        if (!(ctx.flags & ~ctx.masks & (fp80::kInvalid | fp80::kOverflow | fp80::kUnderflow))) {
            write_mem(c, m, &v, size);
            if (pops) pop(c);
        }
        finish(c, ctx);
        return;
    }
    set_c1(c, false);
    if (size == 10) write80(c, m, x);
    else set_st(c, i, x);
    if (pops) pop(c);
}

// FIST m16int (DF /2), m32int (DB /2); FISTP m16int (DF /3), m32int (DB /3), m64int (DF /7).
void FIST(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    const unsigned reg = modrm_reg(in);
    const unsigned size = in.opcode == 0xDB ? 4 : reg == 7 ? 8 : 2;
    const bool pops = reg != 2;
    const MemRef m = mem_ref(c, in);
    check_write(c, m, size, size);
    note_insn(c, in);
    bool indefinite;
    int64_t v;
    if (st0_empty(c, indefinite)) {
        if (!indefinite) return;
        v = int64_t(~uint64_t(0) << (8 * size - 1));  // the integer indefinite
        write_mem(c, m, &v, size);
        if (pops) pop(c);
        return;
    }
    Context ctx = context(c);
    v = fp80::to_int(ctx, st(c, 0), 8 * size);
    if (!ctx.suppressed()) {
        write_mem(c, m, &v, size);
        if (pops) pop(c);
    }
    finish(c, ctx);
}

// FBSTP m80bcd (DF /6).
void FBSTP(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    const MemRef m = mem_ref(c, in);
    check_write(c, m, 10, 8);
    note_insn(c, in);
    uint8_t b[10];
    bool indefinite;
    if (st0_empty(c, indefinite)) {
        if (!indefinite) return;
        Context ctx = context(c);
        fp80::to_bcd(ctx, kIndefinite, b);  // the packed BCD indefinite
        write_mem(c, m, b, 10);
        pop(c);
        return;
    }
    Context ctx = context(c);
    fp80::to_bcd(ctx, st(c, 0), b);
    if (!ctx.suppressed()) {
        write_mem(c, m, b, 10);
        pop(c);
    }
    finish(c, ctx);
}

// FISTTP (DF /1, DB /1, DD /1) came with SSE3: on a P6 it is an undefined x87 opcode, which
// raises #NM like any x87 opcode while CR0.EM or CR0.TS is set, and #UD otherwise (SDM Vol. 3A,
// chapter 22, "x87 FPU Error Signals"). It stays counted as unimplemented.
void FISTTP(Cpu& c, const Insn& in) {
    if (c.s.cr0 & (CR0_EM | CR0_TS)) raise_fault(kNM);
    c.undefined(&in);
}

} // namespace

void register_x87_load_store(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_FLD, FLD, "x87");
    t.add(ZYDIS_MNEMONIC_FILD, FILD, "x87");
    t.add(ZYDIS_MNEMONIC_FBLD, FBLD, "x87");
    t.add(ZYDIS_MNEMONIC_FLD1, FLDCONST<0>, "x87");
    t.add(ZYDIS_MNEMONIC_FLDL2T, FLDCONST<1>, "x87");
    t.add(ZYDIS_MNEMONIC_FLDL2E, FLDCONST<2>, "x87");
    t.add(ZYDIS_MNEMONIC_FLDPI, FLDCONST<3>, "x87");
    t.add(ZYDIS_MNEMONIC_FLDLG2, FLDCONST<4>, "x87");
    t.add(ZYDIS_MNEMONIC_FLDLN2, FLDCONST<5>, "x87");
    t.add(ZYDIS_MNEMONIC_FLDZ, FLDCONST<6>, "x87");
    t.add(ZYDIS_MNEMONIC_FST, FST, "x87");
    t.add(ZYDIS_MNEMONIC_FSTP, FST, "x87");
    t.add(ZYDIS_MNEMONIC_FSTPNCE, FST, "x87");
    t.add(ZYDIS_MNEMONIC_FIST, FIST, "x87");
    t.add(ZYDIS_MNEMONIC_FISTP, FIST, "x87");
    t.add(ZYDIS_MNEMONIC_FBSTP, FBSTP, "x87");
    t.add(ZYDIS_MNEMONIC_FISTTP, FISTTP, "x87");
}

} // namespace xlat::x87
