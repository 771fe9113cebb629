// The distribution's SeaBIOS boots an El Torito CD from -cdrom, and -boot chooses between a disk
// and a CD. The CD holds tests/boot/cdboot.asm as a "no emulation" boot image (made with xorriso
// as a user would); the disk holds tests/boot/bootsector.asm, as tests/boot_test.cpp uses it.
// Each prints through the debug console and ends through the exit port; under QEMU (when
// installed) the same media give the same lines.
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
const std::string kCdBoot = XLAT_BINARY_DIR "/tests/boot/cdboot.bin";
const std::string kSeaBios = "/usr/share/seabios/bios-256k.bin";
const std::string kDiskLines = "boot sector ran\nint13 chs read ok\nint13 lba read ok\n";
const std::string kCdLines = "cd boot ran\nint13 cd read ok\n";
constexpr int kPassed = (0x10 << 1) | 1;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What the tests need from the host; a missing piece skips the test with a warning.
bool have_tools() {
    if (!std::filesystem::exists(kSeaBios)) {
        WARN("skipped: " << kSeaBios << " is missing (install the seabios package)");
        return false;
    }
    if (find_on_path("xorriso").empty()) {
        WARN("skipped: xorriso is missing (install the xorriso package)");
        return false;
    }
    return true;
}

struct Media : ScratchDir {
    Media() : ScratchDir("cdboot") {}

    // A 1 MiB raw disk: the boot sector, then sectors that start "SEC1" and "SEC2".
    std::string disk() const {
        std::string boot = read_file(kBootSector);
        REQUIRE(boot.size() == 512);
        std::string d(1u << 20, '\0');
        d.replace(0, 512, boot);
        d.replace(512, 4, "SEC1");
        d.replace(1024, 4, "SEC2");
        return file("disk.img", d);
    }

    // An ISO with the boot image (its last byte: 0 exits after the checks, 1 resets the machine)
    // and one ordinary file.
    std::string cd(const std::string& name, bool reset) const {
        std::string image = read_file(kCdBoot);
        REQUIRE(image.size() == 2048);
        image.back() = reset ? 1 : 0;
        const std::filesystem::path tree = dir / (name + ".tree");
        std::filesystem::create_directory(tree);
        std::ofstream(tree / "cdboot.bin", std::ios::binary) << image;
        std::ofstream(tree / "readme.txt") << "an xlat test CD\n";
        const std::string iso = (dir / (name + ".iso")).string();
        const ProcessResult r = run_process({find_on_path("xorriso"), "-as", "mkisofs", "-quiet", "-b", "cdboot.bin",
                                             "-no-emul-boot", "-boot-load-size", "4", "-o", iso, tree.string()}, 60);
        INFO(describe(r));
        REQUIRE(r.exit_status == 0);
        return iso;
    }
};

// xlat with SeaBIOS, repeatable (--icount) and bounded (SeaBIOS runs about 6 million
// instructions up to a boot image's exit; a CD boot that resets into a disk boot twice that).
ProcessResult run_xlat(std::vector<std::string> args) {
    std::vector<std::string> argv = {kXlat, "-bios", kSeaBios, "-vga", "none", "--icount", "shift=3", "--max-insns", "80000000"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 60);
}

// The same media under QEMU, with the same debug console and exit port; empty when QEMU is not
// installed.
struct QemuRun {
    bool ran = false;
    int status = 0;
    std::string out;
};
QemuRun run_qemu(const Media& m, std::vector<std::string> args) {
    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) return {};
    const std::string log = (m.dir / "qemu.log").string();
    std::filesystem::remove(log);
    std::vector<std::string> argv = {qemu, "-nodefaults", "-display", "none", "-bios", kSeaBios, "-debugcon",
                                     "file:" + log, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult q = run_process(argv, 30);
    INFO("qemu: " << describe(q));
    return {true, q.exit_status, read_file(log)};
}

} // namespace

TEST_CASE("cdrom boot: SeaBIOS boots an El Torito CD from -cdrom, which reads it through INT 13h", "[boot][seabios]") {
    if (!have_tools()) return;
    Media m;
    const std::string iso = m.cd("cd", false);
    const ProcessResult r = run_xlat({"-cdrom", iso});
    INFO(describe(r));
    CHECK(r.out == kCdLines);
    CHECK(r.exit_status == kPassed);
    CHECK(r.err.empty());
    // -drive media=cdrom at another position (secondary slave) boots the same way.
    const ProcessResult s = run_xlat({"-drive", "file=" + iso + ",media=cdrom,if=ide,index=3"});
    INFO(describe(s));
    CHECK(s.out == kCdLines);
    CHECK(s.exit_status == kPassed);

    const QemuRun q = run_qemu(m, {"-cdrom", iso});
    if (!q.ran) return;
    CHECK(q.status == kPassed);
    CHECK(q.out == r.out);
}

TEST_CASE("cdrom boot: -boot order and once choose between a disk and a CD", "[boot][seabios]") {
    if (!have_tools()) return;
    Media m;
    const std::string disk = m.disk(), cd = m.cd("cd", false), resetting = m.cd("reset", true);
    struct Case {
        std::vector<std::string> boot;
        std::string cd;
        std::string lines;
    };
    const Case cases[] = {
        {{}, cd, kDiskLines},                          // QEMU's default order, cad: the disk first
        {{"-boot", "order=d"}, cd, kCdLines},
        {{"-boot", "dc"}, cd, kCdLines},                // the older spelling
        {{"-boot", "order=cd"}, cd, kDiskLines},
        {{"-boot", "order=dc,menu=off"}, cd, kCdLines},
        // once= for the first boot, then the order: the CD resets the machine, the disk boots.
        {{"-boot", "once=d,order=c"}, resetting, kCdLines + "cd resets\n" + kDiskLines},
        {{"-boot", "once=d"}, resetting, kCdLines + "cd resets\n" + kDiskLines},
    };
    for (const Case& c : cases) {
        std::vector<std::string> args = {"-hda", disk, "-cdrom", c.cd};
        args.insert(args.end(), c.boot.begin(), c.boot.end());
        std::string shown;
        for (const std::string& a : c.boot) shown += " " + a;
        INFO("boot options:" << shown);
        const ProcessResult r = run_xlat(args);
        INFO(describe(r));
        CHECK(r.out == c.lines);
        CHECK(r.exit_status == kPassed);
        if (c.boot.size() && c.boot[1].rfind("once", 0) == 0) {
            std::vector<std::string> qargs = {"-drive", "file=" + disk + ",format=raw,if=ide", "-cdrom", c.cd};
            qargs.insert(qargs.end(), c.boot.begin(), c.boot.end());
            const QemuRun q = run_qemu(m, qargs);
            if (q.ran) {
                CHECK(q.status == kPassed);
                CHECK(q.out == r.out);
            }
        }
    }
}

TEST_CASE("cdrom boot: SeaBIOS's log shows the bootorder, strict and the boot menu", "[boot][seabios]") {
    if (!have_tools()) return;
    Media m;
    const std::string disk = m.disk(), cd = m.cd("cd", false);
    const std::string log = (m.dir / "seabios.log").string();
    // SeaBIOS's own log on port 0x402 (the boot images' prints on 0xE9 go nowhere then).
    auto seabios_log = [&](std::vector<std::string> args, uint64_t insns) {
        std::vector<std::string> argv = {kXlat, "-bios", kSeaBios, "-vga", "none", "--icount", "shift=3", "--max-insns",
                                         std::to_string(insns), "--debugcon-port", "0x402", "-debugcon", "file:" + log,
                                         "-hda", disk};
        argv.insert(argv.end(), args.begin(), args.end());
        const ProcessResult r = run_process(argv, 60);
        INFO(describe(r));
        return std::make_pair(r.exit_status, read_file(log));
    };
    // order=dc: the CD's device path (secondary master) first, then the disk's (primary master).
    auto [status, text] = seabios_log({"-cdrom", cd, "-boot", "order=dc,menu=on,splash-time=100"}, 80000000);
    INFO(text);
    CHECK(status == kPassed);
    CHECK(text.find("boot order:\n1: /pci@i0cf8/ide@1,1/drive@1/disk@0\n2: /pci@i0cf8/ide@1,1/drive@0/disk@0\n") !=
          std::string::npos);
    CHECK(text.find("DVD/CD [ata1-0: XLAT CD-ROM ATAPI-6 DVD/CD]") != std::string::npos);
    CHECK(text.find("Press ESC for boot menu.") != std::string::npos);
    CHECK(text.find("Booting from DVD/CD...") != std::string::npos);
    // strict=on with a CD-ROM first and no CD: the disk is not tried; SeaBIOS gives up (and
    // with reboot-timeout=-1, the default, waits for ever).
    auto [status2, text2] = seabios_log({"-boot", "order=d,strict=on"}, 40000000);
    INFO(text2);
    CHECK(status2 == 124);  // --max-insns
    CHECK(text2.find("Press ESC for boot menu.") == std::string::npos);  // menu=off by default
    CHECK(text2.find("No bootable device.") != std::string::npos);
    CHECK(text2.find("Booting from Hard Disk") == std::string::npos);
}

TEST_CASE("cdrom boot: bad -cdrom and -boot values are refused with one line", "[cli]") {
    ScratchDir s("cdboot-cli");
    const std::string iso = s.file("cd.iso", std::string(4096, '\0'));
    auto refused = [&](std::vector<std::string> args, const std::string& names) {
        args.insert(args.begin(), kXlat);
        args.insert(args.end(), {"-debugcon", "none", "--max-insns", "1000"});
        const ProcessResult r = run_process(args, 30);
        INFO(describe(r));
        CHECK(r.exit_status == 1);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(names) != std::string::npos);
    };
    refused({"-cdrom", (s.dir / "missing.iso").string()}, "cannot open CD image");
    refused({"-cdrom", s.dir.string()}, "is a directory");
    refused({"-cdrom", ""}, "-cdrom needs a file name");
    refused({"-cdrom", iso, "-hdc", iso}, "two drives at IDE index 2");
    refused({"-drive", "file=" + iso + ",media=tape"}, "use disk or cdrom");
    refused({"-drive", "file=" + iso + ",media=cdrom,readonly=off"}, "read-only");
    refused({"-boot", "order=x"}, "'x' is not a boot device");
    refused({"-boot", "order=cdc"}, "'c' is given twice");
    refused({"-boot", "order=cdna"}, "at most three");
    refused({"-boot", "order="}, "at least one");
    refused({"-boot", "once=e"}, "not a boot device");
    refused({"-boot", "menu=maybe"}, "use on or off");
    refused({"-boot", "strict=2"}, "use on or off");
    refused({"-boot", "splash-time=-5"}, "from 0 to 65535");
    refused({"-boot", "reboot-timeout=70000"}, "from -1 to 65535");
    refused({"-boot", "order=c,speed=fast"}, "unknown -boot key 'speed'");
    refused({"-boot", "splash=logo.bmp"}, "not supported");
    refused({"-boot", ""}, "-boot needs settings");
}
