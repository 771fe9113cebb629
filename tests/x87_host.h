// The host CPU as the x87 oracle: a generated x86-64 function that loads a whole x87 state with
// FRSTOR (the 108-byte 32-bit layout, which 64-bit mode uses without REX.W), the general
// registers and the arithmetic flags, runs the bytes under test, and saves everything back with
// FNSAVE. FNSAVE does not wait and reinitializes the FPU, so an unmasked exception the bytes
// leave pending is recorded, never delivered on the host.
//
// Also: a generator of interesting 80-bit values (every class the x87 knows, values near the
// thresholds of each format, ties), shared by the x87 tests.
#pragma once
#include <sys/mman.h>

#include <csetjmp>
#include <csignal>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/state.h"

namespace x87test {

using xlat::Float80;

// The FSAVE/FRSTOR image in the 32-bit protected-mode layout (SDM Vol. 1, 8.1.10, Figure 8-9).
struct FsaveImage {
    uint8_t b[108];

    uint16_t fcw() const { return uint16_t(b[0] | b[1] << 8); }
    uint16_t fsw() const { return uint16_t(b[4] | b[5] << 8); }
    uint16_t ftw() const { return uint16_t(b[8] | b[9] << 8); }
    Float80 st(unsigned i) const {
        Float80 f;
        std::memcpy(&f.mant, b + 28 + 10 * i, 8);
        std::memcpy(&f.sexp, b + 36 + 10 * i, 2);
        return f;
    }
    void set_fcw(uint16_t v) { b[0] = uint8_t(v); b[1] = uint8_t(v >> 8); }
    void set_fsw(uint16_t v) { b[4] = uint8_t(v); b[5] = uint8_t(v >> 8); }
    void set_ftw(uint16_t v) { b[8] = uint8_t(v); b[9] = uint8_t(v >> 8); }
    void set_st(unsigned i, Float80 f) {
        std::memcpy(b + 28 + 10 * i, &f.mant, 8);
        std::memcpy(b + 36 + 10 * i, &f.sexp, 2);
    }
};

struct HostState {
    FsaveImage in;     // loaded by FRSTOR before the bytes
    FsaveImage out;    // stored by FNSAVE after them
    uint32_t r[8];     // EAX ECX EDX EBX ESP EBP ESI EDI (ESP ignored), in and out
    uint64_t flags;    // RFLAGS in and out
};
constexpr unsigned kOffOut = 108, kOffRegs = 216, kOffFlags = 248;
static_assert(offsetof(HostState, out) == kOffOut && offsetof(HostState, r) == kOffRegs &&
              offsetof(HostState, flags) == kOffFlags, "thunk offsets");

inline sigjmp_buf& trap_env() {
    static sigjmp_buf env;
    return env;
}
inline void on_trap(int sig) { siglongjmp(trap_env(), sig); }

class HostThunk {
public:
    HostThunk() {
        mem_ = static_cast<uint8_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (mem_ == MAP_FAILED) mem_ = nullptr;
        struct sigaction sa {};
        sa.sa_handler = on_trap;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGFPE, &sa, &old_fpe_);
        sigaction(SIGSEGV, &sa, &old_segv_);
    }
    ~HostThunk() {
        sigaction(SIGFPE, &old_fpe_, nullptr);
        sigaction(SIGSEGV, &old_segv_, nullptr);
        if (mem_) munmap(mem_, 4096);
    }
    bool ok() const { return mem_ != nullptr; }

    // Runs `insn` with r9 pointing at `operand` (memory forms use [r9]). Returns 0, or the
    // signal the bytes raised: SIGFPE for #MF, SIGSEGV for #GP (`st` is then not updated).
    int run(const std::vector<uint8_t>& insn, HostState& st, uint8_t* operand) {
        if (insn != last_) build(insn);
        // FXRSTOR loads MXCSR: keep the test process's own.
        uint32_t mxcsr;
        __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
        if (int sig = sigsetjmp(trap_env(), 1)) {
            __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
            return sig;
        }
        reinterpret_cast<void (*)(HostState*, uint8_t*)>(mem_)(&st, operand);
        __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
        return 0;
    }

private:
    void build(const std::vector<uint8_t>& insn) {
        std::vector<uint8_t> c = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,  // push rbx rbp r12-r15
                                  0x49, 0x89, 0xF8,                                            // mov r8, rdi
                                  0x49, 0x89, 0xF1};                                           // mov r9, rsi
        static const uint8_t regs[] = {0, 1, 2, 3, 5, 6, 7};
        for (uint8_t r : regs)  // mov r32, [r8 + 216 + 4r]
            c.insert(c.end(), {0x41, 0x8B, uint8_t(0x80 | r << 3), uint8_t(kOffRegs + 4 * r), 0, 0, 0});
        c.insert(c.end(), {0x41, 0xFF, 0xB0, uint8_t(kOffFlags), 0, 0, 0, 0x9D});  // push qword [r8+248]; popfq
        c.insert(c.end(), {0x41, 0xDD, 0x20});                                      // frstor [r8]
        c.insert(c.end(), insn.begin(), insn.end());
        c.insert(c.end(), {0x41, 0xDD, 0xB0, uint8_t(kOffOut), 0, 0, 0});           // fnsave [r8+108]
        c.insert(c.end(), {0x9C, 0x41, 0x8F, 0x80, uint8_t(kOffFlags), 0, 0, 0});   // pushfq; pop qword [r8+248]
        for (uint8_t r : regs)  // mov [r8 + 216 + 4r], r32
            c.insert(c.end(), {0x41, 0x89, uint8_t(0x80 | r << 3), uint8_t(kOffRegs + 4 * r), 0, 0, 0});
        c.insert(c.end(), {0x0F, 0xAE, 0xE8});  // lfence (nothing pending leaves the thunk)
        c.insert(c.end(), {0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3});
        std::memcpy(mem_, c.data(), c.size());
        last_ = insn;
    }

    uint8_t* mem_;
    std::vector<uint8_t> last_;
    struct sigaction old_fpe_ {}, old_segv_ {};
};

// ---------------------------------------------------------------------------------------------
// Values

inline Float80 f80(bool s, unsigned e, uint64_t m) { return Float80{m, uint16_t((s ? 0x8000u : 0u) | e)}; }

inline std::string hex80(Float80 f) {
    char b[32];
    std::snprintf(b, sizeof b, "%04x:%016llx", f.sexp, static_cast<unsigned long long>(f.mant));
    return b;
}

// A random 80-bit value, weighted towards the encodings and magnitudes where the arithmetic has
// its special cases.
inline Float80 pick_f80(std::mt19937_64& rng) {
    const bool s = rng() & 1;
    const uint64_t r = rng();
    const uint64_t J = 1ull << 63;
    switch (rng() % 40) {
    case 0: return f80(s, 0, 0);                                     // zero
    case 1: return f80(s, 0, r & ~J ? r & ~J : 1);                   // denormal
    case 2: return f80(s, 0, (r >> (rng() % 63)) | 1);               // small denormal
    case 3: return f80(s, 0, r | J);                                 // pseudo-denormal
    case 4: return f80(s, 0x7FFF, J);                                // infinity
    case 5: return f80(s, 0x7FFF, J | (1ull << 62) | (r & (rng() % 2 ? 0 : ~0ull) >> 2));  // QNaN
    case 6: return f80(s, 0x7FFF, J | ((r >> 2) | 1));               // SNaN
    case 7: return f80(true, 0x7FFF, 0xC000000000000000ull);         // real indefinite
    case 8: return f80(s, 1 + rng() % 0x7FFE, r & ~J);               // unnormal
    case 9: return f80(s, 0x7FFF, r & ~J);                           // pseudo-NaN / pseudo-infinity
    case 10: return f80(s, 1 + rng() % 3, r | J);                    // smallest normals
    case 11: return f80(s, 0x7FFE - rng() % 3, r | J);               // largest normals
    case 12: return f80(s, 0x7FFE, ~0ull);                           // maximum
    case 13: return f80(s, 1, J);                                    // minimum normal
    case 14: {                                                       // near the single range ends
        const unsigned e = rng() % 2 ? 16383 - 126 - 24 + rng() % 30 : 16383 + 124 + rng() % 6;
        return f80(s, e, r | J);
    }
    case 15: {                                                       // near the double range ends
        const unsigned e = rng() % 2 ? 16383 - 1022 - 53 + rng() % 60 : 16383 + 1020 + rng() % 6;
        return f80(s, e, r | J);
    }
    case 16: return f80(s, 16383 - 64 + rng() % 130, r | J);         // around 1, integers
    case 17: {                                                       // small integers and halves
        int64_t v = int64_t(rng() % 2001) - 1000;
        unsigned sh = unsigned(rng() % 3);
        if (v == 0) return f80(s, 0, 0);
        uint64_t m = uint64_t(v < 0 ? -v : v);
        int z = __builtin_clzll(m);
        return f80(v < 0, unsigned(16383 + 63 - z - sh), m << z);
    }
    case 18: {                                                       // few significant bits
        uint64_t m = J | ((r & 0xFF) << (55 - rng() % 50));
        return f80(s, 16383 - 40 + rng() % 80, m);
    }
    case 19: {                                                       // tie patterns for each precision
        static const unsigned pos[] = {40, 39, 11, 10, 0, 1};
        uint64_t m = (r | J) & ~((1ull << pos[rng() % 6]) - 1);
        const unsigned p = pos[rng() % 6];
        if (rng() % 2) m |= 1ull << (p ? p - 1 : 0);
        return f80(s, 16383 - 20 + rng() % 40, m | J);
    }
    case 20: return f80(s, 16383 + 63 - rng() % 3, r | J);          // near 2^63 (integer limits)
    case 21: return f80(s, 16383 + 14 + rng() % 4, r | J);          // near 2^15 (int16 limits)
    case 22: return f80(s, 16383 + 30 + rng() % 4, r | J);          // near 2^31 (int32 limits)
    case 23: return f80(s, 16383 + 56 + rng() % 6, r | J);          // near 10^18 (BCD limit)
    default: return f80(s, 16383 - 200 + rng() % 400, r | J);        // ordinary numbers
    }
}

// A second operand related to the first (cancellation, equal exponents, exact halves).
inline Float80 pick_related(std::mt19937_64& rng, Float80 a) {
    Float80 b = a;
    switch (rng() % 6) {
    case 0: b.sexp ^= 0x8000; break;
    case 1: b.mant ^= 1ull << (rng() % 64); break;
    case 2: b.sexp = uint16_t((b.sexp & 0x8000) | ((b.sexp + rng() % 130 - 65) & 0x7FFF)); break;
    case 3: b.mant = (b.mant & 0x8000000000000000ull) | (rng() >> 1); break;
    case 4: b.mant += rng() % 5 - 2; break;
    default: return pick_f80(rng);
    }
    return b;
}

} // namespace x87test
