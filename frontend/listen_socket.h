// Listening sockets for the GDB stub, QMP and the monitor: QEMU's chardev spellings
// "tcp:HOST:PORT[,server][,nowait]" and "unix:PATH[,server][,nowait]" (only the server side).
#pragma once
#include <string>

namespace xlat {

struct ListenSpec {
    bool is_unix = false;
    std::string host;    // tcp: the address to bind; empty: 127.0.0.1 (QEMU binds every
                         // interface; a guest's memory is not for the whole network unless asked)
    int port = 0;        // tcp
    std::string path;    // unix
    bool server = false; // ",server" (or "server=on") was given
    bool wait = true;    // without ",nowait": wait for the first client before the guest starts
};

// Parses `text`; `option` names the option in the error (std::invalid_argument, one line).
ListenSpec parse_listen_spec(const std::string& text, const std::string& option);
// Binds and listens (a unix path that exists as a socket is replaced). Throws
// std::runtime_error naming the address and errno's text.
int open_listener(const ListenSpec& spec);
// "tcp:127.0.0.1:1234" or "unix:/path", for messages.
std::string describe(const ListenSpec& spec);

// A self-pipe that wakes a thread blocked in poll(): the read end goes in its poll set.
class WakePipe {
public:
    WakePipe();
    ~WakePipe();
    WakePipe(const WakePipe&) = delete;
    WakePipe& operator=(const WakePipe&) = delete;
    int fd() const { return fds_[0]; }
    void wake();   // any thread
    void drain();  // the polling thread, after poll() said fd() is readable
private:
    int fds_[2] = {-1, -1};
};

// Writes all of `data` to a socket (MSG_NOSIGNAL); false when the peer is gone.
bool send_all(int fd, const std::string& data);

} // namespace xlat
