// The code arena: one bounded mapping that holds the host code of every translated block.
//
// W^X: no mapping of the arena is writable and executable at once. The arena's memory (a memfd)
// is mapped twice: read+execute where blocks run, read+write at another address where the
// dispatcher copies finished code (and where a patch of existing code would go: rw()). The two
// views share their pages, and x86 keeps instruction fetch coherent with stores to the same
// physical memory, so a block is runnable as soon as it is copied. The dispatcher is the only
// writer and runs no guest code while it writes. This replaced two mprotect calls per block
// (about 2 us each with the TLB shootdown they cause: 3% of a Linux boot's host time). Where a
// memfd cannot be had, one anonymous mapping is switched between read+write and read+execute
// around each copy instead. When the arena is full the dispatcher flushes it whole (every block
// goes, docs/translator.md); nothing is freed block by block.
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

    // The executable address of the next byte; code is relocated to it before commit().
    uint8_t* cursor() const { return base_ + used_; }
    const uint8_t* base() const { return base_; }
    size_t left() const { return size_ - used_; }
    size_t size() const { return size_; }
    size_t used() const { return used_; }
    // Copies `n` bytes of finished code to the cursor (16-byte aligned) and makes them
    // executable; returns their executable address. The caller checked left().
    void* commit(const void* code, size_t n);
    // Rewrites the 32-bit word at `at` (inside committed code) with `value` (the dispatcher's
    // chaining, with no block running): through the writable view, or without one the page is
    // made read+write for the store and read+execute again.
    void patch32(uint8_t* at, int32_t value);
    // Moves the cursor on to a multiple of `align` (a power of two; the bytes skipped stay unused).
    void align_cursor(size_t align) {
        used_ = (used_ + align - 1) & ~(align - 1);
        if (used_ > size_) used_ = size_;
    }
    // Everything after the first `keep` bytes (the dispatcher's prologue and epilogue) is free.
    void reset(size_t keep);
    // True when the arena has a separate writable view (the memfd), false in the mprotect mode.
    bool dual_mapped() const { return rw_ != nullptr; }
    // The writable alias of executable arena address `at` (dual_mapped() only), for patching
    // code that is already committed.
    uint8_t* rw(const void* at) const { return rw_ + (static_cast<const uint8_t*>(at) - base_); }

private:
    uint8_t* base_ = nullptr;  // read+execute view (read+write/read+execute by turns without a memfd)
    uint8_t* rw_ = nullptr;    // read+write view of the same pages, or null
    size_t size_ = 0;
    size_t used_ = 0;
};

} // namespace xlat
