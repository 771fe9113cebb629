// The default Linux guest (roms/build-linux-guest) on an ISOLINUX CD made with xorriso, booted by
// the distribution's SeaBIOS from -cdrom: ISOLINUX reads its configuration, the kernel and the
// initramfs through INT 13h on the ATAPI drive, Linux's ata_piix finds the same drive (the
// "ATAPI:" line of its log), the guest reads the ISO's volume descriptor from /dev/sr0, and
// poweroff ends xlat with status 0. And the same guest on a hard disk: a raw image with an MBR
// (SYSLINUX's mbr.bin and one FAT16 partition) whose file system is made by mkfs.fat, gets
// SYSLINUX through `syslinux --install` (mtools: no root, no loop device) and the kernel, the
// initramfs and syslinux.cfg through mcopy.
//
// It needs the guest (built from Debian's packages when missing), so it is hidden from the default
// run like tests/linux_boot_test.cpp and runs with it (.ci/run):
//   build/bin/xlat_tests "[.linux-boot]"      or only this file's tests: "[.linux-cdrom]"
// One CPU mode is enough here: the Linux boot test covers both.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "linux_guest.h"
#include "process_util.h"
#include "scratch_dir.h"

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kSeaBios = "/usr/share/seabios/bios-256k.bin";
const std::string kIsolinux = "/usr/lib/ISOLINUX/isolinux.bin";
const std::string kLdlinux = "/usr/lib/syslinux/modules/bios/ldlinux.c32";
const std::string kMbr = "/usr/lib/syslinux/mbr/mbr.bin";


} // namespace

TEST_CASE("isolinux: SeaBIOS boots the Linux guest from an ISOLINUX CD; the guest sees the ATAPI drive", "[.linux-boot][.linux-cdrom]") {
    for (const std::string& f : {kSeaBios, kIsolinux, kLdlinux})
        if (!std::filesystem::exists(f)) {
            WARN("skipped: " << f << " is missing (packages seabios, isolinux, syslinux-common)");
            return;
        }
    const std::string xorriso = xlat_test::find_on_path("xorriso");
    if (xorriso.empty()) {
        WARN("skipped: xorriso is missing");
        return;
    }
    const std::string guest = xlat_test::guest_dir();
    if (guest.empty()) return;

    // The CD: isolinux/{isolinux.bin,ldlinux.c32,isolinux.cfg}, the kernel and the initramfs.
    xlat_test::ScratchDir s("isolinux");
    namespace fs = std::filesystem;
    const fs::path tree = s.dir / "tree";
    fs::create_directories(tree / "isolinux");
    fs::copy_file(kIsolinux, tree / "isolinux/isolinux.bin");
    fs::copy_file(kLdlinux, tree / "isolinux/ldlinux.c32");
    fs::copy_file(guest + "/vmlinuz", tree / "vmlinuz");
    fs::copy_file(guest + "/initrd.gz", tree / "initrd.gz");
    // The words after "--" are the guest's command (roms/build-linux-guest); it reads block 16
    // of the CD, the primary volume descriptor, whose bytes 1-5 are "CD001", once /dev/sr0 is
    // there (ata_piix probes its ports after modprobe returns: up to 20 s). cryptomgr.notests=1
    // as in tests/linux_boot_test.cpp; the local APIC is on, as under SeaBIOS's ACPI tables.
    std::ofstream(tree / "isolinux/isolinux.cfg")
        << "SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /vmlinuz\n  INITRD /initrd.gz\n"
           "  APPEND console=ttyS0 cryptomgr.notests=1 -- uname -a; n=0; while [ ! -e /dev/sr0 -a $n -lt 20 ];do "
           "sleep 1;n=$((n+1));done; echo cd=$(dd if=/dev/sr0 bs=2048 skip=16 "
           "count=1 2>/dev/null | dd bs=1 skip=1 count=5 2>/dev/null); poweroff -f\n";
    const std::string iso = (s.dir / "linux.iso").string();
    const xlat_test::ProcessResult mk = xlat_test::run_process(
        {xorriso, "-as", "mkisofs", "-quiet", "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
         "-boot-load-size", "4", "-boot-info-table", "-o", iso, tree.string()},
        120);
    INFO("xorriso: " << mk.err);
    REQUIRE(mk.exit_status == 0);

    const xlat_test::ProcessResult r = xlat_test::run_process(
        {kXlat, "-bios", kSeaBios, "-cdrom", iso, "-vga", "none", "-serial", "stdio", "-m", "256M", "--max-insns",
         "40000000000"},
        1500);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(!r.timed_out);
    CHECK(r.exit_status == 0);  // ACPI S5
    CHECK(r.out.find("ISOLINUX ") != std::string::npos);
    CHECK(r.out.find("Loading /initrd.gz...ok") != std::string::npos);
    CHECK(r.out.find("ata2.00: ATAPI: XLAT CD-ROM") != std::string::npos);
    CHECK(r.out.find("[sr0] scsi3-mmc drive") != std::string::npos);
    CHECK(r.out.find("xlat-guest: Linux 6.1.0-") != std::string::npos);
    CHECK(r.out.find(" i686 GNU/Linux") != std::string::npos);
    CHECK(r.out.find("\ncd=CD001") != std::string::npos);
    CHECK(r.out.find("reboot: Power down") != std::string::npos);
    CHECK(r.out.find("Oops") == std::string::npos);
    CHECK(r.out.find("Kernel panic") == std::string::npos);
}

TEST_CASE("syslinux: SeaBIOS boots the Linux guest from a FAT partition on a hard disk with SYSLINUX", "[.linux-boot][.linux-cdrom]") {
    for (const std::string& f : {kSeaBios, kMbr})
        if (!std::filesystem::exists(f)) {
            WARN("skipped: " << f << " is missing (packages seabios, syslinux-common)");
            return;
        }
    // mkfs.fat lives in /usr/sbin, which a user's PATH may not name.
    std::string mkfs = xlat_test::find_on_path("mkfs.fat");
    if (mkfs.empty() && std::filesystem::exists("/usr/sbin/mkfs.fat")) mkfs = "/usr/sbin/mkfs.fat";
    const std::string syslinux = xlat_test::find_on_path("syslinux"),
                      mcopy = xlat_test::find_on_path("mcopy");
    if (mkfs.empty() || syslinux.empty() || mcopy.empty()) {
        WARN("skipped: mkfs.fat, syslinux or mcopy is missing (packages dosfstools, syslinux, mtools)");
        return;
    }
    const std::string guest = xlat_test::guest_dir();
    if (guest.empty()) return;

    // The partition: 16 MiB of FAT16 that starts 1 MiB into the disk (2048 hidden sectors, so
    // that SYSLINUX's boot sector finds its own sectors on the disk).
    xlat_test::ScratchDir s("syslinux");
    namespace fs = std::filesystem;
    const std::string part = (s.dir / "part.img").string();
    const uint32_t kStart = 2048, kSectors = 32768;
    auto run = [](const std::vector<std::string>& argv) {
        const xlat_test::ProcessResult r = xlat_test::run_process(argv, 120);
        INFO(argv[0] << ": " << r.out << r.err);
        REQUIRE(r.exit_status == 0);
    };
    run({mkfs, "-C", "-F", "16", "-h", std::to_string(kStart), "-n", "XLATBOOT", part, std::to_string(kSectors / 2)});
    run({syslinux, "--install", part});
    const std::string cfg = s.file(
        "syslinux.cfg",
        "SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /vmlinuz\n  INITRD /initrd.gz\n"
        "  APPEND console=ttyS0 cryptomgr.notests=1 -- uname -a; echo sda1=$(cat /sys/block/sda/sda1/size); "
        "poweroff -f\n");
    run({mcopy, "-i", part, cfg, guest + "/vmlinuz", guest + "/initrd.gz", "::/"});

    // The disk: SYSLINUX's MBR code, one active partition entry of type 06h (FAT16) by LBA (the
    // CHS fields say "beyond CHS", FE FF FF, as partitioners write for LBA-only entries), 55AAh.
    std::vector<uint8_t> mbr(512, 0);
    {
        std::ifstream in(kMbr, std::ios::binary);
        in.read(reinterpret_cast<char*>(mbr.data()), 440);
        REQUIRE(in.gcount() == 440);
    }
    const uint8_t entry[16] = {0x80, 0xFE, 0xFF, 0xFF, 0x06, 0xFE, 0xFF, 0xFF,
                               uint8_t(kStart), uint8_t(kStart >> 8), 0, 0,
                               uint8_t(kSectors), uint8_t(kSectors >> 8), uint8_t(kSectors >> 16), 0};
    std::memcpy(&mbr[446], entry, sizeof entry);
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    const std::string disk = (s.dir / "disk.img").string();
    {
        std::ofstream out(disk, std::ios::binary);
        out.write(reinterpret_cast<const char*>(mbr.data()), 512);
        out.write(std::string((kStart - 1) * 512, '\0').data(), (kStart - 1) * 512);
        std::ifstream in(part, std::ios::binary);
        out << in.rdbuf();
        REQUIRE(out.good());
    }
    REQUIRE(fs::file_size(disk) == uint64_t(kStart + kSectors) * 512);

    const xlat_test::ProcessResult r = xlat_test::run_process(
        {kXlat, "-bios", kSeaBios, "-hda", disk, "-vga", "none", "-serial", "stdio", "-m", "256M", "--max-insns",
         "40000000000"},
        1500);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(!r.timed_out);
    CHECK(r.exit_status == 0);  // ACPI S5
    CHECK(r.out.find("SYSLINUX ") != std::string::npos);
    CHECK(r.out.find("Loading /initrd.gz...ok") != std::string::npos);
    CHECK(r.out.find("ata1.00: ATA-") != std::string::npos);
    CHECK(r.out.find(" sda: sda1") != std::string::npos);  // Linux reads the same partition table
    CHECK(r.out.find("xlat-guest: Linux 6.1.0-") != std::string::npos);
    CHECK(r.out.find(" i686 GNU/Linux") != std::string::npos);
    CHECK(r.out.find("\nsda1=" + std::to_string(kSectors) + "\r\n") != std::string::npos);  // the console's CR LF
    // SeaBIOS ran fw_cfg's etc/table-loader: Linux finds this machine's ACPI tables (our OEM ID,
    // not SeaBIOS's own "BOCHS "), with the HPET, the PM timer where SeaBIOS moved the PM block,
    // and the PCI interrupt links, as under QEMU with the same disk.
    CHECK(r.out.find("(v00 XLAT  )") != std::string::npos);
    CHECK(r.out.find("ACPI: HPET 0x") != std::string::npos);
    CHECK(r.out.find("ACPI: PM-Timer IO Port: 0x608") != std::string::npos);
    CHECK(r.out.find("ACPI: PCI: Interrupt link LNKA configured for IRQ 10") != std::string::npos);
    CHECK(r.out.find("ACPI: PCI: Interrupt link LNKS configured for IRQ 9") != std::string::npos);
    CHECK(r.out.find("hpet0: 3 comparators, 64-bit 100.000000 MHz counter") != std::string::npos);
    CHECK(r.out.find("reboot: Power down") != std::string::npos);
    CHECK(r.out.find("Oops") == std::string::npos);
    CHECK(r.out.find("Kernel panic") == std::string::npos);
}
