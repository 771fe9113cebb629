// Native emitters of the bit scans (translator/emitter.h): BSF and BSR, and TZCNT and LZCNT,
// which run as BSF and BSR because our CPUID claims neither BMI1 nor LZCNT (cpu/bit.cpp; Linux's
// __ffs is "rep; bsf"). The interpreter's rules, whatever the host does with a zero source or
// the undefined flags (cpu/bit.cpp): a zero source leaves the destination alone and sets ZF and
// PF (CF OF SF AF 0); otherwise the index is written and the flags are those of a logical
// operation on it (PF from its low byte) but ZF, which is 0.
#include "cpu/flags.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

bool emit_bitscan(Emitter& e, const Insn& in) {
    const ZydisMnemonic m = in.mnem();
    const bool reverse = m == ZYDIS_MNEMONIC_BSR || m == ZYDIS_MNEMONIC_LZCNT;
    if (in.nops() != 2 || !in.is_reg(0) || !Emitter::is_gpr(in.regv(0))) return false;
    const unsigned n = in.size(0);
    if ((n != 2 && n != 4) || in.size(1) != n) return false;
    x86::Assembler& a = e.a;
    if (in.is_reg(1) && Emitter::is_gpr(in.regv(1))) {
        e.load_reg(x86::ecx, in.regv(1));
    } else if (in.is_mem(1) && e.mem_ok()) {
        e.ea();
        e.probe(n, false, true);
        if (n == 4) a.mov(x86::ecx, Emitter::host_at(4));
        else a.movzx(x86::ecx, Emitter::host_at(2));
    } else {
        return false;
    }
    const uint32_t live = e.live_flags(kArithFlags);
    asmjit::Label zero = a.newLabel();
    if (live) a.mov(x86::edx, int32_t(ZF | PF));  // the flags of a zero source
    a.test(x86::ecx, x86::ecx);
    a.jz(zero);
    // ecx is the zero-extended source: the 32-bit scan gives the 16-bit index too.
    if (reverse) a.bsr(x86::ecx, x86::ecx);
    else a.bsf(x86::ecx, x86::ecx);
    e.store_reg(in.regv(0), x86::ecx);
    if (live) {
        a.xor_(x86::edx, x86::edx);
        a.test(x86::cl, x86::cl);
        a.setp(x86::dl);
        a.shl(x86::edx, 2);  // PF is bit 2
    }
    a.bind(zero);
    if (live) e.merge_flags(x86::edx, kArithFlags);
    return true;
}

} // namespace xlat
