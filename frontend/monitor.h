// The human monitor (-monitor stdio | unix:PATH,server[,nowait]): text commands in the spirit
// of QEMU's HMP. `help` lists them; docs/debugging.md describes them.
#pragma once
#include <string>

#include "frontend/control_server.h"

namespace xlat {

class Monitor : public ControlServer {
public:
    // `spec` null: stdin and stdout. Throws std::runtime_error when it cannot listen. With
    // `serve` false it reads and writes nothing itself: another front end hands it lines
    // through command() (the serial console's Ctrl-A c, frontend/chardev.h).
    Monitor(Machine& machine, const ListenSpec* spec, bool serve = true);
    // The greeting a client sees first, with the first prompt.
    static const char* greeting();
    ~Monitor() override;

    // Runs one command line on the machine thread's behalf and returns its output (the
    // machine-thread parts go through Machine::call). Public for the tests.
    std::string command(const std::string& line);

private:
    void on_connect() override;
    void on_input(std::string& buf) override;
    void on_event(const Machine::RunEvent&) override {}
    std::string info(const std::string& what);
    std::string examine(const std::string& cmd, const std::string& args);
    bool quitting_ = false;
};

// Machine thread: the page tables as `info tlb` (every mapped page) or `info mem` (runs of
// pages with the same rights) print them.
std::string describe_page_tables(Machine& m, bool runs);

} // namespace xlat
