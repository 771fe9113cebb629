// Category: muldiv.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_muldiv(InsnTable& t) { (void)t; }

} // namespace xlat
