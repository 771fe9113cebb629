#include "devices/block/geometry.h"

#include <algorithm>
#include <vector>

#include "devices/block/block.h"

namespace xlat {
namespace {

// The size-only geometry: 16 heads of 63 sectors and as many cylinders as fit, at most 16383
// (a larger disk is addressed by LBA; ATA-6 section 8.15.8).
DiskGeometry for_size(uint64_t total) {
    DiskGeometry g;
    g.cylinders = uint16_t(std::clamp<uint64_t>(total / (16 * 63), 1, 16383));
    return g;
}

// With no geometry to keep, the BIOS translates only what the INT 13h limits (1024 cylinders,
// 16 heads, 63 sectors) cannot reach as it is: LARGE (ECHS: heads doubled, cylinders halved)
// while that can stay under 1024 cylinders of at most 128 heads, LBA-assisted beyond.
ChsTranslation translation_for(const DiskGeometry& g) {
    if (g.cylinders <= 1024 && g.heads <= 16 && g.sectors <= 63) return ChsTranslation::None;
    return uint32_t(g.cylinders) * g.heads <= 131072 ? ChsTranslation::Large : ChsTranslation::Lba;
}

} // namespace

DiskGeometry guess_geometry(uint64_t total, const uint8_t* s) {
    const DiskGeometry size_only = for_size(total);
    DiskGeometry g = size_only;
    g.translation = translation_for(g);
    if (!s || s[510] != 0x55 || s[511] != 0xAA) return g;
    // The partition table (four 16-byte entries at 1BEh): the first used entry's ending CHS
    // tells the heads and sectors per track of the geometry it was written for.
    for (int i = 0; i < 4; ++i) {
        const uint8_t* e = s + 0x1BE + 16 * i;
        const uint32_t count = uint32_t(e[12]) | uint32_t(e[13]) << 8 | uint32_t(e[14]) << 16 | uint32_t(e[15]) << 24;
        const unsigned end_head = e[5], end_sector = e[6] & 63;
        if (count == 0 || end_head == 0 || end_sector == 0) continue;
        const unsigned heads = end_head + 1;
        const uint64_t cylinders = total / (uint64_t(heads) * end_sector);
        if (cylinders < 1 || cylinders > 16383) continue;
        if (heads > 16) {
            // More heads than an ATA drive has (the partitioner assumed a translating BIOS):
            // the drive keeps its size-only geometry and the BIOS translates to reach the
            // partitioner's one (LARGE when the cylinders halve to under 1024, else LBA).
            g = size_only;
            g.translation = uint32_t(g.cylinders) * g.heads <= 131072 ? ChsTranslation::Large : ChsTranslation::Lba;
        } else {
            g.cylinders = uint16_t(cylinders);
            g.heads = uint16_t(heads);
            g.sectors = uint16_t(end_sector);
            g.translation = ChsTranslation::None;
        }
        return g;
    }
    return g;
}

DiskGeometry guess_geometry(BlockDevice& disk) {
    std::vector<uint8_t> s(BlockDevice::kSectorSize);
    const bool ok = disk.sectors() > 0 && disk.read(0, s.data(), 1);
    return guess_geometry(disk.sectors(), ok ? s.data() : nullptr);
}

} // namespace xlat
