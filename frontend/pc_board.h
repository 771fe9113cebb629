// The chipset of the PC board around the CPU, as QEMU's "pc" machine (i440FX + PIIX3, with the
// PIIX4 power management function) lays it out, so that SeaBIOS recognises it:
//   bus 0 device 0   i440FX host bridge            ports 0xCF8-0xCFF (config mechanism #1)
//   bus 0 device 1   PIIX3 ISA (fn 0), IDE (fn 1), PIIX4 PM (fn 3; PM block where firmware puts it)
//   0xCF9            PIIX3 reset control           0xB2-0xB3   APM control and status
//   0xAFE0-0xAFE3, 0xAE00-0xAE13, 0xAF00-0xAF1F   QEMU's ACPI GPE0 block, PCI and CPU hotplug
//   0x510-0x511, 0x514-0x51B   fw_cfg (RAM size, e820, CPU count, boot settings, SMBIOS and ACPI tables)
//   0x1F0-0x1F7, 0x3F6 / 0x170-0x177, 0x376   the IDE channels (IRQ 14 / 15); their bus masters
//                                              at the PIIX3 IDE function's BMIBA (BAR4)
//   0x3F8, 0x2F8, 0x3E8, 0x2E8                 COM1-COM4, 16550A UARTs (IRQ 4, 3, 4, 3, shared)
//   PIRQA-D: through the PIIX3 router to ISA IRQs, and to I/O APIC inputs 16-19
//   0xFED00000-0xFED003FF                      the HPET (legacy replacement: IRQ 0 and 8)
//   0x60, 0x64, 0x92                           the 8042 keyboard controller, port A (A20, reset)
//   bus 0 device 2   the std VGA (with -vga std; devices/vga.h)
// The Machine owns one PcBoard and tells it about resets; the board reaches the rest of the
// machine only through the hooks it is given.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "devices/ata.h"
#include "devices/block/block.h"
#include "devices/fw_cfg.h"
#include "devices/hpet.h"
#include "devices/i8042.h"
#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/piix.h"
#include "devices/uart.h"
#include "devices/vga.h"
#include "frontend/acpi_tables.h"
#include "memory/clock.h"
#include "memory/dma.h"
#include "memory/iobus.h"
#include "memory/phys.h"
#include "memory/trace.h"

namespace xlat {

struct PcBoardHooks {
    std::function<uint64_t()> now_ns;        // the machine's time
    std::function<void()> power_off;         // the guest powered the machine off (S5)
    std::function<void()> reset;             // the guest asked for a system reset
    std::function<void(bool)> set_a20;       // the A20 gate (8042 output port, port 0x92)
};

class PcBoard {
    PcBoardHooks hooks_;  // first: the devices built below call them
    // ISA IRQ n as devices and the PIRQ router drive it: the master 8259's input n, or the
    // slave's n - 8, and the I/O APIC's input n (IRQ 0: input 2, where the MP table and ACPI
    // put the timer). Several drivers may share one IRQ (COM1 and COM3 on IRQ 4, a PCI
    // interrupt routed onto an ISA IRQ): input n + 16 * k is driver k of IRQ n, and the IRQ is
    // the OR of its drivers (a shared ISA line is wired-OR; the router's outputs join it so).
    // The HPET in legacy replacement mode takes IRQ 0 and 8 from the PIT and the RTC (IA-PC HPET
    // 1.0a, 2.3.8 and figure 4): while it is on, only driver 3 counts there, else only the others.
    struct IsaIrqs : IrqSink {
        static constexpr unsigned kDrivers = 4;  // 0: the ISA device, 1: a second (COM3/COM4), 2: the PIRQ router, 3: the HPET
        IrqSink* master = nullptr;
        IrqSink* slave = nullptr;
        IrqSink* ioapic = nullptr;
        uint8_t drivers[16] = {};  // per IRQ, a bit per driver holding it high
        bool hpet_legacy = false;
        bool level(unsigned n) const {
            if (n != 0 && n != 8) return drivers[n] & 7;
            return drivers[n] & (hpet_legacy ? 8 : 7);
        }
        void output(unsigned n, bool now) {
            n < 8 ? master->set_irq(n, now) : slave->set_irq(n - 8, now);
            if (ioapic) ioapic->set_irq(n == 0 ? 2 : n, now);
        }
        void set_irq(unsigned pin, bool high) override {
            const unsigned n = pin % 16, bit = 1u << (pin / 16 % kDrivers);
            const bool was = level(n);
            drivers[n] = uint8_t(high ? drivers[n] | bit : drivers[n] & ~bit);
            const bool now = level(n);
            if (now != was) output(n, now);
        }
        void set_hpet_legacy(bool on) {
            bool was[2] = {level(0), level(8)};
            hpet_legacy = on;
            if (level(0) != was[0]) output(0, level(0));
            if (level(8) != was[1]) output(8, level(8));
        }
    } isa_irqs_;
    // The HPET's legacy replacement outputs (pin 0: IRQ 0, pin 8: IRQ 8), as driver 3.
    struct HpetLegacyIrqs : IrqSink {
        IrqSink* isa = nullptr;
        void set_irq(unsigned n, bool level) override { isa->set_irq(n + 16 * 3, level); }
    } hpet_irqs_;
    // The PIRQ router's outputs, as driver 2 of the ISA IRQs.
    struct RouterIrqs : IrqSink {
        IrqSink* isa = nullptr;
        void set_irq(unsigned n, bool level) override { isa->set_irq(n + 16 * 2, level); }
    } router_irqs_;

public:
    // The board's configuration as its firmware tables describe it: one CPU; the PIIX4 PM
    // block where SeaBIOS moves it when fw_cfg carries etc/table-loader (as QEMU's pc does, and
    // where the direct Linux boot puts it); the SCI on ISA IRQ 9.
    static constexpr unsigned kCpus = 1;
    static constexpr uint16_t kPmBase = 0x600;
    static constexpr uint8_t kSciIrq = 9;
    using Disks = std::array<std::shared_ptr<BlockDevice>, 4>;
    using SerialOut = std::array<std::function<void(uint8_t)>, 4>;
    PcBoard(IoBus& io, PhysMem& phys, Clock& clock, const Tracer& tracer, Disks disks, SerialOut serial, PcBoardHooks hooks);
    PcBoard(const PcBoard&) = delete;
    PcBoard& operator=(const PcBoard&) = delete;
    // Power-on state of every device on the board.
    void reset();
    // Wires the interrupt outputs to the two 8259s (ISA IRQ 0-7 on the master, 8-15 on the slave)
    // and the I/O APIC.
    void connect_irqs(IrqSink& master, IrqSink& slave, IrqSink& ioapic);
    // The board's devices that carry state lists (save, load, compare two machines).
    std::vector<Device*> stateful_devices() {
        return {&fw_cfg, &kbc, &ide0, &ide1, &piix4_pm.acpi_hotplug, &pci_host, &i440fx, &piix3, &piix3_ide, &piix4_pm, &hpet};
    }
    // The ISA IRQ lines (0-15), for the devices the machine wires itself (PIT, RTC).
    IrqSink& isa_irqs() { return isa_irqs_; }
    // Puts the std VGA in slot 2 (QEMU's place for it), with `rom` (the VGA BIOS) as its
    // expansion ROM.
    void attach_vga(IoBus& io, std::vector<uint8_t> rom, const Tracer& tracer);

    PciBus pci;
    PciHostPorts pci_host{pci};
    I440fxHost i440fx;
    Piix3Isa piix3;
    Piix3Ide piix3_ide;
    Piix4Pm piix4_pm;
    DmaTarget dma;  // the devices' only way into guest RAM
    FwCfg fw_cfg;
    Disks disks;
    AtaChannel ide0, ide1;  // primary, secondary
    Uart16550 com1, com2, com3, com4;
    I8042 kbc;
    Hpet hpet;
    std::unique_ptr<Vga> vga;  // null without -vga std
    // The ACPI tables of this board (RAM size, CPUs, PM block, HPET), built once: fw_cfg serves
    // them to SeaBIOS, the direct Linux boot links them into the BIOS area.
    AcpiTables acpi;

private:
    // The memory map under the i440FX (datasheet 3.2.18 PAM, 3.2.27 SMRAM): the PCI side of
    // the BIOS area (nothing, below the ROM), the 13 PAM segments' shadow RAM over it, and the
    // SMRAM window onto RAM over the legacy VGA window. apply_memory_map() sets which
    // directions each takes from the registers.
    void apply_memory_map();
    PhysMem& phys_;
    RegionId bios_pci_ = 0;
    RegionId pam_[13] = {};
    RegionId smram_ = 0;
};

} // namespace xlat
