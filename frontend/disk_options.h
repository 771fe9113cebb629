// The disk options, QEMU's spellings: -hda/-hdb/-hdc/-hdd FILE, -drive KEY=VALUE,..., -snapshot.
// Kept apart from options.cpp so that the disks are one block there.
#pragma once
#include <array>
#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "devices/block/block.h"

namespace xlat {

// One IDE disk from the command line. Index 0-3: primary master, primary slave, secondary
// master, secondary slave (QEMU's if=ide numbering).
struct DriveSpec {
    std::string file;
    unsigned index = 0;
    bool read_only = false;
    bool snapshot = false;
};

void add_disk_options(boost::program_options::options_description& d);
// Reads the disk options; throws UsageError on a bad -drive string or two disks at one index.
std::vector<DriveSpec> parse_disk_options(const boost::program_options::variables_map& vm);
// Opens the images; throws UsageError with one line when one cannot be used.
std::array<std::shared_ptr<BlockDevice>, 4> open_drives(const std::vector<DriveSpec>& drives);

} // namespace xlat
