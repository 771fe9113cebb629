// Guest time: one Clock per machine, and its deadline queue (docs/runloop.md, "Time").
//
// Time is a count of nanoseconds since the machine was made, from one of three sources:
//   Host    the host's monotonic clock (the default)
//   Icount  the CPU's retired-instruction count, each instruction 2^shift ns (QEMU's
//           `-icount shift=N`), so a run repeats to the instruction
//   Manual  only advance() moves it: device tests step a virtual clock without a CPU (QEMU's
//           qtest is the model)
// Devices never poll: each timer of a device is a ClockEvent scheduled at an absolute deadline,
// and the machine's run loop calls it back when the clock reaches that deadline. Everything here
// belongs to the machine's thread except notify(), which any thread may call.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace xlat {

class Clock;

// One timer of a device. The callback receives the deadline it was scheduled for (not the
// possibly later time it runs at in host mode), so a periodic timer schedules deadline + period
// and does not drift. Destroying an event cancels it.
class ClockEvent {
public:
    using Callback = std::function<void(uint64_t deadline)>;
    ClockEvent(Clock& clock, std::string name, Callback fn);
    ~ClockEvent();
    ClockEvent(const ClockEvent&) = delete;
    ClockEvent& operator=(const ClockEvent&) = delete;

    void schedule(uint64_t deadline_ns);  // (re)arms the event; a past deadline runs at once
    void cancel();
    bool pending() const { return pending_; }
    uint64_t deadline() const { return deadline_; }
    const std::string& name() const { return name_; }

private:
    friend class Clock;
    Clock& clock_;
    std::string name_;
    Callback fn_;
    uint64_t deadline_ = 0;
    bool pending_ = false;
};

class Clock {
public:
    static constexpr uint64_t kNever = ~0ull;
    enum class Mode : uint8_t { Host, Icount, Manual };

    Clock();  // host mode, time 0 now
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;

    // Switches to instruction counting: `counter` is the CPU's retired-instruction count, which
    // must only grow. From host mode time starts again at 0 (choose before running); from
    // the others it goes on.
    void use_icount(const uint64_t* counter, unsigned shift);
    // Switches to a clock only advance() moves (device tests).
    void use_manual();
    Mode mode() const { return mode_; }
    unsigned icount_shift() const { return shift_; }

    uint64_t now() const;

    // ---- the deadline queue ----
    uint64_t next_deadline() const { return queue_.empty() ? kNever : queue_.front()->deadline_; }
    bool idle() const { return queue_.empty(); }
    // Runs, in deadline order, every event whose deadline has come (callbacks may schedule more,
    // including ones already due, which run in the same call). Returns how many ran.
    unsigned run_due();
    // Manual and icount modes: moves time forward by `ns` (Manual) or to `t` (both), running each
    // event that falls due on the way with the clock standing at its deadline, as a device would
    // see it had the time passed instruction by instruction. In icount mode this is how a halted
    // CPU skips to its next deadline.
    void advance(uint64_t ns) { advance_to(now() + ns); }
    void advance_to(uint64_t t);

    // ---- the executor's budget ----
    // The run loop tells the clock which deadline the executor's current run was measured
    // against; an event scheduled before it (a device programmed by an OUT in that run) calls
    // the hook, which sets the CPU's kExitTimer so the loop measures again.
    void set_budget_deadline(uint64_t t) { budget_deadline_ = t; }
    void on_earlier_deadline(void (*fn)(void*), void* ctx) {
        earlier_fn_ = fn;
        earlier_ctx_ = ctx;
    }
    // Icount mode: how many instructions until time reaches `t` (at least 1).
    uint64_t insns_until(uint64_t t) const;

    // ---- sleeping (host mode) ----
    // Sleeps until time `t` or until `wake` is nonzero (checked after every notify()).
    void sleep_until(uint64_t t, const std::atomic<uint32_t>& wake);
    // Wakes sleep_until; any thread, after setting the word it waits on.
    void notify();

    // The host's monotonic clock in ns (CLOCK_MONOTONIC).
    static uint64_t host_ns();

private:
    friend class ClockEvent;
    void insert(ClockEvent* e);
    void remove(ClockEvent* e);

    Mode mode_ = Mode::Host;
    unsigned shift_ = 0;
    const uint64_t* counter_ = nullptr;
    uint64_t base_ns_ = 0;       // time at the origin of the current source
    uint64_t origin_ = 0;        // host_ns() or *counter_ at that origin
    std::vector<ClockEvent*> queue_;  // pending events, earliest deadline first
    uint64_t budget_deadline_ = kNever;
    void (*earlier_fn_)(void*) = nullptr;
    void* earlier_ctx_ = nullptr;
    std::mutex sleep_mutex_;
    std::condition_variable sleep_cv_;
};

} // namespace xlat
