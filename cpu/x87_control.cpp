// x87 control instructions: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW, FLDENV, FNSTENV, FRSTOR,
// FNSAVE, FXSAVE, FXRSTOR, and the 8087/287 leftovers FENI, FDISI, FSETPM, which the 387 and
// later execute as no-ops (SDM Vol. 2A/2B under each mnemonic; the environment and save-area
// layouts in SDM Vol. 1, 8.1.10, Figures 8-9 to 8-12, and Vol. 2A, FXSAVE, Table 3-53).
//
// Zydis decodes the waiting forms (FINIT, FCLEX, FSTSW, ...) as WAIT followed by the no-wait
// form, so only the no-wait forms have rows. They do not check for pending exceptions and do
// not change the instruction and data pointers (SDM Vol. 1, 8.1.8).
#include "cpu/x87.h"

namespace xlat::x87 {

namespace {

void put16(uint8_t* b, uint32_t v) { b[0] = uint8_t(v); b[1] = uint8_t(v >> 8); }
void put32(uint8_t* b, uint32_t v) { put16(b, v); put16(b + 2, v >> 16); }
uint16_t get16(const uint8_t* b) { return uint16_t(b[0] | b[1] << 8); }
uint32_t get32(const uint8_t* b) { return get16(b) | uint32_t(get16(b + 2)) << 16; }

// The control word as stored: bit 6 reads as 1 and bits 13-15 as 0 (SDM Vol. 1, 8.1.5, Figure 8-6).
uint16_t fcw_value(uint16_t v) { return uint16_t((v & 0x1F3F) | 0x0040); }

void init(Cpu& c) {
    FpuState& f = c.s.fpu;
    f.fcw = kFcwInit;
    f.fsw = 0;
    f.ftw = 0xFFFF;
    f.fip = f.fdp = 0;
    f.fcs = f.fds = f.fop = 0;
    update_es(c);
}

// FNINIT (DB E3): the initial FPU state of SDM Vol. 2A, FINIT/FNINIT (control word 037FH, status
// 0, all tags empty, pointers 0); the registers keep their contents.
void FNINIT(Cpu& c, const Insn&) {
    if (!begin(c, false)) return;
    init(c);
}

// FNCLEX (DB E2): clears the exception flags, SF, ES and B.
void FNCLEX(Cpu& c, const Insn&) {
    if (!begin(c, false)) return;
    c.s.fpu.fsw &= uint16_t(~(kFswExceptions | FSW_SF | FSW_ES | FSW_B));
    update_es(c);
}

// FLDCW m16 (D9 /5): unmasking a flag already set makes the exception pending (SDM Vol. 2A,
// FLDCW).
void FLDCW(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    uint16_t v;
    read_mem(c, mem_ref(c, in), &v, 2, 2);
    c.s.fpu.fcw = fcw_value(v);
    update_es(c);
}

// FNSTCW m16 (D9 /7).
void FNSTCW(Cpu& c, const Insn& in) {
    if (!begin(c, false)) return;
    const MemRef m = mem_ref(c, in);
    check_write(c, m, 2, 2);
    write_mem(c, m, &c.s.fpu.fcw, 2);
}

// FNSTSW m16 (DD /7) or AX (DF E0).
void FNSTSW(Cpu& c, const Insn& in) {
    if (!begin(c, false)) return;
    const uint16_t v = c.s.fpu.fsw;
    if (!has_mem(in)) {
        c.set_reg16(EAX, v);
        return;
    }
    const MemRef m = mem_ref(c, in);
    check_write(c, m, 2, 2);
    write_mem(c, m, &v, 2);
}

// ---- environment and state images ----

bool real_format(const Cpu& c) { return c.real_mode() || c.v86(); }

// The environment, 28 bytes (32-bit operand size) or 14 (16-bit). In real and V86 mode the
// instruction and data pointers are 20/32-bit linear addresses with FOP beside them; in
// protected mode they are offsets and selectors.
unsigned store_env(const Cpu& c, uint8_t* b, bool op32) {
    const FpuState& f = c.s.fpu;
    const uint16_t ftw = full_tag_word(c);
    const bool real = real_format(c);
    const uint32_t lip = (uint32_t(f.fcs) << 4) + f.fip, ldp = (uint32_t(f.fds) << 4) + f.fdp;
    if (op32) {
        // The upper halves of the 16-bit fields are reserved; they are written as ones.
        put32(b + 0, 0xFFFF0000u | f.fcw);
        put32(b + 4, 0xFFFF0000u | f.fsw);
        put32(b + 8, 0xFFFF0000u | ftw);
        if (!real) {
            put32(b + 12, f.fip);
            put32(b + 16, f.fcs | uint32_t(f.fop & 0x7FF) << 16);
            put32(b + 20, f.fdp);
            put32(b + 24, 0xFFFF0000u | f.fds);
        } else {
            put32(b + 12, 0xFFFF0000u | (lip & 0xFFFF));
            put32(b + 16, (lip >> 16) << 12 | (f.fop & 0x7FF));
            put32(b + 20, 0xFFFF0000u | (ldp & 0xFFFF));
            put32(b + 24, (ldp >> 16) << 12);
        }
        return 28;
    }
    put16(b + 0, f.fcw);
    put16(b + 2, f.fsw);
    put16(b + 4, ftw);
    if (!real) {
        put16(b + 6, f.fip);
        put16(b + 8, f.fcs);
        put16(b + 10, f.fdp);
        put16(b + 12, f.fds);
    } else {
        put16(b + 6, lip);
        put16(b + 8, ((lip >> 16) & 0xF) << 12 | (f.fop & 0x7FF));
        put16(b + 10, ldp);
        put16(b + 12, ((ldp >> 16) & 0xF) << 12);
    }
    return 14;
}

// Loads an environment. A tag of 3 empties its register; any other value marks it in use, and
// the tag is then computed from the register's contents, as the processor keeps only
// empty/non-empty since the Pentium Pro (SDM Vol. 1, 8.1.7).
void load_env(Cpu& c, const uint8_t* b, bool op32) {
    FpuState& f = c.s.fpu;
    const bool real = real_format(c);
    uint16_t ftw;
    if (op32) {
        f.fcw = fcw_value(get16(b + 0));
        f.fsw = get16(b + 4);
        ftw = get16(b + 8);
        if (!real) {
            f.fip = get32(b + 12);
            f.fcs = get16(b + 16);
            f.fop = get16(b + 18) & 0x7FF;
            f.fdp = get32(b + 20);
            f.fds = get16(b + 24);
        } else {
            f.fip = get16(b + 12) | ((get32(b + 16) >> 12) & 0xFFFF) << 16;
            f.fop = get16(b + 16) & 0x7FF;
            f.fdp = get16(b + 20) | ((get32(b + 24) >> 12) & 0xFFFF) << 16;
            f.fcs = f.fds = 0;
        }
    } else {
        f.fcw = fcw_value(get16(b + 0));
        f.fsw = get16(b + 2);
        ftw = get16(b + 4);
        if (!real) {
            f.fip = get16(b + 6);
            f.fcs = get16(b + 8);
            f.fdp = get16(b + 10);
            f.fds = get16(b + 12);
        } else {
            f.fip = get16(b + 6) | uint32_t(get16(b + 8) >> 12) << 16;
            f.fop = get16(b + 8) & 0x7FF;
            f.fdp = get16(b + 10) | uint32_t(get16(b + 12) >> 12) << 16;
            f.fcs = f.fds = 0;
        }
    }
    for (unsigned p = 0; p < 8; ++p)
        set_tag(c, p, ((ftw >> (2 * p)) & 3) == 3 ? 3 : fp80::tag_of(f.st[p]));
    update_es(c);
}

bool op32(const Insn& in) { return in.opsize() == 4; }

// FLDENV m14/28byte (D9 /4).
void FLDENV(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    uint8_t b[28];
    const unsigned n = op32(in) ? 28 : 14;
    read_mem(c, mem_ref(c, in), b, n, op32(in) ? 4 : 2);
    load_env(c, b, op32(in));
}

// FNSTENV m14/28byte (D9 /6): then masks all exceptions (SDM Vol. 2A, FSTENV).
void FNSTENV(Cpu& c, const Insn& in) {
    if (!begin(c, false)) return;
    uint8_t b[28];
    const MemRef m = mem_ref(c, in);
    const unsigned n = op32(in) ? 28 : 14;
    check_write(c, m, n, op32(in) ? 4 : 2);
    store_env(c, b, op32(in));
    write_mem(c, m, b, n);
    c.s.fpu.fcw |= kFswExceptions;
    update_es(c);
}

// FRSTOR m94/108byte (DD /4): the environment, then ST(0)-ST(7) in stack order.
void FRSTOR(Cpu& c, const Insn& in) {
    if (!begin(c)) return;
    uint8_t b[108];
    const unsigned env = op32(in) ? 28 : 14;
    read_mem(c, mem_ref(c, in), b, env + 80, op32(in) ? 4 : 2);
    const uint16_t fsw = op32(in) ? get16(b + 4) : get16(b + 2);
    const unsigned t = (fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) {
        Float80& r = c.s.fpu.st[(t + i) & 7];
        std::memcpy(&r.mant, b + env + 10 * i, 8);
        r.sexp = get16(b + env + 10 * i + 8);
    }
    load_env(c, b, op32(in));
}

// FNSAVE m94/108byte (DD /6): stores like FRSTOR loads, then initializes like FNINIT.
void FNSAVE(Cpu& c, const Insn& in) {
    if (!begin(c, false)) return;
    uint8_t b[108];
    const MemRef m = mem_ref(c, in);
    const unsigned env = op32(in) ? 28 : 14;
    check_write(c, m, env + 80, op32(in) ? 4 : 2);
    store_env(c, b, op32(in));
    for (unsigned i = 0; i < 8; ++i) {
        const Float80 r = st(c, i);
        std::memcpy(b + env + 10 * i, &r.mant, 8);
        put16(b + env + 10 * i + 8, r.sexp);
    }
    write_mem(c, m, b, env + 80);
    init(c);
}

// ---- FXSAVE / FXRSTOR (SDM Vol. 2A, FXSAVE, Table 3-53: the 32-bit layout) ----

constexpr uint32_t kMxcsrMask = 0xFFBF;  // MXCSR bits that exist (no DAZ)
constexpr unsigned kFxArea = 512;

// The 512-byte area must be 16-byte aligned: #GP(0) otherwise (not #AC).
MemRef fx_area(Cpu& c, const Insn& in) {
    const MemRef m = mem_ref(c, in);
    if ((c.s.seg[m.sr].base + m.off) & 15) raise_fault(kGP, 0);
    return m;
}

// FXSAVE m512byte (0F AE /0). The x87 part and MXCSR; the XMM registers (bytes 160-287) do
// not exist until SSE does and are left as they are, as a Pentium II leaves them.
void FXSAVE(Cpu& c, const Insn& in) {
    if (!begin(c, false)) return;
    const MemRef m = fx_area(c, in);
    check_write(c, m, kFxArea, 16);
    const FpuState& f = c.s.fpu;
    uint8_t b[160] = {};
    put16(b + 0, f.fcw);
    put16(b + 2, f.fsw);
    uint8_t abridged = 0;  // bit p: physical register p is in use
    for (unsigned p = 0; p < 8; ++p)
        if (tag(c, p) != 3) abridged = uint8_t(abridged | 1u << p);
    b[4] = abridged;
    put16(b + 6, f.fop & 0x7FF);
    put32(b + 8, f.fip);
    put16(b + 12, f.fcs);
    put32(b + 16, f.fdp);
    put16(b + 20, f.fds);
    put32(b + 24, f.mxcsr);
    put32(b + 28, kMxcsrMask);
    for (unsigned i = 0; i < 8; ++i) {
        const Float80 r = st(c, i);
        std::memcpy(b + 32 + 16 * i, &r.mant, 8);
        put16(b + 40 + 16 * i, r.sexp);
    }
    write_mem(c, m, b, sizeof b);
}

// FXRSTOR m512byte (0F AE /1): #GP(0) for reserved MXCSR bits.
void FXRSTOR(Cpu& c, const Insn& in) {
    if (!begin(c, false)) return;
    const MemRef m = fx_area(c, in);
    uint8_t b[kFxArea];
    read_mem(c, m, b, kFxArea, 16);
    const uint32_t mxcsr = get32(b + 24);
    if (mxcsr & ~kMxcsrMask) raise_fault(kGP, 0);
    FpuState& f = c.s.fpu;
    f.fcw = fcw_value(get16(b + 0));
    f.fsw = get16(b + 2);
    f.fop = get16(b + 6) & 0x7FF;
    f.fip = get32(b + 8);
    f.fcs = get16(b + 12);
    f.fdp = get32(b + 16);
    f.fds = get16(b + 20);
    f.mxcsr = mxcsr;
    const unsigned t = top(c);
    for (unsigned i = 0; i < 8; ++i) {
        Float80& r = f.st[(t + i) & 7];
        std::memcpy(&r.mant, b + 32 + 16 * i, 8);
        r.sexp = get16(b + 40 + 16 * i);
    }
    for (unsigned p = 0; p < 8; ++p) set_tag(c, p, (b[4] >> p) & 1 ? fp80::tag_of(f.st[p]) : 3);
    update_es(c);
}

// FENI, FDISI (8087 interrupt control) and FSETPM (287 protected mode): no-ops since the 387
// (SDM Vol. 3A, chapter 22: the 387 and later treat them as FNOP); they are no-wait forms.
void FNOP_LEGACY(Cpu& c, const Insn&) {
    if (!begin(c, false)) return;
}

} // namespace

void register_x87_control(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_FNINIT, FNINIT, "x87");
    t.add(ZYDIS_MNEMONIC_FNCLEX, FNCLEX, "x87");
    t.add(ZYDIS_MNEMONIC_FLDCW, FLDCW, "x87");
    t.add(ZYDIS_MNEMONIC_FNSTCW, FNSTCW, "x87");
    t.add(ZYDIS_MNEMONIC_FNSTSW, FNSTSW, "x87");
    t.add(ZYDIS_MNEMONIC_FLDENV, FLDENV, "x87");
    t.add(ZYDIS_MNEMONIC_FNSTENV, FNSTENV, "x87");
    t.add(ZYDIS_MNEMONIC_FRSTOR, FRSTOR, "x87");
    t.add(ZYDIS_MNEMONIC_FNSAVE, FNSAVE, "x87");
    t.add(ZYDIS_MNEMONIC_FXSAVE, FXSAVE, "x87");
    t.add(ZYDIS_MNEMONIC_FXRSTOR, FXRSTOR, "x87");
    t.add(ZYDIS_MNEMONIC_FENI8087_NOP, FNOP_LEGACY, "x87");
    t.add(ZYDIS_MNEMONIC_FDISI8087_NOP, FNOP_LEGACY, "x87");
    t.add(ZYDIS_MNEMONIC_FSETPM287_NOP, FNOP_LEGACY, "x87");
}

} // namespace xlat::x87
