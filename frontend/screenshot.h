// --screenshot FILE.png: the display as it is when the run ends, written with libpng.
#pragma once
#include <string>

#include "devices/vga.h"

namespace xlat {

// Writes the VGA's display to `path` as an 8-bit RGB PNG. Returns an empty string, or the one
// line that says why nothing was written (the mode is not rendered, the file cannot be written).
std::string write_screenshot(const Vga& vga, const std::string& path);

// Writes any RGB image (the tests use it too).
std::string write_png(const RgbImage& img, const std::string& path);

} // namespace xlat
