// The trace points (--trace LIST) and tools/trace-diff (docs/debugging.md, "Traces").
//
// The prefixes: the trace_points ROM touches every subsystem with a trace point once; a run
// with all of them on must show a line with each prefix. trace-diff: on a ROM run with one
// instruction's semantics switched off (--debug-break-insn), it must name that instruction;
// on the test ROMs it must find no divergence from QEMU (skipped without qemu-system-i386).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "process_util.h"
#include "rom_util.h"
#include "scratch_dir.h"

using namespace xlat_test;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kTraceDiff = XLAT_SOURCE_DIR "/tools/trace-diff";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The prefixes ("[pic]") that start lines of `log`, each with its line count.
std::map<std::string, int> prefixes(const std::string& log) {
    std::map<std::string, int> seen;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty() && line[0] == '[') ++seen[line.substr(0, line.find(']') + 1)];
    return seen;
}

// The QEMU arguments a ROM asks for (";! qemu-args: ...", as tests/rom_test.cpp reads them).
std::vector<std::string> rom_qemu_args(const std::string& name) {
    std::ifstream in(rom_source(name));
    std::string line;
    std::vector<std::string> args;
    while (std::getline(in, line)) {
        const std::string key = ";! qemu-args:";
        if (line.rfind(key, 0) != 0) continue;
        std::istringstream words(line.substr(key.size()));
        std::string w;
        while (words >> w) args.push_back(w);
    }
    return args;
}

ProcessResult trace_diff(const std::string& rom, const std::vector<std::string>& xlat_args, const ScratchDir& dir) {
    std::vector<std::string> argv = {"python3", kTraceDiff, "--run", "--xlat", kXlat, "--logs-dir", dir.dir.string()};
    for (const std::string& a : xlat_args) argv.push_back("--xlat-arg=" + a);
    for (const std::string& a : rom_qemu_args(rom)) argv.push_back("--qemu-arg=" + a);
    argv.push_back("--");
    argv.push_back("-bios");
    argv.push_back(rom_image(rom));
    return run_process(argv, 300);
}

bool have_qemu() {
    if (!find_on_path("qemu-system-i386").empty()) return true;
    WARN("qemu-system-i386 is not on PATH: the trace-diff comparison with QEMU is skipped");
    return false;
}

} // namespace

TEST_CASE("trace: every trace point's prefix on the ROM that exercises them", "[cli][trace]") {
    ScratchDir dir("trace");
    const std::string file = (dir.dir / "trace.log").string();
    // The JIT run: everything but exec and insn (which run the interpreter).
    ProcessResult r = run_process({kXlat, "-bios", rom_image("trace_points"), "--trace",
                                   "cpu,int,exc,io,pic,pit,ata,pci,jit,tlb,post", "-D", file, "-debugcon", "none"}, 60);
    REQUIRE(r.started);
    CHECK(r.exit_status == 1);
    const std::string log = slurp(file);
    const auto seen = prefixes(log);
    INFO("trace prefixes seen: " << [&] {
        std::string s;
        for (const auto& [p, n] : seen) s += p + "x" + std::to_string(n) + " ";
        return s;
    }());
    for (const char* p : {"[cpu]", "[int]", "[exc]", "[io]", "[pic]", "[pit]", "[ata]", "[pci]", "[jit]", "[tlb]"})
        CHECK(seen.count(p));
    // Lines with their content: the PCI read of the host bridge's ID, the ATA command, the
    // #DE with its vector, INT 30h, the 8254's count, a port write with its device.
    CHECK(log.find("[pci] read  00:00.0 [00] size 4 -> 12378086") != std::string::npos);
    CHECK(log.find("[ata] ide0.0: command ec") != std::string::npos);
    CHECK(log.find("[exc] #DE (vector 0)") != std::string::npos);
    CHECK(log.find("[int] vector 48 (soft)") != std::string::npos);
    CHECK(log.find("[pit] counter 0: count 1193 (mode 2") != std::string::npos);
    CHECK(log.find("[pic] pic-master: ICW2 (vector base) 20") != std::string::npos);
    CHECK(log.find("[io] out 0043 <- 34 (pit)") != std::string::npos);
    // Nothing else went to stderr: -D took the lines.
    CHECK(r.err.find("[pic]") == std::string::npos);

    // exec: one line per instruction, in order, from the reset vector.
    r = run_process({kXlat, "-bios", rom_image("trace_points"), "--trace", "exec", "-debugcon", "none"}, 60);
    REQUIRE(r.started);
    CHECK(r.exit_status == 1);
    CHECK(r.err.rfind("[exec] eip=0000fff0 eax=00000000", 0) == 0);
    CHECK(r.err.find("cs=f000/ffff0000") != std::string::npos);
    CHECK(r.err.find("| div bl\n") != std::string::npos);
    const auto exec = prefixes(r.err);
    CHECK(exec.size() == 1);
}

TEST_CASE("trace: --trace help lists every trace point; an unknown one is refused", "[cli][trace]") {
    ProcessResult r = run_process({kXlat, "--trace", "help"}, 10);
    REQUIRE(r.started);
    CHECK(r.exit_status == 0);
    for (const char* name : {"exec", "cpu", "int", "exc", "io", "pic", "pit", "ata", "pci", "jit", "tlb", "gdb", "qmp"})
        CHECK(r.out.find(std::string("\n  ") + name + " ") != std::string::npos);
    r = run_process({kXlat, "-bios", rom_image("alu"), "--trace", "pic,bogus"}, 10);
    CHECK(r.exit_status == 1);
    CHECK(r.err.find("unknown trace 'bogus'") != std::string::npos);
    r = run_process({kXlat, "-bios", rom_image("alu"), "--debug-break-insn", "nosuchinsn"}, 10);
    CHECK(r.exit_status == 1);
    CHECK(r.err.find("--debug-break-insn") != std::string::npos);
}

TEST_CASE("trace-diff: finds the instruction whose semantics were switched off", "[qemu][trace]") {
    if (!have_qemu()) return;
    ScratchDir dir("trace-diff");
    // alu.asm's IVT fill adds 4 to DI per vector: with ADD switched off, the 19th instruction
    // (add di, 0x04) leaves DI at 0 where QEMU has 4.
    ProcessResult r = trace_diff("alu", {"--debug-break-insn", "add"}, dir);
    INFO(r.out << r.err);
    REQUIRE(r.started);
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("divergence after 19 instructions") != std::string::npos);
    CHECK(r.out.find("the instruction: f000:00000031  add di, 0x04") != std::string::npos);
    CHECK(r.out.find("edi      xlat 00000000  qemu 00000004") != std::string::npos);
    // Another instruction, further in: SHL in shift.asm.
    r = trace_diff("shift", {"--debug-break-insn", "shl"}, dir);
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("  shl ") != std::string::npos);
}

namespace {

void check_no_divergence(const std::string& rom) {
    if (!have_qemu()) return;
    ScratchDir dir("trace-diff");
    ProcessResult r = trace_diff(rom, {}, dir);
    INFO(r.out << r.err);
    REQUIRE(r.started);
    CHECK(r.exit_status == 0);
    CHECK(r.out.find("trace-diff: no divergence") != std::string::npos);
}

} // namespace

// pic_pit is left out: it polls the 8259 for the PIT's IRQ0 with IF clear, and how many times
// the loop runs depends on host time in both emulators (docs/debugging.md).
#define TRACE_DIFF_ROM(name) \
    TEST_CASE("trace-diff: no divergence from QEMU on rom " #name, "[qemu][trace]") { check_no_divergence(#name); }
TRACE_DIFF_ROM(alu)
TRACE_DIFF_ROM(shift)
TRACE_DIFF_ROM(muldiv)
TRACE_DIFF_ROM(bcd)
TRACE_DIFF_ROM(bit)
TRACE_DIFF_ROM(string)
TRACE_DIFF_ROM(control)
TRACE_DIFF_ROM(stack)
TRACE_DIFF_ROM(move)
TRACE_DIFF_ROM(misc)
TRACE_DIFF_ROM(exceptions)
TRACE_DIFF_ROM(pm32)
TRACE_DIFF_ROM(pm_descriptors)
TRACE_DIFF_ROM(pm_gates)
TRACE_DIFF_ROM(pm_tasks)
TRACE_DIFF_ROM(pm_exceptions)
TRACE_DIFF_ROM(pm_v86)
TRACE_DIFF_ROM(pm_io)
TRACE_DIFF_ROM(pm_debug)
TRACE_DIFF_ROM(paging)
TRACE_DIFF_ROM(paging_pae)
TRACE_DIFF_ROM(fpu)
TRACE_DIFF_ROM(fpu_exc)
TRACE_DIFF_ROM(gdb_target)
TRACE_DIFF_ROM(trace_points)
