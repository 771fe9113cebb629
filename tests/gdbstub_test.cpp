// The GDB stub (frontend/gdbstub.cpp): the distribution's gdb in batch mode against xlat on the
// gdb_target ROM, and a raw protocol client for what batch gdb cannot do (Ctrl-C, kill,
// detach, the error answers).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <thread>

#include "process_util.h"
#include "rom_util.h"
#include "scratch_dir.h"
#include "socket_client.h"

using namespace xlat_test;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";

std::string hex32(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%x", v);
    return b;
}

// The linear address of the marked instruction `mov eax, 5AC0DE01h` in the gdb_target ROM (a
// 64 KiB image at linear 0xF0000).
uint32_t marker_address() {
    const std::vector<uint8_t> rom = read_binary(rom_image("gdb_target"));
    const uint8_t marker[] = {0xB8, 0x01, 0xDE, 0xC0, 0x5A};
    auto it = std::search(rom.begin(), rom.end(), std::begin(marker), std::end(marker));
    REQUIRE(it != rom.end());
    REQUIRE(rom.size() == 0x10000);
    return 0xF0000u + uint32_t(it - rom.begin());
}

// A GDB remote protocol client: packets with checksums, acknowledgements skipped.
struct GdbClient : Client {
    void packet(const std::string& payload) {
        unsigned sum = 0;
        for (char c : payload) sum = (sum + uint8_t(c)) & 0xFF;
        char tail[4];
        std::snprintf(tail, sizeof tail, "#%02x", sum);
        send("$" + payload + tail);
    }
    // The payload of the next packet ("<closed>" when there is none).
    std::string reply(double timeout_s = 20) {
        std::string raw = read_until([](const std::string& b) {
            const size_t start = b.find('$');
            if (start == std::string::npos) return std::string::npos;
            const size_t hash = b.find('#', start);
            return hash == std::string::npos || b.size() < hash + 3 ? std::string::npos : hash + 3;
        }, timeout_s);
        const size_t start = raw.find('$');
        if (start == std::string::npos) return "<closed>";
        return raw.substr(start + 1, raw.size() - start - 4);
    }
    std::string ask(const std::string& payload) {
        packet(payload);
        return reply();
    }
};

// EIP from a g reply: register 8, 4 bytes little-endian after eight 4-byte registers.
uint32_t eip_of(const std::string& g) {
    REQUIRE(g.size() >= 72);
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | uint32_t(std::stoul(g.substr(64 + 2 * size_t(i), 2), nullptr, 16));
    return v;
}

} // namespace

TEST_CASE("gdb attaches, reads registers at reset, breaks, steps, watches, reads memory and sees the exit", "[gdbstub][slow]") {
    const std::string gdb = find_on_path("gdb");
    if (gdb.empty()) {
        WARN("gdb is not on PATH: the GDB stub test with gdb is skipped");
        return;
    }
    const uint32_t bp = marker_address();
    const int port = free_tcp_port();
    REQUIRE(port > 0);
    std::string mode;
    SECTION("the JIT") { mode = "jit"; }
    SECTION("the interpreter") { mode = "interp"; }
    INFO("--cpu-mode " << mode);
    BackgroundProcess xlat(kXlat, {"-gdb", "tcp::" + std::to_string(port), "-S", "-bios", rom_image("gdb_target"), "-debugcon", "stdio",
                     "--cpu-mode", mode});
    const std::string p = std::to_string(port);
    ProcessResult g = run_process({gdb, "-batch", "-nx", "-ex", "set confirm off", "-ex", "set tcp connect-timeout 30",
                                   "-ex", "target remote 127.0.0.1:" + p, "-ex", "info registers eip cs",
                                   "-ex", "break *" + hex32(bp), "-ex", "continue", "-ex", "info registers eip",
                                   "-ex", "stepi", "-ex", "info registers eip eax", "-ex", "x/5xb " + hex32(bp),
                                   "-ex", "watch *(int*)0x600", "-ex", "continue", "-ex", "info registers eip",
                                   "-ex", "delete", "-ex", "continue"},
                                  60);
    const ProcessResult& x = xlat.wait();
    INFO("gdb stdout:\n" << g.out << "\ngdb stderr:\n" << g.err << "\nxlat stdout:\n" << x.out << "\nxlat stderr:\n" << x.err);
    REQUIRE(g.started);
    CHECK_FALSE(g.timed_out);
    // Registers at reset, in real mode: gdb shows EIP (not CS.base + EIP) and the selector.
    CHECK(std::regex_search(g.out, std::regex(R"(eip\s+0xfff0\s+0xfff0)")));
    CHECK(std::regex_search(g.out, std::regex(R"(cs\s+0xf000\s+61440)")));
    // The breakpoint in flat protected mode, where EIP is the linear address.
    CHECK(std::regex_search(g.out, std::regex("Breakpoint 1, 0x0*" + hex32(bp).substr(2) + " in")));
    CHECK(std::regex_search(g.out, std::regex("eip\\s+" + hex32(bp) + "\\s")));
    // One instruction later: the mov eax ran, the next one did not.
    CHECK(std::regex_search(g.out, std::regex("eip\\s+" + hex32(bp + 5) + "\\s")));
    CHECK(std::regex_search(g.out, std::regex(R"(eax\s+0x5ac0de01\s)")));
    // The memory read: the marked instruction's bytes.
    CHECK(std::regex_search(g.out, std::regex(R"(0xb8\s+0x01\s+0xde\s+0xc0\s+0x5a)")));
    // The watchpoint: the write of 0x5AC0DE01 + 0x12345678 = 0x6CF53479, reported after the
    // MOV (3 instructions, 5 + 5 + 2 + 5 bytes, after the breakpoint).
    CHECK(g.out.find("Hardware watchpoint 2: *(int*)0x600") != std::string::npos);
    CHECK(std::regex_search(g.out, std::regex(R"(Old value = 0\s+New value = 1828009081)")));
    CHECK(std::regex_search(g.out, std::regex("eip\\s+" + hex32(bp + 17) + "\\s")));
    // Continue to the exit port: gdb hears the exit status, xlat ends with it.
    CHECK(g.out.find("exited with code 01]") != std::string::npos);
    CHECK(x.exit_status == 1);
    CHECK(x.out == "gdb target: real mode\ngdb target: sum=6cf53479\ngdb target: sum=6cf53479\n");
}

TEST_CASE("GDB stub protocol: queries, Ctrl-C, step, breakpoint, unmapped memory, kill", "[gdbstub]") {
    ScratchDir dir("gdbstub");
    // jmp $ at the reset vector F000:FFF0 (linear 0xFFFFFFF0 while CS.base is 0xFFFF0000).
    std::string image(64 * 1024, '\xff');
    image[0xFFF0] = '\xEB';
    image[0xFFF1] = '\xFE';
    const std::string rom = dir.file("loop.bin", image);
    const int port = free_tcp_port();
    REQUIRE(port > 0);
    BackgroundProcess xlat(kXlat, {"-gdb", "tcp::" + std::to_string(port), "-bios", rom, "-debugcon", "none", "--trace", "gdb"});
    GdbClient c;
    REQUIRE(c.connect_tcp(port));
    const std::string features = c.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    CHECK(features.find("qXfer:features:read+") != std::string::npos);
    CHECK(features.find("PacketSize=") != std::string::npos);
    CHECK(c.ask("QStartNoAckMode") == "OK");
    // Attaching stopped the running guest.
    CHECK(c.ask("?") == "T05thread:01;");
    CHECK(c.ask("qAttached") == "1");
    CHECK(c.ask("qC") == "QC01");
    CHECK(c.ask("qfThreadInfo") == "m01");
    CHECK(c.ask("qsThreadInfo") == "l");
    CHECK(c.ask("Hg0") == "OK");
    const std::string xml = c.ask("qXfer:features:read:target.xml:0,ffb");
    CHECK(xml.rfind("l<?xml", 0) == 0);
    CHECK(xml.find("org.gnu.gdb.i386.core") != std::string::npos);
    CHECK(c.ask("vCont?") == "vCont;c;C;s;S");
    CHECK(eip_of(c.ask("g")) == 0xFFF0);
    CHECK(c.ask("p8") == "f0ff0000");   // EIP
    CHECK(c.ask("pa") == "00f00000");   // CS
    CHECK(c.ask("p10") == std::string(20, '0'));  // ST0: +0.0 after RESET
    CHECK(c.ask("p18") == "40000000");   // FCTRL: 0040h after RESET (SDM Vol. 3A, Table 9-1)
    CHECK(c.ask("p20") == "10000060");   // CR0: 60000010h
    CHECK(c.ask("P10=0000000000000080ff3f") == "OK");  // ST0 := 1.0 (80-bit, little-endian)
    CHECK(c.ask("p10") == "0000000000000080ff3f");
    CHECK(c.ask("p25") == "E01");        // no register 37
    CHECK(c.ask("mfffffff0,2") == "ebfe");
    CHECK(c.ask("mc0000000,4") == "E14");  // the PCI hole: nothing there
    // Registers and memory write through, and read back.
    CHECK(c.ask("P0=78563412") == "OK");
    CHECK(c.ask("p0") == "78563412");
    CHECK(c.ask("M1000,3:a1b2c3") == "OK");
    CHECK(c.ask("m1000,3") == "a1b2c3");
    CHECK(c.ask("Mfffffff0,1:90") == "E14");  // ROM is not written
    // Continue, then Ctrl-C: the guest loops on jmp $ until interrupted (SIGINT, 02).
    c.packet("c");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    c.send("\x03");
    CHECK(c.reply() == "T02thread:01;");
    CHECK(eip_of(c.ask("g")) == 0xFFF0);
    // A step runs jmp $ once.
    CHECK(c.ask("vCont;s:1") == "T05thread:01;");
    CHECK(eip_of(c.ask("g")) == 0xFFF0);
    // A breakpoint where the guest stands: continue runs it once and stops there again. In real
    // mode the linear address (FFFFFFF0) is not the EIP gdb takes as the PC (FFF0), so the stop
    // does not claim to be a breakpoint (gdb would resume it silently); the flat protected-mode
    // stops of the gdb test above carry the claim.
    CHECK(c.ask("Z0,fffffff0,1") == "OK");
    CHECK(c.ask("c") == "T05thread:01;");
    CHECK(c.ask("z0,fffffff0,1") == "OK");
    CHECK(c.ask("Z1,fffffff0,1") == "OK");
    CHECK(c.ask("vCont;c") == "T05thread:01;");
    // Kill: xlat ends with status 0.
    CHECK(c.ask("vKill;1") == "OK");
    const ProcessResult& x = xlat.wait();
    INFO("xlat stderr: " << x.err);
    CHECK(x.exit_status == 0);
    // --trace gdb: both directions, Ctrl-C too.
    CHECK(x.err.find("[gdb] <- qSupported:multiprocess+") != std::string::npos);
    CHECK(x.err.find("[gdb] <- Z1,fffffff0,1") != std::string::npos);
    CHECK(x.err.find("[gdb] <- Ctrl-C") != std::string::npos);
}

TEST_CASE("GDB stub: -S waits, detach lets the guest run on", "[gdbstub]") {
    ScratchDir dir("gdbstub");
    std::string image(64 * 1024, '\xff');
    image[0xFFF0] = '\xEB';  // jmp $
    image[0xFFF1] = '\xFE';
    const std::string rom = dir.file("loop.bin", image);
    const int port = free_tcp_port();
    REQUIRE(port > 0);
    BackgroundProcess xlat(kXlat, {"-gdb", "tcp::" + std::to_string(port), "-S", "--max-insns", "100000", "-bios", rom, "-debugcon", "none"});
    GdbClient c;
    REQUIRE(c.connect_tcp(port));
    c.send("+");
    CHECK(c.ask("?") == "T05thread:01;");
    CHECK(c.ask("Z0,fffffff0,1") == "OK");
    // Detaching drops the breakpoint and resumes: the guest runs into --max-insns (124).
    CHECK(c.ask("D") == "OK");
    const ProcessResult& x = xlat.wait();
    CHECK(x.exit_status == 124);
}

TEST_CASE("gdb in real mode: -s, a breakpoint at a linear address stops as SIGTRAP at the EIP", "[gdbstub][slow]") {
    const std::string gdb = find_on_path("gdb");
    if (gdb.empty()) {
        WARN("gdb is not on PATH: the GDB stub test with gdb is skipped");
        return;
    }
    // The gdb_target ROM starts at F000:0000 (linear F0000) with cli; cld; mov ax, 0; mov ss, ax
    // (at F000:0005); mov sp, 7C00h (F000:0007); call (F000:000A), which returns to F000:000D.
    const std::vector<uint8_t> rom = read_binary(rom_image("gdb_target"));
    REQUIRE(rom.size() > 0x10);
    REQUIRE((rom[5] == 0x8E && rom[7] == 0xBC && rom[0xA] == 0xE8 && rom[0xD] == 0x8C));
    // -s is tcp::1234; when something else holds that port, the same stub on another.
    std::vector<std::string> where = {"-s"};
    std::string port = "1234";
    if (!tcp_port_free(1234)) {
        port = std::to_string(free_tcp_port());
        where = {"-gdb", "tcp::" + port};
        WARN("port 1234 is taken: -gdb tcp::" << port << " stands in for -s");
    }
    std::string mode;
    SECTION("the JIT") { mode = "jit"; }
    SECTION("the interpreter") { mode = "interp"; }
    INFO("--cpu-mode " << mode);
    std::vector<std::string> args = where;
    for (const std::string& a : {std::string("-S"), std::string("-bios"), rom_image("gdb_target"), std::string("-debugcon"),
                                 std::string("stdio"), std::string("--cpu-mode"), mode})
        args.push_back(a);
    BackgroundProcess xlat(kXlat, args);
    ProcessResult g = run_process({gdb, "-batch", "-nx", "-ex", "set confirm off", "-ex", "set tcp connect-timeout 30",
                                   "-ex", "target remote 127.0.0.1:" + port, "-ex", "break *0xf0007", "-ex", "continue",
                                   "-ex", "info registers eip cs esp", "-ex", "stepi", "-ex", "info registers eip esp",
                                   "-ex", "delete", "-ex", "hbreak *0xf000d", "-ex", "continue", "-ex", "info registers eip",
                                   "-ex", "kill"},
                                  60);
    const ProcessResult& x = xlat.wait();
    INFO("gdb stdout:\n" << g.out << "\ngdb stderr:\n" << g.err << "\nxlat stderr:\n" << x.err);
    REQUIRE(g.started);
    CHECK_FALSE(g.timed_out);
    // Both stops are shown (not resumed silently), at F000:0007 and F000:000D.
    CHECK(std::regex_search(g.out, std::regex(R"(Program received signal SIGTRAP[^\n]*\n0x0+7 in)")));
    CHECK(std::regex_search(g.out, std::regex(R"(eip\s+0x7\s+0x7\n)")));
    CHECK(std::regex_search(g.out, std::regex(R"(cs\s+0xf000\s+61440)")));
    CHECK(std::regex_search(g.out, std::regex(R"(eip\s+0xa\s+0xa\nesp\s+0x7c00\s)")));  // the step ran mov sp
    CHECK(std::regex_search(g.out, std::regex(R"(SIGTRAP[^\n]*\n0x0+d in)")));
    CHECK(std::regex_search(g.out, std::regex(R"(eip\s+0xd\s+0xd\n)")));
    CHECK(x.out == "");  // killed before the ROM printed
    CHECK(x.exit_status == 0);
}
