#include "frontend/serial_options.h"

#include "frontend/options.h"

namespace po = boost::program_options;

namespace xlat {

void add_serial_options(po::options_description& d) {
    d.add_options()
        ("serial", po::value<std::vector<std::string>>()->composing()->value_name("DEV"),
         "the next COM port's back end (COM1 first, up to four): stdio (the terminal, raw, Ctrl-A h "
         "lists the keys, Ctrl-A x quits), file:PATH (output only), tcp:[HOST]:PORT,server[,nowait] "
         "or unix:PATH,server (listen for one client; without nowait wait for it before starting) or none (default)")
        ("nographic", po::bool_switch(),
         "no display: COM1 on the terminal (unless -serial is given) and the debug console off "
         "(unless -debugcon is given), as QEMU's -nographic")
        ("display", po::value<std::string>()->value_name("TYPE"), "the display: none (xlat has no other yet)");
}

SerialSpec parse_serial_spec(const std::string& s) {
    SerialSpec spec;
    if (s == "none" || s == "null") return spec;
    // QEMU's mon:stdio multiplexes its monitor in; xlat's stdio does that always (Ctrl-A c).
    if (s == "stdio" || s == "mon:stdio") {
        spec.kind = SerialSpec::Stdio;
        return spec;
    }
    if (s.rfind("file:", 0) == 0 && s.size() > 5) {
        spec.kind = SerialSpec::File;
        spec.path = s.substr(5);
        return spec;
    }
    if (s.rfind("tcp:", 0) == 0 || s.rfind("unix:", 0) == 0) {
        spec.kind = SerialSpec::Listen;
        try {
            spec.listen = parse_listen_spec(s, "-serial");
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        if (!spec.listen.server) throw UsageError("-serial " + quote(s) + ": only servers are supported: add ',server'");
        return spec;
    }
    throw UsageError("invalid -serial " + quote(s) + ": use stdio, file:PATH, tcp:HOST:PORT,server, unix:PATH,server or none");
}

ConsoleOptions parse_console_options(const po::variables_map& vm) {
    ConsoleOptions c;
    c.nographic = vm["nographic"].as<bool>();
    if (vm.count("display")) {
        const std::string d = vm["display"].as<std::string>();
        if (d != "none") throw UsageError("invalid -display " + quote(d) + ": xlat has only -display none so far");
    }
    if (vm.count("serial")) c.serial = vm["serial"].as<std::vector<std::string>>();
    else if (c.nographic) c.serial = {"stdio"};
    if (c.serial.size() > 4) throw UsageError("more than four -serial ports (COM1 to COM4)");
    unsigned on_stdio = 0;
    for (const std::string& s : c.serial)
        if (parse_serial_spec(s).kind == SerialSpec::Stdio) ++on_stdio;
    if (on_stdio > 1) throw UsageError("-serial stdio given for more than one port");
    return c;
}

} // namespace xlat
