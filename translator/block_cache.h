// The block cache: translated blocks by (host address of the first byte, EIP, CS base, mode key),
// a jump cache from the linear address of EIP, and the code pages the blocks came from.
//
// The host address stands for the physical address of EIP: RAM and ROM have one host address per
// physical byte, and a change of the memory map flushes the cache. The EIP is part of the match
// because a block has its instructions' EIPs built in, and two linear pages may map one physical
// page. A write to a RAM page holding blocks (PhysMem reports it through on_code_write)
// invalidates the blocks of that page; the memory of invalid blocks is kept until the dispatcher
// flushes the whole cache with the code arena, since a block may be running while a write of its
// own invalidates it.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "memory/phys.h"
#include "translator/block.h"

namespace xlat {

// Host address of a block's first byte -> the head of the chain of blocks there (Block::
// next_same): open addressing with linear probing and backward-shift deletion, so that a
// lookup is one slot read (and a miss, the common case for blocks not translated yet, usually
// that slot alone). std::unordered_map took a division and two dependent cache misses per
// lookup: half of Jit::lookup's time in a Linux boot (docs/performance.md).
class HostIndex {
public:
    HostIndex() { reset(); }
    Block* find(const uint8_t* host) const {
        for (size_t i = slot_of(host);; i = (i + 1) & mask_) {
            if (slots_[i].host == host) return slots_[i].head;
            if (!slots_[i].host) return nullptr;
        }
    }
    // The slot holding the chain head for `host`, or null when absent.
    Block** find_head(const uint8_t* host) {
        for (size_t i = slot_of(host);; i = (i + 1) & mask_) {
            if (slots_[i].host == host) return &slots_[i].head;
            if (!slots_[i].host) return nullptr;
        }
    }
    // The chain head for `host`, inserted (null) when absent.
    Block*& head(const uint8_t* host);
    // Removes `host` (its chain must be empty by then).
    void erase(const uint8_t* host);
    void reset();
    size_t size() const { return used_; }

private:
    struct Slot {
        const uint8_t* host = nullptr;
        Block* head = nullptr;
    };
    static constexpr unsigned kInitialBits = 12;
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    unsigned bits_ = 0;
    size_t used_ = 0;
    // Fibonacci hashing: the blocks' host addresses are close together, the product's high
    // bits spread them.
    size_t slot_of(const uint8_t* host) const {
        return size_t((uint64_t(reinterpret_cast<uintptr_t>(host)) * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
    }
    void grow();
};

class BlockCache {
public:
    explicit BlockCache(PhysMem& phys);
    ~BlockCache();
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    // The valid block for this translation context decoded with instruction cap `cap`, or null.
    Block* find(const uint8_t* host, uint32_t eip, uint32_t cs_base, uint64_t key, uint16_t cap) const {
        for (Block* b = by_host_.find(host); b; b = b->next_same)
            if (b->eip == eip && b->cs_base == cs_base && b->key == key && b->cap == cap) return b;
        return nullptr;
    }
    // The jump cache: the block last run at linear address `lin` with no cap (may be stale;
    // the caller checks it against the context).
    Block* jump(uint32_t lin) const {
        const JumpEntry& e = jump_[jump_index(lin)];
        return e.lin == lin ? e.block : nullptr;
    }
    void set_jump(uint32_t lin, Block* b) { jump_[jump_index(lin)] = JumpEntry{lin, b}; }

    // The jump cache as translated blocks probe it inline (indirect jumps, returns, direct
    // jumps to another page): entry `jump_index(lin)` of jump_table(), 16 bytes each, the
    // linear address at offset 0 and the Block* at 8. An empty entry points at a block that
    // is never valid, so the inline probe needs no null test.
    struct JumpEntry {
        uint32_t lin = 0xFFFFFFFFu;
        Block* block = nullptr;
    };
    static constexpr unsigned kJumpEntries = 32768;  // 512 KiB: 4096 missed often in a Linux boot (the hash map behind it)
    static unsigned jump_index(uint32_t lin) { return (lin ^ (lin >> 10)) & (kJumpEntries - 1); }
    const JumpEntry* jump_table() const { return jump_.data(); }

    // The blocks invalidated since the last call: the dispatcher unpatches the links into them
    // (a write may invalidate blocks while a block runs, when no code may be patched).
    std::vector<Block*> take_dead() { return std::move(dead_); }

    // Takes a translated block; registers its page as a code page when it is RAM.
    Block* insert(std::unique_ptr<Block> b);
    // Invalidates every block whose bytes lie in the physical page of `paddr`; the page stops
    // being a code page. Returns how many blocks it dropped.
    unsigned invalidate_page(uint32_t paddr);
    // Drops one block that another translation of the same context replaces (Jit::relearn);
    // its page stays a code page.
    void retire(Block* b);
    // Drops every block (the arena was flushed): no page is a code page any more.
    void clear();

    // A page invalidated this many times is left to the interpreter until the next flush:
    // code that rewrites itself all the time costs a translation per write otherwise.
    static constexpr unsigned kHotWrites = 64;
    bool page_too_hot(uint32_t paddr) const {
        auto it = invalidations_.find(paddr >> kPageBits);
        return it != invalidations_.end() && it->second >= kHotWrites;
    }

    size_t size() const { return all_.size(); }
    // Calls f(const Block&) for every valid block.
    template <class F> void for_each(F&& f) const {
        for (const auto& b : all_)
            if (b->valid) f(static_cast<const Block&>(*b));
    }
    // Calls f(Block&) for every block since the last clear(), invalid ones included (they may
    // have run before they were invalidated: Jit::sync_stats).
    template <class F> void for_each_all(F&& f) const {
        for (const auto& b : all_) f(*b);
    }

private:
    PhysMem& phys_;
    HostIndex by_host_;                                              // chains through next_same
    std::unordered_map<uint32_t, std::vector<Block*>> by_page_;       // RAM page -> its blocks
    std::unordered_map<uint32_t, unsigned> invalidations_;            // RAM page -> times invalidated
    std::vector<std::unique_ptr<Block>> all_;                         // every block since the flush
    std::vector<JumpEntry> jump_;
    Block never_valid_;            // what an empty jump cache entry points at
    std::vector<Block*> dead_;     // invalidated since take_dead()
    void unlink(Block* b);
};

} // namespace xlat
