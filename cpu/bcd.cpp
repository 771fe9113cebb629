// Category: bcd.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_bcd(InsnTable& t) { (void)t; }

} // namespace xlat
