// x87 transcendental instructions: FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1.
#include "cpu/x87.h"

namespace xlat::x87 {

void register_x87_transcendental(InsnTable&) {}

} // namespace xlat::x87
