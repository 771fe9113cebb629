// Stack: PUSH, POP (registers, memory, immediates, segment registers), PUSHA/PUSHAD,
// POPA/POPAD, PUSHF/PUSHFD, POPF/POPFD, ENTER, LEAVE (SDM Vol. 2B under each mnemonic).
//
// The stack pointer is SP or ESP by SS.B (Cpu::sp_mask); the operand size picks the size of each
// slot. Every multi-slot transfer works on a local stack pointer and commits it last, so a fault
// on any slot leaves ESP and the registers as they were.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

bool is_segment(const Insn& in, unsigned i) {
    return in.is_reg(i) && ZydisRegisterGetClass(in.regv(i)) == ZYDIS_REGCLASS_SEGMENT;
}

// ---- PUSH, POP ----

void PUSH(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    if (is_segment(in, 0)) {
        const uint16_t sel = c.s.seg[Cpu::segreg(in.regv(0))].selector;
        if (osz == 2) return c.push(2, sel);
        // 32-bit operand size: the stack pointer moves by 4 but only the low word is written,
        // the upper half of the slot keeps its old contents. The SDM (Vol. 2B, PUSH) allows this
        // or a zero-extended push and says recent processors do the 16-bit move; P6-family
        // processors do too (so does Bochs).
        const uint32_t m = c.sp_mask(), sp = c.s.reg32(ESP);
        const uint32_t nsp = (sp & ~m) | ((sp - 4) & m);
        c.wr(SS, nsp & m, 2, sel);
        c.set_sp(nsp);
        return;
    }
    // PUSH imm8 is sign-extended to the operand size by rd_op. PUSH ESP pushes the value before
    // the push, and an ESP-based memory operand is addressed with the old ESP too (SDM Vol. 2B,
    // PUSH): both come from reading before the push.
    const uint32_t v = c.rd_op(in, 0);
    c.push(osz, v);
}

void POP(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    uint32_t v;
    const uint32_t old_esp = c.s.reg32(ESP);
    const uint32_t sp = c.pop_at(old_esp, osz, v);
    if (is_segment(in, 0)) {
        const SegReg sr = Cpu::segreg(in.regv(0));
        if (sr == CS) raise_fault(kUD);  // POP CS does not exist (0F is the two-byte escape)
        c.load_seg(sr, uint16_t(v));
        c.set_sp(sp);
        // POP SS inhibits interrupts and debug traps until after the next instruction.
        if (sr == SS) c.s.inhibit_irq = kShadowIrq | kShadowDebug;
        return;
    }
    if (in.is_reg(0)) {
        // POP ESP/SP: the popped value wins over the increment (SDM Vol. 2B, POP).
        c.set_sp(sp);
        c.wr_op(in, 0, v);
        return;
    }
    // A memory destination based on ESP is addressed with ESP after the increment (SDM Vol. 2B,
    // POP): commit ESP first, put it back if the write faults.
    c.set_sp(sp);
    try {
        c.wr_op(in, 0, v);
    } catch (const GuestFault&) {
        c.s.set_reg32(ESP, old_esp);
        throw;
    }
}

// ---- PUSHA, POPA ----

void PUSHA(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    // Real mode: a PUSHA whose slots straddle the top of the 64 KiB stack raises #GP(0) (SDM
    // Vol. 2B, PUSHA, Real-Address Mode Exceptions: "SP contains 7, 9, 11, 13, or 15").
    if (c.real_mode() && !c.stack32()) {
        const uint16_t sp16 = c.reg16(ESP);
        if (sp16 >= 7 && sp16 <= 15 && (sp16 & 1)) raise_fault(kGP, 0);
    }
    const uint32_t original = c.s.reg32(ESP);
    uint32_t sp = original;
    for (unsigned r = EAX; r <= EDI; ++r)
        sp = c.push_at(sp, osz, r == ESP ? original : c.s.reg32(r));  // push_at truncates to osz
    c.set_sp(sp);
}

void POPA(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    uint32_t sp = c.s.reg32(ESP), v[8];
    for (int r = EDI; r >= int(EAX); --r) sp = c.pop_at(sp, osz, v[r]);
    for (unsigned r = EAX; r <= EDI; ++r)
        if (r != ESP) c.set_reg(r, osz, v[r]);  // the popped (E)SP is discarded
    c.set_sp(sp);
}

// ---- PUSHF, POPF ----

// In V86 mode with IOPL < 3, PUSHF/POPF raise #GP(0), unless CR4.VME gives them the virtual
// interrupt flag (16-bit forms only: SDM Vol. 3A, 20.3.1.1 and Vol. 2B, PUSHF/POPF).
bool v86_virtual(Cpu& c, const Insn& in) {
    if (!c.v86() || c.iopl() == 3) return false;
    if (c.virtual_if() && in.opsize() == 2) return true;
    raise_fault(kGP, 0);
}

void PUSHF(Cpu& c, const Insn& in) {
    if (v86_virtual(c, in)) {
        // The image shows VIF as IF and IOPL as 3.
        uint32_t v = (c.s.eflags & 0xFFFF & ~IF) | IOPL | ((c.s.eflags & VIF) ? IF : 0);
        c.push(2, v);
        return;
    }
    // PUSHFD clears VM and RF in the pushed image (SDM Vol. 2B, PUSHF/PUSHFD).
    c.push(in.opsize(), c.s.eflags & ~(VM | RF));
}

void POPF(Cpu& c, const Insn& in) {
    const bool virt = v86_virtual(c, in);
    const unsigned osz = in.opsize();
    uint32_t v;
    const uint32_t sp = c.pop_at(c.s.reg32(ESP), osz, v);
    if (virt) {
        // CR4.VME: a popped TF, or IF while an interrupt is pending, is #GP(0); IF goes to VIF,
        // and IF and IOPL themselves stay (SDM Vol. 2B, POPF, "VME" branch).
        if ((v & TF) || ((v & IF) && c.flag(VIP))) raise_fault(kGP, 0);
        c.write_eflags(v, 0xFFFF & ~(IF | IOPL));
        c.set_flag(VIF, v & IF);
        c.set_sp(sp);
        return;
    }
    // SDM Vol. 2B, POPF, Table 4-16: every non-reserved flag but VM, RF, VIF and VIP at CPL 0
    // (and in real mode); IOPL only at CPL 0; IF only when CPL <= IOPL (in V86 mode IOPL is 3
    // here, so IF changes and IOPL does not). A 16-bit POPF changes only the low word.
    uint32_t changeable = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | AC | ID;
    if (c.protected_mode()) {
        if (c.s.cpl != 0) changeable &= ~IOPL;
        if (c.s.cpl > c.iopl()) changeable &= ~IF;
    }
    if (osz == 2) changeable &= 0xFFFF;
    c.write_eflags(v, changeable);
    // RF ends up clear: like any instruction, POPF clears RF as it completes (SDM Vol. 2B, POPF
    // note 1).
    c.s.eflags &= ~RF;
    c.set_sp(sp);
}

// ---- ENTER, LEAVE ----

// ENTER imm16, imm8 (SDM Vol. 2B, ENTER): push (E)BP, copy nesting-1 frame pointers from the
// enclosing frame, push the new frame pointer, then allocate imm16 bytes.
void ENTER(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    const uint32_t alloc = in.imm(0) & 0xFFFF;
    const unsigned level = in.imm(1) & 31;  // nesting level MOD 32
    const uint32_t m = c.sp_mask();
    uint32_t sp = c.push_at(c.s.reg32(ESP), osz, c.s.reg32(EBP));
    const uint32_t frame = sp;
    if (level > 0) {
        // (E)BP walks the enclosing frame's display, addressed by the stack size.
        uint32_t bp = c.s.reg32(EBP);
        for (unsigned i = 1; i < level; ++i) {
            bp = (bp & ~m) | ((bp - osz) & m);
            sp = c.push_at(sp, osz, c.rd(SS, bp & m, osz));
        }
        sp = c.push_at(sp, osz, frame);
    }
    sp = (sp & ~m) | ((sp - alloc) & m);
    // The final stack pointer must address a writable slot: a P6 checks it like a write, without
    // writing (as Bochs models it); this is the #SS of the SDM's "new value of (E)SP outside the
    // stack segment limit".
    c.probe_wr(SS, sp & m, osz);
    c.set_reg(EBP, osz, frame);
    c.set_sp(sp);
}

// LEAVE: (E)SP <- (E)BP by the stack size, then pop (E)BP by the operand size.
void LEAVE(Cpu& c, const Insn& in) {
    const unsigned osz = in.opsize();
    const uint32_t m = c.sp_mask();
    uint32_t sp = (c.s.reg32(ESP) & ~m) | (c.s.reg32(EBP) & m), v;
    sp = c.pop_at(sp, osz, v);
    c.set_sp(sp);
    c.set_reg(EBP, osz, v);
}

} // namespace

void register_stack(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_PUSH, PUSH, "stack");
    t.add(ZYDIS_MNEMONIC_POP, POP, "stack");
    t.add(ZYDIS_MNEMONIC_POP, POP, "stack", kSensitive | kEndsBlock, Form::SregLoad);  // POP SS/DS/ES/FS/GS
    t.add(ZYDIS_MNEMONIC_PUSHA, PUSHA, "stack");
    t.add(ZYDIS_MNEMONIC_PUSHAD, PUSHA, "stack");
    t.add(ZYDIS_MNEMONIC_POPA, POPA, "stack");
    t.add(ZYDIS_MNEMONIC_POPAD, POPA, "stack");
    t.add(ZYDIS_MNEMONIC_PUSHF, PUSHF, "stack", kSensitive);
    t.add(ZYDIS_MNEMONIC_PUSHFD, PUSHF, "stack", kSensitive);
    // POPF may change TF, AC and IOPL, which the mode key holds.
    t.add(ZYDIS_MNEMONIC_POPF, POPF, "stack", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_POPFD, POPF, "stack", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_ENTER, ENTER, "stack");
    t.add(ZYDIS_MNEMONIC_LEAVE, LEAVE, "stack");
}

} // namespace xlat
