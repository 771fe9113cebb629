// The code arena: one bounded mapping that holds the host code of every translated block.
//
// W^X: the arena is never writable and executable at once. It is mapped read+write, and each
// range of pages is made read+execute (mprotect) as soon as a block's code is copied into it;
// the dispatcher is the only writer and runs no guest code while it writes. When the arena is
// full the dispatcher flushes it whole (every block goes, docs/translator.md); nothing is freed
// block by block.
#pragma once
#include <cstddef>
#include <cstdint>

namespace xlat {

class CodeArena {
public:
    explicit CodeArena(size_t bytes);  // throws std::bad_alloc when the mapping fails
    ~CodeArena();
    CodeArena(const CodeArena&) = delete;
    CodeArena& operator=(const CodeArena&) = delete;

    uint8_t* cursor() const { return base_ + used_; }
    size_t left() const { return size_ - used_; }
    size_t size() const { return size_; }
    size_t used() const { return used_; }
    // Copies `n` bytes of finished code to the cursor (16-byte aligned) and makes them
    // executable; returns where they are. The caller checked left().
    void* commit(const void* code, size_t n);
    // Rewrites the 32-bit word at `at` (inside committed code) with `value`: the page is made
    // read+write for the store and read+execute again (the dispatcher's chaining, with no block
    // running).
    void patch32(uint8_t* at, int32_t value);
    // Everything after the first `keep` bytes (the dispatcher's prologue and epilogue) is free.
    void reset(size_t keep);

private:
    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    size_t used_ = 0;
};

} // namespace xlat
