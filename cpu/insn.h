// A decoded guest instruction as the semantics functions see it.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>

namespace xlat {

struct InsnRow;

struct Insn {
    ZydisDecodedInstruction d;                   // Zydis' decoding: mnemonic, widths, prefixes
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];  // explicit operands first, then hidden ones
    uint32_t next_eip;                           // offset of the following instruction in CS
    const InsnRow* row;                          // the instruction-table row that runs it

    unsigned opsize() const { return d.operand_width / 8; }   // operand size in bytes: 1, 2, 4
    unsigned addrsize() const { return d.address_width / 8; } // address size in bytes: 2, 4
    unsigned nops() const { return d.operand_count_visible; } // explicit operand count
    bool rep() const { return d.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE); }
    bool repne() const { return d.attributes & ZYDIS_ATTRIB_HAS_REPNE; }
    bool lock() const { return d.attributes & ZYDIS_ATTRIB_HAS_LOCK; }
    bool is_mem(unsigned i) const { return op[i].type == ZYDIS_OPERAND_TYPE_MEMORY; }
    bool is_reg(unsigned i) const { return op[i].type == ZYDIS_OPERAND_TYPE_REGISTER; }
    bool is_imm(unsigned i) const { return op[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE; }
    unsigned size(unsigned i) const { return op[i].size / 8; } // operand i's size in bytes
    uint32_t imm(unsigned i) const { return uint32_t(op[i].imm.value.u); }
};

} // namespace xlat
