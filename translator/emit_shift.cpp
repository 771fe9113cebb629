// Native emitters of the shifts and rotates (SHL SHR SAR ROL ROR RCL RCR by 1, imm8 and CL) and
// of the double shifts SHLD/SHRD (translator/emitter.h).
//
// The host instruction computes the result, which the SDM defines for every masked count on
// Intel and AMD alike. Flags come from the host only where the SDM defines them for the count
// at hand: SF ZF PF of a shift, CF of RCL/RCR (a rotation by a nonzero amount), CF of a shift by
// less than the operand width. The rest is computed the interpreter's way (cpu/shift.cpp, whose
// rules were measured on Intel), so an AMD host gives the same state: OF as the first 1-bit step
// of the original operand sets it, AF cleared by the shifts, CF of an 8- or 16-bit shift by the
// width or more as if the operand sat in a wider register, CF of ROL/ROR from the result's low
// or high bit. A masked count of 0 (and RCL/RCR by a multiple of width + 1) changes nothing; a
// memory operand is still probed for writing, as the semantics function accesses it.
//
// Registers: eax the original operand (zero-extended), edx the result, ecx the count (CL forms),
// [rbp + rbx] the memory operand of a shift (probed indexed, emitter.h; the result is stored
// right after the host instruction), that of SHLD/SHRD too when the
// source is read from its host register (else it takes ebx and the operand is [rbp]); ebx
// (free once the result is stored, or the operand probed) and ecx (once the count is used) for
// the flag arithmetic, whose pieces are merged into the guest flags one by
// one (Emitter::merge_flags, or_flags; no other host register is scratch: the guest registers
// and flags live there).
#include "cpu/flags.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

enum class Kind { Rol, Ror, Rcl, Rcr, Shl, Shr, Sar };

Kind kind_of(ZydisMnemonic m) {
    switch (m) {
    case ZYDIS_MNEMONIC_ROL: return Kind::Rol;
    case ZYDIS_MNEMONIC_ROR: return Kind::Ror;
    case ZYDIS_MNEMONIC_RCL: return Kind::Rcl;
    case ZYDIS_MNEMONIC_RCR: return Kind::Rcr;
    case ZYDIS_MNEMONIC_SHL: return Kind::Shl;
    case ZYDIS_MNEMONIC_SHR: return Kind::Shr;
    default: return Kind::Sar;
    }
}

asmjit::InstId host_id(Kind k) {
    switch (k) {
    case Kind::Rol: return x86::Inst::kIdRol;
    case Kind::Ror: return x86::Inst::kIdRor;
    case Kind::Rcl: return x86::Inst::kIdRcl;
    case Kind::Rcr: return x86::Inst::kIdRcr;
    case Kind::Shl: return x86::Inst::kIdShl;
    case Kind::Shr: return x86::Inst::kIdShr;
    default: return x86::Inst::kIdSar;
    }
}

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 1 ? r32.r8() : size == 2 ? r32.r16() : r32; }

// The destination operand: a general register or memory (probed for writing: rbp).
bool dest_ok(Emitter& e, const Insn& in) {
    const unsigned n = in.size(0);
    if (n != 1 && n != 2 && n != 4) return false;
    if (in.is_reg(0)) return Emitter::is_gpr(in.regv(0));
    return in.is_mem(0) && e.mem_ok();
}

// A memory destination: [rbp + rbx] after an indexed probe, else [rbp].
x86::Mem dest_mem(unsigned n, bool indexed) { return indexed ? Emitter::host_at(n) : x86::Mem(x86::rbp, 0, n); }

// eax = the destination's value, zero-extended.
void load_dest(Emitter& e, const Insn& in, bool indexed = false) {
    const unsigned n = in.size(0);
    if (in.is_reg(0)) e.load_reg(x86::eax, in.regv(0));
    else if (n == 4) e.a.mov(x86::eax, dest_mem(n, indexed));
    else e.a.movzx(x86::eax, dest_mem(n, indexed));
}

// edx (its low bytes) into the destination; host flags are left alone.
void store_dest(Emitter& e, const Insn& in, bool indexed = false) {
    if (in.is_reg(0)) e.store_reg(in.regv(0), x86::edx);
    else e.a.mov(dest_mem(in.size(0), indexed), sized(x86::edx, in.size(0)));
}

// t = OF (bit 11) as a 1-bit left step of the operand in eax (zero-extended) sets it: MSB XOR
// bit w-2, i.e. bit 1 of ((eax >> (w-2)) + 1) for the two-bit value (0 and 3 give 0, 1 and 2 give 1).
void of_left(x86::Assembler& a, unsigned w, const x86::Gp& t) {
    a.mov(t, x86::eax);
    a.shr(t, w - 2);
    a.add(t, 1);
    a.and_(t, 2);
    a.shl(t, 10);
}

// The count operand: an immediate (1 of D0/D1, or imm8) or CL. False for anything else.
bool count_of(const Insn& in, unsigned i, bool& by_cl, unsigned& count) {
    by_cl = false;
    count = 0;
    if (in.is_imm(i)) count = in.val[i] & 0x1F;
    else if (in.is_reg(i) && in.regv(i) == ZYDIS_REGISTER_CL) by_cl = true;
    else return false;
    return true;
}

} // namespace

bool emit_shift(Emitter& e, const Insn& in) {
    bool by_cl;
    unsigned count;
    if (in.nops() != 2 || !dest_ok(e, in) || !count_of(in, 1, by_cl, count)) return false;
    const Kind k = kind_of(in.mnem());
    const unsigned n = in.size(0), w = 8 * n;
    const bool rotate = k == Kind::Rol || k == Kind::Ror || k == Kind::Rcl || k == Kind::Rcr;
    const bool through_cf = k == Kind::Rcl || k == Kind::Rcr;
    const uint32_t written = rotate ? (CF | OF) : kArithFlags;
    x86::Assembler& a = e.a;
    x86::Gp reg;
    const bool plain_shift = k == Kind::Shl || k == Kind::Shr || k == Kind::Sar;
    if (!by_cl && in.is_reg(0) &&
        ((plain_shift && count != 0 && count < w) || ((k == Kind::Rol || k == Kind::Ror) && count % w != 0)) &&
        e.regn(in.regv(0), reg, true)) {
        // A register shifted by an immediate below its width, or rotated by one that is not a
        // multiple of it, in place (`shr r8d, 8`, `rol r10w, 8`). The host then defines SF ZF
        // PF CF of the shift (CF: the last bit shifted out), CF of the rotation (the result's
        // low or high bit, as the interpreter's) and OF of a masked count of 1 (SDM Vol. 2B,
        // "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR": the same rule as ours). OF of other counts is
        // computed as above from the original operand, into ecx before the shift and only when
        // OF is live; AF of the shifts is 0. AH..BH (regn declines) and the other counts keep the path below.
        const uint32_t wr = plain_shift ? kArithFlags : (CF | OF);
        const uint32_t live = e.live_flags(wr);
        const bool of = (live & OF) && k != Kind::Sar && !(!plain_shift && count == 1);
        if (of) {
            // OF from the original, as 0 or 1 in ecx, before the shift (the capture clobbers
            // eax; the host flags after the shift stay the guest's for a Jcc that follows),
            // then stored whole into r14b. AF of a shift is cleared lazily (the capture's
            // `clear`).
            if (n == 4) a.mov(x86::ecx, reg);
            else a.movzx(x86::ecx, reg);
            switch (k) {
            case Kind::Shl:
            case Kind::Rol:  // MSB XOR bit w-2: bit 1 of the two-bit value plus 1 (of_left)
                a.shr(x86::ecx, w - 2);
                a.add(x86::ecx, 1);
                a.shr(x86::ecx, 1);
                a.and_(x86::ecx, 1);
                break;
            case Kind::Shr:  // the MSB
                a.shr(x86::ecx, w - 1);
                break;
            default:  // Ror: MSB XOR bit 0
                a.mov(x86::edx, x86::ecx);
                a.shr(x86::ecx, w - 1);
                a.xor_(x86::ecx, x86::edx);
                a.and_(x86::ecx, 1);
                break;
            }
        }
        a.emit(host_id(k), reg, asmjit::imm(count));
        // r14 takes the host's flags (at once when every flag is written or the rest is dead);
        // OF (and AF of a shift) cleared, the computed OF merged after.
        const uint32_t clear = plain_shift ? (AF | OF) : (count == 1 ? 0 : OF);
        e.capture_flags(wr, clear);
        if (of) e.merge_of(x86::ecx);
        return true;
    }
    if (in.is_mem(0)) {
        e.ea();
        e.probe(n, true, true);  // [rbp + rbx]: the result is stored before ebx computes flags
    }
    if (!by_cl && (count == 0 || (through_cf && count % (w + 1) == 0))) return true;  // nothing changes
    if (by_cl) {
        e.load_reg(x86::ecx, ZYDIS_REGISTER_CL);
        a.and_(x86::ecx, 0x1F);
        a.jz(e.done());
        if (through_cf && w < 32)  // a rotation by 0 of the (w+1)-bit value: nothing changes
            for (unsigned m = w + 1; m < 32; m += w + 1) {
                a.cmp(x86::ecx, m);
                a.je(e.done());
            }
    }
    load_dest(e, in, true);
    a.mov(x86::edx, x86::eax);
    if (through_cf) e.load_cf();
    const asmjit::Operand cnt = by_cl ? asmjit::Operand(x86::cl) : asmjit::Operand(asmjit::imm(count));
    a.emit(host_id(k), sized(x86::edx, n), cnt);
    // The result goes out first (a mov: the host flags stay), so that ebx, the memory
    // operand's linear address, is free for the flags below.
    store_dest(e, in, true);
    if (e.live_flags(written)) {
        // ebx collects what the host defines (or CF computed from the result); the count in
        // ecx is needed afterwards only by the shifts' soft CF, which no rotation has.
        const bool soft_cf = !rotate && (by_cl ? w < 32 : count >= w);
        switch (k) {
        case Kind::Rol:  // CF = the result's bit 0
            a.mov(x86::ebx, x86::edx);
            a.and_(x86::ebx, 1);
            break;
        case Kind::Ror:  // CF = the result's MSB
            a.mov(x86::ebx, x86::edx);
            a.shr(x86::ebx, w - 1);
            a.and_(x86::ebx, 1);
            break;
        case Kind::Rcl:
        case Kind::Rcr:
            a.pushfq();
            a.pop(x86::rbx);
            a.and_(x86::ebx, int32_t(CF));
            break;
        default:
            a.pushfq();
            a.pop(x86::rbx);
            a.and_(x86::ebx, int32_t(SF | ZF | PF | (soft_cf ? 0 : CF)));
            break;
        }
        if (soft_cf) {
            // Shl, Shr, Sar: the host's flags in first, then the last bit shifted out of the
            // operand as if it sat in a 64-bit register, then OF.
            e.merge_flags(x86::ebx, written);  // AF of the shifts: 0
            if (k == Kind::Sar) a.movsx(x86::rbx, sized(x86::eax, n));
            else a.mov(x86::ebx, x86::eax);
            if (k == Kind::Shl) {
                a.emit(x86::Inst::kIdShl, x86::rbx, cnt);
                a.shr(x86::rbx, w);
            } else {
                a.shl(x86::rbx, 1);
                a.emit(k == Kind::Sar ? x86::Inst::kIdSar : x86::Inst::kIdShr, x86::rbx, cnt);
            }
            a.and_(x86::ebx, 1);
            e.or_flags(x86::ebx);
            if (k == Kind::Shl) {
                of_left(a, w, x86::ebx);
                e.or_flags(x86::ebx);
            } else if (k == Kind::Shr) {  // OF = MSB of the operand
                a.mov(x86::ebx, x86::eax);
                a.shr(x86::ebx, w - 1);
                a.shl(x86::ebx, 11);
                e.or_flags(x86::ebx);
            }  // Sar: OF = 0
        } else {
            // OF into ecx (the count is used), then everything at once.
            switch (k) {
            case Kind::Sar: break;  // OF = 0
            case Kind::Shl: case Kind::Rol: case Kind::Rcl:
                of_left(a, w, x86::ecx);
                a.or_(x86::ebx, x86::ecx);
                break;
            case Kind::Shr:  // OF = MSB of the operand
                a.mov(x86::ecx, x86::eax);
                a.shr(x86::ecx, w - 1);
                a.shl(x86::ecx, 11);
                a.or_(x86::ebx, x86::ecx);
                break;
            case Kind::Ror:  // MSB XOR bit 0
            case Kind::Rcr:  // MSB XOR the incoming CF
                a.mov(x86::ecx, x86::eax);
                a.shr(x86::ecx, w - 1);
                if (k == Kind::Ror) a.xor_(x86::ecx, x86::eax);
                else {  // the incoming CF, not yet merged (edx is free: the result is stored)
                    e.load_cf_bit(x86::edx);
                    a.xor_(x86::ecx, x86::edx);
                }
                a.and_(x86::ecx, 1);
                a.shl(x86::ecx, 11);
                a.or_(x86::ebx, x86::ecx);
                break;
            }
            e.merge_flags(x86::ebx, written);  // AF of the shifts: 0
        }
    }
    return true;
}

// SHLD/SHRD r/m, r, imm8/CL. The host's result is defined for counts up to the operand width;
// a 16-bit operand shifted by more (the P6's DEST:SRC:DEST rule, cpu/shift.cpp) is left to the
// semantics function, so the 16-bit forms are emitted for immediate counts up to 16 only.
bool emit_shxd(Emitter& e, const Insn& in) {
    bool by_cl;
    unsigned count;
    if (in.nops() != 3 || !dest_ok(e, in) || in.size(0) == 1 || !in.is_reg(1) || !Emitter::is_gpr(in.regv(1)) ||
        !count_of(in, 2, by_cl, count))
        return false;
    const unsigned n = in.size(0), w = 8 * n;
    if (n == 2 && (by_cl || count > 16)) return false;
    const bool left = in.mnem() == ZYDIS_MNEMONIC_SHLD;
    x86::Assembler& a = e.a;
    // A memory destination with the source in its host register (the cache on) is probed
    // indexed: [rbp + rbx], rbx untouched; otherwise the source is loaded into ebx and the
    // operand is [rbp].
    x86::Gp src = x86::ebx;
    const bool indexed = in.is_mem(0) && e.regn(in.regv(1), src);
    if (indexed) src = src.r32();
    if (in.is_mem(0)) {
        e.ea();
        e.probe(n, true, indexed);
    }
    if (!by_cl && count == 0) return true;
    if (by_cl) {
        e.load_reg(x86::ecx, ZYDIS_REGISTER_CL);
        a.and_(x86::ecx, 0x1F);
        a.jz(e.done());
    }
    load_dest(e, in, indexed);
    if (!indexed) e.load_reg(x86::ebx, in.regv(1));  // the memory operand is probed: ebx is free
    a.mov(x86::edx, x86::eax);
    const asmjit::Operand cnt = by_cl ? asmjit::Operand(x86::cl) : asmjit::Operand(asmjit::imm(count));
    a.emit(left ? x86::Inst::kIdShld : x86::Inst::kIdShrd, sized(x86::edx, n), sized(src, n), cnt);
    // The result goes out first (a mov: the host flags stay); edx is free for OF then. A
    // register destination that is also the source was copied into ebx before.
    store_dest(e, in, indexed);
    if (e.live_flags(kArithFlags)) {
        // ecx (the count is used) collects the flags.
        a.pushfq();
        a.pop(x86::rcx);
        a.and_(x86::ecx, int32_t(SF | ZF | PF | CF));
        if (left) {
            of_left(a, w, x86::edx);  // MSB(dest) XOR bit w-2 of dest
        } else {  // MSB(dest) XOR bit 0 of src: the low bit of their sum (the flags are taken)
            a.mov(x86::edx, src);
            a.and_(x86::edx, 1);
            a.bt(x86::eax, w - 1);
            a.adc(x86::edx, 0);
            a.and_(x86::edx, 1);
            a.shl(x86::edx, 11);
        }
        a.or_(x86::ecx, x86::edx);
        e.merge_flags(x86::ecx, kArithFlags);  // AF: 0
    }
    return true;
}

bool stash_recipe(const Insn& in) {
    const ZydisMnemonic m = in.mnem();
    return m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR || m == ZYDIS_MNEMONIC_SAR;
}

void emit_shift_flags_again(Emitter& e, const Insn& in) {
    x86::Assembler& a = e.a;
    const Kind k = kind_of(in.mnem());
    const unsigned n = in.size(0), w = 8 * n, count = unsigned(in.val[1] & 0x1F);
    // The same shift of the same value: SF ZF PF CF as the in-place emitter's host left them
    // (its count is below the width: Jit's recipe_ok), AF the interpreter's 0.
    a.mov(x86::eax, e.stash_mem());
    a.emit(host_id(k), sized(x86::eax, n), asmjit::imm(count));
    e.emit_capture_host(true);
    // OF whole into r14b, as the in-place emitter computes it (whatever the count): SHL's first
    // 1-bit step (MSB XOR bit w-2), SHR's MSB, SAR's 0.
    if (k == Kind::Sar) {
        a.mov(x86::r14b, 0);
        return;
    }
    a.mov(x86::eax, e.stash_mem());
    if (k == Kind::Shl) {
        a.shr(x86::eax, w - 2);
        a.add(x86::eax, 1);
        a.shr(x86::eax, 1);
    } else {
        a.shr(x86::eax, w - 1);
    }
    a.and_(x86::eax, 1);
    a.mov(x86::r14b, x86::al);
}

} // namespace xlat
