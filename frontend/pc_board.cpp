#include "frontend/pc_board.h"

#include "frontend/smbios.h"

namespace xlat {

PcBoard::PcBoard(IoBus& io, PhysMem& phys, Clock& clock, const Tracer& tracer, Disks disks_, SerialOut serial, PcBoardHooks hooks)
    : hooks_(std::move(hooks)), piix3_ide(&io, &dma, &tracer), piix4_pm([this] { return hooks_.now_ns(); }, &io), dma(phys), fw_cfg(dma, &tracer),
      disks(std::move(disks_)), ide0("ide0", 0x1F0, 0x3F6, 0, &tracer), ide1("ide1", 0x170, 0x376, 1, &tracer),
      com1("com1", 0x3F8, clock, serial[0]), com2("com2", 0x2F8, clock, serial[1]),
      com3("com3", 0x3E8, clock, serial[2]), com4("com4", 0x2E8, clock, serial[3]), kbc(&tracer), hpet(clock, &tracer),
      phys_(phys) {
    pci.attach(0, 0, &i440fx);
    pci.attach(1, 0, &piix3);
    pci.attach(1, 1, &piix3_ide);
    pci.attach(1, 3, &piix4_pm);
    claim_ports(io, 0xCF8, 8, &pci_host);
    pci_host.isa_ports = &piix3.rcr;
    claim_ports(io, 0xB2, 2, &piix4_pm.apm);
    piix4_pm.acpi_hotplug.claim(io);
    // PIRQA-D go to the router and, as on QEMU's PC (whose ACPI tables describe GSIs 16-19 as
    // level-triggered, active high), straight to I/O APIC inputs 16-19.
    pci.pirq_sink = [this](unsigned pirq, bool level) {
        piix3.set_pirq(pirq, level);
        if (isa_irqs_.ioapic) isa_irqs_.ioapic->set_irq(16 + (pirq & 3), level);
    };
    piix3.on_reset = [this](bool) { hooks_.reset(); };  // a CPU-only (soft) reset resets everything too
    piix4_pm.power_off = [this] { hooks_.power_off(); };
    for (PciFunction* f : {static_cast<PciFunction*>(&i440fx), static_cast<PciFunction*>(&piix3),
                           static_cast<PciFunction*>(&piix3_ide), static_cast<PciFunction*>(&piix4_pm)})
        f->set_tracer(&tracer);
    claim_ports(io, FwCfg::kSelectorPort, 2, &fw_cfg);
    claim_ports(io, FwCfg::kDmaPort, 8, &fw_cfg);
    fw_cfg_pc_items(fw_cfg, {phys.ram_size(), kCpus, -1, {}});
    // The ACPI tables as QEMU hands them to SeaBIOS, which runs the loader script instead of
    // writing its own tables (and moves the PM block to 0x600 when the script is there).
    AcpiSetup acpi_setup;
    acpi_setup.ram_bytes = phys.ram_size();
    acpi_setup.pm_base = kPmBase;
    acpi_setup.sci_irq = kSciIrq;
    acpi_setup.cpus = kCpus;
    acpi_setup.hpet = true;  // the board always has one (below)
    acpi = acpi_tables(acpi_setup);
    // QEMU pads the tables file to a multiple of 128 KiB (its size then stays put from one
    // version to the next). SeaBIOS reserves what it allocates at the top of RAM, so the same
    // padding gives the guest the same e820 map as under QEMU.
    std::vector<uint8_t> tables_file = acpi.tables;
    tables_file.resize((tables_file.size() + 0x1FFFF) & ~size_t(0x1FFFF), 0);
    fw_cfg.add_file(kAcpiTablesFile, std::move(tables_file));
    fw_cfg.add_file(kAcpiRsdpFile, acpi.rsdp);
    fw_cfg.add_file(kTableLoaderFile, acpi.loader.script());
    // The SMBIOS tables as QEMU hands them to SeaBIOS, which adds its own type 0 (BIOS
    // information), places them and fixes the entry point's address and checksums.
    SmbiosTables smbios = smbios_tables({phys.ram_size(), false});
    fw_cfg.add_file("etc/smbios/smbios-anchor", std::move(smbios.entry));
    fw_cfg.add_file("etc/smbios/smbios-tables", std::move(smbios.tables));
    for (unsigned i = 0; i < 4; ++i) (i < 2 ? ide0 : ide1).attach(i & 1, disks[i].get());
    claim_ports(io, 0x1F0, 8, &ide0);
    claim_ports(io, 0x3F6, 1, &ide0);
    claim_ports(io, 0x170, 8, &ide1);
    claim_ports(io, 0x376, 1, &ide1);
    piix3_ide.connect(ide0, ide1);  // the bus masters at BMIBA, once firmware maps them
    for (Uart16550* u : {&com1, &com2, &com3, &com4}) claim_ports(io, u->base(), 8, u);
    claim_ports(io, 0x60, 1, &kbc);
    claim_ports(io, 0x64, 1, &kbc);
    claim_ports(io, 0x92, 1, &kbc);
    kbc.set_a20 = [this](bool on) { hooks_.set_a20(on); };
    phys.map_mmio(Hpet::kBase, Hpet::kSize, &hpet, 0, 4, 4, "hpet", kPrioChipset);
    kbc.reset_cpu = [this] { hooks_.reset(); };
    // PAM segments: 0xC0000-0xEFFFF in twelve of 16 KiB (PAM1-PAM6), 0xF0000-0xFFFFF in one of
    // 64 KiB (PAM0). A segment whose reads (writes) do not go to DRAM sends them to PCI: the
    // ROM where the firmware lies, nothing elsewhere (option ROMs reach RAM by being copied).
    bios_pci_ = phys.map_none(0xC0000, 0x40000, "pci-bios-area", kPrioHole);
    for (unsigned i = 0; i < 13; ++i) {
        const uint32_t base = 0xC0000 + 0x4000 * i;
        pam_[i] = phys.map_ram(base, i < 12 ? 0x4000 : 0x10000, false, false, "pam-" + std::to_string(i), kPrioChipset);
    }
    smram_ = phys.map_ram(0xA0000, 0x20000, false, false, "smram", kPrioChipset);
    i440fx.on_map_change = [this] { apply_memory_map(); };
    reset();
}

void PcBoard::connect_irqs(IrqSink& master, IrqSink& slave, IrqSink& ioapic) {
    isa_irqs_.master = &master;
    isa_irqs_.slave = &slave;
    isa_irqs_.ioapic = &ioapic;
    router_irqs_.isa = &isa_irqs_;
    piix3.isa_irqs = &router_irqs_;        // PIRQA-D, routed by firmware (SeaBIOS: IRQ 10 and 11)
    piix4_pm.sci.connect(&isa_irqs_, kSciIrq);
    ide0.irq.connect(&isa_irqs_, 14);
    ide1.irq.connect(&isa_irqs_, 15);
    com1.irq.connect(&isa_irqs_, 4);
    com2.irq.connect(&isa_irqs_, 3);
    // COM3 and COM4 share IRQ 4 and 3 with COM1 and COM2, as on a PC (and QEMU's defaults).
    com3.irq.connect(&isa_irqs_, 4 + 16);
    com4.irq.connect(&isa_irqs_, 3 + 16);
    kbc.irq1.connect(&isa_irqs_, 1);
    kbc.irq12.connect(&isa_irqs_, 12);
    hpet_irqs_.isa = &isa_irqs_;
    hpet.legacy = &hpet_irqs_;
    hpet.routed = &ioapic;
    hpet.on_legacy = [this](bool on) { isa_irqs_.set_hpet_legacy(on); };
}

void PcBoard::attach_vga(IoBus& io, std::vector<uint8_t> rom, const Tracer& tracer) {
    vga = std::make_unique<Vga>(io, phys_, [this] { return hooks_.now_ns(); }, std::move(rom), &tracer);
    pci.attach(2, 0, &vga->pci);
}

void PcBoard::apply_memory_map() {
    for (unsigned i = 0; i < 13; ++i) {
        const I440fxHost::PamAccess a = i440fx.pam(0xC0000 + 0x4000 * i);
        phys_.set_region_access(pam_[i], a.read_ram, a.write_ram);
    }
    // Without SMM in the CPU, SMRAM is only ever reached open: D_OPEN with G_SMRAME makes the
    // DRAM at 0xA0000-0xBFFFF visible outside SMM (datasheet 3.2.27); closed, the addresses go
    // to PCI (the VGA window).
    const uint8_t smram = i440fx.smram();
    const bool open = (smram & I440fxHost::kSmramGSmrame) && (smram & I440fxHost::kSmramDOpen);
    phys_.set_region_access(smram_, open, open);
}

void PcBoard::reset() {
    pci_host.reset();
    pci.reset();
    apply_memory_map();
    fw_cfg.reset();
    ide0.reset();
    ide1.reset();
    for (Uart16550* u : {&com1, &com2, &com3, &com4}) u->reset();
    kbc.reset();
    hpet.reset();
    if (vga) vga->reset();
}

} // namespace xlat
