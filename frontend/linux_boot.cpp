#include "frontend/linux_boot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "frontend/guest_load.h"
#include "frontend/machine.h"

namespace xlat {

namespace {

// Offsets in the real-mode kernel header and in the zero page, which holds a copy of that header
// at the same offsets (boot.rst, "The real-mode kernel header" and "Details of header fields";
// zero-page.rst for the rest of struct boot_params).
constexpr size_t kSetupSects = 0x1F1, kBootFlag = 0x1FE, kJump = 0x200, kHeader = 0x202, kVersion = 0x206,
                 kTypeOfLoader = 0x210, kLoadflags = 0x211, kCode32Start = 0x214, kRamdiskImage = 0x218,
                 kRamdiskSize = 0x21C, kCmdLinePtr = 0x228, kInitrdAddrMax = 0x22C, kRelocatable = 0x234,
                 kCmdlineSize = 0x238, kPrefAddress = 0x258, kInitSize = 0x260;
constexpr size_t kAcpiRsdpAddr = 0x070, kE820Entries = 0x1E8, kSentinel = 0x1EF, kE820Table = 0x2D0;
constexpr size_t kE820Max = 128;
constexpr uint8_t kLoadedHigh = 0x01;  // loadflags bit 0: the protected-mode code is loaded at 1 MiB
constexpr uint16_t kBootCs = 0x10;     // __BOOT_CS; __BOOT_DS is 0x18

uint32_t le32(const std::vector<uint8_t>& b, size_t off) {
    uint32_t v;
    std::memcpy(&v, &b[off], 4);
    return v;
}
uint64_t le64(const std::vector<uint8_t>& b, size_t off) {
    uint64_t v;
    std::memcpy(&v, &b[off], 8);
    return v;
}
uint16_t le16(const std::vector<uint8_t>& b, size_t off) { return uint16_t(b[off] | b[off + 1] << 8); }
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(&b[off], &v, 8); }

std::string version_text(uint16_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%02u", unsigned(v >> 8), unsigned(v & 0xFF));
    return buf;
}

// ---- ACPI tables ----
// Without firmware nobody else tells the kernel about the PIIX4's power management, so the
// loader writes the few ACPI tables it needs (ACPI 1.0b, section 5.2): RSDP -> RSDT -> FADT ->
// FACS and DSDT, which holds \_S5 (SLP_TYP 0: the PIIX4's soft off, datasheet 7.2.3) and the PCI
// root bridge.
// With them `poweroff` powers the machine off through PM1a_CNT, and the PM timer is a clock
// source. The MADT names the local APIC and the I/O APIC, so that the kernel routes interrupts
// through them and uses the APIC timer as its clock event device.
constexpr uint32_t kAcpiBase = 0x9FC00;  // in the EBDA, which the e820 map reserves
constexpr uint32_t kRsdp = kAcpiBase, kRsdt = kAcpiBase + 0x20, kFacs = kAcpiBase + 0x80, kFadt = kAcpiBase + 0xC0,
                   kDsdt = kAcpiBase + 0x140;
constexpr uint16_t kPmBase = 0x600;      // where SeaBIOS puts the PIIX4 PM block on QEMU's pc

void acpi_checksum(std::vector<uint8_t>& t, size_t at, size_t from, size_t len) {
    uint8_t sum = 0;
    for (size_t i = from; i < from + len; ++i) sum = uint8_t(sum + t[i]);
    t[at] = uint8_t(t[at] - sum);
}

// A table header (ACPI 1.0b, 5.2.5): the body follows; the length and checksum are set last.
std::vector<uint8_t> acpi_table(const char* sig, uint8_t revision, size_t length) {
    std::vector<uint8_t> t(length, 0);
    std::memcpy(&t[0], sig, 4);
    put32(t, 4, uint32_t(length));
    t[8] = revision;
    std::memcpy(&t[10], "XLAT  ", 6);
    std::memcpy(&t[16], "XLATPC  ", 8);
    put32(t, 24, 1);
    std::memcpy(&t[28], "XLAT", 4);
    put32(t, 32, 1);
    return t;
}

// The MADT (ACPI 1.0b, 5.2.10.4, "Multiple APIC Description Table"; the entry types of 5.2.10.5
// to 5.2.10.9): the one CPU's local APIC (ID 0, the reset value of its ID register), the I/O APIC
// at 0xFEC00000 with the first 24 global system interrupts, and how the ISA IRQs reach its pins.
// The board wires them one to one (PcBoard::IsaIrqs) except the PIT's IRQ 0, which goes to pin 2
// (the 8259's cascade input, unused on the I/O APIC), as on QEMU's pc; that needs an interrupt
// source override. The IRQs the PCI interrupts and the SCI are routed to (5, 9, 10, 11, QEMU's
// choice too) are level triggered and active high at the I/O APIC (the PIIX3's PIRQ lines as the
// board drives them, not the active-low wires of a real board), which the overrides say too.
// LINT1 of every processor is the NMI input (the local APIC NMI entry), as the 8259 INTR is LINT0.
std::vector<uint8_t> madt_table() {
    std::vector<uint8_t> body;
    auto u8 = [&](unsigned v) { body.push_back(uint8_t(v)); };
    auto u16 = [&](unsigned v) { u8(v & 0xFF), u8(v >> 8); };
    auto u32 = [&](uint32_t v) { u16(v & 0xFFFF), u16(v >> 16); };
    u32(uint32_t(LocalApic::kDefaultBase));  // local APIC address
    u32(1);                                  // PCAT_COMPAT: the 8259s are there too (and masked by the OS)
    u8(0), u8(8), u8(0), u8(0), u32(1);      // processor local APIC: ACPI ID 0, APIC ID 0, enabled
    u8(1), u8(12), u8(0), u8(0), u32(IoApic::kBase), u32(0);  // I/O APIC: ID 0, GSI base 0
    auto iso = [&](unsigned irq, unsigned gsi, unsigned flags) { u8(2), u8(10), u8(0 /* ISA */), u8(irq), u32(gsi), u16(flags); };
    iso(0, 2, 0);  // flags 0: the bus's own polarity and trigger (ISA: high, edge)
    for (unsigned irq : {5u, 9u, 10u, 11u}) iso(irq, irq, 0xD);  // active high (01), level (11 << 2)
    u8(4), u8(6), u8(0xFF /* all processors */), u16(0), u8(1);   // local APIC NMI on LINT1
    std::vector<uint8_t> t = acpi_table("APIC", 1, 36 + body.size());
    std::memcpy(&t[36], body.data(), body.size());
    return t;
}

// The ISA devices of the board under the PIIX3's ISA bridge (PCI0.ISA_, _ADR 1.0), each with its
// PNP ID and the ports and IRQ it has (ACPI 1.0b, 6.4.2.1 IRQ and 6.4.2.5 I/O port descriptors):
// the RTC (PNP0B00), the 8042's keyboard (PNP0303) and mouse (PNP0F13) ports, and COM1 and COM2
// (PNP0501; COM3 and COM4 have no IRQ of their own on this board). Linux binds rtc_cmos, i8042
// and 8250_pnp to them as on a PC's firmware tables, instead of probing the legacy addresses.
template <typename WithPkg, typename Cat>
std::vector<uint8_t> isa_devices(const WithPkg& with_pkg, const Cat& cat) {
    struct Port { uint16_t base; uint8_t len; };
    auto device = [&](const char* name, uint16_t pnp, int uid, std::initializer_list<Port> ports, unsigned irq) {
        std::vector<uint8_t> crs;
        for (const Port& p : ports)  // decodes 16 address bits, fixed base, alignment 1
            crs.insert(crs.end(), {0x47, 0x01, uint8_t(p.base), uint8_t(p.base >> 8), uint8_t(p.base), uint8_t(p.base >> 8), 1, p.len});
        crs.insert(crs.end(), {0x22, uint8_t(1u << irq), uint8_t((1u << irq) >> 8)});  // IRQNoFlags: edge, active high
        crs.insert(crs.end(), {0x79, 0x00});
        std::vector<uint8_t> body = {uint8_t(name[0]), uint8_t(name[1]), uint8_t(name[2]), uint8_t(name[3]),
                                     0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, uint8_t(pnp >> 8), uint8_t(pnp)};  // EISA "PNPxxxx"
        if (uid >= 0) body.insert(body.end(), {0x08, '_', 'U', 'I', 'D', 0x0A, uint8_t(uid)});
        body = cat(body, with_pkg({0x08, '_', 'C', 'R', 'S', 0x11}, cat({0x0A, uint8_t(crs.size())}, crs)));
        return with_pkg({0x5B, 0x82}, body);
    };
    std::vector<uint8_t> isa = {'I', 'S', 'A', '_', 0x08, '_', 'A', 'D', 'R', 0x0C, 0x00, 0x00, 0x01, 0x00};  // device 1, function 0
    isa = cat(isa, device("RTC_", 0x0B00, -1, {{0x70, 2}}, 8));
    isa = cat(isa, device("KBD_", 0x0303, -1, {{0x60, 1}, {0x64, 1}}, 1));
    isa = cat(isa, device("MOU_", 0x0F13, -1, {}, 12));
    isa = cat(isa, device("COM1", 0x0501, 1, {{0x3F8, 8}}, 4));
    isa = cat(isa, device("COM2", 0x0501, 2, {{0x2F8, 8}}, 3));
    return with_pkg({0x5B, 0x82}, isa);
}

// The tables, as one block for kAcpiBase.
std::vector<uint8_t> acpi_tables(uint64_t ram) {
    std::vector<uint8_t> block(0x400, 0);
    auto place = [&](uint32_t addr, std::vector<uint8_t> t, bool checksum = true) {
        if (checksum) acpi_checksum(t, 9, 0, t.size());
        std::memcpy(&block[addr - kAcpiBase], t.data(), t.size());
    };
    std::vector<uint8_t> rsdp(20, 0);  // ACPI 1.0 RSDP (5.2.4.3)
    std::memcpy(&rsdp[0], "RSD PTR ", 8);
    std::memcpy(&rsdp[9], "XLAT  ", 6);
    put32(rsdp, 16, kRsdt);
    acpi_checksum(rsdp, 8, 0, 20);
    place(kRsdp, rsdp, false);
    std::vector<uint8_t> rsdt = acpi_table("RSDT", 1, 36 + 8);
    put32(rsdt, 36, kFadt);
    // The MADT follows the DSDT, whose size is known only below: the RSDT is placed there.
    std::vector<uint8_t> facs(64, 0);  // 5.2.9: no checksum
    std::memcpy(&facs[0], "FACS", 4);
    put32(facs, 4, 64);
    place(kFacs, facs, false);
    std::vector<uint8_t> fadt = acpi_table("FACP", 1, 116);  // 5.2.8, the 1.0 layout
    put32(fadt, 36, kFacs);
    put32(fadt, 40, kDsdt);
    fadt[46] = 9;                      // SCI_INT: IRQ 9 (the board wires the SCI there)
    put32(fadt, 48, 0xB2);             // SMI_CMD: the APM control port
    fadt[52] = 0xF1;                   // ACPI_ENABLE (Piix4Pm::kAcpiEnable)
    fadt[53] = 0xF0;                   // ACPI_DISABLE
    put32(fadt, 56, kPmBase);          // PM1a_EVT_BLK: PMSTS, PMEN
    put32(fadt, 64, kPmBase + 4);      // PM1a_CNT_BLK: PMCNTRL
    put32(fadt, 76, kPmBase + 8);      // PM_TMR_BLK
    fadt[88] = 4;                      // PM1_EVT_LEN
    fadt[89] = 2;                      // PM1_CNT_LEN
    fadt[91] = 4;                      // PM_TMR_LEN
    fadt[96] = 0xE9, fadt[97] = 0x03;  // P_LVL2_LAT 1001: no C2
    fadt[98] = 0xE9, fadt[99] = 0x03;  // P_LVL3_LAT 1001: no C3
    fadt[108] = 0x32;                  // CENTURY: the RTC's CMOS byte for it (Rtc146818)
    // Flags: WBINVD works, C1 (HLT) on all processors, the power and sleep buttons are not fixed
    // features (this board has neither).
    put32(fadt, 112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5));
    place(kFadt, fadt);
    // The DSDT (ACPI 1.0b, chapter 16 for AML, 6.4 for the resource descriptors):
    //   Name (_S5, Package (4) {0, 0, 0, 0})
    //   Scope (\_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A03")) Name (_ADR, 0)
    //                                  Name (_UID, 0) Name (_CRS, ResourceTemplate () {...})
    //                                  Device (ISA_) {...} } }
    // With ACPI the kernel scans only the PCI roots the namespace names, and gives a root only
    // the windows its _CRS lists: buses 0-255, the I/O ports but the configuration ports
    // 0xCF8-0xCFF, the VGA window and the memory from the end of RAM up to the I/O APIC's area.
    // Without _PRT the PIIX IDE keeps its legacy IRQs 14 and 15.
    std::vector<uint8_t> crs;
    auto word_space = [&](uint8_t type, uint8_t specific, uint16_t min, uint16_t max) {  // 6.4.3.5.3
        const uint16_t len = uint16_t(max - min + 1);
        const uint8_t d[] = {0x88, 13, 0, type, 0x0C /* MinFixed MaxFixed, producer */, specific, 0, 0,
                             uint8_t(min), uint8_t(min >> 8), uint8_t(max), uint8_t(max >> 8), 0, 0,
                             uint8_t(len), uint8_t(len >> 8)};
        crs.insert(crs.end(), std::begin(d), std::end(d));
    };
    auto dword_memory = [&](uint32_t min, uint32_t max) {  // 6.4.3.5.2
        std::vector<uint8_t> d = {0x87, 23, 0, 0 /* memory */, 0x0C, 0x01 /* read/write */};
        for (uint32_t v : {0u, min, max, 0u, max - min + 1})
            for (int b = 0; b < 4; ++b) d.push_back(uint8_t(v >> (8 * b)));
        crs.insert(crs.end(), d.begin(), d.end());
    };
    word_space(2, 0, 0x00, 0xFF);          // bus numbers
    word_space(1, 3, 0x0000, 0x0CF7);      // I/O, ISA and non-ISA ranges
    word_space(1, 3, 0x0D00, 0xFFFF);
    dword_memory(0xA0000, 0xBFFFF);
    dword_memory(uint32_t(ram), 0xFEBFFFFF);
    crs.push_back(0x79), crs.push_back(0);  // End Tag
    // PkgLength (16.2.4): one byte up to 63, else two (the low nibble, then the next 8 bits);
    // the length counts its own bytes.
    auto with_pkg = [](std::vector<uint8_t> head, const std::vector<uint8_t>& body) {
        const size_t n1 = body.size() + 1, n2 = body.size() + 2;
        if (n1 <= 63) head.push_back(uint8_t(n1));
        else head.push_back(uint8_t(0x40 | (n2 & 0xF))), head.push_back(uint8_t(n2 >> 4));
        head.insert(head.end(), body.begin(), body.end());
        return head;
    };
    auto cat = [](std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    std::vector<uint8_t> buffer = {0x0A, uint8_t(crs.size())};  // BufferSize as a ByteConst
    buffer = cat(buffer, crs);
    std::vector<uint8_t> device = {'P', 'C', 'I', '0',
                                   0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03,  // DWordConst EISA "PNP0A03"
                                   0x08, '_', 'A', 'D', 'R', 0x00,                          // ZeroOp
                                   0x08, '_', 'U', 'I', 'D', 0x00};
    device = cat(device, with_pkg({0x08, '_', 'C', 'R', 'S', 0x11}, buffer));  // NameOp, BufferOp
    device = cat(device, isa_devices(with_pkg, cat));
    std::vector<uint8_t> scope = cat({'\\', '_', 'S', 'B', '_'}, with_pkg({0x5B, 0x82}, device));  // DeviceOp
    std::vector<uint8_t> aml = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00};  // PackageOp, 4 elements
    aml = cat(aml, with_pkg({0x10}, scope));  // ScopeOp
    std::vector<uint8_t> dsdt = acpi_table("DSDT", 1, 36 + aml.size());
    std::memcpy(&dsdt[36], aml.data(), aml.size());
    place(kDsdt, dsdt);
    const uint32_t madt_at = uint32_t(kDsdt + ((dsdt.size() + 15) & ~size_t(15)));
    std::vector<uint8_t> madt = madt_table();
    if (madt_at + madt.size() > kAcpiBase + block.size()) throw BootError("internal error: ACPI tables too large");
    place(madt_at, madt);
    put32(rsdt, 40, madt_at);
    place(kRsdt, rsdt);
    return block;
}

} // namespace

void load_linux(Machine& m, const BootFile& kernel, const std::string& cmdline, const BootFile* initrd) {
    const uint64_t ram = m.phys.ram_size();
    // 1. The setup header. Its length is in the jump at 0x200 (boot.rst, "the end of the header
    // is 0x0202 plus the byte at 0x0201"); the zero page holds the header up to 0x290 at most.
    std::vector<uint8_t> head = kernel.head(0x1000);
    if (head.size() < 0x290 || head[kBootFlag] != 0x55 || head[kBootFlag + 1] != 0xAA ||
        std::memcmp(&head[kHeader], "HdrS", 4) != 0)
        throw BootError("not a Linux bzImage (no setup header)");
    head.resize(0x1000, 0);
    const uint16_t version = le16(head, kVersion);
    if (version < 0x0202)
        throw BootError("Linux boot protocol " + version_text(version) + " is too old: xlat boots kernels with protocol 2.02 or later");
    if (!(head[kLoadflags] & kLoadedHigh))
        throw BootError("a zImage (loaded below 1 MiB): xlat boots bzImage kernels");
    const size_t header_end = std::min<size_t>(kHeader + head[kJump + 1], 0x290);
    const uint32_t setup_sects = head[kSetupSects] ? head[kSetupSects] : 4;
    const uint64_t pm_off = uint64_t(setup_sects + 1) * 512;
    if (pm_off >= kernel.size()) throw BootError("the bzImage has no protected-mode kernel after its " + std::to_string(setup_sects) + " setup sectors");
    const uint64_t pm_size = kernel.size() - pm_off;
    const uint32_t load = le32(head, kCode32Start);
    // Fields of later protocol versions, with the values boot.rst gives older kernels.
    const uint64_t initrd_max = version >= 0x0203 ? le32(head, kInitrdAddrMax) : 0x37FFFFFF;
    const uint64_t cmdline_max = version >= 0x0206 ? le32(head, kCmdlineSize) : 255;
    // Where the kernel decompresses itself (2.10+): init_size bytes from its preferred address,
    // or from the load address when that is higher and the kernel is relocatable.
    uint64_t kernel_end = uint64_t(load) + pm_size;
    if (version >= 0x020A) {
        const uint64_t pref = le64(head, kPrefAddress), init = le32(head, kInitSize);
        const uint64_t at = head[kRelocatable] ? std::max<uint64_t>(pref, load) : pref;
        kernel_end = std::max(kernel_end, at + init);
    }

    // 2. Where everything goes, checked before the first byte is written.
    if (load < kOneMiB) throw BootError("the kernel's code32_start " + hex(load) + " is below 1 MiB");
    if (kernel_end > ram)
        throw BootError("the kernel (" + hex(pm_size) + " bytes at " + hex(load) + ", decompressing up to " + hex(kernel_end - 1) +
                        ") does not fit in guest RAM (" + hex(ram) + " bytes); it needs -m " + needed_ram(kernel_end) + " or more");
    if (cmdline.size() > cmdline_max || cmdline.size() > kLinuxCmdlineMax)
        throw BootError("the command line (" + std::to_string(cmdline.size()) + " bytes) is longer than the kernel accepts (" +
                        std::to_string(std::min<uint64_t>(cmdline_max, kLinuxCmdlineMax)) + " bytes)");
    if (cmdline.find('\0') != std::string::npos) throw BootError("the command line contains a NUL byte");
    uint64_t initrd_addr = 0, initrd_size = 0;
    if (initrd) {
        initrd_size = initrd->size();
        // As high as possible (the kernel grows its own allocations up from its end), page
        // aligned, below the kernel's limit and the end of RAM.
        const uint64_t top = std::min(initrd_max + 1, ram);
        if (initrd_size > top || ((top - initrd_size) & ~uint64_t(kPageSize - 1)) < page_up(kernel_end)) {
            const uint64_t need = page_up(kernel_end) + page_up(initrd_size);
            throw BootError("the initrd '" + initrd->name() + "' (" + hex(initrd_size) + " bytes) does not fit in guest RAM above the kernel" +
                            (need <= initrd_max + 1 && need <= kMaxRamBytes ? "; it needs -m " + needed_ram(need) + " or more"
                                                                           : " below the kernel's limit " + hex(initrd_max)));
        }
        initrd_addr = (top - initrd_size) & ~uint64_t(kPageSize - 1);
    }

    // 3. The zero page: the setup header as the file has it, and what the boot loader fills in.
    std::vector<uint8_t> zp(kPageSize, 0);
    std::memcpy(&zp[kSetupSects], &head[kSetupSects], header_end - kSetupSects);
    zp[kSentinel] = 0;  // a nonzero sentinel tells the kernel the loader did not clear the page
    zp[kTypeOfLoader] = 0xFF;  // "undefined": no assigned boot loader ID
    put32(zp, kCmdLinePtr, kLinuxCmdline);
    put32(zp, kRamdiskImage, uint32_t(initrd_addr));
    put32(zp, kRamdiskSize, uint32_t(initrd_size));
    const std::vector<MemRange> map = pc_memory_map(ram);
    if (map.size() > kE820Max) throw BootError("internal error: memory map too long");
    put64(zp, kAcpiRsdpAddr, kRsdp);
    zp[kE820Entries] = uint8_t(map.size());
    for (size_t i = 0; i < map.size(); ++i) {
        put64(zp, kE820Table + 20 * i, map[i].base);
        put64(zp, kE820Table + 20 * i + 8, map[i].len);
        put32(zp, kE820Table + 20 * i + 16, map[i].type);
    }

    // 4. Write: the kernel straight from its file, the initrd, the command line, the zero page.
    store_file(m, load, kernel, pm_off, pm_size);
    kernel.release();
    if (initrd) {
        store_file(m, uint32_t(initrd_addr), *initrd, 0, initrd_size);
        initrd->release();
    }
    std::vector<uint8_t> line(cmdline.begin(), cmdline.end());
    line.push_back(0);
    store_bytes(m, kLinuxCmdline, line);
    store_bytes(m, kLinuxBootParams, zp);
    store_bytes(m, kAcpiBase, acpi_tables(ram));
    // What firmware does before it hands over: the PIIX4 PM block at the address the FADT names
    // (PMBA, then PMREGMISC's I/O enable).
    m.board.piix4_pm.config_write(Piix4Pm::kPmBase, 4, kPmBase | 1u);
    m.board.piix4_pm.config_write(Piix4Pm::kPmRegMisc, 1, 1);
    // And the IDE channels' decode (IDETIM bit 15, PIIX4 datasheet 3.3.2.6; 0 after reset), as
    // SeaBIOS does: ata_piix takes a channel whose bit is clear for disabled and probes no disk.
    for (uint8_t idetim : {uint8_t(0x40), uint8_t(0x42)})
        m.board.piix3_ide.config_write(idetim, 2, m.board.piix3_ide.config16(idetim) | 0x8000);
    // And the 8042's command byte as a PC BIOS leaves it (SeaBIOS too): keyboard interrupt on,
    // the mouse port off, scan codes translated to set 1. Linux keeps the translation the
    // firmware chose ("AT Translated Set 2 keyboard"), as on QEMU.
    m.io.write(0x64, 1, 0x60);  // write the command byte
    m.io.write(0x60, 1, 0x61);  // XLATE | AUXDIS | KBDINT

    // The 32-bit boot protocol's entry state (boot.rst, "32-bit Boot Protocol"): flat 4 GiB
    // __BOOT_CS and __BOOT_DS, paging and interrupts off, ESI = the zero page, EBP = EDI = EBX = 0.
    enter_flat32(m, kLinuxGdt, kBootCs, load);
    CpuState& s = m.cpu.s;
    for (Gpr r : {EAX, ECX, EDX, EBX, EBP, EDI}) s.set_reg32(r, 0);
    s.set_reg32(ESI, kLinuxBootParams);
    s.set_reg32(ESP, kLinuxBootParams);  // the spec asks for none; the kernel sets up its own
}

} // namespace xlat
