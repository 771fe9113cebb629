// Stack groups (docs/translator.md, "Stack groups"): the ESP-relative accesses of a run of
// instructions (PUSH, POP, CALL, RET, MOV to and from [ESP + disp]) share one inline TLB probe of
// the range they touch; when that probe misses (the range crosses a page, a page is absent or
// holds code) each access takes its own probe, so a fault comes from the access that takes it.
// Each case runs under the interpreter and the JIT (with the groups, without them, and with the
// categories around them switched off) and compares the whole CPU state, CR2, the exception
// counts and RAM.
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
constexpr uint32_t kAbsent = 0x40000;  // not present with paging on
constexpr uint32_t kHandler = 0x9000;  // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;

// `paging`: 0 flat, 1 the first 4 MiB identity-mapped but kAbsent, 2 as 1 with the stack's
// pages (kScattered) in descending frames elsewhere, so that no two of them are adjacent in RAM
// and none has the addend of the code's page (the probes' prediction, "The predicted addend").
constexpr uint32_t kScattered = 0x30000, kScatteredFrames = 0x200000;

void setup(Machine& m, const std::vector<uint8_t>& code, uint32_t esp, unsigned paging) {
    enter_flat32(m, kCode, esp);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    if (paging) page_first_4mib(m, kPageDir, kPageTable, kAbsent);
    for (uint32_t p = 0; paging == 2 && p < 16; ++p) {
        const uint32_t pte = (kScatteredFrames + (15 - p) * 0x2000) | 3;
        m.phys.write_bytes(kPageTable + ((kScattered >> 12) + p) * 4, &pte, 4);
    }
    static const uint32_t regs[8] = {0x01234567, 0x89ABCDEF, 0xFEDCBA98, 0x76543210, 0, 0x0BADF00D, 0x13579BDF, 0x2468ACE0};
    load_program(m, kCode, code, regs, FIXED1 | 0x8D5);
}

struct Outcome {
    CpuState state;
    uint64_t exceptions = 0;          // exceptions the interpreter delivered
    uint64_t probes = 0, probes_off = 0;  // inline probes run by the JIT with and without groups
};

// Runs `code` (ESP = `esp`) for at most `budget` instructions under the interpreter and the JIT
// with each of `disables`; every difference from the interpreter fails the test.
Outcome run_all(const std::vector<uint8_t>& code, uint32_t esp, unsigned paging, uint64_t budget = 200000) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, esp, paging);
    const Machine::Result rr = ref->run(budget);
    Outcome o;
    for (uint32_t disable : {0u, uint32_t(kDisableStackGroup), uint32_t(kDisableAlu), uint32_t(kDisableMove),
                             uint32_t(kDisableStack), uint32_t(kDisableControl), uint32_t(kDisableChain),
                             uint32_t(kDisablePredict)}) {
        INFO("jit, --jit-disable bits " << std::hex << disable << ", esp " << esp << ", paging " << paging);
        auto m = mode_machine(CpuMode::Jit, disable);
        setup(*m, code, esp, paging);
        const Machine::Result r = m->run(budget);
        CHECK(run_differences(*ref, *m, rr, r) == "");
        m->jit->sync_stats();
        if (disable == 0) o.probes = m->jit->stats().probes_run;
        if (disable == kDisableStackGroup) o.probes_off = m->jit->stats().probes_run;
    }
    o.state = ref->cpu.s;
    for (uint64_t e : ref->cpu.stats.exceptions) o.exceptions += e;
    return o;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

} // namespace

TEST_CASE("a stack group's read that crosses into an absent page faults there, after the members before it", "[jit][stackgroup]") {
    // ESP 8 bytes below the absent page: the push, the sub and the first two loads are done
    // when the third load (at the absent page's first byte) faults; the handler's frame goes
    // below ESP, where RAM compares it.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.push(ax::ebx);
        a.sub(ax::esp, 4);
        a.mov(ax::eax, ax::dword_ptr(ax::esp, 8));
        a.mov(ax::ecx, ax::dword_ptr(ax::esp, 4));
        a.mov(ax::edx, ax::dword_ptr(ax::esp, 16));  // kAbsent: #PF
        a.mov(ax::esi, 1);
        a.hlt();
    });
    const Outcome o = run_all(code, kAbsent - 8, true);
    CHECK(o.exceptions == 1);
    CHECK(o.state.cr2 == kAbsent);
    CHECK(o.state.reg32(EDX) == 0xFEDCBA98);  // not loaded
    CHECK(o.state.reg32(ESI) == 0x13579BDF);
}

TEST_CASE("a stack group's write into an absent page faults there with ESP and memory as the interpreter's", "[jit][stackgroup]") {
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.push(ax::ecx);
        a.mov(ax::dword_ptr(ax::esp, 8), ax::eax);
        a.mov(ax::esi, ax::edi);
        a.mov(ax::dword_ptr(ax::esp, 16), ax::ebx);  // kAbsent: #PF (write)
        a.push(ax::edx);
        a.hlt();
    });
    const Outcome o = run_all(code, kAbsent - 12, true);
    CHECK(o.exceptions == 1);
    CHECK(o.state.cr2 == kAbsent);
    CHECK(o.state.reg32(ESI) == 0x2468ACE0);
}

TEST_CASE("a stack group whose first access faults delivers the fault from it", "[jit][stackgroup]") {
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.mov(ax::eax, ax::dword_ptr(ax::esp, 4));  // kAbsent: #PF
        a.mov(ax::ecx, ax::dword_ptr(ax::esp));
        a.push(ax::edx);
        a.hlt();
    });
    const Outcome o = run_all(code, kAbsent - 4, true);
    CHECK(o.exceptions == 1);
    CHECK(o.state.cr2 == kAbsent);
    CHECK(o.state.reg32(EAX) == 0x01234567);
}

TEST_CASE("pushes and pops across a page boundary and across address 0 run as the interpreter's", "[jit][stackgroup]") {
    // A frame that straddles a page boundary (both present) takes the per-access path; one that
    // wraps from address 0 to the top of the address space writes to the firmware ROM there.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.push(ax::eax);
        a.push(ax::ebx);
        a.push(0x5A5A);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::ecx);
        a.mov(ax::edx, ax::dword_ptr(ax::esp, 8));
        a.pop(ax::esi);
        a.pop(ax::edi);
        a.pop(ax::ebp);
        a.hlt();
    });
    for (uint32_t esp : {0x30008u, 0x30004u, 0x30010u, 0x3000Cu, 0x8u, 0x4u}) {
        const Outcome o = run_all(code, esp, false);
        CHECK(o.state.reg32(ESP) == esp);
        CHECK(o.exceptions == 0);
    }
}

TEST_CASE("a stack group's member whose own access crosses a page end leaves the members after it to probe", "[jit][stackgroup]") {
    // ESP not a multiple of 4 just above a page end: a member's access crosses it, so its own
    // probe's slow path runs; the members after it must not take that probe's addend for the
    // group's base (jit_diff seed 1476924185: a POP across a page end, then a PUSH, wrote to
    // guest page 0).
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.pop(ax::eax);
        a.push(0x12345678);
        a.push(ax::ebx);
        a.pop(ax::ecx);
        a.push(ax::edx);
        a.mov(ax::esi, ax::dword_ptr(ax::esp, 4));
        a.hlt();
    });
    for (unsigned paging = 0; paging < 2; ++paging)
        for (uint32_t d = 1; d < 12; ++d) {
            if (d % 4 == 0) continue;
            const uint32_t esp = 0x30000u - 6 + d;
            const Outcome o = run_all(code, esp, paging);
            CHECK(o.exceptions == 0);
        }
}

TEST_CASE("call-heavy code with saved registers and stack arguments at every alignment to a page boundary", "[jit][stackgroup]") {
    // f(n): push ebx; push esi; sub esp, 8; arguments at [esp + 20]; f(n - 1) and f(n - 2) with
    // the argument stored at [esp]; the result summed through [esp + 4]. Started with ESP at
    // each dword of the 64 bytes below a page boundary, so some frames straddle it; flat, paged,
    // and paged with the stack's pages in scattered frames.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label f = a.newLabel(), leaf = a.newLabel(), out = a.newLabel();
        a.push(14);
        a.call(f);
        a.add(ax::esp, 4);
        a.hlt();
        a.bind(f);
        a.push(ax::ebx);
        a.push(ax::esi);
        a.sub(ax::esp, 8);
        a.mov(ax::ebx, ax::dword_ptr(ax::esp, 20));
        a.cmp(ax::ebx, 2);
        a.jb(leaf);
        a.lea(ax::eax, ax::ptr(ax::ebx, -1));
        a.mov(ax::dword_ptr(ax::esp), ax::eax);
        a.call(f);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);
        a.lea(ax::eax, ax::ptr(ax::ebx, -2));
        a.mov(ax::dword_ptr(ax::esp), ax::eax);
        a.call(f);
        a.add(ax::eax, ax::dword_ptr(ax::esp, 4));
        a.jmp(out);
        a.bind(leaf);
        a.mov(ax::eax, ax::ebx);
        a.bind(out);
        a.add(ax::esp, 8);
        a.pop(ax::esi);
        a.pop(ax::ebx);
        a.ret();
    });
    for (uint32_t k = 0; k < 16; ++k) {
        const uint32_t esp = 0x38000 - 4 * k;
        const Outcome o = run_all(code, esp, k % 3);
        CHECK(o.state.reg32(EAX) == 377);  // fib(14)
        CHECK(o.state.reg32(ESP) == esp);
        // The groups take effect: fewer probes than one per access.
        CHECK(o.probes < o.probes_off);
    }
}

TEST_CASE("a stack group goes on past other instructions' accesses and a Jcc, takes ALU members, and its members "
          "after them load its address again", "[jit][stackgroup][superblock]") {
    // A loop whose superblock holds a stack group interrupted by a load and a store elsewhere and
    // a Jcc forward (a side exit), with ALU members (CMP, ADD to memory, TEST of a byte) among
    // its MOVs; it runs with ESP 64
    // bytes lower first (its groups hit), then at ESP (a miss must not leave the first phase's
    // address to the members that load it again). ESP starts at each
    // dword of the 24 bytes below kAbsent with paging (for the first three the group's range
    // runs into the absent page: its probe misses, every member probes for itself and the one in
    // the absent page faults), and below a present page boundary without.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label phase = a.newLabel(), top = a.newLabel(), skip = a.newLabel();
        a.sub(ax::esp, 64);
        a.mov(ax::ebx, 2);
        a.bind(phase);
        a.mov(ax::edi, 40);
        a.bind(top);
        a.mov(ax::dword_ptr(ax::esp), ax::eax);          // the group's leader
        a.mov(ax::ecx, ax::dword_ptr(0x20000));          // an access of another instruction
        a.cmp(ax::dword_ptr(ax::esp, 4), ax::ecx);       // an ALU member
        a.jb(skip);                                      // a side exit
        a.mov(ax::dword_ptr(0x20004), ax::edx);
        a.add(ax::eax, 0x01234567);
        a.bind(skip);
        a.add(ax::dword_ptr(ax::esp, 12), ax::edi);      // ALU members: the group's address
        a.test(ax::byte_ptr(ax::esp, 9), 0x40);
        a.mov(ax::edx, ax::dword_ptr(ax::esp, 8));       // members after them: rbp again
        a.mov(ax::dword_ptr(ax::esp, 12), ax::esi);
        a.add(ax::esi, ax::edx);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::esi);
        a.dec(ax::edi);
        a.jnz(top);
        a.add(ax::esp, 64);
        a.dec(ax::ebx);
        a.jnz(phase);
        a.hlt();
    });
    for (uint32_t k = 0; k < 12; ++k) {
        const bool paging = k & 1;
        const uint32_t esp = (paging ? kAbsent : 0x38000) - 4 * (k / 2 + 1);
        INFO("esp " << std::hex << esp << (paging ? ", paging" : ""));
        const Outcome o = run_all(code, esp, paging);
        // Without paging the loop runs out; the groups take effect: fewer probes than one per access.
        if (!paging) CHECK(o.state.reg32(EBX) == 0);
        if (!paging) CHECK(o.probes < o.probes_off);
        // With paging, a member's access [esp + 15] at most: in the absent page for ESP 4, 8 and
        // 12 below it (a #PF, whose frame lands below ESP, where RAM compares it).
        if (paging) CHECK(o.exceptions == (esp + 15 >= kAbsent ? 1u : 0u));
    }
}

TEST_CASE("a stack group writing into a page that holds translated code stops after that write", "[jit][stackgroup][smc]") {
    // The stack is in the code's own page, below the code: every push and store to it is a
    // write to a code page (no write tag in the TLB), which invalidates the page's blocks and
    // ends the running block after the writing instruction.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel();
        a.mov(ax::ebp, 3);
        a.bind(loop);
        a.push(ax::eax);
        a.push(ax::ebx);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::ecx);
        a.mov(ax::edx, ax::dword_ptr(ax::esp, 4));
        a.pop(ax::esi);
        a.pop(ax::edi);
        a.dec(ax::ebp);
        a.jnz(loop);
        a.hlt();
    });
    const Outcome o = run_all(code, kCode + 0xF00, false);
    CHECK(o.state.reg32(EDX) == 0x89ABCDEF);
    CHECK(o.state.reg32(EDI) == 0x89ABCDEF);
    CHECK(o.state.reg32(ESP) == kCode + 0xF00);
}

TEST_CASE("a stack group takes MOVZX and MOVSX loads as members and goes on past SETcc and CMOVcc", "[jit][stackgroup]") {
    // A loop whose group is byte and word loads extended into 32- and 16-bit registers (the
    // first of them its leader; values negative as signed on some turns, from the stores at the
    // turn's end), with SETcc and CMOVcc of registers between them: one probe per turn with the
    // groups. With paging the absent page starts at ESP + 0x31 + k for k = 0..4, so that each
    // access in turn is the first to reach it (the loads end at 0x31, 0x32, 0x33 and 0x34, the
    // store at 0x37): every member probes for itself and that one faults.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.sub(ax::esp, 64);
        a.mov(ax::edi, 40);
        a.bind(top);
        a.movzx(ax::ecx, ax::byte_ptr(ax::esp, 0x31));   // the leader
        a.cmp(ax::edx, ax::edi);
        a.setl(ax::al);                                  // neutral
        a.cmovg(ax::edx, ax::ecx);                       // neutral
        a.movsx(ax::esi, ax::word_ptr(ax::esp, 0x31));
        a.movsx(ax::bx, ax::byte_ptr(ax::esp, 0x33));
        a.movzx(ax::ebp, ax::word_ptr(ax::esp, 0x33));
        a.add(ax::edx, 0x9E3779B9);
        a.add(ax::edx, ax::esi);
        a.add(ax::edx, ax::ebx);
        a.add(ax::edx, ax::ebp);
        a.mov(ax::dword_ptr(ax::esp, 0x34), ax::esi);
        a.mov(ax::dword_ptr(ax::esp, 0x30), ax::edx);
        a.dec(ax::edi);
        a.jnz(top);
        a.add(ax::esp, 64);
        a.hlt();
    });
    for (uint32_t k = 0; k < 10; ++k) {
        const bool paging = k & 1;
        const uint32_t esp = paging ? kAbsent + 64 - 0x31 - k / 2 : 0x38000 - 4 * k;
        INFO("esp " << std::hex << esp << (paging ? ", paging" : ""));
        const Outcome o = run_all(code, esp, paging);
        if (!paging) {
            CHECK(o.exceptions == 0);
            CHECK(o.state.reg32(EDI) == 0);
            // One probe per turn with the groups, seven without them.
            CHECK(o.probes * 5 < o.probes_off);
        } else {
            CHECK(o.exceptions == 1);
            CHECK(o.state.cr2 == kAbsent);
        }
    }
}

namespace {

struct LoopOutcome {
    CpuState state;
    uint64_t exceptions = 0;   // exceptions the interpreter delivered
    uint64_t reuse_loops = 0;  // self-loops the default JIT gave a stack group probed once per entry
};

// As run_all, without counting block runs (as without --stats: a self-loop gets its second copy,
// "Stack groups across turns"), under the default and with the reuse, the groups and MOV off.
LoopOutcome run_loop_all(const std::vector<uint8_t>& code, unsigned paging, uint64_t budget) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, 0x38000, paging);
    const Machine::Result rr = ref->run(budget);
    LoopOutcome o;
    for (uint32_t disable : {0u, uint32_t(kDisableGroupReuse), uint32_t(kDisableStackGroup), uint32_t(kDisableMove)}) {
        INFO("jit, --jit-disable bits " << std::hex << disable << ", paging " << paging << ", budget " << std::dec
                                        << budget << ", block runs not counted");
        MachineConfig cfg = small_config();
        cfg.cpu_mode = CpuMode::Jit;
        cfg.jit_disable = disable;
        cfg.jit_profile = false;
        auto m = std::make_unique<Machine>(cfg);
        setup(*m, code, 0x38000, paging);
        const Machine::Result r = m->run(budget);
        CHECK(run_differences(*ref, *m, rr, r, false) == "");
        if (disable == 0) o.reuse_loops = m->jit->stats().group_reuse_loops;
    }
    o.state = ref->cpu.s;
    for (uint64_t e : ref->cpu.stats.exceptions) o.exceptions += e;
    return o;
}

} // namespace

TEST_CASE("a self-loop that leaves ESP alone probes its stack group once per entry; a miss, a page "
          "crossing, a fault, a moving ESP, two groups and a fallback call as the interpreter's", "[jit][stackgroup]") {
    // The loop runs 5 or 6 turns in each of four frames read from a table, so that its block is
    // entered with another ESP each time: mid-page, a frame whose group's range [ESP + 4, ESP +
    // 0x14) crosses a page end (its probe misses every turn: the slot must not keep the frame
    // before's address), mid-page again, and 16 bytes below kAbsent (with paging, the member at
    // [ESP + 0x10] faults in the first turn; the fault's frame lands below ESP).
    constexpr uint32_t kTable = 0x20000;
    const uint32_t frames[] = {0x37E00, 0x38FF4, 0x37E40, kAbsent - 0x10};
    struct Case {
        const char* name;
        std::function<void(ax::Assembler&, asmjit::Label)> loop;  // binds top, ends with its Jcc to it
        uint64_t reuse;                                 // such self-loops the default JIT makes
        bool faults;                                    // the last frame faults with paging
    };
    const Case cases[] = {
        {"one group, lazy DEC",
         [](ax::Assembler& a, asmjit::Label top) {
             a.bind(top);
             a.mov(ax::eax, ax::dword_ptr(ax::esp, 4));  // the leader
             a.add(ax::eax, ax::ecx);
             a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);
             a.mov(ax::dword_ptr(ax::esp, 8), ax::ecx);
             a.mov(ax::dword_ptr(ax::esp, 0x10), ax::edx);
             a.add(ax::edx, ax::eax);
             a.dec(ax::ecx);
             a.jnz(top);
         },
         1, true},
        // A CMP of memory last has no recipe: two turns per entry test; ALU members.
        {"one group with ALU members, CMP of memory last",
         [](ax::Assembler& a, asmjit::Label top) {
             a.bind(top);
             a.mov(ax::eax, ax::dword_ptr(ax::esp, 4));
             a.add(ax::eax, ax::ecx);
             a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);
             a.mov(ax::dword_ptr(ax::esp, 0x10), ax::edx);
             a.add(ax::dword_ptr(ax::esp, 8), ax::ecx);
             a.inc(ax::ecx);
             a.cmp(ax::dword_ptr(ax::esp, 0xC), ax::ecx);
             a.jne(top);
         },
         1, true},
        // A second group (beyond the first's span) leaves its own address in the slot.
        {"two groups",
         [](ax::Assembler& a, asmjit::Label top) {
             a.bind(top);
             a.mov(ax::eax, ax::dword_ptr(ax::esp, 4));
             a.add(ax::eax, ax::ecx);
             a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);
             a.mov(ax::dword_ptr(ax::esp, 0x10), ax::edx);
             a.mov(ax::dword_ptr(ax::esp, 0x200), ax::eax);
             a.mov(ax::dword_ptr(ax::esp, 0x204), ax::ecx);
             a.dec(ax::ecx);
             a.jnz(top);
         },
         0, true},
        // ESP 4 lower each turn: the turn before's address is not this turn's.
        {"ESP moving",
         [](ax::Assembler& a, asmjit::Label top) {
             a.bind(top);
             a.sub(ax::esp, 4);
             a.mov(ax::dword_ptr(ax::esp), ax::ecx);
             a.mov(ax::eax, ax::dword_ptr(ax::esp, 8));
             a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);
             a.dec(ax::ecx);
             a.jnz(top);
         },
         0, false},
        // A privileged MOV from CR0: a fallback call between the turns.
        {"a fallback call",
         [](ax::Assembler& a, asmjit::Label top) {
             a.bind(top);
             a.mov(ax::eax, ax::dword_ptr(ax::esp, 4));
             a.add(ax::eax, ax::ecx);
             a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);
             a.mov(ax::ebx, ax::cr0);
             a.mov(ax::dword_ptr(ax::esp, 0x10), ax::edx);
             a.mov(ax::dword_ptr(ax::esp, 8), ax::ecx);
             a.dec(ax::ecx);
             a.jnz(top);
         },
         0, true},
    };
    for (const Case& c : cases) {
        const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
            asmjit::Label outer = a.newLabel(), top = a.newLabel();
            for (unsigned i = 0; i < 4; ++i) a.mov(ax::dword_ptr(kTable + 4 * i), frames[i]);
            a.xor_(ax::ebp, ax::ebp);
            a.bind(outer);
            a.mov(ax::esp, ax::dword_ptr(uint64_t(kTable), ax::ebp, 2));
            a.mov(ax::dword_ptr(ax::esp, 4), 0x1234);
            a.mov(ax::dword_ptr(ax::esp, 0xC), 11);
            a.mov(ax::ecx, 5);
            c.loop(a, top);
            a.add(ax::esi, ax::eax);
            a.inc(ax::ebp);
            a.cmp(ax::ebp, 4);
            a.jne(outer);
            a.hlt();
        });
        for (unsigned paging = 0; paging < 2; ++paging) {
            INFO(c.name << (paging ? ", paging" : ""));
            const LoopOutcome o = run_loop_all(code, paging, 100000);
            CHECK(o.reuse_loops == c.reuse);
            CHECK(o.exceptions == (paging && c.faults ? 1u : 0u));
            if (!paging) CHECK(o.state.reg32(EBP) == 4);  // every frame's loop ran out
            // Stopped at every instruction of the first frames' turns (the second copy's head,
            // its turns, the reprobe), then in the later frames.
            for (uint64_t budget = 1; budget <= 90; ++budget) run_loop_all(code, paging, budget);
            for (uint64_t budget : {131u, 150u, 177u, 203u}) run_loop_all(code, paging, budget);
        }
    }
}

TEST_CASE("a stack member's own probe at CPL 3 takes the user's pages: a supervisor page the kernel wrote "
          "faults", "[jit][stackgroup]") {
    // The kernel writes a supervisor page (its fast-pages entry for writes is filled), then
    // IRETs to CPL 3, whose stack group's range runs into that page: the group's probe misses,
    // the member in the supervisor page probes for itself (a shared probe out of line, docs/
    // translator.md, "Shared probes out of line") and must fault (#PF, U/S) as it would through
    // the user's pages, not write through the kernel's.
    constexpr uint32_t kSuper = 0x39000, kTss = 0x6000, kRing0Stack = 0x7000, kUser = kCode + 0x100;
    const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
        a.mov(ax::dword_ptr(kSuper + 0x10), 0x55);
        a.mov(ax::eax, ax::dword_ptr(kSuper + 0x20));
        a.push(0x23);
        a.push(kSuper - 8);  // ESP: [ESP + 4, ESP + 12) runs into the supervisor page
        a.pushfd();
        a.push(0x1B);
        a.push(kUser);
        a.iretd();
        while (a.offset() < kUser - kCode) a.nop();
        a.mov(ax::dword_ptr(ax::esp, 4), ax::eax);   // the leader (a user page)
        a.mov(ax::dword_ptr(ax::esp, 8), ax::ecx);   // the supervisor page: #PF
        a.mov(ax::dword_ptr(ax::esp, 12), ax::edx);
        a.hlt();
    });
    auto user_setup = [&](Machine& m) {
        setup(m, code, 0x8000, 1);
        auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
        // Ring-3 code and data (0x18, 0x20), and a TSS whose ESP0 takes the fault.
        put32(kGdt + 0x18, 0x0000FFFF), put32(kGdt + 0x1C, 0x00CFFA00);
        put32(kGdt + 0x20, 0x0000FFFF), put32(kGdt + 0x24, 0x00CFF200);
        m.cpu.s.gdtr.limit = 0x27;
        put32(kTss + 4, kRing0Stack), put32(kTss + 8, 0x10);
        m.cpu.s.tr = SegmentCache{kTss, 103, 0x28, uint16_t(SEG_P | 0xB)};
        // User pages but the supervisor one (and kAbsent).
        put32(kPageDir, kPageTable | 7);
        for (uint32_t p = 0; p < 1024; ++p) {
            const uint32_t pa = p << 12;
            put32(kPageTable + p * 4, pa == kAbsent ? 0 : pa | (pa == kSuper ? 3 : 7));
        }
        m.cpu.state_loaded();
        m.mmu.flush_all();
    };
    auto ref = mode_machine(CpuMode::Interp, 0);
    user_setup(*ref);
    const Machine::Result rr = ref->run(1000);
    uint64_t exceptions = 0;
    for (uint64_t e : ref->cpu.stats.exceptions) exceptions += e;
    CHECK(exceptions == 1);
    CHECK(ref->cpu.s.cr2 == kSuper);
    for (uint32_t disable : {0u, uint32_t(kDisableStackGroup), uint32_t(kDisablePageTable)}) {
        INFO("jit, --jit-disable bits " << std::hex << disable);
        auto m = mode_machine(CpuMode::Jit, disable);
        user_setup(*m);
        const Machine::Result r = m->run(1000);
        CHECK(run_differences(*ref, *m, rr, r) == "");
        m->jit->sync_stats();
        if (disable == 0) CHECK(m->jit->stats().shared_probes >= 2);
    }
}
