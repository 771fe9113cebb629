// The 8254 PIT driven through its ports on a stepped clock, counting IRQ0 through the PIC as a
// driver would (tests/chipset_rig.h). Expected behaviour from the 8254 datasheet; the input
// clock is 1.193182 MHz.
#include <catch2/catch.hpp>

#include "chipset_rig.h"

using namespace xlat;

namespace {

struct Rig : ChipsetRig {
    Rig() {
        init_pics();
        out(0x21, 0xFE);  // only IRQ0
    }
    void program(unsigned ch, uint8_t mode_bits, uint16_t count) {
        out(0x43, uint8_t(ch << 6 | 0x30 | mode_bits));  // LSB then MSB
        out(uint16_t(0x40 + ch), uint8_t(count));
        out(uint16_t(0x40 + ch), uint8_t(count >> 8));
    }
    // Steps the clock by `ns` in `step` ns slices, taking and EOI-ing each IRQ0: how many came.
    int run(uint64_t ns, uint64_t step = 20000) {
        int n = 0;
        for (uint64_t t = 0; t < ns; t += step) {
            clock.advance(step);
            while (inta() == 0x08) {
                ++n;
                out(0x20, 0x20);
            }
        }
        return n;
    }
    uint16_t read_count(unsigned ch) {
        out(0x43, uint8_t(ch << 6));  // counter latch
        uint8_t lo = in(uint16_t(0x40 + ch));
        return uint16_t(lo | in(uint16_t(0x40 + ch)) << 8);
    }
};

// The ns by which `ticks` PIT clocks have passed.
uint64_t ns(uint64_t ticks) { return (ticks * 1000000000ull + Pit8254::kHz - 1) / Pit8254::kHz; }

} // namespace

TEST_CASE("pit: mode 2 at 1 kHz gives 100 IRQ0 in 100 ms", "[pit]") {
    Rig r;
    r.program(0, 0x04, 1193);  // 999.85 us
    CHECK(r.run(100000000) == 100);
    CHECK(r.run(1000000000) == 1000);  // and 1000 in the next second, without drift
}

TEST_CASE("pit: mode 3 from power-on runs at 18.2 Hz; a square wave half high, half low", "[pit]") {
    Rig r;
    CHECK(r.run(1000000000, 1000000) == 18);
    r.program(0, 0x06, 1000);
    CHECK(r.pit.out(0));
    r.clock.advance(ns(499));
    CHECK(r.pit.out(0));
    r.clock.advance(ns(2));
    CHECK(!r.pit.out(0));
    r.clock.advance(ns(499));
    CHECK(r.pit.out(0));
}

TEST_CASE("pit: mode 0 interrupts once on terminal count; the count counts down", "[pit]") {
    Rig r;
    r.out(0x43, 0x30);
    CHECK(!r.pit.out(0));  // mode 0: OUT low from the control word on
    r.out(0x40, 0xE8);
    r.out(0x40, 0x03);     // 1000
    r.clock.advance(ns(400));
    CHECK(r.read_count(0) == 600);
    CHECK(r.inta() == -1);
    CHECK(r.run(ns(700)) == 1);
    CHECK(r.pit.out(0));
    CHECK(r.run(100000000) == 0);  // a one-shot
}

TEST_CASE("pit: the counter latch holds the count until it is read", "[pit]") {
    Rig r;
    r.program(0, 0x04, 50000);
    r.clock.advance(ns(1000));
    r.out(0x43, 0x00);  // latch counter 0
    r.clock.advance(ns(5000));
    r.out(0x43, 0x00);  // a second latch before the read is ignored
    const uint8_t lo = r.in(0x40), hi = r.in(0x40);
    CHECK(uint16_t(lo | hi << 8) == 49000);
    CHECK(r.read_count(0) == 44000);
}

TEST_CASE("pit: read-back latches status and count", "[pit]") {
    Rig r;
    r.out(0x43, 0x74);  // counter 1, LSB/MSB, mode 2
    r.out(0x43, 0xE4);  // read-back status of counter 1
    CHECK(r.in(0x41) == 0xF4);  // OUT high, null count, RW 3, mode 2
    r.out(0x41, 0x10);
    r.out(0x41, 0x27);  // 10000
    r.clock.advance(ns(100));
    r.out(0x43, 0xC4);  // status and count of counter 1
    CHECK(r.in(0x41) == 0xB4);  // the status first: the count is loaded now
    const uint8_t lo = r.in(0x41), hi = r.in(0x41);
    CHECK(uint16_t(lo | hi << 8) == 9900);
}

TEST_CASE("pit: BCD counting", "[pit]") {
    Rig r;
    r.out(0x43, 0x35);  // counter 0, mode 2, BCD
    r.out(0x40, 0x00);
    r.out(0x40, 0x20);  // 2000 decimal
    r.clock.advance(ns(1));
    CHECK(r.read_count(0) == 0x1999);
    r.clock.advance(ns(1000));
    CHECK(r.read_count(0) == 0x0999);
}

TEST_CASE("pit: port 0x61 gates counter 2, shows OUT2 and the refresh toggle", "[pit]") {
    Rig r;
    r.out(0x43, 0xB2);  // counter 2, LSB/MSB, mode 1 (one-shot on the gate's rising edge)
    r.out(0x42, 100);
    r.out(0x42, 0);
    CHECK((r.in(0x61) & 0x20) != 0);  // OUT2 high: waiting for the trigger
    r.clock.advance(ns(200));
    CHECK((r.in(0x61) & 0x20) != 0);
    r.out(0x61, 0x01);                // gate 2 rises
    CHECK((r.in(0x61) & 0x21) == 0x01);
    r.clock.advance(ns(99));
    CHECK((r.in(0x61) & 0x20) == 0);
    r.clock.advance(ns(2));
    CHECK((r.in(0x61) & 0x20) != 0);
    r.out(0x61, 0x03);
    CHECK((r.in(0x61) & 0x03) == 0x03);  // gate and speaker bits read back
    const uint8_t a = r.in(0x61) & 0x10;
    r.clock.advance(15085);
    CHECK((r.in(0x61) & 0x10) != a);
}
