#include "translator/interp.h"

#include "translator/helpers.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace xlat {

Interpreter::Interpreter(Cpu& cpu)
    : cpu_(cpu), table_(instruction_table()), decoder_(table_), cache_(kCacheEntries), page_end_(kPageEndEntries) {}

void Interpreter::decode(Insn& in) {
    CpuState& s = cpu_.s;
    // Instruction bytes must lie within the CS limit: the first one decides #GP(0) at once, the
    // decoder asks for more only as far as the instruction really extends.
    const uint32_t eip = s.eip();
    const uint32_t lin = cpu_.linear(CS, eip, 1, Access::Exec);
    const uint32_t room = s.seg[CS].limit - eip;  // bytes after the first one inside the limit
    const unsigned avail = room >= ZYDIS_MAX_INSTRUCTION_LENGTH - 1 ? ZYDIS_MAX_INSTRUCTION_LENGTH : room + 1;
    uint8_t* buf = scratch_bytes_;
    unsigned have = cpu_.mmu.fetch(lin, buf, avail, cpu_.user());
    const DecodeMode mode = decode_mode(s);
    const bool x87_nm = s.cr0 & (CR0_EM | CR0_TS);
    for (;;) {
        switch (decoder_.decode(buf, have, avail, eip, mode, x87_nm, in)) {
        case DecodeStatus::Ok: last_bytes_ = buf; return;
        case DecodeStatus::NeedMore:  // the instruction continues on the next page
            have += cpu_.mmu.fetch(lin + have, buf + have, avail - have, cpu_.user());
            continue;
        case DecodeStatus::PastLimit: raise_fault(kGP, 0);  // past the CS limit or 15 bytes
        case DecodeStatus::X87Absent: raise_fault(kNM);
        case DecodeStatus::Undefined: cpu_.undefined(nullptr);
        }
    }
}

const Insn& Interpreter::fetch() {
    CpuState& s = cpu_.s;
    const uint32_t lin = cpu_.linear(CS, s.eip(), 1, Access::Exec);
    const uint8_t* host = cpu_.mmu.exec_host(lin, cpu_.user());  // faults as the decoder's fetch would
    if ((lin & ~kPageMask) > kPageSize - 16 && host) return fetch_page_end(lin, host);  // RAM or ROM
    if (!host) {
        ++decodes_;
        decode(scratch_);
        return scratch_;
    }
    last_bytes_ = host;
    const uint8_t mode = uint8_t(decode_mode(s));
    CachedInsn& e = cache_[cache_slot(host)];
    uint64_t now[2];
    std::memcpy(now, host, 16);
    if (e.host == host && e.mode == mode && (now[0] & e.mask[0]) == e.bytes[0] && (now[1] & e.mask[1]) == e.bytes[1]) {
        // Still the same bytes: only the limit check and the next EIP depend on where it runs.
        const uint32_t last = s.eip() + e.insn.length - 1u;
        if (last < s.eip() || last > s.seg[CS].limit) raise_fault(kGP, 0);
        e.insn.next_eip = s.eip() + e.insn.length;
        if (mode != 2) e.insn.next_eip &= 0xFFFF;
        return e.insn;
    }
    ++decodes_;
    decode(e.insn);
    last_bytes_ = host;
    const unsigned len = e.insn.length;
    e.host = host;
    e.mode = mode;
    e.mask[0] = len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
    e.mask[1] = len <= 8 ? 0 : len >= 16 ? ~0ull : (1ull << (8 * (len - 8))) - 1;
    e.bytes[0] = now[0] & e.mask[0];
    e.bytes[1] = now[1] & e.mask[1];
    return e.insn;
}

const Insn& Interpreter::fetch_page_end(uint32_t lin, const uint8_t* host) {
    CpuState& s = cpu_.s;
    const uint32_t eip = s.eip();
    const uint8_t mode = uint8_t(decode_mode(s));
    PageEndInsn& e = page_end_[(lin ^ (lin >> 12)) & (kPageEndEntries - 1)];
    const unsigned len = e.insn.length;
    const uint32_t last = eip + len - 1u;
    // Past the CS limit the decoder below raises the #GP (and reads only what it may).
    if (e.lin == lin && e.mode == mode && last >= eip && last <= s.seg[CS].limit) {
        // The first page's bytes at `host` (fetch() translated it), then the next page's through
        // the TLB as the decoder reads them, whose fault (an instruction that crosses into a page
        // not present) is the same #PF.
        uint8_t now[ZYDIS_MAX_INSTRUCTION_LENGTH];
        const unsigned room = kPageSize - (lin & ~kPageMask);
        unsigned have = len < room ? len : room;
        std::memcpy(now, host, have);
        if (have < len) have += cpu_.mmu.fetch(lin + have, now + have, len - have, cpu_.user());
        if (std::memcmp(now, e.bytes, len) == 0) {
            e.insn.next_eip = eip + len;
            if (mode != 2) e.insn.next_eip &= 0xFFFF;
            last_bytes_ = e.bytes;
            return e.insn;
        }
    }
    ++decodes_;
    e.mode = 0xFF;  // empty should the decode fault
    decode(e.insn);
    e.lin = lin;
    e.mode = mode;
    std::memcpy(e.bytes, scratch_bytes_, e.insn.length);
    last_bytes_ = e.bytes;
    return e.insn;
}

bool Interpreter::cached(const uint8_t* host, DecodeMode mode, Insn& out) const {
    const CachedInsn& e = cache_[cache_slot(host)];
    if (e.host != host || e.mode != uint8_t(mode)) return false;
    uint64_t now[2];
    std::memcpy(now, host, 16);
    if ((now[0] & e.mask[0]) != e.bytes[0] || (now[1] & e.mask[1]) != e.bytes[1]) return false;
    out = e.insn;
    return true;
}

void Interpreter::step() {
    CpuState& s = cpu_.s;
    s.insn_eip = s.eip();
    s.inhibit_irq = 0;  // the shadow of STI / MOV SS covered only the boundary before this one
    s.single_step = (s.eflags & TF) ? 1 : 0;  // TF as the instruction starts (SDM Vol. 3A, 17.3.1.4)
    cpu_.debug_hits = 0;
    try {
        // Instruction breakpoints fault before the instruction runs, unless RF says the
        // handler returned to it already (SDM Vol. 3A, 17.3.1.1).
        // RF covers this instruction only; an IRET or POPF that sets it keeps it for the next.
        const bool resume = s.eflags & RF;
        s.eflags &= ~RF;
        if (!resume) {
            if (uint32_t hits = cpu_.code_breakpoint_hits(s.seg[CS].base + s.eip())) {
                s.dr[6] |= hits;
                raise_fault(kDB);
            }
        }
        const Insn& in = fetch();
        if (cpu_.trace.on(kTraceInsn) && cpu_.trace.pc_wanted(s.seg[CS].base + s.eip())) {
            cpu_.trace.log(kTraceInsn, "%04x:%08x  %-32s eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x esp=%08x fl=%08x",
                           s.seg[CS].selector, s.eip(), disassemble(in).c_str(), s.reg32(EAX), s.reg32(EBX),
                           s.reg32(ECX), s.reg32(EDX), s.reg32(ESI), s.reg32(EDI), s.reg32(EBP), s.reg32(ESP),
                           s.eflags);
        }
        if (cpu_.trace.on(kTraceExec)) {
            if (cpu_.trace.pc_wanted(s.seg[CS].base + s.eip())) trace_exec(disassemble(in).c_str());
            if (in.mnemonic == debug_break) {  // the planted divergence: skip the semantics
                s.set_eip(in.next_eip);
                ++s.icount;
                return;
            }
        }
        if (!in.row) cpu_.undefined(&in);
        s.set_eip(in.next_eip);
        const uint64_t counted_before = s.icount;
        // The same non-throwing call a translated block makes for a row without an emitter.
        if (helper_semantics(&cpu_, &in) != kBlockNext) {
            // The iterations a REP string instruction completed before the one that faulted
            // retired (each counted in icount): statistics count them too, so that they do
            // not depend on where the steps of a long REP began (cpu/string.cpp, kRepBurst).
            cpu_.stats.executed[in.mnemonic] += s.icount - counted_before;
            deliver_pending_fault(cpu_);
            ++s.icount;
            return;
        }
        // A REP string instruction counts its further iterations itself (cpu/string.cpp).
        cpu_.stats.executed[in.mnemonic] += 1 + (s.icount - counted_before);
    } catch (const GuestFault& f) {
        // Faults of the fetch and decode, and instruction breakpoints. An instruction that does
        // not decode (#UD) still gets its exec line, as QEMU logs the block that raises it.
        if (f.vector == kUD && cpu_.trace.on(kTraceExec) && cpu_.trace.pc_wanted(s.seg[CS].base + s.eip()))
            trace_exec("(undefined opcode)");
        s.fault = PendingFault{1, f.vector, f.error_code, f.address};
        deliver_pending_fault(cpu_);
        ++s.icount;
        return;
    }
    ++s.icount;
    debug_traps();
}

void Interpreter::trace_exec(const char* text) {
    // One line of key=value fields: the state before the instruction, as QEMU's -d cpu prints
    // it at the entry of each translation block (one instruction each with -singlestep).
    const CpuState& s = cpu_.s;
    char segs[6][24];
    static constexpr const char* kNames[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (unsigned i = 0; i < 6; ++i)
        std::snprintf(segs[i], sizeof segs[i], "%s=%04x/%08x", kNames[i], s.seg[i].selector, uint32_t(s.seg[i].base));
    cpu_.trace.log(kTraceExec,
                   "eip=%08x eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x esp=%08x efl=%08x "
                   "%s %s %s %s %s %s cr0=%08x cr2=%08x cr3=%08x cr4=%08x | %s",
                   s.eip(), s.reg32(EAX), s.reg32(EBX), s.reg32(ECX), s.reg32(EDX), s.reg32(ESI), s.reg32(EDI),
                   s.reg32(EBP), s.reg32(ESP), s.eflags, segs[0], segs[1], segs[2], segs[3], segs[4], segs[5],
                   uint32_t(s.cr0), uint32_t(s.cr2), uint32_t(s.cr3), uint32_t(s.cr4), text);
}

void Interpreter::debug_traps() {
    CpuState& s = cpu_.s;
    // Debug traps after the instruction: data breakpoints, single step (not after INT n, INT3
    // or INTO, which clear TF on the way into their handler), the T bit of a new task.
    uint32_t dr6 = cpu_.debug_hits | s.held_dr6;
    s.held_dr6 = 0;
    if (s.single_step) dr6 |= 1u << 14;  // DR6.BS
    s.single_step = 0;
    const uint8_t task_trap = s.task_trap;
    s.task_trap = 0;
    if (!dr6 && !task_trap) return;
    if (s.inhibit_irq & kShadowDebug) {
        // MOV SS / POP SS hold debug traps until after the next instruction.
        s.held_dr6 = dr6;
        s.task_trap = task_trap;
        return;
    }
    s.dr[6] |= dr6;
    s.insn_eip = s.eip();  // a trap reports the next instruction
    cpu_.deliver_fault(GuestFault{kDB, 0, 0});
}

StopReason Interpreter::run(uint64_t max_insns) {
    CpuState& s = cpu_.s;
    const uint64_t end = max_insns ? s.icount + max_insns : UINT64_MAX;
    cpu_.icount_end = end;  // REP string instructions stop between iterations there
    const StopReason r = blocks_ ? run_blocks(end) : run_steps(end);
    cpu_.icount_end = UINT64_MAX;
    return r;
}

namespace {

// Takes the stop reason the run ended with.
StopReason take_stop(Cpu& cpu) {
    StopReason r = StopReason(cpu.s.pending_exit);
    cpu.s.pending_exit = 0;
    cpu.exit_request.fetch_and(~Cpu::kExitStop, std::memory_order_acq_rel);  // the stop is taken
    return r;
}

} // namespace

StopReason Interpreter::run_steps(uint64_t end) {
    CpuState& s = cpu_.s;
    for (;;) {
        // One load per boundary (docs/runloop.md): interrupts, stops, timers and other threads
        // all come through the exit request; nothing is polled here.
        if (const uint32_t req = cpu_.exit_request.load(std::memory_order_acquire)) {
            // The debugger's single step runs exactly one instruction: no interrupt first.
            if ((req & Cpu::kExitIrq) && !(cpu_.debugger_armed() && cpu_.debugger.single_step)) {
                // Clear first, so that an INTR rising while we look sets it again.
                cpu_.exit_request.fetch_and(~Cpu::kExitIrq, std::memory_order_acq_rel);
                if (cpu_.accept_interrupts()) {
                    ++s.icount;  // a delivery counts as a step, so a budget bounds an interrupt storm
                    cpu_.request_exit(Cpu::kExitIrq);  // another may be waiting behind it
                    continue;
                }
                // In an STI / MOV SS shadow: look again after the next instruction. Otherwise
                // nothing can be taken (IF clear, NMI blocked, INTR gone) until something
                // that sets the bit again: INTR rising, IF rising (STI, POPF, IRET, a task
                // switch: Cpu::interrupt_window_opened), the IRET that ends NMI blocking.
                if (s.inhibit_irq) cpu_.request_exit(Cpu::kExitIrq);
            }
            if (req & ~Cpu::kExitIrq) break;  // a stop, a timer, another thread: Machine::run
        }
        if (s.icount >= end) { cpu_.request_stop(StopReason::MaxInsns); break; }
        // A halted CPU sleeps in Machine::run, until its next deadline or an interrupt.
        if (s.halted) break;
        // The debugger's breakpoints and single step (cpu/debug_stops.h): one load when unset.
        if (cpu_.debugger_armed() && cpu_.debugger_stop_before()) {
            cpu_.request_stop(StopReason::Debug);
            break;
        }
        step();
        if (cpu_.debugger_armed() && cpu_.debugger_stop_after()) {
            cpu_.request_stop(StopReason::Debug);
            break;
        }
    }
    return take_stop(cpu_);
}

// ---- the block path ----
//
// A block runs instead of steps only at a boundary where step() would do nothing but fetch and
// run: no TF (single step), no RF, no interrupt shadow (nor debug traps it holds), no DR7
// breakpoint (code, data or I/O), no alignment checking at CPL 3, no debugger stop and no
// --trace insn. Inside the block nothing can bring one of those about without ending the block
// (every row that changes them has kEndsBlock: tests/mode_key_test.cpp) or being seen after the
// instruction (the interrupt shadow, HLT, the exit request), so each instruction runs exactly as
// step() would run it.

namespace {

// What a block's decoding depends on besides its bytes and EIP: the decoder's mode, CR0.EM/TS
// (bad x87 opcodes decode as #NM) and the CS limit (where decode_block stops).
uint64_t block_key(const CpuState& s) {
    return (uint64_t(uint32_t(decode_mode(s)) | ((s.cr0 & (CR0_EM | CR0_TS)) ? 4u : 0u)) << 32) | s.seg[CS].limit;
}

// Whether the block after one ending in `last` may come from the block's links (Block::next):
// the end is a near branch (it changes EIP and maybe ESP and ECX, nothing a lookup checks), or
// an instruction that does not end blocks (the block stopped at its size cap or the page end).
// Anything else that ends a block (far transfers, mode, control and segment register loads,
// INVLPG, POPF, HLT, interrupts, REP strings that may yield) goes back through run_blocks' checks.
bool may_follow(const Insn& last) {
    if (last.rep() || last.repne()) return false;
    if (!(last.row->facts & kEndsBlock)) return true;
    if (last.far()) return false;
    switch (last.mnem()) {
    case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL: case ZYDIS_MNEMONIC_RET:
    case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JNB:
    case ZYDIS_MNEMONIC_JZ: case ZYDIS_MNEMONIC_JNZ: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JNBE:
    case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JNP:
    case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JLE: case ZYDIS_MNEMONIC_JNLE:
    case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JCXZ: case ZYDIS_MNEMONIC_JECXZ:
        return true;
    default:
        return false;
    }
}

} // namespace

Interpreter::~Interpreter() { disable_blocks(); }

void Interpreter::disable_blocks() {
    if (!blocks_) return;
    PhysMem& phys = cpu_.mmu.phys();
    count_runs();
    blocks_->clear();
    blocks_.reset();
    if (phys.on_code_write_ctx == this) {
        phys.on_code_write = nullptr;
        phys.on_code_write_ctx = nullptr;
    }
    phys.remove_listener(this);
    flush_pending_ = false;
    // kExitCode is the block path's; run_steps would take it for a request to return.
    cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
}

void Interpreter::enable_blocks() {
    if (blocks_) return;
    PhysMem& phys = cpu_.mmu.phys();
    blocks_ = std::make_unique<BlockCache>(phys);
    phys.on_code_write = &Interpreter::code_written;
    phys.on_code_write_ctx = this;
    phys.add_listener(&Interpreter::map_changed, this);
}

void Interpreter::code_written(void* ctx, uint32_t paddr, unsigned size) {
    Interpreter& in = *static_cast<Interpreter*>(ctx);
    const uint32_t last = paddr + (size ? size - 1 : 0);
    unsigned n = in.blocks_->invalidate_page(paddr);
    if ((last >> kPageBits) != (paddr >> kPageBits)) n += in.blocks_->invalidate_page(last);
    if (!n) return;
    in.bstats_.invalidated += n;
    // The running block (the write may be its own, or a device's during an OUT) stops after
    // the writing instruction; its decoded instructions stay alive until the next flush.
    in.cpu_.request_exit(Cpu::kExitCode);
}

void Interpreter::map_changed(void* ctx, uint32_t, uint64_t) {
    // The bytes behind a host address may have changed (a region moved, A20): every block goes,
    // once none runs any more.
    Interpreter& in = *static_cast<Interpreter*>(ctx);
    in.flush_pending_ = true;
    in.cpu_.request_exit(Cpu::kExitCode);
}

void Interpreter::count_runs() {
    for (Block* b : counted_) {
        for (const auto& [mn, count] : b->mix) cpu_.stats.executed[mn] += uint64_t(count) * b->pending_runs;
        b->pending_runs = 0;
    }
    counted_.clear();
}

void Interpreter::flush() {
    flush_pending_ = false;
    count_runs();
    blocks_->clear();
    ++bstats_.flushes;
}

Block* Interpreter::translate(const uint8_t* host, uint32_t lin, uint32_t eip, uint32_t cs_base, uint64_t key) {
    const CpuState& s = cpu_.s;
    PhysMem& phys = cpu_.mmu.phys();
    const uint8_t* ram = phys.ram();
    const bool in_ram = host >= ram && host < ram + phys.ram_size();
    // Code rewritten again and again is stepped: a decode per write costs more than it saves.
    if (in_ram && blocks_->page_too_hot(uint32_t(host - ram))) return nullptr;
    const unsigned room = kPageSize - (lin & ~kPageMask);
    const unsigned n = decode_block(decoder_, host, room, eip, s.seg[CS].limit, decode_mode(s),
                                    s.cr0 & (CR0_EM | CR0_TS), 0, scratch_insns_, scratch_eips_);
    if (!n) return nullptr;
    if (blocks_->size() >= kMaxBlocks) flush_pending_ = true;  // flushed at the next turn
    auto b = std::make_unique<Block>();
    b->eip = eip;
    b->cs_base = cs_base;
    b->key = key;
    b->host = host;
    b->ninsns = uint16_t(n);
    b->insns.reset(new Insn[n]);
    b->eips.reset(new uint32_t[n]);
    std::memcpy(static_cast<void*>(b->insns.get()), scratch_insns_.data(), n * sizeof(Insn));
    std::memcpy(b->eips.get(), scratch_eips_.data(), n * sizeof(uint32_t));
    b->nbytes = uint16_t(scratch_eips_.back() - eip + scratch_insns_.back().length);
    b->fns.reset(new SemanticsFn[n]);
    for (unsigned i = 0; i < n; ++i) {
        b->fns[i] = semantics_for(scratch_insns_[i]);
        const uint16_t mn = scratch_insns_[i].mnemonic;
        auto it = std::find_if(b->mix.begin(), b->mix.end(), [&](const auto& p) { return p.first == mn; });
        if (it == b->mix.end()) b->mix.emplace_back(mn, 1);
        else ++it->second;
    }
    if (in_ram) {
        b->ram = true;
        b->paddr = uint32_t(host - ram);
    }
    b->follow = may_follow(scratch_insns_[n - 1]);
    ++bstats_.translated;
    bstats_.insns += n;
    return blocks_->insert(std::move(b));
}

Block* Interpreter::lookup() {
    const CpuState& s = cpu_.s;
    const uint32_t eip = s.eip();
    if (eip > s.seg[CS].limit) return nullptr;  // step() raises the #GP
    const uint32_t cs_base = s.seg[CS].base;
    const uint32_t lin = cs_base + eip;
    const uint8_t* host = cpu_.mmu.try_exec_host(lin, cpu_.user());
    if (!host) return nullptr;  // a fetch fault or MMIO: step()
    const uint64_t key = block_key(s);
    Block* b = blocks_->jump(lin);
    if (!b || !b->valid || b->host != host || b->eip != eip || b->cs_base != cs_base || b->key != key) {
        b = blocks_->find(host, eip, cs_base, key, 0);
        if (!b && !(b = translate(host, lin, eip, cs_base, key))) return nullptr;
        blocks_->set_jump(lin, b);
    }
    return b;
}

Block* Interpreter::follow(Block* b) {
    const CpuState& s = cpu_.s;
    const uint32_t eip = s.eip();
    for (unsigned k = 0; k < 2; ++k)
        if (b->next[k] && b->next_eip[k] == eip && b->next[k]->valid) {
            ++bstats_.linked;
            return b->next[k];
        }
    Block* n = lookup();
    if (flush_pending_) return nullptr;  // the cache is full: run_blocks flushes it first
    // Remembered when it can stand for a lookup later: the same linear page as `b` (whose host
    // address the lookup that began this run of blocks checked: the page maps where it did),
    // the same CS base and key (a near branch changes neither).
    if (n && n->cs_base == b->cs_base && n->key == b->key &&
        ((n->cs_base + n->eip) >> kPageBits) == ((b->cs_base + b->eip) >> kPageBits)) {
        unsigned k = b->next[0] && b->next_eip[0] != eip ? 1 : 0;
        if (k == 1 && b->next[1] && b->next_eip[1] != eip) {  // both taken: the older one goes
            b->next[0] = b->next[1];
            b->next_eip[0] = b->next_eip[1];
        }
        b->next[k] = n;
        b->next_eip[k] = eip;
    }
    return n;
}

bool Interpreter::run_block(Block* b, uint64_t budget) {
    CpuState& s = cpu_.s;
    const unsigned n = b->ninsns < budget ? b->ninsns : unsigned(budget);
    const Insn* insns = b->insns.get();
    const uint32_t* eips = b->eips.get();
    const SemanticsFn* fns = b->fns.get();
    const uint64_t start = s.icount;
    ++bstats_.runs;
    cpu_.debug_hits = 0;
    unsigned i = 0;
    bool stopped = false;
    try {
        while (i < n) {
            const Insn& in = insns[i];
            s.insn_eip = eips[i];
            s.set_eip(in.next_eip);
            fns[i](cpu_, in);
            ++s.icount;
            ++i;
            // What step() would look at before the next instruction: the exit request (a stop,
            // an interrupt, a write into this block's code), an interrupt shadow, HLT.
            if (cpu_.exit_request.load(std::memory_order_relaxed) | s.inhibit_irq | s.halted) {
                stopped = true;
                break;
            }
        }
    } catch (const GuestFault& f) {
        // Instruction i faulted: the ones before it retired, it counts as a step (as in step()),
        // and so did the iterations a REP string instruction completed before its fault.
        for (unsigned k = 0; k < i; ++k) ++cpu_.stats.executed[insns[k].mnemonic];
        cpu_.stats.executed[insns[i].mnemonic] += s.icount - start - i;
        s.fault = PendingFault{1, f.vector, f.error_code, f.address};
        deliver_pending_fault(cpu_);
        ++s.icount;
        return false;
    }
    if (i == b->ninsns) {
        if (b->pending_runs++ == 0) counted_.push_back(b);
    } else {
        for (unsigned k = 0; k < i; ++k) ++cpu_.stats.executed[insns[k].mnemonic];
    }
    // A REP string instruction (always last) counts its further iterations itself.
    if (const uint64_t extra = s.icount - start - i) cpu_.stats.executed[insns[i - 1].mnemonic] += extra;
    // A task switch's T bit (the task switch ends the block).
    if (s.task_trap | s.held_dr6 | s.single_step | cpu_.debug_hits) {
        debug_traps();
        return false;
    }
    return !stopped && i == b->ninsns;
}

bool Interpreter::per_insn_duties() const {
    const CpuState& s = cpu_.s;
    return (s.eflags & (TF | RF)) || s.inhibit_irq || (s.dr[7] & 0xFF) ||
           ((s.cr0 & CR0_AM) && (s.eflags & AC) && s.cpl == 3) || cpu_.trace.on(TraceFlag(kTraceInsn | kTraceExec)) ||
           cpu_.debugger_armed();
}

void Interpreter::step_block() {
    Block* b = nullptr;
    if (blocks_) {
        if (cpu_.exit_request.load(std::memory_order_acquire) & Cpu::kExitCode) {
            cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
            if (flush_pending_) flush();
        }
        if (!cpu_.exit_request.load(std::memory_order_acquire) && !per_insn_duties()) b = lookup();
    }
    if (!b) {
        step();
        return;
    }
    run_block(b, 1);
    count_runs();
}

StopReason Interpreter::run_blocks(uint64_t end) {
    CpuState& s = cpu_.s;
    for (;;) {
        if (const uint32_t req = cpu_.exit_request.load(std::memory_order_acquire)) {
            if (req & Cpu::kExitCode) {  // ours: a write hit decoded code, or the map changed
                cpu_.exit_request.fetch_and(~Cpu::kExitCode, std::memory_order_acq_rel);
                if (flush_pending_) flush();
            }
            // As run_steps.
            if ((req & Cpu::kExitIrq) && !(cpu_.debugger_armed() && cpu_.debugger.single_step)) {
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
        if (s.icount >= end) { cpu_.request_stop(StopReason::MaxInsns); break; }
        if (s.halted) break;
        if (flush_pending_) flush();
        if (cpu_.debugger_armed()) {
            if (cpu_.debugger_stop_before()) {
                cpu_.request_stop(StopReason::Debug);
                break;
            }
            step();
            if (cpu_.debugger_stop_after()) {
                cpu_.request_stop(StopReason::Debug);
                break;
            }
            continue;
        }
        Block* b = per_insn_duties() ? nullptr : lookup();
        if (!b) {
            ++bstats_.steps;
            step();
            continue;
        }
        // Following blocks: while a block runs to its end without anything for this loop to
        // look at (run_block says so) and ends the way may_follow() allows, the next block
        // comes from its links, skipping the checks above that nothing can have changed.
        while (run_block(b, end - s.icount) && b->follow && s.icount < end) {
            if (!(b = follow(b))) break;
        }
    }
    count_runs();
    return take_stop(cpu_);
}

std::string Interpreter::describe_stats() const {
    if (!blocks_) return {};
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "interpreter: blocks decoded %" PRIu64 " (%" PRIu64 " instructions), blocks run %" PRIu64
                  " (%" PRIu64 " through links), invalidated %" PRIu64 ", flushes %" PRIu64 ", single steps %" PRIu64 "\n",
                  bstats_.translated, bstats_.insns, bstats_.runs, bstats_.linked, bstats_.invalidated, bstats_.flushes,
                  bstats_.steps);
    return buf;
}

std::string Interpreter::disassemble(const Insn& in) const {
    if (!last_bytes_) return "(none)";
    return decoder_.disassemble(last_bytes_, in.length, decode_mode(cpu_.s), cpu_.s.seg[CS].base + cpu_.s.insn_eip);
}

} // namespace xlat
