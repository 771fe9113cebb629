#include "memory/mmu.h"

#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace xlat {

namespace {

// Paging-structure entry bits (SDM Vol. 3A, 4.3 and 4.4).
constexpr uint64_t PTE_P = 1u << 0, PTE_W = 1u << 1, PTE_U = 1u << 2, PTE_A = 1u << 5, PTE_D = 1u << 6,
                   PTE_PS = 1u << 7, PTE_G = 1u << 8, PTE_NX = 1ull << 63;
// Page-fault error code bits (SDM Vol. 3A, 4.7).
constexpr uint32_t PF_P = 1u << 0, PF_W = 1u << 1, PF_U = 1u << 2, PF_RSVD = 1u << 3, PF_ID = 1u << 4;
// PAE entries may address 36 physical bits (the P6 family's MAXPHYADDR); bits 62:36 are reserved.
constexpr uint64_t kPaeReserved = 0x7FFFFFF000000000ull;

constexpr size_t kTlbBytes = 2 * kTlbEntries * sizeof(TlbEntry);
constexpr size_t kFastBytes = 4 * size_t(kFastPages) * sizeof(uintptr_t);

} // namespace

Mmu::Mmu(PhysMem& phys, const Tracer* trace) : phys_(phys), trace_(trace) {
#if defined(__linux__) && defined(MAP_32BIT)
    void* low = mmap(nullptr, kTlbBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low != MAP_FAILED) {
        if (reinterpret_cast<uintptr_t>(low) + kTlbBytes <= 0x7FFFFFFFu) tlb_mem_ = static_cast<TlbEntry*>(low);
        else munmap(low, kTlbBytes);
    }
#endif
    if (!tlb_mem_) {
        tlb_heap_.reset(new TlbEntry[2 * kTlbEntries]);
        tlb_mem_ = tlb_heap_.get();
    }
    tlb_[0] = tlb_mem_;
    tlb_[1] = tlb_mem_ + kTlbEntries;
#if defined(__linux__)
    // Anonymous memory reads as zeros and costs nothing until written: the table is "all miss".
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
#if defined(MAP_32BIT)
    void* fast = mmap(nullptr, kFastBytes, PROT_READ | PROT_WRITE, flags | MAP_32BIT, -1, 0);
    if (fast != MAP_FAILED && reinterpret_cast<uintptr_t>(fast) + kFastBytes > 0x7FFFFFFFu) {
        munmap(fast, kFastBytes);
        fast = MAP_FAILED;
    }
    if (fast == MAP_FAILED)
#else
    void* fast = MAP_FAILED;
#endif
        fast = mmap(nullptr, kFastBytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (fast != MAP_FAILED) fast_mem_ = static_cast<uintptr_t*>(fast), fast_mapped_ = true;
#endif
    if (!fast_mem_) {
        fast_mem_ = static_cast<uintptr_t*>(std::calloc(4 * size_t(kFastPages), sizeof(uintptr_t)));
        if (!fast_mem_) throw std::bad_alloc();
    }
    for (unsigned k = 0; k < 4; ++k) fast_[k / 2][k % 2] = fast_mem_ + size_t(k) * kFastPages;
    for (unsigned i = 0; i < 2 * kTlbEntries; ++i) {
        TlbEntry& e = tlb_mem_[i];
        e.flags = 0;
        e.tag[0] = e.tag[1] = e.tag[2] = kTlbInvalid;
        clear(e);
    }
    used_.reserve(2 * kTlbEntries);
    // A map change may alter what any cached translation points at, and map changes are rare
    // (PAM, BARs, A20): drop everything.
    phys_.add_listener([](void* self, uint32_t, uint64_t) { static_cast<Mmu*>(self)->flush_all(); }, this,
                       [](void* self, uint32_t paddr) { static_cast<Mmu*>(self)->drop_write_tags(paddr); });
}

Mmu::~Mmu() {
    phys_.remove_listener(this);
#if defined(__linux__) && defined(MAP_32BIT)
    if (!tlb_heap_) munmap(tlb_mem_, kTlbBytes);
#endif
#if defined(__linux__)
    if (fast_mapped_) munmap(fast_mem_, kFastBytes);
#endif
    if (!fast_mapped_) std::free(fast_mem_);
}

bool Mmu::load_pdptes(uint32_t cr3, uint64_t (&out)[4]) {
    bool ok = true;
    for (unsigned i = 0; i < 4; ++i) {
        uint32_t at = (cr3 & 0xFFFFFFE0u) + 8 * i;
        out[i] = uint64_t(phys_read(at, 4)) | (uint64_t(phys_read(at + 4, 4)) << 32);
        // Bits 1, 2, 5-8 and 63:36 are reserved in a present PDPTE.
        if ((out[i] & PTE_P) && (out[i] & (0x1E6ull | kPaeReserved | PTE_NX))) ok = false;
    }
    return ok;
}

void Mmu::set_paging(const Paging& p) {
    bool only_cr3 = p.enabled == paging_.enabled && p.wp == paging_.wp && p.pse == paging_.pse &&
                    p.pae == paging_.pae && p.pge == paging_.pge && p.nxe == paging_.nxe;
    paging_ = p;
    if (only_cr3 && p.pge) flush_nonglobal();
    else flush_all();
}

void Mmu::flush_all() {
    if (trace_) trace_->log(kTraceTlb, "TLB flush (all)");
    for (uint32_t i : used_) {
        clear(tlb_mem_[i]);
        tlb_mem_[i].flags = 0;
    }
    used_.clear();
    ++stats_.flushes;
    ++tlb_epoch_;
}

void Mmu::flush_nonglobal() {
    if (trace_) trace_->log(kTraceTlb, "TLB flush (non-global)");
    // The global entries stay, and stay listed.
    size_t keep = 0;
    for (uint32_t i : used_) {
        TlbEntry& e = tlb_mem_[i];
        if (e.flags & kTlbGlobal) {
            used_[keep++] = i;
        } else {
            clear(e);
            e.flags = 0;
        }
    }
    used_.resize(keep);
    ++stats_.flushes;
    ++tlb_epoch_;
}

void Mmu::invalidate_page(uint32_t lin) {
    uint32_t page = lin & kPageMask;
    if (trace_) trace_->log(kTraceTlb, "TLB flush of page %08x", page);
    ++tlb_epoch_;
    for (bool user : {false, true}) {
        TlbEntry& e = entry(user, lin);
        if (e.tag[0] == page || e.tag[1] == page || e.tag[2] == page) clear(e);  // stays listed
    }
}

void Mmu::drop_write_tags(uint32_t paddr) {
    const uint64_t page = paddr & kPageMask;
    for (uint32_t i : used_) {
        TlbEntry& e = tlb_mem_[i];
        if (e.paddr == page) {
            unmirror(e);
            e.tag[int(Access::Write)] = kTlbInvalid;
            mirror(e);
        }
    }
}

Mmu::Walk Mmu::walk(uint32_t lin, Access acc, bool user, bool set_ad, bool inspect) noexcept {
    if (inspect) set_ad = false;
    else ++stats_.walks;
    const bool write = acc == Access::Write, fetch = acc == Access::Exec;
    const bool pae = paging_.pae, nxe = pae && paging_.nxe;
    auto fault = [&](uint32_t why) {
        uint32_t code = why | (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch && nxe ? PF_ID : 0);
        return Walk{0, false, false, code};
    };
    // Table entries above 4 GiB (PAE addresses have 36 bits) read as all ones: nothing is there.
    auto read_entry = [&](uint64_t addr) -> uint64_t {
        return pae ? uint64_t(phys_read(addr, 4)) | (uint64_t(phys_read(addr + 4, 4)) << 32)
                   : phys_read(addr, 4);
    };
    // A paging-structure entry that maps a table (not a page) is "used" once it is known to be
    // present with no reserved bit set: its accessed bit is set then, before the next level is
    // read, also when the walk faults further down or on the rights check (SDM Vol. 3A, 4.8; the
    // Pentium 4 and P6 set the PDE's A bit on a not-present PTE or a rights violation and leave
    // the PTE's alone). The entry that maps the page gets A (and D) only when the access succeeds.
    auto used_table_entry = [&](uint64_t addr, uint64_t entry) {
        if (!(entry & PTE_A) && !inspect) phys_write(addr, 4, uint32_t(entry) | uint32_t(PTE_A));
    };
    // Up to three levels: PDPTE (PAE only), PDE, PTE. Rights are the AND of U and W over the
    // levels that have them; NX is the OR.
    uint64_t addrs[3];
    uint64_t entries[3];
    unsigned n = 0;
    uint64_t paddr;
    bool large = false;
    if (!pae) {
        addrs[0] = (paging_.cr3 & 0xFFFFF000u) | ((lin >> 20) & 0xFFC);
        entries[0] = read_entry(addrs[0]);
        n = 1;
        if (!(entries[0] & PTE_P)) return fault(0);
        if ((entries[0] & PTE_PS) && paging_.pse) {
            // 4 MiB page. Bits 21:13 would be PSE-36 address bits, which this CPU lacks.
            if (entries[0] & 0x003FE000u) return fault(PF_P | PF_RSVD);
            large = true;
            paddr = (entries[0] & 0xFFC00000u) | (lin & 0x003FFFFFu);
        } else {
            used_table_entry(addrs[0], entries[0]);
            entries[0] |= PTE_A;
            addrs[1] = uint32_t(entries[0] & 0xFFFFF000u) | ((lin >> 10) & 0xFFC);
            entries[1] = read_entry(addrs[1]);
            n = 2;
            if (!(entries[1] & PTE_P)) return fault(0);
            paddr = (entries[1] & 0xFFFFF000u) | (lin & 0xFFF);
        }
    } else {
        // The PDPTEs come from the registers loaded with CR3 (checked for reserved bits then).
        uint64_t pdpte = paging_.pdpte[lin >> 30];
        if (!(pdpte & PTE_P)) return fault(0);
        addrs[0] = (pdpte & 0xFFFFFF000ull) + (((lin >> 21) & 0x1FF) << 3);
        entries[0] = read_entry(addrs[0]);
        n = 1;
        auto reserved = [&](uint64_t e) { return (e & kPaeReserved) || (!nxe && (e & PTE_NX)); };
        if (!(entries[0] & PTE_P)) return fault(0);
        if (reserved(entries[0])) return fault(PF_P | PF_RSVD);
        if (entries[0] & PTE_PS) {
            if (entries[0] & 0x1FE000u) return fault(PF_P | PF_RSVD);  // bits 20:13 reserved in a 2 MiB PDE
            large = true;
            paddr = (entries[0] & 0xFFFFFE00000ull) | (lin & 0x1FFFFFu);
        } else {
            used_table_entry(addrs[0], entries[0]);
            entries[0] |= PTE_A;
            addrs[1] = (entries[0] & 0xFFFFFF000ull) + (((lin >> 12) & 0x1FF) << 3);
            entries[1] = read_entry(addrs[1]);
            n = 2;
            if (!(entries[1] & PTE_P)) return fault(0);
            if (reserved(entries[1])) return fault(PF_P | PF_RSVD);
            paddr = (entries[1] & 0xFFFFFFFF000ull) | (lin & 0xFFF);
        }
    }
    // Access rights (SDM Vol. 3A, 4.6): user accesses need U at every level; writes need W at
    // every level for user accesses, and for supervisor accesses when CR0.WP is set.
    bool u = true, w = true, nx = false;
    for (unsigned i = 0; i < n; ++i) {
        u &= bool(entries[i] & PTE_U);
        w &= bool(entries[i] & PTE_W);
        nx |= nxe && (entries[i] & PTE_NX);
    }
    if (user && !u) return fault(PF_P);
    if (write && !w && (user || paging_.wp)) return fault(PF_P);
    if (fetch && nx) return fault(PF_P);
    // The access succeeds: A (and D for a write) in the entry that maps the page. The entries
    // above it got their A bits as the walk used them.
    if (set_ad) {
        uint32_t lo = uint32_t(entries[n - 1]);
        uint32_t want = lo | uint32_t(PTE_A) | (write ? uint32_t(PTE_D) : 0);
        if (want != lo) phys_write(addrs[n - 1], 4, want);
    }
    (void)large;
    Walk r{paddr, paging_.pge && (entries[n - 1] & PTE_G), true, 0};
    r.writable = (w || (!user && !paging_.wp)) && (entries[n - 1] & PTE_D);
    return r;
}

bool Mmu::debug_translate(uint32_t lin, uint64_t& paddr) noexcept {
    if (!paging_.enabled) {
        paddr = lin & phys_.a20_mask();
        return true;
    }
    const Walk w = walk(lin, Access::Read, false, false, true);
    paddr = w.paddr & (0xF00000000ull | phys_.a20_mask());
    return w.ok;
}

uint64_t Mmu::translate(uint32_t lin, Access acc, bool user) {
    if (!paging_.enabled) return lin & phys_.a20_mask();
    Walk w = walk(lin, acc, user);
    if (!w.ok) raise_fault(kPF, w.error, lin);
    return w.paddr & (0xF00000000ull | phys_.a20_mask());
}

bool Mmu::try_translate(uint32_t lin, Access acc, bool user, uint64_t& paddr, GuestFault& f) noexcept {
    return fill(lin, acc, user, paddr, f);
}

uint32_t Mmu::phys_read(uint64_t paddr, unsigned size) noexcept {
    if (paddr >> 32) return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;  // nothing above 4 GiB
    return phys_.read(uint32_t(paddr), size);
}

void Mmu::phys_write(uint64_t paddr, unsigned size, uint32_t value) noexcept {
    if (paddr >> 32) return;
    phys_.write(uint32_t(paddr), size, value);  // reports writes to code pages
}

bool Mmu::fill(uint32_t lin, Access acc, bool user, uint64_t& paddr, GuestFault& f) noexcept {
    ++stats_.misses;
    bool global = false;
    bool writable = true;  // a write would pass the walk without setting anything
    if (!paging_.enabled) {
        paddr = lin & phys_.a20_mask();
    } else {
        Walk w = walk(lin, acc, user);
        if (!w.ok) {
            f = GuestFault{kPF, w.error, lin};
            return false;
        }
        paddr = w.paddr & (0xF00000000ull | phys_.a20_mask());
        global = w.global;
        writable = w.writable;
    }
    if (paddr >> 32) return true;  // nothing there: always the slow path
    const PageInfo pi = phys_.page(uint32_t(paddr));
    // Reads and writes of one page may reach different host memory (PAM: read the ROM, write
    // the shadow RAM); the entry's one addend then serves whichever kind filled it last.
    uint8_t* host = acc == Access::Write ? pi.whost : pi.host;
    bool direct = acc == Access::Write ? pi.wkind == RegionKind::Ram
                                       : pi.kind == RegionKind::Ram || pi.kind == RegionKind::Rom;
    if (direct && acc == Access::Write && phys_.is_code_page(uint32_t(paddr))) direct = false;
    if (direct && host) {
        TlbEntry& e = entry(user, lin);
        uintptr_t addend = reinterpret_cast<uintptr_t>(host) - (lin & kPageMask);
        const uint64_t ppage = paddr & ~uint64_t(kPageSize - 1);
        bool same_page = e.tag[0] == (lin & kPageMask) || e.tag[1] == (lin & kPageMask) ||
                         e.tag[2] == (lin & kPageMask);
        if (!same_page || e.addend != addend || e.paddr != ppage) clear(e);
        list(e);
        e.addend = addend;
        e.paddr = ppage;
        e.flags = (e.flags & ~kTlbGlobal) | (global ? kTlbGlobal : 0);
        e.tag[int(acc)] = lin & kPageMask;
        // The other data access kind as well when it would reach the same host page with no
        // walk of its own to set anything: a page that may be written may be read (SDM Vol. 3A,
        // 4.6), and a read of a page already dirty and writable at this privilege may be
        // followed by writes. A read-modify-write then fills once, not twice.
        if (acc == Access::Write && pi.kind == RegionKind::Ram && pi.host == host) {
            e.tag[int(Access::Read)] = lin & kPageMask;
        } else if (acc == Access::Read && writable && pi.wkind == RegionKind::Ram && pi.whost == host &&
                   !phys_.is_code_page(uint32_t(paddr))) {
            e.tag[int(Access::Write)] = lin & kPageMask;
        }
        mirror(e);
    }
    return true;
}

bool Mmu::check_crossing(uint32_t lin, uint32_t first, Access acc, bool user, GuestFault& f) noexcept {
    // Neither walk sets the accessed or dirty bit of the entry that maps a page: those come with
    // the fills after both checks passed.
    for (uint32_t at : {lin, lin + first}) {
        Walk w = walk(at, acc, user, false);
        if (!w.ok) {
            f = GuestFault{kPF, w.error, at};
            return false;
        }
    }
    return true;
}

bool Mmu::try_read(uint32_t lin, unsigned size, bool user, Access acc, uint32_t& value, GuestFault& f) noexcept {
    const TlbEntry& e = entry(user, lin);
    if ((lin & kPageMask) == e.tag[int(acc)] && (lin & ~kPageMask) <= kPageSize - size) {
        ++stats_.hits;
        value = load_host(reinterpret_cast<const void*>(lin + e.addend), size);
        return true;
    }
    uint32_t first = kPageSize - (lin & ~kPageMask);
    uint64_t p0, p1;
    if (first >= size) {
        if (!fill(lin, acc, user, p0, f)) return false;
        value = phys_read(p0, size);
        return true;
    }
    // Crosses a page: check both pages, the lower first (its fault is the one reported when both
    // fault, as on hardware), then translate both before reading either.
    if (paging_.enabled && !check_crossing(lin, first, acc, user, f)) return false;
    if (!fill(lin, acc, user, p0, f) || !fill(lin + first, acc, user, p1, f)) return false;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= phys_read(i < first ? p0 + i : p1 + (i - first), 1) << (8 * i);
    value = v;
    return true;
}

bool Mmu::try_write(uint32_t lin, unsigned size, uint32_t value, bool user, GuestFault& f) noexcept {
    const TlbEntry& e = entry(user, lin);
    if ((lin & kPageMask) == e.tag[int(Access::Write)] && (lin & ~kPageMask) <= kPageSize - size) {
        ++stats_.hits;
        store_host(reinterpret_cast<void*>(lin + e.addend), size, value);
        return true;
    }
    uint32_t first = kPageSize - (lin & ~kPageMask);
    uint64_t p0, p1;
    if (first >= size) {
        if (!fill(lin, Access::Write, user, p0, f)) return false;
        phys_write(p0, size, value);
        return true;
    }
    // Crosses a page: both translations must succeed before any byte is written, so a fault on
    // the second page leaves the first unchanged (its dirty bit included). When both pages fault,
    // the lower page's fault is reported.
    if (paging_.enabled && !check_crossing(lin, first, Access::Write, user, f)) return false;
    if (!fill(lin, Access::Write, user, p0, f) || !fill(lin + first, Access::Write, user, p1, f)) return false;
    for (unsigned i = 0; i < size; ++i) phys_write(i < first ? p0 + i : p1 + (i - first), 1, (value >> (8 * i)) & 0xFF);
    return true;
}

bool Mmu::try_probe_write(uint32_t lin, unsigned size, bool user, GuestFault& f) noexcept {
    const TlbEntry& e = entry(user, lin);
    if ((lin & kPageMask) == e.tag[int(Access::Write)] && (lin & ~kPageMask) <= kPageSize - size)
        return true;
    uint32_t first = kPageSize - (lin & ~kPageMask);
    uint64_t p;
    if (first < size && paging_.enabled && !check_crossing(lin, first, Access::Write, user, f)) return false;
    if (!fill(lin, Access::Write, user, p, f)) return false;
    return first >= size || fill(lin + first, Access::Write, user, p, f);
}

// The interpreter's throwing forms.

uint32_t Mmu::read_slow(uint32_t lin, unsigned size, bool user, Access acc) {
    uint32_t v;
    GuestFault f;
    if (!try_read(lin, size, user, acc, v, f)) rethrow_fault(f);
    return v;
}

void Mmu::write_slow(uint32_t lin, unsigned size, uint32_t value, bool user) {
    GuestFault f;
    if (!try_write(lin, size, value, user, f)) rethrow_fault(f);
}

void Mmu::probe_write_slow(uint32_t lin, unsigned size, bool user) {
    GuestFault f;
    if (!try_probe_write(lin, size, user, f)) rethrow_fault(f);
}

unsigned Mmu::fetch(uint32_t lin, uint8_t* buf, unsigned len, bool user) {
    unsigned n = kPageSize - (lin & ~kPageMask);
    if (n > len) n = len;
    const TlbEntry& e = entry(user, lin);
    if ((lin & kPageMask) == e.tag[int(Access::Exec)]) {
        ++stats_.hits;
        std::memcpy(buf, reinterpret_cast<const void*>(lin + e.addend), n);
        return n;
    }
    uint64_t paddr;
    GuestFault f;
    if (!fill(lin, Access::Exec, user, paddr, f)) rethrow_fault(f);
    for (unsigned i = 0; i < n; ++i) buf[i] = uint8_t(phys_read(paddr + i, 1));
    return n;
}


// ---- runs of accesses within one page (REP string instructions) ----

uint64_t Mmu::run_page(PageRun& run, uint32_t lin, Access acc, bool user) {
    const uint32_t page = lin & kPageMask;
    if (run.page != page || run.epoch != tlb_epoch_ || run.acc != acc || run.user != user) {
        run.page = kTlbInvalid;  // a walk that faults leaves no run behind
        uint64_t paddr;
        GuestFault f;
        if (!fill(lin, acc, user, paddr, f)) rethrow_fault(f);
        run.paddr = paddr & ~uint64_t(kPageSize - 1);
        run.page = page;
        run.epoch = tlb_epoch_;
        run.acc = acc;
        run.user = user;
    } else {
        ++stats_.hits;
    }
    return run.paddr | (lin & ~kPageMask);
}

uint32_t Mmu::read_run(PageRun& run, uint32_t lin, unsigned size, bool user) {
    const TlbEntry& e = entry(user, lin);
    if ((lin & ~kPageMask) > kPageSize - size) return read_slow(lin, size, user, Access::Read);
    if ((lin & kPageMask) == e.tag[int(Access::Read)]) {
        ++stats_.hits;
        return load_host(reinterpret_cast<const void*>(lin + e.addend), size);
    }
    return phys_read(run_page(run, lin, Access::Read, user), size);
}

void Mmu::write_run(PageRun& run, uint32_t lin, unsigned size, uint32_t value, bool user) {
    const TlbEntry& e = entry(user, lin);
    if ((lin & ~kPageMask) > kPageSize - size) return write_slow(lin, size, value, user);
    if ((lin & kPageMask) == e.tag[int(Access::Write)]) {
        ++stats_.hits;
        store_host(reinterpret_cast<void*>(lin + e.addend), size, value);
        return;
    }
    phys_write(run_page(run, lin, Access::Write, user), size, value);
}

void Mmu::probe_run(PageRun& run, uint32_t lin, unsigned size, bool user) {
    const TlbEntry& e = entry(user, lin);
    if ((lin & ~kPageMask) > kPageSize - size) return probe_write(lin, size, user);
    if ((lin & kPageMask) == e.tag[int(Access::Write)]) return;
    run_page(run, lin, Access::Write, user);
}

} // namespace xlat
