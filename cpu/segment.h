// Descriptor-table helpers shared by segment loads, gates and task switches.
#pragma once
#include <cstdint>

#include "cpu/descriptor.h"
#include "cpu/state.h"
#include "memory/fault.h"

namespace xlat {

class Cpu;

// Reads the descriptor for `sel` from the GDT or LDT; beyond the table limit raises `vec`
// with the selector's index as error code.
Descriptor read_descriptor(Cpu& c, uint16_t sel, uint8_t vec);
// Sets the accessed bit of a code or data descriptor in memory (and in d).
void set_accessed(Cpu& c, uint16_t sel, Descriptor& d);

// A stack that is not SS yet (the inner stack of a call gate, an interrupt or a task): pushes
// check its limit and raise #SS with its selector. `sp` holds the new ESP when done.
struct NewStack {
    Cpu& c;
    SegmentCache seg;
    uint32_t sp;
    bool user;  // page-level privilege of the accesses (CPL 3 stacks only)
    void push(unsigned size, uint32_t v);
};

} // namespace xlat
