// What xlat boots: the firmware image (the default one, read and checked) and the kernel with its
// initrd or Multiboot modules. Shared by the run (frontend/main.cpp) and `xlat explain`
// (frontend/explain.cpp), so both accept and refuse the same files with the same lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "frontend/bootfile.h"
#include "frontend/multiboot.h"

namespace xlat {

class Machine;
struct Options;

// The demo ROM built beside the xlat binary (../roms/demo.bin from its directory); empty when
// the binary's own path cannot be read.
std::string default_firmware();

// Reads a firmware image, checking its size before reading it; throws UsageError with one line
// when the file cannot be used.
std::vector<uint8_t> read_firmware(const std::string& path);

// -bios, or the demo ROM beside the binary when none is given (a missing one is one line).
std::vector<uint8_t> firmware_for(const Options& opt);

// -kernel with its -initrd, opened (and refused when they are not regular files or not a
// kernel) before the machine is built; load() then copies them into the machine's RAM.
struct GuestKernel {
    std::vector<BootFile> kernel;  // zero or one
    KernelFormat format = KernelFormat::Multiboot;
    std::vector<BootModule> modules;  // Multiboot
    std::vector<BootFile> initrd;     // Linux: zero or one

    static GuestKernel open(const Options& opt);
    void load(Machine& m, const Options& opt);
};

} // namespace xlat
