// The distribution's SeaBIOS boots a disk: a boot sector written here (tests/boot/bootsector.asm)
// on a raw image given as -hda, loaded by SeaBIOS through the ATA disk, reads two more sectors
// through INT 13h (CHS and the LBA extensions), prints through the debug console and COM1 and
// ends through the exit port. Under QEMU (when installed) the same disk prints the same lines.
#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "devices/block/block.h"
#include "frontend/machine.h"
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

// Whether the distribution's SeaBIOS is installed; a warning when it is not (the test then checks
// nothing).
bool have_seabios() {
    if (std::filesystem::exists(kSeaBios)) return true;
    WARN("skipped: " << kSeaBios << " is missing (install the seabios package)");
    return false;
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

} // namespace

TEST_CASE("boot: SeaBIOS loads a boot sector from -hda, which reads the disk through INT 13h", "[boot][seabios]") {
    if (!have_seabios()) return;
    ScratchDir dir("boot");
    const std::string disk = make_disk(dir);
    // --icount makes the run repeat to the instruction; the guard ends a run that never boots
    // (SeaBIOS 1.16.2 runs about 6 million instructions up to the boot sector's exit).
    const std::string serial = (dir.dir / "xlat-com1.txt").string();
    const ProcessResult r = run_process({kXlat, "-bios", kSeaBios, "-hda", disk, "--icount", "shift=3",
                                         "--max-insns", "50000000", "-serial", "file:" + serial}, 60);
    INFO(describe(r));
    CHECK(r.out == kExpected);
    CHECK(read_file(serial) == kExpected);  // the same lines through COM1
    CHECK(r.exit_status == ((0x10 << 1) | 1));

    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) return;
    // The same disk under QEMU, with the same debug console and exit port.
    const std::string log = (dir.dir / "qemu.log").string();
    const std::string qserial = (dir.dir / "qemu-com1.txt").string();
    const ProcessResult q = run_process({qemu, "-nodefaults", "-display", "none", "-bios", kSeaBios, "-drive",
                                         "file=" + disk + ",format=raw,if=ide", "-debugcon", "file:" + log,
                                         "-serial", "file:" + qserial,
                                         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}, 30);
    INFO("qemu: " << describe(q));
    CHECK(q.exit_status == ((0x10 << 1) | 1));
    CHECK(read_file(log) == r.out);
    CHECK(read_file(qserial) == read_file(serial));
}

namespace {

// The lines of SeaBIOS's log that say what it found: the PCI devices and the BAR it mapped,
// the PM timer, the ATA controllers, the PS/2 keyboard, the e820 map it hands the OS and the
// boot attempts.
std::string seabios_key_lines(const std::string& log) {
    std::string out;
    size_t at = 0;
    while (at < log.size()) {
        size_t end = log.find('\n', at);
        if (end == std::string::npos) end = log.size();
        const std::string line = log.substr(at, end - at);
        at = end + 1;
        auto starts = [&](const char* p) { return line.rfind(p, 0) == 0; };
        const bool e820_entry = line.size() > 4 && line[0] == ' ' && line[1] == ' ' && std::isdigit(uint8_t(line[2])) && line[3] == ':';
        if ((starts("Found ") && line.find(" PCI devices") != std::string::npos) || starts("PCI: init bdf=") ||
            starts("PCI: map device") || starts("Using pmtimer") || starts("ATA controller") || starts("PS2 keyboard") ||
            starts("e820 map has") || e820_entry || starts("Booting from"))
            out += line + "\n";
        // "drive 0x000f66f0: PCHS=... translation=... LCHS=...": the geometry SeaBIOS gives the
        // disk, without the address of its record (which differs by a few bytes of heap).
        const size_t pchs = line.find(": PCHS=");
        if (starts("drive 0x") && pchs != std::string::npos) out += "drive" + line.substr(pchs) + "\n";
    }
    return out;
}

} // namespace

TEST_CASE("boot: SeaBIOS's log shows the same PCI devices, PM timer, ATA controllers, keyboard, e820 map and boot as under QEMU",
          "[boot][seabios]") {
    if (!have_seabios()) return;
    ScratchDir dir("boot-log");
    const std::string disk = make_disk(dir);
    const std::string log = (dir.dir / "xlat.log").string();
    const ProcessResult r = run_process({kXlat, "-bios", kSeaBios, "-hda", disk, "-m", "128M", "-vga", "none", "--icount",
                                         "shift=3", "--max-insns", "50000000", "--debugcon-port", "0x402", "-debugcon",
                                         "file:" + log}, 60);
    INFO(describe(r));
    CHECK(r.exit_status == ((0x10 << 1) | 1));
    // What QEMU 7.2's pc with -nodefaults and the same disk gives (its e820 map reserves the
    // 128 KiB of ACPI tables at the top of RAM; xlat pads its tables file the same way).
    const std::string expected =
        "Found 4 PCI devices (max PCI bus is 00)\n"
        "PCI: map device bdf=00:01.1  bar 4, addr 0000c000, size 00000010 [io]\n"
        "PCI: init bdf=00:00.0 id=8086:1237\n"
        "PCI: init bdf=00:01.0 id=8086:7000\n"
        "PCI: init bdf=00:01.1 id=8086:7010\n"
        "PCI: init bdf=00:01.3 id=8086:7113\n"
        "Using pmtimer, ioport 0x608\n"
        "ATA controller 1 at 1f0/3f4/0 (irq 14 dev 9)\n"
        "ATA controller 2 at 170/374/0 (irq 15 dev 9)\n"
        "PS2 keyboard initialized\n"
        "drive: PCHS=2/16/63 translation=none LCHS=2/16/63 s=2048\n"
        "e820 map has 6 items:\n"
        "  0: 0000000000000000 - 000000000009fc00 = 1 RAM\n"
        "  1: 000000000009fc00 - 00000000000a0000 = 2 RESERVED\n"
        "  2: 00000000000f0000 - 0000000000100000 = 2 RESERVED\n"
        "  3: 0000000000100000 - 0000000007fe0000 = 1 RAM\n"
        "  4: 0000000007fe0000 - 0000000008000000 = 2 RESERVED\n"
        "  5: 00000000fffc0000 - 0000000100000000 = 2 RESERVED\n"
        "Booting from Hard Disk...\n"
        "Booting from 0000:7c00\n";
    const std::string text = read_file(log);
    INFO(text);
    CHECK(seabios_key_lines(text) == expected);

    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) return;
    const std::string qlog = (dir.dir / "qemu.log").string();
    const ProcessResult q = run_process({qemu, "-nodefaults", "-display", "none", "-m", "128", "-bios", kSeaBios, "-drive",
                                         "file=" + disk + ",format=raw,if=ide", "-chardev", "file,id=log,path=" + qlog,
                                         "-device", "isa-debugcon,iobase=0x402,chardev=log", "-device",
                                         "isa-debug-exit,iobase=0xf4,iosize=0x04"}, 30);
    INFO("qemu: " << describe(q));
    INFO(read_file(qlog));
    CHECK(q.exit_status == ((0x10 << 1) | 1));
    CHECK(seabios_key_lines(read_file(qlog)) == expected);
}

TEST_CASE("boot: two --icount runs of SeaBIOS booting the disk print the same on COM1 and end in the same device state",
          "[boot][seabios]") {
    if (!have_seabios()) return;
    ScratchDir dir("boot-icount");
    const std::string disk = make_disk(dir);
    const std::string bios = read_file(kSeaBios);
    struct Run {
        std::string com1;
        std::unique_ptr<xlat::Machine> m;
        xlat::Machine::Result result{};
    };
    auto run = [&] {
        Run r;
        xlat::MachineConfig cfg;
        cfg.firmware.assign(bios.begin(), bios.end());
        cfg.icount_shift = 3;
        cfg.rtc_start = 1700000000;  // -rtc base=2023-11-14T22:13:20: the RTC does not read the host's time
        cfg.serial_out[0] = [&r](uint8_t c) { r.com1 += char(c); };
        std::string error;
        cfg.ide_disks[0] = xlat::RawImage::open(disk, xlat::ImageOptions{}, error);
        REQUIRE(cfg.ide_disks[0]);
        r.m = std::make_unique<xlat::Machine>(cfg);
        r.result = r.m->run(50000000);
        return r;
    };
    Run a = run(), b = run();
    CHECK(a.result.reason == xlat::StopReason::ExitPort);
    CHECK(a.result.exit_status == ((0x10 << 1) | 1));
    CHECK(a.com1 == kExpected);
    CHECK(b.com1 == a.com1);
    CHECK(b.m->retired() == a.m->retired());
    CHECK(b.m->clock.now() == a.m->clock.now());
    for (const auto& dev : a.m->devices.all()) {
        INFO(dev->name());
        CHECK(xlat::save_state(*dev) == xlat::save_state(*b.m->devices.find(dev->name())));
    }
    const auto da = a.m->board.stateful_devices(), db = b.m->board.stateful_devices();
    for (size_t i = 0; i < da.size(); ++i) {
        INFO(da[i]->name());
        CHECK(xlat::save_state(*da[i]) == xlat::save_state(*db[i]));
    }
}

TEST_CASE("boot: a disk partitioned for 255 heads gets the BIOS translation QEMU gives it (CMOS 39h)", "[boot][seabios]") {
    if (!have_seabios()) return;
    ScratchDir dir("boot-chs");
    // The boot sector with one partition entry ending at head 254, sector 63 (what partitioning
    // tools write for a translating BIOS), on a 64 MiB image: SeaBIOS must log LARGE
    // translation over the drive's 130/16/63 geometry, as under QEMU.
    std::string disk(64u << 20, '\0');
    disk.replace(0, 512, read_file(kBootSector));
    const uint32_t count = (64u << 11) - 63;
    const char entry[16] = {'\x80', 1, 1, 0, '\x83', '\xFE', '\xFF', '\xFF', 63, 0, 0, 0,
                            char(count), char(count >> 8), char(count >> 16), char(count >> 24)};
    disk.replace(0x1BE, 16, entry, 16);
    disk.replace(512, 4, "SEC1");
    disk.replace(1024, 4, "SEC2");
    const std::string path = dir.file("parted.img", disk);
    const std::string log = (dir.dir / "xlat.log").string();
    const ProcessResult r = run_process({kXlat, "-bios", kSeaBios, "-hda", path, "-m", "128M", "-vga", "none", "--icount",
                                         "shift=3", "--max-insns", "50000000", "--debugcon-port", "0x402", "-debugcon",
                                         "file:" + log}, 60);
    INFO(describe(r));
    CHECK(r.exit_status == ((0x10 << 1) | 1));
    auto drive_lines = [](const std::string& text) {
        std::string out;
        const std::string key = seabios_key_lines(text);
        size_t at = 0;
        while ((at = key.find("drive:", at)) != std::string::npos) {
            const size_t end = key.find('\n', at);
            out += key.substr(at, end - at + 1);
            at = end;
        }
        return out;
    };
    CHECK(drive_lines(read_file(log)) == "drive: PCHS=130/16/63 translation=large LCHS=130/16/63 s=131072\n");

    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) return;
    const std::string qlog = (dir.dir / "qemu.log").string();
    const ProcessResult q = run_process({qemu, "-nodefaults", "-display", "none", "-m", "128", "-bios", kSeaBios, "-drive",
                                         "file=" + path + ",format=raw,if=ide", "-chardev", "file,id=log,path=" + qlog,
                                         "-device", "isa-debugcon,iobase=0x402,chardev=log", "-device",
                                         "isa-debug-exit,iobase=0xf4,iosize=0x04"}, 30);
    INFO("qemu: " << describe(q));
    CHECK(q.exit_status == ((0x10 << 1) | 1));
    CHECK(drive_lines(read_file(qlog)) == drive_lines(read_file(log)));
}
