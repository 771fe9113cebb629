// Flag liveness across the instructions of emit_shift.cpp, emit_muldiv.cpp and emit_misc.cpp
// (translator/emitter.h, flags_live_before). An instruction kills a flag only when it writes it
// whatever its operands and cannot fault: register operands, and for the shifts a nonzero
// immediate count (a count in CL may be 0, which leaves every flag as it was: those flags stay
// live through it). Memory forms may fault, so everything is live before them, as before any
// fallback call.
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

constexpr uint8_t kAll = 0x3F;

bool registers_only(const Insn& in) {
    for (unsigned i = 0; i < in.nops(); ++i)
        if (in.is_mem(i)) return false;
    return true;
}

} // namespace

uint8_t flags_live_before(const Insn& in, uint8_t live) {
    if (!registers_only(in)) return kAll;
    const ZydisMnemonic m = in.mnem();
    switch (m) {
    case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL:
    case ZYDIS_MNEMONIC_ROR: case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR: {
        if (in.nops() != 2) return kAll;
        const bool through_cf = m == ZYDIS_MNEMONIC_RCL || m == ZYDIS_MNEMONIC_RCR;
        const bool rotate = through_cf || m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR;
        const uint8_t reads = through_cf ? kFlagBitCF : 0;
        if (!in.is_imm(1)) return uint8_t(live | reads);  // CL: possibly nothing written
        const unsigned count = in.val[1] & 0x1F, w = 8 * in.size(0);
        if (count == 0 || (through_cf && count % (w + 1) == 0)) return live;
        const uint8_t writes = rotate ? (kFlagBitCF | kFlagBitOF) : kAll;
        return uint8_t((live & ~writes) | reads);
    }
    case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD:
        if (in.nops() != 3) return kAll;
        if (!in.is_imm(2)) return live;
        return (in.val[2] & 0x1F) ? uint8_t(0) : live;
    case ZYDIS_MNEMONIC_MUL: case ZYDIS_MNEMONIC_IMUL:
        return 0;  // all six written (CF OF defined, SF ZF AF PF as the interpreter sets them)
    case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR: case ZYDIS_MNEMONIC_BTC:
        return uint8_t(live & ~kFlagBitCF);
    case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR: case ZYDIS_MNEMONIC_TZCNT: case ZYDIS_MNEMONIC_LZCNT:
        return 0;  // all six written, whatever the source, and no fault (emit_bits.cpp, cpu/bit.cpp)
    case ZYDIS_MNEMONIC_XCHG: case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE: case ZYDIS_MNEMONIC_CWD:
    case ZYDIS_MNEMONIC_CDQ: case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_BSWAP:
        return live;
    default: return kAll;
    }
}

} // namespace xlat
