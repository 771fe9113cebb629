// The distribution's SeaBIOS boots a disk: a boot sector written here (tests/boot/bootsector.asm)
// on a raw image given as -hda, loaded by SeaBIOS through the ATA disk, reads two more sectors
// through INT 13h (CHS and the LBA extensions), prints through the debug console and ends
// through the exit port. Under QEMU (when installed) the same disk prints the same lines.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "process_util.h"
#include "scratch_dir.h"

using namespace xlat_test;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kBootSector = XLAT_BINARY_DIR "/tests/boot/bootsector.bin";
const std::string kSeaBios = "/usr/share/seabios/bios-256k.bin";
const std::string kExpected = "boot sector ran\nint13 chs read ok\nint13 lba read ok\n";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A 1 MiB raw disk: the boot sector, then sectors that start "SEC1" and "SEC2".
std::string make_disk(const ScratchDir& dir) {
    std::string boot = read_file(kBootSector);
    REQUIRE(boot.size() == 512);
    std::string disk(1u << 20, '\0');
    disk.replace(0, 512, boot);
    disk.replace(512, 4, "SEC1");
    disk.replace(1024, 4, "SEC2");
    return dir.file("disk.img", disk);
}

std::string describe(const ProcessResult& r) {
    return "exit status " + std::to_string(r.exit_status) + (r.timed_out ? ", timed out" : "") + "\nstdout: " + r.out +
           "\nstderr: " + r.err;
}

} // namespace

TEST_CASE("boot: SeaBIOS loads a boot sector from -hda, which reads the disk through INT 13h", "[boot][seabios]") {
    if (!std::filesystem::exists(kSeaBios)) {
        WARN("skipped: " << kSeaBios << " is missing (install the seabios package)");
        return;
    }
    ScratchDir dir("boot");
    const std::string disk = make_disk(dir);
    // --icount makes the run repeat to the instruction; the guard ends a run that never boots
    // (SeaBIOS 1.16.2 runs about 6 million instructions up to the boot sector's exit).
    const ProcessResult r = run_process({kXlat, "-bios", kSeaBios, "-hda", disk, "--icount", "shift=3",
                                         "--max-insns", "50000000"}, 60);
    INFO(describe(r));
    CHECK(r.out == kExpected);
    CHECK(r.exit_status == ((0x10 << 1) | 1));

    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) return;
    // The same disk under QEMU, with the same debug console and exit port.
    const std::string log = (dir.dir / "qemu.log").string();
    const ProcessResult q = run_process({qemu, "-nodefaults", "-display", "none", "-bios", kSeaBios, "-drive",
                                         "file=" + disk + ",format=raw,if=ide", "-debugcon", "file:" + log,
                                         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}, 30);
    INFO("qemu: " << describe(q));
    CHECK(q.exit_status == ((0x10 << 1) | 1));
    CHECK(read_file(log) == r.out);
}
