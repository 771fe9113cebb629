#include "frontend/firmware.h"

#include <unistd.h>

#include <climits>

#include "frontend/bootfile.h"
#include "frontend/machine.h"
#include "frontend/options.h"

namespace xlat {

std::string default_firmware() {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return {};
    std::string dir(exe, size_t(n));
    dir.erase(dir.find_last_of('/'));
    return dir + "/../roms/demo.bin";
}

std::vector<uint8_t> read_firmware(const std::string& path) {
    BootFile f = BootFile::open(path, "firmware");
    if (f.size() > (256u << 10))
        throw UsageError("firmware '" + path + "' is larger than 256 KiB (" + std::to_string(f.size()) + " bytes)");
    std::string problem = firmware_size_problem(size_t(f.size()));
    if (!problem.empty()) throw UsageError("'" + path + "': " + problem);
    std::vector<uint8_t> data(size_t(f.size()));
    f.read(0, data.data(), data.size());
    return data;
}

} // namespace xlat
