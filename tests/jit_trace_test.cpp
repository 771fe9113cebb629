// Side traces (docs/translator.md, "Side traces"): a self-loop superblock whose side exit comes
// back into the loop (the heap sort's sift-down: `cmp; jae other; ...; join: ...; jb top` with
// `other: ...; jb join`) goes on in the block through the other way's instructions and the
// loop's tail instead of leaving it. Each loop here runs under the interpreter and under the JIT
// with the trace, without it and with the categories around it switched off, stopped after
// every instruction of its first turns and at later points, flat and paged (a fault inside the
// trace), the whole CPU state, CR2, the exception counts and RAM compared.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <functional>
#include <memory>
#include <string>
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
constexpr uint32_t kData = 0x20000;    // 0x1000 dwords of pseudo-random numbers
constexpr uint32_t kAbsent = 0x40000;  // not present with paging on
constexpr uint32_t kHandler = 0x9000;  // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;
constexpr uint32_t kStack = 0x38000;

void setup(Machine& m, const std::vector<uint8_t>& code, bool paging) {
    enter_flat32(m, kCode, kStack);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    if (paging) page_first_4mib(m, kPageDir, kPageTable, kAbsent);
    uint32_t r = 0x2545F491;
    for (uint32_t i = 0; i < 0x1000; ++i) {
        r ^= r << 13, r ^= r >> 17, r ^= r << 5;
        m.phys.write_bytes(kData + 4 * i, &r, 4);
    }
    // Every loop's first two turns (the second one the first in the loop's own block) take its
    // side exit.
    const uint32_t first[2] = {0xF00000C0, 0xF00000C0};
    m.phys.write_bytes(kData, first, 8);
    static const uint32_t regs[8] = {0x01234567, 0x89ABCDEF, 0xFEDCBA98, 0, 0, 0x0BADF00D, 0x13579BDF, 0x2468ACE0};
    load_program(m, kCode, code, regs, FIXED1 | 0x8D5);
}

struct Outcome {
    CpuState state;
    uint64_t exceptions = 0;    // exceptions the interpreter delivered
    uint64_t traces = 0;        // side traces the default JIT made
    uint64_t traces_off = 0;    // ... with --jit-disable traces
    uint64_t selects = 0;       // second-copy turns with a select the default JIT made
    uint64_t selects_off = 0;   // ... with --jit-disable select
};

// Runs `code` for at most `budget` instructions under the interpreter and, without counting
// block runs (as without --stats: a self-loop gets its second copy), under the JIT with each of
// the --jit-disable bits below, its superblocks learning their ways after 16 runs.
Outcome run_all(const std::vector<uint8_t>& code, bool paging, uint64_t budget) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, paging);
    const Machine::Result rr = ref->run(budget);
    Outcome o;
    for (uint32_t disable : {0u, uint32_t(kDisableTraces), uint32_t(kDisableSelect), uint32_t(kDisableStackGroup),
                             uint32_t(kDisableLoopFlags), uint32_t(kDisablePredict), uint32_t(kDisableBounds)}) {
        INFO("jit, --jit-disable bits " << std::hex << disable << ", paging " << paging << ", budget " << std::dec
                                        << budget);
        MachineConfig cfg = small_config();
        cfg.cpu_mode = CpuMode::Jit;
        cfg.jit_disable = disable;
        cfg.jit_profile = false;
        auto m = std::make_unique<Machine>(cfg);
        m->jit->set_learn_runs(16);
        setup(*m, code, paging);
        const Machine::Result r = m->run(budget);
        CHECK(run_differences(*ref, *m, rr, r, false) == "");
        if (disable == 0) o.traces = m->jit->stats().side_traces;
        if (disable == kDisableTraces) o.traces_off = m->jit->stats().side_traces;
        if (disable == 0) o.selects = m->jit->stats().selects;
        if (disable == kDisableSelect) o.selects_off = m->jit->stats().selects;
    }
    o.state = ref->cpu.s;
    for (uint64_t e : ref->cpu.stats.exceptions) o.exceptions += e;
    return o;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

struct Case {
    const char* name;
    // The loop: `top` bound first, its back edge last; `out` and `other` after it (other first),
    // emitted by the case; ECX counts the turns, EBX indexes kData.
    std::function<void(ax::Assembler&, asmjit::Label top, asmjit::Label out)> loop;
    bool faults;  // with paging, the trace's own instructions reach kAbsent
    uint64_t traces = 1;  // side traces the default JIT makes
};

// The heap sort's sift-down shape: a stack group (the limit at [ESP + 4], spills to [ESP] and
// [ESP + 8]) whose later turns take its address from the slot, the way out taken by about
// three turns in eight, coming back at `join` by a Jcc whose other way is the loop's side exit
// `out`. The trace's own stack accesses must form no group of their own (its leader would leave
// another address in the slot). EDI walks up to kAbsent in the trace only.
// `longer`: the loop's own way three instructions shorter than the trace, which tests the budget
// for the three more (a stop near a budget's end takes the side exit as without it), and whose
// first instruction writes every flag (the lazy CMP's are not made again at its start; its load
// faults right after that one).
void sift_like(ax::Assembler& a, asmjit::Label top, asmjit::Label out, bool longer) {
    asmjit::Label other = a.newLabel(), join = a.newLabel();
    a.bind(top);
    a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
    a.cmp(ax::eax, 0xA0000000);
    a.jae(other);
    a.mov(ax::dword_ptr(ax::esp), ax::eax);      // the way most turns take: the group's leader
    if (!longer) {
        a.mov(ax::dword_ptr(ax::esp, 8), ax::ecx);
        a.lea(ax::edx, ax::ptr(ax::edx, ax::eax));
        a.mov(ax::eax, ax::dword_ptr(kData + 4, ax::ebx, 2));
    }
    a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);
    a.jb(out);
    a.bind(join);
    a.mov(ax::dword_ptr(kData + 8, ax::ebx, 2), ax::edx);
    a.lea(ax::ebx, ax::ptr(ax::ebx, ax::ebx, 1, 1));
    a.and_(ax::ebx, 0x3FF);
    a.add(ax::edx, ax::ebx);
    a.dec(ax::ecx);
    a.jnz(top);
    a.jmp(out);
    a.bind(other);                               // the trace's own instructions
    if (longer) {
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);  // ends the CMP's lazy stretch: its own flags after
        a.mov(ax::esi, ax::dword_ptr(ax::edi));     // may fault (paged): EFLAGS this CMP's there
        a.lea(ax::edi, ax::ptr(ax::edi, 0x40));
        a.mov(ax::dword_ptr(ax::esp, 8), ax::esi);
        a.lea(ax::edx, ax::ptr(ax::edx, ax::esi));
    } else {
        a.add(ax::edx, ax::dword_ptr(ax::edi));     // may fault (paged): EFLAGS the CMP's there
        a.add(ax::edi, 0x40);
        a.mov(ax::dword_ptr(ax::esp, 8), ax::edx);
        a.mov(ax::esi, ax::dword_ptr(ax::esp, 12));
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);
    }
    a.jae(join);                                 // almost always: its other way is `out`
}

const Case kCases[] = {
    {"the sift-down's diamond: a stack group, a lazy DEC at the back edge, a load in the trace",
     [](ax::Assembler& a, asmjit::Label top, asmjit::Label out) { sift_like(a, top, out, false); }, true},
    {"the same with a trace longer than the loop's own way",
     [](ax::Assembler& a, asmjit::Label top, asmjit::Label out) { sift_like(a, top, out, true); }, true},
    // The way out skips part of the loop and comes back into it at once (no instructions of its
    // own): an `if` without `else`; a CMP's lazy flags at the back edge.
    {"an if without else, a lazy CMP at the back edge",
     [](ax::Assembler& a, asmjit::Label top, asmjit::Label) {
         asmjit::Label skip = a.newLabel();
         a.xor_(ax::esi, ax::esi);
         a.bind(top);
         a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
         a.test(ax::eax, 0x30000);
         a.jz(skip);                             // about one turn in four
         a.add(ax::edx, ax::eax);
         a.rol(ax::edx, 5);
         a.mov(ax::dword_ptr(kData + 4, ax::ebx, 2), ax::edx);
         a.bind(skip);
         a.inc(ax::ebx);
         a.and_(ax::ebx, 0x3FF);
         a.dec(ax::ecx);
         a.cmp(ax::ecx, ax::esi);
         a.jne(top);
     },
     false},
    // The flags of the ADD before the Jcc are read on neither way on: captured at the side exit
    // only (the trace must capture them too: its load may fault), its ADC reads CF; a JMP back
    // into the loop.
    {"an ADD's flags captured at the trace's start, an ADC in the trace",
     [](ax::Assembler& a, asmjit::Label top, asmjit::Label out) {
         asmjit::Label other = a.newLabel(), join = a.newLabel();
         a.bind(top);
         a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
         a.add(ax::al, 0x40);                    // a byte ADD: no recipe (not lazy)
         a.jc(other);                            // about one turn in four
         a.xor_(ax::edx, ax::eax);
         a.mov(ax::esi, ax::edx);
         a.shr(ax::esi, 3);
         a.add(ax::edx, ax::esi);
         a.bind(join);
         a.inc(ax::ebx);
         a.and_(ax::ebx, 0x3FF);
         a.mov(ax::dword_ptr(kData + 0x2000, ax::ebx, 2), ax::edx);
         a.dec(ax::ecx);
         a.jnz(top);
         a.jmp(out);
         a.bind(other);
         a.mov(ax::esi, ax::dword_ptr(ax::edi));  // may fault (paged): EFLAGS the ADD's there
         a.add(ax::edi, 0x40);
         a.adc(ax::edx, ax::esi);
         a.jmp(join);
     },
     true},
    // The loop's own way leaves the prediction in rbp for its next turn, whose first probe then
    // loads none; the trace's SHL of memory leaves rbp unknown: no trace.
    {"a trace that would leave rbp other than the next turn expects: none",
     [](ax::Assembler& a, asmjit::Label top, asmjit::Label out) {
         asmjit::Label other = a.newLabel(), join = a.newLabel();
         a.bind(top);
         a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
         a.cmp(ax::eax, 0xA0000000);
         a.jae(other);
         a.mov(ax::dword_ptr(kData + 0x2000, ax::ebx, 2), ax::eax);
         a.add(ax::edx, ax::eax);
         a.bind(join);
         a.inc(ax::ebx);
         a.and_(ax::ebx, 0x3FF);
         a.dec(ax::ecx);
         a.jnz(top);
         a.jmp(out);
         a.bind(other);
         a.shl(ax::dword_ptr(kData + 0x2800, ax::ebx, 2), 1);
         a.jmp(join);
     },
     false, 0},
};

} // namespace

TEST_CASE("a self-loop's side exit that comes back into the loop goes on in the block as the interpreter's: "
          "stops inside the trace, a fault in it, its own way out", "[jit][traces]") {
    for (const Case& c : kCases) {
        // The loop is entered eight times, each after a stack group elsewhere left its own
        // address in the group slot (a group past another access keeps it there): the first
        // copy's trace runs before the loop's group leader has.
        const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
            asmjit::Label outer = a.newLabel(), top = a.newLabel(), out = a.newLabel();
            a.sub(ax::esp, 16);
            a.mov(ax::dword_ptr(ax::esp, 4), 0xFFFFFFF0);  // the limit: almost never below
            a.mov(ax::edi, kAbsent - 0x40 * 40);  // the 41st turn through the trace faults, paged
            a.mov(ax::ebp, 8);
            a.bind(outer);
            a.sub(ax::esp, 0x400);
            a.mov(ax::dword_ptr(ax::esp), ax::eax);
            a.mov(ax::dword_ptr(kData + 0x3000), ax::ecx);
            a.mov(ax::dword_ptr(ax::esp, 4), ax::edx);
            a.add(ax::esp, 0x400);
            a.xor_(ax::ebx, ax::ebx);
            a.mov(ax::ecx, 50);
            c.loop(a, top, out);
            a.bind(out);
            a.dec(ax::ebp);
            a.jnz(outer);
            a.add(ax::esp, 16);
            a.hlt();
        });
        for (unsigned paging = 0; paging < 2; ++paging) {
            INFO(c.name << (paging ? ", paging" : ""));
            const Outcome o = run_all(code, paging, 200000);
            CHECK(o.traces == c.traces);
            CHECK(o.traces_off == 0);
            CHECK(o.exceptions == (paging && c.faults ? 1u : 0u));
            if (!(paging && c.faults)) CHECK(o.state.reg32(EBP) == 0);  // every turn ran
            if (paging && c.faults) CHECK(o.state.cr2 == kAbsent);
            // Stopped after each instruction of the first turns (the learning runs), then every
            // 13 instructions (the second copy's turns, the trace's instructions in each).
            for (uint64_t budget = 1; budget <= 120; ++budget) run_all(code, paging, budget);
            for (uint64_t budget = 121; budget <= 1500; budget += 13) run_all(code, paging, budget);
            for (uint64_t budget : {2001u, 3333u}) run_all(code, paging, budget);
        }
    }
}

TEST_CASE("a side trace's bytes are the loop's page: a write to them translates the loop again",
          "[jit][traces][smc]") {
    // The loop runs twice; between the runs the program rewrites the displacement of the
    // trace's LEA (3 -> 0x55), which only the trace runs: the second run must add the new one.
    const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), out = a.newLabel(), other = a.newLabel(), join = a.newLabel(),
                      again = a.newLabel(), lea = a.newLabel(), done = a.newLabel();
        a.sub(ax::esp, 16);
        a.mov(ax::dword_ptr(ax::esp, 4), 0xFFFFFFF0);  // the limit: almost never below
        a.mov(ax::esi, 2);
        a.bind(again);
        a.xor_(ax::ebx, ax::ebx);
        a.mov(ax::ecx, 300);
        a.bind(top);
        a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
        a.cmp(ax::eax, 0xA0000000);
        a.jae(other);
        a.mov(ax::dword_ptr(ax::esp), ax::eax);
        a.add(ax::edx, ax::eax);
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);
        a.jb(out);
        a.bind(join);
        a.lea(ax::ebx, ax::ptr(ax::ebx, ax::ebx, 1, 1));
        a.and_(ax::ebx, 0x3FF);
        a.dec(ax::ecx);
        a.jnz(top);
        a.jmp(out);
        a.bind(other);
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);
        a.bind(lea);
        a.lea(ax::edx, ax::ptr(ax::edx, 3));  // 8D 52 03: its displacement at lea + 2
        a.jae(join);
        a.bind(out);
        a.dec(ax::esi);
        a.jz(done);
        a.mov(ax::byte_ptr(lea, 2), 0x55);
        a.jmp(again);
        a.bind(done);
        a.add(ax::esp, 16);
        a.hlt();
    });
    for (unsigned paging = 0; paging < 2; ++paging) {
        INFO("paging " << paging);
        const Outcome o = run_all(code, paging, 200000);
        CHECK(o.traces == 2);  // the loop, then the loop again after the write
        CHECK(o.exceptions == 0);
        CHECK(o.state.reg32(ESI) == 0);
        for (uint64_t budget : {2500u, 2600u, 2700u, 2800u, 3000u}) run_all(code, paging, budget);
    }
}

// A select (docs/translator.md, "Selects"): the sift-down's diamond, whose ways both end in the
// same CMP of the stack and a Jcc to the same way out, runs in the second copy's turns as
// conditional moves of both ways (the branch on EBX's parity, which the learning runs see go
// either way as often whichever they are; the loop's way: a store and a load of the stack group, an LEA
// with an index, a move of an immediate; the trace's: moves after the CMP), the instructions the
// trace's way runs fewer given back; both ways leave by the CMP's Jcc at times. EDX, bounded by
// the loop's way alone (a MOVZX after the join must not be left out). ESP `esp`: at 0x38000 the group's
// range lies in one page and the selects run; at 0x37FF8 it crosses a page end, the group's
// probe misses at every turn and the turns take the Jcc and the trace instead (the select's
// guard). A load after the join walks EDI up to kAbsent: with paging the 71st turn faults there,
// the state the select left.
// The select programs' frame: ESP, `setup`, then six rounds of the loop (EBX from 0, ECX 40
// turns), which `loop` emits from `top`, its way out to `out`.
std::vector<uint8_t> select_rounds(uint32_t esp, const std::function<void(ax::Assembler&)>& setup,
                                   const std::function<void(ax::Assembler&, asmjit::Label, asmjit::Label)>& loop) {
    return assemble([&](ax::Assembler& a) {
        asmjit::Label outer = a.newLabel(), top = a.newLabel(), out = a.newLabel();
        a.mov(ax::esp, esp);
        setup(a);
        a.mov(ax::dword_ptr(kData + 0x3800), 6);
        a.bind(outer);
        a.xor_(ax::ebx, ax::ebx);
        a.mov(ax::ecx, 40);
        a.bind(top);
        loop(a, top, out);
        a.bind(out);
        a.dec(ax::dword_ptr(kData + 0x3800));
        a.jnz(outer);
        a.hlt();
    });
}

std::vector<uint8_t> select_program(uint32_t esp, bool rare = false) {
    auto setup = [](ax::Assembler& a) {
        a.mov(ax::dword_ptr(ax::esp, 4), 0x08000000);  // the limit: the loop's way leaves by it one turn in twenty
        a.mov(ax::dword_ptr(ax::esp, 12), 0x55);
        a.mov(ax::edi, kAbsent - 0x40 * 70);
    };
    return select_rounds(esp, setup, [&](ax::Assembler& a, asmjit::Label top, asmjit::Label out) {
        asmjit::Label other = a.newLabel(), join = a.newLabel();
        a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
        a.movzx(ax::edx, ax::dl);                    // bounded before the select
        if (rare) {
            a.cmp(ax::eax, 0xFF000000);
            a.jae(other);                            // about one turn in 256
        } else {
            a.test(ax::bl, 1);
            a.jnz(other);                            // every other turn (EBX's parity)
        }
        a.mov(ax::dword_ptr(ax::esp), ax::ebp);       // the loop's way: the group's leader
        a.lea(ax::ebp, ax::ptr(ax::esi, ax::ebx, 2, 0x10));
        a.mov(ax::edx, 0x1234);
        a.mov(ax::esi, ax::dword_ptr(ax::esp, 12));
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);
        a.jae(out);
        a.bind(join);
        a.movzx(ax::edx, ax::dx);                    // EDX's bound: the trace's way's value is wider
        a.add(ax::edx, ax::dword_ptr(ax::edi));      // may fault (paged)
        a.add(ax::edi, 0x40);
        a.mov(ax::dword_ptr(kData + 0x2000, ax::ebx, 2), ax::edx);
        a.add(ax::edx, ax::ebp);
        a.lea(ax::ebx, ax::ptr(ax::ebx, ax::ebx, 2, 1));  // EBX = 5 EBX + 1: every value, odd and even in turn
        a.and_(ax::ebx, 0x3FF);
        a.mov(ax::dword_ptr(ax::esp, 8), ax::edx);   // a member after other accesses
        a.dec(ax::ecx);
        a.jnz(top);
        a.jmp(out);
        a.bind(other);                               // the trace's own instructions
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::eax);
        a.mov(ax::edx, ax::eax);
        a.lea(ax::ebp, ax::ptr(ax::esi, 0x20));
        a.mov(ax::esi, 0x77);
        a.jb(join);                                  // `out` right after it
    });
}

TEST_CASE("a select runs both ways of the sift-down's diamond as the interpreter runs either: stops "
          "round it, a fault after it, its guard when the stack group misses", "[jit][traces][select]") {
    for (const uint32_t esp : {0x38000u, 0x37FF8u}) {
        const std::vector<uint8_t> code = select_program(esp);
        for (unsigned paging = 0; paging < 2; ++paging) {
            INFO("ESP " << std::hex << esp << (paging ? ", paging" : ""));
            const Outcome o = run_all(code, paging, 200000);
            CHECK(o.traces == 1);
            CHECK(o.selects > 0);
            CHECK(o.selects_off == 0);
            CHECK(o.exceptions == (paging ? 1u : 0u));
            if (paging) CHECK(o.state.cr2 == kAbsent);
            else CHECK(o.state.halted == 1);  // every round ran to the HLT
            for (uint64_t budget = 1; budget <= 120; ++budget) run_all(code, paging, budget);
            for (uint64_t budget = 121; budget <= 1600; budget += 7) run_all(code, paging, budget);
        }
    }
}

TEST_CASE("a select only where the learning runs went either way as often", "[jit][traces][select]") {
    // The trace's way one turn in 256: the branch is left to the host's prediction.
    const std::vector<uint8_t> code = select_program(0x38000, true);
    for (unsigned paging = 0; paging < 2; ++paging) {
        INFO((paging ? "paging" : "flat"));
        const Outcome o = run_all(code, paging, 200000);
        CHECK(o.traces == 1);
        CHECK(o.selects == 0);
    }
}

// Selects of ways of moves alone: an `if` with an `else` (the trace's way a move and a JMP back
// to the join) and one without (the trace's way empty: the join at once), the loop's way a move,
// an LEA and a store of the stack group, its other member after the join; the branch goes either
// way in turn. ESP as in select_program.
std::vector<uint8_t> select_moves_program(uint32_t esp, bool with_else) {
    return select_rounds(esp, [](ax::Assembler&) {}, [&](ax::Assembler& a, asmjit::Label top, asmjit::Label out) {
        asmjit::Label other = a.newLabel(), join = a.newLabel();
        a.mov(ax::eax, ax::dword_ptr(kData, ax::ebx, 2));
        a.test(ax::bl, 1);
        a.jnz(with_else ? other : join);             // every other turn
        a.mov(ax::edx, ax::eax);                     // the loop's way
        a.lea(ax::esi, ax::ptr(ax::esi, ax::eax, 1, 3));
        a.mov(ax::dword_ptr(ax::esp, 8), ax::edx);    // the group's leader
        a.bind(join);
        a.add(ax::ebp, ax::edx);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::ebp);    // its other member
        a.lea(ax::ebx, ax::ptr(ax::ebx, ax::ebx, 2, 1));
        a.and_(ax::ebx, 0x3FF);
        a.dec(ax::ecx);
        a.jnz(top);
        a.jmp(out);
        if (with_else) {
            a.bind(other);
            a.mov(ax::edx, ax::ecx);
            a.jmp(join);
        }
    });
}

TEST_CASE("a select of two ways of moves alone, an if with an else and one without", "[jit][traces][select]") {
    for (const bool with_else : {true, false}) {
        for (const uint32_t esp : {0x38000u, 0x37FF8u}) {
            const std::vector<uint8_t> code = select_moves_program(esp, with_else);
            for (unsigned paging = 0; paging < 2; ++paging) {
                INFO((with_else ? "with else" : "without") << ", ESP " << std::hex << esp << (paging ? ", paging" : ""));
                const Outcome o = run_all(code, paging, 200000);
                CHECK(o.traces == 1);
                CHECK(o.selects > 0);
                CHECK(o.selects_off == 0);
                CHECK(o.exceptions == 0);
                CHECK(o.state.reg32(ECX) == 0);
                for (uint64_t budget = 1; budget <= 100; ++budget) run_all(code, paging, budget);
                for (uint64_t budget = 101; budget <= 1200; budget += 11) run_all(code, paging, budget);
            }
        }
    }
}
