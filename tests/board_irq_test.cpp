// The board's interrupt wiring (frontend/pc_board.*), seen at the controllers of a whole machine:
// a PCI function's INTx# reaches I/O APIC input 16 + PIRQ as well as the ISA IRQ the PIIX3 router
// picks, COM3/COM4 share IRQ 4/3 with COM1/COM2 (the line is high while either drives it), and a
// level-triggered line still high across a machine reset reaches the I/O APIC as the 8259s.
#include <catch2/catch.hpp>

#include "devices/ioapic.h"
#include "devices/pci.h"
#include "memory/irq.h"
#include "test_machine.h"

using namespace xlat;

namespace {

class IntxFunction : public PciFunction {
public:
    IntxFunction() : PciFunction("intx", 0x1234, 0x0001, 0x01, 0x020000) { reset(); }

protected:
    void init_config() override { set_reg(kPciIntPin, 1, 1); }  // INTA#
};

void cfg_write(Machine& m, unsigned dev, unsigned fn, unsigned off, unsigned size, uint32_t v) {
    m.io.write(0xCF8, 4, 0x80000000u | dev << 11 | fn << 8 | (off & 0xFC));
    m.io.write(uint16_t(0xCFC + (off & 3)), size, v);
}

// I/O APIC redirection entry `pin` (low dword), through IOREGSEL/IOWIN.
uint32_t redir(Machine& m, unsigned pin) {
    m.ioapic->write(0, 0x00, 4, 0x10 + 2 * pin);
    return m.ioapic->read(0, 0x10, 4);
}
void set_redir(Machine& m, unsigned pin, uint32_t low) {
    m.ioapic->write(0, 0x00, 4, 0x10 + 2 * pin);
    m.ioapic->write(0, 0x10, 4, low);
}
constexpr uint32_t kLevel = 1u << 15, kRemoteIrr = 1u << 14;

} // namespace

TEST_CASE("board irqs: PIRQA-D reach I/O APIC inputs 16-19 and, through the router, the 8259s", "[device]") {
    IntxFunction fn;  // outlives the machine, whose bus points at it
    Machine m(small_config());
    m.board.pci.attach(3, 0, &fn);  // slot 3, INTA#: PIRQC
    REQUIRE(PciBus::pirq_of(3 << 3, 1) == 2);
    set_redir(m, 18, 0x40 | kLevel);  // vector 40h, level, active high, unmasked
    set_redir(m, 11, 0x41 | kLevel);
    cfg_write(m, 1, 0, 0x62, 1, 0x0B);  // PIRQC -> IRQ 11
    m.io.write(0x4D1, 1, 0x08);         // ELCR: IRQ 11 level-triggered
    fn.set_intx(true);
    CHECK((redir(m, 18) & kRemoteIrr) != 0);  // the message went out and waits for its EOI
    CHECK((redir(m, 11) & kRemoteIrr) != 0);
    CHECK((m.pic_slave->irr() & 0x08) != 0);
    for (unsigned pin : {16u, 17u, 19u}) CHECK((redir(m, pin) & kRemoteIrr) == 0);
    fn.set_intx(false);
    CHECK((m.pic_slave->irr() & 0x08) == 0);
}

TEST_CASE("board irqs: COM3 and COM4 share IRQ 4 and 3 with COM1 and COM2", "[device]") {
    Machine m(small_config());
    m.io.write(0x4D0, 1, 0x18);  // ELCR: IRQ 3 and 4 level-triggered, so IRR follows the line
    auto irr = [&] { return m.pic_master->irr(); };
    // A UART with THRE interrupts on and OUT2 set drives its IRQ (the transmitter is empty).
    auto enable = [&](uint16_t base, bool on) {
        m.io.write(uint16_t(base + 4), 1, on ? 0x08 : 0x00);  // MCR: OUT2
        m.io.write(uint16_t(base + 1), 1, on ? 0x02 : 0x00);  // IER: THRE
    };
    enable(0x3E8, true);  // COM3
    CHECK((irr() & 0x10) != 0);
    enable(0x3F8, true);  // COM1 too
    enable(0x3E8, false);
    CHECK((irr() & 0x10) != 0);  // COM1 still holds it
    enable(0x3F8, false);
    CHECK((irr() & 0x10) == 0);
    enable(0x2E8, true);  // COM4
    CHECK((irr() & 0x08) != 0);
    enable(0x2F8, true);
    enable(0x2E8, false);
    CHECK((irr() & 0x08) != 0);
    enable(0x2F8, false);
    CHECK((irr() & 0x08) == 0);
}

TEST_CASE("board irqs: a level-triggered ISA line still high across a machine reset interrupts through the I/O APIC again", "[device]") {
    Machine m(small_config());
    // A device the machine does not reset (an external card's line) holds IRQ 10 high, level.
    IrqLine card;
    card.connect(&m.board.isa_irqs(), 10);
    set_redir(m, 10, 0x50 | kLevel);
    card.raise();
    REQUIRE((redir(m, 10) & kRemoteIrr) != 0);
    m.reset();
    // The guest programs the I/O APIC again after the reset (every entry came back masked):
    // the input is still high, so the message goes out at once, as on the 8259.
    CHECK(redir(m, 10) == IoApic::kMasked);
    m.io.write(0x4D1, 1, 0x04);  // ELCR: IRQ 10 level-triggered
    CHECK((m.pic_slave->irr() & 0x04) != 0);
    set_redir(m, 10, 0x50 | kLevel);
    CHECK((redir(m, 10) & kRemoteIrr) != 0);
    // It goes low and high again like any line.
    card.lower();
    m.ioapic->eoi(0x50);  // the local APIC's EOI broadcast for the vector
    CHECK((redir(m, 10) & kRemoteIrr) == 0);
    card.raise();
    CHECK((redir(m, 10) & kRemoteIrr) != 0);
}
