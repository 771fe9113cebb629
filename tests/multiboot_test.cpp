// -kernel: Multiboot loading end to end, through the xlat binary, and the same kernels under
// QEMU where qemu-system-i386 is installed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/mbimage.h"
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

// A fresh directory for the files a test makes, removed afterwards.
struct Scratch {
    std::string dir;
    Scratch() {
        char tmpl[] = "/tmp/xlat-multiboot-XXXXXX";
        dir = mkdtemp(tmpl) ? tmpl : "";
        REQUIRE(!dir.empty());
    }
    ~Scratch() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string file(const std::string& name, const std::vector<uint8_t>& bytes) const {
        std::string path = dir + "/" + name;
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        return path;
    }
    // A sparse file of `size` bytes (holes cost no disk and no time): for the absurd sizes.
    std::string sparse(const std::string& name, uint64_t size, const std::vector<uint8_t>& start = {}) const {
        std::string path = file(name, start);
        REQUIRE(truncate(path.c_str(), off_t(size)) == 0);
        return path;
    }
};

// A refusal: status 1, exactly one line on stderr, nothing on stdout, in time.
void check_refused(const xlat_test::ProcessResult& r, const std::string& needle) {
    INFO("stdout: " << r.out << "stderr: " << r.err);
    CHECK(!r.timed_out);
    CHECK(r.term_signal == 0);
    CHECK(r.exit_status == 1);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.rfind("xlat: ", 0) == 0);
    CHECK(r.err.find(needle) != std::string::npos);
    CHECK(r.out.empty());
}

// The lowest physical address of the file's PT_LOAD segments (ELF32).
uint32_t lowest_load_address(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(b.size() >= 52);
    uint32_t phoff, lowest = 0xFFFFFFFFu;
    uint16_t phnum;
    std::memcpy(&phoff, &b[28], 4);
    std::memcpy(&phnum, &b[44], 2);
    for (uint32_t i = 0; i < phnum; ++i) {
        uint32_t type, paddr;
        REQUIRE(phoff + 32 * (i + 1) <= b.size());
        std::memcpy(&type, &b[phoff + 32 * i], 4);
        std::memcpy(&paddr, &b[phoff + 32 * i + 12], 4);
        if (type == 1) lowest = std::min(lowest, paddr);
    }
    return lowest;
}

// The most memory a run with -m 3G may take when the loader commits none of the guest's RAM:
// 10 MB measured (Release), or with ASan, whose calloc of the 3 GiB writes 384 MiB of shadow.
long rss_limit_3g_kb() {
#if defined(__SANITIZE_ADDRESS__)
    return (100 + 384) * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return (100 + 384) * 1024;
#else
    return 100 * 1024;
#endif
#else
    return 100 * 1024;
#endif
}

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
    CHECK(r.out.find("neither a Multiboot kernel (no Multiboot header in its first 8 KiB) nor a Linux kernel") != std::string::npos);
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
    CHECK(r.out.find("kernel segment 0x100000-") != std::string::npos);
    CHECK(r.out.find("ends past guest RAM") != std::string::npos);
}

// True when xlat accepts --cpu-mode jit (it refused with one line and status 1 until the
// translator is built).
static bool have_jit() {
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

TEST_CASE("multiboot: a kernel linked by plain ld -Ttext 0x100000 boots under xlat and QEMU", "[multiboot]") {
    // GNU ld 2.40 without a script puts the ELF headers in a read-only LOAD segment at 0xFF000,
    // in the firmware area; xlat refused that kernel before issue 14. The build links it so.
    const std::string kernel = kBin + "/tests/kernels/binutils.elf";
    const uint32_t lowest = lowest_load_address(kernel);
    INFO("the lowest LOAD segment: " << lowest << " (binutils 2.40 of Debian 12: 0xFF000, the ELF headers)");
    CHECK(lowest < 0x100000);  // else this ld no longer makes the layout this test is about
    const std::string mod = module_file();
    const Args args = {"-kernel", kernel, "-append", "layout=ld", "-initrd", mod};
    Run r = run(Args{kXlat} + args);
    CHECK(r.status == ((0x10 << 1) | 1));
    CHECK(r.out.find("cmdline " + kernel + " layout=ld\n") != std::string::npos);
    CHECK(r.out.find("module " + mod + " aligned 1 length 13 crc32 9acecdba\n") != std::string::npos);
    CHECK(r.out.find("done\n") != std::string::npos);
    if (have_qemu()) {
        Run q = run(kQemu + args);
        CHECK(q.status == r.status);
        CHECK(without_line(q.out, "mem_lower") == without_line(r.out, "mem_lower"));
    }
}

TEST_CASE("multiboot: an empty module loads as an empty range, as under QEMU", "[multiboot]") {
    // The empty module made UBSan report memcpy from a null pointer (issue 14).
    Scratch s;
    const std::string empty = s.file("empty", {});
    const Args args = {"-kernel", kElf, "-append", "x", "-initrd", empty + "," + empty + " two"};
    Run r = run(Args{kXlat} + args);
    CHECK(r.status == ((0x10 << 1) | 1));
    CHECK(r.out.find("modules 2\nmodule " + empty + " aligned 1 length 0 crc32 00000000\nmodule " + empty +
                     " two aligned 1 length 0 crc32 00000000\n") != std::string::npos);
    if (have_qemu()) {
        Run q = run(kQemu + args);
        CHECK(q.status == r.status);
        CHECK(without_line(q.out, "mem_lower") == without_line(r.out, "mem_lower"));
    }
}

TEST_CASE("multiboot: a FIFO as -bios, -kernel or -initrd is refused at once", "[multiboot][cli]") {
    // It blocked forever before issue 14 (opening a FIFO waits for a writer).
    Scratch s;
    const std::string fifo = s.dir + "/fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    check_refused(xlat_test::run_process({kXlat, "-bios", fifo}, 20), "cannot read firmware '" + fifo + "': not a regular file (a FIFO)");
    check_refused(xlat_test::run_process({kXlat, "-kernel", fifo}, 20), "cannot read kernel '" + fifo + "': not a regular file (a FIFO)");
    check_refused(xlat_test::run_process({kXlat, "-kernel", kElf, "-initrd", fifo + " arg"}, 20),
                  "cannot read module '" + fifo + "': not a regular file (a FIFO)");
    check_refused(xlat_test::run_process({kXlat, "-kernel", s.dir}, 20), "not a regular file (a directory)");
}

TEST_CASE("multiboot: refused kernels get one line each", "[multiboot][cli]") {
    Scratch s;
    std::vector<uint8_t> bz(0x1000, 0);
    bz[0x1FE] = 0x55;
    bz[0x1FF] = 0xAA;
    std::memcpy(&bz[0x202], "HdrS", 4);
    check_refused(xlat_test::run_process({kXlat, "-kernel", s.file("bzImage", bz)}, 20),
                  "Linux boot protocol 0.00 is too old: xlat boots kernels with protocol 2.02 or later");
    std::vector<uint8_t> xxxx = mbimage::exit_kernel(0x21);
    std::memcpy(xxxx.data(), "XXXX", 4);
    check_refused(xlat_test::run_process({kXlat, "-kernel", s.file("xxxx", xxxx)}, 20), "not an ELF file (no ELF magic)");
    // The synthetic kernel itself runs: the checks refuse what is wrong, not what is unusual.
    xlat_test::ProcessResult ok = xlat_test::run_process({kXlat, "-kernel", s.file("good", mbimage::exit_kernel(0x21))}, 20);
    CHECK(ok.exit_status == ((0x21 << 1) | 1));
    check_refused(xlat_test::run_process({kXlat, "-kernel", kElf, "-m", "1M"}, 20),
                  "kernel segment 0x100000-");
}

TEST_CASE("multiboot: 65,000 empty modules in a 1100K guest are refused with one line", "[multiboot][cli]") {
    // Issue 14: "double free or corruption" (the module table ran past guest RAM). The module is
    // named "a" in the working directory so that the list fits in one argument (128 KiB).
    Scratch s;
    s.file("a", {});
    std::string list = "a";
    for (int i = 1; i < 65000; ++i) list += ",a";
    check_refused(xlat_test::run_process({kXlat, "-m", "1100K", "-kernel", kElf, "-initrd", list}, 60, s.dir),
                  "the Multiboot information (");
}

TEST_CASE("multiboot: absurd file sizes are refused quickly and without the memory", "[multiboot][cli]") {
    // Issue 14: three 1 GiB modules with -m 3G took 18 s and 5 GB to be refused; a 1 GiB
    // non-kernel was read whole; 16 program headers of 2.5 GiB took 2.6 GB; 65,535 of 64 MiB
    // took minutes. The files here are sparse: their size costs nothing to make.
    Scratch s;
    const uint64_t gib = 1ull << 30;
    struct Case {
        const char* what;
        std::vector<std::string> args;
        std::string needle;
    };
    std::vector<mbimage::Seg> huge;
    for (int i = 0; i < 16; ++i) huge.push_back(mbimage::Seg{0x100000, {}, uint32_t(5 * (gib / 2))});
    std::vector<mbimage::Seg> wide;
    for (uint32_t i = 0; i < 47; ++i) wide.push_back(mbimage::Seg{0x100000 + i * (64u << 20), {}, 64u << 20});
    std::vector<uint8_t> kludge_to_eof = mbimage::kludge(0x100000, 1);
    mbimage::put32(kludge_to_eof, 20, 0);  // load_end_addr 0: load to the end of the file
    mbimage::put32(kludge_to_eof, 24, 0);  // no bss
    const std::vector<Case> cases = {
        {"three 1 GiB modules", {"-m", "3G", "-kernel", kElf, "-initrd",
                                 s.sparse("m1", gib) + "," + s.sparse("m2", gib) + "," + s.sparse("m3", gib)},
         "the modules do not fit in guest RAM: '" + s.dir + "/m3' (0x40000000 bytes)"},
        {"a 1 GiB non-kernel", {"-m", "3G", "-kernel", s.sparse("big", gib)}, "neither a Multiboot kernel"},
        {"a 5 GiB kernel of one a.out-kludge image", {"-m", "3G", "-kernel", s.sparse("kludge", 5 * gib, kludge_to_eof)},
         "runs past 4 GiB"},
        {"16 program headers of 2.5 GiB", {"-m", "3G", "-kernel", s.file("huge", mbimage::elf(huge, 0x100000))},
         "kernel segments 0x100000-0xa00fffff and 0x100000-0xa00fffff overlap"},
        {"65,535 program headers of 64 MiB", {"-m", "3G", "-kernel", s.file("wide", mbimage::elf(wide, 0x100000, 65535 - 47))},
         "overlap"},
    };
    const long rss_limit_kb = rss_limit_3g_kb();
    for (const Case& c : cases) {
        INFO(c.what);
        auto t0 = std::chrono::steady_clock::now();
        xlat_test::ProcessResult r = xlat_test::run_process(Args{kXlat} + c.args, 60);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        check_refused(r, c.needle);
        CHECK(secs < 10);                      // well under a second when the machine is idle
        CHECK(r.max_rss_kb < rss_limit_kb + r.forked_rss_kb);  // not gigabytes
    }
}

TEST_CASE("multiboot: 3 GiB of bss in fresh guest RAM is not written again", "[multiboot][cli]") {
    // 47 segments of 64 MiB, nearly all bss, in a 3 GiB guest: RAM is zero already, so the
    // loader's zeroing must not commit 3 GB of host memory (it did: 6.6 s and 3 GB).
    Scratch s;
    std::vector<mbimage::Seg> segs;
    for (uint32_t i = 0; i < 47; ++i)
        segs.push_back(mbimage::Seg{0x100000 + i * (64u << 20), i == 0 ? mbimage::exit_code(0x21) : std::vector<uint8_t>{}, 64u << 20});
    auto t0 = std::chrono::steady_clock::now();
    xlat_test::ProcessResult r = xlat_test::run_process({kXlat, "-m", "3G", "-kernel", s.file("bss", mbimage::elf(segs, 0x100000))}, 120);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("stderr: " << r.err << " seconds: " << secs);
    CHECK(r.exit_status == ((0x21 << 1) | 1));
    CHECK(r.max_rss_kb < rss_limit_3g_kb() + r.forked_rss_kb);
    CHECK(secs < 30);
}
