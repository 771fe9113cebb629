// Guest time (docs/runloop.md): the Clock's three sources and its deadline queue, the run loop
// that runs the executor up to the next deadline (--icount) or in slices (host time), HLT that
// sleeps or skips to the next deadline, the TSC on the clock, and the exit request that replaces
// asking the interrupt controller at every boundary.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "frontend/machine.h"
#include "memory/clock.h"
#include "rom_util.h"
#include "test_machine.h"

using namespace xlat;

TEST_CASE("clock: events run in deadline order, each with the clock at its deadline", "[clock]") {
    Clock clk;
    clk.use_manual();
    const uint64_t t0 = clk.now();
    std::vector<std::pair<int, uint64_t>> ran;  // (which, now() when it ran)
    ClockEvent a(clk, "a", [&](uint64_t) { ran.emplace_back(1, clk.now()); });
    ClockEvent b(clk, "b", [&](uint64_t) { ran.emplace_back(2, clk.now()); });
    int periods = 0;
    ClockEvent tick(clk, "tick", [&](uint64_t due) {
        ran.emplace_back(3, clk.now());
        if (++periods < 3) tick.schedule(due + 100);  // periodic, from its own deadline
    });
    b.schedule(t0 + 250);
    a.schedule(t0 + 50);
    tick.schedule(t0 + 100);
    CHECK(clk.next_deadline() == t0 + 50);
    clk.advance(1000);
    CHECK(clk.now() == t0 + 1000);
    const std::vector<std::pair<int, uint64_t>> want{
        {1, t0 + 50}, {3, t0 + 100}, {3, t0 + 200}, {2, t0 + 250}, {3, t0 + 300}};
    CHECK(ran == want);
    CHECK(clk.idle());
    // A cancelled event does not run; a destroyed one leaves the queue.
    a.schedule(t0 + 1100);
    a.cancel();
    {
        ClockEvent gone(clk, "gone", [&](uint64_t) { ran.emplace_back(9, 0); });
        gone.schedule(t0 + 1200);
    }
    CHECK(clk.idle());
    clk.advance(1000);
    CHECK(ran.size() == want.size());
}

TEST_CASE("clock: host time moves by itself and sleep_until waits for the deadline", "[clock]") {
    Clock clk;
    std::atomic<uint32_t> wake{0};
    const uint64_t t0 = clk.now();
    const auto h0 = std::chrono::steady_clock::now();
    clk.sleep_until(t0 + 20000000, wake);  // 20 ms
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - h0).count();
    CHECK(ms >= 19.5);
    CHECK(clk.now() >= t0 + 20000000);
    // A set wake word returns at once.
    wake = 1;
    const auto h1 = std::chrono::steady_clock::now();
    clk.sleep_until(clk.now() + 5000000000ull, wake);
    CHECK(std::chrono::steady_clock::now() - h1 < std::chrono::milliseconds(100));
}

namespace {

// A controller that tells the CPU when its line rises, as a PIC does.
struct TestPic : InterruptSource {
    bool line = false;
    int acks = 0;
    bool intr() const override { return line; }
    uint8_t acknowledge() override {
        ++acks;
        line = false;
        return 0x20;
    }
    void raise() {
        line = true;
        intr_raised();
    }
};

struct Rig {
    Machine m;
    Cpu& c = m.cpu;
    CpuState& s = m.cpu.s;
    TestPic pic;

    explicit Rig(int icount_shift = -1) : m(config(icount_shift)) {
        c.intr_source = &pic;
        pic.on_intr([](void* cpu) { static_cast<Cpu*>(cpu)->request_exit(Cpu::kExitIrq); }, &c);
        c.load_seg_real(CS, 0x1000);
        c.load_seg_real(SS, 0x2000);
        s.set_reg32(ESP, 0x1000);
        s.idtr = TableRegister{0, 0x3FF};
        s.set_eip(0);
        // Vector 0x20: 0500:0000, which counts in BX and returns (inc bx; iret).
        uint16_t e[2] = {0x0000, 0x0500};
        m.phys.write_bytes(0x20 * 4, e, 4);
        const uint8_t handler[] = {0x43, 0xCF};
        m.phys.write_bytes(0x5000, handler, sizeof handler);
    }
    static MachineConfig config(int shift) {
        MachineConfig cfg = small_config();
        cfg.icount_shift = shift;
        return cfg;
    }
    void code(std::initializer_list<uint8_t> b) {
        std::vector<uint8_t> v(b);
        m.phys.write_bytes(s.seg[CS].base + s.eip(), v.data(), v.size());
    }
};

} // namespace

TEST_CASE("icount: the run stops at each deadline to the instruction, and the TSC counts with it", "[clock]") {
    Rig r(2);  // 4 ns per instruction
    r.code({0xEB, 0xFE});  // jmp $
    std::vector<uint64_t> seen;
    ClockEvent ev(r.m.clock, "probe", [&](uint64_t due) {
        seen.push_back(r.s.icount);
        CHECK(r.m.clock.now() == due);
        if (seen.size() < 3) ev.schedule(due + 400);
    });
    const uint64_t i0 = r.s.icount;
    ev.schedule(r.m.clock.now() + 1000);
    CHECK(r.m.run(1000).reason == StopReason::MaxInsns);
    CHECK(seen == std::vector<uint64_t>{i0 + 250, i0 + 350, i0 + 450});
    // RDTSC twice, 3 instructions apart: 12 ns of a 1 GHz TSC.
    Rig t(2);
    t.code({0x0F, 0x31, 0x89, 0xC3, 0x90, 0x0F, 0x31, 0xEB, 0xFE});  // rdtsc; mov bx,ax; nop; rdtsc; jmp $
    CHECK(t.m.run(4).reason == StopReason::MaxInsns);
    CHECK(uint16_t(t.s.reg32(EAX) - t.s.reg32(EBX)) == 12);
}

TEST_CASE("icount: HLT skips to the next deadline, whose interrupt wakes the CPU", "[clock]") {
    Rig r(0);
    r.code({0xFB, 0xF4, 0xF4, 0xFA, 0xF4});  // sti; hlt; hlt; cli; hlt
    ClockEvent irq(r.m.clock, "irq", [&](uint64_t due) {
        r.pic.raise();
        if (r.s.reg32(EBX) == 0) irq.schedule(due + 1000000);  // a second one, 1 ms later
    });
    const uint64_t t0 = r.m.clock.now();
    irq.schedule(t0 + 1000000);
    const auto h0 = std::chrono::steady_clock::now();
    Machine::Result res = r.m.run(1000);
    // Both interrupts were taken, each after a HLT, then CLI; HLT can never wake.
    CHECK(res.reason == StopReason::HaltForever);
    CHECK(r.s.reg32(EBX) == 2);
    CHECK(r.pic.acks == 2);
    CHECK(r.m.clock.now() >= t0 + 2000000);  // two milliseconds of guest time...
    CHECK(r.s.icount < 20);                  // ...in a handful of instructions
    CHECK(std::chrono::steady_clock::now() - h0 < std::chrono::milliseconds(500));
}

TEST_CASE("host time: HLT sleeps until the deadline instead of spinning or stopping", "[clock]") {
    Rig r;
    r.code({0xFB, 0xF4, 0xFA, 0xF4});  // sti; hlt; cli; hlt
    ClockEvent irq(r.m.clock, "irq", [&](uint64_t) { r.pic.raise(); });
    const uint64_t t0 = r.m.clock.now();
    irq.schedule(t0 + 30000000);  // 30 ms
    const auto h0 = std::chrono::steady_clock::now();
    std::clock_t cpu0 = std::clock();
    Machine::Result res = r.m.run(0);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - h0).count();
    const double cpu_ms = 1000.0 * double(std::clock() - cpu0) / CLOCKS_PER_SEC;
    CHECK(res.reason == StopReason::HaltForever);
    CHECK(r.s.reg32(EBX) == 1);
    CHECK(ms >= 29.5);
    CHECK(cpu_ms < 15);  // it slept
    // IF set but nothing scheduled and INTR low: nothing can wake it either. (The PIT runs
    // from power-on; mode 0 without a count stops it.)
    Rig q;
    q.m.io.write(0x43, 1, 0x30);
    CHECK(q.m.clock.idle());
    q.code({0xFB, 0xF4});
    CHECK(q.m.run(0).reason == StopReason::HaltForever);
}

TEST_CASE("host time: a busy CPU still runs its due events", "[clock]") {
    Rig r;
    r.code({0xFB, 0xEB, 0xFE});  // sti; jmp $
    int fired = 0;
    ClockEvent irq(r.m.clock, "irq", [&](uint64_t due) {
        r.pic.raise();
        if (++fired < 5) irq.schedule(due + 1000000);  // every millisecond
    });
    irq.schedule(r.m.clock.now() + 1000000);
    const uint64_t t0 = r.m.clock.now();
    while (fired < 5 && r.m.clock.now() - t0 < 5000000000ull) r.m.run(100000);
    CHECK(fired == 5);
    r.m.run(1000);
    // Each event raised the line; events that fell due together (a host that did not run us
    // for a while) make one interrupt, as edges on one wire do.
    CHECK(r.s.reg32(EBX) >= 1);
    CHECK(r.s.reg32(EBX) == uint32_t(r.pic.acks));
    CHECK(!r.pic.line);
}

TEST_CASE("an interrupt held back by IF is taken once STI, POPF or IRET sets IF", "[clock][interrupt]") {
    // INTR rises while IF is clear: the run loop looks once, cannot take it, and stops looking.
    // Whatever sets IF again must make it look, or the interrupt would wait forever.
    struct Case {
        const char* name;
        std::vector<uint8_t> open;  // sets IF
    };
    const Case cases[] = {
        {"sti", {0xFB, 0x90}},                          // sti; nop (the shadow)
        {"popf", {0x68, 0x02, 0x02, 0x9D}},             // push 0x202; popf
        {"iret", {0x9C, 0x58, 0x0D, 0x00, 0x02, 0x50,   // pushf; pop ax; or ax, 0x200; push ax
                  0x0E, 0x68, 0x0F, 0x00, 0xCF}},       // push cs; push 0x000F (the jmp); iret
    };
    for (const Case& k : cases) {
        INFO(k.name);
        Rig r;
        std::vector<uint8_t> prog{0xFA, 0x90, 0x90, 0x90};  // cli; nop; nop; nop
        prog.insert(prog.end(), k.open.begin(), k.open.end());
        const size_t loop = prog.size();
        prog.insert(prog.end(), {0xEB, 0xFE});  // jmp $
        r.m.phys.write_bytes(0x10000, prog.data(), prog.size());
        r.m.run(2);  // cli; nop
        r.pic.raise();
        r.m.run(100);
        CHECK(r.pic.acks == 1);
        CHECK(r.s.reg32(EBX) == 1);
        CHECK(r.s.eip() == loop);
    }
}

// ---- the timers agree (tests/roms/clock.asm) ----

namespace {

struct ClockRom {
    std::unique_ptr<Machine> m;
    Machine::Result result;
    std::string output;
    uint32_t rate(uint32_t at) const { return uint32_t(m->phys.read(at, 4)); }
};

// Runs tests/roms/clock.asm on a fresh machine; icount_shift < 0: host time.
ClockRom run_clock_rom(int icount_shift) {
    ClockRom r;
    MachineConfig cfg;
    cfg.cpu_mode = test_cpu_mode();
    cfg.firmware = xlat_test::read_binary(xlat_test::rom_image("clock"));
    cfg.no_reboot = true;
    cfg.debugcon = [&r](char c) { r.output.push_back(c); };
    if (icount_shift >= 0) {
        cfg.icount_shift = icount_shift;
        cfg.rtc_start = 1149782400;  // 2006-06-08: nothing of the host's in the run
    }
    r.m = std::make_unique<Machine>(cfg);
    r.result = r.m->run(500'000'000);
    return r;
}

} // namespace

TEST_CASE("clock: the TSC runs at 1 GHz by the PIT, the PM timer and the RTC, and so does the APIC timer", "[clock]") {
    // The ROM measures each rate in a window of about 10 ms of host time; its printed verdicts
    // (agreement within 1%) are the ones QEMU gives too (tests/rom_test.cpp), the rates in kHz
    // are xlat's: the TSC is 1 GHz of the machine's Clock (docs/runloop.md).
    ClockRom r = run_clock_rom(-1);
    INFO(r.output);
    REQUIRE(r.result.reason == StopReason::ExitPort);
    CHECK(r.output == xlat_test::expected_output("clock"));
    for (uint32_t at : {0x8000u, 0x8004u, 0x8008u, 0x800Cu}) {
        INFO("rate at " << std::hex << at << ": " << std::dec << r.rate(at) << " kHz");
        CHECK(r.rate(at) > 990'000u);
        CHECK(r.rate(at) < 1'010'000u);
    }
}

TEST_CASE("clock: two --icount runs of the clock ROM measure the same to the tick and end in the same state", "[clock]") {
    // With --icount time is the instruction count: the same guest sees the same readings of
    // every timer, and its devices end in the same state (issue 15: "two runs with --icount").
    ClockRom a = run_clock_rom(3), b = run_clock_rom(3);
    REQUIRE(a.result.reason == StopReason::ExitPort);
    REQUIRE(b.result.reason == StopReason::ExitPort);
    CHECK(a.output == xlat_test::expected_output("clock"));
    CHECK(a.output == b.output);
    CHECK(a.m->cpu.s.icount == b.m->cpu.s.icount);
    for (uint32_t at = 0x8000; at < 0x8018; at += 4) {
        INFO("reading at " << std::hex << at);
        CHECK(a.rate(at) == b.rate(at));
    }
    for (uint32_t at : {0x8000u, 0x8004u, 0x8008u, 0x800Cu}) {  // the same 1 GHz on the icount clock
        CHECK(a.rate(at) > 990'000u);
        CHECK(a.rate(at) < 1'010'000u);
    }
    for (const auto& dev : a.m->devices.all()) {
        INFO(dev->name());
        CHECK(save_state(*dev) == save_state(*b.m->devices.find(dev->name())));
    }
}

TEST_CASE("clock: with --icount the RTC starts at a fixed date unless told, with host time at the host's", "[clock]") {
    // The host's time of day was the one value an --icount guest still read from the host
    // (devices/rtc.h, kIcountRtcBase).
    MachineConfig cfg = small_config();
    cfg.icount_shift = 0;
    CHECK(Machine(cfg).rtc->seconds() == 1767225600);  // 2026-01-01 00:00:00 UTC
    cfg.rtc_start = 1149782400;                         // told: 2006-06-08
    CHECK(Machine(cfg).rtc->seconds() == 1149782400);
    cfg = small_config();  // host time
    const int64_t host = int64_t(std::time(nullptr));
    const int64_t rtc = Machine(cfg).rtc->seconds();
    CHECK(rtc >= host);
    CHECK(rtc <= host + 5);
}
