// The interpreter: decodes guest instructions with Zydis and runs their semantics functions.
// It is the reference every native emitter is tested against, and the portable path.
//
// Two paths share the semantics: step() fetches, decodes (through a decode cache) and runs one
// instruction with every per-instruction duty (breakpoints, single step, RF, the interrupt
// shadow, --trace insn); run() with blocks enabled runs whole decoded blocks (translator/block.h,
// the JIT's decode_block and BlockCache) while none of those duties applies, calling the
// semantics functions in sequence with no fetch, decode or lookup per instruction, and falls
// back to step() for the rest (docs/cpu.md).
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/table.h"
#include "translator/block.h"
#include "translator/block_cache.h"
#include "translator/decoder.h"

namespace xlat {

class Interpreter {
public:
    explicit Interpreter(Cpu& cpu);
    ~Interpreter();
    Interpreter(const Interpreter&) = delete;
    Interpreter& operator=(const Interpreter&) = delete;

    // Lets run() execute from decoded blocks. Only for the machine's executor when no JIT runs:
    // the block cache takes PhysMem's code-write report (on_code_write), which the JIT owns
    // otherwise. Without it run() steps one instruction at a time.
    void enable_blocks();
    // Back to one instruction at a time (tests compare both paths).
    void disable_blocks();
    bool blocks_enabled() const { return blocks_ != nullptr; }

    // Runs until a stop is requested or `max_insns` instructions have run (0: no limit): then
    // returns the stop reason (MaxInsns when the budget is spent). Returns None when the exit
    // request asks for Machine::run (kExitTimer, kExitAsync) or the CPU is halted.
    StopReason run(uint64_t max_insns);
    // Decodes and executes exactly one instruction (or delivers the fault it raises).
    void step();
    // Exactly one instruction as step() runs it, through the block path when blocks are enabled
    // and the state allows (Machine::step: the per-instruction tests then check that path).
    void step_block();
    // The semantics the block path runs for `in`: a form-specialised function for the hottest
    // forms (translator/interp_fast.cpp), else the row's.
    static SemanticsFn semantics_for(const Insn& in);
    // The debug traps that follow an instruction (data breakpoints, single step, a new task's T
    // bit), delivered or held by a MOV SS shadow; step() calls it, and the JIT after a block.
    void debug_traps();
    // Decodes the instruction at CS:EIP without running it; faults as a fetch would.
    void decode(Insn& in);
    // The decoded instruction at CS:EIP, from the decode cache when its bytes are unchanged.
    const Insn& fetch();
    // The decode cache's instruction at host address `host` in `mode`, when it holds one there
    // whose bytes memory still has: copied to `out` (next_eip is the caller's to set). `host`
    // must lie at least 16 bytes before the end of its page (the compare reads 16 bytes). The
    // JIT's block decoder asks first: a block is translated after the interpreter ran it cold,
    // so its instructions are usually here, and Zydis was a fifth of the translation time.
    bool cached(const uint8_t* host, DecodeMode mode, Insn& out) const;
    // Text of the instruction fetch() returned last (`in`), for traces.
    std::string disassemble(const Insn& in) const;
    // Test-only (--debug-break-insn): while the "exec" trace is on, instructions with this
    // mnemonic do nothing but advance EIP, a divergence planted for tools/trace-diff to find.
    // Tested only inside the exec trace's branch, so it costs nothing otherwise.
    ZydisMnemonic debug_break = ZYDIS_MNEMONIC_INVALID;

    struct BlockStats {
        uint64_t translated = 0;   // blocks decoded
        uint64_t insns = 0;        // instructions in them
        uint64_t runs = 0;         // block entries
        uint64_t linked = 0;       // of them, entered through the previous block's link (Block::next)
        uint64_t steps = 0;        // instructions run() left to step()
        uint64_t invalidated = 0;  // blocks invalidated by writes to their pages
        uint64_t flushes = 0;      // whole-cache flushes (size bound, memory map changed)
    };
    const BlockStats& block_stats() const { return bstats_; }
    // Instructions fetch() decoded with Zydis (not found in its decode cache, or not cacheable).
    uint64_t decodes() const { return decodes_; }
    std::string describe_stats() const;

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
    static constexpr size_t kCacheEntries = 32768;
    static size_t cache_slot(const uint8_t* host) {
        const uintptr_t h = reinterpret_cast<uintptr_t>(host);
        return (h ^ (h >> 12)) & (kCacheEntries - 1);
    }
    std::vector<CachedInsn> cache_;
    Insn scratch_;  // for instructions the cache does not hold
    // The instructions that start in the last 15 bytes of a page (the decode cache above holds
    // none of them), direct-mapped by linear address: the bytes they were decoded from, which
    // fetch_page_end() reads again through the TLB (both pages, for one that crosses) and
    // compares. The JIT's blocks end before an instruction that crosses a page, so the
    // interpreter runs every one of those: a hot one in the Linux kernel (at 0xC4124FFC in our
    // guest, a million runs per boot) cost two Zydis decodes a run, 7 % of a boot's host
    // instructions (callgrind, docs/performance.md).
    struct PageEndInsn {
        uint32_t lin = 0;
        uint8_t mode = 0xFF;  // as CachedInsn; 0xFF: empty
        uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
        Insn insn;
    };
    static constexpr size_t kPageEndEntries = 256;
    std::vector<PageEndInsn> page_end_;
    const Insn& fetch_page_end(uint32_t lin, const uint8_t* host);  // host: lin's bytes (exec_host)
    uint64_t decodes_ = 0;

    // ---- the block path ----
    std::unique_ptr<BlockCache> blocks_;  // null: run() steps
    BlockStats bstats_;
    bool flush_pending_ = false;        // the memory map changed or the cache is too big
    std::vector<Block*> counted_;       // blocks with pending_runs not yet in the statistics
    std::vector<Insn> scratch_insns_;
    std::vector<uint32_t> scratch_eips_;
    // A cache holding this many blocks (valid or invalidated) is flushed at the next turn.
    static constexpr size_t kMaxBlocks = 32768;

    // run() with blocks and with steps.
    StopReason run_blocks(uint64_t end);
    StopReason run_steps(uint64_t end);
    // True when step() has something to do for the next instruction besides fetching and
    // running it (see interp.cpp): the block path does not run then.
    bool per_insn_duties() const;
    // The block at CS:EIP, or null (a fetch fault, MMIO, an instruction decode_block leaves out).
    Block* lookup();
    Block* translate(const uint8_t* host, uint32_t lin, uint32_t eip, uint32_t cs_base, uint64_t key);
    // Runs at most `budget` instructions of `b`, stopping after one that leaves a per-instruction
    // duty (exit request, interrupt shadow, HLT) or faults.
    // Returns true when all of `b` ran and nothing asks for run_blocks' checks before the next
    // instruction (no fault, no exit request, shadow, HLT or debug trap).
    bool run_block(Block* b, uint64_t budget);
    // The block to run after `b` ran whole: from its links, or looked up (and linked when the
    // link can stand for the lookup). Null: run_blocks decides (a step, a fault to deliver).
    Block* follow(Block* b);
    // Adds the pending whole runs of blocks to the per-mnemonic statistics.
    void count_runs();
    void flush();
    static void code_written(void* ctx, uint32_t paddr, unsigned size);
    static void map_changed(void* ctx, uint32_t base, uint64_t size);
};

} // namespace xlat
