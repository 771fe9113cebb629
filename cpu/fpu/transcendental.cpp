// The x87 transcendental functions (see transcendental.h), in a 128-bit software floating point:
// every intermediate value carries 128 significant bits and is truncated, so a result is within
// a few units of 2^-120 of the true value before its single rounding to 64 bits.
#include "cpu/fpu/transcendental.h"

#include <utility>

namespace xlat::fp80 {

namespace {

using u128 = unsigned __int128;

int clz128(u128 x) {
    const uint64_t hi = uint64_t(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll(uint64_t(x));
}

// ---------------------------------------------------------------------------------------------
// Big: (-1)^neg × m × 2^e, m normalized (bit 127 set) or zero.

struct Big {
    bool neg = false;
    int32_t e = 0;
    u128 m = 0;
};

Big norm(Big a) {
    if (a.m == 0) return Big{a.neg, 0, 0};
    const int s = clz128(a.m);
    a.m <<= s;
    a.e -= s;
    return a;
}

Big from_u64(uint64_t v, int32_t e = 0) { return norm(Big{false, e, u128(v)}); }

// A finite value (denormals and pseudo-denormals with the minimum exponent).
Big from_f80(Float80 a) {
    int32_t ex = int32_t(biased_exp(a));
    if (ex == 0) ex = 1;
    return norm(Big{sign(a), ex - kBias - 63, u128(a.mant)});
}

Wide to_wide(Big a) { return Wide{a.neg, a.e + kBias + 127, a.m}; }
Float80 round(Context& c, Big a) { return round_pack(c, to_wide(a), 64); }

Big neg(Big a) { a.neg = !a.neg; return a; }
Big abs(Big a) { a.neg = false; return a; }
Big ldexp(Big a, int32_t n) { if (a.m) a.e += n; return a; }

// |a| < |b|
bool less_abs(const Big& a, const Big& b) {
    if (a.m == 0) return b.m != 0;
    if (b.m == 0) return false;
    return a.e != b.e ? a.e < b.e : a.m < b.m;
}

Big add(Big a, Big b) {
    if (a.m == 0) return b;
    if (b.m == 0) return a;
    if (less_abs(a, b)) std::swap(a, b);
    const int32_t d = a.e - b.e;
    // One bit of headroom for the carry; the bits of b shifted out are ORed into bit 0, so
    // that a sum that is not exact never looks exact, and rounds the right way.
    const u128 A = a.m >> 1;
    const u128 bh = b.m >> 1;
    const u128 B = d >= 127 ? 1 : (bh >> d) | u128((bh << (127 - d) << 1) != 0);
    Big r{a.neg, a.e + 1, a.neg == b.neg ? A + B : A - B};
    return norm(r);
}

Big sub(Big a, Big b) { return add(a, neg(b)); }

// The high 128 bits of a 128 × 128-bit product, with a sticky bit 0 for the low half (every
// operation keeps one, so that an inexact value never looks exactly representable).
u128 mulhi(u128 a, u128 b) {
    const uint64_t a1 = uint64_t(a >> 64), a0 = uint64_t(a), b1 = uint64_t(b >> 64), b0 = uint64_t(b);
    const u128 p00 = u128(a0) * b0, p01 = u128(a0) * b1, p10 = u128(a1) * b0, p11 = u128(a1) * b1;
    const u128 mid = (p00 >> 64) + uint64_t(p01) + uint64_t(p10);
    const bool low = uint64_t(p00) != 0 || uint64_t(mid) != 0;
    return (p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64)) | u128(low);
}

Big mul(Big a, Big b) {
    if (a.m == 0 || b.m == 0) return Big{a.neg != b.neg, 0, 0};
    return norm(Big{a.neg != b.neg, a.e + b.e + 128, mulhi(a.m, b.m)});
}

Big div(Big a, Big b) {
    if (a.m == 0) return Big{a.neg != b.neg, 0, 0};
    // Restoring division: q = floor(a.m × 2^127 / b.m), 128 quotient bits.
    u128 r = a.m, q = 0;
    bool top = false;
    for (int i = 0; i < 128; ++i) {
        q <<= 1;
        if (top || r >= b.m) {
            r -= b.m;
            q |= 1;
        }
        top = r >> 127;
        r <<= 1;
    }
    return norm(Big{a.neg != b.neg, a.e - b.e - 127, q | u128(r != 0 || top)});
}

// a / d for a small integer d.
Big div_u(Big a, uint64_t d) {
    if (a.m == 0) return a;
    const u128 hi = a.m / d, r = a.m % d;
    const uint64_t lo = uint64_t((r << 64) / d) | uint64_t(((r << 64) % d) != 0);
    const int nb = 128 - clz128(hi);  // 64 .. 128 bits
    const u128 m = nb == 128 ? hi : (hi << (128 - nb)) | (u128(lo) >> (nb - 64));
    return norm(Big{a.neg, a.e - 64 + (nb - 64), m});
}

Big mul_u(Big a, uint64_t k) { return mul(a, from_u64(k)); }

const Big kOne = from_u64(1);

// ---------------------------------------------------------------------------------------------
// Constants

// pi to 128 bits: the hexadecimal digits of pi (C90FDAA2 2168C234 C4C6628B 80DC1CD1 = pi / 4
// as a 128-bit fraction).
const Big kPi = Big{false, -126, (u128(0xC90FDAA22168C234ull) << 64) | 0xC4C6628B80DC1CD1ull};
const Big kHalfPi = ldexp(kPi, -1);

// The series of atan for |x| <= 1 with Euler's acceleration: sum over n of
// 2^(2n) (n!)^2 / (2n+1)! × x^(2n+1) / (1 + x^2)^(n+1); each term is at most half the previous.
Big atan_euler(Big x) {
    const Big x2 = mul(x, x), d = add(kOne, x2), f = div(x2, d);
    Big term = div(x, d), sum = term;
    for (uint64_t n = 1; n < 400; ++n) {
        term = div_u(mul_u(mul(term, f), 2 * n), 2 * n + 1);
        if (term.m == 0 || term.e < sum.e - 140) break;
        sum = add(sum, term);
    }
    return sum;
}

struct Tables {
    Big ln2;
    Big atan_k[17];  // atan(k / 16)
};

const Tables& tables() {
    static const Tables t = [] {
        Tables r;
        // ln 2 = 2 atanh(1/3) = 2 × sum of (1/3)^(2n+1) / (2n+1).
        Big p = div_u(kOne, 3), sum = p;
        for (uint64_t n = 1; n < 100; ++n) {
            p = div_u(p, 9);
            const Big term = div_u(p, 2 * n + 1);
            if (term.m == 0 || term.e < sum.e - 140) break;
            sum = add(sum, term);
        }
        r.ln2 = ldexp(sum, 1);
        for (unsigned k = 0; k <= 16; ++k) r.atan_k[k] = k == 0 ? Big{} : atan_euler(div_u(from_u64(k), 16));
        return r;
    }();
    return t;
}

// ---------------------------------------------------------------------------------------------
// Series

// A term below 2^-120 of the sum ends a series: it is still added, as its sticky bit tells the
// rounding which side of the sum the exact value lies (the rest of the tail is smaller). Adding
// more such terms would be wrong: two sticky bits of opposite signs cancel.
bool negligible(const Big& term, const Big& sum) { return term.m == 0 || term.e < sum.e - 120; }

// sin r and cos r for |r| <= pi/4 (a little more after the reduction).
Big sin_series(Big r) {
    const Big r2 = mul(r, r);
    Big term = r, sum = r;
    for (uint64_t n = 1; n < 60; ++n) {
        term = div_u(mul(term, r2), (2 * n) * (2 * n + 1));
        sum = (n & 1) ? sub(sum, term) : add(sum, term);
        if (negligible(term, sum)) break;  // added first: its sticky bit counts
    }
    return sum;
}

Big cos_series(Big r) {
    const Big r2 = mul(r, r);
    Big term = kOne, sum = kOne;
    for (uint64_t n = 1; n < 60; ++n) {
        term = div_u(mul(term, r2), (2 * n - 1) * (2 * n));
        sum = (n & 1) ? sub(sum, term) : add(sum, term);
        if (negligible(term, sum)) break;  // added first: its sticky bit counts
    }
    return sum;
}

// atan u for small |u| (here |u| <= 1/32).
Big atan_series(Big u) {
    const Big u2 = mul(u, u);
    Big p = u, sum = u;
    for (uint64_t n = 1; n < 60; ++n) {
        p = mul(p, u2);
        const Big term = div_u(p, 2 * n + 1);
        sum = (n & 1) ? sub(sum, term) : add(sum, term);
        if (negligible(term, sum)) break;  // added first: its sticky bit counts
    }
    return sum;
}

// atan t for 0 <= t <= 1: atan(c) + atan((t - c) / (1 + t c)) with c = k/16 the nearest.
Big atan01(Big t) {
    const Big t16 = ldexp(t, 4);
    unsigned k = 0;
    if (t16.m && t16.e >= -128) {
        // round(16 t): the integer part of 16 t + 1/2.
        const Big h = add(t16, from_u64(1, -1));
        k = h.e >= -127 ? unsigned(h.m >> (-h.e)) : 0;
        if (k > 16) k = 16;
    }
    if (k == 0) return atan_series(t);
    const Big c = div_u(from_u64(k), 16);
    const Big u = div(sub(t, c), add(kOne, mul(t, c)));
    return add(tables().atan_k[k], atan_series(u));
}

// ln m for 1/sqrt(2) <= m <= sqrt(2): 2 atanh(s), s = (m - 1) / (m + 1).
Big ln_series(Big s) {
    const Big s2 = mul(s, s);
    Big p = s, sum = s;
    for (uint64_t n = 1; n < 80; ++n) {
        p = mul(p, s2);
        const Big term = div_u(p, 2 * n + 1);
        sum = add(sum, term);
        if (negligible(term, sum)) break;  // added first: its sticky bit counts
    }
    return ldexp(sum, 1);
}

// e^z - 1 for |z| <= ln 2.
Big expm1_series(Big z) {
    Big term = z, sum = z;
    for (uint64_t n = 2; n < 80; ++n) {
        term = div_u(mul(term, z), n);
        sum = add(sum, term);
        if (negligible(term, sum)) break;  // added first: its sticky bit counts
    }
    return sum;
}

// ---------------------------------------------------------------------------------------------
// Argument reduction of the trigonometric instructions

// x = r + k × pi66/2 with pi66 = P × 2^-66, P = 0xC90FDAA22168C234C the 66-bit pi of the x87,
// computed exactly for |x| < 2^63 in 192-bit integers (x × 2^67 is an integer here). Returns r
// and k mod 4 for x >= 0.
struct U192 {
    uint64_t w[3];  // little-endian words
};

U192 shl_u64(uint64_t v, unsigned s) {  // v << s, s < 128
    U192 r{{0, 0, 0}};
    const unsigned word = s / 64, bit = s % 64;
    r.w[word] = v << bit;
    if (bit && word + 1 < 3) r.w[word + 1] = v >> (64 - bit);
    return r;
}

// a - b, and whether it went negative (then the magnitude is returned).
U192 sub192(U192 a, U192 b, bool& negative) {
    auto less = [](const U192& x, const U192& y) {
        for (int i = 2; i >= 0; --i)
            if (x.w[i] != y.w[i]) return x.w[i] < y.w[i];
        return false;
    };
    negative = less(a, b);
    if (negative) std::swap(a, b);
    U192 r{};
    unsigned borrow = 0;
    for (int i = 0; i < 3; ++i) {
        const uint64_t d = a.w[i] - b.w[i] - borrow;
        borrow = (a.w[i] < b.w[i] || (a.w[i] == b.w[i] && borrow)) ? 1 : 0;
        r.w[i] = d;
    }
    return r;
}

Big from_u192(const U192& v, int32_t e) {
    // Keep the top 128 bits (the value has at most 132 significant bits here).
    if (v.w[2]) {
        const int s = __builtin_clzll(v.w[2]);
        const u128 hi = (u128(v.w[2]) << 64) | v.w[1];
        const u128 m = s ? (hi << s) | (v.w[0] >> (64 - s)) : hi;
        return norm(Big{false, e + 64 - s, m});
    }
    return norm(Big{false, e, (u128(v.w[1]) << 64) | v.w[0]});
}

constexpr uint64_t kPiLow = 0x90FDAA22168C234Cull;  // P = 0xC:90FDAA22168C234C
constexpr uint64_t kPiHigh = 0xC;

void reduce(Float80 x, Big& r, unsigned& q) {
    const Big bx = abs(from_f80(x));
    const int32_t e = bx.e + 127;  // |x| in [2^e, 2^(e+1))
    if (e < -1) {
        r = bx;
        q = 0;
        return;
    }
    // k = round(|x| / (pi/2)), from the 128-bit pi; any neighbour would do as well: the
    // reduction below is exact whatever k is.
    const Big kq = add(div(bx, kHalfPi), from_u64(1, -1));
    const uint64_t k = kq.e >= -127 ? uint64_t(kq.m >> (-kq.e)) : 0;
    uint64_t mx = x.mant;
    if (biased_exp(x) == 0) mx <<= __builtin_clzll(mx);  // denormals are tiny: not here anyway
    // X = |x| × 2^67 = mx << (e + 4).
    const U192 X = shl_u64(mx, unsigned(e + 4));
    // k × P.
    const u128 lo = u128(k) * kPiLow, hi = u128(k) * kPiHigh;
    U192 kp{{uint64_t(lo), uint64_t(lo >> 64), 0}};
    const u128 mid = u128(kp.w[1]) + uint64_t(hi);
    kp.w[1] = uint64_t(mid);
    kp.w[2] = uint64_t(mid >> 64) + uint64_t(hi >> 64);
    bool negative;
    const U192 R = sub192(X, kp, negative);
    r = from_u192(R, -67);
    r.neg = negative;
    q = unsigned(k & 3);
}

// ---------------------------------------------------------------------------------------------
// Operand screening

// One-operand instructions: NaN (quieted), unsupported or infinity (invalid) give `out`; a
// denormal raises DE (true when unmasked: stop).
enum class Screen { Value, Done, Stop };

Screen screen1(Context& c, Float80 a, Class ca, bool inf_invalid, Float80& out) {
    if (ca == Class::Unsupported || (inf_invalid && ca == Class::Infinity)) {
        c.raise(kInvalid);
        out = kIndefinite;
        return Screen::Done;
    }
    if (is_nan(ca)) {
        out = quiet_nan(c, a);
        return Screen::Done;
    }
    if (is_denormal(ca)) {
        c.raise(kDenormal);
        if (!c.masked(kDenormal)) return Screen::Stop;
    }
    return Screen::Value;
}

bool out_of_range(Float80 a) { return biased_exp(a) >= kBias + 63 && classify(a) == Class::Normal; }

// sin or cos of the reduced argument for quadrant q (of |x|).
Big trig(Big r, unsigned q, bool cosine) {
    if (cosine) q = (q + 1) & 3;  // cos x = sin(x + pi/2)
    Big v = (q & 1) ? cos_series(r) : sin_series(r);
    if (q & 2) v = neg(v);
    return v;
}

// Below 2^-68 the hardware returns sin x = tan x = x and cos x = 1 without computing: exact
// values, but reported inexact and never rounded up (C1 = 0), in every rounding mode. The
// value still goes through the underflow rules (a denormal x underflows).
constexpr unsigned kTinyTrig = kBias - 68;
bool tiny_trig(Float80 a) { return biased_exp(a) < kTinyTrig; }

Float80 inexact_as_is(Context& c, Float80 x) {
    Wide w{sign(x), int32_t(biased_exp(x) ? biased_exp(x) : 1), u128(x.mant) << 64};
    const Float80 r = round_pack(c, w, 64);  // exact: only an unmasked underflow acts here
    c.raise(kInexact);
    if (c.masked(kUnderflow) && biased_exp(r) == 0 && r.mant != 0) c.raise(kUnderflow);
    c.rounded_up = false;
    return r;
}

const Float80 kOneF80 = make(false, kBias, kIntBit);

} // namespace

Wide pi128() { return to_wide(kPi); }
Wide ln2_128() { return to_wide(tables().ln2); }

// ---------------------------------------------------------------------------------------------
// FSIN FCOS FSINCOS FPTAN

bool sin(Context& c, Float80 a, Float80& r) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (out_of_range(a)) return false;
    switch (screen1(c, a, ca, true, r)) {
    case Screen::Done: return true;
    case Screen::Stop: r = a; return true;
    default: break;
    }
    if (ca == Class::Zero) { r = a; return true; }
    if (tiny_trig(a)) { r = inexact_as_is(c, a); return true; }
    Big red;
    unsigned q;
    reduce(a, red, q);
    Big v = trig(red, q, false);
    if (sign(a)) v = neg(v);
    r = round(c, v);
    return true;
}

bool cos(Context& c, Float80 a, Float80& r) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (out_of_range(a)) return false;
    switch (screen1(c, a, ca, true, r)) {
    case Screen::Done: return true;
    case Screen::Stop: r = a; return true;
    default: break;
    }
    if (ca == Class::Zero) { r = kOneF80; return true; }
    if (tiny_trig(a)) {
        c.raise(kInexact);
        r = kOneF80;
        return true;
    }
    Big red;
    unsigned q;
    reduce(a, red, q);
    r = round(c, trig(red, q, true));
    return true;
}

bool sincos(Context& c, Float80 a, Float80& s, Float80& co) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (out_of_range(a)) return false;
    switch (screen1(c, a, ca, true, s)) {
    case Screen::Done: co = s; return true;
    case Screen::Stop: s = co = a; return true;
    default: break;
    }
    if (ca == Class::Zero) {
        s = a;
        co = kOneF80;
        return true;
    }
    if (tiny_trig(a)) {
        s = inexact_as_is(c, a);
        co = kOneF80;
        return true;
    }
    Big red;
    unsigned q;
    reduce(a, red, q);
    Big sv = trig(red, q, false);
    if (sign(a)) sv = neg(sv);
    s = round(c, sv);
    co = round(c, trig(red, q, true));  // C1 tells how the cosine, the last result, was rounded
    return true;
}

bool tan(Context& c, Float80 a, Float80& r) {
    c.rounded_up = false;
    const Class ca = classify(a);
    if (out_of_range(a)) return false;
    switch (screen1(c, a, ca, true, r)) {
    case Screen::Done: return true;
    case Screen::Stop: r = a; return true;
    default: break;
    }
    if (ca == Class::Zero) { r = a; return true; }
    if (tiny_trig(a)) { r = inexact_as_is(c, a); return true; }
    Big red;
    unsigned q;
    reduce(a, red, q);
    Big v;
    if (red.e + 127 < -24) {
        // A tiny reduced argument: the series of tan and cot themselves, whose second terms
        // are below the precision of a quotient of sine and cosine.
        const Big r2 = mul(red, red);
        if (q & 1) v = neg(sub(div(kOne, red), div_u(red, 3)));                      // -cot r = -(1/r - r/3 ...)
        else v = add(red, div_u(mul(red, r2), 3));                                  // tan r = r + r^3/3 ...
    } else {
        const Big s = sin_series(red), co = cos_series(red);
        v = (q & 1) ? neg(div(co, s)) : div(s, co);  // tan(r + pi/2) = -cot r
    }
    if (sign(a)) v = neg(v);
    r = round(c, v);
    return true;
}

// ---------------------------------------------------------------------------------------------
// FPATAN

namespace {

// Below 2^-40 the hardware returns atan(y / x) as the quotient y / x itself (measured on an
// Intel host: tests/data/x87_transcendental_intel.txt): rounded as a division (C1 = rounded
// up), always reported inexact, so an exact but tiny quotient underflows too. atan q differs
// from q by less than q^3 / 3, 2^-80 of q, which only decides the result when q is exact (or
// nearly so) and the rounding directed: there the hardware does not round below q.
Float80 tiny_atan(Context& c, const Big& q) {
    const Float80 r = round(c, q);
    c.raise(kInexact);
    if (c.masked(kUnderflow) && biased_exp(r) == 0 && r.mant != 0) c.raise(kUnderflow);
    return r;
}

} // namespace

Float80 atan2(Context& c, Float80 y, Float80 x) {
    c.rounded_up = false;
    const Class cy = classify(y), cx = classify(x);
    if (cy == Class::Unsupported || cx == Class::Unsupported) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    Float80 out;
    if (propagate_nan(c, y, x, out)) return out;
    if (is_denormal(cy) || is_denormal(cx)) {
        c.raise(kDenormal);
        if (!c.masked(kDenormal)) return y;
    }
    const bool sy = sign(y), sx = sign(x);
    Big v;
    // SDM Vol. 2A, FPATAN, Table 3-29.
    if (cy == Class::Zero) {
        if (!sx) return y;            // +-0 over +x: +-0
        v = kPi;                      // +-0 over -x: +-pi
    } else if (cy == Class::Infinity) {
        if (cx == Class::Infinity) v = sx ? mul(kPi, div_u(from_u64(3), 4)) : ldexp(kPi, -2);
        else v = kHalfPi;
    } else if (cx == Class::Zero) {
        v = kHalfPi;
    } else if (cx == Class::Infinity) {
        if (!sx) return zero(sy);     // finite over +inf: +-0
        v = kPi;
    } else {
        const Big by = abs(from_f80(y)), bx = abs(from_f80(x));
        const bool swap = less_abs(bx, by);
        const Big q = swap ? div(bx, by) : div(by, bx);
        if (!swap && !sx && q.e + 127 < -40) return tiny_atan(c, sy ? neg(q) : q);
        v = atan01(q);
        if (swap) v = sub(kHalfPi, v);
        if (sx) v = sub(kPi, v);
    }
    if (sy) v = neg(v);
    return round(c, v);
}

// ---------------------------------------------------------------------------------------------
// F2XM1

Float80 exp2m1(Context& c, Float80 x) {
    c.rounded_up = false;
    const Class cx = classify(x);
    Float80 out;
    switch (screen1(c, x, cx, false, out)) {
    case Screen::Done: return out;
    case Screen::Stop: return x;
    default: break;
    }
    if (cx == Class::Zero) return x;
    if (cx == Class::Infinity) return sign(x) ? make(true, kBias, kIntBit) : x;  // -inf: -1
    if (biased_exp(x) >= kBias) {
        // |x| >= 1, outside the defined range but for +-1: the hardware returns 1 and -0.5
        // for those and the operand itself otherwise, always flagged inexact.
        c.raise(kInexact);
        if (x.mant == kIntBit && biased_exp(x) == kBias) return sign(x) ? make(true, kBias - 1, kIntBit) : x;
        return x;
    }
    const Big z = mul(from_f80(x), tables().ln2);
    return round(c, expm1_series(z));
}

// ---------------------------------------------------------------------------------------------
// FYL2X, FYL2XP1

namespace {

// log2 of a finite positive x as e + ln(m) / ln 2 with 1/sqrt(2) <= m < sqrt(2).
Big log2_of(Float80 x) {
    Big b = from_f80(x);
    int32_t e = b.e + 127;  // b in [2^e, 2^(e+1))
    Big m = Big{false, -127, b.m};  // in [1, 2)
    // sqrt(2) = 1.6A09E667F3BCC908... (binary 1.0110101...): m >= sqrt(2) becomes m / 2.
    const u128 kSqrt2 = (u128(0xB504F333F9DE6484ull) << 64) | 0x597D89B3754ABE9Full;
    if (m.m >= kSqrt2) {
        m.e -= 1;
        e += 1;
    }
    const Big s = div(sub(m, kOne), add(m, kOne));
    const Big l = div(ln_series(s), tables().ln2);
    Big be = from_u64(uint64_t(e < 0 ? -int64_t(e) : e));
    if (e < 0) be = neg(be);
    return add(be, l);
}

// y × L where L is log2 of something, given as a class (zero with a sign, infinity with a sign,
// or a finite Big): the multiplication rules of SDM Vol. 2A, FYL2X, Table 3-50.
Float80 times(Context& c, Float80 y, Class cy, bool l_zero, bool l_inf, bool l_neg, const Big& l) {
    const bool s = sign(y) != l_neg;
    if (cy == Class::Infinity) {
        if (l_zero) {
            c.raise(kInvalid);
            return kIndefinite;
        }
        return infinity(s);
    }
    if (l_inf) {
        if (cy == Class::Zero) {
            c.raise(kInvalid);
            return kIndefinite;
        }
        return infinity(s);
    }
    if (cy == Class::Zero || l_zero) return zero(s);
    Big p = mul(abs(from_f80(y)), abs(l));
    p.neg = s;
    return round(c, p);
}

} // namespace

Float80 ylog2x(Context& c, Float80 y, Float80 x) {
    c.rounded_up = false;
    const Class cy = classify(y), cx = classify(x);
    if (cy == Class::Unsupported || cx == Class::Unsupported) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    Float80 out;
    if (propagate_nan(c, y, x, out)) return out;
    if (sign(x) && cx != Class::Zero) {  // log of a negative number
        c.raise(kInvalid);
        return kIndefinite;
    }
    if (cx == Class::Zero) {
        // log2(0) = -inf: divide-by-zero unless y is 0 (invalid) or infinite; it takes
        // precedence over a denormal y.
        if (cy == Class::Zero) {
            c.raise(kInvalid);
            return kIndefinite;
        }
        if (cy != Class::Infinity) c.raise(kZeroDivide);
        return infinity(!sign(y));
    }
    if (is_denormal(cy) || is_denormal(cx)) {
        c.raise(kDenormal);
        if (!c.masked(kDenormal)) return y;
    }
    if (cx == Class::Infinity) return times(c, y, cy, false, true, false, Big{});
    const bool one = biased_exp(x) == kBias && x.mant == kIntBit;
    if (one) return times(c, y, cy, true, false, false, Big{});
    const Big l = log2_of(x);
    const Float80 r = times(c, y, cy, false, false, l.neg, abs(l));
    // The hardware flags even an exact finite result inexact (x a power of two): and then
    // underflow too when it is tiny.
    if (is_finite_nonzero(classify(r)) && !(c.flags & kInexact)) {
        c.raise(kInexact);
        if (c.masked(kUnderflow) && biased_exp(r) == 0) c.raise(kUnderflow);
    }
    return r;
}

Float80 ylog2xp1(Context& c, Float80 y, Float80 x) {
    c.rounded_up = false;
    const Class cy = classify(y), cx = classify(x);
    if (cy == Class::Unsupported || cx == Class::Unsupported) {
        c.raise(kInvalid);
        return kIndefinite;
    }
    Float80 out;
    if (propagate_nan(c, y, x, out)) return out;
    if (cx == Class::Infinity && sign(x)) {  // log of a negative number: before a denormal y
        c.raise(kInvalid);
        return kIndefinite;
    }
    if (is_denormal(cy) || is_denormal(cx)) {
        c.raise(kDenormal);
        if (!c.masked(kDenormal)) return y;
    }
    if (cx == Class::Infinity) return times(c, y, cy, false, true, false, Big{});
    if (cx == Class::Zero) return times(c, y, cy, true, false, sign(x), Big{});
    // ln(1 + x) = 2 atanh(x / (2 + x)).
    const Big bx = from_f80(x);
    const Big onepx = add(kOne, bx);
    if (onepx.m == 0 || onepx.neg) {
        // x <= -1, far outside the defined range (|x| < 1 - sqrt(2)/2): the hardware returns x.
        c.raise(kInexact);
        return x;
    }
    const Big s = div(bx, add(from_u64(2), bx));
    const Big l = div(ln_series(s), tables().ln2);
    return times(c, y, cy, false, false, l.neg, abs(l));
}

} // namespace xlat::fp80
