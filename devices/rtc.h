// The Motorola MC146818A real-time clock and its CMOS RAM (datasheet; the PC layout of the CMOS
// bytes from the IBM PC AT technical reference, as SeaBIOS and QEMU use it).
//
// Ports (window 0): 0x70 index (bits 6:0) and NMI mask (bit 7, 1 = NMI masked), write-only;
// 0x71 the register at the index.
//   00-09  seconds, alarm seconds, minutes, alarm minutes, hours, alarm hours, day of week
//          (1 = Sunday), day of month, month, year (00-99); BCD or binary by register B's DM,
//          hours 0-23 or 1-12 with bit 7 = PM by register B's 24/12
//   0A     register A: UIP (bit 7, read-only: an update is less than 244 us away), DV2-0
//          (6:4), RS3-0 (3:0, the periodic interrupt rate)
//   0B     register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary), 24/12 (1 = 24 h), DSE
//   0C     register C, read-only, cleared by reading: IRQF, PF, AF, UF
//   0D     register D: VRT (bit 7, the battery is fine)
//   0E-7F  CMOS RAM (the machine writes memory size and equipment bytes there)
// IRQ8 (an edge on the slave PIC) rises when IRQF does and falls when register C is read.
//
// The time is not ticked: the chip keeps its time as an offset from the machine's Clock and
// computes the registers when they are read. Update-ended and alarm interrupts are clock
// events at the second boundaries while UIE or AIE is set, periodic interrupts a clock event
// per period while PIE is set; the flags are computed from the clock when register C is read.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>

#include "memory/clock.h"
#include "memory/device.h"
#include "memory/irq.h"

namespace xlat {

class Rtc146818 : public Device {
public:
    // `start`: the RTC's time (seconds since 1970, in the zone the guest should see) when the
    // machine's clock reads 0.
    // `start` seconds and `start_ns` nanoseconds since 1970 at the clock's present reading: the
    // seconds tick over when the host's do (with the host's time as start), so a guest that
    // reads the RTC is off by less than a second, as on a PC.
    Rtc146818(Clock& clock, int64_t start, uint32_t start_ns = 0);
    IrqLine irq8;

    uint8_t& cmos(unsigned i) { return ram_[i & 0x7F]; }  // for the machine's memory-size bytes
    bool nmi_masked() const { return nmi_masked_; }
    int64_t seconds() const;  // the RTC's current time, seconds since 1970

    const char* name() const override { return "rtc"; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override { update_irq(); }

private:
    static constexpr uint64_t kSecond = 1000000000ull;
    uint64_t rtc_ns(uint64_t now) const { return now + uint64_t(offset_ns_); }
    uint64_t periodic_ns() const;  // 0: RS = 0, no periodic interrupt
    void fill_time(int64_t secs);  // writes registers 0, 2, 4, 6-9 from a time
    int64_t parse_time() const;    // the time registers 0, 2, 4, 7-9 hold
    void collect(uint64_t now);    // sets PF, UF, AF for what happened since last time
    bool alarm_matches(int64_t secs) const;
    void update_irq();
    void schedule();
    void on_update(uint64_t due);
    void on_periodic(uint64_t due);
    uint8_t to_reg(unsigned v) const;
    unsigned from_reg(uint8_t v) const;

    Clock& clock_;
    ClockEvent update_event_, periodic_event_;

    uint8_t ram_[128] = {};    // registers 00-0D and the CMOS bytes
    uint8_t index_ = 0;
    bool nmi_masked_ = false;
    int64_t offset_ns_ = 0;    // RTC time in ns since 1970 minus the clock's reading
    uint64_t collected_ = 0;   // clock time up to which PF/UF/AF are accounted for
    uint64_t divider_ns_ = 0;  // clock time the periodic divider started (register A written)
};

// Parses -rtc base=utc|localtime|DATE (DATE: 2006-06-17T16:01:21 or 2006-06-17) into the RTC's
// start time in seconds; throws std::invalid_argument with a message naming what is wrong. For
// the host's time, *phase_ns (when given) receives the nanoseconds past that second (0 for a DATE).
int64_t rtc_start_time(const std::string& base, uint32_t* phase_ns = nullptr);

// The RTC's start with --icount when -rtc does not say (the -rtc base= spelling). Everything else
// the guest reads of time (TSC, PIT, HPET, PM timer, APIC timer, the RTC's own ticking) follows
// the instruction count there; a start at the host's time of day was the one value that still
// came from the host: Linux mixes it into its random pool at boot, and its wait for the RTC's
// update (whose phase was the host's nanoseconds) took a different number of instructions each
// run. `-rtc base=utc` still asks for the host's time.
constexpr const char* kIcountRtcBase = "2026-01-01T00:00:00";

} // namespace xlat
