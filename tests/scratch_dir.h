// A scratch folder for a test's files, removed with everything in it when the test ends (files a
// test made unreadable too: their permissions are given back first).
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace xlat_test {

class ScratchDir {
public:
    // Makes /tmp/xlat-PREFIX-XXXXXX.
    explicit ScratchDir(const std::string& prefix) {
        std::string tmpl = "/tmp/xlat-" + prefix + "-XXXXXX";
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
        dir = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
        for (const auto& e : std::filesystem::directory_iterator(dir, ec))
            std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                         std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(dir, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    // Writes `content` to the file `name` in the folder and returns its path.
    std::string file(const std::string& name, const std::string& content) const {
        const std::filesystem::path p = dir / name;
        std::ofstream(p, std::ios::binary) << content;
        return p.string();
    }

    std::filesystem::path dir;
};

} // namespace xlat_test
