// The assembly test ROMs (tests/roms/*.asm), each run under xlat and under QEMU.
//
// A ROM prints one line per check to the debug console and exits through the exit port with
// status 1 (EXIT 0). Its expected output is in its source, as lines ";> text". Under xlat the ROM
// runs in this process on a fresh Machine; under QEMU (when qemu-system-i386 is on PATH) it runs
// as `qemu-system-i386 -bios ROM -debugcon file:F -device isa-debug-exit,...`. Both must print
// exactly the expected lines and exit with status 1. See docs/testing.md.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <set>

#include "process_util.h"
#include "rom_util.h"

using namespace xlat_test;

namespace {

// Every ROM in tests/roms (the test below checks that this list and the folder agree).
const char* const kRoms[] = {"alu",  "shift", "muldiv", "bcd", "bit", "string", "control", "stack", "move",
                             "misc", "exceptions", "pm32", "pm_descriptors", "pm_gates", "pm_tasks",
                             "pm_exceptions", "pm_v86", "pm_io", "pm_debug", "paging", "paging_pae",
                             "fpu", "fpu_exc", "fpu_hw", "pic_pit", "gdb_target", "trace_points", "clock"};

// ROMs that need input, driven by other tests (their ";>" lines say what they print).
const char* const kDrivenRoms[] = {"serial_echo",           // tests/serial_test.cpp
                                   "explain_sensitive"};  // tests/explain_test.cpp

constexpr double kQemuTimeoutSeconds = 60;

// Extra QEMU arguments a ROM asks for with a line ";! qemu-args: ARGS" (split at spaces), for
// CPU features the default QEMU CPU lacks (NX: "-cpu qemu32,+nx"). xlat needs none.
std::vector<std::string> qemu_args(const std::string& name) {
    std::ifstream in(rom_source(name));
    std::vector<std::string> args;
    std::string line;
    const std::string key = ";! qemu-args:";
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        std::istringstream words(line.substr(key.size()));
        for (std::string w; words >> w;) args.push_back(w);
    }
    return args;
}

void check_on_xlat(const std::string& name) {
    const std::string want = expected_output(name);
    REQUIRE(!want.empty());
    XlatRun run = run_rom_on_xlat(name);
    INFO("ROM " << rom_image(name));
    INFO(run.diagnosis);
    INFO(first_difference(run.output, want));
    CHECK(run.output == want);
    CHECK(run.reason == xlat::StopReason::ExitPort);
    CHECK(run.exit_status == 1);
}

void check_on_qemu(const std::string& name) {
    const std::string qemu = find_on_path("qemu-system-i386");
    if (qemu.empty()) {
        WARN("qemu-system-i386 is not on PATH: the QEMU comparison of " << name << " is skipped");
        return;
    }
    const std::string want = expected_output(name);
    REQUIRE(!want.empty());
    char out_path[] = "/tmp/xlat-qemu-debugcon-XXXXXX";
    int fd = mkstemp(out_path);
    REQUIRE(fd >= 0);
    close(fd);
    std::vector<std::string> argv = {qemu, "-bios", rom_image(name), "-debugcon", std::string("file:") + out_path,
                                     "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-display", "none",
                                     "-nodefaults", "-no-reboot"};
    for (const std::string& a : qemu_args(name)) argv.push_back(a);
    ProcessResult r = run_process(argv, kQemuTimeoutSeconds);
    std::vector<uint8_t> bytes;
    try {
        bytes = read_binary(out_path);
    } catch (const std::exception&) {
    }
    std::remove(out_path);
    const std::string output(bytes.begin(), bytes.end());
    INFO("ROM " << rom_image(name));
    INFO("QEMU stderr: " << r.err);
    REQUIRE(r.started);
    INFO(first_difference(output, want));
    CHECK_FALSE(r.timed_out);
    CHECK(output == want);
    CHECK(r.exit_status == 1);
}

} // namespace

#define ROM_TEST(name)                                                                           \
    TEST_CASE("rom " #name " under xlat", "[rom][xlat]") { check_on_xlat(#name); }              \
    TEST_CASE("rom " #name " under qemu", "[rom][qemu]") { check_on_qemu(#name); }

// A ROM of hardware behaviour QEMU does not have (its header says which): under xlat only.
#define ROM_TEST_XLAT_ONLY(name) \
    TEST_CASE("rom " #name " under xlat", "[rom][xlat]") { check_on_xlat(#name); }

ROM_TEST(alu)
ROM_TEST(shift)
ROM_TEST(muldiv)
ROM_TEST(bcd)
ROM_TEST(bit)
ROM_TEST(string)
ROM_TEST(control)
ROM_TEST(stack)
ROM_TEST(move)
ROM_TEST(misc)
ROM_TEST(exceptions)
ROM_TEST(pm32)
ROM_TEST(pm_descriptors)
ROM_TEST(pm_gates)
ROM_TEST(pm_tasks)
ROM_TEST(pm_exceptions)
ROM_TEST(pm_v86)
ROM_TEST(pm_io)
ROM_TEST(pm_debug)
ROM_TEST(paging)
ROM_TEST(paging_pae)
ROM_TEST(fpu)
ROM_TEST(fpu_exc)
ROM_TEST_XLAT_ONLY(fpu_hw)
ROM_TEST(pic_pit)
ROM_TEST(gdb_target)
ROM_TEST(trace_points)
ROM_TEST(clock)

TEST_CASE("every ROM in tests/roms has a test case and expected lines", "[rom]") {
    std::set<std::string> listed(std::begin(kRoms), std::end(kRoms)), found;
    listed.insert(std::begin(kDrivenRoms), std::end(kDrivenRoms));
    DIR* dir = opendir(XLAT_SOURCE_DIR "/tests/roms");
    REQUIRE(dir != nullptr);
    while (dirent* e = readdir(dir)) {
        std::string n = e->d_name;
        if (n.size() > 4 && n.compare(n.size() - 4, 4, ".asm") == 0) found.insert(n.substr(0, n.size() - 4));
    }
    closedir(dir);
    CHECK(found == listed);
    for (const std::string& name : found) {
        INFO(name << ".asm");
        CHECK_FALSE(expected_output(name).empty());
        CHECK(access(rom_image(name).c_str(), R_OK) == 0);
    }
}

TEST_CASE("expected lines are read from ';>' comments", "[rom]") {
    // The demo ROM has none; a test ROM's first expected line is its first check.
    CHECK(expected_output("bcd").rfind("daa 0a in=0000 = 10 fl=0010\n", 0) == 0);
    CHECK(first_difference("a\nb\n", "a\nb\n").empty());
    CHECK(first_difference("a\nc\n", "a\nb\n").find("line 2") != std::string::npos);
    CHECK(first_difference("a\n", "a\nb\n").find("the output ends") != std::string::npos);
}
