// "Logs once" for device registers that are not implemented: the first access to each one is
// reported on the "dev" trace, later ones are silent, so a guest that polls a missing register
// does not flood the log.
#pragma once
#include <cstdint>
#include <vector>

#include "memory/trace.h"

namespace xlat {

class OnceLog {
public:
    // `tracer` may be null (device tests): nothing is printed, the registers are still counted.
    explicit OnceLog(const Tracer* tracer = nullptr) : tracer_(tracer) {}
    void set_tracer(const Tracer* t) { tracer_ = t; }
    // Reports register `reg` of device `dev` the first time only.
    void unimplemented(const char* dev, const char* what, uint32_t reg) {
        for (uint32_t r : seen_)
            if (r == reg) return;
        seen_.push_back(reg);
        if (tracer_) tracer_->log(kTraceDev, "%s: %s %#x not implemented", dev, what, reg);
    }
    // Reports a guest action the hardware leaves undefined, once per `key` (a number no register
    // of the device uses), with the value that showed it.
    void undefined(const char* dev, const char* what, uint32_t key, uint32_t value) {
        for (uint32_t r : seen_)
            if (r == key) return;
        seen_.push_back(key);
        if (tracer_) tracer_->log(kTraceDev, "%s: %s (%#x)", dev, what, value);
    }
    size_t count() const { return seen_.size(); }

private:
    const Tracer* tracer_;
    std::vector<uint32_t> seen_;  // diagnostics only: not part of the device's state
};

} // namespace xlat
