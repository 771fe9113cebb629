// Instruction conformance against tests captured from a real processor (../shared/conformance).
//
// Runs every test in place (the data is never copied into the repository), as its README says:
// real mode, plain RAM, one instruction per test including any exception delivery, registers and
// memory compared with the undefined flags masked. Prints a per-opcode pass table and requires
// each opcode file to pass at least 99.5% of its tests. Tests marked p6_uncertain are counted
// apart and do not fail the file.
//
// XLAT_CONFORMANCE_DIR overrides where the data is; XLAT_CONFORMANCE_VERBOSE=N prints the first N
// failures of each file in detail.
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "memory/mmu.h"
#include "memory/phys.h"
#include "translator/interp.h"
#include "translator/jit.h"
#include "test_machine.h"

using namespace xlat;
using json = nlohmann::json;

namespace {

std::string data_dir() {
    if (const char* env = std::getenv("XLAT_CONFORMANCE_DIR")) return env;
    return std::string(XLAT_SOURCE_DIR) + "/../shared/conformance/80286-real";
}

std::string gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return {};
    std::string out;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    gzclose(f);
    return out;
}

// A bare CPU over 16 MiB of plain RAM: no firmware, no holes, all ports read as ones.
struct Rig {
    Tracer tracer;
    PhysMem phys{16u << 20, false};
    Mmu mmu{phys};
    IoBus io;
    Cpu cpu{mmu, io, tracer};
    Interpreter interp{cpu};
    std::unique_ptr<Jit> jit = test_cpu_mode() == CpuMode::Jit ? std::make_unique<Jit>(cpu, interp, 4u << 20) : nullptr;
    void step() {
        if (jit) jit->step(); else interp.step();
    }
};

const char* kRegNames[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};  // Gpr order
const char* kSegNames[] = {"es", "cs", "ss", "ds"};                            // SegReg order

struct FileResult {
    std::string opcode, status;
    int tests = 0, passed = 0, uncertain = 0, uncertain_passed = 0;
    int string_faults = 0;  // tests compared without SI/DI/CX (is_286_string_fault)
    std::vector<std::string> failures;  // details of the first few
};

// Total of the per-mnemonic "#UD for lack of a table row" counters.
uint64_t unimplemented_count(const Cpu& c) {
    uint64_t n = 0;
    for (uint64_t v : c.stats.unimplemented) n += v;
    return n;
}

// Word string instructions (INSW, OUTSW, MOVSW, CMPSW, STOSW, LODSW, SCASW) that raise #GP for a
// word at offset 0xFFFF: the 286 has already advanced SI, DI and (under REP) CX for the faulting
// iteration, irregularly (REP STOSW takes 2 from CX, REPNE INSW runs on), while a P6 faults
// before the iteration so it can restart (SDM Vol. 2B, REP: "the registers reflect the
// completed iterations"). For these tests SI, DI and CX are left out of the comparison; the
// vector, the stack frame, CS:IP, the other registers and memory are still compared.
bool is_286_string_fault(const std::string& opcode, const json& t) {
    static const std::set<std::string> word_string = {"6D", "6F", "A5", "A7", "AB", "AD", "AF"};
    return word_string.count(opcode) && t.contains("exception") && t["exception"]["number"].get<int>() == 13;
}

// Runs one test; returns an empty string when it passes, else what differed.
std::string run_test(Rig& r, const json& t, uint32_t flags_mask, uint32_t de_mask, bool is_hlt_file,
                     bool skip_string_regs) {
    Cpu& c = r.cpu;
    uint8_t* ram = r.phys.ram();
    const json& ini = t["initial"];
    const json& iregs = ini["regs"];
    c.reset();
    c.s.cr0 &= ~(CR0_PE | CR0_TS | CR0_EM);
    for (unsigned i = 0; i < 8; ++i) c.s.set_reg32(i, iregs[kRegNames[i]].get<uint32_t>());
    for (unsigned i = 0; i < 4; ++i) {
        uint16_t sel = iregs[kSegNames[i]].get<uint16_t>();
        c.s.seg[i] = SegmentCache{uint32_t(sel) << 4, 0xFFFF, sel, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED)};
    }
    c.s.set_eip(iregs["ip"].get<uint32_t>());
    c.s.eflags = (iregs["flags"].get<uint32_t>() & 0x0FFF) | FIXED1;
    c.s.idtr = TableRegister{0, 0x3FF};
    c.mode_changed();
    r.mmu.flush_all();

    std::map<uint32_t, uint8_t> initial_ram;
    for (const json& p : ini["ram"]) {
        uint32_t a = p[0].get<uint32_t>();
        initial_ram[a] = p[1].get<uint8_t>();
        const uint8_t v = p[1].get<uint8_t>();
        r.phys.write_bytes(a, &v, 1);  // reported: the JIT drops blocks of the last test
    }
    // The windows a real-mode instruction can write: 64 KiB from each segment base.
    std::set<uint32_t> windows;
    for (unsigned i = 0; i < 4; ++i) windows.insert(c.s.seg[i].base);

    const uint64_t unimpl_before = unimplemented_count(c);
    const uint32_t start_ip = c.s.eip();
    const uint16_t start_cs = c.s.seg[CS].selector;
    r.step();
    // A REP string instruction may yield after a bounded number of iterations, leaving EIP on
    // itself so that interrupts can come in; run it to completion (the data's counts are small).
    const bool rep = t["name"].get<std::string>().find("rep") != std::string::npos;
    for (int guard = 0; rep && guard < 100000 && c.s.eip() == start_ip && c.s.seg[CS].selector == start_cs &&
                        c.reg16(ECX) != 0;
         ++guard)
        r.step();

    std::ostringstream err;
    if (unimplemented_count(c) != unimpl_before) err << "unimplemented (#UD); ";

    const json& fin = t["final"];
    const json& fregs = fin["regs"];
    auto expect_reg = [&](const char* name) -> uint32_t {
        return fregs.contains(name) ? fregs[name].get<uint32_t>() : iregs[name].get<uint32_t>();
    };
    for (unsigned i = 0; i < 8; ++i) {
        if (skip_string_regs && (i == ECX || i == ESI || i == EDI)) continue;
        uint32_t want = expect_reg(kRegNames[i]), got = c.reg16(i);
        if (want != got) err << kRegNames[i] << " " << std::hex << got << " want " << want << "; ";
        if (c.s.reg32(i) >> 16) err << kRegNames[i] << " upper half " << std::hex << (c.s.reg32(i) >> 16) << "; ";
    }
    for (unsigned i = 0; i < 4; ++i) {
        uint32_t want = expect_reg(kSegNames[i]), got = c.s.seg[i].selector;
        if (want != got) err << kSegNames[i] << " " << std::hex << got << " want " << want << "; ";
    }
    uint32_t want_ip = fregs.contains("ip") ? fregs["ip"].get<uint32_t>() : iregs["ip"].get<uint32_t>();
    if (!is_hlt_file) want_ip = (want_ip - 1) & 0xFFFF;
    if (c.s.eip() != want_ip) err << "ip " << std::hex << c.s.eip() << " want " << want_ip << "; ";
    const bool has_exc = t.contains("exception");
    const uint32_t m = (has_exc && t["exception"]["number"].get<int>() == 0) ? de_mask : flags_mask;
    uint32_t want_fl = expect_reg("flags") & m, got_fl = c.s.eflags & m;
    if (want_fl != got_fl) err << "flags " << std::hex << got_fl << " want " << want_fl << " (mask " << m << "); ";
    if (c.s.eflags & 0xFFFF0000u) err << "eflags upper bits " << std::hex << c.s.eflags << "; ";

    // Memory: final bytes present, other initial bytes unchanged, nothing else written.
    std::map<uint32_t, uint8_t> want_ram = initial_ram;
    for (const json& p : fin["ram"]) want_ram[p[0].get<uint32_t>()] = p[1].get<uint8_t>();
    uint32_t flags_addr = ~0u;
    if (has_exc) flags_addr = uint32_t(expect_reg("ss")) * 16 + ((expect_reg("sp") + 4) & 0xFFFF);
    for (auto& [a, v] : want_ram) {
        uint8_t mask = 0xFF;
        if (a == flags_addr) mask = uint8_t(m);
        else if (a == flags_addr + 1) mask = uint8_t(m >> 8);
        if ((ram[a] & mask) != (v & mask))
            err << "mem[" << std::hex << a << "] " << unsigned(ram[a]) << " want " << unsigned(v) << "; ";
    }
    for (auto& [a, v] : want_ram) { (void)v; ram[a] = 0; }
    for (uint32_t base : windows) {
        // Word-at-a-time scan for anything left nonzero (RAM is all zero between tests).
        for (uint32_t a = base & ~7u; a < base + 0x10000; a += 8) {
            uint64_t w;
            std::memcpy(&w, ram + a, 8);
            if (!w) continue;
            for (uint32_t b = a; b < a + 8; ++b)
                if (ram[b]) {
                    err << "stray write at " << std::hex << b << "; ";
                    ram[b] = 0;
                }
        }
    }
    return err.str();
}

} // namespace

TEST_CASE("80286 real-mode conformance: every opcode passes 99.5% of its tests", "[conformance]") {
    const std::string dir = data_dir();
    std::ifstream index_file(dir + "/index.json");
    if (!index_file) {
        WARN("conformance data not found at " << dir << ": skipped (CI has ../shared beside the clone)");
        return;
    }
    json index = json::parse(index_file);
    const uint32_t de_mask = index["de_flags_compare_mask"].get<uint32_t>();
    int verbose = std::getenv("XLAT_CONFORMANCE_VERBOSE") ? std::atoi(std::getenv("XLAT_CONFORMANCE_VERBOSE")) : 0;
    const char* only = std::getenv("XLAT_CONFORMANCE_ONLY");  // e.g. "F6.6" to run one file

    Rig rig;
    std::vector<FileResult> results;
    for (const json& f : index["files"]) {
        FileResult fr;
        fr.opcode = f["opcode"].get<std::string>();
        fr.status = f["status"].get<std::string>();
        if (only && fr.opcode != only) continue;
        const std::string text = gunzip(dir + "/" + f["file"].get<std::string>());
        REQUIRE(!text.empty());
        json tests = json::parse(text);
        const uint32_t mask = f["flags_compare_mask"].get<uint32_t>();
        const bool hlt = fr.opcode == "F4";
        for (const json& t : tests) {
            const bool string_fault = is_286_string_fault(fr.opcode, t);
            fr.string_faults += string_fault;
            std::string e = run_test(rig, t, mask, de_mask, hlt, string_fault);
            bool uncertain = t.contains("p6_uncertain");
            if (uncertain) {
                ++fr.uncertain;
                fr.uncertain_passed += e.empty();
                continue;
            }
            ++fr.tests;
            if (e.empty()) ++fr.passed;
            else if (int(fr.failures.size()) < std::max(verbose, 3))
                fr.failures.push_back(t["name"].get<std::string>() + " (idx " + std::to_string(t["idx"].get<int>()) +
                                      "): " + e);
        }
        results.push_back(std::move(fr));
    }

    // The per-opcode table.
    std::printf("\n%-6s %-12s %6s %6s %8s  %s\n", "opcode", "status", "tests", "passed", "rate", "p6-uncertain");
    int total = 0, passed = 0, string_faults = 0;
    std::vector<const FileResult*> below;
    for (const FileResult& fr : results) {
        double rate = fr.tests ? 100.0 * fr.passed / fr.tests : 100.0;
        std::printf("%-6s %-12s %6d %6d %7.2f%%", fr.opcode.c_str(), fr.status.c_str(), fr.tests, fr.passed, rate);
        if (fr.uncertain) std::printf("  %d/%d", fr.uncertain_passed, fr.uncertain);
        if (fr.string_faults) std::printf("  (%d #GP tests without SI/DI/CX)", fr.string_faults);
        std::printf("\n");
        string_faults += fr.string_faults;
        total += fr.tests;
        passed += fr.passed;
        if (rate < 99.5) below.push_back(&fr);
        if (verbose)
            for (const std::string& s : fr.failures) std::printf("    FAIL %s\n", s.c_str());
    }
    std::printf("total: %d/%d passed (%.3f%%), %zu of %zu opcode files below 99.5%%; "
                "%d word-string #GP tests compared without SI/DI/CX\n",
                passed, total, total ? 100.0 * passed / total : 0.0, below.size(), results.size(), string_faults);
    for (const FileResult* fr : below) {
        std::ostringstream msg;
        msg << "opcode " << fr->opcode << ": " << fr->passed << "/" << fr->tests << " passed";
        for (const std::string& s : fr->failures) msg << "\n  " << s;
        INFO(msg.str());
        CHECK(fr->passed * 1000 >= fr->tests * 995);
    }
    CHECK(!results.empty());
}
