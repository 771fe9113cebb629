#include "translator/block_cache.h"

#include <algorithm>

namespace xlat {

Block*& HostIndex::head(const uint8_t* host) {
    if (2 * (used_ + 1) > slots_.size()) grow();
    size_t i = slot_of(host);
    for (; slots_[i].host; i = (i + 1) & mask_)
        if (slots_[i].host == host) return slots_[i].head;
    slots_[i].host = host;
    ++used_;
    return slots_[i].head;
}

void HostIndex::erase(const uint8_t* host) {
    size_t i = slot_of(host);
    for (; slots_[i].host != host; i = (i + 1) & mask_)
        if (!slots_[i].host) return;
    // Backward shift: a later slot of the probe run moves into the hole unless its home slot
    // lies cyclically in (hole, slot], where it would no longer be found.
    for (size_t j = (i + 1) & mask_; slots_[j].host; j = (j + 1) & mask_) {
        const size_t home = slot_of(slots_[j].host);
        if (((j - home) & mask_) >= ((j - i) & mask_)) {
            slots_[i] = slots_[j];
            i = j;
        }
    }
    slots_[i] = Slot{};
    --used_;
}

void HostIndex::reset() {
    bits_ = kInitialBits;
    slots_.assign(size_t(1) << bits_, Slot{});
    mask_ = slots_.size() - 1;
    used_ = 0;
}

void HostIndex::grow() {
    std::vector<Slot> old = std::move(slots_);
    ++bits_;
    slots_.assign(size_t(1) << bits_, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
        if (!s.host) continue;
        size_t i = slot_of(s.host);
        while (slots_[i].host) i = (i + 1) & mask_;
        slots_[i] = s;
    }
}

BlockCache::BlockCache(PhysMem& phys) : phys_(phys), jump_(kJumpEntries) {
    never_valid_.valid = false;
    for (JumpEntry& e : jump_) e = JumpEntry{0xFFFFFFFFu, &never_valid_};
}

BlockCache::~BlockCache() { clear(); }

Block* BlockCache::insert(std::unique_ptr<Block> b) {
    Block* p = b.get();
    Block*& head = by_host_.head(p->host);
    p->next_same = head;
    head = p;
    if (p->ram) {
        std::vector<Block*>& list = by_page_[p->paddr >> kPageBits];
        if (list.empty()) phys_.set_code_page(p->paddr, true);
        list.push_back(p);
    }
    all_.push_back(std::move(b));
    return p;
}

void BlockCache::unlink(Block* b) {
    b->valid = false;
    dead_.push_back(b);
    Block** head = by_host_.find_head(b->host);
    if (!head) return;
    for (Block** pp = head; *pp; pp = &(*pp)->next_same) {
        if (*pp == b) {
            *pp = b->next_same;
            break;
        }
    }
    if (!*head) by_host_.erase(b->host);
    b->next_same = nullptr;
}

unsigned BlockCache::invalidate_page(uint32_t paddr) {
    const uint32_t page = paddr >> kPageBits;
    auto it = by_page_.find(page);
    if (it == by_page_.end()) return 0;
    std::vector<Block*> list = std::move(it->second);
    by_page_.erase(it);
    for (Block* b : list) unlink(b);
    phys_.set_code_page(page << kPageBits, false);
    ++invalidations_[page];
    return unsigned(list.size());
}

void BlockCache::retire(Block* b) {
    if (!b->valid) return;
    if (b->ram) {
        auto it = by_page_.find(b->paddr >> kPageBits);
        if (it != by_page_.end()) {
            std::vector<Block*>& list = it->second;
            list.erase(std::remove(list.begin(), list.end(), b), list.end());
        }
    }
    unlink(b);
}

void BlockCache::clear() {
    for (auto& [page, list] : by_page_) phys_.set_code_page(page << kPageBits, false);
    by_page_.clear();
    by_host_.reset();
    invalidations_.clear();
    for (JumpEntry& e : jump_) e = JumpEntry{0xFFFFFFFFu, &never_valid_};
    dead_.clear();
    all_.clear();
}

} // namespace xlat
