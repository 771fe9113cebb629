#include "frontend/options.h"

#include <sys/stat.h>

#include <boost/program_options.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "devices/rtc.h"
#include "frontend/listen_socket.h"
#include "memory/phys.h"
#include "memory/trace.h"
#include "translator/emitter.h"

namespace po = boost::program_options;

namespace xlat {

namespace {

// Length of the valid UTF-8 sequence at text[i] (0 when it is not one: a stray or invalid byte).
size_t utf8_length(const std::string& text, size_t i) {
    const uint8_t c = uint8_t(text[i]);
    const size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > text.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((uint8_t(text[i + k]) & 0xC0) != 0x80) return 0;
    return n;
}

// Appends text[0, limit) to out with control bytes and bytes that are not UTF-8 as \xNN, so that
// nothing reaching the terminal is a control sequence. Returns how many bytes of text it used.
size_t escape_into(std::string& out, const std::string& text, size_t limit) {
    size_t i = 0;
    while (i < text.size() && i < limit) {
        const uint8_t c = uint8_t(text[i]);
        size_t n = c < 0x80 ? (c < 0x20 || c == 0x7F ? 0 : 1) : utf8_length(text, i);
        if (n != 0 && i + n > limit) break;  // do not cut a character in half
        if (n == 0) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
            n = 1;
        } else {
            out.append(text, i, n);
        }
        i += n;
    }
    return i;
}

} // namespace

std::string quote(const std::string& text) {
    std::string out = "'";
    const size_t used = escape_into(out, text, 60);
    out += "'";
    if (used < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

std::string one_line(const std::string& text) {
    std::string out;
    if (escape_into(out, text, 400) < text.size()) out += "...";
    return out;
}

uint64_t parse_size(const std::string& text) {
    size_t pos = 0;
    uint64_t n = 0;
    bool digits = false;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        n = n * 10 + uint64_t(text[pos++] - '0');
        digits = true;
        if (n > (1ull << 40)) throw UsageError("memory size " + quote(text) + " is too large (at most 3G)");
    }
    std::string suffix = text.substr(pos);
    uint64_t unit;
    if (suffix.empty() || suffix == "M" || suffix == "m" || suffix == "MB" || suffix == "MiB") unit = 1ull << 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GB" || suffix == "GiB") unit = 1ull << 30;
    else if (suffix == "K" || suffix == "k" || suffix == "KB" || suffix == "KiB") unit = 1ull << 10;
    else digits = false;
    if (!digits)
        throw UsageError("invalid memory size " + quote(text) + ": use a number with an optional K, M or G suffix");
    // n * unit must not wrap (17179869185G is 2^64 + 1 GiB).
    if (n > UINT64_MAX / unit) throw UsageError("memory size " + quote(text) + " is too large (at most 3G)");
    return n * unit;
}

uint64_t parse_max_insns(const std::string& text) {
    uint64_t n = 0;
    for (char ch : text) {
        if (ch < '0' || ch > '9')
            throw UsageError("invalid --max-insns " + quote(text) + ": use a count of instructions, 1 or more");
        const unsigned d = unsigned(ch - '0');
        if (n > (UINT64_MAX - d) / 10)
            throw UsageError("--max-insns " + quote(text) + " is too large (at most 18446744073709551615)");
        n = n * 10 + d;
    }
    if (text.empty())
        throw UsageError("invalid --max-insns '': use a count of instructions, 1 or more");
    if (n == 0) throw UsageError("--max-insns 0 would stop before the first instruction: give 1 or more, or leave it out for no limit");
    return n;
}

uint32_t parse_trace(const std::string& text, bool* help) {
    uint32_t mask = 0;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        if (item == "help" && help) {
            *help = true;
            continue;
        }
        bool found = false;
        for (const TraceName& t : kTraceNames)
            if (item == t.name) { mask |= t.flag; found = true; }
        if (item == "mmu") { mask |= kTraceTlb; found = true; }  // the name before "tlb"
        if (!found) {
            std::string known;
            for (const TraceName& t : kTraceNames) known += std::string(known.empty() ? "" : ", ") + t.name;
            throw UsageError("unknown trace " + quote(item) + " (known: " + known + "; --trace help lists them)");
        }
    }
    return mask;
}

std::vector<std::pair<uint64_t, uint64_t>> parse_dfilter(const std::string& text) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    const auto bad = [&](const std::string& why) {
        return UsageError("invalid -dfilter " + quote(text) + ": " + why +
                          " (use START..END, START+LENGTH or START-LENGTH, comma-separated)");
    };
    const auto number = [&](const std::string& t) {
        if (t.empty() || t[0] == '-' || t[0] == '+') throw bad(quote(t) + " is not a number");
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(t.c_str(), &end, 0);
        if (errno || !end || *end) throw bad(quote(t) + " is not a number");
        return uint64_t(v);
    };
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) throw bad("an empty range");
        size_t at;
        if ((at = item.find("..")) != std::string::npos) {
            const uint64_t a = number(item.substr(0, at)), b = number(item.substr(at + 2));
            if (b < a) throw bad(quote(item) + " ends before it starts");
            ranges.emplace_back(a, b);
        } else if ((at = item.find_first_of("+-", 1)) != std::string::npos) {
            const uint64_t a = number(item.substr(0, at)), n = number(item.substr(at + 1));
            if (n == 0) throw bad(quote(item) + " is empty");
            if (item[at] == '+') {
                if (a + (n - 1) < a) throw bad(quote(item) + " goes past the end of the address space");
                ranges.emplace_back(a, a + (n - 1));
            } else {
                if (n - 1 > a) throw bad(quote(item) + " starts below address 0");
                ranges.emplace_back(a - (n - 1), a);
            }
        } else {
            throw bad(quote(item) + " is not a range");
        }
    }
    if (ranges.empty()) throw bad("no range");
    return ranges;
}

ZydisMnemonic mnemonic_from_name(const std::string& name) {
    for (int m = 1; m <= ZYDIS_MNEMONIC_MAX_VALUE; ++m) {
        const char* s = ZydisMnemonicGetString(ZydisMnemonic(m));
        if (s && name == s) return ZydisMnemonic(m);
    }
    return ZYDIS_MNEMONIC_INVALID;
}

std::string trace_help() {
    std::string s = "trace points for --trace LIST (comma-separated); each line starts with [name]:\n";
    for (const TraceName& t : kTraceNames) {
        char line[200];
        std::snprintf(line, sizeof line, "  %-5s %s\n", t.name, t.help);
        s += line;
    }
    s += "-D FILE writes them to FILE instead of stderr.\n";
    return s;
}

int parse_icount(const std::string& text) {
    std::string v = text;
    if (v.rfind("shift=", 0) == 0) v = v.substr(6);
    if (v.empty()) return 0;
    if (v == "auto")
        throw UsageError("-icount shift=auto (adaptive) is not supported: give a fixed shift, 0 to 10");
    if (v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) > 10)
        throw UsageError("invalid -icount " + quote(text) + ": use shift=N with N from 0 to 10");
    return std::stoi(v);
}

namespace {

po::options_description describe() {
    std::string traces;
    for (const TraceName& t : kTraceNames) traces += std::string("\n  ") + t.name + ": " + t.help;
    po::options_description d("Usage: xlat [options]\n\nOptions (QEMU's single-dash spellings work too: -bios, -m, -debugcon, -no-reboot, -icount)");
    d.add_options()
        ("help,h", "print this help and exit")
        ("version", "print the version and exit")
        ("bios", po::value<std::string>()->value_name("FILE"),
         "firmware image, 64 to 256 KiB, mapped at the top of 1 MiB and of 4 GiB "
         "(default: the demo ROM built beside xlat when -kernel is given; with neither -bios nor -kernel, "
         "xlat boots the default Linux guest of roms/build-linux-guest on the terminal)")
        ("memory,m", po::value<std::string>()->value_name("SIZE"),
         "guest RAM: 128M, 1G, ... (no suffix: MiB; at most 3G; default 128M)")
        ("debugcon", po::value<std::string>()->value_name("DEV"),
         "where debug console output goes: stdio (default), file:PATH or none")
        ("debugcon-port", po::value<std::string>()->value_name("PORT"),
         "the debug console's port: 0xE9 (default; QEMU's -debugcon) or another, e.g. 0x402 for "
         "SeaBIOS's log (as QEMU's -global isa-debugcon.iobase=0x402)")
        ("no-reboot", po::bool_switch(), "exit with status 6 on a triple fault instead of resetting")
        ("cpu-mode", po::value<std::string>()->value_name("MODE"),
         "jit (translated blocks, default) or interp (the reference interpreter)")
        ("jit-cache-size", po::value<std::string>()->value_name("SIZE"),
         "size of the JIT's code arena: 128M (default), 32M, ... (no suffix: MiB; 1M to 1G); flushed "
         "whole when full")
        ("jit-hot-runs", po::value<std::string>()->value_name("N"),
         "translate a block the Nth time it runs; the interpreter runs it until then (default 3; 1: "
         "translate every block at once)")
        ("jit-perfmap", po::bool_switch(),
         "write /tmp/perf-PID.map, one line per translated block (named xlat:LINEAR-EIP), so that "
         "`perf report` and `perf annotate` name samples in translated code (QEMU's -perfmap)")
        ("jit-disable", po::value<std::string>()->value_name("LIST"),
         "native emission to switch off, comma-separated: alu, move, control, stack, cond, shift, "
         "muldiv, bit, string, simple (NOP, BSWAP), sys (RDTSC, IN, OUT, CLI, STI, CLD, STD), tlb "
         "(inline memory access), flags (flag liveness), chain, retstack (host return stack for "
         "CALL/RET), stackgroup (one TLB probe for a run of stack accesses), bounds (constant-page TLB probes for table lookups with a bounded index), loopflags (lazy flags of "
         "a self-loop), superblocks (blocks going on past a Jcc), learn (superblocks following the way "
         "their Jccs went), bmi2 (BMI2 instructions where the host has them: the pagetable probe's RORX), "
         "pagetable (the data probe's page-number table; off, it compares the TLB entry's tag), predict (the data "
         "probe's addend predicted from the block's code at CPL 0-2), fuse (forward links past their target's "
         "entry test, the source's test covering both), twoturns (two turns per entry test in a self-loop "
         "whose flags are not lazy), groupreuse (a self-loop's stack group probed once per entry), backward (superblocks going on past a Jcc "
         "backward to before their start once they learnt it is taken), traces (a self-loop's side exit "
         "that comes back into the loop going on in the block), select (a side trace's way and the loop's, "
         "when the branch went either way as often, run as conditional moves without it), regs (guest registers in "
         "host registers), all; those instructions run "
         "through their semantics functions (for bisecting a JIT bug)")
        ("max-insns", po::value<std::string>()->value_name("N"),
         "stop after N instructions, 1 or more, counted over the whole run (resets included; each "
         "iteration of a REP string instruction counts as one); exit status 124")
        ("rtc", po::value<std::string>()->value_name("base=B"),
         "the RTC's time at power-on: base=utc (default; with --icount base=2026-01-01), "
         "base=localtime or base=DATE (2006-06-17T16:01:21 or 2006-06-17), as QEMU's -rtc")
        ("icount", po::value<std::string>()->implicit_value("")->value_name("shift=N"),
         "guest time from the instruction count, each instruction 2^N ns (N 0-10, default 0), as "
         "QEMU's -icount shift=N: runs repeat to the instruction, the RTC starts at 2026-01-01 "
         "unless -rtc says otherwise (default: the host's clock)")
        ("stats", po::bool_switch(), "print execution statistics at exit")
        ("trace", po::value<std::string>()->value_name("LIST"), ("comma-separated trace points:" + traces).c_str())
        ("trace-file,D", po::value<std::string>()->value_name("FILE"), "write the trace lines to FILE instead of stderr, as QEMU's -D")
        ("dfilter", po::value<std::string>()->value_name("RANGES"),
         "the exec and insn traces print only instructions at these linear addresses, as QEMU's "
         "-dfilter: START..END, START+LENGTH or START-LENGTH, comma-separated")
        ("debug-break-insn", po::value<std::string>()->value_name("MNEMONIC"),
         "for testing tools/trace-diff: with --trace exec, instructions with this mnemonic (as Zydis "
         "spells it: add, movsb, ...) do nothing, a divergence planted on purpose")
        ("kernel", po::value<std::string>()->value_name("FILE"),
         "boot a Linux kernel (bzImage, by the 32-bit boot protocol) or a Multiboot (v1) kernel "
         "(ELF or a.out kludge), in flat 32-bit protected mode")
        ("append", po::value<std::string>()->value_name("STR"), "the kernel's command line (with -kernel)")
        ("initrd", po::value<std::string>()->value_name("FILES"),
         "with -kernel: a Linux kernel's initial RAM disk (one file), or a Multiboot kernel's "
         "modules, comma-separated, each a file name and optional arguments")
        ("config", po::value<std::string>()->value_name("FILE"),
         "read options from FILE, one 'name = value' per line (the names above, without dashes; "
         "'#' starts a comment); the command line wins over the file");
    d.add_options()
        ("gdb", po::value<std::string>()->value_name("DEV"),
         "wait for gdb on DEV: tcp::PORT (localhost), tcp:HOST:PORT or unix:PATH; `target remote :PORT` "
         "in gdb (see docs/debugging.md for real mode)")
        ("gdb-default,s", po::bool_switch(), "shorthand for -gdb tcp::1234, as QEMU's -s")
        ("paused,S", po::bool_switch(), "start with the CPU stopped until gdb (continue), QMP or the monitor (cont) "
         "starts it, as QEMU's -S")
        ("qmp", po::value<std::string>()->value_name("DEV"),
         "QMP (QEMU's JSON machine protocol) on unix:PATH,server[,nowait] or tcp:HOST:PORT,server[,nowait]")
        ("monitor", po::value<std::string>()->value_name("DEV"),
         "the human monitor on stdio or unix:PATH,server[,nowait] (type help there); stdio beside "
         "-serial stdio: Ctrl-A c switches between them");
    d.add_options()
        ("vga", po::value<std::string>()->value_name("TYPE"),
         "the display adapter: std (QEMU's std VGA, PCI 1234:1111, with the Bochs VBE extensions "
         "and the VGA BIOS as its ROM; default when -bios is given without -kernel) or none")
        ("vgabios", po::value<std::string>()->value_name("FILE"),
         "the VGA BIOS for -vga std (default /usr/share/seabios/vgabios-stdvga.bin, package seabios)")
        ("screenshot", po::value<std::string>()->value_name("FILE"),
         "when the run ends, write the display (text or graphics) to FILE as a PNG image");
    add_disk_options(d);
    add_serial_options(d);
    return d;
}

// Boost.Program_options 1.74 builds an error message by replacing placeholders such as %value%
// with the user's text until none is left, so a value or option name that itself contains one
// (`--max-insns %value%`) never ends (found by tests/fuzz/fuzz_options.cpp). Breaking the
// placeholders in the substituted texts first makes what() end.
struct PoMessage : po::error_with_option_name {
    static std::string of(const po::error& e) {
        const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
        if (!named) return e.what();
        po::error_with_option_name copy = *named;
        auto subs = &PoMessage::m_substitutions;  // a protected member, reached through the base
        for (auto& kv : copy.*subs)
            if (std::count(kv.second.begin(), kv.second.end(), '%') >= 2)  // one '%' is no placeholder
                for (char& c : kv.second)
                    if (c == '%') c = '?';
        return copy.what();
    }
};

// Reads the --config file `path` into `out`, following "config = FILE" lines. `open_files` holds
// the files being read (device and inode), so that a file including itself is caught however
// it is named.
void read_config(const std::string& path, const po::options_description& desc, std::vector<po::option>& out,
                 std::vector<std::pair<dev_t, ino_t>>& open_files) {
    const std::string shown = quote(path);
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
        throw UsageError("cannot read config file " + shown + ": " + std::strerror(errno));
    // A regular file of sensible size: a device such as /dev/zero would be read forever.
    if (!S_ISREG(st.st_mode)) throw UsageError("cannot read config file " + shown + ": not a regular file");
    constexpr long kMaxConfig = 1 << 20;
    if (st.st_size > kMaxConfig) throw UsageError("config file " + shown + " is larger than 1 MiB");
    for (const auto& f : open_files)
        if (f.first == st.st_dev && f.second == st.st_ino)
            throw UsageError("config file " + shown + " includes itself (directly or through another config file)");
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw UsageError("cannot read config file " + shown + ": " + std::strerror(errno));
    std::string text(size_t(kMaxConfig) + 1, '\0');
    const size_t got = std::fread(&text[0], 1, text.size(), f);
    const bool failed = std::ferror(f);
    const int err = errno;
    std::fclose(f);
    if (failed) throw UsageError("cannot read config file " + shown + ": " + std::strerror(err));
    if (got > size_t(kMaxConfig)) throw UsageError("config file " + shown + " is larger than 1 MiB");
    text.resize(got);
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // a UTF-8 byte-order mark

    open_files.emplace_back(st.st_dev, st.st_ino);
    const auto trim = [](std::string t) {
        const char* ws = " \t\r\v\f";
        t.erase(0, t.find_first_not_of(ws));
        t.erase(t.find_last_not_of(ws) + 1);
        return t;
    };
    size_t line_no = 0;
    for (size_t at = 0; at < text.size();) {
        size_t eol = text.find('\n', at);
        if (eol == std::string::npos) eol = text.size();
        std::string line = text.substr(at, eol - at);
        at = eol + 1;
        ++line_no;
        const std::string where = "config file " + shown + ", line " + std::to_string(line_no) + ": ";
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        const size_t eq = line.find('=');
        const std::string name = eq == std::string::npos ? std::string() : trim(line.substr(0, eq));
        if (name.empty()) throw UsageError(where + "expected 'name = value', found " + quote(line));
        const std::string value = trim(line.substr(eq + 1));
        if (!desc.find_nothrow(name, false)) throw UsageError(where + "unknown option " + quote(name));
        if (name == "config") {
            std::string next = value;
            if (!next.empty() && next[0] != '/') {
                const size_t slash = path.find_last_of('/');
                if (slash != std::string::npos) next = path.substr(0, slash + 1) + next;
            }
            read_config(next, desc, out, open_files);
            continue;
        }
        po::option opt(name, {value});
        opt.original_tokens = {name};
        out.push_back(std::move(opt));
    }
    open_files.pop_back();
}

} // namespace

Options parse_options(int argc, const char* const* argv) {
    po::options_description desc = describe();
    // QEMU writes `-icount shift=N` as two words; an option with an optional value takes only
    // the `--icount=V` form, so join the two here.
    std::vector<std::string> words(argv, argv + argc);
    for (size_t i = 1; i + 1 < words.size(); ++i)
        if ((words[i] == "-icount" || words[i] == "--icount") && !words[i + 1].empty() && words[i + 1][0] != '-') {
            words[i] = "--icount=" + words[i + 1];
            words.erase(words.begin() + long(i) + 1);
        }
    std::vector<const char*> args;
    for (const std::string& w : words) args.push_back(w.c_str());
    argc = int(args.size());
    argv = args.data();
    po::variables_map vm;
    const int style = (po::command_line_style::default_style & ~po::command_line_style::allow_guessing) |
                      po::command_line_style::allow_long_disguise;
    try {
        po::parsed_options parsed = po::command_line_parser(argc, argv).options(desc).style(style).run();
        // Without a positional description Boost keeps bare arguments and store() drops them:
        // say so instead of ignoring e.g. a firmware file given without -bios.
        for (const po::option& o : parsed.options)
            if (o.position_key >= 0 && !o.value.empty())
                throw UsageError("unexpected argument " + quote(o.value.front()) + " (give firmware with -bios FILE)");
        po::store(parsed, vm);
        if (vm.count("config")) {
            std::vector<po::option> read;
            std::vector<std::pair<dev_t, ino_t>> open_files;
            read_config(vm["config"].as<std::string>(), desc, read, open_files);
            po::parsed_options from_file(&desc);
            from_file.options = std::move(read);
            po::store(from_file, vm);
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(one_line(PoMessage::of(e)));
    }
    Options o;
    if (vm.count("help")) {
        std::ostringstream ss;
        ss << desc << "\nExit status: (v << 1) | 1, always odd, when the guest writes v to ports 0xF4-0xF7 (as QEMU's\n"
                      "isa-debug-exit); xlat's own statuses are even: " << kExitMaxInsns << " when --max-insns is reached, "
           << kExitTripleFault << " on a triple\nfault with -no-reboot, " << kExitHaltForever
           << " when the CPU halts with nothing to wake it, " << kExitOutputError << " when the debug\nconsole output "
              "cannot be written (a closed pipe, a full disk), " << kExitInternal << " for an internal error; and "
           << kExitBadInput << " for\nbad input, with one line on stderr.\n";
        o.help = true;
        o.help_text = ss.str();
        return o;
    }
    o.version = vm.count("version") > 0;
    // An empty file name is a mistake (an unset shell variable), not "the default".
    for (const char* name : {"bios", "kernel", "initrd"})
        if (vm.count(name) && vm[name].as<std::string>().empty())
            throw UsageError(std::string("-") + name + " needs a file name, not an empty string");
    if (vm.count("bios")) o.bios = vm["bios"].as<std::string>();
    if (vm.count("vga")) {
        o.vga = vm["vga"].as<std::string>();
        if (o.vga != "std" && o.vga != "none") throw UsageError("invalid -vga " + quote(o.vga) + ": use std or none");
    }
    for (const char* name : {"vgabios", "screenshot"})
        if (vm.count(name) && vm[name].as<std::string>().empty())
            throw UsageError(std::string("--") + name + " needs a file name, not an empty string");
    if (vm.count("vgabios")) o.vgabios = vm["vgabios"].as<std::string>();
    if (vm.count("screenshot")) o.screenshot = vm["screenshot"].as<std::string>();
    if (o.vga == "none" && !o.screenshot.empty()) throw UsageError("--screenshot needs a display: not with -vga none");
    o.drives = parse_disk_options(vm);
    o.boot = parse_boot_options(vm);
    const ConsoleOptions console = parse_console_options(vm);
    o.serial = console.serial;
    o.nographic = console.nographic;
    if (o.nographic && !vm.count("debugcon")) o.debugcon = "none";
    if (vm.count("memory")) o.ram_bytes = parse_size(vm["memory"].as<std::string>());
    if (o.ram_bytes < (1ull << 20) || o.ram_bytes > kMaxRamBytes || (o.ram_bytes & (kPageSize - 1)))
        throw UsageError("memory size " + quote(vm["memory"].as<std::string>()) +
                         " is not between 1M and 3G in whole 4 KiB pages");
    if (vm.count("debugcon-port")) {
        const std::string v = vm["debugcon-port"].as<std::string>();
        char* end = nullptr;
        errno = 0;
        const unsigned long port = v.empty() || v[0] == '-' ? 0x10000 : std::strtoul(v.c_str(), &end, 0);
        if (errno || !end || *end || port > 0xFFFF)
            throw UsageError("invalid --debugcon-port " + quote(v) + ": use a port number from 0 to 0xFFFF");
        o.debugcon_port = uint16_t(port);
    }
    if (vm.count("debugcon")) {
        o.debugcon = vm["debugcon"].as<std::string>();
        if (o.debugcon != "stdio" && o.debugcon != "none" &&
            !(o.debugcon.rfind("file:", 0) == 0 && o.debugcon.size() > 5))
            throw UsageError("invalid -debugcon " + quote(o.debugcon) + ": use stdio, file:PATH or none");
    }
    o.no_reboot = vm["no-reboot"].as<bool>();
    if (vm.count("cpu-mode")) {
        o.cpu_mode = vm["cpu-mode"].as<std::string>();
        if (o.cpu_mode != "interp" && o.cpu_mode != "jit") throw UsageError("invalid --cpu-mode " + quote(o.cpu_mode) + ": use interp or jit");
    }
    if (vm.count("jit-cache-size")) {
        const std::string v = vm["jit-cache-size"].as<std::string>();
        uint64_t n = 0;
        try {
            n = parse_size(v);
        } catch (const UsageError&) {
            n = 0;
        }
        if (n < (1u << 20) || n > (1u << 30))
            throw UsageError("invalid --jit-cache-size " + quote(v) + ": use a size from 1M to 1G");
        o.jit_cache_bytes = n;
    }
    if (vm.count("jit-hot-runs")) {
        const std::string v = vm["jit-hot-runs"].as<std::string>();
        char* endp = nullptr;
        const unsigned long n = v.empty() || v[0] == '-' ? 0 : std::strtoul(v.c_str(), &endp, 10);
        if (!endp || *endp || n < 1 || n > 1000000)
            throw UsageError("invalid --jit-hot-runs " + quote(v) + ": use a count from 1 to 1000000");
        o.jit_hot_runs = unsigned(n);
    }
    o.jit_perfmap = vm["jit-perfmap"].as<bool>();
    if (o.jit_perfmap && o.cpu_mode != "jit") throw UsageError("--jit-perfmap needs --cpu-mode jit: the interpreter emits no code");
    if (vm.count("jit-disable")) {
        try {
            o.jit_disable = parse_jit_disable(vm["jit-disable"].as<std::string>());
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    if (vm.count("max-insns")) o.max_insns = parse_max_insns(vm["max-insns"].as<std::string>());
    if (vm.count("rtc")) {
        const std::string v = vm["rtc"].as<std::string>();
        if (v.rfind("base=", 0) != 0 || v.find(',') != std::string::npos)
            throw UsageError("invalid -rtc " + quote(v) + ": use base=utc, base=localtime or base=DATE");
        o.rtc_base = v.substr(5);
    }
    if (vm.count("icount")) o.icount_shift = parse_icount(vm["icount"].as<std::string>());
    // A run with --icount repeats to the instruction: its RTC starts at a fixed date unless
    // -rtc says otherwise (devices/rtc.h).
    if (!vm.count("rtc") && o.icount_shift >= 0) o.rtc_base = kIcountRtcBase;
    o.stats = vm["stats"].as<bool>();
    if (vm.count("trace")) o.trace_mask = parse_trace(vm["trace"].as<std::string>(), &o.trace_help);
    if (vm.count("debug-break-insn")) {
        o.debug_break_insn = vm["debug-break-insn"].as<std::string>();
        if (!mnemonic_from_name(o.debug_break_insn))
            throw UsageError("--debug-break-insn: unknown mnemonic " + quote(o.debug_break_insn) + " (use Zydis's lower-case name, e.g. add)");
    }
    if (vm.count("dfilter")) o.trace_pc_ranges = parse_dfilter(vm["dfilter"].as<std::string>());
    if (vm.count("trace-file")) {
        o.trace_file = vm["trace-file"].as<std::string>();
        if (o.trace_file.empty()) throw UsageError("-D needs a file name, not an empty string");
    }
    if (vm.count("kernel")) o.kernel = vm["kernel"].as<std::string>();
    if (vm.count("append")) o.append = vm["append"].as<std::string>();
    if (vm.count("initrd")) {
        std::stringstream ss(vm["initrd"].as<std::string>());
        std::string item;
        while (std::getline(ss, item, ','))
            if (!item.empty()) o.initrd.push_back(item);
    }
    if (vm.count("gdb")) o.gdb = vm["gdb"].as<std::string>();
    else if (vm["gdb-default"].as<bool>()) o.gdb = "tcp::1234";
    o.start_stopped = vm["paused"].as<bool>();
    if (vm.count("qmp")) o.qmp = vm["qmp"].as<std::string>();
    if (vm.count("monitor")) o.monitor = vm["monitor"].as<std::string>();
    try {
        // QEMU's -gdb takes a chardev; a bare port as in older QEMU (-gdb 1234) too.
        if (!o.gdb.empty() && o.gdb.find(':') == std::string::npos) o.gdb = "tcp::" + o.gdb;
        if (!o.gdb.empty()) parse_listen_spec(o.gdb, "-gdb");
        for (const char* name : {"qmp", "monitor"}) {
            const std::string& v = name[0] == 'q' ? o.qmp : o.monitor;
            if (v.empty() || (name[0] == 'm' && v == "stdio")) continue;
            if (!parse_listen_spec(v, std::string("-") + name).server)
                throw std::invalid_argument(std::string("-") + name + " " + quote(v) +
                                            ": only the server side is supported: add ,server");
        }
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    if (o.kernel.empty() && (vm.count("append") || vm.count("initrd")))
        throw UsageError("-append and -initrd need -kernel");
    return o;
}

} // namespace xlat
