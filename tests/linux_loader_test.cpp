// Direct Linux boot (frontend/linux_boot.*) on bzImages built in memory: where the pieces go, what
// the zero page says, the entry state of the 32-bit boot protocol, and the refusals; then through
// the xlat binary. Booting the real kernel is linux_boot_test.cpp.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "frontend/linux_boot.h"
#include "frontend/multiboot.h"
#include "process_util.h"
#include "scratch_dir.h"
#include "smbios_walk.h"
#include "test_machine.h"

using namespace xlat;

namespace {

// A bzImage's fields (boot.rst, "The real-mode kernel header").
struct BzSpec {
    uint16_t version = 0x020F;
    uint8_t setup_sects = 1;
    uint8_t loadflags = 0x01;  // LOADED_HIGH
    uint32_t code32_start = 0x100000;
    uint32_t initrd_addr_max = 0x7FFFFFFF;
    uint32_t cmdline_size = 2047;
    uint64_t pref_address = 0x100000;
    uint32_t init_size = 0x10000;
    uint8_t relocatable = 1;
};

// The 32-bit code the test kernel runs: checks CS = 0x10, DS = 0x18 and "HdrS" in the zero page
// at ESI, then writes 0x21 to the exit port (status 0x43); 0x13 (status 0x27) when a check fails.
const std::vector<uint8_t> kEntryCode = {
    0x66, 0x8C, 0xC8,                                      // mov ax, cs
    0x66, 0x3D, 0x10, 0x00,                                // cmp ax, 0x10
    0x75, 0x1A,                                            // jne fail
    0x66, 0x8C, 0xD8,                                      // mov ax, ds
    0x66, 0x3D, 0x18, 0x00,                                // cmp ax, 0x18
    0x75, 0x11,                                            // jne fail
    0x81, 0xBE, 0x02, 0x02, 0x00, 0x00, 'H', 'd', 'r', 'S',  // cmp dword [esi+0x202], "HdrS"
    0x75, 0x05,                                            // jne fail
    0xB0, 0x21, 0xE6, 0xF4, 0xF4,                          // mov al, 0x21; out 0xF4, al; hlt
    0xB0, 0x13, 0xE6, 0xF4, 0xF4,                          // fail: mov al, 0x13; out 0xF4, al; hlt
};

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) { std::memcpy(&b[off], &v, 2); }
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(&b[off], &v, 8); }

std::vector<uint8_t> bzimage(const BzSpec& s = {}, const std::vector<uint8_t>& pm = kEntryCode) {
    const size_t setup = size_t(s.setup_sects + 1) * 512;
    std::vector<uint8_t> b(setup + pm.size(), 0);
    b[0x1F1] = s.setup_sects;
    b[0x1FE] = 0x55;
    b[0x1FF] = 0xAA;
    b[0x200] = 0xEB;  // jmp short past the header: its end is 0x202 + this byte
    b[0x201] = 0x6A;
    std::memcpy(&b[0x202], "HdrS", 4);
    put16(b, 0x206, s.version);
    b[0x211] = s.loadflags;
    put32(b, 0x214, s.code32_start);
    put32(b, 0x22C, s.initrd_addr_max);
    b[0x234] = s.relocatable;
    put32(b, 0x238, s.cmdline_size);
    put64(b, 0x258, s.pref_address);
    put32(b, 0x260, s.init_size);
    for (size_t i = 0; i < pm.size(); ++i) b[setup + i] = pm[i];
    return b;
}

uint32_t rd32(Machine& m, uint32_t a) {
    uint32_t v;
    m.phys.read_bytes(a, &v, 4);
    return v;
}
uint64_t rd64(Machine& m, uint32_t a) {
    uint64_t v;
    m.phys.read_bytes(a, &v, 8);
    return v;
}

// The message of the BootError that loading throws, or "" when it loads.
std::string load_error(Machine& m, const std::vector<uint8_t>& kernel, const std::string& cmdline = "",
                       const std::vector<uint8_t>* initrd = nullptr) {
    try {
        BootFile k = BootFile::from_bytes("bzImage", kernel);
        if (!initrd) {
            load_linux(m, k, cmdline, nullptr);
        } else {
            BootFile i = BootFile::from_bytes("initrd", *initrd);
            load_linux(m, k, cmdline, &i);
        }
    } catch (const BootError& e) {
        return e.what();
    }
    return "";
}

bool ram_untouched(Machine& m) {
    const uint8_t* p = m.phys.ram();
    return std::all_of(p, p + m.phys.ram_size(), [](uint8_t b) { return b == 0; });
}

std::vector<uint8_t> pattern(size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + 3);
    return v;
}

} // namespace

TEST_CASE("linux: the kernel, initrd, command line and zero page go where the boot protocol says", "[linux][loader]") {
    Machine m(small_config(16u << 20));
    const std::vector<uint8_t> initrd = pattern(10000);
    const std::vector<uint8_t> kernel = bzimage();
    REQUIRE(load_error(m, kernel, "console=ttyS0 quiet", &initrd) == "");
    // The protected-mode part (after the setup sectors) at code32_start.
    std::vector<uint8_t> at(kEntryCode.size());
    m.phys.read_bytes(0x100000, at.data(), at.size());
    CHECK(at == kEntryCode);
    // The zero page: the header as the file has it, with the loader's fields.
    const uint32_t zp = kLinuxBootParams;
    CHECK(rd32(m, zp + 0x202) == 0x53726448);  // "HdrS"
    uint8_t type = 0;
    m.phys.read_bytes(zp + 0x210, &type, 1);
    CHECK(type == 0xFF);
    CHECK(rd32(m, zp + 0x214) == 0x100000);
    CHECK(rd32(m, zp + 0x228) == kLinuxCmdline);
    char line[32] = {};
    m.phys.read_bytes(kLinuxCmdline, line, sizeof line - 1);
    CHECK(std::string(line) == "console=ttyS0 quiet");
    // The initrd: as high as RAM allows, page aligned, intact.
    const uint32_t image = rd32(m, zp + 0x218);
    CHECK(rd32(m, zp + 0x21C) == initrd.size());
    CHECK(image % 4096 == 0);
    CHECK(image + initrd.size() <= (16u << 20));
    CHECK(image + initrd.size() > (16u << 20) - 4096);
    std::vector<uint8_t> got(initrd.size());
    m.phys.read_bytes(image, got.data(), got.size());
    CHECK(got == initrd);
    // The e820 map: the PC's memory layout, RAM up to 16 MiB.
    uint8_t entries = 0;
    m.phys.read_bytes(zp + 0x1E8, &entries, 1);
    REQUIRE(entries == 5);
    CHECK(rd64(m, zp + 0x2D0) == 0);
    CHECK(rd64(m, zp + 0x2D0 + 8) == 0x9FC00);
    CHECK(rd32(m, zp + 0x2D0 + 16) == 1);
    CHECK(rd64(m, zp + 0x2D0 + 3 * 20) == 0x100000);
    CHECK(rd64(m, zp + 0x2D0 + 3 * 20 + 8) == (16u << 20) - 0x100000);
    CHECK(rd32(m, zp + 0x2D0 + 3 * 20 + 16) == 1);
    // The entry state: flat protected mode, no paging, interrupts off, ESI = zero page.
    const CpuState& s = m.cpu.s;
    CHECK((s.cr0 & CR0_PE) != 0);
    CHECK((s.cr0 & CR0_PG) == 0);
    CHECK((s.eflags & IF) == 0);
    CHECK(s.seg[CS].selector == 0x10);
    for (SegReg sr : {DS, ES, SS}) CHECK(s.seg[sr].selector == 0x18);
    CHECK(s.eip() == 0x100000);
    CHECK(s.reg32(ESI) == zp);
    CHECK(s.reg32(EBX) == 0);
    CHECK(s.reg32(EBP) == 0);
    CHECK(s.reg32(EDI) == 0);
    // The GDT the selectors name: 4 GiB flat code and data.
    CHECK(s.gdtr.base == kLinuxGdt);
    CHECK(rd64(m, kLinuxGdt + 0x10) == 0x00CF9A000000FFFFull);
    CHECK(rd64(m, kLinuxGdt + 0x18) == 0x00CF92000000FFFFull);
    // And the kernel runs: its checks of CS, DS and the zero page pass.
    Machine::Result r = m.run(1000);
    CHECK(r.reason == StopReason::ExitPort);
    CHECK(r.exit_status == ((0x21 << 1) | 1));
}

TEST_CASE("linux: ACPI tables lead the kernel to the PIIX4's PM block, and S5 ends the run with status 0", "[linux][loader]") {
    // The kernel follows the zero page's acpi_rsdp_addr to the RSDP, the RSDT, the FADT and its
    // PM1a_CNT_BLK, and writes SLP_EN with SLP_TYP 0 there, as Linux's poweroff does.
    const std::vector<uint8_t> poweroff = {
        0x8B, 0x46, 0x70,              // mov eax, [esi+0x70]   acpi_rsdp_addr
        0x8B, 0x40, 0x10,              // mov eax, [eax+16]     RsdtAddress
        0x8B, 0x40, 0x24,              // mov eax, [eax+36]     Entry[0]: the FADT
        0x8B, 0x50, 0x40,              // mov edx, [eax+64]     PM1a_CNT_BLK
        0x66, 0xB8, 0x00, 0x20,        // mov ax, SLP_EN
        0x66, 0xEF,                    // out dx, ax
        0xF4,                          // hlt
    };
    Machine m(small_config(16u << 20));
    REQUIRE(load_error(m, bzimage({}, poweroff)) == "");
    CHECK(m.board.piix4_pm.pm_io_base() == 0x600);
    // Every table's bytes sum to zero; the DSDT holds \_S5.
    const uint32_t rsdp = uint32_t(rd64(m, kLinuxBootParams + 0x70));
    auto sums_to_zero = [&](uint32_t at, uint32_t len) {
        std::vector<uint8_t> t(len);
        m.phys.read_bytes(at, t.data(), len);
        uint8_t sum = 0;
        for (uint8_t b : t) sum = uint8_t(sum + b);
        return sum == 0;
    };
    char sig[9] = {};
    m.phys.read_bytes(rsdp, sig, 8);
    CHECK(std::string(sig) == "RSD PTR ");
    CHECK(sums_to_zero(rsdp, 20));
    const uint32_t rsdt = rd32(m, rsdp + 16), fadt = rd32(m, rsdt + 36), dsdt = rd32(m, fadt + 40);
    for (uint32_t t : {rsdt, fadt, dsdt}) CHECK(sums_to_zero(t, rd32(m, t + 4)));
    std::vector<uint8_t> body(rd32(m, dsdt + 4) - 36);
    m.phys.read_bytes(dsdt + 36, body.data(), body.size());
    CHECK(std::string(body.begin(), body.end()).find("_S5_") != std::string::npos);
    CHECK(std::string(body.begin(), body.end()).find("PCI0") != std::string::npos);
    CHECK(rd32(m, fadt + 76) == 0x608);  // PM_TMR_BLK
    // The MADT (the RSDT's second entry): the local APIC, the I/O APIC and IRQ 0 on pin 2, the
    // way the board wires them (ACPI 1.0b, 5.2.10.4).
    REQUIRE(rd32(m, rsdt + 4) == 36 + 12);
    const uint32_t madt = rd32(m, rsdt + 40);
    m.phys.read_bytes(madt, sig, 4);
    sig[4] = 0;
    CHECK(std::string(sig) == "APIC");
    CHECK(sums_to_zero(madt, rd32(m, madt + 4)));
    CHECK(rd32(m, madt + 36) == 0xFEE00000u);
    CHECK((rd32(m, madt + 40) & 1) == 1);  // PCAT_COMPAT
    bool lapic = false, ioapic = false, irq0 = false, sci = false;
    for (uint32_t at = madt + 44; at < madt + rd32(m, madt + 4);) {
        uint8_t e[12] = {};
        m.phys.read_bytes(at, e, 2);
        REQUIRE(e[1] >= 2);
        m.phys.read_bytes(at, e, std::min<unsigned>(e[1], 12));
        auto d32 = [&](unsigned o) { return uint32_t(e[o] | e[o + 1] << 8 | e[o + 2] << 16 | uint32_t(e[o + 3]) << 24); };
        if (e[0] == 0) lapic = e[3] == 0 && (e[4] & 1);
        if (e[0] == 1) ioapic = d32(4) == 0xFEC00000u && d32(8) == 0;
        if (e[0] == 2 && e[3] == 0) irq0 = d32(4) == 2;
        if (e[0] == 2 && e[3] == 9) sci = d32(4) == 9 && (e[8] | e[9] << 8) == 0xD;  // level, active high
        at += e[1];
    }
    CHECK(lapic);
    CHECK(ioapic);
    CHECK(irq0);
    CHECK(sci);
    Machine::Result r = m.run(1000);
    CHECK(r.reason == StopReason::ExitPort);
    CHECK(r.exit_status == 0);
}

TEST_CASE("linux: the initrd stays below initrd_addr_max and above the decompressed kernel", "[linux][loader]") {
    Machine m(small_config(32u << 20));
    BzSpec spec;
    spec.initrd_addr_max = (8u << 20) - 1;
    const std::vector<uint8_t> initrd = pattern(5000);
    REQUIRE(load_error(m, bzimage(spec), "", &initrd) == "");
    const uint32_t image = rd32(m, kLinuxBootParams + 0x218);
    CHECK(image + initrd.size() <= (8u << 20));
    CHECK(image == ((8u << 20) - 5000) / 4096 * 4096);
    // Without an initrd the fields are zero.
    Machine n(small_config(32u << 20));
    REQUIRE(load_error(n, bzimage(spec)) == "");
    CHECK(rd32(n, kLinuxBootParams + 0x218) == 0);
    CHECK(rd32(n, kLinuxBootParams + 0x21C) == 0);
}

TEST_CASE("linux: kernels the 32-bit protocol cannot boot are refused before anything is written", "[linux][loader]") {
    auto refusal = [](const std::vector<uint8_t>& kernel, const std::string& cmdline = "",
                      const std::vector<uint8_t>* initrd = nullptr, uint64_t ram = 16u << 20) {
        Machine m(small_config(ram));
        std::string e = load_error(m, kernel, cmdline, initrd);
        CHECK(ram_untouched(m));
        return e;
    };
    BzSpec old;
    old.version = 0x0201;
    CHECK(refusal(bzimage(old)) == "Linux boot protocol 2.01 is too old: xlat boots kernels with protocol 2.02 or later");
    BzSpec low;
    low.loadflags = 0;
    CHECK(refusal(bzimage(low)) == "a zImage (loaded below 1 MiB): xlat boots bzImage kernels");
    BzSpec shortline;
    shortline.cmdline_size = 8;
    CHECK(refusal(bzimage(shortline), "123456789") == "the command line (9 bytes) is longer than the kernel accepts (8 bytes)");
    Machine fits(small_config(16u << 20));
    CHECK(load_error(fits, bzimage(shortline), "12345678") == "");
    // The kernel decompresses to pref_address: that must be RAM too.
    BzSpec big;
    big.pref_address = 0x1000000;
    big.init_size = 0x2000000;
    CHECK(refusal(bzimage(big)) ==
          "the kernel (0x28 bytes at 0x100000, decompressing up to 0x2ffffff) does not fit in guest RAM (0x1000000 bytes); it needs -m 48M or more");
    const std::vector<uint8_t> initrd(15u << 20, 1);
    CHECK(refusal(bzimage(), "", &initrd) ==
          "the initrd 'initrd' (0xf00000 bytes) does not fit in guest RAM above the kernel; it needs -m 17M or more");
    // Only the setup sectors: no kernel after them.
    std::vector<uint8_t> none = bzimage({}, {});
    CHECK(refusal(none) == "the bzImage has no protected-mode kernel after its 1 setup sectors");
    CHECK(refusal(std::vector<uint8_t>(0x300, 0)) == "not a Linux bzImage (no setup header)");
}

TEST_CASE("linux: -kernel tells a bzImage from a Multiboot kernel and from neither", "[linux][loader]") {
    CHECK(kernel_format(BootFile::from_bytes("k", bzimage())) == KernelFormat::Linux);
    std::string err;
    try {
        kernel_format(BootFile::from_bytes("k", std::vector<uint8_t>(4096, 0x90)));
    } catch (const BootError& e) {
        err = e.what();
    }
    CHECK(err == "neither a Multiboot kernel (no Multiboot header in its first 8 KiB) nor a Linux kernel (no bzImage setup header)");
}

TEST_CASE("linux: xlat -kernel bzImage -initrd -append boots the protocol's entry", "[linux][cli]") {
    xlat_test::ScratchDir dir("linux-loader");
    const std::vector<uint8_t> k = bzimage();
    const std::string kernel = dir.file("bzImage", std::string(k.begin(), k.end()));
    const std::string initrd = dir.file("initrd", "an initrd");
    const std::string xlat = std::string(XLAT_BINARY_DIR) + "/bin/xlat";
    xlat_test::ProcessResult r =
        xlat_test::run_process({xlat, "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0"}, 20);
    CHECK(r.exit_status == ((0x21 << 1) | 1));
    // Commas separate Multiboot modules; a Linux kernel takes one initrd.
    r = xlat_test::run_process({xlat, "-kernel", kernel, "-initrd", initrd + "," + initrd}, 20);
    CHECK(r.exit_status == 1);
    CHECK(r.err == "xlat: -initrd: a Linux kernel takes one initrd file (commas separate Multiboot modules)\n");
    r = xlat_test::run_process({xlat, "-kernel", kernel, "-initrd", dir.file("nothing", "") + "x"}, 20);
    CHECK(r.exit_status == 1);
    CHECK(r.err.find("cannot read initrd") != std::string::npos);
    // Neither Multiboot nor Linux: one line, status 1.
    r = xlat_test::run_process({xlat, "-kernel", initrd}, 20);
    CHECK(r.exit_status == 1);
    CHECK(r.err == "xlat: '" + initrd + "': neither a Multiboot kernel (no Multiboot header in its first 8 KiB) nor a Linux kernel (no bzImage setup header)\n");
    CHECK(r.out.empty());
}

using xlat_test::SmbiosStructure;
using xlat_test::walk_smbios;

TEST_CASE("linux: the BIOS area holds SMBIOS 2.8 tables for the machine and the ACPI HPET table", "[linux][loader]") {
    Machine m(small_config(48u << 20));
    REQUIRE(load_error(m, bzimage()) == "");
    // Linux's dmi_scan_machine: the first "_SM_" on a 16-byte boundary of 0xF0000-0xFFFFF.
    std::vector<uint8_t> seg(0x10000);
    m.phys.read_bytes(0xF0000, seg.data(), seg.size());
    const size_t ep = xlat_test::find_smbios_anchor(seg);
    REQUIRE(ep < seg.size());
    auto sum = [&](size_t from, size_t len) {
        uint8_t s = 0;
        for (size_t i = from; i < from + len; ++i) s = uint8_t(s + seg[i]);
        return s;
    };
    CHECK(seg[ep + 5] == 31);
    CHECK(sum(ep, 31) == 0);
    CHECK(std::memcmp(&seg[ep + 16], "_DMI_", 5) == 0);
    CHECK(sum(ep + 16, 15) == 0);
    CHECK(seg[ep + 6] == 2);
    CHECK(seg[ep + 7] == 8);
    const unsigned len = seg[ep + 22] | seg[ep + 23] << 8, count = seg[ep + 28] | seg[ep + 29] << 8;
    uint32_t addr;
    std::memcpy(&addr, &seg[ep + 24], 4);
    std::vector<uint8_t> table(len);
    m.phys.read_bytes(addr, table.data(), len);
    const std::vector<SmbiosStructure> st = walk_smbios(table);
    CHECK(st.size() == count);
    std::vector<unsigned> types;
    size_t largest = 0;
    for (const SmbiosStructure& x : st) types.push_back(x.type), largest = std::max(largest, x.total);
    CHECK((seg[ep + 8] | seg[ep + 9] << 8) == int(largest));  // the maximum structure size
    CHECK(types == std::vector<unsigned>{0, 1, 3, 4, 16, 17, 19, 32, 127});
    for (const SmbiosStructure& s : st) {
        INFO("type " << unsigned(s.type));
        switch (s.type) {
        case 0:
            CHECK(s.length == 0x18);
            CHECK(s.str(4) == "xlat");
            CHECK(s.str(8).size() == 10);  // mm/dd/yyyy
            break;
        case 1:
            CHECK(s.length == 0x1B);
            CHECK(s.str(4) == "xlat");
            CHECK(s.str(5) == "PC (i440FX + PIIX, 1996)");
            break;
        case 3: CHECK(s.length == 0x16); break;
        case 4:
            CHECK(s.length == 0x2A);
            CHECK(s.str(4) == "CPU 0");
            CHECK(s.formatted[24] == 0x41);  // populated, enabled
            break;
        case 16:
            CHECK(s.u32(7) == 48u * 1024);  // KiB
            CHECK(s.u16(13) == 1);
            break;
        case 17:
            CHECK(s.length == 0x28);
            CHECK(s.u16(4) == st[4].handle);  // its array, the type 16 structure
            CHECK(s.u16(12) == 48);           // MiB
            CHECK(s.str(16) == "DIMM 0");
            break;
        case 19:
            CHECK(s.u32(4) == 0);
            CHECK(s.u32(8) == 48u * 1024 - 1);  // the last KiB, inclusive
            break;
        case 127: CHECK(s.length == 4); break;
        }
    }
    // The HPET table, third in the RSDT: the block's ID and address (IA-PC HPET 1.0a, 3.2.4),
    // and the DSDT's PNP0103 device for it.
    const uint32_t rsdp = uint32_t(rd64(m, kLinuxBootParams + 0x70));
    CHECK(rsdp >= 0xF0000);
    const uint32_t rsdt = rd32(m, rsdp + 16), hpet = rd32(m, rsdt + 44);
    char sig[5] = {};
    m.phys.read_bytes(hpet, sig, 4);
    CHECK(std::string(sig) == "HPET");
    CHECK(rd32(m, hpet + 4) == 56);
    std::vector<uint8_t> t(56);
    m.phys.read_bytes(hpet, t.data(), t.size());
    uint8_t s = 0;
    for (uint8_t b : t) s = uint8_t(s + b);
    CHECK(s == 0);
    CHECK(rd32(m, hpet + 36) == 0x8086A201u);
    CHECK(rd64(m, hpet + 44) == 0xFED00000u);
    CHECK(rd32(m, hpet + 36) == m.board.hpet.read(0, 0, 4));  // as the device reports itself
    const uint32_t dsdt = rd32(m, rd32(m, rsdt + 36) + 40);
    std::vector<uint8_t> aml(rd32(m, dsdt + 4));
    m.phys.read_bytes(dsdt, aml.data(), aml.size());
    const std::string text(aml.begin(), aml.end());
    CHECK(text.find("HPET") != std::string::npos);
    CHECK(text.find(std::string("\x0C\x41\xD0\x01\x03", 5)) != std::string::npos);  // EisaId ("PNP0103")
    // The PCI interrupt links and the root's routing table, over the PIRQ router that the
    // loader programmed as SeaBIOS does (PIRQA-D to IRQ 10, 10, 11, 11).
    for (const char* n : {"_PRT", "LNKA", "LNKB", "LNKC", "LNKD", "LNKS", "P40C", "PRQ3", "_SRS", "_DIS"}) {
        INFO(n);
        CHECK(text.find(n) != std::string::npos);
    }
    CHECK(m.board.piix3.config32(0x60) == 0x0B0B0A0Au);
    CHECK(m.board.piix3.pirq_route(0) == 10);
    CHECK(m.board.piix3.pirq_route(3) == 11);
    // The MP tables (MP spec 1.4, 4.1 and 4.2): the floating pointer on a 16-byte boundary, its
    // configuration table, both checksums, and entries that walk to the table's end: one
    // processor, two buses, the I/O APIC, ISA IRQ 0 on input 2 and the PM function's SCI.
    size_t mp = seg.size();
    for (size_t i = 0; i + 16 <= seg.size(); i += 16)
        if (std::memcmp(&seg[i], "_MP_", 4) == 0) {
            mp = i;
            break;
        }
    REQUIRE(mp < seg.size());
    CHECK(sum(mp, 16) == 0);
    CHECK(seg[mp + 8] == 1);
    CHECK(seg[mp + 9] == 4);
    uint32_t pcmp;
    std::memcpy(&pcmp, &seg[mp + 4], 4);
    REQUIRE(pcmp >= 0xF0000);
    const size_t c = pcmp - 0xF0000;
    REQUIRE(std::memcmp(&seg[c], "PCMP", 4) == 0);
    const size_t clen = seg[c + 4] | seg[c + 5] << 8;
    CHECK(sum(c, clen) == 0);
    const unsigned nentries = seg[c + 34] | seg[c + 35] << 8;
    unsigned seen = 0, cpus = 0, ioapics = 0;
    bool irq0_pin2 = false, sci = false;
    for (size_t at = c + 44; at < c + clen; ++seen) {
        const uint8_t type = seg[at];
        REQUIRE(type <= 4);
        if (type == 0) ++cpus;
        if (type == 2) ioapics += seg[at + 4] == 0x00 && seg[at + 5] == 0x00 && seg[at + 6] == 0xC0 && seg[at + 7] == 0xFE;
        if (type == 3 && seg[at + 4] == 1 && seg[at + 5] == 0) irq0_pin2 = seg[at + 7] == 2;  // ISA bus, IRQ 0
        if (type == 3 && seg[at + 4] == 0 && seg[at + 5] == (1 << 2 | 0)) sci = seg[at + 7] == 9;  // PCI 1 INTA
        at += type == 0 ? 20 : 8;
    }
    CHECK(seen == nentries);
    CHECK(cpus == 1);
    CHECK(ioapics == 1);
    CHECK(irq0_pin2);
    CHECK(sci);
    // The shadow copy is read-only: a store to it is dropped.
    m.phys.write(0xF0000, 1, 0);
    CHECK(m.phys.read(0xF0000, 1) == 'R');
}

TEST_CASE("linux: screen_info reports the VGA's 80x25 text mode, and nothing without a VGA", "[linux][loader]") {
    const uint32_t zp = kLinuxBootParams;
    {
        Machine m(small_config(16u << 20));
        REQUIRE(!m.board.vga);
        REQUIRE(load_error(m, bzimage()) == "");
        for (uint32_t off : {0x06u, 0x07u, 0x0Eu, 0x0Fu}) CHECK(m.phys.read(zp + off, 1) == 0);
        CHECK(m.phys.read(zp + 0x02, 2) == 15u * 1024);  // ext_mem_k: 15 MiB above 1 MiB
    }
    MachineConfig cfg = small_config(128u << 20);
    cfg.vga = true;
    Machine m(cfg);
    REQUIRE(load_error(m, bzimage()) == "");
    CHECK(m.phys.read(zp + 0x06, 1) == 3);     // orig_video_mode
    CHECK(m.phys.read(zp + 0x07, 1) == 80);    // orig_video_cols
    CHECK(m.phys.read(zp + 0x0E, 1) == 25);    // orig_video_lines
    CHECK(m.phys.read(zp + 0x0F, 1) == 1);     // orig_video_isVGA
    CHECK(m.phys.read(zp + 0x10, 2) == 16);    // orig_video_points
    CHECK(m.phys.read(zp + 0x02, 2) == 0xFC00);  // ext_mem_k: capped at 63 MiB as INT 15h AH=88h
    // And the IDE function as firmware leaves it: the bus-master block at 0xC000, I/O decoding on.
    CHECK(m.board.piix3_ide.config32(0x20) == (0xC000u | 1));
    CHECK((m.board.piix3_ide.config16(0x04) & 1) == 1);
}
