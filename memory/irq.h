// Interrupt wiring, in the bus layer so that cpu/ (which takes interrupts) and devices/ (which
// raise them and implement the controllers) both see it and neither includes the other:
//   IrqLine          a wire from a device's interrupt output to one controller input
//   IrqSink          an interrupt controller's inputs (the 8259 PIC, later the I/O APIC)
//   InterruptSource  the controller as the CPU sees it: the INTR pin and the INTA cycle
//   LocalApicPort    the local APIC as the CPU sees it besides: IA32_APIC_BASE and its ID
#pragma once
#include <cstdint>

namespace xlat {

// The inputs of an interrupt controller. `level` is the new level of input `pin`; whether the
// controller reacts to the level or to its rising edge is the controller's setting (the 8259's
// LTIM bit and ELCR, the I/O APIC's trigger mode), as on real hardware: a device only drives a wire.
class IrqSink {
public:
    virtual ~IrqSink() = default;
    virtual void set_irq(unsigned pin, bool level) = 0;
};

// A device's interrupt output. A level-triggered device holds it with set(true) until its cause
// is gone; an edge-triggered device (the PIT's OUT0, the RTC through the 8259 in edge mode) makes
// a rising edge with pulse(), or raises and lowers it itself. An unconnected line goes nowhere.
class IrqLine {
public:
    void connect(IrqSink* sink, unsigned pin) {
        sink_ = sink;
        pin_ = pin;
        if (sink_) sink_->set_irq(pin_, level_);
    }
    void set(bool level) {
        if (level == level_) return;
        level_ = level;
        if (sink_) sink_->set_irq(pin_, level);
    }
    void raise() { set(true); }
    void lower() { set(false); }
    void pulse() { set(true); set(false); }
    bool level() const { return level_; }
    bool connected() const { return sink_ != nullptr; }

private:
    IrqSink* sink_ = nullptr;
    unsigned pin_ = 0;
    bool level_ = false;
};

// The interrupt controller as the CPU sees it: the INTR pin and the INTA cycle that fetches the
// vector (the 8259 PIC, later the local APIC). The CPU does not ask at every instruction
// boundary: a controller whose INTR output rises calls intr_raised(), which sets the CPU's exit
// request (docs/runloop.md), and the CPU then looks at intr() at its next boundary.
class InterruptSource {
public:
    virtual ~InterruptSource() = default;
    virtual bool intr() const = 0;      // INTR asserted: an interrupt is waiting
    virtual uint8_t acknowledge() = 0;  // the INTA cycle: the vector to deliver
    // Who is told when INTR rises (the machine points this at Cpu::request_exit(kExitIrq)).
    void on_intr(void (*fn)(void*), void* ctx) {
        notify_ = fn;
        notify_ctx_ = ctx;
    }

protected:
    void intr_raised() {
        if (notify_) notify_(notify_ctx_);
    }

private:
    void (*notify_)(void*) = nullptr;
    void* notify_ctx_ = nullptr;
};

// The local APIC as its CPU sees it beyond INTR/INTA (SDM Vol. 3A, 10.4): the CPU keeps the
// IA32_APIC_BASE MSR in its state and tells the APIC when WRMSR changed it (relocation, global
// enable), and reports the APIC's presence and ID in CPUID leaf 1.
class LocalApicPort : public InterruptSource {
public:
    // IA32_APIC_BASE was written: bits 35:12 the base, 11 the global enable, 8 BSP.
    virtual void apic_base_written(uint64_t value) = 0;
    virtual uint8_t apic_id() const = 0;
};

} // namespace xlat
