// Where loops start (docs/translator.md): a block that loops to itself begins at a multiple of
// Jit::kLoopAlign in the arena, and so does a lazy self-loop's second copy, wherever the blocks
// translated before it left the arena's cursor; the loops still compute what the interpreter
// does.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;

// `pad` blocks of different lengths (each ends in a jump to the next), then two counted loops
// that are lazy self-loops without block runs counted: `add eax, ebx; sub ebx, 3; cmp ebx, ecx;
// jg loop` and `inc edx; dec ecx; jnz loop`; then a HLT.
std::vector<uint8_t> program(unsigned pad, uint32_t* loop1, uint32_t* loop2) {
    return assemble_at(kCode, [&](ax::Assembler& a) {
        for (unsigned i = 0; i < pad; ++i) {
            asmjit::Label next = a.newLabel();
            for (unsigned k = 0; k <= i % 5; ++k) a.add(ax::esi, int32_t(k + 1));
            a.jmp(next);
            a.bind(next);
        }
        a.mov(ax::ebx, 3000);
        a.xor_(ax::ecx, ax::ecx);
        asmjit::Label l1 = a.newLabel(), l2 = a.newLabel();
        a.bind(l1);
        *loop1 = kCode + uint32_t(a.offset());
        a.add(ax::eax, ax::ebx);
        a.sub(ax::ebx, 3);
        a.cmp(ax::ebx, ax::ecx);
        a.jg(l1);
        a.mov(ax::ecx, 2000);
        a.bind(l2);
        *loop2 = kCode + uint32_t(a.offset());
        a.inc(ax::edx);
        a.dec(ax::ecx);
        a.jnz(l2);
        a.hlt();
    });
}

} // namespace

TEST_CASE("a loop's code starts at a multiple of kLoopAlign wherever the arena's cursor was", "[jit][align]") {
    for (unsigned pad = 0; pad < 12; ++pad)
        for (bool profile : {false, true}) {
            INFO("blocks before the loops " << pad << (profile ? ", block runs counted" : ""));
            uint32_t loop1 = 0, loop2 = 0;
            const std::vector<uint8_t> code = program(pad, &loop1, &loop2);
            MachineConfig cfg = small_config();
            cfg.jit_profile = profile;
            std::unique_ptr<Machine> mi, mj;
            for (CpuMode mode : {CpuMode::Interp, CpuMode::Jit}) {
                cfg.cpu_mode = mode;
                auto m = std::make_unique<Machine>(cfg);
                enter_flat32(*m, kCode, 0x30000);
                m->phys.write_bytes(kCode, code.data(), code.size());
                m->run(20000);
                (mode == CpuMode::Jit ? mj : mi) = std::move(m);
            }
            REQUIRE(mj->jit);
            CHECK(state_differences(*mi, *mj, profile) == "");
            CHECK(mj->cpu.s.halted);
            unsigned loops = 0, heads = 0;
            mj->jit->for_each_block([&](const Block& b) {
                if (b.eip != loop1 && b.eip != loop2) return;
                ++loops;
                CHECK(reinterpret_cast<uintptr_t>(b.code) % Jit::kLoopAlign == 0);
                if (!b.loop_head_off) return;
                ++heads;
                CHECK((reinterpret_cast<uintptr_t>(b.code) + b.loop_head_off) % Jit::kLoopAlign == 0);
            });
            CHECK(loops >= 2);
            // Without block runs counted both are lazy self-loops, each with a second copy.
            CHECK(heads == (profile ? 0u : 2u));
        }
}
