// Fused entry tests (docs/translator.md, "Fused entry tests"): a block's forward exit linked past
// its target's entry test, the source's entry test covering the target's instructions (and what
// the target's own test covers) in the upper quadword of xmm15. Each guest runs under the
// interpreter and the JIT in runs of many lengths one after another (every run ends on an exact
// budget, so each ends somewhere inside a chain of fused blocks), the whole state compared after
// each; with the blocks' run counters (`--stats`) and without (the command line's default, with
// lazy self-loops), and with `fuse` off.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <vector>

#include "frontend/machine.h"
#include "flat_machine.h"
#include "test_machine.h"
#include "translator/emitter.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;
constexpr uint32_t kPageDir = 0x100000, kPageTable = 0x101000, kAbsent = 0x300000;

std::unique_ptr<Machine> make(CpuMode mode, uint32_t disable, bool profile, bool paging,
                              const std::vector<uint8_t>& code) {
    MachineConfig cfg = small_config();
    cfg.cpu_mode = mode;
    cfg.jit_disable = disable;
    cfg.jit_profile = profile;
    auto m = std::make_unique<Machine>(cfg);
    enter_flat32(*m, kCode, 0x30000);
    if (paging) page_first_4mib(*m, kPageDir, kPageTable, kAbsent);
    const uint32_t regs[8] = {0, 7, 0x1234, 0, 0, 3, 0x55, 0x99};
    load_program(*m, kCode, code, regs, 0x2);
    return m;
}

struct Outcome {
    JitStats stats;
    uint64_t icount = 0;
};

// Runs `code` under both executors in runs of the lengths of `steps` (cycled) until `total`
// instructions have run, comparing state and RAM after every run; then the JIT's statistics.
Outcome run_steps(const std::vector<uint8_t>& code, uint32_t disable, bool profile, bool paging,
                  const std::vector<uint64_t>& steps, uint64_t total) {
    auto mi = make(CpuMode::Interp, 0, profile, paging, code);
    auto mj = make(CpuMode::Jit, disable, profile, paging, code);
    uint64_t done = 0;
    for (size_t k = 0; done < total; ++k) {
        const uint64_t n = steps[k % steps.size()];
        const Machine::Result ri = mi->run(n), rj = mj->run(n);
        done += n;
        INFO("after " << done << " instructions (a run of " << n << ")");
        REQUIRE(run_differences(*mi, *mj, ri, rj, profile) == "");
        REQUIRE(mj->cpu.s.icount == done);
    }
    return Outcome{mj->jit->stats(), mj->cpu.s.icount};
}

// Run lengths: every length up to 40 (stops at each instruction of the chains), then longer
// ones that let whole chains run between stops.
std::vector<uint64_t> step_lengths() {
    std::vector<uint64_t> s;
    for (uint64_t n = 1; n <= 40; ++n) s.push_back(n);
    for (uint64_t n : {97, 233, 1000, 4099, 20011, 61}) s.push_back(n);
    return s;
}

// A loop of four blocks, each ending in a jump or branch forward within the page, with a load
// and a store, a store that crosses into the next page (its slow path runs on every turn: the
// shared slow thunk inside a fusion source, between its entry test and its fused exit), a Jcc
// inside (a superblock's side exit forward), and a backward jump to the top.
std::vector<uint8_t> forward_chain() {
    return assemble_at(kCode, [](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), b = a.newLabel(), c = a.newLabel(), d = a.newLabel(), odd = a.newLabel();
        a.bind(top);
        a.add(ax::eax, 1);
        a.mov(ax::edx, ax::dword_ptr(kData + 0x10));
        a.add(ax::edx, ax::eax);
        a.jmp(b);
        a.int3();
        a.bind(b);
        a.add(ax::ebx, ax::edx);
        a.mov(ax::dword_ptr(kData + 0xFFE), ax::ebx);  // crosses into the next page
        a.test(ax::eax, 1);
        a.jnz(odd);
        a.add(ax::esi, 3);
        a.sub(ax::edi, ax::esi);
        a.jmp(c);
        a.int3();
        a.bind(odd);
        a.xor_(ax::edi, ax::eax);
        a.lea(ax::ecx, ax::ptr(ax::ecx, ax::eax, 1));
        a.bind(c);
        a.mov(ax::dword_ptr(kData + 0x20), ax::ecx);
        a.rol(ax::ecx, 3);
        a.cmp(ax::ecx, ax::ebx);
        a.jb(d);
        a.inc(ax::ebp);
        a.bind(d);
        a.add(ax::dword_ptr(kData + 0x30), ax::ebp);
        a.jmp(top);
    });
}

// `n` blocks of `len` instructions each, each jumping to the next (forward), the last back to
// the first: once all are linked, the first block's entry would have to cover n * len - len
// instructions, more than Jit::kMaxFuse when n * len is large.
std::vector<uint8_t> long_chain(unsigned n, unsigned len) {
    return assemble_at(kCode, [&](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.bind(top);
        for (unsigned i = 0; i < n; ++i) {
            asmjit::Label next = a.newLabel();
            for (unsigned j = 0; j + 1 < len; ++j) {
                if (j == 1) a.mov(ax::dword_ptr(kData + 4 * i), ax::eax);
                else a.add(j & 1 ? ax::ebx : ax::eax, int32_t(i + j));
            }
            if (i + 1 < n) {
                a.jmp(next);
                a.int3();
                a.bind(next);
            } else {
                a.jmp(top);
            }
        }
    });
}

} // namespace

TEST_CASE("fused entry tests: a chain of forward blocks stops exactly at every budget", "[jit][chain][fuse]") {
    const std::vector<uint8_t> code = forward_chain();
    for (bool paging : {false, true})
        for (bool profile : {true, false}) {
            INFO((paging ? "paging" : "flat") << (profile ? ", block runs counted" : ""));
            const Outcome o = run_steps(code, 0, profile, paging, step_lengths(), 150000);
            // Links past entry tests were made and the loop ran chained.
            CHECK(o.stats.fused_links >= 3);
            CHECK(o.stats.dispatches * 10 < o.icount);
            const Outcome off = run_steps(code, kDisableFuse, profile, paging, step_lengths(), 30000);
            CHECK(off.stats.fused_links == 0);
            CHECK(off.stats.links >= 3);
        }
}

TEST_CASE("fused entry tests: a source never covers more than kMaxFuse instructions", "[jit][chain][fuse]") {
    // 24 blocks of 8: linked in order, each link makes every block before it cover more, until
    // the first ones would cover more than Jit::kMaxFuse and enter their target's test again.
    const std::vector<uint8_t> code = long_chain(24, 8);
    for (bool profile : {true, false}) {
        INFO((profile ? "block runs counted" : "block runs not counted"));
        const Outcome o = run_steps(code, 0, profile, false, step_lengths(), 60000);
        CHECK(o.stats.fused_links >= 20);
        CHECK(o.stats.fuse_limited >= 1);
    }
}

TEST_CASE("fused entry tests: a fused target rewritten runs its new code", "[jit][chain][fuse][smc]") {
    // The loop's last block rewrites the immediate of a MOV in its second block (the target of
    // a fused link) every 64 turns: the link goes back to its stub, the block is translated
    // again and linked (fused) again.
    uint32_t imm_at = 0;  // set before the store that uses it is assembled
    const std::vector<uint8_t> code = assemble_at(kCode, [&](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), b = a.newLabel(), c = a.newLabel(), skip = a.newLabel();
        a.bind(top);
        a.add(ax::eax, 1);
        a.add(ax::edx, ax::eax);
        a.jmp(b);
        a.int3();
        a.bind(b);
        a.mov(ax::esi, 0x1000);  // its immediate is rewritten
        imm_at = uint32_t(a.offset()) - 4;
        a.add(ax::ebx, ax::esi);
        a.jmp(c);
        a.int3();
        a.bind(c);
        a.test(ax::eax, 63);
        a.jnz(skip);
        a.mov(ax::dword_ptr(kCode + imm_at), ax::eax);  // a write into translated code
        a.bind(skip);
        a.jmp(top);
    });
    for (bool profile : {true, false}) {
        INFO((profile ? "block runs counted" : "block runs not counted"));
        const Outcome o = run_steps(code, 0, profile, false, step_lengths(), 60000);
        CHECK(o.stats.fused_links >= 4);
        CHECK(o.stats.unlinks >= 2);
    }
}
