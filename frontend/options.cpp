#include "frontend/options.h"

#include <sys/stat.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>

#include "memory/phys.h"
#include "memory/trace.h"

namespace po = boost::program_options;

namespace xlat {

uint64_t parse_size(const std::string& text) {
    size_t pos = 0;
    uint64_t n = 0;
    bool digits = false;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        n = n * 10 + uint64_t(text[pos++] - '0');
        digits = true;
        if (n > (1ull << 40)) throw UsageError("memory size '" + text + "' is too large");
    }
    std::string suffix = text.substr(pos);
    uint64_t unit;
    if (suffix.empty() || suffix == "M" || suffix == "m" || suffix == "MB" || suffix == "MiB") unit = 1ull << 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GB" || suffix == "GiB") unit = 1ull << 30;
    else if (suffix == "K" || suffix == "k" || suffix == "KB" || suffix == "KiB") unit = 1ull << 10;
    else digits = false;
    if (!digits)
        throw UsageError("invalid memory size '" + text + "': use a number with an optional K, M or G suffix");
    return n * unit;
}

uint32_t parse_trace(const std::string& text) {
    uint32_t mask = 0;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        bool found = false;
        for (const TraceName& t : kTraceNames)
            if (item == t.name) { mask |= t.flag; found = true; }
        if (!found) {
            std::string known;
            for (const TraceName& t : kTraceNames) known += std::string(known.empty() ? "" : ", ") + t.name;
            throw UsageError("unknown trace '" + item + "' (known: " + known + ")");
        }
    }
    return mask;
}

int parse_icount(const std::string& text) {
    std::string v = text;
    if (v.rfind("shift=", 0) == 0) v = v.substr(6);
    if (v.empty()) return 0;
    if (v == "auto")
        throw UsageError("-icount shift=auto (adaptive) is not supported: give a fixed shift, 0 to 10");
    if (v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) > 10)
        throw UsageError("invalid -icount '" + text + "': use shift=N with N from 0 to 10");
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
         "(default: the demo ROM built beside xlat)")
        ("memory,m", po::value<std::string>()->value_name("SIZE"),
         "guest RAM: 128M, 1G, ... (no suffix: MiB; at most 3G; default 128M)")
        ("debugcon", po::value<std::string>()->value_name("DEV"),
         "where port 0xE9 output goes: stdio (default), file:PATH or none")
        ("no-reboot", po::bool_switch(), "exit with status 125 on a triple fault instead of resetting")
        ("cpu-mode", po::value<std::string>()->value_name("MODE"),
         "interp (the reference interpreter, default) or jit (the translator: not built yet)")
        ("max-insns", po::value<uint64_t>()->value_name("N"), "stop after N instructions (exit status 124)")
        ("rtc", po::value<std::string>()->value_name("base=B"),
         "the RTC's time at power-on: base=utc (default), base=localtime or base=DATE "
         "(2006-06-17T16:01:21 or 2006-06-17), as QEMU's -rtc")
        ("icount", po::value<std::string>()->implicit_value("")->value_name("shift=N"),
         "guest time from the instruction count, each instruction 2^N ns (N 0-10, default 0), as "
         "QEMU's -icount shift=N: runs repeat to the instruction (default: the host's clock)")
        ("stats", po::bool_switch(), "print execution statistics at exit")
        ("trace", po::value<std::string>()->value_name("LIST"), ("comma-separated trace points:" + traces).c_str())
        ("kernel", po::value<std::string>()->value_name("FILE"),
         "boot a Multiboot (v1) kernel, ELF or a.out kludge, in flat 32-bit protected mode")
        ("append", po::value<std::string>()->value_name("STR"), "the kernel's command line (with -kernel)")
        ("initrd", po::value<std::string>()->value_name("FILES"),
         "Multiboot modules, comma-separated; each is a file name and optional arguments (with -kernel)")
        ("config", po::value<std::string>()->value_name("FILE"),
         "read options from FILE, one 'name = value' per line (the names above, without dashes)");
    return d;
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
                throw UsageError("unexpected argument '" + o.value.front() + "' (give firmware with -bios FILE)");
        po::store(parsed, vm);
        if (vm.count("config")) {
            const std::string path = vm["config"].as<std::string>();
            // A regular file of sensible size: a device such as /dev/zero would be read forever.
            struct stat st;
            if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
                throw UsageError("cannot read config file '" + path + "': not a regular file");
            if (st.st_size > (1 << 20)) throw UsageError("config file '" + path + "' is larger than 1 MiB");
            std::ifstream in(path);
            if (!in) throw UsageError("cannot read config file '" + path + "'");
            po::store(po::parse_config_file(in, desc), vm);
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    Options o;
    if (vm.count("help")) {
        std::ostringstream ss;
        ss << desc << "\nExit status: (v << 1) | 1 when the guest writes v to port 0xF4; 124 when --max-insns is\n"
                      "reached; 125 on a triple fault with -no-reboot; 3 when the CPU halts with nothing to wake\n"
                      "it; 1 for bad input; 2 for an internal error.\n";
        o.help = true;
        o.help_text = ss.str();
        return o;
    }
    o.version = vm.count("version") > 0;
    if (vm.count("bios")) o.bios = vm["bios"].as<std::string>();
    if (vm.count("memory")) o.ram_bytes = parse_size(vm["memory"].as<std::string>());
    if (o.ram_bytes < (1ull << 20) || o.ram_bytes > kMaxRamBytes || (o.ram_bytes & (kPageSize - 1)))
        throw UsageError("memory size must be between 1M and 3G in whole 4 KiB pages");
    if (vm.count("debugcon")) {
        o.debugcon = vm["debugcon"].as<std::string>();
        if (o.debugcon != "stdio" && o.debugcon != "none" &&
            !(o.debugcon.rfind("file:", 0) == 0 && o.debugcon.size() > 5))
            throw UsageError("invalid -debugcon '" + o.debugcon + "': use stdio, file:PATH or none");
    }
    o.no_reboot = vm["no-reboot"].as<bool>();
    if (vm.count("cpu-mode")) {
        o.cpu_mode = vm["cpu-mode"].as<std::string>();
        if (o.cpu_mode == "jit")
            throw UsageError("--cpu-mode jit: the translator is not built yet; use --cpu-mode interp");
        if (o.cpu_mode != "interp") throw UsageError("invalid --cpu-mode '" + o.cpu_mode + "': use interp or jit");
    }
    if (vm.count("max-insns")) o.max_insns = vm["max-insns"].as<uint64_t>();
    if (vm.count("rtc")) {
        const std::string v = vm["rtc"].as<std::string>();
        if (v.rfind("base=", 0) != 0 || v.find(',') != std::string::npos)
            throw UsageError("invalid -rtc '" + v + "': use base=utc, base=localtime or base=DATE");
        o.rtc_base = v.substr(5);
    }
    if (vm.count("icount")) o.icount_shift = parse_icount(vm["icount"].as<std::string>());
    o.stats = vm["stats"].as<bool>();
    if (vm.count("trace")) o.trace_mask = parse_trace(vm["trace"].as<std::string>());
    if (vm.count("kernel")) o.kernel = vm["kernel"].as<std::string>();
    if (vm.count("append")) o.append = vm["append"].as<std::string>();
    if (vm.count("initrd")) {
        std::stringstream ss(vm["initrd"].as<std::string>());
        std::string item;
        while (std::getline(ss, item, ','))
            if (!item.empty()) o.initrd.push_back(item);
    }
    if (o.kernel.empty() && (vm.count("append") || vm.count("initrd")))
        throw UsageError("-append and -initrd need -kernel");
    return o;
}

} // namespace xlat
