// -kernel: Multiboot loading end to end, through the xlat binary, and the same kernels under
// QEMU where qemu-system-i386 is installed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "process_util.h"

namespace {

using Args = std::vector<std::string>;

struct Run {
    int status;
    std::string out;  // stdout, then stderr
};

// Runs a program (the built xlat, QEMU, a native benchmark build) with a time limit.
Run run(const Args& argv) {
    xlat_test::ProcessResult p = xlat_test::run_process(argv, 120);
    return Run{p.timed_out ? -1 : p.exit_status, p.out + p.err};
}

Args operator+(Args a, const Args& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::string kBin = XLAT_BINARY_DIR;
const std::string kXlat = kBin + "/bin/xlat";
const std::string kElf = kBin + "/tests/kernels/multiboot.elf";
const std::string kAout = kBin + "/tests/kernels/aout.bin";

std::string module_file() {
    std::string path = kBin + "/tests/kernels/module.txt";
    std::ofstream(path) << "hello module\n";
    return path;
}

bool have_qemu() { return !xlat_test::find_on_path("qemu-system-i386").empty(); }
const Args kQemu = {"qemu-system-i386", "-debugcon", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                    "-display", "none", "-nodefaults"};

// Drops the line starting with `prefix` (a field where two loaders legitimately differ).
std::string without_line(std::string s, const std::string& prefix) {
    size_t at = s.find(prefix);
    if (at != std::string::npos) s.erase(at, s.find('\n', at) + 1 - at);
    return s;
}

} // namespace

TEST_CASE("a Multiboot ELF kernel gets its command line, modules and memory", "[multiboot]") {
    const std::string mod = module_file();
    const Args args = {"-kernel", kElf, "-append", "root=/dev/xyz quiet", "-initrd", mod + " arg1," + mod, "-m", "64M"};
    Run r = run(Args{kXlat} + args);
    CHECK(r.status == ((0x10 << 1) | 1));
    const std::string expected =
        "magic 2badb002\n"
        "mem_lower 639 mem_upper 64512\n"
        "cmdline " + kElf + " root=/dev/xyz quiet\n"
        "modules 2\n"
        "module " + mod + " arg1 aligned 1 length 13 crc32 9acecdba\n"
        "module " + mod + " aligned 1 length 13 crc32 9acecdba\n"
        "protected 1 paging 0\n"
        "done\n";
    CHECK(r.out == expected);
    if (have_qemu()) {
        // QEMU's memory fields come from SeaBIOS's e820 map, which reserves more: leave them out.
        Run q = run(kQemu + args);
        CHECK(q.status == r.status);
        CHECK(without_line(q.out, "mem_lower") == without_line(r.out, "mem_lower"));
    } else {
        WARN("qemu-system-i386 not installed: QEMU comparison skipped");
    }
}

TEST_CASE("a Multiboot a.out-kludge kernel is entered with the magic", "[multiboot]") {
    Run r = run({kXlat, "-kernel", kAout});
    CHECK(r.status == ((0x11 << 1) | 1));  // 0x12 would mean a wrong EAX
    CHECK(r.out == "a.out kludge kernel entered\n");
    if (have_qemu()) {
        Run q = run(kQemu + Args{"-kernel", kAout});
        CHECK(q.status == r.status);
        CHECK(q.out == r.out);
    }
}

TEST_CASE("multiboot: -kernel refuses what is not a kernel, with one clear line", "[multiboot][cli]") {
    Run r = run({kXlat, "-kernel", kBin + "/roms/demo.bin"});
    CHECK(r.status == 1);
    CHECK(r.out.find("is not a Multiboot kernel") != std::string::npos);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    r = run({kXlat, "-kernel", "/nonexistent/kernel"});
    CHECK(r.status == 1);
    CHECK(r.out.find("cannot read kernel") != std::string::npos);
    r = run({kXlat, "-kernel", kElf, "-initrd", "/nonexistent/module"});
    CHECK(r.status == 1);
    CHECK(r.out.find("cannot read module") != std::string::npos);
    r = run({kXlat, "-append", "x=1"});
    CHECK(r.status == 1);
    CHECK(r.out.find("need -kernel") != std::string::npos);
    // An ELF kernel that does not fit in a tiny guest.
    r = run({kXlat, "-kernel", kElf, "-m", "1M"});
    CHECK(r.status == 1);
    CHECK(r.out.find("outside guest RAM") != std::string::npos);
}

// True when xlat accepts --cpu-mode jit (it refuses with one line and status 1 until the
// translator is built).
bool have_jit() {
    Run r = run({kXlat, "--cpu-mode", "jit", "--max-insns", "1", "-kernel", kElf});
    return !(r.status == 1 && r.out.find("--cpu-mode jit") != std::string::npos);
}

TEST_CASE("compiler-generated code: every benchmark program agrees with its native build", "[multiboot][differential]") {
    // Each program in bench/ is one i686 object linked as a native Linux i386 program, a flat
    // kernel and a kernel with 4 KiB paging on; at scale 1 every checksum must match, in each
    // CPU mode xlat has. No timing.
    std::vector<std::string> modes = {"interp"};
    if (have_jit()) modes.push_back("jit");
    else WARN("xlat refuses --cpu-mode jit: the benchmark programs ran under the interpreter only");
    for (const char* prog : {"crc", "sieve", "sort", "recurse", "chase", "strings", "pages"}) {
        const std::string base = kBin + "/bench/" + prog;
        Run native = run({base + "-native", "1"});
        INFO("program " << prog);
        REQUIRE(native.status == 0);
        REQUIRE(native.out.rfind("scale 00000001\n", 0) == 0);  // the scale argument was read
        REQUIRE(std::count(native.out.begin(), native.out.end(), '\n') >= 2);
        for (const std::string& kernel : {base + ".elf", base + "-paged.elf"}) {
            for (const std::string& mode : modes) {
                Run r = run({kXlat, "--cpu-mode", mode, "-m", "64M", "-kernel", kernel, "-append", "scale=1"});
                INFO("kernel " << kernel << ", --cpu-mode " << mode);
                CHECK(r.status == 1);
                CHECK(r.out == native.out);
            }
        }
    }
}
