// The instruction table: one row per instruction form.
//
// A row names the Zydis mnemonic and the operand form it covers, the semantics function that runs
// it, the native emitter (none yet: the translator falls back to the semantics function), and the
// facts the translator needs. Operand plumbing is generic (Cpu::rd_op / wr_op), so a semantics
// function only computes. Each category file (alu.cpp, string.cpp, ...) registers its rows.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <vector>

#include "cpu/insn.h"

namespace xlat {

class Cpu;
class Emitter;  // translator/: writes host code for one guest instruction
using SemanticsFn = void (*)(Cpu&, const Insn&);
// A native emitter: writes host code for `in` into the block being translated; false when this
// instance cannot be emitted natively (the translator then calls the semantics function).
using EmitFn = bool (*)(Emitter&, const Insn& in);

// Which operand form of a mnemonic a row covers. Most mnemonics have one row (Any); MOV has
// separate rows for segment, control and debug registers because those are privileged or change
// the translator's mode key, and POP one for segment registers.
enum class Form : uint8_t {
    Any,
    Sreg,      // MOV r/m, Sreg: reads a selector
    SregLoad,  // MOV Sreg, r/m and POP Sreg: loads a segment register (changes the mode key)
    Cr,        // MOV to or from a control register
    Dr,        // MOV to or from a debug register
    kCount
};

enum RowFact : uint16_t {
    kEndsBlock = 1u << 0,   // control transfer or mode change: the block ends after it
    kPrivileged = 1u << 1,  // CPL 0 only (#GP otherwise)
    kSensitive = 1u << 2,   // depends on or changes state the translator keys on (IOPL, IF, ...)
    kLockable = 1u << 3,    // accepts LOCK with a memory destination
    kString = 1u << 4,      // string instruction (REP prefixes apply)
};

struct InsnRow {
    ZydisMnemonic mnemonic;   // Zydis mnemonic
    Form form;                // operand form covered
    SemanticsFn fn;           // the reference semantics
    const char* category;     // alu, shift, muldiv, bcd, string, control, stack, system, ...
    uint16_t facts;           // RowFact bits
    EmitFn emitter;           // native emitter (nullptr: call fn)
};

class InsnTable {
public:
    InsnTable();
    void add(ZydisMnemonic m, SemanticsFn fn, const char* category, uint16_t facts = 0,
             Form form = Form::Any);
    const InsnRow* find(ZydisMnemonic m, Form form) const;
    const std::vector<InsnRow>& rows() const { return rows_; }

private:
    std::vector<InsnRow> rows_;
    std::vector<int32_t> index_;  // (mnemonic, form) -> row index, -1 when absent
};

// The process-wide read-only table, built once on first use (it holds no machine state).
const InsnTable& instruction_table();

// Category registration functions, one per file.
void register_move(InsnTable&);
void register_alu(InsnTable&);
void register_shift(InsnTable&);
void register_muldiv(InsnTable&);
void register_bcd(InsnTable&);
void register_bit(InsnTable&);
void register_string(InsnTable&);
void register_control(InsnTable&);
void register_stack(InsnTable&);
void register_system(InsnTable&);
void register_misc(InsnTable&);
void register_x87(InsnTable&);
void register_mmx(InsnTable&);

} // namespace xlat
