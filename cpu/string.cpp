// String instructions: MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS (byte, word, dword) with the REP,
// REPE and REPNE prefixes (SDM Vol. 2B, MOVS/CMPS/...; Vol. 1, 7.3.9 "String Operations").
//
// The source is DS:(E)SI, or the segment override; the destination is always ES:(E)DI. The
// address size picks (E)SI, (E)DI and (E)CX; DF picks the direction. Each iteration commits its
// registers as soon as its own accesses succeeded, so that a fault in the middle of a REP loop
// leaves (E)CX, (E)SI and (E)DI counting the completed iterations, as the SDM requires (Vol. 2B,
// REP: "the registers are updated so that the instruction can be restarted"); the run loop then
// rewinds EIP to the instruction. Each iteration counts as one instruction (see kRepBurst).
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// A REP instruction counts one instruction per iteration toward icount and the executor's budget
// (--max-insns), as QEMU's icount does, whatever ECX holds: 4 G iterations are 4 G instructions.
// It stops between two iterations, with EIP still on the instruction so that the next step
// resumes it exactly as after a hardware interrupt taken between iterations (SDM Vol. 2B, REP:
// "the registers are updated so that the instruction can be restarted"), when:
//   - the budget is spent (Cpu::icount_end), so a limit stops inside a long REP at its count;
//   - the exit request has a bit it must act on (docs/runloop.md): a stop, a due timer, another
//     thread; an interrupt request only while one could be taken (IF or NMI);
//   - kRepBurst iterations ran in this step: the interpreter loop looks at INTR and NMI between
//     instructions, so a long REP goes back to it now and then (without counting for it);
//   - a debug trap is due: with TF set a REP instruction runs one iteration per single-step trap,
//     and a data breakpoint traps after the iteration that hit it (SDM Vol. 3A, 17.3.1.2 and
//     17.3.1.4; EIP stays on the instruction while iterations remain).
constexpr unsigned kRepBurst = 1024;

enum class Op { MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS };

// The segment of the source operand (DS unless overridden): Zydis reports it on the memory
// operand based on (E)SI.
SegReg source_segment(const Insn& in) {
    if (in.mem.base == ZYDIS_REGISTER_SI || in.mem.base == ZYDIS_REGISTER_ESI)
        return Cpu::segreg(ZydisRegister(in.mem.segment));
    return DS;
}

// The memory accesses of a string instruction. A REP instruction keeps, per operand, the
// translation of the page it walks through (Mmu::PageRun), so a run of elements inside one page
// is translated once, not once per element nor once per yield, also where the TLB cannot hold
// the page (MMIO or nothing behind the address). The segment checks stay per element. With an
// armed data breakpoint or possible alignment checking every access takes Cpu::rd/wr, which
// check those.
struct StringMem {
    Cpu& c;
    bool runs;  // use the page runs below
    // DS:(E)SI reads, ES:(E)DI reads and writes; kept in the Mmu so that they outlast the yields
    // of a long REP.
    Mmu::PageRun &src, &dst_read, &dst_write;

    StringMem(Cpu& cpu, bool rep)
        : c(cpu), runs(rep && !(cpu.s.dr[7] & 0xFF) && !cpu.data_watched() && !(cpu.s.eflags & AC)), src(cpu.mmu.string_runs[0]),
          dst_read(cpu.mmu.string_runs[1]), dst_write(cpu.mmu.string_runs[2]) {}

    uint32_t read(SegReg sr, uint32_t off, unsigned sz, Mmu::PageRun& run) {
        if (!runs) return c.rd(sr, off, sz);
        return c.mmu.read_run(run, c.linear(sr, off, sz, Access::Read), sz, c.user());
    }
    void write(uint32_t off, unsigned sz, uint32_t v) {
        if (!runs) return c.wr(ES, off, sz, v);
        c.mmu.write_run(dst_write, c.linear(ES, off, sz, Access::Write), sz, v, c.user());
    }
    void probe_write(uint32_t off, unsigned sz) {
        if (!runs) return c.probe_wr(ES, off, sz);
        c.mmu.probe_run(dst_write, c.linear(ES, off, sz, Access::Write), sz, c.user());
    }
};

// One iteration of the string operation: the accesses, then the registers it advances.
template <Op OP>
void iteration(Cpu& c, StringMem& m, unsigned sz, unsigned asz, SegReg src) {
    const uint32_t step = c.flag(DF) ? uint32_t(0) - sz : sz;
    const uint32_t si = c.areg(ESI, asz), di = c.areg(EDI, asz);
    switch (OP) {
    case Op::MOVS: {
        uint32_t v = m.read(src, si, sz, m.src);
        m.write(di, sz, v);
        c.set_areg(ESI, asz, si + step);
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::CMPS: {
        // CMPS compares [source] - [ES:(E)DI] (SDM: "temp <- SRC1 - SRC2", SRC1 = DS:(E)SI).
        uint32_t a = m.read(src, si, sz, m.src);
        uint32_t b = m.read(ES, di, sz, m.dst_read);
        c.set_arith(sub_flags(a, b, 0, sz));
        c.set_areg(ESI, asz, si + step);
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::SCAS: {
        uint32_t b = m.read(ES, di, sz, m.dst_read);
        c.set_arith(sub_flags(c.reg(EAX, sz), b, 0, sz));
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::LODS: {
        uint32_t v = m.read(src, si, sz, m.src);
        c.set_reg(EAX, sz, v);
        c.set_areg(ESI, asz, si + step);
        break;
    }
    case Op::STOS:
        m.write(di, sz, c.reg(EAX, sz));
        c.set_areg(EDI, asz, di + step);
        break;
    case Op::INS: {
        // The destination is checked before the port is read, so that a faulting write does not
        // consume device data that the restarted instruction would read again.
        m.probe_write(di, sz);
        uint32_t v = c.port_in(c.reg16(EDX), sz);
        m.write(di, sz, v);
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::OUTS: {
        uint32_t v = m.read(src, si, sz, m.src);
        c.port_out(c.reg16(EDX), sz, v);
        c.set_areg(ESI, asz, si + step);
        break;
    }
    }
}

// True when a REP instruction must stop before its next iteration (see kRepBurst above).
bool rep_must_yield(Cpu& c, unsigned done_in_step) {
    if (c.s.icount + 1 >= c.icount_end) return true;  // the next iteration would pass the budget
    if (done_in_step >= kRepBurst || c.debug_hits || c.flag(TF)) return true;
    // The debugger's single step and watchpoints stop between iterations, as TF and DR7 do.
    if (c.debugger_armed() && (c.debugger.single_step || c.debugger.hit != DebugStops::Hit::None)) return true;
    const uint32_t req = c.exit_request.load(std::memory_order_relaxed);
    // kExitCode (translated code written, the JIT's) ends a block after the current
    // instruction; a REP always ends its block, and goes on as the interpreter's would.
    if (req & ~(Cpu::kExitIrq | Cpu::kExitCode)) return true;
    // Only for an interrupt that can be taken now: kExitIrq may stay set after the window
    // opened with nothing waiting any more.
    return (req & Cpu::kExitIrq) && ((c.s.nmi_pending && !c.s.nmi_blocked) ||
                                     (c.flag(IF) && c.intr_source && c.intr_source->intr()));
}

template <Op OP>
void string_op(Cpu& c, const Insn& in) {
    const unsigned sz = in.opsize(), asz = in.addrsize();
    const SegReg src = source_segment(in);
    const bool compare = OP == Op::CMPS || OP == Op::SCAS;
    if (!in.rep() && !in.repne()) {
        StringMem m(c, false);
        iteration<OP>(c, m, sz, asz, src);
        return;
    }
    // REP: F3 and F2 both repeat the non-comparing instructions (a P6 treats F2 as REP there);
    // for CMPS/SCAS F3 is REPE (stop when ZF = 0) and F2 is REPNE (stop when ZF = 1).
    const bool stop_on_zf = in.repne();
    uint32_t count = c.areg(ECX, asz);
    if (count == 0) return;  // no iteration; the instruction still counts one
    StringMem m(c, true);
    // Each iteration commits its registers as soon as its own accesses succeeded, so a fault in
    // iteration n leaves ECX, ESI and EDI as n - 1 completed iterations left them. The run loop
    // counts the step that ends (completed, yielding or faulting) as one; this loop counts each
    // further iteration it starts.
    for (unsigned n = 1;; ++n) {
        iteration<OP>(c, m, sz, asz, src);
        c.set_areg(ECX, asz, --count);
        if (count == 0 || (compare && c.flag(ZF) == stop_on_zf)) return;
        if (rep_must_yield(c, n)) {
            // Resume the loop at this instruction. RF is set, so an interrupt taken here pushes
            // it set and the resumed loop does not hit its own instruction breakpoint again
            // (SDM Vol. 3A, 17.3.1.1).
            c.s.set_eip(c.s.insn_eip);
            c.s.eflags |= RF;
            return;
        }
        ++c.s.icount;
    }
}

// MOVSD and CMPSD are also SSE2 mnemonics (F2 0F 10, F2 0F C2); those forms have explicit
// operands, the string forms have none. The SSE forms are not implemented yet: #UD.
template <Op OP>
void string_or_sse(Cpu& c, const Insn& in) {
    if (in.nops() != 0) c.undefined(&in);
    string_op<OP>(c, in);
}

} // namespace

void register_string(InsnTable& t) {
    const uint16_t f = kString;
    t.add(ZYDIS_MNEMONIC_MOVSB, string_op<Op::MOVS>, "string", f);
    t.add(ZYDIS_MNEMONIC_MOVSW, string_op<Op::MOVS>, "string", f);
    t.add(ZYDIS_MNEMONIC_MOVSD, string_or_sse<Op::MOVS>, "string", f);
    t.add(ZYDIS_MNEMONIC_CMPSB, string_op<Op::CMPS>, "string", f);
    t.add(ZYDIS_MNEMONIC_CMPSW, string_op<Op::CMPS>, "string", f);
    t.add(ZYDIS_MNEMONIC_CMPSD, string_or_sse<Op::CMPS>, "string", f);
    t.add(ZYDIS_MNEMONIC_SCASB, string_op<Op::SCAS>, "string", f);
    t.add(ZYDIS_MNEMONIC_SCASW, string_op<Op::SCAS>, "string", f);
    t.add(ZYDIS_MNEMONIC_SCASD, string_op<Op::SCAS>, "string", f);
    t.add(ZYDIS_MNEMONIC_LODSB, string_op<Op::LODS>, "string", f);
    t.add(ZYDIS_MNEMONIC_LODSW, string_op<Op::LODS>, "string", f);
    t.add(ZYDIS_MNEMONIC_LODSD, string_op<Op::LODS>, "string", f);
    t.add(ZYDIS_MNEMONIC_STOSB, string_op<Op::STOS>, "string", f);
    t.add(ZYDIS_MNEMONIC_STOSW, string_op<Op::STOS>, "string", f);
    t.add(ZYDIS_MNEMONIC_STOSD, string_op<Op::STOS>, "string", f);
    // INS/OUTS read or write ports: IOPL and the I/O bitmap apply (kSensitive).
    t.add(ZYDIS_MNEMONIC_INSB, string_op<Op::INS>, "string", f | kSensitive);
    t.add(ZYDIS_MNEMONIC_INSW, string_op<Op::INS>, "string", f | kSensitive);
    t.add(ZYDIS_MNEMONIC_INSD, string_op<Op::INS>, "string", f | kSensitive);
    t.add(ZYDIS_MNEMONIC_OUTSB, string_op<Op::OUTS>, "string", f | kSensitive | kEndsBlock);  // as OUT
    t.add(ZYDIS_MNEMONIC_OUTSW, string_op<Op::OUTS>, "string", f | kSensitive | kEndsBlock);  // as OUT
    t.add(ZYDIS_MNEMONIC_OUTSD, string_op<Op::OUTS>, "string", f | kSensitive | kEndsBlock);  // as OUT
}

} // namespace xlat
