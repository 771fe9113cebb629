#include "translator/block.h"

#include <algorithm>

#include "cpu/table.h"
#include "translator/emitter.h"
#include "translator/interp.h"

namespace xlat {

unsigned decode_block(const Decoder& dec, const uint8_t* bytes, unsigned room, uint32_t eip, uint32_t cs_limit,
                      DecodeMode mode, bool x87_nm, unsigned cap, std::vector<Insn>& insns,
                      std::vector<uint32_t>& eips, const Interpreter* known, unsigned side_exits,
                      const uint32_t* flips, unsigned nflips, bool backward) {
    insns.clear();
    eips.clear();
    if (cap == 0 || cap > Block::kMaxInsns) cap = Block::kMaxInsns;
    // Offsets from EIP: `room` bytes on to the end of the page, `lo` (<= 0) back to its start
    // (a way learnt backward goes there: below).
    const int64_t lo = int64_t(room) - int64_t(kPageSize);
    int64_t off = 0;
    // With a learnt way back (below): the instructions up to that Jcc, and whether the block
    // came round to its own start after it.
    size_t back_n = 0;
    bool round = false;
    while (insns.size() < cap && off < int64_t(room)) {
        const uint32_t at = uint32_t(eip + off);
        // A block's EIPs are distinct (Jit::count_partial finds an instruction by its EIP).
        if (back_n && std::find(eips.begin(), eips.end(), at) != eips.end()) {
            // Reached by the way not taken of the Jcc before: a loop round to the start unless
            // that Jcc goes backward (a loop's back edge elsewhere, taken as a rule).
            const Insn& li = insns.back();
            round = at == eip && !(is_jcc(li.mnem()) && relative_target(li) < eips.back());
            break;
        }
        if (at > cs_limit || (mode != DecodeMode::Prot32 && at > 0xFFFF)) break;
        const uint32_t in_limit = cs_limit - at;  // bytes after the first one inside the limit
        const unsigned avail = in_limit >= 14 ? 15 : in_limit + 1;
        const unsigned left = unsigned(int64_t(room) - off);  // bytes to the end of the page
        const unsigned have = left < avail ? left : avail;
        Insn in;
        // Decoded before and its bytes unchanged: what Zydis would make of them again, as long
        // as they fit in `have` (else the decoder below says why they do not).
        if (known && left >= 16 && known->cached(bytes + off, mode, in) && in.length <= have) {
            in.next_eip = at + in.length;
            if (mode != DecodeMode::Prot32) in.next_eip &= 0xFFFF;
            if (!in.row) break;
        } else if (dec.decode(bytes + off, have, avail, at, mode, x87_nm, in) != DecodeStatus::Ok || !in.row) {
            // NeedMore: the instruction crosses the page; the interpreter fetches both pages.
            break;
        }
        // A 16-bit EIP that wraps around leaves the page's bytes: the block ends before it.
        if (mode != DecodeMode::Prot32 && in.next_eip != at + in.length) break;
        insns.push_back(in);
        eips.push_back(at);
        off += in.length;
        const uint16_t facts = in.row->facts;
        // A REP string instruction stops between iterations at the budget or an exit request
        // with EIP on itself: nothing may follow it in the block.
        if (is_rep_string(in)) break;
        if (facts & kEndsBlock) {
            // A superblock's side exit: a Jcc within the CS limit (Jit::emit's native Jcc takes
            // exactly those) and the page (so that a side exit may chain).
            if (!side_exits || !is_jcc(in.mnem()) || in.nops() != 1 || !in.is_imm(0)) break;
            const uint32_t target = relative_target(in);
            const int64_t toff = int64_t(target) - int64_t(eip);
            if (target > cs_limit || toff < lo || toff >= int64_t(room) || mode != DecodeMode::Prot32) break;
            // Forward, or with `backward` to before the block's start ("Side exits backward"):
            // not to the block's start (a self-loop ends there) nor back into what it decoded
            // from there on (a loop inside it).
            if (target == eip || !(target > at || (backward && target < eip))) break;
            --side_exits;
            // A learnt way: the block goes on at the target.
            for (unsigned k = 0; k < nflips; ++k) {
                if (flips[k] != at) continue;
                if (toff < 0 && !back_n) back_n = insns.size();
                off = toff;
            }
        }
    }
    // A learnt way back that came round to the block's own start would make the block a loop
    // entered in its middle (its back edge not where the compiler put it, where the lazy flags
    // of a self-loop look for it): the block ends at that Jcc instead, both ways exits.
    if (back_n && (round || jumps_to(insns.back(), eip))) insns.resize(back_n), eips.resize(back_n);
    return unsigned(insns.size());
}

} // namespace xlat
