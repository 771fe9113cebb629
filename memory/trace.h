// Run-time tracing (--trace LIST): one bit per subsystem, each line prefixed with its name.
// It lives in the memory library because every other library links that one.
#pragma once
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>

namespace xlat {

enum TraceFlag : uint32_t {
    kTraceInsn = 1u << 0,   // "insn": every executed instruction with its address and registers
    kTracePost = 1u << 1,   // "post": POST codes written to port 0x80
    kTraceIo = 1u << 2,     // "io": accesses to unclaimed ports (once per port)
    kTraceInt = 1u << 3,    // "int": interrupts and exceptions delivered
    kTraceCpu = 1u << 4,    // "cpu": mode changes, resets, #UD of unimplemented instructions
    kTraceMmu = 1u << 5,    // "mmu": TLB flushes
    kTraceDev = 1u << 6,    // "dev": device registers and commands not implemented (once each)
    kTraceGdb = 1u << 7,    // "gdb": GDB remote protocol packets, both ways
    kTraceQmp = 1u << 8,    // "qmp": QMP commands, answers and events; monitor commands
};

struct TraceName {
    const char* name;
    TraceFlag flag;
    const char* help;
};
inline constexpr TraceName kTraceNames[] = {
    {"insn", kTraceInsn, "every instruction executed (address, bytes, registers)"},
    {"post", kTracePost, "POST codes written to port 0x80, and the last one at exit"},
    {"io", kTraceIo, "reads and writes of ports no device claims (once per port)"},
    {"int", kTraceInt, "interrupts and exceptions as they are delivered"},
    {"cpu", kTraceCpu, "resets, mode switches, unimplemented instructions"},
    {"mmu", kTraceMmu, "TLB flushes"},
    {"dev", kTraceDev, "device registers and commands that are not implemented (once each)"},
    {"gdb", kTraceGdb, "GDB remote protocol packets received and sent (-gdb)"},
    {"qmp", kTraceQmp, "QMP commands, answers and events, and monitor commands"},
};

class Tracer {
public:
    uint32_t mask = 0;      // enabled TraceFlag bits
    FILE* out = stderr;     // where trace lines go

    bool on(TraceFlag f) const { return mask & f; }
    void log(TraceFlag f, const char* fmt, ...) const __attribute__((format(printf, 3, 4))) {
        if (!on(f)) return;
        const char* prefix = "?";
        for (const TraceName& n : kTraceNames)
            if (n.flag == f) prefix = n.name;
        // One write per line: the GDB stub, QMP and the monitor log from their own threads.
        char buf[1024];
        int n = std::snprintf(buf, sizeof buf, "[%s] ", prefix);
        va_list ap;
        va_start(ap, fmt);
        const int body = std::vsnprintf(buf + n, sizeof buf - size_t(n) - 1, fmt, ap);
        va_end(ap);
        if (body > 0) n += body;
        if (n > int(sizeof buf) - 2) n = int(sizeof buf) - 2;  // a long line is cut
        buf[n++] = '\n';
        std::fwrite(buf, 1, size_t(n), out);
    }
};

} // namespace xlat
