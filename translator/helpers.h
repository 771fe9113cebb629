// The helpers that translated blocks call, and the status a block exits with.
//
// No C++ exception may cross emitted code: asmjit emits no unwind tables, so a throw through a
// translated block would end the process (../shared/DESIGN.md, point 7). Every helper here is
// noexcept: it runs code that may raise a guest exception, catches the GuestFault into
// CpuState::fault and returns a status that the block tests. The MMU's non-throwing paths
// (Mmu::try_read, ...) serve the memory helpers, so a #PF costs no throw at all. The interpreter
// calls helper_semantics for every instruction too, so the fallback path the JIT uses is the one
// every test runs. The register and stack conventions are in docs/translator.md.
#pragma once
#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

// Why a block returned to the dispatcher (in EAX at the block's exit).
enum BlockStatus : uint32_t {
    kBlockNext = 0,   // ran to its end: continue at CpuState::rip
    kBlockFault = 1,  // a helper raised a guest exception: CpuState::fault holds it, and
                      // CpuState::insn_eip is the faulting instruction
    kBlockExit = 2,   // the exit request was set at the block's entry: nothing of it ran
};

// Bit 63 of what a read helper returns: the read faulted (CpuState::fault holds the fault).
constexpr uint64_t kReadFaulted = 1ull << 63;

// Runs the semantics function of `in` (CpuState::rip already at the next instruction and
// insn_eip at this one, as the interpreter leaves them).
uint32_t helper_semantics(Cpu* c, const Insn* in) noexcept;

// Linear-address accesses of 1, 2 or 4 bytes at the current privilege, for the inline TLB
// probe's miss path (flat segments: the address is already linear and checked).
uint64_t helper_read(Cpu* c, uint32_t lin, uint32_t size) noexcept;
uint32_t helper_write(Cpu* c, uint32_t lin, uint32_t size, uint32_t value) noexcept;

// Segmented accesses with every segment check, for segments that are not flat.
uint64_t helper_read_seg(Cpu* c, uint32_t seg, uint32_t off, uint32_t size) noexcept;
uint32_t helper_write_seg(Cpu* c, uint32_t seg, uint32_t off, uint32_t size, uint32_t value) noexcept;

// The dispatcher's side of kBlockFault: rewinds EIP to the faulting instruction and delivers the
// pending fault (with the double- and triple-fault rules), as the interpreter does for a throw.
void deliver_pending_fault(Cpu& c);

} // namespace xlat
