// PCI (Local Bus Specification 2.1/2.2 and 3.0, chapter 6: configuration space):
//   PciFunction     one function's 256-byte configuration space, with per-byte masks of the bits
//                   software may write and of the bits it clears by writing 1, and up to six BARs
//   PciBus          bus 0: the functions by device and function number, and the INTx wires from
//                   the functions to the four PIRQ lines of the ISA bridge
//   PciHostPorts    configuration mechanism #1 (PCI 2.1 section 3.7.4.1): CONFIG_ADDRESS at 0xCF8
//                   (dword accesses only) and CONFIG_DATA at 0xCFC-0xCFF (any size)
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "devices/devlog.h"
#include "devices/port_device.h"

namespace xlat {

class PciBus;

// Standard header offsets (type 0).
enum PciReg : uint8_t {
    kPciVendor = 0x00,
    kPciDevice = 0x02,
    kPciCommand = 0x04,
    kPciStatus = 0x06,
    kPciRevision = 0x08,
    kPciClass = 0x09,  // 3 bytes: programming interface, subclass, class
    kPciCacheLine = 0x0C,
    kPciLatency = 0x0D,
    kPciHeaderType = 0x0E,
    kPciBar0 = 0x10,
    kPciSubVendor = 0x2C,
    kPciRomBar = 0x30,
    kPciIntLine = 0x3C,
    kPciIntPin = 0x3D,
};

// Command register bits (PCI 3.0 section 6.2.2).
enum PciCommand : uint16_t {
    kPciCmdIo = 1u << 0,
    kPciCmdMemory = 1u << 1,
    kPciCmdMaster = 1u << 2,
    kPciCmdParity = 1u << 6,
    kPciCmdSerr = 1u << 8,
    kPciCmdIntxDisable = 1u << 10,
};

enum class BarKind : uint8_t { None, Io, Mem32, Mem32Prefetch };

// A function is a Device for its state list (the configuration space; derived functions add
// their own registers); its registers are reached through PciBus, not through a bus window.
class PciFunction : public Device {
public:
    // class_code: class << 16 | subclass << 8 | programming interface.
    PciFunction(const char* name, uint16_t vendor, uint16_t device, uint8_t revision, uint32_t class_code,
                bool multifunction = false);
    PciFunction(const PciFunction&) = delete;
    PciFunction& operator=(const PciFunction&) = delete;

    const char* name() const override { return name_; }
    void set_tracer(const Tracer* t) { log_.set_tracer(t); }
    // Accesses of 1, 2 or 4 bytes; an access past offset 0xFF reads 0xFF bytes / drops bytes.
    uint32_t config_read(uint8_t offset, unsigned size);
    void config_write(uint8_t offset, unsigned size, uint32_t value);
    // Back to the power-on configuration (derived classes also reset their other state).
    void reset() override;
    // The state list: the 256 bytes of configuration space as software sees them (what the
    // masks allow is fixed by the function's kind). Derived functions add their registers and
    // rebuild what the loaded bytes imply (mappings, routes) in post_load.
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override { out.bytes("config", config_.data(), uint32_t(config_.size())); }

    // A BAR's current base address (type bits masked off), and whether the function decodes it
    // (the command register's I/O or memory enable is set and the BAR is defined).
    uint32_t bar_address(unsigned i) const;
    bool bar_enabled(unsigned i) const;
    uint32_t bar_size(unsigned i) const { return bars_[i].size; }
    BarKind bar_kind(unsigned i) const { return bars_[i].kind; }

    uint8_t config8(uint8_t off) const { return config_[off]; }
    uint16_t config16(uint8_t off) const { return uint16_t(config_[off] | config_[uint8_t(off + 1)] << 8); }
    uint32_t config32(uint8_t off) const { return uint32_t(config16(off)) | uint32_t(config16(uint8_t(off + 2))) << 16; }

    // Drives this function's INTx# pin (the one in its Interrupt Pin register) through the bus.
    void set_intx(bool level);
    bool intx_level() const { return intx_; }

    // Set by PciBus::attach.
    PciBus* bus = nullptr;
    uint8_t devfn = 0;

protected:
    // Fills the device-specific power-on registers and masks (the IDs and the standard masks are
    // already set when it runs).
    virtual void init_config() = 0;
    // Called after a configuration write changed bytes [offset, offset + size).
    virtual void config_written(uint8_t offset, unsigned size) { (void)offset, (void)size; }
    // Lets a function compute a register on read (the default returns the stored bytes).
    virtual uint8_t config_byte(uint8_t offset) { return config_[offset]; }

    // Power-on value and masks of one register of `size` bytes.
    void set_reg(uint8_t off, unsigned size, uint32_t value, uint32_t wmask = 0, uint32_t w1cmask = 0);
    // Declares BAR i: size a power of two (at least 16 for memory, 4 for I/O).
    void define_bar(unsigned i, BarKind kind, uint32_t size);
    void store(uint8_t off, unsigned size, uint32_t value);  // sets bytes, ignoring the masks

    std::array<uint8_t, 256> config_{};
    std::array<uint8_t, 256> wmask_{};  // bits software may write
    std::array<uint8_t, 256> w1c_{};    // bits software clears by writing 1 (status bits)
    OnceLog log_;

private:
    struct Bar {
        BarKind kind = BarKind::None;
        uint32_t size = 0;
    };
    const char* name_;
    uint16_t vendor_, device_;
    uint8_t revision_;
    uint32_t class_code_;
    bool multifunction_;
    std::array<Bar, 6> bars_{};
    bool intx_ = false;  // the level this function drives on its INTx# pin
};

// Bus 0. Functions are attached at (device, function); an empty slot reads as all ones.
class PciBus {
public:
    void attach(unsigned device, unsigned function, PciFunction* fn);
    PciFunction* function(uint8_t devfn) const { return functions_[devfn]; }
    uint32_t config_read(uint8_t devfn, uint8_t offset, unsigned size);
    void config_write(uint8_t devfn, uint8_t offset, unsigned size, uint32_t value);
    void reset();

    // INTx routing on the i440FX/PIIX3 board: INTA-INTD of the device in slot S reach PIRQ
    // (pin - 1 + S - 1) mod 4, the rotation QEMU's pc board uses and SeaBIOS's tables assume.
    static unsigned pirq_of(uint8_t devfn, unsigned pin) { return (pin - 1 + (devfn >> 3) - 1) & 3; }
    // Who receives the PIRQ levels (the PIIX3 ISA bridge's router).
    std::function<void(unsigned pirq, bool level)> pirq_sink;
    // Called by PciFunction::set_intx.
    void intx_changed(uint8_t devfn, unsigned pin, bool level);

private:
    std::array<PciFunction*, 256> functions_{};
    std::array<uint8_t, 4> pirq_count_{};  // functions asserting each PIRQ (the wires are shared)
};

// Configuration mechanism #1. Byte and word accesses to 0xCF8-0xCFB are not CONFIG_ADDRESS (PCI
// 2.1 section 3.7.4.1): they pass to `isa_ports` (the PIIX3's reset control register at 0xCF9).
class PciHostPorts : public PortDevice {
public:
    explicit PciHostPorts(PciBus& bus) : bus_(bus) {}
    const char* name() const override { return "pci-host"; }
    void reset() override { address_ = 0; }
    uint32_t io_read(uint16_t port, unsigned size) override;
    void io_write(uint16_t port, unsigned size, uint32_t value) override;
    uint32_t config_address() const { return address_; }
    PortDevice* isa_ports = nullptr;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override { out.u32("config_address", address_); }
    void post_load() override { address_ &= 0x80FFFFFCu; }

private:
    PciBus& bus_;
    // State.
    uint32_t address_ = 0;  // CONFIG_ADDRESS: enable (31), bus (23:16), device (15:11), function (10:8), register (7:2)
};

} // namespace xlat
