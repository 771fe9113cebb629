// Chained blocks (docs/translator.md, "Chaining"): a chained loop stops exactly at the budget and
// promptly at an exit request set by another thread; a block that others jump into (through a
// patched link or the inline jump cache) is rewritten and the new code runs; an arena much
// smaller than the program is flushed again and again with links live. Each case runs under
// both executors and compares the whole state, the instruction count and the per-mnemonic
// statistics, which the JIT gathers from the blocks' own run counters.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

#include "frontend/machine.h"
#include "flat_machine.h"
#include "test_machine.h"
#include "translator/emitter.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;

std::unique_ptr<Machine> flat_machine(CpuMode mode, size_t cache_bytes = Jit::kDefaultCacheBytes,
                                      uint32_t disable = 0) {
    MachineConfig cfg = small_config();
    cfg.cpu_mode = mode;
    cfg.jit_cache_bytes = cache_bytes;
    cfg.jit_disable = disable;
    auto m = std::make_unique<Machine>(cfg);
    enter_flat32(*m, kCode, 0x30000);
    return m;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }


// Two blocks in one page jumping to each other forever (EAX and EBX count the trips).
std::vector<uint8_t> endless_loop() {
    return assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), mid = a.newLabel();
        a.bind(top);
        a.add(ax::eax, 1);
        a.cmp(ax::eax, 3);
        a.jne(mid);
        a.add(ax::ecx, 2);
        a.bind(mid);
        a.add(ax::ebx, ax::eax);
        a.mov(ax::edx, ax::dword_ptr(0x20000));
        a.jmp(top);
    });
}

// The end of a loop counted down in ECX (`back`: dec ecx; jnz top), a HLT after it, and `far`
// at the start of the next page (the code starts at a page boundary): the two-page loops below
// jump there and back.
void loop_end_then_next_page(ax::Assembler& a, asmjit::Label back, asmjit::Label top, asmjit::Label far) {
    a.bind(back);
    a.dec(ax::ecx);
    a.jnz(top);
    a.hlt();
    while (a.offset() < 4096) a.db(0xCC);
    a.bind(far);
}

} // namespace

TEST_CASE("a chained loop stops at exactly the instruction budget", "[jit][chain]") {
    const std::vector<uint8_t> code = endless_loop();
    for (uint64_t budget : {1ull, 2ull, 7ull, 20000ull, 20001ull, 123457ull}) {
        INFO("budget " << budget);
        auto mi = flat_machine(CpuMode::Interp), mj = flat_machine(CpuMode::Jit);
        for (Machine* m : {mi.get(), mj.get()}) m->phys.write_bytes(kCode, code.data(), code.size());
        const Machine::Result ri = mi->run(budget), rj = mj->run(budget);
        CHECK(ri.reason == StopReason::MaxInsns);
        CHECK(rj.reason == StopReason::MaxInsns);
        CHECK(mj->cpu.s.icount == budget);
        CHECK(state_differences(*mi, *mj) == "");
        if (budget > 1000) {
            // The loop ran chained: far fewer returns to the dispatcher than block runs (the
            // machine's host slice, 20000 instructions, returns once per slice).
            const JitStats& st = mj->jit->stats();
            CHECK(st.links >= 2);
            CHECK(st.dispatches * 20 < st.blocks_run);
        }
    }
}

TEST_CASE("another thread's exit request stops a chained endless loop at a block entry", "[jit][chain]") {
    auto m = flat_machine(CpuMode::Jit);
    const std::vector<uint8_t> code = endless_loop();
    m->phys.write_bytes(kCode, code.data(), code.size());
    m->run(1000);  // translates and links the loop
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        m->cpu.request_exit(Cpu::kExitAsync);
    });
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t before = m->jit->stats().dispatches;
    // No budget at all: only the exit request ends it.
    const StopReason r = m->jit->run(0);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.join();
    m->cpu.exit_request.fetch_and(~Cpu::kExitAsync);
    CHECK(r == StopReason::None);
    CHECK(secs < 5.0);
    CHECK(m->cpu.s.icount > 100000);                    // it ran for a while ...
    CHECK(m->jit->stats().dispatches - before <= 3);    // ... without the dispatcher
    // Nothing was lost: the machine goes on and agrees with the interpreter at a budget.
    auto mi = flat_machine(CpuMode::Interp);
    mi->phys.write_bytes(kCode, code.data(), code.size());
    const uint64_t n = m->cpu.s.icount + 1001;
    mi->run(n);
    m->run(1001);
    CHECK(state_differences(*mi, *m) == "");
}

TEST_CASE("rewriting a block that others jump into runs the new code", "[jit][chain][smc]") {
    // Page 0 (kCode): a loop whose blocks link to each other and which jumps to page 1 (the
    // inline jump cache) and back; halfway, it rewrites the immediate of a MOV in page 1 and
    // of one in its own page: both targets of links and cached jumps.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), skip = a.newLabel(), p0 = a.newLabel(), far = a.newLabel(),
                      back = a.newLabel(), p1 = a.newLabel();
        a.mov(ax::ecx, 200);
        a.xor_(ax::edi, ax::edi);
        a.bind(top);
        a.cmp(ax::ecx, 100);
        a.jne(skip);
        a.mov(ax::byte_ptr(p0, 1), 7);
        a.mov(ax::byte_ptr(p1, 1), 11);
        a.bind(skip);
        a.bind(p0);
        a.long_().mov(ax::eax, 3);
        a.add(ax::edi, ax::eax);
        a.jmp(far);
        loop_end_then_next_page(a, back, top, far);
        a.bind(p1);
        a.long_().mov(ax::edx, 5);
        a.add(ax::esi, ax::edx);
        a.jmp(back);
    });
    REQUIRE(code.size() > 4096);
    auto mi = flat_machine(CpuMode::Interp), mj = flat_machine(CpuMode::Jit);
    for (Machine* m : {mi.get(), mj.get()}) {
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->run(100000);
        CHECK(m->cpu.s.halted);
    }
    CHECK(mj->cpu.s.reg32(EDI) == 100 * 3 + 100 * 7);
    CHECK(mj->cpu.s.reg32(ESI) == 100 * 5 + 100 * 11);
    CHECK(state_differences(*mi, *mj) == "");
    const JitStats& st = mj->jit->stats();
    CHECK(st.invalidated >= 2);
    CHECK(st.links >= 1);
    CHECK(st.unlinks >= 1);
}

TEST_CASE("an arena far smaller than the program is flushed with links live", "[jit][chain]") {
    // 400 blocks of two instructions, each jumping to the next, run 30 times: a 16 KiB arena
    // holds a fraction of them, so it fills and is flushed over and over while links point
    // into it.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.mov(ax::ecx, 30);
        a.bind(top);
        for (int i = 0; i < 400; ++i) {
            asmjit::Label next = a.newLabel();
            a.add(ax::eax, i);
            a.jmp(next);
            a.bind(next);
        }
        a.dec(ax::ecx);
        a.jnz(top);
        a.hlt();
    });
    auto mi = flat_machine(CpuMode::Interp), mj = flat_machine(CpuMode::Jit, 16 << 10);
    for (Machine* m : {mi.get(), mj.get()}) {
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->run(1000000);
        CHECK(m->cpu.s.halted);
    }
    CHECK(state_differences(*mi, *mj) == "");
    const JitStats& st = mj->jit->stats();
    CHECK(st.flushes >= 10);
    CHECK(st.links >= 100);
}

TEST_CASE("jit: with --jit-disable chain every block returns to the dispatcher", "[jit][chain]") {
    const std::vector<uint8_t> code = endless_loop();
    auto mi = flat_machine(CpuMode::Interp), mj = flat_machine(CpuMode::Jit, Jit::kDefaultCacheBytes, kDisableChain);
    for (Machine* m : {mi.get(), mj.get()}) {
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->run(50001);
    }
    CHECK(state_differences(*mi, *mj) == "");
    const JitStats& st = mj->jit->stats();
    CHECK(st.links == 0);
    CHECK(st.dispatches >= st.blocks_run);
}

TEST_CASE("cold blocks: the interpreter runs a block until its hot_runs-th run, then it is translated", "[jit][chain][cold]") {
    // A loop of two blocks (endless_loop) plus CPUID, a fallback call, in a block of its own
    // that runs once: with hot_runs 3 the loop's blocks run twice in the interpreter and are
    // then translated and chained; the CPUID block is never translated. Every budget ends in
    // the interpreter's and the JIT's exact state.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), mid = a.newLabel();
        a.xor_(ax::eax, ax::eax);
        a.cpuid();
        a.xor_(ax::eax, ax::eax);
        a.jmp(top);
        a.bind(top);
        a.add(ax::eax, 1);
        a.cmp(ax::eax, 3);
        a.jne(mid);
        a.cpuid();  // a fallback call in the loop: the statistics count it per mnemonic
        a.bind(mid);
        a.add(ax::ebx, ax::eax);
        a.jmp(top);
    });
    for (unsigned hot : {1u, 2u, 3u, 5u}) {
        for (uint64_t budget : {1ull, 5ull, 9ull, 14ull, 33ull, 5000ull}) {
            INFO("hot_runs " << hot << ", budget " << budget);
            auto mi = flat_machine(CpuMode::Interp);
            MachineConfig cfg = small_config();
            cfg.cpu_mode = CpuMode::Jit;  // also in the interp: variant of the test run
            cfg.jit_hot_runs = hot;
            // The CPUID after the JNE a block of its own, not in the loop's superblock.
            cfg.jit_disable = kDisableSuperblocks;
            auto mj = std::make_unique<Machine>(cfg);
            enter_flat32(*mj, kCode, 0x30000);
            for (Machine* m : {mi.get(), mj.get()}) m->phys.write_bytes(kCode, code.data(), code.size());
            CHECK(mi->run(budget).reason == StopReason::MaxInsns);
            CHECK(mj->run(budget).reason == StopReason::MaxInsns);
            CHECK(state_differences(*mi, *mj) == "");
            mj->jit->sync_stats();
            const JitStats& st = mj->jit->stats();
            if (hot <= 1) CHECK(st.cold_steps == 0);
            if (budget == 5000) {
                // The first block (xor, cpuid, xor, jmp) ran once: translated only at hot_runs 1.
                CHECK((st.cold_steps >= 4) == (hot > 1));
                CHECK(st.links >= 2);  // the loop was translated and chained all the same
                CHECK(st.blocks_run > 1000);
                // CPUID: once before the loop, and in the loop's third trip only (EAX = 3 once).
                CHECK(mj->cpu.stats.executed[ZYDIS_MNEMONIC_CPUID] == 2);
                const FallbackCounts& fc = mj->jit->fallback_counts();
                const auto at = fc.index.find("cpuid");
                const uint64_t cpuid_calls = at == fc.index.end() ? 0 : fc.count[at->second];
                CHECK(cpuid_calls == (hot > 1 ? 0u : 2u));
            }
        }
    }
}

TEST_CASE("the jump cache never enters a block translated for another mode", "[jit][chain]") {
    // Page 0 jumps through a register to page 1 (the jump cache) and back, 200 turns; page 1
    // reads [0x20000] through DS. At turn 100 DS is loaded with a segment based at 0x1000: the
    // mode key changes (DS no longer flat), and the block of page 1 translated before, whose
    // access does not add a base, is in the jump cache for the same linear address. Entering
    // it would read 0x20000 where the guest reads 0x21000.
    constexpr uint32_t kGdt = 0x700, kIdt = 0x800, kHandler = 0x9000;
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), skip = a.newLabel(), far = a.newLabel(), back = a.newLabel();
        a.mov(ax::ecx, 200);
        a.xor_(ax::edi, ax::edi);
        a.bind(top);
        a.cmp(ax::ecx, 100);
        a.jne(skip);
        a.mov(ax::eax, 0x18);
        a.mov(ax::ds, ax::ax);
        a.bind(skip);
        a.lea(ax::eax, ax::ptr(far));
        a.jmp(ax::eax);
        loop_end_then_next_page(a, back, top, far);
        a.add(ax::edi, ax::dword_ptr(0x20000));
        a.lea(ax::ebx, ax::ptr(back));
        a.jmp(ax::ebx);
    });
    REQUIRE(code.size() > 4096);
    auto mi = flat_machine(CpuMode::Interp), mj = flat_machine(CpuMode::Jit);
    for (Machine* m : {mi.get(), mj.get()}) {
        install_halting_idt(*m, kGdt, kIdt, kHandler);
        const uint32_t based_data[2] = {0x1000FFFFu, 0x00CF9300u};  // base 0x1000, limit 4 GiB - 4 KiB
        m->phys.write_bytes(kGdt + 24, based_data, sizeof based_data);
        m->cpu.s.gdtr = TableRegister{kGdt, 31};
        const uint32_t flat = 3, based = 1000;
        m->phys.write_bytes(0x20000, &flat, 4);
        m->phys.write_bytes(0x21000, &based, 4);
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->run(100000);
        CHECK(m->cpu.s.halted);
    }
    CHECK(mj->cpu.s.reg32(EDI) == 100 * 3 + 100 * 1000);
    CHECK(state_differences(*mi, *mj) == "");
    const JitStats& st = mj->jit->stats();
    CHECK(st.ic_exits >= 2);
}
