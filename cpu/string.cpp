// String instructions: MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS (byte, word, dword) with the REP,
// REPE and REPNE prefixes (SDM Vol. 2B, MOVS/CMPS/...; Vol. 1, 7.3.9 "String Operations").
//
// The source is DS:(E)SI, or the segment override; the destination is always ES:(E)DI. The
// address size picks (E)SI, (E)DI and (E)CX; DF picks the direction. Each iteration commits its
// registers as soon as its own accesses succeeded, so that a fault in the middle of a REP loop
// leaves (E)CX, (E)SI and (E)DI counting the completed iterations, as the SDM requires (Vol. 2B,
// REP: "the registers are updated so that the instruction can be restarted"); the run loop then
// rewinds EIP to the instruction.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// Iterations of a REP loop run in one step before it yields: EIP stays on the instruction, so the
// next step resumes the loop (exactly as after an interrupt between iterations). This keeps the
// run loop responsive to interrupts, the instruction limit and the exit port.
constexpr unsigned kRepBurst = 1024;
// Debug traps come between iterations too: with TF set a REP instruction runs one iteration per
// single-step trap, and a data breakpoint traps after the iteration that hit it (SDM Vol. 3A,
// 17.3.1.2 and 17.3.1.4; EIP stays on the instruction while iterations remain).

enum class Op { MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS };

// The segment of the source operand (DS unless overridden): Zydis reports it on the memory
// operand based on (E)SI.
SegReg source_segment(const Insn& in) {
    if (in.mem.base == ZYDIS_REGISTER_SI || in.mem.base == ZYDIS_REGISTER_ESI)
        return Cpu::segreg(ZydisRegister(in.mem.segment));
    return DS;
}

// One iteration of the string operation: the accesses, then the registers it advances.
template <Op OP>
void iteration(Cpu& c, unsigned sz, unsigned asz, SegReg src) {
    const uint32_t step = c.flag(DF) ? uint32_t(0) - sz : sz;
    const uint32_t si = c.areg(ESI, asz), di = c.areg(EDI, asz);
    switch (OP) {
    case Op::MOVS: {
        uint32_t v = c.rd(src, si, sz);
        c.wr(ES, di, sz, v);
        c.set_areg(ESI, asz, si + step);
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::CMPS: {
        // CMPS compares [source] - [ES:(E)DI] (SDM: "temp <- SRC1 - SRC2", SRC1 = DS:(E)SI).
        uint32_t a = c.rd(src, si, sz);
        uint32_t b = c.rd(ES, di, sz);
        c.set_arith(sub_flags(a, b, 0, sz));
        c.set_areg(ESI, asz, si + step);
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::SCAS: {
        uint32_t b = c.rd(ES, di, sz);
        c.set_arith(sub_flags(c.reg(EAX, sz), b, 0, sz));
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::LODS: {
        uint32_t v = c.rd(src, si, sz);
        c.set_reg(EAX, sz, v);
        c.set_areg(ESI, asz, si + step);
        break;
    }
    case Op::STOS:
        c.wr(ES, di, sz, c.reg(EAX, sz));
        c.set_areg(EDI, asz, di + step);
        break;
    case Op::INS: {
        // The destination is checked before the port is read, so that a faulting write does not
        // consume device data that the restarted instruction would read again.
        c.probe_wr(ES, di, sz);
        uint32_t v = c.port_in(c.reg16(EDX), sz);
        c.wr(ES, di, sz, v);
        c.set_areg(EDI, asz, di + step);
        break;
    }
    case Op::OUTS: {
        uint32_t v = c.rd(src, si, sz);
        c.port_out(c.reg16(EDX), sz, v);
        c.set_areg(ESI, asz, si + step);
        break;
    }
    }
}

template <Op OP>
void string_op(Cpu& c, const Insn& in) {
    const unsigned sz = in.opsize(), asz = in.addrsize();
    const SegReg src = source_segment(in);
    const bool compare = OP == Op::CMPS || OP == Op::SCAS;
    if (!in.rep() && !in.repne()) {
        iteration<OP>(c, sz, asz, src);
        return;
    }
    // REP: F3 and F2 both repeat the non-comparing instructions (a P6 treats F2 as REP there);
    // for CMPS/SCAS F3 is REPE (stop when ZF = 0) and F2 is REPNE (stop when ZF = 1).
    const bool stop_on_zf = in.repne();
    const unsigned burst = c.flag(TF) ? 1 : kRepBurst;
    uint32_t count = c.areg(ECX, asz);
    for (unsigned n = 0; count != 0; ++n) {
        if (n == burst || c.debug_hits) {
            // Yield: resume the loop at this instruction. RF is set, so an interrupt taken
            // here pushes it set and the resumed loop does not hit its own instruction
            // breakpoint again (SDM Vol. 3A, 17.3.1.1).
            c.s.set_eip(c.s.insn_eip);
            c.s.eflags |= RF;
            return;
        }
        iteration<OP>(c, sz, asz, src);
        c.set_areg(ECX, asz, --count);
        if (compare && c.flag(ZF) == stop_on_zf) return;
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
