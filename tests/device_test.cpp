// The device interface (memory/device.h): port windows with declared access sizes, the bus
// splitting and widening accesses, state lists saved and loaded, the machine's registry.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <tuple>
#include <vector>

#include "frontend/machine.h"
#include "memory/clock.h"
#include "memory/device.h"
#include "memory/iobus.h"
#include "test_machine.h"

using namespace xlat;

namespace {

// Four byte registers at window offsets 0-3; logs each access it is given.
struct Regs : Device {
    uint8_t reg[4] = {0x10, 0x20, 0x30, 0x40};
    std::vector<std::tuple<unsigned, uint32_t, unsigned>> log;  // window, offset, size
    const char* name() const override { return "regs"; }
    uint32_t read(unsigned w, uint32_t off, unsigned size) override {
        log.emplace_back(w, off, size);
        uint32_t v = 0;
        for (unsigned i = 0; i < size; ++i) v |= uint32_t(reg[(off + i) & 3]) << (8 * i);
        return v;
    }
    void write(unsigned w, uint32_t off, unsigned size, uint32_t v) override {
        log.emplace_back(w, off, size);
        for (unsigned i = 0; i < size; ++i) reg[(off + i) & 3] = uint8_t(v >> (8 * i));
    }
};

struct Stateful : Device {
    explicit Stateful(Clock& c) : timer(c, "t", [](uint64_t) {}) {}
    uint8_t a = 0;
    uint16_t b = 0;
    uint32_t c = 0;
    uint64_t d = 0;
    bool e = false;
    uint8_t blob[3] = {};
    ClockEvent timer;
    int loads = 0;
    uint32_t version = 1;
    const char* name() const override { return "stateful"; }
    uint32_t state_version() const override { return version; }
    void describe_state(StateList& s) override {
        s.u8("a", a).u16("b", b).u32("c", c).u64("d", d).boolean("e", e).bytes("blob", blob, 3).event("timer", timer);
    }
    void post_load() override { ++loads; }
};

} // namespace

TEST_CASE("io bus: a byte-wide window gets wide accesses split, byte by byte", "[device]") {
    IoBus bus;
    Regs r;
    bus.claim(0x70, 4, &r, 7, 1, 1);
    CHECK(bus.read(0x70, 4) == 0x40302010u);
    CHECK(r.log.size() == 4);
    CHECK(r.log[3] == std::make_tuple(7u, 3u, 1u));
    bus.write(0x71, 2, 0xBBAA);
    CHECK(r.reg[1] == 0xAA);
    CHECK(r.reg[2] == 0xBB);
}

TEST_CASE("io bus: a dword-only window widens a byte write into a read-modify-write", "[device]") {
    IoBus bus;
    Regs r;
    bus.claim(0xCF8, 4, &r, 0, 4, 4);
    bus.write(0xCFA, 1, 0x99);
    CHECK(r.reg[2] == 0x99);
    CHECK(r.reg[0] == 0x10);
    CHECK(r.log == std::vector<std::tuple<unsigned, uint32_t, unsigned>>{{0, 0, 4}, {0, 0, 4}});
    CHECK(bus.read(0xCF9, 2) == 0x9920);
}

TEST_CASE("io bus: an access past a window's end reaches the next owner; unclaimed ports read ones", "[device]") {
    IoBus bus;
    Regs a, b;
    bus.claim(0x60, 2, &a);
    bus.claim(0x62, 2, &b);
    CHECK(bus.read(0x61, 2) == 0x1020);  // a's reg[1], b's reg[0]
    CHECK(bus.read(0x63, 2) == 0xFF20);  // b's reg[1], then nobody
    CHECK(bus.read(0x1234, 4) == 0xFFFFFFFFu);
    bus.write(0x1234, 4, 0);  // dropped
    CHECK_THROWS_AS(bus.claim(0x61, 1, &b), std::invalid_argument);
}

TEST_CASE("state lists: save and load copy every field, and refuse another layout", "[device]") {
    Clock clk;
    clk.use_manual();
    Stateful x(clk), y(clk);
    x.a = 1, x.b = 0x2233, x.c = 0x44556677, x.d = 0x8899AABBCCDDEEFFull, x.e = true;
    x.blob[2] = 0x5A;
    x.timer.schedule(12345);
    std::vector<uint8_t> img = save_state(x);
    load_state(y, img);
    CHECK(y.a == 1);
    CHECK(y.b == 0x2233);
    CHECK(y.c == 0x44556677);
    CHECK(y.d == 0x8899AABBCCDDEEFFull);
    CHECK(y.e);
    CHECK(y.blob[2] == 0x5A);
    CHECK(y.timer.pending());
    CHECK(y.timer.deadline() == 12345);
    CHECK(y.loads == 1);
    CHECK(save_state(y) == img);
    // Another version, a truncated image, another device: refused with the device's name.
    Stateful z(clk);
    z.version = 2;
    CHECK_THROWS_WITH(load_state(z, img), Catch::Contains("stateful: state version 1"));
    img.pop_back();
    CHECK_THROWS_WITH(load_state(y, img), Catch::Contains("truncated"));
    Regs r;
    CHECK_THROWS_WITH(load_state(r, save_state(x)), Catch::Contains("of device stateful"));
}

TEST_CASE("machine: the registry holds the devices and a reset resets them all", "[device]") {
    Machine m(small_config());
    REQUIRE(m.devices.get<PostPort>("post"));
    CHECK(m.devices.find("debugcon"));
    CHECK(m.devices.find("isa-debug-exit"));
    m.io.write(0x80, 1, 0x42);
    CHECK(m.io.read(0x80, 1) == 0x42);
    m.reset();
    CHECK(m.io.read(0x80, 1) == 0);
    // The exit port answers on all four of its ports, as QEMU's iosize=4 device does.
    m.io.write(0xF6, 1, 3);
    CHECK(m.cpu.exit_status == 7);
}

TEST_CASE("state lists: a running machine's devices carried into a fresh machine run on the same", "[device]") {
    auto config = [] {
        MachineConfig cfg = small_config();
        cfg.icount_shift = 0;  // 1 ns per instruction: both machines keep the same time
        cfg.rtc_start = 1149782400;  // 2006-06-08
        return cfg;
    };
    auto prepare = [](Machine& m) {
        const uint8_t loop[] = {0xEB, 0xFE};  // jmp $ with IF clear: requests pile up in the PIC
        m.phys.write_bytes(0x10000, loop, sizeof loop);
        m.cpu.load_seg_real(CS, 0x1000);
        m.cpu.s.set_eip(0);
    };
    Machine a(config());
    prepare(a);
    // Program the chips as a BIOS would, then let the machine run 2.5 ms.
    for (auto [port, v] : std::initializer_list<std::pair<uint16_t, uint8_t>>{
             {0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x70},
             {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xB8}, {0x4D1, 0x0C},
             {0x43, 0x34}, {0x40, 0xA9}, {0x40, 0x04},   // counter 0: 1 kHz
             {0x43, 0xB6}, {0x42, 0x00}, {0x42, 0x10},   // counter 2: square wave, gated below
             {0x61, 0x03}, {0x80, 0x5A},
             {0x70, 0x0B}, {0x71, 0x52}, {0x70, 0x40}, {0x71, 0x77}})  // RTC: PIE and UIE; a CMOS byte
        a.io.write(port, 1, v);
    // The APICs: the local APIC enabled with its timer periodic (vector 40h every 1.6 ms), the
    // I/O APIC sending IRQ0 (its input 2) as vector 30h.
    for (auto [addr, v] : std::initializer_list<std::pair<uint32_t, uint32_t>>{
             {0xFEE000F0u, 0x1FF}, {0xFEE003E0u, 0x3}, {0xFEE00320u, 0x20040}, {0xFEE00380u, 100000},
             {0xFEC00000u, 0x14}, {0xFEC00010u, 0x30}})
        a.phys.write(addr, 4, v);
    REQUIRE(a.run(2500000).reason == StopReason::MaxInsns);
    REQUIRE(a.lapic->in_irr(0x40));
    REQUIRE(a.lapic->in_irr(0x30));
    REQUIRE(a.pic_master->irr() == 0x05);  // IRQ0 came and waits, and IRQ8 through the cascade

    Machine b(config());
    prepare(b);
    b.cpu.s.icount = a.cpu.s.icount;  // the same moment
    REQUIRE(b.clock.now() == a.clock.now());
    size_t with_state = 0;
    for (const auto& dev : a.devices.all()) {
        Device* twin = b.devices.find(dev->name());
        REQUIRE(twin);
        const std::vector<uint8_t> image = save_state(*dev);
        CHECK((save_state(*twin) != image || dev->state_version() == 0));  // b was not there yet
        load_state(*twin, image);
        CHECK(save_state(*twin) == image);
        if (dev->state_version()) ++with_state;
    }
    CHECK(with_state == 7);  // post, two PICs, local APIC, I/O APIC, PIT, RTC
    // Both run on and stay the same, timers included.
    REQUIRE(a.run(3300000).reason == StopReason::MaxInsns);
    REQUIRE(b.run(3300000).reason == StopReason::MaxInsns);
    for (const auto& dev : a.devices.all()) {
        INFO(dev->name());
        CHECK(save_state(*dev) == save_state(*b.devices.find(dev->name())));
    }
    for (uint16_t port : {0x20, 0x21, 0xA1, 0x4D1, 0x61, 0x80}) CHECK(a.io.read(port, 1) == b.io.read(port, 1));
    for (uint8_t reg : {0x00, 0x0A, 0x0C, 0x40}) {
        a.io.write(0x70, 1, reg);
        b.io.write(0x70, 1, reg);
        CHECK(a.io.read(0x71, 1) == b.io.read(0x71, 1));
    }
    CHECK(a.pic_slave->irr() == 0x01);  // the RTC's IRQ8 waits too
    a.io.write(0x43, 1, 0x00);
    b.io.write(0x43, 1, 0x00);
    CHECK(a.io.read(0x40, 1) == b.io.read(0x40, 1));
    CHECK(a.io.read(0x40, 1) == b.io.read(0x40, 1));
}

TEST_CASE("state lists: the board's fw_cfg, 8042, IDE channels, ACPI hotplug registers, PCI functions, HPET and UARTs carried into a fresh machine go on the same", "[device]") {
    Machine a(small_config());
    // fw_cfg: the signature selected, two of its bytes read. 8042: interrupts on, the keyboard
    // asked to identify (its two-byte answer waits in the queue behind the ACK), A20 off through
    // the output port.
    a.io.write(0x510, 2, 0x0000);
    CHECK(a.io.read(0x511, 1) == 'Q');
    CHECK(a.io.read(0x511, 1) == 'E');
    a.io.write(0x64, 1, 0x60);
    a.io.write(0x60, 1, 0x01);
    a.io.write(0x60, 1, 0xF2);
    a.io.write(0x64, 1, 0xD1);
    a.io.write(0x60, 1, 0x01);  // output port: not in reset, A20 off
    REQUIRE_FALSE(a.phys.a20());
    // The IDE channels (no drives here): the slave selected on each, which only the state shows.
    a.io.write(0x1F6, 1, 0xB0);
    a.io.write(0x176, 1, 0xF0);
    // The PIIX4's ACPI hotplug registers: two GPEs enabled, a hotplug bus selected.
    a.io.write(0xAFE2, 2, 0x0006);
    a.io.write(0xAE10, 4, 1);
    // PCI configuration space, as firmware and a driver program it: the i440FX's PAM1 sends
    // 0xC0000-0xC7FFF to RAM both ways (RAM itself is not device state: the copy shows it by
    // keeping what is written there), the
    // PIIX3's PIRQA routed to IRQ 10 and its reset control's SRST bit, the IDE function's
    // BMIBA at 0xC000 with I/O and bus mastering on and a PRD table pointer and drive 0's DMA
    // capable bit in its primary bus master, the PM function's PM block at 0xB000 with two
    // PM1 enable bits. CONFIG_ADDRESS is left at the PM function's register 80h.
    auto cfg_write = [&](unsigned dev, unsigned fn, unsigned off, unsigned size, uint32_t v) {
        a.io.write(0xCF8, 4, 0x80000000u | dev << 11 | fn << 8 | (off & 0xFC));
        a.io.write(uint16_t(0xCFC + (off & 3)), size, v);
    };
    cfg_write(0, 0, 0x5A, 1, 0x33);
    cfg_write(1, 0, 0x60, 1, 0x0A);
    a.io.write(0xCF9, 1, 0x02);
    cfg_write(1, 1, 0x20, 4, 0xC001);
    cfg_write(1, 1, 0x04, 2, 0x0005);
    a.io.write(0xC004, 4, 0x00123450);
    a.io.write(0xC002, 1, 0x20);
    cfg_write(1, 3, 0x40, 4, 0xB001);
    cfg_write(1, 3, 0x80, 1, 0x01);
    a.io.write(0xB002, 2, 0x0120);
    // The HPET, halted: its counter set, timer 0 a level-triggered one-shot on input 2.
    a.phys.write(0xFED000F0, 4, 0x5678);
    a.phys.write(0xFED00100, 4, 0x0006 | 2u << 9);
    a.phys.write(0xFED00108, 4, 0x9000);
    // The four UARTs: a byte in each one's scratch register, COM1's divisor latch open.
    for (uint16_t base : {0x3F8, 0x2F8, 0x3E8, 0x2E8}) a.io.write(uint16_t(base + 7), 1, base >> 4);
    a.io.write(0x3FB, 1, 0x83);

    Machine b(small_config());
    REQUIRE(b.phys.a20());
    b.phys.write(0xC0010, 1, 0x5A);
    REQUIRE(b.phys.read(0xC0010, 1) != 0x5A);  // to the PCI side: nothing keeps it
    const auto from = a.board.stateful_devices(), to = b.board.stateful_devices();
    REQUIRE(from.size() == to.size());
    for (size_t i = 0; i < from.size(); ++i) {
        CHECK(save_state(*to[i]) != save_state(*from[i]));
        load_state(*to[i], save_state(*from[i]));
        CHECK(save_state(*to[i]) == save_state(*from[i]));
    }
    CHECK_FALSE(b.phys.a20());  // the 8042's post_load set the gate
    for (Machine* m : {&a, &b}) {
        INFO((m == &a ? "original" : "copy"));
        CHECK(m->io.read(0x511, 1) == 'M');
        CHECK(m->io.read(0x511, 1) == 'U');
        CHECK(m->io.read(0x60, 1) == 0xFA);  // ACK
        CHECK(m->io.read(0x60, 1) == 0xAB);  // MF2 keyboard ID (the command byte has no XLAT)
        CHECK(m->io.read(0x60, 1) == 0x83);
        CHECK(m->io.read(0xAFE2, 2) == 0x0006);
        for (uint16_t base : {0x3F8, 0x2F8, 0x3E8, 0x2E8}) CHECK(m->io.read(uint16_t(base + 7), 1) == uint32_t(base >> 4 & 0xFF));
        CHECK(m->io.read(0x3FB, 1) == 0x83);
        CHECK(m->io.read(0xAE10, 4) == 1);
        CHECK(m->io.read(0xCF8, 4) == 0x80000B80u);
        m->phys.write(0xC0010, 1, 0x5A);
        CHECK(m->phys.read(0xC0010, 1) == 0x5A);  // shadow RAM
        CHECK(m->io.read(0xCF9, 1) == 0x02);
        CHECK(m->board.piix3.pirq_route(0) == 10);
        CHECK(m->board.piix3_ide.bm_io_base() == 0xC000);
        CHECK(m->io.read(0xC004, 4) == 0x00123450);
        CHECK(m->io.read(0xC002, 1) == 0x20);
        CHECK(m->board.piix4_pm.pm_io_base() == 0xB000);
        CHECK(m->io.read(0xB002, 2) == 0x0120);
        CHECK(m->phys.read(0xFED000F0, 4) == 0x5678);
        CHECK((m->phys.read(0xFED00100, 4) & 0x3FFF) == (0x0036 | 2u << 9));  // with the periodic and 64-bit capabilities
        CHECK(m->phys.read(0xFED00108, 4) == 0x9000);
    }
}
