// String instructions (translator/emitter.h): MOVS, CMPS, SCAS, LODS, STOS of bytes, words and
// dwords, DF either way, 16- or 32-bit addressing, over any segment the inline path can check.
//
// A single one (no REP prefix) is emitted inline: its operands through ea()/probe() (DS:(E)SI or
// its override, ES:(E)DI), the host's compare for CMPS/SCAS with its flags captured, then (E)SI
// and (E)DI advanced by the element size or back by it as DF says. A miss, MMIO, a code page or
// a segment check in doubt runs the whole instruction through its semantics function (slow path).
//
// A REP/REPE/REPNE one, always the last of its block, calls helper_rep_string, which walks
// page-sized runs through host pointers taken from the TLB and keeps exactly the interpreter's
// contract (cpu/string.cpp, docs/runloop.md):
//  - one icount per iteration: the instruction counts one (as a native instruction of the
//    block), every further iteration one more;
//  - CMPS/SCAS end after the iteration whose ZF is the prefix's stop value (REPE: 0, REPNE: 1),
//    with the flags of that last comparison;
//  - it stops between iterations, EIP on the instruction and RF set, when the budget
//    (Cpu::icount_end) is spent or the exit request has a bit the interpreter would stop for;
//  - an element the fast path cannot take (a page the TLB cannot hold for the access: a miss
//    that faults, MMIO, a code page, ROM for writes; an element crossing a page; a segment
//    whose kind or limit is in doubt; a 16-bit offset wrapping) runs the interpreter's own loop
//    for one step, which raises its faults and reports code writes exactly. ECX, ESI and EDI
//    count the completed iterations.
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
    // A pattern of one byte repeated (sz 1, or gcc's memset as REP STOSD of c * 0x01010101):
    // memset. Otherwise the first element, then what is filled copied after itself.
    const uint32_t mask = sz == 4 ? 0xFFFFFFFFu : sz == 2 ? 0xFFFFu : 0xFFu;
    if (((v ^ ((v & 0xFFu) * 0x01010101u)) & mask) == 0) {
        std::memset(low, int(v & 0xFF), size_t(k) * sz);
        return;
    }
    const size_t total = size_t(k) * sz;
    if (total == 0) return;
    std::memcpy(low, &v, sz);  // little-endian host
    for (size_t done = sz; done < total;) {
        const size_t n = std::min(done, total - done);
        std::memcpy(low + done, low, n);
        done += n;
    }
}

enum class Op { MOVS, CMPS, SCAS, LODS, STOS };

Op string_op(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD: return Op::MOVS;
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD: return Op::CMPS;
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD: return Op::SCAS;
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD: return Op::LODS;
    default: return Op::STOS;
    }
}

bool reads_source(Op op) { return op == Op::MOVS || op == Op::CMPS || op == Op::LODS; }
bool uses_destination(Op op) { return op != Op::LODS; }

// How many elements from offset `off` (the direction's way) Cpu::linear's fast path takes for
// access `acc` in segment `sr` without a check failing or the offset wrapping (at 64 KiB for
// 16-bit addressing, at 4 GiB otherwise), and their first linear address; 0 when not even the
// first one (the semantics function then decides: #GP, #SS, an expand-down segment...).
uint64_t elements_in_segment(const Cpu& c, SegReg sr, uint32_t off, unsigned sz, unsigned asz, bool down, Access acc,
                             uint32_t& lin) {
    if (!(c.seg_ok()[sr] & (1u << unsigned(acc)))) return 0;
    const SegmentCache& sc = c.s.seg[sr];
    const uint64_t last = asz == 2 ? std::min<uint64_t>(sc.limit, 0xFFFF) : sc.limit;  // last offset allowed
    if (uint64_t(off) + sz - 1 > last) return 0;
    lin = sc.base + off;
    return down ? uint64_t(off) / sz + 1 : (last - off + 1) / sz;
}

// Reads a little-endian element of `sz` bytes at host address p.
uint32_t load(const uint8_t* p, unsigned sz) {
    if (sz == 1) return *p;
    uint32_t v = 0;
    std::memcpy(&v, p, sz);
    return v;
}

// `k` iterations of CMPS (a from s, b from d) or SCAS (a = `acc`, b from d), up to the one whose
// ZF is `stop_zf`: returns how many ran (1..k) and their last flags in `flags`.
uint32_t compare_run(const uint8_t* s, const uint8_t* d, uint32_t acc, uint32_t k, unsigned sz, bool down,
                     bool stop_zf, bool scas, uint32_t& flags) {
    const ptrdiff_t step = down ? -ptrdiff_t(sz) : ptrdiff_t(sz);
    uint32_t i = 0, a = acc, b = 0;
    if (scas && sz == 1 && !down && stop_zf) {
        // REPNE SCASB upward (strlen, memchr): the host's search.
        const void* hit = std::memchr(d, int(acc & 0xFF), k);
        i = hit ? uint32_t(static_cast<const uint8_t*>(hit) - d) + 1 : k;
        flags = sub_flags(acc, d[i - 1], 0, 1);
        return i;
    }
    for (;;) {
        if (!scas) a = load(s + step * ptrdiff_t(i), sz);
        b = load(d + step * ptrdiff_t(i), sz);
        ++i;
        if (((a & size_mask(sz)) == b) == stop_zf || i == k) break;
    }
    flags = sub_flags(a, b, 0, sz);
    return i;
}

// The whole REP string instruction at `eip`.
uint32_t helper_rep_string(Cpu* cp, const Insn* in, uint32_t eip) noexcept {
    Cpu& c = *cp;
    CpuState& s = c.s;
    s.insn_eip = eip;
    s.set_eip(in->next_eip);
    // Resumed between iterations, RF is set (Jit::run): it covered this instruction's start.
    s.eflags &= ~RF;
    const uint64_t start = s.icount;
    const Op op = string_op(in->mnem());
    const bool stop_zf = in->repne();  // REPNE stops on ZF = 1, REPE on ZF = 0
    const unsigned sz = in->opsize(), asz = in->asize;
    const SegReg src_sr = Cpu::segreg(ZydisRegister(in->mem.segment));
    const bool down = s.eflags & DF;
    const bool user = c.user();
    const uint32_t step = down ? uint32_t(0) - sz : sz;
    uint32_t count = c.areg(ECX, asz);
    if (count == 0) return kBlockNext;  // no iteration; the instruction still counts one
    // Iterations allowed before the budget stops the loop (the interpreter yields after the
    // iteration that brings icount + 1 to icount_end).
    const uint64_t budget = c.icount_end > start ? c.icount_end - start : 1;
    uint64_t done = 0;
    uint32_t status = kBlockNext;
    for (;;) {
        const uint32_t di = c.areg(EDI, asz), si = c.areg(ESI, asz);
        uint64_t k = std::min<uint64_t>(count, budget - done);
        uint32_t slin = 0, dlin = 0;
        const Access dacc = op == Op::MOVS || op == Op::STOS ? Access::Write : Access::Read;
        if (reads_source(op)) {
            k = std::min(k, elements_in_segment(c, src_sr, si, sz, asz, down, Access::Read, slin));
            if (k) k = std::min<uint64_t>(k, elements_in_page(slin, sz, down));
        }
        if (uses_destination(op) && k) {
            k = std::min(k, elements_in_segment(c, ES, di, sz, asz, down, dacc, dlin));
            if (k) k = std::min<uint64_t>(k, elements_in_page(dlin, sz, down));
        }
        const uint8_t* src = nullptr;
        uint8_t* dst = nullptr;
        bool ok = k != 0;
        if (ok && reads_source(op)) ok = (src = host_of(c, slin, Access::Read, user)) != nullptr;
        if (ok && uses_destination(op)) ok = (dst = host_of(c, dlin, dacc, user)) != nullptr;
        if (!ok) {
            // An element the fast path cannot take (a TLB miss that may fault, MMIO, no memory
            // behind the address, a code page, a page crossing, a segment check in doubt): the
            // interpreter's own loop from here, for as far as it goes in one step: to the end, a
            // fault (ECX, ESI, EDI as the completed iterations left them), or a stop between
            // iterations (its burst, the budget, the exit request: EIP back on the instruction,
            // RF set), after which the interpreter takes the rest. One element at a time here
            // would walk the page tables once per element over memory with nothing behind it.
            if (done) ++s.icount;
            status = helper_semantics(&c, in);
            // A stop for the size of its burst alone (EIP back on the instruction, RF set, the
            // budget not reached, nothing to stop for): the next burst, as the interpreter's
            // next step would take it. Returning instead would have the dispatcher resume the
            // REP here (Jit::run), this helper try the fast path again first, and memory with
            // nothing behind it walk the page tables once per burst.
            while (status == kBlockNext && s.eip() == eip && (s.eflags & RF) && s.icount + 1 < c.icount_end &&
                   !exit_wanted(c) && c.areg(ECX, asz) != 0) {
                s.eflags &= ~RF;
                s.set_eip(in->next_eip);  // as at the start: a burst sets EIP back only to yield
                ++s.icount;  // the burst that ended (the semantics function counts the rest)
                status = helper_semantics(&c, in);
            }
            done += count - c.areg(ECX, asz);
            break;
        }
        uint32_t ran = uint32_t(k);
        bool ended = false;
        switch (op) {
        case Op::MOVS: copy_run(dst, src, ran, sz, down); break;
        case Op::STOS: fill_run(dst, s.reg32(EAX), ran, sz, down); break;
        case Op::LODS:
            c.set_reg(EAX, sz, load(src + (down ? -1 : 1) * ptrdiff_t(ran - 1) * ptrdiff_t(sz), sz));
            break;
        case Op::CMPS: case Op::SCAS: {
            uint32_t flags = 0;
            ran = compare_run(src, dst, c.reg(EAX, sz), ran, sz, down, stop_zf, op == Op::SCAS, flags);
            c.set_arith(flags);
            ended = bool(flags & ZF) == stop_zf;
            break;
        }
        }
        if (uses_destination(op)) c.set_areg(EDI, asz, di + ran * step);
        if (reads_source(op)) c.set_areg(ESI, asz, si + ran * step);
        s.icount += ran - (done ? 0 : 1);
        done += ran;
        count -= ran;
        c.set_areg(ECX, asz, count);
        if (count == 0 || ended) break;
        if (done >= budget || exit_wanted(c)) {
            // Stop between iterations as the interpreter does: resume here, RF set.
            s.set_eip(eip);
            s.eflags |= RF;
            break;
        }
    }
    // Per-mnemonic statistics as the interpreter keeps them: every completed iteration. The
    // dispatcher counts this instruction once after a whole run of the block, so here every
    // further one; when it faulted, every iteration completed before the fault (the block's
    // count leaves the faulting instruction out). Nothing here depends on where the
    // interpreter's steps of a long REP would have begun and ended (its bursts of 1024, a stop
    // for the exit request): the semantics function, called above after `done` iterations,
    // starts a burst of its own.
    c.stats.executed[in->mnemonic] += status == kBlockNext ? s.icount - start : done;
    return status;
}

// ESI/EDI (SI/DI with 16-bit addressing) advanced by the element size, or back by it when DF is
// set; `si`, `di` say which. Leaves the host flags changed (capture before).
// DF is read from CpuState::eflags, where the non-arithmetic flags stay (r14 holds only the
// arithmetic ones): only fallback rows (CLD, STD, POPF, IRET...) write it.
void advance(Emitter& e, unsigned sz, unsigned asz, bool si, bool di) {
    x86::Assembler& a = e.a;
    a.mov(x86::edx, sz);
    a.mov(x86::eax, -int32_t(sz));
    a.test(Emitter::field(offsetof(CpuState, eflags), 4), int32_t(DF));
    a.cmovnz(x86::edx, x86::eax);
    for (int k = 0; k < 2; ++k) {
        if (!(k ? di : si)) continue;
        const ZydisRegister r = asz == 2 ? (k ? ZYDIS_REGISTER_DI : ZYDIS_REGISTER_SI)
                                         : (k ? ZYDIS_REGISTER_EDI : ZYDIS_REGISTER_ESI);
        e.load_reg(x86::eax, r);
        a.add(x86::eax, x86::edx);
        e.store_reg(r, x86::eax);
    }
}

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 1 ? r32.r8() : size == 2 ? r32.r16() : r32; }

// The ES:(E)DI operand of MOVS and CMPS through ea(), which reads the instruction's memory
// operand (their DS:(E)SI one): the same instruction with ES:(E)DI in its place, for the
// duration of the call only.
void ea_destination(Emitter& e, const Insn& in) {
    Insn d = in;
    d.mem = InsnMem{uint16_t(ZYDIS_REGISTER_ES), uint16_t(in.asize == 2 ? ZYDIS_REGISTER_DI : ZYDIS_REGISTER_EDI),
                    uint16_t(ZYDIS_REGISTER_NONE), 0, 0};
    e.in = &d;
    e.ea();
    e.in = &in;
}

// One iteration, inline.
bool emit_string_once(Emitter& e, const Insn& in) {
    if (!e.mem_ok()) return false;  // also the address size and the segment register
    x86::Assembler& a = e.a;
    const unsigned sz = in.opsize(), asz = in.asize;
    const x86::Mem at(x86::rbp, 0, sz);
    auto load_ecx = [&] {
        if (sz == 4) a.mov(x86::ecx, at);
        else a.movzx(x86::ecx, at);
    };
    switch (string_op(in.mnem())) {
    case Op::MOVS:
        e.ea();
        e.probe(sz, false);
        load_ecx();
        ea_destination(e, in);
        e.probe(sz, true);
        a.mov(at, sized(x86::ecx, sz));
        advance(e, sz, asz, true, true);
        break;
    case Op::CMPS:
        e.ea();
        e.probe(sz, false);
        load_ecx();
        ea_destination(e, in);
        e.probe(sz, false);
        a.cmp(sized(x86::ecx, sz), at);  // [DS:ESI] - [ES:EDI]
        e.capture_flags(kArithFlags);
        e.host_flags_changed();  // advance() tests DF and adds
        advance(e, sz, asz, true, true);
        break;
    case Op::SCAS:
        e.ea();  // ES:(E)DI, the instruction's memory operand
        e.probe(sz, false);
        e.load_reg(x86::ecx, ZYDIS_REGISTER_EAX);
        a.cmp(sized(x86::ecx, sz), at);  // AL/AX/EAX - [ES:EDI]
        e.capture_flags(kArithFlags);
        e.host_flags_changed();
        advance(e, sz, asz, false, true);
        break;
    case Op::LODS:
        e.ea();
        e.probe(sz, false);
        load_ecx();
        advance(e, sz, asz, true, false);
        e.store_reg(sz == 1 ? ZYDIS_REGISTER_AL : sz == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX, x86::ecx);
        break;
    case Op::STOS:
        e.ea();
        e.probe(sz, true);
        e.load_reg(x86::ecx, ZYDIS_REGISTER_EAX);
        a.mov(at, sized(x86::ecx, sz));
        advance(e, sz, asz, false, true);
        break;
    }
    return true;
}

} // namespace

bool emit_rep_string(Emitter& e, const Insn& in) {
    // MOVSD and CMPSD with operands are the SSE2 instructions: not these.
    if (in.nops() != 0 || (in.asize != 4 && in.asize != 2) || (e.disabled & kDisableTlb)) return false;
    const unsigned sz = in.opsize();
    if (sz != 1 && sz != 2 && sz != 4) return false;
    if (!(in.rep() || in.repne())) return emit_string_once(e, in);
    if (!e.last) return false;  // a REP instruction ends its block (translator/block.cpp)
    if (unsigned(in.mem.segment) - ZYDIS_REGISTER_ES >= kSegCount) return false;
    x86::Assembler& a = e.a;
    e.commit_icount();
    e.call_helper(&helper_rep_string, &in, e.eip);  // ECX, ESI, EDI (and EAX) from CpuState
    a.test(x86::eax, x86::eax);
    a.jnz(e.fault_exit);
    e.reload();  // ECX, ESI, EDI (EAX for LODS, the flags for CMPS/SCAS) as the helper left them
    // The helper set rip: the next instruction, or this one to resume.
    return true;
}

} // namespace xlat
