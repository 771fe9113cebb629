// Category: alu.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_alu(InsnTable& t) { (void)t; }

} // namespace xlat
