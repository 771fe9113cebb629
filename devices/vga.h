// The standard VGA with the Bochs VBE extensions, as QEMU's "std VGA" (PCI 1234:1111, class 0300)
// presents it, so that the VGA BIOS built from SeaBIOS (vgabios-stdvga.bin) drives it:
//   ports 0x3B0-0x3DF   attribute controller (0x3C0/1), misc output (0x3C2 write, 0x3CC read),
//                       sequencer (0x3C4/5), DAC (0x3C6-0x3C9), graphics controller (0x3CE/F),
//                       CRTC (0x3D4/5 or 0x3B4/5 per misc output bit 0), input status 1 (0x3DA/0x3BA)
//   ports 0x1CE-0x1D0   Bochs VBE DISPI index (0x1CE) and data (0x1CF; 0x1D0 as QEMU decodes it)
//   0xA0000-0xBFFFF     the legacy window, decoded as the graphics controller's memory map select says
//   BAR0                the linear framebuffer: 16 MiB of video memory, prefetchable
//   ROM BAR (0x30)      the VGA BIOS image, as an expansion ROM SeaBIOS copies to 0xC0000 and runs
// Video memory is one 16 MiB array. Its first 256 KiB are the four planes, interleaved: the byte
// of plane p at planar address a is vram[4a + p] (so that chain-4 addressing, mode 13h and the
// VBE banks are the plain byte offset). Register references are to the IBM VGA Technical
// Reference (the "VGA ref" below), which Intel and FreeVGA document the same way.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "devices/devlog.h"
#include "devices/pci.h"
#include "memory/device.h"
#include "memory/iobus.h"
#include "memory/phys.h"

namespace xlat {

class Vga;

// The PCI face of the VGA: IDs, BAR0 and the expansion ROM BAR; it tells the Vga when the
// firmware moves or enables them.
class VgaPci : public PciFunction {
public:
    explicit VgaPci(Vga& vga) : PciFunction("vga", 0x1234, 0x1111, 0x02, 0x030000), vga_(vga) {}
    void reset() override;
    uint32_t rom_bar_size = 0;  // power of two, 0: no ROM

protected:
    void init_config() override;
    void config_written(uint8_t offset, unsigned size) override;

private:
    Vga& vga_;
};

// An RGB image (the screenshot's pixels), 3 bytes per pixel, rows top down.
struct RgbImage {
    unsigned width = 0, height = 0;
    std::vector<uint8_t> rgb;
};

class Vga : public Device {
public:
    static constexpr uint32_t kVramBytes = 16u << 20;
    static constexpr uint32_t kPlaneBytes = 64u << 10;  // per plane
    // Windows (the numbers this device claims its ranges with).
    enum : unsigned { kWinVgaPorts = 0, kWinDispi = 1, kWinLegacy = 2, kWinLfb = 3 };
    // Bochs VBE DISPI registers (Bochs iodev/vga.h, QEMU hw/display/vga_int.h use the same numbers).
    enum : uint16_t {
        kDispiId = 0, kDispiXres, kDispiYres, kDispiBpp, kDispiEnable, kDispiBank, kDispiVirtWidth,
        kDispiVirtHeight, kDispiXOffset, kDispiYOffset, kDispiVideoMemory64K, kDispiRegs
    };
    enum : uint16_t {
        kDispiIdLatest = 0xB0C5,
        kDispiEnabled = 0x01, kDispiGetCaps = 0x02, kDispi8BitDac = 0x20, kDispiLfbEnabled = 0x40,
        kDispiNoClearMem = 0x80,
        kDispiMaxXres = 2560, kDispiMaxYres = 1600, kDispiMaxBpp = 32,
    };

    // now_ns: the machine's clock (the retrace bits follow it); rom: the VGA BIOS image (may be
    // empty: no expansion ROM).
    Vga(IoBus& io, PhysMem& phys, std::function<uint64_t()> now_ns, std::vector<uint8_t> rom,
        const Tracer* tracer = nullptr);
    ~Vga() override;
    Vga(const Vga&) = delete;
    Vga& operator=(const Vga&) = delete;

    const char* name() const override { return "vga"; }
    void reset() override;
    uint32_t read(unsigned window, uint32_t offset, unsigned size) override;
    void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override { update_pci_mappings(); }

    VgaPci pci{*this};

    // ---- for the screenshot, the monitor and tests ----
    // The text screen (text mode): one line per row, the character codes as bytes (code page
    // 437), trailing blanks kept; empty when the VGA is in a graphics mode.
    std::vector<std::string> text_screen() const;
    bool text_mode() const;
    // The display as it looks now (text rendered with the font in plane 2, graphics through
    // the palette); an empty image when the mode is not one this renders (devices/vga_render.cpp).
    RgbImage render() const;
    // The unsupported mode render() met, for its caller's message.
    std::string render_problem() const;
    // Direct looks at the registers and memory.
    uint8_t plane_byte(unsigned plane, uint32_t addr) const { return vram_[4 * (addr & (kPlaneBytes - 1)) + (plane & 3)]; }
    const uint8_t* vram() const { return vram_.data(); }
    uint8_t seq(unsigned i) const { return sr_[i & 7]; }
    uint8_t gc(unsigned i) const { return gr_[i & 15]; }
    uint8_t crtc(unsigned i) const { return cr_[i & 0x1F]; }
    uint8_t attr(unsigned i) const { return ar_[i & 0x1F]; }
    uint8_t misc() const { return misc_; }
    uint8_t dac(unsigned index, unsigned component) const { return dac_[3 * (index & 0xFF) + component % 3]; }
    uint16_t dispi(unsigned reg) const { return reg < kDispiRegs ? dispi_[reg] : 0; }
    uint32_t lfb_base() const;  // 0 when the BAR is not mapped
    uint32_t rom_base() const;  // 0 when the ROM is not mapped

    // Called by VgaPci when BAR0, the ROM BAR or the command register changed.
    void update_pci_mappings();

private:
    uint8_t port_read(uint16_t port);
    void port_write(uint16_t port, uint8_t v);
    uint16_t dispi_read();
    void dispi_write(uint16_t v);
    void dispi_set_mode(uint16_t old_enable);
    uint8_t mem_read(uint32_t offset);
    void mem_write(uint32_t offset, uint8_t v);
    // Maps a legacy-window offset to the offset inside the mapped range, or -1 when the memory
    // map select does not decode it (VGA ref, graphics controller register 6).
    int64_t window_offset(uint32_t offset) const;
    bool color() const { return misc_ & 1; }
    uint8_t input_status1();

    IoBus& io_;
    PhysMem& phys_;
    std::function<uint64_t()> now_ns_;
    std::vector<uint8_t> rom_;
    OnceLog log_;
    RegionId legacy_ = 0, lfb_ = 0, rom_region_ = 0;
    uint32_t lfb_mapped_at_ = 0, rom_mapped_at_ = 0;

    // State.
    std::vector<uint8_t> vram_;
    uint8_t misc_ = 0;                 // misc output register
    uint8_t sr_index_ = 0, gr_index_ = 0, cr_index_ = 0, ar_index_ = 0;
    bool ar_flipflop_ = false;         // attribute controller: false = next 0x3C0 write is an index
    std::array<uint8_t, 8> sr_{};      // sequencer 0-4 (5-7 read as written)
    std::array<uint8_t, 16> gr_{};     // graphics controller 0-8
    std::array<uint8_t, 32> cr_{};     // CRTC 0-0x18
    std::array<uint8_t, 32> ar_{};     // attribute controller 0-0x14
    uint32_t latch_ = 0;               // the four planes' bytes of the last read, plane p in bits 8p..8p+7
    std::array<uint8_t, 768> dac_{};   // 256 entries of 6-bit (or 8-bit with DISPI 8BIT_DAC) R, G, B
    uint8_t dac_read_index_ = 0, dac_write_index_ = 0, dac_sub_ = 0, dac_state_ = 0, pel_mask_ = 0xFF;
    uint8_t feature_ = 0, vss_ = 0;    // feature control, video subsystem enable (0x3C3)
    uint16_t dispi_index_ = 0;
    std::array<uint16_t, kDispiRegs> dispi_{};
    uint32_t bank_offset_ = 0;         // DISPI bank * 64 KiB, added to chain-4 window accesses
};

} // namespace xlat
