// Boots the default Linux guest (roms/build-linux-guest: Debian 12's i386 kernel and busybox)
// through the xlat binary, in both --cpu-mode values, with a command that runs uname, reads
// /proc/cpuinfo, does shell arithmetic, writes and reads back a file on an ext2 disk image the
// host made with mke2fs (on -hda, through ata_piix and ext4's ext2 support, loaded as modules by
// the guest's /init), takes the md5sum of a host file on that disk, and powers off; it checks
// each line, the file the guest wrote (read back on the host with debugfs) and the exit status
// of ACPI S5.
//
// It takes minutes, so it is hidden from the default run: run it with
//   build/bin/xlat_tests "[.linux-boot]"
// (.ci/run does, unless XLAT_LINUX_BOOT=0). The guest is built once into $XLAT_GUEST_DIR or
// ~/.cache/xlat/guest; when it cannot be built (no network to the Debian mirrors, no apt) the
// test says so and checks nothing.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "linux_guest.h"
#include "process_util.h"
#include "scratch_dir.h"

namespace {

using xlat_test::guest_dir;
using xlat_test::has_line_starting;
using xlat_test::line_starting;
const std::string& kXlat = xlat_test::kXlatBinary;

// The output of a host tool (md5sum, mke2fs, debugfs), or FAIL with its stderr.
std::string host_tool(const std::vector<std::string>& argv) {
    xlat_test::ProcessResult r = xlat_test::run_process(argv, 60);
    INFO(argv[0] << ": " << r.err);
    REQUIRE(r.exit_status == 0);
    return r.out;
}

} // namespace

TEST_CASE("linux: the default guest boots, runs a command and powers off with status 0", "[.linux-boot]") {
    const std::string dir = guest_dir();
    if (dir.empty()) return;
    // The disk: 256 KiB of random bytes in data.bin, in an ext2 file system made by the host's
    // mke2fs (e2fsprogs, installed by .ci/setup) from a folder, and their md5sum by the host's.
    xlat_test::ScratchDir scratch("linux-boot");
    std::mt19937 rng(std::random_device{}());
    std::string data(256 * 1024, '\0');
    for (char& c : data) c = char(rng());
    std::filesystem::create_directory(scratch.dir / "files");
    const std::string data_file = scratch.file("files/data.bin", data);
    const std::string host_md5 = host_tool({"md5sum", data_file}).substr(0, 32);
    const std::string modes[] = {"interp", "jit"};
    for (const std::string& mode : modes) {
        SECTION("--cpu-mode " + mode) {
            const std::string disk = (scratch.dir / ("disk-" + mode + ".img")).string();
            host_tool({"mke2fs", "-q", "-F", "-t", "ext2", "-d", (scratch.dir / "files").string(), disk, "4M"});
            // The words after "--" are the guest's command (see roms/build-linux-guest); the
            // kernel takes at most 31 of them, so the command has few spaces. The guest writes a
            // file, mounts the disk again read-only and reads it back from the disk. The kernel
            // options are the default guest's (frontend/default_guest.h) without quiet.
            const std::string command =
                "uname -a;cat /proc/cpuinfo;echo sum=$((6*7));"
                "mount -t ext2 /dev/sda /mnt&&echo written-by-guest>/mnt/guest.txt&&umount /mnt&&"
                "mount -t ext2 -o ro /dev/sda /mnt&&cat /mnt/guest.txt&&md5sum /mnt/data.bin&&umount /mnt&&"
                "echo unmounted;poweroff -f";
            xlat_test::ProcessResult r = xlat_test::run_process(
                {kXlat, "--cpu-mode", mode, "-kernel", dir + "/vmlinuz", "-initrd", dir + "/initrd.gz", "-append",
                 "console=ttyS0 cryptomgr.notests=1 nolapic -- " + command, "-hda", disk, "-serial", "stdio",
                 "--max-insns", "40000000000"},
                1500);
            INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
            CHECK(!r.timed_out);
            CHECK(r.exit_status == 0);  // ACPI S5
            CHECK(has_line_starting(r.out, "xlat-guest: Linux 6.1.0-"));
            CHECK(r.out.find("\nLinux (none) 6.1.0-") != std::string::npos);  // uname -a
            CHECK(r.out.find(" i686 GNU/Linux") != std::string::npos);
            // /proc/cpuinfo: one processor, a vendor, the features a P6 has and Linux saw.
            CHECK(has_line_starting(r.out, "processor\t: 0"));
            CHECK(!has_line_starting(r.out, "processor\t: 1"));
            const std::string vendor = line_starting(r.out, "vendor_id\t: ");
            CHECK(vendor.size() > std::string("vendor_id\t: ").size());
            CHECK(has_line_starting(r.out, "cpu family\t: 6"));
            CHECK(has_line_starting(r.out, "fpu\t\t: yes"));
            const std::string flags = line_starting(r.out, "flags\t\t: ") + " ";
            for (const char* f : {" fpu ", " tsc ", " cx8 ", " cmov ", " pae ", " pse "}) {
                INFO("flag" << f);
                CHECK(flags.find(f) != std::string::npos);
            }
            CHECK(has_line_starting(r.out, "bogomips\t: "));
            CHECK(has_line_starting(r.out, "sum=42"));
            // The disk: ata_piix found it, the guest's write survived a remount, and the file
            // the host put there has the host's md5sum.
            CHECK(r.out.find("ata1.00: ATA-") != std::string::npos);
            CHECK(has_line_starting(r.out, "written-by-guest"));
            CHECK(has_line_starting(r.out, host_md5 + "  /mnt/data.bin"));
            CHECK(has_line_starting(r.out, "unmounted"));
            CHECK(r.out.find("reboot: Power down") != std::string::npos);
            CHECK(r.out.find("Oops") == std::string::npos);
            CHECK(r.out.find("Call Trace") == std::string::npos);
            CHECK(r.out.find("Kernel panic") == std::string::npos);
            // The PCI root's windows (the DSDT's _CRS) let ata_piix claim the legacy IDE ports.
            CHECK(r.out.find("scsi host0: ata_piix") != std::string::npos);
            // And the host sees the guest's file in the image.
            CHECK(host_tool({"debugfs", "-R", "cat /guest.txt", disk}) == "written-by-guest\n");
        }
    }
}
