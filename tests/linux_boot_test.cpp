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
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "process_util.h"
#include "scratch_dir.h"

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
            xlat_test::ProcessResult r = xlat_test::run_process(
                {kXlat, "--cpu-mode", mode, "-kernel", dir + "/vmlinuz", "-initrd", dir + "/initrd.gz", "-append",
                 "console=ttyS0 cryptomgr.notests=1 -- uname -a; echo sum=$((6*7)); poweroff -f", "-serial", "stdio", "--max-insns",
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

// Timekeeping that Linux trusts (issue 18): the kernel calibrates the TSC against the PIT and
// the PM timer and finds the 1 GHz that xlat gives it, takes the local APIC timer as its clock
// event device and the TSC as its clock source without a complaint, a `sleep 5` in the guest
// lasts five seconds of host time (the host times the two lines around it as they arrive in the
// serial file), and `date` is the host's (the RTC at boot, the clock source since). One CPU mode:
// the run loop's time is the same in both.
TEST_CASE("linux: the guest's clocks agree with the host's: sleep 5 takes 5 s, date is the host's date", "[.linux-boot][clock]") {
    const std::string dir = guest_dir();
    if (dir.empty()) return;
    xlat_test::ScratchDir scratch("linux-clock");
    const std::string serial = (scratch.dir / "serial.txt").string();
    // The markers are computed by the shell, so that the command line the kernel echoes does
    // not hold them.
    xlat_test::BackgroundProcess xlat(
        kXlat, {"-kernel", dir + "/vmlinuz", "-initrd", dir + "/initrd.gz", "-append",
                "console=ttyS0 loglevel=7 cryptomgr.notests=1 -- cat /sys/devices/system/clockevents/clockevent0/current_device "
                "/sys/devices/system/clocksource/clocksource0/current_clocksource; echo SLEEP-$((1+1))-BEGIN; sleep 5; "
                "echo SLEEP-$((1+1))-END; echo DATE=$(date +%s); cat /proc/interrupts; poweroff -f",
                "-serial", "file:" + serial, "-display", "none"},
        900);
    using Steady = std::chrono::steady_clock;
    const auto limit = Steady::now() + std::chrono::seconds(900);
    std::string text;
    Steady::time_point begin{}, end{};
    double host_at_date = 0;  // the host's time (s since 1970) when the DATE line arrived
    for (;;) {
        std::ifstream in(serial, std::ios::binary);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        const auto now = Steady::now();
        if (begin == Steady::time_point{} && text.find("SLEEP-2-BEGIN") != std::string::npos) begin = now;
        if (end == Steady::time_point{} && text.find("SLEEP-2-END") != std::string::npos) end = now;
        const size_t date = text.find("\nDATE=");
        if (date != std::string::npos && text.find('\n', date + 1) != std::string::npos) {
            host_at_date = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
            break;
        }
        if (now > limit || xlat.done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const xlat_test::ProcessResult& r = xlat.wait();
    std::ifstream in(serial, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    INFO("serial:\n" << text << "\nstderr:\n" << r.err);
    CHECK(r.exit_status == 0);
    REQUIRE(begin != Steady::time_point{});
    REQUIRE(end != Steady::time_point{});
    const double slept = std::chrono::duration<double>(end - begin).count();
    INFO("sleep 5 took " << slept << " s of host time");
    CHECK(slept > 4.9);
    CHECK(slept < 5.5);
    const size_t date = text.find("\nDATE=");
    REQUIRE(date != std::string::npos);
    const double guest_date = std::stod(text.substr(date + 6));
    INFO("guest date " << guest_date << ", host " << std::fixed << host_at_date);
    // date prints whole seconds: the guest's time lies in [guest_date, guest_date + 1).
    CHECK(guest_date + 1 > host_at_date - 1.0);
    CHECK(guest_date < host_at_date + 0.1);
    // The kernel's view: the APIC timer, the TSC at 1 GHz, and no complaint about either.
    CHECK(has_line_starting(text, "lapic"));
    CHECK(has_line_starting(text, "tsc"));
    CHECK(text.find("tsc: Refined TSC clocksource calibration: 1000.0") != std::string::npos);
    CHECK(text.find("LOC:") != std::string::npos);
    CHECK(text.find("IO-APIC   2-edge      timer") != std::string::npos);
    for (const char* bad : {"unstable", "Unstable", "miscalibrat", "clocksource watchdog", "skew", "Call Trace",
                            "APIC calibration not consistent", "timer doesn't work", "Marking TSC unstable"})
        CHECK(text.find(bad) == std::string::npos);
}
