// The debugger's breakpoints, watchpoints and single step (the GDB stub's table: frontend/gdbstub.h,
// docs/debugging.md). Unlike DR0-DR7 they are invisible to the guest: a hit raises no #DB and
// sets no DR6 bit, guest memory is never patched with INT3; the executor stops and returns to
// Machine::run with StopReason::Debug. Only the machine thread reads or writes this table.
#pragma once
#include <cstdint>
#include <vector>

namespace xlat {

// Watchpoint kinds, numbered as the GDB remote protocol's Z2/Z3/Z4 packets.
enum class WatchKind : uint8_t { Write = 2, Read = 3, Access = 4 };

struct DebugStops {
    static constexpr uint64_t kNone = ~0ull;  // no address (linear addresses have 32 bits)
    // Stop before an instruction whose first byte is at one of these linear addresses
    // (CS.base + EIP). Z0 (software) and Z1 (hardware) breakpoints alike.
    std::vector<uint32_t> breakpoints;
    struct Watch {
        uint32_t lin;    // first linear byte watched
        uint32_t len;    // bytes watched (1 or more)
        WatchKind kind;
    };
    // Stop after an instruction whose data access (Cpu::rd / Cpu::wr, the accesses DR7 data
    // breakpoints see) overlaps one of these.
    std::vector<Watch> watches;
    // Stop after exactly one instruction (one iteration of a REP string instruction), with
    // external interrupts held back, as QEMU's default single-step (no IRQs, no timers).
    bool single_step = false;
    // The first instruction after a resume runs even when a breakpoint is set where it starts
    // (so that `continue` from a breakpoint goes on); kNone when no such exemption is left.
    uint64_t resume_at = kNone;
    // The linear address of the instruction that ran last, for the REP rule in Cpu (a REP
    // string instruction that yields between iterations is not stopped again at its own
    // breakpoint).
    uint64_t last_lin = kNone;

    // What stopped the executor last.
    enum class Hit : uint8_t { None, Breakpoint, Step, Watch };
    Hit hit = Hit::None;
    uint32_t hit_addr = 0;               // the breakpoint's address, or the watch's first byte
    WatchKind hit_kind = WatchKind::Write;  // the kind of the watch that hit

    bool any() const { return !breakpoints.empty() || !watches.empty() || single_step; }
};

} // namespace xlat
