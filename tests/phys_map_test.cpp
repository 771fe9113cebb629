// The dynamic physical memory map (memory/phys.h): regions added, removed and moved, priorities
// and directions that fall through, the page table against byte-exact partial pages, the
// listeners and the TLB that must forget what a change made stale; and the i440FX's PAM and SMRAM
// registers driving the BIOS area and the VGA window of a whole machine, as SeaBIOS programs them.
#include <catch2/catch.hpp>

#include <vector>

#include "memory/dma.h"
#include "memory/mmu.h"
#include "memory/phys.h"
#include "test_machine.h"

using namespace xlat;

namespace {

struct Regs : Device {
    uint32_t reg[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
    const char* name() const override { return "regs"; }
    uint32_t read(unsigned, uint32_t off, unsigned) override { return reg[(off / 4) & 3]; }
    void write(unsigned, uint32_t off, unsigned, uint32_t v) override { reg[(off / 4) & 3] = v; }
};

struct Changes {
    std::vector<std::pair<uint32_t, uint64_t>> seen;
    static void note(void* self, uint32_t base, uint64_t size) { static_cast<Changes*>(self)->seen.emplace_back(base, size); }
};

} // namespace

TEST_CASE("memory map: regions are added, moved and removed, and each change is announced", "[phys]") {
    PhysMem phys(16u << 20);
    Changes ch;
    phys.add_listener(&Changes::note, &ch);
    phys.write(0x800000, 4, 0xCAFEF00D);
    Regs dev;
    const RegionId bar = phys.map_mmio(0x800000, 0x2000, &dev, 0, 4, 4, "bar");
    REQUIRE(ch.seen.size() == 1);
    CHECK(ch.seen[0] == std::make_pair(0x800000u, uint64_t(0x2000)));
    CHECK(phys.read(0x800004, 4) == 0x22222222u);  // the device over RAM
    CHECK(phys.page(0x801000).kind == RegionKind::Mmio);

    // A PCI BAR moved by firmware: the old place is RAM again (untouched), the new one the device.
    phys.move_region(bar, 0xE0000000u);
    CHECK(phys.region_base(bar) == 0xE0000000u);
    CHECK(phys.read(0x800000, 4) == 0xCAFEF00Du);
    CHECK(phys.page(0x800000).kind == RegionKind::Ram);
    phys.write(0xE0000008u, 4, 0x5A5A5A5A);
    CHECK(dev.reg[2] == 0x5A5A5A5Au);
    REQUIRE(ch.seen.size() == 3);  // the old range and the new one
    CHECK(ch.seen[1] == std::make_pair(0x800000u, uint64_t(0x2000)));
    CHECK(ch.seen[2] == std::make_pair(0xE0000000u, uint64_t(0x2000)));

    phys.remove_region(bar);
    CHECK_FALSE(phys.has_region(bar));
    CHECK(phys.read(0xE0000008u, 4) == 0xFFFFFFFFu);  // beyond RAM: nothing
    CHECK(phys.page(0xE0000000u).kind == RegionKind::None);
    CHECK(ch.seen.size() == 4);

    // Same priority may not overlap; another priority stacks.
    phys.map_rom(0x900000, std::vector<uint8_t>(0x1000, 0xAB), "rom");
    CHECK_THROWS_AS(phys.map_rom(0x900800, std::vector<uint8_t>(0x1000, 0xCD), "rom2"), std::invalid_argument);
    CHECK_NOTHROW(phys.map_none(0x900000, 0x1000, "over", kPrioChipset));
    CHECK(phys.read(0x900000, 1) == 0xFF);
    CHECK_THROWS_AS(phys.map_ram(0xFFF000, 0x2000, true, true, "beyond"), std::invalid_argument);
    CHECK_THROWS_AS(phys.remove_region(12345), std::invalid_argument);
    CHECK_THROWS_AS(phys.map_none(0xFFFFF000u, 0x2000, "wraps"), std::invalid_argument);
}

TEST_CASE("memory map: directions fall through to the region below, and partial pages are exact", "[phys]") {
    PhysMem phys(16u << 20);
    phys.write(0x100000, 4, 0x01020304);
    const RegionId rom = phys.map_rom(0x100000, std::vector<uint8_t>(0x1000, 0xEE), "rom");
    const RegionId shadow = phys.map_ram(0x100000, 0x1000, false, true, "shadow");
    // Reads: the ROM; writes: the RAM under it, through the shadow.
    CHECK(phys.read(0x100000, 4) == 0xEEEEEEEEu);
    phys.write(0x100000, 4, 0x0A0B0C0D);
    PageInfo pi = phys.page(0x100000);
    CHECK(pi.kind == RegionKind::Rom);
    CHECK(pi.wkind == RegionKind::Ram);
    CHECK(pi.whost == phys.ram() + 0x100000);
    CHECK(phys.ram()[0x100000] == 0x0D);
    phys.set_region_access(shadow, true, false);
    CHECK(phys.read(0x100000, 4) == 0x0A0B0C0Du);
    phys.write(0x100000, 4, 0);  // falls through to the ROM: dropped
    CHECK(phys.read(0x100000, 4) == 0x0A0B0C0Du);
    phys.remove_region(shadow);
    CHECK(phys.read(0x100000, 4) == 0xEEEEEEEEu);
    phys.remove_region(rom);
    CHECK(phys.read(0x100000, 4) == 0x0A0B0C0Du);

    // A 16-byte device in the middle of a RAM page: the page takes the slow path, each byte its owner.
    phys.fill_bytes(0x200000, 0x77, 0x1000);
    Regs dev;
    phys.map_mmio(0x200010, 0x10, &dev, 0, 4, 4, "small");
    CHECK(phys.page(0x200000).kind == RegionKind::Mmio);
    CHECK(phys.read(0x20000C, 4) == 0x77777777u);
    CHECK(phys.read(0x200014, 4) == 0x22222222u);
    CHECK(phys.read(0x20001E, 4) == 0x77774444u);  // crosses from the device back into RAM
    phys.write(0x20001E, 4, 0xAABBCCDD);
    CHECK(phys.ram()[0x200020] == 0xBB);
    CHECK(phys.ram()[0x200021] == 0xAA);
    CHECK(dev.reg[3] == 0xCCDD4444u);  // the device took its two bytes (a read-modify-write)
    // The legacy VGA window of the PC layout is nothing until something maps it.
    CHECK(phys.read(0xA0000, 2) == 0xFFFF);
    phys.write(0xA0000, 1, 0x12);
    CHECK(phys.ram()[0xA0000] == 0);
}

TEST_CASE("memory map: a change drops the TLB entries it made stale", "[phys][mmu]") {
    PhysMem phys(16u << 20);
    Mmu mmu(phys);
    phys.write(0x300000, 4, 0x12345678);
    CHECK(mmu.read<uint32_t>(0x300000, false) == 0x12345678u);  // now in the TLB, a host pointer
    mmu.write<uint32_t>(0x300004, 0x9ABCDEF0u, false);
    const RegionId rom = phys.map_rom(0x300000, std::vector<uint8_t>(0x1000, 0x42), "rom");
    CHECK(mmu.read<uint32_t>(0x300000, false) == 0x42424242u);
    mmu.write<uint32_t>(0x300004, 0, false);  // ROM: dropped, not stored through a stale pointer
    CHECK(phys.ram()[0x300004] == 0xF0);
    const RegionId shadow = phys.map_ram(0x300000, 0x1000, false, true, "shadow");
    CHECK(mmu.read<uint32_t>(0x300000, false) == 0x42424242u);
    mmu.write<uint32_t>(0x300004, 0x11223344u, false);  // reaches RAM through the write tag
    CHECK(phys.ram()[0x300004] == 0x44);
    CHECK(mmu.read<uint32_t>(0x300004, false) == 0x42424242u);  // reads still the ROM
    phys.remove_region(shadow);
    phys.remove_region(rom);
    CHECK(mmu.read<uint32_t>(0x300004, false) == 0x11223344u);

    // DMA refuses a page that reads the ROM and writes RAM (a device would see two memories).
    DmaTarget dma(phys);
    phys.map_rom(0x400000, std::vector<uint8_t>(0x1000, 0x42), "rom2");
    const RegionId sh2 = phys.map_ram(0x400000, 0x1000, false, true, "shadow2");
    uint8_t buf[4] = {};
    CHECK_FALSE(dma.write(0x400000, buf, 4));
    phys.set_region_access(sh2, true, true);
    CHECK(dma.write(0x400000, buf, 4));
}

namespace {

// PCI configuration mechanism #1 through the machine's ports, as firmware does.
void pci_write8(Machine& m, uint8_t reg, uint8_t v) {
    m.io.write(0xCF8, 4, 0x80000000u | (reg & 0xFC));
    m.io.write(uint16_t(0xCFC + (reg & 3)), 1, v);
}

} // namespace

TEST_CASE("PAM: the BIOS area reads the ROM, writes the shadow RAM, then runs from the copy", "[phys][pci][pam]") {
    MachineConfig cfg = small_config();
    for (size_t i = 0; i < cfg.firmware.size(); ++i) cfg.firmware[i] = uint8_t(i * 7 + 3);
    Machine m(cfg);
    auto rom_byte = [&](uint32_t addr) { return uint8_t((addr - 0xF0000) * 7 + 3); };
    // Power-on: PAM0 = 00, every access goes to PCI: the ROM reads, writes vanish.
    CHECK(m.mmu.read<uint8_t>(0xF1234, false) == rom_byte(0xF1234));
    m.mmu.write<uint8_t>(0xF1234, 0, false);
    CHECK(m.mmu.read<uint8_t>(0xF1234, false) == rom_byte(0xF1234));
    CHECK(m.phys.ram()[0xF1234] == 0);
    // 0xC0000-0xDFFFF has no ROM in a 64 KiB firmware: PCI answers nothing.
    CHECK(m.mmu.read<uint32_t>(0xC8000, false) == 0xFFFFFFFFu);

    // SeaBIOS's copy: PAM0 write-only (10b), copy the segment onto itself, then read/write (11b).
    pci_write8(m, 0x59, 0x20);
    for (uint32_t a = 0xF0000; a < 0x100000; a += 4) m.mmu.write<uint32_t>(a, m.mmu.read<uint32_t>(a, false), false);
    CHECK(m.mmu.read<uint8_t>(0xF0010, false) == rom_byte(0xF0010));  // still reads the ROM
    CHECK(m.phys.ram()[0xF0010] == rom_byte(0xF0010));                 // the shadow holds the copy
    pci_write8(m, 0x59, 0x30);
    m.mmu.write<uint8_t>(0xF0010, 0x99, false);  // now RAM both ways: the BIOS can keep data here
    CHECK(m.mmu.read<uint8_t>(0xF0010, false) == 0x99);
    CHECK(m.mmu.read<uint8_t>(0xFFFF0, false) == rom_byte(0xFFFF0));
    // Read-only (01b), as SeaBIOS leaves it at the end of POST: writes are lost.
    pci_write8(m, 0x59, 0x10);
    m.mmu.write<uint8_t>(0xF0010, 0x55, false);
    CHECK(m.mmu.read<uint8_t>(0xF0010, false) == 0x99);
    // Back to 00: the ROM, whose bytes the shadow never touched.
    pci_write8(m, 0x59, 0x00);
    CHECK(m.mmu.read<uint8_t>(0xF0010, false) == rom_byte(0xF0010));
    // The ROM at the top of 4 GiB is a separate region and never changes.
    CHECK(m.mmu.read<uint8_t>(0xFFFF0010u, false) == rom_byte(0xF0010));

    // A 16 KiB segment (PAM1 low nibble: 0xC0000-0xC3FFF) alone.
    pci_write8(m, 0x5A, 0x03);
    m.mmu.write<uint32_t>(0xC0000, 0xDEADBEEF, false);
    CHECK(m.mmu.read<uint32_t>(0xC0000, false) == 0xDEADBEEFu);
    CHECK(m.mmu.read<uint32_t>(0xC4000, false) == 0xFFFFFFFFu);  // the next segment is still PCI
    // A reset returns the registers and so the map to power-on.
    m.reset();
    CHECK(m.mmu.read<uint32_t>(0xC0000, false) == 0xFFFFFFFFu);
    CHECK(m.phys.ram()[0xC0000] == 0xEF);  // RAM keeps its contents over a reset
}

TEST_CASE("SMRAM: the VGA window shows RAM only while D_OPEN and G_SMRAME are set", "[phys][pci][pam]") {
    Machine m(small_config());
    m.phys.ram()[0xA0000] = 0x5C;
    CHECK(m.mmu.read<uint8_t>(0xA0000, false) == 0xFF);
    pci_write8(m, 0x72, 0x40 | 0x02);  // D_OPEN without G_SMRAME: still closed
    CHECK(m.mmu.read<uint8_t>(0xA0000, false) == 0xFF);
    pci_write8(m, 0x72, 0x40 | 0x08 | 0x02);
    CHECK(m.mmu.read<uint8_t>(0xA0000, false) == 0x5C);
    m.mmu.write<uint8_t>(0xBFFFF, 0x77, false);
    CHECK(m.phys.ram()[0xBFFFF] == 0x77);
    pci_write8(m, 0x72, 0x08 | 0x02);  // closed again
    CHECK(m.mmu.read<uint8_t>(0xBFFFF, false) == 0xFF);
}
