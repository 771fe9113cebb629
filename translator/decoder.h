// Decoding for both executors: Zydis' decoding packed into the compact Insn record.
//
// The decoder works on bytes the caller fetched, at a given EIP, machine mode and CS limit: it
// neither reads CpuState nor throws, so the translator can decode a whole block ahead of
// running it and the interpreter can decode one instruction; each turns the status into its
// own fault handling.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>

#include "cpu/insn.h"
#include "cpu/state.h"
#include "cpu/table.h"

namespace xlat {

// Which Zydis machine mode decodes: real and V86 mode, 16-bit and 32-bit protected mode.
enum class DecodeMode : uint8_t { Real16 = 0, Prot16 = 1, Prot32 = 2 };

inline DecodeMode decode_mode(const CpuState& s) {
    if (!(s.cr0 & CR0_PE) || (s.eflags & VM)) return DecodeMode::Real16;
    return (s.seg[CS].attr & SEG_DB) ? DecodeMode::Prot32 : DecodeMode::Prot16;
}

enum class DecodeStatus : uint8_t {
    Ok,          // `out` holds the instruction
    NeedMore,    // the instruction continues beyond the `have` bytes given (and `have` < `avail`)
    PastLimit,   // it would run past the CS limit or 15 bytes: #GP(0)
    Undefined,   // not an instruction: #UD
    X87Absent,   // an undefined x87 opcode with CR0.EM or CR0.TS set: #NM
};

class Decoder {
public:
    explicit Decoder(const InsnTable& table);

    // Decodes the instruction at offset `eip` whose first `have` bytes are at `bytes`; `avail`
    // (at most 15) is how many bytes from `eip` lie inside the CS limit. `x87_nm`: CR0.EM or TS
    // is set. On Ok, `out` is complete (row looked up, next_eip wrapped to 16 bits outside
    // 32-bit code); a row of nullptr means the instruction exists but is not implemented.
    DecodeStatus decode(const uint8_t* bytes, unsigned have, unsigned avail, uint32_t eip, DecodeMode mode,
                        bool x87_nm, Insn& out) const noexcept;

    // Intel-syntax text of the instruction in `bytes` (for traces).
    std::string disassemble(const uint8_t* bytes, unsigned len, DecodeMode mode, uint64_t address) const;

private:
    const InsnTable& table_;
    ZydisDecoder dec_[3];  // by DecodeMode
    ZydisFormatter formatter_;
};

// Packs Zydis' decoding into `out` (everything but row and next_eip).
void pack_insn(const ZydisDecodedInstruction& d, const ZydisDecodedOperand* op, Insn& out) noexcept;

} // namespace xlat
