// The trace points (--trace LIST) and tools/trace-diff (docs/debugging.md, "Traces").
//
// The prefixes: the trace_points ROM touches every subsystem with a trace point once; a run
// with all of them on must show a line with each prefix. trace-diff: on a ROM run with one
// instruction's semantics switched off (--debug-break-insn), it must name that instruction;
// on the test ROMs it must find no divergence from QEMU (skipped without qemu-system-i386).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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
    // A run that gives no records: what it said on stderr is shown.
    r = trace_diff("alu", {"--no-such-option"}, dir);
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("xlat.log has no records") != std::string::npos);
    CHECK(r.err.find("its stderr: xlat: unrecognised option '--no-such-option'") != std::string::npos);
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

TEST_CASE("trace: -dfilter keeps the exec lines of its ranges; a bad range is refused", "[cli][trace]") {
    // The whole run, then only the reset vector (linear FFFFFFF0: CS.base FFFF0000 + FFF0), then
    // everything but it (the ROM's F000 segment).
    const auto exec_lines = [](const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {kXlat, "-bios", rom_image("trace_points"), "--trace", "exec", "-debugcon", "none"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        ProcessResult r = run_process(argv, 60);
        REQUIRE(r.started);
        CHECK(r.exit_status == 1);
        return r.err;
    };
    const std::string all = exec_lines({});
    const auto lines = [](const std::string& log) { return std::count(log.begin(), log.end(), '\n'); };
    REQUIRE(lines(all) > 50);
    const std::string reset = exec_lines({"-dfilter", "0xfffffff0+16"});
    CHECK(lines(reset) == 1);
    CHECK(reset.rfind("[exec] eip=0000fff0 ", 0) == 0);
    const std::string rom = exec_lines({"-dfilter", "0xf0000..0xfffff"});
    CHECK(lines(rom) == lines(all) - 1);
    CHECK(rom.find("eip=0000fff0 ") == std::string::npos);
    // QEMU's START-LENGTH: the LENGTH bytes that end at START.
    CHECK(lines(exec_lines({"-dfilter", "0xffffffff-16"})) == 1);
    for (const char* bad : {"0x10..0x5", "zz", "0x100+0", "", "0x1000,,0x2000", "5-10"}) {
        ProcessResult r = run_process({kXlat, "-bios", rom_image("alu"), "-dfilter", bad}, 10);
        INFO(bad << " -> " << r.err);
        CHECK(r.exit_status == 1);
        CHECK(r.err.rfind("xlat: invalid -dfilter", 0) == 0);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
}

namespace {

// Logs written by hand in the two formats trace-diff reads: xlat's [exec] lines and QEMU's
// -d exec,cpu records. A state is the eight general registers, EIP and EFLAGS; the segments
// are flat 32-bit ones, the control registers those of protected mode without paging.
struct State {
    uint32_t eip, eax = 0, ebx = 0, ecx = 0, edx = 0, esi = 0, edi = 0, ebp = 0, esp = 0x8000, efl = 2;
};

std::string xlat_record(const State& s, const std::string& text) {
    char b[512];
    std::snprintf(b, sizeof b,
                  "[exec] eip=%08x eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x esp=%08x efl=%08x "
                  "es=0018/00000000 cs=0010/00000000 ss=0018/00000000 ds=0018/00000000 fs=0018/00000000 "
                  "gs=0018/00000000 cr0=00000011 cr2=00000000 cr3=00000000 cr4=00000000 | %s\n",
                  s.eip, s.eax, s.ebx, s.ecx, s.edx, s.esi, s.edi, s.ebp, s.esp, s.efl, text.c_str());
    return b;
}

std::string qemu_record(const State& s) {
    char b[1024];
    std::snprintf(b, sizeof b,
                  "Trace 0: 0x7f0000000000 [00000000/%08x/000000b0/ff000201] \n"
                  "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\nESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                  "EIP=%08x EFL=%08x [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
                  "ES =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\nCS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]\n"
                  "SS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\nDS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\n"
                  "FS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\nGS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\n"
                  "CR0=00000011 CR2=00000000 CR3=00000000 CR4=00000000\n",
                  s.eip, s.eax, s.ebx, s.ecx, s.edx, s.esi, s.edi, s.ebp, s.esp, s.eip, s.efl);
    return b;
}

ProcessResult diff_logs(const ScratchDir& dir, const std::string& xlat, const std::string& qemu,
                        std::vector<std::string> options) {
    const std::string x = dir.file("xlat.log", xlat), q = dir.file("qemu.log", qemu);
    std::vector<std::string> argv = {"python3", kTraceDiff};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(x);
    argv.push_back(q);
    return run_process(argv, 60);
}

} // namespace

TEST_CASE("trace-diff: a kernel's entry state, a window, an interrupt at different instructions", "[trace]") {
    ScratchDir dir("trace-diff-logs");
    // Something before the entry (firmware) in QEMU's log only; at the entry (100000h) the two
    // loaders left the zero page in different places (ESI), the rest agrees.
    State fw{0xF0000};
    State x0{0x100000}, q0{0x100000};
    x0.esi = 0x10000;
    q0.esi = 0x14390;
    // mov ebx, esi: the entry state moves on. mov ecx, 7: agreement. Then the xlat run takes
    // IRQ0 (vector 20h, handler at 200000h) where QEMU goes on to 10000Ah.
    State x1 = x0, q1 = q0;
    x1.eip = q1.eip = 0x100002;
    x1.ebx = x1.esi;
    q1.ebx = q1.esi;
    State x2 = x1, q2 = q1;
    x2.eip = q2.eip = 0x100007;
    x2.ecx = q2.ecx = 7;
    State x3 = x2, q3 = q2;
    x3.eip = 0x200000;
    x3.esp -= 12;
    q3.eip = 0x10000A;
    const std::string xlat = xlat_record(x0, "mov ebx, esi") + xlat_record(x1, "mov ecx, 0x07") +
                             xlat_record(x2, "inc edx") + "[int] vector 32 (ext) at 0010:00100007 ret 00100007\n" +
                             xlat_record(x3, "push eax");
    const std::string qemu = qemu_record(fw) + qemu_record(q0) + qemu_record(q1) + qemu_record(q2) + qemu_record(q3);

    // From the entry, a window of 3: the ESI the loaders chose is excused, and so is EBX made from it.
    ProcessResult r = diff_logs(dir, xlat, qemu, {"--start-eip", "100000", "--count", "3"});
    INFO(r.out << r.err);
    CHECK(r.exit_status == 0);
    CHECK(r.out.find("no divergence in the window of 3 instructions") != std::string::npos);
    CHECK(r.out.find("entry state excused: esi") != std::string::npos);
    CHECK(r.out.find("records with an excused difference: ebx 2, esi 3") != std::string::npos);
    // The whole logs: the interrupt parts them, and the report says why.
    r = diff_logs(dir, xlat, qemu, {"--start-eip", "100000"});
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("divergence after 3 instructions") != std::string::npos);
    CHECK(r.out.find("xlat took an external interrupt (vector 0x20) here") != std::string::npos);
    CHECK(r.out.find("the runs started from different entry states (esi differed at --start-eip)") != std::string::npos);
    // Without --start-eip the first records are compared as they are: QEMU's firmware record.
    r = diff_logs(dir, xlat, qemu, {});
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("at the first record") != std::string::npos);
    // --strict excuses no entry state.
    r = diff_logs(dir, xlat, qemu, {"--start-eip", "100000", "--strict"});
    CHECK(r.exit_status == 1);
    CHECK(r.out.find("divergence after 0 instructions") != std::string::npos);
    CHECK(r.out.find("esi      xlat 00010000  qemu 00014390") != std::string::npos);
    // A cut-off last line (a run stopped mid-write) ends the log; a malformed one is an error.
    r = diff_logs(dir, xlat_record(x0, "mov ebx, esi") + xlat_record(x1, "mov ecx, 0x07") + xlat_record(x2, "inc edx") +
                      "[exec] eip=0020",
                  qemu_record(fw) + qemu_record(q0) + qemu_record(q1) + qemu_record(q2), {"--start-eip", "100000"});
    CHECK(r.exit_status == 0);
    CHECK(r.out.find("no divergence: 3 instructions compared") != std::string::npos);
    r = diff_logs(dir, xlat_record(x0, "nop") + "[exec] eip=zz\n", qemu, {"--start-eip", "100000"});
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("is not an exec record") != std::string::npos);
}

// A window of the default Linux guest's kernel, from the decompressed kernel's first instruction
// (startup_32 at 16 MiB, with nokaslr) against QEMU booting the same kernel through SeaBIOS. It
// takes about two minutes (the decompressor's ~1e9 instructions run untraced first), so it is
// hidden: build/bin/xlat_tests "[.linux-trace-diff]".
TEST_CASE("trace-diff: the Linux guest's kernel agrees with QEMU for a window after its entry", "[.linux-trace-diff]") {
    if (!have_qemu()) return;
    std::string dir;
    if (const char* d = std::getenv("XLAT_GUEST_DIR")) dir = d;
    else if (const char* h = std::getenv("HOME")) dir = std::string(h) + "/.cache/xlat/guest";
    if (access((dir + "/vmlinuz").c_str(), R_OK) != 0) {
        WARN("the default guest is not built in " << dir << " (roms/build-linux-guest): skipped");
        return;
    }
    ProcessResult r = run_process({"python3", kTraceDiff, "--run", "--xlat", kXlat, "--start-eip", "1000000", "--count", "300000",
                                   "--timeout", "600", "--dfilter", "0x1000000..0x1ff0000,0xc0000000..0xfeffffff", "--",
                                   "-kernel", dir + "/vmlinuz", "-initrd", dir + "/initrd.gz", "-append",
                                   "console=ttyS0 cryptomgr.notests=1 quiet nokaslr", "-m", "128M"},
                                  700);
    INFO(r.out << r.err);
    CHECK(r.exit_status == 0);
    CHECK(r.out.find("no divergence in the window of 300000 instructions") != std::string::npos);
}
