// The host processor's vendor, for the tests that use the host CPU as their oracle
// (tests/alu_oracle_test.cpp, tests/x87_oracle.h and the tests built on it).
//
// xlat emulates an Intel P6 and must give the same answer on every host. Where Intel and other
// vendors legitimately differ (the last bit and the underflow of the x87 transcendentals, flags
// one vendor defines and the other leaves undefined), a test on a non-Intel host compares with
// Intel behaviour instead of the host: data recorded on an Intel host (tests/data/) or a
// documented rule. docs/testing.md lists the cases.
//
// XLAT_TEST_HOST_VENDOR=intel|amd|other overrides the detection, so that the non-Intel path
// runs on an Intel host too (ctest runs the oracle tests once that way; see
// tests/CMakeLists.txt). The recording modes refuse to run unless the host really is Intel.
#pragma once
#include <cpuid.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace hostcpu {

enum class Vendor { Intel, Amd, Other };

inline const char* vendor_name(Vendor v) {
    return v == Vendor::Intel ? "intel" : v == Vendor::Amd ? "amd" : "other";
}

// The vendor string of CPUID leaf 0 (EBX, EDX, ECX), e.g. "GenuineIntel", "AuthenticAMD".
inline std::string cpuid_vendor_string() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return "";
    char s[13];
    std::memcpy(s, &b, 4);
    std::memcpy(s + 4, &d, 4);
    std::memcpy(s + 8, &c, 4);
    s[12] = 0;
    return s;
}

// The processor's name (CPUID leaves 0x80000002-4), e.g. "Intel(R) Xeon(R) Processor".
inline std::string brand_string() {
    unsigned r[12] = {};
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000004) return "";
    for (unsigned i = 0; i < 3; ++i) __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    char s[49];
    std::memcpy(s, r, 48);
    s[48] = 0;
    std::string out = s;
    while (!out.empty() && out.front() == ' ') out.erase(out.begin());
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Family, model and stepping (CPUID leaf 1 EAX, with the extended fields), e.g. "6/8f/8".
inline std::string signature() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return "";
    unsigned family = (a >> 8) & 0xF, model = (a >> 4) & 0xF;
    if (family == 0xF) family += (a >> 20) & 0xFF;
    if (family == 6 || family >= 0xF) model |= ((a >> 16) & 0xF) << 4;
    char s[32];
    std::snprintf(s, sizeof s, "%x/%x/%x", family, model, a & 0xF);
    return s;
}

// What CPUID says, ignoring the override.
inline Vendor detected_vendor() {
    const std::string s = cpuid_vendor_string();
    if (s == "GenuineIntel") return Vendor::Intel;
    // Hygon's Dhyana is a Zen core: its x87 and integer unit are AMD's.
    if (s == "AuthenticAMD" || s == "HygonGenuine") return Vendor::Amd;
    return Vendor::Other;
}

// The vendor the oracle tests act on: the override if set, otherwise what CPUID says. An
// unknown override is an error (thrown, so the test that asked reports it), not a guess.
inline Vendor vendor() {
    const char* o = std::getenv("XLAT_TEST_HOST_VENDOR");
    if (!o || !*o) return detected_vendor();
    const std::string v = o;
    if (v == "intel") return Vendor::Intel;
    if (v == "amd") return Vendor::Amd;
    if (v == "other") return Vendor::Other;
    throw std::invalid_argument("XLAT_TEST_HOST_VENDOR=" + v + ": expected intel, amd or other");
}

// Whether the host's answers are Intel's: the oracle tests then compare everything with the
// host; otherwise the vendor-specific results are compared with recorded Intel data or rules.
inline bool intel() { return vendor() == Vendor::Intel; }

// A line for test logs: "intel (GenuineIntel)" or "amd (XLAT_TEST_HOST_VENDOR; host GenuineIntel)".
inline std::string describe() {
    const char* o = std::getenv("XLAT_TEST_HOST_VENDOR");
    const std::string id = cpuid_vendor_string();
    if (o && *o) return std::string(vendor_name(vendor())) + " (XLAT_TEST_HOST_VENDOR; host " + id + ")";
    return std::string(vendor_name(vendor())) + " (" + id + ")";
}

// The recorded-data files of tests/data/: one case a line, '#' starting a comment, and a header
// line "# host signature TEXT" naming the CPU they were recorded on (stored in `signature`).
// Calls parse(line, number) for every case line, in order; throws when the file cannot be opened.
template <typename Parse>
void read_recorded_lines(const std::string& path, std::string& signature, Parse parse) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open");
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
        if (line.rfind("# host signature ", 0) == 0) signature = line.substr(17);
        if (line.empty() || line[0] == '#') continue;
        parse(line, n);
    }
}

} // namespace hostcpu
