// The interpreter: decodes each guest instruction with Zydis and runs its semantics function.
// It is the reference every native emitter is tested against, and the portable path.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/table.h"
#include "translator/decoder.h"

namespace xlat {

class Interpreter {
public:
    explicit Interpreter(Cpu& cpu);

    // Runs until a stop is requested or `max_insns` instructions have run (0: no limit): then
    // returns the stop reason (MaxInsns when the budget is spent). Returns None when the exit
    // request asks for Machine::run (kExitTimer, kExitAsync) or the CPU is halted.
    StopReason run(uint64_t max_insns);
    // Decodes and executes exactly one instruction (or delivers the fault it raises).
    void step();
    // The debug traps that follow an instruction (data breakpoints, single step, a new task's T
    // bit), delivered or held by a MOV SS shadow; step() calls it, and the JIT after a block.
    void debug_traps();
    // Decodes the instruction at CS:EIP without running it; faults as a fetch would.
    void decode(Insn& in);
    // The decoded instruction at CS:EIP, from the decode cache when its bytes are unchanged.
    const Insn& fetch();
    // Text of the instruction fetch() returned last (`in`), for traces.
    std::string disassemble(const Insn& in) const;
    // Test-only (--debug-break-insn): while the "exec" trace is on, instructions with this
    // mnemonic do nothing but advance EIP, a divergence planted for tools/trace-diff to find.
    // Tested only inside the exec trace's branch, so it costs nothing otherwise.
    ZydisMnemonic debug_break = ZYDIS_MNEMONIC_INVALID;

private:
    // The "exec" trace line of the instruction about to run (docs/debugging.md, tools/trace-diff).
    void trace_exec(const char* text);
    Cpu& cpu_;
    const InsnTable& table_;
    Decoder decoder_;
    const uint8_t* last_bytes_ = nullptr;  // the bytes of the instruction fetch() returned last
    uint8_t scratch_bytes_[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};

    // Decode cache: direct-mapped by the host address of the instruction's first byte. An entry
    // keeps the bytes it was decoded from and is used only while memory still holds them, so
    // self-modifying code, DMA and loaders need no invalidation. Only instructions that start
    // at least 16 bytes before the end of their page are cached (a 16-byte compare stays inside
    // the page).
    struct CachedInsn {
        const uint8_t* host = nullptr;  // where the bytes were
        uint8_t mode = 0xFF;            // decoder: 0 real/V86, 1 16-bit protected, 2 32-bit
        uint64_t bytes[2] = {};         // the instruction bytes, zero beyond its length
        uint64_t mask[2] = {};          // which of the 16 bytes belong to it
        Insn insn;
    };
    static constexpr size_t kCacheEntries = 4096;
    std::vector<CachedInsn> cache_;
    Insn scratch_;  // for instructions the cache does not hold
};

} // namespace xlat
