#include "translator/block.h"

#include "cpu/table.h"
#include "translator/emitter.h"
#include "translator/interp.h"

namespace xlat {

unsigned decode_block(const Decoder& dec, const uint8_t* bytes, unsigned room, uint32_t eip, uint32_t cs_limit,
                      DecodeMode mode, bool x87_nm, unsigned cap, std::vector<Insn>& insns,
                      std::vector<uint32_t>& eips, const Interpreter* known, unsigned side_exits,
                      const uint32_t* flips, unsigned nflips) {
    insns.clear();
    eips.clear();
    if (cap == 0 || cap > Block::kMaxInsns) cap = Block::kMaxInsns;
    unsigned off = 0;
    while (insns.size() < cap && off < room) {
        const uint32_t at = eip + off;
        if (at > cs_limit || (mode != DecodeMode::Prot32 && at > 0xFFFF)) break;
        const uint32_t in_limit = cs_limit - at;  // bytes after the first one inside the limit
        const unsigned avail = in_limit >= 14 ? 15 : in_limit + 1;
        const unsigned have = room - off < avail ? room - off : avail;
        Insn in;
        // Decoded before and its bytes unchanged: what Zydis would make of them again, as long
        // as they fit in `have` (else the decoder below says why they do not).
        if (known && room - off >= 16 && known->cached(bytes + off, mode, in) && in.length <= have) {
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
            // A superblock's side exit: a Jcc forward, within the CS limit (Jit::emit's native
            // Jcc takes exactly those) and the page (so that a side exit may chain).
            if (!side_exits || !is_jcc(in.mnem()) || in.nops() != 1 || !in.is_imm(0)) break;
            const uint32_t target = relative_target(in);
            if (target <= at || target > cs_limit || target - eip >= room || mode != DecodeMode::Prot32) break;
            --side_exits;
            // A learnt way: the block goes on at the target (forward in the page: no loop).
            for (unsigned k = 0; k < nflips; ++k)
                if (flips[k] == at) off = target - eip;
        }
    }
    return unsigned(insns.size());
}

} // namespace xlat
