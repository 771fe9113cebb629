// Segment descriptors (SDM Vol. 3A, 3.4.5) as read from the GDT or LDT.
#pragma once
#include <cstdint>

#include "cpu/state.h"

namespace xlat {

struct Descriptor {
    uint32_t lo, hi;  // the two dwords as stored in memory

    uint32_t base() const { return (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u); }
    uint32_t limit() const {  // in bytes, granularity applied
        uint32_t l = (lo & 0xFFFF) | (hi & 0x000F0000u);
        return (hi & (1u << 23)) ? (l << 12) | 0xFFF : l;
    }
    uint16_t attr() const { return uint16_t(((hi >> 8) & 0xFF) | ((hi >> 8) & 0xF000)); }
    unsigned type() const { return (hi >> 8) & 0xF; }
    bool system() const { return !(hi & (1u << 12)); }  // S = 0
    unsigned dpl() const { return (hi >> 13) & 3; }
    bool present() const { return hi & (1u << 15); }
    bool code() const { return !system() && (hi & (1u << 11)); }
    bool conforming() const { return code() && (hi & (1u << 10)); }
    bool readable() const { return !code() || (hi & (1u << 9)); }   // data always readable
    bool writable() const { return !system() && !code() && (hi & (1u << 9)); }
    // Gate fields (call, interrupt, trap, task gates: SDM Vol. 3A, 5.8.3 and 6.11).
    uint16_t gate_selector() const { return uint16_t(lo >> 16); }
    uint32_t gate_offset() const { return (lo & 0xFFFF) | (hi & 0xFFFF0000u); }
    unsigned gate_params() const { return hi & 0x1F; }

    SegmentCache cache(uint16_t sel) const { return SegmentCache{base(), limit(), sel, attr()}; }
};

// System descriptor and gate types (S = 0), SDM Vol. 3A, Table 3-2.
enum SysType : uint8_t {
    kTss16Avail = 0x1, kLdt = 0x2, kTss16Busy = 0x3, kCallGate16 = 0x4, kTaskGate = 0x5,
    kIntGate16 = 0x6, kTrapGate16 = 0x7, kTss32Avail = 0x9, kTss32Busy = 0xB, kCallGate32 = 0xC,
    kIntGate32 = 0xE, kTrapGate32 = 0xF,
};

} // namespace xlat

namespace xlat {

// True when [off, off + size) lies within the segment, for expand-up and expand-down data
// segments alike (SDM Vol. 3A, 5.3).
inline bool within_limit(const SegmentCache& c, uint32_t off, unsigned size) {
    uint64_t last = uint64_t(off) + size - 1;
    if ((c.attr & (SEG_S | SEG_CODE | SEG_DC)) == (SEG_S | SEG_DC)) {
        uint32_t upper = (c.attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        return off > c.limit && last <= upper;
    }
    return last <= c.limit;
}

} // namespace xlat
