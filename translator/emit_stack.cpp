// Native emitters of the stack forms emit_control.cpp leaves out (translator/emitter.h): PUSH of
// memory, of a segment register and with a 16-bit operand (66 prefix), POP to memory and to a
// 16-bit register, LEAVE, CALL through memory and the 16-bit CALL and RET. Each tries
// emit_control.cpp's emitter first (the 32-bit register and immediate forms) and otherwise
// takes the form itself. Like those, only with a flat 32-bit stack (SS flat, SS.B set): the
// stack slot is ESP - size, probed inline. None of them touches a flag.
#include <algorithm>
#include <cstdint>

#include "cpu/flags.h"
#include "cpu/mode.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

bool flat_stack(const Emitter& e) {
    const uint32_t bits = mode_bits(e.key);
    return (e.disabled & kDisableTlb) == 0 && (bits & kModeStack32) && (bits & (1u << (kModeFlatShift + SS)));
}

bool cs_flat(const Emitter& e) { return mode_bits(e.key) & (1u << (kModeFlatShift + CS)); }

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 2 ? r32.r16() : r32; }

bool gpr_of_size(const Insn& in, unsigned i, unsigned n) {
    return in.is_reg(i) && Emitter::is_gpr(in.regv(i)) && in.size(i) == n;
}

bool is_segment(const Insn& in, unsigned i) {
    return in.is_reg(i) && ZydisRegisterGetClass(in.regv(i)) == ZYDIS_REGCLASS_SEGMENT;
}

// ecx = the n-byte memory operand (probed for reading), zero-extended.
void load_mem(Emitter& e, unsigned n) {
    e.ea();
    e.probe(n, false);
    if (n == 4) e.a.mov(x86::ecx, x86::dword_ptr(x86::rbp));
    else e.a.movzx(x86::ecx, x86::word_ptr(x86::rbp));
}

// Pushes the low `n` bytes of ecx: ESP - slot probed for writing, written, ESP stored (the last
// write of the instruction: nothing may go to the slow path after it). `slot` is what ESP moves
// by, `n` <= slot what is written (PUSH of a segment register with a 32-bit operand writes 2).
void push_ecx(Emitter& e, unsigned slot, unsigned n) {
    x86::Assembler& a = e.a;
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    a.sub(x86::ebx, int32_t(slot));
    e.probe(n, true);
    a.mov(x86::Mem(x86::rbp, 0, n), sized(x86::ecx, n));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
}

// A memory operand that does not depend on ESP (POP computes it after the increment).
bool esp_free(const Insn& in) {
    const ZydisRegister b = ZydisRegister(in.mem.base), x = ZydisRegister(in.mem.index);
    return b != ZYDIS_REGISTER_ESP && x != ZYDIS_REGISTER_ESP;
}

} // namespace

// PUSH r16, imm (66 prefix), m16/m32, and segment registers. An ESP-based memory operand is
// addressed with ESP before the push (ea() runs first), and PUSH SP pushes the old value.
bool emit_push_more(Emitter& e, const Insn& in) {
    if (emit_push(e, in)) return true;
    const unsigned n = in.opsize();
    if (!flat_stack(e) || in.nops() != 1 || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    if (is_segment(in, 0)) {
        // With a 32-bit operand ESP moves by 4 and only the low word is written (cpu/stack.cpp).
        const unsigned sr = unsigned(in.regv(0)) - ZYDIS_REGISTER_ES;
        if (sr >= kSegCount) return false;
        a.movzx(x86::ecx, Emitter::field(offsetof(CpuState, seg) + sr * sizeof(SegmentCache) +
                                              offsetof(SegmentCache, selector), 2));
        push_ecx(e, n, 2);
        return true;
    }
    if (in.is_imm(0)) {
        a.mov(x86::ecx, in.val[0] & size_mask(n));  // sign-extended to the operand size already
    } else if (gpr_of_size(in, 0, n)) {
        e.load_reg(x86::ecx, in.regv(0));
    } else if (in.is_mem(0) && in.size(0) == n && e.mem_ok()) {
        load_mem(e, n);
    } else {
        return false;
    }
    push_ecx(e, n, n);
    return true;
}

// POP r16 and POP m16/m32 (not ESP-based: that address is computed after the increment, which
// the slow path's semantics function does).
bool emit_pop_more(Emitter& e, const Insn& in) {
    if (emit_pop(e, in)) return true;
    const unsigned n = in.opsize();
    if (!flat_stack(e) || in.nops() != 1 || in.row->form != Form::Any || (n != 2 && n != 4)) return false;
    const bool to_reg = gpr_of_size(in, 0, n);
    if (!to_reg && !(in.is_mem(0) && in.size(0) == n && e.mem_ok() && esp_free(in))) return false;
    x86::Assembler& a = e.a;
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    e.probe(n, false);
    if (n == 4) a.mov(x86::ecx, x86::dword_ptr(x86::rbp));
    else a.movzx(x86::ecx, x86::word_ptr(x86::rbp));
    if (!to_reg) {
        e.ea();
        e.probe(n, true);
        a.mov(x86::Mem(x86::rbp, 0, n), sized(x86::ecx, n));
        e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    }
    a.lea(x86::eax, x86::ptr(x86::rbx, int32_t(n)));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::eax);
    if (to_reg) e.store_reg(in.regv(0), x86::ecx);  // POP SP: the popped value wins
    return true;
}

// LEAVE: ESP = EBP (a 32-bit stack), then EBP (BP with a 16-bit operand) popped.
bool emit_leave(Emitter& e, const Insn& in) {
    const unsigned n = in.opsize();
    if (!flat_stack(e) || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    e.load_reg(x86::ebx, ZYDIS_REGISTER_EBP);
    e.probe(n, false);
    if (n == 4) a.mov(x86::ecx, x86::dword_ptr(x86::rbp));
    else a.movzx(x86::ecx, x86::word_ptr(x86::rbp));
    a.lea(x86::eax, x86::ptr(x86::rbx, int32_t(n)));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::eax);
    e.store_reg(n == 4 ? ZYDIS_REGISTER_EBP : ZYDIS_REGISTER_BP, x86::ecx);
    return true;
}

// CALL m32 (near, through memory) and the 16-bit near CALLs (rel16, r16, m16: IP pushed as a
// word, the target zero-extended). A static target must be within the CS limit; an indirect one
// needs a flat CS (any 32-bit target is then within it; a 16-bit one always is).
bool emit_call_more(Emitter& e, const Insn& in) {
    if (emit_call(e, in)) return true;
    const unsigned n = in.opsize();
    if (in.far() || in.nops() < 1 || !flat_stack(e) || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    uint32_t target = 0;
    if (in.is_imm(0)) {
        if (n != 2) return false;
        target = (in.next_eip + in.val[0]) & 0xFFFF;
        if (target > mode_cs_limit(e.key)) return false;
    } else if (!cs_flat(e)) {
        return false;
    } else if (gpr_of_size(in, 0, n)) {
        e.load_reg(x86::ecx, in.regv(0));  // before ESP changes (CALL SP)
    } else if (in.is_mem(0) && in.size(0) == n && e.mem_ok()) {
        load_mem(e, n);
    } else {
        return false;
    }
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    a.sub(x86::ebx, int32_t(n));
    e.probe(n, true);
    if (n == 4) a.mov(x86::dword_ptr(x86::rbp), in.next_eip);
    else a.mov(x86::word_ptr(x86::rbp), int32_t(in.next_eip & 0xFFFF));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
    if (in.is_imm(0)) e.set_rip(target);
    else a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::ecx);
    return true;
}

// ---- stack groups (docs/translator.md, "Stack groups") ----
//
// Compiled code touches the stack in runs: `push ebx; push esi; sub esp, 12; mov [esp+8], eax;
// call f` or `mov ebx, [esp]; mov esi, [esp+4]; add esp, 12; ret`. Every access used to take its
// own inline TLB probe (ten host instructions), although all of them fall at known offsets from
// one ESP. A group is such a run within a block: the ESP-relative accesses (its members) and
// register-only instructions between them that leave ESP alone or add a constant to it. Its first
// member (the leader) probes the whole range the members touch, [ESP + lo, ESP + hi], once (the
// write tag if any member writes): when that range lies in one page and hits, rbp = the host
// address of ESP + lo and every member is one host access at [rbp + constant], since none can
// miss or fault. Otherwise (a miss, the range crossing a page, a code page) the leader takes its
// own probe out of line and sets rbp = 0, and each later member, seeing rbp = 0, does the same:
// the accesses run one by one as before, each with its own slow path, so a fault is delivered by
// the member that takes it with exactly the interpreter's state. Members test rbp (one fused
// test-and-branch) instead of probing.
namespace {

struct StackUse {
    // Clobber: an access of its own (its probe takes rbp), neither a member nor a writer of ESP;
    // the members after it load rbp again from Cpu::jit_group_base (Emitter::group_slot_disp).
    enum Kind { Stop, Neutral, Member, Clobber } kind = Stop;
    int64_t off = 0;     // a member's access: at ESP (before the instruction) + off
    unsigned size = 0;   // bytes accessed
    bool write = false;
    int64_t delta = 0;   // ESP after the instruction minus ESP before
    bool alu = false;    // a member whose own emitter accesses it (alu_stack_form)
};

constexpr int64_t kGroupSpan = 128;  // bytes a group may cover (a wider one crosses pages more often)

bool is_esp(ZydisRegister r) {
    return r == ZYDIS_REGISTER_ESP || r == ZYDIS_REGISTER_SP || r == ZYDIS_REGISTER_SPL;
}

// A general register the in-place forms reach (regn): not AH..BH.
bool plain_gpr(const Insn& in, unsigned i) {
    if (!in.is_reg(i) || !Emitter::is_gpr(in.regv(i))) return false;
    const ZydisRegister r = in.regv(i);
    return !(r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH);
}

bool seg_flat(const Emitter& e, unsigned seg) {
    const unsigned sr = seg - ZYDIS_REGISTER_ES;
    return sr < kSegCount && (mode_bits(e.key) & (1u << (kModeFlatShift + sr)));
}

// Register-only instructions whose emitters touch neither rbp nor memory (nor call out), so a
// group's rbp survives them.
bool neutral_mnemonic(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_LEA:
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL:
    case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETNL:
    case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_SETNS:
    case ZYDIS_MNEMONIC_SETNZ: case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETS:
    case ZYDIS_MNEMONIC_SETZ: case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL:
    case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE: case ZYDIS_MNEMONIC_CMOVNL:
    case ZYDIS_MNEMONIC_CMOVNLE: case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS:
    case ZYDIS_MNEMONIC_CMOVNZ: case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS:
    case ZYDIS_MNEMONIC_CMOVZ:
        // SETcc and CMOVcc of registers (emit_control.cpp): the condition from the host's
        // flags or r14, through eax, ecx, edx.
        return true;
    default:
        return false;
    }
}

StackUse member(int64_t off, unsigned size, bool write, int64_t delta) {
    StackUse u;
    u.kind = StackUse::Member;
    u.off = off, u.size = size, u.write = write, u.delta = delta;
    return u;
}

// Operand `mem` of a two-operand instruction of the plain form is [ESP + disp] of 1, 2 or 4
// bytes, with 32-bit addressing and a flat segment (a member's access).
bool esp_slot(const Emitter& e, const Insn& in, int mem) {
    const InsnMem& x = in.mem;
    const unsigned n = in.size(unsigned(mem));
    return in.row->form == Form::Any && in.nops() == 2 && in.addrsize() == 4 && x.base == ZYDIS_REGISTER_ESP &&
           x.index == ZYDIS_REGISTER_NONE && seg_flat(e, x.segment) && (n == 1 || n == 2 || n == 4);
}

// An ALU-group instruction or TEST between [ESP + disp] and a register (not ESP as the
// destination) or an immediate: a member whose access its own emitter makes, through probe()
// (stack_member_probe). Not a leader.
bool alu_stack_form(const Emitter& e, const Insn& in, int& mem) {
    const ZydisMnemonic m = in.mnem();
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST:
        break;
    default:
        return false;
    }
    if (!e.group_slot_disp || in.nops() != 2) return false;
    mem = in.is_mem(0) ? 0 : in.is_mem(1) ? 1 : -1;
    if (mem < 0 || !esp_slot(e, in, mem)) return false;
    const unsigned other = 1 - unsigned(mem);
    if (!(in.is_imm(other) || (in.is_reg(other) && Emitter::is_gpr(in.regv(other))))) return false;
    // A register destination is not ESP (a write of ESP would move the group's frame).
    return !(mem == 1 && is_esp(in.regv(0)));
}

// What `in` does with the stack. The members are the forms emit_stack_member emits: PUSH r32 /
// imm, POP r32 (not ESP), CALL rel32 / r32, RET (imm16) with a 32-bit operand, MOV between a
// register (not AH..BH) or an immediate and [ESP + disp] (32-bit addressing, a flat segment).
StackUse classify(const Emitter& e, const Insn& in) {
    const StackUse stop;
    const ZydisMnemonic m = in.mnem();
    const bool stack = flat_stack(e) && e.regs_cached();
    switch (m) {
    case ZYDIS_MNEMONIC_PUSH:
        if (stack && in.opsize() == 4 && in.nops() == 1 && (in.is_imm(0) || gpr_of_size(in, 0, 4)))
            return member(-4, 4, true, -4);
        return stop;
    case ZYDIS_MNEMONIC_POP:
        if (stack && in.opsize() == 4 && in.nops() == 1 && in.row->form == Form::Any && gpr_of_size(in, 0, 4) &&
            !is_esp(in.regv(0)))
            return member(0, 4, false, 4);
        return stop;
    case ZYDIS_MNEMONIC_CALL: {
        if (!stack || in.far() || in.opsize() != 4 || in.nops() < 1) return stop;
        const bool ok = in.is_imm(0) ? ((in.next_eip + in.val[0]) <= mode_cs_limit(e.key))
                                     : (gpr_of_size(in, 0, 4) && cs_flat(e));
        return ok ? member(-4, 4, true, -4) : stop;
    }
    case ZYDIS_MNEMONIC_RET: {
        if (!stack || in.far() || in.opsize() != 4 || !cs_flat(e)) return stop;
        const uint32_t extra = in.nops() >= 1 && in.is_imm(0) ? (in.val[0] & 0xFFFF) : 0;
        return member(0, 4, false, 4 + int64_t(extra));
    }
    default:
        break;
    }
    int mem = -1;
    for (unsigned i = 0; i < in.nops(); ++i)
        if (in.is_mem(i)) mem = int(i);
    if (m == ZYDIS_MNEMONIC_MOV && mem >= 0 && stack && esp_slot(e, in, mem)) {
        const unsigned n = in.size(unsigned(mem));
        if (mem == 1 && plain_gpr(in, 0) && in.size(0) == n && !is_esp(in.regv(0)))
            return member(int32_t(in.mem.disp), n, false, 0);
        if (mem == 0 && ((plain_gpr(in, 1) && in.size(1) == n) || in.is_imm(1)))
            return member(int32_t(in.mem.disp), n, true, 0);
    }
    // MOVZX and MOVSX of [ESP + disp] into a register (not ESP): a load that extends.
    if ((m == ZYDIS_MNEMONIC_MOVZX || m == ZYDIS_MNEMONIC_MOVSX) && mem == 1 && stack && esp_slot(e, in, 1) &&
        plain_gpr(in, 0) && in.size(0) > in.size(1) && !is_esp(in.regv(0)))
        return member(int32_t(in.mem.disp), in.size(1), false, 0);
    StackUse u;
    int alu_mem = -1;
    if (stack && alu_stack_form(e, in, alu_mem)) {
        const bool writes = alu_mem == 0 && m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST;
        u = member(int32_t(in.mem.disp), in.size(unsigned(alu_mem)), writes, 0);
        u.alu = true;
        return u;
    }
    if (mem >= 0 && m != ZYDIS_MNEMONIC_LEA) {
        // A MOV or an ALU instruction with a memory operand of its own: the group goes on past
        // it (its members after it load rbp again) unless it writes ESP (or SP, SPL).
        if (!e.group_slot_disp || !(m == ZYDIS_MNEMONIC_MOV || neutral_mnemonic(m)) || in.row->form != Form::Any)
            return stop;
        if (in.nops() >= 1 && in.is_reg(0) && is_esp(in.regv(0))) return stop;
        u.kind = StackUse::Clobber;
        return u;
    }
    // A Jcc inside a superblock: its taken way leaves the block (the group with it).
    if (is_jcc(m)) {
        u.kind = StackUse::Neutral;
        return u;
    }
    if (!neutral_mnemonic(m)) return stop;
    u.kind = StackUse::Neutral;
    if (in.nops() >= 1 && in.is_reg(0) && is_esp(in.regv(0))) {
        // ESP written: only ADD/SUB ESP, imm keep it known (CMP and TEST only read it).
        if (m == ZYDIS_MNEMONIC_CMP || m == ZYDIS_MNEMONIC_TEST) return u;
        if ((m == ZYDIS_MNEMONIC_ADD || m == ZYDIS_MNEMONIC_SUB) && in.regv(0) == ZYDIS_REGISTER_ESP &&
            in.nops() == 2 && in.is_imm(1)) {
            u.delta = m == ZYDIS_MNEMONIC_ADD ? int32_t(in.val[1]) : -int64_t(int32_t(in.val[1]));
            return u;
        }
        return stop;
    }
    return u;
}

// One member's access: a load into a register (zero- or sign-extended for MOVZX, MOVSX), or
// a store of a register or an immediate.
struct StackAccess {
    enum Op { Load, LoadZx, LoadSx, StoreReg, StoreImm } op = Load;
    x86::Gp reg;
    uint32_t imm = 0;
    unsigned size = 4;
};

void emit_access(x86::Assembler& a, const StackAccess& x, x86::Mem m) {
    m.setSize(x.size);
    if (x.op == StackAccess::Load) a.mov(x.reg, m);
    else if (x.op == StackAccess::LoadZx) a.movzx(x.reg, m);
    else if (x.op == StackAccess::LoadSx) a.movsx(x.reg, m);
    else if (x.op == StackAccess::StoreReg) a.mov(m, x.reg);
    else if (x.size == 1) a.mov(m, int32_t(int8_t(x.imm)));
    else if (x.size == 2) a.mov(m, int32_t(int16_t(x.imm)));
    else a.mov(m, int32_t(x.imm));
}

// ESP at member k minus ESP at the leader of its group `g` (known at translation time).
int64_t esp_since_leader(const Emitter& e, const Emitter::StackGroup& g, unsigned k) {
    int64_t esp = 0;
    for (unsigned j = g.leader; j < k; ++j) esp += classify(e, e.block_insns[j]).delta;
    return esp;
}

// Where a group's leader leaves rbp for the members after other accesses (Cpu::jit_group_base).
x86::Mem group_slot(const Emitter& e) { return x86::Mem(x86::r15, e.group_slot_disp, 8); }

// A later member's start: rbp again from the slot when the leader's scan marked it, and to
// `own` (its own probe) when the group's probe missed (rbp = 0).
void member_entry(Emitter& e, unsigned k, asmjit::Label own) {
    if (e.stack_group.reload >> k & 1) e.a.mov(x86::rbp, group_slot(e));
    e.a.test(x86::rbp, x86::rbp);
    e.a.jz(own);
}

// The group a leader at `k` forms: members and neutral instructions from there on while the
// range stays within kGroupSpan bytes; worth it from two members. A member after an access of
// another instruction (Clobber) loads rbp again (bit j of `reload`). `hi` the range's last
// byte from ESP(k), `write` whether a member writes. False: fewer than two members.
bool scan_group(const Emitter& e, unsigned k, Emitter::StackGroup& g, int64_t& hi, bool& write) {
    unsigned members = 0, end = k;
    int64_t d = 0, lo = INT64_MAX;
    hi = INT64_MIN, write = false;
    bool clobbered = false;
    uint64_t reload = 0;
    for (unsigned j = k; j < e.block_ninsns && j < 64; ++j) {
        const StackUse v = classify(e, e.block_insns[j]);
        if (v.kind == StackUse::Stop) break;
        clobbered |= v.kind == StackUse::Clobber;
        if (v.kind == StackUse::Member) {
            const int64_t l = std::min(lo, d + v.off), h = std::max(hi, d + v.off + int64_t(v.size) - 1);
            if (h - l >= kGroupSpan) break;
            lo = l, hi = h, write |= v.write, end = j + 1;
            if (clobbered) reload |= uint64_t(1) << j;
            clobbered = v.alu;  // its own probe, should it miss, leaves rbp the TLB's
            ++members;
        }
        d += v.delta;
        if (d < -kGroupSpan * 64 || d > kGroupSpan * 64) break;
    }
    if (members < 2) return false;
    g.leader = k, g.end = end, g.lo = int(lo), g.reload = reload;
    return true;
}

} // namespace

bool select_group(const Emitter& e, unsigned k, Emitter::StackGroup& g) {
    if (!e.block_insns || (e.disabled & kDisableStackGroup) || !e.regs_cached() || e.no_groups || k >= e.block_ninsns)
        return false;
    const Emitter::StackGroup& cur = e.stack_group;
    const StackUse u = classify(e, e.block_insns[k]);
    if ((cur.leader < k && k < cur.end) || u.kind != StackUse::Member || u.alu) return false;
    int64_t hi = 0;
    bool write = false;
    return scan_group(e, k, g, hi, write);
}

bool select_in_group(const Emitter& e, unsigned k, const Emitter::StackGroup& g) {
    return g.leader <= k && k < g.end && k < e.block_ninsns && classify(e, e.block_insns[k]).kind == StackUse::Member;
}

bool select_member(const Emitter& e, unsigned k, const Emitter::StackGroup& g, int32_t& off) {
    if (!(g.leader <= k && k < g.end) || k >= e.block_ninsns) return false;
    const Insn& in = e.block_insns[k];
    const StackUse u = classify(e, in);
    if (u.kind != StackUse::Member || u.alu || in.mnem() != ZYDIS_MNEMONIC_MOV || u.size != 4 || u.delta) return false;
    off = int32_t(esp_since_leader(e, g, k) + u.off - g.lo);
    return true;
}

bool emit_stack_member(Emitter& e, const Insn& in) {
    if (!e.block_insns || (e.disabled & kDisableStackGroup) || !e.regs_cached() || e.no_groups) return false;
    // Only the block's own instructions (an emitter may pass a copy it made).
    const uintptr_t at = reinterpret_cast<uintptr_t>(&in), first = reinterpret_cast<uintptr_t>(e.block_insns);
    if (at < first || at >= first + e.block_ninsns * sizeof(Insn)) return false;
    const unsigned k = unsigned((at - first) / sizeof(Insn));
    const StackUse u = classify(e, in);
    if (u.kind != StackUse::Member || u.alu) return false;
    Emitter::StackGroup& g = e.stack_group;
    const bool leader = !(g.leader < k && k < g.end);
    int64_t esp = 0;  // ESP here minus ESP at the leader
    int64_t lo = 0, hi = 0;
    bool write = false;
    if (leader) {
        if (!scan_group(e, k, g, hi, write)) return false;
        lo = g.lo;
        ++e.group_leaders;
    } else {
        esp = esp_since_leader(e, e.stack_group, k);
    }

    x86::Assembler& a = e.a;
    const ZydisMnemonic m = in.mnem();
    StackAccess acc;
    acc.size = u.size;
    x86::Gp r;
    switch (m) {
    case ZYDIS_MNEMONIC_PUSH:
        if (in.is_imm(0)) acc.op = StackAccess::StoreImm, acc.imm = in.val[0];
        else e.reg32(in.regv(0), r), acc.op = StackAccess::StoreReg, acc.reg = r;  // PUSH ESP: before the push
        break;
    case ZYDIS_MNEMONIC_POP:
        e.reg32(in.regv(0), r, true), acc.op = StackAccess::Load, acc.reg = r;
        break;
    case ZYDIS_MNEMONIC_CALL:
        acc.op = StackAccess::StoreImm, acc.imm = in.next_eip;
        break;
    case ZYDIS_MNEMONIC_RET:
        acc.op = StackAccess::Load, acc.reg = x86::eax;
        break;
    case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
        e.regn(in.regv(0), r, true);
        acc.op = m == ZYDIS_MNEMONIC_MOVZX ? StackAccess::LoadZx : StackAccess::LoadSx, acc.reg = r;
        break;
    default:  // MOV
        if (in.is_mem(1)) e.regn(in.regv(0), r, true), acc.op = StackAccess::Load, acc.reg = r;
        else if (in.is_imm(1)) acc.op = StackAccess::StoreImm, acc.imm = in.val[1];
        else e.regn(in.regv(1), r), acc.op = StackAccess::StoreReg, acc.reg = r;
        break;
    }

    const asmjit::Label own = a.newLabel(), tail = a.newLabel(), slow = e.slow();
    // Its slow path (a miss or a page crossing of its own probe) rejoins at the instruction's
    // end, past the `xor ebp, ebp` below: it clears rbp itself, or a member after it would take
    // the probe's addend for the group's base (a POP across a page end, then a PUSH: found by
    // jit_diff seed 1476924185, a write to guest page 0).
    e.slow_zero_rbp = true;
    const x86::Gp esp64 = Emitter::host_gpr(4);
    const x86::Mem slot = group_slot(e);
    const bool keep = leader && (g.reload || e.group_keep);  // the leader leaves rbp in the slot
    if (leader && e.group_reuse) {
        // A self-loop's later turn (docs/translator.md, "Stack groups across turns"): ESP is
        // the same as at the previous turn's leader, which left rbp in the slot (0 when it
        // missed): taken from there; 0 probes again, out of line.
        const asmjit::Label reprobe = a.newLabel(), back = a.newLabel();
        a.mov(x86::rbp, slot);
        a.test(x86::rbp, x86::rbp);
        a.jz(reprobe);
        a.bind(back);
        const int32_t range_lo = int32_t(lo);
        const unsigned range = unsigned(hi - lo + 1);
        e.defer([&e, reprobe, back, own, esp64, range_lo, range, write, slot] {
            x86::Assembler& a = e.a;
            a.bind(reprobe);
            a.lea(x86::ebx, x86::ptr(esp64, range_lo));
            e.ea_moved();
            e.probe(range, write, false, own);
            a.mov(slot, x86::rbp);
            a.jmp(back);
        });
    } else if (leader) {
        // rbx = ESP + lo (32-bit: it wraps as the guest's address does); the probe of hi - lo
        // + 1 bytes hits only when the whole range is in the entry's page (the page of its
        // last byte is compared), so no member can wrap or cross.
        a.lea(x86::ebx, x86::ptr(esp64, int32_t(lo)));
        e.probe(unsigned(hi - lo + 1), write, false, own);
        // For the members after an access of another instruction, and a self-loop's next turn.
        if (keep) a.mov(slot, x86::rbp);
    } else {
        member_entry(e, k, own);
    }
    emit_access(a, acc, x86::Mem(x86::rbp, int32_t(esp + u.off - g.lo), acc.size));
    a.bind(tail);
    // What the member writes besides: rip, then ESP (CALL ESP jumps to ESP before the push).
    if (m == ZYDIS_MNEMONIC_CALL) {
        if (in.is_imm(0)) e.set_rip_of_branch(uint32_t(in.next_eip + in.val[0]));
        else e.reg32(in.regv(0), r), a.mov(Emitter::field(offsetof(CpuState, rip), 4), r);
    } else if (m == ZYDIS_MNEMONIC_RET) {
        e.set_rip_of_ret();
    }
    if (u.delta) {
        e.reg32(ZYDIS_REGISTER_ESP, r, true);
        a.lea(r, x86::ptr(esp64, int32_t(u.delta)));
    }
    // Out of line: this member's own probe (its slow path on a miss), and rbp = 0 after it, so
    // the members after it probe for themselves too. The registers are as the instruction
    // began (the access is its first write).
    const int32_t off = int32_t(u.off);
    const unsigned size = u.size;
    const bool w = u.write;
    const bool zero_slot = keep;
    e.defer([&e, own, tail, slow, off, size, w, acc, esp64, zero_slot, slot] {
        x86::Assembler& a = e.a;
        a.bind(own);
        a.xor_(x86::ebp, x86::ebp);  // a miss below leaves it 0 for the members after
        if (zero_slot) a.mov(slot, x86::rbp);  // and for those that load it again
        a.lea(x86::ebx, x86::ptr(esp64, off));
        e.probe(size, w, false, slow);
        emit_access(a, acc, x86::Mem(x86::rbp, 0, size));
        a.xor_(x86::ebp, x86::ebp);
        a.jmp(tail);
    });
    e.rbp_set = false;  // rbp the group's (or 0), not a prediction
    return true;
}

namespace {

// Instruction `k` (`in`) is an ALU member of the current group: what it does with the stack in `u`.
bool alu_member(const Emitter& e, const Insn& in, unsigned k, StackUse& u) {
    const Emitter::StackGroup& g = e.stack_group;
    if (!(g.leader < k && k < g.end) || (e.disabled & kDisableStackGroup) || !e.regs_cached() || e.no_groups) return false;
    u = classify(e, in);
    return u.kind == StackUse::Member && u.alu;
}

} // namespace

bool stack_alu_member(const Emitter& e, const Insn& in, unsigned k) {
    StackUse u;
    return alu_member(e, in, k, u);
}

bool stack_member_probe(Emitter& e, const Insn& in, unsigned k, unsigned size, bool write) {
    // An ALU member of the current group (alu_stack_form): rbp = the group's host address (again
    // from the slot after another access), and the emitter's operand is [rbp + its offset in
    // the group's range] (Emitter::fold_into); rbp = 0 (the leader missed) takes the ordinary
    // probe out of line, whose rbp is then moved down by that offset (the members after it load
    // rbp again: the leader's scan marks them).
    StackUse u;
    if (!alu_member(e, in, k, u) || size != u.size || write != u.write) return false;
    x86::Assembler& a = e.a;
    const asmjit::Label own = a.newLabel(), back = a.newLabel(), slow = e.slow();
    member_entry(e, k, own);
    a.bind(back);
    const int32_t disp = int32_t(esp_since_leader(e, e.stack_group, k) + u.off - e.stack_group.lo);
    e.fold_into(x86::Mem(x86::rbp, disp, 0));
    const x86::Gp esp64 = Emitter::host_gpr(4);
    const int32_t off = int32_t(u.off);
    e.defer([&e, own, back, slow, off, disp, size, write, esp64] {
        e.a.bind(own);
        e.a.lea(x86::ebx, x86::ptr(esp64, off));
        e.probe(size, write, true, slow);
        e.a.lea(x86::rbp, x86::ptr(x86::rbp, x86::rbx, 0, -disp));
        e.a.jmp(back);
    });
    e.rbp_set = false;  // rbp the group's (or 0)
    return true;
}

bool block_keeps_esp(const Insn* insns, unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
        const Insn& in = insns[i];
        const ZydisMnemonic m = in.mnem();
        if (is_jcc(m)) continue;
        // Register-only forms and MOV-like ones write their first operand alone (CMP and TEST
        // none): ESP is written only when it is that operand.
        if (!neutral_mnemonic(m)) return false;
        if (m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST && in.nops() >= 1 && in.is_reg(0) && is_esp(in.regv(0)))
            return false;
    }
    return true;
}

bool emit_mov_stack(Emitter& e, const Insn& in) { return emit_stack_member(e, in) || emit_mov(e, in); }

} // namespace xlat
