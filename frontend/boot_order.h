// The boot settings, QEMU's -boot for the PC machine, and how SeaBIOS is told about them:
//   order=DRIVES   devices to try, most preferred first: a/b floppy, c hard disk, d CD-ROM,
//                  n network; at most three (the CMOS has three nibbles); QEMU's default "cad"
//   once=DRIVES    the order for the first boot only; a reset goes back to order=
//   menu=on|off    SeaBIOS's "Press ESC for boot menu" prompt (fw_cfg key 0x0E)
//   splash-time=MS how long that prompt waits (fw_cfg file etc/boot-menu-wait)
//   reboot-timeout=MS  wait before retrying when nothing boots; -1: never (etc/boot-fail-wait)
//   strict=on      boot only what the order lists (a "HALT" line in the bootorder file)
// SeaBIOS reads the order twice over (src/boot.c, boot_init and loadBootOrder):
//   - the CMOS bytes 3Dh and 38h (QEMU's nvram layout: one nibble per device, 1 floppy, 2 hard
//     disk, 3 CD-ROM, 4 network; 3Dh holds the first two, the high nibble of 38h the third;
//     38h bit 0 set skips the floppy boot-signature check) give each class a priority;
//   - the fw_cfg file "bootorder", one OpenFirmware device path per line, ranks single devices
//     above every class priority. QEMU writes it from bootindex= properties; xlat writes it from
//     the order, listing the IDE drives of each class in index order, as QEMU names them:
//     /pci@i0cf8/ide@1,1/drive@CHANNEL/disk@UNIT (a CD-ROM has the same form).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace xlat {

class FwCfg;
class Rtc146818;

struct BootOrder {
    std::string order = "cad";  // QEMU's default for the PC machine
    std::string once;           // empty: none
    bool menu = false;
    int splash_time_ms = -1;    // -1: not given (SeaBIOS waits 2.5 s when the menu is on)
    int reboot_timeout_ms = -1; // -1: never retry
    bool strict = false;
};

// What sits at each IDE index (primary master, primary slave, secondary master, secondary slave).
enum class IdeMedia : uint8_t { None, Disk, Cdrom };
using IdeLayout = std::array<IdeMedia, 4>;

// Parses the text of -boot: "order=cd,menu=on" or QEMU's older "-boot cd". Throws UsageError
// naming the problem.
BootOrder parse_boot(const std::string& text);
// CMOS bytes 3Dh and 38h for an order (already checked by parse_boot).
std::array<uint8_t, 2> boot_cmos(const std::string& order);
// The bootorder file's lines for an order and the drives present.
std::vector<std::string> bootorder_paths(const std::string& order, const IdeLayout& ide, bool strict);
// Writes an order into the CMOS and fw_cfg (the boot device, the bootorder file); `order` is
// boot.order or boot.once.
void apply_boot_order(Rtc146818& rtc, FwCfg& fw, const BootOrder& boot, const std::string& order, const IdeLayout& ide);
// The settings read once at power-on: the menu, its wait, the retry wait.
void apply_boot_settings(FwCfg& fw, const BootOrder& boot);

} // namespace xlat
