#include "devices/ioapic.h"

namespace xlat {

void IoApic::reset() {
    select_ = 0;
    id_ = 0;
    // pins_ stays: the inputs are wires that other devices drive, and a reset of this chip does
    // not change their levels. A level-triggered input still high across a machine reset must
    // interrupt once its entry is programmed and unmasked again (as the 8259s, which keep their
    // input levels too); a device that lowers its line at reset tells the wire itself.
    // Every entry masked after reset (82093AA datasheet 3.2.4).
    for (uint64_t& e : redir_) e = kMasked;
}

void IoApic::set_irq(unsigned pin, bool level) {
    if (pin >= kPins) return;
    const bool was = asserted(pin);
    pins_ = (pins_ & ~(1u << pin)) | (uint32_t(level) << pin);
    const bool now = asserted(pin);
    if (redir_[pin] & kLevel) {
        if (now) service(pin);
    } else if (now && !was) {
        service(pin);
    }
}

void IoApic::service(unsigned pin) {
    uint64_t& e = redir_[pin];
    if (e & kMasked) return;
    const bool level = e & kLevel;
    if (level) {
        if (e & kRemoteIrr) return;  // the last message is not EOIed yet
        e |= kRemoteIrr;
    }
    if (send) send(Message{uint8_t(e), uint8_t(e >> 8 & 7), (e & kLogical) != 0, level, uint8_t(e >> 56)});
}

void IoApic::eoi(uint8_t vector) {
    for (unsigned pin = 0; pin < kPins; ++pin) {
        uint64_t& e = redir_[pin];
        if (uint8_t(e) != vector || !(e & kRemoteIrr)) continue;
        e &= ~kRemoteIrr;
        if ((e & kLevel) && asserted(pin)) service(pin);  // still asserted: interrupt again
    }
}

uint32_t IoApic::read(unsigned, uint32_t offset, unsigned) {
    switch (offset & 0xF0) {
    case 0x00: return select_;
    case 0x10: break;
    default: return 0;
    }
    const uint32_t r = select_ & 0xFF;
    if (r == 0x00) return id_;
    if (r == 0x01) return 0x00170020u;  // version 20h (as QEMU's), max redirection entry 23
    if (r == 0x02) return id_;           // arbitration ID: the ID after reset
    if (r >= 0x10 && r < 0x10 + 2 * kPins) {
        const uint64_t e = redir_[(r - 0x10) / 2];
        return r & 1 ? uint32_t(e >> 32) : uint32_t(e);
    }
    log_.unimplemented(name(), "register read", r);
    return 0;
}

void IoApic::write(unsigned, uint32_t offset, unsigned, uint32_t v) {
    switch (offset & 0xF0) {
    case 0x00: select_ = v & 0xFF; return;
    case 0x10: break;
    case 0x40: eoi(uint8_t(v)); return;
    default: return;
    }
    const uint32_t r = select_;
    if (r == 0x00) {
        id_ = v & 0x0F000000u;
        return;
    }
    if (r >= 0x10 && r < 0x10 + 2 * kPins) {
        const unsigned pin = (r - 0x10) / 2;
        uint64_t& e = redir_[pin];
        if (r & 1) {
            e = (e & 0x00000000FFFFFFFFull) | (uint64_t(v & 0xFF000000u) << 32);
        } else {
            // Delivery status and remote IRR are read-only; an edge entry has no remote IRR.
            const uint64_t keep = e & (kRemoteIrr | 0xFFFFFFFF00000000ull);
            e = keep | (v & 0x0001AFFFu);
            if (!(e & kLevel)) e &= ~kRemoteIrr;
            // Unmasking a level entry whose input is asserted interrupts at once.
            if ((e & kLevel) && asserted(pin)) service(pin);
        }
        return;
    }
    log_.unimplemented(name(), "register write", r);
}

void IoApic::describe_state(StateList& out) {
    out.u32("select", select_).u32("id", id_).u32("pins", pins_).bytes("redir", redir_, sizeof redir_);
}

} // namespace xlat
