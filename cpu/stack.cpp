// Category: stack.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_stack(InsnTable& t) { (void)t; }

} // namespace xlat
