#include "frontend/qmp.h"

#include <sys/time.h>

#include <nlohmann/json.hpp>

namespace xlat {

namespace {

using json = nlohmann::json;

const char* const kCommands[] = {"qmp_capabilities", "query-status", "query-version", "query-commands",
                                 "stop", "cont", "system_reset", "quit"};

json error(const char* cls, const std::string& desc) {
    return json{{"error", {{"class", cls}, {"desc", desc}}}};
}

// The run state as query-status names it (QEMU's RunState).
const char* status_name(Machine::PauseCause c) {
    switch (c) {
    case Machine::PauseCause::None: return "running";
    case Machine::PauseCause::Prelaunch: return "prelaunch";
    case Machine::PauseCause::Debug: return "debug";
    default: return "paused";
    }
}

// The length of the first complete JSON value at the start of `buf` (after blanks), or 0
// while it is incomplete. Counts braces and brackets outside strings; does not check syntax
// (the parser does).
size_t json_value_length(const std::string& buf) {
    int depth = 0;
    bool in_string = false, escape = false, started = false;
    for (size_t i = 0; i < buf.size(); ++i) {
        const char c = buf[i];
        if (in_string) {
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (!started && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) continue;
        started = true;
        if (c == '"') in_string = true;
        else if (c == '{' || c == '[') ++depth;
        else if (c == '}' || c == ']') {
            if (--depth <= 0) return i + 1;
        } else if (depth == 0) {
            // A bare value at the top level (not an object): up to the end of the line.
            const size_t nl = buf.find('\n', i);
            return nl == std::string::npos ? 0 : nl + 1;
        }
    }
    return 0;
}

} // namespace

Qmp::Qmp(Machine& machine, const ListenSpec& spec) : ControlServer(machine, &spec) { start(); }

Qmp::~Qmp() { stop(); }

void Qmp::on_connect() {
    negotiated_ = false;
    json greeting = {{"QMP",
                      {{"version", {{"qemu", {{"major", 0}, {"minor", 1}, {"micro", 0}}}, {"package", "xlat 0.1.0"}}},
                       {"capabilities", json::array()}}}};
    write(greeting.dump() + "\r\n");
}

void Qmp::on_input(std::string& buf) {
    for (;;) {
        const size_t n = json_value_length(buf);
        if (n == 0) {
            if (buf.size() > (1u << 20)) {  // no value ends in a megabyte: drop it
                buf.clear();
                write(error("GenericError", "JSON parse error, input too long").dump() + "\r\n");
            }
            return;
        }
        const std::string text = buf.substr(0, n);
        buf.erase(0, n);
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) continue;
        execute(text);
        if (!connected()) return;
    }
}

void Qmp::execute(const std::string& text) {
    m_.tracer.log(kTraceQmp, "<- %s", text.substr(0, text.find_last_not_of(" \t\r\n") + 1).c_str());
    json req;
    try {
        req = json::parse(text);
    } catch (const json::exception& e) {
        write(error("GenericError", std::string("JSON parse error, ") + e.what()).dump() + "\r\n");
        return;
    }
    json reply;
    const json* id = req.is_object() && req.contains("id") ? &req["id"] : nullptr;
    auto respond = [&](json r) {
        if (id) r["id"] = *id;
        m_.tracer.log(kTraceQmp, "-> %s", r.dump().c_str());
        write(r.dump() + "\r\n");
    };
    if (!req.is_object()) return respond(error("GenericError", "QMP input must be a JSON object"));
    if (!req.contains("execute")) return respond(error("GenericError", "QMP input lacks member 'execute'"));
    if (!req["execute"].is_string()) return respond(error("GenericError", "QMP input member 'execute' must be a string"));
    const std::string cmd = req["execute"];
    if (req.contains("arguments") && !req["arguments"].is_object())
        return respond(error("GenericError", "QMP input member 'arguments' must be an object"));
    bool known = false;
    for (const char* c : kCommands) known |= cmd == c;
    if (!known) return respond(error("CommandNotFound", "The command " + cmd + " has not been found"));
    if (cmd == "qmp_capabilities") {
        if (negotiated_)
            return respond(error("CommandNotFound", "Capabilities negotiation is already complete, command ignored"));
        negotiated_ = true;
        return respond(json{{"return", json::object()}});
    }
    if (!negotiated_)
        return respond(error("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
    if (req.contains("arguments") && !req["arguments"].empty())
        return respond(error("GenericError", "Parameter '" + req["arguments"].begin().key() + "' is unexpected"));
    if (cmd == "query-version")
        return respond(json{{"return", {{"qemu", {{"major", 0}, {"minor", 1}, {"micro", 0}}}, {"package", "xlat 0.1.0"}}}});
    if (cmd == "query-commands") {
        json list = json::array();
        for (const char* c : kCommands) list.push_back({{"name", c}});
        return respond(json{{"return", list}});
    }
    if (cmd == "query-status") {
        Machine::PauseCause cause = Machine::PauseCause::None;
        if (!m_.call([&] { cause = m_.pause_cause(); }))
            return respond(error("GenericError", "the machine has shut down"));
        return respond(json{{"return", {{"status", status_name(cause)}, {"singlestep", false},
                                        {"running", cause == Machine::PauseCause::None}}}});
    }
    bool ran;
    if (cmd == "stop") ran = m_.call([&] { m_.pause(Machine::PauseCause::Request); });
    else if (cmd == "cont") ran = m_.call([&] { m_.resume(); });
    else if (cmd == "system_reset") ran = m_.call([&] { m_.system_reset(); });
    else {  // quit: the answer first, then SHUTDOWN, then xlat ends with status 0
        quit_reason_ = "host-qmp-quit";
        respond(json{{"return", json::object()}});
        m_.post([this] { m_.quit(0); });
        return;
    }
    if (!ran) return respond(error("GenericError", "the machine has shut down"));
    respond(json{{"return", json::object()}});
}

void Qmp::on_event(const Machine::RunEvent& e) {
    if (!connected() || !negotiated_) return;
    json ev;
    switch (e.kind) {
    case Machine::RunEvent::Stop: ev = {{"event", "STOP"}}; break;
    case Machine::RunEvent::Resume: ev = {{"event", "RESUME"}}; break;
    case Machine::RunEvent::Reset: ev = {{"event", "RESET"}, {"data", {{"guest", false}, {"reason", "host-qmp-system-reset"}}}}; break;
    case Machine::RunEvent::Shutdown: {
        // QEMU's ShutdownCause names: a guest that powered off (the exit port, ACPI S5), a
        // host's quit, or a guest that could not go on (triple fault with -no-reboot, a CPU
        // halted for ever).
        const bool guest = e.reason != StopReason::Quit && e.reason != StopReason::MaxInsns;
        const char* reason = e.reason == StopReason::Quit ? (quit_reason_.empty() ? "host-ui" : quit_reason_.c_str())
                             : e.reason == StopReason::ExitPort ? "guest-shutdown"
                             : e.reason == StopReason::MaxInsns ? "host-error"
                                                                : "guest-panic";
        ev = {{"event", "SHUTDOWN"}, {"data", {{"guest", guest}, {"reason", reason}}}};
        break;
    }
    }
    timeval tv;
    gettimeofday(&tv, nullptr);
    ev["timestamp"] = {{"seconds", int64_t(tv.tv_sec)}, {"microseconds", int64_t(tv.tv_usec)}};
    m_.tracer.log(kTraceQmp, "-> %s", ev.dump().c_str());
    write(ev.dump() + "\r\n");
}

} // namespace xlat
