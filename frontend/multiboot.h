// Multiboot (version 1) kernel loading, as QEMU's -kernel does for Multiboot images: an ELF32
// kernel or an a.out-kludge image is placed in guest memory with its modules and a Multiboot
// information structure, and the CPU enters it in flat 32-bit protected mode.
//
// Everything is checked before the first byte is written: the kernel's headers, that every
// segment lies in guest RAM and no two overlap, that the modules fit (by their sizes, before they
// are read), and where the information structure fits. Then the pieces are read from their files
// straight into guest RAM. A bad image gets one BootError naming the problem.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "frontend/bootfile.h"

namespace xlat {

class Machine;

struct BootModule {
    BootFile file;
    std::string cmdline;  // the module's file name and arguments, as given to -initrd
};

// Where the loader puts what it builds when the kernel leaves room there (conventional memory
// below the EBDA). Otherwise the GDT and information structure go after the last module.
constexpr uint32_t kMultibootGdt = 0x8000;   // flat GDT: 0x08 code, 0x10 data
constexpr uint32_t kMultibootInfo = 0x9000;  // the information structure and what it points at
constexpr uint32_t kMultibootMagic = 0x2BADB002;

// Loads the kernel and modules into `m` (a machine whose firmware is mapped) and sets the CPU
// to the Multiboot entry state. Throws BootError, before anything is written, when the kernel
// is not a Multiboot kernel or does not fit.
void load_multiboot(Machine& m, const BootFile& kernel, const std::string& cmdline,
                    const std::vector<BootModule>& modules);

} // namespace xlat
