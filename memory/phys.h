// The guest physical address space of one machine: RAM, ROM, MMIO regions and the A20 gate.
//
// Layout, as on a PC (and as QEMU's i440FX machine lays it out):
//   0x00000000 .. ram_size          RAM (at most 3 GiB: the rest of the 4 GiB is the PCI hole)
//   0x000A0000 .. 0x000BFFFF        legacy VGA window: nothing until a VGA device maps it
//   top of 1 MiB (last 128 KiB)     the last min(size, 128 KiB) of the firmware image (ROM)
//   top of 4 GiB                    the whole firmware image (ROM)
// ROM and MMIO regions lie over RAM. Reads of nothing return all ones, writes to nothing and to
// ROM are dropped (SDM-independent PC behaviour; QEMU does the same).
#pragma once
#include <cstddef>
#include <cstdint>
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

// What the physical page containing an address is.
struct PageInfo {
    RegionKind kind = RegionKind::None;
    uint8_t* host = nullptr;  // host address of the page's first byte (RAM and ROM only)
};

class PhysMem {
public:
    // pc_layout: leave the legacy VGA window (0xA0000-0xBFFFF) empty, as on a PC. Without it,
    // RAM is contiguous (for the instruction-conformance rig, which had plain RAM there).
    explicit PhysMem(uint64_t ram_bytes, bool pc_layout = true);
    ~PhysMem();
    PhysMem(const PhysMem&) = delete;
    PhysMem& operator=(const PhysMem&) = delete;

    uint64_t ram_size() const { return ram_size_; }
    uint8_t* ram() { return ram_; }

    // Maps a copy of `image` read-only at `base`. Throws std::invalid_argument on overlap.
    void map_rom(uint32_t base, const std::vector<uint8_t>& image, const std::string& name);
    // Maps window `id` of a device at [base, base+size); accesses narrower than min_size or
    // wider than max_size are merged or split by the bus (memory/device.h).
    void map_mmio(uint32_t base, uint32_t size, Device* dev, unsigned id, unsigned min_size,
                  unsigned max_size, const std::string& name);

    // The A20 gate: when off, bit 20 of every physical address reads as 0 (8086 wrap-around).
    void set_a20(bool enabled) {
        uint32_t mask = enabled ? 0xFFFFFFFFu : ~(1u << 20);
        if (mask != a20_mask_) { a20_mask_ = mask; changed(); }
    }
    bool a20() const { return a20_mask_ == 0xFFFFFFFFu; }
    uint32_t a20_mask() const { return a20_mask_; }
    // Whoever caches translations (each CPU's TLB) registers here and is called whenever the
    // map or the A20 gate changes, and (code_fn) whenever a page becomes a code page, so that no
    // write reaches it through a host pointer any more.
    void add_listener(void (*fn)(void*), void* ctx, void (*code_fn)(void*) = nullptr) {
        listeners_.push_back(Listener{fn, code_fn, ctx});
    }
    void remove_listener(void* ctx);

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
        uint32_t base;
        uint32_t size;
        RegionKind kind;
        uint8_t* host;           // ROM bytes
        Window mmio;             // MMIO: the device window
        std::string name;
        std::unique_ptr<uint8_t[]> storage;  // owned ROM copy
    };
    const Region* find(uint32_t paddr) const;
    void check_overlap(uint32_t base, uint32_t size, const std::string& name) const;

    uint8_t* ram_ = nullptr;
    uint64_t ram_size_ = 0;
    bool vga_hole_ = true;
    uint32_t a20_mask_ = 0xFFFFFFFFu;
    std::vector<Region> regions_;
    struct Listener {
        void (*changed)(void*);    // the map or A20 changed
        void (*code_page)(void*);  // a page became a code page
        void* ctx;
    };
    std::vector<Listener> listeners_;
    std::vector<uint8_t> code_pages_;  // per page of RAM: 1 when it holds translated code
    void changed() {
        for (const Listener& l : listeners_) l.changed(l.ctx);
    }
    // True when [paddr, paddr+len) is plain RAM (no region over it, not the VGA hole).
    bool plain_ram(uint32_t paddr, size_t len) const;
};

} // namespace xlat
