// What the VGA shows: the text screen as characters, and the display as pixels for the
// screenshot. The geometry comes from the CRTC as the hardware scans it out (VGA ref, CRTC
// registers): the display is (CR1 + 1) character clocks wide and (vertical display end + 1)
// scan lines high; the memory address of a row advances by the offset register CR13 times 2, 4
// or 8 planar addresses in byte, word and double-word mode.
#include <algorithm>

#include "devices/vga.h"

namespace xlat {

namespace {

struct Geometry {
    unsigned char_clocks;  // CR1 + 1
    unsigned lines;        // vertical display end + 1
    unsigned scan_height;  // CR9 maximum scan line + 1 (character height in text modes)
    bool double_scan;      // CR9 bit 7
    uint32_t start;        // start address CR0C:CR0D
    uint32_t row_step;     // planar addresses from one scan line (graphics) or text row to the next
};

} // namespace

static Geometry geometry(const Vga& v) {
    Geometry g;
    g.char_clocks = v.crtc(1) + 1u;
    g.lines = (v.crtc(0x12) | (v.crtc(7) & 0x02) << 7 | (v.crtc(7) & 0x40) << 3) + 1u;
    g.scan_height = (v.crtc(9) & 0x1F) + 1u;
    g.double_scan = v.crtc(9) & 0x80;
    g.start = uint32_t(v.crtc(0x0C)) << 8 | v.crtc(0x0D);
    const unsigned shift = (v.crtc(0x14) & 0x40) ? 3 : (v.crtc(0x17) & 0x40) ? 1 : 2;
    g.row_step = uint32_t(v.crtc(0x13)) << shift;
    return g;
}

bool Vga::text_mode() const {
    return !(dispi_[kDispiEnable] & kDispiEnabled) && !(gr_[6] & 1);
}

std::vector<std::string> Vga::text_screen() const {
    std::vector<std::string> out;
    if (!text_mode()) return out;
    const Geometry g = geometry(*this);
    const unsigned rows = g.lines / g.scan_height;
    for (unsigned r = 0; r < rows; ++r) {
        std::string line;
        for (unsigned c = 0; c < g.char_clocks; ++c) {
            // Word mode: character n of the CRTC's count is at planar address 2n (odd/even
            // placed the CPU's even byte, the code, in plane 0 there and the attribute in plane 1).
            const uint32_t addr = 2 * g.start + r * g.row_step + 2 * c;
            line.push_back(char(plane_byte(0, addr)));
        }
        out.push_back(std::move(line));
    }
    return out;
}

std::string Vga::render_problem() const {
    if (dispi_[kDispiEnable] & kDispiEnabled) {
        const unsigned bpp = dispi_[kDispiBpp];
        if (bpp == 4) return "VBE 4-bit planar modes are not rendered";
        if (!dispi_[kDispiXres] || !dispi_[kDispiYres]) return "the VBE mode has no pixels";
        return {};
    }
    if (text_mode()) return {};
    if ((gr_[5] & 0x60) == 0x20) return "CGA 4-colour modes are not rendered";
    return {};
}

RgbImage Vga::render() const {
    RgbImage img;
    if (!render_problem().empty()) return img;
    const bool wide_dac = dispi_[kDispiEnable] & kDispi8BitDac;
    auto dac_rgb = [&](unsigned index, uint8_t* px) {
        index &= pel_mask_;
        for (unsigned k = 0; k < 3; ++k) {
            const uint8_t c = dac_[3 * index + k];
            px[k] = wide_dac ? c : uint8_t((c << 2) | (c >> 4));  // 6-bit DAC values to 8 bits
        }
    };
    // The attribute controller's palette (VGA ref, attribute registers 0-0xF, 0x10 bit 7, 0x14)
    // from a 4-bit colour to a DAC index.
    auto palette = [&](unsigned colour) -> unsigned {
        const uint8_t p = ar_[colour & 0x0F];
        if (ar_[0x10] & 0x80) return (ar_[0x14] & 0x0F) << 4 | (p & 0x0F);
        return (ar_[0x14] & 0x0C) << 4 | (p & 0x3F);
    };

    if (dispi_[kDispiEnable] & kDispiEnabled) {
        const unsigned bpp = dispi_[kDispiBpp], bytes = (bpp + 7) / 8;
        img.width = dispi_[kDispiXres];
        img.height = dispi_[kDispiYres];
        img.rgb.assign(size_t(img.width) * img.height * 3, 0);
        const uint32_t line = uint32_t(dispi_[kDispiVirtWidth]) * bytes;
        const uint32_t origin = uint32_t(dispi_[kDispiYOffset]) * line + uint32_t(dispi_[kDispiXOffset]) * bytes;
        for (unsigned y = 0; y < img.height; ++y)
            for (unsigned x = 0; x < img.width; ++x) {
                const uint32_t at = origin + y * line + x * bytes;
                uint8_t* px = &img.rgb[(size_t(y) * img.width + x) * 3];
                if (at + bytes > kVramBytes) continue;
                const uint8_t* m = &vram_[at];
                const unsigned w = m[0] | (bytes > 1 ? m[1] << 8 : 0);
                switch (bpp) {
                case 8: dac_rgb(m[0], px); break;
                case 15: px[0] = uint8_t((w >> 10 & 31) * 255 / 31), px[1] = uint8_t((w >> 5 & 31) * 255 / 31), px[2] = uint8_t((w & 31) * 255 / 31); break;
                case 16: px[0] = uint8_t((w >> 11 & 31) * 255 / 31), px[1] = uint8_t((w >> 5 & 63) * 255 / 63), px[2] = uint8_t((w & 31) * 255 / 31); break;
                default: px[0] = m[2], px[1] = m[1], px[2] = m[0]; break;  // 24 and 32: B, G, R in memory
                }
            }
        return img;
    }

    const Geometry g = geometry(*this);
    if (text_mode()) {
        // Text: a cell is 8 or 9 dots wide (sequencer 1 bit 0) and CR9 + 1 lines high; the
        // glyphs are the font the BIOS loaded into plane 2, 32 bytes a character, in one of
        // eight 8 KiB maps chosen by the character map select (sequencer 3) and attribute bit 3.
        const unsigned cw = (sr_[1] & 1) ? 8 : 9, ch = g.scan_height;
        const unsigned cols = g.char_clocks, rows = g.lines / ch;
        img.width = cols * cw;
        img.height = rows * ch;
        img.rgb.assign(size_t(img.width) * img.height * 3, 0);
        static constexpr uint32_t kMapBase[8] = {0x0000, 0x4000, 0x8000, 0xC000, 0x2000, 0x6000, 0xA000, 0xE000};
        const uint32_t map_a = kMapBase[((sr_[3] >> 2) & 3) | ((sr_[3] >> 3) & 4)];
        const uint32_t map_b = kMapBase[(sr_[3] & 3) | ((sr_[3] >> 2) & 4)];
        const bool blink = ar_[0x10] & 0x08, line_graphics = ar_[0x10] & 0x04;
        const uint32_t cursor = uint32_t(cr_[0x0E]) << 8 | cr_[0x0F];
        const bool cursor_on = !(cr_[0x0A] & 0x20);
        for (unsigned r = 0; r < rows; ++r)
            for (unsigned c = 0; c < cols; ++c) {
                const uint32_t n = g.start + r * g.row_step / 2 + c;  // the CRTC's character count
                const uint32_t addr = 2 * n;
                const uint8_t code = plane_byte(0, addr), at = plane_byte(1, addr);
                const uint32_t font = ((at & 0x08) ? map_a : map_b) + code * 32u;
                uint8_t fg[3], bg[3];
                dac_rgb(palette(at & 0x0F), fg);
                dac_rgb(palette(blink ? (at >> 4) & 7 : at >> 4), bg);
                for (unsigned y = 0; y < ch; ++y) {
                    unsigned bits = plane_byte(2, font + y) << 1;
                    if (cw == 9 && line_graphics && code >= 0xC0 && code <= 0xDF) bits |= (bits >> 1) & 1;
                    if (cursor_on && n == cursor && y >= (cr_[0x0A] & 0x1F) && y <= (cr_[0x0B] & 0x1F)) bits = 0x3FF;
                    for (unsigned x = 0; x < cw; ++x) {
                        const bool on = (bits >> (8 - x)) & 1;  // bit 8 is the glyph's leftmost dot
                        uint8_t* px = &img.rgb[((size_t(r) * ch + y) * img.width + c * cw + x) * 3];
                        std::copy(on ? fg : bg, (on ? fg : bg) + 3, px);
                    }
                }
            }
        return img;
    }

    // Graphics: 256 colours (GR5 bit 6: four pixels a character clock, a byte each) or 16
    // colours from the four planes (eight pixels a character clock, a bit in each plane).
    const bool c256 = gr_[5] & 0x40;
    img.width = g.char_clocks * (c256 ? 4 : 8);
    img.height = g.lines / (g.double_scan ? 2 : 1) / g.scan_height;
    img.rgb.assign(size_t(img.width) * img.height * 3, 0);
    for (unsigned y = 0; y < img.height; ++y)
        for (unsigned x = 0; x < img.width; ++x) {
            uint8_t* px = &img.rgb[(size_t(y) * img.width + x) * 3];
            if (c256) {
                const uint32_t at = 4 * g.start + y * g.row_step + x;
                dac_rgb(vram_[at & (kVramBytes - 1)], px);
            } else {
                const uint32_t addr = g.start + y * g.row_step + x / 8;
                unsigned colour = 0;
                for (unsigned p = 0; p < 4; ++p) colour |= ((plane_byte(p, addr) >> (7 - (x & 7))) & 1u) << p;
                dac_rgb(palette(colour & ar_[0x12]), px);
            }
        }
    return img;
}

} // namespace xlat
