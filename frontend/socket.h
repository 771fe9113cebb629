// TCP listening sockets for the host ends of guest devices (serial back ends now; the monitor
// and the GDB stub can use the same): parse "HOST:PORT", listen, accept. Plain POSIX sockets,
// no state beyond the descriptors the caller owns.
#pragma once
#include <cstdint>
#include <string>

namespace xlat {

struct HostPort {
    std::string host;  // empty: every interface
    uint16_t port = 0; // 0: the kernel picks a free port (see local_port)
};
// Parses "HOST:PORT" ("[::1]:PORT" for an IPv6 address, ":PORT" for every interface). Returns
// false with a reason in `why` when it is malformed.
bool parse_host_port(const std::string& text, HostPort& out, std::string& why);
// Opens a listening TCP socket (close-on-exec, SO_REUSEADDR). Returns the descriptor, or -1
// with the reason in `why`.
int tcp_listen(const HostPort& where, std::string& why);
// The address a listening socket is bound to, "HOST:PORT" with the real port.
std::string local_address(int fd);
// Accepts one connection (close-on-exec); -1 on failure (errno set).
int tcp_accept(int listen_fd);

} // namespace xlat
