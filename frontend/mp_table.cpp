#include "frontend/mp_table.h"

#include <cstring>

#include "devices/apic.h"
#include "devices/ioapic.h"

namespace xlat {

namespace {

uint8_t checksum(const std::vector<uint8_t>& b, size_t from, size_t len) {
    uint8_t sum = 0;
    for (size_t i = from; i < from + len; ++i) sum = uint8_t(sum + b[i]);
    return uint8_t(-sum);
}

} // namespace

std::vector<uint8_t> mp_tables(const MpSetup& s, uint32_t base) {
    std::vector<uint8_t> t;
    auto u8 = [&](unsigned v) { t.push_back(uint8_t(v)); };
    auto u16 = [&](unsigned v) { u8(v & 0xFF), u8(v >> 8 & 0xFF); };
    auto u32 = [&](uint32_t v) { u16(v & 0xFFFF), u16(v >> 16); };
    auto text = [&](const char* str, size_t n) {  // space-padded
        for (size_t i = 0; i < n; ++i) u8(i < std::strlen(str) ? uint8_t(str[i]) : ' ');
    };
    // 4.1 MP Floating Pointer Structure: the table's address, length 1 (16 bytes), revision 1.4,
    // feature byte 1 = 0 (a configuration table is present), IMCRP clear (virtual wire mode).
    text("_MP_", 4);
    u32(base + 16);
    u8(1), u8(4), u8(0), u8(0), u8(0), u8(0), u8(0), u8(0);
    t[10] = checksum(t, 0, 16);
    // 4.2 MP Configuration Table Header; the length, entry count and checksum are set last.
    const size_t h = t.size();
    text("PCMP", 4);
    u16(0), u8(4), u8(0);
    text("XLAT", 8);
    text("XLATPC", 12);
    u32(0), u16(0), u16(0);
    u32(uint32_t(LocalApic::kDefaultBase));
    u16(0), u8(0), u8(0);
    unsigned entries = 0;
    // 4.3.1 Processor: APIC ID 0, local APIC version 14h, enabled and the bootstrap processor.
    u8(0), u8(0), u8(0x14), u8(0x03), u32(s.cpu_signature), u32(s.cpu_features), u32(0), u32(0);
    ++entries;
    // 4.3.2 Buses: PCI bus 0 and the ISA bus behind the PIIX3 (ID 1), as SeaBIOS numbers them.
    constexpr uint8_t kPciBus = 0, kIsaBus = 1;
    u8(1), u8(kPciBus), text("PCI", 6);
    u8(1), u8(kIsaBus), text("ISA", 6);
    entries += 2;
    // 4.3.3 I/O APIC: ID 0, version 20h (devices/ioapic.h), enabled.
    constexpr uint8_t kIoApicId = 0;
    u8(2), u8(kIoApicId), u8(0x20), u8(0x01), u32(IoApic::kBase);
    ++entries;
    // 4.3.4 I/O interrupt assignments. Flags: polarity bits 1:0, trigger bits 3:2 (00 the bus's
    // default, 01 active high / edge, 11 active low / level). The PIIX3's PIRQs and the SCI
    // are level triggered and active high as the board drives them (0Dh), as the MADT says.
    auto intsrc = [&](uint8_t bus, uint8_t src_irq, uint8_t pin, unsigned flags) {
        u8(3), u8(0 /* INT */), u16(flags), u8(bus), u8(src_irq), u8(kIoApicId), u8(pin);
        ++entries;
    };
    for (const MpPciIrq& p : s.pci)  // PCI source IRQ: bits 6:2 the device, 1:0 the pin (INTA 0)
        intsrc(kPciBus, uint8_t((p.devfn >> 3) << 2 | ((p.pin - 1) & 3)), p.irq, 0x0D);
    for (uint8_t irq = 0; irq < 16; ++irq) {
        if (irq == 2) continue;  // the cascade
        const bool level = irq == 5 || irq == 9 || irq == 10 || irq == 11;
        intsrc(kIsaBus, irq, irq == 0 ? 2 : irq, level ? 0x0D : 0);  // IRQ 0 on input 2 (PcBoard::IsaIrqs)
    }
    // 4.3.5 Local interrupts: the 8259's INTR on LINT0 (ExtINT), NMI on LINT1, every processor.
    u8(4), u8(3 /* ExtINT */), u16(0), u8(kIsaBus), u8(0), u8(0xFF), u8(0);
    u8(4), u8(1 /* NMI */), u16(0), u8(kIsaBus), u8(0), u8(0xFF), u8(1);
    entries += 2;
    const size_t len = t.size() - h;
    t[h + 4] = uint8_t(len), t[h + 5] = uint8_t(len >> 8);
    t[h + 34] = uint8_t(entries), t[h + 35] = uint8_t(entries >> 8);
    t[h + 7] = checksum(t, h, len);
    return t;
}

} // namespace xlat
