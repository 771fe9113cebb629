// The host ends of the COM ports (-serial, see serial_options.h): where a guest's bytes go and
// where its input comes from.
//
// Output runs on the machine's thread: the UART's transmit calls the port's sink, which buffers
// and writes at a line end, at 4 KiB, or 1 ms of guest time after the first unwritten byte (a
// ClockEvent), so a shell prompt shows without a line end and a boot log costs one write per line.
//
// Input comes from a reader thread per port (stdin, a TCP client): it queues what it reads (at
// most 64 KiB, then it stops reading: the back pressure reaches a pipe's writer) and posts to
// the machine (Machine::post, which sets kExitAsync: nothing is polled at instruction
// boundaries, docs/runloop.md). On the machine's thread a ClockEvent moves queued bytes into the
// UART while it has room and the guest asserts RTS (Uart16550::rx_space); when a read of the
// receiver makes room, the next bytes come one character time later, as on the line.
//
// On stdio the terminal goes raw (terminal.h) and QEMU's escape keys work: Ctrl-A x quits (exit
// status 0), Ctrl-A h lists the keys, Ctrl-A b sends a break (Linux's SysRq), Ctrl-A Ctrl-A
// sends a Ctrl-A, Ctrl-A c switches between the guest's console and the human monitor (as QEMU's
// mon:stdio): while the monitor has the keys, they make command lines (echoed, Backspace
// edits, Enter runs the line through `monitor`) and the guest's output still shows. A pipe on
// stdin works too: its bytes go to the guest, the same keys apply, and its end is just the end
// of input.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace xlat {

class Machine;
class Uart16550;
struct SerialPortEnd;  // chardev.cpp

class SerialBackends {
public:
    // Opens the files and the listening sockets of `specs` (the -serial values, COM1 first);
    // throws UsageError with one line when one cannot be opened.
    explicit SerialBackends(const std::vector<std::string>& specs);
    ~SerialBackends();
    SerialBackends(const SerialBackends&) = delete;
    SerialBackends& operator=(const SerialBackends&) = delete;

    // The transmit sink of COM(i+1); empty when the port has no back end. Machine's thread.
    std::function<void(uint8_t)> sink(unsigned i);
    // Once the machine is built and before it runs: waits for the first client of the tcp
    // servers that asked for it (one line on stderr says where), puts the terminal in raw
    // mode, connects each port's input to `uarts[i]` and starts the readers.
    void start(Machine& machine, const std::array<Uart16550*, 4>& uarts);
    // Runs a monitor command line and returns its output (called on the reader thread), for
    // Ctrl-A c on stdio; set before start(). Unset: Ctrl-A c says there is no monitor.
    std::function<std::string(const std::string&)> monitor;
    // The monitor's greeting and first prompt, printed when Ctrl-A c gives it the keys.
    std::string monitor_greeting = "(xlat) ";
    // Stops the readers, restores the terminal, writes what is buffered and closes; returns the
    // errno of the first write that failed (0: none).
    int close();

private:
    std::array<std::unique_ptr<SerialPortEnd>, 4> ports_;
};

} // namespace xlat
