// Category: misc.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_misc(InsnTable& t) { (void)t; }

} // namespace xlat
