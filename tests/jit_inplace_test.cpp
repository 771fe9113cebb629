// The in-place emitter forms (docs/translator.md, "In place"): the ALU group, INC/DEC, NEG/NOT
// and MOV of 8 and 16 bits on the host registers themselves (`xor r10b, r8b`), immediates and
// registers stored straight to memory (`mov byte [rbp], 0`), MOVZX/MOVSX into the destination's
// host register, LEA into its destination, the shifts by an immediate and ROL/ROR by an immediate
// in place with their OF computed, and the memory forms that access [rbp + rbx]. Each form runs under the interpreter and the JIT (the default, the flags
// in memory, no liveness), flat and paged, with the flags after it pushed (so every flag is
// live) or overwritten (dead), and right before a faulting access (live only for the fault);
// the whole CPU state and RAM must agree.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <functional>
#include <memory>
#include <random>
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
constexpr uint32_t kPages = 0x200000;  // memory operands (present)
constexpr uint32_t kAbsent = 0x40000;  // not present when paging is on
constexpr uint32_t kStack = 0x38000;
constexpr uint32_t kHandler = 0x9000;  // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;

struct Start {
    uint32_t regs[8];
    uint32_t flags;
};

void setup(Machine& m, const std::vector<uint8_t>& code, const Start& st, bool paging) {
    CpuState& s = m.cpu.s;
    enter_flat32(m, kCode, kStack);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    if (paging) page_first_4mib(m, kPageDir, kPageTable, kAbsent);
    for (unsigned i = 0; i < 8; ++i) s.set_reg32(i, st.regs[i]);
    s.set_reg32(ESP, kStack);
    s.eflags = FIXED1 | (st.flags & kArithFlags);
    std::vector<uint8_t> data(0x3000);
    for (unsigned i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 29 + 3);
    m.phys.write_bytes(kPages, data.data(), data.size());
    m.phys.write_bytes(kCode, code.data(), code.size());
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

// Runs `code` under the interpreter and the JIT with each of `disables`; returns the default
// JIT's natively run instructions and the interpreter's exception count.
std::pair<uint64_t, uint64_t> run_all(const std::vector<uint8_t>& code, const Start& st, bool paging) {
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, st, paging);
    const Machine::Result rr = ref->run(100000);
    uint64_t native = 0, exceptions = 0;
    for (uint32_t disable : {0u, uint32_t(kDisableRegs), uint32_t(kDisableFlags)}) {
        INFO("--jit-disable " << disable << (paging ? ", paging" : ""));
        auto m = mode_machine(CpuMode::Jit, disable);
        setup(*m, code, st, paging);
        const Machine::Result r = m->run(100000);
        CHECK(run_differences(*ref, *m, rr, r) == "");
        if (!disable) native = m->jit->stats().native_run;
    }
    for (uint64_t e : ref->cpu.stats.exceptions) exceptions += e;
    return {native, exceptions};
}

using Asm = ax::Assembler;
struct Case {
    const char* name;
    std::function<void(Asm&)> emit;
};

ax::Mem mb(uint32_t off) { return ax::byte_ptr(kPages + off); }
ax::Mem mw(uint32_t off) { return ax::word_ptr(kPages + off); }
ax::Mem md(uint32_t off) { return ax::dword_ptr(kPages + off); }

// The forms the in-place emitters take, and a few that keep the scratch path beside them
// (AH..BH, 16-bit LEA).
const std::vector<Case>& forms() {
    static const std::vector<Case> f = {
        {"xor dl, al", [](Asm& a) { a.xor_(ax::dl, ax::al); }},
        {"add cl, 0x80", [](Asm& a) { a.add(ax::cl, 0x80); }},
        {"sub si, di", [](Asm& a) { a.sub(ax::si, ax::di); }},
        {"add bp, 0x1234", [](Asm& a) { a.add(ax::bp, 0x1234); }},
        {"and dx, -2", [](Asm& a) { a.and_(ax::dx, -2); }},
        {"adc bl, cl", [](Asm& a) { a.adc(ax::bl, ax::cl); }},
        {"sbb di, 5", [](Asm& a) { a.sbb(ax::di, 5); }},
        {"cmp dl, [m]", [](Asm& a) { a.cmp(ax::dl, mb(0x11)); }},
        {"sub ax, [m]", [](Asm& a) { a.sub(ax::ax, mw(0x22)); }},
        {"test [m], cl", [](Asm& a) { a.test(mb(0x13), ax::cl); }},
        {"and byte [m], 0x7F", [](Asm& a) { a.and_(mb(0x14), 0x7F); }},
        {"or word [m], dx", [](Asm& a) { a.or_(mw(0x16), ax::dx); }},
        {"add [m], bl", [](Asm& a) { a.add(mb(0x18), ax::bl); }},
        {"adc word [m], 0x8001", [](Asm& a) { a.adc(mw(0x1A), 0x8001); }},
        {"sub dword [m], 7", [](Asm& a) { a.sub(md(0x1C), 7); }},
        {"xor [m], esi", [](Asm& a) { a.xor_(md(0x20), ax::esi); }},
        {"cmp byte [m], 0x90", [](Asm& a) { a.cmp(mb(0x24), 0x90); }},
        {"add ah, cl", [](Asm& a) { a.add(ax::ah, ax::cl); }},
        {"xor [m], bh", [](Asm& a) { a.xor_(mb(0x25), ax::bh); }},
        {"inc si", [](Asm& a) { a.inc(ax::si); }},
        {"dec bl", [](Asm& a) { a.dec(ax::bl); }},
        {"neg cx", [](Asm& a) { a.neg(ax::cx); }},
        {"not dl", [](Asm& a) { a.not_(ax::dl); }},
        {"mov dl, 0x80", [](Asm& a) { a.mov(ax::dl, 0x80); }},
        {"mov bp, si", [](Asm& a) { a.mov(ax::bp, ax::si); }},
        {"mov byte [m], 0", [](Asm& a) { a.mov(mb(0x30), 0); }},
        {"mov word [m], 0xBEEF", [](Asm& a) { a.mov(mw(0x32), 0xBEEF); }},
        {"mov dword [m], -3", [](Asm& a) { a.mov(md(0x34), -3); }},
        {"mov [m], cl", [](Asm& a) { a.mov(mb(0x38), ax::cl); }},
        {"mov [m], di", [](Asm& a) { a.mov(mw(0x3A), ax::di); }},
        {"mov cx, [m]", [](Asm& a) { a.mov(ax::cx, mw(0x3C)); }},
        {"mov bl, [m]", [](Asm& a) { a.mov(ax::bl, mb(0x3E)); }},
        {"mov [m], dh", [](Asm& a) { a.mov(mb(0x3F), ax::dh); }},
        {"movzx edx, byte [m]", [](Asm& a) { a.movzx(ax::edx, mb(0x41)); }},
        {"movsx ecx, word [m]", [](Asm& a) { a.movsx(ax::ecx, mw(0x42)); }},
        {"movsx si, byte [m]", [](Asm& a) { a.movsx(ax::si, mb(0x44)); }},
        {"movzx esi, dl", [](Asm& a) { a.movzx(ax::esi, ax::dl); }},
        {"movsx di, al", [](Asm& a) { a.movsx(ax::di, ax::al); }},
        {"movsx ebp, bx", [](Asm& a) { a.movsx(ax::ebp, ax::bx); }},
        {"movzx ax, bh", [](Asm& a) { a.movzx(ax::ax, ax::bh); }},
        {"movsx edx, ah", [](Asm& a) { a.movsx(ax::edx, ax::ah); }},
        {"lea ecx, [eax+ebx*4+0x10]", [](Asm& a) { a.lea(ax::ecx, ax::ptr(ax::eax, ax::ebx, 2, 0x10)); }},
        {"lea edx, [esi*8-4]", [](Asm& a) { a.lea(ax::edx, ax::ptr(0xFFFFFFFCu, ax::esi, 3)); }},
        {"lea ebp, [esp+8]", [](Asm& a) { a.lea(ax::ebp, ax::ptr(ax::esp, 8)); }},
        {"lea eax, [eax]", [](Asm& a) { a.lea(ax::eax, ax::ptr(ax::eax)); }},
        {"lea edi, [0x1234]", [](Asm& a) { a.lea(ax::edi, ax::ptr(0x1234u)); }},
        {"lea dx, [eax+ecx-1]", [](Asm& a) { a.lea(ax::dx, ax::ptr(ax::eax, ax::ecx, 0, -1)); }},
        {"shl edx, 7", [](Asm& a) { a.shl(ax::edx, 7); }},
        {"shl eax, 1", [](Asm& a) { a.shl(ax::eax, 1); }},
        {"shr eax, 31", [](Asm& a) { a.shr(ax::eax, 31); }},
        {"shr esi, 8", [](Asm& a) { a.shr(ax::esi, 8); }},
        {"sar esi, 4", [](Asm& a) { a.sar(ax::esi, 4); }},
        {"sar ebp, 1", [](Asm& a) { a.sar(ax::ebp, 1); }},
        {"shl ecx, 30", [](Asm& a) { a.shl(ax::ecx, 30); }},
        // 8/16-bit shifts by an immediate below the width in place; by the width or more (the
        // interpreter's CF) and AH..BH on the scratch path.
        {"shl dl, 3", [](Asm& a) { a.shl(ax::dl, 3); }},
        {"shl al, 1", [](Asm& a) { a.shl(ax::al, 1); }},
        {"shr si, 15", [](Asm& a) { a.shr(ax::si, 15); }},
        {"shr cl, 7", [](Asm& a) { a.shr(ax::cl, 7); }},
        {"sar bx, 4", [](Asm& a) { a.sar(ax::bx, 4); }},
        {"sar dl, 1", [](Asm& a) { a.sar(ax::dl, 1); }},
        {"shl di, 9", [](Asm& a) { a.shl(ax::di, 9); }},
        {"shl cl, 8", [](Asm& a) { a.shl(ax::cl, 8); }},
        {"shr dx, 17", [](Asm& a) { a.shr(ax::dx, 17); }},
        {"sar bl, 12", [](Asm& a) { a.sar(ax::bl, 12); }},
        {"shl ah, 3", [](Asm& a) { a.shl(ax::ah, 3); }},
        // ROL/ROR by an immediate in place (count 1: the host's OF; others computed), and by a
        // multiple of the width (CF and OF change, the value not) on the scratch path.
        {"rol eax, 1", [](Asm& a) { a.rol(ax::eax, 1); }},
        {"rol edx, 13", [](Asm& a) { a.rol(ax::edx, 13); }},
        {"ror esi, 1", [](Asm& a) { a.ror(ax::esi, 1); }},
        {"ror ebp, 31", [](Asm& a) { a.ror(ax::ebp, 31); }},
        {"rol cx, 8", [](Asm& a) { a.rol(ax::cx, 8); }},
        {"ror di, 3", [](Asm& a) { a.ror(ax::di, 3); }},
        {"rol dl, 1", [](Asm& a) { a.rol(ax::dl, 1); }},
        {"ror bl, 1", [](Asm& a) { a.ror(ax::bl, 1); }},
        {"rol al, 9", [](Asm& a) { a.rol(ax::al, 9); }},
        {"ror cl, 5", [](Asm& a) { a.ror(ax::cl, 5); }},
        {"rol dl, 8", [](Asm& a) { a.rol(ax::dl, 8); }},
        {"ror si, 16", [](Asm& a) { a.ror(ax::si, 16); }},
        {"rol bh, 2", [](Asm& a) { a.rol(ax::bh, 2); }},
        // Memory forms that access [rbp + rbx] (shifts, XCHG, CMPXCHG, XADD, BT*, BSF/BSR,
        // MUL/IMUL).
        {"shl byte [m], 3", [](Asm& a) { a.shl(mb(0x50), 3); }},
        {"sar word [m], 1", [](Asm& a) { a.sar(mw(0x52), 1); }},
        {"shr dword [m], cl", [](Asm& a) { a.shr(md(0x54), ax::cl); }},
        {"shl word [m], 17", [](Asm& a) { a.shl(mw(0x58), 17); }},
        {"rol dword [m], 7", [](Asm& a) { a.rol(md(0x5C), 7); }},
        {"ror byte [m], cl", [](Asm& a) { a.ror(mb(0x60), ax::cl); }},
        {"rcl word [m], 1", [](Asm& a) { a.rcl(mw(0x62), 1); }},
        {"rcr dword [m], 5", [](Asm& a) { a.rcr(md(0x64), 5); }},
        {"shld [m], edx, 4", [](Asm& a) { a.shld(md(0x68), ax::edx, 4); }},
        {"shrd [m], cx, 9", [](Asm& a) { a.shrd(mw(0xA0), ax::cx, 9); }},
        {"shrd [m], eax, cl", [](Asm& a) { a.shrd(md(0x98), ax::eax, ax::cl); }},
        {"shld [m], ecx, cl", [](Asm& a) { a.shld(md(0x9C), ax::ecx, ax::cl); }},
        {"shrd esi, esi, 3", [](Asm& a) { a.shrd(ax::esi, ax::esi, 3); }},
        {"xchg [m], si", [](Asm& a) { a.xchg(mw(0x6C), ax::si); }},
        {"cmpxchg [m], ecx", [](Asm& a) { a.cmpxchg(md(0x70), ax::ecx); }},
        {"xadd [m], dl", [](Asm& a) { a.xadd(mb(0x74), ax::dl); }},
        {"bts dword [m], 13", [](Asm& a) { a.bts(md(0x78), 13); }},
        {"bt word [m], 3", [](Asm& a) { a.bt(mw(0x7C), 3); }},
        {"btc [m], ax", [](Asm& a) { a.btc(mw(0x1000), ax::ax); }},  // within +-4 KiB
        {"bsf edx, [m]", [](Asm& a) { a.bsf(ax::edx, md(0x80)); }},
        {"bsr cx, [m]", [](Asm& a) { a.bsr(ax::cx, mw(0x84)); }},
        {"mul dword [m]", [](Asm& a) { a.mul(md(0x88)); }},
        {"imul esi, [m]", [](Asm& a) { a.imul(ax::esi, md(0x8C)); }},
        {"imul word [m]", [](Asm& a) { a.imul(mw(0x90)); }},
        {"xor edx, edx; div dword [m]", [](Asm& a) { a.xor_(ax::edx, ax::edx); a.div(md(0x94)); }},
    };
    return f;
}

// Zeros, all ones, sign boundaries and random registers and flags.
std::vector<Start> starts() {
    std::vector<Start> v;
    std::mt19937 rng(0x1A9);
    for (unsigned k = 0; k < 4; ++k) {
        Start s;
        for (unsigned i = 0; i < 8; ++i) s.regs[i] = uint32_t(rng());
        s.flags = uint32_t(rng());
        if (k == 0) s.regs[EAX] = 0x7FFFFFFF, s.regs[EDX] = 0x80000000, s.regs[ESI] = 0x40000000, s.flags = 0;
        if (k == 1)
            for (unsigned i = 0; i < 8; ++i) s.regs[i] = 0xFFFFFFFF, s.flags = kArithFlags;
        v.push_back(s);
    }
    return v;
}

} // namespace

TEST_CASE("in-place forms of every size give the interpreter's registers, flags and memory", "[jit][jit_inplace]") {
    for (const Case& f : forms()) {
        INFO("form " << f.name);
        // The form with its flags pushed (all live), then again with them overwritten before
        // anyone reads them (dead), then a loop over it so that the block is chained into.
        const std::vector<uint8_t> code = assemble_at(kCode, [&](Asm& a) {
            f.emit(a);
            a.pushfd();
            f.emit(a);
            a.cmp(ax::eax, ax::ecx);
            a.pushfd();
            asmjit::Label loop = a.newLabel();
            a.mov(ax::dword_ptr(kPages + 0x100), 5);
            a.bind(loop);
            f.emit(a);
            a.pushfd();
            a.dec(ax::dword_ptr(kPages + 0x100));
            a.jnz(loop);
            a.hlt();
        });
        for (bool paging : {false, true})
            for (const Start& st : starts()) {
                const auto [native, exceptions] = run_all(code, st, paging);
                CHECK(exceptions == 0);
                CHECK(native > 10);
            }
    }
}

TEST_CASE("a fault right after an in-place form sees its flags and registers", "[jit][jit_inplace]") {
    // The flags are live only for the fault (the instruction after the access overwrites them):
    // the #PF's frame (EFLAGS pushed) and CpuState must hold what the form left.
    for (const Case& f : forms()) {
        for (bool store : {false, true}) {
            INFO("form " << f.name << (store ? ", store" : ", load"));
            const std::vector<uint8_t> code = assemble_at(kCode, [&](Asm& a) {
                f.emit(a);
                if (store) a.mov(ax::dword_ptr(kAbsent + 0x24), ax::eax);
                else a.xor_(ax::eax, ax::dword_ptr(kAbsent + 0x20));
                a.cmp(ax::eax, ax::edx);
                a.hlt();
            });
            for (const Start& st : starts()) {
                const auto [native, exceptions] = run_all(code, st, true);
                CHECK(exceptions == 1);
                (void)native;
            }
        }
    }
}
