// The 8042 keyboard controller with a PS/2 keyboard (IBM PC AT Technical Reference, "Keyboard
// Controller"; PS/2 keyboard commands from the IBM PS/2 Hardware Interface Technical Reference):
//   0x60  data: the output buffer (read); a keyboard command or a controller command's argument (write)
//   0x64  status (read) / controller command (write)
// and the PS/2 "system control port A" at 0x92 (fast A20, bit 1; reset, bit 0).
// The keyboard speaks scan code set 2; with the command byte's XLAT bit the controller translates
// what it receives to set 1, as PC firmware and DOS expect. The auxiliary (mouse) port has no
// device behind it yet: commands for it time out. A20 and the CPU reset leave through callbacks.
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "devices/devlog.h"
#include "devices/port_device.h"
#include "memory/irq.h"

namespace xlat {

class I8042 : public PortDevice {
public:
    // Status register bits.
    enum : uint8_t { kObf = 0x01, kIbf = 0x02, kSys = 0x04, kCmdData = 0x08, kUnlocked = 0x10, kAuxObf = 0x20,
                     kTimeout = 0x40 };
    // Command byte bits.
    enum : uint8_t { kIntKbd = 0x01, kIntAux = 0x02, kCmdSys = 0x04, kDisableKbd = 0x10, kDisableAux = 0x20,
                     kXlat = 0x40 };
    // Output port bits.
    enum : uint8_t { kOutReset = 0x01, kOutA20 = 0x02 };

    explicit I8042(const Tracer* tracer = nullptr);
    const char* name() const override { return "i8042"; }
    void reset() override;
    uint32_t io_read(uint16_t port, unsigned size) override;
    void io_write(uint16_t port, unsigned size, uint32_t value) override;

    // A key event from the host, as set 2 bytes (a make code, or F0 then the code for a break,
    // with E0 first for extended keys). Dropped while the keyboard does not scan or its queue is full.
    void key_bytes(const uint8_t* bytes, unsigned n);
    uint8_t command_byte() const { return cmd_; }

    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override;
    void post_load() override;  // the IRQ lines and the A20 gate follow the loaded registers
    uint8_t output_port() const { return outp_; }

    IrqLine irq1, irq12;
    std::function<void(bool enabled)> set_a20;  // the A20 gate follows output port bit 1 and port 0x92
    std::function<void()> reset_cpu;           // output port bit 0 pulsed low, or port 0x92 bit 0

private:
    void controller_command(uint8_t c);
    void keyboard_command(uint8_t b);
    void kbd_queue(uint8_t b);  // a byte from the keyboard, not translated (replies)
    void kbd_scancode(uint8_t b);
    void output(uint8_t b, bool aux);  // into the controller's output buffer
    void refill();
    void update_irq();
    void write_output_port(uint8_t v);

    OnceLog log_;
    // State: controller.
    uint8_t status_ = 0, cmd_ = 0, outp_ = 0, out_buf_ = 0;
    bool out_aux_ = false;
    uint8_t pending_ = 0;  // controller command waiting for its data byte (0: none)
    uint8_t port92_ = 0;
    // State: keyboard.
    std::array<uint8_t, 16> queue_{};
    uint8_t q_head_ = 0, q_count_ = 0;
    uint8_t kbd_pending_ = 0;  // keyboard command waiting for its argument (0: none)
    uint8_t last_sent_ = 0;    // for RESEND
    bool scanning_ = true;
    uint8_t scancode_set_ = 2;
    bool saw_break_ = false;   // translation: an F0 came, the next code is a break
};

} // namespace xlat
