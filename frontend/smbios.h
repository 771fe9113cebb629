// The SMBIOS tables of the machine (DMTF DSP0134, "System Management BIOS Reference
// Specification", version 2.8): what `dmidecode` and Linux's DMI layer (/sys/class/dmi/id, the
// "DMI:" boot line) read about the board. The structures QEMU's pc machine provides:
//   type 0    BIOS information (only when xlat is the firmware: SeaBIOS adds its own)
//   type 1    system information (manufacturer, product, version, UUID)
//   type 3    system enclosure
//   type 4    processor
//   type 16   physical memory array, type 17 memory device, type 19 memory array mapped address
//   type 32   system boot information
//   type 127  end of table
// and the 2.1-style 32-bit entry point ("_SM_" ... "_DMI_", 31 bytes) that finds them.
//
// Two consumers: the direct Linux boot (frontend/linux_boot.cpp) puts the entry point in the
// F-segment, where Linux scans for it, and SeaBIOS reads both through fw_cfg
// ("etc/smbios/smbios-anchor" and "etc/smbios/smbios-tables"), copies the tables, adds its type 0
// and fixes the address and checksums itself.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xlat {

struct SmbiosSetup {
    uint64_t ram_bytes = 0;          // guest RAM (below 4 GiB): the one DIMM of types 17 and 19
    bool bios_info = false;          // include type 0 (xlat as the BIOS vendor)
    uint32_t cpu_signature = 0x652;  // CPUID leaf 1 EAX (cpu/misc.cpp), the processor ID's low half
    uint32_t cpu_features = 0;       // CPUID leaf 1 EDX, the processor ID's high half
};

struct SmbiosTables {
    std::vector<uint8_t> entry;   // the 31-byte entry point, structure table address 0
    std::vector<uint8_t> tables;  // the structures, type 127 last
};

// The names the tables give the machine (Linux prints "DMI: <manufacturer> <product>, BIOS ...").
constexpr const char* kSmbiosManufacturer = "xlat";
constexpr const char* kSmbiosProduct = "PC (i440FX + PIIX, 1996)";

SmbiosTables smbios_tables(const SmbiosSetup& setup);
// Sets the entry point's structure table address and recomputes both of its checksums.
void smbios_set_address(std::vector<uint8_t>& entry, uint32_t address);

} // namespace xlat
