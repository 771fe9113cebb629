#include "frontend/boot_order.h"

#include <cstdio>

#include "devices/fw_cfg.h"
#include "devices/rtc.h"
#include "frontend/options.h"

namespace xlat {

namespace {

// The CMOS nibble of a boot device letter (QEMU's PC numbering, which SeaBIOS's boot_init
// decodes); 0 for a letter the PC has no device class for.
uint8_t nibble(char c) {
    switch (c) {
    case 'a': case 'b': return 1;  // floppy
    case 'c': return 2;            // first hard disk
    case 'd': return 3;            // CD-ROM
    case 'n': return 4;            // network (a BEV option ROM)
    default: return 0;
    }
}

void check_drives(const std::string& key, const std::string& drives) {
    const std::string what = "-boot " + key + "=" + quote(drives);
    if (drives.empty()) throw UsageError(what + ": name at least one boot device (c disk, d CD-ROM, ...)");
    for (size_t i = 0; i < drives.size(); ++i) {
        const char c = drives[i];
        if (!nibble(c))
            throw UsageError(what + ": " + quote(std::string(1, c)) +
                             " is not a boot device of a PC (a or b floppy, c hard disk, d CD-ROM, n network)");
        if (drives.find(c, i + 1) != std::string::npos)
            throw UsageError(what + ": boot device " + quote(std::string(1, c)) + " is given twice");
    }
    if (drives.size() > 3) throw UsageError(what + ": a PC takes at most three boot devices");
}

bool on_off(const std::string& key, const std::string& value) {
    if (value == "on" || value == "yes" || value == "true") return true;
    if (value == "off" || value == "no" || value == "false") return false;
    throw UsageError("-boot " + key + "=" + quote(value) + ": use on or off");
}

int milliseconds(const std::string& key, const std::string& value, long min) {
    char* end = nullptr;
    const long v = value.empty() ? min - 1 : std::strtol(value.c_str(), &end, 10);
    if ((end && *end) || v < min || v > 0xFFFF)
        throw UsageError("-boot " + key + "=" + quote(value) + ": use a number of milliseconds from " +
                         std::to_string(min) + " to 65535");
    return int(v);
}

void put_le(std::vector<uint8_t>& out, uint32_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

} // namespace

BootOrder parse_boot(const std::string& text) {
    BootOrder b;
    size_t at = 0;
    bool first = true;
    while (at <= text.size()) {
        size_t end = text.find(',', at);
        if (end == std::string::npos) end = text.size();
        const std::string item = text.substr(at, end - at);
        at = end + 1;
        const size_t eq = item.find('=');
        // QEMU's older form "-boot dc": a first item without a key is the order.
        const std::string key = eq == std::string::npos ? (first ? "order" : item) : item.substr(0, eq);
        const std::string value = eq == std::string::npos ? (first ? item : "") : item.substr(eq + 1);
        first = false;
        if (item.empty()) {
            if (text.empty()) throw UsageError("-boot needs settings, e.g. order=d or menu=on");
            continue;
        }
        if (key == "order") {
            check_drives(key, value);
            b.order = value;
        } else if (key == "once") {
            check_drives(key, value);
            b.once = value;
        } else if (key == "menu") {
            b.menu = on_off(key, value);
        } else if (key == "strict") {
            b.strict = on_off(key, value);
        } else if (key == "splash-time") {
            b.splash_time_ms = milliseconds(key, value, 0);
        } else if (key == "reboot-timeout") {
            b.reboot_timeout_ms = milliseconds(key, value, -1);
        } else if (key == "splash") {
            throw UsageError("-boot splash=: a boot splash picture is not supported");
        } else {
            throw UsageError("unknown -boot key " + quote(key) +
                             " (known: order, once, menu, splash-time, reboot-timeout, strict)");
        }
    }
    return b;
}

std::array<uint8_t, 2> boot_cmos(const std::string& order) {
    uint8_t n[3] = {};
    for (size_t i = 0; i < order.size() && i < 3; ++i) n[i] = nibble(order[i]);
    // 38h bit 0 stays clear: SeaBIOS checks a floppy's boot signature, as QEMU's default.
    return {uint8_t(n[1] << 4 | n[0]), uint8_t(n[2] << 4)};
}

std::vector<std::string> bootorder_paths(const std::string& order, const IdeLayout& ide, bool strict) {
    std::vector<std::string> paths;
    for (char c : order) {
        const IdeMedia want = c == 'c' ? IdeMedia::Disk : c == 'd' ? IdeMedia::Cdrom : IdeMedia::None;
        if (want == IdeMedia::None) continue;  // no floppy controller or network card to name
        for (unsigned i = 0; i < 4; ++i)
            if (ide[i] == want) {
                // The PIIX3 IDE function is PCI 00:01.1; SeaBIOS's bootprio_find_ata_device
                // looks for drive@CHANNEL/disk@UNIT under it.
                char path[64];
                std::snprintf(path, sizeof path, "/pci@i0cf8/ide@1,1/drive@%x/disk@%x", i / 2, i % 2);
                paths.push_back(path);
            }
    }
    if (strict) paths.push_back("HALT");  // SeaBIOS boots nothing ranked below it
    return paths;
}

void apply_boot_order(Rtc146818& rtc, FwCfg& fw, const BootOrder& boot, const std::string& order, const IdeLayout& ide) {
    const std::array<uint8_t, 2> cmos = boot_cmos(order);
    rtc.cmos(0x3D) = cmos[0];
    rtc.cmos(0x38) = cmos[1];
    fw.set_u16(FwCfg::kBootDevice, uint16_t(order[0]));
    std::vector<uint8_t> text;
    for (const std::string& p : bootorder_paths(order, ide, boot.strict)) {
        text.insert(text.end(), p.begin(), p.end());
        text.push_back('\n');
    }
    if (!text.empty()) text.back() = 0;  // NUL-terminated, without an empty last line
    else text.push_back(0);
    fw.add_file("bootorder", std::move(text));
}

void apply_boot_settings(FwCfg& fw, const BootOrder& boot) {
    fw.set_u16(FwCfg::kBootMenu, boot.menu ? 1 : 0);
    if (boot.splash_time_ms >= 0) {
        std::vector<uint8_t> wait;
        put_le(wait, uint32_t(boot.splash_time_ms), 2);
        fw.add_file("etc/boot-menu-wait", std::move(wait));
    }
    std::vector<uint8_t> retry;
    put_le(retry, uint32_t(boot.reboot_timeout_ms), 4);
    fw.add_file("etc/boot-fail-wait", std::move(retry));
}

} // namespace xlat
