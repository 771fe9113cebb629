#include "devices/uart.h"

namespace xlat {

Uart16550::Uart16550(const char* name, uint16_t base, Clock& clock, std::function<void(uint8_t)> tx_)
    : tx(std::move(tx_)), name_(name), base_(base), clock_(clock),
      timeout_(clock, std::string(name) + " timeout", [this](uint64_t) {
          // Datasheet 8.6.2: no character in or out of a FIFO holding characters for four
          // character times.
          if (!rx_count_) return;
          timeout_pending_ = true;
          update_irq();
      }) {
    reset();
}

void Uart16550::describe_state(StateList& s) {
    s.u16("divisor", divisor_).u8("ier", ier_).u8("lcr", lcr_).u8("mcr", mcr_).u8("lsr", lsr_).u8("msr", msr_)
        .u8("scr", scr_).u8("fcr", fcr_).u8("line_inputs", line_inputs_).bytes("rx", rx_.data(), kFifoSize).bytes("rx_err", rx_err_.data(), kFifoSize)
        .u8("rx_head", rx_head_).u8("rx_count", rx_count_).boolean("thre_pending", thre_pending_)
        .boolean("timeout_pending", timeout_pending_).event("timeout", timeout_);
}

void Uart16550::reset() {
    // Master reset values (datasheet Table IV): everything 0 but LSR (THRE, TEMT) and the MSR inputs.
    divisor_ = 0;
    ier_ = lcr_ = mcr_ = scr_ = fcr_ = 0;
    lsr_ = kLsrThre | kLsrTemt;
    msr_ = line_inputs_;
    rx_head_ = rx_count_ = 0;
    rx_err_.fill(0);
    thre_pending_ = false;
    timeout_pending_ = false;
    timeout_.cancel();
    update_irq();
}

uint8_t Uart16550::trigger_level() const {
    static constexpr uint8_t kLevels[4] = {1, 4, 8, 14};
    return kLevels[fcr_ >> 6];
}

uint64_t Uart16550::char_time_ns() const {
    // Start bit, 5-8 data bits, parity, 1 or 2 stop bits; 16 clocks of the divided crystal each.
    const unsigned bits = 1 + 5 + (lcr_ & 3) + ((lcr_ & 0x08) ? 1 : 0) + ((lcr_ & 0x04) ? 2 : 1);
    const uint64_t div = divisor_ ? divisor_ : 0x10000;
    return bits * 16 * div * 1000000000ull / kClockHz;
}

void Uart16550::arm_timeout() {
    // FIFO mode: characters below the trigger level raise the timeout interrupt after four
    // character times without a character arriving or being read (datasheet 8.6.2).
    timeout_pending_ = false;
    if ((fcr_ & kFcrEnable) && rx_count_) timeout_.schedule(clock_.now() + 4 * char_time_ns());
    else timeout_.cancel();
}

uint8_t Uart16550::iir() const {
    // Priorities (datasheet Table V): line status, received data (or timeout), THR empty, modem status.
    uint8_t id = kIirNone;
    const bool fifo = fcr_ & kFcrEnable;
    if ((ier_ & kIerRls) && (lsr_ & (kLsrOe | kLsrPe | kLsrFe | kLsrBi))) id = kIirRls;
    else if ((ier_ & kIerRda) && rx_count_ >= (fifo ? trigger_level() : 1)) id = kIirRda;
    else if ((ier_ & kIerRda) && timeout_pending_) id = kIirTimeout;
    else if ((ier_ & kIerThre) && thre_pending_) id = kIirThre;
    else if ((ier_ & kIerMs) && (msr_ & 0x0F)) id = kIirMs;
    return uint8_t(id | (fifo ? kIirFifo : 0));
}

void Uart16550::update_irq() {
    irq.set(!(iir() & kIirNone) && (mcr_ & kMcrOut2) && !(mcr_ & kMcrLoop));
}

uint8_t Uart16550::modem_inputs() const {
    if (!(mcr_ & kMcrLoop)) return line_inputs_;
    // Loopback (datasheet 8.7): RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
    return uint8_t(((mcr_ & kMcrRts) ? kMsrCts : 0) | ((mcr_ & kMcrDtr) ? kMsrDsr : 0) |
                   ((mcr_ & kMcrOut1) ? kMsrRi : 0) | ((mcr_ & kMcrOut2) ? kMsrDcd : 0));
}

void Uart16550::set_msr_inputs(uint8_t now) {
    const uint8_t old = msr_ & 0xF0;
    uint8_t delta = 0;
    if ((old ^ now) & kMsrCts) delta |= kMsrDcts;
    if ((old ^ now) & kMsrDsr) delta |= kMsrDdsr;
    if ((old ^ now) & kMsrDcd) delta |= kMsrDdcd;
    if ((old & kMsrRi) && !(now & kMsrRi)) delta |= kMsrTeri;  // trailing edge of RI
    msr_ = uint8_t((msr_ & 0x0F) | delta | now);
}

void Uart16550::set_modem_inputs(uint8_t msr_high) {
    line_inputs_ = msr_high & 0xF0;
    set_msr_inputs(modem_inputs());
    update_irq();
}

void Uart16550::put_rx(uint8_t byte, uint8_t err) {
    const unsigned cap = (fcr_ & kFcrEnable) ? kFifoSize : 1;
    if (rx_count_ >= cap) {
        // Overrun: in FIFO mode the new character is lost; without FIFO it replaces the old one.
        lsr_ |= kLsrOe;
        if (cap == 1) {
            rx_[rx_head_] = byte;
            rx_err_[rx_head_] = err;
            lsr_ |= err;
        }
    } else {
        const unsigned slot = (rx_head_ + rx_count_) % kFifoSize;
        rx_[slot] = byte;
        rx_err_[slot] = err;
        // A character's error bits show in LSR when it reaches the top (datasheet 8.6.3, LSR2-4).
        if (!rx_count_) lsr_ |= err;
        ++rx_count_;
    }
    arm_timeout();
    update_irq();
}

void Uart16550::receive_break() {
    // One zero character with BI, however long the break (datasheet LSR4).
    if (!(mcr_ & kMcrLoop)) put_rx(0, kLsrBi);
}

bool Uart16550::receive(uint8_t byte) {
    if (mcr_ & kMcrLoop) return false;  // the receiver listens to the transmitter only
    const bool fits = rx_count_ < ((fcr_ & kFcrEnable) ? kFifoSize : 1);
    put_rx(byte, 0);
    return fits;
}

unsigned Uart16550::rx_space() const {
    // Hardware flow control, as a modem does it: the host end sends while the guest asserts
    // RTS. A driver raises RTS (with DTR) when the port is opened, after it has set up the
    // FIFOs, whose switching would drop what had arrived (Linux: uart_port_dtr_rts at open,
    // and it drops RTS to throttle with crtscts); in loopback the line is disconnected.
    if ((mcr_ & kMcrLoop) || !(mcr_ & kMcrRts)) return 0;
    const unsigned cap = (fcr_ & kFcrEnable) ? kFifoSize : 1;
    return cap - rx_count_;
}

bool Uart16550::fifo_has_error() const {
    // LSR7, FIFO mode only: some character in the receive FIFO has a parity, framing or break
    // error (it goes when the last such character has been read).
    if (!(fcr_ & kFcrEnable)) return false;
    for (unsigned i = 0; i < rx_count_; ++i)
        if (rx_err_[(rx_head_ + i) % kFifoSize]) return true;
    return false;
}

uint8_t Uart16550::read_rbr() {
    uint8_t b = rx_[rx_head_];
    const bool had = rx_count_;
    if (had) {
        rx_err_[rx_head_] = 0;
        rx_head_ = uint8_t((rx_head_ + 1) % kFifoSize);
        --rx_count_;
        if (rx_count_) lsr_ |= rx_err_[rx_head_];  // the next character's errors
    }
    arm_timeout();
    update_irq();  // before rx_ready: a byte it delivers at once raises the line again (an edge)
    if (had && rx_ready) rx_ready();
    return b;
}

uint32_t Uart16550::io_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned reg = (port + i - base_) & 7;
        uint8_t b = 0;
        switch (reg) {
        case 0: b = (lcr_ & kLcrDlab) ? uint8_t(divisor_) : read_rbr(); break;
        case 1: b = (lcr_ & kLcrDlab) ? uint8_t(divisor_ >> 8) : ier_; break;
        case 2:
            b = iir();
            // Reading IIR acknowledges a THR-empty interrupt when that is what it reports.
            if ((b & 0x0F) == kIirThre) thre_pending_ = false;
            break;
        case 3: b = lcr_; break;
        case 4: b = mcr_; break;
        case 5:
            b = uint8_t(lsr_ | (rx_count_ ? kLsrDr : 0) | kLsrThre | kLsrTemt | (fifo_has_error() ? kLsrFifoErr : 0));
            lsr_ &= uint8_t(~(kLsrOe | kLsrPe | kLsrFe | kLsrBi));  // error bits clear on read
            break;
        case 6:
            b = msr_;
            msr_ &= 0xF0;  // delta bits clear on read
            break;
        default: b = scr_; break;
        }
        v |= uint32_t(b) << (8 * i);
    }
    update_irq();
    return v;
}

void Uart16550::io_write(uint16_t port, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size; ++i) {
        const unsigned reg = (port + i - base_) & 7;
        const uint8_t b = uint8_t(value >> (8 * i));
        switch (reg) {
        case 0:
            if (lcr_ & kLcrDlab) {
                divisor_ = uint16_t((divisor_ & 0xFF00) | b);
                break;
            }
            if (mcr_ & kMcrLoop) put_rx(b, 0);
            else if (tx) tx(b);
            // Sent at once: THR is empty again, which is an interrupt of its own (datasheet
            // Table V: writing THR clears the THRE interrupt; the empty THR sets it again).
            thre_pending_ = true;
            break;
        case 1:
            if (lcr_ & kLcrDlab) {
                divisor_ = uint16_t((divisor_ & 0x00FF) | b << 8);
                break;
            }
            // Enabling the THR-empty interrupt while THR is empty raises it, even when an IIR
            // read had acknowledged it before: Linux's 8250 driver checks at startup that
            // IER 0 -> THRI re-asserts it (else it marks the port UART_BUG_THRE and polls), and
            // Windows toggles IER to 0 and back to kick its transmitter. A write that leaves
            // ETBEI set changes nothing; clearing ETBEI forgets the interrupt.
            if ((b & kIerThre) && !(ier_ & kIerThre)) thre_pending_ = true;
            if (!(b & kIerThre)) thre_pending_ = false;
            ier_ = b & 0x0F;
            break;
        case 2: {
            const bool was = fcr_ & kFcrEnable;
            const bool on = b & kFcrEnable;
            fcr_ = on ? uint8_t(b & 0xC9) : 0;
            if (was != on || (b & kFcrClearRx)) {  // switching FIFO mode clears both FIFOs
                rx_head_ = rx_count_ = 0;
                rx_err_.fill(0);
                arm_timeout();
                if (rx_ready) rx_ready();
            }
            break;
        }
        case 3: lcr_ = b; break;
        case 4: {
            const uint8_t old = mcr_;
            const bool was_loop = old & kMcrLoop;
            mcr_ = b & 0x1F;
            set_msr_inputs(modem_inputs());
            // Raising RTS or leaving loopback lets the back end send again.
            if (((was_loop && !(mcr_ & kMcrLoop)) || (!(old & kMcrRts) && (mcr_ & kMcrRts))) && rx_ready) rx_ready();
            break;
        }
        case 5: case 6: break;  // LSR and MSR are read-only here (factory test registers)
        default: scr_ = b; break;
        }
    }
    update_irq();
}

} // namespace xlat
