// The Intel 8259A programmable interrupt controller, one chip per object; a PC has two, the
// slave's INT output wired to the master's IR2 (Intel 8259A datasheet, order 231468; PIIX3
// datasheet 2.4.2 for the ELCR edge/level registers at 0x4D0/0x4D1).
//
// Ports (window 0, two ports from the chip's base, 0x20 or 0xA0):
//   base+0 write: ICW1 (bit 4 set), OCW2 (bits 4:3 = 00), OCW3 (bits 4:3 = 01)
//          read:  IRR or ISR (OCW3 RR/RIS), or the poll word after an OCW3 poll
//   base+1 write: ICW2-ICW4 during initialisation, else OCW1 (the mask)
//          read:  IMR
// Window 1, one port: the ELCR (1 = that input is level-triggered), 0x4D0 or 0x4D1.
#pragma once
#include <cstdint>

#include "memory/device.h"
#include "memory/irq.h"

namespace xlat {

class Pic8259 : public Device, public IrqSink, public InterruptSource {
public:
    // `master`: the chip that talks to the CPU; `elcr_mask`: the ELCR bits that can be set (the
    // PIIX3 keeps IRQ0-2 and IRQ8 and IRQ13 edge-triggered: 0xF8 and 0xDE).
    Pic8259(const char* name, bool master, uint8_t elcr_mask);

    // The slave on input `pin` of this master (its INT output must also be connected to `pin`):
    // the INTA cycle for that input asks the slave for the vector.
    void attach_slave(unsigned pin, Pic8259* slave) { slaves_[pin & 7] = slave; }
    IrqLine int_out;  // the INT pin: to the CPU (through intr()) or to a master's input

    // IrqSink: an input changed level.
    void set_irq(unsigned pin, bool level) override;
    // InterruptSource (master): INT is asserted / the INTA cycle.
    bool intr() const override { return int_out.level(); }
    uint8_t acknowledge() override;

    const char* name() const override { return name_; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override { update(); }

    // For tests and monitors.
    uint8_t irr() const { return irr_; }
    uint8_t isr() const { return isr_; }
    uint8_t imr() const { return imr_; }

private:
    bool level_triggered(unsigned pin) const { return ltim_ || (elcr_ >> pin & 1); }
    // The highest-priority bit set in `mask` as a priority (0 highest, 8: none).
    unsigned priority(uint8_t mask) const;
    // The input that would interrupt now, or -1.
    int pending() const;
    // The INTA (or poll) of input `irq`: in service, unless automatic EOI.
    void take(unsigned irq);
    void update();  // recomputes INT
    void write_command(uint8_t v);
    void write_data(uint8_t v);
    uint8_t poll();

    const char* name_;
    bool master_;
    uint8_t elcr_mask_;
    Pic8259* slaves_[8] = {};

    // State (the list in describe_state).
    uint8_t irr_ = 0;           // interrupt request register
    uint8_t isr_ = 0;           // in-service register
    uint8_t imr_ = 0;           // interrupt mask register
    uint8_t pins_ = 0;          // input levels as last seen (for edge detection)
    uint8_t lowest_ = 7;        // the input with the lowest priority (rotation)
    uint8_t vector_base_ = 0;   // ICW2, bits 7:3
    uint8_t icw3_ = 0;          // cascade: the master's slave inputs, or the slave's ID
    uint8_t init_step_ = 0;     // 0: ready; 2, 3, 4: the ICW expected next
    uint8_t elcr_ = 0;
    bool icw4_needed_ = false;  // ICW1.IC4
    bool single_ = false;       // ICW1.SNGL: no ICW3
    bool ltim_ = false;         // ICW1.LTIM: every input level-triggered
    bool auto_eoi_ = false;     // ICW4.AEOI
    bool rotate_aeoi_ = false;  // OCW2 R with automatic EOI
    bool sfnm_ = false;         // ICW4.SFNM: special fully nested mode
    bool special_mask_ = false; // OCW3 SMM
    bool read_isr_ = false;     // OCW3 RIS: base+0 reads the ISR
    bool poll_ = false;         // OCW3 P: the next base+0 read is the poll word
};

} // namespace xlat
