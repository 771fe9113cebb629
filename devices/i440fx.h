// The Intel 440FX PCI and memory controller's host bridge (PMC, 8086:1237; 440FX PCIset
// datasheet, order 290549, section 3.2): device 0 function 0 of bus 0. What firmware programs
// here is stored: the PAM registers that steer reads and writes of 0xC0000-0xFFFFF to DRAM or to
// the ROM on PCI, and the SMRAM control register. What PAM does to the memory map is the machine's
// business: it registers on_map_change and asks pam() for each segment.
#pragma once
#include <functional>

#include "devices/pci.h"

namespace xlat {

class I440fxHost : public PciFunction {
public:
    I440fxHost() : PciFunction("i440fx", 0x8086, 0x1237, 0x02, 0x060000) { reset(); }

    enum : uint8_t { kPam0 = 0x59, kPam6 = 0x5F, kSmram = 0x72 };
    // SMRAM register bits (datasheet 3.2.27).
    enum : uint8_t { kSmramDOpen = 0x40, kSmramDCls = 0x20, kSmramDLck = 0x10, kSmramGSmrame = 0x08, kSmramCBase = 0x07 };

    // Where accesses to the BIOS area address `addr` (0xC0000-0xFFFFF) go: the PAM field of its
    // segment (0xF0000-0xFFFFF is one 64 KiB segment, the rest 16 KiB ones), bit 0 reads from
    // DRAM (else from PCI, the ROM), bit 1 writes to DRAM (else to PCI).
    struct PamAccess {
        bool read_ram;
        bool write_ram;
    };
    PamAccess pam(uint32_t addr) const;
    uint8_t smram() const { return config_[kSmram]; }

    // Called after a write changed a PAM register or SMRAM (the memory map must follow).
    std::function<void()> on_map_change;
    // After a load: the SMRAM lock (which decides what software may write) and the memory map.
    void post_load() override;

protected:
    void init_config() override;
    void config_written(uint8_t offset, unsigned size) override;

private:
    std::array<uint8_t, 8> map_regs_{};  // PAM0-6 and SMRAM as last reported, to detect changes
};

} // namespace xlat
