// Arithmetic flag computation, eager: every instruction leaves EFLAGS exact (SDM Vol. 1, 3.4.3.1
// and Appendix A). The translator will capture host flags instead, only where a reader needs them.
#pragma once
#include <cstdint>

#include "cpu/state.h"

namespace xlat {

constexpr uint32_t size_mask(unsigned bytes) { return bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1; }
constexpr uint32_t sign_bit(unsigned bytes) { return 1u << (8 * bytes - 1); }
// Sign-extends the low `bytes` bytes of v to 32 bits.
constexpr int32_t sext(uint32_t v, unsigned bytes) {
    return bytes >= 4 ? int32_t(v) : int32_t(v << (32 - 8 * bytes)) >> (32 - 8 * bytes);
}

// PF: set when the low byte of the result has an even number of 1 bits.
constexpr uint32_t parity_flag(uint32_t res) { return (__builtin_popcount(res & 0xFF) & 1) ? 0 : PF; }

// SF, ZF and PF of a result of the given size.
constexpr uint32_t szp_flags(uint32_t res, unsigned bytes) {
    res &= size_mask(bytes);
    return (res & sign_bit(bytes) ? SF : 0) | (res == 0 ? ZF : 0) | parity_flag(res);
}

// Flags of res = a + b + carry_in.
constexpr uint32_t add_flags(uint32_t a, uint32_t b, uint32_t carry_in, unsigned bytes) {
    uint32_t m = size_mask(bytes);
    a &= m, b &= m;
    uint64_t wide = uint64_t(a) + b + carry_in;
    uint32_t res = uint32_t(wide) & m;
    uint32_t f = szp_flags(res, bytes);
    if (wide > m) f |= CF;
    if ((a ^ b ^ res) & 0x10) f |= AF;
    if ((~(a ^ b) & (a ^ res)) & sign_bit(bytes)) f |= OF;
    return f;
}

// Flags of res = a - b - borrow_in.
constexpr uint32_t sub_flags(uint32_t a, uint32_t b, uint32_t borrow_in, unsigned bytes) {
    uint32_t m = size_mask(bytes);
    a &= m, b &= m;
    uint32_t res = (a - b - borrow_in) & m;
    uint32_t f = szp_flags(res, bytes);
    if (uint64_t(b) + borrow_in > a) f |= CF;
    if ((a ^ b ^ res) & 0x10) f |= AF;
    if (((a ^ b) & (a ^ res)) & sign_bit(bytes)) f |= OF;
    return f;
}

// Flags of AND, OR, XOR, TEST: CF = OF = 0, SF ZF PF from the result. AF is undefined; like the
// P6 family we clear it.
constexpr uint32_t logic_flags(uint32_t res, unsigned bytes) { return szp_flags(res, bytes); }

} // namespace xlat
