// Native emitters of MUL and IMUL (one, two and three operands) and DIV/IDIV (translator/emitter.h).
// The host instruction computes the product and CF = OF, which the SDM defines; SF ZF AF PF are
// undefined and the interpreter's rule (cpu/muldiv.cpp, measured on Intel) is applied on any host:
// SF and PF from the low half of the product, ZF and AF cleared.
// DIV/IDIV leave all six flags undefined; the interpreter leaves them unchanged, and so does the
// emitted code (no capture: the host division's flags are never stored). The host must never
// raise #DE itself (a host SIGFPE, not a guest fault): a zero divisor and a quotient that does
// not fit are sent to the slow path before anything is written, where the semantics function
// raises the guest's #DE exactly.
#include "cpu/flags.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 1 ? r32.r8() : size == 2 ? r32.r16() : r32; }

// ecx = source operand `i` (a general register or memory, probed for reading), zero-extended.
bool load_source(Emitter& e, const Insn& in, unsigned i) {
    const unsigned n = in.size(i);
    if (in.is_reg(i)) {
        if (!Emitter::is_gpr(in.regv(i))) return false;
        e.load_reg(x86::ecx, in.regv(i));
        return true;
    }
    // The caller checked mem_ok().
    e.ea();
    e.probe(n, false, true);  // [rbp + rbx], read once
    if (n == 4) e.a.mov(x86::ecx, Emitter::host_at(4));
    else e.a.movzx(x86::ecx, Emitter::host_at(n));
    return true;
}

bool source_ok(Emitter& e, const Insn& in, unsigned i) {
    if (in.is_reg(i)) return Emitter::is_gpr(in.regv(i));
    return in.is_mem(i) && e.mem_ok();
}

// Right after the multiplication: CF and OF from the host, SF and PF from `lo` (the low half
// of the product, in eax), ZF and AF 0. Uses ecx (the source, consumed) and ebx (the memory
// operand's address is no longer needed).
void mul_flags(Emitter& e, const x86::Gp& lo) {
    if (!e.live_flags(kArithFlags)) return;
    x86::Assembler& a = e.a;
    a.pushfq();
    a.pop(x86::rcx);
    a.and_(x86::ecx, int32_t(CF | OF));
    a.test(lo, lo);
    a.pushfq();
    a.pop(x86::rbx);
    a.and_(x86::ebx, int32_t(SF | PF));
    a.or_(x86::ecx, x86::ebx);
    e.merge_flags(x86::ecx, kArithFlags);
}

// MUL/IMUL r/m: AX = AL * src, DX:AX = AX * src, EDX:EAX = EAX * src.
bool emit_widening(Emitter& e, const Insn& in, bool is_signed) {
    const unsigned n = in.size(0);
    if (in.nops() != 1 || (n != 1 && n != 2 && n != 4) || !source_ok(e, in, 0)) return false;
    load_source(e, in, 0);
    x86::Assembler& a = e.a;
    e.load_reg(x86::eax, ZYDIS_REGISTER_EAX);
    a.emit(is_signed ? x86::Inst::kIdImul : x86::Inst::kIdMul, sized(x86::ecx, n));
    mul_flags(e, sized(x86::eax, n));
    if (n == 1) {
        e.store_reg(ZYDIS_REGISTER_AX, x86::eax);
    } else {
        e.store_reg(n == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX, x86::eax);
        e.store_reg(n == 2 ? ZYDIS_REGISTER_DX : ZYDIS_REGISTER_EDX, x86::edx);
    }
    return true;
}

// DIV r/m: AX / src -> AL rem AH, DX:AX / src -> AX rem DX, EDX:EAX / src -> EAX rem EDX. The
// quotient fits the destination exactly when the dividend's upper half is below the divisor
// (which also excludes a zero divisor), so one unsigned compare guards the host's division.
void emit_udiv(Emitter& e, unsigned n) {
    x86::Assembler& a = e.a;
    if (n == 1) {
        e.load_reg(x86::eax, ZYDIS_REGISTER_AX);
        a.cmp(x86::ah, x86::cl);
        a.jae(e.slow());
        a.div(x86::cl);  // AL = quotient, AH = remainder
        e.store_reg(ZYDIS_REGISTER_AX, x86::eax);
        return;
    }
    e.load_reg(x86::eax, n == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX);
    e.load_reg(x86::edx, n == 2 ? ZYDIS_REGISTER_DX : ZYDIS_REGISTER_EDX);
    a.cmp(sized(x86::edx, n), sized(x86::ecx, n));
    a.jae(e.slow());
    a.div(sized(x86::ecx, n));
    e.store_reg(n == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX, x86::eax);
    e.store_reg(n == 2 ? ZYDIS_REGISTER_DX : ZYDIS_REGISTER_EDX, x86::edx);
}

// IDIV r/m, computed one size up (8 and 16 bits in 32, 32 in 64) so that the host division
// cannot overflow, except for its own most negative dividend over -1 (possible for 16 and 32
// bits: DX:AX = 0x80000000, EDX:EAX = 2^63), which is tested first; then the quotient must be
// the sign extension of its low n bytes (-2^(w-1) is accepted, as in cpu/muldiv.cpp).
void emit_sdiv(Emitter& e, unsigned n) {
    x86::Assembler& a = e.a;
    const x86::Gp ax = n == 4 ? x86::Gp(x86::rax) : x86::Gp(x86::eax), cx = n == 4 ? x86::Gp(x86::rcx) : x86::Gp(x86::ecx),
                  dx = n == 4 ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
    if (n == 1) {
        e.load_reg(x86::eax, ZYDIS_REGISTER_AX);
        a.movsx(x86::eax, x86::ax);
        a.movsx(x86::ecx, x86::cl);
    } else if (n == 2) {
        e.load_reg(x86::edx, ZYDIS_REGISTER_DX);
        e.load_reg(x86::eax, ZYDIS_REGISTER_AX);
        a.shl(x86::edx, 16);
        a.or_(x86::eax, x86::edx);
        a.movsx(x86::ecx, x86::cx);
    } else {
        e.load_reg(x86::edx, ZYDIS_REGISTER_EDX);
        e.load_reg(x86::eax, ZYDIS_REGISTER_EAX);  // zero-extends into rax
        a.shl(x86::rdx, 32);
        a.or_(x86::rax, x86::rdx);
        a.movsxd(x86::rcx, x86::ecx);
    }
    a.test(cx, cx);
    a.jz(e.slow());
    if (n != 1) {
        asmjit::Label ok = a.newLabel();
        a.cmp(cx, -1);
        a.jne(ok);
        a.mov(dx, ax);
        a.neg(dx);  // OF: the dividend is the most negative value, whose negation overflows
        a.jo(e.slow());
        a.bind(ok);
    }
    if (n == 4) a.cqo();
    else a.cdq();
    a.idiv(cx);
    // The quotient in range: equal to the sign extension of its low n bytes.
    if (n == 4) a.movsxd(x86::rbx, x86::eax);
    else a.movsx(x86::ebx, sized(x86::eax, n));
    a.cmp(n == 4 ? x86::Gp(x86::rbx) : x86::Gp(x86::ebx), ax);
    a.jne(e.slow());
    if (n == 1) {
        a.shl(x86::edx, 8);  // AH = remainder, AL = quotient
        a.movzx(x86::eax, x86::al);
        a.or_(x86::eax, x86::edx);
        e.store_reg(ZYDIS_REGISTER_AX, x86::eax);
    } else {
        e.store_reg(n == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX, x86::eax);
        e.store_reg(n == 2 ? ZYDIS_REGISTER_DX : ZYDIS_REGISTER_EDX, x86::edx);
    }
}

} // namespace

bool emit_div(Emitter& e, const Insn& in) {
    const unsigned n = in.size(0);
    if (in.nops() != 1 || (n != 1 && n != 2 && n != 4) || !source_ok(e, in, 0)) return false;
    load_source(e, in, 0);  // ecx; rbx is free afterwards
    if (in.mnem() == ZYDIS_MNEMONIC_DIV) emit_udiv(e, n);
    else emit_sdiv(e, n);
    return true;
}

bool emit_mul(Emitter& e, const Insn& in) { return emit_widening(e, in, false); }

bool emit_imul(Emitter& e, const Insn& in) {
    if (in.nops() == 1) return emit_widening(e, in, true);
    const unsigned n = in.size(0);
    if ((in.nops() != 2 && in.nops() != 3) || (n != 2 && n != 4) || !in.is_reg(0) || !Emitter::is_gpr(in.regv(0)) ||
        !source_ok(e, in, 1) || (in.nops() == 3 && !in.is_imm(2)))
        return false;
    load_source(e, in, 1);
    x86::Assembler& a = e.a;
    if (in.nops() == 2) {
        e.load_reg(x86::eax, in.regv(0));
        a.imul(sized(x86::eax, n), sized(x86::ecx, n));
    } else {
        // 6B: imm8 sign-extended to the operand size already; 69: imm16/32.
        const uint32_t m = n == 2 ? 0xFFFFu : 0xFFFFFFFFu;
        const int32_t imm = n == 2 ? int32_t(int16_t(in.val[2] & m)) : int32_t(in.val[2]);
        a.imul(sized(x86::eax, n), sized(x86::ecx, n), imm);
    }
    mul_flags(e, sized(x86::eax, n));
    e.store_reg(in.regv(0), x86::eax);
    return true;
}

} // namespace xlat
