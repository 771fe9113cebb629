// The Multiboot loader in process, on kernels built in memory: every write is checked before it
// happens, an ELF is checked as an ELF, absurd sizes are refused without the work, and the
// information structure goes where it fits (issue 14, section 3). The tests that go through the
// xlat binary and QEMU are in multiboot_test.cpp.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "frontend/multiboot.h"
#include "fuzz/mbimage.h"
#include "test_machine.h"

using namespace xlat;
using mbimage::Seg;

namespace {

BootFile bytes(std::vector<uint8_t> b, const std::string& name = "kernel") { return BootFile::from_bytes(name, std::move(b)); }

std::vector<BootModule> empty_modules(size_t n) {
    std::vector<BootModule> mods;
    for (size_t i = 0; i < n; ++i) mods.push_back(BootModule{bytes({}, "a"), "a"});
    return mods;
}

// The message of the BootError that loading throws, or "" when it loads.
std::string load_error(Machine& m, const std::vector<uint8_t>& kernel, const std::string& cmdline = "k",
                       const std::vector<BootModule>& mods = {}) {
    try {
        load_multiboot(m, bytes(kernel), cmdline, mods);
    } catch (const BootError& e) {
        return e.what();
    }
    return "";
}

std::string refusal(const std::vector<uint8_t>& kernel, uint64_t ram = 4u << 20) {
    Machine m(small_config(ram));
    return load_error(m, kernel);
}

uint32_t rd32(Machine& m, uint32_t a) {
    uint32_t v;
    std::memcpy(&v, m.phys.ram() + a, 4);
    return v;
}

// True when no byte of guest RAM is set (the loader refused before writing anything).
bool ram_untouched(Machine& m) {
    const uint8_t* p = m.phys.ram();
    for (uint64_t i = 0; i < m.phys.ram_size(); ++i)
        if (p[i]) return false;
    return true;
}

} // namespace

TEST_CASE("loader: 65,000 empty modules in 1100K are refused before anything is written", "[multiboot][loader]") {
    // Issue 14: the module table ran past guest RAM into the host heap ("double free or corruption").
    Machine m(small_config(1100u << 10));
    std::string err = load_error(m, mbimage::exit_kernel(0x21), "k", empty_modules(65000));
    CHECK(err.find("the Multiboot information (") != std::string::npos);
    CHECK(err.find("fits neither below 0x9fc00 nor after the modules") != std::string::npos);
    CHECK(ram_untouched(m));
}

TEST_CASE("loader: many empty modules that fit get a table where it fits", "[multiboot][loader]") {
    // 30,000 entries (480 KB of table) still fit below the EBDA; each module is empty, at 1 MiB
    // page-aligned after the kernel, with no memcpy from its (null) data: UBSan's report of issue 14.
    Machine m(small_config(2u << 20));
    REQUIRE(load_error(m, mbimage::exit_kernel(0x21), "k", empty_modules(30000)) == "");
    const uint32_t mbi = m.cpu.s.reg32(EBX);
    CHECK(mbi == kMultibootInfo);
    CHECK((rd32(m, mbi) & (1u << 3)) != 0);
    CHECK(rd32(m, mbi + 20) == 30000);
    const uint32_t mods = rd32(m, mbi + 24);
    for (uint32_t i : {0u, 29999u}) {
        CHECK(rd32(m, mods + 16 * i) == 0x101000);
        CHECK(rd32(m, mods + 16 * i + 4) == 0x101000);  // empty: end == start
        CHECK(std::strcmp(reinterpret_cast<const char*>(m.phys.ram() + rd32(m, mods + 16 * i + 8)), "a") == 0);
    }
}

TEST_CASE("loader: a 1 MiB command line with -m 1M is refused, not written past RAM", "[multiboot][loader]") {
    // Issue 14: a zero-length kernel segment at 1 MiB in a 1 MiB guest and a 1 MiB -append
    // overflowed the host heap under ASan.
    Machine m(small_config(1u << 20));
    std::vector<uint8_t> k = mbimage::elf({Seg{0x100000, {}, 0}}, 0x100000);
    std::string err = load_error(m, k, std::string(1u << 20, 'x'));
    CHECK(err.find("the Multiboot information (1048") != std::string::npos);
    CHECK(ram_untouched(m));
}

TEST_CASE("loader: a long command line goes below the EBDA, or after the modules", "[multiboot][loader]") {
    SECTION("100 KiB (more than the old 4 KiB limit) below the EBDA") {
        Machine m(small_config(2u << 20));
        const std::string cmd(100 << 10, 'c');
        REQUIRE(load_error(m, mbimage::exit_kernel(0x21), cmd) == "");
        const uint32_t mbi = m.cpu.s.reg32(EBX);
        CHECK(mbi == kMultibootInfo);
        CHECK(reinterpret_cast<const char*>(m.phys.ram() + rd32(m, mbi + 16)) == cmd);
        CHECK(m.cpu.s.gdtr.base == kMultibootGdt);
    }
    SECTION("1 MiB after the kernel and its module when RAM has room") {
        Machine m(small_config(4u << 20));
        const std::string cmd(1u << 20, 'c');
        std::vector<BootModule> mods;
        mods.push_back(BootModule{bytes(std::vector<uint8_t>(5000, 7), "m"), "m arg"});
        REQUIRE(load_error(m, mbimage::exit_kernel(0x21), cmd, mods) == "");
        const uint32_t mbi = m.cpu.s.reg32(EBX);
        // The kernel ends at 0x100005, the module takes 0x101000-0x102387: GDT page, then the MBI.
        CHECK(m.cpu.s.gdtr.base == 0x103000);
        CHECK(mbi == 0x104000);
        CHECK(reinterpret_cast<const char*>(m.phys.ram() + rd32(m, mbi + 16)) == cmd);
        CHECK(rd32(m, rd32(m, mbi + 24)) == 0x101000);
        CHECK(rd32(m, rd32(m, mbi + 24) + 4) == 0x101000 + 5000);
        CHECK(m.phys.ram()[0x101000 + 4999] == 7);
    }
    SECTION("a kernel loaded over 0x8000 moves the GDT and the structure out of its way") {
        Machine m(small_config(2u << 20));
        std::vector<uint8_t> k = mbimage::elf({Seg{0x7000, std::vector<uint8_t>(0x3000, 0x90)}}, 0x7000);
        REQUIRE(load_error(m, k) == "");
        CHECK(m.cpu.s.reg32(EBX) == 0x101000);  // modules (none) and the structure start at 1 MiB
        CHECK(m.phys.ram()[0x9000] == 0x90);   // the kernel's bytes, not the structure
        CHECK(rd32(m, 0x101000) != 0);
    }
}

TEST_CASE("loader: an ELF is checked as an ELF", "[multiboot][loader]") {
    SECTION("the magic") {
        std::vector<uint8_t> k = mbimage::exit_kernel(0x21);
        std::memcpy(k.data(), "XXXX", 4);  // loaded before issue 14
        CHECK(refusal(k).find("not an ELF file (no ELF magic)") != std::string::npos);
    }
    SECTION("filesz greater than memsz") {
        std::vector<uint8_t> k = mbimage::elf({Seg{0x100000, mbimage::exit_code(1), 2}}, 0x100000);
        CHECK(refusal(k) == "ELF segment 0 (at 0x100000) has more bytes in the file (0x5) than in memory (0x2)");
    }
    SECTION("overlapping segments") {
        std::vector<uint8_t> k = mbimage::elf({Seg{0x100000, mbimage::exit_code(1), 0x2000}, Seg{0x101000, {1, 2, 3}}}, 0x100000);
        CHECK(refusal(k) == "kernel segments 0x100000-0x101fff and 0x101000-0x101002 overlap");
    }
    SECTION("a segment past the end of the file") {
        std::vector<uint8_t> k = mbimage::elf({Seg{0x100000, mbimage::exit_code(1), 0x20000, 1, 0x10000}}, 0x100000);
        CHECK(refusal(k).find("runs past the end of the file") != std::string::npos);
    }
    SECTION("an x86-64 ELF") {
        std::vector<uint8_t> k = mbimage::exit_kernel(0x21);
        k[18] = 62;
        CHECK(refusal(k).find("64-bit (x86-64)") != std::string::npos);
    }
    SECTION("no program headers") {
        std::vector<uint8_t> k = mbimage::exit_kernel(0x21);
        k[44] = k[45] = 0;
        CHECK(refusal(k) == "the ELF kernel has no program headers");
    }
}

TEST_CASE("loader: a segment outside RAM is refused naming the problem in hex", "[multiboot][loader]") {
    CHECK(refusal(mbimage::elf({Seg{0x400000, mbimage::exit_code(1)}}, 0x400000)) ==
          "kernel segment 0x400000-0x400004 ends past guest RAM (0x400000 bytes, up to 0x3fffff); it needs -m 5M or more");
    CHECK(refusal(mbimage::elf({Seg{0xD0000000u, mbimage::exit_code(1)}}, 0xD0000000u)) ==
          "kernel segment 0xd0000000-0xd0000004 is not in RAM: a guest has at most 3 GiB of RAM, up to 0xbfffffff");
    CHECK(refusal(mbimage::elf({Seg{0xFFFFF000u, mbimage::exit_code(1), 0x2000}}, 0xFFFFF000u)) ==
          "kernel segment at 0xfffff000 (0x2000 bytes) runs past 4 GiB");
}

TEST_CASE("loader: segments below 1 MiB load as the CPU would store them", "[multiboot][loader]") {
    // GNU ld's layout: a read-only segment of ELF headers at 0xFF000, in the firmware's area. Its
    // bytes land in ROM, which drops them (as under QEMU); low RAM takes its own. 0xC0000 is the
    // BIOS area at power-on: the i440FX's PAM registers send its reads and writes to PCI, where
    // nothing answers, so what the CPU stores there is lost too.
    Machine m(small_config(2u << 20));
    std::vector<uint8_t> k = mbimage::elf({Seg{0xFF000, std::vector<uint8_t>(0xD4, 0x11)},
                                           Seg{0x100000, mbimage::exit_code(0x21)},
                                           Seg{0xC0000, std::vector<uint8_t>(16, 0x22)},
                                           Seg{0x20000, std::vector<uint8_t>(16, 0x33), 0x100}},
                                          0x100000);
    REQUIRE(load_error(m, k) == "");
    CHECK(m.phys.read(0xFF000, 1) == 0xF4);  // the firmware, unchanged
    CHECK(m.phys.read(0x100000, 1) == 0xB0);
    CHECK(m.phys.read(0xC000F, 1) == 0xFF);
    CHECK(m.phys.read(0x2000F, 1) == 0x33);
    CHECK(m.cpu.s.eip() == 0x100000);
}

TEST_CASE("loader: bss is zeroed, also over RAM that was not", "[multiboot][loader]") {
    Machine m(small_config(4u << 20));
    std::memset(m.phys.ram() + 0x200000, 0xAA, 0x10000);
    REQUIRE(load_error(m, mbimage::kludge(0x200000, 0x21, 0x8000)) == "");
    CHECK(m.phys.ram()[0x200000 + 37 - 1] == 0xF4);  // the image's last byte (HLT)
    CHECK(m.phys.ram()[0x200000 + 37] == 0);
    CHECK(m.phys.ram()[0x200000 + 37 + 0x7FFF] == 0);
    CHECK(m.phys.ram()[0x200000 + 37 + 0x8000] == 0xAA);
    CHECK(m.cpu.s.eip() == 0x200000 + 32);
}

TEST_CASE("loader: an a.out-kludge header that contradicts the file is refused", "[multiboot][loader]") {
    std::vector<uint8_t> k = mbimage::kludge(0x200000, 0x21);
    mbimage::put32(k, 12, 0x1FF000);  // header_addr below load_addr
    CHECK(refusal(k).find("do not match where the header is") != std::string::npos);
    k = mbimage::kludge(0x200000, 0x21);
    mbimage::put32(k, 20, 0x300000);  // load_end far past the file
    CHECK(refusal(k) == "the Multiboot image is shorter than its header says");
}

TEST_CASE("loader: absurd program headers are refused without the work", "[multiboot][loader]") {
    // Issue 14: 65,535 program headers of 64 MiB took minutes of memset; 16 of 2.5 GiB took
    // 2.6 GB of host memory. Both are now refused by the checks that run before any write.
    auto t0 = std::chrono::steady_clock::now();
    Machine m(small_config(64u << 20));
    std::string err = load_error(m, mbimage::elf({Seg{0x100000, {}, 64u << 20}}, 0x100000, 65534));
    CHECK(err == "kernel segment 0x100000-0x40fffff ends past guest RAM (0x4000000 bytes, up to 0x3ffffff); it needs -m 65M or more");
    std::vector<Seg> many;
    for (uint32_t i = 0; i < 16; ++i) many.push_back(Seg{0x100000 + 0x1000 * i, {}, 0x20000});
    err = load_error(m, mbimage::elf(many, 0x100000, 65535 - 16));
    CHECK(err == "kernel segments 0x100000-0x11ffff and 0x101000-0x120fff overlap");
    CHECK(ram_untouched(m));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(s < 5.0);  // milliseconds in practice; minutes before
}

TEST_CASE("loader: what is not a Multiboot kernel gets one line saying what it is", "[multiboot][loader]") {
    std::vector<uint8_t> bz(0x1000, 0);
    bz[0x1FE] = 0x55;
    bz[0x1FF] = 0xAA;
    std::memcpy(&bz[0x202], "HdrS", 4);
    CHECK(refusal(bz) == "not a Multiboot kernel: no Multiboot header in its first 8 KiB");  // main sends it to load_linux
    CHECK(refusal(std::vector<uint8_t>(100, 0)) == "not a Multiboot kernel: no Multiboot header in its first 8 KiB");
    // A header beyond the first 8 KiB does not count (Multiboot 0.6.96, 3.1).
    std::vector<uint8_t> late(8192 + 64, 0);
    mbimage::put_header(late, 8192, 0);
    CHECK(refusal(late) == "not a Multiboot kernel: no Multiboot header in its first 8 KiB");
    CHECK(refusal({}) == "not a Multiboot kernel: no Multiboot header in its first 8 KiB");
}
