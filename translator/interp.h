// The interpreter: decodes each guest instruction with Zydis and runs its semantics function.
// It is the reference every native emitter is tested against, and the portable path.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>

#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

class Interpreter {
public:
    explicit Interpreter(Cpu& cpu);

    // Runs until a stop is requested or `max_insns` instructions have run (0: no limit).
    StopReason run(uint64_t max_insns);
    // Decodes and executes exactly one instruction (or delivers the fault it raises).
    void step();
    // Decodes the instruction at CS:EIP without running it; faults as a fetch would.
    void decode(Insn& in);
    // Text of an instruction, for traces.
    std::string disassemble(const Insn& in) const;

private:
    Cpu& cpu_;
    const InsnTable& table_;
    ZydisDecoder real16_, prot16_, prot32_;
    ZydisFormatter formatter_;
    uint32_t held_dr6_ = 0;  // debug traps held back by a MOV SS / POP SS shadow
};

} // namespace xlat
