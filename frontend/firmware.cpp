#include "frontend/firmware.h"

#include <unistd.h>

#include <climits>

#include "frontend/bootfile.h"
#include "frontend/linux_boot.h"
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

std::vector<uint8_t> firmware_for(const Options& opt) {
    const std::string bios = opt.bios.empty() ? default_firmware() : opt.bios;
    if (opt.bios.empty() && access(bios.c_str(), R_OK) != 0)
        throw UsageError("no firmware given and the demo ROM is not at " + bios + ": use -bios FILE");
    return read_firmware(bios);
}

GuestKernel GuestKernel::open(const Options& opt) {
    GuestKernel g;
    if (opt.kernel.empty()) return g;
    g.kernel.push_back(BootFile::open(opt.kernel, "kernel"));
    try {
        g.format = kernel_format(g.kernel[0]);
    } catch (const BootError& e) {
        throw UsageError("'" + opt.kernel + "': " + e.what());
    }
    if (g.format == KernelFormat::Linux) {
        if (opt.initrd.size() > 1)
            throw UsageError("-initrd: a Linux kernel takes one initrd file (commas separate Multiboot modules)");
        if (!opt.initrd.empty()) g.initrd.push_back(BootFile::open(opt.initrd[0], "initrd"));
    } else {
        for (const std::string& item : opt.initrd)
            g.modules.push_back(BootModule{BootFile::open(item.substr(0, item.find(' ')), "module"), item});
    }
    return g;
}

void GuestKernel::load(Machine& m, const Options& opt) {
    if (kernel.empty()) return;
    try {
        if (format == KernelFormat::Linux)
            load_linux(m, kernel[0], opt.append, initrd.empty() ? nullptr : &initrd[0]);
        else
            load_multiboot(m, kernel[0], opt.kernel + (opt.append.empty() ? "" : " " + opt.append), modules);
    } catch (const BootError& e) {
        throw UsageError("'" + opt.kernel + "': " + e.what());
    }
}

} // namespace xlat
