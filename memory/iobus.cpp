#include "memory/iobus.h"

#include <stdexcept>

namespace xlat {

IoBus::IoBus() : slot_(0x10000, 0), windows_(1), reported_(0x10000, 0) {}

void IoBus::claim(uint16_t first, uint16_t count, Device* dev, unsigned id, unsigned min_size, unsigned max_size,
                  bool aligned) {
    if (windows_.size() >= 0xFFFF) throw std::length_error("too many port windows");
    if (count == 0 || uint32_t(first) + count > 0x10000)
        throw std::invalid_argument(std::string(dev->name()) + ": ports beyond 0xFFFF");
    for (uint32_t p = first; p < uint32_t(first) + count; ++p)
        if (slot_[p]) throw std::invalid_argument(std::string(dev->name()) + ": port already claimed");
    Window w;
    w.dev = dev;
    w.id = id;
    w.base = first;
    w.size = count;
    w.min_size = uint8_t(min_size);
    w.max_size = uint8_t(max_size);
    w.aligned = aligned;
    w.name = dev->name();
    windows_.push_back(std::move(w));
    for (uint32_t p = first; p < uint32_t(first) + count; ++p) slot_[p] = uint16_t(windows_.size() - 1);
}

void IoBus::release(uint16_t first, uint16_t count, Device* dev) {
    for (uint32_t p = first; p < uint32_t(first) + count && p < 0x10000; ++p)
        if (windows_[slot_[p]].dev == dev) slot_[p] = 0;
}

// The "io" trace: the access as the CPU (or whoever) made it, before any splitting.
void IoBus::trace_access(uint16_t port, unsigned size, uint32_t value, bool write) const {
    const Window& w = windows_[slot_[port]];
    tracer->log(kTraceIo, "%s %04x %s %0*x (%s)", write ? "out" : "in ", port, write ? "<-" : "->", int(2 * size),
                value, w.dev ? w.name.c_str() : "unclaimed");
}

uint32_t IoBus::read(uint16_t port, unsigned size) {
    if (tracer && tracer->on(kTraceIo)) {
        const uint32_t v = read_split(port, size);
        trace_access(port, size, v, false);
        return v;
    }
    return read_split(port, size);
}

void IoBus::write(uint16_t port, unsigned size, uint32_t value) {
    if (tracer && tracer->on(kTraceIo)) trace_access(port, size, size == 4 ? value : value & ((1u << (8 * size)) - 1), true);
    write_split(port, size, value);
}

uint32_t IoBus::read_split(uint16_t port, unsigned size) {
    const Window& w = windows_[slot_[port]];
    if (w.dev) {
        if (w.aligned && (port - w.base) % size) return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        if (port - w.base + size <= w.size) return window_read(w, port - w.base, size);
    } else if (size == 1) {
        if (!reported_[port] && on_unclaimed) { reported_[port] = 1; on_unclaimed(on_unclaimed_ctx, port, false); }
        return 0xFF;
    }
    // Past the window's end, or unclaimed: port by port.
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= read_split(uint16_t(port + i), 1) << (8 * i);
    return v;
}

void IoBus::write_split(uint16_t port, unsigned size, uint32_t value) {
    const Window& w = windows_[slot_[port]];
    if (w.dev) {
        if (w.aligned && (port - w.base) % size) return;
        if (port - w.base + size <= w.size) return window_write(w, port - w.base, size, value);
    } else if (size == 1) {
        if (!reported_[port] && on_unclaimed) { reported_[port] = 1; on_unclaimed(on_unclaimed_ctx, port, true); }
        return;
    }
    for (unsigned i = 0; i < size; ++i) write_split(uint16_t(port + i), 1, value >> (8 * i));
}

} // namespace xlat
