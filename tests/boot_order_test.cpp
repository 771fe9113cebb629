// The boot order as SeaBIOS reads it from a machine: the CMOS bytes 3Dh/38h (QEMU's nibbles),
// the fw_cfg bootorder file with the PIIX3 IDE device paths, the boot menu item, and -boot once=
// giving way to order= at the first reset.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "frontend/boot_order.h"
#include "frontend/options.h"
#include "test_machine.h"

using namespace xlat;

namespace {

uint8_t cmos(Machine& m, uint8_t reg) {
    m.io.write(0x70, 1, reg);
    return uint8_t(m.io.read(0x71, 1));
}

// The fw_cfg file as the firmware reads it through the ports: the directory, then the item.
std::string fw_file(Machine& m, const std::string& name) {
    auto be = [&](unsigned n) {
        uint32_t v = 0;
        for (unsigned i = 0; i < n; ++i) v = v << 8 | m.io.read(0x511, 1);
        return v;
    };
    m.io.write(0x510, 2, 0x19);
    const uint32_t count = be(4);
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t size = be(4);
        const uint16_t key = uint16_t(be(2));
        be(2);
        char fname[56];
        for (char& c : fname) c = char(m.io.read(0x511, 1));
        if (name != fname) continue;
        m.io.write(0x510, 2, key);
        std::string data;
        for (uint32_t j = 0; j < size; ++j) data += char(m.io.read(0x511, 1));
        return data;
    }
    return "(missing)";
}

} // namespace

TEST_CASE("boot order: -boot text, CMOS nibbles and device paths", "[device]") {
    const BootOrder def = parse_boot("menu=on");
    CHECK(def.order == "cad");  // QEMU's default
    CHECK(def.menu);
    const BootOrder b = parse_boot("dc,once=n,strict=on,splash-time=250,reboot-timeout=-1");
    CHECK(b.order == "dc");
    CHECK(b.once == "n");
    CHECK(b.strict);
    CHECK(b.splash_time_ms == 250);
    CHECK(b.reboot_timeout_ms == -1);
    CHECK_THROWS_AS(parse_boot("order=cz"), UsageError);
    // QEMU's nibbles: 1 floppy, 2 disk, 3 CD, 4 network; 3Dh = second << 4 | first, 38h = third << 4.
    CHECK(boot_cmos("cad") == std::array<uint8_t, 2>{0x12, 0x30});
    CHECK(boot_cmos("d") == std::array<uint8_t, 2>{0x03, 0x00});
    CHECK(boot_cmos("ndc") == std::array<uint8_t, 2>{0x34, 0x20});
    const IdeLayout ide = {IdeMedia::Disk, IdeMedia::None, IdeMedia::Cdrom, IdeMedia::Disk};
    CHECK(bootorder_paths("dc", ide, false) ==
          std::vector<std::string>{"/pci@i0cf8/ide@1,1/drive@1/disk@0", "/pci@i0cf8/ide@1,1/drive@0/disk@0",
                                   "/pci@i0cf8/ide@1,1/drive@1/disk@1"});
    CHECK(bootorder_paths("cn", ide, true) ==
          std::vector<std::string>{"/pci@i0cf8/ide@1,1/drive@0/disk@0", "/pci@i0cf8/ide@1,1/drive@1/disk@1", "HALT"});
}

TEST_CASE("boot order: the machine's CMOS and fw_cfg, and once= until the first reset", "[device]") {
    MachineConfig cfg = small_config();
    Machine plain(cfg);
    CHECK(cmos(plain, 0x3D) == 0x12);  // "cad"
    CHECK(cmos(plain, 0x38) == 0x30);
    CHECK(fw_file(plain, "bootorder") == std::string(1, '\0'));  // no drives to name
    plain.io.write(0x510, 2, 0x0E);
    CHECK(plain.io.read(0x511, 1) == 0);  // menu off

    cfg.boot = parse_boot("order=c,once=d,menu=on,reboot-timeout=1000");
    cfg.ide_media = {IdeMedia::None, IdeMedia::None, IdeMedia::Cdrom, IdeMedia::None};
    Machine m(cfg);
    CHECK(cmos(m, 0x3D) == 0x03);
    CHECK(cmos(m, 0x38) == 0x00);
    CHECK(fw_file(m, "bootorder") == std::string("/pci@i0cf8/ide@1,1/drive@1/disk@0") + '\0');
    m.io.write(0x510, 2, 0x0E);
    CHECK(m.io.read(0x511, 1) == 1);
    CHECK(fw_file(m, "etc/boot-fail-wait") == std::string("\xE8\x03\0\0", 4));
    m.reset();
    CHECK(cmos(m, 0x3D) == 0x02);
    CHECK(fw_file(m, "bootorder") == std::string(1, '\0'));  // c, and no disk
    m.reset();
    CHECK(cmos(m, 0x3D) == 0x02);
}
