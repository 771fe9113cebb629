// The JIT dispatcher: runs guest code as translated blocks, beside Interpreter::run and with the
// same contract (docs/runloop.md). It looks up (or translates) the block for the current state,
// enters it through one prologue, and acts on the status it exits with; states the translator
// does not take (kModeInterp, an interrupt shadow, RF, an instruction the block decoder leaves
// out) go to Interpreter::step. The ABI between blocks and C++ is in docs/translator.md.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/mode.h"
#include "translator/block.h"
#include "translator/block_cache.h"
#include "translator/code_arena.h"
#include "translator/decoder.h"
#include "translator/interp.h"

namespace xlat {

class PerfMap;

struct JitStats {
    uint64_t blocks_translated = 0;  // blocks decoded and emitted
    uint64_t insns_translated = 0;   // guest instructions in them
    uint64_t translate_ns = 0;       // host time spent decoding and emitting
    uint64_t code_bytes = 0;         // host code bytes emitted for them
    uint64_t blocks_run = 0;         // block entries
    uint64_t native_insns = 0;       // translated instructions emitted natively
    std::vector<uint32_t> native_by_mnemonic = std::vector<uint32_t>(ZYDIS_MNEMONIC_MAX_VALUE + 1);  // ... per mnemonic
    uint64_t interp_steps = 0;       // instructions the dispatcher left to Interpreter::step
    uint64_t cold_steps = 0;         // ... of them in blocks not run often enough to translate yet
    uint64_t invalidated = 0;        // blocks invalidated by writes to their pages
    uint64_t flushes = 0;            // whole-cache flushes (arena full, memory map changed)
    uint64_t links = 0;              // direct exits patched to jump to their next block
    uint64_t unlinks = 0;            // links undone because their target was invalidated
    uint64_t ic_exits = 0;           // exits through the inline jump cache probe (emitted)
    uint64_t probes_emitted = 0;     // inline TLB probes emitted
    uint64_t const_probes = 0;       // ... of them of a constant page (Emitter::track_bounds)
    uint64_t folded_accesses = 0;    // ... of those, the address folded into the access (Emitter::ea)
    uint64_t movzx_left = 0;         // MOVZX of a register already zero-extended (its bound): a MOV or nothing
    uint64_t fused_links = 0;        // links made past their target's entry test (Jit::link)
    uint64_t fuse_limited = 0;       // fused links made to enter the entry test again: their source would cover more than Jit::kMaxFuse
    uint64_t predicted_probes = 0;   // ... of them with a predicted addend (Emitter::predict_addend)
    uint64_t predicted_kept = 0;     // `mov rbp` of a prediction left out: rbp kept from the probe before (Emitter::rbp_set; in every copy of a self-loop)
    uint64_t aligned_probes = 0;     // ... of them of an address known aligned to its size (Emitter::track_bounds, tz_after)
    uint64_t shared_probes = 0;      // ... of them calls of a shared probe out of line (Jit::probe_thunk_)
    uint64_t lazy_loops = 0;         // self-loops translated with their CMP's flags lazy (Emitter::recipe)
    uint64_t two_turn_loops = 0;     // other self-loops translated with two turns per entry test
    uint64_t group_reuse_loops = 0;  // self-loops whose later turns take their stack group's rbp from the turn before
    uint64_t side_traces = 0;        // self-loops translated with a side trace (Block::trace_len)
    uint64_t selects = 0;            // turns of second copies with a select (Block::select_f)
    uint64_t superblocks = 0;        // blocks translated past a Jcc (docs/translator.md, "Superblocks")
    uint64_t side_exits = 0;         // ... their Jccs inside them, each a side exit
    uint64_t relearnt = 0;           // superblocks translated again with their learnt ways (Jit::relearn)
    uint64_t learnt_again = 0;       // ... watched ones that learnt again
    uint64_t flipped = 0;            // ... Jccs in them followed at the way taken
    uint64_t back_ways = 0;          // ... of them going on at a way learnt backward, before their start
    // The return stack (counted by the blocks with profiling on, off its fast path):
    uint64_t ret_misses = 0;         // native RETs whose EIP was not the top frame's (frames dropped)
    uint64_t call_overflows = 0;     // native CALLs at the depth limit (frames dropped)
    // Counted by the blocks' code, off the fast path, or derived by sync_stats():
    uint64_t native_run = 0;         // native instructions retired (whole and partial runs)
    uint64_t probes_run = 0;         // inline TLB probes executed
    uint64_t slow_paths = 0;         // slow paths entered (inline TLB misses, MMIO, code pages)
    uint64_t fallback_calls = 0;     // instructions run through helper_fallback (sum of the rows' counts)
    uint64_t privileged_calls = 0;   // ... of them privileged rows (kPrivileged)
    uint64_t dispatches = 0;         // returns to the dispatcher (block exits it saw)
    uint64_t lookups = 0;            // dispatcher lookups of the block at CS:EIP
    uint64_t jump_hits = 0;          // ... found in the jump cache
    uint64_t hash_hits = 0;          // ... found in the block hash (the jump cache missed)
    uint64_t gave_up = 0;            // translations given up (nothing decodes in the page, a too hot page)
};

// Per Zydis mnemonic, the instances the translator emitted as native host code and as fallback
// calls to the semantics function, counted when a block is translated (`xlat explain` reports
// a mnemonic as native when its instances went native: frontend/explain.cpp).
struct JitRowCounts {
    std::array<uint64_t, ZYDIS_MNEMONIC_MAX_VALUE + 1> native{};
    std::array<uint64_t, ZYDIS_MNEMONIC_MAX_VALUE + 1> helper{};
};

// Fallback calls run, per instruction form ("div m32", "rep movsb a16", "lock cmpxchg m32, r32":
// fallback_shape()): each fallback call increments its form's counter (one `inc` beside the
// call; native code counts nothing), so --stats shows which forms native emission would pay
// for most.
struct FallbackCounts {
    std::deque<uint64_t> count;  // stable addresses: emitted code increments them
    std::vector<std::string> shape;
    std::unordered_map<std::string, size_t> index;
    uint64_t* counter(const std::string& s);
};
// The form of an instruction as FallbackCounts names it: prefixes, mnemonic, operand kinds and
// sizes, "a16" for 16-bit addressing of a memory or string operand.
std::string fallback_shape(const Insn& in);

class Jit {
public:
    // After translate() gives up for a reason that lasts (no instruction decodes within the page:
    // the first one crosses its end; a page whose blocks were invalidated too often), the
    // dispatcher leaves the address to the interpreter for this many runs before it tries again,
    // instead of decoding it again at every run (a Linux boot made 1.03 million such attempts).
    static constexpr int32_t kRetryAfter = 1024;
    // `cache_bytes`: size of the code arena (--jit-cache-size).
    // `disabled`: JitDisable bits (--jit-disable, translator/emitter.h).
    // `hot_runs`: a block is translated the hot_runs-th time the dispatcher finds no translation
    // at its EIP; until then the interpreter runs it (0 and 1: translated at once).
    // `profile`: blocks count their whole runs (Block::runs), which the per-mnemonic native
    // counts (CpuStats::executed) and the hottest-block report come from. Off, no statistics
    // work is on the blocks' path at all and CpuStats::executed has the fallback calls only
    // (MachineConfig::jit_profile).
    Jit(Cpu& cpu, Interpreter& interp, size_t cache_bytes, uint32_t disabled = 0, unsigned hot_runs = 1,
        bool profile = true);
    ~Jit();
    Jit(const Jit&) = delete;
    Jit& operator=(const Jit&) = delete;

    // As Interpreter::run: runs until a stop is requested or `max_insns` instructions have run
    // (0: no limit), returning the stop reason (MaxInsns for the budget), or None when the exit
    // request asks for Machine::run or the CPU is halted. `exact` false: the budget is only a
    // polling interval (the host clock's slice), so the run may overshoot it by the rest of the
    // block it ends in rather than translate a block capped at the remaining count (one new
    // translation per slice, a different cap each time: most of the blocks of a Linux boot).
    StopReason run(uint64_t max_insns, bool exact = true);
    // How far a run that is not exact may go past its budget: less than one block.
    static constexpr uint64_t kMaxOvershoot = Block::kMaxInsns;
    // Exactly one instruction (as Interpreter::step), through a one-instruction block when the
    // state allows one.
    void step();

    const JitStats& stats() const { return stats_; }
    // A fusion source covers at most this many instructions beyond its own (docs/translator.md,
    // "Fused entry tests").
    static constexpr unsigned kMaxFuse = 2 * Block::kMaxInsns;
    // A block that loops to itself, and a lazy self-loop's second copy, start at a multiple of
    // this in the arena (docs/translator.md, "Where loops start").
    static constexpr unsigned kLoopAlign = 64;
    // --jit-perfmap: names the shared code (prologue, epilogue, thunks) at once and every block
    // translated from now on in `map` (translator/perf_map.h; shared by the process's Jits, not
    // owned). Null: no map.
    void set_perf_map(PerfMap* map);
    // Adds the native instructions of the blocks' runs to Cpu::stats (per mnemonic) and to
    // JitStats: the blocks count their whole runs in Block::runs and nothing else, so that
    // chained code has no per-block statistics work. Machine::run calls it when it returns and
    // describe_stats() before it reports; a flush calls it before the blocks go.
    void sync_stats() const;
    std::string describe_stats() const;
    const JitRowCounts& row_counts() const { return rows_; }
    const FallbackCounts& fallback_counts() const { return fallbacks_; }
    // Calls f(const Block&) for every valid block in the cache (xlat explain's hottest blocks).
    template <class F> void for_each_block(F&& f) const { cache_.for_each(f); }
    static constexpr size_t kDefaultCacheBytes = 128u << 20;  // a Linux boot filled 32 MiB three times
    // The command line's --jit-hot-runs: in a boot of the default Linux guest 29 % of the
    // instructions translated were in blocks that ran once and 12 % in blocks that ran two or
    // three times; a translation costs about 0.8 us per instruction, an interpreted run
    // a few tens of nanoseconds (docs/translator.md, "Cold blocks").
    static constexpr unsigned kDefaultHotRuns = 3;
    // A superblock's learning runs (Block::learning): the entries after which it is translated
    // again with its learnt ways (docs/translator.md, "Learning the way a Jcc goes"). Tests set
    // fewer (at least 2) to see it happen in a short run.
    static constexpr uint32_t kLearnRuns = 256;
    // A learnt superblock learns again when its flipped Jccs' side exits were taken this often
    // (Block::watching), at most kLearnGenerations - 1 times (it keeps its last ways then).
    static constexpr uint32_t kWatchExits = 4096;
    static constexpr unsigned kLearnGenerations = 4;
    // A lazy self-loop's second copy holds up to this many turns behind one entry test
    // (docs/translator.md, "Lazy flags of a self-loop").
    static constexpr unsigned kLazyTurns = 2;
    void set_learn_runs(uint32_t n, uint32_t watch_exits = kWatchExits) {
        learn_runs_ = n < 2 ? 2 : n;
        watch_exits_ = watch_exits ? watch_exits : 1;
    }

private:
    Cpu& cpu_;
    Interpreter& interp_;
    Decoder decoder_;
    CodeArena arena_;
    BlockCache cache_;
    mutable JitStats stats_;
    JitRowCounts rows_;
    FallbackCounts fallbacks_;
    ModeKeyCache mode_cache_;        // mode_key() at every lookup, cheaply
    using EnterFn = uint32_t (*)(CpuState* s, Cpu* c, const void* code);
    EnterFn enter_ = nullptr;        // the prologue: saves host registers, jumps to the block
    const uint8_t* epilogue_ = nullptr;  // where every block exits to, status in EAX
    const uint8_t* budget_consts_ = nullptr;  // {k, k} quadword pairs, k = 0..kMaxInsns (emit_fixed)
    const uint8_t* resync_thunk_ = nullptr;   // a chained block's entry test again, L made from R (emit_fixed)
    const uint8_t* fuse_consts_ = nullptr;    // {k, 0}: a fused exit's charge (docs/translator.md, "Fused entry tests")
    // The shared exit code (emit_fixed; null with --jit-disable regs): Emitter::exit_thunk etc.
    const uint8_t* exit_thunk_ = nullptr;
    const uint8_t* slow_thunk_ = nullptr;
    const uint8_t* call_thunk_ = nullptr;
    // The jump cache's probe (JitEmit::probe_jump_cache), shared by blocks with CS base 0:
    // [user] for CPL 3 (the TLB it checks). eax = the linear address, rcx = the block's key;
    // returns rdx = the block to enter, or leaves for the dispatcher (emit_fixed).
    const uint8_t* jump_thunk_[2] = {nullptr, nullptr};
    // Out-of-line data probes (docs/translator.md, "Shared probes out of line"): [user][write]
    // [log2 size], rbp = the page's addend from the fast pages, or 0 (a miss or a crossing).
    const uint8_t* probe_thunk_[2][2][4] = {};
    // The crossing test of an access of 2, 4 or 8 bytes at ebx (by log2 of the size; 0 unused):
    // ZF clear when it crosses into the next page (docs/translator.md, "Shared probes out of line").
    const uint8_t* cross_thunk_[4] = {};
    // An unlinked direct exit's stub: `call link_thunk_` and a LinkSite after it (emit_fixed).
    const uint8_t* link_thunk_ = nullptr;
    struct LinkSite {
        uint32_t eip;     // CpuState::rip
        uint32_t status;  // kBlockLink0 + the exit
        uint64_t block;   // the Block*, for slots_.link_from
    };
    // Cpu::icount_end is kept within this of icount while blocks run.
    static constexpr uint64_t kUnbounded = uint64_t(1) << 62;
    size_t fixed_bytes_ = 0;         // arena bytes of the prologue and epilogue
    int32_t exit_disp_ = 0;          // &cpu.exit_request - &cpu.s
    bool flush_pending_ = false;
    uint32_t disabled_ = 0;          // JitDisable bits     // the arena is full or the memory map changed
    // How often the dispatcher found no translation at a host address (direct-mapped, the
    // count restarts when another address takes the entry): the blocks' heat (hot_runs).
    struct Heat {
        const uint8_t* host = nullptr;
        int32_t count = 0;  // negative: a translation gave up here; the interpreter runs it that many more times first
    };
    bool gave_up_ = false;  // translate(): the last nullptr was such a reason
    static constexpr unsigned kHeatEntries = 16384;
    std::vector<Heat> heat_;
    unsigned hot_runs_ = 1;
    PerfMap* perf_map_ = nullptr;    // set_perf_map
    bool profile_ = true;            // blocks count their runs (the constructor's `profile`)
    uint32_t learn_runs_ = kLearnRuns;  // set_learn_runs
    uint32_t watch_exits_ = kWatchExits;
    bool cold_ = false;              // lookup() returned null for a block that is not hot yet
    std::vector<Insn> scratch_insns_;
    std::vector<uint32_t> scratch_eips_;
    std::vector<uint8_t> scratch_live_;  // emit(): the flags live after each instruction
    // emit(): a superblock's lazy CMPs and their Ws, and their registers stashed (Emitter::stashed),
    // per instruction of the block and of its side trace (Block::ntotal).
    static constexpr unsigned kMaxTotal = 3 * Block::kMaxInsns;
    static constexpr unsigned kTraceOwn = 8;  // instructions of a side trace's own at most
    uint8_t scratch_lazy_role_[kMaxTotal] = {};
    uint8_t scratch_stash_[kMaxTotal] = {};
    std::vector<Insn> trace_insns_;     // plan_trace(): the side trace's own instructions, decoded
    std::vector<uint32_t> trace_eips_;
    std::vector<uint32_t> trace_at_;     // emit() with --trace jit: where each instruction's code begins
    std::vector<std::pair<uint32_t, uint32_t>> trace_data_;  // with --trace jit: the block's embedded data (Emitter::data_ranges)
    // The assembler every block is emitted with (translator/jit.cpp): one CodeHolder and
    // Assembler, reset between blocks, and a fixed buffer.
    struct Assembly;
    std::unique_ptr<Assembly> asm_;
    int32_t icount_end_disp_ = 0;    // &cpu.icount_end - &cpu.s
    // Written by a block's code as it leaves: the block that stopped before its end (a fault,
    // an exit request after a helper), and the block whose unlinked exit asks to be linked.
    struct ExitSlots {
        Block* stopped = nullptr;
        Block* link_from = nullptr;
        Block* learnt = nullptr;  // a superblock to translate again (Jit::relearn)
    } slots_;
    // The host return stack (docs/translator.md, "The return stack"): a translated CALL pushes
    // a 16-byte frame (the guest return EIP, then the host return address of a `call`) on the
    // host stack, a translated RET whose popped EIP equals the top frame's returns with the
    // host's `ret`. The prologue sets `base` (rsp after its sentinel frame) and `limit` (the
    // deepest rsp a CALL may push at); the epilogue and every mismatch reset rsp to `base`.
    struct ReturnStack {
        uint64_t base = 0;
        uint64_t limit = 0;
    } rs_;
    static constexpr uint32_t kReturnStackBytes = 32u << 10;  // 2048 frames
    Block* pending_link_ = nullptr;  // link its exit `pending_exit_` to the next block run
    unsigned pending_exit_ = 0;

    friend struct JitEmit;  // the block's entry and exits (translator/jit.cpp)
    // After a block stopped early: counts the native instructions it retired.
    void count_partial(Block* b, bool faulted);
    // Unpatches the links into invalidated blocks (dispatcher only).
    void unlink_dead();
    void link(Block* from, unsigned k, Block* to);
    // Fused entry tests (docs/translator.md): exit k of `from` made to jump past its target's
    // entry test (charging the target's instructions) or back to the entry; `b`'s entry test
    // made to cover at least `need` instructions beyond its own, and so those fused into it
    // (false: more than kMaxFuse). The rel32 at `off` in b's code made to reach `target`.
    void set_fused(Block* from, unsigned k, bool fused);
    bool cover(Block* b, unsigned need);
    void patch_rel(Block* b, uint32_t off, const void* target);

    // True when the state must be run by the interpreter for now.
    bool needs_interp() const;
    // needs_interp() for RF alone, and the blocks that may run then: a native REP string
    // instruction resuming between its iterations (Jit::run).
    bool rf_only() const;
    static bool resumes_rep(const Block& b);
    // The block to run at CS:EIP with at most `budget` instructions, or null (interpreter).
    Block* lookup(uint64_t budget);
    // `learn`: a superblock counts its runs and its side exits (Block::learning); `flips`: the
    // EIPs of the Jccs it follows at the way taken (decode_block).
    Block* translate(const uint8_t* host, uint32_t lin, uint32_t eip, uint32_t cs_base, uint64_t key, uint16_t cap,
                     bool learn = true, unsigned generation = 0, const uint32_t* flips = nullptr, unsigned nflips = 0,
                     const uint32_t* mixed = nullptr, unsigned nmixed = 0);
    // A superblock's learning runs are done (`again` false): it is translated again, following
    // each Jcc the way most of them went, without the counters; or a watched superblock's
    // flipped Jccs went the other way too often (`again`): it learns again (docs/translator.md,
    // "Learning the way a Jcc goes").
    void relearn(Block* b, bool again);
    // Emits the block's host code into the arena: Emitted, ArenaFull, or TooLarge when its code
    // does not fit the assembler's buffer (Assembly::kBufferBytes: the interpreter runs it).
    // NoTrace: its side trace could not be emitted as planned (an instruction of it left to a
    // fallback call, too many side exits, too much code): translate() emits it again without.
    enum class EmitResult { Emitted, ArenaFull, TooLarge, NoSides, NoTrace, NoSelect };
    EmitResult emit(Block& b);
    // A self-loop superblock's side trace (docs/translator.md, "Side traces"): decodes the
    // instructions from one of its side exits' targets up to where they come back into the
    // loop and appends them, then the loop's instructions from there on, to the block's
    // (Block::trace_*). `host`: the block's first byte.
    void plan_trace(Block& b, const uint8_t* host, uint32_t cs_limit, DecodeMode mode, bool x87_nm);
    // `mixed`: the EIPs of the Jccs whose learning runs went either way as often (each at least
    // one run in four): only there does a select pay for both ways (docs/translator.md, "Selects").
    void plan_select(Block& b, const uint32_t* mixed, unsigned nmixed);
    void emit_fixed();
    // --trace jit: the block's guest instructions beside their host code (`at`: where each
    // instruction's host code begins, then where the exits begin).
    void trace_block(const Block& b, const std::vector<uint32_t>& at) const;
    // Runs the instructions of a block that is not hot yet through Interpreter::step, up to a
    // transfer of control, the page end, Block::kMaxInsns, the budget `end`, HLT or an exit request.
    void run_cold(uint64_t end);
    // Runs a block and handles its exit: a fault delivered, debug traps after it.
    void run_block(Block* b);
    void flush();
    static void code_written(void* ctx, uint32_t paddr, unsigned size);
    static void map_changed(void* ctx, uint32_t base, uint64_t size);
};

// The fallback call for one instruction without a native emitter: commits insn_eip (`eip`) and
// rip, runs the row's semantics and counts the instruction as the interpreter does (icount, the
// per-mnemonic statistics). Returns kBlockFault with CpuState::fault set when it faulted (the
// dispatcher delivers it and counts it).
uint32_t helper_fallback(Cpu* c, const Insn* in, uint32_t eip) noexcept;

} // namespace xlat
