// The guest physical address space of one machine: RAM, ROM, MMIO regions and the A20 gate.
//
// The map is a stack of regions over the background RAM ([0, ram size), at most 3 GiB: the rest
// of the 4 GiB is the PCI hole). Each region has a priority; for each page and each direction
// (reads, writes) the highest-priority region that takes that direction decides where the access
// goes (ties: the region added last), else the background: RAM below the RAM size, nothing above.
// A region is one of
//   Ram    a window onto guest RAM at the same address: the chipset's shadow RAM (PAM) and SMRAM
//   Rom    bytes of its own, read-only (writes are dropped)
//   Mmio   a device's window
//   None   nothing: reads return all ones, writes are dropped (the PCI side of the BIOS area, the
//          legacy VGA window before a VGA device maps it)
// and may take only reads or only writes: the other direction falls through to what lies below,
// which is how the i440FX's PAM registers read the ROM and write the shadow RAM at once.
// Lookups go through a two-level page table (1024 x 1024 pages) built when the map changes, so an
// access costs two loads, never a scan of the regions.
//
// The PC layout (the Machine and the board build it; QEMU's i440FX machine is the same):
//   0x000A0000 .. 0x000BFFFF        legacy VGA window: None (priority 1) until a VGA device maps
//                                   it; SMRAM (a Ram region, priority 3) opens RAM there
//   0x000C0000 .. 0x000FFFFF        the BIOS area: ROM (priority 2) over None, under the PAM
//                                   segments (Ram regions, priority 3) (frontend/pc_board.cpp)
//   top of 1 MiB (last 128 KiB)     the last min(size, 128 KiB) of the firmware image (ROM)
//   top of 4 GiB                    the whole firmware image (ROM)
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "memory/device.h"

namespace xlat {

constexpr uint32_t kPageBits = 12;
constexpr uint32_t kPageSize = 1u << kPageBits;
constexpr uint32_t kPageMask = ~(kPageSize - 1);
constexpr uint64_t kMaxRamBytes = 3ull << 30;  // 3 GiB: the 32-bit PC memory hole starts there

enum class RegionKind : uint8_t { None, Ram, Rom, Mmio };

// Loads and stores of 1, 2 or 4 bytes of host memory, little-endian (x86-64, aarch64 hosts). A
// memcpy of a run-time size is a libc call; these are one move each.
inline uint32_t load_host(const void* p, unsigned size) {
    if (size == 1) return *static_cast<const uint8_t*>(p);
    if (size == 2) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return v;
    }
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline void store_host(void* p, unsigned size, uint32_t v) {
    if (size == 1) *static_cast<uint8_t*>(p) = uint8_t(v);
    else if (size == 2) {
        const uint16_t w = uint16_t(v);
        std::memcpy(p, &w, 2);
    } else {
        std::memcpy(p, &v, 4);
    }
}

// What the physical page containing an address is, for each direction. `kind` and `host` say
// where reads go; `wkind` and `whost` where writes go (they differ under PAM: read the ROM,
// write the shadow RAM). Mmio also stands for a page that regions share or only partly cover:
// such a page always takes the slow path (PhysMem::read and write), which is exact to the byte.
struct PageInfo {
    RegionKind kind = RegionKind::None;
    uint8_t* host = nullptr;   // host address of the page's first byte for reads (Ram and Rom)
    RegionKind wkind = RegionKind::None;
    uint8_t* whost = nullptr;  // host address of the page's first byte for writes (Ram only)
};

// Region priorities of the PC layout (any int works; these name the layers).
enum : int { kPrioHole = 1, kPrioDevice = 2, kPrioChipset = 3 };

using RegionId = int;

class PhysMem {
public:
    // pc_layout: the legacy VGA window (0xA0000-0xBFFFF) is a None region (priority kPrioHole),
    // as on a PC. Without it, RAM is contiguous (for the instruction-conformance rig, which had
    // plain RAM there).
    explicit PhysMem(uint64_t ram_bytes, bool pc_layout = true);
    ~PhysMem();
    PhysMem(const PhysMem&) = delete;
    PhysMem& operator=(const PhysMem&) = delete;

    uint64_t ram_size() const { return ram_size_; }
    uint8_t* ram() { return ram_; }

    // ---- the map ----
    // Each of these returns the new region's id. A region must fit below 4 GiB and must not
    // overlap another region of the same priority (std::invalid_argument).
    // A copy of `image`, read-only, at `base`.
    RegionId map_rom(uint32_t base, const std::vector<uint8_t>& image, const std::string& name,
                     int priority = kPrioDevice);
    // Window `id` of a device at [base, base+size); accesses narrower than min_size or wider
    // than max_size are merged or split by the bus (memory/device.h).
    RegionId map_mmio(uint32_t base, uint32_t size, Device* dev, unsigned id, unsigned min_size,
                      unsigned max_size, const std::string& name, int priority = kPrioDevice);
    // Guest RAM at its own addresses [base, base+size) (which must lie inside RAM), taking reads
    // and/or writes as given: shadow RAM and SMRAM over what the devices map there.
    RegionId map_ram(uint32_t base, uint32_t size, bool reads, bool writes, const std::string& name,
                     int priority = kPrioChipset);
    // Nothing: reads all ones, writes dropped, over whatever lies below.
    RegionId map_none(uint32_t base, uint32_t size, const std::string& name, int priority = kPrioHole);
    void remove_region(RegionId id);
    // Moves a region (a PCI BAR the firmware reprogrammed); its contents and device stay.
    void move_region(RegionId id, uint32_t new_base);
    // Which directions a region takes (the other falls through to what lies below it).
    void set_region_access(RegionId id, bool reads, bool writes);
    bool has_region(RegionId id) const { return region(id) != nullptr; }
    uint32_t region_base(RegionId id) const;

    // The A20 gate: when off, bit 20 of every physical address reads as 0 (8086 wrap-around).
    void set_a20(bool enabled) {
        uint32_t mask = enabled ? 0xFFFFFFFFu : ~(1u << 20);
        if (mask != a20_mask_) { a20_mask_ = mask; changed(0, 1ull << 32); }
    }
    bool a20() const { return a20_mask_ == 0xFFFFFFFFu; }
    uint32_t a20_mask() const { return a20_mask_; }

    // ---- who caches what the map says ----
    // Whoever caches translations (each CPU's TLB; the block cache) registers here. `changed` is
    // called whenever the map changes, with the physical range whose meaning changed (the whole
    // 4 GiB for the A20 gate), after the change; `code_fn` whenever a page becomes a code page
    // (with its physical address), so that no write reaches it through a host pointer any more.
    using ChangeFn = void (*)(void* ctx, uint32_t base, uint64_t size);
    void add_listener(ChangeFn fn, void* ctx, void (*code_fn)(void*, uint32_t paddr) = nullptr) {
        listeners_.push_back(Listener{fn, code_fn, ctx});
    }
    void remove_listener(void* ctx);
    // How many times the map changed (tests; a cache can compare it cheaply).
    uint64_t map_generation() const { return generation_; }

    // Code-page tracking, one record per machine (every CPU, DMA and loader write is seen here):
    // the block cache marks the pages it translated from; every write to a marked page through
    // this object (write, write_bytes, fill_bytes, wrote) is reported to on_code_write, where the
    // block cache invalidates. The TLBs never map a code page for direct writes.
    void set_code_page(uint32_t paddr, bool holds_code);
    bool is_code_page(uint32_t paddr) const {
        size_t i = paddr >> kPageBits;
        return i < code_pages_.size() && code_pages_[i];
    }
    void (*on_code_write)(void* ctx, uint32_t paddr, unsigned size) = nullptr;
    void* on_code_write_ctx = nullptr;
    // For writers that store through ram() directly: reports the code pages [paddr, paddr+len)
    // touches. Everyone else writes through write/write_bytes/fill_bytes, which report themselves.
    void wrote(uint32_t paddr, size_t len);

    PageInfo page(uint32_t paddr) const;

    // Slow-path accesses of 1, 2 or 4 bytes that do not cross a page. The A20 mask must already
    // be applied.
    uint32_t read(uint32_t paddr, unsigned size);
    void write(uint32_t paddr, unsigned size, uint32_t value);
    // Bulk accesses for loaders, DMA and tests: plain RAM a page at a time, the rest byte by
    // byte through the map; writes report code pages.
    void write_bytes(uint32_t paddr, const void* data, size_t len);
    void fill_bytes(uint32_t paddr, uint8_t value, size_t len);
    void read_bytes(uint32_t paddr, void* data, size_t len);

private:
    struct Region {
        RegionId id;
        uint32_t base;
        uint32_t size;
        RegionKind kind;
        int priority;
        bool reads = true, writes = true;  // the directions it takes
        Window mmio;                       // Mmio: the device window
        std::string name;
        std::unique_ptr<uint8_t[]> storage;  // Rom: its own copy
        bool covers(uint32_t paddr) const { return paddr - base < size; }
    };
    // One page of the table: the region that reads and the one that writes reach (nullptr: the
    // background), and whether a region covers only part of the page (then the slow path
    // resolves each byte).
    struct PageEntry {
        const Region* read = nullptr;
        const Region* write = nullptr;
        bool partial = false;
    };
    static constexpr unsigned kLeafBits = 10, kLeafPages = 1u << kLeafBits;
    struct Leaf {
        PageEntry page[kLeafPages];
    };

    RegionId add(std::unique_ptr<Region> r);
    Region* region(RegionId id) const;
    // Rebuilds the table for the pages of [base, base+size) and tells the listeners.
    void remap(uint32_t base, uint64_t size);
    const PageEntry& entry(uint32_t paddr) const {
        const Leaf* l = leaves_[paddr >> (kPageBits + kLeafBits)].get();
        return l ? l->page[(paddr >> kPageBits) & (kLeafPages - 1)] : kBackground;
    }
    // The region an access to the byte at `paddr` reaches (nullptr: the background), exact to
    // the byte.
    const Region* resolve(uint32_t paddr, bool write) const;
    const Region* target(uint32_t paddr, bool write) const {
        const PageEntry& e = entry(paddr);
        return e.partial ? resolve(paddr, write) : write ? e.write : e.read;
    }
    // The host byte a Ram or Rom region (or the background, r == nullptr) holds for `paddr`;
    // nullptr when there is none (None, Mmio, beyond RAM, beyond a ROM's bytes).
    uint8_t* host_of(const Region* r, uint32_t paddr) const;

    static const PageEntry kBackground;
    uint8_t* ram_ = nullptr;   // 2 MiB-aligned, inside map_
    uint8_t* map_ = nullptr;   // the whole anonymous mapping (ram_size_ + 2 MiB)
    size_t map_bytes_ = 0;
    uint64_t ram_size_ = 0;
    uint32_t a20_mask_ = 0xFFFFFFFFu;
    RegionId next_id_ = 1;
    uint64_t generation_ = 0;
    std::vector<std::unique_ptr<Region>> regions_;  // in the order added
    std::unique_ptr<Leaf> leaves_[1u << (32 - kPageBits - kLeafBits)];  // nullptr: all background
    struct Listener {
        ChangeFn changed;          // the map or A20 changed
        void (*code_page)(void*, uint32_t paddr);  // a page became a code page
        void* ctx;
    };
    std::vector<Listener> listeners_;
    std::vector<uint8_t> code_pages_;  // per page of RAM: 1 when it holds translated code
    void changed(uint32_t base, uint64_t size) {
        ++generation_;
        for (const Listener& l : listeners_) l.changed(l.ctx, base, size);
    }
    // True when [paddr, paddr+len) is plain background RAM.
    bool plain_ram(uint32_t paddr, size_t len) const;
};

} // namespace xlat
