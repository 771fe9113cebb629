#include "memory/iobus.h"

#include <stdexcept>

namespace xlat {

IoBus::IoBus() : slot_(0x10000, 0), devices_{nullptr}, reported_(0x10000, 0) {}

void IoBus::claim(uint16_t first, uint16_t count, Device* dev) {
    for (uint32_t p = first; p < uint32_t(first) + count; ++p)
        if (slot_[p & 0xFFFF]) throw std::invalid_argument(std::string(dev->name()) + ": port already claimed");
    // A device that claims again (a PCI function whose I/O base moved) keeps its slot.
    size_t index = 1;
    while (index < devices_.size() && devices_[index] != dev) ++index;
    if (index == devices_.size()) {
        if (devices_.size() >= 255) throw std::length_error("too many port devices");
        devices_.push_back(dev);
    }
    for (uint32_t p = first; p < uint32_t(first) + count; ++p) slot_[p & 0xFFFF] = uint8_t(index);
}

void IoBus::release(uint16_t first, uint16_t count, Device* dev) {
    for (uint32_t p = first; p < uint32_t(first) + count; ++p)
        if (devices_[slot_[p & 0xFFFF]] == dev) slot_[p & 0xFFFF] = 0;
}

uint32_t IoBus::read(uint16_t port, unsigned size) {
    if (Device* d = devices_[slot_[port]]) return d->io_read(port, size);
    if (!reported_[port] && on_unclaimed) { reported_[port] = 1; on_unclaimed(on_unclaimed_ctx, port, false); }
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

void IoBus::write(uint16_t port, unsigned size, uint32_t value) {
    if (Device* d = devices_[slot_[port]]) { d->io_write(port, size, value); return; }
    if (!reported_[port] && on_unclaimed) { reported_[port] = 1; on_unclaimed(on_unclaimed_ctx, port, true); }
}

} // namespace xlat
