#include "devices/pci.h"

#include <stdexcept>
#include <string>

namespace xlat {

PciFunction::PciFunction(const char* name, uint16_t vendor, uint16_t device, uint8_t revision, uint32_t class_code,
                         bool multifunction)
    : name_(name), vendor_(vendor), device_(device), revision_(revision), class_code_(class_code),
      multifunction_(multifunction) {}

void PciFunction::reset() {
    set_intx(false);  // with the old configuration, which decides whether the bus saw the level
    config_.fill(0);
    wmask_.fill(0);
    w1c_.fill(0);
    bars_ = {};
    set_reg(kPciVendor, 2, vendor_);
    set_reg(kPciDevice, 2, device_);
    set_reg(kPciRevision, 1, revision_);
    set_reg(kPciClass, 3, class_code_);
    set_reg(kPciHeaderType, 1, multifunction_ ? 0x80 : 0x00);
    // Command: the enables software may set; status: the error bits it clears by writing 1
    // (PCI 3.0 sections 6.2.2 and 6.2.3); cache line size, latency timer, interrupt line are
    // plain read/write registers.
    set_reg(kPciCommand, 2, 0, kPciCmdIo | kPciCmdMemory | kPciCmdMaster | kPciCmdParity | kPciCmdSerr | kPciCmdIntxDisable);
    set_reg(kPciStatus, 2, 0, 0, 0xF900);
    set_reg(kPciCacheLine, 1, 0, 0xFF);
    set_reg(kPciLatency, 1, 0, 0xFF);
    set_reg(kPciIntLine, 1, 0, 0xFF);
    init_config();
}

void PciFunction::set_reg(uint8_t off, unsigned size, uint32_t value, uint32_t wmask, uint32_t w1cmask) {
    for (unsigned i = 0; i < size; ++i) {
        const uint8_t o = uint8_t(off + i);
        config_[o] = uint8_t(value >> (8 * i));
        wmask_[o] = uint8_t(wmask >> (8 * i));
        w1c_[o] = uint8_t(w1cmask >> (8 * i));
    }
}

void PciFunction::store(uint8_t off, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size; ++i) config_[uint8_t(off + i)] = uint8_t(value >> (8 * i));
}

void PciFunction::define_bar(unsigned i, BarKind kind, uint32_t size) {
    if (i >= 6 || size == 0 || (size & (size - 1)) || size < (kind == BarKind::Io ? 4u : 16u))
        throw std::invalid_argument(std::string(name_) + ": bad BAR definition");
    bars_[i] = {kind, size};
    // The address bits below the size read as zero whatever is written, so writing all ones and
    // reading back gives ~(size - 1) plus the type bits: how firmware sizes a BAR (PCI 3.0
    // section 6.2.5.1). Bit 0 is 1 for I/O; bits 2:1 = 00 (32-bit) and bit 3 prefetchable for memory.
    const uint32_t type = kind == BarKind::Io ? 0x1 : kind == BarKind::Mem32Prefetch ? 0x8 : 0x0;
    set_reg(uint8_t(kPciBar0 + 4 * i), 4, type, ~(size - 1));
}

uint32_t PciFunction::bar_address(unsigned i) const {
    const uint32_t raw = config32(uint8_t(kPciBar0 + 4 * i));
    return bars_[i].kind == BarKind::Io ? raw & ~3u : raw & ~15u;
}

bool PciFunction::bar_enabled(unsigned i) const {
    if (i >= 6 || bars_[i].kind == BarKind::None) return false;
    const uint16_t cmd = config16(kPciCommand);
    return bars_[i].kind == BarKind::Io ? (cmd & kPciCmdIo) : (cmd & kPciCmdMemory);
}

uint32_t PciFunction::config_read(uint8_t offset, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned o = offset + i;
        v |= uint32_t(o < 256 ? config_byte(uint8_t(o)) : 0xFF) << (8 * i);
    }
    return v;
}

void PciFunction::config_write(uint8_t offset, unsigned size, uint32_t value) {
    if (offset + size > 256) size = 256 - offset;
    const bool masked_before = config16(kPciCommand) & kPciCmdIntxDisable;
    for (unsigned i = 0; i < size; ++i) {
        const uint8_t o = uint8_t(offset + i);
        const uint8_t b = uint8_t(value >> (8 * i));
        uint8_t nv = uint8_t((config_[o] & ~wmask_[o]) | (b & wmask_[o]));
        nv = uint8_t(nv & ~(b & w1c_[o]));
        config_[o] = nv;
    }
    const bool masked_after = config16(kPciCommand) & kPciCmdIntxDisable;
    const unsigned pin = config_[kPciIntPin];
    if (masked_before != masked_after && intx_ && bus && pin >= 1 && pin <= 4)
        bus->intx_changed(devfn, pin, !masked_after);
    config_written(offset, size);
}

void PciFunction::set_intx(bool level) {
    if (level == intx_) return;
    intx_ = level;
    const unsigned pin = config_[kPciIntPin];
    // INTx# is masked by the command register's interrupt disable (PCI 3.0 section 6.2.2); the
    // function keeps its own level so that clearing the bit delivers a pending interrupt.
    if (bus && pin >= 1 && pin <= 4 && !(config16(kPciCommand) & kPciCmdIntxDisable))
        bus->intx_changed(devfn, pin, level);
}

void PciBus::attach(unsigned device, unsigned function, PciFunction* fn) {
    const unsigned devfn = device << 3 | function;
    if (device >= 32 || function >= 8 || functions_[devfn])
        throw std::invalid_argument(std::string(fn->name()) + ": PCI slot taken or invalid");
    functions_[devfn] = fn;
    fn->bus = this;
    fn->devfn = uint8_t(devfn);
}

uint32_t PciBus::config_read(uint8_t devfn, uint8_t offset, unsigned size) {
    if (PciFunction* f = functions_[devfn]) return f->config_read(offset, size);
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;  // master abort: all ones
}

void PciBus::config_write(uint8_t devfn, uint8_t offset, unsigned size, uint32_t value) {
    if (PciFunction* f = functions_[devfn]) f->config_write(offset, size, value);
}

void PciBus::reset() {
    for (PciFunction* f : functions_)
        if (f) f->reset();
}

void PciBus::intx_changed(uint8_t devfn, unsigned pin, bool level) {
    const unsigned pirq = pirq_of(devfn, pin);
    const bool before = pirq_count_[pirq] != 0;
    pirq_count_[pirq] = uint8_t(pirq_count_[pirq] + (level ? 1 : -1));
    const bool after = pirq_count_[pirq] != 0;
    if (before != after && pirq_sink) pirq_sink(pirq, after);
}

uint32_t PciHostPorts::io_read(uint16_t port, unsigned size) {
    const unsigned off = port & 7;
    if (off < 4) {
        if (off == 0 && size == 4) return address_;
        if (isa_ports) return isa_ports->io_read(port, size);
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    uint32_t v = 0;
    const unsigned reg = (address_ & 0xFC) | (off & 3);
    for (unsigned i = 0; i < size; ++i) {
        uint32_t b = 0xFF;
        // Only bus 0 exists (no PCI-to-PCI bridge); bytes past 0xCFF belong to other ports.
        if ((address_ & 0x80000000u) && ((address_ >> 16) & 0xFF) == 0 && (off & 3) + i < 4)
            b = bus_.config_read(uint8_t(address_ >> 8), uint8_t(reg + i), 1);
        v |= b << (8 * i);
    }
    if (tracing(kTracePci) && (address_ & 0x80000000u))
        trace_->log(kTracePci, "read  %02x:%02x.%u [%02x] size %u -> %0*x%s", (address_ >> 16) & 0xFF,
                    (address_ >> 11) & 0x1F, (address_ >> 8) & 7, reg, size, int(2 * size), v,
                    ((address_ >> 16) & 0xFF) == 0 && bus_.function(uint8_t(address_ >> 8)) ? "" : " (no function)");
    return v;
}

void PciHostPorts::io_write(uint16_t port, unsigned size, uint32_t value) {
    const unsigned off = port & 7;
    if (off < 4) {
        // Bits 30:24 and 1:0 of CONFIG_ADDRESS are reserved and read as 0 (440FX datasheet, CONFADD).
        if (off == 0 && size == 4) address_ = value & 0x80FFFFFCu;
        else if (isa_ports) isa_ports->io_write(port, size, value);
        return;
    }
    if (!(address_ & 0x80000000u) || ((address_ >> 16) & 0xFF) != 0) return;
    const unsigned in_reg = off & 3;
    if (in_reg + size > 4) size = 4 - in_reg;
    if (tracing(kTracePci))
        trace_->log(kTracePci, "write %02x:%02x.%u [%02x] size %u <- %0*x%s", 0u, (address_ >> 11) & 0x1F,
                    (address_ >> 8) & 7, (address_ & 0xFC) | in_reg, size, int(2 * size),
                    size == 4 ? value : value & ((1u << (8 * size)) - 1),
                    bus_.function(uint8_t(address_ >> 8)) ? "" : " (no function)");
    bus_.config_write(uint8_t(address_ >> 8), uint8_t((address_ & 0xFC) | in_reg), size, value);
}

} // namespace xlat
