// Fuzz target: the Multiboot loader (frontend/multiboot.cpp) on arbitrary kernel images.
//
// Input: 4 control bytes, then the kernel image.
//   byte 0, bits 0-1: guest RAM: 1M, 1100K, 2M or 8M
//   byte 1, bits 0-3: number of modules; bits 4-7: n, each module is (1 << n) - 1 bytes (0: empty)
//   bytes 2-3: length of the command line (little-endian, at most 65,535 bytes)
// A load either succeeds, leaving the entry state pointing into guest RAM, or throws BootError;
// anything else (a crash, an ASan/UBSan report, another exception) is a finding.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "frontend/machine.h"
#include "frontend/multiboot.h"
#include "fuzz.h"
#include "mbimage.h"

using namespace xlat;

namespace {

uint32_t rd32(Machine& m, uint64_t a) {
    if (a + 4 > m.phys.ram_size()) std::abort();  // the structure points outside guest RAM
    uint32_t v;
    std::memcpy(&v, m.phys.ram() + a, 4);
    return v;
}

std::vector<uint8_t> with_control(uint8_t ram, uint8_t mods, uint16_t cmdline, const std::vector<uint8_t>& kernel) {
    std::vector<uint8_t> v = {ram, mods, uint8_t(cmdline), uint8_t(cmdline >> 8)};
    v.insert(v.end(), kernel.begin(), kernel.end());
    return v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) return 0;
    static const uint64_t kRam[4] = {1u << 20, 1100u << 10, 2u << 20, 8u << 20};
    MachineConfig cfg;
    cfg.ram_bytes = kRam[data[0] & 3];
    cfg.firmware.assign(64 << 10, 0xF4);
    Machine m(cfg);
    std::vector<BootModule> mods;
    const unsigned nmods = data[1] & 15, mod_bits = data[1] >> 4;
    for (unsigned i = 0; i < nmods; ++i)
        mods.push_back(BootModule{BootFile::from_bytes("mod", std::vector<uint8_t>((size_t(1) << mod_bits) - 1, uint8_t(i))),
                                  "mod " + std::to_string(i)});
    const std::string cmdline(size_t(data[2]) | size_t(data[3]) << 8, 'c');
    const BootFile kernel = BootFile::from_bytes("kernel", std::vector<uint8_t>(data + 4, data + size));
    try {
        load_multiboot(m, kernel, cmdline, mods);
    } catch (const BootError&) {
        return 0;
    }
    // Loaded: what the kernel is handed lies in guest RAM.
    const uint32_t mbi = m.cpu.s.reg32(EBX);
    if (rd32(m, mbi + 16) + cmdline.size() + 1 > m.phys.ram_size()) std::abort();
    if (nmods) {
        const uint32_t table = rd32(m, mbi + 24);
        for (unsigned i = 0; i < nmods; ++i)
            if (rd32(m, table + 16 * i + 4) > m.phys.ram_size() || rd32(m, table + 16 * i) > rd32(m, table + 16 * i + 4)) std::abort();
    }
    return 0;
}

std::vector<std::vector<uint8_t>> fuzz_seeds(const std::vector<std::string>& files) {
    using mbimage::Seg;
    std::vector<std::vector<uint8_t>> seeds = {
        with_control(2, 0x32, 16, mbimage::exit_kernel(0x21)),
        with_control(0, 0x00, 0, mbimage::elf({Seg{0x100000, {}, 0}}, 0x100000)),
        with_control(3, 0x1F, 300, mbimage::elf({Seg{0xFF000, std::vector<uint8_t>(0xD4, 1)}, Seg{0x100000, mbimage::exit_code(1)},
                                                 Seg{0x101000, {}, 0x4000}}, 0x100000)),
        with_control(2, 0x00, 0, mbimage::elf({Seg{0x7000, std::vector<uint8_t>(0x3000, 0x90)}}, 0x7000)),
        with_control(2, 0x4, 4, mbimage::kludge(0x100000, 1, 0x1000)),
        with_control(1, 0x0F, 0xFFFF, mbimage::exit_kernel(0x21)),
    };
    for (const std::string& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::vector<uint8_t> k((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!k.empty()) seeds.push_back(with_control(2, 0x21, 40, k));
    }
    return seeds;
}

std::vector<uint32_t> fuzz_interesting_values() {
    return {0, 1, 0x1000, 0x8000, 0x9000, 0x9FC00, 0xA0000, 0xFF000, 0x100000, 0x110000, 0x200000, 0x800000,
            0x7FFFFFFF, 0x80000000u, 0xC0000000u, 0xFFFFF000u, 0xFFFFFFFFu, 0x1BADB002, 0x10000, 0xFFFF};
}
