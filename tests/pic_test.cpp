// The two cascaded 8259A PICs driven through their ports as a driver does, without a CPU
// (tests/chipset_rig.h plays INTA). Expected behaviour from the 8259A datasheet.
#include <catch2/catch.hpp>

#include "chipset_rig.h"

using namespace xlat;

namespace {

struct Lines : ChipsetRig {
    IrqLine irq[16];
    Lines() {
        for (unsigned i = 1; i < 8; ++i)
            if (i != 2) irq[i].connect(&master, i);
        for (unsigned i = 8; i < 16; ++i) irq[i].connect(&slave, i - 8);
        init_pics();
        out(0x21, 0x01);  // IRQ0 (the PIT, running from power-on) stays out of these tests
        intr_raised = 0;
    }
    void eoi_master() { out(0x20, 0x20); }
    void eoi_slave() { out(0xA0, 0x20); }
};

} // namespace

TEST_CASE("pic: an edge is latched, taken with its vector and blocks its level until EOI", "[pic]") {
    Lines r;
    CHECK(r.inta() == -1);
    r.irq[3].pulse();
    CHECK(r.intr_raised == 1);
    CHECK(r.master.irr() == 0x08);
    CHECK(r.inta() == 0x0B);
    CHECK(r.master.isr() == 0x08);
    CHECK(r.master.irr() == 0x00);
    r.irq[3].pulse();  // again while in service: latched, but not passed on
    CHECK(r.master.irr() == 0x08);
    CHECK(r.inta() == -1);
    r.eoi_master();
    CHECK(r.master.isr() == 0x00);
    CHECK(r.inta() == 0x0B);
    r.eoi_master();
    CHECK(r.inta() == -1);
}

TEST_CASE("pic: fixed priority, masking and reading IRR, ISR and IMR", "[pic]") {
    Lines r;
    r.irq[4].pulse();
    r.irq[1].pulse();
    CHECK(r.inta() == 0x09);  // IR1 before IR4
    CHECK(r.inta() == -1);    // IR4 waits for IR1's EOI
    r.irq[0 + 3].pulse();
    CHECK(r.inta() == -1);    // IR3 too: lower than IR1
    r.out(0x20, 0x0A);        // OCW3: read IRR
    CHECK(r.in(0x20) == 0x18);
    r.out(0x20, 0x0B);        // OCW3: read ISR
    CHECK(r.in(0x20) == 0x02);
    r.eoi_master();
    CHECK(r.inta() == 0x0B);
    r.eoi_master();
    r.out(0x21, 0x10);        // OCW1: mask IR4
    CHECK(r.in(0x21) == 0x10);
    CHECK(r.inta() == -1);
    r.out(0x21, 0x00);
    CHECK(r.inta() == 0x0C);
}

TEST_CASE("pic: the slave cascades through IR2", "[pic]") {
    Lines r;
    r.irq[12].pulse();
    CHECK(r.intr_raised == 1);
    CHECK(r.inta() == 0x74);
    CHECK(r.master.isr() == 0x04);
    CHECK(r.slave.isr() == 0x10);
    // The master's IR1 still comes through (higher than IR2); its IR5 does not.
    r.irq[5].pulse();
    CHECK(r.inta() == -1);
    r.irq[1].pulse();
    CHECK(r.inta() == 0x09);
    r.eoi_master();  // IR1
    // Another slave input while IR12 is in service: the master's IR2 is busy.
    r.irq[9].pulse();
    CHECK(r.inta() == -1);
    r.eoi_slave();
    r.eoi_master();
    CHECK(r.inta() == 0x71);
    r.eoi_slave();
    r.eoi_master();
    CHECK(r.inta() == 0x0D);  // IR5, held all along
    // Slave masked by the master's IMR bit 2.
    r.eoi_master();
    r.out(0x21, 0x04);
    r.irq[8].pulse();
    CHECK(r.inta() == -1);
    r.out(0x21, 0x00);
    CHECK(r.inta() == 0x70);
}

TEST_CASE("pic: ELCR makes an input level-triggered; the ELCR keeps IRQ0-2, 8 and 13 edge", "[pic]") {
    Lines r;
    r.out(0x4D0, 0xFF);
    r.out(0x4D1, 0xFF);
    CHECK(r.in(0x4D0) == 0xF8);
    CHECK(r.in(0x4D1) == 0xDE);
    r.out(0x4D0, 0x08);  // IRQ3 level
    r.out(0x4D1, 0x08);  // IRQ11 level
    r.irq[11].raise();
    CHECK(r.inta() == 0x73);
    r.eoi_slave();
    r.eoi_master();
    CHECK(r.inta() == 0x73);  // still high: requested again
    r.irq[11].lower();        // the handler has served the device
    r.eoi_slave();
    r.eoi_master();
    CHECK(r.inta() == -1);
    // A level request that goes away between INTR and INTA: the master answers with its IR7
    // vector and puts nothing in service (the datasheet's spurious interrupt)...
    r.irq[3].raise();
    CHECK(r.master.intr());
    r.irq[3].lower();
    CHECK(!r.master.intr());
    CHECK(r.master.acknowledge() == 0x0F);
    CHECK(r.master.isr() == 0x00);
    // ...and through the slave: the master latched the edge on IR2, so INTA goes on, the slave
    // has nothing and answers IR7 (a spurious IRQ15); the master's IR2 is in service and needs
    // its EOI, the slave's ISR stays empty.
    r.irq[11].raise();
    r.irq[11].lower();
    CHECK(r.master.intr());
    CHECK(r.inta() == 0x77);
    CHECK(r.master.isr() == 0x04);
    CHECK(r.slave.isr() == 0x00);
    r.eoi_master();
    CHECK(r.inta() == -1);
}

TEST_CASE("pic: automatic EOI and specific EOI", "[pic]") {
    Lines r;
    r.init_pics(0x03);  // ICW4: 8086 mode, AEOI
    r.irq[6].pulse();
    CHECK(r.inta() == 0x0E);
    CHECK(r.master.isr() == 0);
    r.irq[5].pulse();
    CHECK(r.inta() == 0x0D);  // nothing in service blocks it
    Lines s;
    s.irq[3].pulse();
    s.irq[6].pulse();
    CHECK(s.inta() == 0x0B);
    s.out(0x20, 0x20);  // non-specific EOI ends IR3
    CHECK(s.inta() == 0x0E);
    s.irq[3].pulse();
    CHECK(s.inta() == 0x0B);  // nests above IR6
    CHECK(s.master.isr() == 0x48);
    s.out(0x20, 0x66);  // specific EOI for IR6: IR3 stays in service
    CHECK(s.master.isr() == 0x08);
}

TEST_CASE("pic: rotation by set-priority and rotate-on-EOI", "[pic]") {
    Lines r;
    r.out(0x20, 0xC4);  // OCW2 set priority: IR4 lowest, so the order is 5 6 7 0 1 3 4
    r.irq[1].pulse();
    r.irq[6].pulse();
    CHECK(r.inta() == 0x0E);  // IR6 before IR1 now
    CHECK(r.inta() == -1);    // and IR1 is below it
    r.out(0x20, 0xA0);        // rotate on non-specific EOI: IR6 ends and becomes the lowest
    CHECK(r.master.isr() == 0);
    r.irq[6].pulse();
    CHECK(r.inta() == 0x09);  // order 7 0 1 3 4 5 6: IR1 first
    r.out(0x20, 0xE1);        // rotate on specific EOI 1: IR1 lowest
    CHECK(r.inta() == 0x0E);
    r.irq[1].pulse();
    CHECK(r.inta() == -1);    // IR1 is below IR6 again
}

TEST_CASE("pic: special mask mode lets lower inputs through while one is in service", "[pic]") {
    Lines r;
    r.irq[1].pulse();
    CHECK(r.inta() == 0x09);
    r.irq[4].pulse();
    CHECK(r.inta() == -1);
    r.out(0x21, 0x02);  // the handler masks its own input...
    r.out(0x20, 0x68);  // ...and sets special mask mode (OCW3 ESMM SMM)
    CHECK(r.inta() == 0x0C);
    r.out(0x20, 0x48);  // reset special mask mode: IR1 (and now IR4) in service block again
    r.irq[5].pulse();
    CHECK(r.inta() == -1);
}

TEST_CASE("pic: the poll command reads and takes the highest request", "[pic]") {
    Lines r;
    r.out(0x21, 0xFF);  // polled systems keep INT masked
    r.out(0x20, 0x0C);  // OCW3 poll
    CHECK(r.in(0x20) == 0x00);  // nothing waiting
    r.out(0x21, 0x00);
    r.irq[5].pulse();
    r.irq[3].pulse();
    r.out(0x20, 0x0C);
    CHECK(r.in(0x20) == 0x83);
    CHECK(r.master.isr() == 0x08);
    CHECK(r.in(0x20) == 0x20);  // one poll per OCW3: the next read is the IRR again
    r.eoi_master();
    r.out(0x20, 0x0C);
    CHECK(r.in(0x21) == 0x85);  // at either port
}

TEST_CASE("pic: ICW1 resets the edge sense, the mask and what was in service", "[pic]") {
    Lines r;
    r.out(0x21, 0xF0);
    r.irq[3].raise();
    CHECK(r.inta() == 0x0B);
    r.init_pics();
    CHECK(r.master.isr() == 0);
    CHECK(r.in(0x21) == 0x00);
    CHECK(r.inta() == -1);  // the line is still high, but an edge input needs a new edge
    r.irq[3].lower();
    r.irq[3].raise();
    CHECK(r.inta() == 0x0B);
}
