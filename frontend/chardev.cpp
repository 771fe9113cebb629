#include "frontend/chardev.h"

#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "devices/uart.h"
#include "frontend/machine.h"
#include "frontend/options.h"
#include "frontend/serial_options.h"
#include "frontend/listen_socket.h"
#include "frontend/terminal.h"

namespace xlat {

namespace {

constexpr size_t kMaxQueued = 64 << 10;     // input waiting for the guest, per port
constexpr size_t kOutChunk = 4 << 10;       // output written at once when this much is buffered
constexpr uint64_t kFlushDelayNs = 1000000; // output written at most this long after its first byte
constexpr uint8_t kEscape = 0x01;           // Ctrl-A
constexpr char16_t kBreak = 0x100;          // in an input queue: a break, not a byte

// Accepts one client (close-on-exec, and for TCP no Nagle delay: keystrokes and echoes are
// single bytes); -1 on failure.
int accept_client(int listen_fd) {
    int fd;
    do fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    const int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on unix
    return fd;
}

// Where a listener is, for the waiting line: the port the kernel chose when the spec said 0.
std::string bound_address(int fd, const ListenSpec& spec) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    if (spec.is_unix || getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return describe(spec);
    if (ss.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return "tcp:" + std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    }
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "tcp:[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

const char kEscapeHelp[] =
    "\nxlat: Ctrl-A then\n"
    "  x        quit xlat (exit status 0)\n"
    "  h or ?   print this list\n"
    "  b        send a break (Linux: the SysRq key; then the SysRq command key)\n"
    "  c        switch between the guest's console and the monitor\n"
    "  Ctrl-A   send Ctrl-A to the guest\n";

} // namespace

struct SerialPortEnd {
    unsigned index = 0;  // COM(index + 1)
    SerialSpec spec;
    // Output (the machine's thread).
    FILE* file = nullptr;  // stdio and file
    bool own_file = false;
    std::string out;
    int error = 0;  // errno of the first failed write
    // The tcp server: the reader thread accepts, both threads use the client.
    int listen_fd = -1;
    std::mutex client_mutex;
    int client_fd = -1;
    // The machine side, from start() on.
    Machine* machine = nullptr;
    Uart16550* uart = nullptr;
    std::unique_ptr<ClockEvent> flush_event, pump_event;
    // Input.
    std::thread reader;
    int wake[2] = {-1, -1};  // a byte here stops the reader
    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::u16string queue;  // bytes, and kBreak
    bool stopping = false;
    bool counted = false;  // holds one of machine->async_inputs
    bool escape = false;   // stdio: Ctrl-A seen
    std::unique_ptr<RawTerminal> terminal;
    const std::function<std::string(const std::string&)>* monitor = nullptr;  // SerialBackends::monitor
    const std::string* monitor_greeting = nullptr;
    bool monitor_focus = false;  // stdio: Ctrl-A c gave the keys to the monitor
    std::string monitor_line;    // the command line being typed

    ~SerialPortEnd() { shut(); }

    // ---- output ----
    void put(uint8_t b) {
        out.push_back(char(b));
        if (b == '\n' || out.size() >= kOutChunk) flush_out();
        else if (flush_event && !flush_event->pending()) flush_event->schedule(machine->clock.now() + kFlushDelayNs);
    }
    void flush_out() {
        if (flush_event) flush_event->cancel();
        if (out.empty()) return;
        if (spec.kind == SerialSpec::Listen) {
            std::lock_guard<std::mutex> lock(client_mutex);
            // A client that is gone: the reader closes it and accepts the next.
            if (client_fd >= 0 && !send_all(client_fd, out)) shutdown(client_fd, SHUT_RDWR);
        } else if (file && !error) {
            errno = 0;
            if (std::fwrite(out.data(), 1, out.size(), file) != out.size() || std::fflush(file) != 0)
                error = errno ? errno : EIO;
        }
        out.clear();
    }

    // ---- input, the reader thread ----
    // Queues bytes for the guest; false when the port is shutting down.
    bool deliver(const std::u16string& bytes) {
        if (bytes.empty()) return true;
        bool kick;
        {
            std::unique_lock<std::mutex> lock(queue_mutex);
            queue_cv.wait(lock, [&] { return stopping || queue.size() < kMaxQueued; });
            if (stopping) return false;
            kick = queue.empty();
            queue += bytes;
        }
        if (kick) machine->post([this] {
            if (!pump_event->pending()) pump_event->schedule(machine->clock.now());
        });
        return true;
    }
    // The escape keys of stdio; returns the bytes for the guest, or false after Ctrl-A x.
    bool unescape(const char* p, size_t n, std::u16string& to_guest) {
        for (size_t i = 0; i < n; ++i) {
            const uint8_t c = uint8_t(p[i]);
            if (!escape) {
                if (c == kEscape) escape = true;
                else if (monitor_focus && !monitor_key(c)) return false;
                else if (!monitor_focus) to_guest.push_back(c);
                continue;
            }
            escape = false;
            switch (c) {
            case 'x':
            case 'X':
                std::fputs("\nxlat: terminated (Ctrl-A x)\n", stderr);
                machine->post([m = machine] { m->quit(0); });  // status 0, as QEMU's Ctrl-A x
                return false;
            case 'h':
            case 'H':
            case '?': std::fputs(kEscapeHelp, stderr); break;
            case 'c':
            case 'C':
                if (!*monitor) {
                    std::fputs("\nxlat: there is no monitor on this console (-monitor stdio has the terminal)\n", stderr);
                } else {
                    monitor_focus = !monitor_focus;
                    monitor_line.clear();
                    console_write(monitor_focus ? "\n" + *monitor_greeting : std::string("\n"));
                }
                break;
            case 'b':
            case 'B': to_guest.push_back(kBreak); break;
            case kEscape:
                if (monitor_focus) monitor_line.push_back(char(kEscape));
                else to_guest.push_back(kEscape);
                break;
            default: break;  // an unknown key after Ctrl-A is dropped with it, as in QEMU
            }
        }
        return true;
    }
    // Text from the monitor to the terminal (the reader thread; stdout's lock keeps it apart
    // from the guest's output, which the machine's thread writes).
    void console_write(const std::string& text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    }
    // A key while the monitor has the keys: line editing and echo (the terminal is raw);
    // false once the command ended xlat (quit).
    bool monitor_key(uint8_t c) {
        if (c == '\r' || c == '\n') {
            const std::string line = monitor_line;
            monitor_line.clear();
            console_write("\n");
            std::string out = (*monitor)(line);
            const bool quit = line == "quit" || line == "q";
            console_write(out + (quit ? "" : "(xlat) "));
            return !quit;
        }
        if (c == 0x7F || c == 0x08) {
            if (!monitor_line.empty()) {
                monitor_line.pop_back();
                console_write("\b \b");
            }
            return true;
        }
        if (c >= 0x20 && monitor_line.size() < 4096) {
            monitor_line.push_back(char(c));
            console_write(std::string(1, char(c)));
        }
        return true;
    }
    // Waits until `fd` is readable; false when woken to stop.
    bool wait_readable(int fd) {
        for (;;) {
            pollfd fds[2] = {{fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
            const int n = poll(fds, 2, -1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 || fds[1].revents) return false;
            if (fds[0].revents) return true;
        }
    }
    void read_stdin() {
        char buf[4096];
        for (;;) {
            if (!wait_readable(0)) return;
            const ssize_t n = read(0, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) return;  // the end of input: the guest just gets no more
            std::u16string to_guest;
            const bool go_on = unescape(buf, size_t(n), to_guest);
            if (!deliver(to_guest) || !go_on) return;
        }
    }
    void read_tcp() {
        char buf[4096];
        for (;;) {
            int fd;
            {
                std::lock_guard<std::mutex> lock(client_mutex);
                fd = client_fd;
            }
            if (fd < 0) {
                if (!wait_readable(listen_fd)) return;
                const int c = accept_client(listen_fd);
                std::lock_guard<std::mutex> lock(client_mutex);
                client_fd = c;
                continue;
            }
            if (!wait_readable(fd)) return;
            const ssize_t n = read(fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {  // the client left: wait for the next one
                std::lock_guard<std::mutex> lock(client_mutex);
                ::close(client_fd);
                client_fd = -1;
                continue;
            }
            if (!deliver(std::u16string(reinterpret_cast<const unsigned char*>(buf),
                                        reinterpret_cast<const unsigned char*>(buf) + n)))
                return;
        }
    }
    void read_loop() {
        if (spec.kind == SerialSpec::Listen) read_tcp();
        else read_stdin();
        // No more input can come from here: a halted CPU that waited for it may now be done.
        if (counted) {
            machine->async_inputs.fetch_sub(1, std::memory_order_acq_rel);
            machine->post([] {});
        }
    }

    // ---- the machine's thread ----
    void pump() {
        std::u16string take;
        {
            std::lock_guard<std::mutex> lock(queue_mutex);
            const size_t n = std::min<size_t>(uart->rx_space(), queue.size());
            take.assign(queue, 0, n);
            queue.erase(0, n);
            if (n) queue_cv.notify_all();
        }
        for (char16_t c : take) {
            if (c == kBreak) uart->receive_break();
            else uart->receive(uint8_t(c));
        }
    }
    void on_rx_ready() {
        if (pump_event->pending()) return;
        bool waiting;
        {
            std::lock_guard<std::mutex> lock(queue_mutex);
            waiting = !queue.empty();
        }
        // The next character arrives one character time after the room was made, as on the line.
        if (waiting) pump_event->schedule(machine->clock.now() + uart->char_time_ns());
    }

    void start(Machine& m, Uart16550* u) {
        machine = &m;
        uart = u;
        flush_event = std::make_unique<ClockEvent>(m.clock, "com" + std::to_string(index + 1) + " output",
                                                   [this](uint64_t) { flush_out(); });
        if (spec.kind != SerialSpec::Stdio && spec.kind != SerialSpec::Listen) return;
        pump_event = std::make_unique<ClockEvent>(m.clock, "com" + std::to_string(index + 1) + " input",
                                                  [this](uint64_t) { pump(); });
        u->rx_ready = [this] { on_rx_ready(); };
        if (spec.kind == SerialSpec::Stdio) terminal = std::make_unique<RawTerminal>(0);
        if (pipe2(wake, O_CLOEXEC) != 0) throw std::runtime_error("cannot make a pipe for the serial reader");
        counted = true;
        m.async_inputs.fetch_add(1, std::memory_order_acq_rel);
        reader = std::thread([this] { read_loop(); });
    }

    // Stops the reader, restores the terminal, writes what is left, closes; safe to repeat.
    void shut() {
        if (reader.joinable()) {
            {
                std::lock_guard<std::mutex> lock(queue_mutex);
                stopping = true;
            }
            queue_cv.notify_all();
            const char b = 0;
            ssize_t ignored = write(wake[1], &b, 1);
            (void)ignored;
            reader.join();
        }
        for (int& fd : wake)
            if (fd >= 0) ::close(fd), fd = -1;
        terminal.reset();
        flush_out();
        flush_event.reset();
        pump_event.reset();
        if (uart) uart->rx_ready = nullptr;
        uart = nullptr;
        if (file) {
            if (std::fflush(file) != 0 && !error) error = errno ? errno : EIO;
            if (own_file && std::fclose(file) != 0 && !error) error = errno ? errno : EIO;
            file = nullptr;
        }
        std::lock_guard<std::mutex> lock(client_mutex);
        if (client_fd >= 0) ::close(client_fd), client_fd = -1;
        if (listen_fd >= 0) ::close(listen_fd), listen_fd = -1;
    }
};

SerialBackends::SerialBackends(const std::vector<std::string>& specs) {
    for (size_t i = 0; i < specs.size() && i < 4; ++i) {
        auto p = std::make_unique<SerialPortEnd>();
        p->index = unsigned(i);
        p->spec = parse_serial_spec(specs[i]);
        switch (p->spec.kind) {
        case SerialSpec::None: continue;
        case SerialSpec::Stdio: p->file = stdout; break;
        case SerialSpec::File:
            p->file = std::fopen(p->spec.path.c_str(), "wb");
            if (!p->file) throw UsageError("cannot open serial file " + quote(p->spec.path) + ": " + std::strerror(errno));
            p->own_file = true;
            break;
        case SerialSpec::Listen:
            try {
                p->listen_fd = open_listener(p->spec.listen);
            } catch (const std::runtime_error& e) {
                throw UsageError("-serial " + quote(specs[i]) + ": " + e.what());
            }
            break;
        }
        ports_[i] = std::move(p);
    }
}

SerialBackends::~SerialBackends() { close(); }

std::function<void(uint8_t)> SerialBackends::sink(unsigned i) {
    SerialPortEnd* p = ports_[i].get();
    if (!p) return {};
    return [p](uint8_t b) { p->put(b); };
}

void SerialBackends::start(Machine& machine, const std::array<Uart16550*, 4>& uarts) {
    // First the waits for clients (the terminal is still as the user left it, so Ctrl-C ends a
    // wait), then the raw terminal and the readers.
    for (auto& p : ports_) {
        if (!p || p->spec.kind != SerialSpec::Listen || !p->spec.listen.wait) continue;
        std::fprintf(stderr, "xlat: COM%u waiting for a connection on %s\n", p->index + 1,
                     bound_address(p->listen_fd, p->spec.listen).c_str());
        const int c = accept_client(p->listen_fd);
        if (c < 0) throw UsageError("COM" + std::to_string(p->index + 1) + ": cannot accept a connection: " + std::strerror(errno));
        std::lock_guard<std::mutex> lock(p->client_mutex);
        p->client_fd = c;
    }
    for (auto& p : ports_) {
        if (!p) continue;
        p->monitor = &monitor;
        p->monitor_greeting = &monitor_greeting;
        p->start(machine, uarts[p->index]);
    }
}

int SerialBackends::close() {
    int first = 0;
    for (auto& p : ports_) {
        if (!p) continue;
        p->shut();
        if (p->error && !first) first = p->error;
    }
    return first;
}

} // namespace xlat
