// xlat: command-line entry point.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <limits.h>
#include <memory>
#include <stdexcept>

#include "frontend/chardev.h"
#include "frontend/default_guest.h"
#include "frontend/explain.h"
#include "frontend/gdbstub.h"
#include "frontend/firmware.h"
#include "frontend/machine.h"
#include "frontend/screenshot.h"
#include "frontend/serial_options.h"
#include "frontend/linux_boot.h"
#include "frontend/monitor.h"
#include "frontend/qmp.h"
#include "frontend/multiboot.h"
#include "frontend/options.h"
#include "translator/perf_map.h"

using namespace xlat;

namespace {

constexpr const char* kVersion = "xlat 0.1.0";

// Where the debug console's bytes go on the host, and the first write error (errno), after which
// the rest is dropped and the run is stopped.
struct ConsoleOut {
    FILE* file = nullptr;
    std::string name;   // "stdout" or the file's path, for the error line
    int error = 0;      // errno of the first failed write or flush
    Cpu* cpu = nullptr; // stopped on the first error
    void fail() {
        if (error) return;
        error = errno ? errno : EIO;
        if (cpu) cpu->request_stop(StopReason::OutputError);
    }
    void put(char ch) {
        if (error) return;
        errno = 0;
        if (std::fputc(ch, file) == EOF) fail();
    }
    // Flushes (and closes a file): buffered bytes can fail only now.
    void close() {
        if (!file) return;
        errno = 0;
        if (std::fflush(file) != 0) fail();
        if (file != stdout && std::fclose(file) != 0) fail();
        file = nullptr;
    }
};

int run(int argc, char** argv) {
    Options opt = parse_options(argc, argv);
    if (opt.help) { std::fputs(opt.help_text.c_str(), stdout); return 0; }
    if (opt.version) { std::puts(kVersion); return 0; }
    if (opt.trace_help) { std::fputs(trace_help().c_str(), stdout); return 0; }

    // Neither -bios nor -kernel: the Linux guest of roms/build-linux-guest. When it is not built,
    // that error waits until the other options are checked.
    const std::string no_guest = use_default_guest(opt);

    MachineConfig cfg;
    cfg.ram_bytes = opt.ram_bytes;
    if (no_guest.empty()) cfg.firmware = firmware_for(opt);
    // The debug console's host side. A write that fails (a closed pipe: SIGPIPE is ignored, so
    // it fails with EPIPE; a full disk; file:/dev/full) ends the run with one line and status
    // kExitOutputError: the guest's output is what the run is for, and `xlat | head` should end
    // when head does.
    ConsoleOut con;
    if (opt.debugcon == "stdio") {
        con.file = stdout;
        con.name = "stdout";
    } else if (opt.debugcon.rfind("file:", 0) == 0) {
        con.name = opt.debugcon.substr(5);
        con.file = std::fopen(con.name.c_str(), "wb");
        if (!con.file) throw UsageError("cannot open debugcon file " + quote(con.name) + ": " + std::strerror(errno));
    }
    if (con.file) cfg.debugcon = [&con](char ch) { con.put(ch); };
    configure_drives(cfg, opt.drives, opt.boot);
    SerialBackends serial(opt.serial);
    for (unsigned i = 0; i < 4; ++i) cfg.serial_out[i] = serial.sink(i);
    cfg.no_reboot = opt.no_reboot;
    cfg.cpu_mode = opt.cpu_mode == "interp" ? CpuMode::Interp : CpuMode::Jit;
    if (opt.jit_cache_bytes) cfg.jit_cache_bytes = size_t(opt.jit_cache_bytes);
    cfg.jit_hot_runs = opt.jit_hot_runs ? opt.jit_hot_runs : Jit::kDefaultHotRuns;
    cfg.jit_disable = opt.jit_disable;
    cfg.jit_profile = opt.stats;  // block run counts cost a memory increment per block run
    std::unique_ptr<PerfMap> perf_map;  // before the machine: its Jit writes to it to the end
    if (opt.jit_perfmap) {
        try {
            perf_map = std::make_unique<PerfMap>();
        } catch (const std::runtime_error& e) {
            throw UsageError(e.what());
        }
        cfg.jit_perf_map = perf_map.get();
    }
    cfg.icount_shift = opt.icount_shift;
    try {
        cfg.rtc_start = rtc_start_time(opt.rtc_base, &cfg.rtc_start_ns);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    cfg.trace_mask = opt.trace_mask;
    cfg.trace_pc_ranges = opt.trace_pc_ranges;
    if (!opt.debug_break_insn.empty()) cfg.debug_break = mnemonic_from_name(opt.debug_break_insn);
    // -D FILE: the trace lines go there (closed when main returns).
    std::unique_ptr<FILE, int (*)(FILE*)> trace_file(nullptr, std::fclose);
    if (!opt.trace_file.empty()) {
        trace_file.reset(std::fopen(opt.trace_file.c_str(), "w"));
        if (!trace_file)
            throw UsageError("cannot open the trace file " + quote(opt.trace_file) + ": " + std::strerror(errno));
        cfg.trace_out = trace_file.get();
    }
    // The std VGA, by default when firmware from -bios boots (SeaBIOS runs the VGA BIOS from its
    // ROM BAR); its BIOS is read now so that a missing file is one line before anything runs.
    const bool firmware_boot = !opt.bios.empty() && opt.kernel.empty();
    std::string vga = opt.vga;
    if (vga.empty())
        vga = firmware_boot && (!opt.screenshot.empty() || access(opt.vgabios.c_str(), R_OK) == 0) ? "std" : "none";
    if (vga == "std") {
        cfg.vga = true;
        BootFile rom = BootFile::open(opt.vgabios, "VGA BIOS");
        if (rom.size() == 0 || rom.size() > (1u << 20)) throw UsageError("VGA BIOS '" + opt.vgabios + "' is empty or larger than 1 MiB");
        cfg.vga_rom.resize(size_t(rom.size()));
        rom.read(0, cfg.vga_rom.data(), cfg.vga_rom.size());
    } else if (!opt.screenshot.empty()) {
        throw UsageError("--screenshot needs a display: use -vga std");
    }

    if (!no_guest.empty()) throw UsageError(no_guest);
    // The kernel and its initrd or modules are opened before the machine is built.
    GuestKernel guest = GuestKernel::open(opt);

    cfg.debugcon_port = opt.debugcon_port;
    std::unique_ptr<Machine> machine;
    try {
        machine = std::make_unique<Machine>(cfg);
    } catch (const std::invalid_argument& e) {
        // A port claimed twice can only come from --debugcon-port naming a device's port.
        if (!std::strstr(e.what(), "already claimed")) throw;
        char port[8];
        std::snprintf(port, sizeof port, "0x%x", opt.debugcon_port);
        throw UsageError(std::string("--debugcon-port ") + port + " belongs to another device (" + e.what() + ")");
    }
    Machine& m = *machine;
    con.cpu = &m.cpu;
    guest.load(m, opt);
    // A kernel booted directly is booted again after every reset (the guest's reboot), from its
    // files as they are then, as QEMU's linuxboot option ROM does on each boot.
    if (!opt.kernel.empty())
        m.after_reset = [&m, &opt] {
            GuestKernel again = GuestKernel::open(opt);
            again.load(m, opt);
        };
    // Ctrl-A c on a serial console on stdio gives the keys to the human monitor (as QEMU's
    // mon:stdio). `-monitor stdio` beside a serial port on stdio is the same monitor, reached the
    // same way: one reader of stdin, which the escape key switches between the two (two readers
    // would each take some of the keys; QEMU refuses the pair). It outlives the readers.
    bool serial_on_stdio = false;
    for (const std::string& s : opt.serial) serial_on_stdio |= parse_serial_spec(s).kind == SerialSpec::Stdio;
    const bool monitor_on_terminal = opt.monitor == "stdio" && !serial_on_stdio;
    if (opt.monitor == "stdio" && serial_on_stdio)
        std::fputs("xlat: the monitor shares stdio with the serial console: Ctrl-A c switches between them\n", stderr);
    std::unique_ptr<Monitor> console_monitor;
    if (!monitor_on_terminal) {
        console_monitor = std::make_unique<Monitor>(m, nullptr, false);
        serial.monitor = [mon = console_monitor.get()](const std::string& line) { return mon->command(line); };
        serial.monitor_greeting = Monitor::greeting();
    }
    // The serial ports' readers and clock events use the machine: they stop before it goes,
    // however this function is left.
    struct SerialStop {
        SerialBackends& s;
        ~SerialStop() { s.close(); }
    } serial_stop{serial};
    serial.start(m, {&m.board.com1, &m.board.com2, &m.board.com3, &m.board.com4});
    // The GDB stub (and QMP, the monitor) talk to the machine from their own threads.
    std::unique_ptr<GdbStub> gdb;
    std::unique_ptr<Qmp> qmp;
    std::unique_ptr<Monitor> monitor;
    if (opt.start_stopped) m.start_paused();
    try {
        if (!opt.gdb.empty()) gdb = std::make_unique<GdbStub>(m, parse_listen_spec(opt.gdb, "-gdb"));
        if (!opt.qmp.empty()) qmp = std::make_unique<Qmp>(m, parse_listen_spec(opt.qmp, "-qmp"));
        if (monitor_on_terminal) monitor = std::make_unique<Monitor>(m, nullptr);
        else if (!opt.monitor.empty() && opt.monitor != "stdio") {
            const ListenSpec spec = parse_listen_spec(opt.monitor, "-monitor");
            monitor = std::make_unique<Monitor>(m, &spec);
        }
    } catch (const std::runtime_error& e) {
        throw UsageError(e.what());
    }
    Machine::Result r = m.run(opt.max_insns);
    // After they told their clients how the run ended (gdb's W packet, QMP's SHUTDOWN).
    gdb.reset();
    qmp.reset();
    monitor.reset();
    const int serial_error = serial.close();  // restores the terminal before anything is printed
    con.close();
    if (!opt.screenshot.empty() && m.board.vga) {
        const std::string problem = write_screenshot(*m.board.vga, opt.screenshot);
        if (!problem.empty()) std::fprintf(stderr, "xlat: %s\n", problem.c_str());
    }
    if (opt.trace_mask & kTracePost) std::fprintf(cfg.trace_out, "[post] last POST code %02x\n", m.devices.get<PostPort>("post")->last());
    if (opt.stats) std::fputs(m.describe_stats().c_str(), stderr);
    if (con.error) {  // whatever ended the run, its output is incomplete: say so first
        std::fprintf(stderr, "xlat: cannot write the debug console output to %s: %s\n", con.name.c_str(),
                     std::strerror(con.error));
        return kExitOutputError;
    }
    if (const int err = serial_error) {
        std::fprintf(stderr, "xlat: cannot write the serial output: %s\n", std::strerror(err));
        return kExitOutputError;
    }

    switch (r.reason) {
    case StopReason::ExitPort: return r.exit_status;
    case StopReason::Quit: return r.exit_status;  // gdb's kill, QMP's or the monitor's quit
    case StopReason::MaxInsns:
        std::fprintf(stderr, "xlat: stopped after --max-insns %llu instructions\n", (unsigned long long)opt.max_insns);
        return kExitMaxInsns;
    case StopReason::TripleFault:
        std::fprintf(stderr, "xlat: triple fault (-no-reboot given); CPU state:\n%s", m.describe_cpu().c_str());
        return kExitTripleFault;
    case StopReason::HaltForever:
        std::fprintf(stderr, "xlat: the CPU halted with nothing that could wake it (at %04x:%08x)\n",
                     m.cpu.s.seg[CS].selector, m.cpu.s.eip());
        return kExitHaltForever;
    default:
        std::fprintf(stderr, "xlat: internal error: run stopped for no reason\n");
        return kExitInternal;
    }
}

} // namespace

int main(int argc, char** argv) {
    // Writes to a closed pipe fail with EPIPE instead of killing xlat: ConsoleOut reports them.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        // `xlat explain ...`: the teaching report (frontend/explain.h).
        if (argc > 1 && std::strcmp(argv[1], "explain") == 0) return explain_main(argc - 1, argv + 1);
        return run(argc, argv);
    } catch (const BootError& e) {  // a file that cannot be used, named in the message
        std::fprintf(stderr, "xlat: %s\n", one_line(e.what()).c_str());
        return kExitBadInput;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "xlat: %s\n", one_line(e.what()).c_str());
        return kExitBadInput;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "xlat: out of host memory\n");
        return kExitInternal;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xlat: internal error: %s\n", one_line(e.what()).c_str());
        return kExitInternal;
    }
}
