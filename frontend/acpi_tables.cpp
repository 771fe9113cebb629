#include "frontend/acpi_tables.h"

#include <cstring>
#include <map>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "devices/apic.h"
#include "devices/hpet.h"
#include "devices/ioapic.h"

namespace xlat {

namespace {

using Bytes = std::vector<uint8_t>;

void put32(Bytes& b, size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}

Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// ---- AML (ACPI 1.0b, chapter 16) ----
// PkgLength (16.2.4): one byte up to 63, else the low nibble in the lead byte (with the count of
// bytes that follow in bits 7:6) and 8 more bits per following byte; it counts its own bytes.
Bytes with_pkg(Bytes head, const Bytes& body) {
    const size_t n1 = body.size() + 1, n2 = body.size() + 2, n3 = body.size() + 3;
    if (n1 <= 63) {
        head.push_back(uint8_t(n1));
    } else if (n2 <= 0xFFF) {
        head.push_back(uint8_t(0x40 | (n2 & 0xF))), head.push_back(uint8_t(n2 >> 4));
    } else {
        if (n3 > 0xFFFFF) throw std::logic_error("AML package too long");
        head.push_back(uint8_t(0x80 | (n3 & 0xF))), head.push_back(uint8_t(n3 >> 4)), head.push_back(uint8_t(n3 >> 12));
    }
    return cat(head, body);
}
Bytes name_seg(const char* n) { return {uint8_t(n[0]), uint8_t(n[1]), uint8_t(n[2]), uint8_t(n[3])}; }
// Name (n, value): NameOp.
Bytes name(const char* n, const Bytes& value) { return cat(cat({0x08}, name_seg(n)), value); }
// Integers: ZeroOp, OneOp, ByteConst, WordConst, DWordConst.
Bytes integer(uint32_t v) {
    if (v == 0) return {0x00};
    if (v == 1) return {0x01};
    if (v <= 0xFF) return {0x0A, uint8_t(v)};
    if (v <= 0xFFFF) return {0x0B, uint8_t(v), uint8_t(v >> 8)};
    return {0x0C, uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
// EisaId ("PNPxxxx") as its DWordConst: the compressed vendor "PNP" (41D0h), then the product.
Bytes eisa_id(uint16_t product) { return {0x0C, 0x41, 0xD0, uint8_t(product >> 8), uint8_t(product)}; }
// Buffer () { resource descriptors, End Tag }: BufferOp, PkgLength, BufferSize, bytes.
Bytes resource_buffer(Bytes descriptors) {
    descriptors.push_back(0x79), descriptors.push_back(0);  // End Tag (6.4.2.8), checksum 0: none
    return with_pkg({0x11}, cat(integer(uint32_t(descriptors.size())), descriptors));
}
Bytes device(const char* n, const Bytes& body) { return with_pkg({0x5B, 0x82}, cat(name_seg(n), body)); }  // DeviceOp
// A name path from the root: RootChar, MultiNamePrefix, the segment count, the segments.
Bytes root_path(std::initializer_list<const char*> segs) {
    Bytes p = {'\\', 0x2F, uint8_t(segs.size())};
    for (const char* s : segs) p = cat(p, name_seg(s));
    return p;
}
// Method (n, args) { body }: MethodOp, PkgLength, NameSeg, MethodFlags (not serialized).
Bytes method(const char* n, unsigned args, const Bytes& body) {
    return with_pkg({0x14}, cat(cat(name_seg(n), {uint8_t(args & 7)}), body));
}
Bytes ret(const Bytes& v) { return cat({0xA4}, v); }                                       // ReturnOp
Bytes if_(const Bytes& pred, const Bytes& body) { return with_pkg({0xA0}, cat(pred, body)); }  // IfOp
Bytes and_(const Bytes& a, const Bytes& b) { return cat(cat({0x7B}, a), cat(b, {0x00})); }     // AndOp, no target
Bytes or_(const Bytes& a, const Bytes& b, const Bytes& target) { return cat(cat({0x7D}, a), cat(b, target)); }
Bytes lless(const Bytes& a, const Bytes& b) { return cat(cat({0x95}, a), b); }               // LLessOp
Bytes store(const Bytes& src, const Bytes& dst) { return cat(cat({0x70}, src), dst); }       // StoreOp
Bytes create_dword_field(const Bytes& buf, unsigned byte_index, const char* n) {              // CreateDWordFieldOp
    return cat(cat(cat({0x8A}, buf), integer(byte_index)), name_seg(n));
}
const Bytes kArg0 = {0x68};

// ---- resource descriptors (6.4) ----
// I/O port (6.4.2.5): decodes 16 address bits, a fixed base, alignment 1.
Bytes io_port(uint16_t base, uint8_t len) {
    return {0x47, 0x01, uint8_t(base), uint8_t(base >> 8), uint8_t(base), uint8_t(base >> 8), 1, len};
}
// IRQ (6.4.2.1) without flags: edge triggered, active high.
Bytes irq_no_flags(unsigned irq) { return {0x22, uint8_t(1u << irq), uint8_t((1u << irq) >> 8)}; }
// Memory32Fixed (6.4.3.4).
Bytes memory32_fixed(bool writable, uint32_t base, uint32_t len) {
    Bytes d = {0x86, 9, 0, uint8_t(writable ? 1 : 0), 0, 0, 0, 0, 0, 0, 0, 0};
    put32(d, 4, base);
    put32(d, 8, len);
    return d;
}
// Word address space (6.4.3.5.3): bus numbers (type 2) or I/O (type 1), min and max fixed, a
// producer (the root bridge decodes it for its children).
Bytes word_space(uint8_t type, uint8_t specific, uint16_t min, uint16_t max) {
    const uint16_t len = uint16_t(max - min + 1);
    return {0x88, 13, 0, type, 0x0C, specific, 0, 0, uint8_t(min), uint8_t(min >> 8), uint8_t(max), uint8_t(max >> 8), 0, 0,
            uint8_t(len), uint8_t(len >> 8)};
}
// Extended interrupt (6.4.3.6): a consumer, level triggered, active high, shared (the PIIX3's
// PIRQ lines as the board drives them), with the interrupt numbers listed; the first number
// sits at byte 5.
Bytes interrupts(std::initializer_list<uint32_t> irqs) {
    Bytes d = {0x89, uint8_t(2 + 4 * irqs.size()), 0, 0x09, uint8_t(irqs.size())};
    for (uint32_t irq : irqs)
        for (int b = 0; b < 4; ++b) d.push_back(uint8_t(irq >> (8 * b)));
    return d;
}
// DWord memory (6.4.3.5.2), read/write.
Bytes dword_memory(uint32_t min, uint32_t max) {
    Bytes d = {0x87, 23, 0, 0 /* memory */, 0x0C, 0x01};
    for (uint32_t v : {0u, min, max, 0u, max - min + 1})
        for (int b = 0; b < 4; ++b) d.push_back(uint8_t(v >> (8 * b)));
    return d;
}

// A table header (5.2.5): the body follows; the length and checksum are set when it is placed.
Bytes table(const char* sig, uint8_t revision, const Bytes& body) {
    Bytes t(36, 0);
    std::memcpy(&t[0], sig, 4);
    t[8] = revision;
    std::memcpy(&t[10], "XLAT  ", 6);
    std::memcpy(&t[16], "XLATPC  ", 8);
    put32(t, 24, 1);
    std::memcpy(&t[28], "XLAT", 4);
    put32(t, 32, 1);
    t = cat(t, body);
    put32(t, 4, uint32_t(t.size()));
    return t;
}

// The MADT (5.2.10.4, "Multiple APIC Description Table"; the entry types of 5.2.10.5 to
// 5.2.10.9): each CPU's local APIC (IDs from 0, the reset value of its ID register), the I/O APIC
// at 0xFEC00000 with the first 24 global system interrupts, and how the ISA IRQs reach its pins.
// The board wires them one to one (PcBoard::IsaIrqs) except the PIT's IRQ 0, which goes to pin 2
// (the 8259's cascade input, unused on the I/O APIC), as on QEMU's pc; that needs an interrupt
// source override. The IRQs the PCI interrupts and the SCI are routed to (5, 9, 10, 11, QEMU's
// choice too) are level triggered and active high at the I/O APIC (the PIIX3's PIRQ lines as the
// board drives them, not the active-low wires of a real board), which the overrides say too.
// LINT1 of every processor is the NMI input (the local APIC NMI entry), as the 8259 INTR is LINT0.
Bytes madt(const AcpiSetup& s) {
    Bytes body;
    auto u8 = [&](unsigned v) { body.push_back(uint8_t(v)); };
    auto u16 = [&](unsigned v) { u8(v & 0xFF), u8(v >> 8); };
    auto u32 = [&](uint32_t v) { u16(v & 0xFFFF), u16(v >> 16); };
    u32(uint32_t(LocalApic::kDefaultBase));  // local APIC address
    u32(1);                                  // PCAT_COMPAT: the 8259s are there too (and masked by the OS)
    for (unsigned cpu = 0; cpu < s.cpus; ++cpu) u8(0), u8(8), u8(cpu), u8(cpu), u32(1);  // processor local APIC: ACPI ID, APIC ID, enabled
    u8(1), u8(12), u8(0), u8(0), u32(IoApic::kBase), u32(0);  // I/O APIC: ID 0, GSI base 0
    auto iso = [&](unsigned irq, unsigned gsi, unsigned flags) { u8(2), u8(10), u8(0 /* ISA */), u8(irq), u32(gsi), u16(flags); };
    iso(0, 2, 0);  // flags 0: the bus's own polarity and trigger (ISA: high, edge)
    for (unsigned irq : {5u, unsigned(s.sci_irq), 10u, 11u}) iso(irq, irq, 0xD);  // active high (01), level (11 << 2)
    u8(4), u8(6), u8(0xFF /* all processors */), u16(0), u8(1);   // local APIC NMI on LINT1
    return table("APIC", 1, body);
}

// The HPET description table (IA-PC HPET specification 1.0a, 3.2.4): the block's ID (the
// capabilities register's low half), its address as a Generic Address Structure in system
// memory, HPET number 0, the smallest periodic tick the OS should program (128 ticks, 1.28 us),
// and no page protection.
Bytes hpet_table() {
    Bytes body(20, 0);
    put32(body, 0, Hpet::kId);
    body[4] = 0;  // GAS: system memory; width, offset and access size 0 (ACPI 1.0)
    put32(body, 8, Hpet::kBase);
    body[16] = 0;                    // HPET number
    body[17] = 0x80, body[18] = 0;   // minimum clock tick
    body[19] = 0;                    // page protection: none
    return table("HPET", 1, body);
}

// The ISA devices of the board under the PIIX3's ISA bridge (PCI0.ISA_, _ADR 1.0), each with its
// PNP ID and the ports and IRQ it has: the RTC (PNP0B00), the 8042's keyboard (PNP0303) and
// mouse (PNP0F13) ports, and COM1 and COM2 (PNP0501; COM3 and COM4 have no IRQ of their own on
// this board). Linux binds rtc_cmos, i8042 and 8250_pnp to them as on a PC's firmware tables,
// instead of probing the legacy addresses.
Bytes isa_bridge() {
    struct Port { uint16_t base; uint8_t len; };
    auto isa_device = [](const char* n, uint16_t pnp, int uid, std::initializer_list<Port> ports, unsigned irq) {
        Bytes crs;
        for (const Port& p : ports) crs = cat(crs, io_port(p.base, p.len));
        crs = cat(crs, irq_no_flags(irq));
        Bytes body = name("_HID", eisa_id(pnp));
        if (uid >= 0) body = cat(body, name("_UID", integer(uint32_t(uid))));
        return device(n, cat(body, name("_CRS", resource_buffer(crs))));
    };
    Bytes isa = name("_ADR", integer(0x00010000));  // device 1, function 0
    // The PIRQ route control registers PIRQRC[A:D] (PIIX3 datasheet 2.2.13, configuration
    // 60h-63h: bits 3:0 the ISA IRQ, bit 7 disables), as fields PRQ0-PRQ3 that the link
    // devices read and write: OperationRegion (P40C, PCI_Config, 0x60, 4) and
    // Field (P40C, ByteAcc, NoLock, Preserve) { PRQ0, 8, PRQ1, 8, PRQ2, 8, PRQ3, 8 }.
    isa = cat(isa, cat(cat(Bytes{0x5B, 0x80}, name_seg("P40C")), cat(Bytes{0x02}, cat(integer(0x60), integer(4)))));
    Bytes fields = cat(name_seg("P40C"), {0x01});
    for (const char* f : {"PRQ0", "PRQ1", "PRQ2", "PRQ3"}) fields = cat(fields, cat(name_seg(f), {0x08}));
    isa = cat(isa, with_pkg({0x5B, 0x81}, fields));
    isa = cat(isa, isa_device("RTC_", 0x0B00, -1, {{0x70, 2}}, 8));
    isa = cat(isa, isa_device("KBD_", 0x0303, -1, {{0x60, 1}, {0x64, 1}}, 1));
    isa = cat(isa, isa_device("MOU_", 0x0F13, -1, {}, 12));
    isa = cat(isa, isa_device("COM1", 0x0501, 1, {{0x3F8, 8}}, 4));
    isa = cat(isa, isa_device("COM2", 0x0501, 2, {{0x2F8, 8}}, 3));
    return device("ISA_", isa);
}

// The PCI interrupt links (ACPI 1.0b, 6.2.9 and the PNP0C0F devices of the PCI firmware
// specification): LNKA-LNKD are the PIIX3's PIRQA-D, each routed to one ISA IRQ of 5, 10 and 11
// by its PIRQRC register; LNKS is the power management function's SCI, fixed on IRQ 9:
//   Device (LNKA) { Name (_HID, EisaId ("PNP0C0F")) Name (_UID, 0)
//     Name (_PRS, ResourceTemplate () { Interrupt (, Level, ActiveHigh, Shared) { 5, 10, 11 } })
//     Method (_STA) { If (And (PRQ0, 0x80)) { Return (0x09) } Return (0x0B) }   disabled: 9
//     Method (_DIS) { Or (PRQ0, 0x80, PRQ0) }
//     Method (_CRS) { Name (PRR0, ResourceTemplate () { Interrupt (...) { 0 } })
//                     CreateDWordField (PRR0, 5, PRRI)
//                     If (LLess (PRQ0, 0x80)) { Store (PRQ0, PRRI) } Return (PRR0) }
//     Method (_SRS, 1) { CreateDWordField (Arg0, 5, PRRI) Store (PRRI, PRQ0) } }
Bytes pci_links(uint8_t sci_irq) {
    Bytes out;
    const char* const links[] = {"LNKA", "LNKB", "LNKC", "LNKD"};
    const char* const fields[] = {"PRQ0", "PRQ1", "PRQ2", "PRQ3"};
    for (unsigned i = 0; i < 4; ++i) {
        const Bytes prq = root_path({"_SB_", "PCI0", "ISA_", fields[i]});
        Bytes d = name("_HID", eisa_id(0x0C0F));
        d = cat(d, name("_UID", integer(i)));
        d = cat(d, name("_PRS", resource_buffer(interrupts({5, 10, 11}))));
        d = cat(d, method("_STA", 0, cat(if_(and_(prq, integer(0x80)), ret(integer(0x09))), ret(integer(0x0B)))));
        d = cat(d, method("_DIS", 0, or_(prq, integer(0x80), prq)));
        Bytes crs = name("PRR0", resource_buffer(interrupts({0})));
        crs = cat(crs, create_dword_field(name_seg("PRR0"), 5, "PRRI"));
        crs = cat(crs, if_(lless(prq, integer(0x80)), store(prq, name_seg("PRRI"))));
        crs = cat(crs, ret(name_seg("PRR0")));
        d = cat(d, method("_CRS", 0, crs));
        d = cat(d, method("_SRS", 1, cat(create_dword_field(kArg0, 5, "PRRI"), store(name_seg("PRRI"), prq))));
        out = cat(out, device(links[i], d));
    }
    Bytes sci = name("_HID", eisa_id(0x0C0F));
    sci = cat(sci, name("_UID", integer(4)));
    sci = cat(sci, name("_STA", integer(0x0B)));
    sci = cat(sci, name("_PRS", resource_buffer(interrupts({sci_irq}))));
    sci = cat(sci, name("_CRS", resource_buffer(interrupts({sci_irq}))));
    sci = cat(sci, method("_SRS", 1, {}));
    return cat(out, device("LNKS", sci));
}

// The PCI routing table of the root bridge (6.2.8): for each of the 32 slots and its INTA-D, the
// link the PIIX3 wires it to (PciBus::pirq_of: PIRQ (slot + pin - 1) mod 4, pins from 0 here),
// except that slot 1's INTA, the power management function's, is the SCI (LNKS).
//   Name (_PRT, Package (128) { Package (4) { 0xSSSSFFFF, pin, LNKx, 0 }, ... })
Bytes pci_routing() {
    const char* const links[] = {"LNKA", "LNKB", "LNKC", "LNKD"};
    Bytes entries;
    for (uint32_t slot = 0; slot < 32; ++slot)
        for (uint32_t pin = 0; pin < 4; ++pin) {
            const char* link = slot == 1 && pin == 0 ? "LNKS" : links[(slot + pin + 3) & 3];
            Bytes e = cat(Bytes{0x0C, 0xFF, 0xFF, uint8_t(slot), 0x00}, integer(pin));  // DWordConst: all functions
            e = cat(e, cat(name_seg(link), {0x00}));
            entries = cat(entries, with_pkg({0x12}, cat({0x04}, e)));
        }
    return name("_PRT", with_pkg({0x12}, cat({128}, entries)));
}

// The DSDT:
//   Name (_S5, Package (4) {0, 0, 0, 0})      SLP_TYP 0: the PIIX4's soft off (datasheet 7.2.3)
//   Scope (\_SB) {
//     Device (PCI0) { _HID PNP0A03, _ADR 0, _UID 0, _CRS {...}, _PRT {...}, Device (ISA_) {...} }
//     Device (HPET) { _HID PNP0103, _UID 0, _CRS { Memory32Fixed (ReadOnly, 0xFED00000, 0x400) } }
//     Device (LNKA) ... Device (LNKD), Device (LNKS)
//   }
// With ACPI the kernel scans only the PCI roots the namespace names, and gives a root only the
// windows its _CRS lists: buses 0-255, the I/O ports but the configuration ports 0xCF8-0xCFF,
// the VGA window and the memory from the end of RAM up to the I/O APIC's area. The PIIX IDE (no
// interrupt pin) keeps its legacy IRQs 14 and 15.
Bytes dsdt(const AcpiSetup& s) {
    Bytes crs = word_space(2, 0, 0x00, 0xFF);      // bus numbers
    crs = cat(crs, word_space(1, 3, 0x0000, 0x0CF7));  // I/O, ISA and non-ISA ranges
    crs = cat(crs, word_space(1, 3, 0x0D00, 0xFFFF));
    crs = cat(crs, dword_memory(0xA0000, 0xBFFFF));
    crs = cat(crs, dword_memory(uint32_t(s.ram_bytes), 0xFEBFFFFF));
    Bytes pci0 = name("_HID", eisa_id(0x0A03));
    pci0 = cat(pci0, name("_ADR", integer(0)));
    pci0 = cat(pci0, name("_UID", integer(0)));
    pci0 = cat(pci0, name("_CRS", resource_buffer(crs)));
    pci0 = cat(pci0, pci_routing());
    pci0 = cat(pci0, isa_bridge());
    Bytes hpet = name("_HID", eisa_id(0x0103));
    hpet = cat(hpet, name("_UID", integer(0)));
    hpet = cat(hpet, name("_CRS", resource_buffer(memory32_fixed(false, Hpet::kBase, Hpet::kSize))));
    const Bytes sb = cat(cat(device("PCI0", pci0), s.hpet ? device("HPET", hpet) : Bytes{}), pci_links(s.sci_irq));
    Bytes aml = name("_S5_", {0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00});  // PackageOp, 4 elements
    aml = cat(aml, with_pkg({0x10}, cat({'\\', '_', 'S', 'B', '_'}, sb)));  // ScopeOp
    return table("DSDT", 1, aml);
}

// The FADT (5.2.8, the 1.0 layout): the PIIX4 PM block, the SCI on IRQ 9, ACPI mode through the
// APM control port.
// FIRMWARE_CTRL and DSDT are left for the linker.
Bytes fadt(uint16_t pm, uint8_t sci_irq) {
    Bytes f = table("FACP", 1, Bytes(116 - 36, 0));
    f[46] = sci_irq;                // SCI_INT: where the board wires the SCI
    put32(f, 48, 0xB2);             // SMI_CMD: the APM control port
    f[52] = 0xF1;                   // ACPI_ENABLE (Piix4Pm::kAcpiEnable)
    f[53] = 0xF0;                   // ACPI_DISABLE
    put32(f, 56, pm);               // PM1a_EVT_BLK: PMSTS, PMEN
    put32(f, 64, pm + 4u);          // PM1a_CNT_BLK: PMCNTRL
    put32(f, 76, pm + 8u);          // PM_TMR_BLK
    f[88] = 4;                      // PM1_EVT_LEN
    f[89] = 2;                      // PM1_CNT_LEN
    f[91] = 4;                      // PM_TMR_LEN
    f[96] = 0xE9, f[97] = 0x03;     // P_LVL2_LAT 1001: no C2
    f[98] = 0xE9, f[99] = 0x03;     // P_LVL3_LAT 1001: no C3
    f[108] = 0x32;                  // CENTURY: the RTC's CMOS byte for it (Rtc146818)
    // Flags: WBINVD works, C1 (HLT) on all processors, the power and sleep buttons are not fixed
    // features (this board has neither).
    put32(f, 112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5));
    return f;
}

} // namespace

AcpiTables acpi_tables(const AcpiSetup& s) {
    AcpiTables out;
    TableLoader& ld = out.loader;
    Bytes& blob = out.tables;
    // The tables file: the FACS first (5.2.9: 64-byte aligned, which the allocation's alignment
    // gives it; no checksum), then each table at the next 16 bytes. Pointers between them hold
    // offsets into the file, to which the firmware adds the file's address (ADD_POINTER).
    ld.allocate(kAcpiTablesFile, 64, TableLoader::Zone::High);
    auto place = [&](const Bytes& t) {
        blob.resize((blob.size() + 15) / 16 * 16, 0);
        const uint32_t at = uint32_t(blob.size());
        blob = cat(blob, t);
        return at;
    };
    auto pointer = [&](uint32_t field, uint32_t target) {
        put32(blob, field, target);
        ld.add_pointer(kAcpiTablesFile, field, 4, kAcpiTablesFile);
    };
    auto checksum = [&](uint32_t at) {  // the header's checksum byte over the table's length
        uint32_t len;
        std::memcpy(&len, &blob[at + 4], 4);
        ld.add_checksum(kAcpiTablesFile, at + 9, at, len);
    };
    Bytes facs(64, 0);
    std::memcpy(&facs[0], "FACS", 4);
    put32(facs, 4, 64);
    const uint32_t facs_at = place(facs);
    const uint32_t dsdt_at = place(dsdt(s));
    checksum(dsdt_at);
    const uint32_t fadt_at = place(fadt(s.pm_base, s.sci_irq));
    pointer(fadt_at + 36, facs_at);  // FIRMWARE_CTRL
    pointer(fadt_at + 40, dsdt_at);  // DSDT
    checksum(fadt_at);
    std::vector<uint32_t> listed = {fadt_at};
    listed.push_back(place(madt(s)));
    checksum(listed.back());
    if (s.hpet) {
        listed.push_back(place(hpet_table()));
        checksum(listed.back());
    }
    // The RSDT (5.2.7): a pointer to each table but the FACS and the DSDT, which the FADT names.
    const uint32_t rsdt_at = place(table("RSDT", 1, Bytes(4 * listed.size(), 0)));
    for (size_t i = 0; i < listed.size(); ++i) pointer(rsdt_at + 36 + 4 * uint32_t(i), listed[i]);
    checksum(rsdt_at);
    // The RSDP (5.2.4.3, ACPI 1.0: revision 0, 20 bytes) in its own file, in the F-segment
    // where an OS looks for it (5.2.4.1: 16-byte aligned), pointing into the tables file.
    Bytes& rsdp = out.rsdp;
    rsdp.assign(20, 0);
    std::memcpy(&rsdp[0], "RSD PTR ", 8);
    std::memcpy(&rsdp[9], "XLAT  ", 6);
    put32(rsdp, 16, rsdt_at);
    ld.allocate(kAcpiRsdpFile, 16, TableLoader::Zone::FSeg);
    ld.add_pointer(kAcpiRsdpFile, 16, 4, kAcpiTablesFile);
    ld.add_checksum(kAcpiRsdpFile, 8, 0, 20);
    return out;
}

std::vector<uint8_t> AcpiTables::block(uint32_t base) const {
    std::map<std::string, std::vector<uint8_t>> files = {{kAcpiRsdpFile, rsdp}, {kAcpiTablesFile, tables}};
    loader.link(files, {{kAcpiRsdpFile, base}, {kAcpiTablesFile, base + kTablesOffset}});
    Bytes out = files[kAcpiRsdpFile];
    out.resize(kTablesOffset, 0);
    return cat(out, files[kAcpiTablesFile]);
}

} // namespace xlat
