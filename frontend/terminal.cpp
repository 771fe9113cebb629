#include "frontend/terminal.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

namespace xlat {

namespace {

// See the header: what a signal handler and atexit must reach.
int g_fd = -1;
termios g_saved;
volatile sig_atomic_t g_raw = 0;
bool g_handlers = false;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT};

void put_back() {
    // tcsetattr is async-signal-safe (POSIX.1-2008, 2.4.3).
    if (g_raw) {
        tcsetattr(g_fd, TCSANOW, &g_saved);
        g_raw = 0;
    }
}

void on_signal(int sig) {
    put_back();
    // SA_RESETHAND put the default action back; SA_NODEFER lets it act now.
    raise(sig);
}

void on_exit_hook() { put_back(); }

} // namespace

RawTerminal::RawTerminal(int fd) {
    if (g_raw || !isatty(fd)) return;
    termios t;
    if (tcgetattr(fd, &t) != 0) return;
    g_fd = fd;
    g_saved = t;
    if (!g_handlers) {
        g_handlers = true;
        std::atexit(on_exit_hook);
        for (int sig : kSignals) {
            struct sigaction old {};
            sigaction(sig, nullptr, &old);
            if (old.sa_handler == SIG_IGN) continue;  // keep what the parent asked for (nohup)
            struct sigaction sa {};
            sa.sa_handler = on_signal;
            sa.sa_flags = SA_RESETHAND | SA_NODEFER;
            sigemptyset(&sa.sa_mask);
            sigaction(sig, &sa, nullptr);
        }
    }
    // Input: bytes as they come (no BRKINT, ICRNL, INLCR, IGNCR, ISTRIP, IXON: a guest shell wants
    // its Ctrl-S and its CR), no echo, no canonical mode, no ISIG (Ctrl-C and Ctrl-Z go to the
    // guest; Ctrl-A x is the way out), 8-bit characters. OPOST stays as it was.
    t.c_iflag &= tcflag_t(~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON));
    t.c_lflag &= tcflag_t(~(ECHO | ECHONL | ICANON | ISIG | IEXTEN));
    t.c_cflag &= tcflag_t(~(CSIZE | PARENB));
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    g_raw = 1;
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        g_raw = 0;
        return;
    }
    active_ = true;
}

void RawTerminal::restore() {
    if (!active_) return;
    active_ = false;
    put_back();
}

} // namespace xlat
