// The return stack (docs/translator.md, "The return stack"): a translated CALL pushes a frame on
// the host stack and enters its target with a host `call`; a translated RET whose popped EIP is
// the top frame's returns with the host's `ret`. Each case here would go wrong if a prediction
// were taken without its checks: a return address the guest rewrote, code rewritten or
// remapped behind a frame, far returns and RET imm16 between near ones, calls without returns,
// recursion deeper than the frames allowed, the budget and another thread's exit request in
// the middle of a recursion. Each runs under both executors and compares the whole state, the
// instruction count, the per-mnemonic statistics and RAM.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <chrono>
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
constexpr uint32_t kStack = 0x200000;

std::unique_ptr<Machine> flat_machine(CpuMode mode, uint32_t disable = 0) {
    auto m = mode_machine(mode, disable);
    enter_flat32(*m, kCode, kStack);
    return m;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

// An interpreter and a JIT machine (with `disable`), `setup` applied to each, run for `budget`.
struct Pair {
    std::unique_ptr<Machine> i, j;
};
template <typename S> Pair run_both(const std::vector<uint8_t>& code, uint64_t budget, S&& setup, uint32_t disable = 0) {
    Pair p{flat_machine(CpuMode::Interp), flat_machine(CpuMode::Jit, disable)};
    for (Machine* m : {p.i.get(), p.j.get()}) {
        m->phys.write_bytes(kCode, code.data(), code.size());
        setup(*m);
        m->run(budget);
    }
    return p;
}
Pair run_both(const std::vector<uint8_t>& code, uint64_t budget, uint32_t disable = 0) {
    return run_both(code, budget, [](Machine&) {}, disable);
}

void check_same(Pair& p) {
    CHECK(state_differences(*p.i, *p.j) == "");
    CHECK(ram_difference(*p.i, *p.j) == "");
}

// fib(EAX) -> EAX at the label `fib` (bound here): two calls per call, the argument saved on
// the stack; clobbers ECX.
void emit_fib(ax::Assembler& a, asmjit::Label fib) {
    asmjit::Label ret = a.newLabel();
    a.bind(fib);
    a.cmp(ax::eax, 2);
    a.jb(ret);
    a.push(ax::eax);
    a.dec(ax::eax);
    a.call(fib);
    a.xchg(ax::dword_ptr(ax::esp), ax::eax);
    a.sub(ax::eax, 2);
    a.call(fib);
    a.pop(ax::ecx);
    a.add(ax::eax, ax::ecx);
    a.bind(ret);
    a.ret();
}

// sum(n) = n + sum(n - 1), 3000 frames deep (more than the return stack's 2048), and fib(12)
// (shallow, two calls per call), 20 times; EDI and ESI add up the results.
std::vector<uint8_t> recursion() {
    return assemble([](ax::Assembler& a) {
        asmjit::Label outer = a.newLabel(), sum = a.newLabel(), sdone = a.newLabel(), fib = a.newLabel();
        a.xor_(ax::edi, ax::edi);
        a.xor_(ax::esi, ax::esi);
        a.mov(ax::ebp, 20);
        a.bind(outer);
        a.mov(ax::eax, 3000);
        a.call(sum);
        a.add(ax::edi, ax::eax);
        a.mov(ax::eax, 12);
        a.call(fib);
        a.add(ax::esi, ax::eax);
        a.dec(ax::ebp);
        a.jnz(outer);
        a.hlt();
        a.bind(sum);
        a.test(ax::eax, ax::eax);
        a.jz(sdone);
        a.push(ax::eax);
        a.dec(ax::eax);
        a.call(sum);
        a.pop(ax::ecx);
        a.add(ax::eax, ax::ecx);
        a.bind(sdone);
        a.ret();
        emit_fib(a, fib);
    });
}

} // namespace

TEST_CASE("recursion deeper than the return stack and shallow recursion return exactly", "[jit][retstack]") {
    const std::vector<uint8_t> code = recursion();
    Pair p = run_both(code, 5000000);
    CHECK(p.i->cpu.s.halted);
    CHECK(p.j->cpu.s.halted);
    CHECK(p.j->cpu.s.reg32(EDI) == 20u * 4501500u);
    CHECK(p.j->cpu.s.reg32(ESI) == 20u * 144u);
    CHECK(p.j->cpu.s.reg32(ESP) == kStack);
    check_same(p);
    const JitStats& st = p.j->jit->stats();
    // Every sum(3000) went past the depth limit at least once: the frames were dropped there
    // and the host stack never grew past it.
    CHECK(st.call_overflows > 0);
    CHECK(st.ret_misses > 0);  // the returns whose frames were dropped
}

TEST_CASE("shallow recursion returns through the return stack, not the jump cache", "[jit][retstack]") {
    // fib(15) 30 times: 59,000 returns. Only a RET whose frame went with a return to the
    // dispatcher (the host slice, every 20,000 instructions or so) misses.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label outer = a.newLabel(), fib = a.newLabel();
        a.xor_(ax::esi, ax::esi);
        a.mov(ax::ebp, 30);
        a.bind(outer);
        a.mov(ax::eax, 15);
        a.call(fib);
        a.add(ax::esi, ax::eax);
        a.dec(ax::ebp);
        a.jnz(outer);
        a.hlt();
        emit_fib(a, fib);
    });
    for (uint32_t disable : {0u, uint32_t(kDisableRetStack)}) {
        INFO("disable " << disable);
        Pair p = run_both(code, 10000000, disable);
        CHECK(p.j->cpu.s.halted);
        CHECK(p.j->cpu.s.reg32(ESI) == 30u * 610u);
        check_same(p);
        const JitStats& st = p.j->jit->stats();
        CHECK(st.call_overflows == 0);
        if (disable) CHECK(st.ret_misses == 0);  // no return stack: nothing counted
        else CHECK(st.ret_misses * 20 < 30u * 1973u);
    }
}

TEST_CASE("a RET to a return address the guest rewrote goes where the stack says", "[jit][retstack]") {
    // f rewrites its return address on odd ECX: a RET that trusted its frame would come back
    // to `back` every time.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel(), back = a.newLabel(), alt = a.newLabel(), cont = a.newLabel(),
                      f = a.newLabel(), plain = a.newLabel(), g = a.newLabel();
        a.mov(ax::ecx, 100);
        a.bind(loop);
        a.call(f);
        a.bind(back);
        a.add(ax::ebx, 1);
        a.jmp(cont);
        a.bind(alt);
        a.add(ax::esi, 1);
        a.bind(cont);
        // A callee that pops its return address and jumps there (no RET): the frame stays
        // behind, and the next RET must not take it.
        a.call(g);
        a.dec(ax::ecx);
        a.jnz(loop);
        a.hlt();
        a.bind(f);
        a.test(ax::cl, 1);
        a.jz(plain);
        a.lea(ax::eax, ax::ptr(alt));
        a.mov(ax::dword_ptr(ax::esp), ax::eax);
        a.bind(plain);
        a.ret();
        a.bind(g);
        a.pop(ax::edx);
        a.add(ax::edi, 1);
        a.jmp(ax::edx);
    });
    Pair p = run_both(code, 100000);
    CHECK(p.j->cpu.s.halted);
    CHECK(p.j->cpu.s.reg32(EBX) == 50);
    CHECK(p.j->cpu.s.reg32(ESI) == 50);
    CHECK(p.j->cpu.s.reg32(EDI) == 100);
    check_same(p);
    CHECK(p.j->jit->stats().ret_misses >= 50);
}

TEST_CASE("a RET whose return site was rewritten meanwhile runs the new code", "[jit][retstack][smc]") {
    // The return site (a MOV whose immediate is rewritten) is in page 0; f writes it from
    // page 1 (`far_page`) or from page 0 itself, on the 50th call, and returns there: the
    // frame's continuation and the block it links to are stale by then.
    for (bool far_page : {true, false}) {
        INFO("writer in another page: " << far_page);
        const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
            asmjit::Label loop = a.newLabel(), site = a.newLabel(), f = a.newLabel(), skip = a.newLabel();
            a.mov(ax::ecx, 100);
            a.bind(loop);
            a.call(f);
            a.bind(site);
            a.long_().mov(ax::eax, 3);
            a.add(ax::edi, ax::eax);
            a.dec(ax::ecx);
            a.jnz(loop);
            a.hlt();
            if (far_page)
                while (a.offset() < 4096) a.db(0xCC);
            a.bind(f);
            a.add(ax::edx, 1);
            a.cmp(ax::ecx, 51);
            a.jne(skip);
            a.mov(ax::dword_ptr(site, 1), 7);
            a.bind(skip);
            a.ret();
        });
        Pair p = run_both(code, 100000);
        CHECK(p.j->cpu.s.halted);
        CHECK(p.j->cpu.s.reg32(EDI) == 49 * 3 + 51 * 7);  // calls 50-100 return to the new code
        check_same(p);
        CHECK(p.j->jit->stats().invalidated >= 1);
    }
}

TEST_CASE("a RET into a page remapped meanwhile runs the new mapping's code", "[jit][retstack][paging]") {
    // Paging on. Linear page 0x11000 holds `call f` and its return site; f (page 0x12000)
    // points that page at another physical page on the 5th call (INVLPG, or a CR3 reload),
    // whose return site adds 7 instead of 3. A frame pushed before the remap must not bring
    // the RET back to the old page's code.
    constexpr uint32_t PD = 0x50000, PT = 0x51000, kAlt = 0x60000;
    constexpr uint32_t kSub = 0x11000, kF = 0x12000;
    for (bool reload_cr3 : {false, true}) {
        INFO("cr3 reload: " << reload_cr3);
        const std::vector<uint8_t> main = assemble([&](ax::Assembler& a) {
            asmjit::Label loop = a.newLabel();
            a.mov(ax::ecx, 10);
            a.bind(loop);
            a.mov(ax::eax, kSub);
            a.call(ax::eax);
            a.dec(ax::ecx);
            a.jnz(loop);
            a.hlt();
        });
        auto sub = [&](uint32_t add) {
            return assemble_at(kSub, [&](ax::Assembler& a) {
                a.mov(ax::eax, kF);
                a.call(ax::eax);
                a.long_().mov(ax::eax, add);
                a.add(ax::edi, ax::eax);
                a.ret();
            });
        };
        const std::vector<uint8_t> f = assemble_at(kF, [&](ax::Assembler& a) {
            asmjit::Label skip = a.newLabel();
            a.cmp(ax::ecx, 6);
            a.jne(skip);
            a.mov(ax::dword_ptr(PT + 4 * (kSub >> 12)), kAlt | 7);
            if (reload_cr3) {
                a.mov(ax::eax, ax::cr3);
                a.mov(ax::cr3, ax::eax);
            } else {
                a.invlpg(ax::ptr(kSub));
            }
            a.bind(skip);
            a.ret();
        });
        const std::vector<uint8_t> s3 = sub(3), s7 = sub(7);
        Pair p = run_both(main, 100000, [&](Machine& m) {
            m.phys.write_bytes(kSub, s3.data(), s3.size());
            m.phys.write_bytes(kAlt, s7.data(), s7.size());
            m.phys.write_bytes(kF, f.data(), f.size());
            for (uint32_t i = 0; i < 1024; ++i) m.phys.write(PT + 4 * i, 4, (i << 12) | 7);
            m.phys.write(PD, 4, PT | 7);
            m.cpu.s.cr3 = PD;
            m.cpu.s.cr0 |= CR0_PG;
            m.cpu.state_loaded();
        });
        CHECK(p.j->cpu.s.halted);
        // Calls 1-4 return to the old page's site (3); the 5th remaps before its RET, so it
        // and calls 6-10 return to the new one's (7).
        CHECK(p.j->cpu.s.reg32(EDI) == 4 * 3 + 6 * 7);
        check_same(p);
    }
}

TEST_CASE("a RET whose own access takes its slow path returns to the EIP that path popped", "[jit][retstack][paging]") {
    // A translated RET leaves the popped EIP in eax for the return stack's exit and stores no
    // rip (Emitter::rip_in_eax); when its stack access misses the TLB, its slow path pops it
    // into rip instead and must load eax from there before it rejoins. f reloads CR3 (the TLB
    // flushed) before each return: a lone RET, a stack group's `pop ebx; ret`, and RET 4 (the
    // caller pushed an argument); each returns to the site after its call, which adds to EDI.
    constexpr uint32_t PD = 0x50000, PT = 0x51000;
    const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel(), lone = a.newLabel(), group = a.newLabel(), imm = a.newLabel();
        a.mov(ax::ecx, 20);
        a.bind(loop);
        a.call(lone);
        a.add(ax::edi, 1);
        a.call(group);
        a.add(ax::edi, 0x100);
        a.push(ax::ecx);
        a.call(imm);
        a.add(ax::edi, 0x10000);
        a.dec(ax::ecx);
        a.jnz(loop);
        a.hlt();
        for (int k = 0; k < 3; ++k) {
            a.bind(k == 0 ? lone : k == 1 ? group : imm);
            if (k == 1) a.push(ax::ebx);
            a.mov(ax::eax, ax::cr3);
            a.mov(ax::cr3, ax::eax);
            if (k == 1) a.pop(ax::ebx);
            if (k == 2) a.ret(4);
            else a.ret();
        }
    });
    for (uint32_t disable : {0u, uint32_t(kDisableStackGroup), uint32_t(kDisableRetStack)}) {
        INFO("--jit-disable bits " << disable);
        Pair p = run_both(code, 100000, [&](Machine& m) {
            for (uint32_t i = 0; i < 1024; ++i) m.phys.write(PT + 4 * i, 4, (i << 12) | 7);
            m.phys.write(PD, 4, PT | 7);
            m.cpu.s.cr3 = PD;
            m.cpu.s.cr0 |= CR0_PG;
            m.cpu.state_loaded();
        }, disable);
        CHECK(p.j->cpu.s.halted);
        CHECK(p.j->cpu.s.reg32(EDI) == 20u * 0x10101u);
        check_same(p);
    }
}

TEST_CASE("far calls, RETF, RET imm16 and indirect calls between near ones", "[jit][retstack]") {
    // g (near, RET 8 drops its two arguments) calls far through a pointer; the far procedure
    // calls a near one through a register and one through memory, and returns with RETF 4.
    constexpr uint32_t kFar = kCode + 0x800, kGdt = 0x1000, kIdt = 0x2000, kHandler = 0x3000, kPtr = 0x20000;
    const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel(), g = a.newLabel(), h = a.newLabel();
        a.mov(ax::ecx, 40);
        a.bind(loop);
        a.push(ax::ecx);
        a.push(5);
        a.call(g);
        a.add(ax::edi, ax::eax);
        a.dec(ax::ecx);
        a.jnz(loop);
        a.hlt();
        a.bind(g);
        a.mov(ax::eax, ax::dword_ptr(ax::esp, 4));
        a.add(ax::eax, ax::dword_ptr(ax::esp, 8));
        a.push(ax::eax);                          // RETF 4 drops it
        a.db(0xFF);                               // call far [kPtr] (FF /3): 08:kFar
        a.db(0x1D);
        a.dd(kPtr);
        a.ret(8);
        a.bind(h);
        a.add(ax::esi, 1);
        a.ret();
        // The near procedure's address, for the far one.
        while (a.offset() < 0x7F0) a.db(0xCC);
        a.dd(0);
    });
    const std::vector<uint8_t> far = assemble_at(kFar, [&](ax::Assembler& a) {
        a.mov(ax::edx, ax::dword_ptr(kPtr + 8));  // h
        a.call(ax::edx);
        a.call(ax::dword_ptr(kPtr + 8));
        a.add(ax::eax, 1);
        a.db(0xCA);  // RETF 4
        a.dw(4);
    });
    // h's address: find it as the instruction after `ret 8` (C2 08 00) in `code`.
    uint32_t h = 0;
    for (size_t k = 0; k + 3 <= code.size(); ++k)
        if (code[k] == 0xC2 && code[k + 1] == 8 && code[k + 2] == 0) h = kCode + uint32_t(k) + 3;
    REQUIRE(h != 0);
    Pair p = run_both(code, 100000, [&](Machine& m) {
        install_halting_idt(m, kGdt, kIdt, kHandler);
        m.phys.write_bytes(kFar, far.data(), far.size());
        m.phys.write(kPtr, 4, kFar);
        m.phys.write(kPtr + 4, 2, 8);
        m.phys.write(kPtr + 8, 4, h);
    });
    CHECK(p.j->cpu.s.halted);
    CHECK(p.j->cpu.s.reg32(EDI) == 40u * 6u + 820u);  // sum of ecx + 5 + 1
    CHECK(p.j->cpu.s.reg32(ESI) == 80);
    CHECK(p.j->cpu.s.reg32(ESP) == kStack);
    check_same(p);
}

TEST_CASE("a CALL at a page end and calls across pages return to the right page", "[jit][retstack][paging]") {
    // `call f` ends exactly at the end of linear page 0x10000, so its return address is the
    // first byte of page 0x11000, which maps to physical 0x70000 (not the bytes after
    // 0x10FFF): the frame's continuation is a jump-cache exit to another page. f is in page
    // 0x12000 and calls back into page 0x10000.
    constexpr uint32_t PD = 0x50000, PT = 0x51000, kNext = 0x70000, kF = 0x12000;
    const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
        asmjit::Label start = a.newLabel();
        a.mov(ax::ecx, 30);
        a.xor_(ax::edx, ax::edx);
        a.jmp(start);
        while (a.offset() < 16) a.db(0xCC);
        a.add(ax::esi, 2);                    // k: called back from f

        a.ret();
        while (a.offset() < 0x1000 - 10) a.db(0xCC);
        a.bind(start);
        a.mov(ax::ebx, kF);                   // 5 bytes
        a.db(0xE8);                           // call rel32 to kF, ending at the page end
        a.dd(kF - (kCode + 0x1000));
    });
    REQUIRE(code.size() == 0x1000);
    const uint32_t k = kCode + 16;
    REQUIRE(code[16] == 0x83);
    const std::vector<uint8_t> next = assemble_at(kCode + 0x1000, [&](ax::Assembler& a) {
        asmjit::Label done = a.newLabel();
        a.add(ax::edi, 1);
        a.dec(ax::ecx);
        a.jz(done);
        a.mov(ax::ebp, kCode + 0x1000 - 10);  // the page end's CALL again
        a.jmp(ax::ebp);
        a.bind(done);
        a.hlt();
    });
    const std::vector<uint8_t> f = assemble_at(kF, [&](ax::Assembler& a) {
        a.mov(ax::eax, k);
        a.call(ax::eax);
        a.add(ax::edx, 1);
        a.ret();
    });
    Pair p = run_both(code, 100000, [&](Machine& m) {
        m.phys.write_bytes(kNext, next.data(), next.size());
        m.phys.write_bytes(kF, f.data(), f.size());
        // The bytes after page 0x10000 in physical memory are a HLT trap: only the mapping
        // leads to the right code.
        const uint8_t hlt[16] = {0xF4, 0xF4, 0xF4, 0xF4, 0xF4, 0xF4, 0xF4, 0xF4,
                                 0xF4, 0xF4, 0xF4, 0xF4, 0xF4, 0xF4, 0xF4, 0xF4};
        m.phys.write_bytes(kCode + 0x1000, hlt, sizeof hlt);
        for (uint32_t i = 0; i < 1024; ++i) m.phys.write(PT + 4 * i, 4, (i << 12) | 7);
        m.phys.write(PT + 4 * 0x11, 4, kNext | 7);
        m.phys.write(PD, 4, PT | 7);
        m.cpu.s.cr3 = PD;
        m.cpu.s.cr0 |= CR0_PG;
        m.cpu.state_loaded();
    });
    CHECK(p.j->cpu.s.halted);
    CHECK(p.j->cpu.s.reg32(EDI) == 30);
    CHECK(p.j->cpu.s.reg32(EDX) == 30);
    CHECK(p.j->cpu.s.reg32(ESI) == 60);
    check_same(p);
}

TEST_CASE("a recursion stops at exactly the instruction budget and goes on exactly", "[jit][retstack]") {
    const std::vector<uint8_t> code = recursion();
    for (uint64_t budget : {1ull, 3ull, 17ull, 1000ull, 4099ull, 25001ull, 123457ull, 400003ull}) {
        INFO("budget " << budget);
        Pair p = run_both(code, budget);
        CHECK(p.j->cpu.s.icount == budget);
        check_same(p);
        // ... and on from there, in two more pieces.
        for (Machine* m : {p.i.get(), p.j.get()}) {
            m->run(budget / 3 + 7);
            m->run(5000000);
        }
        CHECK(p.j->cpu.s.halted);
        check_same(p);
    }
}

TEST_CASE("another thread's exit request stops an endless recursion promptly", "[jit][retstack]") {
    // Calls and returns forever: a 60-deep recursion from a loop.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), r = a.newLabel(), done = a.newLabel();
        a.bind(top);
        a.mov(ax::eax, 60);
        a.call(r);
        a.add(ax::edi, 1);
        a.jmp(top);
        a.bind(r);
        a.dec(ax::eax);
        a.jz(done);
        a.call(r);
        a.add(ax::esi, 1);
        a.bind(done);
        a.ret();
    });
    auto m = flat_machine(CpuMode::Jit);
    m->phys.write_bytes(kCode, code.data(), code.size());
    m->jit->set_learn_runs(Jit::kLearnRuns, 1u << 30);  // its superblocks do not learn again later
    m->run(100000);  // translated, linked, and its superblocks learnt their ways (Jit::kLearnRuns)
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        m->cpu.request_exit(Cpu::kExitAsync);
    });
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t before = m->jit->stats().dispatches;
    const StopReason r = m->jit->run(0);  // no budget: only the exit request ends it
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.join();
    m->cpu.exit_request.fetch_and(~Cpu::kExitAsync);
    m->jit->sync_stats();
    CHECK(r == StopReason::None);
    CHECK(secs < 5.0);
    CHECK(m->cpu.s.icount > 100000);
    CHECK(m->jit->stats().dispatches - before <= 3);
    // It stopped at a block entry with everything in CpuState: the interpreter agrees after
    // the same count, and both go on alike.
    auto mi = flat_machine(CpuMode::Interp);
    mi->phys.write_bytes(kCode, code.data(), code.size());
    mi->run(m->cpu.s.icount);
    CHECK(state_differences(*mi, *m) == "");
    mi->run(10007);
    m->run(10007);
    CHECK(state_differences(*mi, *m) == "");
    CHECK(ram_difference(*mi, *m) == "");
}
