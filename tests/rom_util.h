// Test helpers for the assembly test ROMs in tests/roms: where they are, what they must print
// (their ";>" lines), running one on a fresh Machine, and describing how two outputs differ.
#pragma once
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "frontend/machine.h"
#include "test_machine.h"

namespace xlat_test {

// The ROM sources and the images CMake assembles from them.
inline std::string rom_source(const std::string& name) { return XLAT_SOURCE_DIR "/tests/roms/" + name + ".asm"; }
inline std::string rom_image(const std::string& name) { return XLAT_BINARY_DIR "/tests/roms/" + name + ".bin"; }

// More than any test ROM needs (the longest runs a few hundred thousand instructions), so that a
// ROM that loops forever fails instead of hanging.
constexpr uint64_t kRomMaxInsns = 50'000'000;

inline std::vector<uint8_t> read_binary(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The output a ROM must produce: its lines of the form ";> text" (or ";>" for an empty line), in
// order, each followed by a line feed.
inline std::string expected_output(const std::string& name) {
    std::ifstream in(rom_source(name));
    if (!in) throw std::runtime_error("cannot read " + rom_source(name));
    std::string line, out;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind(";>", 0) != 0) continue;
        line.erase(0, 2);
        if (!line.empty() && line[0] == ' ') line.erase(0, 1);
        out += line;
        out += '\n';
    }
    return out;
}

struct XlatRun {
    xlat::StopReason reason = xlat::StopReason::None;
    int exit_status = 0;     // for StopReason::ExitPort: (v << 1) | 1
    std::string output;      // what the guest wrote to the debug console
    std::string diagnosis;   // when it did not stop through the exit port: why, the CPU state, #UDs
};

inline const char* stop_reason_name(xlat::StopReason r) {
    switch (r) {
    case xlat::StopReason::None: return "none";
    case xlat::StopReason::ExitPort: return "exit port";
    case xlat::StopReason::MaxInsns: return "instruction limit reached";
    case xlat::StopReason::TripleFault: return "triple fault";
    case xlat::StopReason::HaltForever: return "HLT with nothing to wake the CPU";
    case xlat::StopReason::Reset: return "reset";
    case xlat::StopReason::OutputError: return "the debug console output could not be written";
    case xlat::StopReason::Debug: return "debugger stop";
    case xlat::StopReason::Quit: return "quit";
    }
    return "?";
}

// Runs the ROM image `name` on a fresh Machine (default RAM, no reboot on a triple fault).
inline XlatRun run_rom_on_xlat(const std::string& name, uint64_t max_insns = kRomMaxInsns) {
    XlatRun run;
    xlat::MachineConfig cfg;
    cfg.cpu_mode = test_cpu_mode();
    cfg.firmware = read_binary(rom_image(name));
    cfg.no_reboot = true;
    cfg.debugcon = [&run](char c) { run.output.push_back(c); };
    auto m = std::make_unique<xlat::Machine>(cfg);
    xlat::Machine::Result r = m->run(max_insns);
    run.reason = r.reason;
    run.exit_status = r.exit_status;
    if (r.reason != xlat::StopReason::ExitPort || r.exit_status != 1) {
        std::ostringstream d;
        d << "stopped by: " << stop_reason_name(r.reason);
        if (r.reason == xlat::StopReason::ExitPort) d << " with status " << r.exit_status;
        d << "\n" << m->describe_cpu();
        // The unimplemented instructions, which are the usual reason (each raised #UD).
        std::istringstream stats(m->describe_stats());
        std::string line;
        while (std::getline(stats, line))
            if (line.find("#UD") != std::string::npos || line.find("exception") != std::string::npos)
                d << line << "\n";
        run.diagnosis = d.str();
    }
    return run;
}

// "" when got == want, else where they first differ, by line.
inline std::string first_difference(const std::string& got, const std::string& want) {
    if (got == want) return {};
    std::istringstream g(got), w(want);
    std::string gl, wl;
    for (int n = 1;; ++n) {
        bool hg = bool(std::getline(g, gl)), hw = bool(std::getline(w, wl));
        if (!hg && !hw) return "the outputs differ only in their final line feed";
        if (!hg) return "line " + std::to_string(n) + ": the output ends; expected \"" + wl + "\"";
        if (!hw) return "line " + std::to_string(n) + ": unexpected extra output \"" + gl + "\"";
        if (gl != wl) return "line " + std::to_string(n) + ": expected \"" + wl + "\"\n                got \"" + gl + "\"";
    }
}

} // namespace xlat_test
