// The Intel 8254 programmable interval timer (datasheet, order 231164): three 16-bit counters
// fed by the PC's 1.193182 MHz clock. Counter 0's OUT drives IRQ0; counter 2's gate and output
// are bits 0 and 5 of port 0x61 (system control port B), whose bit 1 enables the speaker.
//
// Counting is not simulated tick by tick: a counter keeps the time its count was loaded, and
// its value and OUT are computed from the machine's Clock when read. Counter 0 schedules a
// ClockEvent at each change of OUT, which drives IRQ0, so a guest that programs 100 Hz costs
// 200 events a second and nothing in between.
//
// Ports: window 0 = 0x40-0x43 (counters 0-2, control word), window 1 = 0x61.
#pragma once
#include <cstdint>

#include "memory/clock.h"
#include "memory/device.h"
#include "memory/irq.h"

namespace xlat {

class Pit8254 : public Device {
public:
    static constexpr uint64_t kHz = 1193182;  // the PC's PIT input clock, 14.31818 MHz / 12

    explicit Pit8254(Clock& clock);
    IrqLine irq0;  // counter 0's OUT

    const char* name() const override { return "pit"; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override;

    // For tests: counter n's OUT and current count now.
    bool out(unsigned n) const { return out_at(ch_[n], clock_.now()); }
    uint16_t count(unsigned n) const { return count_at(ch_[n], clock_.now()); }

private:
    struct Channel {
        uint32_t reload = 0x10000;  // the count loaded, 1-65536 (0 written means 65536, 10000 in BCD)
        uint64_t load_ns = 0;       // when counting from `reload` began
        uint8_t mode = 0;           // 0-5
        uint8_t rw = 3;             // 1 LSB, 2 MSB, 3 LSB then MSB
        bool bcd = false;
        bool gate = true;
        bool counting = false;      // a count was written since the control word
        bool write_msb = false;     // the next byte written is the MSB (rw 3)
        bool read_msb = false;      // the next byte read is the MSB (rw 3)
        uint8_t write_lsb = 0;      // the LSB written, waiting for its MSB
        uint8_t latched = 0;        // bytes of a latched count still to read (0, 1 or 2)
        uint16_t latch = 0;         // the latched count
        bool status_latched = false;
        uint8_t status = 0;
        bool null_count = true;     // status bit 6: the count written is not in the counter yet
    };
    // Ticks of the 1.193182 MHz clock from `from` to `to` (ns).
    static uint64_t ticks(uint64_t from, uint64_t to);
    bool out_at(const Channel& c, uint64_t now) const;
    uint16_t count_at(const Channel& c, uint64_t now) const;
    // The time after `now` at which OUT next changes (Clock::kNever if it does not).
    uint64_t next_change(const Channel& c, uint64_t now) const;
    void load(unsigned n, uint32_t value);
    void control(uint8_t v);
    uint8_t read_counter(unsigned n);
    void write_counter(unsigned n, uint8_t v);
    void set_gate(unsigned n, bool gate);
    void schedule_irq0(uint64_t now);
    void on_irq0(uint64_t due);

    Clock& clock_;
    ClockEvent irq0_event_;
    Channel ch_[3];
    bool speaker_ = false;  // port 0x61 bit 1
};

} // namespace xlat
