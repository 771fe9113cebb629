// The SMBIOS tables SeaBIOS finds in fw_cfg (frontend/smbios.*, frontend/pc_board.cpp): the
// 31-byte entry point and the structures, with the checks SeaBIOS makes before it uses them
// (smbios_romfile_setup: the anchor's size, the table length it names) and the ones dmidecode
// makes after (checksums, the structure walk, the count and the largest structure).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "frontend/smbios.h"
#include "smbios_walk.h"
#include "test_machine.h"

using namespace xlat;
using xlat_test::SmbiosStructure;
using xlat_test::walk_smbios;

TEST_CASE("smbios: fw_cfg hands SeaBIOS an entry point and structures without type 0", "[devices][smbios]") {
    Machine m(small_config(64u << 20));
    const std::vector<uint8_t>* anchor = m.board.fw_cfg.file("etc/smbios/smbios-anchor");
    const std::vector<uint8_t>* tables = m.board.fw_cfg.file("etc/smbios/smbios-tables");
    REQUIRE(anchor);
    REQUIRE(tables);
    const std::vector<uint8_t>& e = *anchor;
    REQUIRE(e.size() == 31);  // the 2.1-style entry point SeaBIOS accepts
    CHECK(std::memcmp(e.data(), "_SM_", 4) == 0);
    CHECK(std::memcmp(&e[16], "_DMI_", 5) == 0);
    CHECK((e[6] << 8 | e[7]) == 0x0208);
    CHECK(size_t(e[22] | e[23] << 8) == tables->size());
    uint8_t sum = 0;
    for (uint8_t b : e) sum = uint8_t(sum + b);
    CHECK(sum == 0);
    const std::vector<SmbiosStructure> st = walk_smbios(*tables);
    CHECK(st.size() == size_t(e[28] | e[29] << 8));
    std::vector<unsigned> types;
    size_t largest = 0;
    for (const SmbiosStructure& s : st) types.push_back(s.type), largest = std::max(largest, s.total);
    CHECK(types == std::vector<unsigned>{1, 3, 4, 16, 17, 19, 32, 127});  // SeaBIOS adds its type 0
    CHECK(size_t(e[8] | e[9] << 8) == largest);
    CHECK(st[0].str(4) == kSmbiosManufacturer);
    CHECK(st[0].str(5) == kSmbiosProduct);
    CHECK(st[4].u16(12) == 64);  // the DIMM: all of RAM, in MiB
    // Handles are unique.
    for (size_t i = 0; i < st.size(); ++i)
        for (size_t j = i + 1; j < st.size(); ++j) CHECK(st[i].handle != st[j].handle);
}

TEST_CASE("smbios: the entry point's checksums follow its table address", "[devices][smbios]") {
    SmbiosSetup s;
    s.ram_bytes = 3ull << 30;
    s.bios_info = true;
    SmbiosTables t = smbios_tables(s);
    smbios_set_address(t.entry, 0x000F1234);
    uint8_t all = 0, inter = 0;
    for (size_t i = 0; i < 31; ++i) all = uint8_t(all + t.entry[i]);
    for (size_t i = 16; i < 31; ++i) inter = uint8_t(inter + t.entry[i]);
    CHECK(all == 0);
    CHECK(inter == 0);
    CHECK((t.entry[24] | t.entry[25] << 8 | t.entry[26] << 16 | uint32_t(t.entry[27]) << 24) == 0x000F1234u);
    const std::vector<SmbiosStructure> st = walk_smbios(t.tables);
    REQUIRE(st.size() == 9);
    CHECK(st[5].u16(12) == 3072);           // type 17: 3 GiB in MiB
    CHECK(st[6].u32(8) == 3u * 1024 * 1024 - 1);  // type 19: the last KiB
}

TEST_CASE("smbios: SeaBIOS builds its tables from fw_cfg's, with its own type 0", "[boot][seabios][smbios]") {
    MachineConfig cfg = small_config(128u << 20);
    if (!seabios_firmware(cfg)) return;
    cfg.icount_shift = 3;
    Machine m(cfg);
    // Past POST (SeaBIOS copies its tables to the F-segment before it looks for a boot device).
    m.run(60000000);
    std::vector<uint8_t> seg(0x10000);
    m.phys.read_bytes(0xF0000, seg.data(), seg.size());
    const size_t ep = xlat_test::find_smbios_anchor(seg);
    REQUIRE(ep < seg.size());
    uint32_t addr;
    std::memcpy(&addr, &seg[ep + 24], 4);
    std::vector<uint8_t> table(seg[ep + 22] | seg[ep + 23] << 8);
    m.phys.read_bytes(addr, table.data(), table.size());
    const std::vector<SmbiosStructure> st = walk_smbios(table);
    REQUIRE(st.size() >= 3);
    CHECK(st[0].type == 0);
    CHECK(st[0].str(4) == "SeaBIOS");
    CHECK(st[1].type == 1);
    CHECK(st[1].str(4) == kSmbiosManufacturer);  // ours: SeaBIOS took the fw_cfg tables
    CHECK(st[1].str(5) == kSmbiosProduct);
    CHECK(st.back().type == 127);
}
