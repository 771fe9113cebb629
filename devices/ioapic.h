// The I/O APIC (Intel 82093AA datasheet, order 290566; the PIIX3-era part QEMU models too) at
// 0xFEC00000: 24 interrupt inputs, each with a 64-bit redirection table entry that turns the
// input into a message for the local APICs. Window 0, dword accesses:
//   00h IOREGSEL   the index of the register that IOWIN reaches
//   10h IOWIN      00h ID (bits 27:24), 01h version (RO: 20h, 23 = max redirection entry),
//                  02h arbitration ID (RO), 10h + 2n / 11h + 2n entry n low / high
//   40h EOI        clears remote IRR by vector: the register of the version-20h I/O APICs
//                  (ICH and later) that QEMU's reports too; the 82093AA (version 11h) lacks it.
//                  Linux then ends level interrupts by writing it instead of toggling the
//                  entry's trigger mode.
// Entry bits: 7:0 vector, 10:8 delivery mode, 11 destination mode (1 logical), 12 delivery status
// (RO), 13 polarity (1 active low), 14 remote IRR (RO), 15 trigger (1 level), 16 mask, 63:56
// destination. An edge-triggered input sends one message per assertion; a level-triggered one
// sends a message while asserted and sets remote IRR until the local APIC's EOI for its vector
// comes back (eoi()), then sends again if the input is still asserted.
#pragma once
#include <cstdint>
#include <functional>

#include "devices/devlog.h"
#include "memory/device.h"
#include "memory/irq.h"

namespace xlat {

class IoApic : public Device, public IrqSink {
public:
    static constexpr unsigned kPins = 24;
    static constexpr uint32_t kBase = 0xFEC00000u;
    explicit IoApic(const Tracer* tracer = nullptr) : log_(tracer) { reset(); }

    // Where messages go: the local APIC(s) whose destination matches.
    struct Message {
        uint8_t vector, mode;
        bool logical, level;
        uint8_t dest;
    };
    std::function<void(const Message&)> send;

    // IrqSink: input `pin` changed level (as the wire carries it; polarity applies here).
    void set_irq(unsigned pin, bool level) override;
    // The EOI broadcast of a local APIC for a level-triggered `vector`.
    void eoi(uint8_t vector);

    const char* name() const override { return "ioapic"; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;

    // For tests.
    uint64_t entry(unsigned pin) const { return redir_[pin]; }

    static constexpr uint64_t kMasked = 1u << 16, kLevel = 1u << 15, kRemoteIrr = 1u << 14,
                              kActiveLow = 1u << 13, kLogical = 1u << 11;

private:
    bool asserted(unsigned pin) const { return ((pins_ >> pin) & 1) != ((redir_[pin] & kActiveLow) != 0); }
    // Sends the message of `pin` if its entry lets it (unmasked, no remote IRR for level).
    void service(unsigned pin);

    OnceLog log_;
    // State.
    uint32_t select_ = 0;
    uint32_t id_ = 0;
    uint32_t pins_ = 0;  // input levels as the wires carry them (kept over reset())
    uint64_t redir_[kPins] = {};
};

} // namespace xlat
