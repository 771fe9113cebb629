// The ACPI tables of the machine, built once (PcBoard) from its configuration and handed out two
// ways: to SeaBIOS through fw_cfg as QEMU does (the files etc/acpi/tables and etc/acpi/rsdp and
// the linker/loader script etc/table-loader, frontend/table_loader.h), and to a directly booted
// kernel (frontend/linux_boot.cpp), where no firmware runs, linked by the same script at a fixed
// address in the BIOS area. RSDP -> RSDT -> FADT (-> FACS, DSDT), MADT and HPET, in the ACPI
// 1.0b layouts (section 5.2) with the DSDT in AML (chapter 16). They describe the board as
// frontend/pc_board.h builds it: the PIIX4 power management block (soft off, the PM timer, the
// SCI), the local APICs and the I/O APIC with the ISA interrupt overrides, the HPET, the PCI
// root with its windows and PIRQ links, and the ISA devices under the PIIX3.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "frontend/table_loader.h"

namespace xlat {

struct AcpiSetup {
    uint64_t ram_bytes = 0;    // RAM from 0; the PCI memory window starts at its end
    uint16_t pm_base = 0x600;  // the PIIX4 PM block (PMBA), where SeaBIOS puts it when it loads these tables
    uint8_t sci_irq = 9;       // the ISA IRQ the board wires the SCI to
    unsigned cpus = 1;         // local APIC IDs 0 to cpus - 1
    bool hpet = true;          // an HPET at Hpet::kBase
};

// The fw_cfg file names QEMU gives them, which SeaBIOS looks for.
constexpr const char kAcpiTablesFile[] = "etc/acpi/tables";
constexpr const char kAcpiRsdpFile[] = "etc/acpi/rsdp";
constexpr const char kTableLoaderFile[] = "etc/table-loader";

struct AcpiTables {
    std::vector<uint8_t> rsdp;    // etc/acpi/rsdp: its RSDT pointer an offset into `tables`
    std::vector<uint8_t> tables;  // etc/acpi/tables: the FACS first, then DSDT, FADT, MADT, HPET, RSDT
    TableLoader loader;           // etc/table-loader: allocate both, add the pointers, checksums
    // Where block() puts the tables file after the RSDP (the FACS's 64-byte alignment).
    static constexpr uint32_t kTablesOffset = 64;
    // The RSDP at `base` (16-byte aligned) and the tables kTablesOffset after it, linked by the
    // loader script for those addresses: the bytes a direct boot stores at `base`.
    std::vector<uint8_t> block(uint32_t base) const;
};

AcpiTables acpi_tables(const AcpiSetup& setup);

} // namespace xlat
