#include "memory/clock.h"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace xlat {

ClockEvent::ClockEvent(Clock& clock, std::string name, Callback fn)
    : clock_(clock), name_(std::move(name)), fn_(std::move(fn)) {}

ClockEvent::~ClockEvent() { cancel(); }

void ClockEvent::schedule(uint64_t deadline_ns) {
    if (pending_) clock_.remove(this);
    deadline_ = deadline_ns;
    pending_ = true;
    clock_.insert(this);
}

void ClockEvent::cancel() {
    if (!pending_) return;
    clock_.remove(this);
    pending_ = false;
}

uint64_t Clock::host_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

Clock::Clock() : origin_(host_ns()) {}

uint64_t Clock::now() const {
    switch (mode_) {
    case Mode::Host: return base_ns_ + (host_ns() - origin_);
    case Mode::Icount: return base_ns_ + ((*counter_ - origin_) << shift_);
    case Mode::Manual: break;
    }
    return base_ns_;
}

void Clock::use_icount(const uint64_t* counter, unsigned shift) {
    // A machine picks its time source before it runs: from host time, icount time starts at 0,
    // so two runs see the same times.
    base_ns_ = mode_ == Mode::Host ? 0 : now();
    mode_ = Mode::Icount;
    counter_ = counter;
    shift_ = shift;
    origin_ = *counter;
}

void Clock::use_manual() {
    base_ns_ = mode_ == Mode::Host ? 0 : now();
    mode_ = Mode::Manual;
}

// The queue holds a handful of events (one or two per timer chip), so a sorted vector beats a
// heap: the earliest deadline is front(), and insertion is a short move.
void Clock::insert(ClockEvent* e) {
    auto at = std::upper_bound(queue_.begin(), queue_.end(), e,
                               [](const ClockEvent* a, const ClockEvent* b) { return a->deadline_ < b->deadline_; });
    queue_.insert(at, e);
    if (e->deadline_ < budget_deadline_ && earlier_fn_) earlier_fn_(earlier_ctx_);
}

void Clock::remove(ClockEvent* e) {
    auto it = std::find(queue_.begin(), queue_.end(), e);
    if (it != queue_.end()) queue_.erase(it);
}

unsigned Clock::run_due() {
    unsigned n = 0;
    while (!queue_.empty() && queue_.front()->deadline_ <= now()) {
        ClockEvent* e = queue_.front();
        queue_.erase(queue_.begin());
        e->pending_ = false;
        ++n;
        e->fn_(e->deadline_);
    }
    return n;
}

void Clock::advance_to(uint64_t t) {
    // In icount mode time is tied to the instruction count; moving it means moving the base.
    auto set_now = [&](uint64_t v) {
        if (mode_ == Mode::Icount) origin_ = *counter_;
        base_ns_ = v;
    };
    while (!queue_.empty() && queue_.front()->deadline_ <= t) {
        if (queue_.front()->deadline_ > now()) set_now(queue_.front()->deadline_);
        run_due();
    }
    if (t > now()) set_now(t);
}

uint64_t Clock::insns_until(uint64_t t) const {
    const uint64_t n = now();
    if (t <= n) return 1;
    const uint64_t ns = t - n;
    const uint64_t per = 1ull << shift_;
    return std::max<uint64_t>(1, (ns + per - 1) >> shift_);
}

void Clock::sleep_until(uint64_t t, const std::atomic<uint32_t>& wake) {
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    const uint64_t n = now();
    if (t <= n || wake.load(std::memory_order_acquire)) return;
    // A deadline past what the host's clock can express (kNever) waits for notify() alone.
    const uint64_t wait_ns = std::min<uint64_t>(t - n, 3600ull * 1000000000ull);
    sleep_cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns),
                       [&] { return wake.load(std::memory_order_acquire) != 0; });
}

void Clock::notify() {
    // Taking the mutex orders this against a sleeper between its check of the word and its wait.
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    sleep_cv_.notify_all();
}

} // namespace xlat
