// Multiboot (version 1) kernel loading, as QEMU's -kernel does for Multiboot images: an ELF32
// kernel or an a.out-kludge image is placed in guest memory with its modules and a Multiboot
// information structure, and the CPU enters it in flat 32-bit protected mode.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace xlat {

class Machine;

// A kernel that cannot be loaded: the message says why (main prints it and exits 1).
struct BootError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct BootModule {
    std::vector<uint8_t> data;
    std::string cmdline;  // the module's file name and arguments
};

// Where the loader puts what it builds (below the kernel, in conventional memory).
constexpr uint32_t kMultibootGdt = 0x8000;   // flat GDT: 0x08 code, 0x10 data
constexpr uint32_t kMultibootInfo = 0x9000;  // the information structure and what it points at
constexpr uint32_t kMultibootMagic = 0x2BADB002;

// True when the image has a Multiboot header in its first 8 KiB.
bool is_multiboot(const std::vector<uint8_t>& image);

// Loads the kernel and modules into `m` and sets the CPU to the Multiboot entry state.
void load_multiboot(Machine& m, const std::vector<uint8_t>& image, const std::string& cmdline,
                    const std::vector<BootModule>& modules);

} // namespace xlat
