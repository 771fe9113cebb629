// Category: bit.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

void register_bit(InsnTable& t) { (void)t; }

} // namespace xlat
