#include "frontend/screenshot.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace xlat {

std::string write_png(const RgbImage& img, const std::string& path) {
    if (img.width == 0 || img.height == 0) return "the display has no pixels";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return "cannot write " + path + ": " + std::strerror(errno);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info) {
        png_destroy_write_struct(&png, nullptr);
        std::fclose(f);
        return "cannot write " + path + ": out of memory";
    }
    // libpng reports its errors by longjmp; nothing here owns resources a jump would skip
    // (the rows point into img, the file is closed below).
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return "cannot write " + path + ": libpng failed";
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, img.width, img.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < img.height; ++y)
        png_write_row(png, const_cast<png_bytep>(&img.rgb[size_t(y) * img.width * 3]));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fclose(f) != 0) return "cannot write " + path + ": " + std::strerror(errno);
    return {};
}

std::string write_screenshot(const Vga& vga, const std::string& path) {
    const std::string problem = vga.render_problem();
    if (!problem.empty()) return "no screenshot: " + problem;
    return write_png(vga.render(), path);
}

} // namespace xlat
