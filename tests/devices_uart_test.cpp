// The 16550A through its ports, as a serial driver programs it: divisor latch, loopback with the
// modem lines, THR-empty and received-data interrupts through OUT2, FIFO trigger levels, the
// character timeout on a stepped clock, overrun and interrupt priorities.
#include <catch2/catch.hpp>

#include <string>

#include "devices/uart.h"

using namespace xlat;

namespace {

struct Line : IrqSink {
    bool level = false;
    unsigned rises = 0;
    void set_irq(unsigned, bool l) override {
        if (l && !level) ++rises;
        level = l;
    }
};

struct Rig {
    Clock clock;
    std::string sent;
    IoBus io;
    Uart16550 com1{"com1", 0x3F8, clock, [this](uint8_t b) { sent += char(b); }};
    Line irq4;
    Rig() {
        clock.use_manual();
        claim_ports(io, 0x3F8, 8, &com1);
        com1.irq.connect(&irq4, 4);
    }
    uint8_t in(unsigned reg) { return uint8_t(io.read(uint16_t(0x3F8 + reg), 1)); }
    void out(unsigned reg, uint8_t v) { io.write(uint16_t(0x3F8 + reg), 1, v); }
};

} // namespace

TEST_CASE("uart: power-on registers, divisor latch and scratch", "[devices]") {
    Rig r;
    CHECK(r.in(2) == Uart16550::kIirNone);
    CHECK(r.in(5) == (Uart16550::kLsrThre | Uart16550::kLsrTemt));
    CHECK((r.in(6) & 0xF0) == (Uart16550::kMsrCts | Uart16550::kMsrDsr | Uart16550::kMsrDcd));
    // 115200 baud, 8N1, as Linux programs the console.
    r.out(3, 0x80);
    r.out(0, 0x01);
    r.out(1, 0x00);
    r.out(3, 0x03);
    CHECK(r.com1.divisor() == 1);
    r.out(1, 0x05);  // with DLAB clear, offset 1 is IER again
    CHECK(r.in(1) == 0x05);
    r.out(3, 0x83);
    CHECK(r.in(0) == 0x01);  // DLL reads back
    CHECK(r.in(1) == 0x00);  // DLM
    r.out(3, 0x03);
    r.out(7, 0xA5);
    CHECK(r.in(7) == 0xA5);
    r.out(0, 'h');
    r.out(0, 'i');
    CHECK(r.sent == "hi");
    r.com1.reset();
    CHECK(r.in(7) == 0);
    CHECK(r.in(1) == 0);
    CHECK(r.com1.divisor() == 0);
}

TEST_CASE("uart: loopback sends THR to RBR and the modem outputs to the inputs", "[devices]") {
    Rig r;
    r.out(4, Uart16550::kMcrLoop);
    r.in(6);  // clear the deltas of entering loopback (all inputs dropped)
    CHECK((r.in(6) & 0xF0) == 0);
    r.out(0, 'A');
    CHECK(r.sent.empty());  // nothing reaches the line
    CHECK(r.in(5) & Uart16550::kLsrDr);
    CHECK(r.in(0) == 'A');
    CHECK_FALSE(r.in(5) & Uart16550::kLsrDr);
    CHECK_FALSE(r.com1.receive('z'));  // the line is disconnected in loopback
    CHECK_FALSE(r.in(5) & Uart16550::kLsrDr);
    // RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD, with their delta bits.
    r.out(4, Uart16550::kMcrLoop | Uart16550::kMcrRts | Uart16550::kMcrDtr | Uart16550::kMcrOut1 | Uart16550::kMcrOut2);
    CHECK(r.in(6) == (0xF0 | Uart16550::kMsrDcts | Uart16550::kMsrDdsr | Uart16550::kMsrDdcd));
    CHECK(r.in(6) == 0xF0);  // deltas cleared by the read
    r.out(4, Uart16550::kMcrLoop | Uart16550::kMcrRts);
    CHECK(r.in(6) == (Uart16550::kMsrCts | Uart16550::kMsrDdsr | Uart16550::kMsrTeri | Uart16550::kMsrDdcd));
    // Interrupts are generated but the IRQ pin stays quiet in loopback (OUT2 is not driven out).
    r.out(1, Uart16550::kIerRda);
    r.out(0, 'B');
    CHECK((r.in(2) & 0x0F) == Uart16550::kIirRda);
    CHECK_FALSE(r.irq4.level);
}

TEST_CASE("uart: THR-empty and received-data interrupts through OUT2", "[devices]") {
    Rig r;
    r.out(1, Uart16550::kIerThre);
    CHECK_FALSE(r.irq4.level);  // OUT2 clear: the card's IRQ driver is off
    r.out(4, Uart16550::kMcrOut2);
    CHECK(r.irq4.level);  // enabling ETBEI with THR empty raised it
    CHECK(r.in(2) == Uart16550::kIirThre);
    CHECK_FALSE(r.irq4.level);  // acknowledged by reading IIR
    CHECK(r.in(2) == Uart16550::kIirNone);
    r.out(0, 'x');
    CHECK(r.irq4.level);  // sent: THR empty again
    CHECK(r.sent == "x");
    r.out(1, 0);
    CHECK_FALSE(r.irq4.level);

    r.out(1, Uart16550::kIerRda);
    CHECK(r.com1.receive('k'));
    CHECK(r.irq4.level);
    CHECK(r.in(2) == Uart16550::kIirRda);
    CHECK(r.irq4.level);  // still: the data is there
    CHECK(r.in(0) == 'k');
    CHECK_FALSE(r.irq4.level);
    // Without FIFOs a second byte before the read overruns and replaces the first.
    CHECK(r.com1.receive('1'));
    CHECK_FALSE(r.com1.receive('2'));
    CHECK(r.in(5) == (Uart16550::kLsrDr | Uart16550::kLsrOe | Uart16550::kLsrThre | Uart16550::kLsrTemt));
    CHECK((r.in(5) & Uart16550::kLsrOe) == 0);  // cleared by the read
    CHECK(r.in(0) == '2');
}

TEST_CASE("uart: FIFO trigger level, character timeout and overrun", "[devices]") {
    Rig r;
    r.out(3, 0x80);
    r.out(0, 1);  // 115200 baud: a 10-bit character takes 86.8 us
    r.out(3, 0x03);
    r.out(4, Uart16550::kMcrOut2 | Uart16550::kMcrRts);
    r.out(2, Uart16550::kFcrEnable | Uart16550::kFcrClearRx | 0x80);  // trigger at 8 bytes
    r.out(1, Uart16550::kIerRda | Uart16550::kIerRls);
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirNone));
    for (int i = 0; i < 7; ++i) r.com1.receive(uint8_t('a' + i));
    CHECK_FALSE(r.irq4.level);  // below the trigger level
    CHECK(r.com1.rx_space() == 9);
    r.com1.receive('h');
    CHECK(r.irq4.level);
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirRda));
    CHECK(r.in(0) == 'a');  // 7 left: below the trigger again
    CHECK_FALSE(r.irq4.level);
    // Four character times later with no activity: the timeout interrupt, from the clock.
    const uint64_t four = 4 * (10 * 16 * 1000000000ull / 1843200);
    CHECK(r.com1.char_time_ns() == 10 * 16 * 1000000000ull / 1843200);
    CHECK(r.clock.next_deadline() == four);
    r.clock.advance(four - 1);
    CHECK_FALSE(r.irq4.level);
    r.clock.advance(1);
    CHECK(r.irq4.level);
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirTimeout));
    std::string got;
    while (r.in(5) & Uart16550::kLsrDr) got += char(r.in(0));
    CHECK(got == "bcdefgh");
    CHECK_FALSE(r.irq4.level);  // reading cleared the timeout
    // Sixteen bytes fill the FIFO; the seventeenth is lost and reported with top priority.
    for (int i = 0; i < 17; ++i) r.com1.receive(uint8_t('A' + i));
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirRls));
    CHECK(r.in(5) & Uart16550::kLsrOe);
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirRda));  // next in priority
    got.clear();
    while (r.in(5) & Uart16550::kLsrDr) got += char(r.in(0));
    CHECK(got == "ABCDEFGHIJKLMNOP");
    // Trigger level 14; clearing the receive FIFO drops what it holds.
    r.out(2, Uart16550::kFcrEnable | 0xC0);
    for (int i = 0; i < 13; ++i) r.com1.receive('x');
    CHECK((r.in(2) & 0x0F) == Uart16550::kIirNone);
    r.com1.receive('x');
    CHECK((r.in(2) & 0x0F) == Uart16550::kIirRda);
    r.out(2, Uart16550::kFcrEnable | Uart16550::kFcrClearRx | 0xC0);
    CHECK_FALSE(r.in(5) & Uart16550::kLsrDr);
    CHECK_FALSE(r.irq4.level);
}

TEST_CASE("uart: modem status interrupt from the line", "[devices]") {
    Rig r;
    r.out(4, Uart16550::kMcrOut2);
    r.out(1, Uart16550::kIerMs | Uart16550::kIerThre);
    CHECK(r.in(2) == Uart16550::kIirThre);  // THRE outranks modem status
    r.com1.set_modem_inputs(Uart16550::kMsrCts | Uart16550::kMsrDsr);  // carrier lost
    CHECK(r.irq4.level);
    CHECK(r.in(2) == Uart16550::kIirMs);
    CHECK(r.in(6) == (Uart16550::kMsrCts | Uart16550::kMsrDsr | Uart16550::kMsrDdcd));
    CHECK_FALSE(r.irq4.level);
}

#include "test_machine.h"

TEST_CASE("uart: the machine's COM ports reach their back ends and reset with the machine", "[devices]") {
    xlat::MachineConfig cfg = small_config();
    std::string com1, com4;
    cfg.serial_out[0] = [&](uint8_t b) { com1 += char(b); };
    cfg.serial_out[3] = [&](uint8_t b) { com4 += char(b); };
    xlat::Machine m(cfg);
    for (char c : std::string("ok\n")) m.io.write(0x3F8, 1, uint8_t(c));
    m.io.write(0x2E8, 1, '4');
    m.io.write(0x2F8, 1, '2');  // COM2 has no back end: dropped
    CHECK(com1 == "ok\n");
    CHECK(com4 == "4");
    m.io.write(0x3FF, 1, 0x5A);
    CHECK(m.io.read(0x3FF, 1) == 0x5A);
    m.reset();
    CHECK(m.io.read(0x3FF, 1) == 0);
}

TEST_CASE("uart: the character timeout restarts with every character in or out, and needs the FIFO", "[devices]") {
    Rig r;
    r.out(3, 0x80);
    r.out(0, 12);  // 9600 baud
    r.out(1, 0);
    r.out(3, 0x1B);  // 8 data bits, even parity, 1 stop bit: 11 bits a character
    r.out(4, Uart16550::kMcrOut2);
    r.out(1, Uart16550::kIerRda);
    const uint64_t ct = 11ull * 16 * 12 * 1000000000ull / 1843200;
    CHECK(r.com1.char_time_ns() == ct);
    // Without FIFOs every byte is "at the trigger": no timeout is ever armed.
    r.com1.receive('a');
    CHECK(r.clock.idle());
    CHECK(r.in(2) == Uart16550::kIirRda);
    CHECK(r.in(0) == 'a');
    r.out(2, Uart16550::kFcrEnable | 0x40);  // trigger 4
    r.com1.receive('b');
    r.clock.advance(3 * ct);
    r.com1.receive('c');  // a character in: four more character times from here
    r.clock.advance(3 * ct);
    CHECK_FALSE(r.irq4.level);
    CHECK(r.in(0) == 'b');  // a character out: again four from here
    r.clock.advance(4 * ct - 1);
    CHECK_FALSE(r.irq4.level);
    r.clock.advance(1);
    CHECK(r.irq4.level);
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirTimeout));
    CHECK(r.in(0) == 'c');  // the FIFO is empty: no interrupt, nothing armed
    CHECK_FALSE(r.irq4.level);
    CHECK(r.clock.idle());
    r.com1.receive('d');
    r.out(2, Uart16550::kFcrEnable | Uart16550::kFcrClearRx | 0x40);  // clearing disarms it
    CHECK(r.clock.idle());
}

TEST_CASE("uart: THR-empty re-arms on an IER write as Linux's 8250 startup test expects", "[devices]") {
    // serial8250_do_startup: wait for THRE; IER = THRI; read IIR; IER = 0; IER = THRI; read IIR.
    // A UART whose second read says "no interrupt" is marked UART_BUG_THRE and polled by a timer.
    Rig r;
    r.out(4, Uart16550::kMcrOut2 | Uart16550::kMcrDtr | Uart16550::kMcrRts);
    CHECK(r.in(5) & Uart16550::kLsrThre);
    r.out(1, Uart16550::kIerThre);
    const uint8_t iir1 = r.in(2);
    r.out(1, 0);
    r.out(1, Uart16550::kIerThre);
    const uint8_t iir2 = r.in(2);
    r.out(1, 0);
    CHECK(iir1 == Uart16550::kIirThre);
    CHECK(iir2 == Uart16550::kIirThre);
    CHECK_FALSE(r.irq4.level);
    // A write that leaves ETBEI set does not raise it again once acknowledged.
    r.out(1, Uart16550::kIerThre);
    CHECK(r.in(2) == Uart16550::kIirThre);
    r.out(1, Uart16550::kIerThre | Uart16550::kIerRda);
    CHECK(r.in(2) == Uart16550::kIirNone);
    // Received data outranks it; reading RBR lets it show again.
    r.out(0, 'x');  // THR empty again at once
    r.com1.receive('y');
    CHECK(r.in(2) == Uart16550::kIirRda);
    CHECK(r.in(0) == 'y');
    CHECK(r.in(2) == Uart16550::kIirThre);
    CHECK(r.in(2) == Uart16550::kIirNone);
    CHECK(r.in(5) == (Uart16550::kLsrThre | Uart16550::kLsrTemt));
}

TEST_CASE("uart: Linux's autoconfig probes see a 16550A", "[devices]") {
    Rig r;
    // IER test: 0 reads back 0, 0x0F reads back 0x0F.
    r.out(1, 0);
    CHECK(r.in(1) == 0);
    r.out(1, 0x0F);
    CHECK((r.in(1) & 0x0F) == 0x0F);
    r.out(1, 0);
    // Loopback with RTS and OUT2: MSR high nibble 0x90 (CTS and DCD).
    r.out(4, Uart16550::kMcrLoop | 0x0A);
    CHECK((r.in(6) & 0xF0) == 0x90);
    r.out(4, 0);
    // FCR enable: IIR bits 7:6 = 11 says "16550A with working FIFOs".
    r.out(2, Uart16550::kFcrEnable);
    CHECK((r.in(2) >> 6) == 3);
    r.out(2, 0);
    CHECK((r.in(2) >> 6) == 0);
}

TEST_CASE("uart: a back end fills only the room there is and hears when a read makes more", "[devices]") {
    Rig r;
    unsigned ready = 0;
    r.com1.rx_ready = [&] { ++ready; };
    CHECK(r.com1.rx_space() == 0);  // RTS is low: flow control holds the back end
    r.out(4, Uart16550::kMcrRts);
    CHECK(ready == 1);
    ready = 0;
    CHECK(r.com1.rx_space() == 1);
    r.com1.receive('1');
    CHECK(r.com1.rx_space() == 0);
    CHECK(r.in(0) == '1');
    CHECK(ready == 1);
    r.in(0);  // reading an empty RBR makes no room
    CHECK(ready == 1);
    r.out(2, Uart16550::kFcrEnable);
    CHECK(ready == 2);  // the FIFO opened
    CHECK(r.com1.rx_space() == 16);
    r.out(4, Uart16550::kMcrLoop | Uart16550::kMcrRts);
    CHECK(r.com1.rx_space() == 0);  // loopback: the line is disconnected
    r.out(4, Uart16550::kMcrRts);
    CHECK(ready == 3);
    CHECK(r.com1.rx_space() == 16);
    r.out(4, 0);
    CHECK(r.com1.rx_space() == 0);
}

TEST_CASE("uart: state saved from one UART loads into another", "[devices]") {
    Rig a, b;
    a.out(3, 0x80);
    a.out(0, 3);
    a.out(3, 0x03);
    a.out(2, Uart16550::kFcrEnable | 0x80);
    a.out(4, Uart16550::kMcrOut2);
    a.out(1, Uart16550::kIerRda);
    a.out(7, 0x42);
    a.com1.receive('p');
    a.com1.receive('q');
    b.clock.advance(0);
    load_state(b.com1, save_state(a.com1));
    CHECK(b.com1.divisor() == 3);
    CHECK(b.in(7) == 0x42);
    CHECK(b.in(2) == (Uart16550::kIirFifo | Uart16550::kIirNone));
    b.clock.advance(4 * b.com1.char_time_ns());
    CHECK(b.irq4.level);  // the timeout came with the state
    CHECK(b.in(0) == 'p');
    CHECK(b.in(0) == 'q');
}

TEST_CASE("uart: a break arrives as a zero character with BI, reported when it reaches the top", "[devices]") {
    Rig r;
    r.out(4, Uart16550::kMcrOut2 | Uart16550::kMcrRts);
    r.out(1, Uart16550::kIerRda | Uart16550::kIerRls);
    // Without FIFOs: the break is the character, BI comes with it, line status outranks data.
    r.com1.receive_break();
    CHECK(r.in(2) == Uart16550::kIirRls);
    CHECK(r.in(5) == (Uart16550::kLsrDr | Uart16550::kLsrBi | Uart16550::kLsrThre | Uart16550::kLsrTemt));
    CHECK(r.in(2) == Uart16550::kIirRda);  // the read cleared BI
    CHECK(r.in(0) == 0);
    // FIFO mode: 'a', break, 'b'. LSR7 says an error is in the FIFO; BI shows with the break's
    // character at the top, after 'a' was read.
    r.out(2, Uart16550::kFcrEnable | Uart16550::kFcrClearRx);
    r.com1.receive('a');
    r.com1.receive_break();
    r.com1.receive('b');
    CHECK(r.in(5) == (Uart16550::kLsrFifoErr | Uart16550::kLsrDr | Uart16550::kLsrThre | Uart16550::kLsrTemt));
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirRda));
    CHECK(r.in(0) == 'a');
    CHECK(r.in(2) == (Uart16550::kIirFifo | Uart16550::kIirRls));
    CHECK(r.in(5) == (Uart16550::kLsrFifoErr | Uart16550::kLsrBi | Uart16550::kLsrDr | Uart16550::kLsrThre |
                      Uart16550::kLsrTemt));
    CHECK(r.in(0) == 0);
    CHECK(r.in(5) == (Uart16550::kLsrDr | Uart16550::kLsrThre | Uart16550::kLsrTemt));  // no error left
    CHECK(r.in(0) == 'b');
    // In loopback the line is disconnected: no break either.
    r.out(4, Uart16550::kMcrLoop);
    r.com1.receive_break();
    CHECK_FALSE(r.in(5) & Uart16550::kLsrDr);
}
