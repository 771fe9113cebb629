// A device that thinks in port numbers: the chips written against the first, port-only Device
// interface (PCI host, PIIX, fw_cfg, ATA, 16550, 8042) keep their io_read/io_write(port, size)
// and reach the window interface of memory/device.h through this adapter, which claims each
// range with its first port as the window number. Accesses of 1 to 4 bytes arrive unsplit.
// next_event_ns/on_event are the devices' timed events, for a ClockEvent to drive (the PM
// timer's overflow; the UART has its own ClockEvent).
#pragma once
#include <cstdint>

#include "memory/device.h"
#include "memory/iobus.h"

namespace xlat {

class PortDevice : public Device {
public:
    static constexpr uint64_t kNever = ~0ull;
    virtual uint32_t io_read(uint16_t port, unsigned size) {
        (void)port;
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    virtual void io_write(uint16_t port, unsigned size, uint32_t value) { (void)port, (void)size, (void)value; }
    virtual uint64_t next_event_ns() const { return kNever; }
    virtual void on_event(uint64_t now_ns) { (void)now_ns; }

    uint32_t read(unsigned window, uint32_t offset, unsigned size) override {
        return io_read(uint16_t(window + offset), size);
    }
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override {
        io_write(uint16_t(window + offset), size, value);
    }
};

// Claims [first, first + count) for `dev` so that it sees port numbers.
inline void claim_ports(IoBus& io, uint16_t first, uint16_t count, PortDevice* dev) {
    io.claim(first, count, dev, first, 1, 4);
}

} // namespace xlat
