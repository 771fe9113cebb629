// The host terminal while a serial port reads from it: raw input (each key goes to the guest as
// it is typed: no line editing, no echo, no signals from Ctrl-C or Ctrl-Z, no CR-to-LF), output
// processing left on (a guest's "\n" still starts a new line). Its settings are restored on
// every way out of the process: the destructor (a normal end, an error that unwinds), exit()
// (atexit), and SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGABRT, after which the signal does what it
// would have done.
//
// The terminal belongs to the process, not to a machine, and a signal handler can reach only
// static storage: so the saved settings live in this file, for one RawTerminal at a time.
#pragma once

namespace xlat {

class RawTerminal {
public:
    // Puts `fd` into raw mode when it is a terminal (otherwise does nothing: active() is false).
    explicit RawTerminal(int fd = 0);
    ~RawTerminal() { restore(); }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    bool active() const { return active_; }
    // Puts the saved settings back (once; later calls do nothing).
    void restore();

private:
    bool active_ = false;
};

} // namespace xlat
