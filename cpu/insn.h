// A decoded guest instruction as the semantics functions see it: a compact record (at most 64
// bytes) that the interpreter's decode cache and the translator's fallback calls share, packed
// from Zydis' decoding by pack_insn (translator/decoder.cpp).
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>

namespace xlat {

struct InsnRow;

// Attribute bits of Insn::attrs.
enum InsnAttr : uint8_t {
    kAttrRep = 1u << 0,      // REP / REPE prefix
    kAttrRepne = 1u << 1,    // REPNE prefix
    kAttrLock = 1u << 2,     // LOCK prefix
    kAttrNotrack = 1u << 3,  // 3E prefix on an indirect branch (NOTRACK)
    kAttrFar = 1u << 4,      // far branch (JMP/CALL ptr16:32 or m16:32, RET far)
};

// The memory operand (x86 instructions have at most one explicit one; for string instructions
// and XLAT it is the implicit one, for MOVS/CMPS the source based on (E)SI).
struct InsnMem {
    uint16_t segment;  // ZydisRegister of the segment (ES..GS)
    uint16_t base;     // ZydisRegister or ZYDIS_REGISTER_NONE
    uint16_t index;    // ZydisRegister or ZYDIS_REGISTER_NONE
    uint8_t scale;     // 0, 1, 2, 4, 8
    uint32_t disp;     // displacement, sign-extended and truncated to 32 bits
};

struct Insn {
    const InsnRow* row;      // the instruction-table row that runs it
    uint32_t next_eip;       // offset of the following instruction in CS
    // Per operand (the first three: explicit ones, then hidden ones):
    uint32_t val[3];         // per operand: the immediate (raw, truncated to 32 bits) or far pointer offset
    InsnMem mem;             // the memory operand, if any
    uint16_t reg[3];         // per operand: ZydisRegister, or the selector of a far pointer
    uint16_t opsz[3];        // per operand: size in bytes
    uint16_t mnemonic;       // ZydisMnemonic
    uint8_t kind[3];         // per operand: ZydisOperandType, kImmSigned or'd in for sign-extended immediates
    uint8_t opcode;          // the last opcode byte
    uint8_t modrm;           // the ModRM byte (0 when there is none)
    uint8_t length;          // length in bytes
    uint8_t osize;           // operand size in bytes: 1, 2, 4 (8 for a few x87/MMX forms)
    uint8_t asize;           // address size in bytes: 2, 4
    uint8_t nvisible;        // explicit operand count
    uint8_t attrs;           // InsnAttr bits
    uint8_t flags_read;      // arithmetic flags (CF PF AF ZF SF OF, as in EFLAGS >> 0) tested, packed by flag_bits
    uint8_t flags_written;   // arithmetic flags modified, set, cleared or left undefined

    static constexpr uint8_t kImmSigned = 0x80;

    ZydisMnemonic mnem() const { return ZydisMnemonic(mnemonic); }
    unsigned opsize() const { return osize; }    // operand size in bytes: 1, 2, 4
    unsigned addrsize() const { return asize; }  // address size in bytes: 2, 4
    unsigned nops() const { return nvisible; }   // explicit operand count
    bool rep() const { return attrs & kAttrRep; }
    bool repne() const { return attrs & kAttrRepne; }
    bool lock() const { return attrs & kAttrLock; }
    bool far() const { return attrs & kAttrFar; }
    ZydisOperandType type(unsigned i) const { return ZydisOperandType(kind[i] & ~kImmSigned); }
    bool is_mem(unsigned i) const { return type(i) == ZYDIS_OPERAND_TYPE_MEMORY; }
    bool is_reg(unsigned i) const { return type(i) == ZYDIS_OPERAND_TYPE_REGISTER; }
    bool is_imm(unsigned i) const { return type(i) == ZYDIS_OPERAND_TYPE_IMMEDIATE; }
    bool is_ptr(unsigned i) const { return type(i) == ZYDIS_OPERAND_TYPE_POINTER; }
    bool imm_signed(unsigned i) const { return kind[i] & kImmSigned; }
    unsigned size(unsigned i) const { return opsz[i]; }  // operand i's size in bytes
    uint32_t imm(unsigned i) const { return val[i]; }
    ZydisRegister regv(unsigned i) const { return ZydisRegister(reg[i]); }  // register operand i
    unsigned modrm_reg() const { return (modrm >> 3) & 7; }
    unsigned modrm_rm() const { return modrm & 7; }
    unsigned modrm_mod() const { return modrm >> 6; }
};

static_assert(sizeof(Insn) <= 64, "one decoded instruction per cache line");

// The six arithmetic flags packed into 6 bits (CF, PF, AF, ZF, SF, OF), for Insn::flags_read and
// ::flags_written: the translator's liveness works on these.
constexpr uint8_t kFlagBitCF = 1, kFlagBitPF = 2, kFlagBitAF = 4, kFlagBitZF = 8, kFlagBitSF = 16,
                  kFlagBitOF = 32;

} // namespace xlat
