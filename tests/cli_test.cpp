// The command line: the built xlat binary run as a child process. Bad input must end with exit
// status 1 and one line on stderr that names the problem (never a crash or a stack of messages);
// the good paths must do what --help says.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "process_util.h"

using namespace xlat_test;
namespace fs = std::filesystem;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kDemo = XLAT_BINARY_DIR "/roms/demo.bin";
// Runs that must end by themselves get this limit too, so that a CPU that loops fails fast
// (status 124) instead of at the time limit. The demo ROM needs a few thousand instructions.
const std::string kGuard = "10000000";

ProcessResult xlat(std::vector<std::string> args, double timeout_s = 60) {
    args.insert(args.begin(), kXlat);
    return run_process(args, timeout_s);
}

std::string describe(const ProcessResult& r) {
    return "exit status " + std::to_string(r.exit_status) + (r.term_signal ? ", signal " + std::to_string(r.term_signal) : "") +
           (r.timed_out ? ", timed out" : "") + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

size_t count_lines(const std::string& s) {
    size_t n = 0;
    for (char c : s) n += c == '\n';
    if (!s.empty() && s.back() != '\n') ++n;
    return n;
}

// A scratch folder with the files the tests need, removed at the end.
struct Scratch {
    fs::path dir;
    Scratch() {
        char tmpl[] = "/tmp/xlat-cli-XXXXXX";
        const char* d = mkdtemp(tmpl);
        if (!d) throw std::runtime_error("mkdtemp failed");
        dir = d;
    }
    ~Scratch() {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
        for (const auto& e : fs::directory_iterator(dir, ec))
            fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir, ec);
    }
    std::string file(const std::string& name, const std::string& content) const {
        fs::path p = dir / name;
        std::ofstream(p, std::ios::binary) << content;
        return p.string();
    }
    // A 64 KiB ROM of 0xFF bytes whose reset vector (F000:FFF0) holds `code`.
    std::string rom(const std::string& name, const std::vector<uint8_t>& code) const {
        std::string image(64 * 1024, '\xff');
        for (size_t i = 0; i < code.size(); ++i) image[0xFFF0 + i] = char(code[i]);
        return file(name, image);
    }
};

// The ROMs, at F000:FFF0.
const std::vector<uint8_t> kLoopCode = {0xEB, 0xFE};  // jmp $
const std::vector<uint8_t> kPostCode = {
    0xB0, 0x42,  // mov al, 42h
    0xE6, 0x80,  // out 80h, al
    0xEB, 0xFE,  // jmp $
};
// LIDT with limit 0, then INT3: delivering #BP, then #GP, then #DF finds no IDT entry: a triple
// fault (SDM Vol. 3A, 6.15, interrupt 8).
const std::vector<uint8_t> kTripleCode = {
    0x2E, 0x0F, 0x01, 0x1E, 0xFA, 0xFF,  // lidt [cs:0FFFAh]
    0xCC,                                // int3
    0xEB, 0xFE,                          // jmp $
    0x00,                                // (FFF9, unused)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // FFFA: limit 0, base 0
};

// Checks the bad-input contract: exit status 1, one line on stderr starting "xlat: " that
// contains `names`, nothing on stdout.
void check_rejected(const std::vector<std::string>& args, const std::string& names) {
    ProcessResult r = xlat(args);
    std::string shown;
    for (const std::string& a : args) shown += " " + a;
    INFO("xlat" << shown);
    INFO(describe(r));
    REQUIRE(r.started);
    CHECK_FALSE(r.timed_out);
    CHECK(r.term_signal == 0);
    CHECK(r.exit_status == 1);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("xlat: ", 0) == 0);
    CHECK(r.err.find(names) != std::string::npos);
    CHECK(r.out.empty());
}

} // namespace

TEST_CASE("cli: bad options are rejected with one line naming the problem", "[cli]") {
    Scratch s;
    SECTION("unknown option") { check_rejected({"--bogus-option"}, "bogus-option"); }
    SECTION("unknown single-dash option") { check_rejected({"-bogus"}, "bogus"); }
    SECTION("positional argument") { check_rejected({"firmware.bin"}, "firmware.bin"); }
    SECTION("-m without a value") { check_rejected({"-m"}, "memory"); }
    SECTION("-m 12Q") { check_rejected({"-m", "12Q"}, "12Q"); }
    SECTION("-m 4G (more than 3G)") { check_rejected({"-m", "4G"}, "memory size"); }
    SECTION("-m 0") { check_rejected({"-m", "0"}, "memory size"); }
    SECTION("--max-insns abc") { check_rejected({"--max-insns", "abc"}, "abc"); }
    SECTION("--cpu-mode bogus") { check_rejected({"--cpu-mode", "bogus"}, "bogus"); }
    SECTION("--trace bogus") { check_rejected({"--trace", "post,bogus"}, "bogus"); }
    SECTION("-debugcon bogus") { check_rejected({"-debugcon", "bogus"}, "bogus"); }
    SECTION("missing --config file") { check_rejected({"--config", (s.dir / "none.cfg").string()}, "none.cfg"); }
    SECTION("bad value in a --config file") {
        check_rejected({"--config", s.file("bad.cfg", "memory = 4G\n")}, "memory size");
    }
    SECTION("unknown name in a --config file") {
        check_rejected({"--config", s.file("unknown.cfg", "colour = blue\n")}, "colour");
    }
    SECTION("a device as --config file") { check_rejected({"--config", "/dev/zero"}, "not a regular file"); }
}

TEST_CASE("cli: bad firmware is rejected with one line naming the problem", "[cli]") {
    Scratch s;
    SECTION("missing file") { check_rejected({"-bios", (s.dir / "missing.bin").string()}, "missing.bin"); }
    SECTION("a directory") { check_rejected({"-bios", s.dir.string()}, s.dir.string()); }
    SECTION("unreadable file") {
        std::string path = s.file("secret.bin", std::string(64 * 1024, '\xff'));
        chmod(path.c_str(), 0);
        if (geteuid() == 0) {
            WARN("running as root: a mode-000 file is still readable; skipped");
        } else {
            check_rejected({"-bios", path}, "secret.bin");
        }
    }
    SECTION("1000 bytes") { check_rejected({"-bios", s.file("small.bin", std::string(1000, '\xff'))}, "1000 bytes"); }
    SECTION("300 KiB") {
        check_rejected({"-bios", s.file("big.bin", std::string(300 * 1024, '\xff'))}, "larger than 256 KiB");
    }
    SECTION("an endless device") { check_rejected({"-bios", "/dev/zero"}, "not a regular file"); }
    SECTION("an endless kernel") { check_rejected({"-kernel", "/dev/zero", "-m", "4M"}, "not a regular file"); }
    SECTION("empty file") { check_rejected({"-bios", s.file("empty.bin", "")}, "0 bytes"); }
    SECTION("-debugcon file: in a missing folder") {
        check_rejected({"-bios", kDemo, "-debugcon", "file:/nonexistent-dir/x"}, "/nonexistent-dir/x");
    }
}

TEST_CASE("cli: --help and --version", "[cli]") {
    ProcessResult r = xlat({"--help"});
    INFO(describe(r));
    CHECK(r.exit_status == 0);
    CHECK(r.out.find("Usage: xlat") != std::string::npos);
    for (const char* opt : {"--bios", "--memory", "--debugcon", "--no-reboot", "--cpu-mode", "--max-insns", "--trace",
                            "--config", "Exit status"})
        CHECK(r.out.find(opt) != std::string::npos);
    CHECK(r.err.empty());

    r = xlat({"--version"});
    INFO(describe(r));
    CHECK(r.exit_status == 0);
    CHECK(r.out.rfind("xlat ", 0) == 0);
    CHECK(count_lines(r.out) == 1);
}

TEST_CASE("cli: the demo ROM greets and exits with status 1", "[cli]") {
    SECTION("the default firmware") {
        ProcessResult r = xlat({"--max-insns", kGuard});
        INFO(describe(r));
        CHECK(r.exit_status == 1);
        CHECK(r.out.rfind("Hello from xlat", 0) == 0);
        CHECK(r.out.find("Goodbye.\n") != std::string::npos);
        CHECK(r.err.empty());
    }
    SECTION("QEMU's spellings: -bios, -m, -debugcon stdio") {
        ProcessResult r = xlat({"-bios", kDemo, "-m", "64", "-debugcon", "stdio", "--max-insns", kGuard});
        INFO(describe(r));
        CHECK(r.exit_status == 1);
        CHECK(r.out.rfind("Hello from xlat", 0) == 0);
    }
    SECTION("-debugcon file:PATH writes the file, not stdout") {
        Scratch s;
        std::string path = (s.dir / "con.txt").string();
        ProcessResult r = xlat({"--bios", kDemo, "--debugcon", "file:" + path, "--max-insns", kGuard});
        INFO(describe(r));
        CHECK(r.exit_status == 1);
        CHECK(r.out.empty());
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(text.rfind("Hello from xlat", 0) == 0);
        CHECK(text.find("Goodbye.\n") != std::string::npos);
    }
    SECTION("-debugcon none discards the output") {
        ProcessResult r = xlat({"-bios", kDemo, "-debugcon", "none", "--max-insns", kGuard});
        INFO(describe(r));
        CHECK(r.exit_status == 1);
        CHECK(r.out.empty());
    }
    SECTION("--stats reports on stderr") {
        ProcessResult r = xlat({"-bios", kDemo, "--stats", "--max-insns", kGuard});
        INFO(describe(r));
        CHECK(r.exit_status == 1);
        CHECK(r.err.find("instructions retired") != std::string::npos);
    }
}

TEST_CASE("cli: --max-insns stops a looping ROM with status 124", "[cli]") {
    Scratch s;
    ProcessResult r = xlat({"-bios", s.rom("loop.bin", kLoopCode), "--max-insns", "1000"});
    INFO(describe(r));
    CHECK(r.exit_status == 124);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.find("--max-insns 1000") != std::string::npos);
}

TEST_CASE("cli: -no-reboot ends a triple fault with status 6 and the CPU state", "[cli]") {
    Scratch s;
    ProcessResult r = xlat({"-bios", s.rom("triple.bin", kTripleCode), "-no-reboot", "--max-insns", kGuard});
    INFO(describe(r));
    CHECK(r.exit_status == 6);
    CHECK(r.err.find("triple fault") != std::string::npos);
    CHECK(r.err.find("EIP=") != std::string::npos);
    CHECK(r.err.find("CR0=") != std::string::npos);
    CHECK(r.err.find("IDT=") != std::string::npos);
}

TEST_CASE("cli: --config FILE sets the options", "[cli]") {
    Scratch s;
    std::string rom = s.rom("loop.bin", kLoopCode);
    SECTION("names as on the command line, without dashes") {
        std::string cfg = s.file("good.cfg", "# a comment\nbios = " + rom + "\nmemory = 64M\nmax-insns = 500\n");
        ProcessResult r = xlat({"--config", cfg});
        INFO(describe(r));
        CHECK(r.exit_status == 124);
        CHECK(r.err.find("--max-insns 500") != std::string::npos);
    }
    SECTION("the command line and the file together") {
        std::string cfg = s.file("part.cfg", "memory = 2G\n");
        ProcessResult r = xlat({"--config", cfg, "-bios", rom, "--max-insns", "700"});
        INFO(describe(r));
        CHECK(r.exit_status == 124);
        CHECK(r.err.find("--max-insns 700") != std::string::npos);
    }
}

TEST_CASE("cli: --trace post shows the POST codes and the last one", "[cli]") {
    Scratch s;
    ProcessResult r = xlat({"-bios", s.rom("post.bin", kPostCode), "--trace", "post", "--max-insns", "1000"});
    INFO(describe(r));
    CHECK(r.exit_status == 124);
    CHECK(r.err.find("[post] POST code 42") != std::string::npos);
    CHECK(r.err.find("[post] last POST code 42") != std::string::npos);
}
