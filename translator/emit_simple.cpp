// Native emitters of NOP (0x90 and the multi-byte 0F 1F forms, whose memory operand is never
// accessed) and BSWAP (translator/emitter.h). Neither reads nor writes a flag. Both ran as
// fallback calls before: over a million each in a boot of the default Linux guest (--stats).
#include "translator/emitter.h"

namespace xlat {

bool emit_nop(Emitter&, const Insn&) { return true; }

// BSWAP r32 reverses the bytes; with a 16-bit operand the result is undefined and, as the
// semantics function (cpu/move.cpp) and P6-family processors do, the register becomes 0.
bool emit_bswap(Emitter& e, const Insn& in) {
    if (in.nops() != 1 || !in.is_reg(0) || !Emitter::is_gpr(in.regv(0))) return false;
    const unsigned n = in.size(0);
    if (n == 4) {
        e.load_reg(x86::eax, in.regv(0));
        e.a.bswap(x86::eax);
    } else if (n == 2) {
        e.a.mov(x86::eax, 0);
    } else {
        return false;
    }
    e.store_reg(in.regv(0), x86::eax);
    return true;
}

} // namespace xlat
