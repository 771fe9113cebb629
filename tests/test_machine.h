// The machine the unit tests build: a little RAM and a 64 KiB firmware of HLT instructions (so a
// reset or a stray jump into the firmware halts).
#pragma once
#include <cstdint>

#include "frontend/machine.h"

inline xlat::MachineConfig small_config(uint64_t ram_bytes = 4u << 20) {
    xlat::MachineConfig cfg;
    cfg.ram_bytes = ram_bytes;
    cfg.firmware.assign(64 << 10, 0xF4);
    return cfg;
}
