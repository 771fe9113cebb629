// Boots the default Linux guest (roms/build-linux-guest: Debian 12's i386 kernel and busybox)
// through the xlat binary with a command that runs uname, shell arithmetic and poweroff, and
// checks the lines and the exit status of ACPI S5.
//
// It takes minutes under the interpreter, so it is hidden from the default run: run it with
//   build/bin/xlat_tests "[.linux-boot]"
// (.ci/run does, unless XLAT_LINUX_BOOT=0). The guest is built once into $XLAT_GUEST_DIR or
// ~/.cache/xlat/guest; when it cannot be built (no network to the Debian mirrors, no apt) the
// test says so and checks nothing.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "process_util.h"

namespace {

const std::string kXlat = std::string(XLAT_BINARY_DIR) + "/bin/xlat";

// The guest's directory, built when it is not there yet; "" (with a warning) when it cannot be.
std::string guest_dir() {
    std::vector<std::string> argv = {std::string(XLAT_SOURCE_DIR) + "/roms/build-linux-guest"};
    if (const char* dir = std::getenv("XLAT_GUEST_DIR")) argv.push_back(dir);
    xlat_test::ProcessResult r = xlat_test::run_process(argv, 900);
    if (r.timed_out || r.exit_status != 0) {
        WARN("the Linux guest cannot be built, so it is not booted: " << r.err);
        return "";
    }
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);  // the last line is the directory
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind(prefix, 0) == 0) return true;
        at = end + 1;
    }
    return false;
}

} // namespace

TEST_CASE("linux: the default guest boots, runs a command and powers off with status 0", "[.linux-boot]") {
    const std::string dir = guest_dir();
    if (dir.empty()) return;
    std::vector<std::string> modes = {"interp"};
    // The translator, once xlat accepts it (it refuses --cpu-mode jit with status 1 until then).
    xlat_test::ProcessResult probe = xlat_test::run_process({kXlat, "--cpu-mode", "jit", "--max-insns", "1"}, 20);
    if (!(probe.exit_status == 1 && probe.err.find("--cpu-mode jit") != std::string::npos)) modes.push_back("jit");
    for (const std::string& mode : modes) {
        SECTION("--cpu-mode " + mode) {
            // The words after "--" are the guest's command (see roms/build-linux-guest).
            // cryptomgr.notests=1 skips the kernel's boot-time self-tests of its crypto
            // algorithms: half of the instructions to the banner (RSA and friends in C).
            // nolapic: CPUID reports the local APIC, but the loader writes no MADT and Linux
            // trusts an APIC without one only on a CPU vendor it knows, so without nolapic it
            // switches to the no-op APIC and warns with a call trace (issue 18's note).
            xlat_test::ProcessResult r = xlat_test::run_process(
                {kXlat, "--cpu-mode", mode, "-kernel", dir + "/vmlinuz", "-initrd", dir + "/initrd.gz", "-append",
                 "console=ttyS0 cryptomgr.notests=1 nolapic -- uname -a; echo sum=$((6*7)); poweroff -f", "-serial", "stdio", "--max-insns",
                 "40000000000"},
                1500);
            INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
            CHECK(!r.timed_out);
            CHECK(r.exit_status == 0);  // ACPI S5
            CHECK(has_line_starting(r.out, "xlat-guest: Linux 6.1.0-"));
            CHECK(r.out.find("\nLinux (none) 6.1.0-") != std::string::npos);  // uname -a
            CHECK(r.out.find(" i686 GNU/Linux") != std::string::npos);
            CHECK(has_line_starting(r.out, "sum=42"));
            CHECK(r.out.find("reboot: Power down") != std::string::npos);
            CHECK(r.out.find("Oops") == std::string::npos);
            CHECK(r.out.find("Call Trace") == std::string::npos);
            CHECK(r.out.find("Kernel panic") == std::string::npos);
            // The PCI root's windows (the DSDT's _CRS) let ata_piix claim the legacy IDE ports.
            CHECK(r.out.find("scsi host0: ata_piix") != std::string::npos);
        }
    }
}
