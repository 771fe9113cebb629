// Self-modifying code under both executors: a loop that rewrites its next instruction (a write
// into the running block), code rewritten behind the CPU's back by a DMA-style PhysMem write,
// and a store that rewrites code later in its own block.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <vector>

#include "frontend/machine.h"
#include "flat_machine.h"
#include "test_machine.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;

// A machine in flat 32-bit protected mode (no GDT needed: nothing reloads a segment) at kCode.
std::unique_ptr<Machine> flat_machine(CpuMode mode) {
    MachineConfig cfg = small_config();
    cfg.cpu_mode = mode;
    auto m = std::make_unique<Machine>(cfg);
    enter_flat32(*m, kCode, 0x30000);
    return m;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

const CpuMode kModes[] = {CpuMode::Jit, CpuMode::Interp};
const char* mode_name(CpuMode m) { return m == CpuMode::Jit ? "jit" : "interp"; }

} // namespace

TEST_CASE("a loop that rewrites its next instruction runs the new bytes every time", "[jit][smc]") {
    // mov ecx, 5 / L: mov [P+1], ecx / P: mov eax, 0 / add edx, eax / dec ecx / jnz L / hlt
    // The store hits the instruction after it, in the same block: EDX = 5+4+3+2+1.
    std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel(), patch = a.newLabel();
        a.mov(ax::ecx, 5);
        a.xor_(ax::edx, ax::edx);
        a.bind(loop);
        a.mov(ax::dword_ptr(patch, 1), ax::ecx);
        a.bind(patch);
        a.long_().mov(ax::eax, 0);
        a.add(ax::edx, ax::eax);
        a.dec(ax::ecx);
        a.jnz(loop);
        a.hlt();
    });
    for (CpuMode mode : kModes) {
        INFO(mode_name(mode));
        auto m = flat_machine(mode);
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->run(1000);
        CHECK(m->cpu.s.reg32(EDX) == 15);
        CHECK(m->cpu.s.halted);
    }
}

TEST_CASE("a store into the running block changes the instructions after it in that block", "[jit][smc]") {
    // mov byte [P], 0x40 (INC EAX) over a NOP further down the same straight-line block.
    std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label p = a.newLabel();
        a.xor_(ax::eax, ax::eax);
        a.mov(ax::byte_ptr(p), 0x40);
        a.nop();
        a.nop();
        a.bind(p);
        a.nop();
        a.hlt();
    });
    for (CpuMode mode : kModes) {
        INFO(mode_name(mode));
        auto m = flat_machine(mode);
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->run(100);
        CHECK(m->cpu.s.reg32(EAX) == 1);
        CHECK(m->cpu.s.icount == 6);
    }
}

TEST_CASE("code rewritten by a DMA-style write runs anew", "[jit][smc]") {
    std::vector<uint8_t> one = assemble([](ax::Assembler& a) { a.mov(ax::eax, 1); a.hlt(); });
    std::vector<uint8_t> two = assemble([](ax::Assembler& a) { a.mov(ax::eax, 2); a.hlt(); });
    for (CpuMode mode : kModes) {
        INFO(mode_name(mode));
        auto m = flat_machine(mode);
        m->phys.write_bytes(kCode, one.data(), one.size());
        m->run(100);
        CHECK(m->cpu.s.reg32(EAX) == 1);
        // A device (or a loader) writes the page through PhysMem, as DMA does.
        m->phys.write_bytes(kCode, two.data(), two.size());
        m->cpu.s.halted = 0;
        m->cpu.s.set_eip(kCode);
        m->run(100);
        CHECK(m->cpu.s.reg32(EAX) == 2);
        if (m->jit) CHECK(m->jit->stats().invalidated >= 1);
        else CHECK(m->interp.block_stats().invalidated >= 1);  // the interpreter's blocks too
    }
}
