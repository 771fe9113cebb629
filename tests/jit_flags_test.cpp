// The guest flags in r14 (docs/translator.md, "Guest flags in r14"): inside a block and along
// chained jumps the arithmetic flags live in a host register, conditions read the host flags
// right after the instruction that computed them, and r14 is written back before every helper,
// slow path and exit and reloaded after every helper. Each case aims at one of those points
// and runs under the interpreter and the JIT in several configurations (the default, flags in
// memory with --jit-disable regs, no liveness with --jit-disable flags, no chaining); the whole
// CPU state (undefined flags included), the statistics and RAM must agree.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/emitter.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;     // result slots (present)
constexpr uint32_t kPages = 0x200000;   // 16 pages, one per condition code: memory operands
constexpr uint32_t kAbsent = 0x40000;   // not present when paging is on
constexpr uint32_t kStack = 0x38000;
constexpr uint32_t kHandler = 0x9000;   // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;

struct Start {
    uint32_t regs[8];
    uint32_t flags;  // arithmetic flags at the start
};

// Flat protected mode, exception gates to a HLT (a fault's frame, EFLAGS included, lands on the
// stack where RAM compares it), optionally 4 KiB paging with kAbsent not present (the page
// tables map the first 4 MiB).
void setup(Machine& m, const std::vector<uint8_t>& code, const Start& st, bool paging) {
    CpuState& s = m.cpu.s;
    enter_flat32(m, kCode, kStack);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    if (paging) page_first_4mib(m, kPageDir, kPageTable, kAbsent);
    for (unsigned i = 0; i < 8; ++i) s.set_reg32(i, st.regs[i]);
    s.set_reg32(ESP, kStack);
    s.eflags = FIXED1 | (st.flags & kArithFlags);
    std::vector<uint8_t> data(0x11000);
    for (unsigned i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + 5);
    m.phys.write_bytes(kPages, data.data(), data.size());
    m.phys.write_bytes(kCode, code.data(), code.size());
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

const char* config_name(uint32_t disable) {
    switch (disable) {
    case 0: return "jit";
    case kDisableRegs: return "jit, --jit-disable regs (flags in memory)";
    case kDisableFlags: return "jit, --jit-disable flags";
    case kDisableChain: return "jit, --jit-disable chain";
    case kDisableAlu: return "jit, --jit-disable alu";
    case kDisableMove: return "jit, --jit-disable move";
    case kDisableLoopFlags: return "jit, --jit-disable loopflags";
    case kDisableSuperblocks: return "jit, --jit-disable superblocks";
    case kDisableLearn: return "jit, --jit-disable learn";
    case kDisableTwoTurns: return "jit, --jit-disable twoturns";
    case kDisableBackward: return "jit, --jit-disable backward";
    default: return "jit, other";
    }
}

struct Outcome {
    CpuState state;
    uint64_t native = 0;      // instructions the default JIT ran natively
    uint64_t exceptions = 0;  // exceptions the interpreter delivered
    uint64_t lazy_loops = 0;  // self-loops the default JIT translated with lazy flags
    uint64_t two_turn_loops = 0;  // ... and the other self-loops it translated with two turns per entry test
    uint64_t side_exits = 0;  // side exits of the superblocks the default JIT translated
    uint64_t relearnt = 0, flipped = 0, learnt_again = 0;  // its superblocks' learning (Jit::relearn)
    uint64_t back_ways = 0;   // ... blocks going on at a way learnt backward
};

// Runs `code` under the interpreter and the JIT in each configuration of `disables`; every
// difference from the interpreter fails the test. `profile`: the JIT counts block runs
// (MachineConfig::jit_profile, as with --stats); without, its blocks take the forms the command
// line runs by default (a Jcc linked straight to its target, lazy self-loops).
Outcome run_all(const std::vector<uint8_t>& code, const Start& st, bool paging,
                std::initializer_list<uint32_t> disables, uint64_t budget = 100000, bool profile = true,
                uint32_t learn_runs = Jit::kLearnRuns, uint32_t watch_exits = Jit::kWatchExits) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, st, paging);
    const Machine::Result rr = ref->run(budget);
    Outcome o;
    for (uint32_t disable : disables) {
        INFO(config_name(disable) << ", budget " << budget << (paging ? ", paging" : "")
                                  << (profile ? "" : ", block runs not counted"));
        MachineConfig cfg = small_config();
        cfg.cpu_mode = CpuMode::Jit;
        cfg.jit_disable = disable;
        cfg.jit_profile = profile;
        auto m = std::make_unique<Machine>(cfg);
        m->jit->set_learn_runs(learn_runs, watch_exits);
        setup(*m, code, st, paging);
        const Machine::Result r = m->run(budget);
        CHECK(run_differences(*ref, *m, rr, r, profile) == "");
        if (!disable) {
            const JitStats& js = m->jit->stats();
            o.native = js.native_run, o.lazy_loops = js.lazy_loops, o.side_exits = js.side_exits;
            o.two_turn_loops = js.two_turn_loops;
            o.relearnt = js.relearnt, o.flipped = js.flipped, o.learnt_again = js.learnt_again;
            o.back_ways = js.back_ways;
        }
    }
    o.state = ref->cpu.s;
    for (uint64_t e : ref->cpu.stats.exceptions) o.exceptions += e;
    return o;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

using Asm = ax::Assembler;
struct Writer {
    const char* name;
    std::function<void(Asm&, unsigned cc)> emit;  // cc: which memory page a memory form uses
};

ax::Mem page_dword(unsigned cc) { return ax::dword_ptr(kPages + cc * 0x1000 + 0x10); }
ax::Mem page_byte(unsigned cc) { return ax::byte_ptr(kPages + cc * 0x1000 + 0x11); }

// One of each kind of flag writer the emitters have: all six from the host (ALU group, NEG),
// AF cleared (logic), CF left alone (INC/DEC), computed pieces (shifts, rotates, double shifts,
// multiplies, bit tests), byte and word sizes, memory forms (each condition code's on its own
// page, so that its first run takes the slow path).
const std::vector<Writer>& writers() {
    static const std::vector<Writer> w = {
        {"add eax, ecx", [](Asm& a, unsigned) { a.add(ax::eax, ax::ecx); }},
        {"sub eax, ecx", [](Asm& a, unsigned) { a.sub(ax::eax, ax::ecx); }},
        {"cmp eax, ecx", [](Asm& a, unsigned) { a.cmp(ax::eax, ax::ecx); }},
        {"cmp ecx, imm", [](Asm& a, unsigned cc) { a.cmp(ax::ecx, int32_t(0x7FFFFFF0 + cc * 0x1000003)); }},
        {"adc eax, ecx", [](Asm& a, unsigned) { a.adc(ax::eax, ax::ecx); }},
        {"sbb edx, eax", [](Asm& a, unsigned) { a.sbb(ax::edx, ax::eax); }},
        {"and eax, ecx", [](Asm& a, unsigned) { a.and_(ax::eax, ax::ecx); }},
        {"or edx, ecx", [](Asm& a, unsigned) { a.or_(ax::edx, ax::ecx); }},
        {"xor eax, edx", [](Asm& a, unsigned) { a.xor_(ax::eax, ax::edx); }},
        {"test eax, ecx", [](Asm& a, unsigned) { a.test(ax::eax, ax::ecx); }},
        {"inc eax", [](Asm& a, unsigned) { a.inc(ax::eax); }},
        {"dec ecx", [](Asm& a, unsigned) { a.dec(ax::ecx); }},
        {"neg eax", [](Asm& a, unsigned) { a.neg(ax::eax); }},
        {"add al, cl", [](Asm& a, unsigned) { a.add(ax::al, ax::cl); }},
        {"sub ah, dh", [](Asm& a, unsigned) { a.sub(ax::ah, ax::dh); }},
        {"sbb ax, cx", [](Asm& a, unsigned) { a.sbb(ax::ax, ax::cx); }},
        {"inc byte dl", [](Asm& a, unsigned) { a.inc(ax::dl); }},
        {"shl eax, 1", [](Asm& a, unsigned) { a.shl(ax::eax, 1); }},
        {"shr eax, 3", [](Asm& a, unsigned) { a.shr(ax::eax, 3); }},
        {"sar edx, cl", [](Asm& a, unsigned) { a.sar(ax::edx, ax::cl); }},
        {"sar eax, 3", [](Asm& a, unsigned) { a.sar(ax::eax, 3); }},  // OF 0 by the interpreter's rule
        {"sar dx, 9", [](Asm& a, unsigned) { a.sar(ax::dx, 9); }},
        {"shl ax, cl", [](Asm& a, unsigned) { a.shl(ax::ax, ax::cl); }},
        {"rol eax, 5", [](Asm& a, unsigned) { a.rol(ax::eax, 5); }},
        {"ror dl, cl", [](Asm& a, unsigned) { a.ror(ax::dl, ax::cl); }},
        {"rcl eax, 1", [](Asm& a, unsigned) { a.rcl(ax::eax, 1); }},
        {"rcr edx, 3", [](Asm& a, unsigned) { a.rcr(ax::edx, 3); }},
        {"shld eax, edx, 4", [](Asm& a, unsigned) { a.shld(ax::eax, ax::edx, 4); }},
        {"shrd eax, edx, cl", [](Asm& a, unsigned) { a.shrd(ax::eax, ax::edx, ax::cl); }},
        {"imul eax, ecx", [](Asm& a, unsigned) { a.imul(ax::eax, ax::ecx); }},
        {"mul ecx", [](Asm& a, unsigned) { a.mul(ax::ecx); }},
        {"bt eax, 5", [](Asm& a, unsigned) { a.bt(ax::eax, 5); }},
        {"btc edx, ecx", [](Asm& a, unsigned) { a.btc(ax::edx, ax::ecx); }},
        {"cmp [m], ecx", [](Asm& a, unsigned cc) { a.cmp(page_dword(cc), ax::ecx); }},
        {"add [m], eax", [](Asm& a, unsigned cc) { a.add(page_dword(cc), ax::eax); }},
        {"test byte [m], 4", [](Asm& a, unsigned cc) { a.test(page_byte(cc), 4); }},
        {"dec dword [m]", [](Asm& a, unsigned cc) { a.dec(page_dword(cc)); }},
        {"sub eax, [m]", [](Asm& a, unsigned cc) { a.sub(ax::eax, page_dword(cc)); }},
    };
    return w;
}

// Register and flag states: zeros, all ones, sign boundaries and random ones, with ECX's low
// five bits zero in one (shifts by CL = 0 leave the flags alone).
std::vector<Start> starts() {
    std::vector<Start> v;
    std::mt19937 rng(0xF1A65);
    for (unsigned k = 0; k < 4; ++k) {
        Start s;
        for (unsigned i = 0; i < 8; ++i) s.regs[i] = uint32_t(rng());
        s.flags = uint32_t(rng());
        if (k == 0) s.regs[EAX] = 0x7FFFFFFF, s.regs[ECX] = 1, s.regs[EDX] = 0x80000000, s.flags = 0;
        if (k == 1) s.regs[EAX] = 0xFFFFFFFF, s.regs[ECX] = 0xFFFFFFE0, s.flags = kArithFlags;
        v.push_back(s);
    }
    return v;
}

// Runs `f(start k, paging, profile)` with block runs counted and not, flat and paged, from each
// of the four starts.
template <typename F> void each_start(F&& f) {
    for (bool profile : {true, false}) {
        for (bool paging : {false, true}) {
            for (unsigned k = 0; k < 4; ++k) {
                INFO("start " << k << (paging ? ", paging" : "") << (profile ? "" : ", block runs not counted"));
                f(k, paging, profile);
            }
        }
    }
}

// After `w`, every condition code read by each reader: SETcc and CMOVcc right after the writer
// (host flags), again after a MOV (r14), and Jcc both right after the writer and after a MOV.
// The results go to RAM (kData) and registers.
std::vector<uint8_t> condition_program(const Writer& w) {
    return assemble([&](Asm& a) {
        for (unsigned cc = 0; cc < 16; ++cc) {
            const ax::CondCode c = ax::CondCode(cc);
            const uint32_t slot = kData + cc * 8;
            asmjit::Label skip1 = a.newLabel(), skip2 = a.newLabel();
            w.emit(a, cc);
            a.set(c, ax::bl);                   // host flags
            a.cmov(c, ax::edi, ax::ebp);        // host flags still
            a.mov(ax::byte_ptr(slot), ax::bl);  // changes no flag, but not a reader: r14 from here
            a.set(c, ax::bh);
            a.mov(ax::byte_ptr(slot + 1), ax::bh);
            a.cmov(c, ax::ebp, ax::esi);
            a.rol(ax::esi, 7);
            w.emit(a, cc);
            a.j(c, skip1);                      // host flags, at the block's end
            a.inc(ax::byte_ptr(slot + 2));
            a.bind(skip1);
            w.emit(a, cc);
            a.mov(ax::byte_ptr(slot + 3), ax::dl);
            a.j(c, skip2);                      // r14, at the block's end
            a.inc(ax::byte_ptr(slot + 4));
            a.bind(skip2);
        }
        a.hlt();
    });
}

} // namespace

TEST_CASE("every condition code after every kind of flag writer, from the host flags and from r14",
          "[jit][jit_flags]") {
    for (const Writer& w : writers()) {
        INFO("writer " << w.name);
        const std::vector<uint8_t> code = condition_program(w);
        for (const Start& st : starts()) {
            const Outcome o = run_all(code, st, false, {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags),
                                                        uint32_t(kDisableChain)});
            CHECK(o.exceptions == 0);
            CHECK(o.native > 16 * 8);
        }
    }
}

TEST_CASE("a fault right after a native flag writer sees its flags", "[jit][jit_flags]") {
    // A #PF from a native load's slow path, a #PF from a native store's, and a #DE from a
    // fallback DIV: the state the handler's frame and CpuState show must hold the writer's
    // flags (written back from r14 before the slow path or the helper call).
    enum Fault { kLoad, kStore, kDivide };
    for (const Writer& w : writers()) {
        for (Fault f : {kLoad, kStore, kDivide}) {
            INFO("writer " << w.name << ", fault " << int(f));
            const std::vector<uint8_t> code = assemble([&](Asm& a) {
                a.mov(ax::esi, 0);
                a.add(ax::ebx, ax::esi);  // flags of their own first, different from the writer's
                w.emit(a, 3);
                if (f == kLoad) a.mov(ax::ebx, ax::dword_ptr(kAbsent + 0x20));
                if (f == kStore) a.mov(ax::dword_ptr(kAbsent + 0x24), ax::eax);
                if (f == kDivide) a.div(ax::esi);
                a.hlt();
            });
            for (const Start& st : starts()) {
                const Outcome o = run_all(code, st, true, {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags)});
                CHECK(o.exceptions == 1);
            }
        }
    }
}

TEST_CASE("fallback rows read the flags a native writer left and native readers see theirs",
          "[jit][jit_flags]") {
    // PUSHFD and LAHF read EFLAGS in a helper right after a native writer; CMC, STC and CLC
    // write CF in a helper and the native readers after them (SETcc, ADC, Jcc) must reload it;
    // with --jit-disable alu, ADC itself is the fallback between native shifts and readers.
    const std::vector<uint8_t> code = assemble([](Asm& a) {
        asmjit::Label l1 = a.newLabel(), l2 = a.newLabel();
        a.add(ax::eax, ax::ecx);
        a.pushfd();
        a.pop(ax::edx);
        a.sub(ax::ecx, ax::eax);
        a.lahf();
        a.mov(ax::byte_ptr(kData), ax::ah);
        a.cmp(ax::eax, ax::edx);
        a.cmc();
        a.setc(ax::bl);
        a.adc(ax::esi, ax::edi);
        a.shl(ax::edi, 3);
        a.adc(ax::ebp, ax::eax);
        a.setb(ax::bh);
        a.stc();
        a.jb(l1);
        a.inc(ax::dword_ptr(kData + 4));
        a.bind(l1);
        a.test(ax::eax, ax::eax);
        a.clc();
        a.adc(ax::edi, 0);
        a.imul(ax::ecx, ax::edx);
        a.sbb(ax::edx, ax::ecx);
        a.pushfd();
        a.jl(l2);
        a.inc(ax::dword_ptr(kData + 8));
        a.bind(l2);
        a.rcr(ax::eax, 1);
        a.lahf();
        a.hlt();
    });
    for (const Start& st : starts()) {
        const Outcome o = run_all(code, st, false,
                                  {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags), uint32_t(kDisableAlu)});
        CHECK(o.exceptions == 0);
    }
}

namespace {

// Blocks chained to each other whose flags cross the links: a block ends right after a writer
// and the next one reads what it left (ADC, SETcc, Jcc); a CALL/RET pair goes through the
// inline jump cache; a fallback (CMC) in the loop. Endless when `endless`, else 300 turns.
std::vector<uint8_t> chained_flag_loop(bool endless) {
    return assemble([&](Asm& a) {
        asmjit::Label top = a.newLabel(), mid = a.newLabel(), over = a.newLabel(), fn = a.newLabel(),
                      done = a.newLabel();
        a.mov(ax::ebp, 300);
        a.bind(top);
        a.add(ax::eax, ax::ecx);
        a.jmp(mid);
        a.bind(mid);
        a.adc(ax::edx, 0);  // CF from the block before
        a.rol(ax::ecx, 1);
        a.cmp(ax::edx, ax::eax);
        a.ja(over);
        a.inc(ax::esi);
        a.bind(over);
        a.setl(ax::bl);  // flags from the block before (either way)
        a.add(ax::edi, ax::ebx);
        a.sub(ax::eax, 0x3456789);
        a.call(fn);
        a.sbb(ax::ebx, ax::edx);  // CF from the callee, through RET and the jump cache
        a.cmc();
        a.setc(ax::bh);
        if (!endless) a.dec(ax::ebp);
        else a.test(ax::ebx, ax::ebx);
        a.jnz(top);
        a.jmp(endless ? top : done);
        a.bind(fn);
        a.add(ax::esi, ax::edi);
        a.ret();
        a.bind(done);
        a.hlt();
    });
}

} // namespace

TEST_CASE("flags cross chained jumps and the jump cache, and a budget stop in the loop keeps them",
          "[jit][jit_flags][chain]") {
    // Every budget below stops the run inside the loop, most at a chained entry (whose stub
    // writes r14 back) and some right after a fallback call.
    const std::vector<uint8_t> code = chained_flag_loop(false);
    const std::vector<Start> st = starts();
    for (uint64_t budget : {1ull, 2ull, 3ull, 5ull, 8ull, 13ull, 21ull, 34ull, 55ull, 89ull, 144ull, 1000ull,
                            2345ull, 100000ull}) {
        const Outcome o = run_all(code, st[2], false, {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags)}, budget);
        CHECK(o.exceptions == 0);
    }
}

TEST_CASE("another thread's exit request stops a chained loop with the flags in r14 written back",
          "[jit][jit_flags][chain]") {
    const std::vector<uint8_t> code = chained_flag_loop(true);
    const Start st = starts()[3];
    auto m = mode_machine(CpuMode::Jit, 0);
    // Its superblocks learn their ways in the first run (and not again later: that returns to
    // the dispatcher, Jit::relearn).
    m->jit->set_learn_runs(Jit::kLearnRuns, 1u << 30);
    setup(*m, code, st, false);
    m->run(100000);  // translates and links the loop
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        m->cpu.request_exit(Cpu::kExitAsync);
    });
    const uint64_t before = m->jit->stats().dispatches;
    const StopReason r = m->jit->run(0);
    t.join();
    m->cpu.exit_request.fetch_and(~Cpu::kExitAsync);
    CHECK(r == StopReason::None);
    CHECK(m->jit->stats().dispatches - before <= 3);  // it ran chained
    // The state where it stopped is the interpreter's after as many instructions.
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, st, false);
    ref->run(m->cpu.s.icount);
    CHECK(ref->cpu.s.icount == m->cpu.s.icount);
    m->jit->sync_stats();  // the per-mnemonic counts of whole block runs
    CHECK(state_differences(*ref, *m) == "");
    CHECK(ram_difference(*ref, *m) == "");
}

namespace {

// The six arithmetic flags from the bits of `k` (0..63): CF PF AF ZF SF OF.
uint32_t flag_combination(unsigned k) {
    static const uint32_t bit[6] = {CF, PF, AF, ZF, SF, OF};
    uint32_t f = 0;
    for (unsigned i = 0; i < 6; ++i)
        if (k & (1u << i)) f |= bit[i];
    return f;
}

// Every condition code into RAM at `slot` (16 bytes) by SETcc, with a Jcc on one of them.
void all_conditions(Asm& a, uint32_t slot) {
    for (unsigned cc = 0; cc < 16; ++cc) a.set(ax::CondCode(cc), ax::byte_ptr(slot + cc));
    asmjit::Label l = a.newLabel();
    a.jle(l);  // ends the block: the next one's entry loads r14 from EFLAGS again
    a.mov(ax::byte_ptr(slot + 16), 1);  // no flag changes: the next reader sees the same ones
    a.bind(l);
}

} // namespace

TEST_CASE("r14's layout: every flag combination through the entry, r14's conditions, PUSHFD, a "
          "fallback's write-back and reload", "[jit][jit_flags]") {
    // r14 is not EFLAGS (docs/translator.md, "Guest flags in r14": AH at bits 8-15, OF at bit
    // 0): each of the 64 combinations of the arithmetic flags is loaded into r14 at the block's
    // entry, read by every condition from r14 (bit tests; L, LE through `add al; sahf`), by a
    // native PUSHFD (r14 converted), written back for a fallback LAHF, changed by a fallback
    // CMC (r14 loaded again), read again, carried by ADC from r14's CF and by a Jcc to a block
    // whose entry loads them once more.
    const std::vector<uint8_t> code = assemble([](Asm& a) {
        all_conditions(a, kData);
        a.pushfd();
        a.pop(ax::edx);
        a.lahf();
        a.mov(ax::byte_ptr(kData + 0x20), ax::ah);
        a.cmc();
        all_conditions(a, kData + 0x40);
        a.adc(ax::esi, 0);
        a.lahf();
        a.pushfd();
        a.pop(ax::edi);
        a.hlt();
    });
    for (unsigned k = 0; k < 64; ++k) {
        INFO("flags " << std::hex << flag_combination(k));
        Start st = starts()[0];
        st.flags = flag_combination(k);
        const Outcome o = run_all(code, st, false, {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags)});
        CHECK(o.exceptions == 0);
        CHECK((o.state.reg32(EDX) & kArithFlags) == st.flags);  // the program's PUSHFD saw them
    }
}

TEST_CASE("r14's layout: a run stopped after every instruction of the writers and readers writes "
          "back the interpreter's flags", "[jit][jit_flags]") {
    // A budget of k stops the run after exactly k instructions: the capped block ends there, so
    // the flags of whatever instruction k is (each writer of writers(), a reader from r14 or the
    // host flags, an INC/DEC merging into the CF before it) are captured last and written back
    // to CpuState through the exit stub; every stop is compared with the interpreter's.
    const std::vector<uint8_t> code = assemble([](Asm& a) {
        unsigned cc = 0;
        for (const Writer& w : writers()) {
            w.emit(a, cc & 15);
            a.set(ax::CondCode(cc & 15), ax::bl);
            a.inc(ax::ebp);  // CF from the writer, the rest its own
            a.cmov(ax::CondCode((cc + 5) & 15), ax::edi, ax::ebx);  // r14
            a.add(ax::byte_ptr(kData + (cc & 15)), ax::bl);
            ++cc;
        }
        a.hlt();
    });
    const unsigned n = unsigned(writers().size()) * 5 + 1;
    for (unsigned s : {0u, 2u}) {
        for (uint64_t budget = 1; budget <= n; ++budget) {
            const Outcome o = run_all(code, starts()[s], false, {0u, uint32_t(kDisableFlags)}, budget);
            CHECK(o.exceptions == 0);
        }
    }
}

TEST_CASE("CF that reaches an INC or DEC in the host flags reaches every later reader as the "
          "interpreter's", "[jit][jit_flags]") {
    // `xor eax, edx; dec ecx`: the writer's capture is left out (Emitter::next_takes_host_cf),
    // the INC/DEC takes CF from the host and captures all six. Each writer, then INC or DEC of
    // a register, then a reader of CF: a native ADC and SETC, PUSHFD, a fallback (LAHF), a
    // fault's frame (a load from an absent page), and a run stopped after every instruction.
    enum Reader { kAdc, kSetc, kPushfd, kLahf, kFault, kReaders };
    for (const Writer& w : writers()) {
        for (unsigned r = 0; r < kReaders; ++r) {
            INFO("writer " << w.name << ", reader " << r);
            const std::vector<uint8_t> code = assemble([&](Asm& a) {
                a.add(ax::ebp, ax::esi);  // flags of their own first
                w.emit(a, 5);
                if (r % 2) a.dec(ax::edi); else a.inc(ax::bp);
                switch (r) {
                case kAdc: a.adc(ax::esi, 0); break;
                case kSetc: a.setc(ax::bl); break;
                case kPushfd: a.pushfd(); a.pop(ax::ebx); break;
                case kLahf: a.lahf(); break;
                default: a.mov(ax::ebx, ax::dword_ptr(kAbsent + 0x20)); break;
                }
                a.hlt();
            });
            const Start st = starts()[r % 4];  // a copy: starts() returns a temporary
            for (uint64_t budget = 1; budget <= 6; ++budget)
                run_all(code, st, true, {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags)}, budget);
        }
    }
}

TEST_CASE("the host flags carried across register moves reach every reader as the interpreter's",
          "[jit][jit_flags]") {
    // `cmp eax, ecx; mov edx, esi; lea ebx, [esi+8]; jb`: register MOVs, MOVZX/MOVSX and LEA change
    // no host flag, so the readers after them take the writer's host flags (and a logic
    // instruction's AF fix-up of r14 waits past them: Emitter::flag_transparent). Each writer,
    // then each of those forms (AH..BH, immediates and zero included), then every condition code
    // through SETcc, CMOVcc and Jcc, then ADC and PUSHFD; with the moves as fallback calls too
    // (--jit-disable move), and runs stopped after every instruction of one writer's program.
    using Form = std::function<void(Asm&)>;
    const std::vector<std::pair<const char*, Form>> moves = {
        {"mov edx, esi", [](Asm& a) { a.mov(ax::edx, ax::esi); }},
        {"mov ebx, 0", [](Asm& a) { a.mov(ax::ebx, 0); }},
        {"mov dh, al; mov cx, 5", [](Asm& a) { a.mov(ax::dh, ax::al); a.mov(ax::cx, 5); }},
        {"lea ebx, [esi+eax*4+8]", [](Asm& a) { a.lea(ax::ebx, ax::ptr(ax::esi, ax::eax, 2, 8)); }},
        {"movzx ebx, al; movsx edx, ah", [](Asm& a) { a.movzx(ax::ebx, ax::al); a.movsx(ax::edx, ax::ah); }},
        {"lea ebx, [ebx]; mov bh, bl", [](Asm& a) { a.lea(ax::ebx, ax::ptr(ax::ebx)); a.mov(ax::bh, ax::bl); }},
    };
    for (const Writer& w : writers()) {
        for (const auto& mv : moves) {
            INFO("writer " << w.name << ", then " << mv.first);
            const std::vector<uint8_t> code = assemble([&](Asm& a) {
                for (unsigned cc = 0; cc < 16; ++cc) {
                    const ax::CondCode c = ax::CondCode(cc);
                    const uint32_t slot = kData + cc * 8;
                    asmjit::Label skip = a.newLabel();
                    w.emit(a, cc);
                    mv.second(a);
                    a.set(c, ax::al);
                    a.cmov(c, ax::edi, ax::ebp);
                    a.mov(ax::byte_ptr(slot), ax::al);
                    w.emit(a, cc);
                    mv.second(a);
                    a.j(c, skip);
                    a.inc(ax::byte_ptr(slot + 1));
                    a.bind(skip);
                    a.rol(ax::esi, 5);
                }
                w.emit(a, 0);
                mv.second(a);
                a.adc(ax::ebp, 0);
                w.emit(a, 1);
                mv.second(a);
                a.pushfd();
                a.pop(ax::esi);
                a.hlt();
            });
            const Start st = starts()[std::hash<std::string>()(w.name) % 4];
            run_all(code, st, false, {0u, uint32_t(kDisableMove), uint32_t(kDisableFlags)});
        }
    }
    // Stopped after every instruction: the moves' flags reach CpuState at the stop as well.
    const Writer& w = writers()[8];  // xor eax, edx: AF cleared, a fix-up pending across the moves
    const std::vector<uint8_t> code = assemble([&](Asm& a) {
        for (const auto& mv : moves) {
            asmjit::Label skip = a.newLabel();
            w.emit(a, 0);
            mv.second(a);
            a.j(ax::CondCode::kNZ, skip);
            a.inc(ax::ebp);
            a.bind(skip);
        }
        a.hlt();
    });
    for (uint64_t budget = 1; budget <= 40; ++budget)
        run_all(code, starts()[1], false, {0u, uint32_t(kDisableMove)}, budget);
}

namespace {

// A loop back to its own start (the translator's lazy self-loop, Jit::emit): a store and a load
// at EDI + ESI, then ESI += `step`, `cmp esi, ebp` (or `cmp si, imm` with `narrow`) and the
// Jcc `cc` back. The CMP's flags are not captured round the back edge; where they are wanted
// (the stop at the second copy's head, a slow path or a fault of the store or load, the way
// out) the CMP is done again. ESI starts at `from`, EDI is `at` - `from`: the accesses walk
// from `at` in steps of `step`, across pages (TLB misses on later turns) and into kAbsent
// when paging.
std::vector<uint8_t> lazy_loop(uint32_t at, uint32_t from, uint32_t step, ax::CondCode cc, bool narrow) {
    return assemble([&](Asm& a) {
        asmjit::Label top = a.newLabel();
        a.mov(ax::esi, from);
        a.mov(ax::edi, at - from);
        a.bind(top);
        a.mov(ax::byte_ptr(ax::edi, ax::esi), ax::al);
        a.mov(ax::edx, ax::dword_ptr(ax::edi, ax::esi, 0, 8));
        a.add(ax::esi, step);
        if (narrow) a.cmp(ax::si, int32_t(int16_t(0x7C00))); else a.cmp(ax::esi, ax::ebp);
        a.j(cc, top);
        a.pushfd();  // the flags the CMP left, as the loop ends
        a.hlt();
    });
}

} // namespace

TEST_CASE("a self-loop's lazy flags: the CMP done again at every stop, slow path, fault and exit",
          "[jit][jit_flags]") {
    struct Loop {
        uint32_t at, from, step;
        ax::CondCode cc;
        bool narrow;
        uint32_t limit;  // EBP
    };
    // Across the signed boundary (OF and SF change from turn to turn), upwards with JB, JL, JNE
    // and JLE, downwards with JA and JG, a narrow compare; the walk crosses pages.
    const Loop loops[] = {
        {kPages + 0x800, 0x7FFFF000, 0x400, ax::CondCode::kNZ, false, 0x80001400},
        {kPages + 0x800, 0xFFFFF000, 0x400, ax::CondCode::kL, false, 0x00001000},
        {kPages + 0x100, 0x10, 0x500, ax::CondCode::kB, false, 0x3000},
        {kPages + 0x100, 0x10, 0x500, ax::CondCode::kLE, false, 0x2F00},
        {kPages + 0x9000, 0x6000, uint32_t(-0x480), ax::CondCode::kA, false, 0x1000},
        {kPages + 0x9000, 0x6000, uint32_t(-0x480), ax::CondCode::kG, false, 0x1000},
        {kPages + 0x800, 0x7400, 0x180, ax::CondCode::kL, true, 0},
    };
    for (const Loop& l : loops) {
        for (bool paging : {false, true}) {
            INFO("loop from " << std::hex << l.from << " step " << l.step << " cc " << unsigned(l.cc)
                              << (l.narrow ? " narrow" : ""));
            Start st = starts()[2];
            st.regs[EBP] = l.limit;
            const std::vector<uint8_t> code = lazy_loop(l.at, l.from, l.step, l.cc, l.narrow);
            const Outcome o = run_all(code, st, paging, {0u, uint32_t(kDisableMove), uint32_t(kDisableLoopFlags)},
                                      100000, false);
            CHECK(o.lazy_loops == 1);  // the loop was one
            // Stopped at every instruction of the first turns: the second copy's head among them.
            for (uint64_t budget = 1; budget <= 40; ++budget)
                run_all(code, st, paging, {0u, uint32_t(kDisableMove)}, budget, false);
        }
    }
    // Into a page that is not present on a later turn: the #PF's frame holds the CMP's flags.
    Start st = starts()[1];
    st.regs[EBP] = 0x7FFFFFFF;
    const std::vector<uint8_t> code = lazy_loop(kAbsent - 0xC00, 0x7FFFF000, 0x400, ax::CondCode::kL, false);
    const Outcome o = run_all(code, st, true, {0u, uint32_t(kDisableMove)}, 100000, false);
    CHECK(o.exceptions == 1);
    CHECK(o.lazy_loops == 1);
}

TEST_CASE("another thread's exit request stops a lazy self-loop with the CMP's flags written back",
          "[jit][jit_flags][chain]") {
    // Millions of turns, so that the request comes while the second copy runs.
    const std::vector<uint8_t> code = lazy_loop(kPages + 0x100, 0x7F000000, 1, ax::CondCode::kL, false);
    Start st = starts()[3];
    st.regs[EBP] = 0x7FFFFFF0;
    MachineConfig cfg = small_config();
    cfg.cpu_mode = CpuMode::Jit;
    cfg.jit_profile = false;
    auto m = std::make_unique<Machine>(cfg);
    setup(*m, code, st, false);
    m->run(1000);  // translates the loop and runs it some turns
    REQUIRE(m->jit->stats().lazy_loops == 1);
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        m->cpu.request_exit(Cpu::kExitAsync);
    });
    const StopReason r = m->jit->run(0);
    t.join();
    m->cpu.exit_request.fetch_and(~Cpu::kExitAsync);
    CHECK(r == StopReason::None);
    CHECK(m->cpu.s.rip != 0);
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, st, false);
    ref->run(m->cpu.s.icount);
    CHECK(ref->cpu.s.icount == m->cpu.s.icount);
    CHECK(state_differences(*ref, *m, false) == "");
    CHECK(ram_difference(*ref, *m) == "");
}

namespace {

// A loop whose block goes on past three Jccs forward (a superblock, docs/translator.md): a load,
// `cmp; jb` (side exit 0; the CMP's flags not captured, done again at the side exit and by the
// slow path of the store after it until the ADD), `xor; shl; js` (side exit 1 with AF's fix-up
// pending in r14), stores after them (into kAbsent when paging, on a later turn: a #PF inside the
// superblock after its side exits), DAA (a fallback call: the instructions after it are
// counted at the way out, not at the entry) and `jc` after it (side exit 2). Side exit 1 lands
// on a PUSHFD (its flags into EDI), the others on the counter's step, whose block ends in the
// Jcc back. `at`: the store's first
// address; the loads walk kPages.
std::vector<uint8_t> side_exit_loop(uint32_t at) {
    return assemble([&](Asm& a) {
        asmjit::Label top = a.newLabel(), step = a.newLabel(), low = a.newLabel(), seen = a.newLabel();
        a.xor_(ax::ecx, ax::ecx);
        a.mov(ax::esi, at);
        a.bind(top);
        a.mov(ax::eax, ax::dword_ptr(ax::ecx, ax::ecx, 2, kPages));
        a.cmp(ax::eax, 0x30000000);
        a.jb(low);
        a.mov(ax::dword_ptr(ax::esi, 8), ax::ecx);  // the CMP's flags lazy here (its #PF's frame)
        a.add(ax::ebx, ax::eax);
        a.xor_(ax::eax, ax::edx);
        a.shl(ax::eax, 3);  // AF: 0 by the interpreter's rule, 1 on some hosts (AMD): r14's fix-up
        a.js(seen);
        a.mov(ax::dword_ptr(ax::esi), ax::eax);
        a.add(ax::esi, 0x100);
        a.daa();
        a.jc(step);
        a.add(ax::edi, 3);
        a.bind(low);
        a.adc(ax::ebp, ax::eax);
        a.jmp(step);
        a.bind(seen);  // the flags side exit 1 left, into EDI
        a.pushfd();
        a.pop(ax::eax);
        a.xor_(ax::edi, ax::eax);
        a.bind(step);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 200);
        a.jne(top);
        a.pushfd();
        a.hlt();
    });
}

} // namespace

TEST_CASE("a superblock's side exits: every way out, every stop, a fault after them, the counts",
          "[jit][jit_flags][superblock]") {
    const std::initializer_list<uint32_t> configs = {0u, uint32_t(kDisableSuperblocks), uint32_t(kDisableRegs),
                                                     uint32_t(kDisableFlags), uint32_t(kDisableChain)};
    each_start([&](unsigned k, bool paging, bool profile) {
        Start st = starts()[k];
        st.regs[EDX] = 0x5A5A5A5A * (k & 1);
        const std::vector<uint8_t> code = side_exit_loop(kAbsent - 0x1000 + 0x80);
        const Outcome o = run_all(code, st, paging, configs, 100000, profile);
        // Two superblocks of three side exits each: the one entered at the start (it runs
        // into the loop) and the loop's own, entered from the JNE; and one each in the
        // two blocks that end in the JNE back to the loop's start (entered at the step and
        // at the PUSHFD): a Jcc backward to before a block's start is a side exit too
        // (docs/translator.md, "Side exits backward").
        CHECK(o.side_exits == 8);
        CHECK(o.exceptions == (paging ? 1u : 0u));  // the store into kAbsent
        // Stopped after every instruction of the first turns (the budget inside the
        // superblock: it is shortened, or it runs again from the dispatcher).
        for (uint64_t budget = 1; budget <= 60; ++budget)
            run_all(code, st, paging, {0u, uint32_t(kDisableSuperblocks)}, budget, profile);
    });
}

namespace {

// A loop whose superblock learns its ways (docs/translator.md, "Learning the way a Jcc goes"):
// a store first (into kAbsent when paging, late in the second phase: a #PF in a learnt block),
// then `test ecx, ebp; jnz common`, taken seven turns in eight while EBP is 7 (the first phase:
// the Jcc is flipped) and never once EBP is 0 (the second phase, from turn 1500: the flipped
// Jcc's side exit is the way every turn goes, and the block learns again). The way taken holds
// two more Jccs right after ALU instructions whose flags nothing after the Jcc reads (`sub; jo`
// and `xor; js`, the logic group's AF cleared): their side exits capture the host flags, and
// land on PUSHFDs that fold them into EDI. The way not taken starts a block with a Jcc inside it.
std::vector<uint8_t> learning_loop(uint32_t at) {
    return assemble([&](Asm& a) {
        asmjit::Label top = a.newLabel(), common = a.newLabel(), ovf = a.newLabel(), neg = a.newLabel(),
                      step = a.newLabel(), odd = a.newLabel(), same = a.newLabel();
        a.xor_(ax::ecx, ax::ecx);
        a.mov(ax::esi, at);
        a.mov(ax::ebp, 7);
        a.bind(top);
        a.mov(ax::edx, ax::ecx);
        a.and_(ax::edx, 0x3FF);
        a.mov(ax::eax, ax::dword_ptr(ax::edx, ax::edx, 2, kPages));
        a.mov(ax::dword_ptr(ax::esi), ax::ecx);
        a.add(ax::esi, 4);
        a.test(ax::ecx, ax::ebp);
        a.jnz(common);
        a.jp(odd);  // the way not taken: a block whose first instruction is a Jcc inside it
        a.add(ax::edi, 5);
        a.bind(odd);
        a.add(ax::edi, ax::ecx);
        a.jmp(step);
        a.bind(common);
        a.sub(ax::eax, ax::edx);
        a.jo(ovf);
        a.add(ax::ebx, ax::eax);
        a.xor_(ax::eax, ax::ebx);
        a.js(neg);
        a.or_(ax::ebx, ax::edx);
        a.jmp(step);
        a.bind(ovf);
        a.pushfd();
        a.pop(ax::eax);
        a.xor_(ax::edi, ax::eax);
        a.jmp(step);
        a.bind(neg);
        a.pushfd();
        a.pop(ax::eax);
        a.add(ax::edi, ax::eax);
        a.bind(step);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 1500);
        a.jne(same);
        a.xor_(ax::ebp, ax::ebp);
        a.bind(same);
        a.cmp(ax::ecx, 3000);
        a.jne(top);
        a.pushfd();
        a.hlt();
    });
}

} // namespace

TEST_CASE("a superblock learns the way its Jccs go, and learns again when it changes",
          "[jit][jit_flags][superblock][learn]") {
    const std::initializer_list<uint32_t> configs = {0u, uint32_t(kDisableLearn), uint32_t(kDisableSuperblocks),
                                                     uint32_t(kDisableRegs), uint32_t(kDisableFlags)};
    each_start([&](unsigned k, bool paging, bool profile) {
        const Start st = starts()[k];
        // The store reaches kAbsent at turn 2900, in the second phase.
        const std::vector<uint8_t> code = learning_loop(kAbsent - 2900 * 4);
        // Learning from 16 runs and learning again after 64 exits the flipped way.
        const Outcome o = run_all(code, st, paging, configs, 1000000, profile, 16, 64);
        CHECK(o.exceptions == (paging ? 1u : 0u));
        CHECK(o.relearnt >= 2);      // the loop's superblock, in both phases
        CHECK(o.flipped >= 1);       // `jnz common` in the first phase
        CHECK(o.learnt_again >= 1);  // and in the second
        // Stopped in the middle of either phase (in a learning block, a learnt one, at
        // a side exit or inside one), and the defaults (learning from 256 runs).
        for (uint64_t budget : {700ull, 1501ull, 9999ull, 20003ull, 23456ull, 31000ull, 40001ull})
            run_all(code, st, paging, {0u}, budget, profile, 16, 64);
        const Outcome d = run_all(code, st, paging, {0u}, 1000000, profile);
        CHECK(d.flipped >= 1);
    });
}

namespace {

// Two loops whose back edge is in a block of its own (docs/translator.md, "Ways learnt
// backward"). The first calls a function every turn, so the block after the CALL's return point
// ends in `jb head`, a Jcc backward to before its start: a side exit, taken every turn, so the
// block learns to go on at `head` (an ADC that reads the CMP's CF, a load, a store that runs
// into kAbsent when paging, at turn 150: a #PF in the part before the block's start) up to the
// next CALL. The second is the sieve's scan: `test; jnz skip` forward, taken every other turn,
// and the block at `skip` ends in `jne top`, taken every turn but the last: going on at `top`
// would come round to `skip`, its own start (a loop entered in its middle), so that block ends
// at its JNE instead. The third is the heap sort's sift-down: the block at `other` (the way
// `jnz other` takes every other turn) learns to go on at `common` (its `jb common` is taken five
// times in eight) and comes round to its own start by the way not taken of the loop's `jb` back:
// it stops there (that Jcc backward is taken as a rule). The fourth is a strchr entered at its test (`jmp test`, forty times): the
// block there learns to go on at the loop's start and would come round to its own start by the
// way not taken of `je out` forward, the way the loop goes: it ends at its JNE instead. `at`:
// the first turn's store address.
std::vector<uint8_t> back_way_loops(uint32_t at) {
    return assemble([&](Asm& a) {
        asmjit::Label head = a.newLabel(), fn = a.newLabel(), top = a.newLabel(), skip = a.newLabel();
        a.xor_(ax::ecx, ax::ecx);
        a.mov(ax::esi, at);
        a.bind(head);
        a.adc(ax::ebx, 0);  // CF: the CMP's on the way back (1), the start's the first time
        a.mov(ax::eax, ax::dword_ptr(uint64_t(kPages), ax::ecx, 2));
        a.mov(ax::dword_ptr(ax::esi), ax::ecx);
        a.call(fn);
        a.add(ax::edi, ax::eax);  // the return point: a block that ends in the JB
        a.add(ax::esi, 4);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 200);
        a.jb(head);
        a.xor_(ax::ecx, ax::ecx);
        a.bind(top);
        a.test(ax::byte_ptr(ax::ecx, kPages), 1);  // the bytes alternate: taken every other turn
        a.jnz(skip);
        a.add(ax::ebp, ax::ecx);
        a.bind(skip);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 300);
        a.jne(top);
        asmjit::Label sift = a.newLabel(), common = a.newLabel(), other = a.newLabel();
        a.xor_(ax::ecx, ax::ecx);
        a.bind(sift);
        a.test(ax::ecx, 1);
        a.jnz(other);
        a.add(ax::edx, 3);
        a.bind(common);
        a.add(ax::ebx, ax::ecx);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 400);
        a.jb(sift);
        a.bind(other);  // also the loop's way out
        asmjit::Label done = a.newLabel();
        a.cmp(ax::ecx, 400);
        a.jae(done);
        a.add(ax::edx, 5);
        a.mov(ax::eax, ax::ecx);
        a.and_(ax::eax, 15);
        a.cmp(ax::eax, 10);
        a.jb(common);  // taken five turns in eight: a Jcc backward is followed from one in two
        a.add(ax::edx, 7);
        a.jmp(common);
        a.bind(done);
        asmjit::Label outer = a.newLabel(), scan = a.newLabel(), test = a.newLabel(), out = a.newLabel();
        a.xor_(ax::edi, ax::edi);
        a.bind(outer);
        a.mov(ax::ecx, ax::edi);
        a.jmp(test);
        a.bind(scan);
        a.movzx(ax::eax, ax::byte_ptr(ax::ecx, kPages));
        a.inc(ax::ecx);
        a.test(ax::al, ax::al);
        a.je(out);
        a.bind(test);
        a.cmp(ax::al, 0x77);  // (i * 13 + 5) & 0xFF: 0x77 at i = 146 + 256k, 0 at i = 137 + 256k
        a.jne(scan);
        a.bind(out);
        a.add(ax::ebp, ax::ecx);
        a.inc(ax::edi);
        a.cmp(ax::edi, 40);
        a.jb(outer);
        a.pushfd();
        a.hlt();
        a.bind(fn);
        a.xor_(ax::eax, 0x5A5A5A5A);
        a.shl(ax::eax, 3);
        a.ret();
    });
}

} // namespace

TEST_CASE("a superblock learns a way backward to before its start, but not round to its own start",
          "[jit][jit_flags][superblock][learn]") {
    const std::initializer_list<uint32_t> configs = {0u, uint32_t(kDisableBackward), uint32_t(kDisableLearn),
                                                     uint32_t(kDisableRegs), uint32_t(kDisableFlags)};
    each_start([&](unsigned k, bool paging, bool profile) {
        const Start st = starts()[k];
        const std::vector<uint8_t> code = back_way_loops(kAbsent - 150 * 4);
        // Learning from 16 runs (and not again: the third loop's flipped Jcc goes the
        // other way three turns in eight).
        const Outcome o = run_all(code, st, paging, configs, 100000, profile, 16, 1000);
        CHECK(o.exceptions == (paging ? 1u : 0u));
        // The first loop's block after the return point, the third's at `other` and
        // the fourth's outer latch at `out` (on at `outer`, up to its JMP); not the
        // second's at `skip` nor the fourth's at `test`. With paging the #PF of the
        // first loop ends the run (its handler halts).
        CHECK(o.back_ways == (paging ? 1u : 3u));
        // Stopped in the first turns, inside the learnt block's part before its start
        // (turns 20-23), around the store's turn, in the second loop.
        for (uint64_t budget = 1; budget <= 40; ++budget)
            run_all(code, st, paging, {0u, uint32_t(kDisableBackward)}, budget, profile, 16, 1000);
        for (uint64_t budget = 240; budget <= 290; ++budget)
            run_all(code, st, paging, {0u}, budget, profile, 16, 1000);
        for (uint64_t budget : {1795ull, 1799ull, 1803ull, 2407ull, 2420ull, 2999ull, 3333ull, 4000ull,
                                4321ull, 4700ull, 5003ull, 6000ull, 7777ull, 9000ull})
            run_all(code, st, paging, {0u}, budget, profile, 16, 1000);
    });
}

namespace {

// Load k of a program run by each_load_faulting (or as it runs): kAbsent's slot when k is the
// load that faults, else its own slot in kData.
ax::Mem load_slot(unsigned k, unsigned fault) {
    return ax::dword_ptr(k == fault ? kAbsent + 0x40 : kData + 0x40 + 4 * k);
}

// Runs `program(fault)` for each of its `runs` loads faulting in turn (the last run: none of
// them; each reads kAbsent, absent when paging), flat and paged, from the four starts (`fix`
// adjusts start k); a run sees one #PF exactly when paging and `reaches` says the start gets
// to the faulting load.
template <typename Program, typename Fix, typename Reaches>
void each_load_faulting(unsigned runs, Program&& program, Fix&& fix, Reaches&& reaches,
                        std::initializer_list<uint32_t> disables) {
    for (unsigned fault = 0; fault < runs; ++fault) {
        for (bool paging : {false, true}) {
            for (unsigned k = 0; k < 4; ++k) {
                INFO("load " << fault << " faults" << (paging ? ", paging" : "") << ", start " << k);
                Start st = starts()[k];
                fix(st, k);
                const Outcome o = run_all(program(fault), st, paging, disables);
                CHECK(o.exceptions == (paging && fault + 1 < runs && reaches(st) ? 1u : 0u));
            }
        }
    }
}

// A block of several lazy flag writers, each up to the instruction W that writes every flag
// after it (docs/translator.md, "Lazy flags before a writer"): `cmp; jb` forward (a superblock's
// lazy CMP), `sub esp, 12` (ADD/SUB with an immediate: its first operand taken back from the
// result), `and edx, imm` (the logic group: TEST of the result, AF 0), `sub ebx, ecx` (two
// registers), `add ecx, imm` and `sub edi, imm` (the start's registers: every flag either way),
// each followed by a load before its W. Load `fault` reads kAbsent (a #PF when
// paging): the slow path must make the flags of its own region's writer, and the handler's
// frame shows them.
std::vector<uint8_t> lazy_writers(unsigned fault) {
    auto at = [&](unsigned k) { return load_slot(k, fault); };
    return assemble([&](Asm& a) {
        asmjit::Label side = a.newLabel();
        a.cmp(ax::eax, ax::ecx);
        a.jb(side);
        a.mov(ax::edx, at(0));
        a.add(ax::ebp, 7);  // W of the CMP
        a.sub(ax::esp, 12);
        a.mov(ax::dword_ptr(ax::esp), ax::ebx);
        a.mov(ax::esi, at(1));
        a.xor_(ax::edi, ax::esi);  // W of the SUB
        a.and_(ax::edx, 0x80FF00);
        a.mov(ax::eax, at(2));
        a.or_(ax::ebp, 3);  // W of the AND
        a.sub(ax::ebx, ax::ecx);
        a.mov(ax::esi, at(3));
        a.neg(ax::edi);  // W of the SUB
        a.add(ax::ecx, 0x7FFFFF00);
        a.mov(ax::eax, at(4));
        a.xor_(ax::esi, ax::eax);  // W of the ADD
        a.sub(ax::edi, int32_t(0x80000010));
        a.mov(ax::edx, at(5));
        a.test(ax::edx, ax::edx);  // W of the SUB
        a.bind(side);
        a.pushfd();
        a.hlt();
    });
}

} // namespace

TEST_CASE("several lazy flag writers in one block: each slow path makes its own writer's flags",
          "[jit][jit_flags][superblock]") {
    // The JB either way by the start; loads after it fault only where it falls through.
    each_load_faulting(7, lazy_writers, [](Start& st, unsigned k) { st.regs[ECX] = st.regs[EAX] - 1 + 2 * (k & 1); },
                       [](const Start& st) { return !(st.regs[EAX] < st.regs[ECX]); },
                       {0u, uint32_t(kDisableFlags), uint32_t(kDisableSuperblocks), uint32_t(kDisableLoopFlags),
                        uint32_t(kDisableRegs), uint32_t(kDisableTlb)});
}

namespace {

// Side exits inside lazy stretches (docs/translator.md, "Lazy flags before a writer"): a Jcc
// after a load reads its writer's flags, which only the host's held and the load's probe
// changed, so its condition makes them again (the recipe) where r14 took a capture. TEST of a
// byte register (AF 0), CMP (its first register then overwritten by a load: the recipe from the
// stash), SUB of an immediate, each with loads before and after its Jcc. Load `fault` reads
// kAbsent (a #PF when paging).
std::vector<uint8_t> lazy_side_jccs(unsigned fault) {
    auto at = [&](unsigned k) { return load_slot(k, fault); };
    return assemble([&](Asm& a) {
        asmjit::Label side = a.newLabel();
        a.test(ax::al, ax::al);
        a.mov(ax::edx, at(0));
        a.jz(side);  // the TEST's ZF, after a load
        a.mov(ax::esi, at(1));
        a.add(ax::ebp, 7);  // W of the TEST
        a.cmp(ax::eax, ax::ecx);
        a.mov(ax::edi, at(2));
        a.mov(ax::eax, at(3));  // overwrites the CMP's first register
        a.jle(side);            // ZF, SF and OF of the CMP: its EAX from the stash
        a.xor_(ax::esi, ax::edi);  // W of the CMP
        a.sub(ax::ebx, 0x100);
        a.mov(ax::edx, at(4));
        a.jbe(side);  // CF and ZF of the SUB
        a.mov(ax::esi, at(5));
        a.test(ax::edx, ax::edx);  // W of the SUB
        a.bind(side);
        a.pushfd();
        a.hlt();
    });
}

} // namespace

TEST_CASE("a side exit inside a lazy stretch: its Jcc makes the writer's flags again after a load",
          "[jit][jit_flags][superblock]") {
    unsigned faults = 0;
    for (unsigned fault = 0; fault < 7; ++fault) {
        for (bool paging : {false, true}) {
            for (unsigned k = 0; k < 8; ++k) {
                INFO("load " << fault << " faults" << (paging ? ", paging" : "") << ", start " << k);
                // Each Jcc either way: AL zero or not, ECX about EAX (signed), EBX about 100h.
                Start st = starts()[k & 3];
                if (k & 4) st.regs[EAX] &= 0xFFFFFF00u;
                st.regs[ECX] = st.regs[EAX] - 1 + 2 * (k & 1);
                st.regs[EBX] = (k & 2) ? 0x100 : 0x80000101u;
                const Outcome o = run_all(lazy_side_jccs(fault), st, paging,
                                          {0u, uint32_t(kDisableFlags), uint32_t(kDisableSuperblocks),
                                           uint32_t(kDisableRegs), uint32_t(kDisableTlb)});
                faults += unsigned(o.exceptions);
            }
        }
    }
    CHECK(faults >= 10);  // the loads after the Jccs are reached, and fault, from several starts
}

namespace {

// Lazy writers whose recipe needs what they overwrote (docs/translator.md, "Lazy flags before a
// writer"): shifts by an immediate (their operand as it was, stashed before them: counts 1 and
// more, 8, 16 and 32 bits, SHL SHR SAR) and INC/DEC (the CF they keep, stashed: set by a CMP
// either way, by a shift, by a logic instruction), each followed by a load before its W. Load
// `fault` reads kAbsent (a #PF when paging): the slow path must make its own writer's flags.
std::vector<uint8_t> lazy_stashed(unsigned fault) {
    auto at = [&](unsigned k) { return load_slot(k, fault); };
    return assemble([&](Asm& a) {
        a.shl(ax::edx, 3);
        a.mov(ax::esi, at(0));
        a.add(ax::ebp, 7);  // W of the SHL
        a.shr(ax::bl, 1);
        a.mov(ax::eax, at(1));
        a.xor_(ax::edi, ax::esi);  // W of the SHR
        a.sar(ax::cx, 5);
        a.mov(ax::esi, at(2));
        a.or_(ax::ebp, 3);  // W of the SAR
        a.cmp(ax::eax, ax::edx);
        a.inc(ax::edi);  // CF of the CMP kept
        a.mov(ax::eax, at(3));
        a.neg(ax::esi);  // W of the INC
        a.shl(ax::dx, 1);
        a.dec(ax::ecx);  // CF of the SHL kept
        a.mov(ax::edx, at(4));
        a.sub(ax::ebx, ax::eax);  // W of the DEC
        a.shr(ax::ebx, 31);
        a.mov(ax::edi, at(5));
        a.add(ax::ecx, ax::edi);  // W of the SHR
        a.xor_(ax::eax, ax::ebx);
        a.dec(ax::al);  // CF of the XOR (0) kept
        a.mov(ax::esi, at(6));
        a.sar(ax::ebx, 1);
        a.mov(ax::ecx, at(7));
        a.sub(ax::edx, ax::ecx);  // W of the SAR
        a.inc(ax::ebp);
        a.dec(ax::ecx);  // W of the INC (CF the SUB's, in the host's flags), lazy itself
        a.mov(ax::edi, at(8));
        a.add(ax::esi, ax::ebx);  // W of the DEC
        a.pushfd();
        a.hlt();
    });
}

// Lazy writers whose registers a move in their stretch overwrites (stashed right after the
// writer, the recipe taking them from there): a superblock's `cmp ebx, edx; jb` then `mov ebx,
// edx`; CMP whose second register a load overwrites; SUB of two registers with both
// overwritten; ADD of an immediate whose result a load overwrites; AND of a byte register
// overwritten by MOVZX; TEST of two byte registers; INC (its CF stashed too). Load `fault`
// reads kAbsent (a #PF when paging).
std::vector<uint8_t> lazy_clobbered(unsigned fault) {
    auto at = [&](unsigned k) { return load_slot(k, fault); };
    auto byte_at = [&](unsigned k) { return ax::byte_ptr(k == fault ? kAbsent + 0x40 : kData + 0x40 + 4 * k); };
    return assemble([&](Asm& a) {
        asmjit::Label side = a.newLabel();
        a.cmp(ax::ebx, ax::edx);
        a.jb(side);
        a.mov(ax::dword_ptr(ax::esp, -4), ax::ebp);
        a.mov(ax::ebx, ax::edx);
        a.mov(ax::eax, at(0));
        a.add(ax::ebp, 7);  // W of the CMP
        a.cmp(ax::ecx, ax::esi);
        a.mov(ax::esi, at(1));  // its second register, by the access that may fault
        a.xor_(ax::edi, ax::esi);  // W of the CMP
        a.sub(ax::ebx, ax::ecx);
        a.mov(ax::ecx, 0x55);
        a.movzx(ax::ebx, ax::cl);
        a.mov(ax::eax, at(2));
        a.or_(ax::ebp, 3);  // W of the SUB
        a.add(ax::edi, 0x7FFFFFF0);
        a.mov(ax::edi, at(3));
        a.neg(ax::esi);  // W of the ADD
        a.and_(ax::dl, 0x3C);
        a.movzx(ax::edx, byte_at(4));
        a.sub(ax::ebx, ax::eax);  // W of the AND
        a.test(ax::al, ax::bl);
        a.mov(ax::al, 1);
        a.mov(ax::bl, byte_at(5));
        a.add(ax::ecx, ax::edi);  // W of the TEST
        a.stc();
        a.inc(ax::esi);
        a.lea(ax::esi, ax::ptr(ax::esi, ax::esi, 1, 3));
        a.mov(ax::ecx, at(6));
        a.xor_(ax::ebp, ax::ecx);  // W of the INC
        a.bind(side);
        a.pushfd();
        a.hlt();
    });
}

} // namespace

TEST_CASE("lazy writers whose registers a move overwrites: each slow path takes them from the stash",
          "[jit][jit_flags][superblock]") {
    each_load_faulting(8, lazy_clobbered, [](Start& st, unsigned k) { st.regs[EDX] = st.regs[EBX] - 1 + 2 * (k & 1); },
                       [](const Start& st) { return !(st.regs[EBX] < st.regs[EDX]); },
                       {0u, uint32_t(kDisableFlags), uint32_t(kDisableSuperblocks), uint32_t(kDisableMove),
                        uint32_t(kDisableRegs)});
}

namespace {

// A self-loop program (`body`) from the four starts, flat and paged: against the interpreter
// under `disables` (block runs not counted: the form the command line runs), where the default
// must have made it a lazy self-loop, then under the default with each of `budgets`. With
// `paged_faults` set, the interpreter delivered that many exceptions when paging and none flat.
template <typename Body>
void lazy_loop_runs(Body&& body, std::initializer_list<uint32_t> disables, std::initializer_list<uint64_t> budgets,
                    int paged_faults = -1) {
    for (bool paging : {false, true}) {
        for (unsigned k = 0; k < 4; ++k) {
            INFO("start " << k << (paging ? ", paging" : ""));
            const std::vector<uint8_t> code = assemble(body);
            const Start st = starts()[k];
            const Outcome o = run_all(code, st, paging, disables, 100000, false);
            CHECK(o.lazy_loops >= 1);
            if (paged_faults >= 0) CHECK(o.exceptions == (paging ? uint64_t(paged_faults) : 0u));
            for (uint64_t budget : budgets) run_all(code, st, paging, {0u}, budget, false);
        }
    }
}

} // namespace

TEST_CASE("a self-loop whose CMP's register the loop's first load overwrites", "[jit][jit_flags]") {
    // `mov eax, [esi]` at the top overwrites the register of the `cmp eax, 300; jne` that ends
    // the loop: the CMP's flags stay lazy round the back edge with EAX stashed, and the load's
    // slow path (the page at turn 250 is absent when paging) makes them from the stash.
    lazy_loop_runs(
        [](Asm& a) {
            asmjit::Label top = a.newLabel();
            a.xor_(ax::edi, ax::edi);
            a.mov(ax::esi, kAbsent - 250 * 0x80);
            a.bind(top);
            a.mov(ax::eax, ax::dword_ptr(ax::esi));
            a.add(ax::ebx, ax::eax);
            a.add(ax::esi, 0x80);
            a.lea(ax::eax, ax::ptr(ax::edi, 1));
            a.mov(ax::edi, ax::eax);
            a.cmp(ax::eax, 300);
            a.jne(top);
            a.pushfd();
            a.hlt();
        },
        {0u, uint32_t(kDisableLoopFlags)}, {50, 333, 1001}, 1);
}

TEST_CASE("lazy shifts and INC/DEC: each slow path makes its own writer's flags from the stash",
          "[jit][jit_flags]") {
    each_load_faulting(10, lazy_stashed, [](Start&, unsigned) {}, [](const Start&) { return true; },
                       {0u, uint32_t(kDisableFlags), uint32_t(kDisableShift), uint32_t(kDisableAlu),
                        uint32_t(kDisableRegs), uint32_t(kDisableTlb)});
}

TEST_CASE("a self-loop that ends `dec; jnz` keeps the DEC lazy round the back edge", "[jit][jit_flags]") {
    // The CRC's bit loop: `mov; and; shr; neg; and; xor; dec edx; jnz`, the DEC's flags lazy
    // (its CF, the XOR's 0, stashed); then an ADC that reads that CF, and a shifted-out CF kept
    // by an INC of a second loop that ends `shr; inc; cmp; jne`. Budgets stop inside the loops.
    for (unsigned k = 0; k < 4; ++k) {
        const std::vector<uint8_t> code = assemble([&](Asm& a) {
            asmjit::Label bit = a.newLabel(), two = a.newLabel();
            a.mov(ax::edx, 8 * 40);
            a.bind(bit);
            a.mov(ax::ebx, ax::eax);
            a.and_(ax::eax, 1);
            a.shr(ax::ebx, 1);
            a.neg(ax::eax);
            a.and_(ax::eax, int32_t(0xEDB88320));
            a.xor_(ax::eax, ax::ebx);
            a.dec(ax::edx);
            a.jnz(bit);
            a.adc(ax::edi, 0);
            a.xor_(ax::ecx, ax::ecx);
            a.bind(two);
            a.shr(ax::esi, 1);
            a.inc(ax::ecx);
            a.mov(ax::dword_ptr(kData + 0x80), ax::esi);
            a.cmp(ax::ecx, 33);
            a.jne(two);
            a.pushfd();
            a.hlt();
        });
        INFO("start " << k);
        const Start st = starts()[k];
        const Outcome o = run_all(code, st, false, {0u, uint32_t(kDisableLoopFlags), uint32_t(kDisableShift)}, 100000, false);
        CHECK(o.lazy_loops >= 1);
        for (uint64_t budget : {13ull, 50ull, 333ull, 1001ull})
            run_all(code, st, true, {0u}, budget, false);
    }
}

TEST_CASE("a self-loop whose first flag writer is a shift keeps its DEC lazy round the back edge",
          "[jit][jit_flags]") {
    // The bench's `pages` loop: moves, then `shl ecx, 3` (a shift by an immediate writes every
    // flag: the loop's W), a load through the shifted register, a ROL whose CF the DEC keeps,
    // and `dec edx; jnz`. The DEC's flags stay lazy round the back edge (its CF stashed); a load
    // walks into a page that is absent when paging (a #PF at turn 30, its frame holding the
    // DEC's flags). Budgets of 2 + 13k stop at a turn's start: 41 and 262 at the second copy's
    // head (its stop makes the DEC's flags), the others inside a turn.
    lazy_loop_runs(
        [](Asm& a) {
            asmjit::Label top = a.newLabel();
            a.mov(ax::edx, 40);
            a.mov(ax::esi, kAbsent - 30 * 0x80);
            a.bind(top);
            a.mov(ax::ecx, ax::eax);
            a.mov(ax::ebx, ax::edi);
            a.shl(ax::ecx, 3);  // W
            a.and_(ax::ecx, 0x1F8);
            a.add(ax::ebx, ax::dword_ptr(ax::ecx, kData));
            a.add(ax::ebx, ax::dword_ptr(ax::esi));
            a.add(ax::esi, 0x80);
            a.add(ax::eax, 0x805);
            a.rol(ax::edi, 1);
            a.mov(ax::dword_ptr(ax::ecx, kData + 0x400), ax::ebx);
            a.xor_(ax::edi, ax::ebx);
            a.dec(ax::edx);
            a.jnz(top);
            a.pushfd();
            a.hlt();
        },
        {0u, uint32_t(kDisableLoopFlags), uint32_t(kDisableShift)}, {13, 41, 50, 262, 333, 1001}, 1);
}

TEST_CASE("a self-loop whose first flag writer is an INC or DEC after a move takes CF from the loop's CMP",
          "[jit][jit_flags]") {
    // The quicksort's scans (`mov esi, eax; inc ebp; mov edx, [eax]; add eax, 4; cmp edx, ebx;
    // jb`): the INC/DEC keeps CF, which is the loop CMP's. In the second copy that CMP's flags
    // are lazy, so the INC/DEC makes them again into the host's flags (Emitter::load_cf) and
    // stashes its CF for the load's slow path. The CMPs cross zero, so their CF is 1 on some
    // turns and 0 on others; the load walks into a page that is absent when paging, on a turn
    // where the CF the INC/DEC keeps is 1 (the DEC loop, turn 6) or 0 (the INC loop, turn 10):
    // the #PF's frame holds the INC/DEC's flags. Budgets of 2 + 6k (or 2 + 6k + 1) stop at a
    // turn's start.
    for (bool inc : {false, true}) {
        INFO((inc ? "INC" : "DEC"));
        lazy_loop_runs(
            [inc](Asm& a) {
                asmjit::Label top = a.newLabel();
                const auto r = inc ? ax::ebp : ax::edi;
                a.mov(r, inc ? uint32_t(-24) : 16u);
                a.mov(ax::ecx, inc ? 40u : uint32_t(-20));
                a.mov(ax::eax, inc ? kAbsent - 10 * 4 : kAbsent + 6 * 4 + 0xFFC);
                a.bind(top);
                a.mov(ax::esi, ax::eax);
                if (inc) a.inc(r);  // W of the second copy
                else a.dec(r);
                a.mov(ax::edx, ax::dword_ptr(ax::eax));
                if (inc) a.add(ax::eax, 4);
                else a.sub(ax::eax, 4);
                a.cmp(r, ax::ecx);
                a.jne(top);
                a.pushfd();
                a.hlt();
            },
            {0u, uint32_t(kDisableLoopFlags), uint32_t(kDisableFlags)}, {14, 33, 45, 50, 57, 63, 111, 333}, 1);
    }
}

TEST_CASE("a self-loop with moves between its CMP and its Jcc keeps the CMP lazy across them",
          "[jit][jit_flags]") {
    // The heap sort's sift-down ends `cmp eax, edi; mov ebx, [ebx + a]; mov [esp], ebp; jb`: the
    // loop's flag writer is the last instruction before the Jcc but moves. Their slow paths and
    // the Jcc (after an access changed the host's flags) make the CMP's flags again; a move
    // there that overwrites a CMP register has it stashed. (a) a load, a store and a LEA after
    // `cmp eax, edi`, the load walking into a page absent when paging (a #PF at turn 25, its
    // frame holding the CMP's flags; EAX crosses EDI from below zero, so CF changes on the way);
    // (b) `cmp ebx, ecx; mov ebx, [esi]`: the load overwrites the CMP's first register with the
    // next dword of kPages (each differs from the last; the CMP finds turn 20's at turn 21); (c) the sorted-hash loop's `cmp eax, 0x40; lea ecx, [edx + ebx]; jnz`.
    struct Loop {
        const char* what;
        int faults;
        std::function<void(Asm&, asmjit::Label)> body;
    };
    const std::vector<Loop> loops = {
        {"cmp eax, edi; load, store, lea", 1,
         [](Asm& a, asmjit::Label top) {
             a.mov(ax::eax, uint32_t(-20));
             a.mov(ax::edi, 30);
             a.mov(ax::esi, kAbsent - 25 * 0x80);
             a.bind(top);
             a.mov(ax::ecx, ax::eax);
             a.add(ax::eax, 1);  // W
             a.mov(ax::edx, ax::dword_ptr(kData + 0x20));
             a.add(ax::edx, ax::ecx);
             a.cmp(ax::eax, ax::edi);
             a.mov(ax::ebx, ax::dword_ptr(ax::esi));
             a.mov(ax::dword_ptr(kData + 0x40), ax::edx);
             a.lea(ax::esi, ax::ptr(ax::esi, 0x80));
             a.jne(top);
         }},
        {"cmp ebx, ecx; mov ebx, [esi]", 0,
         [](Asm& a, asmjit::Label top) {
             a.mov(ax::ecx, 0x3C2F2215);  // the dword at kPages + 80 (turn 20's)
             a.mov(ax::esi, kPages);
             a.bind(top);
             a.add(ax::edx, 1);  // W
             a.cmp(ax::ebx, ax::ecx);
             a.mov(ax::ebx, ax::dword_ptr(ax::esi));
             a.lea(ax::esi, ax::ptr(ax::esi, 4));
             a.jne(top);
         }},
        {"cmp eax, 0x40; lea ecx, [edx + ebx]", 0,
         [](Asm& a, asmjit::Label top) {
             a.xor_(ax::eax, ax::eax);
             a.mov(ax::esi, kPages);
             a.bind(top);
             a.mov(ax::ebx, ax::dword_ptr(ax::esi, ax::eax, 2));
             a.mov(ax::edx, ax::ecx);
             a.inc(ax::eax);  // W
             a.shl(ax::edx, 5);
             a.sub(ax::edx, ax::ecx);
             a.cmp(ax::eax, 0x40);
             a.lea(ax::ecx, ax::ptr(ax::edx, ax::ebx));
             a.jne(top);
         }},
    };
    for (const Loop& l : loops) {
        INFO(l.what);
        lazy_loop_runs(
            [&l](Asm& a) {
                asmjit::Label top = a.newLabel();
                l.body(a, top);
                a.pushfd();
                a.hlt();
            },
            {0u, uint32_t(kDisableLoopFlags), uint32_t(kDisableFlags), uint32_t(kDisableMove)},
            {13, 41, 50, 101, 262, 333, 1001}, l.faults);
    }
}

TEST_CASE("a lazy writer inside a self-loop whose CMP stays lazy: each way out makes the CMP's flags",
          "[jit][jit_flags]") {
    // `and edx, imm` (lazy until the ADD, its load's slow path making its flags), then the
    // loop's own `cmp; jne` (lazy round the back edge, made again on the way out): the way out
    // must make the CMP's flags, not the AND's; a load of the last turn may fault.
    lazy_loop_runs(
        [](Asm& a) {
            asmjit::Label top = a.newLabel();
            a.xor_(ax::ecx, ax::ecx);
            a.mov(ax::esi, kAbsent - 250 * 0x80);
            a.bind(top);
            a.and_(ax::edx, 0x7FC);
            a.mov(ax::eax, ax::dword_ptr(ax::esi, ax::edx));
            a.add(ax::ebx, ax::eax);
            a.add(ax::edx, 0x134);
            a.mov(ax::edi, ax::dword_ptr(ax::esi, 0x10));
            a.add(ax::esi, 0x80);  // into kAbsent at turn 250 (paging)
            a.inc(ax::ecx);
            a.cmp(ax::ecx, 300);
            a.jne(top);
            a.pushfd();
            a.hlt();
        },
        {0u, uint32_t(kDisableLoopFlags)}, {50, 333, 1001});
}

TEST_CASE("a superblock that loops to itself: its second copy's side exits join the first's",
          "[jit][jit_flags][superblock]") {
    // `cmp byte [ecx + kPages], 0x80; jb low` inside a block that ends `cmp ecx, 600; jne` back
    // to its own start (a lazy self-loop whose second copy holds two turns): the side exit to
    // `low` from the first copy and from either turn of the second, which lands on a PUSHFD
    // (the flags there into EBX); a store that runs into kAbsent at turn 500 (paging); learning
    // after 16 runs, so that the learnt block (no counters at its entry) loops most of the time.
    const std::vector<uint8_t> code = assemble([](Asm& a) {
        asmjit::Label top = a.newLabel(), low = a.newLabel(), done = a.newLabel();
        a.xor_(ax::ecx, ax::ecx);
        a.mov(ax::esi, kAbsent - 500 * 4);
        a.bind(top);
        a.cmp(ax::byte_ptr(ax::ecx, int32_t(kPages)), 0x80);
        a.jb(low);
        a.add(ax::edi, ax::ecx);
        a.mov(ax::dword_ptr(ax::esi), ax::edi);
        a.add(ax::esi, 4);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 600);
        a.jne(top);
        a.jmp(done);
        a.bind(low);
        a.pushfd();
        a.pop(ax::eax);
        a.add(ax::ebx, ax::eax);
        a.add(ax::esi, 4);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 600);
        a.jne(top);
        a.bind(done);
        a.pushfd();
        a.hlt();
    });
    for (bool paging : {false, true}) {
        for (unsigned k = 0; k < 4; ++k) {
            INFO("start " << k << (paging ? ", paging" : ""));
            const Start st = starts()[k];
            const Outcome o = run_all(code, st, paging, {0u, uint32_t(kDisableLoopFlags), uint32_t(kDisableSuperblocks),
                                                         uint32_t(kDisableLearn)},
                                      100000, false, 16, 64);
            CHECK(o.lazy_loops >= 1);
            CHECK(o.side_exits >= 1);
            CHECK(o.exceptions == (paging ? 1u : 0u));
            for (uint64_t budget : {100ull, 777ull, 1500ull, 2001ull, 3333ull})
                run_all(code, st, paging, {0u}, budget, false, 16, 64);
        }
    }
}

TEST_CASE("a self-loop's lazy TEST of one register that the next turn's load overwrites", "[jit][jit_flags]") {
    // A string copy, `movzx eax, byte [esi + edx]; mov [edi + edx], al; inc edx; test al, al;
    // jnz`: the TEST's flags stay lazy round the back edge with its one register stashed once,
    // and the store's slow path in the next turn (the destination's page is absent at turn 177
    // when paging: a #PF whose frame holds EFLAGS) makes them from the stash, not from the byte
    // the load just put in EAX (0xFD at turn 176, 0x0A at 177: SF and PF differ).
    lazy_loop_runs(
        [](Asm& a) {
            asmjit::Label top = a.newLabel();
            a.mov(ax::esi, kPages + 40);  // setup's bytes: the next 0 is 255 bytes on
            a.mov(ax::edi, kAbsent - 177);
            a.xor_(ax::edx, ax::edx);
            a.bind(top);
            a.movzx(ax::eax, ax::byte_ptr(ax::esi, ax::edx));
            a.mov(ax::byte_ptr(ax::edi, ax::edx), ax::al);
            a.inc(ax::edx);
            a.test(ax::al, ax::al);
            a.jnz(top);
            a.pushfd();
            a.hlt();
        },
        {0u, uint32_t(kDisableLoopFlags), uint32_t(kDisableFlags)}, {50, 333, 1001}, 1);
}

namespace {

// Strings of setup's bytes (a 0 every 256 bytes, at kPages + 39 + 256k) walked by a self-loop
// whose flags cannot be lazy (`cmp byte [edx], 0` has no recipe: docs/translator.md, "Two turns
// of any self-loop"): `count` strings from kPages + `from`, then one that runs from below
// kAbsent into it (its bytes made nonzero first: a #PF in the loop when paging).
template <typename Loop> std::vector<uint8_t> string_walk(uint32_t from, unsigned count, Loop&& loop) {
    return assemble([&](Asm& a) {
        asmjit::Label again = a.newLabel(), done = a.newLabel();
        a.mov(ax::edi, kAbsent - 0x50);
        a.mov(ax::ecx, 0x50);
        a.mov(ax::al, 0x41);
        a.rep().stosb();
        a.mov(ax::ecx, count);
        a.mov(ax::edx, kPages + from - 1);
        a.xor_(ax::ebp, ax::ebp);
        a.bind(again);
        loop(a);
        a.add(ax::esi, ax::edx);  // where each string ended, summed (RAM compares the rest)
        a.dec(ax::ecx);
        a.jnz(again);
        a.test(ax::ebp, ax::ebp);
        a.jnz(done);
        a.inc(ax::ebp);
        a.mov(ax::ecx, 1);
        a.mov(ax::edx, kAbsent - 0x51);
        a.jmp(again);
        a.bind(done);
        a.pushfd();
        a.hlt();
    });
}

} // namespace

TEST_CASE("a self-loop whose flags are not lazy runs two turns per entry test: every stop, slow path, "
          "fault and exit as the interpreter's", "[jit][jit_flags]") {
    struct Case {
        const char* name;
        std::function<void(Asm&)> loop;  // from EDX - 1 (the loop increments first)
        uint64_t two_turns;              // self-loops with two turns the default JIT makes
    };
    const Case cases[] = {
        // strlen: `inc edx; cmp byte [edx], 0; jne`, the strings benchmark's.
        {"inc; cmp byte [edx], 0; jne",
         [](Asm& a) {
             asmjit::Label top = a.newLabel();
             a.bind(top);
             a.inc(ax::edx);
             a.cmp(ax::byte_ptr(ax::edx), 0);
             a.jne(top);
         },
         1},
        // A superblock that loops to itself (a Jcc inside it to the way out): its second copy's
        // side exits join the first's.
        {"movzx; inc; test; je out; cmp byte [edx], 0x11; jne",
         [](Asm& a) {
             asmjit::Label top = a.newLabel(), out = a.newLabel();
             a.bind(top);
             a.movzx(ax::eax, ax::byte_ptr(ax::edx, 1));
             a.inc(ax::edx);
             a.test(ax::al, ax::al);
             a.je(out);
             a.cmp(ax::byte_ptr(ax::edx), 0x11);  // setup's byte at 60 + 256k
             a.jne(top);
             a.bind(out);
             a.inc(ax::edx);
         },
         1},
        // A TEST at the end leaves r14's AF clear pending at the Jcc: one turn per entry test.
        {"inc; test byte [edx], 0xFF; jnz",
         [](Asm& a) {
             asmjit::Label top = a.newLabel();
             a.bind(top);
             a.inc(ax::edx);
             a.test(ax::byte_ptr(ax::edx), 0xFF);
             a.jnz(top);
         },
         0},
    };
    for (const Case& c : cases) {
        for (bool paging : {false, true}) {
            for (unsigned k = 0; k < 2; ++k) {
                INFO(c.name << ", start " << k << (paging ? ", paging" : ""));
                // From 0xF28: the first string crosses into the next page (a TLB miss, the
                // load's slow path, in a later turn).
                const std::vector<uint8_t> code = string_walk(0xF28, 5, c.loop);
                const Start st = starts()[k];
                const Outcome o =
                    run_all(code, st, paging, {0u, uint32_t(kDisableTwoTurns), uint32_t(kDisableMove)}, 100000, false);
                CHECK(o.two_turn_loops == c.two_turns);
                CHECK(o.lazy_loops == 0);
                CHECK(o.exceptions == (paging ? 1u : 0u));
                // Stopped at every instruction of the first strings' turns, the second copy's
                // head and the turn between its two among them; then in the later ones.
                for (uint64_t budget = 1; budget <= 48; ++budget) run_all(code, st, paging, {0u}, budget, false);
                for (uint64_t budget : {301u, 777u, 1280u, 1283u}) run_all(code, st, paging, {0u}, budget, false);
            }
        }
    }
}
