// The thread and socket plumbing QMP and the monitor share: one client at a time on a listening
// socket (or stdin/stdout), its input handed to the protocol, the machine's events delivered on
// the same thread. See docs/debugging.md.
#pragma once
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "frontend/listen_socket.h"
#include "frontend/machine.h"

namespace xlat {

class ControlServer {
public:
    virtual ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

protected:
    // `spec` null: stdin and stdout are the (only) client. Throws std::runtime_error when it
    // cannot listen.
    ControlServer(Machine& machine, const ListenSpec* spec);
    // Starts the thread; first waits for a client when the spec asked to (no ",nowait").
    // Derived constructors call it last, and their destructors call stop() first.
    void start();
    void stop();

    // On the server's thread:
    virtual void on_connect() = 0;
    // `buf` holds what arrived and was not consumed yet: take what is complete.
    virtual void on_input(std::string& buf) = 0;
    virtual void on_event(const Machine::RunEvent& e) = 0;
    void write(const std::string& text);  // to the client, if there is one
    bool connected() const { return in_ >= 0; }
    void disconnect();

    Machine& m_;

private:
    void thread_main();
    void accept_client();
    void drain_events();

    bool stdio_;
    ListenSpec spec_;
    int listen_fd_ = -1;
    int in_ = -1, out_ = -1;
    WakePipe wake_;
    std::thread thread_;
    std::mutex mu_;
    std::deque<Machine::RunEvent> events_;
    bool stopping_ = false;
    std::string inbuf_;
};

} // namespace xlat
