// Direct Linux kernel boot, as QEMU's -kernel/-initrd/-append do for a bzImage: the 32-bit boot
// protocol of Documentation/arch/x86/boot.rst. The loader plays the part of the boot loader and
// of the kernel's real-mode setup code: it checks the setup header, puts the protected-mode
// kernel at code32_start (1 MiB), the initrd as high as the kernel allows and RAM holds, the
// command line, and the zero page (struct boot_params) with the e820 memory map, and enters the
// kernel in flat 32-bit protected mode with ESI pointing at the zero page. As the firmware it
// replaces, it also writes the ACPI tables (the PIIX4's power management, so that the guest's
// poweroff ends the run with status 0; the APICs, the HPET, the PCI root) and the SMBIOS tables
// into the BIOS area, and enables the PM block.
//
// As with Multiboot, everything is checked before the first byte is written, and a kernel that
// cannot be booted gets one BootError naming the problem.
#pragma once
#include <cstdint>
#include <string>

#include "frontend/bootfile.h"

namespace xlat {

class Machine;

// Where the loader puts what it builds, in conventional memory (the kernel reserves the first
// MiB for itself and copies the zero page and the command line out early).
constexpr uint32_t kLinuxGdt = 0x8000;          // __BOOT_CS 0x10, __BOOT_DS 0x18
constexpr uint32_t kLinuxBootParams = 0x10000;  // the zero page, 4 KiB
constexpr uint32_t kLinuxCmdline = 0x20000;     // the command line, NUL-terminated
constexpr uint32_t kLinuxCmdlineMax = 0x7FFFF;  // bytes available there, below 0xA0000 - 0x20000 - 1

// Loads the bzImage `kernel`, the initrd (nullptr: none) and the command line into `m` and sets the
// CPU to the 32-bit boot protocol's entry state. Throws BootError, before anything is written,
// when the kernel is not one the 32-bit protocol can boot or the pieces do not fit in RAM.
void load_linux(Machine& m, const BootFile& kernel, const std::string& cmdline, const BootFile* initrd);

} // namespace xlat
