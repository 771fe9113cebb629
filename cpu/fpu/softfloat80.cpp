// Software x87 extended-precision arithmetic (see softfloat80.h). All the significand arithmetic
// is done in 64- and 128-bit integers; every result is rounded exactly once.
#include "cpu/fpu/softfloat80.h"

#include <utility>

namespace xlat::fp80 {

namespace {

using u128 = unsigned __int128;

int clz64(uint64_t x) { return __builtin_clzll(x); }
int clz128(u128 x) {
    uint64_t hi = uint64_t(x >> 64);
    return hi ? clz64(hi) : 64 + clz64(uint64_t(x));
}

// x >> n, with every bit shifted out ORed into bit 0 (the sticky bit of the rounding).
u128 shr_sticky(u128 x, unsigned n) {
    if (n == 0) return x;
    if (n >= 128) return x != 0;
    u128 r = x >> n;
    if (x << (128 - n)) r |= 1;
    return r;
}

// A finite nonzero value unpacked: denormals and pseudo-denormals take the minimum exponent 1
// (SDM Vol. 1, 8.2.2: a pseudo-denormal has the value of the denormal with J clear).
Wide unpack(Float80 a) {
    int32_t e = int32_t(biased_exp(a));
    uint64_t m = a.mant;
    if (e == 0) e = 1;
    int s = clz64(m);
    m <<= s;
    return Wide{sign(a), e - s, u128(m) << 64};
}

bool rounds_up(Rounding rc, bool negative) {
    return rc == Rounding::Up ? !negative : rc == Rounding::Down ? negative : false;
}

// Rounds `sig` to its top `prec` bits (prec <= 64) in place. Returns whether it was incremented;
// `inexact` says whether bits were lost, `carry` whether the increment carried out of bit 127
// (sig then becomes 2^127 and the exponent must grow by one).
bool round_bits(Rounding rc, bool negative, u128& sig, unsigned prec, bool& inexact, bool& carry) {
    const u128 unit = u128(1) << (128 - prec);  // weight of the last bit kept
    const u128 rest = sig & (unit - 1);
    sig -= rest;
    inexact = rest != 0;
    carry = false;
    bool inc = false;
    if (rest) {
        if (rc == Rounding::Nearest) {
            const u128 half = unit >> 1;
            inc = rest > half || (rest == half && (sig & unit));
        } else {
            inc = rounds_up(rc, negative);
        }
    }
    if (inc) {
        sig += unit;
        if (sig == 0) { carry = true; sig = u128(1) << 127; }
    }
    return inc;
}

// The x87 detects tininess after rounding: a result that rounds to the smallest normal is not
// tiny. (Checked against the hardware by tests/x87_softfloat_test.cpp.)
constexpr bool kTininessAfterRounding = true;

// The result of the rounding engine: a 64-bit significand (J clear for a denormal) and the
// biased exponent in the extended bias (emin for a denormal).
struct Rounded {
    int32_t exp;
    uint64_t mant;
    bool special;  // masked overflow to infinity
};

// Rounds a normalized w to `prec` bits within the normal exponent range [emin, emax] (extended
// bias): the engine of every rounding to extended, double or single format. `wrap` is the
// unmasked-response exponent adjustment (24576 for a register destination, 0 for memory).
Rounded round_engine(Context& c, Wide w, unsigned prec, int32_t emin, int32_t emax, int32_t wrap) {
    c.rounded_up = false;
    bool inexact, carry, inc;
    if (w.exp < emin) {
        bool tiny = true;
        if (kTininessAfterRounding) {
            u128 t = w.sig;
            bool ix, cy;
            round_bits(c.rc, w.sign, t, prec, ix, cy);
            tiny = !(cy && w.exp + 1 >= emin);
        }
        if (tiny) {
            if (c.masked(kUnderflow)) {
                // Masked response: denormalize, then round (SDM Vol. 1, 4.9.1.5).
                u128 sig = shr_sticky(w.sig, unsigned(emin - w.exp));
                inc = round_bits(c.rc, w.sign, sig, prec, inexact, carry);
                if (inexact) c.raise(kUnderflow | kInexact);
                c.rounded_up = inc;
                return Rounded{emin, uint64_t(sig >> 64), false};
            }
            // Unmasked: a memory destination receives nothing (and only UE is reported); a
            // register gets the result with its exponent wrapped, or a zero when even that is
            // out of range (as FSCALE can produce).
            c.raise(kUnderflow);
            if (!wrap) return Rounded{0, 0, false};
            w.exp += wrap;
            if (w.exp < emin) {
                c.raise(kInexact);
                return Rounded{0, 0, false};
            }
        }
    }
    u128 sig = w.sig;
    inc = round_bits(c.rc, w.sign, sig, prec, inexact, carry);
    int32_t exp = w.exp + (carry ? 1 : 0);
    if (exp > emax) {
        if (c.masked(kOverflow)) {
            // Masked response: infinity or the largest finite value, by the rounding direction
            // (SDM Vol. 1, 4.9.1.4, Table 4-10).
            c.raise(kOverflow | kInexact);
            if (c.rc == Rounding::Nearest || rounds_up(c.rc, w.sign)) {
                c.rounded_up = true;
                return Rounded{0x7FFF, kIntBit, true};
            }
            c.rounded_up = false;
            return Rounded{emax, ~uint64_t(0) << (64 - prec), false};
        }
        c.raise(kOverflow);
        if (!wrap) return Rounded{0, 0, false};
        exp -= wrap;
        if (exp > emax) {
            c.raise(kInexact);
            c.rounded_up = true;
            return Rounded{0x7FFF, kIntBit, true};
        }
    }
    if (inexact) c.raise(kInexact);
    c.rounded_up = inc;
    return Rounded{exp, uint64_t(sig >> 64), false};
}

Float80 pack80(bool s, const Rounded& r) {
    if (r.special) return infinity(s);
    if (r.mant == 0) return zero(s);
    if (!(r.mant & kIntBit)) return make(s, 0, r.mant);
    // An unmasked response far out of range still has to fit the 15-bit field.
    int32_t e = r.exp < 1 ? 1 : r.exp > 0x7FFE ? 0x7FFE : r.exp;
    return make(s, unsigned(e), r.mant);
}

// Single and double precision in extended-bias terms.
constexpr int32_t kF32Min = kBias - 126, kF32Max = kBias + 127;
constexpr int32_t kF64Min = kBias - 1022, kF64Max = kBias + 1023;
constexpr uint32_t kF32Indefinite = 0xFFC00000u;
constexpr uint64_t kF64Indefinite = 0xFFF8000000000000ull;

// Unsupported operands make the operation invalid (SDM Vol. 1, 8.2.2); NaNs propagate.
bool special2(Context& c, Float80 a, Float80 b, Class ca, Class cb, Float80& out) {
    if (ca == Class::Unsupported || cb == Class::Unsupported) {
        c.raise(kInvalid);
        out = kIndefinite;
        return true;
    }
    return propagate_nan(c, a, b, out);
}

// A pseudo-denormal in its canonical encoding (exponent 1, the same value); anything else as is.
Float80 canonical(Float80 a) { return classify(a) == Class::PseudoDenormal ? make(sign(a), 1, a.mant) : a; }

bool either_denormal(Class ca, Class cb) { return is_denormal(ca) || is_denormal(cb); }

// Raises the denormal-operand exception when an operand is denormal. Returns true when it is
// unmasked: the x87 then stops before computing anything (SDM Vol. 1, 8.5.2).
bool denormal_stops(Context& c, Class ca, Class cb = Class::Zero) {
    if (!either_denormal(ca, cb) && !c.denormal_operand) return false;
    c.raise(kDenormal);
    return !c.masked(kDenormal);
}

Float80 add_sub(Context& c, Float80 a, Float80 b, bool subtract) {
    c.rounded_up = false;
    const Class ca = classify(a), cb = classify(b);
    Float80 out;
    if (special2(c, a, b, ca, cb, out)) return out;
    const bool sa = sign(a), sb = sign(b) != subtract;
    if (ca == Class::Infinity || cb == Class::Infinity) {
        if (ca == Class::Infinity && cb == Class::Infinity && sa != sb) {
            c.raise(kInvalid);
            return kIndefinite;
        }
        if (denormal_stops(c, ca, cb)) return a;
        return infinity(ca == Class::Infinity ? sa : sb);
    }
    if (denormal_stops(c, ca, cb)) return a;
    if (ca == Class::Zero && cb == Class::Zero)
        return zero(sa == sb ? sa : c.rc == Rounding::Down);
    if (cb == Class::Zero) return round_pack(c, unpack(a), c.precision);
    if (ca == Class::Zero) {
        Wide y = unpack(b);
        y.sign = sb;
        return round_pack(c, y, c.precision);
    }
    Wide x = unpack(a), y = unpack(b);
    y.sign = sb;
    if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) std::swap(x, y);
    // One bit of headroom for the carry; the low 64 bits of both are zero, so nothing is lost.
    const u128 X = x.sig >> 1, Y = shr_sticky(y.sig >> 1, unsigned(x.exp - y.exp));
    Wide r{x.sign, x.exp + 1, x.sign == y.sign ? X + Y : X - Y};
    // An exact zero difference is +0, or -0 when rounding down (IEEE 754, as the x87 does).
    if (r.sig == 0) return zero(c.rc == Rounding::Down);
    return round_pack(c, r, c.precision);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Classification

Class classify(Float80 a) {
    const unsigned e = biased_exp(a);
    const uint64_t m = a.mant;
    if (e == kMaxExp) {
        if (!(m & kIntBit)) return Class::Unsupported;  // pseudo-infinity, pseudo-NaN
        if ((m << 1) == 0) return Class::Infinity;
        return (m & kQuietBit) ? Class::QNaN : Class::SNaN;
    }
    if (e == 0) {
        if (m == 0) return Class::Zero;
        return (m & kIntBit) ? Class::PseudoDenormal : Class::Denormal;
    }
    return (m & kIntBit) ? Class::Normal : Class::Unsupported;  // unnormal
}

unsigned tag_of(Float80 a) {
    switch (classify(a)) {
    case Class::Normal: return 0;
    case Class::Zero: return 1;
    default: return 2;
    }
}

bool propagate_nan(Context& c, Float80 a, Float80 b, Float80& out) {
    const Class ca = classify(a), cb = classify(b);
    const bool an = is_nan(ca), bn = is_nan(cb);
    if (!an && !bn) return false;
    if (ca == Class::SNaN || cb == Class::SNaN) c.raise(kInvalid);
    Float80 qa = a, qb = b;
    qa.mant |= kQuietBit;
    qb.mant |= kQuietBit;
    if (an && bn) {
        // SDM Vol. 1, Table 4-7: an SNaN and a QNaN give the QNaN; two of a kind give the one
        // with the larger significand (ties: the positive one).
        if (ca == Class::SNaN && cb == Class::QNaN) out = b;
        else if (ca == Class::QNaN && cb == Class::SNaN) out = a;
        else if (a.mant != b.mant) out = a.mant > b.mant ? qa : qb;
        else out = a.sexp < b.sexp ? qa : qb;
    } else {
        out = an ? qa : qb;
    }
    return true;
}

Float80 quiet_nan(Context& c, Float80 a) {
    if (classify(a) == Class::SNaN) c.raise(kInvalid);
    a.mant |= kQuietBit;
    return a;
}

// ---------------------------------------------------------------------------------------------
// Rounding

Float80 round_pack(Context& c, Wide w, unsigned precision, bool wrap) {
    c.rounded_up = false;
    if (w.sig == 0) return zero(w.sign);
    const int s = clz128(w.sig);
    w.sig <<= s;
    w.exp -= s;
    return pack80(w.sign, round_engine(c, w, precision, 1, 0x7FFE, wrap ? 24576 : 0));
}

// ---------------------------------------------------------------------------------------------
// Basic operations

Float80 add(Context& c, Float80 a, Float80 b) { return add_sub(c, a, b, false); }
Float80 sub(Context& c, Float80 a, Float80 b) { return add_sub(c, a, b, true); }

Float80 mul(Context& c, Float80 a, Float80 b) {
    c.rounded_up = false;
    const Class ca = classify(a), cb = classify(b);
    Float80 out;
    if (special2(c, a, b, ca, cb, out)) return out;
    const bool s = sign(a) != sign(b);
    if (ca == Class::Infinity || cb == Class::Infinity) {
        if (ca == Class::Zero || cb == Class::Zero) {
            c.raise(kInvalid);
            return kIndefinite;
        }
        if (denormal_stops(c, ca, cb)) return a;
        return infinity(s);
    }
    if (denormal_stops(c, ca, cb)) return a;
    if (ca == Class::Zero || cb == Class::Zero) return zero(s);
    const Wide x = unpack(a), y = unpack(b);
    const u128 p = u128(uint64_t(x.sig >> 64)) * uint64_t(y.sig >> 64);
    return round_pack(c, Wide{s, x.exp + y.exp - kBias + 1, p}, c.precision);
}

Float80 div(Context& c, Float80 a, Float80 b) {
    c.rounded_up = false;
    const Class ca = classify(a), cb = classify(b);
    Float80 out;
    if (special2(c, a, b, ca, cb, out)) return out;
    const bool s = sign(a) != sign(b);
    if ((ca == Class::Infinity && cb == Class::Infinity) || (ca == Class::Zero && cb == Class::Zero)) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    // Division by zero takes precedence over a denormal dividend (SDM Vol. 1, 4.9.2).
    if (cb == Class::Zero && ca != Class::Infinity) {
        c.raise(kZeroDivide);
        return infinity(s);
    }
    if (denormal_stops(c, ca, cb)) return a;
    if (ca == Class::Infinity) return infinity(s);
    if (cb == Class::Infinity) return zero(s);
    if (ca == Class::Zero) return zero(s);
    const Wide x = unpack(a), y = unpack(b);
    const uint64_t mx = uint64_t(x.sig >> 64), my = uint64_t(y.sig >> 64);
    // Two steps of 128/64 division give a quotient of 128+ bits and an exact sticky bit.
    const u128 n = u128(mx) << 64;
    const u128 q1 = n / my, r1 = n % my;
    const u128 n2 = r1 << 64;
    const uint64_t q2 = uint64_t(n2 / my);
    const bool r2 = (n2 % my) != 0;
    Wide r{s, 0, 0};
    if (q1 >> 64) {
        r.sig = (q1 << 63) | (q2 >> 1) | u128((q2 & 1) | r2);
        r.exp = x.exp - y.exp + kBias;
    } else {
        r.sig = (q1 << 64) | q2 | u128(r2);
        r.exp = x.exp - y.exp + kBias - 1;
    }
    return round_pack(c, r, c.precision);
}

Float80 sqrt(Context& c, Float80 a) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (ca == Class::Unsupported) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    if (is_nan(ca)) return quiet_nan(c, a);
    if (ca == Class::Zero) return a;
    if (sign(a)) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    if (ca == Class::Infinity) return a;
    if (denormal_stops(c, ca)) return a;
    const Wide x = unpack(a);
    const uint64_t m = uint64_t(x.sig >> 64);
    // a = m × 2^u. The root of m × 2^k, with k making u - k even and giving ~70 root bits, is
    // found digit by digit; the remainder tells whether it is exact.
    const int32_t u = x.exp - kBias - 63;
    const int k = ((u - 76) & 1) ? 77 : 76;
    auto bit = [&](int b) -> unsigned { return (b >= k && b - k < 64) ? unsigned(m >> (b - k)) & 1 : 0; };
    const int pairs = (64 + k + 1) / 2;
    u128 rem = 0, root = 0;
    for (int j = pairs - 1; j >= 0; --j) {
        rem = (rem << 2) | (bit(2 * j + 1) << 1) | bit(2 * j);
        const u128 trial = (root << 2) | 1;
        root <<= 1;
        if (rem >= trial) {
            rem -= trial;
            root |= 1;
        }
    }
    const int msb = 127 - clz128(root);
    Wide r{false, (u - k) / 2 + msb + kBias, (root << (127 - msb)) | u128(rem != 0)};
    return round_pack(c, r, c.precision);
}

// ---------------------------------------------------------------------------------------------
// Integers and rounding to integer

namespace {

// Rounds a finite nonzero value to an integer magnitude in the rounding mode. `huge` is set when
// the magnitude needs more than 64 bits (the value is then not computed).
u128 integer_magnitude(Context& c, Float80 a, bool& inexact, bool& inc, bool& huge) {
    const Wide x = unpack(a);
    inexact = inc = huge = false;
    const int32_t fb = kBias + 63 - x.exp;  // fraction bits of the 64-bit significand
    if (fb <= 0) {
        if (fb < 0) huge = true;
        return x.sig >> 64;
    }
    const u128 f = shr_sticky(x.sig, unsigned(fb));  // value × 2^64
    u128 i = f >> 64;
    const uint64_t frac = uint64_t(f);
    inexact = frac != 0;
    if (frac) {
        if (c.rc == Rounding::Nearest) inc = frac > (1ull << 63) || (frac == (1ull << 63) && (i & 1));
        else inc = rounds_up(c.rc, x.sign);
    }
    if (inc) ++i;
    return i;
}

Float80 from_magnitude(bool s, u128 i) {
    if (i == 0) return zero(s);
    const int msb = 127 - clz128(i);
    // i < 2^65 here; an integer of 65 bits is even when it comes from rounding 2^64 - 1 up.
    return make(s, unsigned(kBias + msb), uint64_t((i << (127 - msb)) >> 64));
}

} // namespace

Float80 round_to_int(Context& c, Float80 a) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (ca == Class::Unsupported) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    if (is_nan(ca)) return quiet_nan(c, a);
    if (ca == Class::Zero || ca == Class::Infinity) return a;
    if (denormal_stops(c, ca)) return a;
    if (biased_exp(a) >= kBias + 63) return a;
    bool inexact, inc, huge;
    const u128 i = integer_magnitude(c, a, inexact, inc, huge);
    if (inexact) c.raise(kInexact);
    c.rounded_up = inc;
    return from_magnitude(sign(a), i);
}

Float80 from_int(int64_t v) {
    if (v == 0) return zero(false);
    const bool s = v < 0;
    const uint64_t m = s ? 0 - uint64_t(v) : uint64_t(v);
    const int z = clz64(m);
    return make(s, unsigned(kBias + 63 - z), m << z);
}

int64_t to_int(Context& c, Float80 a, unsigned bits) {
    c.rounded_up = false;
    const int64_t indefinite = int64_t(~uint64_t(0) << (bits - 1));  // most negative value
    const Class ca = classify(a);
    if (ca == Class::Zero) return 0;
    if (!is_finite_nonzero(ca)) {
        c.raise(kInvalid);
        return indefinite;
    }
    // A denormal source is not an exception here (SDM Vol. 2A, FIST: #IS, #IA, #P only).
    bool inexact, inc, huge;
    const u128 i = integer_magnitude(c, a, inexact, inc, huge);
    const u128 limit = (u128(1) << (bits - 1)) - (sign(a) ? 0 : 1);
    if (huge || i > limit) {
        c.raise(kInvalid);
        return indefinite;
    }
    if (inexact) c.raise(kInexact);
    c.rounded_up = inc;
    const uint64_t m = uint64_t(i);
    return sign(a) ? int64_t(0 - m) : int64_t(m);
}

// ---------------------------------------------------------------------------------------------
// Single and double precision

Float80 extend_f32(uint32_t v, bool& denormal) {
    const bool s = v >> 31;
    const unsigned e = (v >> 23) & 0xFF;
    const uint64_t f = v & 0x7FFFFF;
    denormal = false;
    if (e == 0xFF) return f == 0 ? infinity(s) : make(s, kMaxExp, kIntBit | (f << 40));
    if (e == 0) {
        if (f == 0) return zero(s);
        denormal = true;
        const int z = clz64(f);
        // f × 2^-149: the top set bit of f is bit 63 - z.
        return make(s, unsigned(kBias - 149 + 63 - z), f << z);
    }
    return make(s, unsigned(e - 127 + kBias), kIntBit | (f << 40));
}

Float80 extend_f64(uint64_t v, bool& denormal) {
    const bool s = v >> 63;
    const unsigned e = unsigned(v >> 52) & 0x7FF;
    const uint64_t f = v & ((1ull << 52) - 1);
    denormal = false;
    if (e == 0x7FF) return f == 0 ? infinity(s) : make(s, kMaxExp, kIntBit | (f << 11));
    if (e == 0) {
        if (f == 0) return zero(s);
        denormal = true;
        const int z = clz64(f);
        return make(s, unsigned(kBias - 1074 + 63 - z), f << z);
    }
    return make(s, unsigned(e - 1023 + kBias), kIntBit | (f << 11));
}

Float80 from_f32(Context& c, uint32_t v) {
    bool denormal;
    const Float80 r = extend_f32(v, denormal);
    if (denormal) c.raise(kDenormal);
    return is_nan(classify(r)) ? quiet_nan(c, r) : r;
}

Float80 from_f64(Context& c, uint64_t v) {
    bool denormal;
    const Float80 r = extend_f64(v, denormal);
    if (denormal) c.raise(kDenormal);
    return is_nan(classify(r)) ? quiet_nan(c, r) : r;
}

uint32_t to_f32(Context& c, Float80 a) {
    c.rounded_up = false;
    const uint32_t s = sign(a) ? 0x80000000u : 0;
    switch (classify(a)) {
    case Class::Unsupported: c.raise(kInvalid); return kF32Indefinite;
    case Class::SNaN:
    case Class::QNaN: {
        Float80 q = quiet_nan(c, a);
        return s | 0x7F800000u | uint32_t((q.mant >> 40) & 0x7FFFFF);
    }
    case Class::Infinity: return s | 0x7F800000u;
    case Class::Zero: return s;
    default: break;  // a denormal source is not flagged (as the hardware does)
    }
    const Rounded r = round_engine(c, unpack(a), 24, kF32Min, kF32Max, 0);
    if (r.special) return s | 0x7F800000u;
    if (!(r.mant & kIntBit)) return s | uint32_t(r.mant >> 40);  // denormal (or zero)
    return s | uint32_t(r.exp - kF32Min + 1) << 23 | uint32_t((r.mant >> 40) & 0x7FFFFF);
}

uint64_t to_f64(Context& c, Float80 a) {
    c.rounded_up = false;
    const uint64_t s = sign(a) ? 1ull << 63 : 0;
    switch (classify(a)) {
    case Class::Unsupported: c.raise(kInvalid); return kF64Indefinite;
    case Class::SNaN:
    case Class::QNaN: {
        Float80 q = quiet_nan(c, a);
        return s | 0x7FF0000000000000ull | ((q.mant >> 11) & ((1ull << 52) - 1));
    }
    case Class::Infinity: return s | 0x7FF0000000000000ull;
    case Class::Zero: return s;
    default: break;
    }
    const Rounded r = round_engine(c, unpack(a), 53, kF64Min, kF64Max, 0);
    if (r.special) return s | 0x7FF0000000000000ull;
    if (!(r.mant & kIntBit)) return s | (r.mant >> 11);
    return s | uint64_t(r.exp - kF64Min + 1) << 52 | ((r.mant >> 11) & ((1ull << 52) - 1));
}

// ---------------------------------------------------------------------------------------------
// Packed BCD (SDM Vol. 1, 4.7, Figure 4-9)

Float80 from_bcd(const uint8_t bcd[10]) {
    // Digits that are not decimal are undefined; they are taken at their binary value.
    uint64_t v = 0;
    for (int i = 8; i >= 0; --i) v = v * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 0xF);
    Float80 r = from_int(int64_t(v));
    if (bcd[9] & 0x80) r = negate(r);
    return r;
}

void to_bcd(Context& c, Float80 a, uint8_t bcd[10]) {
    c.rounded_up = false;
    const Class ca = classify(a);
    uint64_t v = 0;
    bool ok = true;
    if (ca == Class::Zero) {
        v = 0;
    } else if (!is_finite_nonzero(ca)) {
        ok = false;
    } else {
        bool inexact, inc, huge;
        const u128 i = integer_magnitude(c, a, inexact, inc, huge);
        if (huge || i > 999999999999999999ull) {
            ok = false;
        } else {
            v = uint64_t(i);
            if (inexact) c.raise(kInexact);
            c.rounded_up = inc;
        }
    }
    if (!ok) {
        // The packed BCD indefinite (SDM Vol. 1, 4.7, Table 4-4).
        c.raise(kInvalid);
        c.rounded_up = false;
        for (int i = 0; i < 7; ++i) bcd[i] = 0;
        bcd[7] = 0xC0;
        bcd[8] = bcd[9] = 0xFF;
        return;
    }
    for (int i = 0; i < 9; ++i) {
        const unsigned lo = unsigned(v % 10);
        v /= 10;
        const unsigned hi = unsigned(v % 10);
        v /= 10;
        bcd[i] = uint8_t(hi << 4 | lo);
    }
    bcd[9] = sign(a) ? 0x80 : 0;
}

// ---------------------------------------------------------------------------------------------
// Compare, remainder, scale, extract

int compare(Context& c, Float80 a, Float80 b, bool quiet) {
    const Class ca = classify(a), cb = classify(b);
    if (ca == Class::Unsupported || cb == Class::Unsupported) {
        c.raise(kInvalid);
        return 2;
    }
    if (is_nan(ca) || is_nan(cb)) {
        if (!quiet || ca == Class::SNaN || cb == Class::SNaN) c.raise(kInvalid);
        return 2;
    }
    // A denormal operand is flagged; the condition codes are set even when it is unmasked.
    if (either_denormal(ca, cb) || c.denormal_operand) c.raise(kDenormal);
    if (ca == Class::Zero && cb == Class::Zero) return 0;
    const bool sa = sign(a), sb = sign(b);
    if (ca == Class::Zero) return sb ? 1 : -1;
    if (cb == Class::Zero) return sa ? -1 : 1;
    if (sa != sb) return sa ? -1 : 1;
    int mag;  // |a| against |b|
    if (ca == Class::Infinity || cb == Class::Infinity) {
        mag = ca == cb ? 0 : ca == Class::Infinity ? 1 : -1;
    } else {
        const Wide x = unpack(a), y = unpack(b);
        mag = x.exp != y.exp ? (x.exp > y.exp ? 1 : -1) : x.sig == y.sig ? 0 : x.sig > y.sig ? 1 : -1;
    }
    return sa ? -mag : mag;
}

// How far one FPREM/FPREM1 reduces an exponent difference of 64 or more: "an
// implementation-dependent number between 32 and 63" (SDM Vol. 2A, FPREM). The value below is
// what Intel processors do, found against the hardware (tests/x87_softfloat_test.cpp).
int partial_bits(int32_t d) { return 32 + (d & 31); }

Float80 remainder(Context& c, Float80 a, Float80 b, bool ieee, unsigned& quotient, bool& partial) {
    c.rounded_up = false;
    quotient = kNoQuotient;
    partial = false;
    const Class ca = classify(a), cb = classify(b);
    Float80 out;
    if (special2(c, a, b, ca, cb, out)) return out;
    if (ca == Class::Infinity || cb == Class::Zero) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    if (denormal_stops(c, ca, cb)) return a;
    quotient = 0;
    // A finite dividend over an infinite divisor is the remainder; a pseudo-denormal comes out
    // in its canonical (normal) encoding, a denormal unchanged.
    if (ca == Class::Zero || cb == Class::Infinity) return canonical(a);
    const Wide x = unpack(a), y = unpack(b);
    const uint64_t mx = uint64_t(x.sig >> 64), my = uint64_t(y.sig >> 64);
    const int32_t d = x.exp - y.exp;
    if (d >= 64) {
        const int n = partial_bits(d);
        const u128 r = (u128(mx) << n) % my;
        partial = true;
        return round_pack(c, Wide{x.sign, x.exp - n + 64, r}, 64);
    }
    if (d < -1) return round_pack(c, x, 64);
    // Work in units of half the divisor's last place, so that FPREM1 can compare with b/2.
    const u128 num = u128(mx) << (d + 1), den = u128(my) << 1;
    u128 q = num / den, r = num % den;
    bool s = x.sign;
    if (ieee && (2 * r > den || (2 * r == den && (q & 1)))) {
        ++q;
        r = den - r;
        s = !s;
    }
    quotient = unsigned(q & 7);
    if (r == 0) return zero(x.sign);
    return round_pack(c, Wide{s, y.exp + 63, r}, 64);
}

Float80 scale(Context& c, Float80 a, Float80 b) {
    c.rounded_up = false;
    const Class ca = classify(a), cb = classify(b);
    Float80 out;
    if (special2(c, a, b, ca, cb, out)) return out;
    if (cb == Class::Infinity) {
        // 0 × 2^+inf and inf × 2^-inf are invalid; otherwise the scale wins.
        if ((ca == Class::Zero && !sign(b)) || (ca == Class::Infinity && sign(b))) {
            c.raise(kInvalid);
            return kIndefinite;
        }
        if (denormal_stops(c, ca)) return a;
        if (ca == Class::Zero || ca == Class::Infinity) return a;
        return sign(b) ? zero(sign(a)) : infinity(sign(a));
    }
    if (denormal_stops(c, ca, cb)) return a;
    // A zero scale leaves the operand as it is, even a denormal (no underflow), unlike a scale
    // that truncates to zero (as the hardware does).
    if (ca == Class::Zero || ca == Class::Infinity || cb == Class::Zero) return canonical(a);
    // trunc(b), clamped far beyond any exponent that can still produce a finite result.
    int32_t n = 0;
    if (cb != Class::Zero && biased_exp(b) >= kBias) {
        const unsigned e = biased_exp(b) - kBias;  // b >= 1
        int32_t mag = e >= 30 ? (1 << 30) : int32_t(b.mant >> (63 - e));
        n = sign(b) ? -mag : mag;
    }
    Wide x = unpack(a);
    x.exp += n;
    return round_pack(c, x, 64);
}

void extract(Context& c, Float80 a, Float80& exponent, Float80& significand) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (ca == Class::Unsupported) {
        c.raise(kInvalid);
        exponent = significand = kIndefinite;
        return;
    }
    if (is_nan(ca)) {
        exponent = significand = quiet_nan(c, a);
        return;
    }
    if (ca == Class::Zero) {
        // SDM Vol. 2A, FXTRACT: zero raises divide-by-zero; exponent -inf, significand the zero.
        c.raise(kZeroDivide);
        exponent = infinity(true);
        significand = a;
        return;
    }
    if (ca == Class::Infinity) {
        exponent = infinity(false);
        significand = a;
        return;
    }
    if (denormal_stops(c, ca)) { exponent = significand = a; return; }
    const Wide x = unpack(a);
    exponent = from_int(x.exp - kBias);
    significand = make(x.sign, kBias, uint64_t(x.sig >> 64));
}

} // namespace xlat::fp80
