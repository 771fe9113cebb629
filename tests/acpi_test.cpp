// The machine's ACPI tables as fw_cfg hands them to SeaBIOS (frontend/acpi_tables.*,
// frontend/table_loader.*): the loader script run the way SeaBIOS's romfile_loader.c runs it, by
// an interpreter written here from the script's byte layout, against a fake memory with its own
// allocator; then the tables walked as an OS walks them (tests/acpi_walk.h). The direct Linux
// boot's copy (AcpiTables::block) must be the same bytes when placed at the same addresses. And
// SeaBIOS itself runs the script: the RSDP it leaves in the F-segment leads to our tables.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "acpi_walk.h"
#include "devices/hpet.h"
#include "frontend/acpi_tables.h"
#include "test_machine.h"

using namespace xlat;
using xlat_test::AcpiWalk;
using xlat_test::le32_at;
using xlat_test::walk_acpi;

namespace {

// A firmware that runs an etc/table-loader script over the fw_cfg files it is given: ALLOCATE
// copies a file to the next free, aligned address of its zone (the F-segment grows up from
// fseg_next, high memory down from high_top), ADD_POINTER and ADD_CHECKSUM change the copies,
// unknown commands are skipped; each malformed command is counted, as SeaBIOS warns about it.
struct FakeFirmware {
    std::map<std::string, std::vector<uint8_t>> romfiles;
    struct Copy {
        uint64_t addr = 0;
        std::vector<uint8_t> data;
    };
    std::map<std::string, Copy> copies;
    uint64_t fseg_next = 0xF1234, high_top = 0x7FF0000;
    int errors = 0;

    static std::string name_at(const std::vector<uint8_t>& s, size_t off) {
        if (s[off + 55] != 0) return {};  // not terminated within its 56 bytes
        return std::string(reinterpret_cast<const char*>(&s[off]));
    }
    bool run(const std::vector<uint8_t>& script) {
        if (script.size() % 128) return false;
        for (size_t e = 0; e < script.size(); e += 128) {
            const uint32_t cmd = le32_at(script, e);
            const size_t b = e + 4;
            if (cmd == 1) {
                const std::string file = name_at(script, b);
                const uint32_t align = le32_at(script, b + 56);
                const uint8_t zone = script[b + 60];
                auto rf = romfiles.find(file);
                if (file.empty() || (align & (align - 1)) || (zone != 1 && zone != 2) || rf == romfiles.end()) {
                    ++errors;
                    continue;
                }
                const uint64_t a = align ? align : 1, size = rf->second.size();
                uint64_t at;
                if (zone == 2) {
                    at = (fseg_next + a - 1) / a * a;
                    fseg_next = at + size;
                } else {
                    at = (high_top - size) / a * a;
                    high_top = at;
                }
                copies[file] = {at, rf->second};
            } else if (cmd == 2) {
                auto d = copies.find(name_at(script, b)), s = copies.find(name_at(script, b + 56));
                const uint32_t off = le32_at(script, b + 112);
                const uint8_t size = script[b + 116];
                if (d == copies.end() || s == copies.end() || (size != 1 && size != 2 && size != 4 && size != 8) ||
                    uint64_t(off) + size > d->second.data.size()) {
                    ++errors;
                    continue;
                }
                uint64_t v = 0;
                for (unsigned i = 0; i < size; ++i) v |= uint64_t(d->second.data[off + i]) << (8 * i);
                v += s->second.addr;
                for (unsigned i = 0; i < size; ++i) d->second.data[off + i] = uint8_t(v >> (8 * i));
            } else if (cmd == 3) {
                auto f = copies.find(name_at(script, b));
                const uint32_t off = le32_at(script, b + 56), start = le32_at(script, b + 60), len = le32_at(script, b + 64);
                if (f == copies.end() || off >= f->second.data.size() || uint64_t(start) + len > f->second.data.size()) {
                    ++errors;
                    continue;
                }
                uint8_t sum = 0;
                for (uint32_t i = start; i < start + len; ++i) sum = uint8_t(sum + f->second.data[i]);
                f->second.data[off] = uint8_t(f->second.data[off] - sum);
            }
        }
        return true;
    }
    bool read(uint64_t addr, void* out, size_t len) const {
        for (const auto& [name, c] : copies)
            if (addr >= c.addr && addr + len <= c.addr + c.data.size()) {
                std::memcpy(out, &c.data[addr - c.addr], len);
                return true;
            }
        return false;
    }
    AcpiWalk walk() const {
        return walk_acpi([this](uint64_t a, void* o, size_t n) { return read(a, o, n); }, 0, 0xF0000, 0x100000);
    }
};

FakeFirmware firmware_for(const Machine& m) {
    FakeFirmware fw;
    for (const char* f : {kAcpiTablesFile, kAcpiRsdpFile}) {
        const std::vector<uint8_t>* data = m.board.fw_cfg.file(f);
        REQUIRE(data);
        fw.romfiles[f] = *data;
    }
    return fw;
}

const std::vector<uint8_t>& loader_script(const Machine& m) {
    const std::vector<uint8_t>* script = m.board.fw_cfg.file(kTableLoaderFile);
    REQUIRE(script);
    return *script;
}

// The MADT's processor local APIC entries (type 0): their APIC IDs.
std::vector<unsigned> madt_cpus(const std::vector<uint8_t>& madt) {
    std::vector<unsigned> ids;
    for (size_t at = 44; at + 2 <= madt.size() && madt[at + 1] >= 2; at += madt[at + 1])
        if (madt[at] == 0 && (madt[at + 4] & 1)) ids.push_back(madt[at + 3]);
    return ids;
}

} // namespace

TEST_CASE("acpi: SeaBIOS's way of running etc/table-loader leaves tables an OS accepts", "[devices][acpi]") {
    Machine m(small_config(64u << 20));
    FakeFirmware fw = firmware_for(m);
    REQUIRE(fw.run(loader_script(m)));
    CHECK(fw.errors == 0);
    // The RSDP in the F-segment (at the allocator's next 16-byte boundary), the tables in high
    // memory with the FACS on its 64-byte boundary.
    REQUIRE(fw.copies.count(kAcpiRsdpFile));
    REQUIRE(fw.copies.count(kAcpiTablesFile));
    CHECK(fw.copies[kAcpiRsdpFile].addr == 0xF1240);
    CHECK(fw.copies[kAcpiTablesFile].addr % 64 == 0);
    CHECK(fw.copies[kAcpiTablesFile].addr >= 0x7F00000);
    const AcpiWalk w = fw.walk();
    INFO(w.problem);
    REQUIRE(w.problem.empty());
    CHECK(w.rsdp == 0xF1240);
    CHECK(w.rsdp_oem == "XLAT  ");
    CHECK(w.order == std::vector<std::string>{"FACP", "APIC", "HPET"});
    for (uint32_t at : {w.rsdt, w.facs, w.dsdt, w.tables.at("APIC")}) CHECK(at >= fw.copies[kAcpiTablesFile].addr);
    // The FADT leads to the PIIX4 PM block where SeaBIOS puts it when this script is present,
    // and to the SCI.
    const std::vector<uint8_t>& fadt = w.bytes.at("FACP");
    CHECK(fadt[46] == 9);
    CHECK(le32_at(fadt, 56) == 0x600);
    CHECK(le32_at(fadt, 64) == 0x604);
    CHECK(le32_at(fadt, 76) == 0x608);
    // The DSDT: the PCI root with its routing table, the links, the HPET, the keyboard SeaBIOS
    // looks for (PNP0303: 41 D0 03 03), S5.
    for (const char* n : {"PCI0", "_PRT", "LNKA", "LNKB", "LNKC", "LNKD", "LNKS", "HPET", "KBD_", "_S5_"}) {
        INFO(n);
        CHECK(w.dsdt_has(n));
    }
    CHECK(w.dsdt_has(std::string("\x0C\x41\xD0\x03\x03", 5)));
    // The HPET table: the block's ID and address.
    const std::vector<uint8_t>& hpet = w.bytes.at("HPET");
    CHECK(le32_at(hpet, 36) == Hpet::kId);
    CHECK(le32_at(hpet, 44) == Hpet::kBase);
    CHECK(madt_cpus(w.bytes.at("APIC")) == std::vector<unsigned>{0});
}

TEST_CASE("acpi: the direct boot's copy is what the loader script makes at the same addresses", "[devices][acpi]") {
    Machine m(small_config(32u << 20));
    const std::vector<uint8_t> block = m.board.acpi.block(0xF0000);
    // The fake firmware's F-segment and high zone placed where block() puts the two files.
    FakeFirmware fw = firmware_for(m);
    fw.fseg_next = 0xF0000;
    fw.high_top = 0xF0000 + AcpiTables::kTablesOffset + fw.romfiles[kAcpiTablesFile].size();
    REQUIRE(fw.run(loader_script(m)));
    CHECK(fw.errors == 0);
    REQUIRE(fw.copies[kAcpiTablesFile].addr == 0xF0000 + AcpiTables::kTablesOffset);
    std::vector<uint8_t> expect = fw.copies[kAcpiRsdpFile].data;
    expect.resize(AcpiTables::kTablesOffset, 0);
    expect.insert(expect.end(), fw.copies[kAcpiTablesFile].data.begin(), fw.copies[kAcpiTablesFile].data.end());
    // The fw_cfg file is padded with zeros to 128 KiB, as QEMU's (the same e820 map under SeaBIOS).
    CHECK(fw.romfiles[kAcpiTablesFile].size() == 0x20000);
    REQUIRE(expect.size() >= block.size());
    CHECK(std::vector<uint8_t>(expect.begin() + long(block.size()), expect.end()) ==
          std::vector<uint8_t>(expect.size() - block.size(), 0));
    expect.resize(block.size());
    CHECK(block == expect);
    // And the block, read as memory at 0xF0000, walks.
    const AcpiWalk w = walk_acpi(
        [&](uint64_t a, void* o, size_t n) {
            if (a < 0xF0000 || a + n > 0xF0000 + block.size()) return false;
            std::memcpy(o, &block[a - 0xF0000], n);
            return true;
        },
        0xF0000);
    INFO(w.problem);
    CHECK(w.problem.empty());
    CHECK(w.facs == 0xF0000 + AcpiTables::kTablesOffset);
}

TEST_CASE("acpi: a loader script with a command out of order or lost leaves tables that fail the walk", "[devices][acpi]") {
    // The checks above can fail: the RSDP's checksum taken before its pointer is added, or a
    // table's checksum dropped, leave a table whose bytes do not sum to zero.
    Machine m(small_config(32u << 20));
    const std::vector<uint8_t>& script = loader_script(m);
    const size_t n = script.size() / 128;
    REQUIRE(n >= 4);
    // The last two commands are the RSDP's pointer and checksum: swap them.
    std::vector<uint8_t> swapped = script;
    std::swap_ranges(swapped.begin() + long((n - 2) * 128), swapped.begin() + long((n - 1) * 128),
                     swapped.begin() + long((n - 1) * 128));
    FakeFirmware a = firmware_for(m);
    REQUIRE(a.run(swapped));
    CHECK(a.walk().problem == "no RSDP with a good checksum found");
    // Drop the first checksum command (the DSDT's).
    std::vector<uint8_t> dropped;
    bool gone = false;
    for (size_t e = 0; e < n; ++e) {
        if (!gone && le32_at(script, e * 128) == 3) {
            gone = true;
            continue;
        }
        dropped.insert(dropped.end(), script.begin() + long(e * 128), script.begin() + long(e * 128 + 128));
    }
    REQUIRE(gone);
    FakeFirmware b = firmware_for(m);
    REQUIRE(b.run(dropped));
    CHECK(b.walk().problem == "DSDT: bad checksum");
}

TEST_CASE("acpi: the tables follow the configuration: CPUs, the HPET, the PM block, RAM", "[devices][acpi]") {
    AcpiSetup s;
    s.ram_bytes = 256u << 20;
    s.cpus = 2;
    s.hpet = false;
    s.pm_base = 0xB000;
    const AcpiTables t = acpi_tables(s);
    const std::vector<uint8_t> block = t.block(0xE0000);
    const AcpiWalk w = walk_acpi(
        [&](uint64_t a, void* o, size_t n) {
            if (a < 0xE0000 || a + n > 0xE0000 + block.size()) return false;
            std::memcpy(o, &block[a - 0xE0000], n);
            return true;
        },
        0);
    INFO(w.problem);
    REQUIRE(w.problem.empty());
    CHECK(w.rsdp == 0xE0000);
    CHECK(w.order == std::vector<std::string>{"FACP", "APIC"});
    CHECK(!w.dsdt_has("HPET"));
    CHECK(madt_cpus(w.bytes.at("APIC")) == std::vector<unsigned>{0, 1});
    CHECK(le32_at(w.bytes.at("FACP"), 76) == 0xB008);
    // The PCI root's memory window starts at the end of RAM: a DWord memory descriptor (87h)
    // whose minimum is 256 MiB.
    const std::string aml(w.dsdt_aml.begin(), w.dsdt_aml.end());
    CHECK(aml.find(std::string("\x00\x00\x00\x10\xFF\xFF\xBF\xFE", 8)) != std::string::npos);
}

TEST_CASE("acpi: SeaBIOS runs the loader script: its RSDP leads to this machine's tables", "[boot][seabios][acpi]") {
    MachineConfig cfg = small_config(128u << 20);
    if (!seabios_firmware(cfg)) return;
    cfg.icount_shift = 3;
    std::string log;
    cfg.debugcon = [&log](char c) { log += c; };
    cfg.debugcon_port = 0x402;
    Machine m(cfg);
    // Past POST: SeaBIOS has run the script and looked for a boot device (there is none).
    m.run(60000000);
    INFO(log);
    const AcpiWalk w = walk_acpi(
        [&](uint64_t a, void* o, size_t n) {
            if (a + n > m.phys.ram_size()) return false;
            m.phys.read_bytes(uint32_t(a), o, n);
            return true;
        },
        0, 0xE0000, 0x100000);
    INFO(w.problem);
    REQUIRE(w.problem.empty());
    CHECK(w.rsdp_oem == "XLAT  ");  // ours, not SeaBIOS's own ("BOCHS ")
    CHECK(w.order == std::vector<std::string>{"FACP", "APIC", "HPET"});
    CHECK(w.dsdt_has("LNKA"));
    // The tables in high memory, as SeaBIOS's ZoneHigh allocates them below the top of RAM.
    CHECK(w.rsdt > 100u << 20);
    // SeaBIOS saw the script (it moves the PM block), parsed our DSDT and found the PM timer
    // through our FADT; the PM block is where the FADT says.
    CHECK(log.find("Moving pm_base to 0x600") != std::string::npos);
    CHECK(m.board.piix4_pm.pm_io_base() == 0x600);
    CHECK(log.find("ACPI: parse DSDT at 0x" ) != std::string::npos);
    CHECK(log.find("WARNING") == std::string::npos);
}
