// The command line (Boost.Program_options), with QEMU's spellings (-bios, -m, -debugcon,
// -no-reboot) and --long forms of each.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "frontend/disk_options.h"
#include "frontend/serial_options.h"

namespace xlat {

// Bad input from the user: main prints what() on one line and exits with status 1.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// xlat's own exit statuses. A guest ends a run with (v << 1) | 1, always odd, so the statuses of
// a run that ended for another reason are even and never taken for a guest's; bad input is 1, as
// in QEMU. Listed by --help and README.md.
enum ExitStatus : int {
    kExitBadInput = 1,      // the command line, a file or a value is unusable (one line on stderr)
    kExitInternal = 2,      // an internal error of xlat (out of host memory included)
    kExitHaltForever = 4,   // the CPU halted with nothing that could wake it
    kExitTripleFault = 6,   // a triple fault with -no-reboot
    kExitOutputError = 8,   // the debug console output could not be written (a closed pipe, a full disk)
    kExitMaxInsns = 124,    // --max-insns reached (as timeout(1) says 124)
};

struct Options {
    bool help = false;
    bool version = false;
    std::string help_text;          // filled when help is set
    std::string bios;               // -bios FILE (empty: the demo ROM beside the executable)
    uint64_t ram_bytes = 128ull << 20;
    std::string debugcon = "stdio"; // stdio | file:PATH | none
    uint16_t debugcon_port = 0xE9;  // --debugcon-port
    bool no_reboot = false;
    std::string cpu_mode = "jit";
    uint64_t jit_cache_bytes = 0;  // --jit-cache-size; 0: not given (the JIT's default, Jit::kDefaultCacheBytes)
    uint32_t jit_disable = 0;                // --jit-disable: JitDisable bits
    unsigned jit_hot_runs = 0;               // --jit-hot-runs; 0: not given (Jit::kDefaultHotRuns)
    bool jit_perfmap = false;                // --jit-perfmap: /tmp/perf-PID.map for Linux perf
    uint64_t max_insns = 0;         // 0: no limit
    int icount_shift = -1;          // --icount / -icount shift=N: N (0-10); -1: host time
    std::string rtc_base = "utc";   // -rtc base=utc|localtime|DATE; with --icount kIcountRtcBase unless given
    bool stats = false;
    uint32_t trace_mask = 0;
    bool trace_help = false;        // --trace help: list the trace points and exit
    std::string debug_break_insn;   // --debug-break-insn MNEMONIC (test-only, with --trace exec)
    std::string trace_file;         // -D FILE: trace lines go there instead of stderr
    std::vector<std::pair<uint64_t, uint64_t>> trace_pc_ranges;  // -dfilter: inclusive linear ranges
    std::string kernel;             // -kernel FILE: a Linux or Multiboot kernel
    std::string append;             // -append STR: its command line
    std::vector<std::string> initrd;  // -initrd: Linux's initrd, or "FILE [ARGS],FILE [ARGS]" Multiboot modules
    std::vector<DriveSpec> drives;  // -hda ... -hdd, -cdrom, -drive, with -snapshot applied
    BootOrder boot;                 // -boot
    std::vector<std::string> serial;  // -serial DEV per COM port, COM1 first
    bool nographic = false;         // -nographic (COM1 on stdio and the debug console off by default)
    std::string gdb;                // -gdb DEV / -s (tcp::1234): the GDB stub's socket; empty: none
    bool start_stopped = false;     // -S: start paused (prelaunch) until gdb, QMP or the monitor says cont
    std::string qmp;                // -qmp DEV: the QMP socket; empty: none
    std::string monitor;            // -monitor stdio|DEV: the human monitor; empty: none
    std::string vga;                // -vga std|none; empty: std when booting firmware given by -bios, else none
    std::string vgabios = "/usr/share/seabios/vgabios-stdvga.bin";  // --vgabios FILE: the VGA's expansion ROM
    std::string screenshot;         // --screenshot FILE.png: the display at exit; empty: none
};

// Parses argv (and a --config file). Throws UsageError naming the problem.
// A --config file holds one "name = value" per line (the long option names without dashes; '#'
// starts a comment; a UTF-8 byte-order mark is skipped). "config = FILE" in it reads FILE there,
// a relative name taken from the including file's folder; a file that includes itself, directly
// or through others, is refused. What the command line sets wins over the file.
Options parse_options(int argc, const char* const* argv);
// Parses a size such as 128M, 1G, 512K, 64 (MiB when no suffix, as QEMU's -m).
uint64_t parse_size(const std::string& text);
// Parses an --icount value: "", "N" or "shift=N" (QEMU's spelling), N from 0 to 10.
int parse_icount(const std::string& text);
// Parses --max-insns: a decimal count from 1 to 2^64-1 (0 is refused: leave the option out for
// no limit).
uint64_t parse_max_insns(const std::string& text);
// User input for an error line: in quotes, control bytes as \xNN, and cut to a short excerpt
// with its length when it is long (a 900 KiB line is not echoed whole).
std::string quote(const std::string& text);
// An error message made fit for one line: line breaks and control bytes escaped, at most a few
// hundred bytes.
std::string one_line(const std::string& text);
// Parses a trace list such as "post,insn" into TraceFlag bits.
uint32_t parse_trace(const std::string& text, bool* help = nullptr);
// -dfilter's ranges, as QEMU spells them: START..END (inclusive), START+LENGTH, START-LENGTH
// (the LENGTH bytes ending at START), comma-separated; numbers in C notation (0x... hex).
std::vector<std::pair<uint64_t, uint64_t>> parse_dfilter(const std::string& text);
// What --trace help prints: every trace point and what it shows.
std::string trace_help();
// The Zydis mnemonic of a lower-case name ("add"); ZYDIS_MNEMONIC_INVALID when there is none.
ZydisMnemonic mnemonic_from_name(const std::string& name);

} // namespace xlat
