// The MultiProcessor Specification tables (Intel MP spec 1.4, chapter 4) a direct kernel boot
// leaves in the BIOS area, as SeaBIOS does on QEMU's pc: the floating pointer structure ("_MP_")
// and the configuration table ("PCMP") it points at, naming the one processor and its local
// APIC, the PCI and ISA buses, the I/O APIC and where each interrupt source reaches it. A kernel
// that does not use ACPI (acpi=off, older systems) finds the APICs there.
#pragma once
#include <cstdint>
#include <vector>

namespace xlat {

// An interrupt source on PCI bus 0: the function's device/function number, its INTx pin (1-4)
// and the ISA IRQ (= I/O APIC input) it is routed to.
struct MpPciIrq {
    uint8_t devfn, pin, irq;
};

struct MpSetup {
    std::vector<MpPciIrq> pci;
    uint32_t cpu_signature = 0x652;  // CPUID leaf 1 EAX
    uint32_t cpu_features = 0;       // CPUID leaf 1 EDX
};

// The floating pointer at `base` (16-byte aligned) and the configuration table after it.
std::vector<uint8_t> mp_tables(const MpSetup& setup, uint32_t base);

} // namespace xlat
