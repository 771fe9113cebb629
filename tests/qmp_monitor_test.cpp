// QMP (frontend/qmp.cpp) and the human monitor (frontend/monitor.cpp), driven over their
// sockets against a running xlat; the monitor's page-table views on a machine built here.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <regex>
#include <thread>

#include "frontend/monitor.h"
#include "process_util.h"
#include "rom_util.h"
#include "scratch_dir.h"
#include "socket_client.h"
#include "test_machine.h"

using namespace xlat_test;
using json = nlohmann::json;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";

// A ROM whose reset vector holds jmp $.
std::string loop_rom(const ScratchDir& dir) {
    std::string image(64 * 1024, '\xff');
    image[0xFFF0] = '\xEB';
    image[0xFFF1] = '\xFE';
    return dir.file("loop.bin", image);
}

struct QmpClient : Client {
    std::vector<json> events;
    json next() {
        const std::string l = line();
        if (l.empty()) return json();
        return json::parse(l);
    }
    // Sends a command; returns its answer, keeping the events that came before it.
    json run(const json& cmd) {
        send(cmd.dump() + "\n");
        for (;;) {
            json j = next();
            if (j.is_null()) return j;
            if (j.contains("event")) events.push_back(j);
            else return j;
        }
    }
    // The next event (from those already read, or the socket).
    json event() {
        if (!events.empty()) {
            json e = events.front();
            events.erase(events.begin());
            return e;
        }
        return next();
    }
};

void check_event(const json& e, const std::string& name) {
    INFO(e.dump());
    REQUIRE(e.is_object());
    CHECK(e["event"] == name);
    CHECK(e["timestamp"]["seconds"].is_number_integer());
    CHECK(e["timestamp"]["microseconds"].is_number_integer());
}

} // namespace

TEST_CASE("QMP: greeting, capabilities, query-status, stop, cont, system_reset, quit and events", "[qmp]") {
    ScratchDir dir("qmp");
    const std::string sock = (dir.dir / "qmp.sock").string();
    BackgroundProcess xlat(kXlat, {"-S", "-qmp", "unix:" + sock + ",server,nowait", "-bios", loop_rom(dir), "-debugcon", "none"});
    QmpClient c;
    REQUIRE(c.connect_unix(sock));
    const json greeting = c.next();
    INFO(greeting.dump());
    REQUIRE(greeting.contains("QMP"));
    CHECK(greeting["QMP"]["capabilities"] == json::array());
    CHECK(greeting["QMP"]["version"]["qemu"]["major"].is_number());
    // Nothing but qmp_capabilities before the negotiation.
    json r = c.run({{"execute", "query-status"}});
    CHECK(r["error"]["class"] == "CommandNotFound");
    r = c.run({{"execute", "qmp_capabilities"}, {"id", "neg"}});
    CHECK(r == json({{"return", json::object()}, {"id", "neg"}}));
    r = c.run({{"execute", "query-status"}});
    CHECK(r["return"]["status"] == "prelaunch");
    CHECK(r["return"]["running"] == false);
    CHECK(c.run({{"execute", "cont"}}) == json({{"return", json::object()}}));
    check_event(c.event(), "RESUME");
    r = c.run({{"execute", "query-status"}});
    CHECK(r["return"]["status"] == "running");
    CHECK(r["return"]["running"] == true);
    CHECK(c.run({{"execute", "stop"}}) == json({{"return", json::object()}}));
    check_event(c.event(), "STOP");
    CHECK(c.run({{"execute", "query-status"}})["return"]["status"] == "paused");
    // Errors as QEMU words them.
    r = c.run({{"execute", "no-such-command"}, {"id", 5}});
    CHECK(r["error"]["class"] == "CommandNotFound");
    CHECK(r["error"]["desc"] == "The command no-such-command has not been found");
    CHECK(r["id"] == 5);
    r = c.run({{"arguments", json::object()}});
    CHECK(r["error"]["class"] == "GenericError");
    c.send("{\"execute\":\n");  // a command may span lines
    c.send(" \"query-status\"}\n");
    r = c.next();
    CHECK(r["return"]["status"] == "paused");
    c.send("{\"execute\": }\n");   // balanced but not JSON
    r = c.next();
    CHECK(r["error"]["class"] == "GenericError");
    CHECK(c.run({{"execute", "qmp_capabilities"}})["error"]["class"] == "CommandNotFound");
    CHECK(c.run({{"execute", "system_reset"}}) == json({{"return", json::object()}}));
    const json reset = c.event();
    check_event(reset, "RESET");
    CHECK(reset["data"]["guest"] == false);
    CHECK(c.run({{"execute", "cont"}})["return"] == json::object());
    check_event(c.event(), "RESUME");
    CHECK(c.run({{"execute", "quit"}}) == json({{"return", json::object()}}));
    const json shutdown = c.event();
    check_event(shutdown, "SHUTDOWN");
    CHECK(shutdown["data"]["reason"] == "host-qmp-quit");
    CHECK(c.wait_closed());
    const ProcessResult& x = xlat.wait();
    INFO("xlat stderr: " << x.err);
    CHECK(x.exit_status == 0);
}

TEST_CASE("QMP on TCP waits for its client, then reports the guest's own shutdown", "[qmp]") {
    {
        // Without nowait the guest does not start before the client is there: the ROM ends
        // the run at once, so an xlat that had not waited would be gone, not greeting us.
        const int port = free_tcp_port();
        REQUIRE(port > 0);
        BackgroundProcess xlat(kXlat, {"-qmp", "tcp:127.0.0.1:" + std::to_string(port) + ",server", "-bios", rom_image("gdb_target"),
                         "-debugcon", "none"});
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        QmpClient c;
        REQUIRE(c.connect_tcp(port));
        CHECK(c.next().contains("QMP"));
        CHECK(c.wait_closed());
        const ProcessResult& x = xlat.wait();
        CHECK(x.exit_status == 1);
        CHECK(x.err.find("waiting for a connection on tcp:127.0.0.1:" + std::to_string(port)) != std::string::npos);
    }
    const int port = free_tcp_port();
    REQUIRE(port > 0);
    BackgroundProcess xlat(kXlat, {"-S", "-qmp", "tcp:127.0.0.1:" + std::to_string(port) + ",server", "-bios", rom_image("gdb_target"),
                     "-debugcon", "none"});
    QmpClient c;
    REQUIRE(c.connect_tcp(port));
    REQUIRE(c.next().contains("QMP"));
    CHECK(c.run({{"execute", "qmp_capabilities"}})["return"] == json::object());
    CHECK(c.run({{"execute", "cont"}})["return"] == json::object());
    check_event(c.event(), "RESUME");
    // The guest runs to its exit port: SHUTDOWN from the guest, then the connection ends.
    const json e = c.event();
    check_event(e, "SHUTDOWN");
    CHECK(e["data"]["guest"] == true);
    CHECK(e["data"]["reason"] == "guest-shutdown");
    CHECK(c.wait_closed());
    const ProcessResult& x = xlat.wait();
    INFO("xlat stderr: " << x.err);
    CHECK(x.exit_status == 1);
}

TEST_CASE("monitor over a unix socket: info, x, xp, stop, cont, system_reset, quit", "[monitor]") {
    ScratchDir dir("monitor");
    const std::string sock = (dir.dir / "mon.sock").string();
    // --jit-hot-runs 1: the jmp $ is translated at its first run, not its third.
    BackgroundProcess xlat(kXlat, {"-S", "-monitor", "unix:" + sock + ",server,nowait", "-bios", loop_rom(dir), "-debugcon", "none",
                                   "--jit-hot-runs", "1"});
    Client c;
    REQUIRE(c.connect_unix(sock));
    const auto prompt = [](const std::string& b) {
        const size_t p = b.find("(xlat) ");
        return p == std::string::npos ? p : p + 7;
    };
    const std::string banner = c.read_until(prompt);
    CHECK(banner.find("xlat monitor") != std::string::npos);
    const auto cmd = [&](const std::string& line) {
        c.send(line + "\n");
        std::string out = c.read_until(prompt);
        return out.substr(0, out.size() >= 7 ? out.size() - 7 : 0);
    };
    CHECK(cmd("info status") == "VM status: prelaunch\n");
    const std::string regs = cmd("info registers");
    CHECK(regs.find("EIP=0000fff0") != std::string::npos);
    CHECK(regs.find("CS =f000 ffff0000") != std::string::npos);
    CHECK(cmd("x/2xb 0xfffffff0") == "fffffff0: 0xeb 0xfe\n");
    CHECK(cmd("xp/2xb 0xffff0") == "000ffff0: 0xeb 0xfe\n");
    CHECK(cmd("x/1xh 0xfffffff0") == "fffffff0: 0xfeeb\n");
    CHECK(cmd("x/2dw 0x0") == "00000000: 0 0\n");
    CHECK(cmd("xp/1xw 0xc0000000").find("cannot read physical memory at c0000000") != std::string::npos);
    CHECK(cmd("x/1q 0") .find("invalid format") != std::string::npos);
    CHECK(cmd("info tlb") == "paging is disabled: linear addresses are physical\n");
    CHECK(cmd("info pic").find("pic-master: irr=") != std::string::npos);
    const std::string irq = cmd("info irq");
    CHECK(irq.rfind("IRQ  vector  delivered\n", 0) == 0);
    CHECK(std::count(irq.begin(), irq.end(), '\n') == 17);
    CHECK(cmd("help").find("info registers") != std::string::npos);
    CHECK(cmd("frobnicate") == "unknown command: 'frobnicate' (try help)\n");
    CHECK(cmd("cont") == "");
    CHECK(cmd("info status") == "VM status: running\n");
    // The guest runs its jmp $ as a translated block (the JIT is the default). Each command is
    // served between the machine's runs, so on a loaded host the guest may not have run yet:
    // wait for it (up to 5 s) rather than for one moment between cont and stop.
    bool translated = false;
    for (int i = 0; i < 500 && !translated; ++i) {
        translated = std::regex_search(cmd("info blocks"), std::regex("blocks translated [1-9]"));
        if (!translated) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(translated);
    CHECK(cmd("stop") == "");
    CHECK(cmd("info status") == "VM status: paused\n");
    CHECK(cmd("system_reset") == "");
    CHECK(cmd("info registers").find("EIP=0000fff0") != std::string::npos);
    c.send("quit\n");
    CHECK(c.wait_closed());
    const ProcessResult& x = xlat.wait();
    INFO("xlat stderr: " << x.err);
    CHECK(x.exit_status == 0);
}

TEST_CASE("monitor page-table views and debugger reads leave the page tables untouched", "[monitor]") {
    xlat::Machine m(small_config());
    // 32-bit paging with PSE: the page directory at 0x1000, a page table at 0x2000.
    const auto put32 = [&](uint32_t addr, uint32_t v) { m.phys.write_bytes(addr, &v, 4); };
    put32(0x1000 + 1 * 4, 0x2000 | 7);          // PDE 1 (0x00400000): the table, P W U
    put32(0x1000 + 2 * 4, 0x800000 | 0x83);     // PDE 2 (0x00800000): a 4 MiB page, P W PS
    put32(0x2000 + 0 * 4, 0x5000 | 7);          // 0x00400000 -> 0x5000, P W U
    put32(0x2000 + 1 * 4, 0x6000 | 1);          // 0x00401000 -> 0x6000, P (read-only, supervisor)
    put32(0x5010, 0xCAFEF00D);
    m.cpu.load_paging_regs(m.cpu.s.cr0 | xlat::CR0_PE | xlat::CR0_PG, 0x1000, xlat::CR4_PSE, 0);
    CHECK(xlat::describe_page_tables(m, false) ==
          "00400000: 000005000 -------UW\n"
          "00401000: 000006000 ---------\n"
          "00800000: 000800000 --P-----W 4M\n");
    CHECK(xlat::describe_page_tables(m, true) ==
          "00400000-00401000 00001000 urw\n"
          "00401000-00402000 00001000 -r-\n"
          "00800000-00c00000 00400000 -rw\n");
    uint8_t b[4];
    REQUIRE(m.read_linear(0x400010, b, 4) == 4);
    uint32_t v;
    std::memcpy(&v, b, 4);
    CHECK(v == 0xCAFEF00D);
    CHECK(m.read_linear(0x402000, b, 4) == 0);  // not mapped
    CHECK(m.read_linear(0x401FFE, b, 4) == 2);  // up to the end of the mapped page
    // No accessed bits appeared: the reads were the debugger's, not the guest's.
    uint32_t pde, pte;
    m.phys.read_bytes(0x1004, &pde, 4);
    m.phys.read_bytes(0x2000, &pte, 4);
    CHECK((pde & 0x20) == 0);
    CHECK((pte & 0x20) == 0);
    // Writes go to RAM through the same translation; a read-only page is written all the same
    // (the debugger is not the guest), an unmapped one is not.
    const uint8_t w[2] = {0x12, 0x34};
    CHECK(m.write_linear(0x401000, w, 2) == 2);
    m.phys.read_bytes(0x6000, b, 2);
    CHECK((b[0] == 0x12 && b[1] == 0x34));
    CHECK(m.write_linear(0x402000, w, 2) == 0);
}
