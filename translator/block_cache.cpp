#include "translator/block_cache.h"

namespace xlat {

BlockCache::BlockCache(PhysMem& phys) : phys_(phys), jump_(kJumpEntries) {
    never_valid_.valid = false;
    for (JumpEntry& e : jump_) e = JumpEntry{0xFFFFFFFFu, &never_valid_};
}

BlockCache::~BlockCache() { clear(); }

Block* BlockCache::insert(std::unique_ptr<Block> b) {
    Block* p = b.get();
    Block*& head = by_host_[p->host];
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
    auto it = by_host_.find(b->host);
    if (it == by_host_.end()) return;
    for (Block** pp = &it->second; *pp; pp = &(*pp)->next_same) {
        if (*pp == b) {
            *pp = b->next_same;
            break;
        }
    }
    if (!it->second) by_host_.erase(it);
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

void BlockCache::clear() {
    for (auto& [page, list] : by_page_) phys_.set_code_page(page << kPageBits, false);
    by_page_.clear();
    by_host_.clear();
    invalidations_.clear();
    for (JumpEntry& e : jump_) e = JumpEntry{0xFFFFFFFFu, &never_valid_};
    dead_.clear();
    all_.clear();
}

} // namespace xlat
