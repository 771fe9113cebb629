// The machine the unit tests build: a little RAM and a 64 KiB firmware of HLT instructions (so a
// reset or a stray jump into the firmware halts).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "frontend/machine.h"

// The executor the tests' machines use: the JIT, or the interpreter when XLAT_TEST_CPU_MODE is
// "interp". CMake registers every test twice, once per mode (tests/CMakeLists.txt), so each test
// that builds a machine checks both executors.
inline xlat::CpuMode test_cpu_mode() {
    const char* v = std::getenv("XLAT_TEST_CPU_MODE");
    return v && std::strcmp(v, "interp") == 0 ? xlat::CpuMode::Interp : xlat::CpuMode::Jit;
}

inline xlat::MachineConfig small_config(uint64_t ram_bytes = 4u << 20) {
    xlat::MachineConfig cfg;
    cfg.cpu_mode = test_cpu_mode();
    cfg.ram_bytes = ram_bytes;
    cfg.firmware.assign(64 << 10, 0xF4);
    return cfg;
}
