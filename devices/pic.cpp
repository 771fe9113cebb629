#include "devices/pic.h"

namespace xlat {

Pic8259::Pic8259(const char* name, bool master, uint8_t elcr_mask)
    : name_(name), master_(master), elcr_mask_(elcr_mask) {}

void Pic8259::reset() {
    // Power-on: not initialised, nothing requested or in service; the ELCR is all edge (PIIX3
    // datasheet, ELCR default 00h). The inputs keep their levels: they belong to the devices.
    irr_ = isr_ = imr_ = 0;
    lowest_ = 7;
    vector_base_ = 0;
    icw3_ = 0;
    init_step_ = 0;
    elcr_ = 0;
    icw4_needed_ = single_ = ltim_ = auto_eoi_ = rotate_aeoi_ = sfnm_ = special_mask_ = read_isr_ = poll_ = false;
    update();
}

unsigned Pic8259::priority(uint8_t mask) const {
    for (unsigned p = 0; p < 8; ++p)
        if (mask >> ((lowest_ + 1 + p) & 7) & 1) return p;
    return 8;
}

int Pic8259::pending() const {
    const unsigned req = priority(irr_ & ~imr_);
    if (req == 8) return -1;
    // What is in service blocks its own and lower priorities, except: in special mask mode an
    // input masked in the IMR does not (datasheet, "Special Mask Mode"); in special fully
    // nested mode the master lets a slave interrupt through while another from that slave is
    // in service (the slave's own ISR orders them).
    uint8_t busy = isr_;
    if (special_mask_) busy &= ~imr_;
    if (master_ && sfnm_) busy &= ~icw3_;
    if (req >= priority(busy)) return -1;
    return int((lowest_ + 1 + req) & 7);
}

void Pic8259::update() {
    const bool out = pending() >= 0;
    const bool rose = out && !int_out.level();
    int_out.set(out);
    if (rose && master_) intr_raised();
}

void Pic8259::set_irq(unsigned pin, bool level) {
    const uint8_t bit = uint8_t(1u << (pin & 7));
    const bool was = pins_ & bit;
    pins_ = level ? (pins_ | bit) : (pins_ & ~bit);
    if (tracing(kTracePic) && level != was) trace_->log(kTracePic, "%s: IR%u %s", name_, pin & 7, level ? "raised" : "lowered");
    if (level_triggered(pin & 7)) {
        // A level-triggered request lasts as long as the line is high.
        irr_ = level ? (irr_ | bit) : (irr_ & ~bit);
    } else if (level && !was) {
        irr_ |= bit;  // a rising edge latches the request until it is taken
    }
    update();
}

void Pic8259::take(unsigned irq) {
    const uint8_t bit = uint8_t(1u << irq);
    if (!level_triggered(irq)) irr_ &= ~bit;
    if (auto_eoi_) {
        if (rotate_aeoi_) lowest_ = uint8_t(irq);
    } else {
        isr_ |= bit;
    }
}

uint8_t Pic8259::acknowledge() {
    const int irq = pending();
    uint8_t vec;
    if (irq < 0) {
        // The request went away before INTA: the 8259 answers with IR7 and sets no ISR bit
        // (the "spurious interrupt" of the datasheet).
        vec = uint8_t(vector_base_ | 7);
    } else {
        take(unsigned(irq));
        Pic8259* slave = slaves_[irq];
        if (slave && (icw3_ >> irq & 1) && !single_) {
            const int sirq = slave->pending();
            if (sirq >= 0) slave->take(unsigned(sirq));
            vec = uint8_t(slave->vector_base_ | (sirq >= 0 ? unsigned(sirq) : 7u));
            slave->update();
        } else {
            vec = uint8_t(vector_base_ | unsigned(irq));
        }
    }
    update();
    if (tracing(kTracePic)) trace_->log(kTracePic, "%s: INTA: vector %02x (IR%d%s)", name_, vec, irq < 0 ? 7 : irq, irq < 0 ? ", spurious" : "");
    return vec;
}

uint8_t Pic8259::poll() {
    // The poll word: bit 7 = an interrupt is waiting, bits 2:0 its input; the read counts as
    // the INTA (datasheet, "The Poll Command").
    poll_ = false;
    const int irq = pending();
    if (irq < 0) return 0;
    take(unsigned(irq));
    update();
    return uint8_t(0x80 | irq);
}

void Pic8259::write_command(uint8_t v) {
    if (tracing(kTracePic))
        trace_->log(kTracePic, "%s: %s %02x", name_, v & 0x10 ? "ICW1" : v & 0x08 ? "OCW3" : (v >> 5) == 1 || (v >> 5) == 3 ? "EOI (OCW2)" : "OCW2", v);
    if (v & 0x10) {
        // ICW1: starts initialisation (datasheet, "Initialization Command Words"): the edge
        // sense is reset (an edge input needs a new rising edge), the IMR cleared, IR7 the
        // lowest priority, special mask mode off, reads return the IRR.
        icw4_needed_ = v & 1;
        single_ = v & 2;
        ltim_ = v & 8;
        init_step_ = 2;
        imr_ = 0;
        isr_ = 0;
        irr_ = 0;
        for (unsigned pin = 0; pin < 8; ++pin)
            if (level_triggered(pin) && (pins_ >> pin & 1)) irr_ |= uint8_t(1u << pin);
        lowest_ = 7;
        special_mask_ = false;
        read_isr_ = false;
        poll_ = false;
        auto_eoi_ = rotate_aeoi_ = sfnm_ = false;  // ICW4's settings are zero until it comes
        update();
        return;
    }
    if (v & 0x08) {
        // OCW3: poll, read register, special mask.
        if (v & 0x04) poll_ = true;
        if (v & 0x02) read_isr_ = v & 0x01;
        if (v & 0x40) special_mask_ = v & 0x20;
        update();
        return;
    }
    // OCW2: EOI and rotation commands (R SL EOI in bits 7:5, the level in 2:0).
    const unsigned level = v & 7;
    switch (v >> 5) {
    case 0: rotate_aeoi_ = false; break;  // clear rotate in automatic EOI mode
    case 4: rotate_aeoi_ = true; break;   // set rotate in automatic EOI mode
    case 1:                               // non-specific EOI
    case 5: {                             // rotate on non-specific EOI
        const unsigned p = priority(isr_);
        if (p == 8) break;
        const unsigned irq = (lowest_ + 1 + p) & 7;
        isr_ &= uint8_t(~(1u << irq));
        if (v >> 5 == 5) lowest_ = uint8_t(irq);
        break;
    }
    case 3: isr_ &= uint8_t(~(1u << level)); break;  // specific EOI
    case 7:                                          // rotate on specific EOI
        isr_ &= uint8_t(~(1u << level));
        lowest_ = uint8_t(level);
        break;
    case 6: lowest_ = uint8_t(level); break;  // set priority: `level` becomes the lowest
    default: break;                           // 2: no operation
    }
    update();
}

void Pic8259::write_data(uint8_t v) {
    if (tracing(kTracePic))
        trace_->log(kTracePic, "%s: %s %02x", name_, init_step_ == 2 ? "ICW2 (vector base)" : init_step_ == 3 ? "ICW3" : init_step_ == 4 ? "ICW4" : "OCW1 (mask)", v);
    switch (init_step_) {
    case 2:
        vector_base_ = v & 0xF8;  // ICW2: T7-T3 (8086 mode)
        init_step_ = single_ ? (icw4_needed_ ? 4 : 0) : 3;
        break;
    case 3:
        icw3_ = v;  // ICW3: which inputs have slaves (master) or the slave's ID
        init_step_ = icw4_needed_ ? 4 : 0;
        break;
    case 4:
        // ICW4: bit 1 AEOI, bit 4 SFNM; bit 0 (8086 mode) is assumed, buffered mode (bits
        // 3:2) changes nothing a program can see.
        auto_eoi_ = v & 2;
        sfnm_ = v & 0x10;
        init_step_ = 0;
        break;
    default:
        imr_ = v;  // OCW1
        break;
    }
    update();
}

uint32_t Pic8259::read(unsigned window, uint32_t offset, unsigned) {
    if (window == 1) return elcr_;
    if (offset == 0) {
        if (poll_) return poll();
        return read_isr_ ? isr_ : irr_;
    }
    if (poll_) return poll();  // the datasheet's poll word is read at either address
    return imr_;
}

void Pic8259::write(unsigned window, uint32_t offset, unsigned, uint32_t value) {
    const uint8_t v = uint8_t(value);
    if (window == 1) {
        elcr_ = v & elcr_mask_;
        // Inputs that became level-triggered request while high; edge inputs keep what they latched.
        for (unsigned pin = 0; pin < 8; ++pin)
            if (level_triggered(pin)) {
                const uint8_t bit = uint8_t(1u << pin);
                irr_ = (pins_ & bit) ? (irr_ | bit) : (irr_ & ~bit);
            }
        update();
        return;
    }
    if (offset == 0) write_command(v);
    else write_data(v);
}

void Pic8259::describe_state(StateList& s) {
    s.u8("irr", irr_).u8("isr", isr_).u8("imr", imr_).u8("pins", pins_).u8("lowest", lowest_)
        .u8("vector_base", vector_base_).u8("icw3", icw3_).u8("init_step", init_step_).u8("elcr", elcr_)
        .boolean("icw4_needed", icw4_needed_).boolean("single", single_).boolean("ltim", ltim_)
        .boolean("auto_eoi", auto_eoi_).boolean("rotate_aeoi", rotate_aeoi_).boolean("sfnm", sfnm_)
        .boolean("special_mask", special_mask_).boolean("read_isr", read_isr_).boolean("poll", poll_);
}

} // namespace xlat
