// The interface every fuzz target here implements. Each target is one .cpp file that is linked
// two ways: with libFuzzer (clang, -DXLAT_FUZZ=ON: the `fuzz` target runs it for a bounded time)
// and with replay.cpp (any compiler, in the default test run: its seeds and a fixed number of
// deterministic mutations of them, a smoke test that takes seconds).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// libFuzzer's entry point: runs one input; a crash, sanitizer report or abort() is a finding.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// The target's seed inputs: built in, plus what it makes of `files` (given on the replay command
// line, e.g. the test kernels of the build).
std::vector<std::vector<uint8_t>> fuzz_seeds(const std::vector<std::string>& files);

// Values that mutations like to put into inputs (sizes and addresses the target cares about).
std::vector<uint32_t> fuzz_interesting_values();
