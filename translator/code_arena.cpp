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
#ifdef MFD_CLOEXEC
    // Two views of one memfd: the executable one where blocks run, the writable one for copies.
    const int fd = memfd_create("xlat-jit", MFD_CLOEXEC);
    if (fd >= 0) {
        void* rx = MAP_FAILED;
        void* rw = MAP_FAILED;
        if (ftruncate(fd, off_t(size_)) == 0) {
            rx = mmap(nullptr, size_, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
            rw = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        }
        close(fd);  // the mappings keep the memory
        if (rx != MAP_FAILED && rw != MAP_FAILED) {
            base_ = static_cast<uint8_t*>(rx);
            rw_ = static_cast<uint8_t*>(rw);
            return;
        }
        if (rx != MAP_FAILED) munmap(rx, size_);
        if (rw != MAP_FAILED) munmap(rw, size_);
    }
#endif
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<uint8_t*>(p);
}

CodeArena::~CodeArena() {
    munmap(base_, size_);
    if (rw_) munmap(rw_, size_);
}

void* CodeArena::commit(const void* code, size_t n) {
    uint8_t* at = base_ + used_;
    if (rw_) {
        std::memcpy(rw_ + used_, code, n);
    } else {
        // The pages the copy touches: read+write for the copy, then read+execute. A page already
        // holding earlier blocks is briefly not executable; no block runs while the dispatcher
        // translates.
        const size_t ps = page_size();
        uint8_t* first = base_ + (used_ / ps) * ps;
        uint8_t* last = base_ + ((used_ + n + ps - 1) / ps) * ps;
        mprotect(first, size_t(last - first), PROT_READ | PROT_WRITE);
        std::memcpy(at, code, n);
        mprotect(first, size_t(last - first), PROT_READ | PROT_EXEC);
    }
    used_ = (used_ + n + 15) & ~size_t(15);
    if (used_ > size_) used_ = size_;
    return at;
}

void CodeArena::patch32(uint8_t* at, int32_t value) {
    if (rw_) {
        std::memcpy(rw(at), &value, 4);  // through the writable view (see commit)
        return;
    }
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
