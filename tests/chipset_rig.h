// The interrupt and timer chips of a PC wired as in Machine, on a port bus and a stepped clock,
// without a CPU: device tests drive them through their ports the way a driver would and play
// the CPU's INTA cycle themselves (QEMU's qtest is the model).
#pragma once
#include <cstdint>

#include "devices/pic.h"
#include "devices/pit.h"
#include "memory/clock.h"
#include "memory/iobus.h"

struct ChipsetRig {
    xlat::Clock clock;
    xlat::IoBus io;
    xlat::Pic8259 master{"pic-master", true, 0xF8};
    xlat::Pic8259 slave{"pic-slave", false, 0xDE};
    xlat::Pit8254 pit{clock};
    int intr_raised = 0;  // times the master told the CPU that INTR rose

    ChipsetRig() {
        clock.use_manual();
        io.claim(0x20, 2, &master, 0, 1, 1);
        io.claim(0xA0, 2, &slave, 0, 1, 1);
        io.claim(0x4D0, 1, &master, 1, 1, 1);
        io.claim(0x4D1, 1, &slave, 1, 1, 1);
        io.claim(0x40, 4, &pit, 0, 1, 1);
        io.claim(0x61, 1, &pit, 1, 1, 1);
        slave.int_out.connect(&master, 2);
        master.attach_slave(2, &slave);
        master.on_intr([](void* r) { ++static_cast<ChipsetRig*>(r)->intr_raised; }, this);
        pit.irq0.connect(&master, 0);
        master.reset();
        slave.reset();
        pit.reset();
    }
    void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
    uint8_t in(uint16_t port) { return uint8_t(io.read(port, 1)); }

    // What a BIOS does: ICW1-4 for both chips, vectors 0x08 and 0x70, edge-triggered, the
    // slave on IR2, normal EOI; every input unmasked.
    void init_pics(uint8_t icw4 = 0x01) {
        out(0x20, 0x11);
        out(0x21, 0x08);
        out(0x21, 0x04);
        out(0x21, icw4);
        out(0xA0, 0x11);
        out(0xA1, 0x70);
        out(0xA1, 0x02);
        out(0xA1, icw4);
        out(0x21, 0x00);
        out(0xA1, 0x00);
    }
    // The CPU's INTA cycle: the vector, or -1 when INTR is low.
    int inta() { return master.intr() ? master.acknowledge() : -1; }
};
