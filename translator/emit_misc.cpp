// Native emitters of XCHG, CMPXCHG, CMPXCHG8B, XADD, CBW/CWDE/CWD/CDQ, BT/BTS/BTR/BTC and
// LOOP/LOOPE/LOOPNE/JCXZ/JECXZ (translator/emitter.h). None of them computes an undefined flag:
// BT* define CF and leave the other flags as they were (cpu/bit.cpp), which the host's CF alone,
// captured, reproduces; CMPXCHG and XADD define all six (CMP, ADD), CMPXCHG8B only ZF.
//
// LOCK: one guest CPU per machine and no device writes RAM in the middle of an instruction, so
// the plain host read-modify-write is exact; the memory forms probe the write tag once.
#include "cpu/flags.h"
#include "cpu/mode.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 1 ? r32.r8() : size == 2 ? r32.r16() : r32; }

bool gpr_operand(const Insn& in, unsigned i) { return in.is_reg(i) && Emitter::is_gpr(in.regv(i)); }

} // namespace

// XCHG reg, reg and XCHG mem, reg (either order). The memory form's LOCK is host atomicity,
// which one guest CPU cannot observe. As the semantics function: a memory operand is written
// first, so a fault leaves the register untouched.
bool emit_xchg(Emitter& e, const Insn& in) {
    if (in.nops() != 2) return false;
    const unsigned n = in.size(0);
    if ((n != 1 && n != 2 && n != 4) || in.size(1) != n) return false;
    x86::Assembler& a = e.a;
    if (gpr_operand(in, 0) && gpr_operand(in, 1)) {
        e.load_reg(x86::eax, in.regv(0));
        e.load_reg(x86::ecx, in.regv(1));
        e.store_reg(in.regv(1), x86::eax);  // the semantics function's order: operand 1 first
        e.store_reg(in.regv(0), x86::ecx);
        return true;
    }
    const unsigned mi = in.is_mem(0) ? 0 : 1, ri = 1 - mi;
    if (!in.is_mem(mi) || !gpr_operand(in, ri) || !e.mem_ok()) return false;
    e.ea();
    e.probe(n, true, true);
    const x86::Mem m = Emitter::host_at(n);  // [rbp + rbx]: one add fewer
    if (n == 4) a.mov(x86::eax, m);
    else a.movzx(x86::eax, m);
    e.load_reg(x86::ecx, in.regv(ri));
    a.mov(m, sized(x86::ecx, n));
    e.store_reg(in.regv(ri), x86::eax);
    return true;
}

// CMPXCHG r/m, r: CMP accumulator, dest; equal: dest = src; else accumulator = dest. XADD r/m, r:
// src = dest, dest = dest + src, ADD's flags. The host instruction does exactly that on the
// guest's operands (register, or memory probed for writing once). Every register is written
// after the last branch to the slow path, the destination last as in cpu/alu.cpp (CMPXCHG EAX, r:
// EAX = src; XADD r, r with one register ends with the sum).
static bool emit_exchange_op(Emitter& e, const Insn& in, bool cmpxchg) {
    if (in.nops() != 2 || !gpr_operand(in, 1)) return false;
    const unsigned n = in.size(0);
    if ((n != 1 && n != 2 && n != 4) || in.size(1) != n) return false;
    const bool to_reg = gpr_operand(in, 0);
    if (!to_reg && (!in.is_mem(0) || !e.mem_ok())) return false;
    const ZydisRegister acc = n == 1 ? ZYDIS_REGISTER_AL : n == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX;
    x86::Assembler& a = e.a;
    asmjit::Operand dst;
    if (to_reg) {
        e.load_reg(x86::edx, in.regv(0));
        dst = sized(x86::edx, n);
    } else {
        e.ea();
        e.probe(n, true, true);
        dst = Emitter::host_at(n);  // [rbp + rbx]; rbx is not touched below
    }
    e.load_reg(x86::ecx, in.regv(1));
    if (cmpxchg) {
        e.load_reg(x86::eax, acc);
        a.emit(x86::Inst::kIdCmpxchg, dst, sized(x86::ecx, n), sized(x86::eax, n));
        e.store_reg(acc, x86::eax);
    } else {
        a.emit(x86::Inst::kIdXadd, dst, sized(x86::ecx, n));
        e.store_reg(in.regv(1), x86::ecx);
    }
    if (to_reg) e.store_reg(in.regv(0), x86::edx);
    e.capture_flags(kArithFlags);  // store_reg leaves the host flags alone
    return true;
}

bool emit_cmpxchg(Emitter& e, const Insn& in) { return emit_exchange_op(e, in, true); }
bool emit_xadd(Emitter& e, const Insn& in) { return emit_exchange_op(e, in, false); }

// CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX, else EDX:EAX = m64; ZF only. The
// host instruction takes its operands in the same registers (rbx is free once probed).
bool emit_cmpxchg8b(Emitter& e, const Insn& in) {
    if (in.nops() != 1 || !in.is_mem(0) || in.size(0) != 8 || !e.mem_ok()) return false;
    x86::Assembler& a = e.a;
    e.ea();
    e.probe(8, true);
    e.load_reg(x86::eax, ZYDIS_REGISTER_EAX);
    e.load_reg(x86::edx, ZYDIS_REGISTER_EDX);
    e.load_reg(x86::ecx, ZYDIS_REGISTER_ECX);
    e.load_reg(x86::ebx, ZYDIS_REGISTER_EBX);
    a.cmpxchg8b(x86::qword_ptr(x86::rbp), x86::edx, x86::eax, x86::ecx, x86::ebx);
    e.store_reg(ZYDIS_REGISTER_EAX, x86::eax);
    e.store_reg(ZYDIS_REGISTER_EDX, x86::edx);
    e.capture_flags(ZF);
    return true;
}

// CBW AX = sext(AL), CWDE EAX = sext(AX), CWD DX = sign of AX, CDQ EDX = sign of EAX.
bool emit_convert(Emitter& e, const Insn& in) {
    x86::Assembler& a = e.a;
    switch (in.mnem()) {
    case ZYDIS_MNEMONIC_CBW:
        e.load_reg(x86::eax, ZYDIS_REGISTER_AL);
        a.movsx(x86::eax, x86::al);
        e.store_reg(ZYDIS_REGISTER_AX, x86::eax);
        break;
    case ZYDIS_MNEMONIC_CWDE:
        e.load_reg(x86::eax, ZYDIS_REGISTER_AX);
        a.movsx(x86::eax, x86::ax);
        e.store_reg(ZYDIS_REGISTER_EAX, x86::eax);
        break;
    case ZYDIS_MNEMONIC_CWD:
        e.load_reg(x86::eax, ZYDIS_REGISTER_AX);
        a.movsx(x86::eax, x86::ax);
        a.sar(x86::eax, 16);
        e.store_reg(ZYDIS_REGISTER_DX, x86::eax);
        break;
    case ZYDIS_MNEMONIC_CDQ:
        e.load_reg(x86::eax, ZYDIS_REGISTER_EAX);
        a.sar(x86::eax, 31);
        e.store_reg(ZYDIS_REGISTER_EDX, x86::eax);
        break;
    default: return false;
    }
    return true;
}

// BT/BTS/BTR/BTC r, r/imm8 and m, imm8: the offset taken modulo the operand width, as the host
// does for these forms. A memory operand with a register offset addresses a bit string around
// the operand (cpu/bit.cpp): the word or dword at EA + (offset SAR 4 or 5) * size, computed
// before the probe (which checks the segment on that address), then the host's BT* on it with
// the offset modulo the width.
bool emit_bt(Emitter& e, const Insn& in) {
    if (in.nops() != 2) return false;
    const unsigned n = in.size(0), w = 8 * n;
    if (n != 2 && n != 4) return false;
    const bool test_only = in.mnem() == ZYDIS_MNEMONIC_BT;
    asmjit::InstId id = x86::Inst::kIdBt;
    if (in.mnem() == ZYDIS_MNEMONIC_BTS) id = x86::Inst::kIdBts;
    else if (in.mnem() == ZYDIS_MNEMONIC_BTR) id = x86::Inst::kIdBtr;
    else if (in.mnem() == ZYDIS_MNEMONIC_BTC) id = x86::Inst::kIdBtc;
    x86::Assembler& a = e.a;
    asmjit::Operand offset;
    if (in.is_imm(1)) offset = asmjit::imm(in.val[1] & (w - 1));
    else if (gpr_operand(in, 1)) offset = sized(x86::ecx, n);
    else return false;
    if (in.is_reg(0)) {
        if (!gpr_operand(in, 0)) return false;
        if (in.is_reg(1)) e.load_reg(x86::ecx, in.regv(1));
        e.load_reg(x86::eax, in.regv(0));
        a.emit(id, sized(x86::eax, n), offset);
    } else {
        if (!in.is_mem(0) || !e.mem_ok()) return false;
        e.ea();
        if (in.is_reg(1)) {
            // The signed offset's word or dword: ebx += (offset SAR log2(w)) * n, wrapping like
            // any effective address (at 64 KiB with 16-bit addressing).
            e.load_reg(x86::ecx, in.regv(1));
            if (n == 2) a.movsx(x86::ecx, x86::cx);
            a.mov(x86::eax, x86::ecx);
            a.sar(x86::eax, n == 2 ? 4 : 5);
            a.lea(x86::ebx, x86::ptr(x86::rbx, x86::rax, n == 2 ? 1 : 2));
            if (in.asize == 2) a.movzx(x86::ebx, x86::bx);
            a.and_(x86::ecx, int32_t(w - 1));
            e.ea_moved();  // the bit offset moves the address anywhere: no constant page
        }
        e.probe(n, !test_only, true);
        a.emit(id, Emitter::host_at(n), offset);
    }
    if (e.live_flags(CF)) {
        a.setc(x86::dl);
        a.movzx(x86::edx, x86::dl);
        e.merge_flags(x86::edx, CF);
    }
    if (in.is_reg(0) && !test_only) e.store_reg(in.regv(0), x86::eax);
    return true;
}

// LOOP/LOOPE/LOOPNE (count = CX or ECX minus 1, by the address size; jump when it is not 0 and,
// for LOOPE/LOOPNE, ZF is 1/0) and JCXZ/JECXZ. A target beyond the CS limit raises #GP before
// the count is written: left to the semantics function.
bool emit_loop(Emitter& e, const Insn& in) {
    if (in.nops() < 1 || !in.is_imm(0)) return false;
    const uint32_t target = (in.next_eip + in.val[0]) & size_mask(in.opsize());
    if (target > mode_cs_limit(e.key)) return false;
    const unsigned asz = in.addrsize();
    if (asz != 2 && asz != 4) return false;
    x86::Assembler& a = e.a;
    const ZydisMnemonic m = in.mnem();
    const bool jcxz = m == ZYDIS_MNEMONIC_JCXZ || m == ZYDIS_MNEMONIC_JECXZ;
    e.load_reg(x86::eax, asz == 4 ? ZYDIS_REGISTER_ECX : ZYDIS_REGISTER_CX);
    a.mov(x86::edx, in.next_eip);
    a.mov(x86::ecx, target);
    if (jcxz) {
        a.test(x86::eax, x86::eax);
        a.cmovz(x86::edx, x86::ecx);
    } else {
        a.sub(x86::eax, 1);
        e.store_reg(asz == 4 ? ZYDIS_REGISTER_ECX : ZYDIS_REGISTER_CX, x86::eax);
        asmjit::Label skip = a.newLabel();
        a.test(sized(x86::eax, asz), sized(x86::eax, asz));
        a.jz(skip);
        if (m != ZYDIS_MNEMONIC_LOOP) {
            e.test_flags(ZF);
            if (m == ZYDIS_MNEMONIC_LOOPE) a.jz(skip);
            else a.jnz(skip);
        }
        a.mov(x86::edx, x86::ecx);
        a.bind(skip);
    }
    a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::edx);
    return true;
}

} // namespace xlat
