#include "cpu/mode.h"

namespace xlat {

bool segment_flat(const CpuState& s, SegReg sr) {
    const SegmentCache& c = s.seg[sr];
    if (c.base != 0 || c.limit != 0xFFFFFFFFu) return false;
    // Real and V86 mode check only the limit (an "unreal" 4 GiB segment is flat there).
    if (!(s.cr0 & CR0_PE) || (s.eflags & VM)) return true;
    if ((c.attr & (SEG_P | SEG_S)) != (SEG_P | SEG_S)) return false;
    if (sr == CS) return c.attr & SEG_CODE;
    return (c.attr & (SEG_CODE | SEG_RW | SEG_DC)) == SEG_RW;
}

uint64_t mode_key(const CpuState& s) {
    uint32_t bits = 0;
    if (s.cr0 & CR0_PE) bits |= kModePE;
    if (s.eflags & VM) bits |= kModeVM;
    if (s.seg[CS].attr & SEG_DB) bits |= kModeCode32;
    if (s.seg[SS].attr & SEG_DB) bits |= kModeStack32;
    bits |= uint32_t(s.cpl & 3) << kModeCplShift;
    if (s.cr0 & CR0_PG) bits |= kModePaging;
    for (unsigned i = 0; i < kSegCount; ++i)
        if (segment_flat(s, SegReg(i))) bits |= 1u << (kModeFlatShift + i);
    bits |= ((s.eflags >> 12) & 3) << kModeIoplShift;
    if (s.cr0 & CR0_EM) bits |= kModeEM;
    if (s.cr0 & CR0_TS) bits |= kModeTS;
    if (s.cr0 & CR0_MP) bits |= kModeMP;
    if (s.cr4 & CR4_VME) bits |= kModeVME;
    if (s.cr4 & CR4_PVI) bits |= kModePVI;
    // Single step, breakpoints (DR7 L0-L3/G0-G3; SDM Vol. 3A, 17.2.4) and alignment checks at CPL 3
    // (CR0.AM and EFLAGS.AC; SDM Vol. 3A, 6.15, #AC) are traps between or inside instructions that
    // the interpreter handles one instruction at a time.
    if ((s.eflags & TF) || (s.dr[7] & 0xFF) ||
        ((s.cr0 & CR0_AM) && (s.eflags & AC) && s.cpl == 3))
        bits |= kModeInterp;
    return (uint64_t(bits) << 32) | s.seg[CS].limit;
}

static_assert(sizeof(SegmentCache) == 12, "ModeKeyCache compares segment caches bytewise: no padding");

uint64_t ModeKeyCache::refill(const CpuState& s) {
    std::memcpy(seg_, s.seg, sizeof seg_);
    cr0_ = s.cr0;
    cr4_ = s.cr4;
    eflags_ = s.eflags & kFlags;
    dr7_ = s.dr[7] & 0xFF;
    cpl_ = s.cpl;
    return key_ = mode_key(s);
}

} // namespace xlat
