#include "frontend/chardev.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
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
#include "frontend/socket.h"
#include "frontend/terminal.h"

namespace xlat {

namespace {

constexpr size_t kMaxQueued = 64 << 10;     // input waiting for the guest, per port
constexpr size_t kOutChunk = 4 << 10;       // output written at once when this much is buffered
constexpr uint64_t kFlushDelayNs = 1000000; // output written at most this long after its first byte
constexpr uint8_t kEscape = 0x01;           // Ctrl-A
constexpr char16_t kBreak = 0x100;          // in an input queue: a break, not a byte

const char kEscapeHelp[] =
    "\nxlat: Ctrl-A then\n"
    "  x        quit xlat (exit status 0)\n"
    "  h or ?   print this list\n"
    "  b        send a break (Linux: the SysRq key; then the SysRq command key)\n"
    "  c        switch to the monitor (there is no monitor yet)\n"
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
    const std::function<void()>* monitor_key = nullptr;  // SerialBackends::on_monitor_key

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
        if (spec.kind == SerialSpec::Tcp) {
            std::lock_guard<std::mutex> lock(client_mutex);
            for (size_t at = 0; client_fd >= 0 && at < out.size();) {
                const ssize_t n = send(client_fd, out.data() + at, out.size() - at, MSG_NOSIGNAL);
                if (n > 0) at += size_t(n);
                else if (n < 0 && errno == EINTR) continue;
                else shutdown(client_fd, SHUT_RDWR);  // gone: the reader closes it and accepts the next
                if (n <= 0) break;
            }
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
                else to_guest.push_back(c);
                continue;
            }
            escape = false;
            switch (c) {
            case 'x':
            case 'X':
                std::fputs("\nxlat: terminated (Ctrl-A x)\n", stderr);
                machine->post([m = machine] {
                    m->cpu.exit_status = 0;  // as QEMU's Ctrl-A x
                    m->cpu.request_stop(StopReason::ExitPort);
                });
                return false;
            case 'h':
            case 'H':
            case '?': std::fputs(kEscapeHelp, stderr); break;
            case 'c':
            case 'C':
                if (*monitor_key) (*monitor_key)();
                else std::fputs("\nxlat: there is no monitor yet (Ctrl-A c is kept for it)\n", stderr);
                break;
            case 'b':
            case 'B': to_guest.push_back(kBreak); break;
            case kEscape: to_guest.push_back(kEscape); break;
            default: break;  // an unknown key after Ctrl-A is dropped with it, as in QEMU
            }
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
                const int c = tcp_accept(listen_fd);
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
        if (spec.kind == SerialSpec::Tcp) read_tcp();
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
        if (spec.kind != SerialSpec::Stdio && spec.kind != SerialSpec::Tcp) return;
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
        case SerialSpec::Tcp: {
            std::string why;
            p->listen_fd = tcp_listen(p->spec.address, why);
            if (p->listen_fd < 0) throw UsageError("-serial " + quote(specs[i]) + ": " + why);
            break;
        }
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
        if (!p || p->spec.kind != SerialSpec::Tcp || !p->spec.wait) continue;
        std::fprintf(stderr, "xlat: COM%u waiting for a connection on tcp:%s\n", p->index + 1,
                     local_address(p->listen_fd).c_str());
        const int c = tcp_accept(p->listen_fd);
        if (c < 0) throw UsageError("COM" + std::to_string(p->index + 1) + ": cannot accept a connection: " + std::strerror(errno));
        std::lock_guard<std::mutex> lock(p->client_mutex);
        p->client_fd = c;
    }
    for (auto& p : ports_) {
        if (!p) continue;
        p->monitor_key = &on_monitor_key;
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
