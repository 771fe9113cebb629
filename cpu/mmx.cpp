// MMX: the 47 instructions of the Pentium II (SDM Vol. 1, chapter 9; Vol. 2 under each
// mnemonic), on the x87 registers: MMn is the significand of physical register Rn.
//
// Every MMX instruction sets TOP to 0 and (but EMMS) tags all eight registers valid; a write to
// MMn also sets the exponent and sign of Rn to all ones (SDM Vol. 3A, 12.2, Table 12-2). CR0.EM
// makes them #UD and CR0.TS #NM (SDM Vol. 3A, Table 2-2); a pending unmasked x87 exception is
// reported before one runs (SDM Vol. 3A, 12.5.1). The instruction and data pointers of the x87
// are left alone.
//
// Zydis decodes the 66-prefixed (SSE2) forms of these opcodes with the same mnemonics and XMM
// operands: those raise #UD here until SSE2 exists.
#include "cpu/x87.h"

namespace xlat {

namespace {

using x87::MemRef;

// #UD for CR0.EM (no MMX emulation trap), #NM for CR0.TS, then pending x87 exceptions. Also
// #UD for the XMM forms. Returns false when the CPU froze for FERR#.
bool begin(Cpu& c, const Insn& in) {
    for (unsigned i = 0; i < in.nops(); ++i)
        if (in.is_reg(i) && ZydisRegisterGetClass(in.regv(i)) == ZYDIS_REGCLASS_XMM) c.undefined(&in);
    if (c.s.cr0 & CR0_EM) raise_fault(kUD);
    if (c.s.cr0 & CR0_TS) raise_fault(kNM);
    return x87::check_pending(c);
}

// The x87 side effects of an MMX instruction: TOP = 0, all tags valid.
void enter_mmx(Cpu& c) {
    x87::set_top(c, 0);
    c.s.fpu.ftw = 0;
}

bool is_mm(const Insn& in, unsigned i) {
    return in.is_reg(i) && ZydisRegisterGetClass(in.regv(i)) == ZYDIS_REGCLASS_MMX;
}
unsigned mm_index(const Insn& in, unsigned i) { return unsigned(in.regv(i) - ZYDIS_REGISTER_MM0); }

uint64_t mm(const Cpu& c, unsigned n) { return c.s.fpu.st[n].mant; }
void set_mm(Cpu& c, unsigned n, uint64_t v) {
    c.s.fpu.st[n].mant = v;
    c.s.fpu.st[n].sexp = 0xFFFF;
}

// Operand i: an MMX register, or memory of the operand's size (64 or 32 bits).
uint64_t read_src(Cpu& c, const Insn& in, unsigned i) {
    if (is_mm(in, i)) return mm(c, mm_index(in, i));
    if (in.is_reg(i)) return c.get(in.regv(i));
    if (in.is_imm(i)) return in.imm(i) & 0xFF;
    const unsigned n = in.size(i);
    uint64_t v = 0;
    x87::read_mem(c, x87::mem_ref(c, in), &v, n, n);
    return v;
}

// ---- lanes ----

template <unsigned W> uint64_t lane(uint64_t v, unsigned i) { return (v >> (W * i)) & (W == 64 ? ~0ull : (1ull << W) - 1); }
template <unsigned W> int64_t slane(uint64_t v, unsigned i) {
    const uint64_t x = lane<W>(v, i);
    return W == 64 ? int64_t(x) : int64_t(x << (64 - W)) >> (64 - W);
}
template <unsigned W> uint64_t put(uint64_t v, unsigned i, uint64_t x) {
    const uint64_t m = W == 64 ? ~0ull : (1ull << W) - 1;
    return (v & ~(m << (W * i))) | ((x & m) << (W * i));
}
template <unsigned W> int64_t sat_signed(int64_t x) {
    const int64_t hi = (int64_t(1) << (W - 1)) - 1, lo = -hi - 1;
    return x > hi ? hi : x < lo ? lo : x;
}
template <unsigned W> uint64_t sat_unsigned(int64_t x) {
    const int64_t hi = (int64_t(1) << W) - 1;
    return uint64_t(x > hi ? hi : x < 0 ? 0 : x);
}

// dest = f(dest, src) lane by lane.
enum class Op { Add, AddS, AddUS, Sub, SubS, SubUS, CmpEq, CmpGt, MulLo, MulHi };

template <unsigned W, Op OP> uint64_t lanewise(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    for (unsigned i = 0; i < 64 / W; ++i) {
        const int64_t sa = slane<W>(a, i), sb = slane<W>(b, i);
        const uint64_t ua = lane<W>(a, i), ub = lane<W>(b, i);
        uint64_t x;
        switch (OP) {
        case Op::Add: x = ua + ub; break;
        case Op::AddS: x = uint64_t(sat_signed<W>(sa + sb)); break;
        case Op::AddUS: x = sat_unsigned<W>(int64_t(ua + ub)); break;
        case Op::Sub: x = ua - ub; break;
        case Op::SubS: x = uint64_t(sat_signed<W>(sa - sb)); break;
        case Op::SubUS: x = sat_unsigned<W>(int64_t(ua) - int64_t(ub)); break;
        case Op::CmpEq: x = ua == ub ? ~0ull : 0; break;
        case Op::CmpGt: x = sa > sb ? ~0ull : 0; break;
        case Op::MulLo: x = uint64_t(sa * sb); break;
        default: x = uint64_t((sa * sb) >> 16); break;
        }
        r = put<W>(r, i, x);
    }
    return r;
}

// The two-operand form mm, mm/m64: dest = f(dest, src).
template <uint64_t (*F)(uint64_t, uint64_t)> void binary(Cpu& c, const Insn& in) {
    if (!begin(c, in)) return;
    const uint64_t b = read_src(c, in, 1);
    const unsigned d = mm_index(in, 0);
    const uint64_t r = F(mm(c, d), b);
    enter_mmx(c);
    set_mm(c, d, r);
}

uint64_t pand(uint64_t a, uint64_t b) { return a & b; }
uint64_t pandn(uint64_t a, uint64_t b) { return ~a & b; }
uint64_t por(uint64_t a, uint64_t b) { return a | b; }
uint64_t pxor(uint64_t a, uint64_t b) { return a ^ b; }

// PMADDWD: pairs of signed word products added into dwords.
uint64_t pmaddwd(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    for (unsigned i = 0; i < 2; ++i) {
        const int64_t s = slane<16>(a, 2 * i) * slane<16>(b, 2 * i) + slane<16>(a, 2 * i + 1) * slane<16>(b, 2 * i + 1);
        r = put<32>(r, i, uint64_t(s));  // only 0x8000 × 0x8000 twice overflows: 0x80000000
    }
    return r;
}

// PACKSSWB, PACKSSDW, PACKUSWB: dest's lanes then src's, narrowed with saturation.
template <unsigned W, bool SIGNED> uint64_t pack(uint64_t a, uint64_t b) {
    constexpr unsigned N = 64 / W;  // source lanes per operand
    uint64_t r = 0;
    for (unsigned i = 0; i < 2 * N; ++i) {
        const int64_t x = i < N ? slane<W>(a, i) : slane<W>(b, i - N);
        r = put<W / 2>(r, i, SIGNED ? uint64_t(sat_signed<W / 2>(x)) : sat_unsigned<W / 2>(x));
    }
    return r;
}

// PUNPCKL*: interleave the low halves (the source is 32 bits from memory); PUNPCKH*: the high.
template <unsigned W, bool HIGH> uint64_t unpack(uint64_t a, uint64_t b) {
    constexpr unsigned N = 32 / W;  // lanes taken from each
    uint64_t r = 0;
    for (unsigned i = 0; i < N; ++i) {
        r = put<W>(r, 2 * i, lane<W>(a, i + (HIGH ? N : 0)));
        r = put<W>(r, 2 * i + 1, lane<W>(b, i + (HIGH ? N : 0)));
    }
    return r;
}

// Shifts by a count from mm/m64 or imm8: a count beyond the lane width gives 0 (logical) or
// the sign (arithmetic).
enum class Shift { Left, Right, Arith };
template <unsigned W, Shift S> uint64_t shift(uint64_t a, uint64_t count) {
    uint64_t r = 0;
    for (unsigned i = 0; i < 64 / W; ++i) {
        uint64_t x;
        if (S == Shift::Arith) x = uint64_t(slane<W>(a, i) >> (count >= W ? W - 1 : count));
        else if (count >= W) x = 0;
        else x = S == Shift::Left ? lane<W>(a, i) << count : lane<W>(a, i) >> count;
        r = put<W>(r, i, x);
    }
    return r;
}

// ---- moves ----

// MOVD mm, r/m32 (0F 6E): zero-extended. MOVD r/m32, mm (0F 7E): the low dword.
void MOVD(Cpu& c, const Insn& in) {
    if (!begin(c, in)) return;
    if (is_mm(in, 0)) {
        const uint32_t v = c.rd_op(in, 1);
        enter_mmx(c);
        set_mm(c, mm_index(in, 0), v);
        return;
    }
    c.wr_op(in, 0, uint32_t(mm(c, mm_index(in, 1))));
    enter_mmx(c);
}

// MOVQ mm, mm/m64 (0F 6F); MOVQ mm/m64, mm (0F 7F).
void MOVQ(Cpu& c, const Insn& in) {
    if (!begin(c, in)) return;
    if (is_mm(in, 0)) {
        const uint64_t v = read_src(c, in, 1);
        enter_mmx(c);
        set_mm(c, mm_index(in, 0), v);
        return;
    }
    const uint64_t v = mm(c, mm_index(in, 1));
    const MemRef m = x87::mem_ref(c, in);
    x87::check_write(c, m, 8, 8);
    x87::write_mem(c, m, &v, 8);
    enter_mmx(c);
}

// EMMS (0F 77): all tags empty; TOP is 0 after it too, as after every MMX instruction.
void EMMS(Cpu& c, const Insn& in) {
    if (!begin(c, in)) return;
    x87::set_top(c, 0);
    c.s.fpu.ftw = 0xFFFF;
}

} // namespace

void register_mmx(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_EMMS, EMMS, "mmx");
    t.add(ZYDIS_MNEMONIC_MOVD, MOVD, "mmx");
    t.add(ZYDIS_MNEMONIC_MOVQ, MOVQ, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDB, binary<lanewise<8, Op::Add>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDW, binary<lanewise<16, Op::Add>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDD, binary<lanewise<32, Op::Add>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDSB, binary<lanewise<8, Op::AddS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDSW, binary<lanewise<16, Op::AddS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDUSB, binary<lanewise<8, Op::AddUS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PADDUSW, binary<lanewise<16, Op::AddUS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBB, binary<lanewise<8, Op::Sub>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBW, binary<lanewise<16, Op::Sub>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBD, binary<lanewise<32, Op::Sub>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBSB, binary<lanewise<8, Op::SubS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBSW, binary<lanewise<16, Op::SubS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBUSB, binary<lanewise<8, Op::SubUS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSUBUSW, binary<lanewise<16, Op::SubUS>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PCMPEQB, binary<lanewise<8, Op::CmpEq>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PCMPEQW, binary<lanewise<16, Op::CmpEq>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PCMPEQD, binary<lanewise<32, Op::CmpEq>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PCMPGTB, binary<lanewise<8, Op::CmpGt>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PCMPGTW, binary<lanewise<16, Op::CmpGt>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PCMPGTD, binary<lanewise<32, Op::CmpGt>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PMULLW, binary<lanewise<16, Op::MulLo>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PMULHW, binary<lanewise<16, Op::MulHi>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PMADDWD, binary<pmaddwd>, "mmx");
    t.add(ZYDIS_MNEMONIC_PAND, binary<pand>, "mmx");
    t.add(ZYDIS_MNEMONIC_PANDN, binary<pandn>, "mmx");
    t.add(ZYDIS_MNEMONIC_POR, binary<por>, "mmx");
    t.add(ZYDIS_MNEMONIC_PXOR, binary<pxor>, "mmx");
    t.add(ZYDIS_MNEMONIC_PACKSSWB, binary<pack<16, true>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PACKSSDW, binary<pack<32, true>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PACKUSWB, binary<pack<16, false>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PUNPCKLBW, binary<unpack<8, false>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PUNPCKLWD, binary<unpack<16, false>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PUNPCKLDQ, binary<unpack<32, false>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PUNPCKHBW, binary<unpack<8, true>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PUNPCKHWD, binary<unpack<16, true>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PUNPCKHDQ, binary<unpack<32, true>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSLLW, binary<shift<16, Shift::Left>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSLLD, binary<shift<32, Shift::Left>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSLLQ, binary<shift<64, Shift::Left>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSRLW, binary<shift<16, Shift::Right>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSRLD, binary<shift<32, Shift::Right>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSRLQ, binary<shift<64, Shift::Right>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSRAW, binary<shift<16, Shift::Arith>>, "mmx");
    t.add(ZYDIS_MNEMONIC_PSRAD, binary<shift<32, Shift::Arith>>, "mmx");
}

} // namespace xlat
