#include "translator/emitter.h"

#include <cassert>
#include <cstddef>
#include <cstring>
#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "cpu/mode.h"
#include "translator/helpers.h"
#include "translator/jit.h"

namespace xlat {

uint32_t helper_slow(Cpu* c, const Insn* in, uint32_t eip) noexcept {
    CpuState& s = c->s;
    s.insn_eip = eip;
    s.set_eip(in->next_eip);
    return helper_semantics(c, in);
}

bool jit_bmi2(uint32_t disabled) {
    static const bool host = asmjit::CpuInfo::host().hasFeature(asmjit::CpuFeatures::X86::kBMI2);
    return host && !(disabled & kDisableBmi2);
}

uint32_t parse_jit_disable(const std::string& list) {
    static const struct { const char* name; uint32_t bit; } names[] = {
        {"alu", kDisableAlu}, {"move", kDisableMove}, {"control", kDisableControl}, {"stack", kDisableStack},
        {"cond", kDisableCond}, {"shift", kDisableShift}, {"muldiv", kDisableMuldiv}, {"bit", kDisableBit},
        {"string", kDisableString}, {"simple", kDisableSimple}, {"sys", kDisableSys}, {"tlb", kDisableTlb},
        {"flags", kDisableFlags}, {"chain", kDisableChain}, {"retstack", kDisableRetStack},
        {"stackgroup", kDisableStackGroup}, {"bounds", kDisableBounds}, {"loopflags", kDisableLoopFlags},
        {"superblocks", kDisableSuperblocks}, {"learn", kDisableLearn}, {"bmi2", kDisableBmi2},
        {"pagetable", kDisablePageTable}, {"predict", kDisablePredict}, {"fuse", kDisableFuse},
        {"twoturns", kDisableTwoTurns}, {"groupreuse", kDisableGroupReuse},
        {"backward", kDisableBackward}, {"traces", kDisableTraces}, {"select", kDisableSelect},
        {"regs", kDisableRegs}, {"all", kDisableAll}};
    uint32_t bits = 0;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        bool found = false;
        for (const auto& n : names)
            if (item == n.name) bits |= n.bit, found = true;
        if (!found) {
            std::string known;  // the table's order
            for (const auto& n : names) known += std::string(known.empty() ? "" : ", ") + n.name;
            throw std::invalid_argument("unknown --jit-disable item '" + item + "' (known: " + known + ")");
        }
    }
    return bits;
}

x86::Mem Emitter::gpr_mem(unsigned gpr, unsigned size, bool high) {
    return x86::Mem(x86::r15, int32_t(offsetof(CpuState, gpr) + gpr * 8 + (high ? 1 : 0)), size);
}

bool Emitter::is_gpr(ZydisRegister r) {
    return (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH) || (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) ||
           (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI);
}

namespace {

// Low bits known to be 0 in a 32-bit value (32 for 0).
uint8_t ctz32(uint32_t v) { return v ? uint8_t(__builtin_ctz(v)) : uint8_t(32); }

// A guest register operand: its number (EAX = 0 .. EDI = 7), size and whether it is AH..BH.
struct GuestReg {
    unsigned index, size;
    bool high;
};

// Inline: the bounds, alignment and address work call it for every operand of every
// instruction translated (a call was 0.4 % of a Linux boot's samples).
[[gnu::always_inline]] inline GuestReg guest_reg(ZydisRegister r) {
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return {unsigned(r - ZYDIS_REGISTER_EAX), 4, false};
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return {unsigned(r - ZYDIS_REGISTER_AX), 2, false};
    const unsigned i = r - ZYDIS_REGISTER_AL;
    return i < 4 ? GuestReg{i, 1, false} : GuestReg{i - 4, 1, true};
}

// How many low bits of a 32-bit address `m` are known to be 0, from each register's count in
// `tz` (Emitter::track_bounds): the least over base, index + scale and displacement. For ea()'s
// operand and for LEA's result (tz_after).
uint8_t address_tz(const InsnMem& m, const uint8_t (&tz)[8]) {
    auto reg_tz = [&](uint16_t r) -> unsigned {
        if (r == ZYDIS_REGISTER_NONE) return 32;
        const GuestReg g = guest_reg(ZydisRegister(r));
        return g.size < 4 || g.high ? 0 : tz[g.index];
    };
    const unsigned idx = m.index == ZYDIS_REGISTER_NONE ? 32 : std::min(32u, reg_tz(m.index) + Emitter::scale_shift(m));
    return uint8_t(std::min({reg_tz(m.base), idx, unsigned(ctz32(uint32_t(m.disp)))}));
}

// rax, rcx, rdx, rbx: the host registers with a high-byte form (AH..BH need no REX prefix).
bool has_high_byte(const x86::Gp& r) { return r.id() <= x86::Gp::kIdBx; }

// The 16 SETcc (host_flag_reader, track_bounds; is_jcc, after this namespace, the Jccs).
bool is_setcc(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETLE:
    case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETNLE:
    case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETNZ:
    case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETS: case ZYDIS_MNEMONIC_SETZ:
        return true;
    default: return false;
    }
}

} // namespace

// The 16 conditional jumps (host_flag_reader, track_bounds, Jit's lazy self-loops).
bool is_jcc(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JLE:
    case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE:
    case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JNP: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ:
    case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JZ:
        return true;
    default: return false;
    }
}

uint32_t relative_target(const Insn& in) { return (in.next_eip + in.val[0]) & size_mask(in.opsize()); }

bool end_branch(ZydisMnemonic m) {
    return is_jcc(m) || m == ZYDIS_MNEMONIC_LOOP || m == ZYDIS_MNEMONIC_JECXZ || m == ZYDIS_MNEMONIC_JCXZ;
}

bool jumps_to(const Insn& in, uint32_t eip) {
    const ZydisMnemonic m = in.mnem();
    return (end_branch(m) || (m == ZYDIS_MNEMONIC_JMP && in.is_imm(0))) && relative_target(in) == eip;
}

x86::Gp Emitter::host_gpr(unsigned i) {
    // docs/translator.md: ESI and EDI in their namesakes, the rest in r8 + their number, so the
    // low three bits of a guest base register's encoding carry over (ESP -> r12 needs a SIB
    // byte as a base, EBP -> r13 a displacement, as on the guest). ESP and EBP, the busiest in
    // compiled code, get the callee-saved ones.
    static const x86::Gp map[8] = {x86::r8, x86::r9, x86::r10, x86::r11, x86::r12, x86::r13, x86::rsi, x86::rdi};
    return map[i];
}

void Emitter::load_reg(const x86::Gp& dst32, ZydisRegister r) {
    const GuestReg g = guest_reg(r);
    if (!regs_) {
        if (g.size == 4) a.mov(dst32, gpr_mem(g.index, 4));
        else a.movzx(dst32, gpr_mem(g.index, g.size, g.high));
        return;
    }
    const x86::Gp h = host_gpr(g.index);
    if (g.size == 4) {
        a.mov(dst32, h.r32());
    } else if (g.size == 2) {
        a.movzx(dst32, h.r16());
    } else if (!g.high) {
        a.movzx(dst32, h.r8());
    } else if (has_high_byte(dst32)) {
        // No REX-encoded register has a high byte: through the destination's own (movzx eax, ah).
        a.mov(dst32, h.r32());
        a.movzx(dst32, dst32.r8Hi());
    } else {
        // Through CpuState: the slot first when the host copy may be newer (it stays dirty:
        // this may run on one path of a branch only).
        if (dirty_ & (1u << g.index)) a.mov(gpr_mem(g.index, 8), h);
        a.movzx(dst32, gpr_mem(g.index, 1, true));
    }
}

void Emitter::store_reg(ZydisRegister r, const x86::Gp& src32) {
    const GuestReg g = guest_reg(r);
    if (!regs_) {
        // A 32-bit write zero-extends into the 64-bit slot. The upper half is written as 0
        // rather than taken from src32's 64-bit register: an emitter may leave it set (IDIV
        // r/m32 divides in 64 bits: its remainder and quotient are sign-extended in rdx/rax).
        if (g.size == 4) {
            a.mov(gpr_mem(g.index, 4), src32);
            a.mov(gpr_mem(g.index, 4).cloneAdjusted(4), 0);
        }
        else if (g.size == 2) a.mov(gpr_mem(g.index, 2), src32.r16());
        else a.mov(gpr_mem(g.index, 1, g.high), src32.r8());
        return;
    }
    const x86::Gp h = host_gpr(g.index);
    if (g.size == 4) {
        a.mov(h.r32(), src32);  // zero-extends into the 64-bit register, as into the slot
    } else if (g.size == 2) {
        a.mov(h.r16(), src32.r16());
    } else if (!g.high) {
        a.mov(h.r8(), src32.r8());
    } else {
        // AH..BH of a host register that has no high-byte form: the byte goes into the slot
        // (made current first) and the whole register is loaded back, without touching the
        // host flags or needing a scratch register. Host and slot agree afterwards; the dirty
        // bit stays as it was (a clean register stays clean).
        if (dirty_ & (1u << g.index)) a.mov(gpr_mem(g.index, 8), h);
        a.mov(gpr_mem(g.index, 1, true), src32.r8());
        a.mov(h, gpr_mem(g.index, 8));
        return;
    }
    dirty_ |= uint8_t(1u << g.index);
}

bool Emitter::reg32(ZydisRegister r, x86::Gp& out, bool write) {
    if (!regs_ || r < ZYDIS_REGISTER_EAX || r > ZYDIS_REGISTER_EDI) return false;
    const unsigned i = unsigned(r - ZYDIS_REGISTER_EAX);
    if (write) dirty_ |= uint8_t(1u << i);
    out = host_gpr(i).r32();
    return true;
}

bool Emitter::regn(ZydisRegister r, x86::Gp& out, bool write) {
    if (!regs_ || !is_gpr(r)) return false;
    const GuestReg g = guest_reg(r);
    if (g.high) return false;
    if (write) dirty_ |= uint8_t(1u << g.index);
    const x86::Gp h = host_gpr(g.index);
    out = g.size == 4 ? x86::Gp(h.r32()) : g.size == 2 ? x86::Gp(h.r16()) : x86::Gp(h.r8());
    return true;
}

void Emitter::emit_store(uint8_t mask) {
    if (!regs_) return;
    for (unsigned i = 0; i < 8; ++i)
        if (mask & (1u << i)) a.mov(gpr_mem(i, 8), host_gpr(i));
}

void Emitter::emit_load_all(int adjust) {
    // R = icount_end - icount (+ adjust): the dispatcher keeps icount_end within 2^62 of icount,
    // so R is a non-negative signed quadword and a block's `psubq` turns it negative exactly
    // when the block does not fit.
    a.mov(x86::rax, x86::qword_ptr(x86::r15, icount_end_disp));
    a.sub(x86::rax, field(offsetof(CpuState, icount), 8));
    if (adjust) a.add(x86::rax, int32_t(adjust));
    a.movq(x86::xmm15, x86::rax);
    a.punpcklqdq(x86::xmm15, x86::xmm15);  // both quadwords (docs/translator.md, "Fused entry tests")
    budget_reloaded = true;
    if (!regs_) return;
    for (unsigned i = 0; i < 8; ++i) a.mov(host_gpr(i), gpr_mem(i, 8));
    if (fcache_) emit_r14_load(a);
}

void Emitter::emit_icount_store(int pend, const x86::Gp& t1, const x86::Gp& t2) {
    a.mov(t1, x86::qword_ptr(x86::r15, icount_end_disp));
    a.movq(t2, x86::xmm15);
    a.sub(t1, t2);
    if (pend) a.add(t1, int32_t(pend));
    a.mov(field(offsetof(CpuState, icount), 8), t1);
}

void Emitter::spill() {
    settle_flags();
    emit_store(dirty_);
    emit_flags_store();
    dirty_ = 0;
    fdirty_ = false;
}

void Emitter::reload() {
    emit_load_all();
    dirty_ = 0;
    fdirty_ = false;
    ffix_ = host_ok_ = 0;
}

void Emitter::emit_call(HelperFn fn, const Insn* insn, uint32_t at) {
    a.lea(x86::rdi, x86::ptr(x86::r15, -cpu_disp_));  // Cpu*: CpuState is a member of Cpu
    a.mov(x86::rsi, asmjit::imm(reinterpret_cast<uintptr_t>(insn)));
    a.mov(x86::edx, asmjit::imm(at));
    a.mov(x86::rax, asmjit::imm(reinterpret_cast<uintptr_t>(fn)));
    a.call(x86::rax);
}

void Emitter::call_helper(HelperFn fn, const Insn* insn, uint32_t at) {
    spill();
    emit_call(fn, insn, at);
}

// A call site of the shared fallback thunk (Jit::emit_fixed, docs/translator.md "Shared exit
// code"; a slow path's site passes these in a record, emit_slow_path): rbx = the Insn, edx = its
// EIP, ecx = the instructions of the block
// counted before it; back with eax = 0 and everything reloaded, or a stop or fault.
void Emitter::call_shared_thunk(uint64_t thunk, const Insn* insn, uint32_t at, int counted) {
    a.mov(x86::rbx, asmjit::imm(reinterpret_cast<uintptr_t>(insn)));
    a.mov(x86::edx, asmjit::imm(at));
    a.mov(x86::ecx, asmjit::imm(counted));
    a.call(asmjit::imm(thunk));
    a.test(x86::eax, x86::eax);
    a.jnz(stopfault);
}

void Emitter::call_fallback(const Insn* insn, uint32_t at, bool is_last) {
    stack_group.end = 0;  // the semantics function may move ESP; rbp is kept but not trusted
    rbp_set = false;
    if (!(regs_ && call_thunk)) {
        commit_icount();
        call_helper(&helper_fallback, insn, at);
        a.test(x86::eax, x86::eax);
        a.jnz(fault_exit);  // kBlockFault in eax; CpuState holds the registers
        reload();
        // Whatever the instruction set (a stop, an IRQ, a write into this block's page) is
        // acted on at the next boundary, as the interpreter does.
        if (!is_last) {
            a.cmp(exit_word(), 0);
            a.jne(stop_exit);
        }
        return;
    }
    // The shared thunk stores all eight registers and r14 (storing a clean one is harmless),
    // so only the lazy fix-ups of r14 must be applied first, and a lazy writer's flags made
    // (a move inside its stretch is a fallback under --jit-disable move or tlb, and may fault).
    // It also acts on the exit request after the last instruction, which the end of the block
    // would have done anyway.
    if (lazy) emit_materialize();
    settle_flags();
    call_shared_thunk(call_thunk, insn, at, pending);
    budget_reloaded = true;
    pending = 0;
    dirty_ = 0;
    fdirty_ = false;
    ffix_ = host_ok_ = 0;
}

bool Emitter::mem_ok() const {
    if (disabled & kDisableTlb) return false;
    if (in->asize != 4 && in->asize != 2) return false;
    // A segment that is not flat is checked and based at run time by probe().
    return unsigned(in->mem.segment) - ZYDIS_REGISTER_ES < kSegCount;
}

void Emitter::ea(bool fold) {
    const InsnMem& m = in->mem;
    const bool base = m.base != ZYDIS_REGISTER_NONE, index = m.index != ZYDIS_REGISTER_NONE;
    folded_ = false;
    ea_deferred_ = ea_member_ = false;
    const unsigned sr = unsigned(m.segment) - ZYDIS_REGISTER_ES;
    seg_pending_ = (mode_bits(key) & (1u << (kModeFlatShift + sr))) ? -1 : int(sr);
    // The address's known low zero bits (track_bounds, tz_after): a flat segment adds nothing to it.
    ea_tz_ = in->asize == 4 && seg_pending_ < 0 ? address_tz(m, tz_) : 0;
    // The range of offsets this operand can take, when every register in it is bounded (ESP
    // never is: emitters may form a stack operand after moving ESP). With 32-bit addressing and
    // no wrap past 4 GiB the offset is disp + base + index * scale, each term unsigned.
    ea_known_ = false;
    if (in->asize == 4 && seg_pending_ < 0 && !(disabled & kDisableBounds)) {
        uint64_t span = 0;
        bool known = true;
        auto add = [&](uint16_t r, unsigned scale) {
            if (r == ZYDIS_REGISTER_NONE) return;
            const GuestReg g = guest_reg(ZydisRegister(r));
            if (g.index == 4 || bound_[g.index] == 0xFFFFFFFFu) known = false;
            else span += uint64_t(bound_[g.index]) * scale;
        };
        add(m.base, 1);
        add(m.index, m.scale ? m.scale : 1);
        if (known) ea_known_ = true, ea_lo_ = m.disp, ea_span_ = span;
    }
    // The displacement below 2 GiB: disp32 of the folded operand, sign-extended, is disp itself.
    if (fold && regs_ && ea_known_ && !(base && index) && m.disp < 0x80000000u) {
        ea_deferred_ = true;
        return;
    }
    // A stack group's ALU member takes its address from the group (probe, stack_member_probe).
    if (fold && seg_pending_ < 0 && cur_ != ~0u && m.base == ZYDIS_REGISTER_ESP && stack_alu_member(*this, *in, cur_)) {
        ea_deferred_ = ea_member_ = true;
        return;
    }
    emit_ea();
}

void Emitter::emit_ea() {
    const InsnMem& m = in->mem;
    const bool base = m.base != ZYDIS_REGISTER_NONE, index = m.index != ZYDIS_REGISTER_NONE;
    const unsigned shift = scale_shift(m);
    if (regs_ && (base || index)) {
        // The cached registers themselves: the low 32 (16) bits of the 64-bit sum depend only
        // on the low 32 (16) bits of the registers, so whatever their upper halves hold the
        // truncation below gives the guest's offset.
        const x86::Gp hb = base ? host_gpr(guest_reg(ZydisRegister(m.base)).index) : x86::Gp();
        if (index) {
            const x86::Gp hi = host_gpr(guest_reg(ZydisRegister(m.index)).index);
            if (base) {
                a.lea(x86::ebx, x86::ptr(hb, hi, shift, int32_t(m.disp)));
            } else {
                // [index*s + disp32], no base: the displacement sign-extended (only the low 32 bits count)
                a.lea(x86::ebx, x86::ptr_abs(uint64_t(int64_t(int32_t(m.disp))), hi, shift));
            }
        } else if (m.disp) {
            a.lea(x86::ebx, x86::ptr(hb, int32_t(m.disp)));
        } else {
            a.mov(x86::ebx, hb.r32());
        }
    } else {
        if (base) load_reg(x86::ebx, ZydisRegister(m.base));
        if (index) {
            load_reg(x86::eax, ZydisRegister(m.index));
            if (base) a.lea(x86::ebx, x86::ptr(x86::rbx, x86::rax, shift, int32_t(m.disp)));
            else {
                a.mov(x86::ebx, m.disp);
                a.lea(x86::ebx, x86::ptr(x86::rbx, x86::rax, shift));
            }
        } else if (base) {
            if (m.disp) a.add(x86::ebx, int32_t(m.disp));
        } else {
            a.mov(x86::ebx, in->asize == 2 ? (m.disp & 0xFFFF) : m.disp);
        }
    }
    // 16-bit addressing: BX/BP/SI/DI and the displacement wrap at 64 KiB (SDM Vol. 2A, 2.1.5).
    if (in->asize == 2 && (base || index)) a.movzx(x86::ebx, x86::bx);
}

namespace {

// How many low bits of the register `g` that `i` writes (its first operand, 32 bits or part)
// are known to be 0 afterwards, from `tz` before it (Emitter::track_bounds): `mov r, imm` (the
// immediate's), `mov r, r2` (r2's), SHL by an immediate (+ the count), LEA (the least of base,
// index + scale and displacement), ADD/SUB/OR/XOR (the least of the two; `xor r, r` 32), AND
// (the most); anything else, or a write of part of the register, 0 (nothing known).
uint8_t tz_after(const Insn& i, const GuestReg& g, const uint8_t (&tz)[8]) {
    if (g.high || g.size < 4) return 0;
    // The second operand's (0: unknown), a 32-bit register or an immediate.
    auto src = [&]() -> uint8_t {
        if (i.nops() < 2) return 0;
        if (i.is_imm(1)) return ctz32(uint32_t(i.val[1]));
        if (!i.is_reg(1) || !Emitter::is_gpr(i.regv(1))) return 0;
        const GuestReg s = guest_reg(i.regv(1));
        return s.size < 4 || s.high ? 0 : tz[s.index];
    };
    const uint8_t old = tz[g.index];
    switch (i.mnem()) {
    case ZYDIS_MNEMONIC_MOV: return src();
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_OR: return std::min(old, src());
    case ZYDIS_MNEMONIC_XOR:
        return (i.nops() >= 2 && i.is_reg(1) && i.regv(1) == i.regv(0)) ? 32 : std::min(old, src());  // xor eax, eax
    case ZYDIS_MNEMONIC_AND: return std::max(old, src());
    case ZYDIS_MNEMONIC_SHL:
        return i.nops() >= 2 && i.is_imm(1) ? uint8_t(std::min(32u, old + unsigned(i.val[1] & 31))) : 0;
    case ZYDIS_MNEMONIC_LEA: return i.asize == 4 ? address_tz(i.mem, tz) : 0;
    default: return 0;
    }
}

} // namespace

void Emitter::track_bounds(const Insn& i) {
    // What the instruction leaves in each register, as an upper bound and as low bits known to
    // be 0 (tz_after). Only instructions known to write nothing but their first operand (and
    // the flags) keep the other registers' bounds; anything else forgets them all.
    const ZydisMnemonic m = i.mnem();
    auto forget_all = [&] {
        for (uint32_t& b : bound_) b = 0xFFFFFFFFu;
        for (uint8_t& z : tz_) z = 0;
    };
    if (is_jcc(m)) return;  // no register written
    switch (m) {
    case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_NOP:
        return;  // no register written
    case ZYDIS_MNEMONIC_PUSH:
        bound_[4] = 0xFFFFFFFFu;  // ESP only (and memory)
        tz_[4] = 0;
        return;
    case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_LEA:
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG: case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
    case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR: case ZYDIS_MNEMONIC_BSWAP:
        break;  // the first operand only, below
    case ZYDIS_MNEMONIC_POP:
        bound_[4] = 0xFFFFFFFFu;
        tz_[4] = 0;
        break;  // ESP, and the first operand below
    default:
        if (is_setcc(m)) break;  // the first operand only, below
        forget_all();
        return;
    }
    if (i.nops() < 1 || !i.is_reg(0)) return;  // a memory destination: no register written
    const ZydisRegister r = i.regv(0);
    if (!is_gpr(r)) {
        if (ZydisRegisterGetClass(r) != ZYDIS_REGCLASS_SEGMENT) forget_all();  // not expected here
        return;
    }
    const GuestReg g = guest_reg(r);
    tz_[g.index] = tz_after(i, g, tz_);
    uint32_t& b = bound_[g.index];
    const uint32_t old = b;
    if (g.high) {
        b = old < 0x10000u ? 0xFFFFu : 0xFFFFFFFFu;  // AH..BH: bits 8-15
        return;
    }
    if (g.size < 4) {
        // The low byte or word replaced, the rest kept: at most old | mask (old with its low bits
        // cleared is at most the bound with them cleared). AND and SHR only lower it.
        if (m != ZYDIS_MNEMONIC_AND && m != ZYDIS_MNEMONIC_SHR) b = old | (g.size == 1 ? 0xFFu : 0xFFFFu);
        return;
    }
    auto src_bound = [&]() -> uint32_t {  // the second operand's bound (0xFFFFFFFF: unknown)
        if (i.nops() < 2) return 0xFFFFFFFFu;
        if (i.is_imm(1)) return i.val[1];
        if (i.is_reg(1) && is_gpr(i.regv(1))) {
            const GuestReg s = guest_reg(i.regv(1));
            if (s.high) return 0xFFu;
            const uint32_t mask = s.size == 1 ? 0xFFu : s.size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
            return std::min(bound_[s.index], mask);
        }
        if (i.is_mem(1)) return i.size(1) == 1 ? 0xFFu : i.size(1) == 2 ? 0xFFFFu : 0xFFFFFFFFu;
        return 0xFFFFFFFFu;
    };
    switch (m) {
    case ZYDIS_MNEMONIC_MOV: b = src_bound(); break;
    case ZYDIS_MNEMONIC_MOVZX: b = src_bound(); break;  // a byte or word source, zero-extended
    case ZYDIS_MNEMONIC_AND: b = std::min(old, src_bound()); break;
    case ZYDIS_MNEMONIC_SHR:
        if (i.nops() >= 2 && i.is_imm(1)) b = old >> (i.val[1] & 31);  // by CL: at most old
        break;
    case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_SUB:
        b = (i.nops() >= 2 && i.is_reg(1) && i.regv(1) == r) ? 0 : 0xFFFFFFFFu;  // xor eax, eax
        break;
    default: b = 0xFFFFFFFFu; break;
    }
}

bool Emitter::fits_in(ZydisRegister r, x86::Gp& whole) const {
    if (!regs_ || (disabled & kDisableBounds) || !is_gpr(r)) return false;
    const GuestReg g = guest_reg(r);
    whole = host_gpr(g.index).r32();
    return !g.high && g.size < 4 && bound_[g.index] <= (g.size == 1 ? 0xFFu : 0xFFFFu);
}

void Emitter::probe(unsigned size, bool write, bool indexed, asmjit::Label miss) {
    const bool user = mode_cpl(key) == 3;
    const uintptr_t table = reinterpret_cast<uintptr_t>(cpu.mmu.tlb_entries(user));
    const bool low_table = table + kTlbEntries * sizeof(TlbEntry) <= 0x7FFFFFFFu;
    // Every byte of the access in one page the bounds name (ea(), track_bounds)?
    const uint64_t last = uint64_t(ea_lo_) + ea_span_ + size - 1;
    const uint32_t page = ea_lo_ & kPageMask;
    const uintptr_t pages = reinterpret_cast<uintptr_t>(cpu.mmu.fast_pages(user, write));
    const bool low_pages = pages + kFastPages * sizeof(uintptr_t) <= 0x7FFFFFFFu;
    // A range of another size (a stack group's) keeps the tag compare, which folds the crossing test.
    const bool fast = !(disabled & kDisablePageTable) && (size & (size - 1)) == 0 && size <= 8;
    const bool one_page = ea_known_ && (fast ? low_pages : low_table) && last <= 0xFFFFFFFFu &&
                          (uint32_t(last) & kPageMask) == page;
    // ea()'s address aligned to the access's size (taken once: a second probe of the same
    // instruction at another address tests the crossing). Not a probe whose address ea() did
    // not give: a stack group's range or a member's own probe (`miss` given), out-of-line code.
    const bool aligned = size > 1 && (size & (size - 1)) == 0 && ea_tz_ >= unsigned(__builtin_ctz(size)) &&
                         !(disabled & kDisableBounds) && !miss.isValid() && !in_cold_;
    ea_tz_ = 0;
    // rbp as a predicted probe may take it (rbp_set): every path below but that one writes rbp.
    const bool rbp_was_set = rbp_set;
    rbp_set = false;
    if (ea_deferred_ && ea_member_) {
        ea_deferred_ = ea_member_ = false;
        if (indexed && !miss.isValid() && stack_member_probe(*this, *in, cur_, size, write)) {
            ea_known_ = false;
            return;
        }
        emit_ea();  // not as the group has it (another size or access): ebx as usual
    } else if (ea_deferred_) {
        ea_deferred_ = false;
        if (!(one_page && indexed && !miss.isValid())) emit_ea();  // no fold: ebx as usual
        else folded_ = true;
    }
    // An ALU member of a stack group takes the group's address (emit_stack.cpp).
    if (indexed && !miss.isValid() && in && seg_pending_ < 0 && !folded_ && stack_member_probe(*this, *in, cur_, size, write)) {
        ea_known_ = false;
        return;
    }
    const bool miss_given = miss.isValid();
    if (!miss.isValid()) miss = slow();
    else seg_pending_ = -1;  // a flat segment (the caller's promise)
    if (seg_pending_ >= 0) {
        // Cpu::linear's fast path, inline: the access kind the segment allows without the
        // descriptor checks (Cpu::seg_ok: present, writable, not expand-down...), and offset +
        // size - 1 within the limit, computed in 64 bits so that it cannot wrap. Anything else
        // takes the slow path, whose semantics function raises #GP/#SS exactly.
        const unsigned sr = unsigned(seg_pending_);
        seg_pending_ = -1;
        const int32_t ok_disp = int32_t(reinterpret_cast<const char*>(cpu.seg_ok() + sr) -
                                        reinterpret_cast<const char*>(&cpu.s));
        const size_t seg = offsetof(CpuState, seg) + sr * sizeof(SegmentCache);
        a.test(x86::byte_ptr(x86::r15, ok_disp), int32_t(1u << unsigned(write ? Access::Write : Access::Read)));
        a.jz(miss);
        a.lea(x86::rdx, x86::ptr(x86::rbx, int32_t(size - 1)));
        a.mov(x86::eax, field(seg + offsetof(SegmentCache, limit), 4));
        a.cmp(x86::rdx, x86::rax);
        a.ja(miss);
        a.add(x86::ebx, field(seg + offsetof(SegmentCache, base), 4));
    }
    ++probes;
    ea_known_ = false;
    if (one_page) {
        // Every byte of the access lies in one page the bounds name (ea(), track_bounds): its
        // TLB entry is a constant, and so is the tag it must hold. ebx (the address, which the
        // access adds) is the only thing that waits for the registers; folded, not even that:
        // the access adds the register itself (its bound came from a 32-bit write in this block,
        // so its upper half is 0, and the range lies below 4 GiB).
        if (fast) {
            // The page's addend in the fast pages: 0 is a miss.
            a.mov(x86::rbp, x86::qword_ptr(uint64_t(pages + (page >> kPageBits) * sizeof(uintptr_t))));
            a.test(x86::rbp, x86::rbp);
            a.jz(miss);
        } else {
            const uintptr_t entry = table + ((page >> kPageBits) & (kTlbEntries - 1)) * sizeof(TlbEntry);
            a.cmp(x86::dword_ptr(uint64_t(entry + offsetof(TlbEntry, tag) + 4 * (write ? 1 : 0))), int32_t(page));
            a.jne(miss);
            a.mov(x86::rbp, x86::qword_ptr(uint64_t(entry + offsetof(TlbEntry, addend))));
        }
        if (folded_) {
            ++folded;
            const InsnMem& m = in->mem;
            const unsigned shift = scale_shift(m);
            if (m.index != ZYDIS_REGISTER_NONE)
                fold_mem_ = x86::Mem(x86::rbp, host_gpr(guest_reg(ZydisRegister(m.index)).index), shift, int32_t(m.disp), 0);
            else if (m.base != ZYDIS_REGISTER_NONE)
                fold_mem_ = x86::Mem(x86::rbp, host_gpr(guest_reg(ZydisRegister(m.base)).index), 0, int32_t(m.disp), 0);
            else
                fold_mem_ = x86::Mem(x86::rbp, int32_t(m.disp), 0);
        } else if (!indexed) {
            a.add(x86::rbp, x86::rbx);
        }
        ++const_probes;
        return;
    }
    if (fast) {
        // The fast pages (Mmu::fast_pages): rbp = the addend at the index of the whole page
        // number, 0 for a miss; no tag to compare. Then an access of 2, 4 or 8 bytes (`fast`'s
        // sizes) must not cross into the next page: an aligned one cannot (one test and
        // branch); an unaligned one takes the exact test out of line (the page of its last
        // byte against the page of ebx: 32-bit, so a wrap past 4 GiB differs too). Code that
        // is out of line already, and a stack group's range, take that test in place.
        //
        // With a predicted addend (Jit::emit, "The predicted addend"), rbp is that constant
        // before the address is known, and the page's entry is compared with it rather than
        // loaded into it: the access waits for the address only, not for the table's load (a
        // load's latency on every dependent access: sort's and chase's loads feed the next
        // address). Equal means the page is mapped with that addend for this access: an entry
        // is 0 or the addend of a translation the TLB holds, and the prediction is never 0
        // (Jit::emit gives none then). Otherwise the entry is loaded out of line, and 0 is a
        // miss as ever.
        // Out of line (a stack member's own probe, a leader's probe again): a call of the
        // shared probe of this size (Jit::probe_thunk_), not the probe's ten instructions again
        // in every block (translation time; docs/translator.md, "Shared probes out of line").
        const uint64_t thunk = in_cold_ ? probe_thunk[write][__builtin_ctz(size)] : 0;
        if (thunk) {
            a.call(asmjit::imm(thunk));
            a.test(x86::rbp, x86::rbp);
            a.jz(miss);
            ++shared_probes;
            if (!indexed) a.add(x86::rbp, x86::rbx);
            return;
        }
        const bool predict = predict_addend && !in_cold_;
        if (predict && !rbp_was_set) a.mov(x86::rbp, asmjit::imm(predict_addend));
        else if (predict) ++predicted_kept;
        rbp_set = predict && indexed;
        const x86::Mem entry = fast_pages_entry(a, pages);
        if (predict) {
            ++predicted;
            a.cmp(x86::rbp, entry);
            const uint32_t other = jcc_forward(x86::CondCode::kNE);
            cold_.emplace_back();
            ColdCode& c = cold_.back();
            c.probe = ColdCode::Probe::Reload, c.slow_rel = other, c.back = here(), c.miss = miss, c.entry = entry;
        } else {
            a.mov(x86::rbp, entry);
            a.test(x86::rbp, x86::rbp);
            a.jz(miss);
        }
        // (Not for a stack group's range, `miss` given: its size is no alignment of ESP's.)
        // Nor for an address known to be aligned to the size (track_bounds, tz_after): it cannot cross.
        if (aligned) {
            ++aligned_probes;
        } else if (size > 1 && !in_cold_ && !miss_given) {
            a.test(x86::bl, int32_t(size - 1));
            const uint32_t odd = jcc_forward(x86::CondCode::kNZ);
            cold_.emplace_back();
            ColdCode& c = cold_.back();
            c.probe = ColdCode::Probe::Crossing, c.size = uint8_t(size), c.slow_rel = odd, c.back = here(), c.miss = miss;
        } else if (size > 1) {
            emit_crossing_test(size, miss);
        }
        if (!indexed) a.add(x86::rbp, x86::rbx);
        return;
    }
    // rax = the entry's offset: the page number's low kTlbBits bits, times 32 (sizeof(TlbEntry)).
    // RORX (BMI2) rotates into eax without a move first; the AND drops the bits rotated round.
    if (bmi2_) {
        a.rorx(x86::eax, x86::ebx, kPageBits - 5);
    } else {
        a.mov(x86::eax, x86::ebx);
        a.shr(x86::eax, kPageBits - 5);
    }
    a.and_(x86::eax, int32_t((kTlbEntries - 1) << 5));
    // The table in the low 2 GiB (Mmu's MAP_32BIT mapping): its address is the displacement
    // of [rax + disp32]; else the base is loaded and added.
    int32_t base = 0;
    if (low_table) {
        base = int32_t(table);
    } else {
        a.mov(x86::rdx, asmjit::imm(table));
        a.add(x86::rax, x86::rdx);
    }
    // The page of the last byte against the tag: an access that crosses into the next page
    // never matches (the entry of the first byte's page cannot hold the next page's tag), so
    // the one compare also sends it to the slow path.
    if (size == 1) a.mov(x86::edx, x86::ebx);
    else a.lea(x86::edx, x86::ptr(x86::rbx, int32_t(size - 1)));
    a.and_(x86::edx, int32_t(kPageMask));
    a.cmp(x86::edx, x86::dword_ptr(x86::rax, base + int32_t(offsetof(TlbEntry, tag) + 4 * (write ? 1 : 0))));
    a.jne(miss);
    a.mov(x86::rbp, x86::qword_ptr(x86::rax, base + int32_t(offsetof(TlbEntry, addend))));
    if (!indexed) a.add(x86::rbp, x86::rbx);
}

x86::Mem Emitter::fast_pages_entry(x86::Assembler& a, uintptr_t pages) {
    a.mov(x86::eax, x86::ebx);
    a.shr(x86::eax, kPageBits);
    if (pages + kFastPages * sizeof(uintptr_t) <= 0x7FFFFFFFu) return x86::qword_ptr(uint64_t(pages), x86::rax, 3);
    a.mov(x86::rdx, asmjit::imm(pages));
    return x86::qword_ptr(x86::rdx, x86::rax, 3);
}

void Emitter::crossing_flags(x86::Assembler& a, unsigned size) {
    // The page of the access's last byte against the page of ebx (32-bit: a wrap past 4 GiB
    // differs too).
    a.lea(x86::edx, x86::ptr(x86::rbx, int32_t(size - 1)));
    a.xor_(x86::edx, x86::ebx);
    a.test(x86::edx, int32_t(kPageMask));
}

void Emitter::emit_crossing_test(unsigned size, asmjit::Label to) {
    crossing_flags(a, size);
    a.jnz(to);
}

asmjit::Label Emitter::slow() {
    if (!has_slow_) {
        slow_ = a.newLabel();
        has_slow_ = true;
    }
    return slow_;
}

uint32_t Emitter::jcc_forward(x86::CondCode cc) {
    const uint8_t op[6] = {0x0F, uint8_t(0x80 | unsigned(cc)), 0, 0, 0, 0};
    a.embed(op, sizeof op);
    return here() - 4;
}

uint32_t Emitter::jmp_forward() {
    const uint8_t op[5] = {0xE9, 0, 0, 0, 0};
    a.embed(op, sizeof op);
    return here() - 4;
}

void Emitter::land(uint32_t rel) {
    // (A buffer that overflowed stops growing: `rel` lies inside it still, and the block is
    // given up: Jit::emit.)
    const int32_t d = int32_t(here() - (rel + 4));
    std::memcpy(a.code()->textSection()->buffer().data() + rel, &d, 4);
}

void Emitter::jmp_back(uint32_t to, bool long32) {
    const int32_t d8 = int32_t(to) - int32_t(here() + 2);
    if (!long32 && d8 >= -128) {
        const uint8_t op[2] = {0xEB, uint8_t(d8)};
        a.embed(op, sizeof op);
        return;
    }
    const int32_t d = int32_t(to) - int32_t(here() + 5);
    uint8_t op[5] = {0xE9};
    std::memcpy(op + 1, &d, 4);
    a.embed(op, sizeof op);
}

asmjit::Label Emitter::done() {
    if (!has_done_) {
        done_ = a.newLabel();
        has_done_ = true;
    }
    return done_;
}

uint32_t Emitter::live_flags(uint32_t written) const {
    // Liveness in kFlagBit* order (CF PF AF ZF SF OF) against EFLAGS bits.
    static const uint32_t bit_of[6] = {CF, PF, AF, ZF, SF, OF};
    uint32_t live = 0;
    for (unsigned i = 0; i < 6; ++i)
        if (live_after & (1u << i)) live |= bit_of[i];
    if ((disabled & kDisableFlags)) live = kArithFlags;
    return live & written;
}

// ---- the guest flags in r14 (docs/translator.md, "Guest flags in r14") ----
//
// Layout (emitter.h): r14 bits 8-15 = AH as `lahf` leaves it (SF ZF 0 AF 0 PF 1 CF), bits 0-7 =
// OF as exactly 0 or 1 (`seto al`), bits 16-63 garbage. A capture is `lahf; seto al; mov r14d,
// eax`: three cheap instructions where `pushfq; pop r14` cost about 1.3 ns on the AMD host
// here (docs/translator.md has the numbers). Every writer keeps r14b 0 or 1: the host flags are
// restored from r14 with `add al, 0x7F` (OF set exactly when al is 1) and `sahf`.
//
// Compile-time state, like the register cache's dirty set: fdirty_ (r14 may be newer than
// CpuState::eflags), ffix_ (EFLAGS bits a capture took from the host where the interpreter's
// value is 0: AF of the logic instructions; cleared lazily, so that a Jcc right after still finds
// the host flags intact) and host_ok_ (the arithmetic flags the host FLAGS register holds as the
// guest's: set by a capture, kept into the next instruction only when that one reads them first
// thing, see host_flag_reader).

void Emitter::emit_r14_load(x86::Assembler& a) {
    // r14 = EFLAGS bits 0-7 << 8, OF in bit 0 (the adc adds it to the zeros the shift left;
    // OF's own copy, moved to bit 19, is garbage there).
    a.mov(x86::r14d, field(offsetof(CpuState, eflags), 4));
    a.shl(x86::r14d, 8);
    a.bt(x86::r14d, 11 + 8);
    a.adc(x86::r14d, 0);
}

namespace {

// t = AH:OF, swapped to OF:AH (EFLAGS bits 0-7 in place), OF moved from bit 8 to bit 11; bit 1
// (LAHF's reserved 1) comes along, which callers mask with kArithFlags.
void r14_in_eflags_layout(x86::Assembler& a, const x86::Gp& t) {
    a.movzx(t, x86::r14w);
    a.rol(t.r16(), 8);
    a.shl(t.r8Hi(), 3);
}

} // namespace

void Emitter::emit_r14_to_eflags_bits(x86::Assembler& a, const x86::Gp& t) {
    r14_in_eflags_layout(a, t);
    a.and_(t, int32_t(kArithFlags));
}

void Emitter::emit_r14_store(x86::Assembler& a, const x86::Gp& t) {
    // eflags ^= (eflags ^ flags) & arithmetic: one load and one read-modify-write.
    const x86::Mem fl = field(offsetof(CpuState, eflags), 4);
    r14_in_eflags_layout(a, t);
    a.xor_(t, fl);
    a.and_(t, int32_t(kArithFlags));
    a.xor_(fl, t);
}

void Emitter::emit_host_flags_from_r14(x86::Assembler& a) {
    // al is 0 or 1: 0x7F + 1 overflows, 0x7F + 0 does not; sahf then sets SF ZF AF PF CF from
    // AH and leaves OF alone. (LAHF/SAHF in 64-bit mode: every x86-64 host since 2005.)
    a.mov(x86::eax, x86::r14d);
    a.add(x86::al, 0x7F);
    a.sahf();
}

void Emitter::emit_flags_fix() {
    if (!(fcache_ && ffix_)) return;
    need_r14();
    emit_flags_fix_bits(ffix_);
}

void Emitter::emit_flags_fix_bits(uint32_t bits) {
    if (fcache_ && bits) a.and_(x86::r14d, int32_t(~r14_mask(bits)));
}

void Emitter::settle_flags() {
    if (!ffix_) return;
    emit_flags_fix();
    ffix_ = 0;
    host_ok_ = 0;
}

void Emitter::emit_flags_store(bool force, const x86::Gp& scratch) {
    if (fcache_ && (fdirty_ || force)) store_flags_code(scratch);
}

void Emitter::store_flags_code(const x86::Gp& scratch) {
    need_r14();
    emit_r14_store(a, scratch);
}

Emitter::State Emitter::save() const {
    State s;
    s.pending = pending, s.rbp_set = rbp_set, s.lazy = lazy, s.branched = branched, s.rip_in_eax = rip_in_eax;
    s.fdirty = fdirty_, s.recipe = recipe, s.loop_head = loop_head, s.taken = taken, s.branch_at = branch_at;
    s.stack_group = stack_group, s.dirty = dirty_, s.ffix = ffix_, s.host_ok = host_ok_;
    std::copy(bound_, bound_ + 8, s.bound);
    std::copy(tz_, tz_ + 8, s.tz);
    return s;
}

void Emitter::restore(const State& s) {
    pending = s.pending, rbp_set = s.rbp_set, lazy = s.lazy, branched = s.branched, rip_in_eax = s.rip_in_eax;
    fdirty_ = s.fdirty, recipe = s.recipe, loop_head = s.loop_head, taken = s.taken, branch_at = s.branch_at;
    stack_group = s.stack_group, dirty_ = s.dirty, ffix_ = s.ffix, host_ok_ = s.host_ok;
    std::copy(s.bound, s.bound + 8, bound_);
    std::copy(s.tz, s.tz + 8, tz_);
}

void Emitter::trace_entry(int capture, bool keep_lazy) {
    if (capture) {
        emit_capture_host(capture == 2);  // the host's flags left alone but for AF's clearing
        if (capture == 2) host_ok_ = 0;
    }
    if (!lazy || keep_lazy) return;
    emit_flags_fix_bits(ffix_);
    emit_materialize();
    lazy = false;
    ffix_ = 0;
    fdirty_ = true;
    host_ok_ = 0;
}

void Emitter::emit_materialize(const Insn* r) {
    if (!r) return;
    if (stash_recipe(*r)) return emit_shift_flags_again(*this, *r);
    emit_capture_host(emit_flags_again(*this, *r) > 0);  // Jit::emit's recipe_ok checked that it can
}

void Emitter::stash_cf() {
    load_cf(true);  // the host's CF when it is the guest's, else from r14 (done again first when lazy)
    a.setc(stash_mem(0, 1));
}

void Emitter::stash_operand(ZydisRegister r, unsigned k) {
    const ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, r);
    x86::Gp h;
    if (reg32(big, h)) {
        a.mov(stash_mem(k), h);
    } else {
        load_reg(x86::eax, big);
        a.mov(stash_mem(k), x86::eax);
    }
}

void Emitter::emit_capture_host(bool clear_af) {
    a.lahf();
    a.seto(x86::al);
    a.mov(x86::r14d, x86::eax);
    if (clear_af) emit_flags_fix_bits(AF);
    fdirty_ = true;
}

void Emitter::need_r14() {
    if (!lazy || !recipe) return;
    a.push(x86::rax);
    a.pushfq();
    emit_materialize();
    a.popfq();
    a.pop(x86::rax);
}

void Emitter::test_flags(uint32_t mask) {
    need_r14();
    if (fcache_) a.test(x86::r14d, int32_t(r14_mask(mask)));
    else a.test(field(offsetof(CpuState, eflags), 4), int32_t(mask));
    host_ok_ = 0;
}

void Emitter::load_cf_bit(const x86::Gp& t) {
    need_r14();
    if (fcache_) {
        a.mov(t, x86::r14d);
        a.shr(t, 8);
    } else {
        a.mov(t, field(offsetof(CpuState, eflags), 4));
    }
    a.and_(t, 1);
    host_ok_ = 0;
}

namespace {

// `v` (EFLAGS layout, only bits of `mask`) into r14's layout in place: the bits 0-7 up by 8,
// OF from bit 11 (19 after the shift) to bit 0.
void to_r14_layout(x86::Assembler& a, const x86::Gp& v, uint32_t mask) {
    if (!(mask & OF)) {
        a.shl(v, 8);
    } else if (!(mask & 0xD5)) {
        a.shr(v, 11);
    } else {
        a.shl(v, 8);
        a.bt(v, 11 + 8);
        a.adc(v, 0);
    }
}

} // namespace

void Emitter::merge_flags(const x86::Gp& value32, uint32_t mask) {
    host_ok_ = 0;
    need_r14();
    if (fcache_) {
        to_r14_layout(a, value32, mask);
        a.and_(x86::r14d, int32_t(~r14_mask(mask)));
        a.or_(x86::r14d, value32);
        ffix_ &= ~mask;
        fdirty_ = true;
        return;
    }
    // eflags ^= (eflags ^ value) & mask: one read-modify-write of EFLAGS instead of an AND and
    // an OR (the flags in memory: --jit-disable regs).
    const x86::Mem fl = field(offsetof(CpuState, eflags), 4);
    a.xor_(value32, fl);
    a.and_(value32, int32_t(mask));
    a.xor_(fl, value32);
}

void Emitter::or_flags(const x86::Gp& value32) {
    host_ok_ = 0;
    need_r14();
    if (fcache_) {
        to_r14_layout(a, value32, kArithFlags);
        a.or_(x86::r14d, value32);
        fdirty_ = true;
    } else {
        a.or_(field(offsetof(CpuState, eflags), 4), value32);
    }
}

void Emitter::merge_of(const x86::Gp& bit32) {
    need_r14();
    if (fcache_) {
        a.mov(x86::r14b, bit32.r8());  // r14b is OF, 0 or 1, whole
        ffix_ &= ~OF;
        fdirty_ = true;
        host_ok_ &= ~OF;  // the host's OF is not this one; the others stay as they are
        return;
    }
    a.shl(bit32, 11);
    merge_flags(bit32, OF);
}

bool Emitter::next_takes_host_cf() const {
    // INC/DEC of a register right after this instruction, emitted natively: its load_cf() takes
    // the CF the host holds (host_flag_reader keeps host_ok_ into it) and its capture takes all
    // six, so nothing reads the CF this instruction leaves in r14. Only after a register or
    // immediate form: one with a memory operand has a slow path, whose rejoin and exit check
    // sit between the two.
    if (!fcache_ || (disabled & (kDisableFlags | kDisableAlu | kDisableAll))) return false;
    if (!block_insns || cur_ + 1 >= block_ninsns) return false;
    for (unsigned k = 0; k < in->nops(); ++k)
        if (in->is_mem(k)) return false;
    const Insn& n = block_insns[cur_ + 1];
    const ZydisMnemonic m = n.mnem();
    return (m == ZYDIS_MNEMONIC_INC || m == ZYDIS_MNEMONIC_DEC) && n.nops() == 1 && n.is_reg(0) &&
           is_gpr(n.regv(0));
}

void Emitter::capture_flags(uint32_t written, uint32_t clear) {
    uint32_t live = live_flags(written);
    if ((live & CF) && (written & ~clear & CF) && next_takes_host_cf()) live &= ~CF;  // `xor; dec; jnz`
    if (!fcache_) {
        host_ok_ = 0;
        if (!live) return;
        a.pushfq();
        a.pop(x86::rcx);
        a.and_(x86::ecx, int32_t(written & ~clear));
        merge_flags(x86::ecx, written);
        return;
    }
    // Whatever is kept, the host flags are the guest's `written` ones now (those not written
    // are the host's: a Jcc may not take them).
    host_ok_ = written & ~clear;
    ffix_ &= ~written;  // r14's values of these are stale (dead) or replaced below
    if (!live) return;
    fdirty_ = true;
    a.lahf();
    a.seto(x86::al);  // always: r14b stays exactly 0 or 1 (OF may be dead, not garbage)
    if ((live_flags(kArithFlags) & ~written) == 0) {
        // Every flag the instruction leaves alone is dead: r14 takes the host's six at once, and
        // the host flags stay intact for a condition that follows.
        a.mov(x86::r14d, x86::eax);
        ffix_ |= clear & live;
        return;
    }
    a.and_(x86::eax, int32_t(r14_mask(written & ~clear)));
    need_r14();  // the unwritten flags come from r14 (rax and the host flags kept)
    a.and_(x86::r14d, int32_t(~r14_mask(written)));
    a.or_(x86::r14d, x86::eax);
    host_ok_ = 0;
}

void Emitter::load_cf(bool scratch_free) {
    if (fcache_ && (host_ok_ & CF) && !(disabled & kDisableFlags)) return;  // the host's CF is the guest's
    if (scratch_free && fcache_ && lazy && recipe && !stash_recipe(*recipe) && !(disabled & kDisableFlags)) {
        // Lazy (a self-loop's second copy, docs/translator.md "Lazy flags of a self-loop"): the
        // recipe's flags made again straight into the host's, whose CF is then the guest's; r14
        // stays as it was (still stale), and rax and the host flags were free to clobber.
        emit_flags_again(*this, *recipe);
        host_ok_ = CF;
        return;
    }
    need_r14();
    if (fcache_) a.bt(x86::r14d, 8);
    else a.bt(field(offsetof(CpuState, eflags), 4), 0);
    host_ok_ = fcache_ ? CF : 0;  // bt leaves the others undefined
}

bool Emitter::host_flag_reader(const Insn& in) {
    // The instructions whose emitters read the guest flags (cond(), load_cf()) before emitting
    // anything that changes the host flags: Jcc rel, SETcc reg, CMOVcc reg, reg, ADC/SBB reg,
    // reg/imm, and INC/DEC reg (whose load_cf() takes the CF the host holds: `xor; dec; jnz`
    // needs no `bt r14d` between). Anything else (or one of these declining into a fallback
    // call) settles r14 first.
    const ZydisMnemonic m = in.mnem();
    auto gpr = [&](unsigned i) { return in.is_reg(i) && is_gpr(in.regv(i)); };
    if (is_jcc(m)) return in.nops() == 1 && in.is_imm(0);
    if (is_setcc(m)) return in.nops() == 1 && gpr(0);
    switch (m) {
    case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVLE:
    case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE: case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE:
    case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVNZ:
    case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVZ:
        return in.nops() == 2 && gpr(0) && gpr(1);
    case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
        return in.nops() == 2 && gpr(0) && (gpr(1) || in.is_imm(1));
    case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
        return in.nops() == 1 && gpr(0);
    default: return false;
    }
}

bool Emitter::flag_transparent(const Insn& in) {
    // Register-only moves, whatever path their emitters take (emit_alu.cpp): MOV and MOVZX/MOVSX
    // between registers or from an immediate are host MOV/MOVZX/MOVSX, and load_reg and
    // store_reg leave the host flags alone (AH..BH go through CpuState); LEA of 32-bit
    // addressing into a 32-bit register is one host LEA or MOV with the register cache on (the
    // flags cache is on only with it). A fallback call instead (its category disabled) settles
    // r14 and reloads, which clears host_ok_ as after any call.
    const ZydisMnemonic m = in.mnem();
    auto reg_or_imm = [&](unsigned k) { return (in.is_reg(k) && is_gpr(in.regv(k))) || in.is_imm(k); };
    switch (m) {
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
        return in.nops() == 2 && in.is_reg(0) && is_gpr(in.regv(0)) && reg_or_imm(1) &&
               (m == ZYDIS_MNEMONIC_MOV || !in.is_imm(1));
    case ZYDIS_MNEMONIC_LEA:
        return in.nops() == 2 && in.is_reg(0) && is_gpr(in.regv(0)) && in.asize == 4 && in.size(0) == 4;
    case ZYDIS_MNEMONIC_NOP:
        return true;  // nothing emitted (a multi-byte NOP's memory operand is not accessed)
    default: return false;
    }
}

x86::CondCode Emitter::cond(unsigned cc) {
    // The flags each pair of conditions reads (Jcc encoding >> 1).
    static const uint32_t reads[8] = {OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF};
    const bool neg = cc & 1;
    if (fcache_ && !(disabled & kDisableFlags) && (reads[cc >> 1] & ~host_ok_) == 0)
        return x86::CondCode(cc);  // the Jcc encoding is asmjit's
    if (fcache_ && !(disabled & kDisableFlags) && lazy && recipe && !stash_recipe(*recipe)) {
        // A side exit's Jcc inside a lazy stretch, after an access changed the host's flags
        // (Jit::emit's lazy_w_from admits it): the writer's flags again in the host's (its
        // recipe: `test r8b, r8b`, one instruction where r14 took four and a test), and the host
        // condition. r14 stays as it was: the stretch goes on.
        const int clear_af = emit_flags_again(*this, *recipe);  // recipe_ok: never -1 here
        host_ok_ = clear_af < 0 ? 0 : kArithFlags & ~(clear_af > 0 ? uint32_t(AF) : 0u);
        if ((reads[cc >> 1] & ~host_ok_) == 0) return x86::CondCode(cc);
    }
    // r14 is read: a lazily cleared bit among those read is cleared first (OF of an in-place
    // SAR, 0 by the interpreter's rule, which the host may leave set).
    if (ffix_ & reads[cc >> 1]) settle_flags();
    need_r14();
    const bool compound = (cc >> 1) >= 6;
    if (!compound) {
        test_flags(reads[cc >> 1]);
        return neg ? x86::CondCode::kZ : x86::CondCode::kNZ;
    }
    if (fcache_) {
        // SF != OF (or ZF too): the host flags from r14 in three instructions and the host
        // condition, where testing the two bits took a shift, an xor and a test or more. The
        // host then holds every flag r14 holds exactly (not the lazily cleared ones).
        emit_host_flags_from_r14(a);
        host_ok_ = kArithFlags & ~ffix_;
        return x86::CondCode(cc);
    }
    host_ok_ = 0;
    // SF != OF, or ZF or SF != OF: OF (bit 11) shifted onto SF (bit 7).
    a.mov(x86::eax, field(offsetof(CpuState, eflags), 4));
    a.mov(x86::ecx, x86::eax);
    a.shr(x86::ecx, 4);
    a.xor_(x86::ecx, x86::eax);
    a.and_(x86::ecx, int32_t(SF));
    if ((cc >> 1) == 7) {
        a.and_(x86::eax, int32_t(ZF));
        a.or_(x86::ecx, x86::eax);
    }
    return neg ? x86::CondCode::kZ : x86::CondCode::kNZ;
}

void Emitter::begin(const Insn& i, uint32_t at, uint8_t live, bool is_last) {
    in = &i;
    folded_ = ea_deferred_ = ea_member_ = false;
    ea_tz_ = 0;
    cur_ = block_insns && &i >= block_insns && &i < block_insns + block_ninsns ? unsigned(&i - block_insns) : ~0u;
    eip = at;
    live_after = live;
    last = is_last;
    // The host flags carry over only into an instruction that reads them before changing them,
    // or one whose code never changes them (`cmp; mov; lea; jb`: the Jcc takes the CMP's
    // host flags, not r14; the fix-ups of r14 wait too).
    if (!(fcache_ && (host_flag_reader(i) || flag_transparent(i)))) {
        settle_flags();
        host_ok_ = 0;
    }
    dirty_begin_ = dirty_;
    fdirty_begin_ = fdirty_;
    has_slow_ = has_done_ = false;
    slow_zero_rbp = false;
    rip_in_eax = false;
    seg_pending_ = -1;
    ea_known_ = false;
}

namespace {

// The forms whose emitters write rbp in probe() alone (and in a stack group's member, which
// clears rbp_set itself): MOV, MOVZX, MOVSX, LEA, the ALU group, TEST, INC, DEC, NEG, NOT,
// SETcc and Jcc.
bool keeps_rbp(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_LEA:
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL:
    case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETNL:
    case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_SETNS:
    case ZYDIS_MNEMONIC_SETNZ: case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETS:
    case ZYDIS_MNEMONIC_SETZ:
        return true;
    default:
        return is_jcc(m);
    }
}

} // namespace

void Emitter::end_native() {
    // rbp stays set past the instruction only after the plain forms, whose emitters write rbp
    // in probe() alone, and with no path that skipped part of the instruction (done()).
    if (has_done_ || !in || !keeps_rbp(in->mnem())) rbp_set = false;
    if (has_done_) {
        // A path that skipped part of the instruction joins here: r14 gets its fix-ups on the
        // path that captured, and the host flags are not the guest's on the other.
        settle_flags();
        host_ok_ = 0;
        a.bind(done_);
    }
    if (!has_slow_) return;
    ColdCode c;
    c.insn = in;
    c.slow = slow_;
    c.back = here();
    c.before = pending;
    c.at = eip;
    c.spill_set = dirty_begin_;
    c.flags_set = fdirty_begin_;
    c.host_ok = fcache_ ? host_ok_ : 0;
    c.lazy = lazy;
    c.recipe = recipe;
    c.rip_to_eax = rip_in_eax;
    c.zero_rbp = slow_zero_rbp;
    c.restore_rbp = rbp_set ? predict_addend : 0;
    cold_.push_back(std::move(c));
}

void Emitter::emit_slow_path(const ColdCode& c) {
    const x86::Mem icount = field(offsetof(CpuState, icount), 8);
    a.bind(c.slow);
    // The recipe of when it was queued: the thunk stores r14 (the registers are as the
    // instruction began).
    if (c.lazy) emit_materialize(c.recipe);
    if (regs_ && slow_thunk) {
        // The shared slow path (Jit::emit_fixed): it stores all eight registers as they
        // are (as the instruction began: no emitter writes one before its last branch
        // here) and r14 (no fix-up is pending at a slow path: begin() settled them, and
        // the flag readers that keep them have no memory operand).
        // The site: the call, the jump back (or past the record to the flags' restore), then
        // the record the thunk reads (Emitter::SlowSite).
        a.call(asmjit::imm(slow_thunk));
        const bool tail = c.host_ok || c.rip_to_eax || c.zero_rbp || c.restore_rbp;
        uint32_t to_tail = 0;  // past the record: land() below
        if (tail) to_tail = jmp_forward();
        else jmp_back(c.back, true);
        const uint32_t data = uint32_t(a.offset());
        assert(a.code()->isLabelBound(stopfault));  // Jit::emit binds it before emit_cold()
        const SlowSite site{reinterpret_cast<uintptr_t>(c.insn), c.at, c.before,
                            int32_t(a.code()->labelOffset(stopfault)) - int32_t(data)};
        a.embed(&site, sizeof site);
        if (data_ranges) data_ranges->emplace_back(data, uint32_t(a.offset()));
        if (!tail) return;
        land(to_tail);
    } else {
    if (slow_count) {
        a.mov(x86::rax, asmjit::imm(reinterpret_cast<uintptr_t>(slow_count)));
        a.inc(x86::qword_ptr(x86::rax));
    }
    emit_icount_store(c.before);
    // The registers as they were when the instruction began (an emitter writes none before
    // its last branch here), for the semantics function and a fault.
    emit_store(c.spill_set);
    if (c.flags_set && fcache_) store_flags_code(x86::ecx);
    emit_call(&helper_slow, c.insn, c.at);
    a.test(x86::eax, x86::eax);
    a.jnz(fault_exit);
    // A write to translated code (or a device's interrupt) ends the block after this
    // instruction, as at every boundary of the interpreter. CpuState holds the registers.
    asmjit::Label stay = a.newLabel();
    a.cmp(exit_word(), 0);
    a.je(stay);
    a.add(icount, 1);  // `before` is added already; rip is committed by helper_slow
    a.xor_(x86::eax, x86::eax);
    if (stop_exit.isValid()) a.jmp(stop_exit);  // records where the block stopped
    else a.jmp(asmjit::imm(epilogue));
    a.bind(stay);
    // What the instruction wrote, and the caller-saved host registers (and xmm15) the call
    // clobbered; R as it was (the instruction is counted in `pending`, not by helper_slow).
    // The fast path's dirty set at `back` covers these (they are clean here).
    emit_load_all(c.before);
    }
    if (c.zero_rbp) a.xor_(x86::ebp, x86::ebp);  // before the host flags are made (it changes them)
    if (c.restore_rbp) a.mov(x86::rbp, asmjit::imm(c.restore_rbp));  // the prediction again (rbp_set)
    if (c.host_ok) {
        // The fast path left the guest's flags in the host's for the instruction after it
        // (cond()): so does this path, from r14 (`add al; sahf`: three instructions where
        // a `push; popfq` was among the slowest on the host, and no system flag to mind).
        emit_host_flags_from_r14(a);
    }
    if (c.rip_to_eax) a.mov(x86::eax, field(offsetof(CpuState, rip), 4));  // after the flags: a MOV keeps them
    jmp_back(c.back);
}

void Emitter::emit_cold() {
    in_cold_ = true;
    for (const ColdCode& c : cold_) {
        if (c.insn) {
            emit_slow_path(c);
        } else if (c.probe == ColdCode::Probe::Reload) {
            land(c.slow_rel);
            a.mov(x86::rbp, c.entry);
            a.test(x86::rbp, x86::rbp);
            a.jz(c.miss);
            jmp_back(c.back);
        } else if (c.probe == ColdCode::Probe::Crossing) {
            // The crossing test shared (Jit::cross_thunk_: translation time), else in place.
            land(c.slow_rel);
            const uint64_t thunk = cross_thunk[__builtin_ctz(c.size)];
            if (thunk) {
                a.call(asmjit::imm(thunk));
                a.jnz(c.miss);
            } else {
                emit_crossing_test(c.size, c.miss);
            }
            jmp_back(c.back);
        } else {
            c.f();
        }
    }
    cold_.clear();
    in_cold_ = false;
}

void Emitter::commit_icount() {
    emit_icount_store(pending);
    pending = 0;
}

} // namespace xlat
