// Category: string.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_string(InsnTable& t) { (void)t; }

} // namespace xlat
