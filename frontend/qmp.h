// QMP, the QEMU Machine Protocol (QEMU's docs/interop/qmp-spec): JSON commands and events on a
// socket, enough for QEMU's clients to drive a run: the greeting, qmp_capabilities,
// query-status, query-version, query-commands, stop, cont, system_reset, quit, and the STOP,
// RESUME, RESET and SHUTDOWN events.
#pragma once
#include <string>

#include "frontend/control_server.h"

namespace xlat {

class Qmp : public ControlServer {
public:
    // Listens on `spec` (throws std::runtime_error when it cannot); without ",nowait" waits for
    // the first client here.
    Qmp(Machine& machine, const ListenSpec& spec);
    ~Qmp() override;

private:
    void on_connect() override;
    void on_input(std::string& buf) override;
    void on_event(const Machine::RunEvent& e) override;
    void execute(const std::string& text);

    bool negotiated_ = false;  // qmp_capabilities was accepted on this connection
    std::string quit_reason_;  // why the coming SHUTDOWN happens, when QMP asked for it
};

} // namespace xlat
