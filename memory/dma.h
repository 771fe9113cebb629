// DmaTarget: the one way a device reaches guest memory (fw_cfg's DMA today; bus-master IDE and
// virtio later). Every transfer is checked against the machine's RAM as the physical map shows it
// now: a range that touches anything but RAM (a hole, ROM, MMIO, past the end of RAM or above
// 4 GiB) is refused as a whole and nothing is copied. Device DMA does not go through the A20
// gate, which only masks the CPU's addresses.
//
// Minimal on purpose: no MMIO targets (device-to-device DMA). Writes are reported to PhysMem as
// any writer's are (PhysMem::wrote), so the translated blocks of a page a device overwrites
// are dropped; `on_write` tells a listener of its own (a test) besides.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include "memory/phys.h"

namespace xlat {

class DmaTarget {
public:
    explicit DmaTarget(PhysMem& phys) : phys_(phys) {}

    // True when every byte of [addr, addr + len) is guest RAM.
    bool in_ram(uint64_t addr, uint64_t len) const {
        if (len == 0) return true;
        if (addr > 0xFFFFFFFFull || len > 0x100000000ull - addr) return false;
        for (uint64_t page = addr & kPageMask; page < addr + len; page += kPageSize)
            if (!plain(phys_.page(uint32_t(page)))) return false;
        return true;
    }
    // Copies guest memory to `dst`; false (nothing copied) when the range is not all RAM.
    [[nodiscard]] bool read(uint64_t addr, void* dst, size_t len) const {
        if (!in_ram(addr, len)) return false;
        copy(addr, static_cast<uint8_t*>(dst), len, false);
        return true;
    }
    // Copies `src` into guest memory; false (nothing written) when the range is not all RAM.
    [[nodiscard]] bool write(uint64_t addr, const void* src, size_t len) {
        if (!in_ram(addr, len)) return false;
        copy(addr, const_cast<uint8_t*>(static_cast<const uint8_t*>(src)), len, true);
        phys_.wrote(uint32_t(addr), len);
        if (on_write && len) on_write(addr, len);
        return true;
    }
    // Fills guest memory with `value`; same check.
    [[nodiscard]] bool fill(uint64_t addr, uint8_t value, size_t len) {
        if (!in_ram(addr, len)) return false;
        while (len) {
            const size_t chunk = std::min<size_t>(len, kPageSize - (addr & (kPageSize - 1)));
            std::memset(phys_.page(uint32_t(addr)).host + (addr & (kPageSize - 1)), value, chunk);
            phys_.wrote(uint32_t(addr), chunk);
            if (on_write) on_write(addr, chunk);
            addr += chunk;
            len -= chunk;
        }
        return true;
    }

    // Told about every range a device wrote (after PhysMem was).
    std::function<void(uint64_t addr, uint64_t len)> on_write;

private:
    // RAM both ways, at one host address (not a page PAM splits between ROM and RAM).
    static bool plain(const PageInfo& p) {
        return p.kind == RegionKind::Ram && p.wkind == RegionKind::Ram && p.host == p.whost;
    }
    // Page by page through the map (RAM pages need not be contiguous in the host forever).
    void copy(uint64_t addr, uint8_t* buf, size_t len, bool to_guest) const {
        while (len) {
            const size_t chunk = std::min<size_t>(len, kPageSize - (addr & (kPageSize - 1)));
            uint8_t* host = phys_.page(uint32_t(addr)).host + (addr & (kPageSize - 1));
            if (to_guest) std::memcpy(host, buf, chunk);
            else std::memcpy(buf, host, chunk);
            addr += chunk;
            buf += chunk;
            len -= chunk;
        }
    }

    PhysMem& phys_;
};

} // namespace xlat
