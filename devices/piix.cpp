#include "devices/piix.h"

namespace xlat {

// ---- PIIX3 function 0: the ISA bridge ----

void Piix3Isa::reset() {
    PciFunction::reset();
    rcr.reset();
    pirq_levels_ = 0;
    update_irqs();
}

void Piix3Isa::init_config() {
    // PIIX3 datasheet 4.1: PCICMD 0007h, PCISTS 0200h.
    set_reg(kPciCommand, 2, 0x0007, kPciCmdParity | kPciCmdSerr);
    set_reg(kPciStatus, 2, 0x0200, 0, 0xF800);
    // Registers with no effect in an emulated ISA bus, stored so firmware reads back its values:
    // IORT (4Ch), XBCS (4Eh), TOM (69h), MSTAT (6Ah), MBDMA (76h-77h), APICBASE (80h), DLC (82h),
    // the SMI registers (A0h-AFh).
    set_reg(0x4C, 1, 0x4D, 0xFF);
    set_reg(0x4E, 2, 0x0003, 0x07FF);
    set_reg(0x69, 1, 0x02, 0xFF);
    set_reg(0x6A, 2, 0x0000, 0xFFFF);
    set_reg(0x76, 2, 0x0404, 0x8F8F);
    set_reg(0x80, 1, 0x00, 0x7F);
    set_reg(0x82, 1, 0x00, 0x0F);
    set_reg(0xA0, 1, 0x08, 0xFF);
    for (uint8_t r = 0xA2; r <= 0xAF; ++r) set_reg(r, 1, r == 0xA8 ? 0x0F : 0x00, 0xFF);
    // PIRQRC[A:D] (4.1.10): bit 7 disables the route, bits 3:0 pick the ISA IRQ; default 80h.
    for (uint8_t r = 0x60; r <= 0x63; ++r) set_reg(r, 1, 0x80, 0x8F);
    // MBIRQ0 (70h): the motherboard device IRQ route, default 80h (disabled).
    set_reg(0x70, 1, 0x80, 0xCF);
}

void Piix3Isa::config_written(uint8_t offset, unsigned size) {
    if (offset <= 0x63 && offset + size > 0x60) update_irqs();
    if (offset == 0x70) log_.unimplemented(name(), "motherboard IRQ route (MBIRQ0) register", offset);
}

void Piix3Isa::describe_state(StateList& out) {
    PciFunction::describe_state(out);
    out.u8("rcr", rcr.rcr_);
}

int Piix3Isa::pirq_route(unsigned pirq) const {
    const uint8_t r = config_[0x60 + (pirq & 3)];
    if (r & 0x80) return -1;
    const unsigned irq = r & 0x0F;
    // IRQs 0-2, 8 and 13 are reserved values of the routing field.
    if (irq < 3 || irq == 8 || irq == 13) return -1;
    return int(irq);
}

void Piix3Isa::set_pirq(unsigned pirq, bool level) {
    const uint8_t bit = uint8_t(1u << (pirq & 3));
    pirq_levels_ = uint8_t(level ? pirq_levels_ | bit : pirq_levels_ & ~bit);
    update_irqs();
}

void Piix3Isa::update_irqs() {
    // Several PIRQs may share an IRQ: the line is the OR of them (the PIRQ# lines are
    // open-drain, active low, and the router inverts them for the ISA inputs).
    uint16_t want = 0;
    for (unsigned p = 0; p < 4; ++p) {
        const int irq = pirq_route(p);
        if (irq >= 0 && (pirq_levels_ >> p & 1)) want = uint16_t(want | 1u << irq);
    }
    const uint16_t diff = want ^ driven_;
    driven_ = want;
    if (!isa_irqs) return;
    for (unsigned irq = 0; irq < 16; ++irq)
        if (diff >> irq & 1) isa_irqs->set_irq(irq, want >> irq & 1);
}

uint32_t Piix3Isa::ResetControl::io_read(uint16_t port, unsigned size) {
    if (port == 0xCF9 && size == 1) return rcr_;
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

void Piix3Isa::ResetControl::io_write(uint16_t port, unsigned size, uint32_t value) {
    if (port != 0xCF9 || size != 1) return;
    const bool rcpu = (value & 4) && !(rcr_ & 4);
    rcr_ = uint8_t(value & 0x06);
    if (rcpu && isa_.on_reset) {
        const bool hard = value & 2;
        rcr_ = 0;  // the reset itself clears the register
        isa_.on_reset(hard);
    }
}

// ---- PIIX3 function 1: IDE ----

Piix3Ide::Piix3Ide(IoBus* io, DmaTarget* dma, const Tracer* tracer)
    : PciFunction("piix3-ide", 0x8086, 0x7010, 0x00, 0x010180),
      bm{IdeBusMaster("ide0-bm", dma, [this] { return may_master(); }, tracer),
         IdeBusMaster("ide1-bm", dma, [this] { return may_master(); }, tracer)},
      io_(io) {
    reset();
}

Piix3Ide::~Piix3Ide() {
    if (io_ && mapped_base_) io_->release(mapped_base_, 16, &bm_io);
}

void Piix3Ide::connect(AtaChannel& primary, AtaChannel& secondary) {
    bm[0].attach(&primary);
    bm[1].attach(&secondary);
}

void Piix3Ide::reset() {
    PciFunction::reset();
    bm[0].reset();
    bm[1].reset();
    remap();
}

void Piix3Ide::init_config() {
    // Programming interface 80h: bus-master capable, both channels in compatibility (legacy)
    // mode at 1F0h/3F6h and 170h/376h, not switchable to native mode.
    set_reg(kPciCommand, 2, 0x0000, kPciCmdIo | kPciCmdMaster);
    set_reg(kPciStatus, 2, 0x0280, 0, 0x3800);
    // BMIBA (20h): the bus-master IDE registers, 16 bytes of I/O.
    define_bar(4, BarKind::Io, 16);
    // IDETIM (40h, 42h) and SIDETIM (44h): timings; bit 15 of IDETIM enables the channel's decode.
    set_reg(0x40, 2, 0x0000, 0xF377);
    set_reg(0x42, 2, 0x0000, 0xF377);
    set_reg(0x44, 1, 0x00, 0xFF);
}

void Piix3Ide::config_written(uint8_t offset, unsigned size) {
    const unsigned end = offset + size;
    const bool bar4 = offset < kPciBar0 + 4 * 4 + 4 && end > kPciBar0 + 4 * 4;
    const bool command = offset < kPciCommand + 2 && end > kPciCommand;
    if (bar4 || command) remap();
    // Bus master enable turned on: a transfer that waited for it goes on.
    if (command && may_master()) {
        bm[0].master_enabled();
        bm[1].master_enabled();
    }
}

void Piix3Ide::remap() {
    // The BAR decodes when I/O space is enabled and firmware gave it an address (PCI 3.0
    // section 6.2.2; 0 is no address).
    const uint16_t base = bar_enabled(4) ? uint16_t(bar_address(4)) : 0;
    if (base == mapped_base_) return;
    if (io_ && mapped_base_) io_->release(mapped_base_, 16, &bm_io);
    mapped_base_ = 0;
    if (!io_ || !base) return;
    bool free = true;
    for (unsigned p = base; p < base + 16u; ++p) free &= io_->owner(uint16_t(p)) == nullptr;
    if (free) {
        claim_ports(*io_, base, 16, &bm_io);
        mapped_base_ = base;
    } else {
        log_.unimplemented(name(), "BMIBA over ports owned by another device", base);
    }
}

void Piix3Ide::describe_state(StateList& out) {
    PciFunction::describe_state(out);
    bm[0].describe_state(out, "bm0.");
    bm[1].describe_state(out, "bm1.");
}

void Piix3Ide::post_load() {
    bm[0].post_load();
    bm[1].post_load();
    remap();
}

uint32_t Piix3Ide::BmIo::io_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned off = unsigned(port + i - ide_.mapped_base_) & 15;
        v |= uint32_t(ide_.bm[off >> 3].read(off & 7)) << (8 * i);
    }
    return v;
}

void Piix3Ide::BmIo::io_write(uint16_t port, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size; ++i) {
        const unsigned off = unsigned(port + i - ide_.mapped_base_) & 15;
        ide_.bm[off >> 3].write(off & 7, uint8_t(value >> (8 * i)));
    }
}

// ---- PIIX4 function 3: power management ----

Piix4Pm::Piix4Pm(std::function<uint64_t()> ns, IoBus* io)
    : PciFunction("piix4-pm", 0x8086, 0x7113, 0x03, 0x068000), pm_io(*this), apm(*this), acpi_hotplug(*this), ns_(std::move(ns)), io_(io) {
    reset();
}

Piix4Pm::~Piix4Pm() {
    if (io_ && mapped_base_) io_->release(mapped_base_, 64, &pm_io);
}

void Piix4Pm::reset() {
    PciFunction::reset();
    apm.reset();
    acpi_hotplug.reset();
    pmsts_ = pmen_ = pmcntrl_ = 0;
    timer_origin_ns_ = ns_();
    timer_epoch_ = 0;
    update_sci();
    remap();
}

void Piix4Pm::describe_state(StateList& out) {
    PciFunction::describe_state(out);
    out.u16("pmsts", pmsts_).u16("pmen", pmen_).u16("pmcntrl", pmcntrl_)
        .u64("timer_origin_ns", timer_origin_ns_).u64("timer_epoch", timer_epoch_)
        .u8("apmc", apm.apmc_).u8("apms", apm.apms_);
}

void Piix4Pm::post_load() {
    remap();
    update_sci();
}

void Piix4Pm::init_config() {
    set_reg(kPciCommand, 2, 0x0000, kPciCmdIo);
    set_reg(kPciStatus, 2, 0x0280, 0, 0x3800);
    set_reg(kPciIntPin, 1, 0x01);  // INTA#: the datasheet's INTPIN; the SCI itself is IRQ 9
    // PMBA (40h): bits 15:6 are the base of the 64-byte PM block; bit 0 is hardwired 1 (I/O).
    set_reg(kPmBase, 4, 0x00000001, 0x0000FFC0);
    // PMREGMISC (80h) bit 0: PM I/O space enable.
    set_reg(kPmRegMisc, 1, 0x00, 0x01);
    // SMBBA (90h) and SMBHSTCFG (D2h): the SMBus controller is not modelled; firmware's values
    // are stored.
    set_reg(kSmbBase, 4, 0x00000001, 0x0000FFF0);
    set_reg(kSmbHstCfg, 1, 0x00, 0x0F);
    // CNTA/CNTB (44h, 48h), GPICTL (4Ch), DEVRESD-J (50h-6Fh), DEVACTA/B are inside 44h-7Fh:
    // device monitoring and SMI routing, stored only.
    for (unsigned r = 0x44; r < 0x80; ++r) set_reg(uint8_t(r), 1, 0x00, 0xFF);
    // DEVACTB (58h) bit 25, APMC_EN: a write to the APM control port (0xB2) raises SMI#. The CPU
    // has no system management mode, so no SMI handler could ever answer; the bit reads as set
    // from power-on, which firmware takes for "SMM already set up" (SeaBIOS then skips its SMI
    // relocation, which would wait on port 0xB3 forever). QEMU does the same without SMM.
    set_reg(0x5B, 1, 0x02, 0xFF);
}

void Piix4Pm::config_written(uint8_t offset, unsigned size) {
    const unsigned end = offset + size;
    if ((offset < kPmBase + 4 && end > kPmBase) || (offset <= kPmRegMisc && end > kPmRegMisc)) remap();
    if ((offset < kSmbBase + 4 && end > kSmbBase) || (offset <= kSmbHstCfg && end > kSmbHstCfg))
        log_.unimplemented(name(), "SMBus controller register", kSmbBase);
}

void Piix4Pm::remap() {
    const uint16_t base = (config_[kPmRegMisc] & 1) ? uint16_t(config32(kPmBase) & 0xFFC0) : 0;
    if (base == mapped_base_) return;
    if (io_ && mapped_base_) io_->release(mapped_base_, 64, &pm_io);
    mapped_base_ = 0;
    // A base of 0 (firmware has not set one) maps nothing; a base over ports someone else owns
    // is refused by the bus and leaves the block unmapped.
    if (io_ && base) {
        bool free = true;
        for (unsigned p = base; p < base + 64u; ++p) free &= io_->owner(uint16_t(p)) == nullptr;
        if (free) {
            claim_ports(*io_, base, 64, &pm_io);
            mapped_base_ = base;
        } else {
            log_.unimplemented(name(), "PM base over ports owned by another device", base);
        }
    }
}

uint64_t Piix4Pm::ticks() const {
    const uint64_t ns = ns_() - timer_origin_ns_;
    return uint64_t((unsigned __int128)ns * kPmTimerHz / 1000000000u);
}

uint32_t Piix4Pm::pm_timer() const { return uint32_t(ticks() & 0xFFFFFF); }

void Piix4Pm::latch_overflow() {
    // TMROF_STS is set each time bit 23 of the timer changes (ACPI 1.0 section 4.7.2.1): i.e.
    // each time ticks >> 23 moves on.
    const uint64_t epoch = ticks() >> 23;
    if (epoch != timer_epoch_) {
        timer_epoch_ = epoch;
        pmsts_ |= kTmrOf;
    }
}

void Piix4Pm::update_sci() {
    // Enabled events raise SCI in ACPI mode (SCI_EN); without it the PIIX4 would raise SMI,
    // which this machine does not have.
    const uint16_t events = kTmrOf | kGbl | kPwrBtn | kRtc;
    sci.set((pmcntrl_ & kSciEn) && (pmsts_ & pmen_ & events));
}

uint32_t Piix4Pm::pm_read(unsigned off, unsigned size) {
    latch_overflow();
    update_sci();
    uint32_t v = 0;
    const uint32_t timer = pm_timer();
    for (unsigned i = 0; i < size; ++i) {
        const unsigned o = off + i;
        uint32_t b = 0;
        if (o < 2) b = pmsts_ >> (8 * o);
        else if (o < 4) b = pmen_ >> (8 * (o - 2));
        else if (o < 6) b = pmcntrl_ >> (8 * (o - 4));  // SUS_EN and GBL_RLS are write-only: stored as 0
        else if (o >= 8 && o < 12) b = timer >> (8 * (o - 8));  // bits 31:24 read as 0
        else log_.unimplemented(name(), "PM I/O register", o & ~1u);
        v |= (b & 0xFF) << (8 * i);
    }
    return v;
}

void Piix4Pm::pm_write(unsigned off, unsigned size, uint32_t value) {
    latch_overflow();
    // Gather the bytes written into each 16-bit register, then act once per register.
    uint16_t data[3] = {}, mask[3] = {};
    for (unsigned i = 0; i < size; ++i) {
        const unsigned o = off + i;
        const uint8_t b = uint8_t(value >> (8 * i));
        if (o < 6) {
            data[o / 2] = uint16_t(data[o / 2] | b << (8 * (o & 1)));
            mask[o / 2] = uint16_t(mask[o / 2] | 0xFF << (8 * (o & 1)));
        } else if (o < 8 || o >= 12) {
            log_.unimplemented(name(), "PM I/O register", o & ~1u);
        }  // the timer (8-11) is read-only
    }
    // PMSTS: writing 1 clears a status bit.
    pmsts_ = uint16_t(pmsts_ & ~(data[0] & mask[0] & (kTmrOf | kBm | kGbl | kPwrBtn | kRtc | kWak)));
    const uint16_t en_bits = kTmrOf | kGbl | kPwrBtn | kRtc;
    pmen_ = uint16_t((pmen_ & ~(mask[1] & en_bits)) | (data[1] & mask[1] & en_bits));
    const uint16_t cnt_bits = kSciEn | kBrldEnBm | uint16_t(7u << kSusTypShift);
    pmcntrl_ = uint16_t((pmcntrl_ & ~(mask[2] & cnt_bits)) | (data[2] & mask[2] & cnt_bits));
    if (mask[2] & data[2] & kGblRls) log_.unimplemented(name(), "GBL_RLS (BIOS release) in PMCNTRL", kPmCntrl);
    if (mask[2] & data[2] & kSusEn) {
        // SUS_TYP (PIIX4 datasheet 7.2.3): 000b is soft off, the state the ACPI tables call S5.
        const unsigned type = (pmcntrl_ >> kSusTypShift) & 7;
        if (type == 0) {
            if (power_off) power_off();
        } else {
            log_.unimplemented(name(), "suspend type (SUS_TYP)", type);
        }
    }
    update_sci();
}

uint32_t Piix4Pm::PmIo::io_read(uint16_t port, unsigned size) {
    return pm_.pm_read(unsigned(port - pm_.mapped_base_) & 63, size);
}

void Piix4Pm::PmIo::io_write(uint16_t port, unsigned size, uint32_t value) {
    pm_.pm_write(unsigned(port - pm_.mapped_base_) & 63, size, value);
}

uint64_t Piix4Pm::PmIo::next_event_ns() const {
    // Only an enabled overflow can raise the SCI by itself; otherwise the status is brought up to
    // date when software reads it.
    if (!(pm_.pmen_ & kTmrOf) || !(pm_.pmcntrl_ & kSciEn)) return kNever;
    const unsigned __int128 next_tick = (unsigned __int128)(pm_.timer_epoch_ + 1) << 23;
    const unsigned __int128 ns = (next_tick * 1000000000u + kPmTimerHz - 1) / kPmTimerHz;
    return pm_.timer_origin_ns_ + uint64_t(ns);
}

void Piix4Pm::PmIo::on_event(uint64_t) {
    pm_.latch_overflow();
    pm_.update_sci();
}

uint32_t Piix4Pm::Apm::io_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned p = port + i;
        v |= uint32_t(p == 0xB2 ? apmc_ : p == 0xB3 ? apms_ : 0xFF) << (8 * i);
    }
    return v;
}

void Piix4Pm::Apm::io_write(uint16_t port, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size; ++i) {
        const unsigned p = port + i;
        const uint8_t b = uint8_t(value >> (8 * i));
        if (p == 0xB3) {
            apms_ = b;
        } else if (p == 0xB2) {
            apmc_ = b;
            if (b == kAcpiEnable) pm_.pmcntrl_ |= kSciEn;
            else if (b == kAcpiDisable) pm_.pmcntrl_ &= uint16_t(~kSciEn);
            else pm_.log_.unimplemented("apm", "SMI command (no SMM)", b);
            pm_.update_sci();
        }
    }
}

void Piix4Pm::AcpiHotplug::claim(IoBus& io) {
    claim_ports(io, kGpeBase, kGpeLen, this);
    claim_ports(io, kPciHpBase, kPciHpLen, this);
    claim_ports(io, kCpuHpBase, kCpuHpLen, this);
}

uint8_t Piix4Pm::AcpiHotplug::read_byte(uint16_t port) {
    if (port >= kGpeBase && port < kGpeBase + kGpeLen) {
        const unsigned o = port - kGpeBase;
        return o < 2 ? 0 : uint8_t(gpe_en_ >> (8 * (o - 2)));  // GPE0_STS: no event is ever pending
    }
    if (port >= kPciHpBase && port < kPciHpBase + kPciHpLen) {
        // Up (00h), down (04h), eject (08h, reads 0) and removable (0Ch) are all empty bitmaps.
        const unsigned o = port - kPciHpBase;
        return o >= 0x10 ? uint8_t(pci_sel_ >> (8 * (o - 0x10))) : 0;
    }
    if (port >= kCpuHpBase && port < kCpuHpBase + kCpuHpLen) {
        const unsigned first = 8 * unsigned(port - kCpuHpBase);
        uint8_t b = 0;
        for (unsigned i = 0; i < 8; ++i)
            if (first + i < cpus) b = uint8_t(b | 1u << i);
        return b;
    }
    return 0xFF;
}

void Piix4Pm::AcpiHotplug::write_byte(uint16_t port, uint8_t b) {
    if (port >= kGpeBase && port < kGpeBase + kGpeLen) {
        const unsigned o = port - kGpeBase;
        if (o >= 2) gpe_en_ = uint16_t((gpe_en_ & ~(0xFFu << (8 * (o - 2)))) | unsigned(b) << (8 * (o - 2)));
        // A status write clears bits that are never set.
    } else if (port >= kPciHpBase && port < kPciHpBase + kPciHpLen) {
        const unsigned o = port - kPciHpBase;
        if (o >= 0x10) {
            pci_sel_ = (pci_sel_ & ~(0xFFu << (8 * (o - 0x10)))) | uint32_t(b) << (8 * (o - 0x10));
        } else if (o >= 0x08 && o < 0x0C && b) {
            // No slot is removable, so the AML never asks (its _EJ0 methods are renamed away).
            pm_.log_.unimplemented(name(), "PCI hotplug eject (no removable slots)", 0x08);
        }
    }  // the CPU bitmap is read-only
}

uint32_t Piix4Pm::AcpiHotplug::io_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint32_t(read_byte(uint16_t(port + i))) << (8 * i);
    return v;
}

void Piix4Pm::AcpiHotplug::io_write(uint16_t port, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size; ++i) write_byte(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

} // namespace xlat
