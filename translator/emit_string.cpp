// Fast REP MOVS and REP STOS (byte, word, dword; DF either way) for flat segments and 32-bit
// addressing (translator/emitter.h). The block calls helper_rep_string, which copies or fills
// page-sized runs through host pointers taken from the TLB and keeps exactly the interpreter's
// contract (cpu/string.cpp, docs/runloop.md):
//  - one icount per iteration: the instruction counts one (as a native instruction of the
//    block), every further iteration one more;
//  - it stops between iterations, EIP on the instruction and RF set, when the budget
//    (Cpu::icount_end) is spent or the exit request has a bit the interpreter would stop for;
//  - an element the fast path cannot take (a page the TLB cannot hold for the access: a miss
//    that faults, MMIO, a code page, ROM for writes; an element crossing a page) runs as one
//    iteration of the semantics function, which raises its faults and reports code writes
//    exactly; then the fast path goes on. ECX, ESI and EDI count the completed iterations.
// Each run's source and destination are translated (source first, as each iteration reads
// before it writes) before anything is copied, so a fault sets the accessed and dirty bits the
// interpreter's accesses would.
#include <algorithm>
#include <cstring>

#include "cpu/flags.h"
#include "cpu/mode.h"
#include "cpu/table.h"
#include "translator/emitter.h"
#include "translator/helpers.h"

namespace xlat {

namespace {

constexpr uint64_t kRepBurst = 1024;  // cpu/string.cpp: iterations of one interpreter step

// The exit-request part of the interpreter's yield rule (cpu/string.cpp, rep_must_yield):
// kExitCode never stops a REP; kExitIrq only when an interrupt could be taken now.
bool exit_wanted(Cpu& c) {
    const uint32_t req = c.exit_request.load(std::memory_order_relaxed);
    if (req & ~(Cpu::kExitIrq | Cpu::kExitCode)) return true;
    return (req & Cpu::kExitIrq) && ((c.s.nmi_pending && !c.s.nmi_blocked) ||
                                     (c.flag(IF) && c.intr_source && c.intr_source->intr()));
}

// Whole elements of `sz` bytes from `lin` to the end of its page in the direction of the
// string (down: towards the page start); 0 when the element at `lin` crosses the page.
uint32_t elements_in_page(uint32_t lin, unsigned sz, bool down) {
    const uint32_t off = lin & ~kPageMask;
    if (off + sz > kPageSize) return 0;
    return down ? off / sz + 1 : (kPageSize - off) / sz;
}

// Host address of `lin` for an access of kind `acc` through the TLB (filled on a miss), or
// null when the TLB cannot hold it (a fault, MMIO, a code page or ROM for writes).
uint8_t* host_of(Cpu& c, uint32_t lin, Access acc, bool user) {
    const TlbEntry& e = c.mmu.tlb_entries(user)[(lin >> kPageBits) & (kTlbEntries - 1)];
    if ((lin & kPageMask) != e.tag[int(acc)]) {
        uint64_t paddr;
        GuestFault f;
        if (!c.mmu.try_translate(lin, acc, user, paddr, f)) return nullptr;
        if ((lin & kPageMask) != e.tag[int(acc)]) return nullptr;
    }
    return reinterpret_cast<uint8_t*>(uintptr_t(lin) + e.addend);
}

// `k` iterations of MOVS from s to d (host addresses of the first element) in the string's
// order: element by element where the two ranges overlap, as the guest would see it.
void copy_run(uint8_t* d, const uint8_t* s, uint32_t k, unsigned sz, bool down) {
    const size_t bytes = size_t(k) * sz;
    uint8_t* dlow = down ? d - (bytes - sz) : d;
    const uint8_t* slow = down ? s - (bytes - sz) : s;
    if (dlow + bytes <= slow || slow + bytes <= dlow) {
        std::memcpy(dlow, slow, bytes);
        return;
    }
    const ptrdiff_t step = down ? -ptrdiff_t(sz) : ptrdiff_t(sz);
    for (uint32_t i = 0; i < k; ++i, d += step, s += step) std::memmove(d, s, sz);
}

void fill_run(uint8_t* d, uint32_t v, uint32_t k, unsigned sz, bool down) {
    uint8_t* low = down ? d - (size_t(k) - 1) * sz : d;
    if (sz == 1) {
        std::memset(low, int(v & 0xFF), k);
        return;
    }
    for (uint32_t i = 0; i < k; ++i) std::memcpy(low + size_t(i) * sz, &v, sz);  // little-endian host
}

// The whole REP MOVS/STOS instruction at `eip` (ECX, ESI, EDI 32-bit; segments flat).
uint32_t helper_rep_string(Cpu* cp, const Insn* in, uint32_t eip) noexcept {
    Cpu& c = *cp;
    CpuState& s = c.s;
    s.insn_eip = eip;
    s.set_eip(in->next_eip);
    const uint64_t start = s.icount;
    const ZydisMnemonic m = in->mnem();
    const bool movs = m == ZYDIS_MNEMONIC_MOVSB || m == ZYDIS_MNEMONIC_MOVSW || m == ZYDIS_MNEMONIC_MOVSD;
    const unsigned sz = in->opsize();
    const bool down = s.eflags & DF;
    const bool user = c.user();
    const uint32_t step = down ? uint32_t(0) - sz : sz;
    uint32_t count = s.reg32(ECX);
    if (count == 0) return kBlockNext;  // no iteration; the instruction still counts one
    // Iterations allowed before the budget stops the loop (the interpreter yields after the
    // iteration that brings icount + 1 to icount_end).
    const uint64_t budget = c.icount_end > start ? c.icount_end - start : 1;
    uint64_t done = 0;
    uint32_t status = kBlockNext;
    for (;;) {
        const uint32_t di = s.reg32(EDI), si = s.reg32(ESI);
        uint64_t k = count;
        k = std::min<uint64_t>(k, elements_in_page(di, sz, down));
        if (movs) k = std::min<uint64_t>(k, elements_in_page(si, sz, down));
        k = std::min<uint64_t>(k, budget - done);
        const uint8_t* src = nullptr;
        uint8_t* dst = nullptr;
        if (k && movs) src = host_of(c, si, Access::Read, user);
        if (k && (src || !movs)) dst = host_of(c, di, Access::Write, user);
        if (dst) {
            if (movs) copy_run(dst, src, uint32_t(k), sz, down);
            else fill_run(dst, s.reg32(EAX), uint32_t(k), sz, down);
            s.set_reg32(EDI, di + uint32_t(k) * step);
            if (movs) s.set_reg32(ESI, si + uint32_t(k) * step);
            s.icount += k - (done ? 0 : 1);
        } else {
            // An element the fast path cannot take (a TLB miss that may fault, MMIO, no memory
            // behind the address, a code page, a page crossing): the interpreter's own loop
            // from here, for as far as it goes in one step: to the end, a fault (ECX, ESI, EDI as
            // the completed iterations left them), or a stop between iterations (its burst, the
            // budget, the exit request: EIP back on the instruction, RF set), after which the
            // interpreter takes the rest. One element at a time here would walk the page tables
            // once per element over memory with nothing behind it.
            if (done) ++s.icount;
            status = helper_semantics(&c, in);
            done += count - s.reg32(ECX);
            break;
        }
        done += k;
        count -= uint32_t(k);
        s.set_reg32(ECX, count);
        if (count == 0) break;
        if (done >= budget || exit_wanted(c)) {
            // Stop between iterations as the interpreter does: resume here, RF set.
            s.set_eip(eip);
            s.eflags |= RF;
            break;
        }
    }
    // Per-mnemonic statistics as the interpreter keeps them: the dispatcher counts this
    // instruction once after a whole run of the block (and not when it faulted); the
    // interpreter also counts every further iteration, and for a REP that faults, the
    // iterations of the steps of kRepBurst (1024, cpu/string.cpp) it had completed before.
    if (status == kBlockNext) c.stats.executed[in->mnemonic] += s.icount - start;
    else c.stats.executed[in->mnemonic] += kRepBurst * (done / kRepBurst);
    return status;
}

bool flat(const Emitter& e, unsigned sr) { return mode_bits(e.key) & (1u << (kModeFlatShift + sr)); }

} // namespace

bool emit_rep_string(Emitter& e, const Insn& in) {
    if (!(in.rep() || in.repne()) || !e.last || in.nops() != 0 || in.asize != 4 || (e.disabled & kDisableTlb)) return false;
    const unsigned sz = in.opsize();
    if (sz != 1 && sz != 2 && sz != 4) return false;
    const ZydisMnemonic m = in.mnem();
    const bool movs = m == ZYDIS_MNEMONIC_MOVSB || m == ZYDIS_MNEMONIC_MOVSW || m == ZYDIS_MNEMONIC_MOVSD;
    if (!flat(e, ES)) return false;
    if (movs) {
        const unsigned sr = unsigned(in.mem.segment) - ZYDIS_REGISTER_ES;
        if (sr >= kSegCount || !flat(e, sr)) return false;
    }
    x86::Assembler& a = e.a;
    e.commit_icount();
    e.call_helper(&helper_rep_string, &in, e.eip);  // ECX, ESI, EDI (and EAX) from CpuState
    a.test(x86::eax, x86::eax);
    a.jnz(e.fault_exit);
    e.reload();  // ECX, ESI, EDI as the helper left them
    e.rip_set = true;  // the helper set rip: the next instruction, or this one to resume
    return true;
}

} // namespace xlat
