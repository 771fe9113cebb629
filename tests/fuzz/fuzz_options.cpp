// Fuzz target: the command-line parser (frontend/options.cpp, Boost.Program_options).
//
// Input: the arguments after "xlat", separated by NUL bytes (at most 64). A parse either returns
// options or throws UsageError; anything else (a crash, a sanitizer report, another exception)
// is a finding: main would turn it into "internal error" instead of one line about the input.
#include "frontend/options.h"
#include "fuzz.h"

using namespace xlat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> args = {"xlat"};
    std::string cur;
    for (size_t i = 0; i < size && args.size() < 65; ++i) {
        if (data[i] == 0) {
            args.push_back(cur);
            cur.clear();
        } else {
            cur += char(data[i]);
        }
    }
    if (!cur.empty() && args.size() < 65) args.push_back(cur);
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    try {
        Options o = parse_options(int(args.size()), argv.data());
        (void)o;
    } catch (const UsageError&) {
    }
    return 0;
}

std::vector<std::vector<uint8_t>> fuzz_seeds(const std::vector<std::string>&) {
    const std::vector<std::vector<std::string>> lines = {
        {"-m", "64M", "-bios", "x.bin", "--max-insns", "1000"},
        {"--memory", "1100K", "-kernel", "k.elf", "-append", "a b c", "-initrd", "m1 arg,m2"},
        {"-debugcon", "file:/dev/null", "-no-reboot", "--stats", "--trace", "post,insn"},
        {"--cpu-mode", "interp", "--version"},
        {"--help"},
        {"--config", "/dev/null", "-m", "3G"},
        {"-m", "17179869185G"},
        {"--max-insns", "-1", "-bios", ""},
        // Boost 1.74 looped forever building the message for these (found by libFuzzer).
        {"--max-insns", "%value%"},
        {"--bogus%canonical_option%"},
        {"--memory", "%option%%prefix%%original_token%"},
    };
    std::vector<std::vector<uint8_t>> seeds;
    for (const auto& line : lines) {
        std::vector<uint8_t> s;
        for (const std::string& a : line) {
            s.insert(s.end(), a.begin(), a.end());
            s.push_back(0);
        }
        seeds.push_back(s);
    }
    return seeds;
}

std::vector<uint32_t> fuzz_interesting_values() { return {0, 1, '-', 'm', 'M', 'G', 'K', ',', '=', ' '}; }
