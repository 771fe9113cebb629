// The software 80-bit arithmetic (cpu/fpu/softfloat80) against the host's x87, operation by
// operation: each case loads ST(0) = a and ST(1) = b and a control word into the host FPU, runs
// one instruction, and compares the register result, the exception flags and C1 bit for bit with
// what the soft core computes for the same inputs. Values cover every class the x87 knows
// (denormals, pseudo-denormals, unnormals, pseudo-NaNs, SNaN/QNaN, infinities), all rounding
// modes and precisions, and masked as well as unmasked exceptions.
//
// The instruction-level oracle (tests/x87_oracle_test.cpp) then checks the instructions built on
// this core; this file pins the core itself, which makes a mismatch easy to read.
#include <catch2/catch.hpp>

#include <functional>

#include "cpu/fpu/softfloat80.h"
#include "tests/x87_host.h"

using namespace xlat;
using namespace x87test;

namespace {

constexpr uint16_t kC1 = 1u << 9, kC0 = 1u << 8, kC2 = 1u << 10, kC3 = 1u << 14;

// A random control word: all rounding modes and precisions; exceptions mostly masked, sometimes
// one or more unmasked (their flags come back as pending in the status word).
uint16_t pick_fcw(std::mt19937_64& rng) {
    uint16_t fcw = uint16_t(0x1040 | (rng() % 4) << 10 | (rng() % 4 == 1 ? 3 : rng() % 4) << 8);
    uint16_t masks = 0x3F;
    if (rng() % 4 == 0) masks = uint16_t(rng() & 0x3F);
    return uint16_t(fcw | masks);
}

// Host image with ST(0) = a, ST(1) = b (when two), the rest empty, TOP = 5.
FsaveImage image(uint16_t fcw, Float80 a, Float80 b, bool two) {
    FsaveImage im{};
    const unsigned top = 5;
    im.set_fcw(fcw);
    im.set_fsw(uint16_t(top << 11));
    uint16_t ftw = 0xFFFF;
    ftw &= uint16_t(~(3u << (2 * top)));
    if (two) ftw &= uint16_t(~(3u << (2 * ((top + 1) & 7))));
    im.set_ftw(ftw);
    im.set_st(0, a);
    im.set_st(1, b);
    return im;
}

struct Outcome {
    Float80 st0{}, st1{};
    uint16_t fsw = 0;  // exception flags, C0-C3 as compared
    uint8_t mem[16] = {};
};

std::string show(const Outcome& o, unsigned memsize) {
    char b[64];
    std::snprintf(b, sizeof b, " fsw %04x", o.fsw);
    std::string s = " st0 " + hex80(o.st0) + " st1 " + hex80(o.st1) + b;
    if (memsize) {
        s += " mem";
        for (unsigned i = memsize; i-- > 0;) { std::snprintf(b, sizeof b, "%02x", o.mem[i]); s += b; }
    }
    return s;
}

struct Tally { uint64_t run = 0, bad = 0; };

// Runs `n` cases of one instruction. `make_inputs` picks a, b; `soft` computes the expected
// outcome from the inputs and a context built from the control word; `fsw_mask` selects the
// status-word bits compared; `memsize` the bytes of [r9] compared.
void run_op(const char* name, std::vector<uint8_t> bytes, bool two, unsigned n, uint16_t fsw_mask, unsigned memsize,
            const std::function<void(std::mt19937_64&, Float80&, Float80&, uint8_t*)>& make_inputs,
            const std::function<void(uint16_t, Float80, Float80, const uint8_t*, Outcome&)>& soft, Tally& t,
            uint64_t seed) {
    HostThunk thunk;
    REQUIRE(thunk.ok());
    std::mt19937_64 rng(seed);
    unsigned shown = 0;
    for (unsigned i = 0; i < n; ++i) {
        Float80 a = pick_f80(rng), b = rng() % 3 ? pick_related(rng, a) : pick_f80(rng);
        uint8_t mem[16] = {};
        for (auto& x : mem) x = uint8_t(rng());
        make_inputs(rng, a, b, mem);
        const uint16_t fcw = pick_fcw(rng);
        HostState hs{};
        hs.in = image(fcw, a, b, two);
        hs.flags = 0x202;
        uint8_t hmem[16];
        std::memcpy(hmem, mem, 16);
        thunk.run(bytes, hs, hmem);
        Outcome host;
        host.st0 = hs.out.st(0);
        host.st1 = hs.out.st(1);
        host.fsw = hs.out.fsw() & fsw_mask;
        std::memcpy(host.mem, hmem, 16);
        Outcome mine;
        std::memcpy(mine.mem, mem, 16);
        soft(fcw, a, b, mem, mine);
        mine.fsw &= fsw_mask;
        ++t.run;
        const bool same = fp80::same(host.st0, mine.st0) && fp80::same(host.st1, mine.st1) && host.fsw == mine.fsw &&
                          std::memcmp(host.mem, mine.mem, memsize) == 0;
        if (!same) {
            ++t.bad;
            if (shown++ < 12) {
                char b2[48];
                std::snprintf(b2, sizeof b2, " fcw %04x", fcw);
                FAIL_CHECK(std::string(name) + b2 + " a " + hex80(a) + " b " + hex80(b) + "\n  host" +
                           show(host, memsize) + "\n  soft" + show(mine, memsize));
            }
        }
    }
}

// The status word the x87 reports after an operation with context c: the sticky exception
// flags, ES and B when one is unmasked, C1 = round-up.
uint16_t status_of(const fp80::Context& c) {
    uint16_t fsw = c.flags;
    if (c.flags & ~c.masks & 0x3F) fsw |= 0x8080;
    if (c.rounded_up) fsw |= kC1;
    return fsw;
}

using BinFn = Float80 (*)(fp80::Context&, Float80, Float80);

// ST(0) = ST(0) op ST(1): the result replaces ST(0) unless an unmasked pre-computation exception
// suppressed it.
void binop(const char* name, uint8_t modrm, BinFn fn, unsigned n, Tally& t, uint64_t seed) {
    run_op(name, {0xD8, modrm}, true, n, 0x3F | 0x8080 | kC1, 0, [](std::mt19937_64&, Float80&, Float80&, uint8_t*) {},
           [fn](uint16_t fcw, Float80 a, Float80 b, const uint8_t*, Outcome& o) {
               fp80::Context c = fp80::Context::from_fcw(fcw);
               Float80 r = fn(c, a, b);
               o.st0 = c.suppressed() ? a : r;
               o.st1 = b;
               if (c.suppressed()) c.rounded_up = false;
               o.fsw = status_of(c);
           },
           t, seed);
}

} // namespace

TEST_CASE("soft x87 core: basic arithmetic agrees with the host", "[x87][softfloat]") {
    Tally t;
    binop("fadd", 0xC1, fp80::add, 60000, t, 1);
    binop("fsub", 0xE1, fp80::sub, 60000, t, 2);
    binop("fmul", 0xC9, fp80::mul, 60000, t, 3);
    binop("fdiv", 0xF1, fp80::div, 60000, t, 4);
    CHECK(t.bad == 0);
}

TEST_CASE("soft x87 core: one-operand arithmetic agrees with the host", "[x87][softfloat]") {
    Tally t;
    auto none = [](std::mt19937_64&, Float80&, Float80&, uint8_t*) {};
    auto unary = [](Float80 (*fn)(fp80::Context&, Float80), bool pc) {
        return [fn, pc](uint16_t fcw, Float80 a, Float80 b, const uint8_t*, Outcome& o) {
            fp80::Context c = fp80::Context::from_fcw(fcw);
            if (!pc) c.precision = 64;
            Float80 r = fn(c, a);
            o.st0 = c.suppressed() ? a : r;
            o.st1 = b;
            if (c.suppressed()) c.rounded_up = false;
            o.fsw = status_of(c);
        };
    };
    run_op("fsqrt", {0xD9, 0xFA}, true, 60000, 0x80BF | kC1, 0, none, unary(fp80::sqrt, true), t, 5);
    run_op("frndint", {0xD9, 0xFC}, true, 60000, 0x80BF | kC1, 0, none, unary(fp80::round_to_int, false), t, 6);
    run_op("fscale", {0xD9, 0xFD}, true, 60000, 0x80BF | kC1, 0,
           [](std::mt19937_64& rng, Float80&, Float80& b, uint8_t*) {
               if (rng() % 2) b = fp80::from_int(int64_t(rng() % 70000) - 35000);
           },
           [](uint16_t fcw, Float80 a, Float80 b, const uint8_t*, Outcome& o) {
               fp80::Context c = fp80::Context::from_fcw(fcw);
               Float80 r = fp80::scale(c, a, b);
               o.st0 = c.suppressed() ? a : r;
               o.st1 = b;
               if (c.suppressed()) c.rounded_up = false;
               o.fsw = status_of(c);
           },
           t, 7);
    CHECK(t.bad == 0);
}

TEST_CASE("soft x87 core: compares and remainders agree with the host", "[x87][softfloat]") {
    Tally t;
    auto none = [](std::mt19937_64&, Float80&, Float80&, uint8_t*) {};
    for (bool quiet : {false, true}) {
        // FCOM ST(1) / FUCOM ST(1): C3 C2 C0 = 000 greater, 001 less, 100 equal, 111 unordered.
        run_op(quiet ? "fucom" : "fcom", {uint8_t(quiet ? 0xDD : 0xD8), uint8_t(quiet ? 0xE1 : 0xD1)}, true, 20000,
               0x80BF | kC0 | kC1 | kC2 | kC3, 0, none,
               [quiet](uint16_t fcw, Float80 a, Float80 b, const uint8_t*, Outcome& o) {
                   fp80::Context c = fp80::Context::from_fcw(fcw);
                   int r = fp80::compare(c, a, b, quiet);
                   o.st0 = a;
                   o.st1 = b;
                   o.fsw = status_of(c);
                   if (!(c.flags & ~c.masks & 3) || true) {
                       if (r == -1) o.fsw |= kC0;
                       if (r == 0) o.fsw |= kC3;
                       if (r == 2) o.fsw |= kC0 | kC2 | kC3;
                   }
               },
               t, 8 + quiet);
    }
    for (bool ieee : {false, true}) {
        run_op(ieee ? "fprem1" : "fprem", {0xD9, uint8_t(ieee ? 0xF5 : 0xF8)}, true, 20000,
               0x80BF | kC0 | kC1 | kC2 | kC3, 0, none,
               [ieee](uint16_t fcw, Float80 a, Float80 b, const uint8_t*, Outcome& o) {
                   fp80::Context c = fp80::Context::from_fcw(fcw);
                   unsigned q;
                   bool partial;
                   Float80 r = fp80::remainder(c, a, b, ieee, q, partial);
                   if (q == fp80::kNoQuotient) q = 0;
                   o.st0 = c.suppressed() ? a : r;
                   o.st1 = b;
                   c.rounded_up = false;
                   o.fsw = status_of(c);
                   if (!c.suppressed()) {
                       if (partial) o.fsw |= kC2;
                       if (q & 4) o.fsw |= kC0;
                       if (q & 2) o.fsw |= kC3;
                       if (q & 1) o.fsw |= kC1;
                   }
               },
               t, 10 + ieee);
    }
    CHECK(t.bad == 0);
}

TEST_CASE("soft x87 core: conversions agree with the host", "[x87][softfloat]") {
    Tally t;
    auto none = [](std::mt19937_64&, Float80&, Float80&, uint8_t*) {};
    // FST m32 / m64 [r9] (41 D9 11 / 41 DD 11): memory written unless an unmasked exception.
    run_op("fst m32", {0x41, 0xD9, 0x11}, true, 60000, 0x80BF | kC1, 4, none,
           [](uint16_t fcw, Float80 a, Float80 b, const uint8_t* mem, Outcome& o) {
               fp80::Context c = fp80::Context::from_fcw(fcw);
               uint32_t v = fp80::to_f32(c, a);
               o.st0 = a;
               o.st1 = b;
               o.fsw = status_of(c);
               std::memcpy(o.mem, mem, 16);
               if (!(c.flags & ~c.masks & 0x1B)) std::memcpy(o.mem, &v, 4);
           },
           t, 12);
    run_op("fst m64", {0x41, 0xDD, 0x11}, true, 60000, 0x80BF | kC1, 8, none,
           [](uint16_t fcw, Float80 a, Float80 b, const uint8_t* mem, Outcome& o) {
               fp80::Context c = fp80::Context::from_fcw(fcw);
               uint64_t v = fp80::to_f64(c, a);
               o.st0 = a;
               o.st1 = b;
               o.fsw = status_of(c);
               std::memcpy(o.mem, mem, 16);
               if (!(c.flags & ~c.masks & 0x1B)) std::memcpy(o.mem, &v, 8);
           },
           t, 13);
    // FIST m16 / m32, FISTP m64: (41 DF 11, 41 DB 11, 41 DF 39); FBSTP (41 DF 31).
    struct IntForm { const char* name; std::vector<uint8_t> bytes; unsigned bits; bool pop; };
    for (const IntForm& f : {IntForm{"fist m16", {0x41, 0xDF, 0x11}, 16, false},
                             IntForm{"fist m32", {0x41, 0xDB, 0x11}, 32, false},
                             IntForm{"fistp m64", {0x41, 0xDF, 0x39}, 64, true}}) {
        run_op(f.name, f.bytes, true, 60000, 0x80BF | kC1, f.bits / 8, none,
               [f](uint16_t fcw, Float80 a, Float80 b, const uint8_t* mem, Outcome& o) {
                   fp80::Context c = fp80::Context::from_fcw(fcw);
                   int64_t v = fp80::to_int(c, a, f.bits);
                   o.st0 = f.pop && !c.suppressed() ? b : a;
                   o.st1 = f.pop && !c.suppressed() ? Float80{} : b;
                   o.fsw = status_of(c);
                   std::memcpy(o.mem, mem, 16);
                   if (!c.suppressed()) std::memcpy(o.mem, &v, f.bits / 8);
               },
               t, 14 + f.bits);
    }
    CHECK(t.bad == 0);
}

TEST_CASE("soft x87 core: loads, BCD and partial remainders agree with the host", "[x87][softfloat]") {
    Tally t;
    auto none = [](std::mt19937_64&, Float80&, Float80&, uint8_t*) {};
    // FLD m32 / m64 [r9] (41 D9 01 / 41 DD 01) onto a stack holding a and b: the new ST(0).
    auto random_float_bits = [](std::mt19937_64& rng, Float80&, Float80&, uint8_t* mem) {
        static const uint64_t specials[] = {0, 1, 0x000FFFFFFFFFFFFFull, 0x0010000000000000ull, 0x7FF0000000000000ull,
                                            0x7FF0000000000001ull, 0x7FF8000000000000ull, 0x7FF4000000000000ull,
                                            0x007FFFFF, 0x00800000, 0x7F800000, 0x7F800001, 0x7FC00000, 0x7FA00000};
        uint64_t v = rng();
        if (rng() % 3 == 0) v = specials[rng() % 14] | (rng() % 2 ? 0x8000000080000000ull : 0);
        if (rng() % 4 == 0) v &= 0x800FFFFF807FFFFFull;  // denormals of both sizes
        std::memcpy(mem, &v, 8);
    };
    for (bool dbl : {false, true}) {
        run_op(dbl ? "fld m64" : "fld m32", {0x41, uint8_t(dbl ? 0xDD : 0xD9), 0x01}, true, 60000, 0x80BF | kC1, 8,
               random_float_bits,
               [dbl](uint16_t fcw, Float80 a, Float80 b, const uint8_t* mem, Outcome& o) {
                   fp80::Context c = fp80::Context::from_fcw(fcw);
                   uint64_t v64;
                   uint32_t v32;
                   std::memcpy(&v64, mem, 8);
                   std::memcpy(&v32, mem, 4);
                   Float80 r = dbl ? fp80::from_f64(c, v64) : fp80::from_f32(c, v32);
                   // An unmasked denormal operand still loads; only an unmasked invalid stops.
                   const bool stop = c.flags & ~c.masks & fp80::kInvalid;
                   o.st0 = stop ? a : r;
                   o.st1 = stop ? b : a;
                   o.fsw = status_of(c);
                   std::memcpy(o.mem, mem, 16);
               },
               t, 40 + dbl);
    }
    // FBSTP [r9] (41 DF 31) and FBLD [r9] (41 DF 21).
    run_op("fbstp", {0x41, 0xDF, 0x31}, true, 60000, 0x80BF | kC1, 10, none,
           [](uint16_t fcw, Float80 a, Float80 b, const uint8_t* mem, Outcome& o) {
               fp80::Context c = fp80::Context::from_fcw(fcw);
               uint8_t bcd[10];
               fp80::to_bcd(c, a, bcd);
               o.st0 = c.suppressed() ? a : b;
               o.st1 = c.suppressed() ? b : Float80{};
               o.fsw = status_of(c);
               std::memcpy(o.mem, mem, 16);
               if (!c.suppressed()) std::memcpy(o.mem, bcd, 10);
           },
           t, 42);
    run_op("fbld", {0x41, 0xDF, 0x21}, true, 60000, 0x80BF | kC1, 10,
           [](std::mt19937_64& rng, Float80&, Float80&, uint8_t* mem) {
               for (int i = 0; i < 9; ++i) mem[i] = uint8_t((rng() % 10) << 4 | rng() % 10);
               mem[9] = rng() % 2 ? 0x80 : 0;
               if (rng() % 8 == 0) std::memset(mem, 0, 9);
           },
           [](uint16_t, Float80 a, Float80, const uint8_t* mem, Outcome& o) {
               o.st0 = fp80::from_bcd(mem);
               o.st1 = a;
               o.fsw = 0;
               std::memcpy(o.mem, mem, 16);
           },
           t, 43);
    // FPREM/FPREM1 with exponent differences of 64 and more: the partial reduction.
    for (bool ieee : {false, true}) {
        run_op(ieee ? "fprem1 partial" : "fprem partial", {0xD9, uint8_t(ieee ? 0xF5 : 0xF8)}, true, 5000,
               0x80BF | kC0 | kC1 | kC2 | kC3, 0,
               [](std::mt19937_64& rng, Float80& a, Float80& b, uint8_t*) {
                   a = f80(rng() & 1, 16383 + rng() % 2000, rng() | (1ull << 63));
                   b = f80(rng() & 1, (a.sexp & 0x7FFF) - 60 - rng() % 300, rng() | (1ull << 63));
               },
               [ieee](uint16_t fcw, Float80 a, Float80 b, const uint8_t*, Outcome& o) {
                   fp80::Context c = fp80::Context::from_fcw(fcw);
                   unsigned q;
                   bool partial;
                   Float80 r = fp80::remainder(c, a, b, ieee, q, partial);
                   if (q == fp80::kNoQuotient) q = 0;
                   o.st0 = r;
                   o.st1 = b;
                   o.fsw = status_of(c);
                   if (partial) o.fsw |= kC2;
                   if (q & 4) o.fsw |= kC0;
                   if (q & 2) o.fsw |= kC3;
                   if (q & 1) o.fsw |= kC1;
               },
               t, 44 + ieee);
    }
    CHECK(t.bad == 0);
}

#include "cpu/fpu/transcendental.h"

namespace {

// Within one unit in the last place (same sign), on the scale of the 64-bit significand.
bool within_ulp(Float80 a, Float80 b) {
    if (fp80::same(a, b)) return true;
    if ((a.sexp ^ b.sexp) & 0x8000) return false;
    const unsigned __int128 x = (static_cast<unsigned __int128>(a.sexp & 0x7FFF) << 63) + (a.mant & ~(1ull << 63));
    const unsigned __int128 y = (static_cast<unsigned __int128>(b.sexp & 0x7FFF) << 63) + (b.mant & ~(1ull << 63));
    return (x > y ? x - y : y - x) <= 1;
}

} // namespace

TEST_CASE("soft x87 core: the constants at 128 bits", "[x87][softfloat]") {
    // pi and ln 2 rounded to 64 bits are the x87's FLDPI and FLDLN2.
    fp80::Context c;
    const Float80 pi = fp80::round_pack(c, fp80::pi128(), 64);
    CHECK(pi.sexp == 0x4000);
    CHECK(pi.mant == 0xC90FDAA22168C235ull);
    c = fp80::Context{};
    const Float80 ln2 = fp80::round_pack(c, fp80::ln2_128(), 64);
    CHECK(ln2.sexp == 0x3FFE);
    CHECK(ln2.mant == 0xB17217F7D1CF79ACull);
    // ln 2 to 128 bits: B17217F7 D1CF79AB C9E3B398 03F2F6AF.
    const fp80::Wide w = fp80::ln2_128();
    CHECK(uint64_t(w.sig >> 64) == 0xB17217F7D1CF79ABull);
    CHECK((uint64_t(w.sig) >> 8) == (0xC9E3B39803F2F6AFull >> 8));
}

// The trigonometric instructions reduce with the x87's 66-bit pi: near the zeros of sine and
// cosine (multiples of pi/2, up to 2^63) the results are the hardware's only with that
// reduction. Each case runs FSIN, FCOS and FPTAN on the host and in the soft core.
TEST_CASE("soft x87 core: sine, cosine and tangent near multiples of pi/2 agree with the host", "[x87][softfloat]") {
    HostThunk thunk;
    REQUIRE(thunk.ok());
    std::mt19937_64 rng(77);
    unsigned bad = 0, exact = 0, total = 0;
    const Float80 pi = {0xC90FDAA22168C235ull, 0x4000};
    for (unsigned i = 0; i < 3000; ++i) {
        fp80::Context c;
        const int shift = int(rng() % 62);
        const int64_t k = int64_t((rng() >> (63 - shift)) | 1);
        Float80 x = fp80::mul(c, fp80::mul(c, pi, fp80::from_int(k)), Float80{0x8000000000000000ull, 0x3FFE});
        x.mant += rng() % 7 - 3;
        if (rng() % 2) x.sexp |= 0x8000;
        const uint16_t fcw = uint16_t(0x037F | (rng() % 4) << 10);
        for (uint8_t op : {uint8_t(0xFE), uint8_t(0xFF), uint8_t(0xF2)}) {
            HostState hs{};
            hs.in = image(fcw, x, Float80{}, false);
            hs.flags = 0x202;
            uint8_t mem[16] = {};
            thunk.run({0xD9, op}, hs, mem);
            const Float80 host = hs.out.st(0 + (op == 0xF2 ? 1 : 0));
            fp80::Context ctx = fp80::Context::from_fcw(fcw);
            Float80 mine{};
            if (op == 0xFE) fp80::sin(ctx, x, mine);
            else if (op == 0xFF) fp80::cos(ctx, x, mine);
            else fp80::tan(ctx, x, mine);
            ++total;
            if (fp80::same(host, mine)) ++exact;
            if (!within_ulp(host, mine)) {
                if (++bad <= 10)
                    FAIL_CHECK("op d9 " << std::hex << int(op) << " fcw " << fcw << " x " << hex80(x) << " host "
                                        << hex80(host) << " soft " << hex80(mine));
            }
        }
    }
    INFO("exactly equal: " << exact << " of " << total);
    CHECK(bad == 0);
}
