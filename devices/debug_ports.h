// The debug ports shared with QEMU and Bochs, so one test ROM runs under all three:
//   0xE9  debug console (QEMU -debugcon, Bochs port E9 hack): each byte written is output;
//         a read returns 0xE9 so a guest can detect it.
//   0xF4  exit port (QEMU isa-debug-exit, iosize 4): writing v ends the run with status
//         (v << 1) | 1.
//   0x80  POST code port: keeps the last value written (shown by --trace post).
#pragma once
#include <cstdio>
#include <functional>
#include <string>

#include "memory/iobus.h"

namespace xlat {

class DebugConsole : public Device {
public:
    // sink receives every byte the guest writes; nullptr discards them.
    explicit DebugConsole(std::function<void(char)> sink) : sink_(std::move(sink)) {}
    const char* name() const override { return "debugcon"; }
    uint32_t io_read(uint16_t, unsigned) override { return 0xE9; }
    void io_write(uint16_t, unsigned size, uint32_t value) override {
        // A wider write sends its low byte, as QEMU's debugcon does.
        (void)size;
        if (sink_) sink_(char(value & 0xFF));
    }

private:
    std::function<void(char)> sink_;
};

class ExitPort : public Device {
public:
    // on_exit receives the exit status (v << 1) | 1.
    explicit ExitPort(std::function<void(int)> on_exit) : on_exit_(std::move(on_exit)) {}
    const char* name() const override { return "isa-debug-exit"; }
    uint32_t io_read(uint16_t, unsigned size) override { return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
    void io_write(uint16_t, unsigned size, uint32_t value) override {
        uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        on_exit_(int(((value & mask) << 1) | 1));
    }

private:
    std::function<void(int)> on_exit_;
};

class PostPort : public Device {
public:
    explicit PostPort(std::function<void(uint8_t)> on_post) : on_post_(std::move(on_post)) {}
    const char* name() const override { return "post"; }
    uint32_t io_read(uint16_t, unsigned) override { return last_; }
    void io_write(uint16_t, unsigned, uint32_t value) override {
        last_ = uint8_t(value);
        if (on_post_) on_post_(last_);
    }
    void reset() override { last_ = 0; }
    uint8_t last() const { return last_; }

private:
    uint8_t last_ = 0;
    std::function<void(uint8_t)> on_post_;
};

} // namespace xlat
