// The I/O port bus and the device interface it calls: the bus layer, below cpu/ (which does IN
// and OUT through it) and devices/ (which implement Device).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xlat {

// One chip or peripheral. Ports are claimed on the IoBus; accesses arrive with their size (1, 2
// or 4 bytes). A device with timed events reports when the next one is due (in nanoseconds of
// guest time; kNever when none) and is called back then.
class Device {
public:
    static constexpr uint64_t kNever = ~0ull;
    virtual ~Device() = default;
    virtual const char* name() const = 0;
    virtual void reset() {}
    virtual uint32_t io_read(uint16_t port, unsigned size) {
        (void)port;
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    virtual void io_write(uint16_t port, unsigned size, uint32_t value) { (void)port, (void)size, (void)value; }
    virtual uint64_t next_event_ns() const { return kNever; }
    virtual void on_event(uint64_t now_ns) { (void)now_ns; }
};

// Port address space: 64 Ki byte-wide ports. A 16- or 32-bit access goes to the device that owns
// its first port; reads of unclaimed ports return all ones and writes to them are dropped (each
// unclaimed port is logged once when the "io" trace is on).
class IoBus {
public:
    IoBus();
    void claim(uint16_t first, uint16_t count, Device* dev);
    // Gives back the ports of [first, first + count) that `dev` owns (PCI BARs move).
    void release(uint16_t first, uint16_t count, Device* dev);
    uint32_t read(uint16_t port, unsigned size);
    void write(uint16_t port, unsigned size, uint32_t value);
    Device* owner(uint16_t port) const { return devices_[slot_[port]]; }
    // Called once per unclaimed port touched (for the "io" trace); may be empty.
    void (*on_unclaimed)(void* ctx, uint16_t port, bool write) = nullptr;
    void* on_unclaimed_ctx = nullptr;

private:
    std::vector<uint8_t> slot_;          // port -> index into devices_ (0: nobody)
    std::vector<Device*> devices_;
    std::vector<uint8_t> reported_;      // unclaimed ports already reported
};

} // namespace xlat
