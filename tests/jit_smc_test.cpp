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
    std::vector<uint8_t> code = self_patching_loop(kCode, 5);
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

TEST_CASE("a native store to a page whose write tag was filled before it held code invalidates its block", "[jit][smc][tlb]") {
    // The first store fills the TLB's write tag for page D; CALL D translates D (a code page
    // now: its write tags go); the native byte store into D must then take the slow path,
    // which reports the write and invalidates D's block, so the second CALL runs MOV EAX, 2.
    constexpr uint32_t D = 0x20000;
    std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
        a.mov(ax::dword_ptr(D + 0x100), 0);
        a.mov(ax::eax, D);
        a.call(ax::eax);
        a.mov(ax::byte_ptr(D + 1), 2);
        a.mov(ax::ecx, D);
        a.call(ax::ecx);
        a.hlt();
    });
    const uint8_t callee[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3};  // mov eax, 1 / ret
    for (CpuMode mode : kModes) {
        INFO(mode_name(mode));
        auto m = flat_machine(mode);
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->phys.write_bytes(D, callee, sizeof callee);
        m->run(100);
        CHECK(m->cpu.s.halted);
        CHECK(m->cpu.s.reg32(EAX) == 2);
        CHECK(m->cpu.s.icount == 11);
        if (m->jit) CHECK(m->jit->stats().invalidated >= 1);
    }
}

TEST_CASE("accesses at the last bytes of a page: within it on the fast path, across it to the next page's mapping", "[jit][tlb]") {
    // Paging on; linear 0x21000 maps to physical 0x40000, not to the 0x21000 that follows
    // 0x20000's bytes in the host's RAM: a crossing access that took the fast path would read
    // and write the wrong bytes.
    constexpr uint32_t PD = 0x50000, PT = 0x51000;
    std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.mov(ax::eax, ax::dword_ptr(0x20FFC));   // the page's last dword: a hit
        a.mov(ax::ebx, ax::dword_ptr(0x20FFE));   // crosses
        a.movzx(ax::ecx, ax::word_ptr(0x20FFE));  // the last word: a hit
        a.mov(ax::dword_ptr(0x20FFD), 0x12345678);  // crosses
        a.add(ax::word_ptr(0x20FFF), 0x0101);     // read-modify-write across
        a.hlt();
    });
    for (CpuMode mode : kModes) {
        INFO(mode_name(mode));
        auto m = flat_machine(mode);
        m->phys.write_bytes(kCode, code.data(), code.size());
        for (uint32_t i = 0; i < 1024; ++i) m->phys.write(PT + 4 * i, 4, (i << 12) | 7);
        m->phys.write(PT + 4 * 0x21, 4, 0x40000 | 7);
        m->phys.write(PD, 4, PT | 7);
        m->phys.write_bytes(0x20FFC, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
        m->phys.write_bytes(0x40000, "\xAA\xBB\xCC\xDD", 4);
        m->cpu.s.cr3 = PD;
        m->cpu.s.cr0 |= CR0_PG;
        m->cpu.state_loaded();
        m->run(100);
        CHECK(m->cpu.s.halted);
        CHECK(m->cpu.s.reg32(EAX) == 0x44332211u);
        CHECK(m->cpu.s.reg32(EBX) == 0xBBAA4433u);
        CHECK(m->cpu.s.reg32(ECX) == 0x4433u);
        // The store: 78 56 34 at 0x20FFD-F, 12 at 0x40000; then the word at 0x20FFF
        // (0x1234 + 0x0101 = 0x1335): 35 at 0x20FFF, 13 at 0x40000.
        CHECK(m->phys.read(0x20FFC, 4) == 0x35567811u);
        CHECK(m->phys.read(0x40000, 4) == 0xDDCCBB13u);
        CHECK(m->phys.read(0x21000, 4) == 0x88776655u);  // untouched
        if (m->jit) CHECK(m->jit->stats().slow_paths >= 3);
    }
}
