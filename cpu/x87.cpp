// The x87 FPU: what every x87 instruction shares (cpu/x87.h), WAIT/FWAIT, and the registration
// of the x87 files' rows (SDM Vol. 1, chapter 8; Vol. 2 under each mnemonic).
//
// The semantics live in x87_arith.cpp (arithmetic, compares, stack manipulation), x87_load_store
// (loads, stores and conversions), x87_control.cpp (control word, status, environment, save and
// restore) and x87_transcendental.cpp.
#include "cpu/x87.h"

namespace xlat {

void Cpu::set_ferr(bool asserted) {
    s.ferr = asserted;
    trace.log(kTraceCpu, "x87 FERR# %s%s", asserted ? "asserted" : "deasserted",
              ferr_hook ? "" : " (not wired to IRQ13 yet)");
    if (ferr_hook) ferr_hook(ferr_ctx, asserted);
}

namespace x87 {

// ---------------------------------------------------------------------------------------------
// The start of an instruction

bool check_pending(Cpu& c) {
    if (!(c.s.fpu.fsw & FSW_ES)) return true;
    if (c.s.cr0 & CR0_NE) raise_fault(kMF);  // native mode: #MF, a fault on this instruction
    // MS-DOS compatibility mode: FERR# is already asserted (update_es). With IGNNE# the
    // instruction runs; without, the CPU freezes on it until the FERR# interrupt (IRQ13) comes,
    // and runs it again after the handler returns: a halt with EIP on the instruction.
    if (c.s.ignne) return true;
    if (!c.ferr_hook) {
        c.trace.log(kTraceCpu, "x87 error pending with CR0.NE=0 at %04x:%08x: no IRQ13 yet, running as if IGNNE#",
                    c.s.seg[CS].selector, c.s.insn_eip);
        return true;
    }
    c.s.set_eip(c.s.insn_eip);
    c.s.halted = 1;
    return false;
}

bool begin(Cpu& c, bool waiting) {
    if (c.s.cr0 & (CR0_EM | CR0_TS)) raise_fault(kNM);
    return !waiting || check_pending(c);
}

// ---------------------------------------------------------------------------------------------
// The register stack

void set_tag(Cpu& c, unsigned p, unsigned t) {
    c.s.fpu.ftw = uint16_t((c.s.fpu.ftw & ~(3u << (2 * p))) | (t << (2 * p)));
}

void set_st(Cpu& c, unsigned i, Float80 v) {
    const unsigned p = phys(c, i);
    c.s.fpu.st[p] = v;
    set_tag(c, p, fp80::tag_of(v));
}

void set_top(Cpu& c, unsigned t) { c.s.fpu.fsw = uint16_t((c.s.fpu.fsw & ~FSW_TOP) | ((t & 7) << 11)); }

void push(Cpu& c, Float80 v) {
    set_top(c, top(c) - 1);
    set_st(c, 0, v);
}

void pop(Cpu& c) {
    set_tag(c, phys(c, 0), 3);
    set_top(c, top(c) + 1);
}

uint16_t full_tag_word(const Cpu& c) {
    uint16_t w = 0;
    for (unsigned p = 0; p < 8; ++p) {
        const unsigned t = tag(c, p) == 3 ? 3 : fp80::tag_of(c.s.fpu.st[p]);
        w = uint16_t(w | t << (2 * p));
    }
    return w;
}

// ---------------------------------------------------------------------------------------------
// Status

void update_es(Cpu& c) {
    uint16_t& fsw = c.s.fpu.fsw;
    const bool es = fsw & ~c.s.fpu.fcw & kFswExceptions;
    fsw = es ? uint16_t(fsw | FSW_ES | FSW_B) : uint16_t(fsw & ~(FSW_ES | FSW_B));
    const bool ferr = es && !(c.s.cr0 & CR0_NE);
    if (ferr != bool(c.s.ferr)) c.set_ferr(ferr);
}

void raise(Cpu& c, uint16_t flags) {
    if (!flags) return;
    c.s.fpu.fsw = uint16_t(c.s.fpu.fsw | (flags & (kFswExceptions | FSW_SF)));
    update_es(c);
}

fp80::Context context(const Cpu& c, bool precision_control) {
    fp80::Context ctx = fp80::Context::from_fcw(c.s.fpu.fcw);
    if (!precision_control) ctx.precision = 64;
    return ctx;
}

void finish(Cpu& c, const fp80::Context& ctx) {
    set_c1(c, ctx.rounded_up && !ctx.suppressed());
    raise(c, ctx.flags);
}

bool stack_fault(Cpu& c, bool overflow) {
    set_c1(c, overflow);
    raise(c, FSW_IE | FSW_SF);
    return c.s.fpu.fcw & FSW_IE;
}

// ---------------------------------------------------------------------------------------------
// Instruction and data pointers

bool has_mem(const Insn& in) { return in.mem.segment != ZYDIS_REGISTER_NONE; }

void note_insn(Cpu& c, const Insn& in) {
    FpuState& f = c.s.fpu;
    f.fip = c.s.insn_eip;
    f.fcs = c.s.seg[CS].selector;
    f.fop = uint16_t((in.opcode & 7) << 8 | in.modrm);
    if (has_mem(in)) {
        f.fdp = c.ea(in, 0);
        f.fds = c.s.seg[c.seg_of(in, 0)].selector;
    }
}

// ---------------------------------------------------------------------------------------------
// Memory operands

MemRef mem_ref(Cpu& c, const Insn& in) {
    if (has_mem(in)) return MemRef{c.seg_of(in, 0), c.ea(in, 0), in.addrsize() == 2};
    c.undefined(&in);
}

namespace {

// #AC(0) for an operand not aligned to `align` at CPL 3 with CR0.AM and EFLAGS.AC (SDM Vol. 3A,
// 6.15, Table 6-7: 8 for 64- and 80-bit values, 2 or 4 for the FSTENV/FSAVE areas by size).
void check_alignment(Cpu& c, uint32_t lin, unsigned align) {
    if (c.s.cpl == 3 && (lin & (align - 1)) && (c.s.eflags & AC) && (c.s.cr0 & CR0_AM)) raise_fault(kAC, 0);
}

// The access size for byte k of an n-byte operand: pieces of up to 4 bytes, never larger than
// the alignment (so that a dword access never trips #AC on a word-aligned save area).
unsigned piece(unsigned k, unsigned n, unsigned align) {
    unsigned sz = align >= 4 ? 4 : align;
    while (sz > n - k) sz >>= 1;
    return sz;
}

} // namespace

void read_mem(Cpu& c, const MemRef& m, void* out, unsigned n, unsigned align) {
    check_alignment(c, c.linear(m.sr, m.off, n, Access::Read), align);
    uint8_t* b = static_cast<uint8_t*>(out);
    for (unsigned k = 0; k < n;) {
        const unsigned sz = piece(k, n, align);
        const uint32_t v = c.rd(m.sr, m.at(k), sz);
        for (unsigned j = 0; j < sz; ++j) b[k + j] = uint8_t(v >> (8 * j));
        k += sz;
    }
}

void check_write(Cpu& c, const MemRef& m, unsigned n, unsigned align) {
    check_alignment(c, c.linear(m.sr, m.off, n, Access::Write), align);
    c.probe_wr(m.sr, m.off, n);
}

void write_mem(Cpu& c, const MemRef& m, const void* in, unsigned n) {
    const uint8_t* b = static_cast<const uint8_t*>(in);
    for (unsigned k = 0; k < n;) {
        const unsigned sz = piece(k, n, 4);
        uint32_t v = 0;
        for (unsigned j = 0; j < sz; ++j) v |= uint32_t(b[k + j]) << (8 * j);
        c.wr(m.sr, m.at(k), sz, v);
        k += sz;
    }
}

} // namespace x87

namespace {

// WAIT/FWAIT: #NM only when CR0.MP and CR0.TS are both set (SDM Vol. 3A, Table 2-2); then any
// pending unmasked x87 exception is reported (SDM Vol. 2B, WAIT/FWAIT).
void FWAIT(Cpu& c, const Insn&) {
    if ((c.s.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) raise_fault(kNM);
    (void)x87::check_pending(c);
}

} // namespace

void register_x87(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_FWAIT, FWAIT, "x87");
    x87::register_x87_arith(t);
    x87::register_x87_load_store(t);
    x87::register_x87_control(t);
    x87::register_x87_transcendental(t);
}

} // namespace xlat
