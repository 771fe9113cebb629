// Far transfers: JMP, CALL, RET and IRET across segments, privilege levels, gates and tasks
// (SDM Vol. 2A JMP and CALL, Vol. 2B RET and IRET, Vol. 3A 5.8 and chapter 7).
#include <array>

#include "cpu/cpu.h"
#include "cpu/descriptor.h"
#include "cpu/segment.h"

namespace xlat {

namespace {

bool rpl_dpl_allow_gate(const Descriptor& gate, uint16_t sel, unsigned cpl) {
    return gate.dpl() >= cpl && gate.dpl() >= (sel & 3u);
}

} // namespace

void Cpu::load_cs(uint16_t sel, Descriptor& d, unsigned cpl) {
    set_accessed(*this, sel, d);  // the one step here that can fault (a #PF on the table)
    s.seg[CS] = d.cache(sel);
    s.seg[CS].selector = uint16_t((sel & ~3u) | cpl);
    s.cpl = uint8_t(cpl);
    seg_changed(CS);
}

void Cpu::inner_stack(unsigned dpl, uint16_t& ss, uint32_t& esp) {
    const unsigned type = s.tr.attr & 0xF;
    const uint16_t err = s.tr.selector & 0xFFFC;
    if (type == kTss32Avail || type == kTss32Busy) {
        uint32_t off = 4 + 8 * dpl;
        if (off + 5 > s.tr.limit) raise_fault(kTS, err);
        esp = sys_rd(s.tr.base + off, 4);
        ss = uint16_t(sys_rd(s.tr.base + off + 4, 2));
    } else {
        uint32_t off = 2 + 4 * dpl;
        if (off + 3 > s.tr.limit) raise_fault(kTS, err);
        esp = sys_rd(s.tr.base + off, 2);
        ss = uint16_t(sys_rd(s.tr.base + off + 2, 2));
    }
}

void Cpu::check_direct_code(uint16_t sel, const Descriptor& d) {
    // SDM Vol. 2A, JMP and CALL: a conforming segment needs DPL <= CPL; a non-conforming one
    // RPL <= CPL and DPL = CPL. The privilege level never changes.
    const uint16_t err = sel & 0xFFFC;
    if (!d.code() || (d.conforming() ? d.dpl() > s.cpl : ((sel & 3u) > s.cpl || d.dpl() != s.cpl)))
        raise_fault(kGP, err);
    if (!d.present()) raise_fault(kNP, err);
}

Descriptor Cpu::check_return_cs(uint16_t sel) {
    // SDM Vol. 2B, RET and IRET: the return CS may not be more privileged than CPL.
    const uint16_t err = sel & 0xFFFC;
    const unsigned rpl = sel & 3u;
    if (err == 0) raise_fault(kGP, 0);
    Descriptor d = read_descriptor(*this, sel, kGP);
    if (!d.code() || rpl < s.cpl) raise_fault(kGP, err);
    if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) raise_fault(kGP, err);
    if (!d.present()) raise_fault(kNP, err);
    return d;
}

SegmentCache Cpu::check_outer_ss(uint16_t ss, unsigned rpl) {
    const uint16_t err = ss & 0xFFFC;
    if (err == 0) raise_fault(kGP, 0);
    if ((ss & 3u) != rpl) raise_fault(kGP, err);
    Descriptor d = read_descriptor(*this, ss, kGP);
    if (!d.writable() || d.dpl() != rpl) raise_fault(kGP, err);
    if (!d.present()) raise_fault(kSS, err);
    set_accessed(*this, ss, d);
    return d.cache(ss);
}

SegmentCache Cpu::check_new_ss(uint16_t ss, unsigned dpl, uint8_t vec) {
    const uint16_t err = ss & 0xFFFC;
    if (err == 0) raise_fault(vec, 0);
    if ((ss & 3u) != dpl) raise_fault(vec, err);
    Descriptor d = read_descriptor(*this, ss, vec);
    if (d.dpl() != dpl || !d.writable()) raise_fault(vec, err);
    if (!d.present()) raise_fault(kSS, err);
    set_accessed(*this, ss, d);
    return d.cache(ss);
}

void Cpu::null_inaccessible_segments() {
    // SDM Vol. 2B, RET: data and non-conforming code segments more privileged than the new CPL
    // are made unusable, so the outer level cannot keep using them.
    for (SegReg sr : {ES, DS, FS, GS}) {
        const SegmentCache& c = s.seg[sr];
        bool conforming_code = (c.attr & (SEG_CODE | SEG_DC)) == (SEG_CODE | SEG_DC);
        unsigned dpl = (c.attr >> SEG_DPL_SHIFT) & 3;
        if ((c.attr & SEG_P) && !conforming_code && dpl < s.cpl) {
            s.seg[sr] = SegmentCache{0, 0, 0, 0};
            seg_changed(sr);
        }
    }
}

// ---------------------------------------------------------------------------------------------

void Cpu::far_jmp(uint16_t sel, uint32_t off, unsigned osz, uint32_t ret_eip) {
    (void)osz;
    if (!protected_mode() || v86()) {
        // Real and V86 mode: the target offset is checked against the CS limit.
        if (off > s.seg[CS].limit) raise_fault(kGP, 0);
        load_seg_real(CS, sel);
        s.set_eip(off);
        return;
    }
    const uint16_t err = sel & 0xFFFC;
    if (err == 0) raise_fault(kGP, 0);
    Descriptor d = read_descriptor(*this, sel, kGP);
    if (!d.system()) {
        check_direct_code(sel, d);
        if (off > d.limit()) raise_fault(kGP, 0);
        load_cs(sel, d, s.cpl);
        s.set_eip(off);
        return;
    }
    switch (d.type()) {
    case kCallGate16:
    case kCallGate32: {
        if (!rpl_dpl_allow_gate(d, sel, s.cpl)) raise_fault(kGP, err);
        if (!d.present()) raise_fault(kNP, err);
        const uint16_t csel = d.gate_selector(), cerr = csel & 0xFFFC;
        if (cerr == 0) raise_fault(kGP, 0);
        Descriptor cd = read_descriptor(*this, csel, kGP);
        // A JMP through a call gate never changes privilege.
        if (!cd.code() || (cd.conforming() ? cd.dpl() > s.cpl : cd.dpl() != s.cpl)) raise_fault(kGP, cerr);
        if (!cd.present()) raise_fault(kNP, cerr);
        uint32_t target = d.type() == kCallGate32 ? d.gate_offset() : d.gate_offset() & 0xFFFF;
        if (target > cd.limit()) raise_fault(kGP, 0);
        load_cs(csel, cd, s.cpl);
        s.set_eip(target);
        return;
    }
    case kTaskGate:
    case kTss16Avail:
    case kTss32Avail:
        if (!rpl_dpl_allow_gate(d, sel, s.cpl)) raise_fault(kGP, err);
        if (!d.present()) raise_fault(kNP, err);
        return task_switch(d.type() == kTaskGate ? d.gate_selector() : sel, TaskSwitch::Jmp, ret_eip);
    default:
        raise_fault(kGP, err);
    }
}

void Cpu::far_call(uint16_t sel, uint32_t off, unsigned osz, uint32_t ret_eip) {
    if (!protected_mode() || v86()) {
        // Real and V86 mode: push CS and the return offset, then jump.
        if (off > s.seg[CS].limit) raise_fault(kGP, 0);
        uint32_t sp = s.reg32(ESP);
        sp = push_at(sp, osz, s.seg[CS].selector);
        sp = push_at(sp, osz, ret_eip);
        set_sp(sp);
        load_seg_real(CS, sel);
        s.set_eip(off);
        return;
    }
    const uint16_t err = sel & 0xFFFC;
    if (err == 0) raise_fault(kGP, 0);
    Descriptor d = read_descriptor(*this, sel, kGP);
    if (!d.system()) {
        // Direct call to a code segment at the same privilege.
        check_direct_code(sel, d);
        if (off > d.limit()) raise_fault(kGP, 0);
        uint32_t sp = s.reg32(ESP);
        sp = push_at(sp, osz, s.seg[CS].selector);
        sp = push_at(sp, osz, ret_eip);
        set_sp(sp);
        load_cs(sel, d, s.cpl);
        s.set_eip(off);
        return;
    }
    switch (d.type()) {
    case kCallGate16:
    case kCallGate32: break;
    case kTaskGate:
    case kTss16Avail:
    case kTss32Avail:
        if (!rpl_dpl_allow_gate(d, sel, s.cpl)) raise_fault(kGP, err);
        if (!d.present()) raise_fault(kNP, err);
        return task_switch(d.type() == kTaskGate ? d.gate_selector() : sel, TaskSwitch::Call, ret_eip);
    default:
        raise_fault(kGP, err);
    }
    // Call gate (SDM Vol. 3A, 5.8.5).
    if (!rpl_dpl_allow_gate(d, sel, s.cpl)) raise_fault(kGP, err);
    if (!d.present()) raise_fault(kNP, err);
    const uint16_t csel = d.gate_selector(), cerr = csel & 0xFFFC;
    if (cerr == 0) raise_fault(kGP, 0);
    Descriptor cd = read_descriptor(*this, csel, kGP);
    if (!cd.code() || cd.dpl() > s.cpl) raise_fault(kGP, cerr);
    if (!cd.present()) raise_fault(kNP, cerr);
    const bool gate32 = d.type() == kCallGate32;
    const unsigned gsz = gate32 ? 4 : 2;
    const uint32_t target = gate32 ? d.gate_offset() : d.gate_offset() & 0xFFFF;

    if (!cd.conforming() && cd.dpl() < s.cpl) {
        // To a more privileged level: switch to the inner stack from the TSS and copy the
        // gate's parameter count of words or dwords from the caller's stack.
        const unsigned dpl = cd.dpl();
        uint16_t nss;
        uint32_t nesp;
        inner_stack(dpl, nss, nesp);
        SegmentCache ssc = check_new_ss(nss, dpl, kTS);
        const unsigned nparams = d.gate_params();
        std::array<uint32_t, 32> params{};
        const uint32_t old_esp = s.reg32(ESP), m = sp_mask();
        for (unsigned i = 0; i < nparams; ++i) params[i] = rd(SS, (old_esp + i * gsz) & m, gsz);
        if (target > cd.limit()) raise_fault(kGP, 0);  // checked before anything is pushed
        NewStack ns{*this, ssc, nesp, dpl == 3};
        ns.push(gsz, s.seg[SS].selector);
        ns.push(gsz, old_esp);
        for (unsigned i = nparams; i-- > 0;) ns.push(gsz, params[i]);
        ns.push(gsz, s.seg[CS].selector);
        ns.push(gsz, ret_eip);
        load_cs(csel, cd, dpl);
        s.seg[SS] = ssc;
        seg_changed(SS);
        s.set_reg32(ESP, ns.sp);
        s.set_eip(target);
        return;
    }
    // Same privilege through the gate.
    if (target > cd.limit()) raise_fault(kGP, 0);
    uint32_t sp = s.reg32(ESP);
    sp = push_at(sp, gsz, s.seg[CS].selector);
    sp = push_at(sp, gsz, ret_eip);
    set_sp(sp);
    load_cs(csel, cd, s.cpl);
    s.set_eip(target);
}

void Cpu::far_ret(unsigned osz, uint16_t imm) {
    uint32_t sp = s.reg32(ESP), neip, ncs;
    const uint32_t m = sp_mask();
    sp = pop_at(sp, osz, neip);
    sp = pop_at(sp, osz, ncs);
    if (osz == 2) neip &= 0xFFFF;
    const uint16_t sel = uint16_t(ncs);
    if (!protected_mode() || v86()) {
        if (neip > s.seg[CS].limit) raise_fault(kGP, 0);
        set_sp((sp & ~m) | ((sp + imm) & m));
        load_seg_real(CS, sel);
        s.set_eip(neip);
        return;
    }
    const unsigned rpl = sel & 3u;
    Descriptor d = check_return_cs(sel);
    sp = (sp & ~m) | ((sp + imm) & m);
    if (rpl == s.cpl) {
        if (neip > d.limit()) raise_fault(kGP, 0);
        set_sp(sp);
        load_cs(sel, d, rpl);
        s.set_eip(neip);
        return;
    }
    // Return to an outer level: the caller's SS:ESP follows on the stack.
    uint32_t nesp, nss;
    sp = pop_at(sp, osz, nesp);
    sp = pop_at(sp, osz, nss);
    SegmentCache ssc = check_outer_ss(uint16_t(nss), rpl);
    if (neip > d.limit()) raise_fault(kGP, 0);  // after the SS checks, as the SDM orders them
    load_cs(sel, d, rpl);
    s.seg[SS] = ssc;
    seg_changed(SS);
    if (osz == 2) nesp &= 0xFFFF;
    // The immediate releases parameters on the outer stack too.
    set_sp(stack32() ? nesp + imm : ((nesp + imm) & 0xFFFF) | (s.reg32(ESP) & 0xFFFF0000u));
    s.set_eip(neip);
    null_inaccessible_segments();
}

void Cpu::iret(unsigned osz) {
    if (s.nmi_blocked) {
        s.nmi_blocked = 0;  // IRET ends the blocking of NMIs (SDM Vol. 3A, 6.7.1)
        interrupt_window_opened();
    }
    uint32_t sp = s.reg32(ESP), neip, ncs, nfl;
    if (protected_mode() && !v86() && (s.eflags & NT)) {
        // Return from a nested task: switch back to the task in the back link.
        uint16_t back = uint16_t(sys_rd(s.tr.base, 2));
        return task_switch(back, TaskSwitch::Iret, s.eip());
    }
    // V86 mode with IOPL < 3: #GP(0), unless CR4.VME lets a 16-bit IRET work on VIF.
    const bool virt = v86() && iopl() < 3;
    if (virt && !(virtual_if() && osz == 2)) raise_fault(kGP, 0);
    sp = pop_at(sp, osz, neip);
    sp = pop_at(sp, osz, ncs);
    sp = pop_at(sp, osz, nfl);
    if (osz == 2) neip &= 0xFFFF;
    if (virt) {
        // SDM Vol. 2B, IRET, the VME branch: a popped TF, or IF with VIP, is #GP(0); IF goes to
        // VIF and IF and IOPL themselves stay.
        if ((nfl & TF) || ((nfl & IF) && (s.eflags & VIP))) raise_fault(kGP, 0);
        if (neip > s.seg[CS].limit) raise_fault(kGP, 0);
        set_sp(sp);
        load_seg_real(CS, uint16_t(ncs));
        s.set_eip(neip);
        write_eflags(nfl, 0xFFFF & ~(IF | IOPL));
        set_flag(VIF, nfl & IF);
        return;
    }

    if (!protected_mode() || v86()) {
        if (neip > s.seg[CS].limit) raise_fault(kGP, 0);
        set_sp(sp);
        load_seg_real(CS, uint16_t(ncs));
        s.set_eip(neip);
        // Real mode: every flag but VM, VIP, VIF (32-bit) may change. V86 (IOPL 3): IOPL too is kept.
        uint32_t changeable = osz == 4 ? 0x257FD5u : 0x7FD5u;
        if (v86()) changeable &= ~IOPL;
        write_eflags(nfl, changeable);
        return;
    }

    if (osz == 4 && (nfl & VM) && s.cpl == 0) {
        // Return to virtual-8086 mode (SDM Vol. 2B, IRET: RETURN-TO-VIRTUAL-8086-MODE).
        uint32_t nesp, nss, nes, nds, nfs, ngs;
        sp = pop_at(sp, 4, nesp);
        sp = pop_at(sp, 4, nss);
        sp = pop_at(sp, 4, nes);
        sp = pop_at(sp, 4, nds);
        sp = pop_at(sp, 4, nfs);
        sp = pop_at(sp, 4, ngs);
        write_eflags(nfl, 0x3F7FD5u);  // everything, VM included
        s.cpl = 3;
        mode_changed();
        load_seg_real(CS, uint16_t(ncs));
        load_seg_real(SS, uint16_t(nss));
        load_seg_real(ES, uint16_t(nes));
        load_seg_real(DS, uint16_t(nds));
        load_seg_real(FS, uint16_t(nfs));
        load_seg_real(GS, uint16_t(ngs));
        s.set_reg32(ESP, nesp);
        s.set_eip(neip & 0xFFFF);
        return;
    }

    const uint16_t sel = uint16_t(ncs);
    const unsigned rpl = sel & 3u;
    Descriptor d = check_return_cs(sel);

    // Which flags may change depends on the privilege before the return (SDM IRET).
    uint32_t changeable = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
    if (osz == 4) changeable |= RF | AC | ID;
    if (s.cpl <= iopl()) changeable |= IF;
    if (s.cpl == 0) changeable |= IOPL | (osz == 4 ? VIF | VIP : 0);

    if (rpl == s.cpl) {
        if (neip > d.limit()) raise_fault(kGP, 0);
        set_sp(sp);
        load_cs(sel, d, rpl);
        s.set_eip(neip);
        write_eflags(nfl, changeable);
        return;
    }
    uint32_t nesp, nss;
    sp = pop_at(sp, osz, nesp);
    sp = pop_at(sp, osz, nss);
    SegmentCache ssc = check_outer_ss(uint16_t(nss), rpl);
    if (neip > d.limit()) raise_fault(kGP, 0);  // after the SS checks, as the SDM orders them
    write_eflags(nfl, changeable);
    load_cs(sel, d, rpl);
    s.seg[SS] = ssc;
    seg_changed(SS);
    if (stack32()) s.set_reg32(ESP, nesp);
    else set_reg16(ESP, uint16_t(nesp));
    s.set_eip(neip);
    null_inaccessible_segments();
}

} // namespace xlat

namespace xlat {

bool Cpu::v86_redirected(uint8_t vec) {
    // The interrupt redirection bitmap: the 32 bytes just below the I/O permission bitmap of a
    // 32-bit TSS; a clear bit sends INT n to the V86 task's IVT (SDM Vol. 3A, 20.3.3).
    const unsigned type = s.tr.attr & 0xF;
    if (type != 0x9 && type != 0xB) raise_fault(kGP, 0);
    if (s.tr.limit < 103) raise_fault(kGP, 0);
    const uint32_t iomap = sys_rd(s.tr.base + 102, 2);
    const uint32_t byte = iomap - 32 + vec / 8;
    if (iomap < 32 || byte > s.tr.limit) raise_fault(kGP, 0);
    return !((sys_rd(s.tr.base + byte, 1) >> (vec & 7)) & 1);
}

void Cpu::v86_interrupt(uint8_t vec, uint32_t ret_eip) {
    // Through the V86 task's IVT at linear 0, as real mode would, with the virtual interrupt
    // flag standing in for IF when IOPL < 3 (SDM Vol. 3A, 20.3.3.5).
    uint32_t image = s.eflags & 0xFFFF;
    if (iopl() < 3) image = (image & ~IF) | IOPL | ((s.eflags & VIF) ? IF : 0);
    uint32_t sp = s.reg32(ESP);
    sp = push_at(sp, 2, image);
    sp = push_at(sp, 2, s.seg[CS].selector);
    sp = push_at(sp, 2, ret_eip & 0xFFFF);
    uint16_t ip = mmu.read<uint16_t>(uint32_t(vec) * 4, true);
    uint16_t cs = mmu.read<uint16_t>(uint32_t(vec) * 4 + 2, true);
    set_sp(sp);
    s.eflags &= ~(TF | RF);
    if (iopl() == 3) s.eflags &= ~IF;
    else s.eflags &= ~VIF;
    load_seg_real(CS, cs);
    s.set_eip(ip);
    ++stats.interrupts;
    s.single_step = 0;  // the handler runs with TF clear: no single-step trap after INT n
}

} // namespace xlat
