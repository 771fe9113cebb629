#include "devices/hpet.h"

namespace xlat {

namespace {

constexpr uint32_t kRegCap = 0x000, kRegConfig = 0x010, kRegIsr = 0x020, kRegCounter = 0x0F0, kRegTimer0 = 0x100;
// Beyond this many ticks (about 130 days) a match is left unarmed: a 64-bit comparator behind the
// counter matches only after the 64-bit wrap.
constexpr uint64_t kFarTicks = 1ull << 50;

} // namespace

Hpet::Hpet(Clock& clock, const Tracer* tracer)
    : clock_(clock), log_(tracer),
      events_{{clock, "hpet-timer0", [this](uint64_t d) { fire(0, d); }},
              {clock, "hpet-timer1", [this](uint64_t d) { fire(1, d); }},
              {clock, "hpet-timer2", [this](uint64_t d) { fire(2, d); }}} {
    reset();
}

void Hpet::reset() {
    const bool was_legacy = legacy_mode();
    config_ = 0;
    isr_ = 0;
    count_base_ = 0;
    time_base_ = 0;
    for (unsigned n = 0; n < kTimers; ++n) {
        events_[n].cancel();
        Timer& t = timers_[n];
        // After reset every timer is a 64-bit one-shot with interrupts off and its comparator
        // at all ones (spec 2.3.9 and 2.3.10's default values).
        t.config = kPeriodicCap | kSize64Cap | uint64_t(kRouteCap) << 32;
        t.cmp = ~0ull;
        t.period = 0;
        t.idle_from = 0;
        t.matched = false;
        update_output(n, false);
    }
    if (was_legacy && on_legacy) on_legacy(false);
}

uint64_t Hpet::counter() const {
    if (!(config_ & kEnable)) return count_base_;
    return count_base_ + (clock_.now() - time_base_) / kTickNs;
}

uint64_t Hpet::ticks_to_match(unsigned n, uint64_t from) const {
    const Timer& t = timers_[n];
    if (mode32(t)) return uint32_t(uint32_t(t.cmp) - uint32_t(from));
    if (t.cmp < from) return ~0ull;  // after the 64-bit wrap
    return t.cmp - from;
}

void Hpet::catch_up(unsigned n) {
    // A periodic timer whose event was not armed still moved its comparator on at every match
    // since idle_from (spec 2.3.9.2.2): step it by whole periods past the counter.
    Timer& t = timers_[n];
    if (!(config_ & kEnable) || !(t.config & kPeriodic) || t.period == 0) return;
    const uint64_t now = counter();
    const uint64_t ticks = ticks_to_match(n, t.idle_from);
    const uint64_t first = t.idle_from + ticks;
    if (ticks >= kFarTicks || first > now) {
        t.idle_from = now;
        return;
    }
    const uint64_t steps = (now - first) / t.period + 1;
    t.cmp += steps * t.period;
    if (mode32(t)) t.cmp = uint32_t(t.cmp);
    t.idle_from = now;
}

void Hpet::arm(unsigned n) {
    Timer& t = timers_[n];
    ClockEvent& e = events_[n];
    const bool can_interrupt = (config_ & kEnable) && (t.config & kIntEnable);
    if (!can_interrupt) {
        if (e.pending()) {
            e.cancel();
            t.idle_from = counter();
        }
        return;
    }
    if (!e.pending()) catch_up(n);
    const uint64_t now = counter();
    uint64_t ticks = ticks_to_match(n, now);
    if (ticks == 0 && t.matched && t.last_match == now) ticks = mode32(t) ? 1ull << 32 : ~0ull;
    if (ticks >= kFarTicks) {
        e.cancel();
        t.idle_from = now;
        return;
    }
    // The counter reaches now + ticks at this time (it counts from time_base_).
    e.schedule(time_base_ + (now + ticks - count_base_) * kTickNs);
}

void Hpet::fire(unsigned n, uint64_t deadline) {
    Timer& t = timers_[n];
    if (!(config_ & kEnable)) return;
    // The counter value of this match (the event ran at its deadline, or later in host time).
    const uint64_t matched = count_base_ + (deadline - time_base_) / kTickNs;
    t.matched = true;
    t.last_match = matched;
    if (t.config & kIntEnable) {
        if (t.config & kLevel) isr_ |= 1u << n;
        update_output(n, !(t.config & kLevel));
    }
    uint64_t next;
    if ((t.config & kPeriodic) && t.period) {
        // The comparator moves on by the period; matches the run loop came too late for are
        // skipped, as a periodic tick that fell behind (QEMU's HPET does the same).
        const uint64_t now = counter();
        uint64_t steps = 1;
        if (matched + t.period <= now) steps += (now - matched - t.period) / t.period + 1;
        t.cmp += steps * t.period;
        if (mode32(t)) t.cmp = uint32_t(t.cmp);
        next = matched + steps * t.period;
    } else {
        // A one-shot matches again when the counter has wrapped: 2^32 ticks in 32-bit mode.
        if (!mode32(t)) {
            t.idle_from = matched;
            return;
        }
        next = matched + (1ull << 32);
    }
    events_[n].schedule(time_base_ + (next - count_base_) * kTickNs);
}

void Hpet::update_output(unsigned n, bool edge) {
    Timer& t = timers_[n];
    IrqSink* sink;
    unsigned pin;
    if (legacy_mode() && n < 2) {
        sink = legacy;
        pin = n == 0 ? 0 : 8;
    } else {
        sink = routed;
        pin = unsigned((t.config & kRouteMask) >> kRouteShift);
    }
    const bool level = (config_ & kEnable) && (t.config & kIntEnable) && (t.config & kLevel) && (isr_ >> n & 1);
    if (t.out_level && (sink != t.out_sink || pin != t.out_pin || !level)) {
        if (t.out_sink) t.out_sink->set_irq(t.out_pin, false);
        t.out_level = false;
    }
    t.out_sink = sink;
    t.out_pin = pin;
    if (level && !t.out_level) {
        if (sink) sink->set_irq(pin, true);
        t.out_level = true;
    } else if (edge && sink && (config_ & kEnable) && (t.config & kIntEnable) && !(t.config & kLevel)) {
        sink->set_irq(pin, true);
        sink->set_irq(pin, false);
    }
}

uint64_t Hpet::read64(uint32_t reg) {
    switch (reg) {
    case kRegCap: return uint64_t(kPeriodFs) << 32 | kId;
    case kRegConfig: return config_;
    case kRegIsr: return isr_;
    case kRegCounter: return counter();
    default: break;
    }
    if (reg >= kRegTimer0 && reg < kRegTimer0 + 0x20 * kTimers) {
        const unsigned n = (reg - kRegTimer0) / 0x20;
        Timer& t = timers_[n];
        switch ((reg - kRegTimer0) % 0x20) {
        case 0x00: return t.config;
        case 0x08:
            if (!events_[n].pending()) catch_up(n);
            return t.cmp;
        case 0x10: return 0;  // FSB interrupt route: no FSB delivery
        }
    }
    log_.unimplemented(name(), "register read", reg);
    return 0;
}

void Hpet::write64(uint32_t reg, uint64_t v, uint64_t mask) {
    switch (reg) {
    case kRegCap: return;  // read-only
    case kRegConfig: {
        const uint64_t old = config_, now = counter();
        const bool was_legacy = legacy_mode();
        config_ = ((config_ & ~mask) | (v & mask)) & (kEnable | kLegacy);
        if ((old ^ config_) & kEnable) {
            // Stopping holds the counter where it stands; starting runs it on from there.
            if (config_ & kEnable) time_base_ = clock_.now();
            else count_base_ = now;
        }
        for (unsigned n = 0; n < kTimers; ++n) {
            if ((old ^ config_) & kEnable) {
                // Starting the counter arms the timers from where it stands; stopping it holds them.
                if (config_ & kEnable) timers_[n].idle_from = counter();
            }
            arm(n);
            update_output(n, false);
        }
        if (was_legacy != legacy_mode() && on_legacy) on_legacy(legacy_mode());
        return;
    }
    case kRegIsr: {
        // Writing 1 clears a level-triggered interrupt's status (and drops its line).
        isr_ &= ~(v & mask & ((1u << kTimers) - 1));
        for (unsigned n = 0; n < kTimers; ++n) update_output(n, false);
        return;
    }
    case kRegCounter: {
        // Software halts the counter before it writes it (spec 2.3.11); written running, it
        // jumps and the timers compare from the new value.
        const uint64_t now = counter();
        count_base_ = (now & ~mask) | (v & mask);
        time_base_ = clock_.now();
        for (unsigned n = 0; n < kTimers; ++n) {
            timers_[n].idle_from = count_base_;
            timers_[n].matched = false;
            events_[n].cancel();
            arm(n);
        }
        return;
    }
    default: break;
    }
    if (reg >= kRegTimer0 && reg < kRegTimer0 + 0x20 * kTimers) {
        const unsigned n = (reg - kRegTimer0) / 0x20;
        Timer& t = timers_[n];
        switch ((reg - kRegTimer0) % 0x20) {
        case 0x00: {
            constexpr uint64_t writable = kLevel | kIntEnable | kPeriodic | kValSet | kMode32 | kRouteMask;
            if (!events_[n].pending()) catch_up(n);
            t.config = (t.config & ~(mask & writable)) | (v & mask & writable);
            if (mode32(t)) {
                // Setting 32-bit mode truncates the comparator (spec 2.3.9.2.4).
                t.cmp = uint32_t(t.cmp);
                t.period = uint32_t(t.period);
            }
            if (!(t.config & kLevel)) isr_ &= ~(1ull << n);  // an edge-triggered timer has no status
            events_[n].cancel();
            t.idle_from = counter();
            arm(n);
            update_output(n, false);
            return;
        }
        case 0x08: {
            // One-shot: the comparator. Periodic: the value is the period, and with Tn_VAL_SET
            // the comparator too; Tn_VAL_SET clears itself after the write (spec 2.3.9.2.2).
            uint64_t value = v;
            if (mode32(t)) value = uint32_t(value), mask = uint32_t(mask);
            if (!events_[n].pending()) catch_up(n);
            const bool periodic = t.config & kPeriodic;
            if (!periodic || (t.config & kValSet)) t.cmp = (t.cmp & ~mask) | (value & mask);
            t.matched = false;
            if (periodic) t.period = (t.period & ~mask) | (value & mask);
            t.config &= ~kValSet;
            events_[n].cancel();
            t.idle_from = counter();
            arm(n);
            return;
        }
        case 0x10: return;  // FSB route: no FSB delivery
        }
    }
    log_.unimplemented(name(), "register write", reg);
}

uint32_t Hpet::read(unsigned, uint32_t offset, unsigned) {
    const uint64_t v = read64(offset & ~7u);
    return offset & 4 ? uint32_t(v >> 32) : uint32_t(v);
}

void Hpet::write(unsigned, uint32_t offset, unsigned, uint32_t value) {
    // One 32-bit half of a 64-bit register; the other half keeps its value.
    const bool high = offset & 4;
    const uint64_t mask = high ? 0xFFFFFFFF00000000ull : 0xFFFFFFFFull;
    write64(offset & ~7u, high ? uint64_t(value) << 32 : value, mask);
}

void Hpet::describe_state(StateList& out) {
    out.u64("config", config_).u64("isr", isr_).u64("count_base", count_base_).u64("time_base", time_base_);
    static const char* const prefixes[kTimers] = {"t0.", "t1.", "t2."};
    for (unsigned n = 0; n < kTimers; ++n) {
        Timer& t = timers_[n];
        out.prefix(prefixes[n]).u64("config", t.config).u64("cmp", t.cmp).u64("period", t.period)
            .u64("idle_from", t.idle_from).u64("last_match", t.last_match).boolean("matched", t.matched)
            .event("event", events_[n]);
    }
    out.prefix("");
}

void Hpet::post_load() {
    for (unsigned n = 0; n < kTimers; ++n) {
        timers_[n].out_level = false;
        timers_[n].out_sink = nullptr;
        update_output(n, false);
    }
    if (on_legacy) on_legacy(legacy_mode());
}

} // namespace xlat
