// The x87 transcendental functions in software: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1,
// FYL2X, FYL2XP1 (SDM Vol. 2A under each mnemonic).
//
// Values are computed in a 128-bit binary floating point (integer arithmetic only) and rounded
// once to 64 bits, which makes the results correctly rounded but for the rarest cases; the
// hardware is specified to within one unit in the last place. One difference from exact math
// is kept on purpose: like every Intel x87 since the 387, the trigonometric instructions reduce
// their argument with a 66-bit approximation of pi (0xC90FDAA22168C234C × 2^-66), so near the
// zeros of sine and cosine the results are those of the hardware, not of the true function.
#pragma once
#include "cpu/fpu/softfloat80.h"

namespace xlat::fp80 {

// FSIN, FCOS, FSINCOS, FPTAN: false when |a| >= 2^63 (the operand is out of range: C2 = 1 and
// nothing changes). NaNs, infinities (invalid) and denormals are handled here.
bool sin(Context& c, Float80 a, Float80& r);
bool cos(Context& c, Float80 a, Float80& r);
bool sincos(Context& c, Float80 a, Float80& s, Float80& co);
bool tan(Context& c, Float80 a, Float80& r);

// FPATAN: arctan(y / x) in the quadrant of (x, y).
Float80 atan2(Context& c, Float80 y, Float80 x);
// F2XM1: 2^x - 1 (defined for -1 <= x <= 1).
Float80 exp2m1(Context& c, Float80 x);
// FYL2X: y × log2(x).
Float80 ylog2x(Context& c, Float80 y, Float80 x);
// FYL2XP1: y × log2(x + 1) (defined for |x| < 1 - sqrt(2)/2).
Float80 ylog2xp1(Context& c, Float80 y, Float80 x);

// The constants at 128 bits, for tests: pi and ln(2) as sign × sig × 2^(exp - 16383 - 127).
Wide pi128();
Wide ln2_128();

} // namespace xlat::fp80
