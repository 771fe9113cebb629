// Control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ, INT n, INT3, INTO,
// INT1 (ICEBP), IRET/IRETD, and BOUND (SDM Vol. 2A/2B under each mnemonic).
//
// Near targets are checked against the CS limit by Cpu::jump_near before anything is committed;
// pushes and pops work on a local stack pointer that is committed last. With a 16-bit operand
// size EIP is masked to 16 bits (SDM Vol. 2A, JMP: "tempEIP AND 0000FFFFH"). Far transfers go
// through Cpu::far_jmp, far_call, far_ret and iret (cpu/transfer.cpp), which apply the rules of
// every mode: code segments, call gates, task gates, privilege changes, V86 mode.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// EIP + rel of a relative branch (rel8, rel16 or rel32), truncated to the operand size.
uint32_t relative_target(const Insn& in) {
    return (in.next_eip + in.imm(0)) & size_mask(in.opsize());
}

// The far pointer m16:16 or m16:32 of operand i: offset first, then selector (SDM Vol. 2A, JMP).
// The whole pointer is checked against the segment limit before either half is read.
void read_far_pointer(Cpu& c, const Insn& in, unsigned i, uint16_t& sel, uint32_t& off) {
    if (!in.is_mem(i)) raise_fault(kUD);  // FF /3 and FF /5 with a register operand are invalid
    const unsigned osz = in.opsize();
    const SegReg sr = c.seg_of(in, i);
    const uint32_t ea = c.ea(in, i);
    c.linear(sr, ea, osz + 2, Access::Read);
    off = c.rd(sr, ea, osz);
    sel = c.rd16(sr, in.addrsize() == 2 ? (ea + osz) & 0xFFFF : ea + osz);
}

// The target of a far JMP or CALL: a direct ptr16:16/ptr16:32 or an indirect m16:16/m16:32.
void far_operand(Cpu& c, const Insn& in, uint16_t& sel, uint32_t& off) {
    if (in.is_ptr(0)) {
        sel = in.reg[0];
        off = in.val[0] & size_mask(in.opsize());
    } else {
        read_far_pointer(c, in, 0, sel, off);
    }
}

bool is_far(const Insn& in) { return in.far(); }

// The target of an indirect near JMP or CALL (r/m16 or r/m32: already the operand size).
uint32_t indirect_target(Cpu& c, const Insn& in) {
    // Zydis reads a last 3E prefix on an indirect near branch as CET's NOTRACK and drops it as a
    // segment override; a P6 knows no CET, so it is a DS override (it matters with a BP base).
    if (in.is_mem(0) && (in.attrs & kAttrNotrack)) return c.rd(DS, c.ea(in, 0), in.size(0));
    return c.rd_op(in, 0);
}

// ---- JMP, Jcc ----

void JMP(Cpu& c, const Insn& in) {
    if (is_far(in)) {
        uint16_t sel;
        uint32_t off;
        far_operand(c, in, sel, off);
        c.far_jmp(sel, off, in.opsize(), in.next_eip);
        return;
    }
    if (in.is_imm(0)) return c.jump_near(relative_target(in));
    c.jump_near(indirect_target(c, in));
}

void Jcc(Cpu& c, const Insn& in) {
    if (c.cond(in.opcode & 0xF)) c.jump_near(relative_target(in));
}

// ---- CALL, RET ----

void CALL(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    if (is_far(in)) {
        // The pointer is read before anything is pushed (an ESP-based operand sees the old ESP).
        // far_call pushes CS zero-extended to the operand size ("padded with 16 high-order
        // bits"), then the return offset.
        uint16_t sel;
        uint32_t off;
        far_operand(c, in, sel, off);
        c.far_call(sel, off, osz, in.next_eip);
        return;
    }
    // Near: the target is checked before the push; a faulting push leaves EIP to the run loop.
    c.jump_near(in.is_imm(0) ? relative_target(in) : indirect_target(c, in));
    c.set_sp(c.push_at(c.s.reg32(ESP), osz, in.next_eip));
}

// RET and RET imm16: the immediate releases that many more bytes of stack.
void RET(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    const uint16_t release = in.nops() ? uint16_t(in.imm(0)) : 0;
    if (is_far(in)) return c.far_ret(osz, release);
    uint32_t off;
    uint32_t sp = c.pop_at(c.s.reg32(ESP), osz, off);
    c.jump_near(off);  // pop_at returns only osz bytes: already masked
    const uint32_t m = c.sp_mask();
    c.set_sp((sp & ~m) | ((sp + release) & m));
}

// ---- LOOP, JCXZ ----

// LOOP, LOOPE, LOOPNE: the address size picks CX or ECX (SDM Vol. 2A, LOOP/LOOPcc). The count is
// committed after the jump succeeded, so a target beyond the CS limit leaves it unchanged.
template <int ZF_WANTED>  // -1: LOOP, 1: LOOPE, 0: LOOPNE
void LOOPcc(Cpu& c, const Insn& in) {
    const unsigned asz = in.addrsize();
    const uint32_t count = (c.areg(ECX, asz) - 1) & size_mask(asz);
    bool take = count != 0 && (ZF_WANTED < 0 || c.flag(ZF) == bool(ZF_WANTED));
    if (take) c.jump_near(relative_target(in));
    c.set_areg(ECX, asz, count);
}

// JCXZ (address size 16) and JECXZ (address size 32).
void JCXZ(Cpu& c, const Insn& in) {
    if (c.areg(ECX, in.addrsize()) == 0) c.jump_near(relative_target(in));
}

// ---- interrupts ----

// INT n (SDM Vol. 2A, INT n/INTO/INT3/INT1). In V86 mode with CR4.VME the TSS's interrupt
// redirection bitmap may send it to the V86 task's own IVT; otherwise, with IOPL < 3, it
// raises #GP(0).
void INT(Cpu& c, const Insn& in) {
    const uint8_t vec = uint8_t(in.imm(0));
    if (c.v86() && (c.s.cr4 & CR4_VME) && c.v86_redirected(vec)) return c.v86_interrupt(vec, in.next_eip);
    if (c.v86() && c.iopl() < 3) raise_fault(kGP, 0);
    c.interrupt(vec, IntSource::Software, in.next_eip);
}

// INT3 and INTO are not IOPL-sensitive in V86 mode (SDM Vol. 3A, 20.3.1.1).
void INT3(Cpu& c, const Insn& in) { c.interrupt(kBP, IntSource::Software, in.next_eip); }

void INTO(Cpu& c, const Insn& in) {
    if (c.flag(OF)) c.interrupt(kOF, IntSource::Software, in.next_eip);
}

// INT1 (F1, ICEBP): a #DB delivered like a hardware exception (no gate DPL check), returning
// after the instruction (SDM Vol. 2A, INT1).
void INT1(Cpu& c, const Insn& in) { c.interrupt(kDB, IntSource::Icebp, in.next_eip); }

// IRET/IRETD (SDM Vol. 2A, IRET/IRETD): Cpu::iret covers real mode, V86 mode (IOPL 3, or
// CR4.VME's virtual interrupt flag), nested task returns (NT), same- and outer-level returns and
// returns to V86 mode.
void IRET(Cpu& c, const Insn& in) { c.iret(in.opsize()); }

// BOUND r16, m16&16 / r32, m32&32: #BR when the signed index lies outside [lower, upper]
// (SDM Vol. 2A, BOUND). A register second operand is #UD.
void BOUND(Cpu& c, const Insn& in) {
    if (!in.is_mem(1)) raise_fault(kUD);  // invalid form (Zydis does not decode it either)
    const unsigned osz = in.opsize();
    const SegReg sr = c.seg_of(in, 1);
    const uint32_t ea = c.ea(in, 1);
    c.linear(sr, ea, 2 * osz, Access::Read);
    int32_t lower = sext(c.rd(sr, ea, osz), osz);
    int32_t upper = sext(c.rd(sr, in.addrsize() == 2 ? (ea + osz) & 0xFFFF : ea + osz, osz), osz);
    int32_t index = sext(c.rd_op(in, 0), osz);
    if (index < lower || index > upper) raise_fault(kBR);
}

} // namespace

void register_control(InsnTable& t) {
    const uint16_t f = kEndsBlock;
    t.add(ZYDIS_MNEMONIC_JMP, JMP, "control", f);
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
                            ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
                            ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
                            ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE})
        t.add(m, Jcc, "control", f);
    t.add(ZYDIS_MNEMONIC_CALL, CALL, "control", f);
    t.add(ZYDIS_MNEMONIC_RET, RET, "control", f);
    t.add(ZYDIS_MNEMONIC_LOOP, LOOPcc<-1>, "control", f);
    t.add(ZYDIS_MNEMONIC_LOOPE, LOOPcc<1>, "control", f);
    t.add(ZYDIS_MNEMONIC_LOOPNE, LOOPcc<0>, "control", f);
    t.add(ZYDIS_MNEMONIC_JCXZ, JCXZ, "control", f);
    t.add(ZYDIS_MNEMONIC_JECXZ, JCXZ, "control", f);
    t.add(ZYDIS_MNEMONIC_INT, INT, "control", f | kSensitive);
    t.add(ZYDIS_MNEMONIC_INT3, INT3, "control", f);
    t.add(ZYDIS_MNEMONIC_INTO, INTO, "control", f);
    t.add(ZYDIS_MNEMONIC_INT1, INT1, "control", f);
    t.add(ZYDIS_MNEMONIC_IRET, IRET, "control", f | kSensitive);
    t.add(ZYDIS_MNEMONIC_IRETD, IRET, "control", f | kSensitive);
    t.add(ZYDIS_MNEMONIC_BOUND, BOUND, "control");
}

} // namespace xlat
