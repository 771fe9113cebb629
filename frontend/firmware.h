// The firmware image xlat boots: where the default one lives and how an image is read and checked.
// Shared by the run (frontend/main.cpp) and `xlat explain` (frontend/explain.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xlat {

// The demo ROM built beside the xlat binary (../roms/demo.bin from its directory); empty when
// the binary's own path cannot be read.
std::string default_firmware();

// Reads a firmware image, checking its size before reading it; throws UsageError with one line
// when the file cannot be used.
std::vector<uint8_t> read_firmware(const std::string& path);

} // namespace xlat
