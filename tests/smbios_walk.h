// A parser of SMBIOS structure tables for the tests (DSP0134 6.1.2), walking them as dmidecode
// does: each formatted area, then its strings up to the double NUL.
#pragma once
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace xlat_test {

// One SMBIOS structure as a parser sees it (DSP0134 6.1.2): the formatted area and its strings.
struct SmbiosStructure {
    uint8_t type = 0, length = 0;
    uint16_t handle = 0;
    size_t total = 0;  // bytes with the strings
    std::vector<uint8_t> formatted;
    std::vector<std::string> strings;
    std::string str(size_t field) const {
        const uint8_t n = formatted.at(field);
        return n == 0 || n > strings.size() ? "" : strings[n - 1];
    }
    unsigned u16(size_t field) const { return formatted.at(field) | formatted.at(field + 1) << 8; }
    uint32_t u32(size_t field) const { return u16(field) | uint32_t(u16(field + 2)) << 16; }
};

// Where Linux's dmi_scan_machine finds the entry point in a copy of the F-segment: the first
// "_SM_" on a 16-byte boundary with a whole 31-byte entry after it; seg.size() when none.
inline size_t find_smbios_anchor(const std::vector<uint8_t>& seg) {
    for (size_t i = 0; i + 31 <= seg.size(); i += 16)
        if (std::memcmp(&seg[i], "_SM_", 4) == 0) return i;
    return seg.size();
}

// Walks the structure table as dmidecode does: each formatted area, then strings up to the
// double NUL; fails the test on a structure that runs past the table.
inline std::vector<SmbiosStructure> walk_smbios(const std::vector<uint8_t>& t) {
    std::vector<SmbiosStructure> out;
    size_t at = 0;
    while (at < t.size()) {
        REQUIRE(at + 4 <= t.size());
        SmbiosStructure s;
        s.type = t[at];
        s.length = t[at + 1];
        s.handle = uint16_t(t[at + 2] | t[at + 3] << 8);
        REQUIRE(s.length >= 4);
        REQUIRE(at + s.length + 2 <= t.size());
        s.formatted.assign(t.begin() + long(at), t.begin() + long(at + s.length));
        size_t p = at + s.length;
        if (t[p] == 0 && t[p + 1] == 0) {
            p += 2;
        } else {
            while (t.at(p) != 0) {
                std::string str;
                while (t.at(p) != 0) str += char(t[p++]);
                s.strings.push_back(str);
                ++p;
            }
            ++p;
        }
        s.total = p - at;
        out.push_back(s);
        at = p;
        if (s.type == 127) break;
    }
    CHECK(at == t.size());
    return out;
}

} // namespace xlat_test
