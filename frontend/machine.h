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
#include "devices/apic.h"
#include "devices/debug_ports.h"
#include "devices/ioapic.h"
#include "frontend/pc_board.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "memory/clock.h"
#include "memory/device.h"
#include "memory/iobus.h"
#include "memory/mmu.h"
#include "memory/phys.h"
#include "memory/trace.h"
#include "translator/interp.h"

namespace xlat {

struct MachineConfig {
    uint64_t ram_bytes = 128ull << 20;     // guest RAM
    std::vector<uint8_t> firmware;         // BIOS image, 64 KiB to 256 KiB, a multiple of 64 KiB
    std::function<void(char)> debugcon;    // receives the debug console's output; empty: discarded
    uint16_t debugcon_port = 0xE9;         // its port (0x402 for SeaBIOS's log)
    bool no_reboot = false;                // a triple fault ends the run instead of resetting
    uint32_t trace_mask = 0;               // TraceFlag bits
    FILE* trace_out = stderr;              // where trace lines go
    std::array<std::shared_ptr<BlockDevice>, 4> ide_disks;  // primary master/slave, secondary master/slave
    std::array<std::function<void(uint8_t)>, 4> serial_out;  // what COM1-COM4 transmit goes here
    int icount_shift = -1;                 // >= 0: --icount, each instruction 2^shift ns; -1: host time
    int64_t rtc_start = INT64_MIN;         // the RTC's time at power-on (-rtc base=); INT64_MIN: host UTC
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
    // From another thread (monitor, GDB stub, a device's host thread): sets exit-request bits
    // and wakes the machine if it sleeps in HLT.
    void request_exit_async(uint32_t bits) {
        cpu.request_exit(bits);
        clock.notify();
    }

    // Host mode: the executor runs at most this many instructions before Machine::run reads the
    // host clock again (see Machine::run).
    static constexpr uint64_t kHostSlice = 20000;

    // The CPU registers and mode, for the triple-fault report and --stats.
    std::string describe_cpu() const;
    // Statistics (--stats): instruction mix, unimplemented instructions, exceptions, TLB.
    std::string describe_stats() const;

    Tracer tracer;
    Clock clock;
    PhysMem phys;
    Mmu mmu;
    IoBus io;
    Cpu cpu;
    Interpreter interp;
    // Every device of the machine (reset together, saved through their state lists); declared
    // last so that devices go before the clock and buses they use.
    DeviceRegistry devices;
    // The chips the CPU and the tests talk to directly (all of them are in `devices` too).
    Pic8259* pic_master = nullptr;
    Pic8259* pic_slave = nullptr;
    Pit8254* pit = nullptr;
    Rtc146818* rtc = nullptr;
    LocalApic* lapic = nullptr;  // the CPU's interrupt controller; the 8259s reach it on LINT0
    IoApic* ioapic = nullptr;
    PcBoard board;  // the chipset: PCI, PIIX, fw_cfg, IDE, UARTs, 8042 (frontend/pc_board.h)

private:
    // A halted CPU: sleeps (host time) or skips (icount) to the next deadline; false when
    // nothing can ever wake it.
    bool sleep_while_halted();
    // The local APIC's window follows IA32_APIC_BASE.
    void move_lapic(uint32_t base, bool enabled);
    RegionId lapic_region_ = 0;
    bool no_reboot_;
    uint64_t resets_ = 0;
    uint64_t retired_before_reset_ = 0;  // icount of the CPU before its resets, summed
};

} // namespace xlat
