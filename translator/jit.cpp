#include "translator/jit.h"

#include <asmjit/x86.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include <Zydis/Zydis.h>

#include "cpu/mode.h"
#include "translator/emitter.h"
#include "translator/helpers.h"
#include "translator/perf_map.h"

namespace xlat {

namespace x86 = asmjit::x86;

namespace {
// A block's direct exit k (0, 1) that is not linked yet returns kBlockLink0 + k, with the block
// in Jit::slots_.link_from: the dispatcher links it to the block it runs next.
constexpr uint32_t kBlockLink0 = 4;
// A learning superblock's entry counted its last learning run (Jit::relearn): nothing of it ran.
constexpr uint32_t kBlockLearnt = kBlockLink0 + Block::kExits;
// A watched superblock's flipped Jccs were taken the other way too often (Jit::relearn): it left
// through a side exit, whose target is in CpuState::rip.
constexpr uint32_t kBlockRelearn = kBlockLearnt + 1;
constexpr size_t kFallbackRowsShown = 24;  // --stats: the most frequent fallback forms

// The budget constant k (Jit::emit_fixed's table) as the memory operand of a block's
// psubq/paddq: RIP-relative (the arena is at most 1 GiB).
x86::Mem budget_const(const uint8_t* consts, unsigned k) {
    x86::Mem m = x86::ptr(uint64_t(reinterpret_cast<uintptr_t>(consts + 16 * k)), 16);
    m.setRel();
    return m;
}
} // namespace

uint32_t helper_fallback(Cpu* c, const Insn* in, uint32_t eip) noexcept {
    CpuState& s = c->s;
    s.insn_eip = eip;
    s.set_eip(in->next_eip);
    const uint64_t before = s.icount;
    const uint32_t st = helper_semantics(c, in);
    if (st != kBlockNext) {
        // The iterations a REP string instruction completed before its fault (interp.cpp, step()).
        c->stats.executed[in->mnemonic] += s.icount - before;
        return st;
    }
    // A REP string instruction counts its further iterations itself (cpu/string.cpp).
    c->stats.executed[in->mnemonic] += 1 + (s.icount - before);
    ++s.icount;
    return kBlockNext;
}

// One CodeHolder and Assembler for every block of a Jit (docs/translator.md, "What a translation
// costs"): a CodeHolder per block allocated its zone (labels, sections) and a 16 KB code buffer
// anew and freed them again, and first touches of that memory faulted. Reset between blocks,
// the CodeHolder keeps its zone's memory, and the code goes into one fixed buffer, which cannot
// grow: emission past its end fails, which the error handler notes (asmjit reports it as
// kErrorTooLarge; the block is then left to the interpreter). The largest block of a Linux boot
// took 7.5 KB; the buffer holds 64 instructions of 4 KB each.
struct Jit::Assembly {
    struct Overflow : asmjit::ErrorHandler {
        bool hit = false;
        void handleError(asmjit::Error err, const char*, asmjit::BaseEmitter*) override {
            if (err == asmjit::kErrorTooLarge) hit = true;
        }
    };
    static constexpr size_t kBufferBytes = size_t(Block::kMaxInsns) * 4096;
    const asmjit::Environment env = asmjit::Environment::host();
    asmjit::CodeHolder code;
    x86::Assembler a;
    Overflow overflow;
    std::unique_ptr<uint8_t[]> buffer{new uint8_t[kBufferBytes]};
    std::vector<ColdCode> cold;  // the Emitter's queue of out-of-line code, kept for its memory

    // Ready for a block whose code will be at `base`.
    void start(uint64_t base) {
        code.reset(asmjit::ResetPolicy::kSoft);  // detaches `a`; keeps the zone's memory
        code.init(env, base);
        asmjit::CodeBuffer& cb = code.textSection()->_buffer;
        cb._data = buffer.get();
        cb._size = 0;
        cb._capacity = kBufferBytes;
        cb._flags = asmjit::CodeBufferFlags::kIsExternal | asmjit::CodeBufferFlags::kIsFixed;
        overflow.hit = false;
        code.setErrorHandler(&overflow);
        code.attach(&a);
        cold.clear();
    }
};

Jit::Jit(Cpu& cpu, Interpreter& interp, size_t cache_bytes, uint32_t disabled, unsigned hot_runs, bool profile)
    : cpu_(cpu), interp_(interp), decoder_(instruction_table()), arena_(cache_bytes), cache_(cpu.mmu.phys()),
      disabled_(disabled), hot_runs_(hot_runs), profile_(profile), asm_(std::make_unique<Assembly>()) {
    if (hot_runs_ > 1) heat_.resize(kHeatEntries);
    exit_disp_ = int32_t(reinterpret_cast<char*>(&cpu_.exit_request) - reinterpret_cast<char*>(&cpu_.s));
    icount_end_disp_ = int32_t(reinterpret_cast<char*>(&cpu_.icount_end) - reinterpret_cast<char*>(&cpu_.s));
    PhysMem& phys = cpu_.mmu.phys();
    phys.on_code_write = &Jit::code_written;
    phys.on_code_write_ctx = this;
    phys.add_listener(&Jit::map_changed, this);
    emit_fixed();
}

Jit::~Jit() {
    PhysMem& phys = cpu_.mmu.phys();
    cache_.clear();
    if (phys.on_code_write_ctx == this) {
        phys.on_code_write = nullptr;
        phys.on_code_write_ctx = nullptr;
    }
    phys.remove_listener(this);
}

void Jit::code_written(void* ctx, uint32_t paddr, unsigned size) {
    Jit& j = *static_cast<Jit*>(ctx);
    const uint32_t last = paddr + (size ? size - 1 : 0);
    unsigned n = j.cache_.invalidate_page(paddr);
    if ((last >> kPageBits) != (paddr >> kPageBits)) n += j.cache_.invalidate_page(last);
    if (!n) return;
    j.stats_.invalidated += n;
    if (j.cpu_.trace.enabled(kTraceJit))
        j.cpu_.trace.log(kTraceJit, "write of %u bytes at physical %08x invalidated %u blocks", size, paddr, n);
    // A block that wrote into its own page (or any block: the write may come from a device
    // during an OUT) stops after the writing instruction, at the test that follows every call.
    j.cpu_.request_exit(Cpu::kExitCode);
}

void Jit::map_changed(void* ctx, uint32_t, uint64_t) {
    // The bytes behind a host address may have changed (a region moved, A20): every block goes,
    // once no block runs any more.
    Jit& j = *static_cast<Jit*>(ctx);
    j.flush_pending_ = true;
    j.cpu_.request_exit(Cpu::kExitCode);
}

namespace {

// The jump cache's probe for the linear address in eax (rax zero-extended), rbx = the key the
// block must have been translated for: rdx = the block when the entry holds it for that key
// and CS base `cs_base`, it is valid, and its host address is where the TLB `tlb` maps that
// linear address now (a changed mapping or a flushed TLB misses); else to `miss`. Uses rax,
// rbx, rcx and rdx only (the guest registers stay in host registers). Block is not
// standard-layout: `off` gives its fields' offsets from the block `shape`.
void emit_jump_probe(x86::Assembler& a, const BlockCache& cache, const TlbEntry* tlb, uint32_t cs_base,
                     const Block& shape, asmjit::Label miss) {
    auto off = [&](const void* field) {
        return int32_t(static_cast<const char*>(field) - reinterpret_cast<const char*>(&shape));
    };
    a.mov(x86::ecx, x86::eax);
    a.shr(x86::ecx, 10);
    a.xor_(x86::ecx, x86::eax);
    a.and_(x86::ecx, int32_t(BlockCache::kJumpEntries - 1));
    a.shl(x86::ecx, 4);
    static_assert(sizeof(BlockCache::JumpEntry) == 16, "the probe scales the index by 16");
    a.mov(x86::rdx, asmjit::imm(reinterpret_cast<uintptr_t>(cache.jump_table())));
    a.add(x86::rdx, x86::rcx);
    a.cmp(x86::eax, x86::dword_ptr(x86::rdx, int32_t(offsetof(BlockCache::JumpEntry, lin))));
    a.jne(miss);
    a.mov(x86::rdx, x86::qword_ptr(x86::rdx, int32_t(offsetof(BlockCache::JumpEntry, block))));
    a.cmp(x86::qword_ptr(x86::rdx, off(&shape.key)), x86::rbx);
    a.jne(miss);
    a.cmp(x86::dword_ptr(x86::rdx, off(&shape.cs_base)), int32_t(cs_base));
    a.jne(miss);
    a.cmp(x86::byte_ptr(x86::rdx, off(&shape.valid)), 0);
    a.je(miss);
    // The TLB's fetch entry for the page: the block's host address must be where it maps.
    a.mov(x86::ecx, x86::eax);
    a.shr(x86::ecx, kPageBits - 5);  // the entry's offset: page number * sizeof(TlbEntry)
    a.and_(x86::ecx, int32_t((kTlbEntries - 1) << 5));
    a.mov(x86::rbx, asmjit::imm(reinterpret_cast<uintptr_t>(tlb)));
    a.add(x86::rcx, x86::rbx);
    a.mov(x86::ebx, x86::eax);
    a.and_(x86::ebx, int32_t(kPageMask));
    a.cmp(x86::ebx, x86::dword_ptr(x86::rcx, int32_t(offsetof(TlbEntry, tag) + 4 * int(Access::Exec))));
    a.jne(miss);
    a.mov(x86::rbx, x86::qword_ptr(x86::rcx, int32_t(offsetof(TlbEntry, addend))));
    a.add(x86::rbx, x86::rax);  // eax was written as 32 bits: rax is the linear address
    a.cmp(x86::rbx, x86::qword_ptr(x86::rdx, off(&shape.host)));
    a.jne(miss);
}

} // namespace

// The prologue and the epilogue, at the start of the arena (docs/translator.md): the prologue
// saves the six callee-saved registers and keeps rsp 16-byte aligned at every call a block
// makes; r15 = CpuState*; then it jumps to the block (third argument), whose entry loads the
// guest registers and flags.
void Jit::emit_fixed() {
    asmjit::CodeHolder code;
    code.init(asmjit::Environment::host(), uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor())));
    x86::Assembler a(&code);
    a.push(x86::rbx);
    a.push(x86::rbp);
    a.push(x86::r12);
    a.push(x86::r13);
    a.push(x86::r14);
    a.push(x86::r15);
    a.sub(x86::rsp, 8);
    a.mov(x86::r15, x86::rdi);  // the Cpu* (rsi) is r15 minus a constant: not kept
    // The return stack's sentinel frame (docs/translator.md, "The return stack"): its guest EIP,
    // all ones, equals no zero-extended 32-bit EIP, so a RET with no frame of its own misses.
    // 16 bytes keep rsp 16-byte aligned at every call a block makes. rdx (the block) is kept.
    a.push(-1);
    a.push(-1);
    a.mov(x86::rax, asmjit::imm(reinterpret_cast<uintptr_t>(&rs_)));
    a.mov(x86::qword_ptr(x86::rax, int32_t(offsetof(ReturnStack, base))), x86::rsp);
    a.lea(x86::rcx, x86::ptr(x86::rsp, -int32_t(kReturnStackBytes)));
    a.mov(x86::qword_ptr(x86::rax, int32_t(offsetof(ReturnStack, limit))), x86::rcx);
    // The state every block expects at its entry (docs/translator.md): the budget in xmm15, the
    // guest registers and flags in host registers (not with --jit-disable regs).
    const bool regs = !(disabled_ & kDisableRegs);
    const x86::Mem icount = Emitter::field(offsetof(CpuState, icount), 8);
    const x86::Mem icount_end = x86::qword_ptr(x86::r15, icount_end_disp_);
    auto gpr = [](unsigned i) { return Emitter::field(offsetof(CpuState, gpr) + 8 * i, 8); };
    auto load_all = [&] {
        for (unsigned i = 0; i < 8; ++i) a.mov(Emitter::host_gpr(i), gpr(i));
        Emitter::emit_r14_load(a);  // r14's layout (emitter.h) from EFLAGS
    };
    // The registers, then r14's arithmetic flags (t: scratch with a high byte, eax..ebx).
    auto store_all = [&](const x86::Gp& t) {
        for (unsigned i = 0; i < 8; ++i) a.mov(gpr(i), Emitter::host_gpr(i));
        Emitter::emit_r14_store(a, t);
    };
    a.mov(x86::rax, icount_end);
    a.sub(x86::rax, icount);
    a.movq(x86::xmm15, x86::rax);
    a.punpcklqdq(x86::xmm15, x86::xmm15);  // R in both quadwords (docs/translator.md, "Fused entry tests")
    if (regs) load_all();
    a.jmp(x86::rdx);
    a.align(asmjit::AlignMode::kCode, 16);
    const size_t epi = code.textSection()->buffer().size();
    // Whatever return-stack frames the blocks left go (eax, the status, is kept).
    a.mov(x86::rcx, asmjit::imm(reinterpret_cast<uintptr_t>(&rs_)));
    a.mov(x86::rsp, x86::qword_ptr(x86::rcx, int32_t(offsetof(ReturnStack, base))));
    a.add(x86::rsp, 16 + 8);
    a.pop(x86::r15);
    a.pop(x86::r14);
    a.pop(x86::r13);
    a.pop(x86::r12);
    a.pop(x86::rbp);
    a.pop(x86::rbx);
    a.ret();
    // Shared exit code (docs/translator.md, "Shared exit code"): what every exit and slow path
    // of a block did inline before, once per arena. Only with the register cache: they store
    // all eight host registers, which are the guest's then.
    size_t exit_at = 0, slow_at = 0, call_at = 0, link_at = 0, jump_at[2] = {0, 0};
    if (regs) {
        // To the dispatcher, status in eax (kept), rip stored: icount from R, registers, flags.
        a.align(asmjit::AlignMode::kCode, 16);
        exit_at = code.textSection()->buffer().size();
        a.mov(x86::rdx, icount_end);
        a.movq(x86::rcx, x86::xmm15);
        a.sub(x86::rdx, x86::rcx);
        a.mov(icount, x86::rdx);
        store_all(x86::ecx);
        a.jmp(asmjit::imm(uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor())) + epi));
        // A helper call for the instruction at rbx (Insn*), edx (its EIP), with ecx = the
        // block's pending count there (emitter.h). `slow`: helper_slow, which does not count
        // the instruction (the block does): R is restored as it was after it, and a stop adds
        // the instruction to icount. Otherwise helper_fallback, which counts it: R is taken
        // from icount afresh (the block's pending is 0 after the call). Called from the block
        // with rsp 16-byte aligned, so one more 8 aligns the helper's call.
        const int32_t cpu_disp = int32_t(reinterpret_cast<const char*>(&cpu_.s) - reinterpret_cast<const char*>(&cpu_));
        // The slow path's site passes its three in a record after it (Emitter::SlowSite): the
        // thunk loads them from its return address, and leaves a stop or fault through the
        // record's `stopfault` (the return address dropped) instead of returning.
        using Site = Emitter::SlowSite;
        auto call_thunk = [&](bool slow) {
            asmjit::Label stop = a.newLabel(), ret = a.newLabel();
            if (slow) {
                a.mov(x86::rax, x86::qword_ptr(x86::rsp));
                a.mov(x86::rbx, x86::qword_ptr(x86::rax, Emitter::kSlowSiteAt + int32_t(offsetof(Site, insn))));
                a.mov(x86::edx, x86::dword_ptr(x86::rax, Emitter::kSlowSiteAt + int32_t(offsetof(Site, eip))));
                a.mov(x86::ecx, x86::dword_ptr(x86::rax, Emitter::kSlowSiteAt + int32_t(offsetof(Site, counted))));
            }
            store_all(x86::eax);      // rax is free here (ecx: pending, edx: the EIP)
            a.movsxd(x86::r12, x86::ecx);  // pending: callee-saved, kept over the call
            a.movq(x86::r9, x86::xmm15);
            if (slow) {
                // R less the upper quadword (what a fused entry test covered beyond R's own
                // block, docs/translator.md "Fused entry tests"): callee-saved, put back after.
                a.pshufd(x86::xmm14, x86::xmm15, 0x4E);
                a.movq(x86::r13, x86::xmm14);
                a.neg(x86::r13);
                a.add(x86::r13, x86::r9);
            }
            a.mov(x86::r8, icount_end);
            a.sub(x86::r8, x86::r9);
            a.add(x86::r8, x86::r12);
            a.mov(icount, x86::r8);
            if (slow) {
                a.mov(x86::r8, asmjit::imm(reinterpret_cast<uintptr_t>(&stats_.slow_paths)));
                a.inc(x86::qword_ptr(x86::r8));
            }
            a.lea(x86::rdi, x86::ptr(x86::r15, -cpu_disp));
            a.mov(x86::rsi, x86::rbx);
            a.mov(x86::rax, asmjit::imm(reinterpret_cast<uintptr_t>(slow ? &helper_slow : &helper_fallback)));
            a.sub(x86::rsp, 8);
            a.call(x86::rax);
            a.add(x86::rsp, 8);
            a.test(x86::eax, x86::eax);
            a.jnz(ret);               // kBlockFault: CpuState is current, icount before it
            // A write to translated code (or a device's interrupt) ends the block after this
            // instruction, as at every boundary of the interpreter.
            a.cmp(x86::dword_ptr(x86::r15, exit_disp_), 0);
            a.jne(stop);
            a.mov(x86::rax, icount_end);
            a.sub(x86::rax, icount);
            if (slow) {
                // R as it was, and its upper quadword as far below it as before.
                a.add(x86::rax, x86::r12);
                a.movq(x86::xmm15, x86::rax);
                a.sub(x86::rax, x86::r13);
                a.movq(x86::xmm14, x86::rax);
                a.punpcklqdq(x86::xmm15, x86::xmm14);
            } else {
                a.movq(x86::xmm15, x86::rax);
                a.punpcklqdq(x86::xmm15, x86::xmm15);
            }
            load_all();
            a.xor_(x86::eax, x86::eax);
            if (!slow) {
                a.bind(ret);
                a.ret();
                a.bind(stop);
                a.mov(x86::eax, int32_t(Emitter::kBlockStop));
                a.ret();
                return;
            }
            a.ret();
            a.bind(stop);
            a.add(icount, 1);  // rip is committed by helper_slow
            a.mov(x86::eax, int32_t(Emitter::kBlockStop));
            // A stop, or a fault (eax as the helper left it): to the site's `stopfault`, the
            // return address dropped.
            a.bind(ret);
            a.pop(x86::rcx);
            a.add(x86::rcx, Emitter::kSlowSiteAt);
            a.movsxd(x86::rdx, x86::dword_ptr(x86::rcx, int32_t(offsetof(Site, stopfault))));
            a.add(x86::rcx, x86::rdx);
            a.jmp(x86::rcx);
        };
        // An unlinked direct exit's stub (JitEmit::link_stub): the record after its call holds
        // rip, the status and the block to record in slots_.link_from, then the exit thunk.
        const intptr_t link_slot = reinterpret_cast<const char*>(&slots_.link_from) - reinterpret_cast<const char*>(&cpu_.s);
        if (link_slot == intptr_t(int32_t(link_slot))) {
            a.align(asmjit::AlignMode::kCode, 16);
            link_at = code.textSection()->buffer().size();
            a.pop(x86::rax);
            a.mov(x86::ecx, x86::dword_ptr(x86::rax, int32_t(offsetof(LinkSite, eip))));
            a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::ecx);
            a.mov(x86::rdx, x86::qword_ptr(x86::rax, int32_t(offsetof(LinkSite, block))));
            a.mov(x86::qword_ptr(x86::r15, int32_t(link_slot)), x86::rdx);
            a.mov(x86::eax, x86::dword_ptr(x86::rax, int32_t(offsetof(LinkSite, status))));
            a.jmp(asmjit::imm(uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor())) + exit_at));
        }
        // The jump cache's probe (JitEmit::probe_jump_cache) for blocks with CS base 0, one per
        // TLB (CPL 3 or not): eax = the linear address (rax zero-extended), rcx = the calling
        // block's key. A hit returns rdx = the block, whose chained entry the site then jumps
        // to or calls (its own indirect branch, which the host predicts per site); a miss
        // drops the return address and goes to the dispatcher (rip holds the target).
        const Block shape;  // Block is not standard-layout: emit_jump_probe takes offsets from one
        for (unsigned user = 0; user < 2; ++user) {
            a.align(asmjit::AlignMode::kCode, 16);
            jump_at[user] = code.textSection()->buffer().size();
            const asmjit::Label miss = a.newLabel();
            a.mov(x86::rbx, x86::rcx);
            emit_jump_probe(a, cache_, cpu_.mmu.tlb_entries(user != 0), 0, shape, miss);
            a.ret();
            a.bind(miss);
            a.add(x86::rsp, 8);
            a.xor_(x86::eax, x86::eax);
            a.jmp(asmjit::imm(uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor())) + exit_at));
        }
        a.align(asmjit::AlignMode::kCode, 16);
        slow_at = code.textSection()->buffer().size();
        call_thunk(true);
        a.align(asmjit::AlignMode::kCode, 16);
        call_at = code.textSection()->buffer().size();
        call_thunk(false);
    }
    // The shared out-of-line data probes (docs/translator.md, "Shared probes out of line"):
    // ebx = the linear address; rbp = the addend of its page in the fast pages, 0 for a miss or
    // an access of `size` bytes that crosses into the next page. eax, edx, the flags clobbered.
    size_t probe_at[2][2][4] = {};
    for (unsigned user = 0; user < 2; ++user)
        for (unsigned write = 0; write < 2; ++write)
            for (unsigned lg = 0; lg < 4; ++lg) {
                a.align(asmjit::AlignMode::kCode, 16);
                probe_at[user][write][lg] = code.textSection()->buffer().size();
                const uintptr_t pages = reinterpret_cast<uintptr_t>(cpu_.mmu.fast_pages(user != 0, write != 0));
                const asmjit::Label done = a.newLabel();
                a.mov(x86::rbp, Emitter::fast_pages_entry(a, pages));
                if (lg) {
                    a.test(x86::rbp, x86::rbp);
                    a.jz(done);
                    Emitter::crossing_flags(a, 1u << lg);
                    a.jz(done);
                    a.xor_(x86::ebp, x86::ebp);
                }
                a.bind(done);
                a.ret();
            }
    // The shared crossing tests: ZF clear when `size` bytes at ebx cross into the next page.
    size_t cross_at[4] = {};
    for (unsigned lg = 1; lg < 4; ++lg) {
        a.align(asmjit::AlignMode::kCode, 16);
        cross_at[lg] = code.textSection()->buffer().size();
        Emitter::crossing_flags(a, 1u << lg);
        a.ret();
    }
    // A chained block's entry test again after it failed, its upper quadword made from R
    // (Jit::emit's budget_exit; docs/translator.md, "Fused entry tests"): rcx = the block's
    // budget constant (its own, or the table's). The flags say how it went (ZF: on into the
    // block), eax the test's bits.
    a.align(asmjit::AlignMode::kCode, 16);
    const size_t resync_at = code.textSection()->buffer().size();
    a.movdqa(x86::xmm14, x86::xmmword_ptr(x86::rcx));
    a.paddq(x86::xmm15, x86::xmm14);
    a.pshufd(x86::xmm15, x86::xmm15, 0x44);
    a.psubq(x86::xmm15, x86::xmm14);
    a.movmskpd(x86::eax, x86::xmm15);
    a.or_(x86::eax, x86::dword_ptr(x86::r15, exit_disp_));
    a.ret();
    // The budget's constants (docs/translator.md, "Counting"): 16-byte entries {k, k} for k =
    // 0..kMaxInsns, the memory operands of the blocks' `psubq xmm15` (SSE2 wants them aligned),
    // then {k, 0}, a fused exit's charge ("Fused entry tests").
    a.align(asmjit::AlignMode::kData, 16);
    const size_t consts = code.textSection()->buffer().size();
    for (unsigned k = 0; k <= Block::kMaxInsns; ++k) {
        a.dq(k);
        a.dq(k);
    }
    for (unsigned k = 0; k <= Block::kMaxInsns; ++k) {
        a.dq(k);
        a.dq(0);
    }
    code.flatten();
    code.resolveUnresolvedLinks();
    code.relocateToBase(uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor())));
    const asmjit::CodeBuffer& buf = code.textSection()->buffer();
    uint8_t* at = static_cast<uint8_t*>(arena_.commit(buf.data(), buf.size()));
    enter_ = reinterpret_cast<EnterFn>(at);
    epilogue_ = at + epi;
    exit_thunk_ = exit_at ? at + exit_at : nullptr;
    slow_thunk_ = slow_at ? at + slow_at : nullptr;
    call_thunk_ = call_at ? at + call_at : nullptr;
    link_thunk_ = link_at ? at + link_at : nullptr;
    for (unsigned user = 0; user < 2; ++user) jump_thunk_[user] = jump_at[user] ? at + jump_at[user] : nullptr;
    for (unsigned user = 0; user < 2; ++user)
        for (unsigned write = 0; write < 2; ++write)
            for (unsigned lg = 0; lg < 4; ++lg) probe_thunk_[user][write][lg] = at + probe_at[user][write][lg];
    for (unsigned lg = 1; lg < 4; ++lg) cross_thunk_[lg] = at + cross_at[lg];
    budget_consts_ = at + consts;
    fuse_consts_ = budget_consts_ + 16 * (Block::kMaxInsns + 1);
    resync_thunk_ = exit_at ? at + resync_at : nullptr;  // with the shared exit code only
    fixed_bytes_ = arena_.used();
}

namespace {

// The six arithmetic flags live after each instruction of a block (kFlagBit* bits). At the end
// of the block all are. An instruction kills what it always writes only when it cannot fault and
// writes them whatever its operands (the ALU group, INC/DEC, NEG on registers): before
// anything that may fault or is a fallback call, every flag is live, so that a fault or a
// semantics function sees the interpreter's EFLAGS.
void flag_liveness(const Block& b, uint32_t disabled, std::vector<uint8_t>& live_after) {
    live_after.assign(b.ninsns, 0x3F);
    uint8_t live = 0x3F;
    for (unsigned i = b.ninsns; i-- > 0;) {
        live_after[i] = live;
        const Insn& in = b.insns[i];
        // A fallback call (no native emitter, or its category switched off) may stop the block
        // after it: every flag is live before it, so that CpuState is exact there.
        uint32_t category = 0;
        if ((disabled & kDisableAll) || !native_emitter(in.mnem(), category) || (disabled & category)) {
            live = 0x3F;
            continue;
        }
        bool mem = false;
        // LEA's memory operand is an address computed, not accessed: emitted natively it cannot
        // fault (a fallback call could stop the block after it, with r14 stale: all live then).
        if (in.mnem() != ZYDIS_MNEMONIC_LEA || (disabled & (kDisableMove | kDisableAll)))
            for (unsigned k = 0; k < in.nops(); ++k) mem |= in.is_mem(k);
        switch (in.mnem()) {
        case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
        case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
        case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
            live = mem ? 0x3F : uint8_t((live & ~in.flags_written) | in.flags_read);
            break;
        case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
        case ZYDIS_MNEMONIC_NOT:
            if (mem || in.row->form != Form::Any) live = 0x3F;
            break;
        default: live = flags_live_before(in, live); break;  // the other emitters' rules
        }
    }
}

// The guest register (0-7) a general register operand names (AH..BH: EAX..EBX's), or -1.
int gpr_index(ZydisRegister r) {
    const ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, r);
    return big >= ZYDIS_REGISTER_EAX && big <= ZYDIS_REGISTER_EDI ? int(big - ZYDIS_REGISTER_EAX) : -1;
}

// A flag writer whose flags can be had again from the registers it left (a recipe,
// emit_flags_again): CMP and TEST of a register and a register or an immediate (done again),
// AND/OR/XOR of them (TEST of the result), 32-bit ADD/SUB of them with two different registers
// (the first operand taken back from the result), INC/DEC of a register (likewise, with the CF
// it keeps stashed), SHL/SHR/SAR of a register by an immediate below its width (done again on
// its operand stashed before it: emit_shift_flags_again); no
// memory operand (done again on a cold path it could fault), no AH..BH. `regs`: the guest
// registers it needs unchanged (-1: none); `shifts`: the shifts admitted (their category on).
bool recipe_ok(const Insn& c, int regs[2], bool shifts) {
    auto high = [](ZydisRegister r) { return r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH; };
    if (c.mnem() == ZYDIS_MNEMONIC_INC || c.mnem() == ZYDIS_MNEMONIC_DEC) {
        // Its operand taken back from the result, CF (which it keeps) from the stash (Jit::emit
        // stores the CF before it there when CF is live after it).
        if (c.nops() != 1 || !c.is_reg(0) || high(c.regv(0))) return false;
        regs[0] = gpr_index(c.regv(0)), regs[1] = -1;
        return regs[0] >= 0;
    }
    if (c.nops() != 2 || !c.is_reg(0) || !(c.is_reg(1) || c.is_imm(1))) return false;
    regs[0] = gpr_index(c.regv(0)), regs[1] = c.is_reg(1) ? gpr_index(c.regv(1)) : -1;
    if (regs[0] < 0 || high(c.regv(0)) || (c.is_reg(1) && (regs[1] < 0 || high(c.regv(1))))) return false;
    switch (c.mnem()) {
    case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_TEST:
        // `test al, al`: one register, kept (or stashed) once; emit_flags_again uses it twice.
        if (c.is_reg(1) && c.regv(1) == c.regv(0)) regs[1] = -1;
        return true;
    case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR: {
        // By an immediate below the width, in place (emit_shift): the operand as it was is
        // stashed before it (Emitter::stash_operand), so no register need stay.
        const unsigned count = unsigned(c.val[1] & 0x1F);
        regs[0] = regs[1] = -1;
        return shifts && c.is_imm(1) && count != 0 && count < 8 * c.size(0);
    }
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR:
        regs[1] = -1;  // the result alone
        return true;
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB:
        return c.size(0) == 4 && regs[0] != regs[1];
    default: return false;
    }
}

// A 32-bit general register's index (EAX..EDI), or -1.
int gpr32(ZydisRegister r) { return r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI ? int(r - ZYDIS_REGISTER_EAX) : -1; }

// The registers (bit i: EAX..EDI) that a memory operand's address reads.
unsigned address_regs(const Insn& in) {
    unsigned m = 0;
    for (const uint16_t r : {in.mem.base, in.mem.index}) {
        const int g = gpr32(ZydisRegister(r));
        if (g >= 0) m |= 1u << g;
    }
    return m;
}

// A move a select can make under a condition (docs/translator.md, "Selects"): MOV r32, r32 or
// imm32, LEA r32 with a 32-bit address that has a base, and with `stack` a MOV of 4 bytes between
// [ESP + disp] and a register (a stack group's member, which Jit::emit checks). Sets the register
// written (-1 for a store).
bool select_move(const Insn& in, bool stack, int& written) {
    if (in.nops() != 2 || in.opsize() != 4 || in.lock() || in.rep() || in.repne()) return false;
    const ZydisMnemonic m = in.mnem();
    const bool esp_slot = in.mem.base == ZYDIS_REGISTER_ESP && in.mem.index == ZYDIS_REGISTER_NONE && in.asize == 4;
    written = -1;
    if (m == ZYDIS_MNEMONIC_MOV && in.is_mem(0))  // a store
        return stack && esp_slot && in.is_reg(1) && gpr32(in.regv(1)) >= 0;
    if (!in.is_reg(0) || (written = gpr32(in.regv(0))) < 0 || written == 4) return false;
    if (m == ZYDIS_MNEMONIC_MOV && in.is_reg(1)) return gpr32(in.regv(1)) >= 0;
    if (m == ZYDIS_MNEMONIC_MOV && in.is_imm(1)) return true;
    if (m == ZYDIS_MNEMONIC_MOV && in.is_mem(1)) return stack && esp_slot;  // a load
    return m == ZYDIS_MNEMONIC_LEA && in.is_mem(1) && in.asize == 4 && gpr32(ZydisRegister(in.mem.base)) >= 0 &&
           (in.mem.index == ZYDIS_REGISTER_NONE || gpr32(ZydisRegister(in.mem.index)) >= 0);
}

// The same instruction but for where it is (its next EIP).
bool same_form(const Insn& x, const Insn& y) {
    return x.row == y.row && x.mnemonic == y.mnemonic && x.nvisible == y.nvisible && x.osize == y.osize &&
           x.asize == y.asize && x.attrs == y.attrs && x.opcode == y.opcode && x.modrm == y.modrm &&
           std::equal(x.val, x.val + 3, y.val) && std::equal(x.reg, x.reg + 3, y.reg) &&
           std::equal(x.opsz, x.opsz + 3, y.opsz) && std::equal(x.kind, x.kind + 3, y.kind) &&
           x.mem.segment == y.mem.segment && x.mem.base == y.mem.base && x.mem.index == y.mem.index &&
           x.mem.scale == y.mem.scale && x.mem.disp == y.mem.disp;
}

// The registers a CMP or TEST reads (its operands' and its address's), or ~0u for any other
// instruction or a register that is not a 32-bit one.
unsigned compare_regs(const Insn& in) {
    if (in.mnem() != ZYDIS_MNEMONIC_CMP && in.mnem() != ZYDIS_MNEMONIC_TEST) return ~0u;
    unsigned m = 0;
    for (unsigned k = 0; k < in.nops(); ++k) {
        if (in.is_reg(k)) {
            const int g = gpr32(in.regv(k));
            if (g < 0 || in.size(k) != 4) return ~0u;
            m |= 1u << g;
        } else if (in.is_mem(k)) {
            m |= address_regs(in);
        }
    }
    return m;
}

// An instruction whose native emitter (emit_alu) leaves all six flags in the host's, as the
// guest's but for AF of the logic group (the interpreter's 0): 1, or 2 for the logic group; 0
// for any other. A superblock's side exit right after it may take them from there.
int side_capture(const Insn& in) {
    switch (in.mnem()) {
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_ADC:
    case ZYDIS_MNEMONIC_SBB:
        return 1;
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_TEST:
        return 2;
    default: return 0;
    }
}

// The index of the first instruction W in [from, to) that writes every flag live after it and
// reads none, before which only moves run that leave the CMP's registers `regs` alone (so the
// CMP done again anywhere before W's write gives the flags it left); -1 when there is none.
// With `clobbered`, a move may overwrite them: bit k set for regs[k] (the block stashes it
// right after the writer, and the recipe takes it from there).
// `host_kept`: the host's flags at `from` are the writer's (not after a self-loop's back edge,
// whose entry test changes them).
// The moves a lazy stretch may hold: MOV, MOVZX, MOVSX, LEA and NOP (memory operands too).
bool stretch_move(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_LEA:
    case ZYDIS_MNEMONIC_NOP:
        return true;
    default: return false;
    }
}

// Which of a lazy writer's registers `regs` the move `in` overwrites (bit k for regs[k]: the
// block stashes it right after the writer); -1 when it writes other than a general register.
int move_overwrites(const Insn& in, const int regs[2]) {
    if (in.mnem() == ZYDIS_MNEMONIC_NOP || in.nops() < 1 || !in.is_reg(0)) return 0;
    const int d = gpr_index(in.regv(0));
    if (d < 0) return -1;
    return (d == regs[0] ? 1 : 0) | (d == regs[1] ? 2 : 0);
}

// `loop`: a self-loop's prefix (lazy_loop_w), where INC/DEC may be W after an access too (its
// load_cf makes the loop's recipe into the host's flags: Emitter::load_cf(true)), and a shift
// with `shift_w`.
int lazy_w_from(const Block& b, const std::vector<uint8_t>& live, unsigned from, unsigned to, const int regs[2],
                uint8_t* clobbered = nullptr, bool host_kept = true, bool side_jccs = true, bool shift_w = false,
                bool loop = false) {
    if (clobbered) *clobbered = 0;
    bool accessed = !host_kept;  // the host's flags changed since `from` (Emitter::flag_transparent)
    for (unsigned i = from; i < to; ++i) {
        const Insn& in = b.insns[i];
        uint8_t written = uint8_t(in.flags_written & 0x3F);
        const uint8_t read = uint8_t(in.flags_read & 0x3F);
        // INC/DEC keep CF. Their emitters take it from the host's flags when it is there (only
        // register moves since the writer, which leave the host's flags alone: an access's
        // probe changes them), so then they end a lazy stretch too; else load_cf would do the
        // recipe inline (pushfq, popfq: slower than capturing the writer's flags).
        // In a self-loop's prefix the recipe is the loop's CMP, which the INC/DEC makes again
        // into the host's flags itself when they hold nothing else (after the head's entry test,
        // after an access): the quicksort's `mov esi, eax; inc ebp; mov edx, [eax]; add eax, 4;
        // cmp edx, ebx; jb`.
        if ((in.mnem() == ZYDIS_MNEMONIC_INC || in.mnem() == ZYDIS_MNEMONIC_DEC) && (!accessed || loop))
            written |= kFlagBitCF;
        switch (in.mnem()) {
        case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR:
            // A W in a self-loop's prefix only (`shift_w`): a native shift of a register by an
            // immediate below its width writes every flag (`mov ecx, eax; shl ecx, 10` at the top
            // of the bench's `pages` loop). Not in a stretch inside a block: a shift may be a
            // lazy writer itself, whose stashed operand would share the stash with the stretch's.
            if (!(shift_w && in.nops() >= 2 && in.is_reg(0) && in.is_imm(1) && (in.val[1] & 0x1F) != 0 &&
                  (in.val[1] & 0x1F) < 8 * in.size(0)))
                return -1;
            [[fallthrough]];
        case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR:
        case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC:
        case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
            // W: from here the flags are its own (captured when live, else dead).
            if (read || (live[i] & ~written)) return -1;
            return int(i);
        case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_LEA:
            if (!Emitter::flag_transparent(in)) accessed = true;
            if (const int o = move_overwrites(in, regs)) {
                if (o < 0 || !clobbered) return -1;
                *clobbered |= uint8_t(o);
            }
            break;
        case ZYDIS_MNEMONIC_NOP:
            if (!Emitter::flag_transparent(in)) accessed = true;
            break;
        default:
            // A superblock's side exit (a Jcc inside the block) reads the writer's flags: its
            // condition makes them again in the host's flags when an access changed those
            // (Emitter::cond), and its way out captures them (SideExit::recipe).
            if (side_jccs && is_jcc(in.mnem()) && i + 1 < b.ninsns && in.nops() == 1 && in.is_imm(0)) break;
            return -1;
        }
    }
    return -1;
}

// A block that loops to itself through `cmp; jcc` whose CMP's flags may stay lazy round the
// back edge (docs/translator.md, "Lazy flags of a self-loop"): W (lazy_w_from) from the block's
// start; -1 when the block is not one.
// `cmp_at`: the loop's flag writer, the last instruction before the Jcc that is not a move
// (MOV, MOVZX, MOVSX, LEA, NOP, which may access memory: the heap sort's `cmp eax, edi; mov ebx,
// [ebx + a]; mov [esp], ebp; jb`); a move there that overwrites one of its registers has it
// stashed (`clobbered`), as a move in the prefix does.
// The block ends in a Jcc rel back to its own start (the self-loops that get a second copy:
// lazy_loop_w's, and Jit::emit's two turns of the others).
bool jcc_self_loop(const Block& b) {
    const Insn& j = b.insns[b.ninsns - 1];
    return is_jcc(j.mnem()) && j.nops() == 1 && j.is_imm(0) && relative_target(j) == b.eip;
}

int lazy_loop_w(const Block& b, const std::vector<uint8_t>& live, bool shifts, uint8_t* clobbered, unsigned* cmp_at) {
    const unsigned n = b.ninsns;
    if (n < 2 || !jcc_self_loop(b)) return -1;
    unsigned k = n - 2;
    while (k > 0 && stretch_move(b.insns[k].mnem())) --k;
    int regs[2];
    if (!recipe_ok(b.insns[k], regs, shifts)) return -1;
    // A shift's recipe merges into r14 (emit_shift_flags_again): the Jcc after an access would
    // make it round a pushfq/popfq.
    if (k + 2 != n && stash_recipe(b.insns[k])) return -1;
    uint8_t tail = 0;
    for (unsigned i = k + 1; i + 1 < n; ++i) {
        const int o = move_overwrites(b.insns[i], regs);
        if (o < 0) return -1;
        tail |= uint8_t(o);
    }
    const int w = lazy_w_from(b, live, 0, k + 1, regs, clobbered, false, false, shifts, true);
    if (w >= 0) *clobbered |= tail, *cmp_at = k;
    return w;
}

// The guest bytes of the block's instructions (a learnt way skips some and may go back to the
// page before the block's start: "Side exits backward").
uint16_t guest_bytes(const Block& b) {
    unsigned n = 0;
    for (unsigned i = 0; i < b.ninsns; ++i) n += b.insns[i].length;
    return uint16_t(n);
}

// The block's last instruction branches or jumps back to the block's own start.
bool loops_to_itself(const Block& b) { return jumps_to(b.insns[b.ninsns - 1], b.eip); }

// Whether the block may be a fusion source (docs/translator.md, "Fused entry tests"): it has an
// exit that may be fused, a direct way on to a later EIP of its own page other than a CALL's (a
// superblock is taken as one: its side exits go forward, or before its start with "Side exits
// backward", where JitEmit::direct fuses nothing), and it does not loop to itself: a self-loop's
// entry runs every turn and its way out once, so covering its successor there would cost every
// turn (the upper quadword charged for it each time, turn after turn) and gain once.
bool fusion_source_shape(const Block& b) {
    const uint32_t page = (b.cs_base + b.eip) >> kPageBits;
    auto forward = [&](uint32_t t) { return t > b.eip && ((b.cs_base + t) >> kPageBits) == page; };
    const Insn& li = b.insns[b.ninsns - 1];
    const ZydisMnemonic lm = li.mnem();
    const bool branch = end_branch(lm);
    if (loops_to_itself(b)) return false;
    for (unsigned i = 0; i + 1 < b.ninsns; ++i)
        if (is_jcc(b.insns[i].mnem())) return true;
    if (branch) return forward(li.next_eip) || forward(relative_target(li));
    if (lm == ZYDIS_MNEMONIC_JMP) return li.is_imm(0) && forward(relative_target(li));
    if (li.row->facts & kEndsBlock) return false;  // CALL, RET, indirect jumps, mode changes
    return forward(li.next_eip);
}

} // namespace

// The block's entry and exits (docs/translator.md, "Chaining").
struct JitEmit {
    Jit& j;
    x86::Assembler& a;
    Block& b;
    uint64_t epilogue;
    Emitter& e;
    // The block may become a fusion source (docs/translator.md, "Fused entry tests"): its
    // forward exits within the page charge what Jit::link makes them charge.
    bool fuse = false;

    // A memory operand at host address `p`: r15-relative when it lies within 2 GiB of the
    // CpuState (the Jit and its blocks usually do), else through `tmp`.
    x86::Mem abs(const void* p, unsigned size, const x86::Gp& tmp) {
        const intptr_t d = reinterpret_cast<const char*>(p) - reinterpret_cast<const char*>(&j.cpu_.s);
        if (d == intptr_t(int32_t(d))) return x86::Mem(x86::r15, int32_t(d), size);
        a.mov(tmp, asmjit::imm(reinterpret_cast<uintptr_t>(p)));
        return x86::Mem(tmp, 0, size);
    }
    // Offset of a Block field (Block is not standard-layout: no offsetof).
    template <class T> int32_t off(const T& field) const {
        return int32_t(reinterpret_cast<const char*>(&field) - reinterpret_cast<const char*>(&b));
    }
    // Capped blocks (the budget ends inside them) only ever return to the dispatcher.
    bool chain() const { return !(j.disabled_ & kDisableChain) && b.cap == 0; }
    void set_rip(uint32_t v) { a.mov(Emitter::field(offsetof(CpuState, rip), 4), v); }
    // To the dispatcher: CpuState must hold the guest registers and flags (the dirty ones are
    // stored; eax, the status, is untouched).
    void to_epilogue() {
        if (e.exit_thunk) {
            a.jmp(asmjit::imm(e.exit_thunk));  // stores icount, all registers and flags
            return;
        }
        e.emit_icount_store(0, x86::rdx, x86::rcx);  // from the budget in xmm15
        e.emit_store(e.dirty());
        e.emit_flags_store();
        a.jmp(asmjit::imm(epilogue));
    }

    // Every way out of a whole run: r14 made exact (a chained block takes it as it is), the
    // instructions not yet in icount, and with profiling one more run (a memory increment on
    // the chained path: only when asked for, MachineConfig::jit_profile).
    void tail(int pending) {
        e.emit_flags_fix();
        if (pending) a.psubq(x86::xmm15, budget_const(j.budget_consts_, unsigned(pending)));
        if (j.profile_) a.inc(abs(&b.runs, 8, x86::rcx));
    }
    // Records the block in a slot of Jit::slots_ (the dispatcher reads it after the return).
    void record(Block* const& slot) {
        a.mov(x86::rdx, asmjit::imm(reinterpret_cast<uintptr_t>(&b)));
        a.mov(abs(&slot, 8, x86::rcx), x86::rdx);
    }

    // Exit `k` to the static EIP `target`. Within the block's linear page: a jump whose rel32
    // the dispatcher patches to the next block's entry (until then, and after an unlink, it
    // jumps to the stub right after it, rel32 = 0). To another page: the inline jump cache.
    void direct(unsigned k, uint32_t target) {
        b.exit_eip[k] = target;
        if (!chain()) {
            set_rip(target);
            a.xor_(x86::eax, x86::eax);
            to_epilogue();
            return;
        }
        if (same_page(target)) {
            // A forward exit of a block that may fuse (not a CALL's return point: the callee
            // runs in between): `psubq xmm15, [rip + d]`, d patched by Jit::link from the
            // {0, 0} constant to the target's {n, 0} when the exit is fused.
            if (fuse && k != 2 && target > b.eip) {
                a.psubq(x86::xmm15, budget_const(j.fuse_consts_, 0));
                b.fuse_off[k] = uint32_t(a.offset()) - 4;
            }
            // jmp rel32, no short form: the patch needs the four bytes. Linked, it enters the
            // next block after its register loads, with the guest registers in host registers.
            // Its offset and its stub's (right after it) are known here: no labels needed.
            const uint32_t at = uint32_t(a.offset());
            a.db(0xE9);
            a.dd(0);
            add_patch(Patch{k, at, uint32_t(a.offset())});
            link_stub(k, target);
            return;
        }
        set_rip(target);
        a.mov(x86::eax, b.cs_base + target);
        jump_cache();
    }
    bool same_page(uint32_t target) const {
        return ((b.cs_base + b.eip) >> kPageBits) == ((b.cs_base + target) >> kPageBits);
    }
    // The stub of an unlinked direct exit k: back to the dispatcher, which links the exit to
    // the block it runs next (Jit::link).
    void link_stub(unsigned k, uint32_t target) {
        if (j.link_thunk_) {
            // Shared (Jit::LinkSite): one call and its record instead of four instructions.
            a.call(asmjit::imm(reinterpret_cast<uintptr_t>(j.link_thunk_)));
            const uint32_t data = uint32_t(a.offset());
            const Jit::LinkSite site{target, kBlockLink0 + k, reinterpret_cast<uintptr_t>(&b)};
            a.embed(&site, sizeof site);
            if (e.data_ranges) e.data_ranges->emplace_back(data, uint32_t(a.offset()));
            return;
        }
        set_rip(target);
        record(j.slots_.link_from);
        a.mov(x86::eax, asmjit::imm(kBlockLink0 + k));
        to_epilogue();
    }

    // The inline probe of the jump cache for the linear address in eax (CpuState::rip holds
    // the EIP): enters the block found when it is valid, was translated for this key and CS
    // base, and its host address is where the TLB maps that linear address now (a changed
    // mapping or a flushed TLB misses); else returns to the dispatcher. Only rax, rcx, rdx and
    // rbx are used: the guest registers stay in host registers for the block entered.
    void jump_cache() {
        asmjit::Label miss = a.newLabel();
        if (!probe_jump_cache(miss, false)) return;
        a.bind(miss);
        a.xor_(x86::eax, x86::eax);
        to_epilogue();
    }
    // The probe itself: a hit jumps to the block's chained entry (`call`: calls it, for a CALL
    // with its return-stack frame pushed; the host return lands right after), a miss goes to
    // `miss`, which the caller binds and leads to the dispatcher when this returns true; false:
    // the shared probe took the miss itself, and `miss` is not used.
    bool probe_jump_cache(asmjit::Label miss, bool call) {
        ++j.stats_.ic_exits;
        const bool user = mode_cpl(b.key) == 3;
        if (b.cs_base == 0 && j.jump_thunk_[user]) {
            // The shared probe (Jit::jump_thunk_): a miss leaves from there.
            a.mov(x86::rcx, asmjit::imm(b.key));
            a.call(asmjit::imm(reinterpret_cast<uintptr_t>(j.jump_thunk_[user])));
            if (call) a.call(x86::qword_ptr(x86::rdx, off(b.chain_entry)));
            else a.jmp(x86::qword_ptr(x86::rdx, off(b.chain_entry)));
            return false;
        }
        a.mov(x86::rbx, asmjit::imm(b.key));
        emit_jump_probe(a, j.cache_, j.cpu_.mmu.tlb_entries(user), b.cs_base, b, miss);
        if (call) a.call(x86::qword_ptr(x86::rdx, off(b.chain_entry)));
        else a.jmp(x86::qword_ptr(x86::rdx, off(b.chain_entry)));
        return true;
    }

    // ---- the return stack (docs/translator.md, "The return stack") ----
    // Only where blocks chain (a capped block returns to the dispatcher, which resets rsp).
    bool return_stack() const { return chain() && !(j.disabled_ & kDisableRetStack); }
    // The exit of a native CALL (the return address pushed, rip = the target, `target` its
    // static value or, with `indirect`, only in CpuState::rip): the frame (the return EIP) is
    // pushed and the target block is entered with a host `call`, so that the RET which comes
    // back to `ret_eip` can return with the host's `ret`, which the host predicts. Where the
    // call returns, exit 2 goes on at `ret_eip`, linked like any direct exit. At the depth
    // limit every frame is dropped first (rsp back to the base): a guest that calls without
    // returning (or recurses without end) never grows the host stack past kReturnStackBytes.
    void call_exit(uint32_t target, bool indirect, uint32_t ret_eip) {
        asmjit::Label over = a.newLabel(), back = a.newLabel(), miss = a.newLabel(), stub = a.newLabel();
        a.cmp(x86::rsp, abs(&j.rs_.limit, 8, x86::rcx));
        a.jb(over);
        a.bind(back);
        // The frame: the return EIP zero-extended to 64 bits (push imm32 sign-extends).
        if (ret_eip < 0x80000000u) {
            a.push(asmjit::imm(int32_t(ret_eip)));
        } else {
            a.mov(x86::ecx, ret_eip);
            a.push(x86::rcx);
        }
        bool linkable = false, missed = false;  // missed: `miss` is used (probe_jump_cache)
        if (indirect) {
            a.mov(x86::eax, Emitter::field(offsetof(CpuState, rip), 4));
            if (b.cs_base) a.add(x86::eax, int32_t(b.cs_base));
            missed = probe_jump_cache(miss, true);
        } else if (same_page(target)) {
            // call rel32, patched like a direct jump; unlinked it calls its stub (below).
            b.exit_eip[0] = target;
            const uint32_t at = uint32_t(a.offset());
            a.call(stub);  // E8 rel32 (a call has no short form)
            Patch p{0, at};
            p.unlinked_label = stub;
            add_patch(p);
            linkable = true;
        } else {
            b.exit_eip[0] = target;
            set_rip(target);  // the CALL left it to its exit (Emitter::set_rip_of_branch)
            a.mov(x86::eax, b.cs_base + target);
            missed = probe_jump_cache(miss, true);
        }
        // The host return lands here: the callee's RET found this frame on top and rip =
        // ret_eip; the guest registers and flags are in host registers, the budget in xmm15.
        direct(2, ret_eip);
        if (linkable) {
            a.bind(stub);
            link_stub(0, target);
        }
        if (missed) {
            a.bind(miss);  // rip holds the target
            a.xor_(x86::eax, x86::eax);
            to_epilogue();
        }
        a.bind(over);
        if (j.profile_) a.inc(abs(&j.stats_.call_overflows, 8, x86::rcx));
        a.mov(x86::rsp, abs(&j.rs_.base, 8, x86::rcx));
        a.jmp(back);
    }
    // The exit of a native RET (rip = the popped EIP): when the top frame holds that EIP, the
    // host's `ret` returns to its CALL's exit 2 (frame and return address popped: `ret 8`).
    // Otherwise the host stack no longer follows the guest's (a return address rewritten, a
    // longjmp, a stack switch, a CALL without RET, or no frame at all): every frame is dropped
    // and the jump cache looks the target up.
    // `in_eax`: the RET left the EIP in eax and not in rip (Emitter::rip_in_eax).
    void ret_exit(bool in_eax) {
        asmjit::Label miss = a.newLabel();
        if (!in_eax) a.mov(x86::eax, Emitter::field(offsetof(CpuState, rip), 4));
        a.cmp(x86::rax, x86::qword_ptr(x86::rsp, 8));
        a.jne(miss);
        a.ret(8);
        a.bind(miss);
        if (in_eax) a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::eax);
        if (j.profile_) a.inc(abs(&j.stats_.ret_misses, 8, x86::rcx));
        a.mov(x86::rsp, abs(&j.rs_.base, 8, x86::rcx));
        if (b.cs_base) a.add(x86::eax, int32_t(b.cs_base));
        jump_cache();
    }

    // The patchable rel32s: exit k, the offset of its jmp/call/Jcc, and where it goes unlinked;
    // either offset may be a label's, known once the block is assembled. At most one per exit.
    struct Patch {
        unsigned k;
        uint32_t at = 0, unlinked = 0;
        asmjit::Label at_label = {}, unlinked_label = {};
        unsigned opcode_bytes = 1;  // before the rel32: 1 (E8, E9), 2 (0F 8x)
    };
    Patch patches[Block::kExits] = {};
    unsigned npatches = 0;
    void add_patch(const Patch& p) { patches[npatches++] = p; }
};

Jit::EmitResult Jit::emit(Block& b) {
    // A block that loops to itself starts at a multiple of kLoopAlign: where a loop's code
    // falls against the host's 64-byte fetch blocks moved its speed by 5-10 % from one build to
    // the next (docs/translator.md, "Where loops start").
    if (loops_to_itself(b)) arena_.align_cursor(kLoopAlign);
    const uint64_t base = uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor()));
    asm_->start(base);
    asmjit::CodeHolder& code = asm_->code;
    x86::Assembler& a = asm_->a;
    const uint64_t epilogue = uint64_t(reinterpret_cast<uintptr_t>(epilogue_));
    asmjit::Label budget_exit = a.newLabel(), stopped = a.newLabel(), out = a.newLabel(),
                  stopfault = a.newLabel();
    const x86::Mem exit_word = x86::dword_ptr(x86::r15, exit_disp_);
    std::vector<uint8_t>& live = scratch_live_;
    flag_liveness(b, disabled_, live);
    // A side trace's instructions (docs/translator.md, "Side traces") after the block's own: its
    // own ones keep every flag they write (a fault in the next may read them), the loop's tail
    // copied after them what the loop's own copy keeps.
    const unsigned total = b.ntotal();
    const unsigned tr_own_end = b.trace_at + b.trace_own;
    auto orig = [&](unsigned i) {  // the block's instruction that `i` is a copy of (-1: the trace's own)
        return i < b.ninsns ? int(i) : i < tr_own_end ? -1 : int(b.trace_join + (i - tr_own_end));
    };
    live.resize(total);
    for (unsigned i = b.ninsns; i < total; ++i) live[i] = orig(i) < 0 ? uint8_t(0x3F) : live[unsigned(orig(i))];
    Emitter e(a, cpu_, b.key, disabled_, exit_disp_, epilogue, out, asm_->cold);
    JitEmit je{*this, a, b, epilogue, e};
    const bool chain = je.chain();
    // Fused entry tests (docs/translator.md): only a block of native instructions, none a REP
    // string, may cover its successors at its entry (what Emitter::budget_reloaded then finds
    // decides: Block::fuse_source).
    std::fill(b.fuse_off, b.fuse_off + Block::kExits, 0u);
    std::fill(b.fused, b.fused + Block::kExits, false);
    b.fuse_source = false;
    b.fuse_p = 0;
    b.entry_const = b.body_off = b.loop_head_off = 0;
    je.fuse = chain && resync_thunk_ && !(disabled_ & (kDisableFuse | kDisableAll)) && fusion_source_shape(b);
    for (unsigned i = 0; i < b.ninsns && je.fuse; ++i) {
        uint32_t category = 0;
        const Insn& in = b.insns[i];
        if (!native_emitter(in.mnem(), category) || (disabled_ & category) || is_rep_string(in)) je.fuse = false;
    }
    const asmjit::Label entry_const = je.fuse ? a.newLabel() : asmjit::Label();
    e.stop_exit = stopped;
    e.stopfault = stopfault;
    e.icount_end_disp = icount_end_disp_;
    auto addr = [](const uint8_t* p) { return uint64_t(reinterpret_cast<uintptr_t>(p)); };
    if (exit_thunk_) e.exit_thunk = addr(exit_thunk_), e.slow_thunk = addr(slow_thunk_), e.call_thunk = addr(call_thunk_);
    {
        const unsigned user = mode_cpl(b.key) == 3;
        for (unsigned write = 0; write < 2; ++write)
            for (unsigned lg = 0; lg < 4; ++lg) e.probe_thunk[write][lg] = addr(probe_thunk_[user][write][lg]);
        for (unsigned lg = 1; lg < 4; ++lg) e.cross_thunk[lg] = addr(cross_thunk_[lg]);
    }
    e.slow_count = &stats_.slow_paths;
    e.block_insns = b.insns.get();  // the stack groups' look-ahead (emit_stack.cpp)
    e.group_slot_disp = int32_t(reinterpret_cast<char*>(&cpu_.jit_group_base) - reinterpret_cast<char*>(&cpu_.s));
    e.stash_disp = int32_t(reinterpret_cast<char*>(&cpu_.jit_flag_stash[0]) - reinterpret_cast<char*>(&cpu_.s));
    e.block_ninsns = b.ninsns;
    // The addend the data probes predict (docs/translator.md, "The predicted addend"): the one
    // of the block's own code (host address less linear address), at CPL 0-2 only. Without
    // paging every page of RAM has the same addend, and a kernel's data mostly lies in the
    // same direct map as its code; a user program's pages are scattered over frames, so there
    // the probe loads the addend as ever.
    const bool user = mode_cpl(b.key) == 3;
    e.predict_addend = user || !b.host || (disabled_ & kDisablePredict)
                           ? 0 : uint64_t(reinterpret_cast<uintptr_t>(b.host)) - uint64_t(uint32_t(b.cs_base + b.eip));
    e.block_eips = b.eips.get();
    e.chain_branch = chain;
    b.native.reset(new uint16_t[total]);
    std::fill(b.native.get(), b.native.get() + total, uint16_t(0));
    b.native_mix.clear();
    b.native_count = 0;
    // The dispatcher's prologue loads the budget, the guest registers and flags into host
    // registers (Jit::emit_fixed); a chained jump brings them along. Either way every register
    // and the flags may be newer than CpuState at the entry (Block::code = chain_entry).
    const uint32_t chain_entry = uint32_t(a.offset());
    e.enter_block();
    // A superblock's Jccs inside it (decode_block let them through: Jit::translate).
    unsigned mid_jccs = 0;
    for (unsigned i = 0; i + 1 < b.ninsns; ++i) mid_jccs += is_jcc(b.insns[i].mnem());
    e.nsides = 0;
    // Lazy CMPs (Emitter::recipe) need chained exits and the native CMP, Jcc and flags.
    const bool lazy_ok = chain && !(disabled_ & (kDisableLoopFlags | kDisableRegs | kDisableFlags | kDisableAll |
                                                 kDisableAlu | kDisableControl));
    // A self-loop whose CMP's flags stay lazy round the back edge (a superblock too, once learnt).
    // A learning superblock is entered once a turn (its entry counts the runs): no second copy.
    if (!mid_jccs || !chain || (disabled_ & kDisableLearn)) b.learning = false;
    const bool shifts = !(disabled_ & kDisableShift);  // lazy shifts (recipe_ok): their category on
    // Which of each lazy writer's registers a move in its stretch overwrites (Emitter::stashed).
    uint8_t* const stash = scratch_stash_;
    std::fill(stash, stash + total, uint8_t(0));
    e.recipe_stash = stash;
    // A RET (always a block's last instruction) leaves the EIP in eax for the return stack's exit.
    e.ret_in_eax = je.return_stack();
    uint8_t clobbered = 0;
    unsigned loop_cmp = 0;  // the lazy self-loop's flag writer (lazy_loop_w)
    const int lazy_w = lazy_ok && !profile_ && !b.learning ? lazy_loop_w(b, live, shifts, &clobbered, &loop_cmp) : -1;
    e.recipe = lazy_w >= 0 ? &b.insns[loop_cmp] : nullptr;
    if (lazy_w >= 0) stash[loop_cmp] = clobbered;
    // A superblock's `cmp; jcc` inside it whose CMP's flags stay lazy along the way not taken
    // until W (docs/translator.md, "Superblocks"): bit 0, the CMP (not captured; the recipe from
    // there); bit 1, W (the flags its own after it).
    uint8_t* const lazy_role = scratch_lazy_role_;
    std::fill(lazy_role, lazy_role + total, uint8_t(0));
    if (mid_jccs && lazy_ok) {
        for (unsigned j = 1; j + 1 < b.ninsns; ++j) {
            int regs[2];
            if (!is_jcc(b.insns[j].mnem()) || !recipe_ok(b.insns[j - 1], regs, shifts)) continue;
            const int w = lazy_w_from(b, live, j + 1, b.ninsns, regs, &clobbered);
            if (w < 0) continue;
            lazy_role[j - 1] |= 1;
            lazy_role[w] |= 2;
            stash[j - 1] = clobbered;
        }
        // Bit 2: an ALU instruction right before a Jcc inside it whose flags nothing on the
        // way on reads (every flag dead after the Jcc): not captured in the block; the side
        // exit captures the host flags the Jcc left (docs/translator.md, "Superblocks").
        for (unsigned j = 1; j + 1 < b.ninsns; ++j)
            if (is_jcc(b.insns[j].mnem()) && !(lazy_role[j - 1] & 1) && live[j] == 0 && side_capture(b.insns[j - 1]))
                lazy_role[j - 1] |= 4;
    }
    // Any other flag writer with a recipe whose flags something may still need (a fault, a slow
    // path) before an instruction W that writes every live flag, with only moves that leave its
    // registers alone between: not captured either, lazy until W (`sub esp, 12; mov [esp], ebx;
    // ...; xor edi, edi`; docs/translator.md, "Lazy flags before a writer").
    if (lazy_ok) {
        for (unsigned i = 0; i + 1 < b.ninsns; ++i) {
            int regs[2];
            if ((lazy_role[i] & 5) || !live[i] || is_jcc(b.insns[i + 1].mnem()) || !recipe_ok(b.insns[i], regs, shifts)) continue;
            if (lazy_w >= 0 && (int(i) < lazy_w || i == loop_cmp)) continue;  // a lazy self-loop's second copy is lazy there
            const int w = lazy_w_from(b, live, i + 1, b.ninsns, regs, &clobbered);
            if (w < 0) continue;
            lazy_role[i] |= 1;
            lazy_role[w] |= 2;
            stash[i] = clobbered;
            i = unsigned(w) - 1;  // W may start the next one
        }
    }
    // The side trace's copy of the loop's tail: the roles and stashes of the loop's own copy (a
    // lazy stretch within the tail is the same there; one reaching into it from before ends
    // at its W as in the loop, the trace having made the flags whole at its start).
    for (unsigned i = tr_own_end; i < total; ++i) lazy_role[i] = lazy_role[orig(i)], stash[i] = stash[orig(i)];
    // The trace's first instruction of its own, when it writes every flag and reads none, is
    // W for flags lazy at its Jcc (bit 1): the trace need not make them again at its start.
    // (lazy_w_from's rule for W, the host's flags not kept: they are the Jcc's.)
    if (b.trace_len && b.trace_own) {
        const int none[2] = {-1, -1};
        if (lazy_w_from(b, live, b.trace_at, b.trace_at + 1u, none, nullptr, false) == int(b.trace_at))
            lazy_role[b.trace_at] |= 2;
    }
    // A self-loop whose flags are not lazy still runs two turns per entry test, from a second
    // copy like a lazy self-loop's (docs/translator.md, "Two turns of any self-loop"): the
    // strings' `inc edx; cmp byte [edx], 0; jne`, whose CMP of memory has no recipe.
    const bool two_turns = lazy_w < 0 && lazy_ok && !profile_ && !b.learning && !(disabled_ & kDisableTwoTurns) &&
                           b.ninsns * 2 <= Block::kMaxInsns && jcc_self_loop(b);
    // The second copy's stop at its head (those loops only: a label per block costs translation time).
    const asmjit::Label budget_exit2 = lazy_w >= 0 || two_turns ? a.newLabel() : asmjit::Label();
    // Its second copy holds two turns when they fit the budget's table (one entry test for both).
    // Up to kLazyTurns, as many as the budget's table holds and the side exits' entries (each
    // turn has the superblock's Jccs again).
    unsigned lazy_turns = std::min(kLazyTurns, Block::kMaxInsns / b.ninsns);
    if (mid_jccs) lazy_turns = std::min(lazy_turns, Emitter::kSideCapacity / mid_jccs - 1);
    lazy_turns = std::max(lazy_turns, 1u);
    bool copy_bad = false;
    // The exit request at block entry: nothing of the block runs when it is set. A chained
    // jump lands here too, so the budget (--max-insns, --icount, the host slice) is tested
    // as well: the block must fit in it whole (the dispatcher shortens blocks near it).
    // The block's instructions are counted at once, here, against the budget in xmm15 (R =
    // icount_end - icount, docs/translator.md "Counting"): a register, not a read-modify-write
    // of CpuState::icount, so a chained loop carries no store-forwarding chain through memory.
    // R turns negative exactly when the block does not fit (icount + ninsns > icount_end).
    // Emitter::pending starts at -ninsns, so a helper call or slow path stores icount less what
    // has not run yet (icount is exact whenever C++ looks) and a whole run adds nothing.
    // `k` instructions charged (the operand `charge`), and the test (also a lazy self-loop's
    // second copy's head).
    auto entry_test = [&](const x86::Mem& charge, unsigned k, asmjit::Label stop) {
        a.psubq(x86::xmm15, charge);
        if (chain) {
            // Both tests in one branch: movmskpd puts R's sign in bit 0 and that of the upper
            // quadword (R less what fused successors run, "Fused entry tests") in bit 1, the
            // exit request is ORed in, and any bit set leaves (the cold path gives the block's
            // instructions back first).
            a.movmskpd(x86::eax, x86::xmm15);
            a.or_(x86::eax, exit_word);
            a.jnz(stop);
        } else {
            a.cmp(exit_word, 0);
            a.jne(stop);
        }
        e.pending = -int(k);
    };
    // The entry's charge: the block's own constant {n, n + fuse_p} (Jit::link rewrites it) or
    // the table's {n, n}; the budget stop's test again takes it too.
    const x86::Mem entry_charge =
        entry_const.isValid() ? x86::xmmword_ptr(entry_const) : budget_const(budget_consts_, b.ninsns);
    entry_test(entry_charge, b.ninsns, budget_exit);
    const uint32_t body = uint32_t(a.offset());  // where a fused exit enters
    const asmjit::Label body_label = chain && resync_thunk_ ? a.newLabel() : asmjit::Label();
    if (body_label.isValid()) a.bind(body_label);
    // A learning superblock counts its entries down (docs/translator.md, "Learning the way a Jcc
    // goes"): at 0 it returns to the dispatcher before it runs (`learnt`), which translates it
    // again with the ways learnt. The host flags are free here (the guest's are in r14).
    const asmjit::Label learnt = b.learning ? a.newLabel() : asmjit::Label();
    if (b.learning) {
        b.learn_left = learn_runs_;
        std::fill(b.side_hits, b.side_hits + Block::kSideExits, 0u);
        a.dec(je.abs(&b.learn_left, 4, x86::rcx));
        a.jz(learnt);
    }
    // --trace jit: where each instruction's host code begins, then where the exits begin (the
    // one section's offsets are final: nothing moves it).
    const bool trace = cpu_.trace.on(kTraceJit);
    if (trace) trace_at_.assign(b.ninsns + 1, 0);
    trace_data_.clear();
    e.data_ranges = trace ? &trace_data_ : nullptr;
    // One instruction: `again` in a lazy self-loop's second copy, so that the translation's
    // statistics count the block's instructions once; a side trace's (i >= ninsns) counts as
    // `again` too, and one left to a fallback call makes the trace fail (`trace_bad`).
    bool trace_bad = false;
    auto emit_one = [&](unsigned i, bool again, bool last) {
        const Insn& in = b.insns[i];
        const int oi = orig(i);
        const bool in_trace = i >= b.ninsns;
        if (trace && !again && !in_trace) trace_at_[i] = uint32_t(a.offset());
        // A lazy self-loop's CMP: its flags are not captured (the host's go to the Jcc; the
        // ways out do the CMP again).
        const bool lazy_cmp = (lazy_w >= 0 && oi == int(loop_cmp)) || (lazy_role[i] & 1);
        // Its flags captured at the side exit only (bit 2), or by nothing (dead, lazy).
        const bool uncaptured = lazy_cmp || (lazy_role[i] & 4);
        e.begin(in, b.eips[i], (disabled_ & kDisableFlags) ? 0x3F : uncaptured ? 0 : live[i], last);
        // A lazy shift's recipe takes its operand as it was from the stash (no lazy writer is
        // before it: a shift ends every lazy stretch, lazy_w_from).
        if (lazy_cmp && stash_recipe(in)) e.stash_operand(in.regv(0));
        // A lazy INC/DEC's the CF it keeps, when something may read it and r14 may not hold
        // it. r14 holds the guest's CF outside lazy stretches unless the host's flags hold a
        // capture not made yet (host_cf_ok: a rotate right before an INC leaves its CF there
        // for it), and inside the stretch of a lazy INC/DEC that took its CF from r14 (which
        // keeps CF): then the recipe takes CF from r14 (stash bit 2 clear). A lazy self-loop
        // always stashes (its second copy begins lazy, and both copies share the recipes).
        if (lazy_cmp && (in.mnem() == ZYDIS_MNEMONIC_INC || in.mnem() == ZYDIS_MNEMONIC_DEC) && (live[i] & CF)) {
            const bool r14_cf =
                e.flags_cached() && !e.host_cf_ok() && lazy_w < 0 &&
                (!e.lazy || (e.recipe && (e.recipe->mnem() == ZYDIS_MNEMONIC_INC || e.recipe->mnem() == ZYDIS_MNEMONIC_DEC) &&
                             !(e.stashed(*e.recipe) & 4)));
            if (!r14_cf) {
                e.stash_cf();
                stash[i] |= 4;
            }
        }
        // After the CMP r14 is stale: anything but the Jcc that wants it does the CMP again.
        auto done_insn = [&] {
            // A lazy writer's registers that a move in its stretch overwrites, as it left
            // them (a move: the host flags stay for the Jcc after it).
            if (lazy_cmp && stash[i]) {
                if (stash[i] & 1) e.stash_operand(in.regv(0), 1);
                if (stash[i] & 2) e.stash_operand(in.regv(1), 2);
            }
            if ((lazy_w >= 0 && oi == lazy_w) || (lazy_role[i] & 2)) e.lazy = false;  // W's own flags from here (or dead)
            // Lazy from here, with this writer's recipe (a self-loop's CMP too: a lazy writer
            // before it in the body set its own).
            if (lazy_cmp) e.lazy = true, e.recipe = &in;
        };
        uint32_t category = 0;
        const NativeEmitFn fn = (disabled_ & kDisableAll) ? nullptr : native_emitter(in.mnem(), category);
        if (!again) b.native[i] = 0;
        const unsigned probes_before = e.probes;
        if (fn && !(disabled_ & category) && fn(e, in)) {
            e.end_native();
            ++e.pending;
            e.track_bounds(in);
            done_insn();
            if (in_trace) b.native[i] = uint16_t(in.mnemonic);
            if (again) return;
            b.native[i] = uint16_t(in.mnemonic | std::min(e.probes - probes_before, 15u) << 12);
            ++b.native_count;
            ++rows_.native[in.mnemonic];  // xlat explain's classes
            auto it = std::find_if(b.native_mix.begin(), b.native_mix.end(),
                                   [&](const auto& p) { return p.first == in.mnemonic; });
            if (it == b.native_mix.end()) b.native_mix.emplace_back(in.mnemonic, 1);
            else ++it->second;
            return;
        }
        trace_bad |= in_trace;
        if (!again) ++rows_.helper[in.mnemonic];
        a.inc(je.abs(fallbacks_.counter(fallback_shape(in)), 8, x86::rcx));
        if (in.row->facts & kPrivileged) a.inc(je.abs(&stats_.privileged_calls, 8, x86::rcx));
        // The semantics function reads and writes the guest registers in CpuState.
        e.call_fallback(&in, b.eips[i], last);
        e.track_bounds(in);
        done_insn();
    };
    // The state at the side trace's Jcc in each copy and turn (`instance`, 0 the first copy),
    // with the side exit it made there: the trace is emitted from it after the block's body.
    struct TraceSnap {
        unsigned rec, instance;
        Emitter::State st;
    };
    std::vector<TraceSnap> snaps;
    unsigned instance = 0;
    auto snap_at = [&](unsigned i) {  // after instruction i: the trace's Jcc's side exit made there
        if (b.trace_len && i == b.trace_jcc && e.nsides && e.sides[e.nsides - 1].index == i)
            snaps.push_back(TraceSnap{e.nsides - 1, instance, e.save()});
    };
    // A select (docs/translator.md, "Selects"; Jit::plan_select) in a second copy's turn, at
    // the trace's Jcc j: the loop's way N (moves, then F at select_f) and the trace's way T
    // (moves and the same F) as conditional moves, both ways' moves one after the other, each
    // under its way's condition, so that no branch goes either way; the instructions that T
    // runs fewer given back to R under T's; then F and N's Jcc as ever. N's stack accesses take
    // the stack group's rbp from the slot (its leader, the first of them, would: the group of
    // the turn before), which must not be 0: otherwise the Jcc and N as ever (their leader
    // probes again, the side exit takes the trace), and both join at F with the state of both.
    // False: not here (nothing emitted).
    bool select_bad = false;
    unsigned selects = 0;
    auto emit_select = [&](unsigned j) -> bool {
        const unsigned f = b.select_f, join = b.trace_join;
        if (!e.group_reuse || !e.regs_cached() || (lazy_role[j - 1] & 4) || !b.native[j - 1] ||
            (disabled_ & (kDisableSelect | kDisableCond | kDisableMove)))
            return false;
        // N's stack accesses: the first leads the group, every one a member of it.
        auto stack_access = [&](unsigned k) {  // N's moves that touch memory: [ESP + disp] (select_move)
            return b.insns[k].is_mem(0) || (b.insns[k].is_mem(1) && b.insns[k].mnem() == ZYDIS_MNEMONIC_MOV);
        };
        Emitter::StackGroup g;
        int lead = -1;
        for (unsigned k = j + 1; k < f && lead < 0; ++k)
            if (stack_access(k)) lead = int(k);
        if (lead >= 0 && !select_group(e, unsigned(lead), g)) return false;
        // F runs after T's moves that follow it in T: it must not fault, so an access of its
        // own is the group's (a member, whose page the guard vouches for).
        const Insn& fi = b.insns[f];
        if (b.select_cmp && (fi.is_mem(0) || fi.is_mem(1))) {
            if (lead < 0 || f >= g.end || fi.mem.base != ZYDIS_REGISTER_ESP || fi.mem.index != ZYDIS_REGISTER_NONE ||
                fi.asize != 4 || !select_in_group(e, f, g))
                return false;
        }
        int32_t offs[Block::kMaxInsns] = {};
        for (unsigned k = j + 1; k < f; ++k)
            if (stack_access(k) && !select_member(e, k, g, offs[k])) return false;
        const Emitter::State s0 = e.save();
        const asmjit::Label fallback = a.newLabel(), at_f = a.newLabel();
        const x86::Mem slot(x86::r15, e.group_slot_disp, 8);
        if (lead >= 0) {
            a.mov(x86::rbp, slot);
            a.test(x86::rbp, x86::rbp);
            a.jz(fallback);
            e.host_flags_changed();
        }
        // T's way is the side exit's: the Jcc's condition, negated when its way in the block is
        // the one taken (a learnt way).
        const Insn& ji = b.insns[j];
        const bool flipped = b.eips[j + 1] != ji.next_eip;
        const x86::CondCode ct = e.cond((ji.opcode & 0xF) ^ (flipped ? 1u : 0u));
        const x86::CondCode cn = x86::negateCond(ct);
        auto move = [&](const Insn& in, x86::CondCode c, unsigned k) {
            x86::Gp d, r;
            if (in.is_mem(0)) {  // N's store: the slot's old value under T's condition
                const x86::Mem m = x86::dword_ptr(x86::rbp, offs[k]);
                e.reg32(in.regv(1), r);
                a.mov(x86::eax, m);
                a.cmov(c, x86::eax, r);
                a.mov(m, x86::eax);
                return;
            }
            e.reg32(in.regv(0), d, true);
            e.forget_reg(unsigned(in.regv(0) - ZYDIS_REGISTER_EAX));
            if (in.mnem() == ZYDIS_MNEMONIC_LEA) {
                const x86::Gp base = Emitter::host_gpr(unsigned(in.mem.base - ZYDIS_REGISTER_EAX));
                const int32_t disp = int32_t(in.mem.disp);
                if (in.mem.index != ZYDIS_REGISTER_NONE) {
                    const x86::Gp index = Emitter::host_gpr(unsigned(in.mem.index - ZYDIS_REGISTER_EAX));
                    a.lea(x86::eax, x86::ptr(base, index, Emitter::scale_shift(in.mem), disp));
                } else {
                    a.lea(x86::eax, x86::ptr(base, disp));
                }
                a.cmov(c, d, x86::eax);
            } else if (in.is_mem(1)) {  // N's load
                a.cmov(c, d, x86::dword_ptr(x86::rbp, offs[k]));
            } else if (in.is_reg(1)) {
                e.reg32(in.regv(1), r);
                a.cmov(c, d, r);
            } else {
                a.mov(x86::eax, int32_t(in.val[1]));  // MOV: no flags changed
                a.cmov(c, d, x86::eax);
            }
        };
        for (unsigned k = j + 1; k < f; ++k) move(b.insns[k], cn, k);
        // T's moves: all its own but its last, a Jcc or JMP (or a move falling into the join),
        // and F in it.
        bool seen_f = !b.select_cmp;
        for (unsigned k = b.trace_at; k < unsigned(b.trace_at) + b.trace_own; ++k) {
            const Insn& in = b.insns[k];
            if (is_jcc(in.mnem()) || in.mnem() == ZYDIS_MNEMONIC_JMP) continue;
            if (!seen_f && same_form(in, b.insns[f])) seen_f = true;
            else move(in, ct, k);
        }
        // T runs `d` instructions fewer than N, which the entry charged: given back to both
        // quadwords of R (eax = d under T's condition, else 0).
        const int d = int(join - 1 - j) - int(b.trace_own);
        if (d > 0) {
            a.mov(x86::eax, 0);
            a.mov(x86::ecx, d);
            a.cmov(ct, x86::eax, x86::ecx);
            a.movd(x86::xmm14, x86::eax);
            a.pshufd(x86::xmm14, x86::xmm14, 0x44);
            a.paddq(x86::xmm15, x86::xmm14);
        }
        // As if the Jcc and N's moves had run (R made exact above).
        e.pending += int(f - j);
        e.rbp_set = false;
        if (lead >= 0) e.stack_group = g;  // rbp the group's, as its leader leaves it
        Emitter::State sel = e.save();
        a.jmp(at_f);
        // The guard's other way: the Jcc (its side exit, the trace) and N's moves as ever.
        if (lead >= 0) a.bind(fallback);
        Emitter::State fb = s0;
        if (lead >= 0) fb.rbp_set = false, fb.host_ok = 0;  // the guard's rbp and test
        e.restore(fb);
        for (unsigned k = j; k < f; ++k) {
            emit_one(k, true, false);
            snap_at(k);
        }
        fb = e.save();
        // Both ways at F: what one knows that the other does not is forgotten; what the
        // emission cannot merge makes the block translate again without the select.
        const Emitter::StackGroup& g1 = sel.stack_group;
        const Emitter::StackGroup& g2 = fb.stack_group;
        select_bad |= sel.pending != fb.pending || sel.lazy != fb.lazy || sel.recipe != fb.recipe || sel.ffix != fb.ffix ||
                      sel.branched != fb.branched || g1.leader != g2.leader || g1.end != g2.end || g1.lo != g2.lo ||
                      g1.reload != g2.reload;
        sel.rbp_set &= fb.rbp_set, sel.rip_in_eax &= fb.rip_in_eax, sel.fdirty |= fb.fdirty;
        sel.dirty |= fb.dirty, sel.host_ok &= fb.host_ok;
        for (unsigned r = 0; r < 8; ++r) sel.bound[r] = std::max(sel.bound[r], fb.bound[r]), sel.tz[r] = std::min(sel.tz[r], fb.tz[r]);
        a.bind(at_f);
        e.restore(sel);
        ++selects;
        return true;
    };
    // The block's instructions, once, or again in a second copy's turn.
    auto emit_body = [&](bool again) {
        for (unsigned i = 0; i < b.ninsns; ++i) {
            if (again && b.select_f && i == b.trace_jcc && emit_select(i)) {
                i = b.select_f - 1u;
                continue;
            }
            emit_one(i, again, i + 1 == b.ninsns);
            snap_at(i);
        }
    };
    e.lazy = false;  // the first copy is entered with r14 whole
    // A self-loop that leaves ESP alone: its stack group's leader keeps rbp in the slot for the
    // next turn (docs/translator.md, "Stack groups across turns").
    e.group_keep = (lazy_w >= 0 || two_turns) && !(disabled_ & (kDisableGroupReuse | kDisableStackGroup)) &&
                   block_keeps_esp(b.insns.get(), b.ninsns);
    emit_body(false);
    // Where each copy's and turn's back edge goes, and the instructions its way out gives back
    // (a side trace ends as they do).
    asmjit::Label inst_back[1 + kLazyTurns];
    int inst_left[1 + kLazyTurns] = {};
    bool inst_rbp[1 + kLazyTurns] = {};
    inst_back[0] = e.taken;
    asmjit::Label loop_exit;  // a second copy's exit 1 (both copies' way out of the loop)
    const unsigned first_sides = e.nsides;  // a superblock's side exits (a second copy's come after)
    b.probe_count = uint16_t(e.probes);
    if (trace) trace_at_[b.ninsns] = uint32_t(a.offset());
    // The exits (docs/translator.md, "Chaining").
    const Insn& li = b.insns[b.ninsns - 1];
    const bool last_native = b.native[b.ninsns - 1] != 0;
    const int pending = e.pending;
    const ZydisMnemonic lm = li.mnem();
    const bool is_jump = lm == ZYDIS_MNEMONIC_JMP || lm == ZYDIS_MNEMONIC_CALL;
    // The way not taken of a non-lazy loop leaves nothing to do (no r14 fix-up pending: a TEST's
    // AF clear would have to be made on both ways first).
    const bool second_copy = (lazy_w >= 0 || (two_turns && lazy_turns > 1 && !e.flags_fix_pending())) &&
                             last_native && e.branched && pending == 0;
    if (second_copy) {
        // A lazy self-loop (docs/translator.md, "Lazy flags of a self-loop"). Not taken: the
        // CMP's flags into r14 (its registers are as it left them), then exit 1. Taken: the
        // second copy, entered only from the ends of both copies, so its prefix knows the
        // flags are the CMP's; its own Jcc goes back to its own head.
        asmjit::Label exit1 = a.newLabel();
        loop_exit = exit1;
        if (lazy_w >= 0) e.emit_materialize();
        a.bind(exit1);
        je.direct(1, li.next_eip);
        // The second copy's head at an address that is a multiple of kLoopAlign (the bytes
        // before it are never run: the exit above ends in a jump and its stub).
        for (uint64_t at = base + a.offset(); at % kLoopAlign; ++at) a.db(0xCC);
        b.loop_head_off = uint32_t(a.offset());
        a.bind(e.taken);
        const asmjit::Label head = e.taken;
        // The second copy holds two turns when they fit the budget's table: one entry test for
        // both (docs/translator.md, "Lazy flags of a self-loop"). R must hold both turns; the
        // first turn's way out gives the second's instructions back.
        entry_test(budget_const(budget_consts_, lazy_turns * b.ninsns), lazy_turns * b.ninsns, budget_exit2);
        // (Counted once per block; the `mov rbp` a probe did without, predicted_kept, in every copy.)
        const Emitter::Counts counts = e.counts();
        // Its turns take the stack group's rbp from the turn before when the first copy had one
        // group (the only writer of the slot) and no fallback call (a semantics function may
        // do anything between two turns; a native instruction's slow path no more than between
        // two members).
        e.group_reuse = e.group_keep && e.group_leaders == 1 && b.native_count == b.ninsns;
        if (e.group_reuse) ++stats_.group_reuse_loops;
        bool turn_rbp = false;  // rbp_set at the end of the turn before
        for (unsigned t = 0; t < lazy_turns; ++t) {
            const bool back = t + 1 == lazy_turns;
            const asmjit::Label next = back ? head : a.newLabel();
            e.enter_block();  // conservative at a join: every register and the flags may be dirty
            // A later turn is entered from the turn before's Jcc alone (its way taken goes to
            // `next`): rbp as that turn left it ("The predicted addend kept").
            if (t > 0) e.rbp_set = turn_rbp;
            e.stack_group = Emitter::StackGroup{};
            e.lazy = lazy_w >= 0;
            e.loop_head = next;
            instance = 1 + t;
            inst_back[instance] = next;
            inst_left[instance] = int((lazy_turns - 1 - t) * b.ninsns);
            emit_body(true);
            turn_rbp = e.rbp_set;
            inst_rbp[instance] = !back && turn_rbp;  // the next turn begins with rbp as this one left it
            e.loop_head = asmjit::Label();
            // The same instructions took the same emitters in the first copy; should a turn end
            // otherwise, the block is not translated (the interpreter runs it).
            const int left = int((lazy_turns - 1 - t) * b.ninsns);
            copy_bad |= !(e.branched && e.taken == next && e.pending == -left);
            if (lazy_w >= 0) e.emit_materialize();
            else copy_bad |= e.flags_fix_pending();
            if (left) a.paddq(x86::xmm15, budget_const(budget_consts_, unsigned(left)));
            a.jmp(exit1);
            if (!back) a.bind(next);
        }
        e.set_counts(counts);
        if (lazy_w >= 0) ++stats_.lazy_loops;
        else ++stats_.two_turn_loops;
        e.group_reuse = false;
    } else if (last_native && e.branched) {
        const uint32_t target = relative_target(li);
        if (lazy_w >= 0) e.emit_materialize();  // the first copy's CMP (a tail is pending)
        if (lazy_w < 0 && chain && pending == 0 && !profile_ && !e.flags_fix_pending() && je.same_page(target)) {
            // Nothing to do on the way out (no tail): the Jcc itself is exit 0's patchable
            // jump, linked straight to the taken target's block; unlinked it goes to the stub
            // at `taken`. The way not taken falls into exit 1.
            b.exit_eip[0] = target;
            JitEmit::Patch p{0};
            p.at = e.branch_at;
            p.unlinked_label = e.taken;
            p.opcode_bytes = 2;
            je.add_patch(p);
            je.direct(1, li.next_eip);
            a.bind(e.taken);
            je.link_stub(0, target);
        } else {
            je.tail(pending);
            je.direct(1, li.next_eip);
            a.bind(e.taken);
            if (lazy_w >= 0) e.emit_materialize();
            je.tail(pending);
            je.direct(0, target);
        }
    } else if (last_native && is_jump && li.is_imm(0)) {
        je.tail(pending);
        const uint32_t target = relative_target(li);
        if (lm == ZYDIS_MNEMONIC_CALL && je.return_stack()) je.call_exit(target, false, li.next_eip);
        else je.direct(0, target);
    } else if (last_native && (is_jump || lm == ZYDIS_MNEMONIC_RET)) {
        // An indirect target, in CpuState::rip (the instruction or its slow path put it there).
        je.tail(pending);
        if (lm == ZYDIS_MNEMONIC_CALL && je.return_stack()) {
            je.call_exit(0, true, li.next_eip);
        } else if (lm == ZYDIS_MNEMONIC_RET && je.return_stack()) {
            je.ret_exit(e.rip_in_eax);
        } else if (chain) {
            a.mov(x86::eax, Emitter::field(offsetof(CpuState, rip), 4));
            if (b.cs_base) a.add(x86::eax, int32_t(b.cs_base));
            je.jump_cache();
        } else {
            a.xor_(x86::eax, x86::eax);
            je.to_epilogue();
        }
    } else if (last_native && is_rep_string(li) && !(li.row->facts & kEndsBlock)) {
        // A native REP string instruction (helper_rep_string) changes no mode: when it ran to
        // its end (rip = the next instruction) the block goes on there like any direct exit;
        // stopped between iterations (the budget, an exit request: rip on the instruction, RF
        // set) or faulted, it returns to the dispatcher, which resumes it.
        je.tail(pending);
        const asmjit::Label stopped_rep = a.newLabel();
        a.cmp(Emitter::field(offsetof(CpuState, rip), 4), int32_t(li.next_eip));
        a.jne(stopped_rep);
        je.direct(0, li.next_eip);
        a.bind(stopped_rep);
        a.xor_(x86::eax, x86::eax);
        je.to_epilogue();
    } else if (!(li.row->facts & kEndsBlock) && !is_rep_string(li)) {
        // Cut by the size cap, the page end or an instruction left to the interpreter: on to
        // the next instruction, with the same mode key (only kEndsBlock rows change it).
        je.tail(pending);
        je.direct(0, li.next_eip);
    } else {
        // A row that may have changed the mode, CS or the mapping: back to the dispatcher
        // (rip was set by the instruction).
        je.tail(pending);
        a.xor_(x86::eax, x86::eax);
        je.to_epilogue();
    }
    // A superblock's side exits (docs/translator.md, "Superblocks"): the fix-ups of r14 that
    // were pending at the Jcc, the budget made exact at it, then exit 3 + k, linked to the
    // target's block like any direct exit.
    static_assert(Emitter::kMaxSides == Block::kSideExits, "one side exit per Jcc inside the block");
    if (first_sides != mid_jccs || (mid_jccs && !chain)) {  // cannot happen (Jit::translate)
        asm_->cold.clear();
        return EmitResult::NoSides;
    }
    // A lazy self-loop's second copy has the same Jccs again (`again`, once per turn): each
    // makes its own way out exact, then joins the first copy's side exit of that Jcc at
    // `common` (the counts and the linked exit).
    if (e.nsides != first_sides && e.nsides != first_sides * (1 + lazy_turns)) copy_bad = true;
    b.nsides = uint8_t(first_sides);
    b.flipped = 0;
    for (unsigned k = 0; k < first_sides; ++k) b.flipped += e.sides[k].flipped;
    // A learnt superblock with flipped Jccs watches them, unless it learnt often enough.
    b.watching = !b.learning && b.flipped && b.generation + 1u < kLearnGenerations;
    if (b.watching) b.watch_left = watch_exits_;
    asmjit::Label watched[Block::kSideExits], common[Block::kSideExits];
    // A side trace (docs/translator.md, "Side traces") takes the place of its Jcc's side exit in
    // each copy and turn, emitted from the state at that Jcc; its own side exits come after the
    // block's (n >= block_sides), each joining the block's side exit of the same target.
    const bool traces = b.trace_len && second_copy && !copy_bad && snaps.size() == 1u + lazy_turns;
    const unsigned block_sides = e.nsides;
    const Emitter::State post = e.save();
    const Emitter::Counts counts = e.counts();  // the block's statistics count its instructions once
    int traced_k = -1;
    for (unsigned k = 0; k < first_sides && traces; ++k)
        if (e.sides[k].index == b.trace_jcc) traced_k = int(k);
    if (traces) e.block_ninsns = total;  // the trace's instructions too (look-ahead, Emitter::stashed)
    auto trace_slot = [&](unsigned idx) {  // a trace's Jcc at `idx`: the block's side exit of its target
        const int oi = orig(idx);
        if (oi < 0) return int(b.trace_slot);
        for (unsigned k = 0; k < first_sides; ++k)
            if (e.sides[k].index == unsigned(oi)) return int(k);
        return -1;
    };
    auto emit_trace = [&](const TraceSnap& sn) {
        e.restore(sn.st);
        a.bind(e.sides[sn.rec].label);
        e.no_groups = true;
        e.stack_group = Emitter::StackGroup{};
        // What the side exit would have done to r14 first (below).
        const unsigned j = b.trace_jcc;
        e.trace_entry(j > 0 && (lazy_role[j - 1] & 4) && b.native[j - 1] ? 1 + (side_capture(b.insns[j - 1]) == 2) : 0,
                      (lazy_role[b.trace_at] & 2) && b.trace_own);
        // The first copy's trace runs where the stack group's leader may not have: the slot
        // (which the second copy's turns take) made 0, so that the next turn probes again.
        if (sn.instance == 0 && e.group_keep && e.group_slot_disp) a.mov(x86::qword_ptr(x86::r15, e.group_slot_disp), 0);
        // Fewer instructions than the way it replaces: those it skips given back to R. More:
        // charged here, and when R does not hold them, the side exit as it would have been
        // (r14 made whole above), to its target's block (`common` of its side exit).
        const int give = int(b.ninsns) - 1 - int(j) - int(b.trace_len);
        if (give > 0) a.paddq(x86::xmm15, budget_const(budget_consts_, unsigned(give))), e.pending += give;
        asmjit::Label short_budget;
        uint32_t short_ffix = 0;
        if (give < 0) {
            short_budget = a.newLabel();
            short_ffix = e.flags_fix_bits();
            a.psubq(x86::xmm15, budget_const(budget_consts_, unsigned(-give)));
            a.movmskpd(x86::eax, x86::xmm15);
            a.test(x86::al, 1);
            a.jnz(short_budget);
            e.host_flags_changed();
            e.pending += give;
        }
        e.loop_head = inst_back[sn.instance];
        e.branched = false;
        for (unsigned i = b.trace_at; i < total; ++i) emit_one(i, true, i + 1 == total);
        // It ends as the copy or turn it left: its back edge to the same place, with the same
        // instructions left to give back on the way out, and rbp as the next turn expects it.
        const int left = inst_left[sn.instance];
        trace_bad |= !(e.branched && e.taken == inst_back[sn.instance] && e.pending == -left);
        trace_bad |= inst_rbp[sn.instance] && !e.rbp_set;
        if (lazy_w >= 0) e.emit_materialize();
        else trace_bad |= e.flags_fix_pending();
        if (left) a.paddq(x86::xmm15, budget_const(budget_consts_, unsigned(left)));
        a.jmp(loop_exit);
        e.loop_head = asmjit::Label();
        if (short_budget.isValid()) {
            const Emitter::SideExit& x = e.sides[sn.rec];
            a.bind(short_budget);
            a.paddq(x86::xmm15, budget_const(budget_consts_, unsigned(-give)));
            e.emit_flags_fix_bits(short_ffix);
            if (x.pending < 0) a.paddq(x86::xmm15, budget_const(budget_consts_, unsigned(-x.pending)));
            a.jmp(common[traced_k]);
        }
    };
    // The block's side exit k, where every way out to its target ends (the first copy's stub,
    // the later copies', the traces').
    auto exit_to = [&](unsigned k, const Emitter::SideExit& x) {
        if (!common[k].isValid()) common[k] = a.newLabel();
        a.bind(common[k]);
        if (profile_) {
            a.inc(je.abs(&b.runs, 8, x86::rcx));
            a.inc(je.abs(&b.side_runs[k], 8, x86::rcx));
        }
        if (b.learning) a.inc(je.abs(&b.side_hits[k], 4, x86::rcx));
        if (b.watching && x.flipped) {
            watched[k] = a.newLabel();
            a.dec(je.abs(&b.watch_left, 4, x86::rcx));
            a.jz(watched[k]);
        }
        je.direct(3 + k, x.target);
    };
    for (unsigned n = 0; n < e.nsides && !copy_bad && !trace_bad; ++n) {
        const Emitter::SideExit& x = e.sides[n];
        const bool own_trace = n >= block_sides;  // a side trace's own Jcc's (or its copy of the loop's)
        const bool again = n >= first_sides;
        const int k = own_trace ? trace_slot(x.index) : int(again ? (n - first_sides) % first_sides : n);
        if (own_trace && (k < 0 || k == traced_k || !common[k].isValid())) {
            trace_bad = true;
            break;
        }
        if (!own_trace && again && e.sides[k].index != x.index) {  // cannot happen: the same Jccs in order
            copy_bad = true;
            break;
        }
        if (!again) b.side_at[k] = uint16_t(x.index);
        if (!own_trace && traces && k == traced_k) {
            // The side exit itself, for the traces longer than the way they replace when the
            // budget does not hold them (emit_trace's `short_budget`).
            const bool longer = int(b.ninsns) - 1 - int(b.trace_jcc) < int(b.trace_len);
            if (!again && longer) common[k] = a.newLabel();
            for (const TraceSnap& sn : snaps)
                if (sn.rec == n) emit_trace(sn);
            if (!again && longer) exit_to(unsigned(k), x);
            continue;
        }
        a.bind(x.label);
        if (x.index > 0 && (lazy_role[x.index - 1] & 4) && b.native[x.index - 1]) {
            // Its ALU instruction's flags, left in the host's by it and the Jcc, into r14.
            e.emit_capture_host(side_capture(b.insns[x.index - 1]) == 2);
        }
        e.emit_flags_fix_bits(x.ffix);
        // The CMP before the Jcc was not captured: done again into r14.
        e.emit_materialize(x.recipe);
        // pending < 0: the instructions after the Jcc were counted at the entry; > 0: those
        // since a fallback call (which stored icount) are not counted yet (JitEmit::tail).
        if (x.pending < 0) a.paddq(x86::xmm15, budget_const(budget_consts_, unsigned(-x.pending)));
        if (x.pending > 0) a.psubq(x86::xmm15, budget_const(budget_consts_, unsigned(x.pending)));
        if (again) a.jmp(common[k]);
        else exit_to(unsigned(k), x);
    }
    if (traces) {
        e.restore(post);
        e.no_groups = false;
        e.set_counts(counts);
        trace_bad |= e.nsides > Emitter::kSideCapacity - 1;  // a Jcc past the capacity would not have branched
    }
    if (first_sides) ++stats_.superblocks, stats_.side_exits += first_sides;
    // Cold: nothing of the block ran (exit request, budget); a chained jump may have brought
    // registers newer than CpuState, and icount is R's.
    if (second_copy) {
        // The second copy's stop at its head: the CMP's flags into r14 first, and the second
        // turn's instructions back (budget_exit gives back the first's).
        a.bind(budget_exit2);
        if (lazy_w >= 0) e.emit_materialize();
        if (lazy_turns > 1) a.paddq(x86::xmm15, budget_const(budget_consts_, (lazy_turns - 1) * b.ninsns));
        a.jmp(budget_exit);
    }
    // A watched side exit's count done: the exit made (CpuState::rip its target), then to the
    // dispatcher with the block in slots_.learnt.
    for (unsigned k = 0; k < first_sides; ++k) {
        if (!watched[k].isValid()) continue;
        a.bind(watched[k]);
        je.set_rip(e.sides[k].target);
        je.record(slots_.learnt);
        a.mov(x86::eax, asmjit::imm(kBlockRelearn));
        je.to_epilogue();
    }
    // The learning runs done: as the budget's stop, with the block in slots_.learnt.
    const asmjit::Label give_back = a.newLabel();
    if (b.learning) {
        a.bind(learnt);
        je.record(slots_.learnt);
        a.mov(x86::eax, asmjit::imm(kBlockLearnt));
        a.jmp(give_back);
    }
    a.bind(budget_exit);
    if (body_label.isValid()) {
        // The upper quadword may be below what R says only because entry tests of fusion
        // sources covered successors that did not run ("Fused entry tests"): the test again
        // with it made from R (Jit::resync_thunk_), and on into the block when that passes.
        a.lea(x86::rcx, entry_charge);
        a.call(asmjit::imm(reinterpret_cast<uintptr_t>(resync_thunk_)));
        a.jz(body_label);
    }
    a.mov(x86::eax, asmjit::imm(kBlockExit));
    a.bind(give_back);
    a.paddq(x86::xmm15, budget_const(budget_consts_, b.ninsns));
    je.set_rip(b.eip);
    if (exit_thunk_) {
        a.jmp(asmjit::imm(addr(exit_thunk_)));
    } else {
        e.emit_icount_store(0, x86::rdx, x86::rcx);
        e.emit_store(0xFF);
        e.emit_flags_store(true);
        a.jmp(asmjit::imm(epilogue));
    }
    // Cold: a shared slow path or fallback call returned kBlockFault or kBlockStop.
    a.bind(stopfault);
    a.cmp(x86::eax, int32_t(Emitter::kBlockStop));
    a.jne(out);
    // Cold: the block stopped after an instruction that called out (eax = kBlockNext) or at
    // a fault (eax = kBlockFault): the dispatcher counts what ran of it. Both come right
    // after a helper call, before which the registers were stored: CpuState holds them.
    a.bind(stopped);
    a.xor_(x86::eax, x86::eax);
    a.bind(out);
    je.record(slots_.stopped);
    a.jmp(asmjit::imm(epilogue));
    e.emit_cold();
    if (entry_const.isValid()) {
        a.align(asmjit::AlignMode::kData, 16);
        a.bind(entry_const);
        const uint32_t data = uint32_t(a.offset());
        a.dq(b.ninsns);
        a.dq(b.ninsns);
        if (e.data_ranges) e.data_ranges->emplace_back(data, uint32_t(a.offset()));
    }
    if (select_bad) return EmitResult::NoSelect;
    if (traces && (trace_bad || asm_->overflow.hit)) return EmitResult::NoTrace;
    if (asm_->overflow.hit || copy_bad) return EmitResult::TooLarge;
    if (code.flatten() || code.resolveUnresolvedLinks() || code.relocateToBase(base)) return EmitResult::ArenaFull;
    const asmjit::CodeBuffer& buf = code.textSection()->buffer();
    if (buf.size() + 16 > arena_.left()) return EmitResult::ArenaFull;
    for (unsigned i = 0; i < je.npatches; ++i) {
        const JitEmit::Patch& p = je.patches[i];
        const uint32_t at = p.at_label.isValid() ? uint32_t(code.labelOffset(p.at_label)) : p.at;
        const uint32_t unlinked = p.unlinked_label.isValid() ? uint32_t(code.labelOffset(p.unlinked_label)) : p.unlinked;
        b.patch_off[p.k] = at + p.opcode_bytes;
        // A jump falls into its stub (rel32 0); a call's or a Jcc's stub is elsewhere.
        b.unlinked_rel[p.k] = int32_t(unlinked - (at + p.opcode_bytes + 4));
    }
    b.code = arena_.commit(buf.data(), buf.size());
    b.chain_entry = static_cast<uint8_t*>(b.code) + chain_entry;  // the same
    b.body_off = body;
    if (entry_const.isValid()) {
        b.entry_const = uint32_t(code.labelOffset(entry_const));
        b.fuse_source = !e.budget_reloaded;
        for (unsigned i = 0; i < b.ninsns; ++i) b.fuse_source &= b.native[i] != 0;
    }
    b.code_size = uint32_t(buf.size());
    if (traces) ++stats_.side_traces;
    else b.trace_len = 0, b.select_f = 0;  // planned, but the loop got no second copy
    stats_.selects += selects;
    if (trace) trace_block(b, trace_at_);
    stats_.probes_emitted += e.probes;
    stats_.const_probes += e.const_probes;
    stats_.predicted_probes += e.predicted;
    stats_.predicted_kept += e.predicted_kept;
    stats_.aligned_probes += e.aligned_probes;
    stats_.shared_probes += e.shared_probes;
    stats_.folded_accesses += e.folded;
    stats_.movzx_left += e.zx_left;
    for (unsigned i = 0; i < b.ninsns; ++i)
        if (b.native[i]) ++stats_.native_insns, ++stats_.native_by_mnemonic[b.native[i] & Block::kNativeMnemonic];
    return EmitResult::Emitted;
}

void Jit::trace_block(const Block& b, const std::vector<uint32_t>& at) const {
    // Guest instructions, each followed by the host instructions emitted for it (Zydis decodes
    // the host's 64-bit code: asmjit has no disassembler); then the exits and cold paths.
    ZydisDecoder host;
    ZydisDecoderInit(&host, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatter fmt;
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
    const uint8_t* code = static_cast<const uint8_t*>(b.code);
    auto host_range = [&](uint32_t from, uint32_t to) {
        while (from < to) {
            // A record among the code (Emitter::SlowSite, Jit::LinkSite): printed as data.
            const auto d = std::find_if(trace_data_.begin(), trace_data_.end(),
                                        [&](const std::pair<uint32_t, uint32_t>& r) { return r.first == from; });
            if (d != trace_data_.end()) {
                std::string hex;
                for (uint32_t k = d->first; k < d->second; ++k) {
                    char byte[4];
                    std::snprintf(byte, sizeof byte, "%02x", code[k]);
                    hex += byte;
                }
                cpu_.trace.log(kTraceJit, "      %012" PRIxPTR "  (data, %u bytes: %s)", reinterpret_cast<uintptr_t>(code + from),
                               d->second - d->first, hex.c_str());
                from = d->second;
                continue;
            }
            ZydisDecodedInstruction in;
            ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
            char text[128] = "(bad)";
            unsigned len = 1;
            if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&host, code + from, to - from, &in, ops))) {
                ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible, text, sizeof text,
                                                reinterpret_cast<uintptr_t>(code + from), nullptr);
                len = in.length;
            }
            cpu_.trace.log(kTraceJit, "      %012" PRIxPTR "  %s", reinterpret_cast<uintptr_t>(code + from), text);
            from += len;
        }
    };
    cpu_.trace.log(kTraceJit, "block %04x:%08x (cs base %08x, key %016" PRIx64 ", %u instructions, cap %u): %u bytes of host code at %p",
                   unsigned(cpu_.s.seg[CS].selector), b.eip, b.cs_base, b.key, unsigned(b.ninsns), unsigned(b.cap),
                   b.code_size, b.code);
    cpu_.trace.log(kTraceJit, "  entry: exit request and budget");
    host_range(0, at[0]);
    const DecodeMode mode = decode_mode(cpu_.s);
    for (unsigned i = 0; i < b.ninsns; ++i) {
        const std::string g = decoder_.disassemble(b.host + (int64_t(b.eips[i]) - int64_t(b.eip)), b.insns[i].length, mode, b.cs_base + b.eips[i]);
        cpu_.trace.log(kTraceJit, "  %08x  %-40s %s", b.eips[i], g.c_str(), b.native[i] ? "native" : "helper call");
        host_range(at[i], at[i + 1]);
    }
    cpu_.trace.log(kTraceJit, "  exits and cold paths");
    host_range(at[b.ninsns], b.code_size);
}

bool Jit::needs_interp() const {
    const CpuState& s = cpu_.s;
    // An interrupt shadow, RF and the instruction traces are per-instruction business of the
    // interpreter's step; kModeInterp (TF, breakpoints, #AC) is tested with the key.
    return s.inhibit_irq || (s.eflags & RF) || cpu_.trace.on(TraceFlag(kTraceInsn | kTraceExec));
}

bool Jit::rf_only() const {
    const CpuState& s = cpu_.s;
    return (s.eflags & RF) && !s.inhibit_irq && !cpu_.trace.on(TraceFlag(kTraceInsn | kTraceExec));
}

bool Jit::resumes_rep(const Block& b) {
    // A block that begins with a REP string instruction ends there (decode_block); native, it
    // is helper_rep_string, which clears RF as the instruction starts.
    return b.ninsns == 1 && b.native[0] && is_rep_string(b.insns[0]);
}

void Jit::plan_trace(Block& b, const uint8_t* host, uint32_t cs_limit, DecodeMode mode, bool x87_nm) {
    b.trace_len = 0;
    const unsigned n = b.ninsns;
    if (n < 3 || !loops_to_itself(b) || !is_jcc(b.insns[n - 1].mnem())) return;
    // The side exits' ordinals (Block::side_at order) and targets, as Jit::emit makes them.
    int slot_of[Block::kMaxInsns];
    uint32_t side_target[Block::kSideExits] = {};
    unsigned sides = 0;
    for (unsigned i = 0; i < n; ++i) {
        slot_of[i] = -1;
        if (i + 1 == n || !is_jcc(b.insns[i].mnem())) continue;
        if (sides == Block::kSideExits) return;
        const bool flipped = b.eips[i + 1] != b.insns[i].next_eip;
        side_target[sides] = flipped ? b.insns[i].next_eip : relative_target(b.insns[i]);
        slot_of[i] = int(sides++);
    }
    auto in_loop = [&](uint32_t at, unsigned after) {  // the loop's instruction at `at` after `after`
        for (unsigned m = after + 1; m < n; ++m)
            if (b.eips[m] == at) return int(m);
        return -1;
    };
    const uint32_t page = (b.cs_base + b.eip) >> kPageBits;
    for (unsigned j = 0; j + 1 < n; ++j) {
        if (slot_of[j] < 0) continue;
        const uint32_t t = side_target[slot_of[j]];
        if (((b.cs_base + t) >> kPageBits) != page) continue;
        // The way out may come straight back into the loop later on (an `if` without `else`).
        int join = in_loop(t, j);
        unsigned own = 0;
        int exit_slot = -1;
        if (join < 0) {
            const unsigned room = kPageSize - ((b.cs_base + t) & ~kPageMask);
            const unsigned c = decode_block(decoder_, host + (int64_t(t) - int64_t(b.eip)), room, t, cs_limit, mode, x87_nm,
                                            kTraceOwn, trace_insns_, trace_eips_, &interp_);
            bool bad = c == 0;
            for (unsigned i = 0; i < c && !bad && join < 0; ++i) {
                const Insn& in = trace_insns_[i];
                if ((join = in_loop(trace_eips_[i], j)) >= 0) {  // fell into the loop's code
                    own = i;
                    break;
                }
                uint32_t category = 0;
                if (!native_emitter(in.mnem(), category) || (disabled_ & category) || is_rep_string(in) ||
                    (in.mnem() != ZYDIS_MNEMONIC_JMP && !block_keeps_esp(&in, 1))) {
                    bad = true;
                    break;
                }
                if (is_jcc(in.mnem())) {
                    // Its last instruction: one way back into the loop, the other one of the
                    // loop's side exits' targets.
                    if (!in.is_imm(0)) break;
                    const uint32_t taken = relative_target(in), not_taken = in.next_eip;
                    uint32_t out = 0;
                    if ((join = in_loop(taken, j)) >= 0) out = not_taken;
                    else if ((join = in_loop(not_taken, j)) >= 0) out = taken;
                    else break;
                    for (unsigned k = 0; k < sides; ++k)
                        if (side_target[k] == out && k != unsigned(slot_of[j])) exit_slot = int(k);
                    if (exit_slot < 0) join = -1;
                    own = i + 1;
                    break;
                }
                if (in.mnem() == ZYDIS_MNEMONIC_JMP && in.is_imm(0) && !in.far()) {  // back by a JMP
                    if ((join = in_loop(relative_target(in), j)) >= 0) own = i + 1;
                    break;
                }
                if (in.row->facts & kEndsBlock) break;
                if (i + 1 == c) {  // decoded to its cap or page end: on only when that is the loop
                    if ((join = in_loop(in.next_eip, j)) >= 0) own = c;
                }
            }
            if (bad) join = -1;
        }
        if (join < 0) continue;
        const unsigned tail = n - unsigned(join);
        // At most kTraceOwn longer than the way it replaces (the entry charged that way's
        // instructions; the trace tests the budget for the rest), and within the emitter's arrays.
        if (own + tail > n - 1 - j + kTraceOwn || n + own + tail > kMaxTotal) continue;
        std::unique_ptr<Insn[]> insns(new Insn[n + own + tail]);
        std::unique_ptr<uint32_t[]> eips(new uint32_t[n + own + tail]);
        std::copy(b.insns.get(), b.insns.get() + n, insns.get());
        std::copy(b.eips.get(), b.eips.get() + n, eips.get());
        std::copy(trace_insns_.begin(), trace_insns_.begin() + own, insns.get() + n);
        std::copy(trace_eips_.begin(), trace_eips_.begin() + own, eips.get() + n);
        std::copy(b.insns.get() + join, b.insns.get() + n, insns.get() + n + own);
        std::copy(b.eips.get() + join, b.eips.get() + n, eips.get() + n + own);
        b.insns = std::move(insns);
        b.eips = std::move(eips);
        b.trace_jcc = uint16_t(j);
        b.trace_at = uint16_t(n);
        b.trace_own = uint16_t(own);
        b.trace_len = uint16_t(own + tail);
        b.trace_join = uint16_t(join);
        b.trace_slot = int8_t(exit_slot);
        if (cpu_.trace.enabled(kTraceJit))
            cpu_.trace.log(kTraceJit, "%08x: a side trace at the Jcc at %08x: %u instructions from %08x, back into the loop at %08x",
                           b.eip, b.eips[j], own, t, b.eips[join]);
        return;
    }
}

void Jit::plan_select(Block& b, const uint32_t* mixed, unsigned nmixed) {
    b.select_f = 0, b.select_cmp = false;
    if (!b.trace_len || (disabled_ & kDisableSelect)) return;
    const unsigned j = b.trace_jcc, join = b.trace_join, n = b.ninsns, at = b.trace_at, own = b.trace_own;
    if (!mixed || std::find(mixed, mixed + nmixed, b.eips[j]) == mixed + nmixed) return;
    if (j == 0 || join < j + 2 || join + 1 > n || own > join - 1 - j) return;  // N not empty, T no longer
    // Nothing in T writes a register the Jcc's flag writer reads (its recipe may be done again
    // after the select; N's writes of them are in the stash as ever).
    const Insn& ci = b.insns[j - 1];
    unsigned jcc_reads = address_regs(ci);
    for (unsigned k = 0; k < ci.nops(); ++k) {
        const int g = ci.is_reg(k) ? gpr32(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, ci.regv(k))) : -1;
        if (g >= 0) jcc_reads |= 1u << g;
    }
    auto moves = [&](unsigned from, unsigned to, bool stack, unsigned not_written) {
        for (unsigned k = from; k < to; ++k) {
            int w;
            if (!select_move(b.insns[k], stack, w) || (w >= 0 && (not_written >> w & 1))) return false;
        }
        return true;
    };
    // Either way's moves alone, T's ending by a JMP to the join or falling into it (an `if` with
    // an `else`, or without one: T empty).
    const bool t_jmp = own && b.insns[at + own - 1].mnem() == ZYDIS_MNEMONIC_JMP;
    unsigned f = 0;
    if (moves(j + 1, join, true, 0) && moves(at, at + own - (t_jmp ? 1 : 0), false, jcc_reads)) f = join;
    // Or both ending in the same flag writer F and a Jcc to the same way out under the same
    // condition: N = moves, F, its Jcc to a side exit; T = moves, F, moves that leave F's
    // registers alone, its Jcc to the join or to N's way out (the sift-down).
    auto ends_alike = [&]() -> unsigned {  // F's index, or 0
        if (join < j + 3 || own < 2) return 0;
        const unsigned fk = join - 2, xn = join - 1;
        const Insn& fi = b.insns[fk];
        const unsigned f_reads = compare_regs(fi);
        if (f_reads == ~0u || !is_jcc(b.insns[xn].mnem()) || !b.insns[xn].is_imm(0) || !moves(j + 1, fk, true, 0)) return 0;
        // Where N's Jcc leaves the loop, and when.
        const Insn& xi = b.insns[xn];
        const bool x_flipped = b.eips[xn + 1] != xi.next_eip;
        const uint32_t out = x_flipped ? xi.next_eip : relative_target(xi);
        const unsigned out_cc = (xi.opcode & 0xF) ^ (x_flipped ? 1u : 0u);
        const Insn& ti = b.insns[at + own - 1];
        if (!is_jcc(ti.mnem()) || !ti.is_imm(0)) return 0;
        const uint32_t taken = relative_target(ti);
        unsigned t_cc;
        if (taken == b.eips[join] && ti.next_eip == out) t_cc = (ti.opcode & 0xF) ^ 1u;
        else if (ti.next_eip == b.eips[join] && taken == out) t_cc = ti.opcode & 0xF;
        else return 0;
        unsigned p = at;
        while (p + 1 < at + own && !same_form(b.insns[p], fi)) ++p;
        if (t_cc != out_cc || p + 1 == at + own || !moves(at, p, false, jcc_reads) ||
            !moves(p + 1, at + own - 1, false, jcc_reads | f_reads))
            return 0;
        return fk;
    };
    if (!f && (f = ends_alike())) b.select_cmp = true;
    if (!f) return;
    b.select_f = uint16_t(f);
    if (cpu_.trace.enabled(kTraceJit))
        cpu_.trace.log(kTraceJit, "%08x: a select at the Jcc at %08x: its trace's %u instructions and the loop's %u to %08x as one",
                       b.eip, b.eips[j], own, join - 1 - j, b.eips[f]);
}

Block* Jit::translate(const uint8_t* host, uint32_t lin, uint32_t eip, uint32_t cs_base, uint64_t key, uint16_t cap,
                      bool learn, unsigned generation, const uint32_t* flips, unsigned nflips, const uint32_t* mixed,
                      unsigned nmixed) {
    const auto t0 = std::chrono::steady_clock::now();
    const CpuState& s = cpu_.s;
    const unsigned room = kPageSize - (lin & ~kPageMask);
    // A superblock goes on past forward Jccs where its exits chain (docs/translator.md, "Superblocks").
    const bool sides = cap == 0 && !(disabled_ & (kDisableChain | kDisableSuperblocks | kDisableControl | kDisableAll));
    const unsigned n = decode_block(decoder_, host, room, eip, mode_cs_limit(key), decode_mode(s),
                                    s.cr0 & (CR0_EM | CR0_TS), cap, scratch_insns_, scratch_eips_, &interp_,
                                    sides ? Block::kSideExits : 0, flips, nflips, sides && !(disabled_ & kDisableBackward));
    gave_up_ = false;
    if (!n) {
        gave_up_ = true, ++stats_.gave_up;
        return nullptr;
    }
    auto b = std::make_unique<Block>();
    b->eip = eip;
    b->cs_base = cs_base;
    b->key = key;
    b->host = host;
    b->cap = cap;
    b->learning = learn;  // Jit::emit keeps it for a superblock only
    b->generation = uint8_t(generation);
    b->ninsns = uint16_t(n);
    b->insns.reset(new Insn[n]);
    b->eips.reset(new uint32_t[n]);
    std::memcpy(b->insns.get(), scratch_insns_.data(), n * sizeof(Insn));
    std::memcpy(b->eips.get(), scratch_eips_.data(), n * sizeof(uint32_t));
    b->nbytes = guest_bytes(*b);
    PhysMem& phys = cpu_.mmu.phys();
    const uint8_t* ram = phys.ram();
    if (host >= ram && host < ram + phys.ram_size()) {
        b->ram = true;
        b->paddr = uint32_t(host - ram);
        if (cache_.page_too_hot(b->paddr)) {
            gave_up_ = true, ++stats_.gave_up;
            return nullptr;
        }
    }
    // A side trace (docs/translator.md, "Side traces"): for self-loops without the learning
    // counters, whose second copy the statistics of --stats leave out too.
    if (sides && !learn && !profile_ && !(disabled_ & (kDisableTraces | kDisableLearn))) {
        plan_trace(*b, host, mode_cs_limit(key), decode_mode(s), s.cr0 & (CR0_EM | CR0_TS));
        plan_select(*b, mixed, nmixed);
    }
    EmitResult r = emit(*b);
    if (r == EmitResult::NoSelect) {
        b->select_f = 0;
        r = emit(*b);
    }
    if (r == EmitResult::NoTrace) {
        b->trace_len = 0;
        b->select_f = 0;
        r = emit(*b);
    }
    if (r == EmitResult::NoSides) {
        b->trace_len = 0;
        b->select_f = 0;
        // A Jcc inside it was not emitted natively (cannot happen: decode_block takes only
        // those the native Jcc takes): the block again, ending at its first Jcc.
        unsigned k = 0;
        while (k + 1 < n && !is_jcc(b->insns[k].mnem())) ++k;
        b->ninsns = uint16_t(k + 1);
        b->nbytes = guest_bytes(*b);
        r = emit(*b);
    }
    switch (r) {
    case EmitResult::NoSides: case EmitResult::NoTrace: case EmitResult::NoSelect: return nullptr;
    case EmitResult::Emitted: break;
    case EmitResult::ArenaFull: flush_pending_ = true; return nullptr;  // flushed at the dispatcher's next turn
    case EmitResult::TooLarge: return nullptr;  // the interpreter runs it
    }
    ++stats_.blocks_translated;
    stats_.insns_translated += b->ninsns;
    for (unsigned i = 0; i < b->ninsns; ++i)
        if (b->eips[i] < eip) {
            ++stats_.back_ways;  // docs/translator.md, "Side exits backward"
            break;
        }
    if (perf_map_) {
        char name[48];
        std::snprintf(name, sizeof name, "xlat:%08x", lin);
        perf_map_->add(b->code, b->code_size, name);
    }
    stats_.code_bytes += b->code_size;
    if (cpu_.trace.enabled(kTraceJit))
        cpu_.trace.log(kTraceJit, "translated %04x:%08x (linear %08x): %u instructions, %u guest bytes -> %u host bytes",
                       s.seg[CS].selector, eip, lin, n, unsigned(b->nbytes), unsigned(b->code_size));
    stats_.translate_ns += uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now() - t0).count());
    return cache_.insert(std::move(b));
}

Block* Jit::lookup(uint64_t budget) {
    const CpuState& s = cpu_.s;
    cold_ = false;
    const uint64_t key = mode_cache_.get(s);
    if (mode_bits(key) & kModeInterp) return nullptr;
    const uint32_t eip = s.eip();
    if (eip > s.seg[CS].limit) return nullptr;  // the interpreter raises the #GP
    const uint32_t cs_base = s.seg[CS].base;
    const uint32_t lin = cs_base + eip;
    const uint8_t* host = cpu_.mmu.try_exec_host(lin, cpu_.user());
    if (!host) return nullptr;  // a fetch fault or MMIO: the interpreter
    ++stats_.lookups;
    Block* b = cache_.jump(lin);
    if (!b || !b->valid || b->host != host || b->eip != eip || b->cs_base != cs_base || b->key != key) {
        b = cache_.find(host, eip, cs_base, key, 0);
        if (b) ++stats_.hash_hits;
        Heat* heat = nullptr;
        if (!b && hot_runs_ > 1) {
            // Not translated: only once it has run often enough (cold blocks, docs/translator.md).
            const uintptr_t h = reinterpret_cast<uintptr_t>(host);
            heat = &heat_[(h ^ (h >> 14)) & (kHeatEntries - 1)];
            if (heat->host != host) *heat = Heat{host, 0};
            if (++heat->count < int32_t(hot_runs_)) {
                cold_ = true;
                return nullptr;
            }
        }
        if (!b && !(b = translate(host, lin, eip, cs_base, key, 0))) {
            if (heat && gave_up_) heat->count = -kRetryAfter;  // not again at the next run
            return nullptr;
        }
        cache_.set_jump(lin, b);
    } else {
        ++stats_.jump_hits;
    }
    if (b->reach() <= budget) return b;
    // The budget ends inside the block (or inside what its entry test covers of the blocks
    // fused to it): a block with a cap stops exactly on it (--max-insns, icount), and links to
    // nothing.
    const uint16_t cap = uint16_t(std::min<uint64_t>(budget, Block::kMaxInsns));
    Block* s2 = cache_.find(host, eip, cs_base, key, cap);
    return s2 ? s2 : translate(host, lin, eip, cs_base, key, cap);
}

void Jit::count_partial(Block* b, bool faulted) {
    // The instruction it stopped at is CpuState::insn_eip (set by every helper_slow and
    // helper_fallback, and the EIPs of a block are distinct): the native instructions before it
    // retired, and it too unless it faulted. Its inline probe (if any) ran and missed.
    const CpuState& s = cpu_.s;
    unsigned at = 0;
    while (at < b->ninsns && b->eips[at] != s.insn_eip) ++at;
    if (at == b->ninsns) return;  // cannot happen: nothing to count
    for (unsigned i = 0; i <= at; ++i) {
        const uint16_t n = b->native[i];
        stats_.probes_run += n >> 12;
        if (!n || (i == at && faulted)) continue;
        ++cpu_.stats.executed[n & Block::kNativeMnemonic];
        ++stats_.native_run;
    }
    ++stats_.blocks_run;
    // A partial run is no whole run: Block::runs counts it for the hottest-block report only.
    ++b->runs;
    ++b->folded;
}

void Jit::sync_stats() const {
    stats_.fallback_calls = 0;
    for (uint64_t n : fallbacks_.count) stats_.fallback_calls += n;
    cache_.for_each_all([&](Block& b) {
        uint64_t d = b.runs - b.folded;
        if (!d) return;
        b.folded = b.runs;
        // Runs that left a superblock through a side exit ran its instructions up to that Jcc.
        for (unsigned k = 0; k < b.nsides; ++k) {
            const uint64_t ds = b.side_runs[k] - b.side_folded[k];
            b.side_folded[k] = b.side_runs[k];
            d -= ds;
            for (unsigned i = 0; i <= b.side_at[k]; ++i) {
                const uint16_t nat = b.native[i];
                stats_.probes_run += ds * (nat >> 12);
                if (!nat) continue;
                cpu_.stats.executed[nat & Block::kNativeMnemonic] += ds;
                stats_.native_run += ds;
            }
            stats_.blocks_run += ds;
        }
        for (const auto& [mn, count] : b.native_mix) cpu_.stats.executed[mn] += d * count;
        stats_.native_run += d * b.native_count;
        stats_.probes_run += d * b.probe_count;
        stats_.blocks_run += d;
    });
}

void Jit::link(Block* from, unsigned k, Block* to) {
    // Only where the dispatcher would have gone itself: the exit's EIP, the same CS base and
    // mode key (a chainable exit follows no row that changes them), a block without a cap
    // (the entry's budget test covers the budget), and the same linear and host page (a block
    // is entered only while its linear page maps to its bytes, so its page's other blocks are
    // right for it too).
    if (!from->valid || !to->valid || from->linked[k] || !from->patch_off[k] || to->cap) return;
    if (to->eip != from->exit_eip[k] || to->cs_base != from->cs_base || to->key != from->key) return;
    const uint32_t lf = from->cs_base + from->eip, lt = to->cs_base + to->eip;
    if ((lf >> kPageBits) != (lt >> kPageBits)) return;
    if (from->host - (lf & ~kPageMask) != to->host - (lt & ~kPageMask)) return;
    from->linked[k] = to;
    to->incoming.emplace_back(from, uint8_t(k));
    ++stats_.links;
    // Fused (docs/translator.md, "Fused entry tests"): a forward exit of a fusion source, whose
    // entry test can be made to cover the target's instructions and what the target's covers.
    // Forward only: every cycle of links keeps an entry test, so a chained loop still sees the
    // budget and the exit request.
    if (from->fuse_source && from->fuse_off[k] && to->eip > from->eip && cover(from, to->reach())) {
        set_fused(from, k, true);
        ++stats_.fused_links;
        return;
    }
    patch_rel(from, from->patch_off[k], to->chain_entry);
}

void Jit::patch_rel(Block* b, uint32_t off, const void* target) {
    uint8_t* at = static_cast<uint8_t*>(b->code) + off;
    arena_.patch32(at, int32_t(static_cast<const uint8_t*>(target) - (at + 4)));
}

void Jit::set_fused(Block* from, unsigned k, bool fused) {
    Block* to = from->linked[k];
    from->fused[k] = fused;
    patch_rel(from, from->fuse_off[k], fuse_consts_ + 16 * (fused ? to->ninsns : 0));
    patch_rel(from, from->patch_off[k], fused ? static_cast<uint8_t*>(to->code) + to->body_off : to->chain_entry);
}

bool Jit::cover(Block* b, unsigned need) {
    if (need <= b->fuse_p) return true;
    if (need > kMaxFuse) return false;
    b->fuse_p = uint16_t(need);
    arena_.patch32(static_cast<uint8_t*>(b->code) + b->entry_const + 8, int32_t(b->reach()));
    // What the blocks fused into this one cover grows with it (each link's source covers more
    // than its target: the links fused form no cycle, and this ends).
    for (const auto& [f, k] : b->incoming) {
        if (!f->valid || f->linked[k] != b || !f->fused[k]) continue;
        if (!cover(f, b->reach())) {
            set_fused(f, k, false);  // too far: its exit enters the entry test again
            ++stats_.fuse_limited;
        }
    }
    return true;
}

void Jit::unlink_dead() {
    for (Block* d : cache_.take_dead()) {
        for (const auto& [from, k] : d->incoming) {
            if (from->linked[k] != d) continue;
            if (from->fused[k]) {
                from->fused[k] = false;
                patch_rel(from, from->fuse_off[k], fuse_consts_);  // charges nothing again
            }
            arena_.patch32(static_cast<uint8_t*>(from->code) + from->patch_off[k], from->unlinked_rel[k]);  // back to its stub
            from->linked[k] = nullptr;
            ++stats_.unlinks;
        }
        d->incoming.clear();
    }
}

void Jit::run_block(Block* b) {
    CpuState& s = cpu_.s;
    ++stats_.dispatches;
    cpu_.debug_hits = 0;  // as each step begins
    slots_.stopped = nullptr;
    const uint32_t st = enter_(&s, &cpu_, b->code);
    // Whole runs count themselves (Block::runs, folded by sync_stats); a block that stopped
    // early says which it was.
    if (slots_.stopped && profile_) count_partial(slots_.stopped, st == kBlockFault);
    if (st == kBlockFault) {
        deliver_pending_fault(cpu_);
        ++s.icount;
        return;
    }
    if (st == kBlockLearnt || st == kBlockRelearn) {
        relearn(slots_.learnt, st == kBlockRelearn);
        return;
    }
    if (st >= kBlockLink0) {
        pending_link_ = slots_.link_from;
        pending_exit_ = st - kBlockLink0;
    }
    if (st != kBlockExit) interp_.debug_traps();  // a task switch's T bit
}

void Jit::relearn(Block* old, bool again) {
    if (!old->valid) return;
    const uint32_t lin = old->cs_base + old->eip;
    // The new translation takes the old one's place; the links into the old one go back to
    // their stubs (relinked to the new one as they run). False when none was made.
    auto replace = [&](Block* b) {
        if (!b) return false;
        cache_.retire(old);
        cache_.set_jump(lin, b);
        unlink_dead();
        return true;
    };
    if (again) {
        // Learning again, from the ways not taken.
        if (!old->watching) return;
        old->watching = false;  // asked once (it keeps counting should no translation replace it)
        if (cpu_.trace.enabled(kTraceJit))
            cpu_.trace.log(kTraceJit, "%08x: its flipped Jccs went the other way %u times: learning again", old->eip,
                           watch_exits_);
        if (replace(translate(old->host, lin, old->eip, old->cs_base, old->key, 0, true, old->generation + 1u)))
            ++stats_.learnt_again;
        return;
    }
    if (!old->learning) return;
    old->learning = false;  // asked once (it keeps counting should no translation replace it)
    // Side exit k's Jcc is flipped when three in four of the runs that reached it left there
    // (a Jcc that goes either way as often stays as it is: flipped, the way on would be as
    // often cut short). The entry that returned here counted itself but did not run.
    // Those that went either way in at least one run in four are `mixed` (Jit::plan_select).
    uint32_t flips[Block::kSideExits], mixed[Block::kSideExits];
    unsigned n = 0, nmixed = 0;
    uint64_t reaching = learn_runs_ - 1;
    for (unsigned k = 0; k < old->nsides; ++k) {
        const uint64_t hits = std::min<uint64_t>(old->side_hits[k], reaching);
        const bool back = relative_target(old->insns[old->side_at[k]]) < old->eip;
        if (back ? 2 * hits > reaching : 4 * hits > 3 * reaching) flips[n++] = old->eips[old->side_at[k]];
        if (4 * hits >= reaching && 4 * hits <= 3 * reaching && hits) mixed[nmixed++] = old->eips[old->side_at[k]];
        reaching -= hits;
    }
    if (cpu_.trace.enabled(kTraceJit)) {
        std::string ways;
        for (unsigned k = 0; k < old->nsides; ++k) {
            char one[64];
            std::snprintf(one, sizeof one, "%s%08x %u", k ? ", " : "", old->eips[old->side_at[k]], old->side_hits[k]);
            ways += one;
        }
        cpu_.trace.log(kTraceJit, "learnt %08x after %u runs: side exits taken (Jcc, runs) %s; %u Jcc(s) to follow at the way taken",
                       old->eip, learn_runs_ - 1, ways.c_str(), n);
    }
    Block* b = translate(old->host, lin, old->eip, old->cs_base, old->key, 0, false, old->generation, flips, n, mixed, nmixed);
    if (!replace(b)) return;
    ++stats_.relearnt;
    stats_.flipped += b->flipped;
}

void Jit::run_cold(uint64_t end) {
    // Where the block would end need not be found exactly: the interpreter runs every
    // instruction exactly whatever the boundaries, and they only decide at which EIP the
    // dispatcher looks (and counts the heat) next. A jump forward by less than 16 bytes is taken
    // for the next instruction; the dispatcher's duties (the exit request, the budget, HLT) are
    // looked at after every instruction.
    CpuState& s = cpu_.s;
    const uint32_t page = (s.seg[CS].base + s.eip()) >> kPageBits;
    for (unsigned i = 0; i < Block::kMaxInsns; ++i) {
        const uint32_t eip = s.eip();
        ++stats_.interp_steps;
        ++stats_.cold_steps;
        interp_.step();
        if (cpu_.exit_request.load(std::memory_order_acquire) || s.halted || s.icount >= end || needs_interp()) return;
        const uint32_t next = s.eip();
        if (next <= eip || next - eip > 15 || ((s.seg[CS].base + next) >> kPageBits) != page) return;
    }
}

void Jit::set_perf_map(PerfMap* map) {
    perf_map_ = map;
    if (map) map->add(arena_.base(), fixed_bytes_, "xlat_jit_prologue_epilogue_thunks");
}

void Jit::flush() {
    flush_pending_ = false;
    sync_stats();
    pending_link_ = nullptr;
    cache_.clear();
    arena_.reset(fixed_bytes_);
    ++stats_.flushes;
}

void Jit::step() {
    if (flush_pending_) flush();
    unlink_dead();
    Block* b = nullptr;
    if (!cpu_.exit_request.load(std::memory_order_acquire) && !needs_interp()) b = lookup(1);
    if (!b) {
        ++stats_.interp_steps;
        interp_.step();
        return;
    }
    // One instruction: a chained block's entry stops at this budget.
    const uint64_t end = cpu_.icount_end;
    cpu_.icount_end = cpu_.s.icount + 1;
    run_block(b);
    cpu_.icount_end = end;
    pending_link_ = nullptr;
}

StopReason Jit::run(uint64_t max_insns, bool exact) {
    CpuState& s = cpu_.s;
    // The debugger's breakpoints, watchpoints and single step are checked at every instruction
    // boundary by the interpreter (cpu/debug_stops.h); blocks do not stop there. The debugger
    // changes them only on the machine thread between runs, so one look here is enough.
    if (cpu_.debugger_armed()) {
        // kExitCode is ours: the interpreter would take it for a request to return.
        if (cpu_.exit_request.load(std::memory_order_acquire) & Cpu::kExitCode) {
            cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
            if (flush_pending_) flush();
            unlink_dead();
        }
        return interp_.run(max_insns);
    }
    const uint64_t end = max_insns ? s.icount + max_insns : UINT64_MAX;
    // REP strings stop between iterations there; chained blocks before it. Within 2^62 of
    // icount (centuries of guest time), so that the blocks' budget R = icount_end - icount is a
    // non-negative signed quadword (docs/translator.md, "Counting").
    const uint64_t run_end = std::min(end, s.icount + kUnbounded);
    cpu_.icount_end = run_end;
    if (flush_pending_) flush();
    unlink_dead();
    pending_link_ = nullptr;
    for (;;) {
        if (const uint32_t req = cpu_.exit_request.load(std::memory_order_acquire)) {
            if (req & Cpu::kExitCode) {
                cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
                if (flush_pending_) flush();
                unlink_dead();  // before any block runs again
            }
            if (req & Cpu::kExitIrq) {
                // As Interpreter::run: clear first, so that an INTR rising while we look sets it again.
                cpu_.exit_request.fetch_and(~Cpu::kExitIrq, std::memory_order_acq_rel);
                if (cpu_.accept_interrupts()) {
                    ++s.icount;
                    cpu_.request_exit(Cpu::kExitIrq);
                    pending_link_ = nullptr;
                    continue;
                }
                if (s.inhibit_irq) cpu_.request_exit(Cpu::kExitIrq);
            }
            if (req & ~(Cpu::kExitIrq | Cpu::kExitCode)) break;
        }
        if (s.icount >= end) {
            cpu_.request_stop(StopReason::MaxInsns);
            break;
        }
        if (s.halted) break;
        // RF set by a REP string instruction that stopped between iterations (the budget, an
        // exit request) only keeps an instruction breakpoint from firing again, and with one
        // armed the mode key sends everything to the interpreter: its native block resumes it
        // (the interpreter would run the rest of a long REP one element at a time).
        const bool rf = rf_only();
        Block* b = needs_interp() && !rf ? nullptr : lookup(exact ? end - s.icount : UINT64_MAX);
        if (b && rf && !resumes_rep(*b)) b = nullptr;
        if (pending_link_) {
            // The exit that returned last asked for a link: this is the block it leads to
            // (link() checks that it is).
            if (b && !flush_pending_) link(pending_link_, pending_exit_, b);
            pending_link_ = nullptr;
        }
        if (!b) {
            if (flush_pending_) flush();
            if (cold_) {
                run_cold(end);
                continue;
            }
            ++stats_.interp_steps;
            interp_.step();
            continue;
        }
        if (!exact && b->reach() > end - s.icount) {
            // A soft budget ends inside this block: the whole block runs (its entry test reads
            // icount_end), and what its entry covers of the blocks fused to it, and the run
            // stops after them.
            cpu_.icount_end = s.icount + b->reach();
            run_block(b);
            cpu_.icount_end = run_end;
            continue;
        }
        run_block(b);
    }
    pending_link_ = nullptr;
    StopReason r = StopReason(s.pending_exit);
    s.pending_exit = 0;
    cpu_.exit_request.fetch_and(~Cpu::kExitStop, std::memory_order_acq_rel);
    cpu_.icount_end = UINT64_MAX;
    return r;
}

std::string Jit::describe_stats() const {
    sync_stats();
    const JitStats& j = stats_;
    std::string out;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "jit: blocks translated %" PRIu64 " (%" PRIu64 " instructions, %.0f ns and %.1f host bytes per "
                  "instruction), invalidated %" PRIu64 ", arena flushes %" PRIu64 ", arena %zu of %zu KiB\n",
                  j.blocks_translated, j.insns_translated,
                  j.insns_translated ? double(j.translate_ns) / double(j.insns_translated) : 0.0,
                  j.insns_translated ? double(j.code_bytes) / double(j.insns_translated) : 0.0, j.invalidated,
                  j.flushes, arena_.used() >> 10, arena_.size() >> 10);
    out += buf;
    std::snprintf(buf, sizeof buf,
                  "jit: block runs %" PRIu64 ", returns to the dispatcher %" PRIu64 ", links made %" PRIu64
                  " (%" PRIu64 " fused past the entry test), unlinked %" PRIu64 ", inline jump cache exits emitted %" PRIu64 "; return stack: RETs "
                  "not predicted %" PRIu64 ", CALLs at the depth limit %" PRIu64 "\n",
                  j.blocks_run, j.dispatches, j.links, j.fused_links, j.unlinks, j.ic_exits, j.ret_misses, j.call_overflows);
    out += buf;
    std::snprintf(buf, sizeof buf,
                  "jit: dispatcher lookups %" PRIu64 ": jump cache hits %" PRIu64 ", block hash hits %" PRIu64
                  ", not found %" PRIu64 "; interpreter decodes %" PRIu64 "\n",
                  j.lookups, j.jump_hits, j.hash_hits, j.lookups - j.jump_hits - j.hash_hits, interp_.decodes());
    out += buf;
    std::snprintf(buf, sizeof buf, "jit: translations given up %" PRIu64
                  " (no instruction within the page, or a page invalidated too often)\n", j.gave_up);
    out += buf;
    std::snprintf(buf, sizeof buf,
                  "jit: instructions run natively %" PRIu64 ", through helper calls %" PRIu64 " (privileged %" PRIu64
                  "), by the interpreter %" PRIu64 " (%" PRIu64 " in blocks not hot yet); emitted natively %" PRIu64
                  " of %" PRIu64 " translated\n",
                  j.native_run, j.fallback_calls, j.privileged_calls, j.interp_steps, j.cold_steps, j.native_insns,
                  j.insns_translated);
    out += buf;
    if (!profile_) out += "jit: block runs not counted (no --stats): native instructions and TLB probes run are not known\n";
    // Hits are derived (no counter on the fast path): probes run minus slow paths entered.
    const uint64_t misses = j.slow_paths, hits = j.probes_run >= misses ? j.probes_run - misses : 0;
    std::snprintf(buf, sizeof buf, "jit: inline TLB probes %" PRIu64 ": %" PRIu64 " hits, %" PRIu64
                  " misses (slow paths: TLB miss, page crossing, MMIO, code page)\n", j.probes_run, hits, misses);
    out += buf;
    std::snprintf(buf, sizeof buf, "jit: inline TLB probes emitted %" PRIu64 ", of a constant page %" PRIu64
                  " (every register of the address bounded), folded into the access %" PRIu64
                  ", with a predicted addend %" PRIu64 " (%" PRIu64 " loads of the prediction left out: rbp kept from the probe before)"
                  ", of an address aligned to its size %" PRIu64 ", calls of a shared probe out of line %" PRIu64 "\n",
                  j.probes_emitted, j.const_probes, j.folded_accesses, j.predicted_probes, j.predicted_kept,
                  j.aligned_probes, j.shared_probes);
    out += buf;
    std::snprintf(buf, sizeof buf, "jit: MOVZX of a register known to fit its source (its bound) %" PRIu64
                  ": a MOV or nothing\n", j.movzx_left);
    out += buf;
    std::snprintf(buf, sizeof buf, "jit: self-loops with lazy flags %" PRIu64 " (the CMP before the back edge not captured)"
                  ", others with two turns per entry test %" PRIu64 "; of both, with a stack group probed once"
                  " per entry %" PRIu64 "; of both, with a side trace back into the loop %" PRIu64
                  " (turns whose trace's way and loop's way run as one select, without the branch: %" PRIu64 ")\n",
                  j.lazy_loops, j.two_turn_loops, j.group_reuse_loops, j.side_traces, j.selects);
    out += buf;
    std::snprintf(buf, sizeof buf, "jit: superblocks %" PRIu64 " (blocks going on past a Jcc), side exits %" PRIu64
                  "; translated again with their learnt ways %" PRIu64 ", Jccs followed at the way taken %" PRIu64
                  " (blocks going on before their start %" PRIu64 "), learnt again %" PRIu64 "\n",
                  j.superblocks, j.side_exits, j.relearnt, j.flipped, j.back_ways, j.learnt_again);
    out += buf;
    // The forms run through fallback calls, most frequent first.
    std::vector<size_t> order;
    for (size_t i = 0; i < fallbacks_.count.size(); ++i)
        if (fallbacks_.count[i]) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return fallbacks_.count[x] != fallbacks_.count[y] ? fallbacks_.count[x] > fallbacks_.count[y] : x < y;
    });
    if (!order.empty()) {
        out += "jit: fallback calls by form:";
        const size_t shown = std::min<size_t>(order.size(), kFallbackRowsShown);
        for (size_t k = 0; k < shown; ++k) {
            std::snprintf(buf, sizeof buf, "%s %s %" PRIu64, k ? "," : "", fallbacks_.shape[order[k]].c_str(),
                          fallbacks_.count[order[k]]);
            out += buf;
        }
        if (order.size() > shown) {
            uint64_t rest = 0;
            for (size_t k = shown; k < order.size(); ++k) rest += fallbacks_.count[order[k]];
            std::snprintf(buf, sizeof buf, ", %zu more forms %" PRIu64, order.size() - shown, rest);
            out += buf;
        }
        out += "\n";
    }
    return out;
}

uint64_t* FallbackCounts::counter(const std::string& s) {
    auto [it, added] = index.emplace(s, count.size());
    if (added) {
        count.push_back(0);
        shape.push_back(s);
    }
    return &count[it->second];
}

std::string fallback_shape(const Insn& in) {
    std::string s;
    if (in.lock()) s += "lock ";
    if (in.row->facts & kString) {
        const ZydisMnemonic m = in.mnem();
        const bool compare = m == ZYDIS_MNEMONIC_CMPSB || m == ZYDIS_MNEMONIC_CMPSW || m == ZYDIS_MNEMONIC_CMPSD ||
                             m == ZYDIS_MNEMONIC_SCASB || m == ZYDIS_MNEMONIC_SCASW || m == ZYDIS_MNEMONIC_SCASD;
        if (in.rep()) s += compare ? "repe " : "rep ";
        else if (in.repne()) s += compare ? "repne " : "rep ";
    }
    s += ZydisMnemonicGetString(in.mnem());
    bool mem = in.row->facts & kString;
    for (unsigned i = 0; i < in.nops(); ++i) {
        s += i ? ", " : " ";
        const unsigned bits = 8 * in.size(i);
        if (in.is_mem(i)) {
            s += "m" + std::to_string(bits);
            mem = true;
        } else if (in.is_imm(i)) {
            s += "i" + std::to_string(bits);
        } else if (in.is_reg(i)) {
            const ZydisRegister r = in.regv(i);
            if (r == ZYDIS_REGISTER_CL && i == 1) s += "cl";
            else if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR8 || ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR16 ||
                     ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_GPR32)
                s += "r" + std::to_string(bits);
            else s += ZydisRegisterGetString(r);
        } else {
            s += "p";  // a far pointer
        }
    }
    if (in.nops() == 0 && !(in.row->facts & kString) && in.opsize() == 2) s += " o16";  // PUSHF, IRET...
    if (mem && in.asize == 2) s += " a16";
    return s;
}

} // namespace xlat
