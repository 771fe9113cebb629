// The instruction counts of REP string instructions under the JIT's helper (helper_rep_string,
// translator/emit_string.cpp) and the interpreter (cpu/string.cpp): one icount per iteration, and
// per-mnemonic statistics that count every completed iteration, also when the REP ends in a fault
// partway or the --max-insns budget stops it between two iterations. The helper walks page-sized
// runs and hands an element it cannot take (one crossing a page, a page that faults) to the
// semantics function, which runs a burst of its own from there; the interpreter's steps begin
// and end elsewhere. jit_diff seed 2703141704 (a REPNE CMPSW at CPL 3 whose source crossed a page
// and later faulted) counted 1036 CMPSW under the JIT and 1024 under the interpreter, each as
// many as that executor's last yield before the fault had left: the counts now depend on no yield.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/emitter.h"

using namespace xlat;

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kStack = 0x38000;
constexpr uint32_t kHandler = 0x9000;  // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;
constexpr uint32_t kSrcRegion = 0x100000, kDstRegion = 0x180000;  // 8 pages each
constexpr uint32_t kCount = 50000;  // ECX: more than any run here reaches

enum class Op { MOVS, CMPS, SCAS, LODS, STOS };

struct Form {
    Op op;
    uint8_t prefix;  // F3 (REP/REPE) or F2 (REPNE; a plain repeat for MOVS)
    const char* name;
};

bool reads_src(Op op) { return op == Op::MOVS || op == Op::CMPS || op == Op::LODS; }
bool uses_dst(Op op) { return op != Op::LODS; }

ZydisMnemonic mnemonic(Op op, unsigned sz) {
    static const ZydisMnemonic m[5][3] = {
        {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD},
        {ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD},
        {ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD},
        {ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD},
        {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD}};
    return m[int(op)][sz == 1 ? 0 : sz == 2 ? 1 : 2];
}

// One REP string instruction and its operands: each operand walks its 8-page region from a start
// `lead` elements before a page boundary (`mis` bytes off the element grid, so that with words and
// dwords every page boundary falls inside an element), and in the region of `fault_src` (or the
// destination's) the page two pages past the first boundary is not present.
struct Layout {
    Form form;
    unsigned sz;
    bool down;
    unsigned mis;
    uint32_t lead;
    bool fault_src;

    uint32_t start(uint32_t region) const {
        // Up: the first boundary is region + 0x2000, the absent page region + 0x4000.
        // Down: the first boundary is region + 0x6000, the absent page region + 0x3000.
        return down ? region + 0x6000 + (lead - 1) * sz - mis : region + 0x2000 - lead * sz + mis;
    }
    uint32_t absent(uint32_t region) const { return down ? region + 0x3000 : region + 0x4000; }
    uint32_t absent_page() const { return absent(fault_src ? kSrcRegion : kDstRegion); }
    // REPE compares equal bytes, REPNE different ones: neither stops before the fault.
    bool repe() const { return form.prefix == 0xF3; }

    // The iterations that complete before one touches the absent page, counted by walking the
    // elements: what ECX, ESI, EDI and the statistics must show after the fault.
    uint32_t completed() const {
        const uint32_t page = absent_page();
        auto touches = [&](uint32_t at) { return at < page + 0x1000 && at + sz > page; };
        for (uint32_t i = 0;; ++i) {
            const uint32_t d = down ? uint32_t(0) - i * sz : i * sz;
            if (reads_src(form.op) && fault_src && touches(start(kSrcRegion) + d)) return i;
            if (uses_dst(form.op) && !fault_src && touches(start(kDstRegion) + d)) return i;
        }
    }

    std::string describe() const {
        std::ostringstream o;
        o << form.name << " size " << sz << (down ? " down" : " up") << ", " << mis << " off the grid, "
          << lead << " elements before a page boundary, absent page in the "
          << (fault_src ? "source" : "destination");
        return o.str();
    }
};

// A machine with room for the regions (less to clear and compare than small_config's 4 MiB).
std::unique_ptr<Machine> machine(CpuMode mode, uint32_t jit_disable = 0) {
    return mode_machine(mode, jit_disable, 2u << 20);
}

void setup(Machine& m, const Layout& l) {
    CpuState& s = m.cpu.s;
    enter_flat32(m, kCode, kStack);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    // Identity paging over the first 4 MiB but the absent page.
    auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
    put32(kPageDir, kPageTable | 3);
    for (uint32_t p = 0; p < 1024; ++p) put32(kPageTable + p * 4, p == (l.absent_page() >> 12) ? 0 : ((p << 12) | 3));
    s.cr3 = kPageDir;
    s.cr0 |= CR0_PG;
    // REPE: equal bytes everywhere, AL/AX/EAX too; REPNE: source, destination and EAX differ.
    const bool compare = l.form.op == Op::CMPS || l.form.op == Op::SCAS;
    std::vector<uint8_t> src(0x8000), dst(0x8000);
    for (size_t i = 0; i < src.size(); ++i) {
        src[i] = compare ? (l.repe() ? 0x5A : 0x11) : uint8_t(i * 7 + 3);
        dst[i] = compare ? (l.repe() ? 0x5A : 0x22) : uint8_t(i * 13 + 1);
    }
    m.phys.write_bytes(kSrcRegion, src.data(), src.size());
    m.phys.write_bytes(kDstRegion, dst.data(), dst.size());
    // STOS aligned: a pattern of one byte repeated (gcc's memset; the helper fills it with
    // memset), misaligned: four different bytes.
    const uint32_t fill = l.form.op == Op::STOS && !l.mis ? 0x5C5C5C5Cu : 0x12345678u;
    s.set_reg32(EAX, compare ? (l.repe() ? 0x5A5A5A5Au : 0x33333333u) : fill);
    s.set_reg32(ECX, kCount);
    s.set_reg32(ESI, l.start(kSrcRegion));
    s.set_reg32(EDI, l.start(kDstRegion));
    s.eflags = FIXED1 | (l.down ? DF : 0);
    // [66] F3/F2 <op>; hlt
    static const uint8_t opcode[5] = {0xA4, 0xA6, 0xAE, 0xAC, 0xAA};
    std::vector<uint8_t> code;
    if (l.sz == 2) code.push_back(0x66);
    code.push_back(l.form.prefix);
    code.push_back(uint8_t(opcode[int(l.form.op)] + (l.sz == 1 ? 0 : 1)));
    code.push_back(0xF4);
    m.phys.write_bytes(kCode, code.data(), code.size());
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

const Form kForms[] = {
    {Op::MOVS, 0xF3, "rep movs"}, {Op::MOVS, 0xF2, "F2 movs"},    {Op::STOS, 0xF3, "rep stos"},
    {Op::LODS, 0xF3, "rep lods"}, {Op::CMPS, 0xF3, "repe cmps"},  {Op::CMPS, 0xF2, "repne cmps"},
    {Op::SCAS, 0xF3, "repe scas"}, {Op::SCAS, 0xF2, "repne scas"}};

// Every layout: each form, size, direction, alignment and the operand that faults.
std::vector<Layout> layouts() {
    std::vector<Layout> v;
    for (const Form& f : kForms)
        for (unsigned sz : {1u, 2u, 4u})
            for (bool down : {false, true})
                for (unsigned mis : {0u, 1u}) {
                    if (sz == 1 && mis) continue;  // bytes never cross a page
                    // A few elements before the boundary, and more than a burst (1024) of them
                    // where the page has room.
                    for (uint32_t lead : {5u, std::min(1030u, 4096 / sz - 2)})
                        for (bool fault_src : {false, true}) {
                            if (fault_src ? !reads_src(f.op) : !uses_dst(f.op)) continue;
                            v.push_back(Layout{f, sz, down, mis, lead, fault_src});
                        }
                }
    return v;
}

// Runs `l` for `budget` instructions under the interpreter and the JIT (with the --jit-disable
// bits `jit_disable`): what differs (empty: nothing), with the interpreter's machine left in `out`.
std::string run_both(const Layout& l, uint64_t budget, std::unique_ptr<Machine>& out, Machine::Result& result,
                     uint32_t jit_disable = 0) {
    auto mi = machine(CpuMode::Interp), mj = machine(CpuMode::Jit, jit_disable);
    setup(*mi, l);
    setup(*mj, l);
    const Machine::Result ri = mi->run(budget), rj = mj->run(budget);
    const std::string d = run_differences(*mi, *mj, ri, rj);
    out = std::move(mi);
    result = ri;
    return d;
}

} // namespace

TEST_CASE("REP string instructions count every completed iteration when a page fault ends them partway",
          "[jit][string]") {
    for (const Layout& l : layouts()) {
        const uint32_t k = l.completed();
        INFO(l.describe() << ": " << k << " iterations before the fault");
        REQUIRE(k > 2048);  // past the second burst
        std::unique_ptr<Machine> m;
        Machine::Result r{};
        CHECK(run_both(l, 100000, m, r) == "");
        // The JIT's fallback call (helper_fallback: the semantics function from the start) too.
        std::unique_ptr<Machine> unused;
        Machine::Result unused_result{};
        CHECK(run_both(l, 100000, unused, unused_result, kDisableString) == "");
        const CpuState& s = m->cpu.s;
        CHECK(r.reason == StopReason::HaltForever);  // the handler's HLT, IF clear
        CHECK(s.cr2 >> 12 == l.absent_page() >> 12);
        CHECK(s.reg32(ECX) == kCount - k);
        // The completed iterations retired; the faulting one counts in icount only, and the
        // handler's HLT one more.
        CHECK(m->cpu.stats.executed[mnemonic(l.form.op, l.sz)] == k);
        CHECK(s.icount == uint64_t(k) + 2);
    }
}

TEST_CASE("REP string instructions stop exactly at a budget that ends them partway", "[jit][string]") {
    for (const Layout& l : layouts()) {
        const uint32_t k = l.completed(), lead = l.lead;
        // At the first page boundary (where the helper hands over with words and dwords off the
        // grid), at the end of the burst the semantics function starts at the handover, and
        // at the fault (counted in icount, not in the statistics).
        const std::set<uint64_t> budgets = {lead, lead + 1023, k + 1};
        for (uint64_t b : budgets) {
            INFO(l.describe() << ", budget " << b << " (" << k << " iterations before the fault)");
            std::unique_ptr<Machine> m;
            Machine::Result r{};
            CHECK(run_both(l, b, m, r) == "");
            const CpuState& s = m->cpu.s;
            CHECK(r.reason == StopReason::MaxInsns);
            CHECK(s.icount == b);
            // b iterations completed, or with b = k + 1 the k before the fault, which counts.
            CHECK(m->cpu.stats.executed[mnemonic(l.form.op, l.sz)] == std::min<uint64_t>(b, k));
            CHECK(s.reg32(ECX) == kCount - std::min<uint64_t>(b, k));
        }
    }
}

TEST_CASE("A REP string instruction stopped at a budget resumes in its translated block", "[jit][string]") {
    // Stopped between iterations, the REP leaves EIP on itself and RF set (as the interpreter
    // does). The dispatcher used to send every instruction with RF set to the interpreter,
    // which then ran the rest of the REP one element at a time; now the REP's own block
    // (helper_rep_string) takes it up again and clears RF as it starts. Two runs, the first
    // ending partway through the REP: both executors agree after each, and the second run
    // leaves nothing to the interpreter.
    for (const Layout& l : layouts()) {
        if (l.lead < 1000) continue;  // room before the first page boundary for a stop there
        INFO(l.describe());
        auto mi = machine(CpuMode::Interp), mj = machine(CpuMode::Jit);
        setup(*mi, l);
        setup(*mj, l);
        const uint64_t first = l.lead / 2;
        Machine::Result ri = mi->run(first), rj = mj->run(first);
        CHECK(run_differences(*mi, *mj, ri, rj) == "");
        CHECK((mj->cpu.s.eflags & RF) != 0);
        CHECK(mj->cpu.s.eip() == kCode);  // on the instruction, prefixes and all
        const uint64_t steps = mj->jit->stats().interp_steps;
        ri = mi->run(100000), rj = mj->run(100000);
        CHECK(run_differences(*mi, *mj, ri, rj) == "");
        CHECK(rj.reason == StopReason::HaltForever);
        CHECK(mj->cpu.s.reg32(ECX) == kCount - l.completed());
        CHECK(mj->jit->stats().interp_steps == steps);
    }
}

TEST_CASE("A block that ends in a REP string instruction chains to the next one", "[jit][string][chain]") {
    // ebx turns of: mov ecx, 64; mov esi/edi; rep stosd (or movsd); add; dec ebx; jnz; then
    // int3, whose handler halts.
    // The REP's block used to return to the dispatcher every time; it now goes on through a
    // linked exit when the REP ran to its end. Budgets that stop inside a REP, inside the
    // blocks around it and nowhere; an exit request cannot differ from a budget here.
    namespace ax = asmjit::x86;
    for (bool movs : {false, true}) {
        const std::vector<uint8_t> code = assemble_at(kCode, [movs](ax::Assembler& a) {
            asmjit::Label loop = a.newLabel();
            a.mov(ax::ebx, 300);
            a.bind(loop);
            a.mov(ax::ecx, 64);
            a.mov(ax::esi, kSrcRegion);
            a.mov(ax::edi, kDstRegion);
            a.rep();
            if (movs) a.movsd();
            else a.stosd();
            a.add(ax::eax, 3);
            a.dec(ax::ebx);
            a.jnz(loop);
            a.int3();  // its frame keeps EFLAGS: RF must be clear again after a resumed REP
        });
        // 1 + 70 per turn: 5000 stops at the REP's 26th iteration of turn 72, 38 more end it
        // exactly (RF clear again), 5033 stops in the ADD-DEC-JNZ block after it.
        const std::vector<std::vector<uint64_t>> plans = {{0}, {5000, 38, 0}, {5000, 0}, {5033, 0}};
        for (const std::vector<uint64_t>& plan : plans) {
            INFO((movs ? "rep movsd" : "rep stosd") << ", runs of " << plan[0] << (plan.size() > 2 ? ", 38" : "")
                                                    << " and to the end");
            auto run = [&](CpuMode mode) {
                auto m = machine(mode);
                enter_flat32(*m, kCode, kStack);
                install_halting_idt(*m, kGdt, kIdt, kHandler);
                const uint32_t regs[8] = {0x11111111u, 0, 0, 0, 0, 0, 0, 0};
                load_program(*m, kCode, code, regs, FIXED1);
                std::vector<uint8_t> src(0x1000);
                for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 5 + 1);
                m->phys.write_bytes(kSrcRegion, src.data(), src.size());
                return m;
            };
            Machine::Result ri{}, rj{};
            auto mi = run(CpuMode::Interp);
            auto mj = run(CpuMode::Jit);
            for (uint64_t budget : plan) {
                ri = mi->run(budget), rj = mj->run(budget);
                INFO("after the run of " << budget);
                CHECK(run_differences(*mi, *mj, ri, rj) == "");
                if (budget == 5000) CHECK((mj->cpu.s.eflags & RF) != 0);  // stopped inside the REP
            }
            CHECK(mj->cpu.s.reg32(EBX) == 0);
            CHECK(mj->cpu.s.reg32(EAX) == 0x11111111u + 900);
            // 300 turns: a return to the dispatcher per turn was the old way.
            CHECK(mj->jit->stats().dispatches < 30);
        }
    }
}

TEST_CASE("A REP string instruction over memory with nothing behind it runs burst after burst in its helper",
          "[jit][string]") {
    // The helper's fast path cannot take an address with no RAM behind it, so the semantics
    // function runs the REP in bursts of 1024 iterations; the helper goes on with the next
    // burst itself (EIP back after the next instruction first: a burst moves it back only to
    // yield). Several bursts, a budget inside the third, and the instructions after it.
    namespace ax = asmjit::x86;
    for (bool movs : {false, true}) {
        const std::vector<uint8_t> code = assemble_at(kCode, [movs](ax::Assembler& a) {
            a.mov(ax::ecx, 5000);
            a.mov(ax::esi, movs ? 0x40000000u : kSrcRegion);  // 1 GiB: beyond the 2 MiB of RAM
            a.mov(ax::edi, movs ? kDstRegion : 0x40001000u);
            a.rep();
            if (movs) a.movsb();
            else a.stosb();
            a.add(ax::eax, 3);
            a.hlt();
        });
        for (uint64_t budget : {uint64_t(0), uint64_t(2500)}) {
            INFO((movs ? "rep movsb from nothing" : "rep stosb into nothing") << ", budget " << budget);
            auto run = [&](CpuMode mode) {
                auto m = machine(mode);
                enter_flat32(*m, kCode, kStack);
                const uint32_t regs[8] = {0x100, 0, 0, 0, 0, 0, 0, 0};
                load_program(*m, kCode, code, regs, FIXED1);
                return m;
            };
            auto mi = run(CpuMode::Interp), mj = run(CpuMode::Jit);
            Machine::Result ri = mi->run(budget), rj = mj->run(budget);
            CHECK(run_differences(*mi, *mj, ri, rj) == "");
            if (budget) {
                CHECK(mj->cpu.s.reg32(ECX) == 5000 - (budget - 3));
                ri = mi->run(0), rj = mj->run(0);
                CHECK(run_differences(*mi, *mj, ri, rj) == "");
            }
            CHECK(rj.reason == StopReason::HaltForever);
            CHECK(mj->cpu.s.reg32(ECX) == 0);
            CHECK(mj->cpu.s.reg32(EAX) == 0x103);
            CHECK(mj->cpu.s.icount == 3 + 5000 + 2);  // each iteration one, the ADD and the HLT
        }
    }
}
