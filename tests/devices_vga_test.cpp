// The std VGA (devices/vga.h) driven as the VGA BIOS and vgacon drive it, without a CPU: the text
// buffer in odd/even mode, the planar write and read modes, the DAC, a Bochs DISPI mode set and
// its LFB, the PCI BAR sizing and the expansion ROM; then SeaBIOS running the distribution's VGA
// BIOS and a boot sector that prints through INT 10h, seen in the text buffer and in the PNG
// that --screenshot writes.
#include <catch2/catch.hpp>

#include <png.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "devices/block/block.h"
#include "devices/vga.h"
#include "frontend/machine.h"
#include "frontend/screenshot.h"
#include "process_util.h"
#include "scratch_dir.h"

using namespace xlat;
using namespace xlat_test;

namespace {

struct Rig {
    PhysMem phys{16u << 20};
    IoBus io;
    uint64_t now = 0;
    PciBus bus;
    Vga vga;
    explicit Rig(std::vector<uint8_t> rom = {}) : vga(io, phys, [this] { return now; }, std::move(rom)) {
        bus.attach(2, 0, &vga.pci);
    }
    void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
    uint8_t in(uint16_t port) { return uint8_t(io.read(port, 1)); }
    void outw(uint16_t port, uint16_t v) { io.write(port, 2, v); }
    uint16_t inw(uint16_t port) { return uint16_t(io.read(port, 2)); }
    void seq(uint8_t i, uint8_t v) { out(0x3C4, i), out(0x3C5, v); }
    void gc(uint8_t i, uint8_t v) { out(0x3CE, i), out(0x3CF, v); }
    void dispi(uint16_t i, uint16_t v) { outw(0x1CE, i), outw(0x1CF, v); }
    uint16_t dispi(uint16_t i) { return outw(0x1CE, i), inw(0x1CF); }
    uint8_t rb(uint32_t a) { return uint8_t(phys.read(a, 1)); }
    void wb(uint32_t a, uint8_t v) { phys.write(a, 1, v); }
    // Planar mode as the BIOS sets it for mode 12h: sequencer memory mode 06h (no chain 4, no
    // odd/even), GC5 = write/read mode, GC6 = graphics at 0xA0000 (64 KiB).
    void planar(uint8_t gc5) {
        seq(4, 0x06);
        gc(5, gc5);
        gc(6, 0x05);
    }
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Decodes an 8-bit RGB PNG with libpng.
RgbImage read_png(const std::string& path) {
    RgbImage img;
    png_image pi{};
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path.c_str())) return img;
    pi.format = PNG_FORMAT_RGB;
    img.width = pi.width, img.height = pi.height;
    img.rgb.resize(PNG_IMAGE_SIZE(pi));
    if (!png_image_finish_read(&pi, nullptr, img.rgb.data(), 0, nullptr)) img = RgbImage{};
    return img;
}

const std::string kSeaBios = "/usr/share/seabios/bios-256k.bin";
const std::string kVgaBios = "/usr/share/seabios/vgabios-stdvga.bin";
const std::string kBootSector = XLAT_BINARY_DIR "/tests/boot/vga_bootsector.bin";
const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kMessage = "xlat vga teletype ok";

} // namespace

TEST_CASE("vga: text mode stores characters in plane 0 and attributes in plane 1 (odd/even)", "[vga]") {
    Rig r;
    // Power-on is mode 3: the window at 0xB8000 only (GC6 memory map 3).
    r.wb(0xB8000, 'H'), r.wb(0xB8001, 0x1F), r.wb(0xB8002, 'i'), r.wb(0xB8003, 0x07);
    CHECK(r.vga.plane_byte(0, 0) == 'H');
    CHECK(r.vga.plane_byte(1, 0) == 0x1F);
    CHECK(r.vga.plane_byte(0, 2) == 'i');
    CHECK(r.vga.plane_byte(1, 2) == 0x07);
    CHECK(r.rb(0xB8001) == 0x1F);
    CHECK(r.rb(0xA0000) == 0xFF);  // not decoded with map select 3
    r.wb(0xA0000, 0x55);
    CHECK(r.vga.plane_byte(0, 0) == 'H');
    const std::vector<std::string> screen = r.vga.text_screen();
    REQUIRE(screen.size() == 25);
    CHECK(screen[0].size() == 80);
    CHECK(screen[0].substr(0, 2) == "Hi");
    // The CRTC start address scrolls: start at character 1.
    r.out(0x3D4, 0x0D), r.out(0x3D5, 1);
    CHECK(r.vga.text_screen()[0][0] == 'i');
    // A 16-bit store (vgacon writes words) lands the same way through the bus.
    r.phys.write(0xB8000 + 160, 2, 0x4E41);
    CHECK(r.vga.plane_byte(0, 160) == 'A');
    CHECK(r.vga.plane_byte(1, 160) == 0x4E);
}

TEST_CASE("vga: planar write modes 0-3, set/reset, rotate, logic functions, bit and map masks", "[vga]") {
    Rig r;
    r.planar(0x00);
    r.seq(2, 0x0F);
    r.gc(8, 0xFF);
    // Mode 0: the byte to every plane the map mask enables.
    r.seq(2, 0x05);
    r.wb(0xA0010, 0xA5);
    CHECK(r.vga.plane_byte(0, 0x10) == 0xA5);
    CHECK(r.vga.plane_byte(1, 0x10) == 0x00);
    CHECK(r.vga.plane_byte(2, 0x10) == 0xA5);
    CHECK(r.vga.plane_byte(3, 0x10) == 0x00);
    r.seq(2, 0x0F);
    // Set/reset: planes 1 and 3 enabled, value 0b0010: plane 1 all ones, plane 3 zeros.
    r.gc(0, 0x02), r.gc(1, 0x0A);
    r.wb(0xA0020, 0x3C);
    CHECK(r.vga.plane_byte(0, 0x20) == 0x3C);
    CHECK(r.vga.plane_byte(1, 0x20) == 0xFF);
    CHECK(r.vga.plane_byte(2, 0x20) == 0x3C);
    CHECK(r.vga.plane_byte(3, 0x20) == 0x00);
    r.gc(1, 0);
    // Rotate by 4 and XOR with the latches.
    r.wb(0xA0030, 0x0F);
    (void)r.rb(0xA0030);  // load the latches
    r.gc(3, 0x18 | 4);
    r.wb(0xA0030, 0x0F);  // rotated: 0xF0; 0x0F ^ 0xF0 = 0xFF
    CHECK(r.vga.plane_byte(2, 0x30) == 0xFF);
    r.gc(3, 0x00);
    // Bit mask: only bits 7..4 come from the CPU, the rest from the latches.
    r.wb(0xA0040, 0x00);
    (void)r.rb(0xA0040);
    r.gc(8, 0xF0);
    r.wb(0xA0040, 0xFF);
    CHECK(r.vga.plane_byte(0, 0x40) == 0xF0);
    r.gc(8, 0xFF);
    // Mode 1: copy the latches (a screen-to-screen copy).
    r.wb(0xA0050, 0x5A);
    r.gc(5, 0x01);
    (void)r.rb(0xA0050);
    r.wb(0xA0060, 0x00);
    for (unsigned p = 0; p < 4; ++p) CHECK(r.vga.plane_byte(p, 0x60) == 0x5A);
    // Mode 2: bit p of the CPU byte fills plane p, under the bit mask.
    r.gc(5, 0x02);
    r.gc(8, 0x0F);
    (void)r.rb(0xA0070);  // latches 0
    r.wb(0xA0070, 0x09);
    CHECK(r.vga.plane_byte(0, 0x70) == 0x0F);
    CHECK(r.vga.plane_byte(1, 0x70) == 0x00);
    CHECK(r.vga.plane_byte(3, 0x70) == 0x0F);
    // Mode 3: set/reset is the colour, the CPU byte ANDs the bit mask.
    r.gc(5, 0x03);
    r.gc(8, 0xFF);
    r.gc(0, 0x04);
    (void)r.rb(0xA0080);
    r.wb(0xA0080, 0xC3);
    CHECK(r.vga.plane_byte(2, 0x80) == 0xC3);
    CHECK(r.vga.plane_byte(0, 0x80) == 0x00);
}

TEST_CASE("vga: read modes 0 (one plane) and 1 (colour compare)", "[vga]") {
    Rig r;
    r.planar(0x00);
    r.seq(2, 0x0F);
    r.gc(8, 0xFF);
    r.gc(5, 0x02);  // write mode 2: colour per pixel
    r.wb(0xA0100, 0x05);
    r.gc(8, 0x0F);
    (void)r.rb(0xA0100);  // the latches keep the masked-off pixels
    r.wb(0xA0100, 0x03);  // pixels 4-7 colour 3, pixels 0-3 colour 5
    r.gc(5, 0x00);
    r.gc(4, 0);
    CHECK(r.rb(0xA0100) == 0xFF);  // plane 0: set in both colours
    r.gc(4, 2);
    CHECK(r.rb(0xA0100) == 0xF0);  // plane 2: colour 5 only
    r.gc(5, 0x08);                 // read mode 1
    r.gc(2, 0x03), r.gc(7, 0x0F);
    CHECK(r.rb(0xA0100) == 0x0F);  // where the colour is 3
    r.gc(7, 0x01);                 // compare plane 0 only: both colours match
    CHECK(r.rb(0xA0100) == 0xFF);
}

TEST_CASE("vga: DAC indexes auto-increment and the retrace bit follows the clock", "[vga]") {
    Rig r;
    r.out(0x3C8, 0x10);
    for (uint8_t v : {0x3F, 0x20, 0x01, 0x02, 0x03, 0x04}) r.out(0x3C9, v);
    CHECK(r.vga.dac(0x10, 0) == 0x3F);
    CHECK(r.vga.dac(0x11, 2) == 0x04);
    CHECK(r.in(0x3C8) == 0x12);
    r.out(0x3C7, 0x11);
    CHECK(r.in(0x3C7) == 0x03);
    CHECK(r.in(0x3C9) == 0x02);
    CHECK(r.in(0x3C9) == 0x03);
    CHECK(r.in(0x3C9) == 0x04);
    r.out(0x3C8, 0x20), r.out(0x3C9, 0xFF);  // 6-bit DAC: the top bits are dropped
    CHECK(r.vga.dac(0x20, 0) == 0x3F);
    // Input status 1: in the first line's active part, then in vertical retrace.
    r.now = 1000;
    CHECK((r.in(0x3DA) & 0x09) == 0x00);
    r.now = 31778ull * 448 + 100;
    CHECK((r.in(0x3DA) & 0x08) == 0x08);
    // Mono addressing (misc bit 0 clear) moves the CRTC to 0x3B4.
    r.out(0x3C2, 0x66);
    CHECK(r.in(0x3D4) == 0xFF);
    r.out(0x3B4, 0x0E), r.out(0x3B5, 0x12);
    CHECK(r.vga.crtc(0x0E) == 0x12);
    CHECK(r.in(0x3CC) == 0x66);
}

TEST_CASE("vga: attribute controller flip-flop resets on input status 1", "[vga]") {
    Rig r;
    (void)r.in(0x3DA);
    r.out(0x3C0, 0x01), r.out(0x3C0, 0x3A);
    CHECK(r.vga.attr(1) == 0x3A);
    r.out(0x3C0, 0x02);  // index, then a read of 0x3DA: the next write is an index again
    (void)r.in(0x3DA);
    r.out(0x3C0, 0x03), r.out(0x3C0, 0x15);
    CHECK(r.vga.attr(2) == 0x02);
    CHECK(r.vga.attr(3) == 0x15);
}

TEST_CASE("vga: Bochs DISPI mode set, banks, LFB through BAR0, 8-bit DAC and the screenshot", "[vga]") {
    Rig r;
    CHECK(r.dispi(Vga::kDispiId) == 0xB0C5);
    r.dispi(Vga::kDispiEnable, Vga::kDispiGetCaps);
    CHECK(r.dispi(Vga::kDispiXres) == Vga::kDispiMaxXres);
    CHECK(r.dispi(Vga::kDispiBpp) == 32);
    CHECK(r.dispi(Vga::kDispiVideoMemory64K) == 256);
    r.dispi(Vga::kDispiEnable, 0);
    r.dispi(Vga::kDispiXres, 640), r.dispi(Vga::kDispiYres, 480), r.dispi(Vga::kDispiBpp, 32);
    r.dispi(Vga::kDispiEnable, Vga::kDispiEnabled | Vga::kDispiLfbEnabled);
    CHECK(r.dispi(Vga::kDispiXres) == 640);
    CHECK(r.dispi(Vga::kDispiVirtWidth) == 640);
    r.dispi(Vga::kDispiXres, 800);  // ignored while enabled
    CHECK(r.dispi(Vga::kDispiXres) == 640);
    CHECK_FALSE(r.vga.text_mode());
    // Bank 1 of the 64 KiB window at 0xA0000 is video memory byte 0x10000.
    r.dispi(Vga::kDispiBank, 1);
    r.wb(0xA0004, 0x77);
    CHECK(r.vga.vram()[0x10004] == 0x77);
    // BAR0 sizing and placement as firmware does it, then the LFB there.
    r.bus.config_write(2 << 3, kPciBar0, 4, 0xFFFFFFFF);
    CHECK(r.bus.config_read(2 << 3, kPciBar0, 4) == (0xFF000000u | 0x8));
    r.bus.config_write(2 << 3, kPciBar0, 4, 0xFD000000);
    CHECK(r.vga.lfb_base() == 0);  // memory decoding still off
    r.bus.config_write(2 << 3, kPciCommand, 2, kPciCmdMemory | kPciCmdIo);
    CHECK(r.vga.lfb_base() == 0xFD000000);
    CHECK(r.phys.read(0xFD010004, 1) == 0x77);
    // Pixel (1, 0) in 32 bpp: B, G, R, X.
    r.phys.write(0xFD000004, 4, 0x00123456);
    // Moved by the firmware: the region follows.
    r.bus.config_write(2 << 3, kPciBar0, 4, 0xE0000000);
    CHECK(r.vga.lfb_base() == 0xE0000000);
    CHECK(r.phys.read(0xE0000004, 4) == 0x00123456);
    CHECK(r.phys.read(0xFD000004, 4) == 0xFFFFFFFF);
    RgbImage img = r.vga.render();
    REQUIRE(img.width == 640);
    REQUIRE(img.height == 480);
    CHECK(img.rgb[3] == 0x12);
    CHECK(img.rgb[4] == 0x34);
    CHECK(img.rgb[5] == 0x56);
    // The screenshot as a PNG, decoded again.
    ScratchDir dir("vga");
    const std::string png = dir.dir.string() + "/lfb.png";
    REQUIRE(write_screenshot(r.vga, png).empty());
    RgbImage back = read_png(png);
    CHECK(back.width == 640);
    CHECK(back.rgb == img.rgb);
    // 8 bpp goes through the DAC, 8 bits wide with 8BIT_DAC.
    r.dispi(Vga::kDispiEnable, 0);
    r.dispi(Vga::kDispiBpp, 8);
    r.dispi(Vga::kDispiEnable, Vga::kDispiEnabled | Vga::kDispiLfbEnabled | Vga::kDispi8BitDac);
    CHECK(r.phys.read(0xE0000004, 4) == 0);  // cleared by the mode set (no NOCLEARMEM)
    r.out(0x3C8, 9), r.out(0x3C9, 0xC8), r.out(0x3C9, 0x10), r.out(0x3C9, 0x80);
    r.phys.write(0xE0000000 + 640 * 2 + 3, 1, 9);
    img = r.vga.render();
    const size_t at = (2 * 640 + 3) * 3;
    CHECK(img.rgb[at] == 0xC8);
    CHECK(img.rgb[at + 1] == 0x10);
    CHECK(img.rgb[at + 2] == 0x80);
    // Disabling returns the window to plain VGA addressing; reset clears the BAR.
    r.dispi(Vga::kDispiEnable, 0);
    r.bus.reset();
    CHECK(r.vga.lfb_base() == 0);
}

TEST_CASE("vga: PCI IDs and the expansion ROM BAR sized and enabled as SeaBIOS does", "[vga]") {
    std::vector<uint8_t> rom(40000, 0);
    rom[0] = 0x55, rom[1] = 0xAA, rom[2] = uint8_t(rom.size() / 512 + 1);
    Rig r(rom);
    const uint8_t devfn = 2 << 3;
    CHECK(r.bus.config_read(devfn, kPciVendor, 4) == 0x11111234);
    CHECK(r.bus.config_read(devfn, kPciRevision, 4) >> 8 == 0x030000);
    r.bus.config_write(devfn, kPciRomBar, 4, ~1u);
    CHECK(r.bus.config_read(devfn, kPciRomBar, 4) == 0xFFFF0000u);  // 64 KiB
    r.bus.config_write(devfn, kPciRomBar, 4, 0xFEB00000u | 1);
    CHECK(r.vga.rom_base() == 0);  // memory decoding off
    r.bus.config_write(devfn, kPciCommand, 2, kPciCmdMemory);
    CHECK(r.vga.rom_base() == 0xFEB00000u);
    CHECK(r.phys.read(0xFEB00000u, 2) == 0xAA55);
    r.bus.config_write(devfn, kPciRomBar, 4, 0xFEB00000u);  // enable bit off
    CHECK(r.vga.rom_base() == 0);
    CHECK(r.phys.read(0xFEB00000u, 2) == 0xFFFF);
}

TEST_CASE("vga: SeaBIOS runs the VGA BIOS; a boot sector's INT 10h teletype reaches the text buffer and the screenshot",
          "[vga][boot][seabios]") {
    if (!std::filesystem::exists(kSeaBios) || !std::filesystem::exists(kVgaBios)) {
        WARN("skipped: " << kSeaBios << " or " << kVgaBios << " is missing (install the seabios package)");
        return;
    }
    ScratchDir dir("vga-boot");
    std::string boot = read_file(kBootSector);
    REQUIRE(boot.size() == 512);
    std::string disk_bytes(1u << 20, '\0');
    disk_bytes.replace(0, 512, boot);
    const std::string disk = dir.file("disk.img", disk_bytes);

    // In this process: the text buffer read back from plane memory.
    MachineConfig cfg;
    const std::string bios = read_file(kSeaBios);
    cfg.firmware.assign(bios.begin(), bios.end());
    const std::string vgabios = read_file(kVgaBios);
    cfg.vga = true;
    cfg.vga_rom.assign(vgabios.begin(), vgabios.end());
    cfg.icount_shift = 3;
    std::string error;
    cfg.ide_disks[0] = RawImage::open(disk, ImageOptions{}, error);
    REQUIRE(cfg.ide_disks[0]);
    Machine m(cfg);
    const Machine::Result res = m.run(50000000);
    REQUIRE(res.reason == StopReason::ExitPort);
    CHECK(res.exit_status == ((0x10 << 1) | 1));
    REQUIRE(m.board.vga);
    CHECK(m.board.vga->rom_base() == 0);  // SeaBIOS copied the ROM and turned the BAR off again
    const std::vector<std::string> screen = m.board.vga->text_screen();
    REQUIRE(screen.size() == 25);
    std::string all;
    for (const std::string& line : screen) all += line + "\n";
    INFO(all);
    CHECK(all.find("SeaBIOS") != std::string::npos);  // SeaBIOS's banner through the VGA BIOS
    int found = -1;
    for (size_t i = 0; i < screen.size(); ++i)
        if (screen[i].rfind(kMessage, 0) == 0) found = int(i);
    CHECK(found > 0);

    // The same disk through the command line with --screenshot: the PNG is the text screen
    // rendered with the VGA BIOS's font (720x400, 9x16 cells); the message's row differs from
    // the blank row below it, and the pixels of a character cell match the in-process render.
    const std::string png = dir.dir.string() + "/screen.png";
    const ProcessResult r = run_process({kXlat, "-bios", kSeaBios, "-hda", disk, "--icount", "shift=3", "--max-insns",
                                         "50000000", "-display", "none", "--screenshot", png}, 60);
    INFO("status " << r.exit_status << " stderr " << r.err);
    CHECK(r.exit_status == ((0x10 << 1) | 1));
    const RgbImage img = read_png(png);
    REQUIRE(img.width == 720);
    REQUIRE(img.height == 400);
    const RgbImage mine = m.board.vga->render();
    REQUIRE(found > 0);
    auto row_pixels = [](const RgbImage& im, int row) {
        return std::vector<uint8_t>(im.rgb.begin() + size_t(row) * 16 * 720 * 3, im.rgb.begin() + size_t(row + 1) * 16 * 720 * 3);
    };
    const std::vector<uint8_t> text_row = row_pixels(img, found);
    CHECK(text_row == row_pixels(mine, found));
    CHECK(std::count(text_row.begin(), text_row.end(), 0) < long(text_row.size()));  // something is drawn
    CHECK(text_row != row_pixels(img, 24));
}

TEST_CASE("vga: command-line checks for -vga, --vgabios and --screenshot", "[vga][cli]") {
    ScratchDir dir("vga-cli");
    ProcessResult r = run_process({kXlat, "-vga", "cirrus"}, 10);
    CHECK(r.exit_status == 1);
    CHECK(r.err.find("invalid -vga") != std::string::npos);
    r = run_process({kXlat, "-vga", "std", "--vgabios", dir.dir.string() + "/missing.bin"}, 10);
    CHECK(r.exit_status == 1);
    CHECK(r.err.find("missing.bin") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    r = run_process({kXlat, "-vga", "none", "--screenshot", dir.dir.string() + "/x.png"}, 10);
    CHECK(r.exit_status == 1);
    CHECK(r.err.find("--screenshot") != std::string::npos);
}
