// The local APIC of the one CPU (Intel SDM Vol. 3A, chapter 10, "Advanced Programmable Interrupt
// Controller"), in xAPIC mode: a 4 KiB page of 32-bit registers at IA32_APIC_BASE (0xFEE00000
// after reset), window 0 of this device, accessed as dwords at 16-byte aligned offsets.
//
//   020 ID (31:24)          030 version (RO)      080 TPR           090 APR (RO)   0A0 PPR (RO)
//   0B0 EOI (WO)            0D0 LDR (31:24)       0E0 DFR (31:28)   0F0 SVR
//   100-170 ISR             180-1F0 TMR           200-270 IRR       280 ESR
//   300/310 ICR low/high    320 LVT timer         330 thermal       340 performance counters
//   350 LINT0               360 LINT1             370 LVT error
//   380 timer initial count 390 current count (RO) 3E0 divide configuration
//
// What it does: priorities (TPR, PPR, SDM 10.8.3), accepting fixed interrupts into IRR and
// delivering the highest above the processor priority at INTA, EOI (with the broadcast to the
// I/O APIC for level-triggered vectors, 10.8.5), the spurious vector and the software enable
// (10.9, 10.4.7), the timer in one-shot and periodic mode with its divider (10.5.4), counting at
// 1 GHz of the machine's Clock (the bus clock QEMU's APIC uses too, so guests that calibrate it
// see the same rate), LINT0 as ExtINT from the 8259 (the INTR and INTA of the PIC pass
// through), LINT1 as NMI, and IPIs to itself (ICR with the self and all-including-self
// shorthands, or its own ID). With one CPU, INIT and SIPI to others go nowhere.
// Not modelled: x2APIC, TSC-deadline mode (CPUID does not report either), the thermal and
// performance-counter sources (their LVT entries are stored), the error register's causes.
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "devices/devlog.h"
#include "memory/clock.h"
#include "memory/device.h"
#include "memory/irq.h"

namespace xlat {

class LocalApic : public Device, public IrqSink, public LocalApicPort {
public:
    explicit LocalApic(Clock& clock, const Tracer* tracer = nullptr);

    // The 8259 on LINT0: its INTR and INTA reach the CPU through here while LINT0 is an
    // unmasked ExtINT entry (or the APIC is globally disabled).
    void attach_extint(InterruptSource* pic);
    // An NMI for the CPU (LINT1 in NMI mode, an NMI IPI or redirection entry).
    std::function<void()> on_nmi;
    // EOI of a level-triggered vector: the I/O APIC clears its remote IRR (10.8.5).
    std::function<void(uint8_t vector)> on_eoi_broadcast;
    // The physical address window moved or was enabled/disabled (IA32_APIC_BASE): the machine
    // moves the MMIO region.
    std::function<void(uint32_t base, bool enabled)> on_base_change;

    // An interrupt message (from the I/O APIC or an IPI): fixed and lowest-priority set IRR
    // (and TMR for level), NMI calls on_nmi, ExtINT takes the 8259's vector at INTA.
    enum DeliveryMode : uint8_t { kFixed = 0, kLowest = 1, kSmi = 2, kNmi = 4, kInit = 5, kStartup = 6, kExtInt = 7 };
    void deliver(uint8_t vector, uint8_t mode, bool level);
    // Whether a message for `dest` in physical or logical destination mode is for this APIC.
    bool matches(uint8_t dest, bool logical) const;

    // IrqSink: the LINT0 (pin 0) and LINT1 (pin 1) pins, for wires other than the 8259's INTR.
    void set_irq(unsigned pin, bool level) override;
    // InterruptSource: the CPU's INTR and INTA.
    bool intr() const override;
    uint8_t acknowledge() override;
    // LocalApicPort.
    void apic_base_written(uint64_t value) override;
    uint8_t apic_id() const override { return uint8_t(id_ >> 24); }

    const char* name() const override { return "lapic"; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override;

    // For tests and monitors.
    bool software_enabled() const { return svr_ & kSvrEnable; }
    bool globally_enabled() const { return apic_base_ & kBaseEnable; }
    bool in_irr(uint8_t v) const { return test(irr_, v); }
    bool in_isr(uint8_t v) const { return test(isr_, v); }
    bool in_tmr(uint8_t v) const { return test(tmr_, v); }
    uint32_t ppr() const;

    static constexpr uint64_t kDefaultBase = 0xFEE00000u;
    static constexpr uint64_t kBaseEnable = 1u << 11, kBaseBsp = 1u << 8;
    static constexpr uint32_t kSvrEnable = 1u << 8;
    static constexpr uint32_t kLvtMasked = 1u << 16;
    enum Lvt : unsigned { kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError, kLvtCount };

private:
    using Bits = std::array<uint32_t, 8>;
    static bool test(const Bits& b, uint8_t v) { return b[v >> 5] >> (v & 31) & 1; }
    static void set(Bits& b, uint8_t v, bool on) {
        if (on) b[v >> 5] |= 1u << (v & 31);
        else b[v >> 5] &= ~(1u << (v & 31));
    }
    static int highest(const Bits& b);  // the highest vector set, or -1

    // The highest IRR vector the CPU may take now (above PPR, APIC software-enabled), or -1.
    int deliverable() const;
    // Whether the 8259's INTR is what the CPU sees on LINT0 now.
    bool extint_open() const;
    // Something may have become deliverable: wake the CPU.
    void update() {
        if (deliverable() >= 0) intr_raised();
    }
    void accept(uint8_t vector, bool level);
    void eoi();
    void write_icr(uint32_t low);
    void write_lvt(unsigned i, uint32_t v);
    void lint(unsigned pin, bool level, bool edge);

    // The timer (10.5.4): the count runs from `timer_start_` at one tick per 2^shift ns.
    unsigned timer_shift() const;
    bool timer_periodic() const { return (lvt_[kLvtTimer] >> 17 & 3) == 1; }
    uint32_t current_count() const;
    void timer_restart(uint64_t start);  // schedules the next expiry from timer_start_
    void timer_fired(uint64_t deadline);

    Clock& clock_;
    OnceLog log_;
    InterruptSource* pic_ = nullptr;
    ClockEvent timer_event_;

    // State (the list in describe_state).
    uint64_t apic_base_ = kDefaultBase | kBaseEnable | kBaseBsp;
    uint32_t id_ = 0;           // bits 31:24
    uint32_t tpr_ = 0;
    uint32_t ldr_ = 0;
    uint32_t dfr_ = 0xFFFFFFFFu;
    uint32_t svr_ = 0xFF;
    uint32_t esr_ = 0;
    uint32_t icr_low_ = 0, icr_high_ = 0;
    uint32_t lvt_[kLvtCount] = {};
    uint32_t timer_initial_ = 0;
    uint32_t timer_divide_ = 0;  // the divide configuration register as written
    uint64_t timer_start_ = 0;   // when the count was last loaded (ns of the Clock)
    bool timer_running_ = false; // one-shot: until the count reaches 0
    uint8_t lint_level_ = 0;     // LINT0/LINT1 input levels (bits 0 and 1)
    Bits irr_{}, isr_{}, tmr_{};
};

} // namespace xlat
