// `xlat explain` (frontend/explain.h, docs/teaching.md).
//
// The report is built once as a JSON object (the --format json output) and the text and HTML
// forms are rendered from that object, so the three always show the same numbers.
#include "frontend/explain.h"

#include <Zydis/Zydis.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "cpu/mode.h"
#include "cpu/table.h"
#include "devices/rtc.h"
#include "frontend/bootfile.h"
#include "frontend/linux_boot.h"
#include "frontend/firmware.h"
#include "frontend/machine.h"
#include "frontend/multiboot.h"
#include "frontend/options.h"

namespace xlat {

using nlohmann::json;

namespace {

// ---- the sensitive-unprivileged instructions ----
//
// Popek and Goldberg (1974): a machine can be virtualized by trap-and-emulate when every
// sensitive instruction (one that reads or changes the machine's control state, or behaves
// differently by privilege level) is privileged, i.e. traps when run outside ring 0. On IA-32
// these do not trap at CPL > 0 (Robin and Irvine, USENIX Security 2000, list them), so a monitor
// that runs the guest kernel deprivileged never sees them. xlat never runs a guest instruction
// directly: each one is decoded and either translated or handed to its semantics function, which
// reads the guest's own CpuState (CPL, IOPL, GDTR, CR0, ...), never the host's.
struct SensitiveNote {
    const char* mnemonic;  // Zydis' lower-case name
    bool by_form;          // only some operand forms are sensitive (the count covers all forms)
    const char* note;
};

constexpr SensitiveNote kSensitive[] = {
    {"sgdt", false,
     "stores GDTR at any CPL without a fault (SDM Vol. 2B, SGDT; only CR4.UMIP makes it #GP), so a deprivileged "
     "kernel would read the monitor's GDT base; xlat's helper stores the guest's own GDTR from CpuState"},
    {"sidt", false,
     "stores IDTR at any CPL without a fault (SDM Vol. 2B, SIDT; only CR4.UMIP makes it #GP), exposing the monitor's "
     "IDT; xlat's helper stores the guest's own IDTR"},
    {"sldt", false,
     "stores the LDTR selector at any CPL in protected mode (#UD only in real and V86 mode), so the monitor's LDT "
     "would show; xlat's helper returns the guest's LDTR"},
    {"smsw", false,
     "stores CR0[15:0] (PE MP EM TS ET NE) at any CPL without a fault, showing bits a monitor changed for itself "
     "(TS for lazy FPU switching); xlat's helper reads the guest's CR0"},
    {"str", false,
     "stores the task register's selector at any CPL in protected mode, exposing the monitor's TSS; xlat's helper "
     "returns the guest's TR"},
    {"pushf", false,
     "pushes FLAGS with IF and IOPL at any CPL (only V86 mode with IOPL < 3 faults), so a deprivileged kernel sees "
     "the IF the monitor keeps; xlat pushes the guest's EFLAGS from CpuState"},
    {"pushfd", false,
     "pushes EFLAGS with IF and IOPL at any CPL (only V86 mode with IOPL < 3 faults), so a deprivileged kernel sees "
     "the IF the monitor keeps; xlat pushes the guest's EFLAGS from CpuState"},
    {"popf", false,
     "at CPL > 0 leaves IOPL unchanged and at CPL > IOPL leaves IF unchanged, silently, instead of faulting (SDM "
     "Vol. 2B, POPF): a deprivileged kernel's interrupt enable is lost with no trap; xlat's helper applies the "
     "guest's own CPL and IOPL"},
    {"popfd", false,
     "at CPL > 0 leaves IOPL unchanged and at CPL > IOPL leaves IF unchanged, silently, instead of faulting (SDM "
     "Vol. 2B, POPF): a deprivileged kernel's interrupt enable is lost with no trap; xlat's helper applies the "
     "guest's own CPL and IOPL"},
    {"lar", false,
     "checks the descriptor's DPL against CPL and RPL and clears ZF instead of faulting, so at a lowered CPL the "
     "kernel's own ring-0 segments look inaccessible; xlat's helper checks against the guest's CPL and tables"},
    {"lsl", false,
     "as LAR: the DPL check against CPL clears ZF instead of faulting, so a deprivileged kernel gets no limit for "
     "its own segments; xlat's helper checks against the guest's CPL and tables"},
    {"verr", false,
     "reports readability by comparing DPL with CPL and RPL, never faulting on the answer, so the answer changes "
     "when the kernel runs deprivileged; xlat's helper answers for the guest's CPL"},
    {"verw", false,
     "reports writability by comparing DPL with CPL and RPL, never faulting on the answer, so the answer changes "
     "when the kernel runs deprivileged; xlat's helper answers for the guest's CPL"},
    {"push", true,
     "PUSH CS/SS/DS/ES/FS/GS pushes a selector whose RPL shows the privilege level (CS.RPL is CPL), so a "
     "deprivileged kernel sees ring 1 or 3; xlat runs the guest at its own CPL in CpuState, so CS reads true "
     "(the count covers every PUSH form)"},
    {"pop", true,
     "POP SS/DS/ES/FS/GS checks the selector's RPL and DPL against CPL: a kernel's ring-0 selector faults or "
     "loads differently when deprivileged, and the fault does not say why; xlat's helper loads it for the guest's "
     "CPL (the count covers every POP form)"},
    {"mov", true,
     "MOV from a segment register reads a selector whose RPL shows CPL, and MOV to one checks RPL and DPL against "
     "CPL, with no trap from ring 3; xlat's segment rows (Form::Sreg, Form::SregLoad) run against the guest's CPL "
     "(the count covers every MOV form)"},
    {"call", true,
     "far CALL checks the target's DPL (conforming segments, call gates) against CPL and pushes CS with its RPL, "
     "so a deprivileged kernel's far call behaves as a user's without a trap; xlat's helper checks against the "
     "guest's CPL (the count covers near calls too)"},
    {"jmp", true,
     "far JMP checks the target's DPL and RPL against CPL (conforming segments, call gates, task gates), so a "
     "deprivileged kernel's far jump to its own code faults or changes meaning; xlat's helper checks against the "
     "guest's CPL (the count covers near jumps too)"},
    {"ret", true,
     "far RET compares the popped CS's RPL with CPL to choose a same-level return or an outer-level one that also "
     "pops SS:ESP, so a deprivileged kernel's return to itself is taken for a return outward; xlat's helper "
     "compares with the guest's CPL (the count covers near returns too)"},
    {"int", false,
     "INT n compares CPL with the gate's DPL and pushes CS with its RPL: run deprivileged, a kernel's INT n behaves "
     "as a user's and the frame shows the wrong ring; xlat delivers it through the guest's own IDT or IVT in a "
     "helper with the guest's CPL"},
    {"iret", false,
     "IRET pops FLAGS with POPF's silent IF/IOPL rules and compares the popped CS's RPL with CPL, so a "
     "deprivileged kernel's IRET to itself looks like an outer-level return and its IF change is dropped; xlat's "
     "helper runs it against the guest's CPL and IOPL"},
    {"iretd", false,
     "IRETD pops EFLAGS with POPF's silent IF/IOPL rules and compares the popped CS's RPL with CPL, so a "
     "deprivileged kernel's IRET to itself looks like an outer-level return and its IF change is dropped; xlat's "
     "helper runs it against the guest's CPL and IOPL"},
};

const SensitiveNote* find_sensitive(const std::string& m) {
    for (const SensitiveNote& s : kSensitive)
        if (m == s.mnemonic) return &s;
    return nullptr;
}

// SDM Vol. 3A, Table 6-1.
const char* vector_name(unsigned v) {
    static const char* const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
                                          "#TS", "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM",
                                          "#VE", "#CP"};
    return v < 32 && names[v] ? names[v] : "reserved";
}

std::string hex32(uint64_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08" PRIx64, v);
    return buf;
}

// ---- options ----

struct ExplainOptions {
    bool window = false;
    uint32_t from = 0;       // --from: linear address where the window starts
    uint64_t count = 0;      // --count: instructions in the window
    std::string format = "text";
    std::string out;         // -o FILE; empty: stdout
    std::vector<std::string> guest_args;  // the rest, for parse_options
};

uint64_t parse_number(const std::string& opt, const std::string& text, uint64_t max) {
    size_t used = 0;
    unsigned long long v = 0;
    try {
        if (text.empty() || text[0] == '-') throw std::invalid_argument("");
        v = std::stoull(text, &used, 0);
    } catch (const std::exception&) {
        used = 0;
    }
    if (!used || used != text.size() || v > max)
        throw UsageError(opt + ": " + quote(text) + " is not a number from 0 to " + std::to_string(max));
    return v;
}

ExplainOptions parse_explain(int argc, char** argv) {
    ExplainOptions eo;
    eo.guest_args.push_back("xlat");
    bool have_from = false, have_count = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i], value;
        bool has_value = false;
        const size_t eq = a.find('=');
        std::string name = a;
        if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
            has_value = true;
        }
        const bool ours = name == "--from" || name == "--count" || name == "--format" || name == "-o" ||
                          name == "--output";
        if (!ours) {
            eo.guest_args.push_back(a);
            continue;
        }
        if (!has_value) {
            if (i + 1 >= argc) throw UsageError("explain: " + name + " needs a value");
            value = argv[++i];
        }
        if (name == "--from") {
            eo.from = uint32_t(parse_number("--from", value, UINT32_MAX));
            have_from = true;
        } else if (name == "--count") {
            eo.count = parse_number("--count", value, UINT64_MAX);
            if (!eo.count) throw UsageError("--count: the window needs at least one instruction");
            have_count = true;
        } else if (name == "--format") {
            if (value != "text" && value != "json" && value != "html")
                throw UsageError("--format: " + quote(value) + " is not one of text, json, html");
            eo.format = value;
        } else {
            if (value.empty()) throw UsageError("-o: an empty file name");
            eo.out = value;
        }
    }
    if (have_from != have_count) throw UsageError("explain: --from and --count go together");
    eo.window = have_from;
    return eo;
}

// ---- one run ----

const char* stop_name(StopReason r) {
    switch (r) {
    case StopReason::ExitPort: return "exit port";
    case StopReason::MaxInsns: return "instruction limit";
    case StopReason::TripleFault: return "triple fault";
    case StopReason::HaltForever: return "halted for ever";
    case StopReason::Quit: return "quit";
    case StopReason::OutputError: return "output error";
    default: return "other";
    }
}

struct RunData {
    double seconds = 0;
    Machine::Result result{StopReason::None, 0, 0};
    uint64_t counted = 0;  // Machine::retired() over the measured part
    CpuStats stats;        // over the measured part
    JitRowCounts rows;     // JIT runs: instances translated native / as helper calls
    JitStats jit;
    json blocks = json::array();
};

DecodeMode block_mode(uint64_t key) {
    const uint32_t bits = mode_bits(key);
    if (!(bits & kModePE) || (bits & kModeVM)) return DecodeMode::Real16;
    return (bits & kModeCode32) ? DecodeMode::Prot32 : DecodeMode::Prot16;
}

// Host x86-64 disassembly of a translated block (asmjit has no disassembler: Zydis decodes it).
json host_listing(const uint8_t* code, size_t size) {
    json out = json::array();
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatter fmt;
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
    size_t off = 0;
    while (off < size) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        const uint64_t addr = uint64_t(reinterpret_cast<uintptr_t>(code + off));
        char text[160];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, size - off, &in, ops)) ||
            !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible, text,
                                                          sizeof text, addr, nullptr))) {
            out.push_back({{"offset", off}, {"text", "(bad)"}});
            break;
        }
        out.push_back({{"offset", off}, {"text", text}});
        off += in.length;
    }
    return out;
}

constexpr size_t kHotBlocks = 6;

// A block's runs and the guest instructions they ran (Block::insns_run: a superblock's runs
// through a side exit ran only part of it).
struct BlockRuns {
    uint64_t runs = 0, insns = 0;
};
BlockRuns block_runs(const Block& b) { return {b.runs, b.insns_run(b.runs, b.side_runs)}; }

json hot_blocks(const Machine& m, const std::unordered_map<const Block*, BlockRuns>& runs_before) {
    struct Hot {
        const Block* b;
        uint64_t runs, insns;
    };
    std::vector<Hot> hot;
    m.jit->for_each_block([&](const Block& b) {
        auto it = runs_before.find(&b);
        const BlockRuns now = block_runs(b), before = it == runs_before.end() ? BlockRuns{} : it->second;
        const uint64_t runs = now.runs - std::min(before.runs, now.runs);
        if (runs) hot.push_back({&b, runs, now.insns - std::min(before.insns, now.insns)});
    });
    std::sort(hot.begin(), hot.end(), [](const Hot& a, const Hot& b) {
        return a.insns != b.insns ? a.insns > b.insns : a.b->cs_base + a.b->eip < b.b->cs_base + b.b->eip;
    });
    if (hot.size() > kHotBlocks) hot.resize(kHotBlocks);
    Decoder dec(instruction_table());
    json out = json::array();
    for (const Hot& h : hot) {
        const Block& b = *h.b;
        json guest = json::array();
        const DecodeMode mode = block_mode(b.key);
        for (unsigned i = 0; i < b.ninsns; ++i) {
            const uint32_t off = b.eips[i] - b.eip;
            guest.push_back({{"linear", hex32(b.cs_base + b.eips[i])},
                             {"native", bool(b.native && b.native[i])},
                             {"text", dec.disassemble(b.host + off, b.insns[i].length, mode, b.cs_base + b.eips[i])}});
        }
        out.push_back({{"linear", hex32(b.cs_base + b.eip)},
                       {"cs_base", hex32(b.cs_base)},
                       {"eip", hex32(b.eip)},
                       {"runs", h.runs},
                       {"length", b.ninsns},
                       {"instructions", h.insns},
                       {"host_bytes", b.code_size},
                       {"guest", guest},
                       {"host", host_listing(static_cast<const uint8_t*>(b.code), b.code_size)}});
    }
    return out;
}

void subtract(CpuStats& a, const CpuStats& b) {
    for (size_t i = 0; i < a.executed.size(); ++i) a.executed[i] -= b.executed[i];
    for (size_t i = 0; i < 32; ++i) a.exceptions[i] -= b.exceptions[i];
    for (size_t i = 0; i < a.external.size(); ++i) a.external[i] -= b.external[i];
    a.interrupts -= b.interrupts;
    for (size_t i = 0; i < a.forms.size(); ++i) a.forms[i] -= b.forms[i];
    for (size_t i = 0; i < a.int_n.size(); ++i) a.int_n[i] -= b.int_n[i];
    a.undecodable -= b.undecodable;
    for (size_t i = 0; i < a.unimplemented.size(); ++i) a.unimplemented[i] -= b.unimplemented[i];
}

RunData run_guest(const Options& opt, CpuMode mode, const ExplainOptions& eo, bool echo_console) {
    MachineConfig cfg;
    cfg.cpu_mode = mode;
    cfg.ram_bytes = opt.ram_bytes;
    cfg.firmware = firmware_for(opt);
    // The guest's own output of the first run goes to stderr: the report owns stdout.
    if (echo_console && opt.debugcon != "none") cfg.debugcon = [](char ch) { std::fputc(ch, stderr); };
    cfg.debugcon_port = opt.debugcon_port;
    configure_drives(cfg, opt.drives, opt.boot);
    cfg.no_reboot = opt.no_reboot;
    if (opt.jit_cache_bytes) cfg.jit_cache_bytes = size_t(opt.jit_cache_bytes);
    cfg.jit_hot_runs = opt.jit_hot_runs ? opt.jit_hot_runs : 1;  // what the translator makes of every block
    cfg.icount_shift = opt.icount_shift;
    try {
        cfg.rtc_start = rtc_start_time(opt.rtc_base, &cfg.rtc_start_ns);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    GuestKernel guest = GuestKernel::open(opt);
    auto machine = std::make_unique<Machine>(cfg);
    Machine& m = *machine;
    m.cpu.count_forms = true;  // MOV Sreg, far CALL/JMP/RET, PUSH/POP Sreg, INT n by vector
    guest.load(m, opt);

    RunData d;
    CpuStats before{};
    uint64_t counted_before = 0;
    std::unordered_map<const Block*, BlockRuns> runs_before;
    bool reached = false;  // out here: the listener below outlives the window's first run
    if (eo.window) {
        // The debugger's breakpoint finds the window's first instruction (invisible to the guest:
        // cpu/debug_stops.h). At the stop the breakpoint goes, and a Quit stop ends this first
        // Machine::run before another instruction runs; the second run counts the window.
        m.cpu.debugger.breakpoints.push_back(eo.from);
        m.cpu.debugger_changed();
        m.add_listener([&](const Machine::RunEvent& e) {
            if (reached || e.kind != Machine::RunEvent::Stop || e.cause != Machine::PauseCause::Debug) return;
            reached = true;
            m.cpu.debugger = DebugStops{};
            m.cpu.debugger_changed();
            m.resume();
            m.cpu.request_stop(StopReason::Quit);
        });
        const Machine::Result r = m.run(opt.max_insns);
        if (!reached)
            throw UsageError("the guest never ran the instruction at --from " + hex32(eo.from) + " (its run ended: " +
                             stop_name(r.reason) + ")");
        before = m.cpu.stats;
        counted_before = m.retired();
        if (m.jit) m.jit->for_each_block([&](const Block& b) { runs_before[&b] = block_runs(b); });
    }
    const auto t0 = std::chrono::steady_clock::now();
    d.result = m.run(eo.window ? eo.count : opt.max_insns);
    d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    d.counted = m.retired() - counted_before;
    d.stats = m.cpu.stats;
    subtract(d.stats, before);
    if (m.jit) {
        d.rows = m.jit->row_counts();
        d.jit = m.jit->stats();
        d.blocks = hot_blocks(m, runs_before);
    }
    return d;
}

// ---- the report ----

const char* classify(ZydisMnemonic mn, const JitRowCounts& rows) {
    const std::string name = ZydisMnemonicGetString(mn);
    const SensitiveNote* s = find_sensitive(name);
    if (s && !s->by_form) return "sensitive-unprivileged";
    const InsnRow* row = instruction_table().find(mn, Form::Any);
    if (row && (row->facts & kPrivileged)) return "privileged";
    if (rows.native[mn]) return "native";
    return "helper";
}

json exceptions_json(const CpuStats& st) {
    json ex = json::object();
    for (unsigned v = 0; v < 32; ++v)
        if (st.exceptions[v]) ex[std::to_string(v)] = {{"name", vector_name(v)}, {"count", st.exceptions[v]}};
    return ex;
}

json interrupts_json(const CpuStats& st) {
    json ext = json::object();
    uint64_t external = 0;
    for (unsigned v = 0; v < 256; ++v)
        if (st.external[v]) {
            ext[std::to_string(v)] = st.external[v];
            external += st.external[v];
        }
    // CpuStats::interrupts counts INT n and external deliveries together.
    return {{"external", ext}, {"software", st.interrupts >= external ? st.interrupts - external : 0},
            {"total", st.interrupts}};
}

std::string hex8(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", v & 0xFF);
    return buf;
}

// For a mnemonic that covers sensitive and plain forms, how many of each ran: {"sreg": n,
// "plain": m} or {"far": n, "near": m} (null for the others). The sensitive forms are counted as
// they retire (Cpu::count_forms); the plain ones are the rest of the mnemonic's count.
json form_counts(ZydisMnemonic mn, const CpuStats& st, uint64_t total) {
    auto f = [&](SensitiveForm x) { return st.forms[size_t(x)]; };
    auto split = [total](const char* sens, uint64_t n, const char* plain) {
        return json{{sens, n}, {plain, total >= n ? total - n : 0}};
    };
    switch (mn) {
    case ZYDIS_MNEMONIC_MOV: {
        json j = split("sreg", f(SensitiveForm::MovFromSreg) + f(SensitiveForm::MovToSreg), "plain");
        j["from_sreg"] = f(SensitiveForm::MovFromSreg);
        j["to_sreg"] = f(SensitiveForm::MovToSreg);
        return j;
    }
    case ZYDIS_MNEMONIC_PUSH: return split("sreg", f(SensitiveForm::PushSreg), "plain");
    case ZYDIS_MNEMONIC_POP: return split("sreg", f(SensitiveForm::PopSreg), "plain");
    case ZYDIS_MNEMONIC_CALL: return split("far", f(SensitiveForm::FarCall), "near");
    case ZYDIS_MNEMONIC_JMP: return split("far", f(SensitiveForm::FarJmp), "near");
    case ZYDIS_MNEMONIC_RET: return split("far", f(SensitiveForm::FarRet), "near");
    default: return json();
    }
}

json run_json(const RunData& d) {
    return {{"seconds", d.seconds},
            {"stop", stop_name(d.result.reason)},
            {"exit_status", d.result.exit_status},
            {"instructions_counted", d.counted}};
}

json build_report(const ExplainOptions& eo, const std::vector<std::string>& args, const RunData& jit,
                  const RunData& interp) {
    json r;
    std::string cmd = "xlat explain";
    for (size_t i = 1; i < args.size(); ++i) cmd += " " + args[i];
    r["command"] = cmd;
    if (eo.window) r["window"] = {{"from", hex32(eo.from)}, {"count", eo.count}};
    json insns = json::array();
    uint64_t total = 0;
    for (size_t m = 0; m < jit.stats.executed.size(); ++m) {
        const uint64_t cj = jit.stats.executed[m], ci = interp.stats.executed[m];
        if (!cj && !ci) continue;
        const ZydisMnemonic mn = ZydisMnemonic(m);
        const std::string name = ZydisMnemonicGetString(mn);
        json row = {{"mnemonic", name},
                    {"class", classify(mn, jit.rows)},
                    {"count", cj},
                    {"count_interp", ci},
                    {"translated_native", jit.rows.native[m]},
                    {"translated_helper", jit.rows.helper[m]}};
        if (const SensitiveNote* s = find_sensitive(name)) {
            row["sensitive_note"] = s->note;
            if (s->by_form) row["sensitive_forms_only"] = true;
        }
        if (json f = form_counts(mn, jit.stats, cj); !f.is_null()) row["forms"] = f;
        total += cj;
        insns.push_back(row);
    }
    std::stable_sort(insns.begin(), insns.end(), [](const json& a, const json& b) {
        return a["count"].get<uint64_t>() > b["count"].get<uint64_t>();
    });
    r["instructions"] = insns;
    r["instructions_total"] = total;
    json intn = json::object();
    for (unsigned v = 0; v < 256; ++v)
        if (jit.stats.int_n[v]) intn[hex8(v)] = jit.stats.int_n[v];
    r["int_n"] = intn;
    r["exceptions"] = exceptions_json(jit.stats);
    r["interrupts"] = interrupts_json(jit.stats);
    r["blocks"] = jit.blocks;
    r["time"] = {{"jit_s", jit.seconds}, {"interp_s", interp.seconds},
                 {"speedup", jit.seconds > 0 ? interp.seconds / jit.seconds : 0.0}};
    r["runs"] = {{"jit", run_json(jit)}, {"interp", run_json(interp)}};
    r["jit"] = {{"blocks_translated", jit.jit.blocks_translated}, {"insns_translated", jit.jit.insns_translated},
                {"blocks_run", jit.jit.blocks_run}, {"interpreter_steps", jit.jit.interp_steps}};
    json notes = json::array();
    for (const SensitiveNote& s : kSensitive) notes.push_back({{"mnemonic", s.mnemonic}, {"forms_only", s.by_form},
                                                              {"note", s.note}});
    r["sensitive_unprivileged"] = notes;
    return r;
}

std::string u64(const json& j) { return std::to_string(j.get<uint64_t>()); }

std::string render_text(const json& r) {
    std::ostringstream o;
    char buf[512];
    o << "xlat explain: " << r["command"].get<std::string>() << "\n";
    if (r.contains("window"))
        o << "window: " << u64(r["window"]["count"]) << " instructions from linear "
          << r["window"]["from"].get<std::string>() << "\n";
    const json& t = r["time"];
    std::snprintf(buf, sizeof buf, "wall time: jit %.6f s, interp %.6f s (interp/jit %.2f)\n", t["jit_s"].get<double>(),
                  t["interp_s"].get<double>(), t["speedup"].get<double>());
    o << buf;
    for (const char* k : {"jit", "interp"}) {
        const json& run = r["runs"][k];
        o << "  " << k << " run ended by " << run["stop"].get<std::string>() << ", status "
          << run["exit_status"].get<int>() << ", " << u64(run["instructions_counted"]) << " instructions counted\n";
    }
    o << "\ninstructions retired (jit run): " << u64(r["instructions_total"]) << "\n";
    std::snprintf(buf, sizeof buf, "  %-12s %-24s %12s %12s %10s %10s\n", "mnemonic", "class", "count", "interp",
                  "tr.native", "tr.helper");
    o << buf;
    for (const json& i : r["instructions"]) {
        std::snprintf(buf, sizeof buf, "  %-12s %-24s %12s %12s %10s %10s\n", i["mnemonic"].get<std::string>().c_str(),
                      i["class"].get<std::string>().c_str(), u64(i["count"]).c_str(), u64(i["count_interp"]).c_str(),
                      u64(i["translated_native"]).c_str(), u64(i["translated_helper"]).c_str());
        o << buf;
    }
    o << "\nsensitive but unprivileged (Popek and Goldberg): how xlat catches what ran\n";
    bool any = false;
    for (const json& i : r["instructions"]) {
        if (!i.contains("sensitive_note")) continue;
        any = true;
        o << "  " << i["mnemonic"].get<std::string>() << " (" << u64(i["count"]);
        if (i.contains("forms"))
            for (auto& [k, v] : i["forms"].items())
                if (k != "from_sreg" && k != "to_sreg") o << ", " << k << " " << u64(v);
        o << "): " << i["sensitive_note"].get<std::string>() << "\n";
    }
    if (!any) o << "  (none ran)\n";
    o << "\nexceptions by vector:\n";
    if (r["exceptions"].empty()) o << "  (none)\n";
    for (auto& [v, e] : r["exceptions"].items())
        o << "  " << v << " " << e["name"].get<std::string>() << ": " << u64(e["count"]) << "\n";
    const json& irq = r["interrupts"];
    o << "interrupts: " << u64(irq["total"]) << " (software " << u64(irq["software"]) << ")\n";
    for (auto& [v, c] : r["int_n"].items()) o << "  INT " << v << ": " << u64(c) << "\n";
    for (auto& [v, c] : irq["external"].items()) o << "  external vector " << v << ": " << u64(c) << "\n";
    o << "\nhottest blocks (instructions executed = runs x length):\n";
    for (const json& b : r["blocks"]) {
        o << "\nblock at " << b["linear"].get<std::string>() << ": " << u64(b["runs"]) << " runs x "
          << u64(b["length"]) << " = " << u64(b["instructions"]) << " instructions; " << u64(b["host_bytes"])
          << " host bytes\n";
        const json& g = b["guest"];
        const json& h = b["host"];
        const size_t n = std::max(g.size(), h.size());
        std::snprintf(buf, sizeof buf, "  %-52s | %s\n", "guest (N native, h helper call)", "host (x86-64)");
        o << buf;
        for (size_t i = 0; i < n; ++i) {
            std::string left, right;
            if (i < g.size())
                left = g[i]["linear"].get<std::string>().substr(2) + (g[i]["native"].get<bool>() ? " N " : " h ") +
                       g[i]["text"].get<std::string>();
            if (i < h.size()) right = "+" + std::to_string(h[i]["offset"].get<uint64_t>()) + "  " +
                                      h[i]["text"].get<std::string>();
            std::snprintf(buf, sizeof buf, "  %-52s | %s\n", left.c_str(), right.c_str());
            o << buf;
        }
    }
    return o.str();
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

const char* class_color(const std::string& c) {
    if (c == "native") return "#2e7d32";
    if (c == "helper") return "#1565c0";
    if (c == "privileged") return "#ef6c00";
    return "#c62828";  // sensitive-unprivileged
}

// One self-contained page: inline CSS and an inline SVG bar chart, no scripts.
std::string render_html(const json& r) {
    std::ostringstream o;
    char buf[512];
    o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>xlat explain</title>\n"
         "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}"
         "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}td.n{text-align:right;font-family:monospace}"
         "pre{margin:0;font-size:12px}.cls{color:#fff;padding:0 4px;border-radius:3px}</style></head><body>\n";
    o << "<h1>xlat explain</h1>\n<p><code>" << html_escape(r["command"].get<std::string>()) << "</code></p>\n";
    if (r.contains("window"))
        o << "<p>Window: " << u64(r["window"]["count"]) << " instructions from linear "
          << r["window"]["from"].get<std::string>() << ".</p>\n";
    const json& t = r["time"];
    std::snprintf(buf, sizeof buf,
                  "<h2>Time</h2>\n<table id=\"time\"><tr><th>run</th><th>wall time (s)</th></tr>"
                  "<tr><td>jit</td><td class=\"n\" id=\"jit_s\">%.6f</td></tr><tr><td>interp</td>"
                  "<td class=\"n\" id=\"interp_s\">%.6f</td></tr></table>\n",
                  t["jit_s"].get<double>(), t["interp_s"].get<double>());
    o << buf;
    // The bar chart: the 25 most executed mnemonics, coloured by class.
    const json& insns = r["instructions"];
    const size_t bars = std::min<size_t>(insns.size(), 25);
    uint64_t top = 1;
    for (size_t i = 0; i < bars; ++i) top = std::max(top, insns[i]["count"].get<uint64_t>());
    const int row_h = 18, label_w = 90, chart_w = 520;
    o << "<h2>Instructions retired</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << label_w + chart_w + 120
      << "\" height=\"" << bars * row_h + 10 << "\" font-size=\"12\" font-family=\"monospace\">\n";
    for (size_t i = 0; i < bars; ++i) {
        const json& in = insns[i];
        const uint64_t c = in["count"].get<uint64_t>();
        const int w = std::max(1, int(double(c) / double(top) * chart_w));
        const int y = int(i) * row_h + 4;
        o << "<text x=\"0\" y=\"" << y + 12 << "\">" << html_escape(in["mnemonic"].get<std::string>()) << "</text>"
          << "<rect x=\"" << label_w << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << row_h - 4
          << "\" fill=\"" << class_color(in["class"].get<std::string>()) << "\"/>"
          << "<text x=\"" << label_w + w + 4 << "\" y=\"" << y + 12 << "\">" << c << "</text>\n";
    }
    o << "</svg>\n<table id=\"instructions\"><tr><th>mnemonic</th><th>class</th><th>count (jit)</th>"
         "<th>count (interp)</th><th>translated native</th><th>translated as helper call</th></tr>\n";
    for (const json& in : insns) {
        const std::string cls = in["class"].get<std::string>();
        o << "<tr><td>" << html_escape(in["mnemonic"].get<std::string>()) << "</td><td><span class=\"cls\" style=\"background:"
          << class_color(cls) << "\">" << cls << "</span></td><td class=\"n\">" << u64(in["count"])
          << "</td><td class=\"n\">" << u64(in["count_interp"]) << "</td><td class=\"n\">" << u64(in["translated_native"])
          << "</td><td class=\"n\">" << u64(in["translated_helper"]) << "</td></tr>\n";
    }
    o << "</table>\n<h2>Sensitive but unprivileged: how xlat catches them</h2>\n<table id=\"sensitive\">"
         "<tr><th>mnemonic</th><th>count</th><th>why trap-and-emulate misses it, and what xlat does</th></tr>\n";
    for (const json& in : insns)
        if (in.contains("sensitive_note"))
            o << "<tr><td>" << html_escape(in["mnemonic"].get<std::string>()) << "</td><td class=\"n\">"
              << u64(in["count"]) << "</td><td>" << html_escape(in["sensitive_note"].get<std::string>()) << "</td></tr>\n";
    o << "</table>\n<h2>Exceptions and interrupts</h2>\n<table id=\"exceptions\"><tr><th>vector</th><th>name</th>"
         "<th>count</th></tr>\n";
    for (auto& [v, e] : r["exceptions"].items())
        o << "<tr><td>" << v << "</td><td>" << e["name"].get<std::string>() << "</td><td class=\"n\">"
          << u64(e["count"]) << "</td></tr>\n";
    o << "</table>\n<p>Interrupts delivered: " << u64(r["interrupts"]["total"]) << " (software "
      << u64(r["interrupts"]["software"]) << ")</p>\n<h2>Hottest blocks</h2>\n";
    for (const json& b : r["blocks"]) {
        o << "<h3>" << b["linear"].get<std::string>() << ": " << u64(b["runs"]) << " runs &times; " << u64(b["length"])
          << " = " << u64(b["instructions"]) << " instructions</h3>\n<table><tr><th>guest (N native, h helper call)</th><th>host x86-64 ("
          << u64(b["host_bytes"]) << " bytes)</th></tr><tr><td><pre>";
        for (const json& g : b["guest"])
            o << g["linear"].get<std::string>().substr(2) << (g["native"].get<bool>() ? " N " : " h ")
              << html_escape(g["text"].get<std::string>()) << "\n";
        o << "</pre></td><td><pre>";
        for (const json& h : b["host"])
            o << "+" << h["offset"].get<uint64_t>() << "  " << html_escape(h["text"].get<std::string>()) << "\n";
        o << "</pre></td></tr></table>\n";
    }
    o << "</body></html>\n";
    return o.str();
}

} // namespace

const char* explain_sensitive_note(const std::string& mnemonic) {
    const SensitiveNote* s = find_sensitive(mnemonic);
    return s ? s->note : "";
}

int explain_main(int argc, char** argv) {
    ExplainOptions eo = parse_explain(argc, argv);
    std::vector<const char*> args;
    for (const std::string& a : eo.guest_args) args.push_back(a.c_str());
    Options opt = parse_options(int(args.size()), args.data());
    if (opt.help) {
        std::fputs("usage: xlat explain [--from ADDR --count N] [--format text|json|html] [-o FILE] [guest options]\n"
                   "Runs the guest under the JIT and under the interpreter and reports what ran (docs/teaching.md).\n"
                   "The guest options are xlat's:\n", stdout);
        std::fputs(opt.help_text.c_str(), stdout);
        return 0;
    }
    if (!opt.gdb.empty() || !opt.qmp.empty() || !opt.monitor.empty() || opt.start_stopped)
        throw UsageError("explain: -gdb, -s, -S, -qmp and -monitor are not for explain runs");
    // Checked before the runs, so that a bad -o costs no guest time.
    std::ofstream file;
    if (!eo.out.empty()) {
        file.open(eo.out, std::ios::binary | std::ios::trunc);
        if (!file) throw UsageError("cannot open " + quote(eo.out) + ": " + std::strerror(errno));
    }
    const RunData jit = run_guest(opt, CpuMode::Jit, eo, true);
    const RunData interp = run_guest(opt, CpuMode::Interp, eo, false);
    const json report = build_report(eo, eo.guest_args, jit, interp);
    std::string text = eo.format == "json" ? report.dump(1) + "\n"
                       : eo.format == "html" ? render_html(report)
                                             : render_text(report);
    if (eo.out.empty()) {
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
            std::fprintf(stderr, "xlat: cannot write the report: %s\n", std::strerror(errno));
            return kExitOutputError;
        }
    } else {
        file.write(text.data(), std::streamsize(text.size()));
        file.close();
        if (!file) {
            std::fprintf(stderr, "xlat: cannot write %s\n", quote(eo.out).c_str());
            return kExitOutputError;
        }
    }
    return 0;
}

} // namespace xlat
