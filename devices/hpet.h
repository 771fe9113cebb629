// The High Precision Event Timer (IA-PC HPET specification 1.0a, Intel 2004), as QEMU's pc has
// one: a 64-bit main counter at 100 MHz and three comparators, in a 1 KiB block at 0xFED00000.
// Registers (section 2.3; 64 bits wide, reached as 32-bit halves or whole):
//   000h  General Capabilities and ID (RO): 7:0 revision 1, 12:8 last timer 2, 13 64-bit counter,
//         15 legacy replacement capable, 31:16 vendor 8086h, 63:32 tick period 10^7 fs (10 ns)
//   010h  General Configuration: 0 ENABLE_CNF (the counter runs and timers interrupt),
//         1 LEG_RT_CNF (legacy replacement: timer 0 drives IRQ0, timer 1 IRQ8)
//   020h  General Interrupt Status: bit n is timer n's level-triggered interrupt, active;
//         writing 1 clears it (edge-triggered interrupts leave it 0)
//   0F0h  Main Counter Value: writable (software halts the counter first)
//   100h + 20h*n  Timer n Configuration and Capabilities:
//         1 Tn_INT_TYPE_CNF (1 level), 2 Tn_INT_ENB_CNF, 3 Tn_TYPE_CNF (1 periodic),
//         4 Tn_PER_INT_CAP (RO 1), 5 Tn_SIZE_CAP (RO 1: 64-bit), 6 Tn_VAL_SET_CNF,
//         8 Tn_32MODE_CNF, 13:9 Tn_INT_ROUTE_CNF, 14 Tn_FSB_EN_CNF and 15 Tn_FSB_INT_DEL_CAP (0:
//         no FSB delivery), 63:32 Tn_INT_ROUTE_CAP (RO: I/O APIC inputs the timer may drive)
//   108h + 20h*n  Timer n Comparator Value
//   110h + 20h*n  Timer n FSB route (no FSB delivery here: reads 0)
// A timer interrupts when the main counter equals its comparator (the low 32 bits of each in
// 32-bit mode). A one-shot timer then matches again only after the counter wraps; a periodic
// timer adds its period (the last value software wrote to the comparator) to the comparator.
// Time is the machine's Clock, which the TSC, the PIT and the PM timer read too; each timer is a
// ClockEvent at its next match, armed only while it can interrupt, so an idle HPET costs nothing.
#pragma once
#include <cstdint>
#include <functional>

#include "devices/devlog.h"
#include "memory/clock.h"
#include "memory/device.h"
#include "memory/irq.h"

namespace xlat {

class Hpet : public Device {
public:
    static constexpr uint32_t kBase = 0xFED00000u, kSize = 0x400;
    static constexpr unsigned kTimers = 3;
    static constexpr uint64_t kTickNs = 10;  // 100 MHz, as QEMU's
    static constexpr uint32_t kPeriodFs = 10000000;
    // The capabilities' low half: the Event Timer Block ID that the ACPI HPET table repeats.
    static constexpr uint32_t kId = 0x8086u << 16 | 1u << 15 | 1u << 13 | (kTimers - 1) << 8 | 0x01;
    // The I/O APIC inputs a timer may be routed to outside legacy replacement: input 2 only,
    // as on QEMU's i440FX machine.
    static constexpr uint32_t kRouteCap = 1u << 2;

    // General configuration bits.
    static constexpr uint64_t kEnable = 1, kLegacy = 2;
    // Timer configuration bits.
    static constexpr uint64_t kLevel = 1u << 1, kIntEnable = 1u << 2, kPeriodic = 1u << 3, kPeriodicCap = 1u << 4,
                              kSize64Cap = 1u << 5, kValSet = 1u << 6, kMode32 = 1u << 8, kRouteShift = 9,
                              kRouteMask = 0x1Fu << 9;

    Hpet(Clock& clock, const Tracer* tracer = nullptr);

    // Where interrupts go. `routed` takes Tn_INT_ROUTE_CNF (an I/O APIC input); in legacy
    // replacement `legacy` takes timer 0 on pin 0 (ISA IRQ0) and timer 1 on pin 8 (IRQ8).
    IrqSink* routed = nullptr;
    IrqSink* legacy = nullptr;
    // LEG_RT_CNF changed (with the counter enabled): the PIT's and the RTC's IRQs are cut off while
    // it is set (spec 2.3.8: "the 8254 timer will not cause any interrupts", nor the RTC).
    std::function<void(bool)> on_legacy;
    bool legacy_mode() const { return (config_ & (kEnable | kLegacy)) == (kEnable | kLegacy); }

    const char* name() const override { return "hpet"; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override;

    // The main counter now (tests).
    uint64_t counter() const;

private:
    struct Timer {
        uint64_t config = 0, cmp = 0, period = 0;
        // The counter value from which the comparator was last compared while the timer was not
        // armed (periodic timers catch up from there when they are armed again).
        uint64_t idle_from = 0;
        // The counter value of the last match, while the comparator has not been written since:
        // a timer armed again at that count waits for the next match instead of repeating it.
        uint64_t last_match = 0;
        bool matched = false;
        // What its interrupt output drives now: the sink and pin, and the level.
        IrqSink* out_sink = nullptr;
        unsigned out_pin = 0;
        bool out_level = false;
    };
    uint64_t read64(uint32_t reg);
    void write64(uint32_t reg, uint64_t value, uint64_t mask);
    bool mode32(const Timer& t) const { return t.config & kMode32; }
    // Counts from the counter value `from` to the next match of timer n's comparator (0: it
    // matches at `from`).
    uint64_t ticks_to_match(unsigned n, uint64_t from) const;
    // Arms (or disarms) timer n's event from its registers; a periodic timer that was idle first
    // steps its comparator past the matches it missed.
    void arm(unsigned n);
    void catch_up(unsigned n);
    // Timer n's event: its match at `deadline`.
    void fire(unsigned n, uint64_t deadline);
    // Drives timer n's output from the status, configuration and legacy replacement.
    void update_output(unsigned n, bool edge);

    Clock& clock_;
    OnceLog log_;
    ClockEvent events_[kTimers];
    // State.
    uint64_t config_ = 0;
    uint64_t isr_ = 0;
    uint64_t count_base_ = 0;  // the counter at time_base_ (halted: the counter)
    uint64_t time_base_ = 0;   // ns
    Timer timers_[kTimers];
};

} // namespace xlat
