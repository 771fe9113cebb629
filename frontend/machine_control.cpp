// Machine's run control for other threads (the GDB stub, QMP, the monitor): requests that run on
// the machine thread, pause and resume, quit and reset, and the events they announce. See the
// comment on Machine::call in frontend/machine.h and docs/debugging.md.
#include "frontend/machine.h"

#include <algorithm>
#include <cstring>

namespace xlat {

bool Machine::call(std::function<void()> fn) {
    auto req = std::make_shared<Request>();
    req->fn = std::move(fn);
    std::unique_lock<std::mutex> lock(ctl_mu_);
    if (ended_) return false;
    requests_.push_back(req);
    // The executor returns to Machine::run at its next instruction boundary (and a sleeping
    // HLT wakes); a paused Machine::run waits on ctl_cv_.
    request_exit_async(Cpu::kExitAsync);
    ctl_cv_.notify_all();
    ctl_cv_.wait(lock, [&] { return req->done; });
    return req->ran;
}

void Machine::post(std::function<void()> fn) {
    auto req = std::make_shared<Request>();
    req->fn = std::move(fn);
    std::lock_guard<std::mutex> lock(ctl_mu_);
    if (ended_) return;
    requests_.push_back(req);
    request_exit_async(Cpu::kExitAsync);
    ctl_cv_.notify_all();
}

bool Machine::service_requests() {
    bool ran = false;
    std::unique_lock<std::mutex> lock(ctl_mu_);
    for (;;) {
        while (!requests_.empty()) {
            std::shared_ptr<Request> req = requests_.front();
            requests_.pop_front();
            lock.unlock();
            req->fn();
            lock.lock();
            req->ran = req->done = true;
            ran = true;
            ctl_cv_.notify_all();
        }
        if (quit_ || pause_ == PauseCause::None) return ran;
        ctl_cv_.wait(lock, [&] { return !requests_.empty(); });
    }
}

Machine::Result Machine::finish(Result r) {
    if (jit) jit->sync_stats();  // the blocks' own run counts into the per-mnemonic statistics
    {
        // Requests still queued are dropped: their callers learn it from call()'s result.
        std::lock_guard<std::mutex> lock(ctl_mu_);
        ended_ = true;
        for (auto& req : requests_) req->done = true;
        requests_.clear();
        ctl_cv_.notify_all();
    }
    RunEvent e{RunEvent::Shutdown};
    e.reason = r.reason;
    e.exit_status = r.exit_status;
    emit(e);
    return r;
}

void Machine::pause(PauseCause cause) {
    if (pause_ != PauseCause::None) return;
    pause_ = cause;
    RunEvent e{RunEvent::Stop};
    e.cause = cause;
    e.generation = generation_;
    if (cause == PauseCause::Debug) {
        e.hit = cpu.debugger.hit;
        e.hit_addr = cpu.debugger.hit_addr;
        e.eip = uint32_t(cpu.s.eip());
        e.hit_kind = cpu.debugger.hit_kind;
    }
    emit(e);
}

uint64_t Machine::resume() {
    ++generation_;
    if (pause_ == PauseCause::None) return generation_;
    pause_ = PauseCause::None;
    RunEvent e{RunEvent::Resume};
    e.generation = generation_;
    emit(e);
    return generation_;
}

uint64_t Machine::debug_resume(bool step) {
    DebugStops& d = cpu.debugger;
    d.hit = DebugStops::Hit::None;
    d.single_step = step;
    d.resume_at = cpu.s.seg[CS].base + cpu.s.eip();
    d.last_lin = DebugStops::kNone;
    cpu.debugger_changed();
    const uint64_t gen = resume();
    // A halted CPU runs no instruction until an interrupt wakes it, and a step holds
    // interrupts back: the step ends at once, on the instruction after the HLT.
    if (step && cpu.s.halted) {
        d.hit = DebugStops::Hit::Step;
        pause(PauseCause::Debug);
    }
    return gen;
}

void Machine::quit(int status) {
    quit_ = true;
    quit_status_ = status;
}

void Machine::system_reset() {
    reset();
    emit(RunEvent{RunEvent::Reset});
}

} // namespace xlat

namespace xlat {

size_t Machine::read_physical(uint64_t paddr, uint8_t* out, size_t len) {
    size_t done = 0;
    while (done < len) {
        const uint64_t at = paddr + done;
        if (at >> 32) break;
        const PageInfo pg = phys.page(uint32_t(at));
        if ((pg.kind != RegionKind::Ram && pg.kind != RegionKind::Rom) || !pg.host) break;
        const size_t off = size_t(at & ~kPageMask);
        const size_t n = std::min(len - done, size_t(kPageSize) - off);
        std::memcpy(out + done, pg.host + off, n);
        done += n;
    }
    return done;
}

size_t Machine::read_linear(uint32_t lin, uint8_t* out, size_t len) {
    size_t done = 0;
    while (done < len) {
        const uint32_t at = uint32_t(lin + done);
        uint64_t paddr;
        if (!mmu.debug_translate(at, paddr)) break;
        const size_t n = std::min(len - done, size_t(kPageSize - (at & ~kPageMask)));
        const size_t got = read_physical(paddr, out + done, n);
        done += got;
        if (got < n) break;
    }
    return done;
}

size_t Machine::write_linear(uint32_t lin, const uint8_t* data, size_t len) {
    size_t done = 0;
    while (done < len) {
        const uint32_t at = uint32_t(lin + done);
        uint64_t paddr;
        if (!mmu.debug_translate(at, paddr) || (paddr >> 32)) break;
        const size_t n = std::min(len - done, size_t(kPageSize - (at & ~kPageMask)));
        if (phys.page(uint32_t(paddr)).kind != RegionKind::Ram) break;
        phys.write_bytes(uint32_t(paddr), data + done, n);
        done += n;
    }
    return done;
}

} // namespace xlat
