// The MC146818 RTC and CMOS driven through ports 0x70/0x71 on a stepped clock, with IRQ8
// through the slave PIC as a driver sees it (tests/chipset_rig.h). Behaviour from the
// MC146818A datasheet.
#include <catch2/catch.hpp>

#include "chipset_rig.h"
#include "devices/rtc.h"
#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

struct Rig : ChipsetRig {
    // 2006-06-17 16:01:21 UTC, a Saturday.
    Rtc146818 rtc{clock, rtc_start_time("2006-06-17T16:01:21")};
    Rig() {
        io.claim(0x70, 2, &rtc, 0, 1, 1);
        rtc.irq8.connect(&slave, 0);
        rtc.reset();
        init_pics();
        out(0x21, 0xFB);  // only the cascade on the master
        out(0xA1, 0xFE);  // only IRQ8 on the slave
    }
    uint8_t reg(uint8_t i) {
        out(0x70, i);
        return in(0x71);
    }
    void set(uint8_t i, uint8_t v) {
        out(0x70, i);
        out(0x71, v);
    }
    // Steps the clock, taking each IRQ8 (vector 0x70) with a read of register C and EOIs.
    int run(uint64_t ns, uint64_t step = 100000, uint8_t* flags = nullptr) {
        int n = 0;
        for (uint64_t t = 0; t < ns; t += step) {
            clock.advance(step);
            while (inta() == 0x70) {
                ++n;
                const uint8_t c = reg(0x0C);
                if (flags) *flags |= c;
                out(0xA0, 0x20);
                out(0x20, 0x20);
            }
        }
        return n;
    }
};

constexpr uint64_t kMs = 1000000, kS = 1000000000;

} // namespace

TEST_CASE("rtc: the time in BCD, binary, 24 and 12 hours", "[rtc]") {
    Rig r;
    CHECK(r.reg(0x00) == 0x21);
    CHECK(r.reg(0x02) == 0x01);
    CHECK(r.reg(0x04) == 0x16);
    CHECK(r.reg(0x06) == 0x07);  // Saturday
    CHECK(r.reg(0x07) == 0x17);
    CHECK(r.reg(0x08) == 0x06);
    CHECK(r.reg(0x09) == 0x06);
    CHECK(r.reg(0x32) == 0x20);
    CHECK(r.reg(0x0A) == 0x26);
    CHECK(r.reg(0x0B) == 0x02);
    CHECK(r.reg(0x0D) == 0x80);
    r.set(0x0B, 0x04);  // binary, 12-hour
    CHECK(r.reg(0x00) == 21);
    CHECK(r.reg(0x04) == (0x80 | 4));  // 4 PM
    r.clock.advance(8 * 3600 * kS);    // 00:01:21 on Sunday
    CHECK(r.reg(0x04) == 12);          // 12 AM
    CHECK(r.reg(0x06) == 1);
    CHECK(r.reg(0x07) == 18);
}

TEST_CASE("rtc: seconds change at the update; UIP is set in the 244 us before it", "[rtc]") {
    Rig r;
    r.clock.advance(kS - 300000);  // 300 us before the next second
    CHECK((r.reg(0x0A) & 0x80) == 0);
    CHECK(r.reg(0x00) == 0x21);
    r.clock.advance(100000);
    CHECK((r.reg(0x0A) & 0x80) == 0x80);
    CHECK(r.reg(0x00) == 0x21);  // still the old second while UIP is set
    r.clock.advance(200000);
    CHECK((r.reg(0x0A) & 0x80) == 0);
    CHECK(r.reg(0x00) == 0x22);
}

TEST_CASE("rtc: SET holds the registers; the time written runs from when SET is cleared", "[rtc]") {
    Rig r;
    r.set(0x0B, 0x82);  // SET, 24 h, BCD
    r.set(0x00, 0x58);
    r.set(0x02, 0x59);
    r.set(0x04, 0x23);
    r.set(0x07, 0x31);
    r.set(0x08, 0x12);
    r.set(0x09, 0x99);
    r.set(0x32, 0x19);
    r.clock.advance(5 * kS);
    CHECK(r.reg(0x00) == 0x58);  // held
    r.set(0x0B, 0x02);
    r.clock.advance(2 * kS);
    CHECK(r.reg(0x00) == 0x00);
    CHECK(r.reg(0x02) == 0x00);
    CHECK(r.reg(0x04) == 0x00);
    CHECK(r.reg(0x07) == 0x01);
    CHECK(r.reg(0x08) == 0x01);
    CHECK(r.reg(0x09) == 0x00);
    CHECK(r.reg(0x32) == 0x20);
    CHECK(r.rtc.seconds() == 946684800);  // 2000-01-01 00:00:00 UTC
}

TEST_CASE("rtc: periodic interrupts at the rate in register A, each needing a read of C", "[rtc]") {
    Rig r;
    r.set(0x0B, 0x42);  // PIE
    uint8_t flags = 0;
    CHECK(r.run(100 * kMs, 100000, &flags) == 102);  // 1024 Hz
    CHECK(flags == 0xC0);                             // IRQF and PF
    r.set(0x0A, 0x2F);                                // RS = 15: 2 Hz
    CHECK(r.run(2 * kS, kMs) == 4);
    // Without the read of register C, IRQ8 stays high: one interrupt only.
    r.set(0x0A, 0x26);
    int taken = 0;
    for (int i = 0; i < 100; ++i) {
        r.clock.advance(kMs);
        if (r.inta() == 0x70) {
            ++taken;
            r.out(0xA0, 0x20);
            r.out(0x20, 0x20);
        }
    }
    CHECK(taken == 1);
}

TEST_CASE("rtc: update-ended and alarm interrupts", "[rtc]") {
    Rig r;
    r.set(0x0B, 0x12);  // UIE
    uint8_t flags = 0;
    CHECK(r.run(3 * kS, kMs, &flags) == 3);
    CHECK((flags & 0xB0) == 0x90);  // IRQF and UF (PF is set too: it does not need PIE)
    // Alarm at hh:mm:30 with hours and minutes "don't care": once, 9 s from 16:01:21.
    r.set(0x0B, 0x22);  // AIE only
    r.reg(0x0C);
    r.set(0x01, 0x30);
    r.set(0x03, 0xC0);
    r.set(0x05, 0xFF);
    flags = 0;
    CHECK(r.run(10 * kS, kMs, &flags) == 1);
    CHECK((flags & 0xA0) == 0xA0);
    CHECK(r.reg(0x00) == 0x34);
}

TEST_CASE("rtc: port 0x70 bit 7 masks NMI; CMOS RAM keeps what is written", "[rtc]") {
    Rig r;
    r.out(0x70, 0x8F);
    CHECK(r.rtc.nmi_masked());
    r.out(0x71, 0xA5);
    r.out(0x70, 0x0F);
    CHECK(!r.rtc.nmi_masked());
    CHECK(r.in(0x71) == 0xA5);
    CHECK(r.in(0x70) == 0xFF);  // the index cannot be read
    r.set(0x0C, 0xFF);          // register C is read-only
    CHECK(r.reg(0x0C) == 0x00);
}

TEST_CASE("rtc: the machine's CMOS holds its memory size and equipment", "[rtc]") {
    Machine m(small_config(128u << 20));
    auto cmos = [&](uint8_t i) {
        m.io.write(0x70, 1, i);
        return m.io.read(0x71, 1);
    };
    CHECK((cmos(0x15) | cmos(0x16) << 8) == 640);
    CHECK((cmos(0x17) | cmos(0x18) << 8) == 0xFFFF);  // 127 MiB is more than the field holds
    CHECK((cmos(0x34) | cmos(0x35) << 8) == (112u << 20) >> 16);
    CHECK(cmos(0x14) == 0x02);
    Machine s(small_config(8u << 20));
    s.io.write(0x70, 1, 0x17);
    CHECK(s.io.read(0x71, 1) == ((7u * 1024) & 0xFF));
    s.io.write(0x70, 1, 0x18);
    CHECK(s.io.read(0x71, 1) == (7u * 1024) >> 8);
}
