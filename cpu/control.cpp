// Category: control.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_control(InsnTable& t) { (void)t; }

} // namespace xlat
