// Machine: one whole VM. It owns the CPU, the physical address space, the I/O port bus, the
// devices and the tracer; nothing is global, so several machines run side by side in one process.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "devices/debug_ports.h"
#include "frontend/pc_board.h"
#include "memory/iobus.h"
#include "memory/mmu.h"
#include "memory/phys.h"
#include "memory/trace.h"
#include "translator/interp.h"

namespace xlat {

struct MachineConfig {
    uint64_t ram_bytes = 128ull << 20;     // guest RAM
    std::vector<uint8_t> firmware;         // BIOS image, 64 KiB to 256 KiB, a multiple of 64 KiB
    std::function<void(char)> debugcon;    // receives port 0xE9 output; empty: discarded
    bool no_reboot = false;                // a triple fault ends the run instead of resetting
    uint32_t trace_mask = 0;               // TraceFlag bits
    FILE* trace_out = stderr;              // where trace lines go
    std::array<std::shared_ptr<BlockDevice>, 4> ide_disks;  // primary master/slave, secondary master/slave
    std::array<std::function<void(uint8_t)>, 4> serial_out;  // what COM1-COM4 transmit goes here
};

// Checks a firmware image's size; returns an empty string or the reason it is unusable.
std::string firmware_size_problem(size_t size);

class Machine {
public:
    explicit Machine(const MachineConfig& config);

    struct Result {
        StopReason reason;
        int exit_status;   // for StopReason::ExitPort: (v << 1) | 1
        uint64_t resets;   // resets performed after triple faults (without -no-reboot)
    };
    // Runs the CPU until the guest stops the machine or max_insns more instructions ran (0: no
    // limit). The limit counts over the whole call, across the resets after triple faults, so a
    // guest that resets forever still ends there.
    Result run(uint64_t max_insns);
    // Power-on reset of the CPU and the devices (RAM keeps its contents, as on a warm reset).
    void reset();
    // Instructions retired since the machine was built, across resets (CpuState::icount starts
    // again at 0 on every reset).
    uint64_t retired() const { return retired_before_reset_ + cpu.s.icount; }

    // The CPU registers and mode, for the triple-fault report and --stats.
    std::string describe_cpu() const;
    // Statistics (--stats): instruction mix, unimplemented instructions, exceptions, TLB.
    std::string describe_stats() const;

    Tracer tracer;
    PhysMem phys;
    Mmu mmu;
    IoBus io;
    Cpu cpu;
    Interpreter interp;
    DebugConsole debugcon;
    ExitPort exit_port;
    PostPort post;
    PcBoard board;  // the chipset: PCI, PIIX (frontend/pc_board.h)

private:
    bool no_reboot_;
    uint64_t resets_ = 0;
    uint64_t retired_before_reset_ = 0;  // icount of the CPU before its resets, summed
};

} // namespace xlat
