// The serial back ends on the command line, QEMU's spelling: -serial DEV, once per COM port in
// order (COM1 first). DEV is stdio, file:PATH or none.
//
// Only output is connected so far: what the guest sends appears on stdout or in the file. Host
// input (and with it the raw terminal and QEMU's Ctrl-A x / Ctrl-A h keys) needs the run loop to
// take bytes from another thread (docs/runloop.md, kExitAsync) and is not wired yet.
#pragma once
#include <array>
#include <boost/program_options.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace xlat {

void add_serial_options(boost::program_options::options_description& d);
// The -serial values, checked (at most four; each stdio, file:PATH or none).
std::vector<std::string> parse_serial_options(const boost::program_options::variables_map& vm);

// The host side of the COM ports: opens files (UsageError with one line when one cannot be
// opened) and hands out the byte sinks the UARTs transmit to.
class SerialBackends {
public:
    explicit SerialBackends(const std::vector<std::string>& specs);
    ~SerialBackends();
    SerialBackends(const SerialBackends&) = delete;
    SerialBackends& operator=(const SerialBackends&) = delete;
    // The transmit sink of COM(i+1); empty when the port has no back end.
    std::function<void(uint8_t)> sink(unsigned i);
    // Flushes and closes; returns the first write error's errno (0: none).
    int close();

private:
    struct Port {
        FILE* file = nullptr;
        bool own = false;
        int error = 0;
    };
    std::array<Port, 4> ports_;
};

} // namespace xlat
