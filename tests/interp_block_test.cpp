// The interpreter's block path (translator/interp.cpp, interp_fast.cpp) against its single-step
// path: random programs of the forms the block path specialises (and others around them), with
// random budgets that end runs inside blocks, compared state, statistics and memory; and
// self-modifying code that the block path must see through PhysMem's code pages.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include "frontend/machine.h"
#include "flat_machine.h"
#include "test_machine.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000, kData = 0x20000, kStack = 0x30000;

std::unique_ptr<Machine> flat_interp(bool blocks) {
    MachineConfig cfg = small_config();
    cfg.cpu_mode = CpuMode::Interp;
    auto m = std::make_unique<Machine>(cfg);
    if (!blocks) m->interp.disable_blocks();
    enter_flat32(*m, kCode, kStack);
    return m;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

// Registers a program may write: not EBX (the data base), ECX (the loop counter) nor ESP.
const ax::Gp kDst[] = {ax::eax, ax::edx, ax::esi, ax::edi, ax::ebp};
const ax::Gp kSrc[] = {ax::eax, ax::ecx, ax::edx, ax::ebx, ax::esi, ax::edi, ax::ebp, ax::esp};

// A random program: a counted loop (ECX is the counter, kept apart) over a body of random
// instructions, the hot forms of the block path among forms it leaves to the row functions.
// Some memory operands lie past the end of RAM's data page, some on an absent address
// (beyond RAM: all ones) and EBX-relative ones inside the data page.
std::vector<uint8_t> random_program(std::mt19937& rng) {
    return assemble([&](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel();
        a.mov(ax::ebx, kData);
        a.mov(ax::ecx, 3 + rng() % 5);
        a.bind(loop);
        const unsigned n = 4 + rng() % 40;
        for (unsigned i = 0; i < n; ++i) {
            const ax::Gp dst = kDst[rng() % 5], d2 = kDst[rng() % 5];
            const ax::Gp sreg = kSrc[rng() % 8];
            const ax::Mem m = ax::dword_ptr(ax::ebx, int32_t(rng() % 0xFF0) & ~1);
            const uint32_t imm = rng() % 3 == 0 ? uint32_t(rng() % 256) : uint32_t(rng());
            switch (rng() % 24) {
            case 0: a.add(dst, sreg); break;
            case 1: a.sub(dst, imm); break;
            case 2: a.adc(dst, m); break;
            case 3: a.sbb(dst, sreg); break;
            case 4: a.cmp(dst, imm); break;
            case 5: a.and_(dst, m); break;
            case 6: a.or_(dst, sreg); break;
            case 7: a.xor_(dst, imm); break;
            case 8: a.test(dst, sreg); break;
            case 9: a.inc(dst); break;
            case 10: a.dec(dst); break;
            case 11: a.mov(dst, sreg); break;
            case 12: a.mov(dst, imm); break;
            case 13: a.mov(dst, m); break;
            case 14: a.mov(m, sreg); break;
            case 15: a.mov(m, imm); break;
            case 16: a.movzx(dst, ax::byte_ptr(ax::ebx, int32_t(rng() % 0x1000))); break;
            case 17: a.movzx(dst, ax::word_ptr(ax::ebx, int32_t(rng() % 0xFF0))); break;
            case 18: a.lea(dst, ax::ptr(sreg, d2, rng() % 4, int32_t(rng()))); break;
            case 19: {  // a row function
                const ax::Gp d8 = rng() % 2 ? ax::Gp(ax::al) : ax::Gp(ax::dh);
                const ax::Gp s8 = rng() % 2 ? ax::Gp(ax::bl) : ax::Gp(ax::ah);
                a.add(d8, s8);
                break;
            }
            case 20: a.shl(dst, rng() % 32); break;                   // a row function
            case 21: a.cmp(m, imm); break;                            // a row function
            case 22:  // now and then a #DE (a zero or too small divisor): the fault path
                if (rng() % 4 == 0) a.div(sreg == ax::esp ? ax::ebx : sreg);
                else a.add(dst, ax::dword_ptr(ax::ebx, 0x2000));
                break;
            default: {  // a data-dependent branch over one instruction
                asmjit::Label skip = a.newLabel();
                a.cmp(dst, imm);
                a.j(ax::CondCode(rng() % 16), skip);  // every condition
                a.inc(d2);
                a.bind(skip);
                break;
            }
            }
        }
        a.dec(ax::ecx);
        a.jnz(loop);
        a.hlt();
    });
}

std::string compare(Machine& a, Machine& b) {
    std::string d = state_differences(a, b);
    if (a.cpu.s.halted != b.cpu.s.halted) d += "halted; ";
    if (std::memcmp(a.cpu.stats.exceptions, b.cpu.stats.exceptions, sizeof a.cpu.stats.exceptions)) d += "exceptions; ";
    return d + ram_difference(a, b);
}

} // namespace

TEST_CASE("the interpreter's block path runs random programs as its single steps do", "[interp][blocks]") {
    const char* env = std::getenv("XLAT_INTERP_BLOCK_SEED");
    const uint32_t seed0 = env ? uint32_t(std::strtoul(env, nullptr, 0)) : std::random_device{}();
    uint64_t linked = 0;
    for (unsigned i = 0; i < 300; ++i) {
        const uint32_t seed = seed0 + i;
        std::mt19937 rng(seed);
        const std::vector<uint8_t> code = random_program(rng);
        std::vector<uint8_t> data(0x1000);
        for (auto& b : data) b = uint8_t(rng());
        uint32_t regs[8];
        for (uint32_t& r : regs) r = uint32_t(rng());
        regs[ESP] = kStack;
        const uint32_t flags = (uint32_t(rng()) & (CF | PF | AF | ZF | SF | OF)) | FIXED1;
        // Runs of random length, so that budgets end inside blocks.
        std::vector<uint64_t> budgets;
        for (unsigned k = 0; k < 6; ++k) budgets.push_back(1 + rng() % 60);
        std::unique_ptr<Machine> m[2] = {flat_interp(true), flat_interp(false)};
        for (auto& mm : m) {
            mm->phys.write_bytes(kCode, code.data(), code.size());
            mm->phys.write_bytes(kData, data.data(), data.size());
            for (unsigned r = 0; r < 8; ++r) mm->cpu.s.set_reg32(r, regs[r]);
            mm->cpu.s.eflags = flags;
            for (uint64_t b : budgets) mm->run(b);
            mm->run(100000);
        }
        const std::string diff = compare(*m[0], *m[1]);
        if (!diff.empty()) FAIL("seed " << seed << ": blocks vs steps: " << diff);
        CHECK(m[0]->cpu.s.halted);
        CHECK(m[0]->interp.block_stats().runs > 0);
        linked += m[0]->interp.block_stats().linked;
    }
    // The loops' blocks follow each other through their links (Block::next) for most turns.
    CHECK(linked > 0);
}

TEST_CASE("the interpreter's block path sees code rewritten again and again", "[interp][blocks][smc]") {
    // A loop that rewrites the immediate of an instruction later in its own block 200 times
    // (past BlockCache::kHotWrites, after which the page is stepped): EDX sums the immediates.
    std::vector<uint8_t> code = self_patching_loop(kCode, 200);
    std::unique_ptr<Machine> m[2] = {flat_interp(true), flat_interp(false)};
    for (auto& mm : m) {
        mm->phys.write_bytes(kCode, code.data(), code.size());
        mm->run(100000);
        CHECK(mm->cpu.s.reg32(EDX) == 200 * 201 / 2);
        CHECK(mm->cpu.s.halted);
    }
    CHECK(compare(*m[0], *m[1]).empty());
    const Interpreter::BlockStats& st = m[0]->interp.block_stats();
    CHECK(st.invalidated >= BlockCache::kHotWrites);
    CHECK(st.steps > 0);  // the hot page is stepped
}
