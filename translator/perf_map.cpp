#include "translator/perf_map.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace xlat {

std::string PerfMap::default_path() { return "/tmp/perf-" + std::to_string(getpid()) + ".map"; }

PerfMap::PerfMap(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open the perf map " + path + ": " + std::strerror(errno));
}

PerfMap::~PerfMap() {
    if (fd_ >= 0) ::close(fd_);
}

void PerfMap::add(const void* code, size_t size, const std::string& name) noexcept {
    char line[256];
    const int n = std::snprintf(line, sizeof line, "%" PRIxPTR " %zx %s\n", reinterpret_cast<uintptr_t>(code), size,
                                name.c_str());
    if (n <= 0) {
        ++failed_;
        return;
    }
    const size_t len = size_t(n) < sizeof line ? size_t(n) : sizeof line - 1;
    if (len == sizeof line - 1) line[len - 1] = '\n';  // a name cut short still ends its line
    ssize_t w;
    do w = ::write(fd_, line, len);
    while (w < 0 && errno == EINTR);
    if (w == ssize_t(len)) ++lines_;
    else ++failed_;
}

} // namespace xlat
