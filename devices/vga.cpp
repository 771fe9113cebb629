#include "devices/vga.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace xlat {

namespace {

// Priority of the PCI BARs' regions: under everything else (the firmware at the top of 4 GiB
// wins when a sizing write leaves BAR0 there with decoding on), above the background.
constexpr int kPrioBar = 0;

// The 4-bit value v spread to one byte per plane: byte p is 0xFF when bit p of v is set.
uint32_t expand4(unsigned v) {
    uint32_t r = 0;
    for (unsigned p = 0; p < 4; ++p)
        if (v & (1u << p)) r |= 0xFFu << (8 * p);
    return r;
}

uint32_t rotate_right8(uint8_t v, unsigned n) {
    n &= 7;
    return uint8_t((v >> n) | (v << ((8 - n) & 7)));
}

// Power-on register values: mode 3 (80x25 text, 720x400), the values the VGA BIOS programs
// (VGA ref, "BIOS video mode 3+"), so that a guest that never calls the BIOS still sees text.
constexpr uint8_t kSeqMode3[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr uint8_t kGcMode3[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x0F, 0xFF};
constexpr uint8_t kCrtcMode3[25] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
                                    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr uint8_t kAttrMode3[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                    0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

} // namespace

// ---------------------------------------------------------------------------------------------
// PCI

void VgaPci::init_config() {
    define_bar(0, BarKind::Mem32Prefetch, Vga::kVramBytes);
    // Expansion ROM BAR (PCI 3.0 section 6.2.5.2): address bits above the size, bit 0 enables.
    if (rom_bar_size) set_reg(kPciRomBar, 4, 0, (~(rom_bar_size - 1) & 0xFFFFF800u) | 1u);
    set_reg(kPciSubVendor, 2, 0x1AF4);  // Red Hat's subsystem IDs, as QEMU's std VGA reports
    set_reg(kPciSubVendor + 2, 2, 0x1100);
}

void VgaPci::reset() {
    PciFunction::reset();
    vga_.update_pci_mappings();
}

void VgaPci::config_written(uint8_t offset, unsigned size) {
    auto touches = [&](uint8_t reg, unsigned len) { return offset < reg + len && offset + size > reg; };
    if (touches(kPciCommand, 2) || touches(kPciBar0, 4) || touches(kPciRomBar, 4)) vga_.update_pci_mappings();
}

// ---------------------------------------------------------------------------------------------
// Construction, reset, state

Vga::Vga(IoBus& io, PhysMem& phys, std::function<uint64_t()> now_ns, std::vector<uint8_t> rom, const Tracer* tracer)
    : io_(io), phys_(phys), now_ns_(std::move(now_ns)), rom_(std::move(rom)), log_(tracer), vram_(kVramBytes) {
    if (!rom_.empty()) {
        uint32_t size = 2048;  // the smallest ROM BAR (bits 10:1 are reserved)
        while (size < rom_.size()) size <<= 1;
        pci.rom_bar_size = size;
    }
    pci.set_tracer(tracer);
    pci.reset();
    io.claim(0x3B0, 0x30, this, kWinVgaPorts, 1, 1);
    io.claim(0x1CE, 3, this, kWinDispi, 1, 2);
    legacy_ = phys.map_mmio(0xA0000, 0x20000, this, kWinLegacy, 1, 1, "vga-window", kPrioDevice);
    reset();
}

Vga::~Vga() {
    for (RegionId r : {legacy_, lfb_, rom_region_})
        if (r && phys_.has_region(r)) phys_.remove_region(r);
}

void Vga::reset() {
    misc_ = 0x67;  // colour (CRTC at 0x3D4), RAM enabled, 28 MHz clock, odd/even page 1
    std::copy(std::begin(kSeqMode3), std::end(kSeqMode3), sr_.begin());
    std::fill(gr_.begin(), gr_.end(), 0);
    std::copy(std::begin(kGcMode3), std::end(kGcMode3), gr_.begin());
    std::fill(cr_.begin(), cr_.end(), 0);
    std::copy(std::begin(kCrtcMode3), std::end(kCrtcMode3), cr_.begin());
    std::fill(ar_.begin(), ar_.end(), 0);
    std::copy(std::begin(kAttrMode3), std::end(kAttrMode3), ar_.begin());
    sr_index_ = gr_index_ = cr_index_ = 0;
    ar_index_ = 0x20;  // palette address source set: the screen is on
    ar_flipflop_ = false;
    latch_ = 0;
    // The 16 EGA colours in the first DAC entries, 6 bits each (the rest black until the BIOS loads them).
    dac_.fill(0);
    for (unsigned i = 0; i < 16; ++i) {
        const uint8_t hi = (i & 8) ? 0x15 : 0;
        uint8_t r = uint8_t(((i & 4) ? 0x2A : 0) + hi), g = uint8_t(((i & 2) ? 0x2A : 0) + hi), b = uint8_t(((i & 1) ? 0x2A : 0) + hi);
        if (i == 6) g = 0x15;  // brown
        const unsigned idx = kAttrMode3[i];
        dac_[3 * idx] = r, dac_[3 * idx + 1] = g, dac_[3 * idx + 2] = b;
    }
    dac_read_index_ = dac_write_index_ = dac_sub_ = dac_state_ = 0;
    pel_mask_ = 0xFF;
    feature_ = vss_ = 0;
    dispi_index_ = 0;
    dispi_.fill(0);
    dispi_[kDispiId] = kDispiIdLatest;
    dispi_[kDispiBpp] = 8;
    dispi_[kDispiVideoMemory64K] = uint16_t(kVramBytes >> 16);
    bank_offset_ = 0;
    // Video memory keeps its contents across a reset, as guest RAM does (it starts zeroed when
    // the device is built): clearing 16 MiB at every reset made a guest that triple-faults in a
    // loop spend a millisecond per reset.
    update_pci_mappings();
}

void Vga::describe_state(StateList& out) {
    out.bytes("vram", vram_.data(), uint32_t(vram_.size()))
        .u8("misc", misc_).u8("sr_index", sr_index_).u8("gr_index", gr_index_).u8("cr_index", cr_index_)
        .u8("ar_index", ar_index_).boolean("ar_flipflop", ar_flipflop_)
        .bytes("sr", sr_.data(), uint32_t(sr_.size())).bytes("gr", gr_.data(), uint32_t(gr_.size()))
        .bytes("cr", cr_.data(), uint32_t(cr_.size())).bytes("ar", ar_.data(), uint32_t(ar_.size()))
        .u32("latch", latch_).bytes("dac", dac_.data(), uint32_t(dac_.size()))
        .u8("dac_read_index", dac_read_index_).u8("dac_write_index", dac_write_index_).u8("dac_sub", dac_sub_)
        .u8("dac_state", dac_state_).u8("pel_mask", pel_mask_).u8("feature", feature_).u8("vss", vss_)
        .u16("dispi_index", dispi_index_).bytes("dispi", dispi_.data(), uint32_t(sizeof dispi_))
        .u32("bank_offset", bank_offset_);
}

// ---------------------------------------------------------------------------------------------
// The PCI BARs in the memory map

uint32_t Vga::lfb_base() const { return lfb_ ? lfb_mapped_at_ : 0; }
uint32_t Vga::rom_base() const { return rom_region_ ? rom_mapped_at_ : 0; }

void Vga::update_pci_mappings() {
    // BAR0: mapped while memory decoding is on and the BAR holds an address (not 0, not the
    // all-ones of a sizing write, which would cover the firmware's ROM).
    const uint32_t bar = pci.bar_address(0);
    const bool lfb_on = pci.bar_enabled(0) && bar != 0 && bar != (0u - kVramBytes);
    if (!lfb_on && lfb_) {
        phys_.remove_region(lfb_);
        lfb_ = 0;
    } else if (lfb_on && lfb_ && lfb_mapped_at_ != bar) {
        try {
            phys_.move_region(lfb_, bar);
            lfb_mapped_at_ = bar;
        } catch (const std::invalid_argument&) {
            phys_.remove_region(lfb_);
            lfb_ = 0;
            log_.unimplemented("vga", "framebuffer overlapping another BAR at", bar);
        }
    } else if (lfb_on && !lfb_) {
        try {
            lfb_ = phys_.map_mmio(bar, kVramBytes, this, kWinLfb, 1, 4, "vga-lfb", kPrioBar);
            lfb_mapped_at_ = bar;
        } catch (const std::invalid_argument&) {
            log_.unimplemented("vga", "framebuffer overlapping another BAR at", bar);
        }
    }
    // The expansion ROM: its enable bit and memory decoding (PCI 3.0 section 6.2.5.2).
    const uint32_t rom_reg = pci.config32(kPciRomBar);
    const uint32_t rom_addr = rom_reg & ~(pci.rom_bar_size - 1) & 0xFFFFF800u;
    const bool rom_on = pci.rom_bar_size && (rom_reg & 1) && (pci.config16(kPciCommand) & kPciCmdMemory) && rom_addr != 0;
    if (rom_region_ && (!rom_on || rom_mapped_at_ != rom_addr)) {
        phys_.remove_region(rom_region_);
        rom_region_ = 0;
    }
    if (rom_on && !rom_region_) {
        try {
            rom_region_ = phys_.map_rom(rom_addr, rom_, "vga-rom", kPrioBar);
            rom_mapped_at_ = rom_addr;
        } catch (const std::invalid_argument&) {
            log_.unimplemented("vga", "expansion ROM overlapping another BAR at", rom_addr);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bus entry points

uint32_t Vga::read(unsigned window, uint32_t offset, unsigned size) {
    switch (window) {
    case kWinVgaPorts: return port_read(uint16_t(0x3B0 + offset));
    case kWinDispi:
        if (offset == 0) return dispi_index_;
        return size == 1 ? dispi_read() & 0xFF : dispi_read();
    case kWinLegacy: return mem_read(offset);
    case kWinLfb: {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; ++i) v |= uint32_t(vram_[(offset + i) & (kVramBytes - 1)]) << (8 * i);
        return v;
    }
    }
    return 0xFFFFFFFFu;
}

void Vga::write(unsigned window, uint32_t offset, unsigned size, uint32_t value) {
    switch (window) {
    case kWinVgaPorts: port_write(uint16_t(0x3B0 + offset), uint8_t(value)); return;
    case kWinDispi:
        if (offset == 0) dispi_index_ = uint16_t(value);
        else dispi_write(uint16_t(value));
        return;
    case kWinLegacy: mem_write(offset, uint8_t(value)); return;
    case kWinLfb:
        for (unsigned i = 0; i < size; ++i) vram_[(offset + i) & (kVramBytes - 1)] = uint8_t(value >> (8 * i));
        return;
    }
}

// ---------------------------------------------------------------------------------------------
// The VGA registers

uint8_t Vga::input_status1() {
    // Input status 1 (VGA ref): bit 3 vertical retrace, bit 0 "display disabled" (horizontal or
    // vertical blanking). The timing is that of the 400-line modes: 449 lines of 31.78 us a
    // frame (70 Hz), the last two lines in vertical retrace, 25.42 us of each line displayed.
    const uint64_t now = now_ns_ ? now_ns_() : 0;
    constexpr uint64_t kLineNs = 31778, kLines = 449, kActiveNs = 25422;
    const uint64_t line = (now / kLineNs) % kLines;
    const bool vretrace = line >= kLines - 2;
    const bool blank = vretrace || line >= 400 || (now % kLineNs) >= kActiveNs;
    ar_flipflop_ = false;  // reading input status 1 resets the attribute controller's flip-flop
    return uint8_t((vretrace ? 0x08 : 0) | (blank ? 0x01 : 0));
}

uint8_t Vga::port_read(uint16_t port) {
    // The CRTC and input status 1 answer at 0x3Dx in colour, at 0x3Bx in mono (misc output bit 0).
    if ((port >= 0x3B0 && port < 0x3C0 && color()) || (port >= 0x3D0 && !color())) return 0xFF;
    switch (port) {
    case 0x3C0: return ar_index_;
    case 0x3C1: return ar_[ar_index_ & 0x1F];
    case 0x3C2: return 0x10;  // input status 0: switch sense (a colour monitor is attached)
    case 0x3C3: return vss_;
    case 0x3C4: return sr_index_;
    case 0x3C5: return sr_index_ < sr_.size() ? sr_[sr_index_] : 0xFF;
    case 0x3C6: return pel_mask_;
    case 0x3C7: return dac_state_;
    case 0x3C8: return dac_write_index_;
    case 0x3C9: {
        const uint8_t v = dac_[3 * dac_read_index_ + dac_sub_];
        if (++dac_sub_ == 3) dac_sub_ = 0, ++dac_read_index_;
        return v;
    }
    case 0x3CA: return feature_;
    case 0x3CC: return misc_;
    case 0x3CE: return gr_index_;
    case 0x3CF: return gr_index_ < 9 ? gr_[gr_index_] : 0xFF;
    case 0x3B4: case 0x3D4: return cr_index_;
    case 0x3B5: case 0x3D5: return cr_index_ < 0x19 ? cr_[cr_index_] : 0xFF;
    case 0x3BA: case 0x3DA: return input_status1();
    default: log_.unimplemented("vga", "read of port", port); return 0xFF;
    }
}

void Vga::port_write(uint16_t port, uint8_t v) {
    if ((port >= 0x3B0 && port < 0x3C0 && color()) || (port >= 0x3D0 && !color())) return;
    switch (port) {
    case 0x3C0:
        // One port for index and data, a flip-flop between them (VGA ref, attribute controller).
        if (!ar_flipflop_) {
            ar_index_ = v & 0x3F;
        } else {
            const unsigned i = ar_index_ & 0x1F;
            if (i < 0x10) ar_[i] = v & 0x3F;
            else if (i <= 0x14) ar_[i] = v;
            else log_.unimplemented("vga", "attribute register", i);
        }
        ar_flipflop_ = !ar_flipflop_;
        return;
    case 0x3C2: misc_ = v; return;
    case 0x3C3: vss_ = v & 1; return;
    case 0x3C4: sr_index_ = v & 7; return;
    case 0x3C5:
        if (sr_index_ <= 4) sr_[sr_index_] = v;
        else log_.unimplemented("vga", "sequencer register", sr_index_);
        return;
    case 0x3C6: pel_mask_ = v; return;
    case 0x3C7: dac_read_index_ = v, dac_sub_ = 0, dac_state_ = 0x03; return;
    case 0x3C8: dac_write_index_ = v, dac_sub_ = 0, dac_state_ = 0x00; return;
    case 0x3C9: {
        const bool wide = dispi_[kDispiEnable] & kDispi8BitDac;
        dac_[3 * dac_write_index_ + dac_sub_] = wide ? v : uint8_t(v & 0x3F);
        if (++dac_sub_ == 3) dac_sub_ = 0, ++dac_write_index_;
        return;
    }
    case 0x3CE: gr_index_ = v & 0x0F; return;
    case 0x3CF:
        if (gr_index_ <= 8) gr_[gr_index_] = v;
        else log_.unimplemented("vga", "graphics controller register", gr_index_);
        return;
    case 0x3B4: case 0x3D4: cr_index_ = v & 0x1F; return;
    case 0x3B5: case 0x3D5:
        if (cr_index_ > 0x18) {
            log_.unimplemented("vga", "CRTC register", cr_index_);
            return;
        }
        // CR11 bit 7 protects CR0-CR7, except CR7's line compare bit 4 (VGA ref).
        if ((cr_[0x11] & 0x80) && cr_index_ <= 7) {
            if (cr_index_ == 7) cr_[7] = uint8_t((cr_[7] & ~0x10) | (v & 0x10));
            return;
        }
        cr_[cr_index_] = v;
        return;
    case 0x3BA: case 0x3DA: feature_ = v; return;
    default: log_.unimplemented("vga", "write of port", port); return;
    }
}

// ---------------------------------------------------------------------------------------------
// The legacy memory window

int64_t Vga::window_offset(uint32_t offset) const {
    // Graphics controller register 6 bits 3:2 (VGA ref): 0 A0000-BFFFF, 1 A0000-AFFFF,
    // 2 B0000-B7FFF, 3 B8000-BFFFF.
    switch ((gr_[6] >> 2) & 3) {
    case 0: return offset;
    case 1: return offset < 0x10000 ? int64_t(offset) : -1;
    case 2: return offset >= 0x10000 && offset < 0x18000 ? int64_t(offset - 0x10000) : -1;
    default: return offset >= 0x18000 ? int64_t(offset - 0x18000) : -1;
    }
}

uint8_t Vga::mem_read(uint32_t offset) {
    const int64_t w = window_offset(offset);
    if (w < 0) return 0xFF;
    uint32_t a = uint32_t(w);
    if (sr_[4] & 0x08) {  // chain 4: the low two address bits select the plane (and the VBE bank)
        return vram_[(a + bank_offset_) & (kVramBytes - 1)];
    }
    if (gr_[5] & 0x10) {
        // Odd/even (text modes): address bit 0 selects plane 0/1, or 2/3 with GR4 bit 1; the
        // memory address keeps bit 0 cleared.
        const unsigned plane = (gr_[4] & 2) | (a & 1);
        return vram_[4 * ((a & ~1u) & (kPlaneBytes - 1)) + plane];
    }
    a &= kPlaneBytes - 1;
    std::memcpy(&latch_, &vram_[4 * a], 4);  // every read loads the latches (host is little-endian)
    if (!(gr_[5] & 0x08)) return uint8_t(latch_ >> (8 * (gr_[4] & 3)));  // read mode 0: one plane
    // Read mode 1: colour compare, each bit set where all planes not excluded by the colour
    // don't care register (GR7) equal the colour compare register (GR2).
    uint32_t diff = (latch_ ^ expand4(gr_[2])) & expand4(gr_[7]);
    diff |= diff >> 16;
    diff |= diff >> 8;
    return uint8_t(~diff);
}

void Vga::mem_write(uint32_t offset, uint8_t v) {
    const int64_t w = window_offset(offset);
    if (w < 0) return;
    uint32_t a = uint32_t(w);
    if (sr_[4] & 0x08) {  // chain 4
        if (sr_[2] & (1u << (a & 3))) vram_[(a + bank_offset_) & (kVramBytes - 1)] = v;
        return;
    }
    if (!(sr_[4] & 0x04)) {  // odd/even
        const unsigned plane = (gr_[4] & 2) | (a & 1);
        if (sr_[2] & (1u << plane)) vram_[4 * ((a & ~1u) & (kPlaneBytes - 1)) + plane] = v;
        return;
    }
    a &= kPlaneBytes - 1;
    // Planar write modes (VGA ref, graphics controller registers 0-8).
    uint32_t val = 0;
    uint8_t bit_mask = gr_[8];
    switch (gr_[5] & 3) {
    case 0: {  // rotate, then set/reset on the planes it enables
        val = rotate_right8(v, gr_[3] & 7) * 0x01010101u;
        const uint32_t sr_enable = expand4(gr_[1]);
        val = (val & ~sr_enable) | (expand4(gr_[0]) & sr_enable);
        break;
    }
    case 1:  // the latches as they are
        val = latch_;
        bit_mask = 0xFF;
        goto store;
    case 2:  // bit p of the CPU byte fills plane p
        val = expand4(v & 0x0F);
        break;
    case 3:  // the rotated CPU byte ANDed into the bit mask; set/reset is the colour
        bit_mask = uint8_t(bit_mask & rotate_right8(v, gr_[3] & 7));
        val = expand4(gr_[0]);
        break;
    }
    switch ((gr_[3] >> 3) & 3) {  // function select
    case 1: val &= latch_; break;
    case 2: val |= latch_; break;
    case 3: val ^= latch_; break;
    default: break;
    }
    {
        const uint32_t bm = bit_mask * 0x01010101u;
        val = (val & bm) | (latch_ & ~bm);
    }
store:
    const uint32_t plane_mask = expand4(sr_[2] & 0x0F);
    uint32_t cur;
    std::memcpy(&cur, &vram_[4 * a], 4);
    cur = (cur & ~plane_mask) | (val & plane_mask);
    std::memcpy(&vram_[4 * a], &cur, 4);
}

// ---------------------------------------------------------------------------------------------
// Bochs VBE DISPI

uint16_t Vga::dispi_read() {
    if (dispi_index_ >= kDispiRegs) {
        log_.unimplemented("vga", "DISPI register", dispi_index_);
        return 0;
    }
    // With GETCAPS set, XRES, YRES and BPP read as the largest values accepted.
    if (dispi_[kDispiEnable] & kDispiGetCaps) {
        switch (dispi_index_) {
        case kDispiXres: return kDispiMaxXres;
        case kDispiYres: return kDispiMaxYres;
        case kDispiBpp: return kDispiMaxBpp;
        default: break;
        }
    }
    return dispi_[dispi_index_];
}

void Vga::dispi_write(uint16_t v) {
    const bool enabled = dispi_[kDispiEnable] & kDispiEnabled;
    switch (dispi_index_) {
    case kDispiId:
        if (v >= 0xB0C0 && v <= kDispiIdLatest) dispi_[kDispiId] = v;
        return;
    case kDispiXres:
    case kDispiYres:
    case kDispiBpp:
        // The geometry changes only while the extensions are off (Bochs and QEMU do the same).
        if (enabled) return;
        if (dispi_index_ == kDispiBpp && v == 0) v = 8;
        if (dispi_index_ == kDispiBpp && v != 4 && v != 8 && v != 15 && v != 16 && v != 24 && v != 32) return;
        if (dispi_index_ == kDispiXres && (v > kDispiMaxXres || (v & 7))) return;
        if (dispi_index_ == kDispiYres && v > kDispiMaxYres) return;
        dispi_[dispi_index_] = v;
        return;
    case kDispiBank: {
        const uint32_t banks = kVramBytes >> 16;
        if (v < banks) {
            dispi_[kDispiBank] = v;
            bank_offset_ = uint32_t(v) << 16;
        }
        return;
    }
    case kDispiEnable: {
        const uint16_t old = dispi_[kDispiEnable];
        dispi_[kDispiEnable] = v;
        if ((v & kDispiEnabled) && !(old & kDispiEnabled)) dispi_set_mode(old);
        else if (!(v & kDispiEnabled)) bank_offset_ = 0, dispi_[kDispiBank] = 0;
        return;
    }
    case kDispiVirtWidth:
    case kDispiXOffset:
    case kDispiYOffset: {
        dispi_[dispi_index_] = v;
        // The virtual height follows from the width and the memory.
        const uint32_t bpp = dispi_[kDispiBpp] == 15 ? 16 : dispi_[kDispiBpp];
        const uint32_t line = dispi_[kDispiVirtWidth] * std::max<uint32_t>(bpp, 8) / 8;
        if (dispi_index_ == kDispiVirtWidth && line)
            dispi_[kDispiVirtHeight] = uint16_t(std::min<uint32_t>(kVramBytes / line, 0xFFFF));
        return;
    }
    default:
        log_.unimplemented("vga", "DISPI register write", dispi_index_);
        return;
    }
}

void Vga::dispi_set_mode(uint16_t /*old_enable*/) {
    const uint32_t bpp = dispi_[kDispiBpp] == 15 ? 16 : dispi_[kDispiBpp];
    const uint32_t line = dispi_[kDispiXres] * std::max<uint32_t>(bpp, 8) / 8;
    dispi_[kDispiVirtWidth] = dispi_[kDispiXres];
    dispi_[kDispiVirtHeight] = uint16_t(line ? std::min<uint32_t>(kVramBytes / line, 0xFFFF) : 0);
    dispi_[kDispiXOffset] = dispi_[kDispiYOffset] = 0;
    dispi_[kDispiBank] = 0;
    bank_offset_ = 0;
    if (!(dispi_[kDispiEnable] & kDispiNoClearMem))
        std::fill(vram_.begin(), vram_.begin() + std::min<size_t>(size_t(line) * dispi_[kDispiYres], kVramBytes), 0);
    // The banked window: graphics, 64 KiB at 0xA0000, chain 4 unless the mode is planar (4 bpp),
    // as the Bochs VBE BIOS and QEMU leave the VGA registers.
    gr_[6] = uint8_t((gr_[6] & ~0x0C) | 0x05);
    if (bpp == 4) sr_[4] = uint8_t((sr_[4] & ~0x08) | 0x06);
    else sr_[4] = uint8_t(sr_[4] | 0x0E), sr_[2] = 0x0F;
}

} // namespace xlat
