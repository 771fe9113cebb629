// PIIX3 bus-master IDE DMA, driven as a driver drives it (Linux's ata_bmdma: PRD table in memory,
// the table pointer and direction, the ATA command, then start; or start first), without a CPU:
// the PIIX3 IDE function on a PCI bus with its BAR4 programmed through 0xCF8/0xCFC, two ATA
// channels (a disk on the primary, a CD-ROM on the secondary), guest RAM behind the machine's
// DMA interface. PRD tables of several entries across pages, a 64 KiB entry, READ/WRITE DMA and
// their EXT forms, an ATAPI READ(10) by DMA, a table shorter and one longer than the transfer,
// regions outside guest RAM, the PCI bus master enable, a transfer carried into a fresh
// controller by the state lists; and, with a CPU, a guest whose READ DMA overwrites code that
// has been translated.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flat_machine.h"
#include "ide_channel_rig.h"
#include "test_machine.h"
#include "devices/ata.h"
#include "devices/block/block.h"
#include "devices/pci.h"
#include "devices/piix.h"
#include "memory/dma.h"
#include "memory/phys.h"

using namespace xlat;
using xlat_test::IrqCounter;

namespace {

// Disk sector i holds "SECT" + i (le32) and then bytes (i + j) & 0xFF; CD block i holds
// "BLK" + i (one byte) and then (i * 7 + j) & 0xFF.
uint8_t sector_byte(uint64_t lba, uint32_t j) {
    if (j < 4) return uint8_t("SECT"[j]);
    if (j < 8) return uint8_t(lba >> (8 * (j - 4)));
    return uint8_t(lba + j);
}
uint8_t block_byte(uint32_t block, uint32_t j) {
    if (j < 3) return uint8_t("BLK"[j]);
    if (j == 3) return uint8_t(block);
    return uint8_t(block * 7 + j);
}

// A disk in memory.
class MemDisk : public BlockDevice {
public:
    explicit MemDisk(uint64_t sectors) : data(sectors * kSectorSize) {}
    uint64_t sectors() const override { return data.size() / kSectorSize; }
    bool read_only() const override { return false; }
    bool read(uint64_t lba, void* buf, uint32_t count) override {
        if (lba + count > sectors()) return false;
        std::memcpy(buf, data.data() + lba * kSectorSize, size_t(count) * kSectorSize);
        return true;
    }
    bool write(uint64_t lba, const void* buf, uint32_t count) override {
        if (lba + count > sectors()) return false;
        std::memcpy(data.data() + lba * kSectorSize, buf, size_t(count) * kSectorSize);
        return true;
    }
    bool flush() override { return true; }
    const std::string& name() const override { return name_; }
    std::vector<uint8_t> data;

private:
    std::string name_ = "memdisk";
};

constexpr uint16_t kBmBase = 0xC000;
constexpr uint32_t kDiskSectors = 256, kCdBlocks = 40;

struct Rig {
    PhysMem phys{1u << 20};  // 1 MiB of RAM; 0xA0000-0xBFFFF is the VGA hole, as on a PC
    DmaTarget dma{phys};
    IoBus io;
    PciBus bus;
    PciHostPorts host{bus};
    Piix3Ide ide{&io, &dma};
    AtaChannel ch0{"ide0", 0x1F0, 0x3F6, 0}, ch1{"ide1", 0x170, 0x376, 1};
    MemDisk disk{kDiskSectors}, iso{kCdBlocks * 4};
    IrqCounter irq0, irq1;

    Rig() {
        for (uint64_t s = 0; s < kDiskSectors; ++s)
            for (uint32_t j = 0; j < 512; ++j) disk.data[s * 512 + j] = sector_byte(s, j);
        for (uint32_t b = 0; b < kCdBlocks; ++b)
            for (uint32_t j = 0; j < 2048; ++j) iso.data[b * 2048 + j] = block_byte(b, j);
        bus.attach(1, 1, &ide);
        claim_ports(io, 0xCF8, 8, &host);
        claim_ports(io, 0x1F0, 8, &ch0);
        claim_ports(io, 0x3F6, 1, &ch0);
        claim_ports(io, 0x170, 8, &ch1);
        claim_ports(io, 0x376, 1, &ch1);
        ch0.attach(0, &disk);
        ch1.attach(0, &iso, true);
        ide.connect(ch0, ch1);
        ch0.irq.connect(&irq0, 14);
        ch1.irq.connect(&irq1, 15);
        // Firmware: BMIBA at 0xC000, I/O decode and bus mastering on.
        cfg_write(0x20, 4, kBmBase | 1u);
        cfg_write(0x04, 2, kPciCmdIo | kPciCmdMaster);
    }
    void cfg_write(unsigned off, unsigned size, uint32_t v) {
        io.write(0xCF8, 4, 0x80000000u | 1u << 11 | 1u << 8 | (off & 0xFC));
        io.write(uint16_t(0xCFC + (off & 3)), size, v);
    }
    // A PRD table at `at`: (address, byte count field) pairs, EOT on the last.
    void prd_table(uint32_t at, const std::vector<std::pair<uint32_t, uint32_t>>& entries) {
        for (size_t i = 0; i < entries.size(); ++i) {
            const uint32_t e[2] = {entries[i].first, entries[i].second | (i + 1 == entries.size() ? IdeBusMaster::kEot : 0)};
            phys.write_bytes(uint32_t(at + 8 * i), e, 8);
        }
    }
    // Linux's ata_bmdma_setup: the table pointer, the direction with start clear, and the
    // interrupt and error bits cleared.
    void bm_setup(unsigned ch, uint32_t table, bool to_memory) {
        const uint16_t base = uint16_t(kBmBase + 8 * ch);
        io.write(uint16_t(base + 4), 4, table);
        io.write(base, 1, to_memory ? IdeBusMaster::kToMemory : 0);
        io.write(uint16_t(base + 2), 1, IdeBusMaster::kInterrupt | IdeBusMaster::kError);
    }
    void bm_start(unsigned ch, bool to_memory) {
        io.write(uint16_t(kBmBase + 8 * ch), 1, IdeBusMaster::kStart | (to_memory ? IdeBusMaster::kToMemory : 0));
    }
    void bm_stop(unsigned ch) {
        const uint16_t base = uint16_t(kBmBase + 8 * ch);
        io.write(base, 1, io.read(base, 1) & ~uint32_t(IdeBusMaster::kStart));
    }
    uint8_t bm_status(unsigned ch) { return uint8_t(io.read(uint16_t(kBmBase + 8 * ch + 2), 1)); }
    // An LBA28 command on the primary channel's master.
    void ata28(uint8_t cmd, uint32_t lba, uint8_t count) {
        io.write(0x1F6, 1, 0xE0 | (lba >> 24 & 0x0F));
        io.write(0x1F2, 1, count);
        io.write(0x1F3, 1, lba & 0xFF);
        io.write(0x1F4, 1, lba >> 8 & 0xFF);
        io.write(0x1F5, 1, lba >> 16 & 0xFF);
        io.write(0x1F7, 1, cmd);
    }
    uint8_t alt_status0() { return uint8_t(io.read(0x3F6, 1)); }
    // Whether guest memory at `addr` holds disk sectors first..first+count-1.
    bool holds_sectors(uint32_t addr, uint64_t first, uint32_t count) {
        std::vector<uint8_t> got(size_t(count) * 512);
        phys.read_bytes(addr, got.data(), got.size());
        for (uint32_t i = 0; i < got.size(); ++i)
            if (got[i] != sector_byte(first + i / 512, i % 512)) return false;
        return true;
    }
};

// The bytes of `len` at `addr`, to compare before and after.
std::vector<uint8_t> ram_bytes(Rig& r, uint32_t addr, uint32_t len) {
    std::vector<uint8_t> v(len);
    r.phys.read_bytes(addr, v.data(), len);
    return v;
}

} // namespace

TEST_CASE("bmdma: BMIBA maps the registers where firmware puts them; they read back as SFF-8038i says", "[devices][bmdma]") {
    Rig r;
    CHECK(r.ide.bm_io_base() == kBmBase);
    // PRD pointer: dword aligned; status: the DMA capable bits are software's, active is not.
    r.io.write(kBmBase + 4, 4, 0x12345677);
    CHECK(r.io.read(kBmBase + 4, 4) == 0x12345674);
    r.io.write(kBmBase + 2, 1, 0xFF);
    CHECK(r.bm_status(0) == (IdeBusMaster::kDrive0Dma | IdeBusMaster::kDrive1Dma));
    r.io.write(kBmBase, 1, 0xFE);  // reserved bits read 0; start stays clear
    CHECK(r.io.read(kBmBase, 1) == IdeBusMaster::kToMemory);
    CHECK(r.io.read(kBmBase + 8 + 4, 4) == 0);  // the secondary's own registers
    // Moving the BAR moves them; I/O decode off unmaps them.
    r.cfg_write(0x20, 4, 0xD001);
    CHECK(r.ide.bm_io_base() == 0xD000);
    CHECK(r.io.read(0xD004, 4) == 0x12345674);
    CHECK(r.io.read(kBmBase + 4, 4) == 0xFFFFFFFFu);
    r.cfg_write(0x04, 2, kPciCmdMaster);
    CHECK(r.ide.bm_io_base() == 0);
    CHECK(r.io.read(0xD004, 4) == 0xFFFFFFFFu);
}

TEST_CASE("bmdma: READ DMA through a PRD table of several entries across pages", "[devices][bmdma]") {
    Rig r;
    // 8 sectors (4096 bytes) into three regions: one across a page boundary, one of a single
    // sector, one of five; in Linux's order (command, then start) and the other.
    const uint32_t table = 0x8000;
    r.prd_table(table, {{0x10F00, 0x400}, {0x23000, 0x200}, {0x30600, 0xA00}});
    for (bool start_first : {false, true}) {
        INFO((start_first ? "start, then command" : "command, then start"));
        r.phys.fill_bytes(0x10000, 0, 0x30000);
        const unsigned irqs = r.irq0.rises;
        r.bm_setup(0, table, true);
        if (start_first) r.bm_start(0, true);
        r.ata28(0xC8, 16, 8);  // READ DMA, LBA 16
        if (!start_first) {
            // The drive waits for the bus master: BSY and DRQ, nothing moved, no interrupt.
            CHECK((r.alt_status0() & (AtaChannel::kBsy | AtaChannel::kDrq)) == (AtaChannel::kBsy | AtaChannel::kDrq));
            CHECK(r.irq0.rises == irqs);
            CHECK(r.bm_status(0) == 0);
            r.bm_start(0, true);
        }
        // The table fitted the transfer: interrupt set, active clear (normal completion).
        CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
        CHECK(r.irq0.rises == irqs + 1);
        CHECK(r.holds_sectors(0x10F00, 16, 2));
        CHECK(r.holds_sectors(0x23000, 18, 1));
        CHECK(r.holds_sectors(0x30600, 19, 5));
        CHECK(r.phys.read(0x10EFF, 1) == 0);  // not a byte before or after
        CHECK(r.phys.read(0x11300, 1) == 0);
        CHECK(r.phys.read(0x31000, 1) == 0);
        // The driver's end: stop, read the status (acknowledging INTRQ), clear the bit.
        r.bm_stop(0);
        CHECK(r.io.read(0x1F7, 1) == (AtaChannel::kDrdy | AtaChannel::kDsc));
        CHECK_FALSE(r.irq0.level);
        r.io.write(kBmBase + 2, 1, IdeBusMaster::kInterrupt);
        CHECK(r.bm_status(0) == 0);
    }
}

TEST_CASE("bmdma: a PRD region across a 64 KiB boundary is moved on linearly, as under QEMU and Bochs", "[devices][bmdma]") {
    // SFF-8038i forbids such a region and leaves what happens open (the address counter might
    // wrap within its 64 KiB); QEMU and Bochs go straight on, and so does xlat
    // (devices/ide_bmdma.h): 1 KiB from 0x2FF00 ends at 0x302FF, and nothing lands at the
    // wrapped address 0x20000.
    Rig r;
    r.prd_table(0x8000, {{0x2FF00, 0x400}});
    r.phys.fill_bytes(0x20000, 0, 0x20000);
    r.bm_setup(0, 0x8000, true);
    r.ata28(0xC8, 40, 2);  // READ DMA, LBA 40
    r.bm_start(0, true);
    CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
    CHECK(r.holds_sectors(0x2FF00, 40, 2));
    CHECK(ram_bytes(r, 0x20000, 0x400) == std::vector<uint8_t>(0x400, 0));
    CHECK(r.phys.read(0x30300, 1) == 0);
}

TEST_CASE("bmdma: WRITE DMA EXT from memory reaches the disk; a zero byte count is 64 KiB", "[devices][bmdma]") {
    Rig r;
    // Three sectors of new bytes from two regions, by LBA48.
    std::vector<uint8_t> src(1536);
    for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 13 + 5);
    r.phys.write_bytes(0x40000, src.data(), 1024);
    r.phys.write_bytes(0x52000, src.data() + 1024, 512);
    r.prd_table(0x9000, {{0x40000, 0x400}, {0x52000, 0x200}});
    r.bm_setup(0, 0x9000, false);
    r.io.write(0x1F6, 1, 0x40);
    r.io.write(0x1F2, 1, 0x00);  // count 0003h, LBA 100: high-order bytes first
    r.io.write(0x1F3, 1, 0x00);
    r.io.write(0x1F4, 1, 0x00);
    r.io.write(0x1F5, 1, 0x00);
    r.io.write(0x1F2, 1, 0x03);
    r.io.write(0x1F3, 1, 100);
    r.io.write(0x1F4, 1, 0x00);
    r.io.write(0x1F5, 1, 0x00);
    r.io.write(0x1F7, 1, 0x35);  // WRITE DMA EXT
    r.bm_start(0, false);
    CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
    CHECK(r.io.read(0x1F7, 1) == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(std::memcmp(r.disk.data.data() + 100 * 512, src.data(), src.size()) == 0);
    CHECK(r.disk.data[103 * 512 + 4] == 103);  // the sector after is untouched
    r.bm_stop(0);

    // One entry with a byte count of 0: 64 KiB, 128 sectors.
    r.prd_table(0x9000, {{0x60000, 0}});
    r.bm_setup(0, 0x9000, true);
    r.ata28(0xC8, 0, 128);
    r.bm_start(0, true);
    CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
    CHECK(r.holds_sectors(0x60000, 0, 100));
    std::vector<uint8_t> s100(1536);
    r.phys.read_bytes(0x60000 + 100 * 512, s100.data(), s100.size());
    CHECK(s100 == src);  // sectors 100-102 as the write left them
    CHECK(r.holds_sectors(0x60000 + 103 * 512, 103, 25));
}

TEST_CASE("bmdma: a PRD table longer than the transfer leaves active set; a shorter one stops without an interrupt", "[devices][bmdma]") {
    Rig r;
    SECTION("longer: interrupt and active both set, a valid completion") {
        r.prd_table(0x8000, {{0x20000, 0x400}, {0x30000, 0x1000}});
        r.bm_setup(0, 0x8000, true);
        r.ata28(0xC8, 5, 4);
        r.bm_start(0, true);
        CHECK(r.bm_status(0) == (IdeBusMaster::kInterrupt | IdeBusMaster::kActive));
        CHECK(r.holds_sectors(0x20000, 5, 2));
        CHECK(r.holds_sectors(0x30000, 7, 2));
        CHECK(r.io.read(0x1F7, 1) == (AtaChannel::kDrdy | AtaChannel::kDsc));
        r.bm_stop(0);  // the driver stops it: active clears
        CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
    }
    SECTION("shorter: active and interrupt clear, no error, the drive still waits") {
        r.phys.fill_bytes(0x20000, 0xEE, 0x2000);
        r.prd_table(0x8000, {{0x20000, 0x200}, {0x20400, 0x400}});  // 3 sectors of 8
        r.bm_setup(0, 0x8000, true);
        const unsigned irqs = r.irq0.rises;
        r.ata28(0xC8, 40, 8);
        r.bm_start(0, true);
        CHECK(r.bm_status(0) == 0);
        CHECK(r.irq0.rises == irqs);
        CHECK((r.alt_status0() & (AtaChannel::kBsy | AtaChannel::kDrq)) == (AtaChannel::kBsy | AtaChannel::kDrq));
        CHECK(r.holds_sectors(0x20000, 40, 1));
        CHECK(r.holds_sectors(0x20400, 41, 2));
        CHECK(r.phys.read(0x20200, 1) == 0xEE);  // between the regions
        CHECK(r.phys.read(0x20800, 1) == 0xEE);  // after the table's end
        // The driver times out, stops the bus master and resets the drive (SRST), which is
        // ready again and reads by DMA as before.
        r.bm_stop(0);
        r.io.write(0x3F6, 1, AtaChannel::kSrst);
        r.io.write(0x3F6, 1, 0);
        CHECK(r.alt_status0() == (AtaChannel::kDrdy | AtaChannel::kDsc));
        r.prd_table(0x8000, {{0x20000, 0x1000}});
        r.bm_setup(0, 0x8000, true);
        r.ata28(0xC8, 40, 8);
        r.bm_start(0, true);
        CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
        CHECK(r.holds_sectors(0x20000, 40, 8));
    }
}

TEST_CASE("bmdma: a PRD outside guest RAM is a clean error: error set, active clear, nothing written, no interrupt", "[devices][bmdma]") {
    Rig r;
    struct Case {
        const char* what;
        uint32_t table;
        std::vector<std::pair<uint32_t, uint32_t>> prd;
    };
    const Case cases[] = {
        {"a region past the end of RAM", 0x8000, {{0x200000, 0x1000}}},
        {"a region in the VGA hole", 0x8000, {{0xA0000, 0x1000}}},
        {"a region that runs off the end of RAM", 0x8000, {{0xFF800, 0x1000}}},
        {"a region at the top of the address space", 0x8000, {{0xFFFFF000u, 0x1000}}},
        {"the table itself past the end of RAM", 0x300000, {}},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        if (!c.prd.empty()) r.prd_table(c.table, c.prd);
        const std::vector<uint8_t> before = ram_bytes(r, 0xFF000, 0x1000);
        const std::vector<uint8_t> low = ram_bytes(r, 0, 0xA0000);
        const unsigned irqs = r.irq0.rises;
        r.bm_setup(0, c.table, true);
        r.ata28(0xC8, 0, 8);
        r.bm_start(0, true);
        CHECK(r.bm_status(0) == IdeBusMaster::kError);
        CHECK(r.irq0.rises == irqs);
        CHECK(ram_bytes(r, 0xFF000, 0x1000) == before);
        CHECK(ram_bytes(r, 0, 0xA0000) == low);
        // The driver's recovery: stop, reset the drive, clear the error.
        r.bm_stop(0);
        r.io.write(0x3F6, 1, AtaChannel::kSrst);
        r.io.write(0x3F6, 1, 0);
        r.io.write(kBmBase + 2, 1, IdeBusMaster::kError);
        CHECK(r.bm_status(0) == 0);
    }
    // A write from outside RAM: the disk keeps its bytes.
    r.prd_table(0x8000, {{0x200000, 0x400}});
    r.bm_setup(0, 0x8000, false);
    r.ata28(0xCA, 7, 2);
    r.bm_start(0, false);
    CHECK(r.bm_status(0) == IdeBusMaster::kError);
    CHECK(r.disk.data[7 * 512 + 4] == 7);
    CHECK(r.disk.data[7 * 512 + 100] == uint8_t(7 + 100));
}

TEST_CASE("bmdma: with bus mastering off in PCICMD nothing moves until it is turned on", "[devices][bmdma]") {
    Rig r;
    r.cfg_write(0x04, 2, kPciCmdIo);
    r.prd_table(0x8000, {{0x20000, 0x400}});
    r.bm_setup(0, 0x8000, true);
    r.ata28(0xC8, 9, 2);
    r.bm_start(0, true);
    CHECK(r.bm_status(0) == IdeBusMaster::kActive);
    CHECK_FALSE(r.holds_sectors(0x20000, 9, 2));
    r.cfg_write(0x04, 2, kPciCmdIo | kPciCmdMaster);
    CHECK(r.bm_status(0) == IdeBusMaster::kInterrupt);
    CHECK(r.holds_sectors(0x20000, 9, 2));
}

TEST_CASE("bmdma: an ATAPI READ(10) by DMA on the secondary channel", "[devices][bmdma][atapi]") {
    Rig r;
    // Three blocks (6144 bytes) into two regions on different pages.
    r.prd_table(0x8000, {{0x41000, 0x1000}, {0x57800, 0x800}});
    r.bm_setup(1, 0x8000, true);
    r.io.write(0x176, 1, 0xA0);
    r.io.write(0x171, 1, 0x01);  // DMA
    r.io.write(0x174, 1, 0x00);
    r.io.write(0x175, 1, 0x08);
    r.io.write(0x177, 1, 0xA0);  // PACKET
    REQUIRE((r.io.read(0x376, 1) & (AtaChannel::kBsy | AtaChannel::kDrq)) == AtaChannel::kDrq);
    REQUIRE((r.io.read(0x172, 1) & 3) == AtaChannel::kCoD);
    const uint8_t cdb[12] = {0x28, 0, 0, 0, 0, 7, 0, 0, 3, 0, 0, 0};  // READ(10), LBA 7, 3 blocks
    const unsigned irqs = r.irq1.rises;
    for (unsigned w = 0; w < 6; ++w) r.io.write(0x170, 2, uint32_t(cdb[2 * w] | cdb[2 * w + 1] << 8));
    // The data phase waits for the bus master: BSY and DRQ, data to the host (IO=1, CoD=0).
    CHECK((r.io.read(0x376, 1) & (AtaChannel::kBsy | AtaChannel::kDrq)) == (AtaChannel::kBsy | AtaChannel::kDrq));
    CHECK((r.io.read(0x172, 1) & 3) == AtaChannel::kIo);
    CHECK(r.irq1.rises == irqs);
    r.bm_start(1, true);
    // The status phase: IO=1, CoD=1, DRDY, one interrupt; the bus master's table was used up.
    CHECK(r.bm_status(1) == IdeBusMaster::kInterrupt);
    CHECK(r.irq1.rises == irqs + 1);
    CHECK((r.io.read(0x172, 1) & 3) == (AtaChannel::kIo | AtaChannel::kCoD));
    CHECK(r.io.read(0x177, 1) == AtaChannel::kDrdy);
    std::vector<uint8_t> got(6144);
    r.phys.read_bytes(0x41000, got.data(), 4096);
    r.phys.read_bytes(0x57800, got.data() + 4096, 2048);
    bool same = true;
    for (uint32_t i = 0; i < got.size(); ++i) same &= got[i] == block_byte(7 + i / 2048, i % 2048);
    CHECK(same);
    CHECK(r.bm_status(0) == 0);  // the primary's bus master saw nothing
    // A bad opcode with the DMA bit: CHECK CONDITION, no data phase, the interrupt all the same.
    r.bm_stop(1);
    r.bm_setup(1, 0x8000, true);
    r.io.write(0x171, 1, 0x01);
    r.io.write(0x177, 1, 0xA0);
    const uint8_t bad[12] = {0xFF};
    for (unsigned w = 0; w < 6; ++w) r.io.write(0x170, 2, uint32_t(bad[2 * w] | bad[2 * w + 1] << 8));
    CHECK(r.io.read(0x177, 1) == (AtaChannel::kDrdy | AtaChannel::kErr));
    CHECK(r.io.read(0x171, 1) >> 4 == AtapiCdrom::kIllegalRequest);
}

TEST_CASE("bmdma: a DMA read halted by a short table continues in a fresh controller loaded from the state lists", "[devices][bmdma]") {
    Rig a;
    a.prd_table(0x8000, {{0x20000, 0x600}});  // 3 of 8 sectors
    a.bm_setup(0, 0x8000, true);
    a.ata28(0xC8, 60, 8);
    a.bm_start(0, true);
    REQUIRE(a.bm_status(0) == 0);
    REQUIRE(a.holds_sectors(0x20000, 60, 3));

    Rig b;
    std::vector<Device*> from = {&a.ch0, &a.ide}, to = {&b.ch0, &b.ide};
    for (size_t i = 0; i < from.size(); ++i) {
        CHECK(save_state(*to[i]) != save_state(*from[i]));
        load_state(*to[i], save_state(*from[i]));
        CHECK(save_state(*to[i]) == save_state(*from[i]));
    }
    // Both: a new table for the other five sectors, started again; the drive goes on.
    for (Rig* r : {&a, &b}) {
        INFO((r == &a ? "original" : "copy"));
        r->prd_table(0x8100, {{0x30000, 0xA00}});
        r->bm_setup(0, 0x8100, true);
        r->bm_start(0, true);
        CHECK(r->bm_status(0) == IdeBusMaster::kInterrupt);
        CHECK(r->holds_sectors(0x30000, 63, 5));
        CHECK(r->io.read(0x1F7, 1) == (AtaChannel::kDrdy | AtaChannel::kDsc));
    }
}

// With a CPU: a guest calls a function (translated on that call), then reads a disk sector by
// READ DMA over that function's page and calls it again: the new bytes run, in both executors.
TEST_CASE("bmdma: a guest's READ DMA over translated code runs the new code", "[devices][bmdma][jit][smc]") {
    namespace ax = asmjit::x86;
    constexpr uint32_t kCode = 0x10000, kFunc = 0x12000, kTable = 0x13000;
    // The old function returns 1; sector 5 of the disk holds one that returns 0x1234.
    const std::vector<uint8_t> old_fn = assemble_at(kFunc, [](ax::Assembler& a) { a.mov(ax::eax, 1); a.ret(); });
    std::vector<uint8_t> new_fn = assemble_at(kFunc, [](ax::Assembler& a) { a.mov(ax::eax, 0x1234); a.ret(); });
    new_fn.resize(512, 0xCC);
    auto disk = std::make_shared<MemDisk>(16);
    std::memcpy(disk->data.data() + 5 * 512, new_fn.data(), 512);
    const std::vector<uint8_t> code = assemble_at(kCode, [&](ax::Assembler& a) {
        auto out8 = [&](uint16_t port, uint8_t v) { a.mov(ax::dx, port); a.mov(ax::al, v); a.out(ax::dx, ax::al); };
        a.call(kFunc);
        a.mov(ax::ebx, ax::eax);
        // ata_bmdma_setup, READ DMA of sector 5, start, then wait for the interrupt bit.
        a.mov(ax::dx, kBmBase + 4);
        a.mov(ax::eax, kTable);
        a.out(ax::dx, ax::eax);
        out8(kBmBase, IdeBusMaster::kToMemory);
        out8(0x1F6, 0xE0);
        out8(0x1F2, 1);
        out8(0x1F3, 5);
        out8(0x1F4, 0);
        out8(0x1F5, 0);
        out8(0x1F7, 0xC8);
        out8(kBmBase, IdeBusMaster::kToMemory | IdeBusMaster::kStart);
        asmjit::Label wait = a.newLabel();
        a.bind(wait);
        a.mov(ax::dx, kBmBase + 2);
        a.in(ax::al, ax::dx);
        a.test(ax::al, IdeBusMaster::kInterrupt);
        a.jz(wait);
        a.call(kFunc);
        a.hlt();
    });
    for (CpuMode mode : {CpuMode::Jit, CpuMode::Interp}) {
        INFO((mode == CpuMode::Jit ? "jit" : "interp"));
        MachineConfig cfg = small_config();
        cfg.cpu_mode = mode;
        cfg.ide_disks[0] = disk;
        Machine m(cfg);
        // What firmware would have done: BMIBA at 0xC000, I/O and bus mastering on.
        m.io.write(0xCF8, 4, 0x80000000u | 1u << 11 | 1u << 8 | 0x20);
        m.io.write(0xCFC, 4, kBmBase | 1u);
        m.io.write(0xCF8, 4, 0x80000000u | 1u << 11 | 1u << 8 | 0x04);
        m.io.write(0xCFC, 2, kPciCmdIo | kPciCmdMaster);
        const uint32_t prd[2] = {kFunc, 512 | IdeBusMaster::kEot};
        m.phys.write_bytes(kTable, prd, sizeof prd);
        m.phys.write_bytes(kFunc, old_fn.data(), old_fn.size());
        m.phys.write_bytes(kCode, code.data(), code.size());
        enter_flat32(m, kCode, 0x30000);
        m.run(10000);
        CHECK(m.cpu.s.halted);
        CHECK(m.cpu.s.reg32(EBX) == 1);
        CHECK(m.cpu.s.reg32(EAX) == 0x1234);
        if (m.jit) CHECK(m.jit->stats().invalidated >= 1);
        else CHECK(m.interp.block_stats().invalidated >= 1);
    }
}
