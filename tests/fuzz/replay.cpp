// Runs a fuzz target without libFuzzer: its seeds, then a fixed number of deterministic
// mutations of them (bit flips, interesting values, erased, repeated and inserted ranges). Built
// with any compiler, it is the fuzz smoke test of the default test run; under XLAT_SANITIZE the
// same run is checked by ASan and UBSan. With --write DIR it only writes the seeds to DIR (the
// initial corpus of a libFuzzer run).
//
// Usage: <target>_replay [--mutations N] [--seed S] [--write DIR] [FILE...]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "fuzz.h"

namespace {

std::vector<uint8_t> mutate(std::vector<uint8_t> v, std::mt19937_64& rng, const std::vector<uint32_t>& values) {
    auto pick = [&](size_t n) { return n ? size_t(rng() % n) : 0; };
    const int steps = 1 + int(rng() % 6);
    for (int i = 0; i < steps; ++i) {
        switch (rng() % 6) {
        case 0:  // flip a bit
            if (!v.empty()) v[pick(v.size())] ^= uint8_t(1u << (rng() % 8));
            break;
        case 1:  // a random byte
            if (!v.empty()) v[pick(v.size())] = uint8_t(rng());
            break;
        case 2: {  // an interesting 32-bit value, at an aligned place (headers are word-aligned)
            if (v.size() < 4) break;
            const size_t at = pick(v.size() - 3) & ~size_t(3);
            const uint32_t x = values[pick(values.size())];
            std::memcpy(&v[at], &x, 4);
            break;
        }
        case 3: {  // erase a range
            if (v.empty()) break;
            const size_t at = pick(v.size()), n = 1 + pick(std::min<size_t>(v.size() - at, 64));
            v.erase(v.begin() + long(at), v.begin() + long(at + n));
            break;
        }
        case 4: {  // repeat a range
            if (v.empty() || v.size() > (1u << 20)) break;
            const size_t at = pick(v.size()), n = 1 + pick(std::min<size_t>(v.size() - at, 256));
            std::vector<uint8_t> r(v.begin() + long(at), v.begin() + long(at + n));
            v.insert(v.begin() + long(at), r.begin(), r.end());
            break;
        }
        default:  // truncate
            v.resize(pick(v.size() + 1));
            break;
        }
    }
    return v;
}

} // namespace

int main(int argc, char** argv) {
    unsigned long mutations = 0, seed = 1;
    std::string write_dir;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--mutations" && i + 1 < argc) mutations = std::strtoul(argv[++i], nullptr, 10);
        else if (a == "--seed" && i + 1 < argc) seed = std::strtoul(argv[++i], nullptr, 10);
        else if (a == "--write" && i + 1 < argc) write_dir = argv[++i];
        else files.push_back(a);
    }
    const std::vector<std::vector<uint8_t>> seeds = fuzz_seeds(files);
    if (!write_dir.empty()) {
        for (size_t i = 0; i < seeds.size(); ++i) {
            std::ofstream out(write_dir + "/seed-" + std::to_string(i), std::ios::binary);
            out.write(reinterpret_cast<const char*>(seeds[i].data()), std::streamsize(seeds[i].size()));
            if (!out) { std::fprintf(stderr, "cannot write seeds to %s\n", write_dir.c_str()); return 1; }
        }
        std::printf("%zu seeds written to %s\n", seeds.size(), write_dir.c_str());
        return 0;
    }
    for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
    std::mt19937_64 rng(seed);
    const std::vector<uint32_t> values = fuzz_interesting_values();
    for (unsigned long i = 0; i < mutations; ++i) {
        std::vector<uint8_t> in = mutate(seeds[rng() % seeds.size()], rng, values);
        LLVMFuzzerTestOneInput(in.data(), in.size());
    }
    std::printf("%zu seeds and %lu mutations (seed %lu) ran without a finding\n", seeds.size(), mutations, seed);
    return 0;
}
