// A guest block: the instructions decoded from one CS:EIP up to a control transfer, a page end,
// a size cap or an instruction the translator leaves to the interpreter, and the host code
// translated from them.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/insn.h"
#include "cpu/table.h"
#include "translator/decoder.h"

namespace xlat {

struct Block {
    // What the block was translated for (the block cache compares all of them).
    uint32_t eip = 0;             // offset of the first instruction in CS
    uint32_t cs_base = 0;         // CS base
    uint64_t key = 0;             // mode_key() of the state it was translated in
    const uint8_t* host = nullptr;  // host address of the first byte (RAM or ROM)
    uint32_t paddr = 0;           // physical address of the first byte (RAM only: code page)
    bool ram = false;             // the bytes are RAM (registered as a code page)
    bool valid = true;            // false once invalidated (a write to its page, a flush)
    uint16_t cap = 0;             // instruction cap it was decoded with (0: none but kMaxInsns)
    uint16_t ninsns = 0;          // instructions in the block
    uint16_t nbytes = 0;          // guest bytes of its instructions
    uint32_t code_size = 0;       // bytes of host code
    void* code = nullptr;         // host code: enter it with the dispatcher's prologue
    // Where chained jumps and the inline jump cache enter: after the loads of the guest
    // registers into host registers, which a chained jump brings along (docs/translator.md).
    void* chain_entry = nullptr;
    std::unique_ptr<Insn[]> insns;  // the decoded instructions (emitted code points at them)
    std::unique_ptr<uint32_t[]> eips;  // the EIP of each instruction
    // Per instruction: its mnemonic when emitted natively, else 0; bits 12-15 hold the inline
    // TLB probes it makes (kNativeMnemonic masks the mnemonic).
    std::unique_ptr<uint16_t[]> native;
    static constexpr uint16_t kNativeMnemonic = 0x0FFF;
    // The native instructions' mnemonics with their counts, for a run of the whole block: the
    // dispatcher adds them to the per-mnemonic statistics (fallback calls count themselves).
    std::vector<std::pair<uint16_t, uint16_t>> native_mix;
    Block* next_same = nullptr;   // the block cache's chain of blocks at the same host address
    // Times run to the end (the block's code counts them; the dispatcher adds runs that stopped
    // early), and how many of them the per-mnemonic statistics have (Jit::sync_stats).
    uint64_t runs = 0;
    uint64_t folded = 0;
    // Chaining (translator/jit.cpp): per direct exit, the target EIP, the offset in `code` of
    // the rel32 of its patchable jump or call (0: the exit is not patchable), the rel32 it holds
    // unlinked (0 for a jump, which falls into its stub; a call's stub lies elsewhere, since the
    // instruction after the call is where the host return lands) and the block it is linked to;
    // the links into this block, unpatched when it is invalidated. Exits 0 and 1 are a branch's
    // two ways (or a jump's target), exit 2 the return point after a CALL (the return stack,
    // docs/translator.md). Exits 3 and up are a superblock's side exits, in order: the taken
    // ways of the Jccs inside it (docs/translator.md, "Superblocks").
    static constexpr unsigned kSideExits = 3;
    static constexpr unsigned kExits = 3 + kSideExits;
    uint32_t exit_eip[kExits] = {};
    uint32_t patch_off[kExits] = {};
    int32_t unlinked_rel[kExits] = {};
    Block* linked[kExits] = {};
    std::vector<std::pair<Block*, uint8_t>> incoming;
    // Fused entry tests (docs/translator.md, "Fused entry tests"): a linked exit k with
    // `fused[k]` jumps past its target's entry test (to `body_off`), charging the target's
    // instructions itself (the psubq whose disp32 is at `fuse_off[k]`; 0: exit k cannot fuse),
    // because this block's entry test covered them: its budget constant (at `entry_const`,
    // 0: the shared table's) is {ninsns, ninsns + fuse_p}, fuse_p covering every fused
    // successor's instructions and what their own entry tests cover. `fuse_source`: nothing in
    // the block takes the budget afresh, so that what its entry covered stays covered.
    uint32_t fuse_off[kExits] = {};
    bool fused[kExits] = {};
    bool fuse_source = false;
    uint16_t fuse_p = 0;
    uint32_t entry_const = 0;
    uint32_t body_off = 0;
    // A lazy self-loop's second copy's head (docs/translator.md, "Where loops start"), 0: none.
    uint32_t loop_head_off = 0;
    // The instructions the entry test charges R's upper quadword: at most this many run from
    // the entry without another test (the dispatcher's budget compares with it).
    unsigned reach() const { return unsigned(ninsns) + fuse_p; }
    // A superblock's side exits: how many, the index of each one's Jcc, and (with block runs
    // counted) the runs that left through each; Block::runs counts them too, so that the whole
    // runs are runs less these (Jit::sync_stats).
    uint8_t nsides = 0;
    uint16_t side_at[kSideExits] = {};
    uint64_t side_runs[kSideExits] = {};
    uint64_t side_folded[kSideExits] = {};
    // Learning a superblock's ways (docs/translator.md, "Learning the way a Jcc goes"): while
    // `learning`, its entry counts `learn_left` down and each side exit counts `side_hits`; at 0
    // the dispatcher translates it again (Jit::relearn), following the taken way of each Jcc
    // whose side exit most runs took (`flipped` of them), without those counters. Then, while
    // `watching`, the side exits of those Jccs count `watch_left` down: at 0 the block learns
    // again (the program's phase changed), `generation` counting how often.
    bool learning = false;
    bool watching = false;
    uint8_t flipped = 0;
    uint8_t generation = 0;
    uint32_t learn_left = 0;
    uint32_t watch_left = 0;
    uint32_t side_hits[kSideExits] = {};
    // Guest instructions run by `runs` runs of which `sides[k]` left through side exit k (a
    // run stopped early counts whole: the hottest-block report's estimate).
    uint64_t insns_run(uint64_t runs, const uint64_t* sides) const {
        uint64_t n = runs * ninsns;
        for (unsigned k = 0; k < nsides; ++k) n -= sides[k] * (ninsns - side_at[k] - 1u);
        return n;
    }
    // A side trace (docs/translator.md, "Side traces"): the self-loop's side exit at its Jcc
    // `trace_jcc` goes on in the block instead, through instructions of its own (`trace_own`
    // of them, from that exit's target) that come back into the loop at its instruction
    // `trace_join`, then through the loop's instructions from there to its back edge again.
    // They are insns[trace_at, trace_at + trace_len) after the block's own ninsns, those of
    // the trace first; the way out of the trace's last Jcc, when it has one, shares side exit
    // `trace_slot`'s target. trace_len 0: none.
    uint16_t trace_jcc = 0, trace_at = 0, trace_own = 0, trace_len = 0, trace_join = 0;
    int8_t trace_slot = -1;
    // A select (docs/translator.md, "Selects"): in the second copy's turns the trace's way and
    // the loop's way from the trace's Jcc to the flag writer at `select_f` run as one, without
    // the branch. 0: none.
    uint16_t select_f = 0;
    bool select_cmp = false;  // both ways end in the same CMP at select_f and a Jcc; else select_f is the join
    unsigned ntotal() const { return trace_len ? unsigned(trace_at) + trace_len : ninsns; }
    uint16_t native_count = 0;    // instructions emitted natively
    uint16_t probe_count = 0;     // inline TLB probes in a whole run
    // The interpreter's block path (translator/interp.cpp): every instruction's mnemonic with its
    // count, and the whole runs not yet multiplied into the per-mnemonic statistics.
    std::vector<std::pair<uint16_t, uint16_t>> mix;
    uint64_t pending_runs = 0;
    std::unique_ptr<SemanticsFn[]> fns;  // per instruction: the semantics it runs (form-specialised)
    // The interpreter's links (translator/interp.cpp, "Following blocks"): the blocks that ran
    // after this one at up to two EIPs (a branch's two ways), each in the same linear page, CS
    // base and key; `follow` says whether the block's end lets the next block come from a link
    // at all (it ends in a near branch or at its size cap or page end, nothing that changes the
    // mode, the TLB or the duties of the next instruction).
    Block* next[2] = {};
    uint32_t next_eip[2] = {};
    bool follow = false;

    static constexpr unsigned kMaxInsns = 64;  // size cap of a block
};

// A REP/REPE/REPNE string instruction: it ends its block (decode_block), and a native one is
// helper_rep_string, which may stop between its iterations (Jit::emit's exit after it).
inline bool is_rep_string(const Insn& in) { return (in.row->facts & kString) && (in.rep() || in.repne()); }

class Interpreter;

// Decodes a block at `eip` from `bytes`, which holds the `room` bytes from EIP to the end of its
// page. Stops after an instruction whose row ends blocks (kEndsBlock, a REP string instruction),
// before an instruction that crosses the page end or the CS limit `cs_limit` (or wraps a 16-bit
// EIP), is not an instruction or has no row (the interpreter's step delivers exactly the fault
// those raise), and after `cap` instructions. With `side_exits`, up to that many Jccs that jump
// forward (to a target within the CS limit) do not end it: a superblock goes on at the way not
// taken (docs/translator.md, "Superblocks"), or at the way taken for a Jcc whose EIP is one of
// the `nflips` in `flips` (the way most runs went: "Learning the way a Jcc goes"). With
// `backward`, so do Jccs to before EIP in its page ("Side exits backward"; the bytes before
// `bytes` in the page are read then). Returns the instruction count (0: nothing the
// translator may take; the interpreter steps). `known`: an interpreter whose decode cache is
// asked first (Interpreter::cached: the same bytes in the same mode decode to the same Insn).
unsigned decode_block(const Decoder& dec, const uint8_t* bytes, unsigned room, uint32_t eip, uint32_t cs_limit,
                      DecodeMode mode, bool x87_nm, unsigned cap, std::vector<Insn>& insns,
                      std::vector<uint32_t>& eips, const Interpreter* known = nullptr, unsigned side_exits = 0,
                      const uint32_t* flips = nullptr, unsigned nflips = 0, bool backward = false);

} // namespace xlat
