// Category: system.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_system(InsnTable& t) { (void)t; }

} // namespace xlat
