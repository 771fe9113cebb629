#include "devices/apic.h"

#include <algorithm>

namespace xlat {

namespace {
// Version register (SDM 10.4.8): version 14h (an integrated APIC), six LVT entries (max LVT 5),
// no EOI-broadcast suppression.
constexpr uint32_t kVersion = 0x00050014u;
// The writable bits of each LVT entry (SDM Figure 10-8): vector, delivery mode, polarity,
// trigger mode, mask, timer mode; delivery status and remote IRR are read-only.
constexpr uint32_t kLvtWritable[LocalApic::kLvtCount] = {0x000700FFu, 0x000107FFu, 0x000107FFu,
                                                          0x0001A7FFu, 0x0001A7FFu, 0x000100FFu};
// ESR bit 6: a message with a vector below 16 was received (SDM 10.5.3).
constexpr uint32_t kEsrReceiveIllegal = 1u << 6;
} // namespace

LocalApic::LocalApic(Clock& clock, const Tracer* tracer)
    : clock_(clock), log_(tracer), timer_event_(clock, "lapic.timer", [this](uint64_t due) { timer_fired(due); }) {
    reset();
}

void LocalApic::attach_extint(InterruptSource* pic) {
    pic_ = pic;
    if (!pic) return;
    // The 8259 raising INT: the CPU looks when LINT0 passes it through; LINT0 as NMI turns it
    // into an NMI (virtual wire as NMI, rarely used).
    pic->on_intr([](void* self) {
        auto& a = *static_cast<LocalApic*>(self);
        if (a.extint_open()) a.intr_raised();
        else if (a.globally_enabled() && !(a.lvt_[kLvtLint0] & kLvtMasked) && (a.lvt_[kLvtLint0] >> 8 & 7) == kNmi && a.on_nmi)
            a.on_nmi();
    }, this);
}

void LocalApic::reset() {
    timer_event_.cancel();
    apic_base_ = kDefaultBase | kBaseEnable | kBaseBsp;
    id_ = 0;
    tpr_ = ldr_ = esr_ = icr_low_ = icr_high_ = 0;
    dfr_ = 0xFFFFFFFFu;
    svr_ = 0xFF;
    for (uint32_t& l : lvt_) l = kLvtMasked;
    // LINT0 starts as an unmasked ExtINT entry, as QEMU sets it on the BSP: the 8259's
    // interrupts must reach the CPU before the firmware ever touches the APIC (the SDM's reset
    // value masks every LVT entry and leaves that to the BIOS, which programs virtual wire mode).
    lvt_[kLvtLint0] = kExtInt << 8;
    timer_initial_ = timer_divide_ = 0;
    timer_start_ = 0;
    timer_running_ = false;
    lint_level_ = 0;
    irr_ = {};
    isr_ = {};
    tmr_ = {};
}

int LocalApic::highest(const Bits& b) {
    for (int i = 7; i >= 0; --i)
        if (b[size_t(i)]) return i * 32 + 31 - __builtin_clz(b[size_t(i)]);
    return -1;
}

uint32_t LocalApic::ppr() const {
    // SDM 10.8.3.1: PPR = TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with the low bits 0.
    const int isrv = highest(isr_);
    const uint32_t in_service = isrv < 0 ? 0 : uint32_t(isrv);
    return (tpr_ >> 4) >= (in_service >> 4) ? tpr_ : in_service & 0xF0;
}

int LocalApic::deliverable() const {
    if (!globally_enabled() || !software_enabled()) return -1;
    const int v = highest(irr_);
    if (v < 0 || (uint32_t(v) & 0xF0) <= (ppr() & 0xF0)) return -1;
    return v;
}

bool LocalApic::extint_open() const {
    if (!globally_enabled()) return true;  // no APIC: LINT0 is the INTR pin (SDM 10.4.3)
    const uint32_t l = lvt_[kLvtLint0];
    return !(l & kLvtMasked) && (l >> 8 & 7) == kExtInt;
}

bool LocalApic::intr() const {
    if (deliverable() >= 0) return true;
    return extint_open() && pic_ && pic_->intr();
}

uint8_t LocalApic::acknowledge() {
    const int v = deliverable();
    if (v >= 0) {
        set(irr_, uint8_t(v), false);
        set(isr_, uint8_t(v), true);
        return uint8_t(v);
    }
    if (extint_open() && pic_ && pic_->intr()) return pic_->acknowledge();
    // The request went away between INTR and INTA: the spurious vector, not put in service
    // (SDM 10.9).
    return uint8_t(svr_);
}

void LocalApic::accept(uint8_t vector, bool level) {
    if (vector < 16) {
        esr_ |= kEsrReceiveIllegal;
        return;
    }
    set(irr_, vector, true);
    set(tmr_, vector, level);
    update();
}

void LocalApic::deliver(uint8_t vector, uint8_t mode, bool level) {
    switch (mode) {
    case kFixed:
    case kLowest: accept(vector, level); break;
    case kNmi:
        if (on_nmi) on_nmi();
        break;
    case kExtInt:
        // The vector comes from the 8259 at INTA, as through LINT0.
        if (pic_ && pic_->intr()) intr_raised();
        break;
    default: log_.unimplemented(name(), "delivery mode", mode); break;  // SMI, INIT, SIPI: no SMM, one CPU
    }
}

bool LocalApic::matches(uint8_t dest, bool logical) const {
    if (!logical) return dest == 0xFF || dest == apic_id();
    // Logical: the flat model compares the 8-bit masks; the cluster model the cluster (high
    // nibble) and the member bits (SDM 10.6.2.2).
    const uint8_t ldr = uint8_t(ldr_ >> 24);
    if ((dfr_ >> 28) == 0xF) return (dest & ldr) != 0;
    return (dest == 0xFF) || ((dest >> 4) == (ldr >> 4) && (dest & ldr & 0x0F) != 0);
}

void LocalApic::eoi() {
    const int v = highest(isr_);
    if (v < 0) return;
    set(isr_, uint8_t(v), false);
    if (test(tmr_, uint8_t(v)) && on_eoi_broadcast) on_eoi_broadcast(uint8_t(v));
    update();
}

void LocalApic::write_icr(uint32_t low) {
    const uint8_t vector = uint8_t(low), mode = uint8_t(low >> 8 & 7);
    const bool logical = low >> 11 & 1;
    bool to_self;
    switch (low >> 18 & 3) {
    case 0: to_self = matches(uint8_t(icr_high_ >> 24), logical); break;
    case 1:
    case 2: to_self = true; break;  // self; all including self
    default: to_self = false; break;  // all excluding self: there is no other CPU
    }
    if (!to_self) return;
    if (mode == kFixed || mode == kLowest) accept(vector, false);  // IPIs are edge-triggered
    else if (mode == kNmi && on_nmi) on_nmi();
    else if (mode == kInit && (low >> 15 & 1) && !(low >> 14 & 1)) return;  // INIT level de-assert: nothing
    else log_.unimplemented(name(), "IPI to itself, delivery mode", mode);
}

void LocalApic::write_lvt(unsigned i, uint32_t v) {
    uint32_t nv = v & kLvtWritable[i];
    // A software-disabled APIC keeps every LVT entry masked (SDM 10.4.7.2).
    if (!software_enabled()) nv |= kLvtMasked;
    const uint32_t old = lvt_[i];
    if (i == kLvtTimer && ((old ^ nv) >> 17 & 3) && timer_initial_) {
        // A mode change keeps the current count: re-base the count on it.
        const uint32_t cur = current_count();
        lvt_[i] = nv;
        timer_start_ = clock_.now() - (uint64_t(timer_initial_ - cur) << timer_shift());
        timer_running_ = cur != 0 || timer_periodic();
        timer_restart(timer_start_);
        return;
    }
    lvt_[i] = nv;
    if (i == kLvtLint0 && extint_open() && pic_ && pic_->intr()) intr_raised();
}

void LocalApic::set_irq(unsigned pin, bool level) {
    if (pin > 1) return;
    const bool was = lint_level_ >> pin & 1;
    lint_level_ = uint8_t((lint_level_ & ~(1u << pin)) | (unsigned(level) << pin));
    lint(pin, level, level && !was);
}

void LocalApic::lint(unsigned pin, bool level, bool edge) {
    const uint32_t l = lvt_[kLvtLint0 + pin];
    if ((l & kLvtMasked) || !globally_enabled()) return;
    switch (l >> 8 & 7) {
    case kFixed:
        // Level-triggered LINT entries stay asserted while the pin is; edge ones take the rise.
        if ((l >> 15 & 1) ? level : edge) accept(uint8_t(l), l >> 15 & 1);
        break;
    case kNmi:
        if (edge && on_nmi) on_nmi();
        break;
    case kExtInt:
        if (edge && pic_ && pic_->intr()) intr_raised();
        break;
    default: log_.unimplemented(name(), "LINT delivery mode", l >> 8 & 7); break;
    }
}

void LocalApic::apic_base_written(uint64_t value) {
    const bool was = globally_enabled();
    apic_base_ = value;
    if (was && !globally_enabled()) {
        // Hardware disable: the APIC returns to its power-up state (SDM 10.4.3) and LINT0/LINT1
        // become the INTR and NMI pins.
        reset();
        apic_base_ = value;
    }
    if (on_base_change) on_base_change(uint32_t(value & 0xFFFFF000u), globally_enabled());
    if (pic_ && pic_->intr() && extint_open()) intr_raised();
}

// ---- the timer (SDM 10.5.4) ----

unsigned LocalApic::timer_shift() const {
    // Divide configuration bits 3, 1:0: 000 = 2, 001 = 4, ... 110 = 128, 111 = 1.
    const unsigned dv = (timer_divide_ & 3) | (timer_divide_ >> 1 & 4);
    return dv == 7 ? 0 : dv + 1;
}

uint32_t LocalApic::current_count() const {
    if (!timer_initial_ || !timer_running_) return 0;
    const uint64_t ticks = (clock_.now() - timer_start_) >> timer_shift();
    if (timer_periodic()) return uint32_t(timer_initial_ - ticks % timer_initial_);
    return ticks >= timer_initial_ ? 0 : uint32_t(timer_initial_ - ticks);
}

void LocalApic::timer_restart(uint64_t start) {
    timer_event_.cancel();
    if (!timer_initial_ || !timer_running_) return;
    const uint64_t period = uint64_t(timer_initial_) << timer_shift();
    const uint64_t now = clock_.now();
    uint64_t deadline = start + period;
    if (timer_periodic() && deadline <= now) deadline += ((now - deadline) / period + 1) * period;
    timer_event_.schedule(deadline);
}

void LocalApic::timer_fired(uint64_t deadline) {
    if (!(lvt_[kLvtTimer] & kLvtMasked)) accept(uint8_t(lvt_[kLvtTimer]), false);
    if (timer_periodic()) timer_event_.schedule(deadline + (uint64_t(timer_initial_) << timer_shift()));
    else timer_running_ = false;
}

// ---- registers ----

uint32_t LocalApic::read(unsigned, uint32_t offset, unsigned) {
    const uint32_t reg = offset & 0xFF0;
    if (reg >= 0x100 && reg < 0x280) {
        const Bits& b = reg < 0x180 ? isr_ : reg < 0x200 ? tmr_ : irr_;
        return b[(reg >> 4) & 7];
    }
    if (reg >= 0x320 && reg <= 0x370) return lvt_[(reg - 0x320) >> 4];
    switch (reg) {
    case 0x020: return id_;
    case 0x030: return kVersion;
    case 0x080: return tpr_;
    case 0x090: {
        // Arbitration priority (SDM 10.6.2.4): what lowest-priority delivery would compare.
        const int irrv = highest(irr_), isrv = highest(isr_);
        const uint32_t ir = irrv < 0 ? 0 : uint32_t(irrv), is = isrv < 0 ? 0 : uint32_t(isrv);
        if ((tpr_ >> 4) >= (ir >> 4) && (tpr_ >> 4) > (is >> 4)) return tpr_;
        return std::max({tpr_ & 0xF0, ir & 0xF0, is & 0xF0});
    }
    case 0x0A0: return ppr();
    case 0x0B0: return 0;  // EOI is write-only
    case 0x0D0: return ldr_;
    case 0x0E0: return dfr_;
    case 0x0F0: return svr_;
    case 0x280: return esr_;
    case 0x300: return icr_low_;  // delivery status (bit 12) always idle: IPIs are delivered at once
    case 0x310: return icr_high_;
    case 0x380: return timer_initial_;
    case 0x390: return current_count();
    case 0x3E0: return timer_divide_;
    default: log_.unimplemented(name(), "register read", reg); return 0;
    }
}

void LocalApic::write(unsigned, uint32_t offset, unsigned, uint32_t v) {
    const uint32_t reg = offset & 0xFF0;
    if (reg >= 0x320 && reg <= 0x370) {
        write_lvt((reg - 0x320) >> 4, v);
        return;
    }
    switch (reg) {
    case 0x020: id_ = v & 0xFF000000u; break;
    case 0x080:
        tpr_ = v & 0xFF;
        update();
        break;
    case 0x0B0: eoi(); break;
    case 0x0D0: ldr_ = v & 0xFF000000u; break;
    case 0x0E0: dfr_ = v | 0x0FFFFFFFu; break;
    case 0x0F0:
        svr_ = v & 0x3FF;  // vector, software enable, focus processor checking
        if (!software_enabled())
            for (uint32_t& l : lvt_) l |= kLvtMasked;
        update();
        break;
    case 0x280: esr_ = 0; break;  // a write latches the errors since the last one: none pending now
    case 0x300:
        icr_low_ = v & 0x000CDFFFu;
        write_icr(icr_low_);
        break;
    case 0x310: icr_high_ = v & 0xFF000000u; break;
    case 0x380:
        timer_initial_ = v;
        timer_start_ = clock_.now();
        timer_running_ = v != 0;
        timer_restart(timer_start_);
        break;
    case 0x3E0: {
        const uint32_t cur = current_count();
        timer_divide_ = v & 0xB;
        if (timer_running_ && timer_initial_) {
            timer_start_ = clock_.now() - (uint64_t(timer_initial_ - cur) << timer_shift());
            timer_restart(timer_start_);
        }
        break;
    }
    case 0x030: case 0x090: case 0x0A0: case 0x390: break;  // read-only
    default: log_.unimplemented(name(), "register write", reg); break;
    }
}

void LocalApic::describe_state(StateList& out) {
    out.u64("apic_base", apic_base_)
        .u32("id", id_)
        .u32("tpr", tpr_)
        .u32("ldr", ldr_)
        .u32("dfr", dfr_)
        .u32("svr", svr_)
        .u32("esr", esr_)
        .u32("icr_low", icr_low_)
        .u32("icr_high", icr_high_)
        .bytes("lvt", lvt_, sizeof lvt_)
        .u32("timer_initial", timer_initial_)
        .u32("timer_divide", timer_divide_)
        .u64("timer_start", timer_start_)
        .boolean("timer_running", timer_running_)
        .event("timer", timer_event_)
        .u8("lint_level", lint_level_)
        .bytes("irr", irr_.data(), sizeof irr_)
        .bytes("isr", isr_.data(), sizeof isr_)
        .bytes("tmr", tmr_.data(), sizeof tmr_);
}

void LocalApic::post_load() {
    if (on_base_change) on_base_change(uint32_t(apic_base_ & 0xFFFFF000u), globally_enabled());
    update();
}

} // namespace xlat
