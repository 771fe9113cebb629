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
      board(io, phys, clock, tracer, cfg.ide_disks, cfg.serial_out,
            {[this] { return clock.now(); },
             // ACPI soft-off (S5) ends the run with status 0.
             [this] {
                 cpu.exit_status = 0;
                 cpu.request_stop(StopReason::ExitPort);
             },
             [this] { cpu.request_stop(StopReason::Reset); },
             [this](bool on) { phys.set_a20(on); }}),
      no_reboot_(cfg.no_reboot) {
    cpu.clock = &clock;
    if (cfg.cpu_mode == CpuMode::Jit) {
        jit = std::make_unique<Jit>(cpu, interp, cfg.jit_cache_bytes, cfg.jit_disable, cfg.jit_hot_runs, cfg.jit_profile);
        if (cfg.jit_perf_map) jit->set_perf_map(cfg.jit_perf_map);
    } else {
        interp.enable_blocks();  // the interpreter runs from decoded blocks (docs/cpu.md)
    }
    // icount time counts what retired() counts: every instruction since power-on, over resets.
    if (cfg.icount_shift >= 0)
        clock.use_icount([](const void* m) { return static_cast<const Machine*>(m)->retired(); }, this,
                         unsigned(cfg.icount_shift));
    // An event scheduled before the deadline the executor's run was measured against (an OUT
    // that programs a timer) ends that run, so the budget is measured again.
    clock.on_earlier_deadline([](void* c) { static_cast<Cpu*>(c)->request_exit(Cpu::kExitTimer); }, &cpu);
    tracer.mask = cfg.trace_mask;
    tracer.out = cfg.trace_out;
    tracer.pc_ranges = cfg.trace_pc_ranges;
    interp.debug_break = cfg.debug_break;
    std::string problem = firmware_size_problem(cfg.firmware.size());
    if (!problem.empty()) throw std::invalid_argument(problem);
    // The whole image at the top of 4 GiB, its last 128 KiB (at most) at the top of 1 MiB, as
    // on a PC (QEMU maps "isa-bios" the same way).
    const uint32_t size = uint32_t(cfg.firmware.size());
    phys.map_rom(uint32_t(0x100000000ull - size), cfg.firmware, "bios");
    const uint32_t low = std::min<uint32_t>(size, 128u << 10);
    std::vector<uint8_t> tail(cfg.firmware.end() - low, cfg.firmware.end());
    phys.map_rom(0x100000 - low, tail, "isa-bios");
    io.claim(cfg.debugcon_port, 1, &devices.add<DebugConsole>(cfg.debugcon));
    io.claim(0xF4, ExitPort::kPorts, &devices.add<ExitPort>([this](int status) {
        cpu.exit_status = status;
        cpu.request_stop(StopReason::ExitPort);
    }), 0, 1, 4, true);
    io.claim(0x80, 1, &devices.add<PostPort>([this](uint8_t v) { tracer.log(kTracePost, "POST code %02x", v); }));
    // The two 8259s as on every PC: the slave's INT on the master's IR2, the master's INT to the
    // CPU; ELCRs at 0x4D0/0x4D1 as the PIIX3 has them. The 8254's OUT0 is IRQ0.
    pic_master = &devices.add<Pic8259>("pic-master", true, uint8_t(0xF8));
    pic_slave = &devices.add<Pic8259>("pic-slave", false, uint8_t(0xDE));
    io.claim(0x20, 2, pic_master, 0, 1, 1);
    io.claim(0xA0, 2, pic_slave, 0, 1, 1);
    io.claim(0x4D0, 1, pic_master, 1, 1, 1);
    io.claim(0x4D1, 1, pic_slave, 1, 1, 1);
    pic_slave->int_out.connect(pic_master, 2);
    pic_master->attach_slave(2, pic_slave);
    // The local APIC is the CPU's interrupt controller: its own vectors, and the master 8259's
    // INTR and INTA through LINT0 (ExtINT). The I/O APIC sends it messages and hears its EOIs.
    lapic = &devices.add<LocalApic>(clock, &tracer);
    lapic->attach_extint(pic_master);
    lapic->on_intr([](void* c) { static_cast<Cpu*>(c)->request_exit(Cpu::kExitIrq); }, &cpu);
    lapic->on_nmi = [this] {
        cpu.s.nmi_pending = 1;
        cpu.request_exit(Cpu::kExitIrq);
    };
    lapic->on_base_change = [this](uint32_t base, bool enabled) { move_lapic(base, enabled); };
    lapic_region_ = phys.map_mmio(uint32_t(LocalApic::kDefaultBase), 0x1000, lapic, 0, 4, 4, "lapic", kPrioChipset);
    cpu.intr_source = lapic;
    cpu.apic = lapic;
    ioapic = &devices.add<IoApic>(&tracer);
    phys.map_mmio(IoApic::kBase, 0x1000, ioapic, 0, 4, 4, "ioapic", kPrioChipset);
    ioapic->send = [this](const IoApic::Message& msg) {
        if (lapic->matches(msg.dest, msg.logical)) lapic->deliver(msg.vector, msg.mode, msg.level);
    };
    lapic->on_eoi_broadcast = [this](uint8_t vector) { ioapic->eoi(vector); };
    board.connect_irqs(*pic_master, *pic_slave, *ioapic);
    // Every ISA IRQ goes to the 8259s and to the I/O APIC (IRQ 0 on its input 2), as on QEMU's
    // PC and in the MP table SeaBIOS writes for it.
    pit = &devices.add<Pit8254>(clock);
    io.claim(0x40, 4, pit, 0, 1, 1);
    io.claim(0x61, 1, pit, 1, 1, 1);
    pit->irq0.connect(&board.isa_irqs(), 0);
    uint32_t rtc_ns = cfg.rtc_start_ns;
    // Not given: the host's time, or with --icount a fixed date, as the command line's default.
    const int64_t rtc_secs = cfg.rtc_start != INT64_MIN ? cfg.rtc_start
                             : cfg.icount_shift >= 0 ? rtc_start_time(kIcountRtcBase, &rtc_ns)
                                                     : rtc_start_time("utc", &rtc_ns);
    rtc = &devices.add<Rtc146818>(clock, rtc_secs, rtc_ns);
    io.claim(0x70, 2, rtc, 0, 1, 1);
    rtc->irq8.connect(&board.isa_irqs(), 8);
    if (cfg.vga) board.attach_vga(io, cfg.vga_rom, tracer);
    // The CMOS bytes a PC BIOS reads (IBM PC AT technical reference; SeaBIOS reads the same
    // from QEMU): base memory in KiB (15h-16h), memory from 1 MiB in KiB up to 64 MiB
    // (17h-18h, and 30h-31h), memory above 16 MiB in 64 KiB units (34h-35h), the equipment
    // byte (14h: bit 1, a math coprocessor; no floppy; video 00 = EGA/VGA).
    const uint64_t kib = cfg.ram_bytes >> 10;
    const uint32_t ext = uint32_t(std::min<uint64_t>(kib > 1024 ? kib - 1024 : 0, 0xFFFF));
    const uint32_t high = uint32_t(std::min<uint64_t>(cfg.ram_bytes > (16u << 20) ? (cfg.ram_bytes - (16u << 20)) >> 16 : 0, 0xFFFF));
    rtc->cmos(0x14) = 0x02;
    rtc->cmos(0x15) = 0x80;  // 640 KiB
    rtc->cmos(0x16) = 0x02;
    rtc->cmos(0x17) = rtc->cmos(0x30) = uint8_t(ext);
    rtc->cmos(0x18) = rtc->cmos(0x31) = uint8_t(ext >> 8);
    rtc->cmos(0x34) = uint8_t(high);
    rtc->cmos(0x35) = uint8_t(high >> 8);
    // The trace points of the port bus and of every device (PIC, PIT, PCI configuration).
    io.tracer = &tracer;
    for (const auto& d : devices.all()) d->attach_tracer(&tracer);
    board.pci_host.attach_tracer(&tracer);
    // CD-ROM drives, and the boot order SeaBIOS reads from the CMOS and fw_cfg
    // (frontend/boot_order.h).
    for (unsigned i = 0; i < 4; ++i)
        if (cfg.ide_media[i] == IdeMedia::Cdrom) (i < 2 ? board.ide0 : board.ide1).attach(i & 1, board.disks[i].get(), true);
    // The hard disks' BIOS CHS translation, two bits per drive (primary master in bits 0-1 ...
    // secondary slave in 6-7): SeaBIOS takes it from here when it runs on an emulator, as
    // QEMU's PC sets it (devices/block/geometry.h).
    uint8_t trans = 0;
    for (unsigned i = 0; i < 4; ++i) trans |= uint8_t(unsigned((i < 2 ? board.ide0 : board.ide1).bios_translation(i & 1)) << (2 * i));
    rtc->cmos(0x39) = trans;
    ide_media_ = cfg.ide_media;
    boot_ = cfg.boot;
    apply_boot_settings(board.fw_cfg, boot_);
    apply_boot_order(*rtc, board.fw_cfg, boot_, boot_.once.empty() ? boot_.order : boot_.once, ide_media_);
    io.on_unclaimed_ctx = &tracer;
    io.on_unclaimed = [](void* ctx, uint16_t port, bool write) {
        static_cast<Tracer*>(ctx)->log(kTraceIo, "%s of unclaimed port %04x", write ? "write" : "read", port);
    };
    reset();
    boot_once_pending_ = !boot_.once.empty();
}

void Machine::reset() {
    retired_before_reset_ += cpu.s.icount;
    cpu.reset();
    mmu.flush_all();
    phys.set_a20(true);
    devices.reset_all();
    board.reset();
    if (boot_once_pending_) {
        // -boot once= held for the first boot only: from this reset on, the order (as QEMU's
        // reset handler restores it).
        apply_boot_order(*rtc, board.fw_cfg, boot_, boot_.order, ide_media_);
        boot_once_pending_ = false;
    }
    lapic->apic_base_written(cpu.s.apic_base);  // the APIC window back where reset puts it
    tracer.log(kTraceCpu, "reset");
    if (after_reset) after_reset();
}

// The outer loop (docs/runloop.md): due clock events, the executor for a budget, resets, and
// HLT. How a deadline interrupts running guest code depends on where time comes from:
//   --icount  time is the instruction count, so the budget is exactly the instructions until
//             the earliest deadline: the run ends on it, to the instruction, every time.
//   host      the executor runs slices of instructions and the host clock is read between
//             them (one vDSO clock_gettime, about 20 ns, per slice). We chose this over a timer
//             thread that sets kExitTimer: no second thread per machine, no lock on the
//             deadline queue (only this thread touches it), and nothing for the executor to do
//             beyond honouring its budget, which it must do anyway. The cost is latency: an
//             event runs up to one slice late. A slice is sized to last about kHostSliceNs
//             (0.1 ms) at the speed the last one ran (next_host_slice), well under the 1 ms tick
//             of the fastest guest timers we expect: 20,000 instructions in the interpreter, up
//             to 250,000 in translated loops, where a fixed 20,000 returned to the dispatcher
//             every 5-10 us and lost the JIT's return stack each time (docs/runloop.md). A slice
//             that runs slower than the last one is late by that factor once (at most 12.5 times
//             the old fixed slice's time at the slower speed: a polling loop of port reads after
//             a fast loop); the next is sized to the new speed. kExitTimer still ends a run early
//             when a device schedules an event before the deadline the run was measured against.
Machine::Result Machine::run(uint64_t max_insns) {
    {
        std::lock_guard<std::mutex> lock(ctl_mu_);
        ended_ = false;
    }
    const uint64_t start = retired();
    // When the CPU was found halted with retired() at halted_retired (sleep_while_halted).
    uint64_t halted_since = 0, halted_retired = UINT64_MAX;
    for (;;) {
        clock.run_due();
        uint64_t left = 0;
        if (max_insns) {
            uint64_t done = retired() - start;
            left = done >= max_insns ? 0 : max_insns - done;
            if (!left) return finish({StopReason::MaxInsns, 0, resets_});
        }
        cpu.exit_request.fetch_and(~(Cpu::kExitTimer | Cpu::kExitAsync), std::memory_order_acq_rel);
        // Requests of other threads, after kExitAsync is cleared so that none is missed; while
        // paused this waits for them (frontend/machine_control.cpp).
        const bool serviced = service_requests();
        if (quit_) return finish({StopReason::Quit, quit_status_, resets_});
        if (serviced) continue;
        if (cpu.s.halted && !(cpu.exit_request.load(std::memory_order_acquire) & (Cpu::kExitIrq | Cpu::kExitStop))) {
            if (!sleep_while_halted(halted_since, halted_retired)) return finish({StopReason::HaltForever, 0, resets_});
            continue;
        }
        const uint64_t deadline = clock.next_deadline();
        const bool host = clock.mode() == Clock::Mode::Host;
        uint64_t budget = clock.mode() == Clock::Mode::Icount
                              ? (deadline == Clock::kNever ? 0 : clock.insns_until(deadline))
                              : host ? host_slice_ : kHostSlice;
        // The host clock's slice is only how often the clock is read: the JIT may end it at the
        // end of a block. A budget from the instruction count (--icount, --max-insns) is exact.
        // A soft slice overshoots by less than a block, so it must end that far before --max-insns.
        bool exact = clock.mode() == Clock::Mode::Icount;
        if (left && (!budget || left < budget + Jit::kMaxOvershoot)) {
            budget = !budget || left < budget ? left : budget;
            exact = true;
        }
        clock.set_budget_deadline(deadline);
        const uint64_t t0 = host ? Clock::host_ns() : 0, r0 = retired();
        StopReason r = jit ? jit->run(budget, exact) : interp.run(budget);
        clock.set_budget_deadline(0);
        // A slice that ran to its end measures the speed the next one is sized for; one that an
        // exit request or HLT ended early says nothing about it.
        if (host && !exact && r == StopReason::MaxInsns) {
            host_slice_ = next_host_slice(host_slice_, retired() - r0, Clock::host_ns() - t0);
            ++host_slices_;
        }
        switch (r) {
        case StopReason::None:      // an exit request, or HLT
        case StopReason::MaxInsns:  // the budget is spent; the limit itself is checked above
            continue;
        case StopReason::TripleFault:
            if (no_reboot_) break;
            tracer.log(kTraceCpu, "triple fault: resetting");
            ++resets_;
            reset();
            continue;
        case StopReason::Reset:
            ++resets_;
            reset();
            continue;
        case StopReason::Debug:  // the debugger's breakpoint, watchpoint or step
            pause(PauseCause::Debug);
            continue;
        default:
            break;
        }
        return finish({r, cpu.exit_status, resets_});
    }
}

uint64_t Machine::next_host_slice(uint64_t slice, uint64_t insns, uint64_t ns) {
    // Instructions that would have taken kHostSliceNs at this slice's speed (a slice too short
    // to read, ns 0, counts as fast); at most twice the last slice, so one fast slice among
    // slow ones does not make the next one long.
    const uint64_t want = ns ? insns * kHostSliceNs / ns : kMaxHostSlice;
    return std::clamp(std::min(want, 2 * slice), kHostSlice, kMaxHostSlice);
}

void Machine::move_lapic(uint32_t base, bool enabled) {
    // A guest may point IA32_APIC_BASE anywhere; where the window cannot go (over another
    // chipset window) it stays where it was, as one line on the cpu trace.
    try {
        phys.move_region(lapic_region_, base);
    } catch (const std::invalid_argument& e) {
        tracer.log(kTraceCpu, "IA32_APIC_BASE %08x refused: %s", base, e.what());
    }
    phys.set_region_access(lapic_region_, enabled, enabled);
}

bool Machine::sleep_while_halted(uint64_t& halted_since, uint64_t& halted_retired) {
    // Only an interrupt ends HLT. With IF clear only an NMI could, and no device raises NMI
    // yet; with IF set an interrupt needs INTR already asserted or a timer still to fire.
    // Either way, when nothing can come the run ends instead of hanging (status 3).
    // With --icount a timer whose interrupt never reaches the CPU (masked at the PIC, or PIT
    // counter 2, which has no IRQ) would let HLT skip guest time from tick to tick for ever, as
    // fast as the host goes: after kHaltedWaitLimit of guest time with nothing delivered
    // (retired() counts interrupt deliveries) and no host input to wait for, the run ends too.
    const bool intr = cpu.intr_source && cpu.intr_source->intr();
    if (cpu.s.nmi_pending) return true;
    if (!(cpu.s.eflags & IF)) return false;
    if (intr) {
        cpu.request_exit(Cpu::kExitIrq);
        return true;
    }
    const bool inputs = async_inputs.load(std::memory_order_acquire);
    if (clock.idle() && !inputs) return false;
    if (clock.mode() == Clock::Mode::Icount && !inputs) {
        if (retired() != halted_retired) {
            halted_retired = retired();
            halted_since = clock.now();
        } else if (clock.now() - halted_since >= kHaltedWaitLimit) {
            return false;
        }
    }
    const uint64_t deadline = clock.next_deadline();
    if (clock.mode() == Clock::Mode::Host) clock.sleep_until(deadline, cpu.exit_request);
    else clock.advance_to(deadline);  // icount: HLT skips the time; the events run on the way
    return true;
}

std::string Machine::describe_cpu() const {
    const CpuState& s = cpu.s;
    char buf[1024];
    static const char* names[] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    int n = std::snprintf(buf, sizeof buf,
                          "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\nESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                          "EIP=%08x EFL=%08x CPL=%u CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n",
                          s.reg32(EAX), s.reg32(EBX), s.reg32(ECX), s.reg32(EDX), s.reg32(ESI), s.reg32(EDI),
                          s.reg32(EBP), s.reg32(ESP), s.eip(), s.eflags, s.cpl, s.cr0, s.cr2, s.cr3, s.cr4);
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
    if (clock.mode() == Clock::Mode::Host) {
        std::snprintf(buf, sizeof buf, "host-clock slices run to their end: %" PRIu64 ", the next %" PRIu64
                      " instructions (sized to last %" PRIu64 " us)\n", host_slices_, host_slice_, kHostSliceNs / 1000);
        out += buf;
    }
    if (jit) out += jit->describe_stats();
    else out += interp.describe_stats();
    return out;
}

} // namespace xlat
