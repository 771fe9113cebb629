#include "frontend/smbios.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>

namespace xlat {

namespace {

// One structure (DSP0134 6.1.2): the formatted area (type, length, handle, fields) and the
// string set after it, each string NUL-terminated, the set ended by one more NUL (two NULs when
// there are no strings). A string field holds the string's number, from 1; 0 means none.
class Structure {
public:
    Structure(uint8_t type, uint16_t handle) : f_{type, 0, uint8_t(handle), uint8_t(handle >> 8)} {}
    Structure& u8(unsigned v) {
        f_.push_back(uint8_t(v));
        return *this;
    }
    Structure& u16(unsigned v) { return u8(v & 0xFF).u8(v >> 8 & 0xFF); }
    Structure& u32(uint32_t v) { return u16(v & 0xFFFF).u16(v >> 16); }
    Structure& u64(uint64_t v) { return u32(uint32_t(v)).u32(uint32_t(v >> 32)); }
    Structure& zeros(unsigned n) {
        f_.insert(f_.end(), n, 0);
        return *this;
    }
    Structure& str(const std::string& s) {
        if (s.empty()) return u8(0);
        strings_.insert(strings_.end(), s.begin(), s.end());
        strings_.push_back(0);
        return u8(++count_);
    }
    // Appends the finished structure to `out`; returns its size (for the largest one).
    size_t emit(std::vector<uint8_t>& out) {
        f_[1] = uint8_t(f_.size());
        const size_t start = out.size();
        out.insert(out.end(), f_.begin(), f_.end());
        out.insert(out.end(), strings_.begin(), strings_.end());
        out.push_back(0);
        if (!count_) out.push_back(0);
        return out.size() - start;
    }

private:
    std::vector<uint8_t> f_;
    std::vector<uint8_t> strings_;
    unsigned count_ = 0;
};

uint8_t checksum_for(const std::vector<uint8_t>& b, size_t from, size_t len, size_t at) {
    uint8_t sum = 0;
    for (size_t i = from; i < from + len; ++i)
        if (i != at) sum = uint8_t(sum + b[i]);
    return uint8_t(-sum);
}

// Handles as QEMU numbers them: the type in the high byte, the instance in the low.
constexpr uint16_t kMemArrayHandle = 0x1000;

} // namespace

SmbiosTables smbios_tables(const SmbiosSetup& s) {
    SmbiosTables out;
    std::vector<uint8_t>& t = out.tables;
    size_t largest = 0;
    unsigned count = 0;
    auto add = [&](Structure& st) {
        largest = std::max(largest, st.emit(t));
        ++count;
    };
    const uint64_t ram_kib = s.ram_bytes >> 10;
    const std::string version = "xlat-pc";  // the machine type, as QEMU's "pc-i440fx-7.2"
    if (s.bios_info) {
        // 7.1 BIOS Information (2.4 layout, 0x18 bytes). The loader is the BIOS: it starts at
        // 0xE8000 as SeaBIOS's does, and claims none of the characteristics (bit 3: "BIOS
        // characteristics not supported"); extension byte 2 bit 4: the tables describe a
        // virtual machine. The release date is one before 2015, as SeaBIOS's (04/01/2014) on
        // QEMU: Linux dates its platform quirks by it, and a BIOS from 2015 on makes it take
        // the RTC alarm from ACPI instead of the HPET, from 2023 on ignore the e820
        // reservations in the PCI windows; this board is the older PC in both.
        Structure b(0, 0x0000);
        b.str(kSmbiosManufacturer).str("xlat direct Linux boot").u16(0xE800).str("01/01/2014").u8(0)
            .u64(1u << 3).u8(0).u8(1u << 4).u8(0).u8(1).u8(0xFF).u8(0xFF);
        add(b);
    }
    // 7.2 System Information (2.4 layout, 0x1B bytes): the UUID is fw_cfg's (all zeros: none
    // set), wake-up by the power switch (06h).
    Structure sys(1, 0x0100);
    sys.str(kSmbiosManufacturer).str(kSmbiosProduct).str(version).str("").zeros(16).u8(0x06).str("").str("");
    add(sys);
    // 7.4 System Enclosure (2.7 layout, 0x16 bytes with no contained elements): type "other"
    // (01h), boot-up, power supply and thermal states "safe" (03h), security status unknown (02h).
    Structure encl(3, 0x0300);
    encl.str(kSmbiosManufacturer).u8(0x01).str(version).str("").str("").u8(0x03).u8(0x03).u8(0x03).u8(0x02)
        .u32(0).u8(0).u8(0).u8(0).u8(0).str("");
    add(encl);
    // 7.5 Processor Information (2.6 layout, 0x2A bytes): a central processor (03h) of family
    // "other" (01h), its CPUID signature and features as the processor ID, 2000 MHz as QEMU
    // reports (the TSC runs at 1 GHz, but these fields are informational), socket populated and
    // enabled (41h), no caches described (FFFFh), one core and thread.
    Structure cpu(4, 0x0400);
    cpu.str("CPU 0").u8(0x03).u8(0x01).str(kSmbiosManufacturer).u32(s.cpu_signature).u32(s.cpu_features)
        .str(version).u8(0).u16(0).u16(2000).u16(2000).u8(0x41).u8(0x01).u16(0xFFFF).u16(0xFFFF).u16(0xFFFF)
        .str("").str("").str("").u8(1).u8(1).u8(1).u16(0x02).u16(0x01);
    add(cpu);
    // 7.17 Physical Memory Array (2.7 layout, 0x17 bytes): location "other" (01h, as QEMU),
    // system memory (03h), multi-bit ECC (06h), capacity in KiB, no error information (FFFEh),
    // one device.
    Structure array(16, kMemArrayHandle);
    array.u8(0x01).u8(0x03).u8(0x06).u32(uint32_t(std::min<uint64_t>(ram_kib, 0x7FFFFFFF))).u16(0xFFFE).u16(1).u64(0);
    add(array);
    // 7.18 Memory Device (2.8 layout, 0x28 bytes): one DIMM (form factor 09h) of RAM (07h,
    // detail "other" 02h) holding all of guest RAM, size in MiB.
    Structure dimm(17, 0x1100);
    dimm.u16(kMemArrayHandle).u16(0xFFFE).u16(0xFFFF).u16(0xFFFF).u16(unsigned(std::min<uint64_t>(s.ram_bytes >> 20, 0x7FFF)))
        .u8(0x09).u8(0).str("DIMM 0").str("").u8(0x07).u16(0x02).u16(0).str(kSmbiosManufacturer).str("").str("").str("")
        .u8(0).u32(0).u16(0).u16(0).u16(0).u16(0);
    add(dimm);
    // 7.20 Memory Array Mapped Address (2.7 layout, 0x1F bytes): RAM from 0, in KiB, inclusive.
    Structure mapped(19, 0x1300);
    mapped.u32(0).u32(uint32_t(ram_kib - 1)).u16(kMemArrayHandle).u8(1).u64(0).u64(0);
    add(mapped);
    // 7.33 System Boot Information: six reserved bytes, then "no errors detected" (0).
    Structure boot(32, 0x2000);
    boot.zeros(6).u8(0);
    add(boot);
    // 7.45 End-of-Table.
    Structure end(127, 0x7F00);
    add(end);

    // 5.2.1 SMBIOS 2.1 (32-bit) Entry Point.
    std::vector<uint8_t>& e = out.entry;
    e.assign(31, 0);
    std::memcpy(&e[0], "_SM_", 4);
    e[5] = 31;                 // entry point length
    e[6] = 2, e[7] = 8;        // SMBIOS 2.8
    e[8] = uint8_t(largest), e[9] = uint8_t(largest >> 8);
    std::memcpy(&e[16], "_DMI_", 5);
    e[22] = uint8_t(t.size()), e[23] = uint8_t(t.size() >> 8);
    e[28] = uint8_t(count), e[29] = uint8_t(count >> 8);
    e[30] = 0x28;              // BCD revision
    smbios_set_address(e, 0);
    return out;
}

void smbios_set_address(std::vector<uint8_t>& e, uint32_t address) {
    for (int i = 0; i < 4; ++i) e[24 + i] = uint8_t(address >> (8 * i));
    // The intermediate checksum covers the 15 bytes from "_DMI_"; the entry point checksum
    // all 31 (and so includes the intermediate one: computed last).
    e[21] = checksum_for(e, 16, 15, 21);
    e[4] = checksum_for(e, 0, 31, 4);
}

} // namespace xlat
