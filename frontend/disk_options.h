// The disk options, QEMU's spellings: -hda/-hdb/-hdc/-hdd FILE, -cdrom FILE, -drive KEY=VALUE,...,
// -snapshot, -boot. Kept apart from options.cpp so that the disks are one block there.
#pragma once
#include <array>
#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "devices/block/block.h"
#include "frontend/boot_order.h"

namespace xlat {

// One IDE disk from the command line. Index 0-3: primary master, primary slave, secondary
// master, secondary slave (QEMU's if=ide numbering).
struct DriveSpec {
    std::string file;
    unsigned index = 0;
    bool read_only = false;
    bool snapshot = false;
    bool cdrom = false;  // an ATAPI CD-ROM drive (-cdrom, media=cdrom): read-only, 2048-byte blocks
};

struct MachineConfig;

void add_disk_options(boost::program_options::options_description& d);
// Reads the disk options; throws UsageError on a bad -drive string or two disks at one index.
std::vector<DriveSpec> parse_disk_options(const boost::program_options::variables_map& vm);
// Opens the images; throws UsageError with one line when one cannot be used.
std::array<std::shared_ptr<BlockDevice>, 4> open_drives(const std::vector<DriveSpec>& drives);
// Reads -boot (QEMU's default order "cad" without it); throws UsageError.
BootOrder parse_boot_options(const boost::program_options::variables_map& vm);
// Opens the images and puts them, their kinds and the boot settings into `cfg`.
void configure_drives(MachineConfig& cfg, const std::vector<DriveSpec>& drives, const BootOrder& boot);

} // namespace xlat
