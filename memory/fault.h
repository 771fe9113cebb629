// Guest faults: the one exception type that unwinds out of a guest instruction.
//
// Semantics functions, the segmentation checks and the MMU raise a guest exception by throwing
// GuestFault. The dispatcher catches it, rewinds EIP to the faulting instruction and delivers the
// vector through the IVT or IDT. Throwing keeps the semantics functions free of error plumbing
// (no macros that hide a return, see ../shared/STYLE.md); the cost is paid only when a guest
// faults, which is rare next to the instructions that do not.
#pragma once
#include <cstdint>

namespace xlat {

// Exception vectors (Intel SDM Vol. 3A, 6.3.1, Table 6-1).
enum Vector : uint8_t {
    kDE = 0,   // divide error
    kDB = 1,   // debug
    kNMI = 2,  // non-maskable interrupt
    kBP = 3,   // breakpoint (INT3)
    kOF = 4,   // overflow (INTO)
    kBR = 5,   // BOUND range exceeded
    kUD = 6,   // invalid opcode
    kNM = 7,   // device not available
    kDF = 8,   // double fault
    kTS = 10,  // invalid TSS
    kNP = 11,  // segment not present
    kSS = 12,  // stack-segment fault
    kGP = 13,  // general protection
    kPF = 14,  // page fault
    kMF = 16,  // x87 floating-point error
    kAC = 17,  // alignment check
    kMC = 18,  // machine check
    kXM = 19,  // SIMD floating-point
};

// True for the vectors that push an error code in protected mode (SDM Vol. 3A, Table 6-1).
constexpr bool vector_has_error_code(uint8_t v) {
    return v == kDF || v == kTS || v == kNP || v == kSS || v == kGP || v == kPF || v == kAC;
}

struct GuestFault {
    uint8_t vector;      // exception vector
    uint32_t error_code; // pushed in protected mode when vector_has_error_code(vector)
    uint32_t address;    // faulting linear address, for #PF (becomes CR2)
};

// The non-throwing paths (the ones translated code calls: no C++ exception may cross emitted
// code, ../shared/DESIGN.md point 7) return false and fill a GuestFault instead of throwing one.
// The interpreter's throwing paths are thin wrappers over them.
[[noreturn]] inline void rethrow_fault(const GuestFault& f) { throw f; }

[[noreturn]] inline void raise_fault(uint8_t vector, uint32_t error_code = 0, uint32_t address = 0) {
    throw GuestFault{vector, error_code, address};
}

} // namespace xlat
