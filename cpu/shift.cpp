// Category: shift.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_shift(InsnTable& t) { (void)t; }

} // namespace xlat
