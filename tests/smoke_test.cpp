#include <catch2/catch.hpp>

#include "frontend/machine.h"

using namespace xlat;

TEST_CASE("a machine resets to F000:FFF0 as the SDM says", "[machine]") {
    MachineConfig cfg;
    cfg.firmware.assign(64 << 10, 0xF4);
    Machine m(cfg);
    CHECK(m.cpu.s.seg[CS].selector == 0xF000);
    CHECK(m.cpu.s.seg[CS].base == 0xFFFF0000u);
    CHECK(m.cpu.s.eip() == 0xFFF0);
    CHECK(m.cpu.s.eflags == 2);
    CHECK(m.cpu.s.cr0 == 0x60000010u);
}
