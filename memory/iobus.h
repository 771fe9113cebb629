// The I/O port bus: 64 Ki byte-wide ports in windows claimed by devices (memory/device.h). The
// bus layer, below cpu/ (which does IN and OUT through it) and devices/ (which claim ports).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "memory/device.h"
#include "memory/trace.h"

namespace xlat {

// An access inside one window is split or widened to the sizes the window declares; an access
// that runs past the end of its window (a 16-bit IN at the last port of a device) goes byte by
// byte to whoever owns each port. Reads of unclaimed ports return all ones and writes to them
// are dropped. The "io" trace shows every access, whole, with the device that owns the port.
class IoBus {
public:
    IoBus();
    // Claims ports [first, first+count) for `dev`, which sees them as window `id` at offsets
    // 0..count-1, in accesses of min_size to max_size bytes; with `aligned`, an access not
    // naturally aligned within the window is dropped (a read gives all ones). Throws std::invalid_argument when a
    // port is taken already.
    void claim(uint16_t first, uint16_t count, Device* dev, unsigned id = 0, unsigned min_size = 1,
               unsigned max_size = 4, bool aligned = false);
    // Gives back the ports of [first, first + count) that `dev` owns (a PCI function's I/O base moves).
    void release(uint16_t first, uint16_t count, Device* dev);
    uint32_t read(uint16_t port, unsigned size);
    void write(uint16_t port, unsigned size, uint32_t value);
    Device* owner(uint16_t port) const { return windows_[slot_[port]].dev; }
    // Called once per unclaimed port touched; may be empty.
    void (*on_unclaimed)(void* ctx, uint16_t port, bool write) = nullptr;
    void* on_unclaimed_ctx = nullptr;
    // The machine's tracer: every access, whole, on the "io" trace (null: none).
    const Tracer* tracer = nullptr;

private:
    uint32_t read_split(uint16_t port, unsigned size);
    void write_split(uint16_t port, unsigned size, uint32_t value);
    void trace_access(uint16_t port, unsigned size, uint32_t value, bool write) const;
    std::vector<uint16_t> slot_;  // port -> index into windows_ (0: nobody)
    std::vector<Window> windows_;
    std::vector<uint8_t> reported_;  // unclaimed ports already reported
};

} // namespace xlat
