#include "frontend/machine.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <stdexcept>

namespace xlat {

std::string firmware_size_problem(size_t size) {
    if (size < (64u << 10) || size > (256u << 10) || size % (64u << 10))
        return "firmware image is " + std::to_string(size) +
               " bytes; it must be 64, 128, 192 or 256 KiB";
    return {};
}

Machine::Machine(const MachineConfig& cfg)
    : phys(cfg.ram_bytes),
      mmu(phys, &tracer),
      cpu(mmu, io, tracer),
      interp(cpu),
      debugcon(cfg.debugcon),
      exit_port(0xF4, [this](int status) {
          cpu.exit_status = status;
          cpu.request_stop(StopReason::ExitPort);
      }),
      post([this](uint8_t v) { tracer.log(kTracePost, "POST code %02x", v); }),
      board(io, phys, tracer, cfg.ide_disks, cfg.serial_out,
            {// Until the machine has its Clock: host monotonic time since the machine was built.
             [t0 = std::chrono::steady_clock::now()] {
                 return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - t0).count());
             },
             // ACPI soft-off (S5) ends the run with status 0.
             [this] {
                 cpu.exit_status = 0;
                 cpu.request_stop(StopReason::ExitPort);
             },
             [this] { cpu.request_stop(StopReason::Reset); },
             [this](bool on) { phys.set_a20(on); }}),
      no_reboot_(cfg.no_reboot) {
    tracer.mask = cfg.trace_mask;
    tracer.out = cfg.trace_out;
    std::string problem = firmware_size_problem(cfg.firmware.size());
    if (!problem.empty()) throw std::invalid_argument(problem);
    // The whole image at the top of 4 GiB, its last 128 KiB (at most) at the top of 1 MiB, as
    // on a PC (QEMU maps "isa-bios" the same way).
    const uint32_t size = uint32_t(cfg.firmware.size());
    phys.map_rom(uint32_t(0x100000000ull - size), cfg.firmware, "bios");
    const uint32_t low = std::min<uint32_t>(size, 128u << 10);
    std::vector<uint8_t> tail(cfg.firmware.end() - low, cfg.firmware.end());
    phys.map_rom(0x100000 - low, tail, "isa-bios");
    io.claim(0xE9, 1, &debugcon);
    io.claim(0xF4, ExitPort::kPorts, &exit_port);
    io.claim(0x80, 1, &post);
    io.on_unclaimed_ctx = &tracer;
    io.on_unclaimed = [](void* ctx, uint16_t port, bool write) {
        static_cast<Tracer*>(ctx)->log(kTraceIo, "%s of unclaimed port %04x", write ? "write" : "read", port);
    };
    reset();
}

void Machine::reset() {
    retired_before_reset_ += cpu.s.icount;
    cpu.reset();
    mmu.flush_all();
    phys.set_a20(true);
    post.reset();
    board.reset();
    tracer.log(kTraceCpu, "reset");
}

Machine::Result Machine::run(uint64_t max_insns) {
    const uint64_t start = retired();
    for (;;) {
        uint64_t left = 0;
        if (max_insns) {
            uint64_t done = retired() - start;
            left = done >= max_insns ? 0 : max_insns - done;
            if (!left) return {StopReason::MaxInsns, 0, resets_};
        }
        StopReason r = interp.run(left);
        if (r == StopReason::TripleFault && !no_reboot_) {
            tracer.log(kTraceCpu, "triple fault: resetting");
            ++resets_;
            reset();
            continue;
        }
        if (r == StopReason::Reset) { ++resets_; reset(); continue; }
        return {r, cpu.exit_status, resets_};
    }
}

std::string Machine::describe_cpu() const {
    const CpuState& s = cpu.s;
    char buf[1024];
    static const char* names[] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    int n = std::snprintf(buf, sizeof buf,
                          "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\nESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                          "EIP=%08x EFL=%08x CPL=%u CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n",
                          s.regs[EAX], s.regs[EBX], s.regs[ECX], s.regs[EDX], s.regs[ESI], s.regs[EDI],
                          s.regs[EBP], s.regs[ESP], s.eip, s.eflags, s.cpl, s.cr0, s.cr2, s.cr3, s.cr4);
    std::string out(buf, size_t(n));
    for (unsigned i = 0; i < kSegCount; ++i) {
        n = std::snprintf(buf, sizeof buf, "%s =%04x %08x %08x %04x\n", names[i], s.seg[i].selector,
                          s.seg[i].base, s.seg[i].limit, s.seg[i].attr);
        out.append(buf, size_t(n));
    }
    n = std::snprintf(buf, sizeof buf, "GDT=     %08x %04x\nIDT=     %08x %04x\n", s.gdtr.base, s.gdtr.limit,
                      s.idtr.base, s.idtr.limit);
    out.append(buf, size_t(n));
    return out;
}

std::string Machine::describe_stats() const {
    std::string out;
    char buf[256];
    const CpuStats& st = cpu.stats;
    uint64_t total = 0;
    std::vector<std::pair<uint64_t, int>> mix;
    for (size_t m = 0; m < st.executed.size(); ++m)
        if (st.executed[m]) { total += st.executed[m]; mix.emplace_back(st.executed[m], int(m)); }
    std::sort(mix.rbegin(), mix.rend());
    std::snprintf(buf, sizeof buf, "instructions retired: %" PRIu64 " (each REP iteration counts one)\n", total);
    out += buf;
    // What --max-insns counts: the retired instructions, plus faulting ones and interrupt
    // deliveries, over every reset.
    std::snprintf(buf, sizeof buf, "instructions counted: %" PRIu64 " (--max-insns: also faults and interrupt deliveries)\n",
                  retired());
    out += buf;
    for (auto& [count, m] : mix) {
        std::snprintf(buf, sizeof buf, "  %-12s %12" PRIu64 "\n", ZydisMnemonicGetString(ZydisMnemonic(m)), count);
        out += buf;
    }
    uint64_t unimpl = 0;
    for (size_t m = 0; m < st.unimplemented.size(); ++m)
        if (st.unimplemented[m]) {
            unimpl += st.unimplemented[m];
            std::snprintf(buf, sizeof buf, "  #UD unimplemented %-12s %8" PRIu64 "\n",
                          ZydisMnemonicGetString(ZydisMnemonic(m)), st.unimplemented[m]);
            out += buf;
        }
    std::snprintf(buf, sizeof buf, "unimplemented instructions (#UD): %" PRIu64 "\nundecodable bytes (#UD): %" PRIu64 "\n",
                  unimpl, st.undecodable);
    out += buf;
    for (unsigned v = 0; v < 32; ++v)
        if (st.exceptions[v]) {
            std::snprintf(buf, sizeof buf, "exception %2u delivered: %" PRIu64 "\n", v, st.exceptions[v]);
            out += buf;
        }
    const MmuStats& ms = mmu.stats();
    std::snprintf(buf, sizeof buf, "interrupts delivered: %" PRIu64 "\nTLB: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
                  " flushes, %" PRIu64 " page walks\n", st.interrupts, ms.hits, ms.misses, ms.flushes, ms.walks);
    out += buf;
    return out;
}

} // namespace xlat
