// The emit table: which native emitter (translator/emitter.h) translates a mnemonic, and the
// --jit-disable category that switches it off. A mnemonic without one, or an instance its emitter
// declines, becomes a fallback call to the row's semantics function (translator/jit.cpp).
#include "translator/emitter.h"

namespace xlat {

NativeEmitFn native_emitter(ZydisMnemonic m, uint32_t& category) {
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST:
        category = kDisableAlu;
        return emit_alu;
    case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: category = kDisableAlu; return emit_incdec;
    case ZYDIS_MNEMONIC_NEG: case ZYDIS_MNEMONIC_NOT: category = kDisableAlu; return emit_negnot;
    case ZYDIS_MNEMONIC_CMPXCHG: category = kDisableAlu; return emit_cmpxchg;
    case ZYDIS_MNEMONIC_CMPXCHG8B: category = kDisableAlu; return emit_cmpxchg8b;
    case ZYDIS_MNEMONIC_XADD: category = kDisableAlu; return emit_xadd;
    case ZYDIS_MNEMONIC_MOV: category = kDisableMove; return emit_mov_stack;
    case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: category = kDisableMove; return emit_movx;
    case ZYDIS_MNEMONIC_LEA: category = kDisableMove; return emit_lea;
    case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JNB:
    case ZYDIS_MNEMONIC_JZ: case ZYDIS_MNEMONIC_JNZ: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JNBE:
    case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JNP:
    case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JLE: case ZYDIS_MNEMONIC_JNLE:
        category = kDisableControl;
        return emit_jcc;
    case ZYDIS_MNEMONIC_JMP: category = kDisableControl; return emit_jmp;
    case ZYDIS_MNEMONIC_CALL: category = kDisableControl; return emit_call_more;
    case ZYDIS_MNEMONIC_RET: category = kDisableControl; return emit_ret;
    case ZYDIS_MNEMONIC_PUSH: category = kDisableStack; return emit_push_more;
    case ZYDIS_MNEMONIC_POP: category = kDisableStack; return emit_pop_more;
    case ZYDIS_MNEMONIC_LEAVE: category = kDisableStack; return emit_leave;
    case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETNB:
    case ZYDIS_MNEMONIC_SETZ: case ZYDIS_MNEMONIC_SETNZ: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETNBE:
    case ZYDIS_MNEMONIC_SETS: case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETNP:
    case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_SETNLE:
        category = kDisableCond;
        return emit_setcc;
    case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVNB:
    case ZYDIS_MNEMONIC_CMOVZ: case ZYDIS_MNEMONIC_CMOVNZ: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVS: case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVNP:
    case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNLE:
        category = kDisableCond;
        return emit_cmovcc;
    case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL:
    case ZYDIS_MNEMONIC_ROR: case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR:
        category = kDisableShift;
        return emit_shift;
    case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD: category = kDisableShift; return emit_shxd;
    case ZYDIS_MNEMONIC_MUL: category = kDisableMuldiv; return emit_mul;
    case ZYDIS_MNEMONIC_IMUL: category = kDisableMuldiv; return emit_imul;
    case ZYDIS_MNEMONIC_DIV: case ZYDIS_MNEMONIC_IDIV: category = kDisableMuldiv; return emit_div;
    case ZYDIS_MNEMONIC_XCHG: category = kDisableMove; return emit_xchg;
    case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE: case ZYDIS_MNEMONIC_CWD: case ZYDIS_MNEMONIC_CDQ:
        category = kDisableMove;
        return emit_convert;
    case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR: case ZYDIS_MNEMONIC_BTC:
        category = kDisableBit;
        return emit_bt;
    case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE: case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_JECXZ:
        category = kDisableControl;
        return emit_loop;
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_STOSB:
    case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
    case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
        category = kDisableString;
        return emit_rep_string;
    case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_PAUSE: category = kDisableSimple; return emit_nop;
    case ZYDIS_MNEMONIC_BSWAP: category = kDisableSimple; return emit_bswap;
    case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR: case ZYDIS_MNEMONIC_TZCNT: case ZYDIS_MNEMONIC_LZCNT:
        category = kDisableBit;
        return emit_bitscan;
    case ZYDIS_MNEMONIC_RDTSC: category = kDisableSys; return emit_rdtsc;
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT: category = kDisableSys; return emit_in;
    case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI: category = kDisableSys; return emit_cli_sti;
    case ZYDIS_MNEMONIC_CLD: case ZYDIS_MNEMONIC_STD: category = kDisableSys; return emit_cld_std;
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD: category = kDisableStack; return emit_pushf;
    default: return nullptr;
    }
}

} // namespace xlat
