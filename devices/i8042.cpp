#include "devices/i8042.h"

namespace xlat {

namespace {

// Set 2 -> set 1 for the keys of a 101/102-key keyboard: what the 8042's translation does to
// each code (E0 and E1 prefixes pass unchanged; an F0 break prefix sets bit 7 of the next code).
// Codes not listed here are passed as they are.
uint8_t to_set1(uint8_t c) {
    static constexpr uint8_t kPairs[][2] = {
        {0x01, 0x43}, {0x03, 0x3F}, {0x04, 0x3D}, {0x05, 0x3B}, {0x06, 0x3C}, {0x07, 0x58}, {0x09, 0x44},
        {0x0A, 0x42}, {0x0B, 0x40}, {0x0C, 0x3E}, {0x0D, 0x0F}, {0x0E, 0x29}, {0x11, 0x38}, {0x12, 0x2A},
        {0x14, 0x1D}, {0x15, 0x10}, {0x16, 0x02}, {0x1A, 0x2C}, {0x1B, 0x1F}, {0x1C, 0x1E}, {0x1D, 0x11},
        {0x1E, 0x03}, {0x21, 0x2E}, {0x22, 0x2D}, {0x23, 0x20}, {0x24, 0x12}, {0x25, 0x05}, {0x26, 0x04},
        {0x29, 0x39}, {0x2A, 0x2F}, {0x2B, 0x21}, {0x2C, 0x14}, {0x2D, 0x13}, {0x2E, 0x06}, {0x31, 0x31},
        {0x32, 0x30}, {0x33, 0x23}, {0x34, 0x22}, {0x35, 0x15}, {0x36, 0x07}, {0x3A, 0x32}, {0x3B, 0x24},
        {0x3C, 0x16}, {0x3D, 0x08}, {0x3E, 0x09}, {0x41, 0x33}, {0x42, 0x25}, {0x43, 0x17}, {0x44, 0x18},
        {0x45, 0x0B}, {0x46, 0x0A}, {0x49, 0x34}, {0x4A, 0x35}, {0x4B, 0x26}, {0x4C, 0x27}, {0x4D, 0x19},
        {0x4E, 0x0C}, {0x52, 0x28}, {0x54, 0x1A}, {0x55, 0x0D}, {0x58, 0x3A}, {0x59, 0x36}, {0x5A, 0x1C},
        {0x5B, 0x1B}, {0x5D, 0x2B}, {0x61, 0x56}, {0x66, 0x0E}, {0x69, 0x4F}, {0x6B, 0x4B}, {0x6C, 0x47},
        {0x70, 0x52}, {0x71, 0x53}, {0x72, 0x50}, {0x73, 0x4C}, {0x74, 0x4D}, {0x75, 0x48}, {0x76, 0x01},
        {0x77, 0x45}, {0x78, 0x57}, {0x79, 0x4E}, {0x7A, 0x51}, {0x7B, 0x4A}, {0x7C, 0x37}, {0x7D, 0x49},
        {0x7E, 0x46}, {0x83, 0x41}, {0x84, 0x54},
    };
    for (const auto& p : kPairs)
        if (p[0] == c) return p[1];
    return c;
}

} // namespace

I8042::I8042(const Tracer* tracer) : log_(tracer) { reset(); }

void I8042::reset() {
    // Firmware programs the command byte; until then interrupts and translation are off.
    status_ = kUnlocked;
    cmd_ = 0;
    outp_ = kOutReset | kOutA20;  // not in reset, A20 enabled (the machine starts with A20 on)
    out_buf_ = 0;
    out_aux_ = false;
    pending_ = 0;
    port92_ = 0;
    q_head_ = q_count_ = 0;
    kbd_pending_ = 0;
    last_sent_ = 0;
    scanning_ = true;
    scancode_set_ = 2;
    saw_break_ = false;
    update_irq();
}

void I8042::describe_state(StateList& out) {
    out.u8("status", status_)
        .u8("command", cmd_)
        .u8("output_port", outp_)
        .u8("out_buf", out_buf_)
        .boolean("out_aux", out_aux_)
        .u8("pending", pending_)
        .u8("port92", port92_)
        .bytes("kbd.queue", queue_.data(), uint32_t(queue_.size()))
        .u8("kbd.head", q_head_)
        .u8("kbd.count", q_count_)
        .u8("kbd.pending", kbd_pending_)
        .u8("kbd.last_sent", last_sent_)
        .boolean("kbd.scanning", scanning_)
        .u8("kbd.set", scancode_set_)
        .boolean("kbd.saw_break", saw_break_);
}

void I8042::post_load() {
    update_irq();
    if (set_a20) set_a20((outp_ & kOutA20) || (port92_ & 0x02));
}

void I8042::update_irq() {
    const bool full = status_ & kObf;
    irq1.set(full && !out_aux_ && (cmd_ & kIntKbd));
    irq12.set(full && out_aux_ && (cmd_ & kIntAux));
}

void I8042::output(uint8_t b, bool aux) {
    out_buf_ = b;
    out_aux_ = aux;
    status_ = uint8_t((status_ | kObf) & ~kAuxObf) | (aux ? kAuxObf : 0);
    update_irq();
}

void I8042::refill() {
    if ((status_ & kObf) || !q_count_ || (cmd_ & kDisableKbd)) return;
    const uint8_t b = queue_[q_head_];
    q_head_ = uint8_t((q_head_ + 1) % queue_.size());
    --q_count_;
    output(b, false);
}

void I8042::kbd_queue(uint8_t b) {
    if (q_count_ < queue_.size()) {
        queue_[(q_head_ + q_count_) % queue_.size()] = b;
        ++q_count_;
    }
    last_sent_ = b;
    refill();
}

void I8042::kbd_scancode(uint8_t b) {
    if (!(cmd_ & kXlat)) return kbd_queue(b);
    if (b == 0xF0) {
        saw_break_ = true;
        return;
    }
    uint8_t t = (b == 0xE0 || b == 0xE1) ? b : to_set1(b);
    if (saw_break_ && b != 0xE0 && b != 0xE1) {
        t |= 0x80;
        saw_break_ = false;
    }
    kbd_queue(t);
}

void I8042::key_bytes(const uint8_t* bytes, unsigned n) {
    if (!scanning_ || q_count_ + n > queue_.size()) return;
    if (scancode_set_ != 2) log_.unimplemented(name(), "scan code set", scancode_set_);
    for (unsigned i = 0; i < n; ++i) kbd_scancode(bytes[i]);
}

void I8042::write_output_port(uint8_t v) {
    const bool a20_before = (outp_ & kOutA20) || (port92_ & 0x02);
    outp_ = v;
    const bool a20_after = (outp_ & kOutA20) || (port92_ & 0x02);
    if (a20_before != a20_after && set_a20) set_a20(a20_after);
    if (!(v & kOutReset)) {
        outp_ |= kOutReset;  // the reset line is pulsed, the machine restarts
        if (reset_cpu) reset_cpu();
    }
}

void I8042::keyboard_command(uint8_t b) {
    constexpr uint8_t kAck = 0xFA, kResend = 0xFE;
    if (kbd_pending_) {
        const uint8_t c = kbd_pending_;
        kbd_pending_ = 0;
        if (c == 0xF0) {  // get or set the scan code set
            if (b == 0) {
                kbd_queue(kAck);
                static constexpr uint8_t kXlatSet[4] = {0, 0x43, 0x41, 0x3F};
                kbd_queue((cmd_ & kXlat) ? kXlatSet[scancode_set_] : scancode_set_);
            } else if (b <= 3) {
                scancode_set_ = b;
                kbd_queue(kAck);
            } else {
                kbd_queue(kResend);
            }
            return;
        }
        kbd_queue(kAck);  // the LED byte (ED) or the typematic rate (F3)
        return;
    }
    switch (b) {
    case 0xFF:  // reset: acknowledge, then the basic assurance test result
        scanning_ = true;
        scancode_set_ = 2;
        kbd_queue(kAck);
        kbd_queue(0xAA);
        break;
    case 0xFE: kbd_queue(last_sent_); break;
    case 0xF6: scanning_ = true; scancode_set_ = 2; kbd_queue(kAck); break;
    case 0xF5: scanning_ = false; kbd_queue(kAck); break;
    case 0xF4: scanning_ = true; kbd_queue(kAck); break;
    case 0xF2:  // identify: AB 83, or AB 41 as the translating controller passes it
        kbd_queue(kAck);
        kbd_queue(0xAB);
        kbd_queue((cmd_ & kXlat) ? 0x41 : 0x83);
        break;
    case 0xEE: kbd_queue(0xEE); break;  // echo
    case 0xED: case 0xF3: case 0xF0: kbd_pending_ = b; kbd_queue(kAck); break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:  // set 3 key types
        kbd_queue(kAck);
        break;
    default:
        log_.unimplemented(name(), "keyboard command", b);
        kbd_queue(kResend);
    }
}

void I8042::controller_command(uint8_t c) {
    if (c >= 0x20 && c <= 0x3F) return output(c == 0x20 ? cmd_ : 0, false);  // command byte, RAM
    if (c >= 0x60 && c <= 0x7F) { pending_ = c; return; }
    if (c >= 0xF0) {  // pulse output port bits low; bit 0 is the CPU reset line
        if (!(c & 1) && reset_cpu) reset_cpu();
        return;
    }
    switch (c) {
    case 0xA7: cmd_ |= kDisableAux; break;
    case 0xA8: cmd_ &= uint8_t(~kDisableAux); break;
    case 0xA9: output(0x00, false); break;  // aux interface test: no error
    case 0xAA: output(0x55, false); break;  // controller self-test passed
    case 0xAB: output(0x00, false); break;  // keyboard interface test: no error
    case 0xAD: cmd_ |= kDisableKbd; break;
    case 0xAE: cmd_ &= uint8_t(~kDisableKbd); refill(); break;
    case 0xC0: output(0x80, false); break;  // input port: keyboard not inhibited
    case 0xD0: output(outp_, false); break;
    case 0xD1: case 0xD2: case 0xD3: case 0xD4: pending_ = c; break;
    case 0xDD: write_output_port(uint8_t(outp_ & ~kOutA20)); break;
    case 0xDF: write_output_port(uint8_t(outp_ | kOutA20)); break;
    case 0xE0: output(0x00, false); break;  // test inputs
    default: log_.unimplemented(name(), "controller command", c);
    }
}

uint32_t I8042::io_read(uint16_t port, unsigned size) {
    uint8_t v;
    if (port == 0x92) {
        v = uint8_t(port92_ & ~1);
    } else if (port == 0x64) {
        v = uint8_t((status_ & ~kSys) | ((cmd_ & kCmdSys) ? kSys : 0));
    } else {
        v = out_buf_;
        status_ &= uint8_t(~(kObf | kAuxObf));
        update_irq();
        refill();
    }
    return size == 1 ? v : v | ((size == 4 ? 0xFFFFFF00u : 0xFF00u));
}

void I8042::io_write(uint16_t port, unsigned, uint32_t value) {
    const uint8_t v = uint8_t(value);
    if (port == 0x92) {
        // Port A: bit 1 is a second A20 gate (ORed with the controller's), a 0->1 write of bit 0
        // resets the CPU.
        const bool a20_before = (outp_ & kOutA20) || (port92_ & 0x02);
        const bool reset = (v & 1) && !(port92_ & 1);
        port92_ = v;
        const bool a20_after = (outp_ & kOutA20) || (port92_ & 0x02);
        if (a20_before != a20_after && set_a20) set_a20(a20_after);
        if (reset && reset_cpu) {
            port92_ &= uint8_t(~1);
            reset_cpu();
        }
        return;
    }
    if (port == 0x64) {
        status_ |= kCmdData;
        controller_command(v);
        return;
    }
    status_ &= uint8_t(~kCmdData);
    if (!pending_) return keyboard_command(v);
    const uint8_t c = pending_;
    pending_ = 0;
    switch (c) {
    case 0x60:
        cmd_ = v;
        update_irq();
        refill();
        break;
    case 0xD1: write_output_port(v); break;
    case 0xD2: output(v, false); break;  // as if the keyboard had sent it
    case 0xD3: output(v, true); break;   // as if the mouse had sent it
    case 0xD4:                           // to the mouse: there is none, the transfer times out
        status_ |= kTimeout;
        output(0xFE, true);
        break;
    default: break;  // controller RAM: nothing uses it
    }
}

} // namespace xlat
