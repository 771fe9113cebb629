// The 8042 and its PS/2 keyboard through ports 0x60/0x64 (and 0x92), as firmware drives them:
// self-tests, the command byte, keyboard reset and identify, scan codes with and without the set 2
// to set 1 translation, IRQ1, A20 through the output port and port 0x92, and the CPU reset.
#include <catch2/catch.hpp>

#include <vector>

#include "devices/i8042.h"

using namespace xlat;

namespace {

struct Line : IrqSink {
    bool level = false;
    void set_irq(unsigned, bool l) override { level = l; }
};

struct Rig {
    IoBus io;
    I8042 kbc;
    Line irq1;
    std::vector<bool> a20;
    int resets = 0;
    Rig() {
        claim_ports(io, 0x60, 1, &kbc);
        claim_ports(io, 0x64, 1, &kbc);
        claim_ports(io, 0x92, 1, &kbc);
        kbc.irq1.connect(&irq1, 1);
        kbc.set_a20 = [this](bool on) { a20.push_back(on); };
        kbc.reset_cpu = [this] { ++resets; };
    }
    uint8_t status() { return uint8_t(io.read(0x64, 1)); }
    void cmd(uint8_t c) { io.write(0x64, 1, c); }
    void data(uint8_t d) { io.write(0x60, 1, d); }
    // Reads every byte waiting in the output buffer, as a polling driver does.
    std::vector<uint8_t> drain() {
        std::vector<uint8_t> out;
        while (status() & I8042::kObf) out.push_back(uint8_t(io.read(0x60, 1)));
        return out;
    }
};

} // namespace

TEST_CASE("i8042: self-tests and the command byte", "[devices]") {
    Rig r;
    CHECK(r.status() == I8042::kUnlocked);
    r.cmd(0xAA);
    CHECK(r.status() & I8042::kObf);
    CHECK(r.status() & I8042::kCmdData);
    CHECK(r.drain() == std::vector<uint8_t>{0x55});
    r.cmd(0xAB);
    CHECK(r.drain() == std::vector<uint8_t>{0x00});
    r.cmd(0x60);
    r.data(0x65);  // IRQ1, SYS, keyboard disabled, translation
    CHECK_FALSE(r.status() & I8042::kCmdData);  // the last write went to the data port
    r.cmd(0x20);
    CHECK(r.drain() == std::vector<uint8_t>{0x65});
    CHECK(r.status() & I8042::kSys);
}

TEST_CASE("i8042: keyboard reset and identify, with IRQ1", "[devices]") {
    Rig r;
    r.cmd(0x60);
    r.data(I8042::kIntKbd);  // interrupts, no translation
    r.data(0xFF);
    CHECK(r.irq1.level);
    CHECK(r.io.read(0x60, 1) == 0xFA);
    CHECK(r.irq1.level);  // the next byte follows at once
    CHECK(r.io.read(0x60, 1) == 0xAA);
    CHECK_FALSE(r.irq1.level);
    r.data(0xF2);
    CHECK(r.drain() == (std::vector<uint8_t>{0xFA, 0xAB, 0x83}));
    r.cmd(0x60);
    r.data(I8042::kIntKbd | I8042::kXlat);
    r.data(0xF2);
    CHECK(r.drain() == (std::vector<uint8_t>{0xFA, 0xAB, 0x41}));  // as the translating controller passes it
    r.data(0xED);
    r.data(0x07);  // LEDs
    CHECK(r.drain() == (std::vector<uint8_t>{0xFA, 0xFA}));
    r.data(0xEE);
    CHECK(r.drain() == std::vector<uint8_t>{0xEE});
    r.data(0x42);  // not a command
    CHECK(r.drain() == std::vector<uint8_t>{0xFE});
}

TEST_CASE("i8042: scan code set 2, translated to set 1 when the command byte says so", "[devices]") {
    Rig r;
    const uint8_t a_make[] = {0x1C}, a_break[] = {0xF0, 0x1C}, up_make[] = {0xE0, 0x75}, up_break[] = {0xE0, 0xF0, 0x75};
    r.cmd(0x60);
    r.data(0x00);
    r.kbc.key_bytes(a_make, 1);
    r.kbc.key_bytes(a_break, 2);
    CHECK(r.drain() == (std::vector<uint8_t>{0x1C, 0xF0, 0x1C}));
    r.cmd(0x60);
    r.data(I8042::kXlat);
    r.kbc.key_bytes(a_make, 1);
    r.kbc.key_bytes(a_break, 2);
    r.kbc.key_bytes(up_make, 2);
    r.kbc.key_bytes(up_break, 3);
    CHECK(r.drain() == (std::vector<uint8_t>{0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8}));
    // A disabled keyboard interface holds the bytes until it is enabled again.
    r.cmd(0xAD);
    r.kbc.key_bytes(a_make, 1);
    CHECK(r.drain().empty());
    r.cmd(0xAE);
    CHECK(r.drain() == std::vector<uint8_t>{0x1E});
    // A keyboard told to stop scanning sends nothing.
    r.data(0xF5);
    CHECK(r.drain() == std::vector<uint8_t>{0xFA});
    r.kbc.key_bytes(a_make, 1);
    CHECK(r.drain().empty());
}

TEST_CASE("i8042: A20 through the output port and port 0x92; CPU reset through 0xFE and 0x92", "[devices]") {
    Rig r;
    r.cmd(0xD0);
    CHECK(r.drain() == std::vector<uint8_t>{0x03});  // A20 on, not in reset
    r.cmd(0xD1);
    r.data(0x01);  // A20 off
    CHECK(r.a20 == std::vector<bool>{false});
    r.cmd(0xD0);
    CHECK(r.drain() == std::vector<uint8_t>{0x01});
    r.cmd(0xDF);
    CHECK(r.a20 == (std::vector<bool>{false, true}));
    r.cmd(0xDD);
    CHECK(r.a20 == (std::vector<bool>{false, true, false}));
    // Fast A20: port 0x92 bit 1 opens the gate too (either gate is enough).
    r.io.write(0x92, 1, 0x02);
    CHECK(r.a20.back());
    CHECK(r.io.read(0x92, 1) == 0x02);
    r.cmd(0xDF);
    CHECK(r.a20.size() == 4);  // already open: no change
    CHECK(r.resets == 0);
    r.cmd(0xFE);  // pulse the reset line
    CHECK(r.resets == 1);
    r.cmd(0xFF);  // pulses nothing
    CHECK(r.resets == 1);
    r.io.write(0x92, 1, 0x03);
    CHECK(r.resets == 2);
    CHECK(r.io.read(0x92, 1) == 0x02);
    r.cmd(0xD1);
    r.data(0x02);  // bit 0 low: reset
    CHECK(r.resets == 3);
    // The mouse port has nothing behind it.
    r.cmd(0xD4);
    r.data(0xFF);
    CHECK(r.status() & I8042::kTimeout);
    CHECK(r.status() & I8042::kAuxObf);
    r.kbc.reset();
    CHECK(r.status() == I8042::kUnlocked);
    CHECK(r.io.read(0x92, 1) == 0);
}

#include "test_machine.h"

TEST_CASE("i8042: the machine's A20 gate follows the controller, and a reset restores it", "[devices]") {
    xlat::Machine m(small_config());
    CHECK(m.phys.a20());
    m.io.write(0x64, 1, 0xDD);
    CHECK_FALSE(m.phys.a20());
    m.io.write(0x92, 1, 0x02);
    CHECK(m.phys.a20());
    m.io.write(0x92, 1, 0x00);
    CHECK_FALSE(m.phys.a20());
    m.reset();
    CHECK(m.phys.a20());
    m.io.write(0x64, 1, 0xAA);
    CHECK(m.io.read(0x60, 1) == 0x55);
}
