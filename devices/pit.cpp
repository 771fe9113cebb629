#include "devices/pit.h"

namespace xlat {

namespace {

uint16_t to_bcd(uint32_t v) {
    v %= 10000;
    return uint16_t((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}
uint32_t from_bcd(uint32_t v) {
    return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
}

} // namespace

Pit8254::Pit8254(Clock& clock)
    : clock_(clock), irq0_event_(clock, "pit.irq0", [this](uint64_t due) { on_irq0(due); }) {}

uint64_t Pit8254::ticks(uint64_t from, uint64_t to) {
    return to <= from ? 0 : uint64_t((unsigned __int128)(to - from) * kHz / 1000000000u);
}

void Pit8254::reset() {
    // Power-on: the datasheet leaves the counters undefined until programmed. We start them as
    // QEMU does (mode 3, count 65536: counter 0 gives IRQ0 at 18.2 Hz), so that code that
    // relies on the firmware's setting sees the same thing under both.
    const uint64_t now = clock_.now();
    for (unsigned n = 0; n < 3; ++n) {
        ch_[n] = Channel{};
        ch_[n].mode = 3;
        ch_[n].gate = n != 2;  // counters 0 and 1 have their gates tied high; 2's is port 0x61 bit 0
        ch_[n].load_ns = now;
        ch_[n].counting = ch_[n].gate;
        ch_[n].null_count = false;
    }
    speaker_ = false;
    irq0.set(out_at(ch_[0], now));
    schedule_irq0(now);
}

bool Pit8254::out_at(const Channel& c, uint64_t now) const {
    if (!c.counting) return c.mode != 0;  // mode 0 starts low; the others high
    const uint64_t d = ticks(c.load_ns, now), n = c.reload;
    switch (c.mode) {
    case 0:  // interrupt on terminal count: low until the count runs out
    case 1:  // hardware-retriggerable one-shot: low from the trigger until the count runs out
        return d >= n;
    case 2:  // rate generator: low for one clock at the end of each period
        return d == 0 || d % n != 0;
    case 3:  // square wave: high for the first half of each period (the longer half if odd)
        return d % n < (n + 1) / 2;
    default:  // 4, 5 strobes: low for one clock when the count runs out
        return d != n;
    }
}

uint16_t Pit8254::count_at(const Channel& c, uint64_t now) const {
    uint32_t v;
    if (!c.counting) {
        v = c.reload;
    } else {
        const uint64_t d = ticks(c.load_ns, now), n = c.reload;
        switch (c.mode) {
        case 2: v = uint32_t(n - d % n); break;
        case 3: v = uint32_t(n - (2 * d) % n); break;  // counts down by two
        default: v = uint32_t((n - d) & 0xFFFF); break;  // wraps past zero and keeps counting
        }
    }
    return c.bcd ? to_bcd(v) : uint16_t(v);
}

uint64_t Pit8254::next_change(const Channel& c, uint64_t now) const {
    if (!c.counting) return Clock::kNever;
    const uint64_t d = ticks(c.load_ns, now), n = c.reload;
    uint64_t t;
    switch (c.mode) {
    case 0:
    case 1:
        if (d >= n) return Clock::kNever;
        t = n;
        break;
    case 2: t = (d % n == 0 && d != 0) ? d + 1 : d - d % n + n; break;
    case 3: {
        const uint64_t half = (n + 1) / 2, base = d - d % n;
        t = d % n < half ? base + half : base + n;
        break;
    }
    default:
        if (d > n) return Clock::kNever;
        t = d < n ? n : n + 1;
        break;
    }
    // The first ns at which `t` ticks have passed.
    return c.load_ns + uint64_t(((unsigned __int128)t * 1000000000u + kHz - 1) / kHz);
}

void Pit8254::schedule_irq0(uint64_t now) {
    const uint64_t t = next_change(ch_[0], now);
    if (t == Clock::kNever) irq0_event_.cancel();
    else irq0_event_.schedule(t);
}

void Pit8254::on_irq0(uint64_t due) {
    // OUT0 as it is at the deadline (a late run in host time still makes the same edges).
    irq0.set(out_at(ch_[0], due));
    schedule_irq0(due);
}

void Pit8254::load(unsigned n, uint32_t value) {
    Channel& c = ch_[n];
    // A count of 0 is the largest: 65536, or 10000 in BCD.
    uint32_t v = c.bcd ? from_bcd(value) : value;
    if (v == 0) v = c.bcd ? 10000 : 0x10000;
    c.reload = v;
    c.null_count = false;
    if (tracing(kTracePit))
        trace_->log(kTracePit, "counter %u: count %u (mode %u%s, %.1f Hz)", n, v, c.mode, c.bcd ? ", BCD" : "", 1193181.8 / v);
    const uint64_t now = clock_.now();
    // Modes 1 and 5 wait for a rising edge on the gate; the others start now. (A new count in
    // modes 2 and 3 takes effect at once here, where the 8254 waits for the end of the current
    // period: no program we know depends on the difference.)
    if (c.mode == 1 || c.mode == 5) {
        c.counting = false;
    } else {
        c.counting = c.gate || c.mode == 0 || c.mode == 4;
        c.load_ns = now;
    }
    if (n == 0) {
        irq0.set(out_at(c, now));
        schedule_irq0(now);
    }
}

void Pit8254::control(uint8_t v) {
    const uint64_t now = clock_.now();
    const unsigned sc = v >> 6;
    if (sc == 3) {
        // Read-back (8254 only): bit 5 clear latches the counts, bit 4 clear the status, of the
        // counters selected by bits 3:1.
        for (unsigned n = 0; n < 3; ++n) {
            if (!(v & (2u << n))) continue;
            Channel& c = ch_[n];
            if (!(v & 0x20) && !c.latched) {
                c.latch = count_at(c, now);
                c.latched = c.rw == 3 ? 2 : 1;
            }
            if (!(v & 0x10) && !c.status_latched) {
                c.status = uint8_t((out_at(c, now) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | c.rw << 4 |
                                   c.mode << 1 | (c.bcd ? 1 : 0));
                c.status_latched = true;
            }
        }
        return;
    }
    Channel& c = ch_[sc];
    const unsigned rw = (v >> 4) & 3;
    if (rw == 0) {
        // Counter latch command: the count is held until read; a second latch before that is ignored.
        if (!c.latched) {
            c.latch = count_at(c, now);
            c.latched = c.rw == 3 ? 2 : 1;
        }
        return;
    }
    c.rw = uint8_t(rw);
    c.mode = uint8_t((v >> 1) & 7);
    if (c.mode > 5) c.mode -= 4;  // 6 and 7 are modes 2 and 3
    c.bcd = v & 1;
    if (tracing(kTracePit))
        trace_->log(kTracePit, "control %02x: counter %u mode %u, %s%s", v, sc, c.mode,
                    rw == 1 ? "LSB" : rw == 2 ? "MSB" : "LSB then MSB", c.bcd ? ", BCD" : "");
    c.counting = false;  // until a count is written; OUT: low in mode 0, high in the others
    c.null_count = true;
    c.write_msb = c.read_msb = false;
    c.latched = 0;
    c.status_latched = false;
    if (sc == 0) {
        irq0.set(out_at(c, now));
        schedule_irq0(now);
    }
}

uint8_t Pit8254::read_counter(unsigned n) {
    Channel& c = ch_[n];
    if (c.status_latched) {
        c.status_latched = false;
        return c.status;
    }
    uint16_t v;
    if (c.latched) {
        v = c.latch;
        if (c.rw == 3 && c.latched == 2) {
            c.latched = 1;
            return uint8_t(v);
        }
        const bool msb = c.rw == 2 || (c.rw == 3 && c.latched == 1);
        c.latched = 0;
        return uint8_t(msb ? v >> 8 : v);
    }
    v = count_at(c, clock_.now());
    switch (c.rw) {
    case 1: return uint8_t(v);
    case 2: return uint8_t(v >> 8);
    default:
        c.read_msb = !c.read_msb;
        return uint8_t(c.read_msb ? v : v >> 8);
    }
}

void Pit8254::write_counter(unsigned n, uint8_t v) {
    Channel& c = ch_[n];
    switch (c.rw) {
    case 1: load(n, v); break;
    case 2: load(n, uint32_t(v) << 8); break;
    default:
        if (!c.write_msb) {
            c.write_lsb = v;
            c.write_msb = true;
            // Mode 0: writing the first byte stops the count (datasheet, Mode 0).
            if (c.mode == 0 && c.counting) {
                c.counting = false;
                if (n == 0) {
                    irq0.set(false);
                    schedule_irq0(clock_.now());
                }
            }
        } else {
            c.write_msb = false;
            load(n, c.write_lsb | uint32_t(v) << 8);
        }
        break;
    }
}

void Pit8254::set_gate(unsigned n, bool gate) {
    Channel& c = ch_[n];
    if (gate == c.gate) return;
    c.gate = gate;
    const uint64_t now = clock_.now();
    if (gate) {
        // A rising edge starts modes 1 and 5 and restarts 2 and 3 (once a count was written).
        if (!c.null_count && c.mode != 0 && c.mode != 4) {
            c.counting = true;
            c.load_ns = now;
        }
    } else if (c.mode == 2 || c.mode == 3) {
        c.counting = false;  // gate low stops the count and holds OUT high
    }
    // (Gate low in modes 0 and 4 suspends counting on the 8254; only counter 2's gate can go
    // low on a PC, and programs use it in modes 0 and 3 as a one-shot or the speaker: we
    // treat it as continuing, as QEMU does.)
    if (n == 0) {
        irq0.set(out_at(c, now));
        schedule_irq0(now);
    }
}

uint32_t Pit8254::read(unsigned window, uint32_t offset, unsigned) {
    if (window == 1) {
        // Port 0x61: bit 0 gate 2, bit 1 speaker data, bit 4 the refresh request, which toggles
        // every 15.085 us (programs time short delays by it), bit 5 OUT2.
        const uint64_t now = clock_.now();
        return (ch_[2].gate ? 1u : 0u) | (speaker_ ? 2u : 0u) | (uint32_t(now / 15085) & 1) << 4 |
               (out_at(ch_[2], now) ? 0x20u : 0u);
    }
    if (offset == 3) return 0xFF;  // the control word register cannot be read
    return read_counter(offset);
}

void Pit8254::write(unsigned window, uint32_t offset, unsigned, uint32_t value) {
    const uint8_t v = uint8_t(value);
    if (window == 1) {
        set_gate(2, v & 1);
        speaker_ = v & 2;
        return;
    }
    if (offset == 3) control(v);
    else write_counter(offset, v);
}

void Pit8254::describe_state(StateList& s) {
    for (unsigned n = 0; n < 3; ++n) {
        Channel& c = ch_[n];
        s.prefix("ch" + std::to_string(n) + ".")
            .u32("reload", c.reload).u64("load_ns", c.load_ns).u8("mode", c.mode).u8("rw", c.rw)
            .boolean("bcd", c.bcd).boolean("gate", c.gate).boolean("counting", c.counting)
            .boolean("write_msb", c.write_msb).boolean("read_msb", c.read_msb).u8("write_lsb", c.write_lsb)
            .u8("latched", c.latched).u16("latch", c.latch).boolean("status_latched", c.status_latched)
            .u8("status", c.status).boolean("null_count", c.null_count);
    }
    s.prefix("").boolean("speaker", speaker_).event("irq0", irq0_event_);
}

void Pit8254::post_load() { irq0.set(out_at(ch_[0], clock_.now())); }

} // namespace xlat
