// -kernel: Multiboot loading end to end, through the xlat binary, and the same kernels under
// QEMU where qemu-system-i386 is installed.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct Run {
    int status;
    std::string out;  // stdout and stderr together
};

Run run(const std::string& cmd) {
    Run r{-1, {}};
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
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

bool have_qemu() { return std::system("command -v qemu-system-i386 >/dev/null 2>&1") == 0; }
const std::string kQemuArgs = " -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -display none -nodefaults";

// Drops the line starting with `prefix` (a field where two loaders legitimately differ).
std::string without_line(std::string s, const std::string& prefix) {
    size_t at = s.find(prefix);
    if (at != std::string::npos) s.erase(at, s.find('\n', at) + 1 - at);
    return s;
}

} // namespace

TEST_CASE("a Multiboot ELF kernel gets its command line, modules and memory", "[multiboot]") {
    const std::string mod = module_file();
    const std::string args = " -kernel " + kElf + " -append 'root=/dev/xyz quiet' -initrd '" + mod + " arg1," + mod + "' -m 64M";
    Run r = run(kXlat + args);
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
        Run q = run("timeout 60 qemu-system-i386" + args + kQemuArgs);
        CHECK(q.status == r.status);
        CHECK(without_line(q.out, "mem_lower") == without_line(r.out, "mem_lower"));
    } else {
        WARN("qemu-system-i386 not installed: QEMU comparison skipped");
    }
}

TEST_CASE("a Multiboot a.out-kludge kernel is entered with the magic", "[multiboot]") {
    Run r = run(kXlat + " -kernel " + kAout);
    CHECK(r.status == ((0x11 << 1) | 1));  // 0x12 would mean a wrong EAX
    CHECK(r.out == "a.out kludge kernel entered\n");
    if (have_qemu()) {
        Run q = run("timeout 60 qemu-system-i386 -kernel " + kAout + kQemuArgs);
        CHECK(q.status == r.status);
        CHECK(q.out == r.out);
    }
}

TEST_CASE("multiboot: -kernel refuses what is not a kernel, with one clear line", "[multiboot][cli]") {
    Run r = run(kXlat + " -kernel " + kBin + "/roms/demo.bin");
    CHECK(r.status == 1);
    CHECK(r.out.find("is not a Multiboot kernel") != std::string::npos);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    r = run(kXlat + " -kernel /nonexistent/kernel");
    CHECK(r.status == 1);
    CHECK(r.out.find("cannot read kernel") != std::string::npos);
    r = run(kXlat + " -kernel " + kElf + " -initrd /nonexistent/module");
    CHECK(r.status == 1);
    CHECK(r.out.find("cannot read module") != std::string::npos);
    r = run(kXlat + " -append 'x=1'");
    CHECK(r.status == 1);
    CHECK(r.out.find("need -kernel") != std::string::npos);
    // An ELF kernel that does not fit in a tiny guest.
    r = run(kXlat + " -kernel " + kElf + " -m 1M");
    CHECK(r.status == 1);
    CHECK(r.out.find("outside guest RAM") != std::string::npos);
}

TEST_CASE("compiler-generated code: the benchmark workload agrees with the native build", "[multiboot][differential]") {
    // The same C file built for the host and as a 686 Multiboot kernel; every checksum must match.
    Run native = run(kBin + "/bench/workload-native");
    REQUIRE(native.status == 0);
    REQUIRE(native.out.find("crc32") != std::string::npos);
    Run r = run(kXlat + " -m 64M -kernel " + kBin + "/bench/workload.elf");
    CHECK(r.status == 1);
    CHECK(r.out == native.out);
}
