// Decimal adjustment: DAA DAS AAA AAS AAM AAD (SDM Vol. 2A, each under its name), and SALC.
//
// Undefined flags, and what we do (the P6 behaviour Bochs documents as measured on P6-family
// hardware; the 80286 data in ../shared/conformance masks these flags):
//  - DAA/DAS: OF cleared.
//  - AAA/AAS: OF cleared, SF ZF PF from AL after its high nibble is cleared (so SF = 0).
//  - AAM/AAD: OF AF CF cleared.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// The flags DAA/DAS/AAA/AAS compute by hand: SF ZF PF of AL, the given CF and AF, OF = 0.
void set_bcd_flags(Cpu& c, uint8_t al, bool cf, bool af) {
    c.set_arith(szp_flags(al, 1) | (cf ? CF : 0) | (af ? AF : 0));
}

// DAA: adjusts AL after adding two packed BCD bytes (SDM pseudo-code, non-64-bit mode).
void DAA(Cpu& c, const Insn&) {
    const uint8_t old_al = c.reg8(0);
    const bool old_cf = c.flag(CF);
    uint8_t al = old_al;
    bool cf = false, af = false;
    if ((al & 0x0F) > 9 || c.flag(AF)) {
        cf = old_cf || al > 0xF9;  // carry out of AL + 6
        al = uint8_t(al + 6);
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = uint8_t(al + 0x60);
        cf = true;
    } else {
        cf = false;
    }
    c.set_reg8(0, al);
    set_bcd_flags(c, al, cf, af);
}

// DAS: adjusts AL after subtracting two packed BCD bytes. Unlike DAA the second step has no
// else branch: a borrow out of AL - 6 stays in CF.
void DAS(Cpu& c, const Insn&) {
    const uint8_t old_al = c.reg8(0);
    const bool old_cf = c.flag(CF);
    uint8_t al = old_al;
    bool cf = false, af = false;
    if ((al & 0x0F) > 9 || c.flag(AF)) {
        cf = old_cf || al < 6;  // borrow out of AL - 6
        al = uint8_t(al - 6);
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = uint8_t(al - 0x60);
        cf = true;
    }
    c.set_reg8(0, al);
    set_bcd_flags(c, al, cf, af);
}

// AAA: adjusts AL after adding two unpacked BCD digits. From the 286 on (and on the P6), the
// adjustment adds 0x106 to AX as one 16-bit addition, so a carry out of AL + 6 also reaches AH
// (the 8086 added 6 to AL and 1 to AH separately). SDM pseudo-code: "AX := AX + 106H".
void AAA(Cpu& c, const Insn&) {
    uint16_t ax = c.reg16(EAX);
    const bool adjust = (ax & 0x0F) > 9 || c.flag(AF);
    if (adjust) ax = uint16_t(ax + 0x106);
    ax &= 0xFF0F;
    c.set_reg16(EAX, ax);
    set_bcd_flags(c, uint8_t(ax), adjust, adjust);
}

// AAS: adjusts AL after subtracting two unpacked BCD digits: AX - 6 (the borrow crossing from AL
// into AH), then AH - 1, i.e. AX - 0x106 as one 16-bit subtraction (SDM: "AX := AX - 6;
// AH := AH - 1").
void AAS(Cpu& c, const Insn&) {
    uint16_t ax = c.reg16(EAX);
    const bool adjust = (ax & 0x0F) > 9 || c.flag(AF);
    if (adjust) ax = uint16_t(ax - 0x106);
    ax &= 0xFF0F;
    c.set_reg16(EAX, ax);
    set_bcd_flags(c, uint8_t(ax), adjust, adjust);
}

// AAM imm8: AH = AL / imm8, AL = AL mod imm8 (any base; D4 0A is the documented one). imm8 = 0
// raises #DE before anything changes. SF ZF PF from AL.
void AAM(Cpu& c, const Insn& in) {
    const uint8_t base = uint8_t(in.imm(0));
    if (base == 0) raise_fault(kDE);
    const uint8_t al = c.reg8(0);
    const uint8_t q = uint8_t(al / base), r = uint8_t(al % base);
    c.set_reg16(EAX, uint16_t((q << 8) | r));
    c.set_arith(szp_flags(r, 1));
}

// AAD imm8: AL = (AL + AH * imm8) & 0xFF, AH = 0 (any base). SF ZF PF from AL.
void AAD(Cpu& c, const Insn& in) {
    const uint8_t base = uint8_t(in.imm(0));
    const uint8_t al = uint8_t(c.reg8(0) + c.reg8(4) * base);
    c.set_reg16(EAX, al);
    c.set_arith(szp_flags(al, 1));
}

// SALC (D6, undocumented until recent SDMs, present on every Intel CPU in 16/32-bit modes):
// AL = CF ? 0xFF : 0x00; no flag changes.
void SALC(Cpu& c, const Insn&) { c.set_reg8(0, c.flag(CF) ? 0xFF : 0x00); }

} // namespace

void register_bcd(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_DAA, DAA, "bcd");
    t.add(ZYDIS_MNEMONIC_DAS, DAS, "bcd");
    t.add(ZYDIS_MNEMONIC_AAA, AAA, "bcd");
    t.add(ZYDIS_MNEMONIC_AAS, AAS, "bcd");
    t.add(ZYDIS_MNEMONIC_AAM, AAM, "bcd");
    t.add(ZYDIS_MNEMONIC_AAD, AAD, "bcd");
    t.add(ZYDIS_MNEMONIC_SALC, SALC, "bcd");
}

} // namespace xlat
