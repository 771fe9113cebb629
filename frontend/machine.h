// Machine: one whole VM. It owns the CPU, the physical address space, the I/O port bus, the
// devices and the tracer; nothing is global, so several machines run side by side in one process.
#pragma once
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "devices/apic.h"
#include "devices/debug_ports.h"
#include "devices/ioapic.h"
#include "frontend/boot_order.h"
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
#include "translator/jit.h"

namespace xlat {

// Which executor runs guest code (--cpu-mode).
enum class CpuMode : uint8_t { Jit, Interp };

struct MachineConfig {
    CpuMode cpu_mode = CpuMode::Jit;       // translated blocks (default) or the interpreter
    size_t jit_cache_bytes = Jit::kDefaultCacheBytes;  // the JIT's code arena (--jit-cache-size)
    uint32_t jit_disable = 0;              // JitDisable bits (--jit-disable)
    // Translate a block the Nth time it runs (--jit-hot-runs; the command line's default is
    // Jit::kDefaultHotRuns). 1 here: tests that build machines see every block translated.
    unsigned jit_hot_runs = 1;
    // Count every whole run of a translated block (one `inc` per block run, a loop-carried
    // memory read-modify-write): the per-mnemonic native counts of --stats ("instructions
    // retired") and xlat explain's hottest blocks need it. The command line turns it on only
    // with --stats; true here: tests that build machines compare the counts.
    bool jit_profile = true;
    PerfMap* jit_perf_map = nullptr;       // --jit-perfmap (translator/perf_map.h): outlives the machine
    uint64_t ram_bytes = 128ull << 20;     // guest RAM
    std::vector<uint8_t> firmware;         // BIOS image, 64 KiB to 256 KiB, a multiple of 64 KiB
    std::function<void(char)> debugcon;    // receives the debug console's output; empty: discarded
    uint16_t debugcon_port = 0xE9;         // its port (0x402 for SeaBIOS's log)
    bool no_reboot = false;                // a triple fault ends the run instead of resetting
    uint32_t trace_mask = 0;               // TraceFlag bits
    FILE* trace_out = stderr;              // where trace lines go
    std::vector<std::pair<uint64_t, uint64_t>> trace_pc_ranges;  // -dfilter (Tracer::pc_ranges)
    ZydisMnemonic debug_break = ZYDIS_MNEMONIC_INVALID;  // --debug-break-insn (Interpreter::debug_break)
    std::array<std::shared_ptr<BlockDevice>, 4> ide_disks;  // primary master/slave, secondary master/slave
    IdeLayout ide_media{};                 // which of them are CD-ROM drives
    BootOrder boot;                        // -boot: CMOS boot bytes, fw_cfg bootorder and menu
    std::array<std::function<void(uint8_t)>, 4> serial_out;  // what COM1-COM4 transmit goes here
    int icount_shift = -1;                 // >= 0: --icount, each instruction 2^shift ns; -1: host time
    int64_t rtc_start = INT64_MIN;         // the RTC's time at power-on (-rtc base=); INT64_MIN: host UTC, with --icount kIcountRtcBase
    uint32_t rtc_start_ns = 0;             // and the nanoseconds past rtc_start (rtc_start_time's phase)
    bool vga = false;                      // the std VGA in PCI slot 2 (-vga std)
    std::vector<uint8_t> vga_rom;          // its expansion ROM (the VGA BIOS); empty: none
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
    // Power-on reset of the CPU and the devices (RAM keeps its contents, as on a warm reset),
    // then after_reset.
    void reset();
    // What the boot loader does again after every reset (the guest's reboot, the monitor's
    // system_reset): a directly booted kernel (-kernel) is loaded again and entered, as QEMU's
    // linuxboot option ROM does on each boot; empty: the firmware starts at F000:FFF0.
    std::function<void()> after_reset;
    // Instructions retired since the machine was built, across resets (CpuState::icount starts
    // again at 0 on every reset).
    uint64_t retired() const { return retired_before_reset_ + cpu.s.icount; }
    // From another thread (monitor, GDB stub, a device's host thread): sets exit-request bits
    // and wakes the machine if it sleeps in HLT.
    void request_exit_async(uint32_t bits) {
        cpu.request_exit(bits);
        clock.notify();
    }
    // Host inputs that can still wake a halted CPU from another thread (serial back ends that
    // read). While there is one, a CPU halted with interrupts enabled and nothing scheduled
    // waits for it instead of ending the run with HaltForever.
    std::atomic<int> async_inputs{0};

    // ---- run control from other threads: the GDB stub, QMP, the monitor ----
    // (frontend/machine_control.cpp, docs/debugging.md) Every CpuState and device access stays
    // on the machine thread: another thread hands it a function with call() or post(), which
    // Machine::run runs between two executor runs (at once while paused, otherwise at the next
    // instruction boundary, through kExitAsync). The functions use the machine-thread API
    // below. While paused, Machine::run waits for such functions and runs nothing else.
    enum class PauseCause : uint8_t {
        None,       // running
        Prelaunch,  // -S: never run yet
        Request,    // stop (QMP, monitor), Ctrl-C or attach (GDB stub)
        Debug,      // the debugger's breakpoint, watchpoint or step (cpu.debugger.hit says which)
    };
    struct RunEvent {
        enum Kind : uint8_t { Stop, Resume, Reset, Shutdown } kind;
        PauseCause cause = PauseCause::None;  // Stop: why
        DebugStops::Hit hit = DebugStops::Hit::None;  // Stop with PauseCause::Debug: what hit
        uint32_t hit_addr = 0;                // ... its address
        uint32_t eip = 0;                     // ... EIP then (the PC gdb sees; hit_addr is linear)
        WatchKind hit_kind = WatchKind::Write;  // ... the watch's kind
        uint64_t generation = 0;              // resume() calls so far (a stop belongs to the last)
        StopReason reason = StopReason::None; // Shutdown: why Machine::run returned
        int exit_status = 0;                  // Shutdown: the process's exit status
    };
    // Called on the machine thread for every event, in order; add listeners before run().
    void add_listener(std::function<void(const RunEvent&)> fn) { listeners_.push_back(std::move(fn)); }
    // Any thread: runs fn on the machine thread and waits for it. False (fn not run) once
    // Machine::run has returned.
    bool call(std::function<void()> fn);
    // Any thread: queues fn for the machine thread without waiting.
    void post(std::function<void()> fn);
    // Machine thread: pause (a Stop event when it was running), resume (Resume event; returns
    // the new generation), quit (Machine::run returns StopReason::Quit with `status`), reset
    // (Reset event), resume for the debugger (`step`: one instruction).
    void pause(PauseCause cause);
    uint64_t resume();
    void quit(int status);
    void system_reset();
    uint64_t debug_resume(bool step);
    bool paused() const { return pause_ != PauseCause::None; }
    PauseCause pause_cause() const { return pause_; }
    // Starts paused in PauseCause::Prelaunch (-S); call before run().
    void start_paused() { pause_ = PauseCause::Prelaunch; }
    // Machine thread: memory as the debugger and the monitor see it. Linear addresses go
    // through the page tables with supervisor rights and no side effects
    // (Mmu::debug_translate); only RAM and ROM are read (never a device register), only RAM is
    // written (code pages are reported as for any writer). Each returns how many bytes it moved
    // before the first byte it could not.
    size_t read_linear(uint32_t lin, uint8_t* out, size_t len);
    size_t write_linear(uint32_t lin, const uint8_t* data, size_t len);
    size_t read_physical(uint64_t paddr, uint8_t* out, size_t len);

    // Host mode: the executor runs a slice of instructions, then Machine::run reads the host
    // clock again (see Machine::run). The slice adapts so that it lasts about kHostSliceNs of
    // host time, between kHostSlice and kMaxHostSlice instructions.
    static constexpr uint64_t kHostSlice = 20000;
    static constexpr uint64_t kMaxHostSlice = 250000;
    static constexpr uint64_t kHostSliceNs = 100000;
    // The next slice after one of `insns` instructions that took `ns` of host time (ns 0: too
    // short to read): what would have lasted kHostSliceNs, growing at most 2x a slice, within
    // [kHostSlice, kMaxHostSlice].
    static uint64_t next_host_slice(uint64_t slice, uint64_t insns, uint64_t ns);
    // Host mode: slices that ran to their end so far, and the size of the next one.
    uint64_t host_slices() const { return host_slices_; }
    uint64_t host_slice() const { return host_slice_; }
    // --icount: guest time (ns) a CPU may stay halted in one run() call, with no interrupt taken
    // and no host input that could come (async_inputs), before the run ends with HaltForever.
    // HLT skips guest time from deadline to deadline; a timer that ticks to no effect (its IRQ
    // masked, or counter 2 behind port 61h) would otherwise keep it skipping for ever.
    static constexpr uint64_t kHaltedWaitLimit = 60ull * 1000 * 1000 * 1000;

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
    std::unique_ptr<Jit> jit;  // the translator, with --cpu-mode jit (null: the interpreter runs)
    // Runs exactly one instruction with the machine's executor (tests).
    void step() {
        if (jit) jit->step(); else interp.step_block();
    }
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
    // Runs the queued functions; while paused, waits for more. True when it ran any.
    bool service_requests();
    void emit(const RunEvent& e) {
        for (auto& fn : listeners_) fn(e);
    }
    Result finish(Result r);
    struct Request {
        std::function<void()> fn;
        bool done = false;  // ran (or dropped, when ran is false)
        bool ran = false;
    };
    std::mutex ctl_mu_;
    std::condition_variable ctl_cv_;
    std::deque<std::shared_ptr<Request>> requests_;
    bool ended_ = false;        // Machine::run returned: requests are dropped
    bool quit_ = false;         // quit() was called
    int quit_status_ = 0;
    PauseCause pause_ = PauseCause::None;
    uint64_t generation_ = 0;
    std::vector<std::function<void(const RunEvent&)>> listeners_;

    // A halted CPU: sleeps (host time) or skips (icount) to the next deadline; false when
    // nothing can ever wake it.
    bool sleep_while_halted(uint64_t& halted_since, uint64_t& halted_retired);
    // The local APIC's window follows IA32_APIC_BASE.
    void move_lapic(uint32_t base, bool enabled);
    RegionId lapic_region_ = 0;
    bool no_reboot_;
    BootOrder boot_;
    IdeLayout ide_media_{};
    bool boot_once_pending_ = false;  // -boot once= is in force until the next reset
    uint64_t resets_ = 0;
    uint64_t host_slice_ = kHostSlice;  // host mode: the current slice (next_host_slice)
    uint64_t host_slices_ = 0;           // host mode: slices run to their end (--stats)
    uint64_t retired_before_reset_ = 0;  // icount of the CPU before its resets, summed
};

} // namespace xlat
