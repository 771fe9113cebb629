// The run loop on a Machine: --max-insns counts over resets, a REP string instruction counts
// one per iteration and stops between iterations exactly at the budget (and resumes), a fault
// inside a REP keeps the registers of the completed iterations, a REP over memory with nothing
// behind it translates once per page, and the exit port answers on 0xF4-0xF7 as QEMU's.
#include <catch2/catch.hpp>

#include <memory>

#include "frontend/machine.h"
#include "runloop_roms.h"
#include "test_machine.h"

using namespace xlat;
using namespace xlat_test;

namespace {

std::unique_ptr<Machine> machine(const std::vector<uint8_t>& firmware, bool no_reboot = true) {
    MachineConfig cfg;
    cfg.cpu_mode = test_cpu_mode();
    cfg.ram_bytes = 16u << 20;
    cfg.firmware = firmware;
    cfg.no_reboot = no_reboot;
    return std::make_unique<Machine>(cfg);
}

// LIDT with limit 0, then INT3: #BP, #GP and #DF find no IDT entry: a triple fault.
const std::vector<uint8_t> kTripleCode = {0x2E, 0x0F, 0x01, 0x1E, 0xFA, 0xFF, 0xCC, 0xEB, 0xFE, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

// The payload's tail: mov al, 0 / out 0F4h, al (exit status 1).
void emit_exit(std::vector<uint8_t>& code) { emit(code, {0xB0, 0x00, 0xE6, 0xF4}); }

} // namespace

TEST_CASE("runloop: --max-insns counts over the resets of a triple-fault loop", "[runloop]") {
    auto m = machine(reset_vector_rom(kTripleCode), /*no_reboot=*/false);
    Machine::Result r = m->run(100000);
    CHECK(r.reason == StopReason::MaxInsns);
    CHECK(m->retired() == 100000);
    CHECK(r.resets > 1000);  // three instructions (LIDT, INT3 and its faults) per reset
    // A second run gets a budget of its own.
    r = m->run(500);
    CHECK(r.reason == StopReason::MaxInsns);
    CHECK(m->retired() == 100500);
}

TEST_CASE("runloop: the protected-mode test ROM reaches its payload", "[runloop]") {
    std::vector<uint8_t> code;
    emit_exit(code);
    auto m = machine(pm_paging_rom(code));
    Machine::Result r = m->run(1000);
    REQUIRE(r.reason == StopReason::ExitPort);
    CHECK(r.exit_status == 1);
    CHECK(m->retired() == kPmSetupInsns + 2);
}

TEST_CASE("runloop: each REP iteration counts one instruction", "[runloop]") {
    // mov ecx, N / mov esi, 0x2000 / mov edi, 0x3000 / cld / <rep op> / exit
    auto counted = [](std::initializer_list<uint8_t> rep_op, uint32_t n, bool equal_bytes = true) {
        std::vector<uint8_t> code;
        emit_mov(code, kMovEcx, n);
        emit_mov(code, kMovEsi, 0x2000);
        emit_mov(code, kMovEdi, equal_bytes ? 0x2000 : 0x3000);
        emit(code, {0xFC});
        emit(code, rep_op);
        emit_exit(code);
        auto m = machine(pm_paging_rom(code));
        Machine::Result r = m->run(1000000);
        REQUIRE(r.reason == StopReason::ExitPort);
        return m->retired() - (kPmSetupInsns + 4 + 2);
    };
    CHECK(counted({0xF3, 0xA4}, 0) == 1);       // rep movsb, ECX = 0: no iteration, one instruction
    CHECK(counted({0xF3, 0xA4}, 1) == 1);
    CHECK(counted({0xF3, 0xA4}, 5) == 5);
    CHECK(counted({0xF3, 0xAB}, 70000) == 70000);  // rep stosd, across many bursts
    CHECK(counted({0xF3, 0xA6}, 9) == 9);          // repe cmpsb over equal bytes: all nine
    // repe cmpsb over zeros and 0xFF... bytes: the first compare differs, one iteration.
    std::vector<uint8_t> code;
    emit_mov(code, kMovEcx, 9);
    emit_mov(code, kMovEsi, 0x2000);   // RAM: zeros
    emit_mov(code, kMovEdi, 0x400000); // nothing there: 0xFF
    emit(code, {0xFC, 0xF3, 0xA6});
    emit_exit(code);
    auto m = machine(pm_paging_rom(code));
    REQUIRE(m->run(1000000).reason == StopReason::ExitPort);
    CHECK(m->retired() - (kPmSetupInsns + 4 + 2) == 1);
    CHECK(m->cpu.s.reg32(ECX) == 8);
}

TEST_CASE("runloop: a REP over memory with nothing behind it stops exactly at the budget", "[runloop]") {
    // mov edi, 0x400000 / mov ecx, 0xFFFFFFF0 / cld / rep stosb / exit
    std::vector<uint8_t> code;
    emit_mov(code, kMovEdi, 0x400000);
    emit_mov(code, kMovEcx, 0xFFFFFFF0u);
    emit(code, {0xFC});
    const uint32_t rep_eip = kPmPayload + uint32_t(code.size());
    emit(code, {0xF3, 0xAA});
    emit_exit(code);
    auto m = machine(pm_paging_rom(code));
    const uint64_t before_rep = kPmSetupInsns + 3;
    const uint64_t walks_before = m->mmu.stats().walks;

    Machine::Result r = m->run(200000);
    REQUIRE(r.reason == StopReason::MaxInsns);
    CHECK(m->retired() == 200000);
    const uint32_t done = uint32_t(200000 - before_rep);  // iterations of the REP
    CHECK(m->cpu.s.reg32(EDI) == 0x400000 + done);
    CHECK(m->cpu.s.reg32(ECX) == 0xFFFFFFF0u - done);
    CHECK(m->cpu.s.eip() == rep_eip);  // between iterations: still on the instruction
    // Translated once per 4 KiB page (49 pages), not once per byte.
    CHECK(m->mmu.stats().walks - walks_before < 64);

    // Resumed, it goes on where it stopped.
    r = m->run(12345);
    CHECK(r.reason == StopReason::MaxInsns);
    CHECK(m->cpu.s.reg32(EDI) == 0x400000 + done + 12345);
    CHECK(m->cpu.s.reg32(ECX) == 0xFFFFFFF0u - done - 12345);
    CHECK(m->cpu.s.eip() == rep_eip);
}

TEST_CASE("runloop: a fault inside a REP leaves the registers of the completed iterations", "[runloop]") {
    // rep movsb from 10 bytes below the not-present 0x800000 into nothing: iteration 11 faults
    // (#PF at 0x800000), no IDT makes that a triple fault (-no-reboot), and the state is kept.
    std::vector<uint8_t> code;
    emit_mov(code, kMovEsi, 0x800000 - 10);
    emit_mov(code, kMovEdi, 0x400000);
    emit_mov(code, kMovEcx, 100);
    emit(code, {0xFC});
    const uint32_t rep_eip = kPmPayload + uint32_t(code.size());
    emit(code, {0xF3, 0xA4});
    emit_exit(code);
    auto m = machine(pm_paging_rom(code));
    Machine::Result r = m->run(100000);
    REQUIRE(r.reason == StopReason::TripleFault);
    CHECK(m->cpu.s.reg32(ECX) == 90);
    CHECK(m->cpu.s.reg32(ESI) == 0x800000);
    CHECK(m->cpu.s.reg32(EDI) == 0x40000A);
    CHECK(m->cpu.s.cr2 == 0x800000);
    CHECK(m->cpu.s.eip() == rep_eip);
}

TEST_CASE("runloop: the budget ends a REP inside a page and the next run finishes it", "[runloop]") {
    // rep movsb of 3 pages of RAM, cut by budgets of 1000: the copy is complete and exact.
    std::vector<uint8_t> code;
    emit_mov(code, kMovEsi, 0x10000);
    emit_mov(code, kMovEdi, 0x20000);
    emit_mov(code, kMovEcx, 3 * 4096);
    emit(code, {0xFC, 0xF3, 0xA4});
    emit_exit(code);
    auto m = machine(pm_paging_rom(code));
    for (uint32_t i = 0; i < 3 * 4096; ++i) m->phys.write(0x10000 + i, 1, (i * 7 + 3) & 0xFF);
    Machine::Result r{};
    unsigned runs = 0;
    do {
        r = m->run(1000);
        ++runs;
    } while (r.reason == StopReason::MaxInsns && runs < 100);
    REQUIRE(r.reason == StopReason::ExitPort);
    CHECK(m->retired() == kPmSetupInsns + 4 + 3 * 4096 + 2);
    for (uint32_t i = 0; i < 3 * 4096; ++i) REQUIRE(m->phys.read(0x20000 + i, 1) == ((i * 7 + 3) & 0xFFu));
}

TEST_CASE("runloop: the exit port answers on 0xF4-0xF7 as QEMU's isa-debug-exit", "[runloop]") {
    // Written with each size at each port: an aligned write exits with its value, an unaligned
    // one is dropped (then the fallback exits with 0x20: status 65). Measured on QEMU 7.2; the
    // cli test compares with qemu-system-i386 when it is installed.
    struct Case { uint8_t port; unsigned size; int status; };
    const Case cases[] = {{0xF4, 1, 9}, {0xF4, 2, 9}, {0xF4, 4, 9},  {0xF5, 1, 11}, {0xF5, 2, 65}, {0xF5, 4, 65},
                          {0xF6, 1, 13}, {0xF6, 2, 13}, {0xF6, 4, 65}, {0xF7, 1, 15}, {0xF7, 2, 65}, {0xF7, 4, 65}};
    for (const Case& c : cases) {
        INFO("port " << std::hex << int(c.port) << std::dec << ", " << c.size << " bytes");
        const uint8_t v = uint8_t(c.port - 0xF0);  // 4..7: the status says which write exited
        std::vector<uint8_t> code;
        if (c.size == 1) code = {0xB0, v, 0xE6, c.port};                    // mov al, v / out port, al
        if (c.size == 2) code = {0xB8, v, 0x01, 0xE7, c.port};              // mov ax, 01vv / out port, ax
        if (c.size == 4) code = {0x66, 0xB8, v, 0x01, 0x02, 0x03, 0x66, 0xE7, c.port};  // eax
        const std::vector<uint8_t> fallback = {0xB0, 0x20, 0xE6, 0xF4};
        code.insert(code.end(), fallback.begin(), fallback.end());
        std::vector<uint8_t> image = reset_vector_rom({0xEA, 0x00, 0x00, 0x00, 0xF0});
        std::copy(code.begin(), code.end(), image.begin());
        auto m = machine(image);
        Machine::Result r = m->run(1000);
        REQUIRE(r.reason == StopReason::ExitPort);
        CHECK((r.exit_status & 0xFF) == c.status);
    }
    // Reads give 0, as QEMU's.
    auto m = machine(reset_vector_rom({0xF4}));
    CHECK(m->io.read(0xF4, 1) == 0);
    CHECK(m->io.read(0xF6, 2) == 0);
}

// A halted CPU that nothing wakes while a timer keeps ticking (the PIT from power-on, and
// counter 2 gated on through port 61h as jit_diff's programs do) must not keep run(budget)
// skipping from tick to tick for ever under --icount (docs/runloop.md, "Time").
TEST_CASE("runloop: --icount, HLT that no ticking timer can wake ends the run", "[runloop][halt]") {
    for (const bool if_set : {false, true}) {
        INFO((if_set ? "IF set, IRQs masked at both PICs" : "IF clear"));
        std::vector<uint8_t> code = {0xB0, 0x03, 0xE6, 0x61};  // mov al, 3; out 61h, al: counter 2 runs
        if (if_set) emit(code, {0xB0, 0xFF, 0xE6, 0x21, 0xE6, 0xA1, 0xFB});  // mov al, 0FFh; out 21h/A1h, al; sti
        else emit(code, {0xFA});                                              // cli
        emit(code, {0xF4, 0xEB, 0xFD});                                       // hlt; jmp to the hlt
        MachineConfig cfg;
        cfg.cpu_mode = test_cpu_mode();
        cfg.ram_bytes = 1u << 20;
        cfg.firmware = reset_vector_rom(code);
        cfg.icount_shift = 0;
        Machine m(cfg);
        const uint64_t t0 = m.clock.now();
        REQUIRE(!m.clock.idle());  // the PIT ticks
        const Machine::Result r = m.run(1000000);
        CHECK(r.reason == StopReason::HaltForever);
        CHECK(m.cpu.s.halted);
        CHECK(m.retired() < 20);
        // IF clear ends it at once; with IF set guest time ran to the bound (and not past it by
        // more than a tick of the 18.2 Hz PIT).
        const uint64_t waited = m.clock.now() - t0;
        if (if_set) CHECK(waited >= Machine::kHaltedWaitLimit);
        CHECK(waited < Machine::kHaltedWaitLimit + 60000000);
        // Another run returns the same way, without running anything.
        CHECK(m.run(1000).reason == StopReason::HaltForever);
        CHECK(m.retired() < 20);
    }
}

// Host time: the executor runs slices sized to last about Machine::kHostSliceNs at the speed the
// last one ran (Machine::run), so that fast translated code does not return to Machine::run
// every few microseconds (each return also drops the JIT's return stack).
TEST_CASE("runloop: the next host-clock slice is sized by the speed of the last one", "[runloop]") {
    const uint64_t lo = Machine::kHostSlice, hi = Machine::kMaxHostSlice, ns = Machine::kHostSliceNs;
    // 2 instructions per ns would fill a slice with 200,000: growth is at most twice the last.
    CHECK(Machine::next_host_slice(lo, lo, lo / 2) == 2 * lo);
    CHECK(Machine::next_host_slice(100000, 100000, 80000) == 100000 * ns / 80000);
    CHECK(Machine::next_host_slice(hi, hi, 2 * ns) == hi / 2);  // twice as slow: half
    CHECK(Machine::next_host_slice(hi, hi, 100 * ns) == lo);            // never below the floor
    CHECK(Machine::next_host_slice(hi, hi, ns / 4) == hi);              // nor above the ceiling
    CHECK(Machine::next_host_slice(lo, lo, 0) == 2 * lo);               // too short to read: fast
}

TEST_CASE("runloop: a long guest loop runs in slices of at least kHostSlice instructions", "[runloop]") {
    // mov ecx, N / l: dec ecx / jnz l / exit: 2N + 1 instructions of payload.
    const uint32_t turns = 10000000;
    std::vector<uint8_t> code = {0xB9, uint8_t(turns), uint8_t(turns >> 8), uint8_t(turns >> 16), uint8_t(turns >> 24),
                                 0x49, 0x75, 0xFD};
    emit_exit(code);
    auto m = machine(pm_paging_rom(code));
    REQUIRE(m->clock.mode() == Clock::Mode::Host);
    Machine::Result r = m->run(0);
    REQUIRE(r.reason == StopReason::ExitPort);
    CHECK(m->retired() == kPmSetupInsns + 2 * uint64_t(turns) + 1 + 2);
    const uint64_t fixed = 2 * uint64_t(turns) / Machine::kHostSlice;  // slices of the floor's size
    CHECK(m->host_slices() <= fixed);
    CHECK(m->host_slice() >= Machine::kHostSlice);
    CHECK(m->host_slice() <= Machine::kMaxHostSlice);
    // Translated, the loop runs at a billion instructions a second or more, so slices grow past
    // the floor: 86-90 slices here (AMD EPYC host, Release), 327-482 under ASan, whose run loop
    // costs more per slice; slices of a fixed size would be exactly `fixed`.
    if (test_cpu_mode() == CpuMode::Jit) CHECK(m->host_slices() < fixed);
}
