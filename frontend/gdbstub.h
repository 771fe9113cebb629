// The GDB stub: the GDB remote serial protocol over TCP (or a unix socket), so that a stock
// `gdb` attaches to the guest with `target remote :1234` (-s, -gdb tcp::PORT). See
// docs/debugging.md for what it supports and the real-mode caveat.
//
// Threads: the stub's own thread owns the socket and speaks the protocol; every register,
// memory and breakpoint access runs on the machine thread through Machine::call, and the
// machine's stop events reach the stub through Machine::add_listener and a wake-up pipe.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "frontend/listen_socket.h"
#include "frontend/machine.h"

namespace xlat {

class GdbStub {
public:
    // Listens on `spec` (throws std::runtime_error when it cannot) and starts the stub's thread.
    GdbStub(Machine& machine, const ListenSpec& spec);
    // Sends what is still due (the W packet of a guest that ended) and stops the thread.
    ~GdbStub();
    GdbStub(const GdbStub&) = delete;
    GdbStub& operator=(const GdbStub&) = delete;

private:
    void thread_main();
    // Serves one connection until the client leaves, detaches, or the stub stops.
    void serve();
    void on_events();
    void handle(const std::string& packet);
    void send_packet(const std::string& payload);
    static std::string printable(const std::string& packet);
    void resume(bool step, const std::string& addr);
    void detach();
    std::string stop_reply(const Machine::RunEvent& e) const;
    std::string breakpoint(bool insert, const std::string& args);
    std::string read_registers();
    std::string write_registers(const std::string& hex);
    std::string read_register(unsigned n);
    std::string write_register(unsigned n, const std::string& hex);
    std::string read_memory(const std::string& args);
    std::string write_memory(const std::string& args, bool binary);

    Machine& m_;
    ListenSpec spec_;
    int listen_fd_ = -1;
    int conn_ = -1;
    WakePipe wake_;
    std::thread thread_;

    // Shared with the machine thread (its event listener) and the destructor.
    std::mutex mu_;
    std::deque<Machine::RunEvent> events_;
    bool stopping_ = false;

    // The stub thread's own state.
    std::string inbuf_;
    bool no_ack_ = false;
    bool waiting_ = false;           // a c/s is outstanding: the next stop of its run is reported
    uint64_t waiting_gen_ = 0;       // the generation of that run (Machine::RunEvent)
    bool machine_ended_ = false;
    std::string last_stop_ = "T05thread:01;";  // the answer to '?'
    std::map<uint32_t, bool> breakpoint_hw_;   // address -> inserted as Z1 (hwbreak) not Z0
};

} // namespace xlat
