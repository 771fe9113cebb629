// The HPET (devices/hpet.*) through its registers on a stepped virtual clock, without a CPU, the
// way Linux's arch/x86/kernel/hpet.c drives it: the capabilities, the counter and its 32-bit
// halves, one-shot and periodic comparators in 64-bit and 32-bit mode, edge and level
// interrupts with the status register, routing and legacy replacement; then on the board, where
// legacy replacement takes IRQ 0 and 8 from the PIT and the RTC.
#include <catch2/catch.hpp>

#include <vector>

#include "devices/hpet.h"
#include "test_machine.h"

using namespace xlat;

namespace {

// An interrupt controller's inputs as a test sees them: each pin's level and its rising edges.
struct Pins : IrqSink {
    bool level[32] = {};
    unsigned rises[32] = {};
    void set_irq(unsigned pin, bool l) override {
        if (l && !level[pin]) ++rises[pin];
        level[pin] = l;
    }
};

constexpr uint32_t kCap = 0x000, kConfig = 0x010, kIsr = 0x020, kCounter = 0x0F0;
constexpr uint32_t tcfg(unsigned n) { return 0x100 + 0x20 * n; }
constexpr uint32_t tcmp(unsigned n) { return 0x108 + 0x20 * n; }

struct Rig {
    Clock clock;
    Hpet hpet{clock};
    Pins routed, legacy;
    std::vector<bool> legacy_calls;
    Rig() {
        clock.use_manual();
        hpet.routed = &routed;
        hpet.legacy = &legacy;
        hpet.on_legacy = [this](bool on) { legacy_calls.push_back(on); };
    }
    uint32_t rd(uint32_t reg) { return hpet.read(0, reg, 4); }
    void wr(uint32_t reg, uint32_t v) { hpet.write(0, reg, 4, v); }
    uint64_t rd64(uint32_t reg) { return rd(reg) | uint64_t(rd(reg + 4)) << 32; }
    void ticks(uint64_t n) { clock.advance(n * Hpet::kTickNs); }
};

} // namespace

TEST_CASE("hpet: capabilities, and a counter that runs at 100 MHz only while enabled", "[devices][hpet]") {
    Rig r;
    CHECK(r.rd(kCap) == 0x8086A201u);  // vendor 8086, legacy capable, 64-bit, timers 0-2, revision 1
    CHECK(r.rd(kCap + 4) == 10000000u);  // 10^7 fs: 10 ns
    for (unsigned n = 0; n < 3; ++n) {
        CHECK((r.rd(tcfg(n)) & (Hpet::kPeriodicCap | Hpet::kSize64Cap)) == (Hpet::kPeriodicCap | Hpet::kSize64Cap));
        CHECK(r.rd(tcfg(n) + 4) == Hpet::kRouteCap);
        CHECK(r.rd64(tcmp(n)) == ~0ull);
    }
    r.ticks(500);
    CHECK(r.rd64(kCounter) == 0);  // halted after reset
    r.wr(kConfig, Hpet::kEnable);
    r.clock.advance(10005);
    CHECK(r.rd64(kCounter) == 1000);
    r.wr(kConfig, 0);
    r.ticks(700);
    CHECK(r.rd64(kCounter) == 1000);  // halted: holds its value
    // Software writes the halted counter in 32-bit halves; each keeps the other.
    r.wr(kCounter + 4, 0x12345678);
    r.wr(kCounter, 0xFFFFFFF0u);
    CHECK(r.rd64(kCounter) == 0x12345678FFFFFFF0ull);
    r.wr(kConfig, Hpet::kEnable);
    r.ticks(0x20);
    CHECK(r.rd(kCounter) == 0x10);  // the low half carried into the high one
    CHECK(r.rd(kCounter + 4) == 0x12345679u);
}

TEST_CASE("hpet: a one-shot comparator interrupts once when the counter reaches it", "[devices][hpet]") {
    Rig r;
    r.wr(tcfg(0), Hpet::kIntEnable | 2u << Hpet::kRouteShift);  // edge, 64-bit, I/O APIC input 2
    r.wr(tcmp(0), 1000);
    r.wr(tcmp(0) + 4, 0);
    r.wr(kConfig, Hpet::kEnable);
    r.ticks(999);
    CHECK(r.routed.rises[2] == 0);
    r.ticks(1);
    CHECK(r.routed.rises[2] == 1);
    CHECK(!r.routed.level[2]);  // an edge: raised and dropped
    CHECK(r.rd(kIsr) == 0);     // edge-triggered interrupts leave no status
    CHECK(r.rd64(tcmp(0)) == 1000);  // a one-shot comparator stays
    r.ticks(100000000);  // a 64-bit counter does not come back to it
    CHECK(r.routed.rises[2] == 1);
    // Rewritten ahead of the counter, it interrupts again.
    const uint64_t now = r.rd64(kCounter);
    r.wr(tcmp(0), uint32_t(now + 50));
    r.ticks(50);
    CHECK(r.routed.rises[2] == 2);
    // A comparator behind the counter does not interrupt.
    r.wr(tcmp(0), uint32_t(now));
    r.ticks(1000);
    CHECK(r.routed.rises[2] == 2);
}

TEST_CASE("hpet: a 32-bit one-shot compares the counter's low half, and matches again after it wraps", "[devices][hpet]") {
    Rig r;
    r.wr(tcfg(2), Hpet::kIntEnable | Hpet::kMode32 | 2u << Hpet::kRouteShift);
    r.wr(kCounter + 4, 5);  // the high half does not take part
    r.wr(kCounter, 0xFFFFFF00u);
    r.wr(tcmp(2), 0x80);
    CHECK(r.rd(tcmp(2) + 4) == 0);  // 32-bit mode: the comparator's high half reads 0
    r.wr(kConfig, Hpet::kEnable);
    r.ticks(0x17F);
    CHECK(r.routed.rises[2] == 0);
    r.ticks(1);  // the low half passes 0xFFFFFFFF and reaches 0x80
    CHECK(r.routed.rises[2] == 1);
    r.ticks((1ull << 32) - 1);
    CHECK(r.routed.rises[2] == 1);
    r.ticks(1);
    CHECK(r.routed.rises[2] == 2);
}

TEST_CASE("hpet: a periodic timer interrupts every period, set as Linux sets it", "[devices][hpet]") {
    Rig r;
    r.wr(kConfig, Hpet::kEnable);
    r.ticks(300);
    // hpet_clkevt_set_state_periodic: periodic, VAL_SET, 32-bit; the comparator now + delta;
    // then the period alone (VAL_SET has cleared itself).
    r.wr(tcfg(0), Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kValSet | Hpet::kMode32 | 2u << Hpet::kRouteShift);
    r.wr(tcmp(0), 300 + 1000);
    CHECK((r.rd(tcfg(0)) & Hpet::kValSet) == 0);
    r.wr(tcmp(0), 1000);
    CHECK(r.rd(tcmp(0)) == 1300);
    r.ticks(999);
    CHECK(r.routed.rises[2] == 0);
    r.ticks(1);
    CHECK(r.routed.rises[2] == 1);
    CHECK(r.rd(tcmp(0)) == 2300);  // the comparator moved on by the period
    r.ticks(1000);
    CHECK(r.routed.rises[2] == 2);
    r.ticks(5000);
    CHECK(r.routed.rises[2] == 7);
    CHECK(r.rd(tcmp(0)) == 8300);
    // With its interrupt off the comparator still moves on at each match.
    r.wr(tcfg(0), Hpet::kPeriodic | Hpet::kMode32 | 2u << Hpet::kRouteShift);
    r.ticks(3500);
    CHECK(r.routed.rises[2] == 7);
    CHECK(r.rd(tcmp(0)) == 11300);
    r.wr(tcfg(0), Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kMode32 | 2u << Hpet::kRouteShift);
    r.ticks(499);
    CHECK(r.routed.rises[2] == 7);
    r.ticks(1);
    CHECK(r.routed.rises[2] == 8);
    // Halting the counter halts the timer.
    r.wr(kConfig, 0);
    r.ticks(5000);
    CHECK(r.routed.rises[2] == 8);
}

TEST_CASE("hpet: a level-triggered interrupt holds its line and status until software clears it", "[devices][hpet]") {
    Rig r;
    r.wr(tcfg(1), Hpet::kIntEnable | Hpet::kLevel | 2u << Hpet::kRouteShift);
    r.wr(tcmp(1), 40);
    r.wr(tcmp(1) + 4, 0);
    r.wr(kConfig, Hpet::kEnable);
    r.ticks(40);
    CHECK(r.routed.level[2]);
    CHECK(r.rd(kIsr) == 0x2);
    r.wr(kIsr, 0x1);  // another timer's bit: nothing changes
    CHECK(r.routed.level[2]);
    r.wr(kIsr, 0x2);
    CHECK(!r.routed.level[2]);
    CHECK(r.rd(kIsr) == 0);
    // Active again, then the interrupt disabled: the line drops.
    r.wr(tcmp(1), 100);
    r.ticks(60);
    CHECK(r.routed.level[2]);
    r.wr(tcfg(1), Hpet::kLevel | 2u << Hpet::kRouteShift);
    CHECK(!r.routed.level[2]);
}

TEST_CASE("hpet: legacy replacement routes timer 0 to IRQ 0 and timer 1 to IRQ 8", "[devices][hpet]") {
    Rig r;
    for (unsigned n = 0; n < 3; ++n) {
        r.wr(tcfg(n), Hpet::kIntEnable | 2u << Hpet::kRouteShift);
        r.wr(tcmp(n), 100 * (n + 1));
        r.wr(tcmp(n) + 4, 0);
    }
    r.wr(kConfig, Hpet::kEnable | Hpet::kLegacy);
    REQUIRE(r.legacy_calls == std::vector<bool>{true});
    r.ticks(300);
    CHECK(r.legacy.rises[0] == 1);  // timer 0
    CHECK(r.legacy.rises[8] == 1);  // timer 1
    CHECK(r.routed.rises[2] == 1);  // timer 2 keeps its route
    r.wr(kConfig, Hpet::kEnable);
    CHECK(r.legacy_calls == std::vector<bool>{true, false});
    r.wr(tcmp(0), 400);
    r.ticks(100);
    CHECK(r.routed.rises[2] == 2);  // timer 0 on its own route again
    CHECK(r.legacy.rises[0] == 1);
}

TEST_CASE("hpet: the state list carries a running timer into a fresh device", "[devices][hpet]") {
    Rig a;
    a.wr(tcfg(0), Hpet::kIntEnable | Hpet::kPeriodic | Hpet::kValSet | Hpet::kMode32 | 2u << Hpet::kRouteShift);
    a.wr(tcmp(0), 250);
    a.wr(tcmp(0), 250);
    a.wr(kConfig, Hpet::kEnable);
    a.ticks(600);
    REQUIRE(a.routed.rises[2] == 2);
    const std::vector<uint8_t> image = save_state(a.hpet);
    Rig b;
    b.clock.advance_to(a.clock.now());
    load_state(b.hpet, image);
    b.hpet.post_load();
    CHECK(b.rd64(kCounter) == a.rd64(kCounter));
    CHECK(b.rd(tcmp(0)) == 750);
    b.ticks(150);
    CHECK(b.routed.rises[2] == 1);
}

TEST_CASE("hpet: on the board, legacy replacement takes IRQ 0 from the PIT and IRQ 8 from the RTC", "[devices][hpet]") {
    Machine m(small_config());
    m.clock.use_manual();
    // The board maps the block at 0xFED00000.
    CHECK(m.phys.read(Hpet::kBase, 4) == 0x8086A201u);
    // The PIT in mode 2 at about 1 kHz on IRQ 0; the 8259 sees its edges (IRR).
    m.io.write(0x21, 1, 0xFF);  // all masked: IRR still records requests
    m.io.write(0x43, 1, 0x34);
    m.io.write(0x40, 1, 0xA9);
    m.io.write(0x40, 1, 0x04);  // 1193 counts: 1 ms
    auto irq0_raised = [&] {
        const bool was = (m.pic_master->irr() & 1) != 0;
        m.io.write(0x20, 1, 0x0A);  // read IRR next (OCW3)
        return was;
    };
    // The master 8259 in edge mode clears IRR only on acknowledge: initialise it so that an
    // edge sets IRR and reading it is enough.
    m.io.write(0x20, 1, 0x11), m.io.write(0x21, 1, 0x08), m.io.write(0x21, 1, 0x04), m.io.write(0x21, 1, 0x01);
    m.io.write(0x21, 1, 0xFF);
    m.clock.advance(3000000);
    CHECK(irq0_raised());  // the PIT drives IRQ 0
    // The HPET takes over IRQ 0: legacy replacement, timer 0 one-shot far away.
    m.phys.write(Hpet::kBase + tcfg(0), 4, Hpet::kIntEnable);
    m.phys.write(Hpet::kBase + tcmp(0), 4, 500000);  // 5 ms
    m.phys.write(Hpet::kBase + tcmp(0) + 4, 4, 0);
    m.phys.write(Hpet::kBase + kConfig, 4, Hpet::kEnable | Hpet::kLegacy);
    m.io.write(0x20, 1, 0x11), m.io.write(0x21, 1, 0x08), m.io.write(0x21, 1, 0x04), m.io.write(0x21, 1, 0x01);
    m.io.write(0x21, 1, 0xFF);  // a fresh initialisation clears IRR
    m.clock.advance(4000000);
    CHECK(!(m.pic_master->irr() & 1));  // the PIT's edges no longer reach IRQ 0
    m.clock.advance(1000000);
    CHECK((m.pic_master->irr() & 1) != 0);  // the HPET's does
    // Off again: the PIT has IRQ 0 back.
    m.phys.write(Hpet::kBase + kConfig, 4, Hpet::kEnable);
    m.io.write(0x20, 1, 0x11), m.io.write(0x21, 1, 0x08), m.io.write(0x21, 1, 0x04), m.io.write(0x21, 1, 0x01);
    m.io.write(0x21, 1, 0xFF);
    m.clock.advance(3000000);
    CHECK((m.pic_master->irr() & 1) != 0);
}
