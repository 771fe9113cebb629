// The serial back ends on the command line, QEMU's spellings: -serial DEV, once per COM port in
// order (COM1 first), DEV one of
//   stdio, mon:stdio            the terminal: output to stdout, input from stdin (raw mode on a
//                               terminal, with QEMU's Ctrl-A escape keys; a pipe works too)
//   file:PATH                   output to a file (no input)
//   tcp:[HOST]:PORT,server[,nowait], unix:PATH,server[,nowait]   listen (frontend/listen_socket.h:
//                               HOST defaults to 127.0.0.1), one client at a time, both
//                               directions; without nowait the machine starts only once a
//                               client has connected (QEMU's server=on and wait=off work too)
//   none, null                  nothing (the port exists, its output is dropped)
// and -nographic (no display; COM1 on stdio unless -serial is given, the debug console off
// unless -debugcon is given) and -display none. The back ends themselves are in chardev.h.
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "frontend/listen_socket.h"

namespace xlat {

struct SerialSpec {
    enum Kind { None, Stdio, File, Listen } kind = None;
    std::string path;   // File
    ListenSpec listen;  // Listen: where, and whether to wait for the first client
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
