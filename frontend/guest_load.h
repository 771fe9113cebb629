// What the kernel loaders (Multiboot, Linux) share: writing files and bytes into guest RAM as
// the CPU would store them, the PC's memory map as they report it to the kernel, and the flat
// 32-bit protected-mode entry state.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "frontend/bootfile.h"

namespace xlat {

class Machine;

constexpr uint64_t kOneMiB = 0x100000;
constexpr uint64_t k4GiB = 0x100000000ull;
// The end of conventional memory: the memory map reports the EBDA as reserved from here.
constexpr uint64_t kLowAreaEnd = 0x9FC00;

std::string hex(uint64_t v);
// The smallest -m, in MiB, that holds [0, end), e.g. "17M".
std::string needed_ram(uint64_t end);
uint64_t page_up(uint64_t v);

// Writes [addr, addr+len) of guest physical memory as the CPU would store to it: RAM takes the
// bytes, while the firmware ROM and the empty VGA window drop them. The caller checked that the
// range lies below the end of RAM (a range past it throws BootError, an internal error).
void store_file(Machine& m, uint32_t addr, const BootFile& f, uint64_t off, uint64_t len);
void store_zero(Machine& m, uint32_t addr, uint64_t len);
void store_bytes(Machine& m, uint32_t addr, const std::vector<uint8_t>& bytes);

// One entry of the memory map (the BIOS's INT 15h E820 types: 1 RAM, 2 reserved, 3 ACPI data).
struct MemRange {
    uint64_t base, len;
    uint32_t type;
};
// The machine's memory as a firmware reports it: conventional memory, the EBDA, the BIOS area,
// RAM above 1 MiB and the firmware's flash below 4 GiB.
std::vector<MemRange> pc_memory_map(uint64_t ram_bytes);

// Writes a flat GDT at gdt_addr (a page of guest RAM below the end of RAM): null descriptors up
// to selector `code_sel`, then a 4 GiB code descriptor at code_sel and a 4 GiB data descriptor at
// code_sel + 8. Then sets the CPU to 32-bit protected mode without paging, interrupts off, CS =
// code_sel, the other segment registers code_sel + 8, EIP = entry, and A20 on. The caller sets the
// general registers.
void enter_flat32(Machine& m, uint32_t gdt_addr, uint16_t code_sel, uint32_t entry);

} // namespace xlat
