// Run-time tracing (--trace LIST): one bit per subsystem, each line prefixed with its name.
// One Tracer per machine (Machine::tracer); the CPU, the MMU, the port bus and the devices hold
// a pointer or reference to it. It lives in the memory library because every other library
// links that one.
//
// Cost when a trace point is off: Tracer::on() is one load and one test of a mask that never
// changes during a run, so the branch predicts perfectly. log() tests the same bit first, but
// it is a call (variadic functions are not inlined); on a hot path (every instruction, every
// port access, every IRQ edge) test on() yourself and call log() inside the if.
#pragma once
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace xlat {

enum TraceFlag : uint32_t {
    kTraceInsn = 1u << 0,   // "insn": every executed instruction with its address and registers
    kTracePost = 1u << 1,   // "post": POST codes written to port 0x80
    kTraceIo = 1u << 2,     // "io": every port read and write, and the unclaimed ports
    kTraceInt = 1u << 3,    // "int": interrupts delivered (external, INT n), task switches
    kTraceCpu = 1u << 4,    // "cpu": mode changes, resets, #UD of unimplemented instructions
    kTraceTlb = 1u << 5,    // "tlb" (also "mmu"): TLB flushes
    kTraceDev = 1u << 6,    // "dev": device registers and commands not implemented (once each)
    kTraceGdb = 1u << 7,    // "gdb": GDB remote protocol packets, both ways
    kTraceQmp = 1u << 8,    // "qmp": QMP commands, answers and events; monitor commands
    kTraceExc = 1u << 9,    // "exc": exceptions raised by the CPU, with their error code
    kTracePic = 1u << 10,   // "pic": 8259 programming, IRQ edges, acknowledged vectors, EOIs
    kTracePit = 1u << 11,   // "pit": 8254 control words and counter loads
    kTraceAta = 1u << 12,   // "ata": ATA and ATAPI commands
    kTracePci = 1u << 13,   // "pci": PCI configuration space reads and writes
    kTraceJit = 1u << 14,   // "jit": blocks translated, chained and invalidated
    kTraceExec = 1u << 15,  // "exec": one line per instruction, in the form tools/trace-diff reads
    kTraceMmu = kTraceTlb,  // the old name
};

struct TraceName {
    const char* name;
    TraceFlag flag;
    const char* help;
};
inline constexpr TraceName kTraceNames[] = {
    {"exec", kTraceExec, "every instruction: EIP and all registers, for tools/trace-diff against QEMU's -d exec,cpu"},
    {"insn", kTraceInsn, "every instruction executed (address, disassembly, general registers)"},
    {"cpu", kTraceCpu, "resets, mode switches, unimplemented instructions"},
    {"int", kTraceInt, "interrupts as they are delivered (external, INT n) and task switches"},
    {"exc", kTraceExc, "exceptions as the CPU raises them (vector, error code, CR2)"},
    {"io", kTraceIo, "every port read and write with its value and device"},
    {"pic", kTracePic, "8259 initialization and commands, IRQ edges, acknowledged vectors"},
    {"pit", kTracePit, "8254 control words and counter loads"},
    {"ata", kTraceAta, "ATA and ATAPI commands with their registers"},
    {"pci", kTracePci, "PCI configuration space reads and writes"},
    {"jit", kTraceJit, "blocks translated, chained and invalidated"},
    {"tlb", kTraceTlb, "TLB flushes (also spelt mmu)"},
    {"post", kTracePost, "POST codes written to port 0x80, and the last one at exit"},
    {"dev", kTraceDev, "device registers and commands that are not implemented (once each)"},
    {"gdb", kTraceGdb, "GDB remote protocol packets received and sent (-gdb)"},
    {"qmp", kTraceQmp, "QMP commands, answers and events, and monitor commands"},
};

// The prefix a flag's lines carry ("?" for none or several bits).
const char* trace_name(TraceFlag f);

class Tracer {
public:
    uint32_t mask = 0;      // enabled TraceFlag bits
    FILE* out = stderr;     // where trace lines go
    // -dfilter: the linear addresses (CS.base + EIP, inclusive ranges) whose instructions the
    // per-instruction points (exec, insn) print, as QEMU's -dfilter does for its -d logs;
    // empty: every instruction.
    std::vector<std::pair<uint64_t, uint64_t>> pc_ranges;

    bool on(TraceFlag f) const { return mask & f; }
    // Same as on(): the spelling the brief of the jit trace point asked for.
    bool enabled(TraceFlag f) const { return mask & f; }
    // Whether an instruction at linear address `pc` passes -dfilter.
    bool pc_wanted(uint64_t pc) const {
        if (pc_ranges.empty()) return true;
        for (const auto& r : pc_ranges)
            if (pc >= r.first && pc <= r.second) return true;
        return false;
    }
    // One line "[name] text\n", written with one fwrite: the GDB stub, QMP and the monitor log
    // from their own threads. A line longer than 1 KiB is cut.
    void log(TraceFlag f, const char* fmt, ...) const __attribute__((format(printf, 3, 4)));
    void vlog(TraceFlag f, const char* fmt, va_list ap) const;
};

} // namespace xlat
