// Test helpers for the GDB stub, QMP and monitor tests: a free TCP port, and a client socket
// that connects with retries (the xlat under test may not listen yet) and reads with a time limit.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace xlat_test {

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's choice for port 0).
inline int free_tcp_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (fd >= 0) close(fd);
        return 0;
    }
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    close(fd);
    return ntohs(sa.sin_port);
}

// Whether a listener could bind 127.0.0.1:port now (as xlat's -s binds 1234).
inline bool tcp_port_free(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(uint16_t(port));
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(fd);
    return ok;
}

class Client {
public:
    ~Client() { if (fd_ >= 0) close(fd_); }
    // Connects to 127.0.0.1:port or a unix socket path, retrying for up to timeout_s seconds.
    bool connect_tcp(int port, double timeout_s = 20) {
        return retry(timeout_s, [&] {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(uint16_t(port));
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
            close(fd);
            return -1;
        });
    }
    bool connect_unix(const std::string& path, double timeout_s = 20) {
        return retry(timeout_s, [&] {
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
            close(fd);
            return -1;
        });
    }
    bool send(const std::string& data) {
        return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == ssize_t(data.size());
    }
    // Reads until `done(buffer)` says the buffer holds what was wanted, the peer closes, or the
    // time limit passes; returns and consumes the buffer up to `done`'s position (npos: nothing).
    template <typename F> std::string read_until(F done, double timeout_s = 20) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        for (;;) {
            const size_t end = done(buf_);
            if (end != std::string::npos) {
                std::string out = buf_.substr(0, end);
                buf_.erase(0, end);
                return out;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || closed_) return {};
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, int(left.count())) <= 0) continue;
            char tmp[4096];
            const ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
            if (n <= 0) closed_ = true;
            else buf_.append(tmp, size_t(n));
        }
    }
    // One line (without its '\n').
    std::string line(double timeout_s = 20) {
        std::string l = read_until([](const std::string& b) { size_t p = b.find('\n'); return p == std::string::npos ? p : p + 1; }, timeout_s);
        if (!l.empty()) l.pop_back();
        return l;
    }
    // True when the peer closed the connection within the time limit.
    bool wait_closed(double timeout_s = 20) {
        read_until([](const std::string&) { return std::string::npos; }, timeout_s);
        return closed_;
    }
    bool connected() const { return fd_ >= 0; }

private:
    template <typename F> bool retry(double timeout_s, F attempt) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (std::chrono::steady_clock::now() < deadline) {
            fd_ = attempt();
            if (fd_ >= 0) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    int fd_ = -1;
    bool closed_ = false;
    std::string buf_;
};

} // namespace xlat_test
