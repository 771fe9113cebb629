// The guest-register cache of the translator (docs/translator.md, "Guest registers in host
// registers"): inside a block the eight guest registers live in host registers, are stored
// before every helper that may read them or fault and loaded again after every helper that may
// write them, and travel in host registers along chained jumps. Each case aims at one of those
// points and runs under the interpreter, the JIT and the JIT without the cache
// (--jit-disable regs); the whole CPU state, the statistics and RAM must agree.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/emitter.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;      // scratch data (present)
constexpr uint32_t kAbsent = 0x40000;    // a page that is not present when paging is on
constexpr uint32_t kStack = 0x38000;
constexpr uint32_t kHandler = 0x9000;    // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;

// Flat protected mode with a GDT and an IDT whose 32 exception gates lead to a HLT, so that a
// fault's frame (EIP, error code) lands on the stack where RAM compares it; optionally 4 KiB
// paging with kAbsent not present.
void setup(Machine& m, const std::vector<uint8_t>& code, const uint32_t regs[8], bool paging) {
    CpuState& s = m.cpu.s;
    enter_flat32(m, kCode, kStack);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    if (paging) page_first_4mib(m, kPageDir, kPageTable, kAbsent);
    for (unsigned i = 0; i < 8; ++i) s.set_reg32(i, regs[i]);
    s.eflags = FIXED1 | 0x8D5;  // CF PF AF ZF SF OF all set: a lost flag store shows
    std::vector<uint8_t> data(4096);
    for (unsigned i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
    m.phys.write_bytes(kData, data.data(), data.size());
    m.phys.write_bytes(kCode, code.data(), code.size());
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

struct Outcome {
    CpuState state;
    uint64_t native = 0;      // instructions the cached JIT ran natively
    uint64_t exceptions = 0;  // exceptions the interpreter delivered
};

// Runs `code` from `regs` for at most `budget` instructions under the interpreter, the JIT and
// the JIT without the register cache; every difference from the interpreter fails the test.
Outcome run_all(const std::vector<uint8_t>& code, const uint32_t regs[8], bool paging, uint64_t budget = 100000) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, regs, paging);
    const Machine::Result rr = ref->run(budget);
    Outcome o;
    for (uint32_t disable : {0u, uint32_t(kDisableRegs)}) {
        INFO((disable ? "jit, --jit-disable regs" : "jit") << ", budget " << budget << (paging ? ", paging" : ""));
        auto m = mode_machine(CpuMode::Jit, disable);
        setup(*m, code, regs, paging);
        const Machine::Result r = m->run(budget);
        CHECK(run_differences(*ref, *m, rr, r) == "");
        if (!disable) o.native = m->jit->stats().native_run;
    }
    o.state = ref->cpu.s;
    for (uint64_t e : ref->cpu.stats.exceptions) o.exceptions += e;
    return o;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

const uint32_t kRegs[8] = {0x01234567, 0x89ABCDEF, 0xFEDCBA98, 0x76543210, kStack, 0x0BADF00D, 0x13579BDF, 0x2468ACE0};

} // namespace

TEST_CASE("a fault in the middle of a block sees every register written before it", "[jit][regcache]") {
    // Native writes to every kind of register (32, 16, low and high byte, ESP through PUSH),
    // then a native load from a page that is not present: the #PF comes from the load's slow
    // path, whose semantics function must see the registers as the interpreter has them. The
    // handler's frame (pushed below the new ESP) is compared with RAM.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.mov(ax::eax, 0x11111111);
        a.mov(ax::ecx, 0x22222222);
        a.add(ax::edx, ax::eax);
        a.mov(ax::bh, 0x5A);
        a.mov(ax::si, 0x3333);
        a.mov(ax::dl, 0x44);
        a.lea(ax::edi, ax::ptr(ax::eax, ax::ecx, 1, 7));
        a.push(ax::eax);
        a.mov(ax::ebp, ax::dword_ptr(kAbsent + 0x10));  // #PF
        a.mov(ax::eax, 0xDEADBEEF);
        a.hlt();
    });
    const Outcome o = run_all(code, kRegs, true);
    CHECK(o.state.cr2 == kAbsent + 0x10);
    CHECK(o.exceptions == 1);
    CHECK(o.state.reg32(EAX) == 0x11111111);
    CHECK(o.native > 0);
}

TEST_CASE("a fault in a fallback call sees the registers the block wrote", "[jit][regcache]") {
    // DIV is a fallback call: ECX = 0 raises #DE after EAX, EDX, EBX and the high bytes were
    // written natively; then the same with a divisor, so the quotient (written by the helper)
    // is read natively afterwards.
    for (uint32_t divisor : {0u, 7u}) {
        INFO("divisor " << divisor);
        const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
            a.mov(ax::eax, 1000);
            a.xor_(ax::edx, ax::edx);
            a.mov(ax::ebx, divisor);
            a.mov(ax::ch, 0x12);
            a.mov(ax::esi, ax::ebx);
            a.div(ax::esi);
            a.add(ax::eax, ax::edx);  // native reads of what the helper wrote
            a.mov(ax::edi, ax::eax);
            a.mov(ax::ah, ax::ch);
            a.hlt();
        });
        const Outcome o = run_all(code, kRegs, false);
        CHECK(o.exceptions == (divisor ? 0u : 1u));
        if (divisor) CHECK(o.state.reg32(EDI) == 1000 / 7 + 1000 % 7);
    }
}

TEST_CASE("helpers read the registers written just before them and their writes are read after", "[jit][regcache]") {
    // CPUID reads EAX and ECX and writes EAX..EDX; PUSHA reads all eight (ESP too) and POPA
    // writes them; REP MOVSD reads and writes ECX, ESI, EDI. Native instructions on both sides.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.mov(ax::eax, 1);
        a.mov(ax::ecx, 0);
        a.cpuid();
        a.mov(ax::esi, ax::eax);  // native reads of what CPUID wrote
        a.xor_(ax::esi, ax::ebx);
        a.add(ax::esi, ax::ecx);
        a.sub(ax::esi, ax::edx);
        a.mov(ax::eax, 0xA1A2A3A4);
        a.mov(ax::ah, 0x55);
        a.mov(ax::cx, 0x1234);
        a.mov(ax::dh, 0x66);
        a.lea(ax::ebp, ax::ptr(ax::esi, 3));
        a.mov(ax::edi, ax::ebp);
        a.pushad();
        a.mov(ax::ebx, ax::dword_ptr(ax::esp, 28));  // the pushed EAX
        a.mov(ax::edx, ax::dword_ptr(ax::esp, 12));  // the pushed ESP
        a.mov(ax::dword_ptr(ax::esp, 24), 0x0C0C0C0C);  // ECX to pop
        a.mov(ax::dword_ptr(ax::esp, 4), 0x5E5E5E5E);   // ESI to pop
        a.mov(ax::eax, 0);
        a.popad();
        a.add(ax::eax, ax::ecx);  // native reads of what POPA wrote
        a.xor_(ax::eax, ax::esi);
        a.mov(ax::ch, ax::ah);
        // REP MOVSD (the block's last instruction) after native writes of its operands.
        a.mov(ax::esi, kData);
        a.mov(ax::edi, kData + 0x800);
        a.mov(ax::ecx, 37);
        a.rep().movsd();
        a.add(ax::eax, ax::ecx);  // the next block reads what the helper left
        a.add(ax::eax, ax::esi);
        a.add(ax::eax, ax::edi);
        a.mov(ax::ebx, ax::dword_ptr(kData + 0x800 + 36 * 4));
        a.hlt();
    });
    const Outcome o = run_all(code, kRegs, false);
    CHECK(o.state.reg32(ECX) == 0);
    CHECK(o.state.reg32(ESI) == kData + 37 * 4);
    CHECK(o.exceptions == 0);
}

TEST_CASE("chained loops carry the registers from block to block", "[jit][regcache][chain]") {
    // Three blocks in one page linked to each other, a CALL/RET pair through the inline jump
    // cache, every register live across the links (ESP and EBP too, AH..BH among them), and a
    // fallback call (CPUID would be too slow: LAHF reads flags and writes AH) in the loop. The
    // budgets stop the run inside the loop, at a chained entry's budget test.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), second = a.newLabel(), fn = a.newLabel(), done = a.newLabel();
        a.mov(ax::ebp, 300);
        a.bind(top);
        a.add(ax::eax, ax::ebx);
        a.rol(ax::edx, 3);
        a.xor_(ax::edx, ax::eax);
        a.inc(ax::ch);
        a.add(ax::bh, ax::dl);
        a.cmp(ax::esi, ax::edi);
        a.jb(second);
        a.sub(ax::esi, ax::edi);
        a.bind(second);
        a.add(ax::esi, 0x1001);
        a.push(ax::eax);
        a.call(fn);
        a.pop(ax::edi);
        a.lahf();
        a.xor_(ax::dh, ax::ah);
        a.dec(ax::ebp);
        a.jnz(top);
        a.jmp(done);
        a.bind(fn);
        a.mov(ax::ecx, ax::dword_ptr(ax::esp, 4));
        a.shr(ax::ecx, 1);
        a.add(ax::ebx, ax::ecx);
        a.mov(ax::dword_ptr(ax::esp, 4), ax::ebx);
        a.ret();
        a.bind(done);
        a.hlt();
    });
    for (uint64_t budget : {100000ull, 1ull, 17ull, 1000ull, 2345ull}) {
        const Outcome o = run_all(code, kRegs, false, budget);
        if (budget == 100000) CHECK(o.state.reg32(EBP) == 0);
    }
}

TEST_CASE("AH, CH, DH and BH are read and written right by every emitter", "[jit][regcache]") {
    // The high bytes have no form with a REX prefix, so the host registers that hold the guest
    // registers have none: each emitter's reads and writes of AH..BH go through the cache's
    // own paths. Several starting values (carries, zeros, signs).
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.mov(ax::ah, 0x12);
        a.mov(ax::ch, ax::ah);
        a.add(ax::dh, ax::ch);
        a.adc(ax::bh, ax::dl);
        a.xchg(ax::bh, ax::al);
        a.xchg(ax::ah, ax::ch);
        a.inc(ax::ch);
        a.neg(ax::dh);
        a.not_(ax::ah);
        a.shl(ax::bh, 3);
        a.shr(ax::ah, ax::cl);
        a.rcl(ax::dh, 1);
        a.sar(ax::ch, ax::cl);
        a.movzx(ax::esi, ax::ch);
        a.movsx(ax::edi, ax::dh);
        a.setc(ax::bh);
        a.cmp(ax::ah, ax::bh);
        a.sbb(ax::ch, ax::ah);
        a.test(ax::dh, 0x80);
        a.mov(ax::byte_ptr(kData + 5), ax::ah);
        a.mov(ax::ch, ax::byte_ptr(kData + 9));
        a.or_(ax::byte_ptr(kData + 6), ax::dh);
        a.xchg(ax::byte_ptr(kData + 7), ax::bh);
        a.mul(ax::bh);
        a.lea(ax::ebp, ax::ptr(ax::eax, ax::edx, 2));
        a.mov(ax::dl, ax::ah);
        a.cbw();
        a.mov(ax::bh, ax::dh);
        a.sub(ax::ah, ax::dh);
        a.hlt();
    });
    std::mt19937 rng(1234);
    for (unsigned k = 0; k < 8; ++k) {
        uint32_t regs[8];
        for (unsigned i = 0; i < 8; ++i) regs[i] = k == 0 ? 0 : k == 1 ? 0xFFFFFFFFu : uint32_t(rng());
        regs[ESP] = kStack;
        INFO("case " << k);
        const Outcome o = run_all(code, regs, k & 1);
        CHECK(o.exceptions == 0);
        CHECK(o.native > 20);
    }
}

TEST_CASE("IDIV r32 with negative results writes 32-bit registers into their slots with --jit-disable regs", "[jit][regcache]") {
    // Regression (jit_diff seed 238579399 with XLAT_JIT_DIFF_DISABLE=regs): the native IDIV r/m32
    // divides in 64 bits, so its quotient and remainder are sign-extended in rax/rdx; with the
    // registers kept in CpuState the 32-bit store wrote all of rdx into EDX's 64-bit slot
    // (edx fffffffffffffff8 where the interpreter has fffffff8).
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        a.mov(ax::eax, -1000);
        a.cdq();
        a.mov(ax::ecx, 7);
        a.idiv(ax::ecx);  // quotient -142, remainder -6: both negative
        a.mov(ax::ebx, ax::edx);
        a.hlt();
    });
    const Outcome o = run_all(code, kRegs, false);
    CHECK(o.state.reg32(EAX) == uint32_t(-142));
    CHECK(o.state.reg32(EDX) == uint32_t(-6));
    CHECK(o.state.gpr[EDX] == 0xFFFFFFFAull);  // zero-extended in the slot, as every 32-bit write
}
