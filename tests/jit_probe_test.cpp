// The inline data probe (docs/translator.md, "The fast pages"): the addend comes from
// Mmu::fast_pages at the index of the whole page number, 0 being a miss; an aligned access of
// 2, 4 or 8 bytes cannot cross into the next page, and an unaligned one takes the exact crossing
// test out of line, rejoining the fast path when it stays in its page. These guests access every
// offset around a page's end with every size and form that probes (loads, MOVZX, stores, a
// read-modify-write, CMPXCHG8B), where the next page is mapped to a distant frame or absent, and
// compare the JIT's whole state and RAM with the interpreter's.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <functional>
#include <memory>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/emitter.h"
#include "translator/jit.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kPage = 0x20000;              // the accesses run round its end
constexpr uint32_t kNext = kPage + 0x1000;       // mapped to kFar with paging (or absent)
constexpr uint32_t kFar = 0x300000;
constexpr uint32_t kHandler = 0x9000;            // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;
constexpr uint32_t kAbsentElsewhere = 0x50000;   // page_first_4mib wants one absent page

void setup(Machine& m, const std::vector<uint8_t>& code, bool paging, bool next_absent) {
    enter_flat32(m, kCode, 0x8000);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
    fill_page_words(m, kPage, 0x11000000u, 2654435761u);
    fill_page_words(m, kNext, 0x22000000u, 40503u);
    fill_page_words(m, kFar, 0x33000000u, 2246822519u);
    if (paging) {
        page_first_4mib(m, kPageDir, kPageTable, kAbsentElsewhere);
        put32(kPageTable + (kNext >> 12) * 4, next_absent ? 0 : (kFar | 3));
    }
    static const uint32_t regs[8] = {0x01234567, 0x89ABCDEF, 0xFEDCBAFF, 0x76543210, 0, 0x0BADF00D, 0x13579BDF, 0x2468ACE0};
    load_program(m, kCode, code, regs, FIXED1 | 0x8D5);
}

// Runs `code` under the interpreter and the JIT (with the fast pages and without, and with
// categories around the probe switched off); every JIT run must equal the interpreter's.
// Returns the interpreter's final state and its exception count.
CpuState run_all(const std::vector<uint8_t>& code, bool paging, bool next_absent, uint64_t& exceptions) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, paging, next_absent);
    const Machine::Result rr = ref->run(200000);
    for (uint32_t disable : {0u, uint32_t(kDisablePageTable), uint32_t(kDisableStackGroup), uint32_t(kDisableRegs),
                             uint32_t(kDisableBounds), uint32_t(kDisablePageTable | kDisableBmi2), uint32_t(kDisablePredict)}) {
        INFO("jit, --jit-disable bits " << std::hex << disable << (paging ? ", paging" : ", flat")
                                        << (next_absent ? ", next page absent" : ""));
        auto m = mode_machine(CpuMode::Jit, disable);
        setup(*m, code, paging, next_absent);
        const Machine::Result r = m->run(200000);
        CHECK(run_differences(*ref, *m, rr, r) == "");
    }
    exceptions = 0;
    for (uint64_t e : ref->cpu.stats.exceptions) exceptions += e;
    return ref->cpu.s;
}

// ESI walks from kPage + 0xFF0 one byte at a time for ECX turns; each turn reads a dword and a
// word at ESI, adds ECX into the dword (read-modify-write), stores a word at ESI + 1 and a byte at
// ESI + 3, and sums what it read into EDI. With `cmpxchg8b`, also a CMPXCHG8B at ESI.
std::vector<uint8_t> walk_program(unsigned turns, bool cmpxchg8b) {
    return assemble_at(kCode, [&](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.mov(ax::esi, kPage + 0xFF0);
        a.mov(ax::ecx, turns);
        a.xor_(ax::edi, ax::edi);
        a.bind(top);
        a.mov(ax::eax, ax::dword_ptr(ax::esi));
        a.add(ax::edi, ax::eax);
        a.movzx(ax::edx, ax::word_ptr(ax::esi));
        a.add(ax::edi, ax::edx);
        a.add(ax::dword_ptr(ax::esi), ax::ecx);
        a.mov(ax::word_ptr(ax::esi, 1), ax::dx);
        a.mov(ax::byte_ptr(ax::esi, 3), ax::cl);
        if (cmpxchg8b) {
            // EDX:EAX = the qword as it is now, so the exchange writes ECX:EBX on every turn.
            a.mov(ax::eax, ax::dword_ptr(ax::esi));
            a.mov(ax::edx, ax::dword_ptr(ax::esi, 4));
            a.mov(ax::ebx, ax::edi);
            a.cmpxchg8b(ax::qword_ptr(ax::esi));
        }
        a.inc(ax::esi);
        a.dec(ax::ecx);
        a.jnz(top);
        a.hlt();
    });
}

} // namespace

TEST_CASE("the inline probe: every offset round a page's end, aligned, unaligned and crossing", "[jit][probe]") {
    for (bool cmpxchg8b : {false, true}) {
        INFO("cmpxchg8b " << cmpxchg8b);
        // 0xFF0 to 0x100F: aligned and unaligned in the page, crossing, then in the next page.
        const std::vector<uint8_t> code = walk_program(32, cmpxchg8b);
        for (bool paging : {false, true}) {
            uint64_t exceptions = 0;
            const CpuState s = run_all(code, paging, false, exceptions);
            CHECK(exceptions == 0);
            CHECK(s.reg32(ESI) == kPage + 0x1010);
            CHECK(s.reg32(ECX) == 0);
        }
    }
}

TEST_CASE("the inline probe: an unaligned access that crosses into an absent page faults there", "[jit][probe]") {
    for (bool cmpxchg8b : {false, true}) {
        INFO("cmpxchg8b " << cmpxchg8b);
        const std::vector<uint8_t> code = walk_program(32, cmpxchg8b);
        uint64_t exceptions = 0;
        const CpuState s = run_all(code, true, true, exceptions);
        CHECK(exceptions == 1);
        CHECK(s.cr2 == kNext);
        // The first access to reach kNext: CMPXCHG8B's qword at 0xFF9, else the dword read at 0xFFD.
        CHECK(s.reg32(ESI) == kPage + (cmpxchg8b ? 0xFF9u : 0xFFDu));
    }
}

namespace {

// ECX = 0..15, EBX from ECX by `recipe` (round kPage's end), then a dword and a word read at EBX
// and a dword at EBX + 2, summed into EDI. The JIT knows some of these addresses aligned
// (Emitter::track_bounds) and tests no crossing for them; the others cross on some turns.
template <typename Recipe> std::vector<uint8_t> aligned_program(Recipe&& recipe) {
    return assemble_at(kCode, [&](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.xor_(ax::ecx, ax::ecx);
        a.xor_(ax::edi, ax::edi);
        a.bind(top);
        recipe(a);
        a.add(ax::edi, ax::dword_ptr(ax::ebx));
        a.movzx(ax::edx, ax::word_ptr(ax::ebx));
        a.add(ax::edi, ax::edx);
        a.add(ax::edi, ax::dword_ptr(ax::ebx, 2));  // the displacement counts too
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 16);
        a.jb(top);
        a.hlt();
    });
}

} // namespace

TEST_CASE("the inline probe: addresses known aligned test no crossing, the others still do", "[jit][probe]") {
    const uint32_t p = kPage + 0xFE0;
    struct Recipe {
        const char* name;
        std::function<void(ax::Assembler&)> emit;
        uint64_t faults;  // with the next page absent: 1 when some turn reaches it
    };
    const Recipe recipes[] = {
        {"lea [ecx*4 + p]: aligned", [&](ax::Assembler& a) { a.lea(ax::ebx, ax::ptr(0 + p, ax::ecx, 2)); }, 1},
        {"lea [ecx*4 + p + 2]: 2 only", [&](ax::Assembler& a) { a.lea(ax::ebx, ax::ptr(p + 2, ax::ecx, 2)); }, 1},
        {"shl 2, add p + 2",
         [&](ax::Assembler& a) { a.mov(ax::ebx, ax::ecx); a.shl(ax::ebx, 2); a.add(ax::ebx, p + 2); }, 1},
        {"shl 1, add p: 2 only",
         [&](ax::Assembler& a) { a.mov(ax::ebx, ax::ecx); a.shl(ax::ebx, 1); a.add(ax::ebx, p + 0x10); }, 1},
        {"lea [ecx*2 + p + 1], and -2",
         [&](ax::Assembler& a) { a.lea(ax::ebx, ax::ptr(p + 0x11, ax::ecx, 1)); a.and_(ax::ebx, -2); }, 1},
        {"xor, or ecx, shl 1, add p + 1",
         [&](ax::Assembler& a) { a.xor_(ax::ebx, ax::ebx); a.or_(ax::ebx, ax::ecx); a.shl(ax::ebx, 1); a.add(ax::ebx, p + 0x11); }, 1},
        {"lea [ecx*8 + p + 8], sub 6",
         [&](ax::Assembler& a) { a.lea(ax::ebx, ax::ptr(p + 8, ax::ecx, 3)); a.sub(ax::ebx, 6); }, 1},
        {"lea [ecx*4 + p], inc",
         [&](ax::Assembler& a) { a.lea(ax::ebx, ax::ptr(0 + p, ax::ecx, 2)); a.inc(ax::ebx); }, 1},
        {"lea eax, [ecx*8]; lea [eax + eax*2 + p - 0x40]",
         [&](ax::Assembler& a) { a.lea(ax::eax, ax::ptr(0, ax::ecx, 3)); a.lea(ax::ebx, ax::ptr(ax::eax, ax::eax, 1, int32_t(p - 0x40))); }, 1},
        {"mov eax, p + 0x1E; add eax, ecx; mov ebx, eax",
         [&](ax::Assembler& a) { a.mov(ax::eax, p + 0x1E); a.add(ax::eax, ax::ecx); a.mov(ax::ebx, ax::eax); }, 1},
        {"mov bl, cl over an aligned ebx",
         [&](ax::Assembler& a) { a.mov(ax::ebx, p + 0x10); a.mov(ax::bl, ax::cl); a.or_(ax::bl, 0xE0); a.add(ax::ebx, 0x10); }, 1},
    };
    for (const Recipe& r : recipes) {
        INFO(r.name);
        const std::vector<uint8_t> code = aligned_program(r.emit);
        for (bool paging : {false, true}) {
            uint64_t exceptions = 0;
            run_all(code, paging, false, exceptions);
            CHECK(exceptions == 0);
        }
        uint64_t exceptions = 0;
        run_all(code, true, true, exceptions);
        CHECK(exceptions == r.faults);
    }
    // Both probes of the first recipe are aligned, only the word's of the second (in each
    // block that holds the loop's body).
    auto m = mode_machine(CpuMode::Jit, 0);
    setup(*m, aligned_program(recipes[0].emit), false, false);
    m->run(200000);
    auto n = mode_machine(CpuMode::Jit, 0);
    setup(*n, aligned_program(recipes[1].emit), false, false);
    n->run(200000);
    CHECK(n->jit->stats().aligned_probes >= 1);
    CHECK(m->jit->stats().aligned_probes == 2 * n->jit->stats().aligned_probes);
}

TEST_CASE("a predicted probe after another's slow path still compares a nonzero rbp: misses, a crossing, a page "
          "mapped elsewhere, an absent page", "[jit][probe]") {
    // Straight-line loads and stores at CPL 0 (the probes predict the code page's addend) whose
    // later probes keep rbp from the one before (no `mov rbp, addend`): each earlier one takes
    // its slow path here (a first touch of its page, a crossing of kPage's end, kNext mapped to
    // kFar, whose addend is not the prediction), which must leave the prediction in rbp, or a
    // later probe of a page whose entry is 0 (never touched, absent, beyond RAM) would take that
    // 0 for its addend. Each order of the accesses, with kNext mapped far or absent.
    struct Access {
        uint32_t at;
        bool write;
    };
    const std::vector<std::vector<Access>> orders = {
        {{kPage + 0x10, false}, {kNext + 0x20, false}, {kPage + 0xFFE, false}, {kNext + 0x30, false},
         {kPage + 0x40, true}, {0x401000, false}},
        {{kPage + 0xFFE, false}, {kPage + 0x10, true}, {kNext + 0x30, true}, {kPage + 0x44, false},
         {kNext + 0x20, false}},
        {{kNext + 0x30, false}, {kPage + 0x10, false}, {0x401000, false}, {kPage + 0x20, false}},
    };
    uint64_t kept = 0;
    for (size_t k = 0; k < orders.size(); ++k) {
        const std::vector<uint8_t> code = assemble_at(kCode, [&](ax::Assembler& a) {
            static const ax::Gp regs[] = {ax::eax, ax::ecx, ax::edx, ax::ebx, ax::esi, ax::edi};
            unsigned r = 0;
            // EBP's value (the start's 0x0BADF00D) is not known to the block: no constant-page probes.
            for (const Access& x : orders[k]) {
                const ax::Mem at = ax::dword_ptr(ax::ebp, int32_t(x.at - 0x0BADF00Du));
                if (x.write) a.mov(at, ax::edi);
                else a.mov(regs[r++ % 6], at);
            }
            a.hlt();
        });
        for (int paging = 0; paging < 2; ++paging) {
            for (bool next_absent : {false, true}) {
                if (!paging && next_absent) continue;
                INFO("order " << k << (paging ? ", paging" : ", flat") << (next_absent ? ", kNext absent" : ""));
                uint64_t exceptions = 0;
                run_all(code, paging, next_absent, exceptions);
                // The page beyond the first 4 MiB is not mapped with paging (nor kNext when absent).
                bool faults = false;
                for (const Access& x : orders[k])
                    faults |= next_absent ? (x.at & ~0xFFFu) == kNext : x.at == 0x401000;
                CHECK(exceptions == (paging && faults ? 1u : 0u));
            }
        }
        auto m = mode_machine(CpuMode::Jit, 0);
        setup(*m, code, false, false);
        m->run(200000);
        kept += m->jit->stats().predicted_kept;
    }
    // The later probes of each block kept rbp.
    CHECK(kept >= 8);
    // A stack group's member between two predicted probes: its group's probe missed (its range
    // [ESP + 4, ESP + 12) crosses a page end), so the member after a load of its own takes rbp
    // = 0 from the group's slot and probes for itself (a hit: its page was read before),
    // leaving rbp 0; the probe after it must load the prediction again (its page untouched: an
    // entry of 0).
    const std::vector<uint8_t> group = assemble_at(kCode, [&](ax::Assembler& a) {
        a.mov(ax::esi, ax::dword_ptr(ax::ebp, int32_t(0x39100 - 0x0BADF00Du)));  // the member's page in the TLB
        a.mov(ax::esp, 0x38FF8);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);  // the leader
        a.mov(ax::ecx, ax::dword_ptr(ax::ebp, int32_t(kPage + 0x10 - 0x0BADF00Du)));
        a.mov(ax::dword_ptr(ax::esp, 8), ax::ecx);  // a member: rbp again from the slot
        a.mov(ax::edx, ax::dword_ptr(ax::ebp, int32_t(kFar + 0x10 - 0x0BADF00Du)));
        a.hlt();
    });
    // A self-loop (two turns per entry, as without --stats) whose turn ends with a stack group's
    // members probing for themselves (rbp 0) and begins with a predicted probe of a page not
    // touched yet (EBP walks a page a turn): the second turn must load the prediction again.
    const std::vector<uint8_t> loop = assemble_at(kCode, [&](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.mov(ax::esp, 0x38FF8);
        a.mov(ax::ebp, 0x100000);
        a.mov(ax::ecx, 7);
        a.bind(top);
        a.mov(ax::eax, ax::dword_ptr(ax::ebp, 0x10));
        a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);  // the group's range crosses into 0x39000
        a.mov(ax::dword_ptr(ax::esp, 8), ax::ecx);
        a.add(ax::ebp, 0x1000);
        a.dec(ax::ecx);
        a.jnz(top);
        a.hlt();
    });
    for (int paging = 0; paging < 2; ++paging) {
        INFO("a self-loop" << (paging ? ", paging" : ", flat"));
        auto ref = mode_machine(CpuMode::Interp, 0);
        setup(*ref, loop, paging, false);
        const Machine::Result rr = ref->run(200000);
        MachineConfig cfg = small_config();
        cfg.cpu_mode = CpuMode::Jit;
        cfg.jit_profile = false;
        auto m = std::make_unique<Machine>(cfg);
        setup(*m, loop, paging, false);
        const Machine::Result r = m->run(200000);
        CHECK(run_differences(*ref, *m, rr, r, false) == "");
        CHECK(m->cpu.s.reg32(ECX) == 0);
    }
    for (int paging = 0; paging < 2; ++paging) {
        INFO("a stack group between" << (paging ? ", paging" : ", flat"));
        uint64_t exceptions = 0;
        const CpuState st = run_all(group, paging, false, exceptions);
        CHECK(exceptions == 0);
        CHECK(st.reg32(EDX) != 0);
    }
}
