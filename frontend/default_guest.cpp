#include "frontend/default_guest.h"

#include <unistd.h>

#include <cstdlib>

#include "frontend/options.h"

namespace xlat {

std::string default_guest_dir() {
    if (const char* d = std::getenv("XLAT_GUEST_DIR"); d && *d) return d;
    if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/xlat/guest";
    if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/xlat/guest";
    return {};
}

std::string use_default_guest(Options& opt) {
    if (!opt.bios.empty() || !opt.kernel.empty()) return {};
    const std::string dir = default_guest_dir();
    const std::string kernel = dir + "/vmlinuz", initrd = dir + "/initrd.gz";
    if (dir.empty() || access(kernel.c_str(), R_OK) != 0 || access(initrd.c_str(), R_OK) != 0)
        return "no -bios or -kernel given and the default Linux guest is not built" +
               (dir.empty() ? std::string() : " in " + dir) + ": run roms/build-linux-guest (in xlat's sources) once";
    opt.kernel = kernel;
    opt.initrd = {initrd};
    opt.append = kDefaultGuestAppend;
    if (opt.serial.empty()) opt.serial = {"stdio"};
    return {};
}

} // namespace xlat
