// Native emitters of the ALU group (ADD OR ADC SBB AND SUB XOR CMP TEST), INC/DEC, NEG/NOT, MOV,
// MOVZX/MOVSX and LEA: the same host instruction on the guest's operands, flags captured from
// the host where live (translator/emitter.h).
#include "cpu/flags.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 1 ? r32.r8() : size == 2 ? r32.r16() : r32; }

// Every memory operand of this file (LEA's is no access) is ea(true) and probed `indexed`
// (rbp = the addend, rbx the linear address, which nothing here changes between the probe and
// the access): [rbp + rbx], or the folded operand (Emitter::host_mem).

// Loads a source operand (register, immediate or memory through rbp, which the caller probed)
// zero-extended into `dst`.
void load_src(Emitter& e, const Insn& in, unsigned i, const x86::Gp& dst) {
    if (in.is_reg(i)) {
        e.load_reg(dst, in.regv(i));
    } else if (in.is_imm(i)) {
        e.a.mov(dst, in.val[i] & size_mask(in.imm_signed(i) ? in.opsize() : in.size(i)));
    } else {
        const unsigned n = in.size(i);
        if (n == 4) e.a.mov(dst, e.host_mem(4));
        else e.a.movzx(dst, e.host_mem(n));
    }
}

bool operands_ok(Emitter& e, const Insn& in, unsigned count) {
    if (in.nops() != count) return false;
    bool mem = false;
    for (unsigned i = 0; i < count; ++i) {
        if (in.is_reg(i) && !Emitter::is_gpr(in.regv(i))) return false;
        if (in.is_mem(i)) mem = true;
        else if (!in.is_reg(i) && !in.is_imm(i)) return false;
        if (in.size(i) != 1 && in.size(i) != 2 && in.size(i) != 4) return false;
    }
    return !mem || e.mem_ok();
}

asmjit::InstId alu_id(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: return x86::Inst::kIdAdd;
    case ZYDIS_MNEMONIC_OR: return x86::Inst::kIdOr;
    case ZYDIS_MNEMONIC_ADC: return x86::Inst::kIdAdc;
    case ZYDIS_MNEMONIC_SBB: return x86::Inst::kIdSbb;
    case ZYDIS_MNEMONIC_AND: return x86::Inst::kIdAnd;
    case ZYDIS_MNEMONIC_SUB: return x86::Inst::kIdSub;
    case ZYDIS_MNEMONIC_XOR: return x86::Inst::kIdXor;
    case ZYDIS_MNEMONIC_CMP: return x86::Inst::kIdCmp;
    default: return x86::Inst::kIdTest;
    }
}

// Any size: a source operand as it stands (srcn) and a register operand's host register
// (AL..BL, AX..DI, EAX..EDI: `r10b`, `r10w`, `r10d`). False for AH..BH and without the register
// cache (the scratch forms then).
bool srcn(Emitter& e, const Insn& in, unsigned i, asmjit::Operand& out) {
    const unsigned n = in.size(i);
    if (in.is_reg(i)) {
        x86::Gp r;
        if (!e.regn(in.regv(i), r)) return false;
        out = r;
    } else if (in.is_imm(i)) {
        // The immediate at the operation's size (an imm8 sign-extended to it by the guest's
        // encoding is masked at that size), signed for the host's encoder.
        const unsigned sz = in.size(0);
        const uint32_t v = uint32_t(in.val[i] & size_mask(in.imm_signed(i) ? in.opsize() : in.size(i)));
        out = asmjit::imm(sz == 1 ? int32_t(int8_t(v)) : sz == 2 ? int32_t(int16_t(v)) : int32_t(v));
    } else {
        out = e.host_mem(n);
    }
    return true;
}

} // namespace

bool emit_alu(Emitter& e, const Insn& in) {
    if (!operands_ok(e, in, 2) || in.is_imm(0)) return false;
    const ZydisMnemonic m = in.mnem();
    const unsigned n = in.size(0);
    const bool writes = m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST;
    const bool logic = m == ZYDIS_MNEMONIC_AND || m == ZYDIS_MNEMONIC_OR || m == ZYDIS_MNEMONIC_XOR ||
                       m == ZYDIS_MNEMONIC_TEST;
    const bool carry_in = m == ZYDIS_MNEMONIC_ADC || m == ZYDIS_MNEMONIC_SBB;
    x86::Assembler& a = e.a;
    if (in.is_mem(0) || in.is_mem(1)) {
        e.ea(true);
        e.probe(n, in.is_mem(0) && writes, true);
    }
    asmjit::Operand src;
    x86::Gp dst;
    if (in.is_reg(0) && srcn(e, in, 1, src) && e.regn(in.regv(0), dst, writes)) {
        // In place on the guest's host registers: `cmp r13d, r10d`, `add r8d, [rbp]`,
        // `xor r10b, r8b` (an 8- or 16-bit host write keeps the register's other bits, as the
        // guest's does).
        if (carry_in) e.load_cf();
        a.emit(alu_id(m), dst, src);
        e.capture_flags(kArithFlags, logic ? AF : 0);
        return true;
    }
    if (in.is_mem(0) && srcn(e, in, 1, src)) {
        // `add [rbp], r10d`, `and byte [rbp], 0x7F`: no move through a scratch register.
        if (carry_in) e.load_cf();
        a.emit(alu_id(m), e.host_mem(n), src);
        e.capture_flags(kArithFlags, logic ? AF : 0);
        return true;
    }
    load_src(e, in, 1, x86::ecx);
    if (in.is_reg(0)) {
        e.load_reg(x86::eax, in.regv(0));
        if (carry_in) e.load_cf();
        a.emit(alu_id(m), sized(x86::eax, n), sized(x86::ecx, n));
        if (writes) e.store_reg(in.regv(0), x86::eax);  // first: the capture clobbers eax
        e.capture_flags(kArithFlags, logic ? AF : 0);
    } else {
        if (carry_in) e.load_cf();
        a.emit(alu_id(m), e.host_mem(n), sized(x86::ecx, n));
        e.capture_flags(kArithFlags, logic ? AF : 0);
    }
    return true;
}

int emit_flags_again(Emitter& e, const Insn& in) {
    const ZydisMnemonic m = in.mnem();
    asmjit::Operand src;
    x86::Gp dst;
    // Registers a move after the writer overwrote come from the stash (Jit::emit stored them
    // right after it): the first operand's into eax, the second's as a memory operand.
    const unsigned st = e.stashed(in);
    auto first = [&]() -> bool {
        if (!(st & 1)) return e.regn(in.regv(0), dst);
        e.a.mov(x86::eax, e.stash_mem(1));
        dst = sized(x86::eax, in.size(0));
        return true;
    };
    if (m == ZYDIS_MNEMONIC_INC || m == ZYDIS_MNEMONIC_DEC) {
        // The operand as it was from the result, the CF it keeps from the stash (stash bit 2:
        // Jit::emit put it there) or from r14, which holds it then, and the same INC/DEC at the
        // same size.
        if (!operands_ok(e, in, 1) || !in.is_reg(0) || !first()) return -1;
        const bool inc = m == ZYDIS_MNEMONIC_INC;
        e.a.lea(x86::eax, x86::ptr(dst.r64(), inc ? -1 : 1));
        if (st & 4) e.a.bt(e.stash_mem(), 0);
        else e.a.bt(x86::r14d, 8);
        e.a.emit(inc ? x86::Inst::kIdInc : x86::Inst::kIdDec, sized(x86::eax, in.size(0)));
        return 0;
    }
    if (!operands_ok(e, in, 2) || !in.is_reg(0) || in.is_mem(1)) return -1;
    // `test al, al`: the one register (recipe_ok asked for it once) on both sides.
    const bool one_reg = in.is_reg(1) && in.regv(1) == in.regv(0);
    if (!one_reg) {
        if (st & 2) src = e.stash_mem(2, in.size(1));
        else if (!srcn(e, in, 1, src)) return -1;
    }
    if (!first()) return -1;
    if (one_reg) src = dst;
    x86::Assembler& a = e.a;
    switch (m) {
    case ZYDIS_MNEMONIC_CMP: a.emit(x86::Inst::kIdCmp, dst, src); return 0;
    case ZYDIS_MNEMONIC_TEST:
        if (src.isMem()) a.emit(x86::Inst::kIdTest, src, dst);  // TEST has no reg, mem form
        else a.emit(x86::Inst::kIdTest, dst, src);
        return 1;
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR:
        // SF ZF PF from the result (in the register), CF OF 0, AF the interpreter's 0.
        a.test(dst, dst);
        return 1;
    case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_ADD: {
        // The first operand as it was, from the result and the second (32-bit: Jit's recipe_ok),
        // and the operation again on it: the same six flags.
        if (in.size(0) != 4) return -1;
        const bool sub = m == ZYDIS_MNEMONIC_SUB;
        if (in.is_imm(1)) {
            const uint32_t v = uint32_t(in.val[1] & size_mask(in.imm_signed(1) ? in.opsize() : in.size(1)));
            a.lea(x86::eax, x86::ptr(dst.r64(), int32_t(sub ? v : 0u - v)));
            a.emit(sub ? x86::Inst::kIdCmp : x86::Inst::kIdAdd, x86::eax, asmjit::imm(int32_t(v)));
            return 0;
        }
        if (!(st & 1)) a.mov(x86::eax, dst);  // else there already
        a.emit(sub ? x86::Inst::kIdAdd : x86::Inst::kIdSub, x86::eax, src);
        a.emit(sub ? x86::Inst::kIdCmp : x86::Inst::kIdAdd, x86::eax, src);
        return 0;
    }
    default: return -1;
    }
}

bool emit_incdec(Emitter& e, const Insn& in) {
    if (!operands_ok(e, in, 1)) return false;
    const unsigned n = in.size(0);
    const asmjit::InstId id = in.mnem() == ZYDIS_MNEMONIC_INC ? x86::Inst::kIdInc : x86::Inst::kIdDec;
    // INC/DEC leave CF alone, on the host too: with the guest's CF in the host's first (one bt
    // of r14), the host flags hold all six afterwards, so the capture is the plain one (lahf, seto, mov) and
    // a Jcc after it (dec ecx / jnz) reads the host flags.
    const bool cf_through = e.flags_cached() && e.live_flags(CF);
    const uint32_t written = cf_through ? kArithFlags : (PF | AF | ZF | SF | OF);
    x86::Gp dst;
    if (in.is_reg(0) && e.regn(in.regv(0), dst, true)) {
        if (cf_through) e.load_cf(true);  // dst is a guest's host register, never rax
        const bool host_cf = e.host_cf_ok();
        e.a.emit(id, dst);  // `inc r10d`, `dec r9b`
        e.capture_flags(written);
        e.host_cf_kept(host_cf);  // a lazy `inc; dec` stashes the DEC's CF from the host's
        return true;
    }
    if (in.is_reg(0)) {
        e.load_reg(x86::eax, in.regv(0));
        if (cf_through) e.load_cf();
        e.a.emit(id, sized(x86::eax, n));
        e.store_reg(in.regv(0), x86::eax);  // first: the capture clobbers eax
        e.capture_flags(written);
    } else {
        e.ea(true);
        e.probe(n, true, true);
        if (cf_through) e.load_cf();
        e.a.emit(id, e.host_mem(n));
        e.capture_flags(written);
    }
    return true;
}

bool emit_negnot(Emitter& e, const Insn& in) {
    if (!operands_ok(e, in, 1)) return false;
    const unsigned n = in.size(0);
    const bool neg = in.mnem() == ZYDIS_MNEMONIC_NEG;
    const asmjit::InstId id = neg ? x86::Inst::kIdNeg : x86::Inst::kIdNot;
    x86::Gp dst;
    if (in.is_reg(0) && e.regn(in.regv(0), dst, true)) {
        e.a.emit(id, dst);
        if (neg) e.capture_flags(kArithFlags);
        return true;
    }
    if (in.is_reg(0)) {
        e.load_reg(x86::eax, in.regv(0));
        e.a.emit(id, sized(x86::eax, n));
        e.store_reg(in.regv(0), x86::eax);  // first: the capture clobbers eax
        if (neg) e.capture_flags(kArithFlags);
    } else {
        e.ea(true);
        e.probe(n, true, true);
        e.a.emit(id, e.host_mem(n));
        if (neg) e.capture_flags(kArithFlags);
    }
    return true;
}

bool emit_mov(Emitter& e, const Insn& in) {
    if (in.row->form != Form::Any || !operands_ok(e, in, 2) || in.is_imm(0)) return false;
    const unsigned n = in.size(0);
    if (in.is_mem(0) || in.is_mem(1)) {
        e.ea(true);
        e.probe(n, in.is_mem(0), true);
    }
    asmjit::Operand src;
    x86::Gp dst;
    if (in.is_reg(0) && srcn(e, in, 1, src) && e.regn(in.regv(0), dst, true)) {
        e.a.emit(x86::Inst::kIdMov, dst, src);  // `mov r8d, r10d`, `mov r8d, [rbp]`, `mov r10b, 7`
        return true;
    }
    if (in.is_mem(0) && srcn(e, in, 1, src)) {
        e.a.emit(x86::Inst::kIdMov, e.host_mem(n), src);  // `mov [rbp], r10d`, `mov byte [rbp], 0`
        return true;
    }
    load_src(e, in, 1, x86::ecx);
    if (in.is_reg(0)) e.store_reg(in.regv(0), x86::ecx);
    else e.a.mov(e.host_mem(n), sized(x86::ecx, n));
    return true;
}

bool emit_movx(Emitter& e, const Insn& in) {
    if (!operands_ok(e, in, 2) || !in.is_reg(0)) return false;
    if (emit_stack_member(e, in)) return true;  // a load of a stack group (emit_stack.cpp)
    const unsigned from = in.size(1);
    if (in.is_mem(1)) {
        e.ea(true);
        e.probe(from, false, true);
    }
    x86::Gp dst, src, whole;
    if (in.mnem() == ZYDIS_MNEMONIC_MOVZX && in.is_reg(1) && in.size(0) == 4 && e.fits_in(in.regv(1), whole) &&
        e.reg32(in.regv(0), dst, true)) {
        // The source's register holds no more than the source (its bound, "Constant-page
        // probes"), and its host register's upper half is 0 (a bound is known only after a
        // 32-bit write in this block): `movzx edx, byte [ebx]; xor dl, al; movzx edx, dl`, crc's
        // table loop, needs no second zero-extension on the chain to its lookup. A MOV when the
        // registers differ (the host renames it), nothing when they are one.
        if (whole != dst) e.a.mov(dst, whole);
        ++e.zx_left;
        return true;
    }
    if ((in.is_mem(1) || e.regn(in.regv(1), src)) && e.regn(in.regv(0), dst, true) && from < in.size(0)) {
        // Straight into the destination's host register: `movzx r10d, byte [rbp]`, `movsx
        // r9w, r8b`.
        const asmjit::Operand s = in.is_mem(1) ? asmjit::Operand(e.host_mem(from)) : asmjit::Operand(src);
        e.a.emit(in.mnem() == ZYDIS_MNEMONIC_MOVSX ? x86::Inst::kIdMovsx : x86::Inst::kIdMovzx, dst, s);
        return true;
    }
    load_src(e, in, 1, x86::ecx);
    if (in.mnem() == ZYDIS_MNEMONIC_MOVSX) e.a.movsx(x86::ecx, sized(x86::ecx, from));
    e.store_reg(in.regv(0), x86::ecx);
    return true;
}

bool emit_lea(Emitter& e, const Insn& in) {
    // LEA computes the offset only: no segment, no access (the operand size truncates it).
    if (in.nops() != 2 || !in.is_reg(0) || !Emitter::is_gpr(in.regv(0)) || (in.asize != 4 && in.asize != 2) ||
        in.size(0) < 2)
        return false;
    const InsnMem& m = in.mem;
    const bool base = m.base != ZYDIS_REGISTER_NONE, index = m.index != ZYDIS_REGISTER_NONE;
    x86::Gp dst, hb, hi;
    if (in.asize == 4 && in.size(0) == 4 && e.reg32(in.regv(0), dst) && (!base || e.reg32(ZydisRegister(m.base), hb)) &&
        (!index || e.reg32(ZydisRegister(m.index), hi))) {
        // Straight into the destination: `lea r9d, [r10 + r8*4 + 8]`. The low 32 bits of the
        // 64-bit sum depend only on the low 32 bits of the registers (as in Emitter::ea).
        e.reg32(in.regv(0), dst, true);
        const unsigned shift = Emitter::scale_shift(m);
        if (base && index) e.a.lea(dst, x86::ptr(hb.r64(), hi.r64(), shift, int32_t(m.disp)));
        else if (base && m.disp) e.a.lea(dst, x86::ptr(hb.r64(), int32_t(m.disp)));
        else if (base && dst != hb) e.a.mov(dst, hb);
        else if (base) {}  // `lea esi, [esi]`, gcc's padding before a loop: nothing (the upper half is 0 already)
        else if (index) e.a.lea(dst, x86::ptr_abs(uint64_t(int64_t(int32_t(m.disp))), hi.r64(), shift));
        else e.a.mov(dst, m.disp);
        return true;
    }
    e.ea();
    e.store_reg(in.regv(0), x86::ebx);
    return true;
}

} // namespace xlat
