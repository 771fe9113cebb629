// Segment register loads and far transfers (SDM Vol. 3A, chapter 5; Vol. 2, MOV, JMP, CALL).
#include "cpu/cpu.h"
#include "cpu/descriptor.h"
#include "cpu/segment.h"

namespace xlat {

Descriptor read_descriptor(Cpu& c, uint16_t sel, uint8_t vec) {
    bool ldt = sel & 4;
    uint32_t base = ldt ? c.s.ldtr.base : c.s.gdtr.base;
    uint32_t limit = ldt ? c.s.ldtr.limit : c.s.gdtr.limit;
    if (ldt && !(c.s.ldtr.attr & SEG_P)) raise_fault(vec, sel & 0xFFFC);
    if ((uint32_t(sel) | 7) > limit) raise_fault(vec, sel & 0xFFFC);
    uint32_t at = base + (sel & ~7u);
    return Descriptor{c.sys_rd(at, 4), c.sys_rd(at + 4, 4)};
}

void set_accessed(Cpu& c, uint16_t sel, Descriptor& d) {
    if (d.hi & (1u << 8)) return;
    d.hi |= 1u << 8;
    uint32_t base = (sel & 4) ? c.s.ldtr.base : c.s.gdtr.base;
    c.sys_wr(base + (sel & ~7u) + 5, 1, (d.hi >> 8) & 0xFF);
}

void NewStack::push(unsigned size, uint32_t v) {
    uint32_t mask = (seg.attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t nsp = (sp - size) & mask;
    if (!within_limit(seg, nsp, size)) raise_fault(kSS, seg.selector & 0xFFFC);
    uint32_t lin = seg.base + nsp;
    if (size == 2) c.mmu.write<uint16_t>(lin, uint16_t(v), user);
    else c.mmu.write<uint32_t>(lin, v, user);
    sp = (sp & ~mask) | nsp;
}

void Cpu::load_seg(SegReg sr, uint16_t sel) {
    if (!protected_mode() || v86()) return load_seg_real(sr, sel);
    // SDM Vol. 2B, MOV/POP: protected-mode segment register loads.
    const uint16_t err = sel & 0xFFFC;
    const unsigned rpl = sel & 3;
    if (sr == SS) {
        if ((sel & 0xFFFC) == 0) raise_fault(kGP, 0);
        Descriptor d = read_descriptor(*this, sel, kGP);
        if (rpl != s.cpl || d.dpl() != s.cpl || !d.writable()) raise_fault(kGP, err);
        if (!d.present()) raise_fault(kSS, err);
        set_accessed(*this, sel, d);
        s.seg[SS] = d.cache(sel);
    } else if (sr == CS) {
        raise_fault(kUD);  // MOV CS / POP CS do not exist
    } else {
        if ((sel & 0xFFFC) == 0) {
            // A null selector loads an unusable segment: any access through it raises #GP(0).
            s.seg[sr] = SegmentCache{0, 0, sel, 0};
            seg_changed(sr);
            return;
        }
        Descriptor d = read_descriptor(*this, sel, kGP);
        if (d.system() || !d.readable()) raise_fault(kGP, err);
        if (!d.conforming() && (rpl > d.dpl() || s.cpl > d.dpl())) raise_fault(kGP, err);
        if (!d.present()) raise_fault(kNP, err);
        set_accessed(*this, sel, d);
        s.seg[sr] = d.cache(sel);
    }
    seg_changed(sr);
}

} // namespace xlat
