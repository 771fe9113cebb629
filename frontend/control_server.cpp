#include "frontend/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace xlat {

ControlServer::ControlServer(Machine& machine, const ListenSpec* spec) : m_(machine), stdio_(spec == nullptr) {
    if (spec) {
        spec_ = *spec;
        listen_fd_ = open_listener(spec_);
    }
    m_.add_listener([this](const Machine::RunEvent& e) {
        std::lock_guard<std::mutex> lock(mu_);
        events_.push_back(e);
        wake_.wake();
    });
}

ControlServer::~ControlServer() {
    if (in_ >= 0 && !stdio_) close(in_);
    if (listen_fd_ >= 0) close(listen_fd_);
    if (!stdio_ && spec_.is_unix) unlink(spec_.path.c_str());
}

void ControlServer::start() {
    if (stdio_) {
        in_ = 0;
        out_ = 1;
        on_connect();
    } else if (spec_.wait) {
        // QEMU's "server" without "nowait": the guest starts once a client is there.
        std::fprintf(stderr, "xlat: waiting for a connection on %s\n", describe(spec_).c_str());
        accept_client();
    }
    thread_ = std::thread([this] { thread_main(); });
}

void ControlServer::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    wake_.wake();
    thread_.join();
}

void ControlServer::accept_client() {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    in_ = out_ = fd;
    inbuf_.clear();
    on_connect();
}

void ControlServer::disconnect() {
    if (in_ < 0) return;
    if (!stdio_) close(in_);
    in_ = out_ = -1;
}

void ControlServer::write(const std::string& text) {
    if (out_ < 0) return;
    bool ok;
    if (stdio_) {
        ok = true;
        for (size_t off = 0; off < text.size();) {
            const ssize_t n = ::write(out_, text.data() + off, text.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { ok = false; break; }
            off += size_t(n);
        }
    } else {
        ok = send_all(out_, text);
    }
    if (!ok) disconnect();
}

void ControlServer::drain_events() {
    std::deque<Machine::RunEvent> evs;
    {
        std::lock_guard<std::mutex> lock(mu_);
        evs.swap(events_);
    }
    for (const Machine::RunEvent& e : evs) on_event(e);
}

void ControlServer::thread_main() {
    for (;;) {
        pollfd fds[2] = {{wake_.fd(), POLLIN, 0}, {in_ >= 0 ? in_ : listen_fd_, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[0].revents & POLLIN) {
            wake_.drain();
            drain_events();
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) return;
        }
        if (fds[1].fd < 0 || !(fds[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (in_ < 0) {
            accept_client();
            continue;
        }
        char buf[4096];
        const ssize_t n = read(in_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // The client left; a listening server takes the next one. Stdin at its end
            // leaves nothing more to read.
            disconnect();
            continue;
        }
        inbuf_.append(buf, size_t(n));
        on_input(inbuf_);
    }
}

} // namespace xlat
