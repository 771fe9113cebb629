// The command line (Boost.Program_options), with QEMU's spellings (-bios, -m, -debugcon,
// -no-reboot) and --long forms of each.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace xlat {

// Bad input from the user: main prints what() on one line and exits with status 1.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Options {
    bool help = false;
    bool version = false;
    std::string help_text;          // filled when help is set
    std::string bios;               // -bios FILE (empty: the demo ROM beside the executable)
    uint64_t ram_bytes = 128ull << 20;
    std::string debugcon = "stdio"; // stdio | file:PATH | none
    bool no_reboot = false;
    std::string cpu_mode = "interp";
    uint64_t max_insns = 0;         // 0: no limit
    int icount_shift = -1;          // --icount / -icount shift=N: N (0-10); -1: host time
    std::string rtc_base = "utc";   // -rtc base=utc|localtime|DATE
    bool stats = false;
    uint32_t trace_mask = 0;
    std::string kernel;             // -kernel FILE: a Multiboot kernel
    std::string append;             // -append STR: its command line
    std::vector<std::string> initrd;  // -initrd "FILE [ARGS],FILE [ARGS]": Multiboot modules
};

// Parses argv (and a --config file). Throws UsageError naming the problem.
Options parse_options(int argc, const char* const* argv);
// Parses a size such as 128M, 1G, 512K, 64 (MiB when no suffix, as QEMU's -m).
uint64_t parse_size(const std::string& text);
// Parses an --icount value: "", "N" or "shift=N" (QEMU's spelling), N from 0 to 10.
int parse_icount(const std::string& text);
// Parses a trace list such as "post,insn" into TraceFlag bits.
uint32_t parse_trace(const std::string& text);

} // namespace xlat
