// fw_cfg through its ports, as SeaBIOS drives it: signature and ID through the data port, the
// file directory, DMA reads into guest RAM (select, read, skip), and DMA that points outside RAM
// or writes a read-only item ending with the error bit and nothing touched.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "devices/fw_cfg.h"
#include "memory/iobus.h"

using namespace xlat;

namespace {

struct Rig {
    PhysMem phys{4u << 20};
    DmaTarget dma{phys};
    FwCfg fw{dma};
    IoBus io;
    Rig() {
        claim_ports(io, FwCfg::kSelectorPort, 2, &fw);
        claim_ports(io, FwCfg::kDmaPort, 8, &fw);
        fw_cfg_pc_items(fw, {4u << 20, 2, 5000, {"/pci@i0cf8/ide@1,1/drive@0/disk@0"}});
    }
    std::string read_item(uint16_t key, size_t n) {
        io.write(FwCfg::kSelectorPort, 2, key);
        std::string s;
        for (size_t i = 0; i < n; ++i) s += char(io.read(FwCfg::kDataPort, 1));
        return s;
    }
    static uint32_t be(uint32_t v) { return __builtin_bswap32(v); }
    // Puts an FWCfgDmaAccess at `at` and starts it with the two 32-bit writes firmware does.
    uint32_t run_dma(uint32_t at, uint32_t control, uint32_t length, uint64_t address) {
        const uint32_t s[4] = {be(control), be(length), be(uint32_t(address >> 32)), be(uint32_t(address))};
        phys.write_bytes(at, s, sizeof s);
        io.write(FwCfg::kDmaPort, 4, be(0));
        io.write(FwCfg::kDmaPort + 4, 4, be(at));
        uint32_t done;
        phys.read_bytes(at, &done, 4);
        return be(done);
    }
};

uint32_t be32(const std::string& s, size_t at) {
    return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
           uint8_t(s[at + 3]);
}

} // namespace

TEST_CASE("fw_cfg: signature, ID and the DMA signature", "[devices]") {
    Rig r;
    CHECK(r.read_item(FwCfg::kSignature, 4) == "QEMU");
    CHECK(r.read_item(FwCfg::kSignature, 6) == std::string("QEMU\0\0", 6));  // zeros past the end
    const std::string id = r.read_item(FwCfg::kId, 4);
    CHECK(uint8_t(id[0]) == 0x03);  // port interface and DMA
    // The DMA address register reads "QEMU CFG" in big-endian order.
    CHECK(r.io.read(FwCfg::kDmaPort, 4) == 0x554D4551);      // 'Q' 'E' 'M' 'U' at 514h-517h
    CHECK(r.io.read(FwCfg::kDmaPort + 4, 4) == 0x47464320);  // ' ' 'C' 'F' 'G'
    const std::string ram = r.read_item(FwCfg::kRamSize, 8);
    uint64_t ram_size;
    std::memcpy(&ram_size, ram.data(), 8);
    CHECK(ram_size == (4u << 20));
    CHECK(r.read_item(FwCfg::kNbCpus, 2) == std::string("\2\0", 2));
    CHECK(r.read_item(FwCfg::kMaxCpus, 2) == std::string("\2\0", 2));
    // IRQ 0 reaches the I/O APIC's input 2: SeaBIOS's MP table and MADT say so only with this.
    CHECK(r.read_item(FwCfg::kIrq0Override, 1) == std::string("\1", 1));
    // An item that does not exist reads as zeros.
    CHECK(r.read_item(0x1234, 2) == std::string("\0\0", 2));
    // Selecting again rewinds.
    CHECK(r.read_item(FwCfg::kSignature, 2) == "QE");
    CHECK(r.read_item(FwCfg::kSignature, 2) == "QE");
}

TEST_CASE("fw_cfg: the file directory lists the files by name with their sizes and keys", "[devices]") {
    Rig r;
    r.io.write(FwCfg::kSelectorPort, 2, FwCfg::kFileDir);
    std::string count;
    for (int i = 0; i < 4; ++i) count += char(r.io.read(FwCfg::kDataPort, 1));
    const uint32_t n = be32(count, 0);
    REQUIRE(n == 3);
    std::string dir;
    for (uint32_t i = 0; i < 64 * n; ++i) dir += char(r.io.read(FwCfg::kDataPort, 1));
    std::vector<std::string> names;
    for (uint32_t i = 0; i < n; ++i) {
        const std::string e = dir.substr(64 * i, 64);
        const std::string name(e.c_str() + 8);
        names.push_back(name);
        const uint16_t key = uint16_t(uint8_t(e[4]) << 8 | uint8_t(e[5]));
        CHECK(key >= FwCfg::kFileFirst);
        // The size in the entry is the size of what the key selects.
        REQUIRE(r.fw.item(key));
        CHECK(be32(e, 0) == r.fw.item(key)->size());
        if (name == "etc/e820") CHECK(be32(e, 0) == 20);
        if (name == "etc/boot-fail-wait") CHECK(r.read_item(key, 4) == std::string("\x88\x13\0\0", 4));  // 5000 ms
        if (name == "bootorder") CHECK(r.read_item(key, 64) == std::string("/pci@i0cf8/ide@1,1/drive@0/disk@0\n") + std::string(64 - 34, '\0'));
    }
    CHECK(names == std::vector<std::string>{"bootorder", "etc/boot-fail-wait", "etc/e820"});
}

TEST_CASE("fw_cfg: a DMA read of etc/e820 into RAM", "[devices]") {
    Rig r;
    const std::vector<uint8_t>* e820 = r.fw.file("etc/e820");
    REQUIRE(e820);
    uint16_t key = 0;
    // Find the key through the directory by DMA, as SeaBIOS does.
    std::vector<uint8_t> marker(4 + 64 * 3 + 8, 0xAA);
    r.phys.write_bytes(0x20000, marker.data(), marker.size());
    CHECK(r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaRead | FwCfg::kFileDir << 16, 4 + 64 * 3, 0x20000) == 0);
    std::vector<uint8_t> dir(4 + 64 * 3 + 8);
    r.phys.read_bytes(0x20000, dir.data(), dir.size());
    for (unsigned i = 0; i < 3; ++i)
        if (std::strcmp(reinterpret_cast<const char*>(&dir[4 + 64 * i + 8]), "etc/e820") == 0)
            key = uint16_t(dir[4 + 64 * i + 4] << 8 | dir[4 + 64 * i + 5]);
    CHECK(dir[4 + 64 * 3] == 0xAA);  // nothing past the length
    REQUIRE(key != 0);

    // Read 28 bytes: the 20-byte table, then zeros.
    std::vector<uint8_t> fill(32, 0xEE);
    r.phys.write_bytes(0x30000, fill.data(), fill.size());
    CHECK(r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaRead | uint32_t(key) << 16, 28, 0x30000) == 0);
    uint8_t got[32];
    r.phys.read_bytes(0x30000, got, sizeof got);
    uint64_t base, len;
    uint32_t type;
    std::memcpy(&base, got, 8);
    std::memcpy(&len, got + 8, 8);
    std::memcpy(&type, got + 16, 4);
    CHECK(base == 0);
    CHECK(len == (4u << 20));
    CHECK(type == 1);
    for (int i = 20; i < 28; ++i) CHECK(got[i] == 0);
    for (int i = 28; i < 32; ++i) CHECK(got[i] == 0xEE);

    // Skip, then read the rest: the offset carries over between transfers.
    CHECK(r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaSkip | uint32_t(key) << 16, 8, 0) == 0);
    CHECK(r.run_dma(0x1000, FwCfg::kDmaRead, 8, 0x30000) == 0);
    r.phys.read_bytes(0x30000, &len, 8);
    CHECK(len == (4u << 20));
    // And the data port continues at the same offset.
    CHECK(char(r.io.read(FwCfg::kDataPort, 1)) == 1);
}

TEST_CASE("fw_cfg: DMA outside RAM or into a read-only item fails with the error bit", "[devices]") {
    Rig r;
    // Destination above RAM (4 MiB here), in the VGA hole, and in the firmware area at 4 GiB.
    for (uint64_t bad : {uint64_t(4u << 20) - 8, uint64_t(0xA0000), uint64_t(0xFFFFFFF0), uint64_t(1) << 32}) {
        INFO(std::hex << bad);
        const uint32_t ctl = r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaRead | FwCfg::kSignature << 16, 16, bad);
        CHECK((ctl & FwCfg::kDmaError) != 0);
    }
    // The transfer that straddled the end of RAM wrote nothing at all.
    uint8_t tail[8];
    r.phys.read_bytes((4u << 20) - 8, tail, 8);
    for (uint8_t b : tail) CHECK(b == 0);
    // Writes: the signature is read-only; a writable item takes bytes but does not grow.
    const uint32_t src = 0x5000;
    r.phys.write_bytes(src, "abcdefgh", 8);
    CHECK(r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaWrite | FwCfg::kSignature << 16, 4, src) & FwCfg::kDmaError);
    CHECK(r.read_item(FwCfg::kSignature, 4) == "QEMU");
    const uint16_t key = r.fw.add_file("opt/test", std::vector<uint8_t>(6, 0), true);
    CHECK(r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaWrite | uint32_t(key) << 16, 8, src) & FwCfg::kDmaError);
    CHECK(*r.fw.item(key) == std::vector<uint8_t>(6, 0));
    CHECK(r.run_dma(0x1000, FwCfg::kDmaSelect | FwCfg::kDmaWrite | uint32_t(key) << 16, 4, src) == 0);
    CHECK(r.read_item(key, 6) == std::string("abcd\0\0", 6));
    // A control structure outside RAM: nothing happens, the bus survives.
    r.io.write(FwCfg::kDmaPort, 4, 0);
    r.io.write(FwCfg::kDmaPort + 4, 4, Rig::be(0xFFFFFF00));
    CHECK(r.read_item(FwCfg::kSignature, 4) == "QEMU");
}

TEST_CASE("fw_cfg: reset rewinds the selection, items stay", "[devices]") {
    Rig r;
    r.io.write(FwCfg::kSelectorPort, 2, FwCfg::kSignature);
    CHECK(r.io.read(FwCfg::kDataPort, 1) == 'Q');
    r.io.write(FwCfg::kSelectorPort, 2, FwCfg::kRamSize);
    r.fw.reset();
    CHECK(r.io.read(FwCfg::kDataPort, 1) == 'Q');  // selector 0 again, offset 0
    CHECK(r.fw.file("etc/e820"));
}

#include "test_machine.h"

TEST_CASE("fw_cfg: the machine's fw_cfg tells the firmware its RAM size and e820 map", "[devices]") {
    xlat::Machine m(small_config(8u << 20));
    m.io.write(FwCfg::kSelectorPort, 2, FwCfg::kSignature);
    std::string sig;
    for (int i = 0; i < 4; ++i) sig += char(m.io.read(FwCfg::kDataPort, 1));
    CHECK(sig == "QEMU");
    const std::vector<uint8_t>* e820 = m.board.fw_cfg.file("etc/e820");
    REQUIRE(e820);
    CHECK(*e820 == e820_table(8u << 20));
    CHECK(*m.board.fw_cfg.item(FwCfg::kRamSize) == std::vector<uint8_t>{0, 0, 0x80, 0, 0, 0, 0, 0});
}
