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

#include "memory/fault.h"
#include "memory/phys.h"

namespace xlat {

enum class Access : uint8_t { Read = 0, Write = 1, Exec = 2 };

struct TlbEntry {
    uint32_t tag[3];   // linear page address per Access kind, or kTlbInvalid
    uintptr_t addend;  // host pointer minus linear address, valid where a tag matches
};

constexpr uint32_t kTlbInvalid = 1;  // never equals a page-aligned address
constexpr unsigned kTlbBits = 8;
constexpr unsigned kTlbEntries = 1u << kTlbBits;

struct MmuStats {
    uint64_t hits = 0, misses = 0, flushes = 0, walks = 0;
};

class Mmu {
public:
    explicit Mmu(PhysMem& phys);

    PhysMem& phys() { return phys_; }

    // Paging control, set by the CPU when CR0, CR3, CR4 or EFER change.
    struct Paging {
        bool enabled = false;  // CR0.PG
    };
    void set_paging(const Paging& p) { paging_ = p; flush_all(); }

    void flush_all();

    // Translates a linear address for an access of the given kind at the given privilege,
    // raising #PF through GuestFault when paging forbids it.
    uint32_t translate(uint32_t lin, Access acc, bool user);

    template <typename T> T read(uint32_t lin, bool user, Access acc = Access::Read) {
        const TlbEntry& e = tlb_[user][(lin >> kPageBits) & (kTlbEntries - 1)];
        if ((lin & kPageMask) == e.tag[int(acc)] && (lin & ~kPageMask) <= kPageSize - sizeof(T)) {
            ++stats_.hits;
            T v;
            std::memcpy(&v, reinterpret_cast<const void*>(lin + e.addend), sizeof(T));
            return v;
        }
        return T(read_slow(lin, sizeof(T), user, acc));
    }

    template <typename T> void write(uint32_t lin, T value, bool user) {
        const TlbEntry& e = tlb_[user][(lin >> kPageBits) & (kTlbEntries - 1)];
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
    void probe_write(uint32_t lin, unsigned size, bool user);

    // Copies up to `len` instruction bytes at `lin` into `buf`, stopping at the end of the page
    // (so that a fault on the next page is raised only if the decoder needs it). Returns the count.
    unsigned fetch(uint32_t lin, uint8_t* buf, unsigned len, bool user);

    const MmuStats& stats() const { return stats_; }

private:
    uint32_t read_slow(uint32_t lin, unsigned size, bool user, Access acc);
    void write_slow(uint32_t lin, unsigned size, uint32_t value, bool user);
    // Translates and, for RAM and ROM pages, fills the TLB entry for this access kind.
    uint32_t fill(uint32_t lin, Access acc, bool user);

    PhysMem& phys_;
    Paging paging_;
    uint64_t phys_generation_ = 0;
    MmuStats stats_;
    TlbEntry tlb_[2][kTlbEntries];
};

} // namespace xlat
