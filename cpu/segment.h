// Descriptor-table helpers shared by segment loads, gates and task switches.
#pragma once
#include <cstdint>

#include "cpu/descriptor.h"

namespace xlat {

class Cpu;

// Reads the descriptor for `sel` from the GDT or LDT; beyond the table limit raises `vec`
// with the selector's index as error code.
Descriptor read_descriptor(Cpu& c, uint16_t sel, uint8_t vec);
// Sets the accessed bit of a code or data descriptor in memory (and in d).
void set_accessed(Cpu& c, uint16_t sel, Descriptor& d);

} // namespace xlat
