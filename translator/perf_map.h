// Linux perf's map of JIT code (--jit-perfmap): one line "START SIZE NAME" (hex, no 0x) per
// translated block in /tmp/perf-PID.map, which `perf report` and `perf annotate` read to name
// samples that fall into anonymous executable memory. Without it every sample in emitted code is
// one unnamed address range; with it a profile of a guest lists its hot blocks by guest address
// (`xlat:00100290`), beside xlat's own functions. QEMU's -perfmap writes the same format.
//
// One file per process (perf finds it by the process ID), so one PerfMap is shared by every Jit
// of the process (several machines in one process): each line is one write(2) to a file opened
// with O_APPEND, so lines of different threads never interleave. A flushed arena reuses
// addresses: the later line for an address is the newer block (perf takes the last map entry
// covering a sample).
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <string>

namespace xlat {

class PerfMap {
public:
    // Opens (creates, appends to) `path`, by default /tmp/perf-<pid>.map. Throws
    // std::runtime_error with the reason when it cannot be opened.
    explicit PerfMap(const std::string& path = default_path());
    ~PerfMap();
    PerfMap(const PerfMap&) = delete;
    PerfMap& operator=(const PerfMap&) = delete;

    static std::string default_path();
    const std::string& path() const { return path_; }
    // One line for `size` bytes of host code at `code`. A failed write is counted, not thrown:
    // the map is a help for profiling, never a reason to stop a guest.
    void add(const void* code, size_t size, const std::string& name) noexcept;
    uint64_t lines() const { return lines_; }
    uint64_t failed() const { return failed_; }

private:
    std::string path_;
    int fd_ = -1;
    std::atomic<uint64_t> lines_{0};
    std::atomic<uint64_t> failed_{0};
};

} // namespace xlat
