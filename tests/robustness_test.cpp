// Whatever a guest does, the host process survives: random bytes run as code, in real mode and in
// 32-bit protected mode, over random descriptor tables and page tables. Every run must end in one
// of the CPU's own stop reasons (a triple fault, a halt, the instruction limit, the exit port),
// never in a host crash, a C++ exception out of the run loop, or undefined behaviour (the
// sanitizer build runs this too).
#include <catch2/catch.hpp>
#include <random>

#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

void fill_random(Machine& m, std::mt19937& rng, uint32_t from, uint32_t len) {
    std::vector<uint8_t> bytes(len);
    for (auto& b : bytes) b = uint8_t(rng());
    m.phys.write_bytes(from, bytes.data(), bytes.size());
}

MachineConfig config(std::mt19937& rng) {
    MachineConfig cfg;
    cfg.cpu_mode = test_cpu_mode();
    cfg.ram_bytes = 2u << 20;
    cfg.firmware.resize(64 << 10);
    for (auto& b : cfg.firmware) b = uint8_t(rng());
    cfg.no_reboot = true;
    // Instruction-count time: a random STI; HLT skips to the PIT's next tick instead of
    // sleeping for it, and a failing seed repeats exactly.
    cfg.icount_shift = 0;
    return cfg;
}

} // namespace

TEST_CASE("random code in real mode never takes the host down", "[robustness]") {
    for (unsigned seed = 1; seed <= 40; ++seed) {
        std::mt19937 rng(seed);
        Machine m(config(rng));
        fill_random(m, rng, 0, 2u << 20);
        m.cpu.load_seg_real(CS, uint16_t(rng()));
        m.cpu.s.set_eip(rng() & 0xFFFF);
        Machine::Result r{};
        REQUIRE_NOTHROW(r = m.run(20000));
        CHECK(r.reason != StopReason::None);
    }
}

TEST_CASE("random code in protected mode with random tables never takes the host down", "[robustness]") {
    for (unsigned seed = 100; seed < 140; ++seed) {
        std::mt19937 rng(seed);
        Machine m(config(rng));
        fill_random(m, rng, 0, 2u << 20);
        CpuState& s = m.cpu.s;
        s.cr0 |= CR0_PE;
        s.gdtr = TableRegister{uint32_t(rng() & 0x1FFFFF), uint16_t(rng())};
        s.idtr = TableRegister{uint32_t(rng() & 0x1FFFFF), uint16_t(rng())};
        s.cr3 = rng() & 0x1FF000;
        s.cr4 = (seed & 1) ? CR4_PSE : CR4_PAE;
        if (seed & 2) s.cr0 |= CR0_PG;
        const uint16_t code = uint16_t(SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_DB | SEG_G);
        const uint16_t data = uint16_t(SEG_P | SEG_S | SEG_RW | SEG_DB | SEG_G);
        s.seg[CS] = SegmentCache{0, 0xFFFFFFFFu, 0x08, code};
        for (SegReg sr : {ES, SS, DS, FS, GS}) s.seg[sr] = SegmentCache{0, 0xFFFFFFFFu, 0x10, data};
        s.tr = SegmentCache{uint32_t(rng() & 0x1FFFFF), 0x2067, 0x18, uint16_t(SEG_P | 0xB)};
        s.cpl = (seed & 4) ? 3 : 0;
        s.set_eip(rng() & 0x1FFFFF);
        s.set_reg32(ESP, rng() & 0x1FFFFF);
        m.cpu.mode_changed();
        try {
            m.cpu.update_paging();
        } catch (const GuestFault&) {
            continue;  // PAE with reserved PDPTE bits: a MOV CR3 would have faulted
        }
        Machine::Result r{};
        REQUIRE_NOTHROW(r = m.run(20000));
        CHECK(r.reason != StopReason::None);
    }
}
