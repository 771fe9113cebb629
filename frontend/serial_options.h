// The serial back ends on the command line, QEMU's spellings: -serial DEV, once per COM port in
// order (COM1 first), DEV one of
//   stdio, mon:stdio            the terminal: output to stdout, input from stdin (raw mode on a
//                               terminal, with QEMU's Ctrl-A escape keys; a pipe works too)
//   file:PATH                   output to a file (no input)
//   tcp:[HOST]:PORT,server[,nowait]   listen, one client at a time, both directions; without
//                               nowait the machine starts only once a client has connected
//                               (QEMU's server=on and wait=off are accepted too)
//   none, null                  nothing (the port exists, its output is dropped)
// and -nographic (no display; COM1 on stdio unless -serial is given, the debug console off
// unless -debugcon is given) and -display none. The back ends themselves are in chardev.h.
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "frontend/socket.h"

namespace xlat {

struct SerialSpec {
    enum Kind { None, Stdio, File, Tcp } kind = None;
    std::string path;   // File
    HostPort address;   // Tcp
    bool wait = true;   // Tcp: wait for the first client before the machine starts
};
// Parses one -serial value; throws UsageError naming the problem.
SerialSpec parse_serial_spec(const std::string& text);

void add_serial_options(boost::program_options::options_description& d);

struct ConsoleOptions {
    std::vector<std::string> serial;  // -serial values, COM1 first, at most four, checked
    bool nographic = false;           // -nographic
};
ConsoleOptions parse_console_options(const boost::program_options::variables_map& vm);

} // namespace xlat
