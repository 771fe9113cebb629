// The software MMU: linear to physical translation and the TLB with its host-pointer fast path.
//
// A TLB entry caches, per linear page and per privilege (supervisor, user), one tag for each kind
// of access (read, write, execute) and one addend: host address = linear address + addend. A hit
// is therefore one compare and one add, which is what the translator will inline. A tag holds the
// linear page address when that access kind may go straight to host memory, and kTlbInvalid when
// it must take the slow path (not mapped yet, MMIO, ROM for writes, a page holding translated code
// for writes). Paging (the page walker) plugs into translate().
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "memory/fault.h"
#include "memory/phys.h"
#include "memory/trace.h"

namespace xlat {

enum class Access : uint8_t { Read = 0, Write = 1, Exec = 2 };

// 32 bytes, aligned: one entry never straddles a cache line, and the translator's inline probe
// scales the index by a shift (translator/emitter.cpp, Emitter::probe).
struct alignas(32) TlbEntry {
    uint32_t tag[3];   // linear page address per Access kind, or kTlbInvalid
    uint32_t flags;    // kTlbGlobal, kTlbListed
    uintptr_t addend;  // host pointer minus linear address, valid where a tag matches
    uint64_t paddr;    // the physical address of the page, valid where a tag matches
};
static_assert(sizeof(TlbEntry) == 32, "the inline probe scales the index by 32");

constexpr uint32_t kTlbInvalid = 1;  // never equals a page-aligned address
constexpr uint32_t kTlbGlobal = 1;   // TlbEntry::flags: the page is global (kept across CR3 loads with CR4.PGE)
constexpr uint32_t kTlbListed = 2;   // TlbEntry::flags: the entry is on the MMU's list of used entries
// 8192 entries per privilege, direct-mapped by the low bits of the page number: 32 MiB of
// consecutive pages without a conflict (bench/README.md, "The inline TLB", for the sizes measured).
// A flush visits only the entries filled since the last one (Mmu::used_), so its cost does not
// grow with the size.
constexpr unsigned kTlbBits = 13;
constexpr unsigned kTlbEntries = 1u << kTlbBits;
// Linear pages of a 32-bit address space: the fast pages' length (Mmu::fast_pages).
constexpr unsigned kFastPages = 1u << 20;

struct MmuStats {
    uint64_t hits = 0, misses = 0, flushes = 0, walks = 0;
};

class Mmu {
public:
    explicit Mmu(PhysMem& phys, const Tracer* trace = nullptr);
    ~Mmu();
    Mmu(const Mmu&) = delete;
    Mmu& operator=(const Mmu&) = delete;

    PhysMem& phys() { return phys_; }

    // Paging control, set by the CPU when CR0, CR3, CR4 or EFER change.
    struct Paging {
        bool enabled = false;  // CR0.PG
        bool wp = false;       // CR0.WP: supervisor writes honour read-only pages
        bool pse = false;      // CR4.PSE: 4 MiB pages in 32-bit paging
        bool pae = false;      // CR4.PAE: 64-bit entries, 2 MiB pages, PDPT
        bool pge = false;      // CR4.PGE: global pages survive CR3 loads
        bool nxe = false;      // EFER.NXE: bit 63 of PAE entries forbids instruction fetch
        uint32_t cr3 = 0;      // page-directory (or PDPT) base
        uint64_t pdpte[4] = {};  // PAE: the PDPTEs, loaded when CR3, CR0 or CR4 is written
    };
    // Reads the four PDPTEs at the PDPT that `cr3` points at; false when one that is present has
    // a reserved bit set (the MOV to CRn then raises #GP(0): SDM Vol. 3A, 4.4.1).
    bool load_pdptes(uint32_t cr3, uint64_t (&out)[4]);
    // Installs new paging state. Changing anything but CR3 flushes the whole TLB; a CR3 load
    // alone keeps global pages when CR4.PGE is set (SDM Vol. 3A, 4.10.4.1).
    void set_paging(const Paging& p);
    const Paging& paging() const { return paging_; }

    void flush_all();
    // Drops the write tags of the entries that map the physical page of `paddr`: it became a
    // code page, and no write may reach it directly.
    void drop_write_tags(uint32_t paddr);
    // Drops every non-global translation (a CR3 load with CR4.PGE).
    void flush_nonglobal();
    // INVLPG: drops the translations of the page holding `lin`, global or not.
    void invalidate_page(uint32_t lin);

    // Translates a linear address for an access of the given kind at the given privilege,
    // raising #PF through GuestFault when paging forbids it. Sets accessed and dirty bits only
    // when the access succeeds.
    // The result has up to 36 bits with PAE; nothing is mapped above 4 GiB.
    uint64_t translate(uint32_t lin, Access acc, bool user);

    // The non-throwing forms of translate, read, write and probe_write, for the helpers that
    // translated code calls: false (with the #PF in `f`) instead of a throw. Each fills the TLB
    // like its throwing form.
    [[nodiscard]] bool try_translate(uint32_t lin, Access acc, bool user, uint64_t& paddr, GuestFault& f) noexcept;
    [[nodiscard]] bool try_read(uint32_t lin, unsigned size, bool user, Access acc, uint32_t& value,
                                GuestFault& f) noexcept;
    [[nodiscard]] bool try_write(uint32_t lin, unsigned size, uint32_t value, bool user, GuestFault& f) noexcept;
    [[nodiscard]] bool try_probe_write(uint32_t lin, unsigned size, bool user, GuestFault& f) noexcept;

    // Code pages are recorded by the physical address space (PhysMem::set_code_page): the TLB
    // never maps them for direct writes, so every CPU write to one reaches PhysMem::write, which
    // reports it.

    template <typename T> T read(uint32_t lin, bool user, Access acc = Access::Read) {
        const TlbEntry& e = entry(user, lin);
        if ((lin & kPageMask) == e.tag[int(acc)] && (lin & ~kPageMask) <= kPageSize - sizeof(T)) {
            ++stats_.hits;
            T v;
            std::memcpy(&v, reinterpret_cast<const void*>(lin + e.addend), sizeof(T));
            return v;
        }
        return T(read_slow(lin, sizeof(T), user, acc));
    }

    template <typename T> void write(uint32_t lin, T value, bool user) {
        const TlbEntry& e = entry(user, lin);
        if ((lin & kPageMask) == e.tag[int(Access::Write)] &&
            (lin & ~kPageMask) <= kPageSize - sizeof(T)) {
            ++stats_.hits;
            std::memcpy(reinterpret_cast<void*>(lin + e.addend), &value, sizeof(T));
            return;
        }
        write_slow(lin, sizeof(T), value, user);
    }

    // Checks that a write of `size` bytes at `lin` would succeed, without writing: used before a
    // read-modify-write so that the read side does not commit anything a failing write would not.
    void probe_write(uint32_t lin, unsigned size, bool user) {
        const TlbEntry& e = entry(user, lin);
        if ((lin & kPageMask) == e.tag[int(Access::Write)] && (lin & ~kPageMask) <= kPageSize - size) return;
        probe_write_slow(lin, size, user);
    }

    // A run of accesses of one kind (read or write) and privilege through one linear page, as a
    // REP string instruction makes: the page is translated once (a walk with the accessed and
    // dirty bits of a normal access) and the later accesses inside it use that translation
    // instead of walking again for every element where the TLB cannot hold the page (MMIO,
    // nothing mapped). Pages the TLB holds take its fast path as usual; an access that crosses a
    // page takes the ordinary slow path. Like a TLB entry, a run's page is kept until a TLB flush
    // or INVLPG, and serves only the access kind and privilege it was translated for.
    struct PageRun {
        uint32_t page = kTlbInvalid;  // the linear page translated, or kTlbInvalid
        uint64_t paddr = 0;           // its physical address
        uint64_t epoch = 0;           // tlb_epoch_ when it was translated
        Access acc = Access::Read;    // the access kind it was translated for
        bool user = false;            // and the privilege
    };
    // The runs of the REP string instructions (cpu/string.cpp): source reads, destination reads,
    // destination writes. Kept here, across the steps of a REP that yields now and then.
    PageRun string_runs[3];
    uint32_t read_run(PageRun& run, uint32_t lin, unsigned size, bool user);
    void write_run(PageRun& run, uint32_t lin, unsigned size, uint32_t value, bool user);
    // Checks that the write would succeed (as probe_write), keeping the translation in `run`.
    void probe_run(PageRun& run, uint32_t lin, unsigned size, bool user);

    // Copies up to `len` instruction bytes at `lin` into `buf`, stopping at the end of the page
    // (so that a fault on the next page is raised only if the decoder needs it). Returns the count.
    unsigned fetch(uint32_t lin, uint8_t* buf, unsigned len, bool user);

    // Host address of the instruction byte at `lin` when it lies in RAM or ROM (through the TLB,
    // filling it on a miss and faulting like a fetch); nullptr for MMIO or nothing.
    const uint8_t* exec_host(uint32_t lin, bool user) {
        const TlbEntry& e = entry(user, lin);
        if ((lin & kPageMask) != e.tag[int(Access::Exec)]) {
            uint64_t paddr;
            GuestFault f;
            if (!fill(lin, Access::Exec, user, paddr, f)) rethrow_fault(f);
            if ((lin & kPageMask) != e.tag[int(Access::Exec)]) return nullptr;
        }
        return reinterpret_cast<const uint8_t*>(lin + e.addend);
    }

    // exec_host without a throw, for the JIT's dispatcher: nullptr on a fetch fault too (the
    // interpreter's step then raises it).
    const uint8_t* try_exec_host(uint32_t lin, bool user) noexcept {
        const TlbEntry& e = entry(user, lin);
        if ((lin & kPageMask) != e.tag[int(Access::Exec)]) {
            uint64_t paddr;
            GuestFault f;
            if (!fill(lin, Access::Exec, user, paddr, f)) return nullptr;
            if ((lin & kPageMask) != e.tag[int(Access::Exec)]) return nullptr;
        }
        return reinterpret_cast<const uint8_t*>(lin + e.addend);
    }

    // The TLB entries of a privilege (the JIT's jump probe reads their Exec tags; kTlbEntries of them).
    const TlbEntry* tlb_entries(bool user) const { return tlb_[user]; }
    // The page table of a privilege and access kind (read or write) that the JIT's inline data
    // probe reads: kFastPages addends indexed by the whole linear page number, each the addend of
    // the TLB entry that holds that page's tag for that kind, or 0 (take the slow path). It
    // mirrors the TLB exactly (every change of a Read or Write tag updates it), so a page needs
    // no tag: the index is the page.
    const uintptr_t* fast_pages(bool user, bool write) const { return fast_[user][write]; }
    // The entry that caches the page of `lin` at a privilege.
    TlbEntry& entry(bool user, uint32_t lin) { return tlb_[user][(lin >> kPageBits) & (kTlbEntries - 1)]; }
    // Entries on the list of used entries (for the tests: what a flush will visit).
    size_t tlb_used() const { return used_.size(); }

    const MmuStats& stats() const { return stats_; }

    // For debuggers and the monitor: the physical address of `lin` with supervisor rights, as
    // the page tables say now, without setting accessed or dirty bits, filling the TLB or
    // counting; false when nothing is mapped there.
    bool debug_translate(uint32_t lin, uint64_t& paddr) noexcept;

private:
    struct Walk {
        uint64_t paddr;     // physical address of lin
        bool global;        // the mapping is global
        bool ok;            // false: the walk faults with #PF(error)
        uint32_t error;     // the #PF error code when !ok
        bool writable = false;  // a write at this privilege would pass, with nothing to set
                                // (the entry that maps the page is dirty already)
    };
    // Walks the page tables. Entries that map a table get their accessed bit as the walk uses
    // them; with set_ad the entry that maps the page gets A (and D for a write) once every check
    // passed. `inspect` (debug_translate) writes nothing at all.
    Walk walk(uint32_t lin, Access acc, bool user, bool set_ad = true, bool inspect = false) noexcept;
    // The checks of an access that crosses from the page of `lin` into the next one, `first`
    // bytes into it: both walks, the lower page first, without A/D in the page-mapping entries.
    [[nodiscard]] bool check_crossing(uint32_t lin, uint32_t first, Access acc, bool user, GuestFault& f) noexcept;
    uint32_t read_slow(uint32_t lin, unsigned size, bool user, Access acc);
    void probe_write_slow(uint32_t lin, unsigned size, bool user);
    void write_slow(uint32_t lin, unsigned size, uint32_t value, bool user);
    // Translates and, for RAM and ROM pages, fills the TLB entry for this access kind.
    [[nodiscard]] bool fill(uint32_t lin, Access acc, bool user, uint64_t& paddr, GuestFault& f) noexcept;
    // The physical address of `lin` through `run`, translating its page when the run is elsewhere.
    uint64_t run_page(PageRun& run, uint32_t lin, Access acc, bool user);
    // Physical accesses that know there is nothing above 4 GiB and report code-page writes.
    uint32_t phys_read(uint64_t paddr, unsigned size) noexcept;
    void phys_write(uint64_t paddr, unsigned size, uint32_t value) noexcept;

    PhysMem& phys_;
    const Tracer* trace_;  // "tlb" trace: flushes
    Paging paging_;
    MmuStats stats_;
    // Both privileges' entries in one allocation (2 x kTlbEntries, 512 KiB): too large for an
    // Mmu on a test's stack. Mapped in the low 2 GiB of the address space where the host allows
    // it (Linux's MAP_32BIT), so that the translator's inline probe addresses an entry as
    // [index + disp32] with the table's address as the displacement (no 64-bit base to load);
    // else on the heap (tlb_heap_), and the probe loads the base.
    TlbEntry* tlb_mem_ = nullptr;
    std::unique_ptr<TlbEntry[]> tlb_heap_;
    TlbEntry* tlb_[2];
    // The fast pages (fast_pages): [privilege][read, write], kFastPages each, in one mapping of
    // 32 MiB of address space of which only the parts a guest's pages index are ever touched;
    // in the low 2 GiB where the host allows it, like the TLB (the probe's displacement).
    uintptr_t* fast_mem_ = nullptr;
    bool fast_mapped_ = false;
    uintptr_t* fast_[2][2];
    // The entries (index into tlb_mem_) that may hold a tag: every entry is listed once, when
    // its first tag since the last flush is set (kTlbListed), so that a flush, a CR3 load or a
    // new code page visits these and not the whole TLB.
    std::vector<uint32_t> used_;
    // The fast pages' copies of an entry's Read and Write tags: dropped (before the tags change)
    // and set again (after).
    void unmirror(const TlbEntry& e) {
        uintptr_t* const* fast = fast_[&e >= tlb_[1]];
        for (unsigned k = 0; k < 2; ++k)
            if (e.tag[k] != kTlbInvalid) fast[k][e.tag[k] >> kPageBits] = 0;
    }
    void mirror(const TlbEntry& e) {
        uintptr_t* const* fast = fast_[&e >= tlb_[1]];
        for (unsigned k = 0; k < 2; ++k)
            if (e.tag[k] != kTlbInvalid) fast[k][e.tag[k] >> kPageBits] = e.addend;
    }
    // Sets an entry's tags to kTlbInvalid (its other fields with them), keeping kTlbListed.
    void clear(TlbEntry& e) {
        unmirror(e);
        e.tag[0] = e.tag[1] = e.tag[2] = kTlbInvalid;
        e.flags &= kTlbListed;
        e.addend = 0;
        e.paddr = 0;
    }
    void list(TlbEntry& e) {
        if (e.flags & kTlbListed) return;
        e.flags |= kTlbListed;
        used_.push_back(uint32_t(&e - tlb_mem_));
    }
    uint64_t tlb_epoch_ = 0;  // counts flushes and INVLPGs: a PageRun from an older epoch is stale
};

} // namespace xlat
