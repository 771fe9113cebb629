// The NS16550A UART (National Semiconductor PC16550D datasheet, June 1995), one per COM port:
//   COM1 0x3F8 IRQ 4, COM2 0x2F8 IRQ 3, COM3 0x3E8 IRQ 4, COM4 0x2E8 IRQ 3
// Registers (offset; DLAB is LCR bit 7):
//   0  RBR (read) / THR (write); DLL with DLAB    1  IER; DLM with DLAB
//   2  IIR (read) / FCR (write)                   3  LCR
//   4  MCR                                        5  LSR
//   6  MSR                                        7  SCR
// Transmission takes no time: a byte written to THR goes to the back end at once, so THR and the
// transmitter are always empty again when the guest looks (LSR THRE and TEMT stay set, and a
// THR write raises the THR-empty interrupt again at once). Received bytes come from the back end
// through receive(), which a back end calls only while rx_space() says they fit, so that a
// fast host never overruns the FIFO; rx_ready tells it when a read made room. The character
// timeout is a ClockEvent on the machine's Clock. The interrupt output reaches the IRQ line
// through OUT2 (MCR bit 3), as on a PC's serial card; in loopback mode the output pins, OUT2
// included, are inactive.
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "devices/port_device.h"
#include "memory/clock.h"
#include "memory/irq.h"

namespace xlat {

class Uart16550 : public PortDevice {
public:
    // IER, IIR, FCR, LCR, MCR, LSR, MSR bits (datasheet section 8).
    enum : uint8_t { kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMs = 0x08 };
    enum : uint8_t { kIirNone = 0x01, kIirMs = 0x00, kIirThre = 0x02, kIirRda = 0x04, kIirRls = 0x06, kIirTimeout = 0x0C,
                     kIirFifo = 0xC0 };
    enum : uint8_t { kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04 };
    enum : uint8_t { kLcrDlab = 0x80 };
    enum : uint8_t { kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10 };
    enum : uint8_t { kLsrDr = 0x01, kLsrOe = 0x02, kLsrPe = 0x04, kLsrFe = 0x08, kLsrBi = 0x10, kLsrThre = 0x20,
                     kLsrTemt = 0x40, kLsrFifoErr = 0x80 };
    enum : uint8_t { kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08, kMsrCts = 0x10, kMsrDsr = 0x20,
                     kMsrRi = 0x40, kMsrDcd = 0x80 };
    static constexpr unsigned kFifoSize = 16;
    static constexpr uint32_t kClockHz = 1843200;  // the PC's 1.8432 MHz crystal: divisor 1 = 115200 baud

    // `clock`: the machine's time (the character timeout); `tx`: where transmitted bytes go (the
    // back end; empty: nowhere).
    Uart16550(const char* name, uint16_t base, Clock& clock, std::function<void(uint8_t)> tx = {});
    const char* name() const override { return name_; }
    void reset() override;
    uint32_t io_read(uint16_t port, unsigned size) override;
    void io_write(uint16_t port, unsigned size, uint32_t value) override;
    uint32_t state_version() const override { return 2; }  // 2: rx_err
    void describe_state(StateList& out) override;
    void post_load() override { update_irq(); }

    // A byte arrives on the line from the back end (ignored in loopback mode, where the line is
    // disconnected). Returns false when it was lost to an overrun.
    bool receive(uint8_t byte);
    // A break on the line (Ctrl-A b on the terminal; Linux takes it as the SysRq key): a zero
    // character with LSR BI (ignored in loopback mode).
    void receive_break();
    // How many bytes a back end may send now: the room in the receiver while the guest asserts
    // RTS (hardware flow control); 0 in loopback mode.
    unsigned rx_space() const;
    // The modem status inputs the back end drives (CTS, DSR, DCD, RI as MSR bits 4-7).
    void set_modem_inputs(uint8_t msr_high);
    uint16_t base() const { return base_; }
    uint16_t divisor() const { return divisor_; }
    // The time one character takes on the line at the programmed rate and frame.
    uint64_t char_time_ns() const;

    IrqLine irq;
    std::function<void(uint8_t)> tx;
    // Called (on the machine's thread) when rx_space() may have grown: a read of RBR, the FIFO
    // switched on, RTS raised, loopback left.
    std::function<void()> rx_ready;

private:
    uint8_t iir() const;
    void update_irq();
    void put_rx(uint8_t byte, uint8_t err);
    bool fifo_has_error() const;
    uint8_t read_rbr();
    uint8_t trigger_level() const;
    void arm_timeout();
    uint8_t modem_inputs() const;  // MSR bits 4-7 as the chip sees them (loopback or the line)
    void set_msr_inputs(uint8_t now);

    const char* name_;
    uint16_t base_;
    Clock& clock_;
    // State.
    uint16_t divisor_ = 0;
    uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, lsr_ = 0, msr_ = 0, scr_ = 0, fcr_ = 0;
    uint8_t line_inputs_ = kMsrCts | kMsrDsr | kMsrDcd;  // what the back end drives
    std::array<uint8_t, kFifoSize> rx_{};  // receive FIFO (one byte used when FIFOs are off)
    std::array<uint8_t, kFifoSize> rx_err_{};  // each character's LSR error bits (BI)
    uint8_t rx_head_ = 0, rx_count_ = 0;
    bool thre_pending_ = false;     // THR-empty interrupt waiting (cleared by an IIR read or a THR write)
    bool timeout_pending_ = false;  // character timeout interrupt
    ClockEvent timeout_;            // four character times after the last character in or out of the FIFO
};

} // namespace xlat
