// The machine the unit tests build: a little RAM and a 64 KiB firmware of HLT instructions (so a
// reset or a stray jump into the firmware halts).
#pragma once
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

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

// small_config's machine with the executor `mode` and the --jit-disable bits `jit_disable`: the
// translator tests run each guest under both executors and several JIT configurations.
inline std::unique_ptr<xlat::Machine> mode_machine(xlat::CpuMode mode, uint32_t jit_disable = 0,
                                                   uint64_t ram_bytes = 4u << 20) {
    xlat::MachineConfig cfg = small_config(ram_bytes);
    cfg.cpu_mode = mode;
    cfg.jit_disable = jit_disable;
    return std::make_unique<xlat::Machine>(cfg);
}

// Puts the distribution's SeaBIOS (256 KiB) in `cfg` as the firmware; false, with a WARN that the
// test is skipped, when the seabios package is not installed. A short read fails the test.
inline bool seabios_firmware(xlat::MachineConfig& cfg) {
    const char* kSeaBios = "/usr/share/seabios/bios-256k.bin";
    std::FILE* f = std::fopen(kSeaBios, "rb");
    if (!f) {
        WARN("skipped: " << kSeaBios << " is missing (install the seabios package)");
        return false;
    }
    cfg.firmware.assign(256u << 10, 0);
    const size_t got = std::fread(cfg.firmware.data(), 1, cfg.firmware.size(), f);
    std::fclose(f);
    REQUIRE(got == cfg.firmware.size());
    return true;
}
