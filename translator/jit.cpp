#include "translator/jit.h"

#include <asmjit/x86.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "cpu/mode.h"
#include "translator/emitter.h"
#include "translator/helpers.h"

namespace xlat {

namespace x86 = asmjit::x86;

uint32_t helper_fallback(Cpu* c, const Insn* in, uint32_t eip) noexcept {
    CpuState& s = c->s;
    s.insn_eip = eip;
    s.set_eip(in->next_eip);
    const uint64_t before = s.icount;
    const uint32_t st = helper_semantics(c, in);
    if (st != kBlockNext) return st;
    // A REP string instruction counts its further iterations itself (cpu/string.cpp).
    c->stats.executed[in->mnemonic] += 1 + (s.icount - before);
    ++s.icount;
    return kBlockNext;
}

Jit::Jit(Cpu& cpu, Interpreter& interp, size_t cache_bytes, uint32_t disabled)
    : cpu_(cpu), interp_(interp), decoder_(instruction_table()), arena_(cache_bytes), cache_(cpu.mmu.phys()),
      disabled_(disabled) {
    exit_disp_ = int32_t(reinterpret_cast<char*>(&cpu_.exit_request) - reinterpret_cast<char*>(&cpu_.s));
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

// The prologue and the epilogue, at the start of the arena (docs/translator.md): the prologue
// saves the six callee-saved registers and keeps rsp 16-byte aligned at every call a block
// makes; r15 = CpuState*, r14 = Cpu*; then it jumps to the block (third argument).
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
    a.mov(x86::r15, x86::rdi);
    a.mov(x86::r14, x86::rsi);
    a.jmp(x86::rdx);
    a.align(asmjit::AlignMode::kCode, 16);
    const size_t epi = code.textSection()->buffer().size();
    a.add(x86::rsp, 8);
    a.pop(x86::r15);
    a.pop(x86::r14);
    a.pop(x86::r13);
    a.pop(x86::r12);
    a.pop(x86::rbp);
    a.pop(x86::rbx);
    a.ret();
    code.flatten();
    code.resolveUnresolvedLinks();
    code.relocateToBase(uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor())));
    const asmjit::CodeBuffer& buf = code.textSection()->buffer();
    uint8_t* at = static_cast<uint8_t*>(arena_.commit(buf.data(), buf.size()));
    enter_ = reinterpret_cast<EnterFn>(at);
    epilogue_ = at + epi;
    fixed_bytes_ = arena_.used();
}

namespace {

// The six arithmetic flags live after each instruction of a block (kFlagBit* bits). At the end
// of the block all are. An instruction kills what it always writes only when it cannot fault and
// writes them whatever its operands (the ALU group, INC/DEC, NEG on registers): before
// anything that may fault or is a fallback call, every flag is live, so that a fault or a
// semantics function sees the interpreter's EFLAGS.
void flag_liveness(const Block& b, std::vector<uint8_t>& live_after) {
    live_after.assign(b.ninsns, 0x3F);
    uint8_t live = 0x3F;
    for (unsigned i = b.ninsns; i-- > 0;) {
        live_after[i] = live;
        const Insn& in = b.insns[i];
        bool mem = false;
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

} // namespace

bool Jit::emit(Block& b) {
    const uint64_t base = uint64_t(reinterpret_cast<uintptr_t>(arena_.cursor()));
    asmjit::CodeHolder code;
    code.init(asmjit::Environment::host(), base);
    x86::Assembler a(&code);
    const uint64_t epilogue = uint64_t(reinterpret_cast<uintptr_t>(epilogue_));
    asmjit::Label exit_req = a.newLabel(), done = a.newLabel(), out = a.newLabel();
    const x86::Mem exit_word = x86::dword_ptr(x86::r15, exit_disp_);
    std::vector<uint8_t> live;
    flag_liveness(b, live);
    Emitter e(a, cpu_, b.key, disabled_, exit_disp_, epilogue, out);
    b.native.reset(new uint16_t[b.ninsns]);
    b.native_mix.clear();
    // The exit request at block entry: nothing of the block runs when it is set.
    a.cmp(exit_word, 0);
    a.jne(exit_req);
    bool last_native = false;
    for (unsigned i = 0; i < b.ninsns; ++i) {
        const Insn& in = b.insns[i];
        const bool last = i + 1 == b.ninsns;
        e.begin(in, b.eips[i], (disabled_ & kDisableFlags) ? 0x3F : live[i], last);
        uint32_t category = 0;
        const NativeEmitFn fn = (disabled_ & kDisableAll) ? nullptr : native_emitter(in.mnem(), category);
        b.native[i] = 0;
        if (fn && !(disabled_ & category) && fn(e, in)) {
            e.end_native();
            ++e.pending;
            b.native[i] = in.mnemonic;
            ++rows_.native[in.mnemonic];  // xlat explain's classes
            auto it = std::find_if(b.native_mix.begin(), b.native_mix.end(),
                                   [&](const auto& p) { return p.first == in.mnemonic; });
            if (it == b.native_mix.end()) b.native_mix.emplace_back(in.mnemonic, 1);
            else ++it->second;
            last_native = true;
            if (last && !e.rip_set) e.set_rip(in.next_eip);
            continue;
        }
        last_native = false;
        ++rows_.helper[in.mnemonic];
        e.commit_icount();
        a.mov(x86::rdi, x86::r14);
        a.mov(x86::rsi, asmjit::imm(reinterpret_cast<uintptr_t>(&in)));
        a.mov(x86::edx, asmjit::imm(b.eips[i]));
        a.mov(x86::rax, asmjit::imm(reinterpret_cast<uintptr_t>(&helper_fallback)));
        a.call(x86::rax);
        a.test(x86::eax, x86::eax);
        a.jnz(out);  // kBlockFault in eax
        // Whatever the instruction set (a stop, an IRQ, a write into this block's page) is
        // acted on at the next boundary, as the interpreter does.
        if (!last) {
            a.cmp(exit_word, 0);
            a.jne(done);
        }
    }
    (void)last_native;
    e.commit_icount();
    a.bind(done);
    a.xor_(x86::eax, x86::eax);  // kBlockNext
    a.jmp(asmjit::imm(epilogue));
    a.bind(exit_req);
    a.mov(x86::eax, asmjit::imm(kBlockExit));
    a.bind(out);
    a.jmp(asmjit::imm(epilogue));
    e.emit_cold();
    if (code.flatten() || code.resolveUnresolvedLinks() || code.relocateToBase(base)) return false;
    const asmjit::CodeBuffer& buf = code.textSection()->buffer();
    if (buf.size() + 16 > arena_.left()) return false;
    b.code = arena_.commit(buf.data(), buf.size());
    b.code_size = uint32_t(buf.size());
    for (unsigned i = 0; i < b.ninsns; ++i)
        if (b.native[i]) ++stats_.native_insns, ++stats_.native_by_mnemonic[b.native[i]];
    return true;
}

bool Jit::needs_interp() const {
    const CpuState& s = cpu_.s;
    // An interrupt shadow, RF and the instruction traces are per-instruction business of the
    // interpreter's step; kModeInterp (TF, breakpoints, #AC) is tested with the key.
    return s.inhibit_irq || (s.eflags & RF) || cpu_.trace.on(TraceFlag(kTraceInsn | kTraceExec));
}

Block* Jit::translate(const uint8_t* host, uint32_t lin, uint32_t eip, uint32_t cs_base, uint64_t key, uint16_t cap) {
    const auto t0 = std::chrono::steady_clock::now();
    const CpuState& s = cpu_.s;
    const unsigned room = kPageSize - (lin & ~kPageMask);
    const unsigned n = decode_block(decoder_, host, room, eip, mode_cs_limit(key), decode_mode(s),
                                    s.cr0 & (CR0_EM | CR0_TS), cap, scratch_insns_, scratch_eips_);
    if (!n) return nullptr;
    auto b = std::make_unique<Block>();
    b->eip = eip;
    b->cs_base = cs_base;
    b->key = key;
    b->host = host;
    b->cap = cap;
    b->ninsns = uint16_t(n);
    b->insns.reset(new Insn[n]);
    b->eips.reset(new uint32_t[n]);
    std::memcpy(b->insns.get(), scratch_insns_.data(), n * sizeof(Insn));
    std::memcpy(b->eips.get(), scratch_eips_.data(), n * sizeof(uint32_t));
    b->nbytes = uint16_t(scratch_eips_.back() - eip + scratch_insns_.back().length);
    PhysMem& phys = cpu_.mmu.phys();
    const uint8_t* ram = phys.ram();
    if (host >= ram && host < ram + phys.ram_size()) {
        b->ram = true;
        b->paddr = uint32_t(host - ram);
        if (cache_.page_too_hot(b->paddr)) return nullptr;
    }
    if (!emit(*b)) {
        flush_pending_ = true;  // the arena is full: flushed at the dispatcher's next turn
        return nullptr;
    }
    ++stats_.blocks_translated;
    stats_.insns_translated += n;
    if (cpu_.trace.enabled(kTraceJit))
        cpu_.trace.log(kTraceJit, "translated %04x:%08x (linear %08x): %u instructions, %u guest bytes -> %u host bytes",
                       s.seg[CS].selector, eip, lin, n, unsigned(b->nbytes), unsigned(b->code_size));
    stats_.translate_ns += uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now() - t0).count());
    return cache_.insert(std::move(b));
}

Block* Jit::lookup(uint64_t budget) {
    const CpuState& s = cpu_.s;
    const uint64_t key = mode_cache_.get(s);
    if (mode_bits(key) & kModeInterp) return nullptr;
    const uint32_t eip = s.eip();
    if (eip > s.seg[CS].limit) return nullptr;  // the interpreter raises the #GP
    const uint32_t cs_base = s.seg[CS].base;
    const uint32_t lin = cs_base + eip;
    const uint8_t* host = cpu_.mmu.try_exec_host(lin, cpu_.user());
    if (!host) return nullptr;  // a fetch fault or MMIO: the interpreter
    Block* b = cache_.jump(lin);
    if (!b || !b->valid || b->host != host || b->eip != eip || b->cs_base != cs_base || b->key != key) {
        b = cache_.find(host, eip, cs_base, key, 0);
        if (!b && !(b = translate(host, lin, eip, cs_base, key, 0))) return nullptr;
        cache_.set_jump(lin, b);
    }
    if (b->ninsns <= budget) return b;
    // The budget ends inside the block: a shorter block stops exactly on it (--max-insns, icount).
    const uint16_t cap = uint16_t(budget);
    Block* s2 = cache_.find(host, eip, cs_base, key, cap);
    return s2 ? s2 : translate(host, lin, eip, cs_base, key, cap);
}

void Jit::run_block(Block* b) {
    CpuState& s = cpu_.s;
    ++stats_.blocks_run;
    ++b->runs;
    cpu_.debug_hits = 0;  // as each step begins
    const uint64_t before = s.icount;
    const uint32_t st = enter_(&s, &cpu_, b->code);
    // The native instructions that retired count in the per-mnemonic statistics: all of them
    // after a whole run, else those before the instruction where the block stopped (each
    // instruction of a block adds one to icount; only a REP string, always last, adds more).
    if (!b->native_mix.empty()) {
        const uint64_t done = s.icount - before;
        if (done >= b->ninsns) {
            for (const auto& [mn, count] : b->native_mix) cpu_.stats.executed[mn] += count;
        } else {
            for (unsigned i = 0; i < done; ++i)
                if (b->native[i]) ++cpu_.stats.executed[b->native[i]];
        }
    }
    if (st == kBlockFault) {
        deliver_pending_fault(cpu_);
        ++s.icount;
        return;
    }
    if (st == kBlockNext) interp_.debug_traps();  // a task switch's T bit
}

void Jit::flush() {
    flush_pending_ = false;
    cache_.clear();
    arena_.reset(fixed_bytes_);
    ++stats_.flushes;
}

void Jit::step() {
    if (flush_pending_) flush();
    Block* b = nullptr;
    if (!cpu_.exit_request.load(std::memory_order_acquire) && !needs_interp()) b = lookup(1);
    if (!b) {
        ++stats_.interp_steps;
        interp_.step();
        return;
    }
    run_block(b);
}

StopReason Jit::run(uint64_t max_insns) {
    CpuState& s = cpu_.s;
    // The debugger's breakpoints, watchpoints and single step are checked at every instruction
    // boundary by the interpreter (cpu/debug_stops.h); blocks do not stop there. The debugger
    // changes them only on the machine thread between runs, so one look here is enough.
    if (cpu_.debugger_armed()) {
        // kExitCode is ours: the interpreter would take it for a request to return.
        if (cpu_.exit_request.load(std::memory_order_acquire) & Cpu::kExitCode) {
            cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
            if (flush_pending_) flush();
        }
        return interp_.run(max_insns);
    }
    const uint64_t end = max_insns ? s.icount + max_insns : UINT64_MAX;
    cpu_.icount_end = end;  // REP string instructions stop between iterations there
    for (;;) {
        if (const uint32_t req = cpu_.exit_request.load(std::memory_order_acquire)) {
            if (req & Cpu::kExitCode) {
                cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
                if (flush_pending_) flush();
            }
            if (req & Cpu::kExitIrq) {
                // As Interpreter::run: clear first, so that an INTR rising while we look sets it again.
                cpu_.exit_request.fetch_and(~Cpu::kExitIrq, std::memory_order_acq_rel);
                if (cpu_.accept_interrupts()) {
                    ++s.icount;
                    cpu_.request_exit(Cpu::kExitIrq);
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
        Block* b = needs_interp() ? nullptr : lookup(end - s.icount);
        if (!b) {
            if (flush_pending_) flush();
            ++stats_.interp_steps;
            interp_.step();
            continue;
        }
        run_block(b);
    }
    StopReason r = StopReason(s.pending_exit);
    s.pending_exit = 0;
    cpu_.exit_request.fetch_and(~Cpu::kExitStop, std::memory_order_acq_rel);
    cpu_.icount_end = UINT64_MAX;
    return r;
}

std::string Jit::describe_stats() const {
    char buf[512];
    const JitStats& j = stats_;
    std::snprintf(buf, sizeof buf,
                  "jit: blocks translated %" PRIu64 " (%" PRIu64 " instructions, %.0f ns per instruction), "
                  "blocks run %" PRIu64 ", invalidated %" PRIu64 ", flushes %" PRIu64
                  ", native instructions %" PRIu64 " of %" PRIu64 " translated, interpreter steps %" PRIu64 ", arena %zu of %zu KiB\n",
                  j.blocks_translated, j.insns_translated,
                  j.insns_translated ? double(j.translate_ns) / double(j.insns_translated) : 0.0, j.blocks_run,
                  j.invalidated, j.flushes, j.native_insns, j.insns_translated, j.interp_steps, arena_.used() >> 10, arena_.size() >> 10);
    return buf;
}

} // namespace xlat
