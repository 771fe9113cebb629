#include "frontend/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace xlat {

ListenSpec parse_listen_spec(const std::string& text, const std::string& option) {
    std::vector<std::string> parts;
    std::stringstream ss(text);
    for (std::string p; std::getline(ss, p, ',');) parts.push_back(p);
    const auto bad = [&](const std::string& why) {
        return std::invalid_argument("invalid " + option + " '" + text + "': " + why);
    };
    if (parts.empty() || parts[0].empty())
        throw bad("use tcp:HOST:PORT or unix:PATH, with ,server and ,nowait as needed");
    ListenSpec spec;
    const std::string& addr = parts[0];
    if (addr.rfind("unix:", 0) == 0) {
        spec.is_unix = true;
        spec.path = addr.substr(5);
        if (spec.path.empty()) throw bad("unix: needs a path");
        if (spec.path.size() >= sizeof(sockaddr_un{}.sun_path)) throw bad("the socket path is too long");
    } else if (addr.rfind("tcp:", 0) == 0) {
        const std::string rest = addr.substr(4);
        const size_t colon = rest.rfind(':');
        if (colon == std::string::npos) throw bad("tcp: needs HOST:PORT (HOST may be empty: tcp::1234)");
        spec.host = rest.substr(0, colon);
        const std::string port = rest.substr(colon + 1);
        if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(port) > 65535)
            throw bad("the port must be a number from 0 to 65535");
        spec.port = std::stoi(port);
    } else {
        throw bad("use tcp:HOST:PORT or unix:PATH");
    }
    for (size_t i = 1; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        if (p == "server" || p == "server=on") spec.server = true;
        else if (p == "server=off") spec.server = false;
        else if (p == "nowait" || p == "wait=off") spec.wait = false;
        else if (p == "wait" || p == "wait=on") spec.wait = true;
        else throw bad("unknown setting '" + p + "' (known: server, nowait, wait=on|off)");
    }
    return spec;
}

std::string describe(const ListenSpec& spec) {
    if (spec.is_unix) return "unix:" + spec.path;
    return "tcp:" + (spec.host.empty() ? std::string("127.0.0.1") : spec.host) + ":" + std::to_string(spec.port);
}

int open_listener(const ListenSpec& spec) {
    const auto fail = [&](const char* what) {
        return std::runtime_error(std::string("cannot ") + what + " " + describe(spec) + ": " + std::strerror(errno));
    };
    int fd;
    if (spec.is_unix) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw fail("create a socket for");
        struct stat st;
        // A socket left by an earlier run is replaced; any other file is not ours to remove.
        if (lstat(spec.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(spec.path.c_str());
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::memcpy(sa.sun_path, spec.path.c_str(), spec.path.size());
        if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            auto e = fail("listen on");
            close(fd);
            throw e;
        }
    } else {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        addrinfo* res = nullptr;
        const std::string host = spec.host.empty() ? "127.0.0.1" : spec.host;
        const std::string port = std::to_string(spec.port);
        if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
            throw std::runtime_error("cannot listen on " + describe(spec) + ": " + gai_strerror(rc));
        fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            freeaddrinfo(res);
            throw fail("create a socket for");
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        const int rc = bind(fd, res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        if (rc != 0) {
            auto e = fail("listen on");
            close(fd);
            throw e;
        }
    }
    if (listen(fd, 1) != 0) {
        auto e = fail("listen on");
        close(fd);
        throw e;
    }
    return fd;
}

WakePipe::WakePipe() {
    if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
}

WakePipe::~WakePipe() {
    close(fds_[0]);
    close(fds_[1]);
}

void WakePipe::wake() {
    const char b = 1;
    ssize_t n = write(fds_[1], &b, 1);  // a full pipe is already awake
    (void)n;
}

void WakePipe::drain() {
    char buf[64];
    while (read(fds_[0], buf, sizeof buf) > 0) {
    }
}

bool send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

} // namespace xlat
