// The ACPI tables a direct kernel boot hands the kernel (frontend/linux_boot.cpp), where no
// firmware writes them: RSDP -> RSDT -> FADT (-> FACS, DSDT), MADT and HPET, in the ACPI 1.0b
// layouts (section 5.2) with the DSDT in AML (chapter 16). They describe the board as
// frontend/pc_board.h builds it: the PIIX4 power management block (soft off, the PM timer, the
// SCI), the local APIC and the I/O APIC with the ISA interrupt overrides, the HPET, the PCI root
// with its windows and PIRQ links, and the ISA devices under the PIIX3.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xlat {

struct AcpiSetup {
    uint64_t ram_bytes = 0;  // RAM from 0; the PCI memory window starts at its end
    uint16_t pm_base = 0x600;  // the PIIX4 PM block (PMBA), where SeaBIOS puts it on QEMU's pc
};

// The tables as one block to be stored at `base` (16-byte aligned); the RSDP is its first
// 20 bytes, so a scan of the BIOS area finds it when `base` lies there.
std::vector<uint8_t> acpi_tables(const AcpiSetup& setup, uint32_t base);

// The sum-to-zero checksum of ACPI tables: sets t[at] so that bytes [from, from + len) add to 0.
void acpi_checksum(std::vector<uint8_t>& t, size_t at, size_t from, size_t len);

} // namespace xlat
