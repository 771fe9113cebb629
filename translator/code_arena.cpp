#include "translator/code_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <new>

namespace xlat {

namespace {
size_t page_size() { return size_t(sysconf(_SC_PAGESIZE)); }
} // namespace

CodeArena::CodeArena(size_t bytes) {
    const size_t ps = page_size();
    size_ = (bytes + ps - 1) / ps * ps;
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<uint8_t*>(p);
}

CodeArena::~CodeArena() { munmap(base_, size_); }

void* CodeArena::commit(const void* code, size_t n) {
    const size_t ps = page_size();
    uint8_t* at = base_ + used_;
    // The pages the copy touches: read+write for the copy, then read+execute. A page already
    // holding earlier blocks is briefly not executable; no block runs while the dispatcher
    // translates.
    uint8_t* first = base_ + (used_ / ps) * ps;
    uint8_t* last = base_ + ((used_ + n + ps - 1) / ps) * ps;
    mprotect(first, size_t(last - first), PROT_READ | PROT_WRITE);
    std::memcpy(at, code, n);
    mprotect(first, size_t(last - first), PROT_READ | PROT_EXEC);
    used_ = (used_ + n + 15) & ~size_t(15);
    if (used_ > size_) used_ = size_;
    return at;
}

void CodeArena::patch32(uint8_t* at, int32_t value) {
    const size_t ps = page_size();
    const size_t off = size_t(at - base_);
    uint8_t* first = base_ + (off / ps) * ps;
    uint8_t* last = base_ + ((off + 4 + ps - 1) / ps) * ps;  // a word may straddle two pages
    mprotect(first, size_t(last - first), PROT_READ | PROT_WRITE);
    std::memcpy(at, &value, 4);
    mprotect(first, size_t(last - first), PROT_READ | PROT_EXEC);
}

void CodeArena::reset(size_t keep) { used_ = (keep + 15) & ~size_t(15); }

} // namespace xlat
