// Walks ACPI tables in guest memory as an OS does (ACPI 1.0b, 5.2): the RSDP found by its
// signature on a 16-byte boundary, its checksum, the RSDT and every table it lists with their
// checksums, the FADT's FACS (64-byte aligned) and DSDT. Independent of frontend/acpi_tables.cpp:
// the tests judge those tables by what a reader of memory finds.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xlat_test {

// Reads guest memory; false when [addr, addr + len) is not there.
using ReadMem = std::function<bool(uint64_t addr, void* out, size_t len)>;

struct AcpiWalk {
    std::string problem;  // empty when everything checked out
    uint32_t rsdp = 0, rsdt = 0, facs = 0, dsdt = 0;
    std::string rsdp_oem;
    std::vector<std::string> order;             // the RSDT's tables' signatures, in order
    std::map<std::string, uint32_t> tables;     // signature -> address (RSDT entries)
    std::vector<uint8_t> dsdt_aml;              // the DSDT after its header
    std::map<std::string, std::vector<uint8_t>> bytes;  // signature -> the whole table
    bool dsdt_has(const std::string& s) const {
        return std::string(dsdt_aml.begin(), dsdt_aml.end()).find(s) != std::string::npos;
    }
};

inline uint32_t le32_at(const std::vector<uint8_t>& b, size_t off) {
    return uint32_t(b.at(off)) | uint32_t(b.at(off + 1)) << 8 | uint32_t(b.at(off + 2)) << 16 | uint32_t(b.at(off + 3)) << 24;
}

// Starts at `rsdp` when it is nonzero; else scans [scan_from, scan_to) on 16-byte boundaries.
inline AcpiWalk walk_acpi(const ReadMem& read, uint32_t rsdp, uint32_t scan_from = 0xE0000, uint32_t scan_to = 0x100000) {
    AcpiWalk w;
    auto sum = [](const std::vector<uint8_t>& b) {
        uint8_t s = 0;
        for (uint8_t x : b) s = uint8_t(s + x);
        return s;
    };
    if (!rsdp) {
        for (uint32_t a = scan_from; a + 20 <= scan_to && !rsdp; a += 16) {
            char sig[8];
            std::vector<uint8_t> r(20);
            if (read(a, sig, 8) && std::memcmp(sig, "RSD PTR ", 8) == 0 && read(a, r.data(), 20) && sum(r) == 0) rsdp = a;
        }
        if (!rsdp) return w.problem = "no RSDP with a good checksum found", w;
    }
    w.rsdp = rsdp;
    std::vector<uint8_t> r(20);
    if (!read(rsdp, r.data(), 20)) return w.problem = "RSDP not readable", w;
    if (std::memcmp(r.data(), "RSD PTR ", 8) != 0) return w.problem = "RSDP signature", w;
    if (sum(r) != 0) return w.problem = "RSDP checksum", w;
    w.rsdp_oem.assign(r.begin() + 9, r.begin() + 15);
    // A table: its header's length, then the whole table with its checksum.
    auto table = [&](uint32_t at, const char* want, std::vector<uint8_t>& t) {
        uint8_t head[8];
        if (!read(at, head, 8)) return "table at " + std::to_string(at) + " not readable";
        const std::string sig(reinterpret_cast<char*>(head), 4);
        if (want && sig != want) return "expected " + std::string(want) + " at " + std::to_string(at) + ", found '" + sig + "'";
        const uint32_t len = uint32_t(head[4] | head[5] << 8 | head[6] << 16 | uint32_t(head[7]) << 24);
        if (len < 36 || len > (1u << 20)) return sig + ": bad length " + std::to_string(len);
        t.resize(len);
        if (!read(at, t.data(), len)) return sig + ": not readable";
        if (sum(t) != 0) return sig + ": bad checksum";
        return std::string();
    };
    w.rsdt = le32_at(r, 16);
    std::vector<uint8_t> rsdt;
    if (std::string p = table(w.rsdt, "RSDT", rsdt); !p.empty()) return w.problem = p, w;
    for (size_t off = 36; off + 4 <= rsdt.size(); off += 4) {
        const uint32_t at = le32_at(rsdt, off);
        std::vector<uint8_t> t;
        if (std::string p = table(at, nullptr, t); !p.empty()) return w.problem = p, w;
        const std::string sig(t.begin(), t.begin() + 4);
        w.order.push_back(sig);
        w.tables[sig] = at;
        w.bytes[sig] = t;
    }
    if (!w.tables.count("FACP")) return w.problem = "no FADT in the RSDT", w;
    const std::vector<uint8_t>& fadt = w.bytes["FACP"];
    w.facs = le32_at(fadt, 36);
    w.dsdt = le32_at(fadt, 40);
    char facs[8];
    if (w.facs % 64 || !read(w.facs, facs, 8) || std::memcmp(facs, "FACS", 4) != 0)
        return w.problem = "FACS missing or not 64-byte aligned", w;
    std::vector<uint8_t> dsdt;
    if (std::string p = table(w.dsdt, "DSDT", dsdt); !p.empty()) return w.problem = p, w;
    w.dsdt_aml.assign(dsdt.begin() + 36, dsdt.end());
    return w;
}

} // namespace xlat_test
