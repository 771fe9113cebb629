// Hardware task switching (SDM Vol. 3A, 7.3) through JMP, CALL, INT/exceptions and IRET.
#include "cpu/cpu.h"
#include "cpu/descriptor.h"
#include "cpu/segment.h"

namespace xlat {

namespace {

// Offsets in a 32-bit TSS (SDM Vol. 3A, Figure 7-2) and a 16-bit TSS (Figure 7-11).
struct TssLayout {
    uint32_t eip, eflags, regs, segs, ldt, min_limit;
    unsigned width;  // bytes per register field
};
constexpr TssLayout kTss32{0x20, 0x24, 0x28, 0x48, 0x60, 0x67, 4};
constexpr TssLayout kTss16{0x0E, 0x10, 0x12, 0x22, 0x2A, 0x2B, 2};

void set_busy(Cpu& c, uint16_t sel, bool busy) {
    uint32_t at = c.s.gdtr.base + (sel & ~7u) + 5;
    uint32_t b = c.sys_rd(at, 1);
    c.sys_wr(at, 1, busy ? (b | 2u) : (b & ~2u));
}

} // namespace

void Cpu::task_switch(uint16_t sel, TaskSwitch kind, uint32_t ret_eip, bool has_error, uint32_t error) {
    const uint16_t err = sel & 0xFFFC;
    trace.log(kTraceInt, "task switch to %04x (%s)", sel,
              kind == TaskSwitch::Jmp ? "jmp" : kind == TaskSwitch::Call ? "call" : kind == TaskSwitch::Iret ? "iret" : "int");
    const uint8_t sel_vec = kind == TaskSwitch::Iret ? kTS : kGP;
    // The new TSS descriptor: in the GDT, a TSS, busy for IRET and available otherwise.
    if (sel & 4) raise_fault(sel_vec, err);
    Descriptor d = read_descriptor(*this, sel, sel_vec);
    const unsigned type = d.type();
    bool is_tss = d.system() && (type == kTss16Avail || type == kTss16Busy || type == kTss32Avail ||
                                 type == kTss32Busy);
    bool busy = type & 2;
    if (!is_tss || (kind == TaskSwitch::Iret ? !busy : busy)) raise_fault(sel_vec, err);
    if (!d.present()) raise_fault(kNP, err);
    const TssLayout& nl = (type & 8) ? kTss32 : kTss16;
    if (d.limit() < nl.min_limit) raise_fault(kTS, err);
    const uint32_t nbase = d.base();

    // Read the whole new state first: a fault here is still in the old task.
    uint32_t neip = sys_rd(nbase + nl.eip, nl.width);
    uint32_t nfl = sys_rd(nbase + nl.eflags, nl.width);
    uint32_t nregs[8];
    for (unsigned i = 0; i < 8; ++i) nregs[i] = sys_rd(nbase + nl.regs + i * nl.width, nl.width);
    uint16_t nsegs[kSegCount] = {};
    unsigned nseg_count = (type & 8) ? 6 : 4;
    for (unsigned i = 0; i < nseg_count; ++i) nsegs[i] = uint16_t(sys_rd(nbase + nl.segs + i * nl.width, 2));
    uint16_t nldt = uint16_t(sys_rd(nbase + nl.ldt, 2));
    uint32_t ncr3 = (type & 8) ? sys_rd(nbase + 0x1C, 4) : s.cr3;
    bool trap = (type & 8) && (sys_rd(nbase + 0x64, 2) & 1);

    // Save the old task.
    const unsigned otype = s.tr.attr & 0xF;
    const TssLayout& ol = (otype & 8) ? kTss32 : kTss16;
    const uint32_t obase = s.tr.base;
    if (s.tr.limit < ol.min_limit) raise_fault(kTS, s.tr.selector & 0xFFFC);
    uint32_t ofl = s.eflags;
    if (kind == TaskSwitch::Iret) ofl &= ~NT;
    sys_wr(obase + ol.eip, ol.width, ret_eip);
    sys_wr(obase + ol.eflags, ol.width, ofl);
    for (unsigned i = 0; i < 8; ++i) sys_wr(obase + ol.regs + i * ol.width, ol.width, s.reg32(i));
    unsigned oseg_count = (otype & 8) ? 6 : 4;
    for (unsigned i = 0; i < oseg_count; ++i) sys_wr(obase + ol.segs + i * ol.width, 2, s.seg[i].selector);

    if (kind == TaskSwitch::Jmp || kind == TaskSwitch::Iret) set_busy(*this, s.tr.selector, false);
    if (kind == TaskSwitch::Call || kind == TaskSwitch::Int) {
        sys_wr(nbase, 2, s.tr.selector);  // back link
        nfl |= NT;
    }
    if (kind != TaskSwitch::Iret) set_busy(*this, sel, true);

    // Commit point: from here on, faults belong to the new task (SDM Vol. 3A, 7.3, step 12).
    s.tr = d.cache(sel);
    s.tr.attr |= 2u;  // busy
    s.cr0 |= CR0_TS;
    if (type & 8) {
        // Reserved EFLAGS bits (3, 5, 15, 22-31) read as 0 whatever the TSS holds.
        s.eflags = (nfl & ~((1u << 3) | (1u << 5) | (1u << 15) | 0xFFC00000u)) | FIXED1;
        for (unsigned i = 0; i < 8; ++i) s.set_reg32(i, nregs[i]);
        // CR3 is loaded (and the TLB flushed) even when it does not change (SDM Vol. 3A, 7.3).
        load_paging_regs(s.cr0, ncr3, s.cr4, s.efer);
    } else {
        s.eflags = (nfl & 0xFFFF) | FIXED1;
        for (unsigned i = 0; i < 8; ++i) set_reg16(i, uint16_t(nregs[i]));
    }
    if (s.eflags & ~ofl & IF) interrupt_window_opened();
    s.set_eip(neip);
    s.insn_eip = neip;
    // Selectors first, with unusable caches, so a fault while loading them reports the new ones.
    for (unsigned i = 0; i < kSegCount; ++i) {
        s.seg[i].selector = nsegs[i];
        s.seg[i].attr = 0;
    }
    s.ldtr = SegmentCache{0, 0, nldt, 0};
    // DR7's local enables end with the task (SDM Vol. 3A, 17.2.4).
    s.dr[7] &= ~0x55u;
    debug_regs_changed();

    // The LDT first, in V86 tasks too, raising #TS with its selector.
    s.cpl = uint8_t((s.eflags & VM) ? 3 : (nsegs[CS] & 3u));
    mode_changed();
    if (nldt & 0xFFFC) {
        if (nldt & 4) raise_fault(kTS, nldt & 0xFFFC);
        Descriptor ld = read_descriptor(*this, nldt, kTS);
        if (!ld.system() || ld.type() != kLdt) raise_fault(kTS, nldt & 0xFFFC);
        if (!ld.present()) raise_fault(kTS, nldt & 0xFFFC);
        s.ldtr = ld.cache(nldt);
    }
    if (s.eflags & VM) {
        for (unsigned i = 0; i < kSegCount; ++i) load_seg_real(SegReg(i), nsegs[i]);
    } else {
        const unsigned cpl = s.cpl;
        // Then CS, SS and the data segments, each raising #TS with its selector.
        const uint16_t cs = nsegs[CS];
        if ((cs & 0xFFFC) == 0) raise_fault(kTS, 0);
        Descriptor cd = read_descriptor(*this, cs, kTS);
        if (!cd.code() || (cd.conforming() ? cd.dpl() > cpl : cd.dpl() != cpl)) raise_fault(kTS, cs & 0xFFFC);
        if (!cd.present()) raise_fault(kNP, cs & 0xFFFC);
        load_cs(cs, cd, cpl);
        s.seg[SS] = check_new_ss(nsegs[SS], cpl, kTS);
        seg_changed(SS);
        for (SegReg sr : {ES, DS, FS, GS}) {
            const uint16_t ds = nsegs[sr], derr = ds & 0xFFFC;
            if (derr == 0) { s.seg[sr] = SegmentCache{0, 0, ds, 0}; seg_changed(sr); continue; }
            Descriptor dd = read_descriptor(*this, ds, kTS);
            if (dd.system() || !dd.readable()) raise_fault(kTS, derr);
            if (!dd.conforming() && (dd.dpl() < cpl || dd.dpl() < (ds & 3u))) raise_fault(kTS, derr);
            if (!dd.present()) raise_fault(kNP, derr);
            set_accessed(*this, ds, dd);
            s.seg[sr] = dd.cache(ds);
            seg_changed(sr);
        }
    }
    if (has_error) push((type & 8) ? 4 : 2, error);
    if (s.eip() > s.seg[CS].limit) raise_fault(kGP, 0);
    if (trap) {
        s.dr[6] |= 1u << 15;  // DR6.BT: the debug trap flag of the new TSS
        s.task_trap = 1;
    }
}

} // namespace xlat
