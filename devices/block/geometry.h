// The CHS geometry and BIOS translation a PC gives a hard disk image, guessed from its size and
// from the partition table in its first sector, the way QEMU's PC does, so that an image
// partitioned under QEMU (or by a tool that assumed 255 heads) is addressed at the same
// cylinders, heads and sectors here: a boot sector or DOS that uses INT 13h CHS calls reads the
// same sectors in both emulators.
#pragma once
#include <cstdint>

namespace xlat {

class BlockDevice;

// How the BIOS maps the INT 13h geometry onto the drive's (CMOS 39h, two bits per drive: the
// values SeaBIOS reads from an emulator's NVRAM).
enum class ChsTranslation : uint8_t { None = 0, Lba = 1, Large = 2 };

struct DiskGeometry {
    uint16_t cylinders = 1, heads = 16, sectors = 63;  // what IDENTIFY DEVICE words 1, 3, 6 report
    ChsTranslation translation = ChsTranslation::None;
};

// `sector0` is the disk's first sector (null when it could not be read).
DiskGeometry guess_geometry(uint64_t total_sectors, const uint8_t* sector0);
// Reads the first sector of `disk` and guesses from it.
DiskGeometry guess_geometry(BlockDevice& disk);

} // namespace xlat
