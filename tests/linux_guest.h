// The default Linux guest for the tests that boot it (tests/linux_boot_test.cpp,
// tests/linux_console_test.cpp): built on demand by roms/build-linux-guest, and lines of its
// serial output.
#pragma once
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "process_util.h"

namespace xlat_test {

const std::string kXlatBinary = std::string(XLAT_BINARY_DIR) + "/bin/xlat";

// The guest's directory ($XLAT_GUEST_DIR or the script's default), built when it is not there
// yet or is older than the script; "" (with a warning) when it cannot be built.
inline std::string guest_dir() {
    std::vector<std::string> argv = {std::string(XLAT_SOURCE_DIR) + "/roms/build-linux-guest"};
    if (const char* dir = std::getenv("XLAT_GUEST_DIR")) argv.push_back(dir);
    ProcessResult r = run_process(argv, 900);
    if (r.timed_out || r.exit_status != 0) {
        WARN("the Linux guest cannot be built, so it is not booted: " << r.err);
        return "";
    }
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);  // the last line is the directory
}

// The first line of `text` (without its line end, \r\n or \n) that starts with `prefix`, or "".
inline std::string line_starting(const std::string& text, const std::string& prefix) {
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind(prefix, 0) == 0) return line;
        at = end + 1;
    }
    return "";
}

inline bool has_line_starting(const std::string& text, const std::string& prefix) {
    return !prefix.empty() && !line_starting(text, prefix).empty();
}

} // namespace xlat_test
