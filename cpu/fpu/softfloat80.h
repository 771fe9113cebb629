// A software implementation of the x87 80-bit extended-precision arithmetic.
//
// This is the only place the emulator computes floating-point results: it never uses the host's
// floating-point unit, so that results are bit-exact on any host. It follows the x87 rules rather
// than plain IEEE 754 where the two differ (SDM Vol. 1, chapters 4 and 8):
//   - the explicit integer bit (J) and the encodings it makes unsupported (pseudo-NaNs,
//     pseudo-infinities, unnormals), and pseudo-denormals, which are valid denormal operands;
//   - precision control: results of the basic operations rounded to 24, 53 or 64 significant
//     bits while keeping the 15-bit exponent range;
//   - NaN propagation (SDM Vol. 1, 4.8.3.5, Table 4-7) and the real indefinite;
//   - the masked and unmasked responses of overflow and underflow (SDM Vol. 1, 8.5.4, 8.5.5),
//     the latter returning the result with its exponent wrapped by 2^24576;
//   - C1, which reports whether the last rounding increased the magnitude.
//
// The functions take a Context that holds the rounding mode, precision and exception masks and
// accumulates the exception flags raised, in the bit positions of the x87 status word.
#pragma once
#include <cstdint>

#include "cpu/state.h"

namespace xlat::fp80 {

// Exception flags, as in the x87 status word and control word masks (SDM Vol. 1, 8.1.3).
enum Exception : uint16_t {
    kInvalid = 1u << 0,     // IE
    kDenormal = 1u << 1,    // DE: an operand is denormal
    kZeroDivide = 1u << 2,  // ZE
    kOverflow = 1u << 3,    // OE
    kUnderflow = 1u << 4,   // UE
    kInexact = 1u << 5,     // PE
};
constexpr uint16_t kAllExceptions = 0x3F;

// Rounding control, the FCW.RC encoding (SDM Vol. 1, 4.8.4, Table 4-8).
enum class Rounding : uint8_t { Nearest = 0, Down = 1, Up = 2, Zero = 3 };

struct Context {
    Rounding rc = Rounding::Nearest;
    unsigned precision = 64;      // significand bits of the basic operations: 24, 53 or 64
    uint16_t masks = kAllExceptions;  // FCW exception masks
    uint16_t flags = 0;           // exceptions raised so far
    bool rounded_up = false;      // the last rounding increased the magnitude (x87 C1)
    // An operand came from a denormal single or double: it widens to a normal extended value
    // but counts as a denormal operand (set by the instruction before the operation).
    bool denormal_operand = false;

    // From an x87 control word (precision control 1 is reserved and behaves as 64 bits here).
    static Context from_fcw(uint16_t fcw) {
        Context c;
        c.rc = Rounding((fcw >> 10) & 3);
        unsigned pc = (fcw >> 8) & 3;
        c.precision = pc == 0 ? 24 : pc == 2 ? 53 : 64;
        c.masks = fcw & kAllExceptions;
        return c;
    }
    bool masked(uint16_t e) const { return (masks & e) == e; }
    void raise(uint16_t e) { flags |= e; }
    // True when an unmasked invalid-operation, denormal or zero-divide exception occurred: the
    // x87 then leaves its destination unchanged (SDM Vol. 1, 8.5.1 to 8.5.3).
    bool suppressed() const { return flags & ~masks & (kInvalid | kDenormal | kZeroDivide); }
};

// ---- encodings ----

constexpr uint16_t kBias = 16383;
constexpr uint16_t kMaxExp = 0x7FFF;
constexpr uint64_t kIntBit = 1ull << 63;    // J, the explicit integer bit
constexpr uint64_t kQuietBit = 1ull << 62;  // set in a quiet NaN

inline bool sign(Float80 a) { return a.sexp & 0x8000; }
inline unsigned biased_exp(Float80 a) { return a.sexp & 0x7FFF; }
inline Float80 make(bool s, unsigned e, uint64_t m) { return Float80{m, uint16_t((s ? 0x8000u : 0u) | e)}; }
inline Float80 zero(bool s) { return make(s, 0, 0); }
inline Float80 infinity(bool s) { return make(s, kMaxExp, kIntBit); }
inline Float80 negate(Float80 a) { a.sexp ^= 0x8000; return a; }
inline Float80 abs(Float80 a) { a.sexp &= 0x7FFF; return a; }
inline bool same(Float80 a, Float80 b) { return a.mant == b.mant && a.sexp == b.sexp; }
// The real indefinite: the QNaN the x87 returns for a masked invalid operation.
constexpr Float80 kIndefinite = {0xC000000000000000ull, 0xFFFF};

enum class Class : uint8_t {
    Zero, Denormal, PseudoDenormal, Normal, Infinity, QNaN, SNaN,
    Unsupported,  // pseudo-NaN, pseudo-infinity, unnormal (SDM Vol. 1, 8.2.2, Table 8-3)
};
Class classify(Float80 a);
inline bool is_nan(Class c) { return c == Class::QNaN || c == Class::SNaN; }
inline bool is_denormal(Class c) { return c == Class::Denormal || c == Class::PseudoDenormal; }
// Nonzero finite: normal, denormal or pseudo-denormal.
inline bool is_finite_nonzero(Class c) { return c == Class::Normal || is_denormal(c); }

// The x87 tag of a non-empty register holding `a`: 0 valid, 1 zero, 2 special (SDM Vol. 1, 8.1.7).
unsigned tag_of(Float80 a);

// ---- rounding ----

// A finite value as sign × sig × 2^(exp − 16383 − 127): `sig` is a 128-bit significand with its
// top bit set (or zero), `exp` the biased exponent of that top bit, unbounded.
struct Wide {
    bool sign;
    int32_t exp;
    unsigned __int128 sig;
};

// Normalizes and rounds w to `precision` bits with the extended exponent range, with the
// underflow and overflow responses the masks in c select. `wrap` gives the unmasked response of
// a register destination (exponent adjusted by 24576, SDM Vol. 1, 8.5.4); without it an
// unmasked overflow or underflow still flags but the result is only for the caller to drop.
Float80 round_pack(Context& c, Wide w, unsigned precision, bool wrap = true);

// ---- the basic operations (precision control applies) ----

Float80 add(Context& c, Float80 a, Float80 b);
Float80 sub(Context& c, Float80 a, Float80 b);
Float80 mul(Context& c, Float80 a, Float80 b);
Float80 div(Context& c, Float80 a, Float80 b);
Float80 sqrt(Context& c, Float80 a);

// ---- other arithmetic (always 64-bit precision) ----

// FRNDINT: round to an integral value in the rounding mode.
Float80 round_to_int(Context& c, Float80 a);
// FSCALE: a × 2^trunc(b).
Float80 scale(Context& c, Float80 a, Float80 b);
// FXTRACT: the exponent (as a value) and the significand (exponent 0) of a.
void extract(Context& c, Float80 a, Float80& exponent, Float80& significand);

// FPREM (ieee false) and FPREM1 (ieee true). `quotient` receives the low three bits of the
// quotient, or kNoQuotient when the result is a NaN or nothing was computed; `partial` whether
// the reduction is incomplete (C2).
constexpr unsigned kNoQuotient = ~0u;
Float80 remainder(Context& c, Float80 a, Float80 b, bool ieee, unsigned& quotient, bool& partial);

// Compares a with b: -1 less, 0 equal, 1 greater, 2 unordered. A quiet compare (FUCOM) flags
// invalid only for signaling NaNs and unsupported encodings, an ordered one for any NaN.
int compare(Context& c, Float80 a, Float80 b, bool quiet);

// ---- conversions ----

Float80 from_int(int64_t v);
// Rounds to an integer of `bits` (16, 32, 64) bits in the rounding mode; out of range, NaN,
// infinity or unsupported: invalid, and the integer indefinite (the most negative value).
int64_t to_int(Context& c, Float80 a, unsigned bits);

// FLD m32/m64: exact, a signaling NaN quieted (invalid), a denormal source flagged.
Float80 from_f32(Context& c, uint32_t v);
Float80 from_f64(Context& c, uint64_t v);
// The same values widened without any exception, a signaling NaN left signaling: the operand
// of an arithmetic instruction, which applies the NaN rules itself. `denormal` tells whether
// the source was a denormal of its format.
Float80 extend_f32(uint32_t v, bool& denormal);
Float80 extend_f64(uint64_t v, bool& denormal);
// Rounds to single or double precision (memory formats). The result is meaningless when an
// unmasked exception occurred: the x87 then stores nothing.
uint32_t to_f32(Context& c, Float80 a);
uint64_t to_f64(Context& c, Float80 a);

// 18-digit packed BCD (10 bytes: 9 bytes of digits, then the sign byte).
Float80 from_bcd(const uint8_t bcd[10]);
void to_bcd(Context& c, Float80 a, uint8_t bcd[10]);

// The NaN an operation on a and b returns when either is a NaN (SDM Vol. 1, Table 4-7): raises
// invalid for a signaling NaN. Returns false when neither is a NaN.
bool propagate_nan(Context& c, Float80 a, Float80 b, Float80& out);
// A one-operand operation on a NaN: the NaN quieted (invalid if it was signaling).
Float80 quiet_nan(Context& c, Float80 a);

} // namespace xlat::fp80
