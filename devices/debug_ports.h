// The debug ports shared with QEMU and Bochs, so one test ROM runs under all three:
//   0xE9  debug console (QEMU -debugcon, Bochs port E9 hack): each byte written is output;
//         a read returns 0xE9 so a guest can detect it.
//   0xF4-0xF7  exit port (QEMU -device isa-debug-exit,iobase=0xf4,iosize=4): writing v to any of
//         the four ports ends the run with status (v << 1) | 1.
//   0x80  POST code port: keeps the last value written (shown by --trace post).
#pragma once
#include <cstdio>
#include <functional>
#include <string>

#include "memory/device.h"

namespace xlat {

class DebugConsole : public Device {
public:
    // sink receives every byte the guest writes; nullptr discards them.
    explicit DebugConsole(std::function<void(char)> sink) : sink_(std::move(sink)) {}
    const char* name() const override { return "debugcon"; }
    uint32_t read(unsigned, uint32_t, unsigned) override { return 0xE9; }
    void write(unsigned, uint32_t, unsigned, uint32_t value) override {
        if (sink_) sink_(char(value & 0xFF));
    }

private:
    std::function<void(char)> sink_;
};

class ExitPort : public Device {
public:
    static constexpr unsigned kPorts = 4;  // iosize=4: ports base .. base+3
    // on_exit receives the exit status (v << 1) | 1.
    explicit ExitPort(std::function<void(int)> on_exit) : on_exit_(std::move(on_exit)) {}
    const char* name() const override { return "isa-debug-exit"; }
    // QEMU's device reads as 0 (its read callback returns 0; measured with QEMU 7.2).
    uint32_t read(unsigned, uint32_t, unsigned) override { return 0; }
    // Any write of 1, 2 or 4 bytes inside the window exits with the value written (so a byte 5
    // written to 0xF5 exits with 11, a word to 0xF6 with its value). QEMU declares the region
    // for naturally aligned accesses only and drops the others (a word at 0xF5 or 0xF7, a dword
    // anywhere but 0xF4: checked against qemu-system-i386 7.2 by the cli tests); the machine
    // claims the window with `aligned` set, so the bus drops them before they come here.
    void write(unsigned, uint32_t, unsigned size, uint32_t value) override {
        const uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        on_exit_(int(((value & mask) << 1) | 1));
    }

private:
    std::function<void(int)> on_exit_;
};

class PostPort : public Device {
public:
    explicit PostPort(std::function<void(uint8_t)> on_post) : on_post_(std::move(on_post)) {}
    const char* name() const override { return "post"; }
    uint32_t read(unsigned, uint32_t, unsigned) override { return last_; }
    void write(unsigned, uint32_t, unsigned, uint32_t value) override {
        last_ = uint8_t(value);
        if (on_post_) on_post_(last_);
    }
    void reset() override { last_ = 0; }
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override { out.u8("last", last_); }
    uint8_t last() const { return last_; }

private:
    uint8_t last_ = 0;
    std::function<void(uint8_t)> on_post_;
};

} // namespace xlat
