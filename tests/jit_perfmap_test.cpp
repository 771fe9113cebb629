// --jit-perfmap (translator/perf_map.h): Linux perf's /tmp/perf-PID.map names every translated
// block by its guest address, so that a profile of a guest shows which guest code the samples in
// emitted code belong to. Checked here: one line per block translated, each line the block's own
// host range (inside the arena) and its linear EIP, the shared code first; the command line's
// file under the child's process ID; the option refused where there is no code to map.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "process_util.h"
#include "scratch_dir.h"
#include "test_machine.h"
#include "translator/perf_map.h"

using namespace xlat;
using namespace xlat_test;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;

struct MapLine {
    uintptr_t start = 0;
    size_t size = 0;
    std::string name;
};

std::vector<MapLine> read_map(const std::string& path) {
    std::vector<MapLine> lines;
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream is(line);
        MapLine m;
        is >> std::hex >> m.start >> m.size;
        std::getline(is >> std::ws, m.name);
        INFO("line: " << line);
        REQUIRE(!is.fail());
        lines.push_back(m);
    }
    return lines;
}

} // namespace

TEST_CASE("jit perf map: one line per translated block, its host code and its guest address", "[jit][perfmap]") {
    ScratchDir dir("perfmap");
    const std::string path = (dir.dir / "perf-test.map").string();
    PerfMap map(path);
    MachineConfig cfg = small_config();
    cfg.cpu_mode = CpuMode::Jit;
    cfg.jit_perf_map = &map;
    auto m = std::make_unique<Machine>(cfg);
    enter_flat32(*m, kCode, 0x30000);
    // Blocks: the loop's first turn, its body, and the MOV/JMP loop after it.
    const std::vector<uint8_t> code = assemble_at(kCode, [](ax::Assembler& a) {
        asmjit::Label top = a.newLabel(), out = a.newLabel();
        a.mov(ax::ecx, 1000);
        a.bind(top);
        a.add(ax::eax, ax::ecx);
        a.dec(ax::ecx);
        a.jnz(top);
        a.bind(out);
        a.mov(ax::ebx, ax::eax);
        a.jmp(out);  // back to the MOV: the run ends at the budget
    });
    m->phys.write_bytes(kCode, code.data(), code.size());
    m->run(20000);
    REQUIRE(m->jit);
    const JitStats& st = m->jit->stats();
    const std::vector<MapLine> lines = read_map(path);
    REQUIRE(st.blocks_translated >= 2);
    REQUIRE(lines.size() == 1 + st.blocks_translated);
    CHECK(map.lines() == lines.size());
    CHECK(map.failed() == 0);
    CHECK(lines[0].name == "xlat_jit_prologue_epilogue_thunks");
    CHECK(lines[0].size > 0);
    // Every block in the cache has its line: its code's address and size, named by its EIP
    // (CS base 0: linear = EIP).
    std::map<uintptr_t, MapLine> by_start;
    for (size_t i = 1; i < lines.size(); ++i) {
        CHECK(lines[i].start >= lines[0].start + lines[0].size);  // after the shared code
        by_start[lines[i].start] = lines[i];
    }
    size_t blocks = 0;
    m->jit->for_each_block([&](const Block& b) {
        ++blocks;
        INFO("block at " << std::hex << b.eip);
        const auto it = by_start.find(reinterpret_cast<uintptr_t>(b.code));
        REQUIRE(it != by_start.end());
        CHECK(it->second.size == b.code_size);
        char want[32];
        std::snprintf(want, sizeof want, "xlat:%08x", b.eip);
        CHECK(it->second.name == want);
    });
    CHECK(blocks == st.blocks_translated);
}

TEST_CASE("jit perf map: --jit-perfmap writes /tmp/perf-PID.map; refused with the interpreter", "[jit][perfmap][cli]") {
    const std::string xlat = XLAT_BINARY_DIR "/bin/xlat";
    const std::string demo = XLAT_BINARY_DIR "/roms/demo.bin";
    ProcessResult r = run_process({xlat, "-bios", demo, "--jit-perfmap", "--jit-hot-runs", "1", "-debugcon", "none",
                                   "--max-insns", "2000000"}, 60);
    INFO(describe(r));
    REQUIRE(r.pid > 0);
    const std::string path = "/tmp/perf-" + std::to_string(r.pid) + ".map";
    const std::vector<MapLine> lines = read_map(path);
    std::remove(path.c_str());
    CHECK(r.term_signal == 0);
    REQUIRE(lines.size() >= 2);
    CHECK(lines[0].name == "xlat_jit_prologue_epilogue_thunks");
    for (size_t i = 1; i < lines.size(); ++i) {
        INFO(lines[i].name);
        CHECK(lines[i].name.rfind("xlat:", 0) == 0);
        CHECK(lines[i].name.size() == 13);
        CHECK(lines[i].size > 0);
    }

    ProcessResult bad = run_process({xlat, "-bios", demo, "--cpu-mode", "interp", "--jit-perfmap"}, 60);
    INFO(describe(bad));
    CHECK(bad.exit_status == 1);
    CHECK(bad.err.find("--jit-perfmap needs --cpu-mode jit") != std::string::npos);
}

TEST_CASE("jit perf map: a machine's executor is the same with and without the map", "[jit][perfmap]") {
    // Regression: setting the map was put between `if (jit mode) make the Jit` and its `else
    // interp.enable_blocks()`, so that a JIT machine without a map ran its interpreter steps from
    // the interpreter's own block cache (which nothing invalidated: stale code after a write,
    // the jit_smc tests and a Linux guest that ran freed init text) and an interpreter machine
    // ran without its blocks.
    ScratchDir dir("perfmap-exec");
    PerfMap map((dir.dir / "perf.map").string());
    for (PerfMap* with : {static_cast<PerfMap*>(nullptr), &map}) {
        MachineConfig cfg = small_config();
        cfg.jit_perf_map = with;
        cfg.cpu_mode = CpuMode::Jit;
        Machine j(cfg);
        CHECK(j.jit);
        CHECK_FALSE(j.interp.blocks_enabled());
        cfg.cpu_mode = CpuMode::Interp;
        Machine i(cfg);
        CHECK_FALSE(i.jit);
        CHECK(i.interp.blocks_enabled());
    }
}
