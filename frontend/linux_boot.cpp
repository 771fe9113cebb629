#include "frontend/linux_boot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "frontend/acpi_tables.h"
#include "frontend/guest_load.h"
#include "frontend/machine.h"
#include "frontend/mp_table.h"
#include "frontend/smbios.h"

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
// struct screen_info at the start of the zero page (include/uapi/linux/screen_info.h), as the
// kernel's real-mode setup fills it from INT 10h: cursor column and row, the INT 15h AH=88h
// memory size, the video page, mode and columns, EGA information (INT 10h AH=12h BL=10h: BH
// 0 colour, BL 3 256 KiB), rows, whether it is a VGA, and the character height.
constexpr size_t kOrigX = 0x00, kOrigY = 0x01, kExtMemK = 0x02, kVideoPage = 0x04, kVideoMode = 0x06,
                 kVideoCols = 0x07, kVideoEgaBx = 0x0A, kVideoLines = 0x0E, kVideoIsVga = 0x0F, kVideoPoints = 0x10;
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

// ---- the BIOS area ----
// Without firmware nobody else tells the kernel about the board, so the loader writes what a PC
// BIOS leaves in its F-segment (0xF0000-0xFFFFF, reserved in the e820 map): the ACPI tables
// (frontend/acpi_tables.h: the machine's, linked here), with the RSDP first, the SMBIOS entry point and structures
// (frontend/smbios.h) and the MP tables (frontend/mp_table.h), each where Linux's scans of that
// segment look (16-byte boundaries). It
// does so as SeaBIOS does with its own copy: the i440FX's PAM0 sends the segment to the DRAM
// under the ROM (read and write) while the loader fills it, then makes it read-only. The copy
// holds only these tables: nothing runs the firmware's code before the next reset, and a reset
// returns PAM0 (and so the ROM) to its power-on state.
constexpr uint32_t kBiosArea = 0xF0000, kBiosAreaSize = 0x10000;
constexpr uint32_t kAcpiBase = kBiosArea;            // the RSDP, then the tables
constexpr uint32_t kSmbiosEntry = kBiosArea + 0x2000;  // the entry point, then the structures
constexpr uint32_t kMpTables = kBiosArea + 0x3000;     // the MP floating pointer, then its table
// The ISA IRQs of PIRQA-D, as SeaBIOS routes them on QEMU's pc.
constexpr uint8_t kPirqIrq[4] = {10, 10, 11, 11};

// The PCI functions with an interrupt pin and the IRQ it reaches once the loader has programmed
// the router: PIRQ (slot + pin - 1) mod 4's; the PM function's interrupt is the SCI, which the
// board wires to IRQ 9 (the DSDT's _PRT names LNKS for it).
std::vector<MpPciIrq> pci_irqs(Machine& m) {
    std::vector<MpPciIrq> out;
    for (unsigned devfn = 0; devfn < 256; ++devfn) {
        const PciFunction* f = m.board.pci.function(uint8_t(devfn));
        const uint8_t pin = f ? f->config8(kPciIntPin) : 0;
        if (pin < 1 || pin > 4) continue;
        const uint8_t irq = f == &m.board.piix4_pm ? PcBoard::kSciIrq : kPirqIrq[PciBus::pirq_of(uint8_t(devfn), pin)];
        out.push_back({uint8_t(devfn), pin, irq});
    }
    return out;
}

std::vector<uint8_t> bios_area(Machine& m, uint64_t ram) {
    std::vector<uint8_t> area(kBiosAreaSize, 0);
    const std::vector<uint8_t> acpi = m.board.acpi.block(kAcpiBase);
    SmbiosSetup sm;
    sm.ram_bytes = ram;
    sm.bios_info = true;
    SmbiosTables smbios = smbios_tables(sm);
    const uint32_t tables_at = kSmbiosEntry + 0x20;
    if (kAcpiBase + acpi.size() > kSmbiosEntry || tables_at + smbios.tables.size() > kBiosArea + kBiosAreaSize)
        throw BootError("internal error: the firmware tables do not fit in the BIOS area");
    smbios_set_address(smbios.entry, tables_at);
    std::memcpy(&area[kAcpiBase - kBiosArea], acpi.data(), acpi.size());
    std::memcpy(&area[kSmbiosEntry - kBiosArea], smbios.entry.data(), smbios.entry.size());
    std::memcpy(&area[tables_at - kBiosArea], smbios.tables.data(), smbios.tables.size());
    MpSetup mp;
    mp.pci = pci_irqs(m);
    const std::vector<uint8_t> mpt = mp_tables(mp, kMpTables);
    if (tables_at + smbios.tables.size() > kMpTables || kMpTables + mpt.size() > kBiosArea + kBiosAreaSize)
        throw BootError("internal error: the firmware tables do not fit in the BIOS area");
    std::memcpy(&area[kMpTables - kBiosArea], mpt.data(), mpt.size());
    return area;
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
    // INT 15h AH=88h's answer: KiB from 1 MiB, at most 0xFC00 (63 MiB), as SeaBIOS gives it.
    const uint64_t ext_kib = std::min<uint64_t>(ram > kOneMiB ? (ram - kOneMiB) >> 10 : 0, 0xFC00);
    zp[kExtMemK] = uint8_t(ext_kib), zp[kExtMemK + 1] = uint8_t(ext_kib >> 8);
    if (m.board.vga) {
        // The VGA powers on in mode 3 (devices/vga.cpp), which is what a VGA BIOS reports after
        // POST: 80x25 colour text, page 0, the cursor at the top left, 16-line characters.
        // Linux's vgacon then takes the screen. Without a VGA the fields stay 0, as a BIOS with
        // no video card leaves them, and the kernel keeps its dummy console.
        zp[kOrigX] = 0, zp[kOrigY] = 0;
        zp[kVideoPage] = 0;
        zp[kVideoMode] = 3;
        zp[kVideoCols] = 80;
        zp[kVideoEgaBx] = 0x03, zp[kVideoEgaBx + 1] = 0x00;
        zp[kVideoLines] = 25;
        zp[kVideoIsVga] = 1;
        zp[kVideoPoints] = 16;
    }
    zp[kTypeOfLoader] = 0xFF;  // "undefined": no assigned boot loader ID
    put32(zp, kCmdLinePtr, kLinuxCmdline);
    put32(zp, kRamdiskImage, uint32_t(initrd_addr));
    put32(zp, kRamdiskSize, uint32_t(initrd_size));
    const std::vector<MemRange> map = pc_memory_map(ram);
    if (map.size() > kE820Max) throw BootError("internal error: memory map too long");
    put64(zp, kAcpiRsdpAddr, kAcpiBase);
    zp[kE820Entries] = uint8_t(map.size());
    for (size_t i = 0; i < map.size(); ++i) {
        put64(zp, kE820Table + 20 * i, map[i].base);
        put64(zp, kE820Table + 20 * i + 8, map[i].len);
        put32(zp, kE820Table + 20 * i + 16, map[i].type);
    }

    const std::vector<uint8_t> area = bios_area(m, ram);

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
    // The BIOS area's tables, through PAM0 (i440FX datasheet 3.2.18): 11b read/write DRAM while
    // they are written, then 01b, reads from DRAM and writes to the (read-only) PCI side.
    m.board.i440fx.config_write(I440fxHost::kPam0, 1, 0x30);
    store_bytes(m, kBiosArea, area);
    m.board.i440fx.config_write(I440fxHost::kPam0, 1, 0x10);
    // What firmware does before it hands over: the PIIX4 PM block at the address the FADT names
    // (PMBA, then PMREGMISC's I/O enable).
    m.board.piix4_pm.config_write(Piix4Pm::kPmBase, 4, PcBoard::kPmBase | 1u);
    m.board.piix4_pm.config_write(Piix4Pm::kPmRegMisc, 1, 1);
    // The PIRQ router as SeaBIOS programs it on QEMU's pc: PIRQA and B to IRQ 10, C and D to 11
    // (PIRQRC[A:D], PIIX3 datasheet 2.2.13), those IRQs level-triggered in the ELCR. The DSDT's
    // link devices report and change these registers.
    for (unsigned i = 0; i < 4; ++i) m.board.piix3.config_write(uint8_t(0x60 + i), 1, kPirqIrq[i]);
    m.io.write(0x4D1, 1, m.io.read(0x4D1, 1) | 0x0C);
    // And the IDE channels' decode (IDETIM bit 15, PIIX4 datasheet 3.3.2.6; 0 after reset), as
    // SeaBIOS does: ata_piix takes a channel whose bit is clear for disabled and probes no disk.
    for (uint8_t idetim : {uint8_t(0x40), uint8_t(0x42)})
        m.board.piix3_ide.config_write(idetim, 2, m.board.piix3_ide.config16(idetim) | 0x8000);
    // The IDE function's bus-master block (BAR4, 16 ports) where SeaBIOS's I/O allocation puts
    // it on QEMU's pc (the first I/O BAR, from 0xC000), with I/O decoding on: a kernel then finds
    // the function set up as firmware leaves it.
    m.board.piix3_ide.config_write(kPciBar0 + 16, 4, 0xC000 | 1u);
    m.board.piix3_ide.config_write(kPciCommand, 2, m.board.piix3_ide.config16(kPciCommand) | 0x0001);
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
