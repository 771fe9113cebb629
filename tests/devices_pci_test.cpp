// PCI through configuration mechanism #1, as firmware drives it: IDs, BAR sizing, the i440FX PAM
// and SMRAM registers, PIRQ routing, the PIIX4 PM block (timer, SCI, S5 power-off) and the reset
// control register. Only ports are touched; there is no CPU.
#include <catch2/catch.hpp>

#include <vector>

#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/piix.h"

using namespace xlat;

namespace {

// A function with memory BARs and an interrupt pin, as a NIC or a display would have.
class TestFunction : public PciFunction {
public:
    TestFunction() : PciFunction("test", 0x1234, 0x5678, 0x01, 0x020000) { reset(); }
    void raise_status(uint16_t bits) { store(kPciStatus, 2, config16(kPciStatus) | bits); }

protected:
    void init_config() override {
        define_bar(0, BarKind::Mem32, 4096);
        define_bar(1, BarKind::Mem32Prefetch, 1u << 20);
        define_bar(2, BarKind::Io, 32);
        set_reg(kPciIntPin, 1, 1);  // INTA#
    }
};

struct Levels : IrqSink {
    std::vector<bool> level = std::vector<bool>(16, false);
    std::vector<std::pair<unsigned, bool>> changes;
    void set_irq(unsigned pin, bool l) override {
        level[pin] = l;
        changes.emplace_back(pin, l);
    }
};

struct Rig {
    uint64_t now = 0;  // the fake time source, in ns
    IoBus io;
    PciBus bus;
    PciHostPorts host{bus};
    I440fxHost pmc;
    Piix3Isa isa;
    Piix3Ide ide;
    Piix4Pm pm{[this] { return now; }, &io};
    TestFunction nic;
    Levels isa_irqs, sci_irq;

    Rig() {
        bus.attach(0, 0, &pmc);
        bus.attach(1, 0, &isa);
        bus.attach(1, 1, &ide);
        bus.attach(1, 3, &pm);
        bus.attach(3, 0, &nic);
        claim_ports(io, 0xCF8, 8, &host);
        host.isa_ports = &isa.rcr;
        claim_ports(io, 0xB2, 2, &pm.apm);
        pm.acpi_hotplug.claim(io);
        bus.pirq_sink = [this](unsigned p, bool l) { isa.set_pirq(p, l); };
        isa.isa_irqs = &isa_irqs;
        pm.sci.connect(&sci_irq, 9);
    }
    static uint32_t addr(unsigned dev, unsigned fn, unsigned off) { return 0x80000000u | dev << 11 | fn << 8 | (off & 0xFC); }
    uint32_t cfg_read(unsigned dev, unsigned fn, unsigned off, unsigned size) {
        io.write(0xCF8, 4, addr(dev, fn, off));
        return io.read(uint16_t(0xCFC + (off & 3)), size);
    }
    void cfg_write(unsigned dev, unsigned fn, unsigned off, unsigned size, uint32_t v) {
        io.write(0xCF8, 4, addr(dev, fn, off));
        io.write(uint16_t(0xCFC + (off & 3)), size, v);
    }
    // The firmware's PM setup (SeaBIOS piix4_pm_setup does the same writes).
    void enable_pm(uint16_t base) {
        cfg_write(1, 3, Piix4Pm::kPmBase, 4, base | 1u);
        cfg_write(1, 3, Piix4Pm::kPmRegMisc, 1, 0x01);
    }
};

} // namespace

TEST_CASE("pci: IDs and class codes read through 0xCF8/0xCFC at every access size", "[devices]") {
    Rig r;
    CHECK(r.cfg_read(0, 0, 0, 4) == 0x12378086);
    CHECK(r.cfg_read(1, 0, 0, 4) == 0x70008086);
    CHECK(r.cfg_read(1, 1, 0, 4) == 0x70108086);
    CHECK(r.cfg_read(1, 3, 0, 4) == 0x71138086);
    CHECK(r.cfg_read(0, 0, 2, 2) == 0x1237);  // word at 0xCFE
    CHECK(r.cfg_read(1, 1, 3, 1) == 0x70);    // byte at 0xCFF
    CHECK(r.cfg_read(1, 1, 8, 4) >> 8 == 0x010180);  // IDE, legacy mode, bus master
    CHECK(r.cfg_read(1, 3, 8, 4) >> 8 == 0x068000);
    CHECK(r.cfg_read(0, 0, 8, 4) >> 8 == 0x060000);
    CHECK(r.cfg_read(1, 0, kPciHeaderType, 1) == 0x80);  // multi-function: firmware scans 1.1-1.7
    CHECK(r.cfg_read(0, 0, kPciHeaderType, 1) == 0x00);
    // Nothing at 2.0 or 1.2: master abort, all ones.
    CHECK(r.cfg_read(2, 0, 0, 4) == 0xFFFFFFFF);
    CHECK(r.cfg_read(1, 2, 0, 2) == 0xFFFF);
    // CONFIG_ADDRESS reads back without its reserved bits; with bit 31 clear data reads all ones.
    r.io.write(0xCF8, 4, 0xFFFFFFFF);
    CHECK(r.io.read(0xCF8, 4) == 0x80FFFFFC);
    r.io.write(0xCF8, 4, 0x00000000);
    CHECK(r.io.read(0xCFC, 4) == 0xFFFFFFFF);
    // Bus 1 does not exist.
    r.io.write(0xCF8, 4, 0x80010000);
    CHECK(r.io.read(0xCFC, 4) == 0xFFFFFFFF);
}

TEST_CASE("pci: read-only registers keep their value, status bits clear by writing 1", "[devices]") {
    Rig r;
    r.cfg_write(3, 0, 0, 4, 0);
    CHECK(r.cfg_read(3, 0, 0, 4) == 0x56781234);
    r.cfg_write(3, 0, kPciCommand, 2, 0xFFFF);
    CHECK(r.cfg_read(3, 0, kPciCommand, 2) == 0x0547);  // only the implemented enables stick
    r.nic.raise_status(0x2000 | 0x0200);  // received master abort; DEVSEL timing
    r.cfg_write(3, 0, kPciStatus, 2, 0x0000);
    CHECK(r.cfg_read(3, 0, kPciStatus, 2) == 0x2200);
    r.cfg_write(3, 0, kPciStatus, 2, 0xFFFF);  // clears the error bit, not the timing field
    CHECK(r.cfg_read(3, 0, kPciStatus, 2) == 0x0200);
    r.cfg_write(3, 0, kPciIntLine, 1, 11);
    CHECK(r.cfg_read(3, 0, kPciIntLine, 2) == 0x010B);  // line written, pin read-only
}

TEST_CASE("pci: BAR sizing as firmware does it, then programming the BARs", "[devices]") {
    Rig r;
    // Firmware: save, write all ones, read the size mask, restore (SeaBIOS pci_bar_size).
    auto size_bar = [&](unsigned dev, unsigned fn, unsigned bar) {
        const unsigned off = kPciBar0 + 4 * bar;
        const uint32_t old = r.cfg_read(dev, fn, off, 4);
        r.cfg_write(dev, fn, off, 4, 0xFFFFFFFF);
        const uint32_t mask = r.cfg_read(dev, fn, off, 4);
        r.cfg_write(dev, fn, off, 4, old);
        return mask;
    };
    CHECK(size_bar(3, 0, 0) == 0xFFFFF000);  // 4 KiB, 32-bit memory
    CHECK(size_bar(3, 0, 1) == 0xFFF00008);  // 1 MiB, prefetchable
    CHECK(size_bar(3, 0, 2) == 0xFFFFFFE1);  // 32 bytes of I/O
    CHECK(size_bar(3, 0, 3) == 0x00000000);  // not implemented
    CHECK(size_bar(1, 1, 4) == 0xFFFFFFF1);  // the IDE bus-master registers: 16 bytes of I/O
    CHECK(size_bar(1, 1, 0) == 0x00000000);  // legacy mode: no command-block BARs
    // Sizes as firmware computes them from the masks.
    CHECK(~(size_bar(3, 0, 1) & ~0xFu) + 1 == (1u << 20));
    CHECK((~(size_bar(1, 1, 4) & ~0x3u) + 1) == 16);

    // Programming: low bits are forced, decoding follows the command register.
    r.cfg_write(3, 0, kPciBar0, 4, 0xFEBF1234);
    CHECK(r.cfg_read(3, 0, kPciBar0, 4) == 0xFEBF1000);
    CHECK(r.nic.bar_address(0) == 0xFEBF1000);
    CHECK_FALSE(r.nic.bar_enabled(0));
    r.cfg_write(3, 0, kPciCommand, 2, kPciCmdMemory);
    CHECK(r.nic.bar_enabled(0));
    CHECK_FALSE(r.nic.bar_enabled(2));  // I/O decode still off
    r.cfg_write(1, 1, kPciBar0 + 16, 4, 0xC001);
    r.cfg_write(1, 1, kPciCommand, 2, kPciCmdIo | kPciCmdMaster);
    CHECK(r.ide.bar_address(4) == 0xC000);
    CHECK(r.ide.bar_enabled(4));
}

TEST_CASE("pci: i440FX PAM and SMRAM registers", "[devices]") {
    Rig r;
    int changes = 0;
    r.pmc.on_map_change = [&] { ++changes; };
    CHECK_FALSE(r.pmc.pam(0xF0000).read_ram);
    CHECK_FALSE(r.pmc.pam(0xF0000).write_ram);
    // Firmware copies itself to RAM: PAM0 = 30h (F0000-FFFFF read/write DRAM), byte at 0xCFD.
    r.cfg_write(0, 0, 0x59, 1, 0xFF);
    CHECK(r.cfg_read(0, 0, 0x59, 1) == 0x30);  // reserved bits stay 0
    CHECK(r.pmc.pam(0xFFFFF).read_ram);
    CHECK(r.pmc.pam(0xF0000).write_ram);
    CHECK(changes == 1);
    r.cfg_write(0, 0, 0x59, 1, 0x30);  // same value: no map change
    CHECK(changes == 1);
    // PAM1 low field read-only DRAM (C0000-C3FFF), high field write-only (C4000-C7FFF).
    r.cfg_write(0, 0, 0x5A, 1, 0x21);
    CHECK(r.pmc.pam(0xC3FFF).read_ram);
    CHECK_FALSE(r.pmc.pam(0xC3FFF).write_ram);
    CHECK_FALSE(r.pmc.pam(0xC4000).read_ram);
    CHECK(r.pmc.pam(0xC4000).write_ram);
    CHECK_FALSE(r.pmc.pam(0xEC000).read_ram);
    r.cfg_write(0, 0, 0x5F, 1, 0x30);  // PAM6 high: EC000-EFFFF
    CHECK(r.pmc.pam(0xEFFFF).read_ram);
    CHECK_FALSE(r.pmc.pam(0xE8000).read_ram);
    CHECK(changes == 3);

    // SMRAM: C_BASE_SEG hardwired to 010b; D_LCK closes and freezes it until reset.
    CHECK(r.cfg_read(0, 0, 0x72, 1) == 0x02);
    r.cfg_write(0, 0, 0x72, 1, 0x4F);
    CHECK(r.cfg_read(0, 0, 0x72, 1) == 0x4A);
    r.cfg_write(0, 0, 0x72, 1, 0x5A);  // D_LCK with D_OPEN: D_OPEN is reset
    CHECK(r.cfg_read(0, 0, 0x72, 1) == 0x1A);
    r.cfg_write(0, 0, 0x72, 1, 0x42);  // try to open again and clear the lock
    CHECK(r.cfg_read(0, 0, 0x72, 1) == 0x1A);
    r.bus.reset();
    CHECK(r.cfg_read(0, 0, 0x72, 1) == 0x02);
    CHECK(r.cfg_read(0, 0, 0x58, 4) >> 8 == 0);  // PAM0-2
    CHECK(r.cfg_read(0, 0, 0x5C, 4) == 0);       // PAM3-6
    r.cfg_write(0, 0, 0x72, 1, 0x40);
    CHECK(r.cfg_read(0, 0, 0x72, 1) == 0x42);
}

TEST_CASE("pci: INTx reaches the ISA IRQ the PIIX3 PIRQ router selects", "[devices]") {
    Rig r;
    // The device in slot 3, INTA#, is on PIRQC on this board.
    CHECK(PciBus::pirq_of(3 << 3, 1) == 2);
    CHECK(r.cfg_read(1, 0, 0x60, 4) == 0x80808080);  // all routes disabled at power-on
    r.nic.set_intx(true);
    CHECK(r.isa_irqs.changes.empty());
    r.cfg_write(1, 0, 0x62, 1, 0x0B);  // PIRQC -> IRQ 11
    CHECK(r.isa_irqs.level[11]);
    r.cfg_write(3, 0, kPciCommand, 2, kPciCmdIntxDisable);
    CHECK_FALSE(r.isa_irqs.level[11]);
    r.cfg_write(3, 0, kPciCommand, 2, 0);
    CHECK(r.isa_irqs.level[11]);
    r.cfg_write(1, 0, 0x62, 1, 0x0A);  // move it to IRQ 10
    CHECK_FALSE(r.isa_irqs.level[11]);
    CHECK(r.isa_irqs.level[10]);
    r.cfg_write(1, 0, 0x60, 1, 0x0A);  // PIRQA shares IRQ 10 but is idle
    r.cfg_write(1, 0, 0x62, 1, 0x80);  // PIRQC disabled
    CHECK_FALSE(r.isa_irqs.level[10]);
    r.cfg_write(1, 0, 0x62, 1, 0x0D);  // IRQ 13 is a reserved value
    CHECK_FALSE(r.isa_irqs.level[13]);
    r.cfg_write(1, 0, 0x62, 1, 0x05);
    CHECK(r.isa_irqs.level[5]);
    r.nic.set_intx(false);
    CHECK_FALSE(r.isa_irqs.level[5]);
}

TEST_CASE("pci: PIIX4 PM timer at 3.579545 MHz, 24 bits, from the time source", "[devices]") {
    Rig r;
    CHECK(r.io.read(0x608, 4) == 0xFFFFFFFF);  // PM block not enabled yet
    r.enable_pm(0x600);
    CHECK(r.cfg_read(1, 3, Piix4Pm::kPmBase, 4) == 0x601);
    CHECK(r.pm.pm_io_base() == 0x600);
    CHECK(r.io.read(0x608, 4) == 0);
    r.now = 1000;  // 1 us: 3.58 ticks
    CHECK(r.io.read(0x608, 4) == 3);
    r.now = 1000000000;  // 1 s
    CHECK(r.io.read(0x608, 4) == 3579545);
    CHECK(r.io.read(0x608, 2) == (3579545 & 0xFFFF));
    CHECK(r.io.read(0x60A, 1) == (3579545 >> 16));
    r.now = 5000000000ull;  // 5 s: 17897725 ticks, wrapped at 24 bits
    CHECK(r.io.read(0x608, 4) == 17897725 - (1u << 24));
    // Writes do not move it.
    r.io.write(0x608, 4, 0);
    CHECK(r.io.read(0x608, 4) == 17897725 - (1u << 24));
    // The block moves with PMBA.
    r.cfg_write(1, 3, Piix4Pm::kPmBase, 4, 0xB001);
    CHECK(r.io.read(0x608, 4) == 0xFFFFFFFF);
    CHECK(r.io.read(0xB008, 4) == 17897725 - (1u << 24));
    r.cfg_write(1, 3, Piix4Pm::kPmRegMisc, 1, 0);
    CHECK(r.io.read(0xB008, 4) == 0xFFFFFFFF);
}

TEST_CASE("pci: PM timer overflow sets TMROF_STS and raises SCI in ACPI mode", "[devices]") {
    Rig r;
    r.enable_pm(0x600);
    r.io.write(0x602, 2, Piix4Pm::kTmrOf);  // PMEN: TMROF_EN
    CHECK(r.pm.pm_io.next_event_ns() == PortDevice::kNever);  // SCI_EN clear: nothing to deliver
    r.io.write(0xB2, 1, Piix4Pm::kAcpiEnable);  // the OS switches to ACPI mode through SMI_CMD
    CHECK(r.io.read(0x604, 2) & Piix4Pm::kSciEn);
    // Bit 23 first toggles after 2^23 ticks = 2.3434844372... s.
    const uint64_t due = r.pm.pm_io.next_event_ns();
    CHECK(due == 2343484438ull);
    r.now = due - 1;
    r.pm.pm_io.on_event(r.now);
    CHECK_FALSE(r.sci_irq.level[9]);
    CHECK((r.io.read(0x600, 2) & Piix4Pm::kTmrOf) == 0);
    r.now = due;
    r.pm.pm_io.on_event(r.now);
    CHECK(r.sci_irq.level[9]);
    CHECK(r.io.read(0x600, 2) & Piix4Pm::kTmrOf);
    CHECK(r.io.read(0x608, 4) == 1u << 23);
    r.io.write(0x600, 2, 0);  // writing 0 clears nothing
    CHECK(r.sci_irq.level[9]);
    r.io.write(0x600, 2, Piix4Pm::kTmrOf);
    CHECK_FALSE(r.sci_irq.level[9]);
    CHECK((r.io.read(0x600, 2) & Piix4Pm::kTmrOf) == 0);
    // Without SCI_EN the status still latches but no SCI.
    r.io.write(0xB2, 1, Piix4Pm::kAcpiDisable);
    r.now = 2 * due;
    CHECK(r.io.read(0x600, 2) & Piix4Pm::kTmrOf);
    CHECK_FALSE(r.sci_irq.level[9]);
}

TEST_CASE("pci: the ACPI hotplug registers SeaBIOS's AML reads say nothing is pending, removable or going", "[devices]") {
    Rig r;
    r.enable_pm(0x600);
    r.io.write(0xB2, 1, Piix4Pm::kAcpiEnable);
    // GPE0 as Linux's ACPICA sets it up: clear the status, enable the GPEs with methods, byte by byte.
    for (uint16_t p = 0xAFE0; p < 0xAFE2; ++p) r.io.write(p, 1, 0xFF);
    r.io.write(0xAFE2, 1, 0x06);
    r.io.write(0xAFE3, 1, 0x80);
    CHECK(r.io.read(0xAFE0, 2) == 0);       // GPE0_STS: nothing pending (unclaimed ports read FFh)
    CHECK(r.io.read(0xAFE2, 2) == 0x8006);  // GPE0_EN reads back
    CHECK(r.io.read(0xAFE0, 4) == 0x80060000u);
    CHECK_FALSE(r.sci_irq.level[9]);
    // PCI hotplug: no slot added (PCIU), none to eject (PCID), none removable (SeaBIOS then gives
    // no slot an _EJ0); the bus select reads back.
    CHECK(r.io.read(0xAE00, 4) == 0);
    CHECK(r.io.read(0xAE04, 4) == 0);
    CHECK(r.io.read(0xAE08, 4) == 0);
    CHECK(r.io.read(0xAE0C, 4) == 0);
    r.io.write(0xAE10, 4, 0x1234);
    CHECK(r.io.read(0xAE10, 4) == 0x1234);
    // CPU hotplug: the one CPU (APIC ID 0) is present, no other.
    CHECK(r.io.read(0xAF00, 1) == 0x01);
    CHECK(r.io.read(0xAF01, 4) == 0);
    r.pm.acpi_hotplug.cpus = 10;
    CHECK(r.io.read(0xAF00, 2) == 0x03FF);
    r.io.write(0xAF00, 1, 0);  // read-only
    CHECK(r.io.read(0xAF00, 2) == 0x03FF);
    // A reset disables every GPE and selects bus 0 again.
    r.pm.reset();
    CHECK(r.io.read(0xAFE2, 2) == 0);
    CHECK(r.io.read(0xAE10, 4) == 0);
}

TEST_CASE("pci: SLP_EN with SLP_TYP 0 (S5) calls the power-off callback", "[devices]") {
    Rig r;
    int offs = 0;
    r.pm.power_off = [&] { ++offs; };
    r.enable_pm(0x600);
    // An S3 request (SUS_TYP 1) is not a power-off.
    r.io.write(0x604, 2, 1u << 10 | Piix4Pm::kSusEn);
    CHECK(offs == 0);
    CHECK(r.io.read(0x604, 2) == (1u << 10));  // SUS_EN reads 0
    // SUS_TYP without SUS_EN does nothing; then the OS sets SLP_EN (a byte write to the high half).
    r.io.write(0x604, 2, 0);
    CHECK(offs == 0);
    r.io.write(0x605, 1, Piix4Pm::kSusEn >> 8);
    CHECK(offs == 1);
}

TEST_CASE("pci: port 0xCF9 resets, byte accesses to 0xCF8 are not CONFIG_ADDRESS", "[devices]") {
    Rig r;
    std::vector<bool> resets;
    r.isa.on_reset = [&](bool hard) { resets.push_back(hard); };
    r.io.write(0xCF8, 4, Rig::addr(1, 0, 0));
    r.io.write(0xCF9, 1, 0x02);  // SRST alone: no reset, and CONFIG_ADDRESS is untouched
    CHECK(resets.empty());
    CHECK(r.io.read(0xCF9, 1) == 0x02);
    CHECK(r.io.read(0xCF8, 4) == Rig::addr(1, 0, 0));
    r.io.write(0xCF9, 1, 0x06);
    REQUIRE(resets.size() == 1);
    CHECK(resets[0]);
    r.io.write(0xCF9, 1, 0x04);
    REQUIRE(resets.size() == 2);
    CHECK_FALSE(resets[1]);
}

TEST_CASE("pci: a reset returns the functions to power-on state", "[devices]") {
    Rig r;
    r.enable_pm(0x600);
    r.cfg_write(0, 0, 0x59, 1, 0x30);
    r.cfg_write(1, 0, 0x62, 1, 0x0B);
    r.cfg_write(3, 0, kPciBar0, 4, 0xFEBF0000);
    r.io.write(0xB2, 1, Piix4Pm::kAcpiEnable);
    r.now = 3000000000ull;
    r.nic.set_intx(true);
    CHECK(r.isa_irqs.level[11]);
    r.bus.reset();
    CHECK_FALSE(r.isa_irqs.level[11]);
    CHECK(r.pm.pm_io_base() == 0);
    CHECK(r.io.read(0x608, 4) == 0xFFFFFFFF);
    CHECK(r.cfg_read(1, 3, Piix4Pm::kPmBase, 4) == 1);
    CHECK(r.cfg_read(0, 0, 0x59, 1) == 0);
    CHECK(r.cfg_read(1, 0, 0x62, 1) == 0x80);
    CHECK(r.cfg_read(3, 0, kPciBar0, 4) == 0);
    // The PM timer counts from 0 again.
    r.enable_pm(0x600);
    CHECK(r.io.read(0x608, 4) == 0);
    CHECK((r.io.read(0x604, 2) & Piix4Pm::kSciEn) == 0);
}

#include "test_machine.h"

TEST_CASE("pci: a guest that programs the PM block and enters S5 ends the run with status 0", "[devices]") {
    xlat::MachineConfig cfg = small_config();
    // Real-mode firmware at 0xF0000: PMBA = 0x600, PM I/O enable, then PM1_CNT = SLP_EN | SLP_TYP 0.
    const std::vector<uint8_t> code = {
        0xBA, 0xF8, 0x0C, 0x66, 0xB8, 0x40, 0x0B, 0x00, 0x80, 0x66, 0xEF,  // CONFIG_ADDRESS = 1.3, reg 40h
        0xBA, 0xFC, 0x0C, 0x66, 0xB8, 0x01, 0x06, 0x00, 0x00, 0x66, 0xEF,  // PMBA = 0x601
        0xBA, 0xF8, 0x0C, 0x66, 0xB8, 0x80, 0x0B, 0x00, 0x80, 0x66, 0xEF,  // CONFIG_ADDRESS = 1.3, reg 80h
        0xBA, 0xFC, 0x0C, 0xB0, 0x01, 0xEE,                                // PMREGMISC = 1
        0xBA, 0x04, 0x06, 0xB8, 0x00, 0x20, 0xEF,                          // out 0x604, 0x2000
        0xF4, 0xEB, 0xFD,                                                  // hlt; jmp back
    };
    std::copy(code.begin(), code.end(), cfg.firmware.begin());
    const uint8_t reset_vector[] = {0xEA, 0x00, 0x00, 0x00, 0xF0};  // jmp F000:0000
    std::copy(std::begin(reset_vector), std::end(reset_vector), cfg.firmware.end() - 16);
    xlat::Machine m(cfg);
    const xlat::Machine::Result r = m.run(1000);
    CHECK(r.reason == xlat::StopReason::ExitPort);
    CHECK(r.exit_status == 0);
    CHECK(m.board.piix4_pm.pm_io_base() == 0x600);
    m.reset();
    CHECK(m.board.piix4_pm.pm_io_base() == 0);
}

TEST_CASE("pci: what SeaBIOS reads to know the machine: QEMU's subsystem on the host bridge, APMC_EN set", "[devices]") {
    Rig r;
    // SeaBIOS's qemu_detect reads the host bridge's subsystem IDs (1AF4:1100 on QEMU's machines).
    CHECK(r.cfg_read(0, 0, 0x2C, 2) == 0x1AF4);
    CHECK(r.cfg_read(0, 0, 0x2E, 2) == 0x1100);
    // With no SMM in the CPU, DEVACTB.APMC_EN reads as set from power-on (SMM setup is skipped),
    // and stays writable like the rest of the register.
    CHECK((r.cfg_read(1, 3, 0x58, 4) & (1u << 25)) != 0);
    r.cfg_write(1, 3, 0x58, 4, 0);
    CHECK(r.cfg_read(1, 3, 0x58, 4) == 0);
    r.pm.reset();
    CHECK((r.cfg_read(1, 3, 0x58, 4) & (1u << 25)) != 0);
}
