// Data movement: MOV, MOV Sreg, MOVZX/MOVSX, XCHG, LEA, CMOVcc, SETcc, BSWAP, XLAT,
// CBW/CWDE/CWD/CDQ, LAHF/SAHF, LDS/LES/LFS/LGS/LSS, NOP.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

void MOV(Cpu& c, const Insn& in) { c.wr_op(in, 0, c.rd_op(in, 1)); }

// MOV Sreg, r/m16 and MOV r/m, Sreg (SDM Vol. 2B, MOV).
void MOV_Sreg(Cpu& c, const Insn& in) {
    if (in.is_reg(0) && ZydisRegisterGetClass(in.regv(0)) == ZYDIS_REGCLASS_SEGMENT) {
        SegReg sr = Cpu::segreg(in.regv(0));
        if (sr == CS) c.undefined(&in);  // MOV CS is invalid (#UD)
        c.load_seg(sr, uint16_t(c.rd_op(in, 1)));
        // MOV SS inhibits interrupts and debug traps until after the next instruction.
        if (sr == SS) c.s.inhibit_irq = kShadowIrq | kShadowDebug;
        return;
    }
    uint16_t sel = c.s.seg[Cpu::segreg(in.regv(1))].selector;
    if (in.is_reg(0)) {
        // A register destination of 32 bits receives the selector zero-extended (P6 and later).
        ZydisRegister r = in.regv(0);
        if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) c.s.set_reg32(r - ZYDIS_REGISTER_EAX, sel);
        else c.set(r, sel);
    } else {
        c.wr(c.seg_of(in, 0), c.ea(in, 0), 2, sel);  // memory destination: always 16 bits
    }
}

void MOVZX(Cpu& c, const Insn& in) { c.wr_op(in, 0, c.rd_op(in, 1)); }
void MOVSX(Cpu& c, const Insn& in) { c.wr_op(in, 0, uint32_t(sext(c.rd_op(in, 1), in.size(1)))); }

void XCHG(Cpu& c, const Insn& in) {
    // A memory operand is written first: if it faults the register is untouched.
    c.probe_op(in, 0);
    c.probe_op(in, 1);
    uint32_t a = c.rd_op(in, 0), b = c.rd_op(in, 1);
    if (in.is_mem(0)) { c.wr_op(in, 0, b); c.wr_op(in, 1, a); }
    else { c.wr_op(in, 1, a); c.wr_op(in, 0, b); }
}

void LEA(Cpu& c, const Insn& in) {
    if (!in.is_mem(1)) c.undefined(&in);  // LEA with a register operand is #UD
    c.wr_op(in, 0, c.ea(in, 1));          // truncated to the operand size by wr_op
}

void CMOVcc(Cpu& c, const Insn& in) {
    uint32_t v = c.rd_op(in, 1);  // the source is read (and may fault) whatever the condition
    if (c.cond(in.opcode & 0xF)) c.wr_op(in, 0, v);
}

void SETcc(Cpu& c, const Insn& in) { c.wr_op(in, 0, c.cond(in.opcode & 0xF) ? 1 : 0); }

void BSWAP(Cpu& c, const Insn& in) {
    // With a 16-bit operand the result is undefined; P6-family processors clear the register
    // (as QEMU and Bochs do).
    if (in.size(0) == 2) { c.wr_op(in, 0, 0); return; }
    c.wr_op(in, 0, __builtin_bswap32(c.rd_op(in, 0)));
}

void XLAT(Cpu& c, const Insn& in) {
    // AL = [seg:(E)BX + AL], seg DS unless overridden.
    SegReg sr = in.mem.segment ? Cpu::segreg(ZydisRegister(in.mem.segment)) : DS;
    uint32_t off = c.areg(EBX, in.addrsize()) + c.reg8(0);
    if (in.addrsize() == 2) off &= 0xFFFF;
    c.set_reg8(0, c.rd8(sr, off));
}

void CBW(Cpu& c, const Insn&) { c.set_reg16(EAX, uint16_t(int16_t(int8_t(c.reg8(0))))); }
void CWDE(Cpu& c, const Insn&) { c.s.set_reg32(EAX, uint32_t(int32_t(int16_t(c.reg16(EAX))))); }
void CWD(Cpu& c, const Insn&) { c.set_reg16(EDX, (c.reg16(EAX) & 0x8000) ? 0xFFFF : 0); }
void CDQ(Cpu& c, const Insn&) { c.s.set_reg32(EDX, (c.s.reg32(EAX) & 0x80000000u) ? 0xFFFFFFFFu : 0); }

// LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. SAHF: the reverse.
void LAHF(Cpu& c, const Insn&) { c.set_reg8(4, uint8_t((c.s.eflags & 0xD5) | FIXED1)); }
void SAHF(Cpu& c, const Insn&) {
    const uint32_t m = SF | ZF | AF | PF | CF;
    c.s.eflags = (c.s.eflags & ~m) | (c.reg8(4) & m);
}

// LDS/LES/LFS/LGS/LSS r, m16:16 / m16:32: offset first, then selector.
template <SegReg SR> void Lseg(Cpu& c, const Insn& in) {
    if (!in.is_mem(1)) c.undefined(&in);
    unsigned osz = in.size(0);
    SegReg sr = c.seg_of(in, 1);
    uint32_t off = c.ea(in, 1);
    // The whole pointer is checked against the limit before either half is read.
    c.linear(sr, off, osz + 2, Access::Read);
    uint32_t ptr = c.rd(sr, off, osz);
    uint16_t sel = c.rd16(sr, in.addrsize() == 2 ? (off + osz) & 0xFFFF : off + osz);
    c.load_seg(SR, sel);
    if (SR == SS) c.s.inhibit_irq = 0;  // LSS does not inhibit interrupts (only MOV/POP SS)
    c.wr_op(in, 0, ptr);
}

void NOP(Cpu&, const Insn&) {}

} // namespace

void register_move(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_MOV, MOV, "move");
    t.add(ZYDIS_MNEMONIC_MOV, MOV_Sreg, "move", 0, Form::Sreg);
    // Loading a segment register changes CS.D/SS.B or the flatness of the mode key (cpu/mode.h).
    t.add(ZYDIS_MNEMONIC_MOV, MOV_Sreg, "move", kSensitive | kEndsBlock, Form::SregLoad);
    t.add(ZYDIS_MNEMONIC_MOVZX, MOVZX, "move");
    t.add(ZYDIS_MNEMONIC_MOVSX, MOVSX, "move");
    t.add(ZYDIS_MNEMONIC_XCHG, XCHG, "move", kLockable);
    t.add(ZYDIS_MNEMONIC_LEA, LEA, "move");
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
                            ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
                            ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
                            ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE})
        t.add(m, CMOVcc, "move");
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
                            ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
                            ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
                            ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE})
        t.add(m, SETcc, "move");
    t.add(ZYDIS_MNEMONIC_BSWAP, BSWAP, "move");
    t.add(ZYDIS_MNEMONIC_XLAT, XLAT, "move");
    t.add(ZYDIS_MNEMONIC_CBW, CBW, "move");
    t.add(ZYDIS_MNEMONIC_CWDE, CWDE, "move");
    t.add(ZYDIS_MNEMONIC_CWD, CWD, "move");
    t.add(ZYDIS_MNEMONIC_CDQ, CDQ, "move");
    t.add(ZYDIS_MNEMONIC_LAHF, LAHF, "move");
    t.add(ZYDIS_MNEMONIC_SAHF, SAHF, "move");
    t.add(ZYDIS_MNEMONIC_LDS, Lseg<DS>, "move", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_LES, Lseg<ES>, "move", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_LFS, Lseg<FS>, "move", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_LGS, Lseg<GS>, "move", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_LSS, Lseg<SS>, "move", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_NOP, NOP, "move");
}

} // namespace xlat
