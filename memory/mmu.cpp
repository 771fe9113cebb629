#include "memory/mmu.h"

namespace xlat {

Mmu::Mmu(PhysMem& phys) : phys_(phys) { flush_all(); stats_.flushes = 0; }

void Mmu::flush_all() {
    for (auto& set : tlb_)
        for (TlbEntry& e : set) e = TlbEntry{{kTlbInvalid, kTlbInvalid, kTlbInvalid}, 0};
    phys_generation_ = phys_.generation();
    ++stats_.flushes;
}

uint32_t Mmu::translate(uint32_t lin, Access acc, bool user) {
    (void)acc;
    (void)user;
    if (phys_generation_ != phys_.generation()) flush_all();
    // Paging off: linear = physical, through the A20 gate.
    return lin & phys_.a20_mask();
}

uint32_t Mmu::fill(uint32_t lin, Access acc, bool user) {
    ++stats_.misses;
    uint32_t paddr = translate(lin, acc, user);
    PageInfo pi = phys_.page(paddr);
    bool direct = pi.kind == RegionKind::Ram || (pi.kind == RegionKind::Rom && acc != Access::Write);
    if (direct) {
        TlbEntry& e = tlb_[user][(lin >> kPageBits) & (kTlbEntries - 1)];
        uintptr_t addend = reinterpret_cast<uintptr_t>(pi.host) - (lin & kPageMask);
        if (e.addend != addend) e.tag[0] = e.tag[1] = e.tag[2] = kTlbInvalid;
        e.addend = addend;
        e.tag[int(acc)] = lin & kPageMask;
    }
    return paddr;
}

uint32_t Mmu::read_slow(uint32_t lin, unsigned size, bool user, Access acc) {
    uint32_t first = kPageSize - (lin & ~kPageMask);
    if (first >= size) return phys_.read(fill(lin, acc, user), size);
    // Crosses a page: translate both pages before reading either.
    uint32_t p0 = fill(lin, acc, user), p1 = fill(lin + first, acc, user);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= phys_.read(i < first ? p0 + i : p1 + (i - first), 1) << (8 * i);
    return v;
}

void Mmu::write_slow(uint32_t lin, unsigned size, uint32_t value, bool user) {
    uint32_t first = kPageSize - (lin & ~kPageMask);
    if (first >= size) {
        phys_.write(fill(lin, Access::Write, user), size, value);
        return;
    }
    // Crosses a page: both translations must succeed before any byte is written, so a fault on
    // the second page leaves the first unchanged.
    uint32_t p0 = fill(lin, Access::Write, user), p1 = fill(lin + first, Access::Write, user);
    for (unsigned i = 0; i < size; ++i)
        phys_.write(i < first ? p0 + i : p1 + (i - first), 1, (value >> (8 * i)) & 0xFF);
}

void Mmu::probe_write(uint32_t lin, unsigned size, bool user) {
    const TlbEntry& e = tlb_[user][(lin >> kPageBits) & (kTlbEntries - 1)];
    if ((lin & kPageMask) == e.tag[int(Access::Write)] && (lin & ~kPageMask) <= kPageSize - size)
        return;
    translate(lin, Access::Write, user);
    uint32_t first = kPageSize - (lin & ~kPageMask);
    if (first < size) translate(lin + first, Access::Write, user);
}

unsigned Mmu::fetch(uint32_t lin, uint8_t* buf, unsigned len, bool user) {
    unsigned n = kPageSize - (lin & ~kPageMask);
    if (n > len) n = len;
    const TlbEntry& e = tlb_[user][(lin >> kPageBits) & (kTlbEntries - 1)];
    if ((lin & kPageMask) == e.tag[int(Access::Exec)]) {
        ++stats_.hits;
        std::memcpy(buf, reinterpret_cast<const void*>(lin + e.addend), n);
        return n;
    }
    uint32_t paddr = fill(lin, Access::Exec, user);
    phys_.read_bytes(paddr, buf, n);
    return n;
}

} // namespace xlat
