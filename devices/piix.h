// The south bridge functions of QEMU's "pc" board (Intel 82371SB PIIX3 datasheet, order 290550;
// 82371AB PIIX4 datasheet, order 290562):
//   Piix3Isa       device 1 function 0 (8086:7000): the PCI-to-ISA bridge, its PIRQ router
//                  (registers 60h-63h) and the reset control register at port 0xCF9
//   Piix3Ide       device 1 function 1 (8086:7010): the IDE controller in legacy mode (the ATA
//                  channels themselves are devices/ata.h) with its bus master (BMIBA, BAR4:
//                  devices/ide_bmdma.h)
//   Piix4Pm        device 1 function 3 (8086:7113): power management: the ACPI PM1 registers and
//                  PM timer at PMBA, the APM control port 0xB2, sleep control (S5: power off),
//                  and the ACPI hotplug registers of QEMU's PIIX4 (GPE0 block, PCI and CPU
//                  hotplug) that the ACPI tables SeaBIOS builds for this board read
// The ELCR (ports 0x4D0/0x4D1) belongs to the 8259 model.
#pragma once
#include <functional>

#include "devices/ata.h"
#include "devices/ide_bmdma.h"
#include "devices/pci.h"
#include "memory/dma.h"
#include "memory/irq.h"

namespace xlat {

class Piix3Isa : public PciFunction {
public:
    Piix3Isa() : PciFunction("piix3-isa", 0x8086, 0x7000, 0x00, 0x060100, true), rcr(*this) { reset(); }
    void reset() override;

    // The ISA interrupt inputs the PIRQ router drives (the 8259 pair, later the I/O APIC too).
    IrqSink* isa_irqs = nullptr;
    // PciBus::pirq_sink points here: PIRQ n (0-3, A-D) is now at `level`.
    void set_pirq(unsigned pirq, bool level);
    // The ISA IRQ PIRQ n reaches, or -1 when its routing is disabled or reserved.
    int pirq_route(unsigned pirq) const;

    // Port 0xCF9, the reset control register (PIIX3 datasheet 4.1.24): a 0->1 transition of bit 2
    // (RCPU) resets; bit 1 (SRST) selects a hard reset of the system (true) or a CPU-only one.
    class ResetControl : public PortDevice {
    public:
        explicit ResetControl(Piix3Isa& isa) : isa_(isa) {}
        const char* name() const override { return "piix3-rcr"; }
        uint32_t io_read(uint16_t port, unsigned size) override;
        void io_write(uint16_t port, unsigned size, uint32_t value) override;
        void reset() override { rcr_ = 0; }

    private:
        friend class Piix3Isa;
        Piix3Isa& isa_;
        uint8_t rcr_ = 0;  // state: SRST (bit 1); RCPU reads back as written
    };
    ResetControl rcr;
    std::function<void(bool hard)> on_reset;

    // The configuration space and the reset control register; the PIRQ inputs are wires the
    // other functions drive, and post_load routes them again.
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override { update_irqs(); }

protected:
    void init_config() override;
    void config_written(uint8_t offset, unsigned size) override;

private:
    void update_irqs();
    // State: the PIRQ input levels; derived: the ISA IRQs the router drives high now.
    uint8_t pirq_levels_ = 0;
    uint16_t driven_ = 0;
};

class Piix3Ide : public PciFunction {
public:
    // io: where BMIBA's 16 ports are claimed when firmware enables them; dma: guest memory for
    // the bus masters (null for either: no bus-master registers / every transfer fails).
    explicit Piix3Ide(IoBus* io = nullptr, DmaTarget* dma = nullptr, const Tracer* tracer = nullptr);
    ~Piix3Ide() override;
    void reset() override;
    // The channels the two bus masters serve (primary, secondary).
    void connect(AtaChannel& primary, AtaChannel& secondary);
    // IDETIM bit 15 (IDE decode enable) of channel 0 (primary) or 1 (secondary).
    bool channel_decode(unsigned ch) const { return config16(uint8_t(0x40 + 2 * ch)) & 0x8000; }
    // Where the bus-master registers are claimed, or 0 when they are not.
    uint16_t bm_io_base() const { return mapped_base_; }

    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override;

    IdeBusMaster bm[2];
    // The 16 ports at BMIBA: bytes 0-7 the primary channel's bus master, 8-15 the secondary's.
    class BmIo : public PortDevice {
    public:
        explicit BmIo(Piix3Ide& ide) : ide_(ide) {}
        const char* name() const override { return "piix3-bmide"; }
        uint32_t io_read(uint16_t port, unsigned size) override;
        void io_write(uint16_t port, unsigned size, uint32_t value) override;

    private:
        Piix3Ide& ide_;
    };
    BmIo bm_io{*this};

protected:
    void init_config() override;
    void config_written(uint8_t offset, unsigned size) override;

private:
    void remap();
    bool may_master() const { return config16(kPciCommand) & kPciCmdMaster; }
    IoBus* io_;
    uint16_t mapped_base_ = 0;  // derived: where bm_io is claimed
};

class Piix4Pm : public PciFunction {
public:
    // ns: the machine's time in nanoseconds (the Clock when it lands); io: where the PM register
    // block is mapped when firmware enables it (null: nowhere).
    Piix4Pm(std::function<uint64_t()> ns, IoBus* io);
    ~Piix4Pm() override;
    void reset() override;

    static constexpr uint64_t kPmTimerHz = 3579545;  // ACPI 1.0 section 4.7.2.1
    enum : uint8_t { kPmBase = 0x40, kPmRegMisc = 0x80, kSmbBase = 0x90, kSmbHstCfg = 0xD2 };
    // PM1 registers, offsets in the PMBA block (PIIX4 datasheet 7.2).
    enum : uint8_t { kPmSts = 0x00, kPmEn = 0x02, kPmCntrl = 0x04, kPmTmr = 0x08 };
    enum : uint16_t {
        kTmrOf = 1u << 0, kBm = 1u << 4, kGbl = 1u << 5, kPwrBtn = 1u << 8, kRtc = 1u << 10, kWak = 1u << 15,
        kSciEn = 1u << 0, kBrldEnBm = 1u << 1, kGblRls = 1u << 2, kSusTypShift = 10, kSusEn = 1u << 13,
    };
    // The APM control value that switches to ACPI mode (sets SCI_EN) and back, as the FADT's
    // ACPI_ENABLE/ACPI_DISABLE say (the values QEMU's tables use).
    enum : uint8_t { kAcpiEnable = 0xF1, kAcpiDisable = 0xF0 };

    // The 24-bit PM timer now.
    uint32_t pm_timer() const;
    // Where the PM block is mapped, or 0 when it is not.
    uint16_t pm_io_base() const { return mapped_base_; }

    // The configuration space, the PM1 registers, the timer's origin and the APM ports (the
    // hotplug registers keep their own list).
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override;

    IrqLine sci;                       // the SCI (ISA IRQ 9 on this board)
    std::function<void()> power_off;   // SLP_EN with SLP_TYP 0 (soft off, S5)

    // The PM register block (64 ports at PMBA).
    class PmIo : public PortDevice {
    public:
        explicit PmIo(Piix4Pm& pm) : pm_(pm) {}
        const char* name() const override { return "piix4-pm"; }
        uint32_t io_read(uint16_t port, unsigned size) override;
        void io_write(uint16_t port, unsigned size, uint32_t value) override;
        uint64_t next_event_ns() const override;
        void on_event(uint64_t now_ns) override;

    private:
        Piix4Pm& pm_;
    };
    // The APM control and status ports 0xB2/0xB3 (PIIX4 datasheet 7.1.4). Without SMM the
    // control port does what firmware's SMI handler would: switch SCI_EN.
    class Apm : public PortDevice {
    public:
        explicit Apm(Piix4Pm& pm) : pm_(pm) {}
        const char* name() const override { return "apm"; }
        uint32_t io_read(uint16_t port, unsigned size) override;
        void io_write(uint16_t port, unsigned size, uint32_t value) override;
        void reset() override { apmc_ = apms_ = 0; }

    private:
        friend class Piix4Pm;
        Piix4Pm& pm_;
        uint8_t apmc_ = 0, apms_ = 0;  // state
    };
    // QEMU's PIIX4 adds registers at fixed ports that the AML of the tables SeaBIOS builds for
    // this board reads (its DSDT's GPE methods _E01/_E02 and the PCI slots of its SSDT):
    //   0xAFE0-0xAFE3  the GPE0 block (the FADT's GPE0_BLK, 4 bytes): GPE0_STS (2 bytes, a status
    //                  bit clears by writing 1), then GPE0_EN (ACPI 1.0b section 4.7.1.6)
    //   0xAE00-0xAE13  PCI hotplug of bus 0: slots added (00h) and going (04h), eject (08h, write),
    //                  slots that may be removed (0Ch), bus select (10h)
    //   0xAF00-0xAF1F  a bit per CPU (by APIC ID) that is present
    // This board has no hotplug: no slot is removable, nothing comes or goes and no GPE is ever
    // raised, and the registers must say so. Left unclaimed they read all ones: Linux took every
    // GPE for pending, ran _E01, saw every slot to be ejected and removed the PIIX3 functions
    // (no IDE controller, no /dev/sr0) whenever its ACPI hotplug work ran before ata_piix.
    class AcpiHotplug : public PortDevice {
    public:
        static constexpr uint16_t kGpeBase = 0xAFE0, kPciHpBase = 0xAE00, kCpuHpBase = 0xAF00;
        static constexpr uint16_t kGpeLen = 4, kPciHpLen = 0x14, kCpuHpLen = 32;
        explicit AcpiHotplug(Piix4Pm& pm) : pm_(pm) {}
        const char* name() const override { return "piix4-acpi-hotplug"; }
        uint32_t io_read(uint16_t port, unsigned size) override;
        void io_write(uint16_t port, unsigned size, uint32_t value) override;
        void reset() override { gpe_en_ = 0, pci_sel_ = 0; }
        uint32_t state_version() const override { return 1; }
        void describe_state(StateList& out) override { out.u16("gpe_en", gpe_en_).u32("pci_sel", pci_sel_); }
        // Claims the three ranges.
        void claim(IoBus& io);
        unsigned cpus = 1;  // the CPUs present (APIC IDs 0 .. cpus - 1)

    private:
        uint8_t read_byte(uint16_t port);
        void write_byte(uint16_t port, uint8_t b);
        Piix4Pm& pm_;
        // State. GPE0_STS has no state: nothing on this board raises a GPE.
        uint16_t gpe_en_ = 0;
        uint32_t pci_sel_ = 0;  // the hotplug bus select (only bus 0 exists)
    };
    PmIo pm_io;
    Apm apm;
    AcpiHotplug acpi_hotplug;

protected:
    void init_config() override;
    void config_written(uint8_t offset, unsigned size) override;

private:
    uint64_t ticks() const;     // PM timer ticks since power-on
    void latch_overflow();      // sets TMROF_STS when bit 23 toggled since the last look
    void update_sci();
    void remap();
    uint32_t pm_read(unsigned off, unsigned size);
    void pm_write(unsigned off, unsigned size, uint32_t value);

    std::function<uint64_t()> ns_;
    IoBus* io_;
    // State.
    uint16_t pmsts_ = 0, pmen_ = 0, pmcntrl_ = 0;
    uint64_t timer_origin_ns_ = 0;  // time of the power-on reset: the timer counted from 0 there
    uint64_t timer_epoch_ = 0;      // ticks >> 23 when TMROF_STS was last brought up to date
    // Derived: where the PM block is claimed on the port bus.
    uint16_t mapped_base_ = 0;
};

} // namespace xlat
