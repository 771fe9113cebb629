// xlat: command-line entry point.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits.h>

#include "frontend/machine.h"
#include "frontend/multiboot.h"
#include "frontend/options.h"

using namespace xlat;

namespace {

constexpr const char* kVersion = "xlat 0.1.0";

std::string default_firmware() {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return {};
    std::string dir(exe, size_t(n));
    dir.erase(dir.find_last_of('/'));
    return dir + "/../roms/demo.bin";
}

// Reads a whole file of at most `limit` bytes (a device such as /dev/zero or a huge file is
// refused instead of read forever).
std::vector<uint8_t> read_file(const std::string& path, const char* what, uint64_t limit) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw UsageError(std::string("cannot read ") + what + " '" + path + "': it is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno));
    std::vector<uint8_t> data;
    char buf[1 << 16];
    try {
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            data.insert(data.end(), buf, buf + in.gcount());
            if (data.size() > limit)
                throw UsageError(std::string(what) + " '" + path + "' is larger than " + std::to_string(limit >> 10) +
                                 " KiB (the most this machine could use)");
        }
    } catch (const std::ios_base::failure&) {  // libstdc++ may throw from underflow on a read error
        throw UsageError(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno));
    }
    if (in.bad()) throw UsageError(std::string("cannot read ") + what + " '" + path + "': " + std::strerror(errno));
    return data;
}

std::vector<uint8_t> read_firmware(const std::string& path) {
    std::vector<uint8_t> data = read_file(path, "firmware", 256u << 10);
    std::string problem = firmware_size_problem(data.size());
    if (!problem.empty()) throw UsageError("'" + path + "': " + problem);
    return data;
}

int run(int argc, char** argv) {
    Options opt = parse_options(argc, argv);
    if (opt.help) { std::fputs(opt.help_text.c_str(), stdout); return 0; }
    if (opt.version) { std::puts(kVersion); return 0; }

    MachineConfig cfg;
    cfg.ram_bytes = opt.ram_bytes;
    std::string bios = opt.bios.empty() ? default_firmware() : opt.bios;
    if (opt.bios.empty() && access(bios.c_str(), R_OK) != 0)
        throw UsageError("no firmware given and the demo ROM is not at " + bios + ": use -bios FILE");
    cfg.firmware = read_firmware(bios);
    FILE* con = nullptr;
    if (opt.debugcon == "stdio") con = stdout;
    else if (opt.debugcon.rfind("file:", 0) == 0) {
        std::string path = opt.debugcon.substr(5);
        con = std::fopen(path.c_str(), "wb");
        if (!con) throw UsageError("cannot open debugcon file '" + path + "': " + std::strerror(errno));
    }
    if (con) cfg.debugcon = [con](char ch) { std::fputc(ch, con); };
    cfg.no_reboot = opt.no_reboot;
    cfg.icount_shift = opt.icount_shift;
    try {
        cfg.rtc_start = rtc_start_time(opt.rtc_base);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    cfg.trace_mask = opt.trace_mask;

    // A Multiboot kernel and its modules are read (and checked) before the machine is built.
    std::vector<uint8_t> kernel;
    std::vector<BootModule> modules;
    if (!opt.kernel.empty()) {
        kernel = read_file(opt.kernel, "kernel", opt.ram_bytes);
        if (!is_multiboot(kernel))
            throw UsageError("'" + opt.kernel + "' is not a Multiboot kernel (no Multiboot header in its first 8 KiB)");
        for (const std::string& item : opt.initrd) {
            std::string file = item.substr(0, item.find(' '));
            modules.push_back(BootModule{read_file(file, "module", opt.ram_bytes), item});
        }
    }

    Machine m(cfg);
    if (!opt.kernel.empty()) {
        try {
            load_multiboot(m, kernel, opt.kernel + (opt.append.empty() ? "" : " " + opt.append), modules);
        } catch (const BootError& e) {
            throw UsageError("'" + opt.kernel + "': " + e.what());
        }
    }
    Machine::Result r = m.run(opt.max_insns);
    if (con) std::fflush(con);
    if (con && con != stdout) std::fclose(con);
    if (opt.trace_mask & kTracePost) std::fprintf(stderr, "[post] last POST code %02x\n", m.devices.get<PostPort>("post")->last());
    if (opt.stats) std::fputs(m.describe_stats().c_str(), stderr);

    switch (r.reason) {
    case StopReason::ExitPort: return r.exit_status;
    case StopReason::MaxInsns:
        std::fprintf(stderr, "xlat: stopped after --max-insns %llu instructions\n", (unsigned long long)opt.max_insns);
        return 124;
    case StopReason::TripleFault:
        std::fprintf(stderr, "xlat: triple fault (-no-reboot given); CPU state:\n%s", m.describe_cpu().c_str());
        return 125;
    case StopReason::HaltForever:
        std::fprintf(stderr, "xlat: the CPU halted with nothing that could wake it (at %04x:%08x)\n",
                     m.cpu.s.seg[CS].selector, m.cpu.s.eip);
        return 3;
    default:
        std::fprintf(stderr, "xlat: internal error: run stopped for no reason\n");
        return 2;
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "xlat: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "xlat: out of host memory\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xlat: internal error: %s\n", e.what());
        return 2;
    }
}
