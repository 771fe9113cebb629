// The local APIC and the I/O APIC as drivers program them, on a stepped virtual clock without a
// CPU: the timer (periodic, one-shot, divider, current count), priorities (TPR, PPR, EOI), the
// spurious vector, LINT0 passing the 8259 through as ExtINT, and the I/O APIC's redirection
// table (edge, level with remote IRR and EOI, masks, polarity). Then, in a whole machine, a guest
// that moves the APIC window with WRMSR, finds the APIC in CPUID and counts its timer's interrupts.
#include <catch2/catch.hpp>

#include <vector>

#include "devices/apic.h"
#include "devices/ioapic.h"
#include "test_machine.h"

using namespace xlat;

namespace {

// An 8259 stand-in: INTR is `line`, INTA returns `vector`.
struct FakePic : InterruptSource {
    bool line = false;
    uint8_t vector = 0x08;
    int acks = 0;
    bool intr() const override { return line; }
    uint8_t acknowledge() override {
        ++acks;
        line = false;
        return vector;
    }
    void raise() {
        line = true;
        intr_raised();
    }
};

struct Rig {
    Clock clock;
    LocalApic apic{clock};
    IoApic ioapic;
    FakePic pic;
    int raised = 0;  // times the APIC told the CPU to look
    int nmis = 0;
    std::vector<uint8_t> eois;

    Rig() {
        clock.use_manual();
        apic.attach_extint(&pic);
        apic.on_intr([](void* r) { ++static_cast<Rig*>(r)->raised; }, this);
        apic.on_nmi = [this] { ++nmis; };
        apic.on_eoi_broadcast = [this](uint8_t v) {
            eois.push_back(v);
            ioapic.eoi(v);
        };
        ioapic.send = [this](const IoApic::Message& m) {
            if (apic.matches(m.dest, m.logical)) apic.deliver(m.vector, m.mode, m.level);
        };
    }
    uint32_t rd(uint32_t reg) { return apic.read(0, reg, 4); }
    void wr(uint32_t reg, uint32_t v) { apic.write(0, reg, 4, v); }
    void io_wr(uint32_t index, uint32_t v) {
        ioapic.write(0, 0x00, 4, index);
        ioapic.write(0, 0x10, 4, v);
    }
    uint32_t io_rd(uint32_t index) {
        ioapic.write(0, 0x00, 4, index);
        return ioapic.read(0, 0x10, 4);
    }
    // The CPU taking one interrupt: INTA, then the handler's EOI.
    int take() {
        if (!apic.intr()) return -1;
        const uint8_t v = apic.acknowledge();
        wr(0xB0, 0);
        return v;
    }
};

} // namespace

TEST_CASE("local APIC: identity, reset state and the software enable", "[apic]") {
    Rig r;
    CHECK(r.rd(0x30) == 0x00050014u);  // version 14h, six LVT entries
    CHECK(r.rd(0xF0) == 0xFF);         // spurious vector FFh, software-disabled
    CHECK(r.rd(0xE0) == 0xFFFFFFFFu);  // flat model
    CHECK(r.rd(0x320) == LocalApic::kLvtMasked);
    CHECK(r.rd(0x350) == 0x700);       // LINT0: ExtINT, unmasked (virtual wire from reset)
    r.wr(0x20, 0x05FFFFFF);
    CHECK(r.rd(0x20) == 0x05000000u);
    CHECK(r.apic.apic_id() == 5);
    // Software-disabled: an LVT entry cannot be unmasked, a fixed message waits in IRR.
    r.wr(0x320, 0x40);
    CHECK(r.rd(0x320) == (LocalApic::kLvtMasked | 0x40));
    r.apic.deliver(0x50, LocalApic::kFixed, false);
    CHECK(r.apic.in_irr(0x50));
    CHECK_FALSE(r.apic.intr());
    r.wr(0xF0, 0x1FF);
    CHECK(r.apic.intr());
    CHECK(r.take() == 0x50);
    // Disabling masks every LVT entry (SDM 10.4.7.2).
    r.wr(0x350, 0x700);
    r.wr(0xF0, 0x0FF);
    CHECK((r.rd(0x350) & LocalApic::kLvtMasked) != 0);
    // A vector below 16 is refused with ESR's receive-illegal-vector bit.
    r.apic.deliver(0x05, LocalApic::kFixed, false);
    CHECK_FALSE(r.apic.in_irr(0x05));
    CHECK((r.rd(0x280) & 0x40) != 0);
}

TEST_CASE("local APIC: the periodic timer counts down at 1 GHz / divider and interrupts each period", "[apic]") {
    Rig r;
    r.wr(0xF0, 0x1FF);
    r.wr(0x3E0, 0x3);              // divide by 16
    r.wr(0x320, 0x20000 | 0x40);   // periodic, vector 40h
    r.wr(0x380, 1000);             // 1000 ticks of 16 ns: 16 us
    CHECK(r.rd(0x390) == 1000);
    r.clock.advance(16 * 250);
    CHECK(r.rd(0x390) == 750);
    CHECK_FALSE(r.apic.in_irr(0x40));
    r.clock.advance(16 * 750);     // the count reaches 0: an interrupt, and it reloads
    CHECK(r.apic.in_irr(0x40));
    CHECK(r.rd(0x390) == 1000);
    CHECK(r.take() == 0x40);
    int taken = 1;
    for (int i = 0; i < 9; ++i) {
        r.clock.advance(16000);
        if (r.take() == 0x40) ++taken;
    }
    CHECK(taken == 10);
    // Divide by 1 (111b) mid-count keeps the count, and runs 16 times faster.
    r.clock.advance(16 * 500);
    CHECK(r.rd(0x390) == 500);
    r.wr(0x3E0, 0xB);
    CHECK(r.rd(0x390) == 500);
    r.clock.advance(499);
    CHECK_FALSE(r.apic.in_irr(0x40));
    r.clock.advance(1);
    CHECK(r.apic.in_irr(0x40));
    // Masked: the count runs on, no interrupt.
    CHECK(r.take() == 0x40);
    r.wr(0x320, LocalApic::kLvtMasked | 0x20000 | 0x40);
    r.clock.advance(5000);
    CHECK_FALSE(r.apic.in_irr(0x40));
    // A zero initial count stops the timer.
    r.wr(0x380, 0);
    CHECK(r.rd(0x390) == 0);
    CHECK(r.clock.idle());
}

TEST_CASE("local APIC: the one-shot timer interrupts once and stops at 0", "[apic]") {
    Rig r;
    r.wr(0xF0, 0x1FF);
    r.wr(0x3E0, 0xB);  // divide by 1
    r.wr(0x320, 0x41);
    r.wr(0x380, 300);
    r.clock.advance(299);
    CHECK(r.rd(0x390) == 1);
    CHECK_FALSE(r.apic.in_irr(0x41));
    r.clock.advance(1);
    CHECK(r.rd(0x390) == 0);
    CHECK(r.take() == 0x41);
    r.clock.advance(10000);
    CHECK(r.rd(0x390) == 0);
    CHECK(r.take() == -1);
    CHECK(r.clock.idle());
}

TEST_CASE("local APIC: TPR and in-service vectors hold lower classes back; EOI lets them in", "[apic]") {
    Rig r;
    r.wr(0xF0, 0x1FF);
    r.wr(0x80, 0x50);
    r.apic.deliver(0x45, LocalApic::kFixed, false);
    CHECK_FALSE(r.apic.intr());  // class 4 <= TPR class 5
    CHECK(r.rd(0xA0) == 0x50);
    r.apic.deliver(0x62, LocalApic::kFixed, false);
    REQUIRE(r.apic.intr());
    CHECK(r.apic.acknowledge() == 0x62);
    CHECK(r.apic.in_isr(0x62));
    CHECK(r.rd(0xA0) == 0x60);   // PPR: the in-service class
    r.apic.deliver(0x68, LocalApic::kFixed, false);
    CHECK_FALSE(r.apic.intr());  // same class as the one in service
    r.apic.deliver(0x71, LocalApic::kFixed, false);
    REQUIRE(r.apic.intr());
    CHECK(r.apic.acknowledge() == 0x71);  // nests
    const int raised = r.raised;
    r.wr(0xB0, 0);               // EOI ends 71h
    CHECK_FALSE(r.apic.in_isr(0x71));
    CHECK(r.apic.in_isr(0x62));
    r.wr(0xB0, 0);               // EOI ends 62h: 68h may come now, and the CPU is told
    CHECK(r.raised > raised);
    CHECK(r.take() == 0x68);
    r.wr(0x80, 0);
    CHECK(r.take() == 0x45);
    // INTA with nothing deliverable: the spurious vector, nothing put in service.
    CHECK(r.apic.acknowledge() == 0xFF);
    CHECK_FALSE(r.apic.in_isr(0xFF));
    // A self-IPI through the ICR.
    r.wr(0x300, 0x40000 | 0x99);
    CHECK(r.take() == 0x99);
}

TEST_CASE("local APIC: LINT0 as ExtINT passes the 8259 through; masked, it does not", "[apic]") {
    Rig r;
    r.pic.vector = 0x08;
    r.pic.raise();
    CHECK(r.raised == 1);
    REQUIRE(r.apic.intr());
    CHECK(r.apic.acknowledge() == 0x08);
    CHECK(r.pic.acks == 1);
    // SeaBIOS's virtual wire setup: enabled, LINT0 ExtINT level, LINT1 NMI.
    r.wr(0xF0, 0x1FF);
    r.wr(0x350, 0x8700);
    r.wr(0x360, 0x8400);
    r.pic.raise();
    CHECK(r.apic.intr());
    // APIC vectors come before the 8259's.
    r.apic.deliver(0x30, LocalApic::kFixed, false);
    CHECK(r.apic.acknowledge() == 0x30);
    CHECK(r.apic.acknowledge() == 0x08);
    r.wr(0x350, 0x18700);
    r.pic.raise();
    CHECK_FALSE(r.apic.intr());
    // LINT1 as NMI: a rising edge on the pin is one NMI.
    r.apic.set_irq(1, true);
    r.apic.set_irq(1, false);
    CHECK(r.nmis == 1);
    // Hardware-disabled (IA32_APIC_BASE bit 11 clear): the 8259 is the INTR pin again.
    r.apic.apic_base_written(LocalApic::kDefaultBase | LocalApic::kBaseBsp);
    CHECK(r.apic.intr());
    CHECK(r.apic.acknowledge() == 0x08);
}

TEST_CASE("I/O APIC: redirection table, edge and level inputs, remote IRR and EOI", "[apic][ioapic]") {
    Rig r;
    r.wr(0xF0, 0x1FF);
    CHECK(r.io_rd(0x01) == 0x00170020u);  // version 20h (with the EOI register), 24 entries
    CHECK(r.io_rd(0x10) == IoApic::kMasked);
    // Input 2 (the PIT's IRQ0): edge, vector 30h, physical destination 0.
    r.io_wr(0x10 + 2 * 2, 0x30);
    r.io_wr(0x11 + 2 * 2, 0x00000000);
    CHECK(r.io_rd(0x10 + 2 * 2) == 0x30);
    r.ioapic.set_irq(2, true);
    r.ioapic.set_irq(2, false);
    CHECK(r.take() == 0x30);
    CHECK(r.eois.empty());  // edge: no EOI broadcast
    // A masked input sends nothing.
    r.io_wr(0x10 + 2 * 2, IoApic::kMasked | 0x30);
    r.ioapic.set_irq(2, true);
    r.ioapic.set_irq(2, false);
    CHECK(r.take() == -1);
    // Input 11, level-triggered, active low (a PCI INTx): one message while asserted, remote IRR
    // until the EOI, then again while the line is still low.
    r.ioapic.set_irq(11, true);   // the wire high: deasserted for active low
    r.io_wr(0x10 + 2 * 11, IoApic::kLevel | IoApic::kActiveLow | 0x61);
    CHECK_FALSE(r.apic.intr());
    r.ioapic.set_irq(11, false);  // asserted
    REQUIRE(r.apic.intr());
    CHECK((r.io_rd(0x10 + 2 * 11) & IoApic::kRemoteIrr) != 0);
    CHECK(r.apic.acknowledge() == 0x61);
    CHECK(r.apic.in_tmr(0x61));
    r.wr(0xB0, 0);                // EOI: broadcast, remote IRR clears, the line is still asserted
    CHECK(r.eois == std::vector<uint8_t>{0x61});
    CHECK(r.apic.in_irr(0x61));
    r.ioapic.set_irq(11, true);   // the device lets go
    CHECK(r.apic.acknowledge() == 0x61);
    r.wr(0xB0, 0);
    CHECK((r.io_rd(0x10 + 2 * 11) & IoApic::kRemoteIrr) == 0);
    CHECK_FALSE(r.apic.intr());
    // A message for another APIC ID does not reach this one.
    r.io_wr(0x10 + 2 * 5, 0x35);
    r.io_wr(0x11 + 2 * 5, 0x03000000);
    r.ioapic.set_irq(5, true);
    CHECK_FALSE(r.apic.intr());
    // Logical destination, flat model: LDR bit 0 matches destination 01h.
    r.wr(0xD0, 0x01000000);
    r.io_wr(0x10 + 2 * 6, IoApic::kLogical | 0x36);
    r.io_wr(0x11 + 2 * 6, 0x01000000);
    r.ioapic.set_irq(6, true);
    CHECK(r.take() == 0x36);
}

TEST_CASE("local APIC in the machine: CPUID reports it, WRMSR moves it, its timer interrupts a guest", "[apic][machine]") {
    MachineConfig cfg = small_config();
    cfg.icount_shift = 0;
    Machine m(cfg);
    // Real mode at 1000:0000, the 8259 masked. The APIC window moves to 0x80000 (segment 8000h) so that real mode
    // reaches it; the timer runs periodic with vector 40h, whose handler counts and EOIs; the
    // main loop halts until five came, then leaves through the exit port with CPUID.1:EDX's
    // APIC bit.
    const uint8_t prog[] = {
        0xB0, 0xFF,                                // mov al, 0FFh
        0xE6, 0x21,                                // out 21h, al: the 8259 (never initialised) masked
        0x66, 0xB9, 0x1B, 0x00, 0x00, 0x00,        // mov ecx, 0000001Bh
        0x66, 0xB8, 0x00, 0x09, 0x08, 0x00,        // mov eax, 00080900h (base 80000h, enable, BSP)
        0x66, 0x31, 0xD2,                          // xor edx, edx
        0x0F, 0x30,                                // wrmsr
        0xB8, 0x00, 0x80,                          // mov ax, 8000h
        0x8E, 0xC0,                                // mov es, ax
        0x26, 0x66, 0xC7, 0x06, 0xF0, 0x00, 0xFF, 0x01, 0x00, 0x00,  // mov dword [es:0F0h], 1FFh
        0x26, 0x66, 0xC7, 0x06, 0xE0, 0x03, 0x0B, 0x00, 0x00, 0x00,  // mov dword [es:3E0h], 0Bh
        0x26, 0x66, 0xC7, 0x06, 0x20, 0x03, 0x40, 0x00, 0x02, 0x00,  // mov dword [es:320h], 20040h
        0x26, 0x66, 0xC7, 0x06, 0x80, 0x03, 0x10, 0x27, 0x00, 0x00,  // mov dword [es:380h], 10000
        0xFB,                                      // sti
        0xF4,                                      // .wait: hlt
        0x83, 0x3E, 0x00, 0x05, 0x05,              // cmp word [500h], 5
        0x72, 0xF8,                                // jb .wait
        0xFA,                                      // cli
        0x66, 0xB8, 0x01, 0x00, 0x00, 0x00,        // mov eax, 1
        0x0F, 0xA2,                                // cpuid
        0x89, 0xD0,                                // mov ax, dx
        0xC1, 0xE8, 0x09,                          // shr ax, 9
        0x24, 0x01,                                // and al, 1
        0xE6, 0xF4,                                // out 0F4h, al
    };
    const uint8_t handler[] = {
        0xFF, 0x06, 0x00, 0x05,                    // inc word [500h]
        0x26, 0x66, 0xC7, 0x06, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00,  // mov dword [es:0B0h], 0 (EOI)
        0xCF,                                      // iret
    };
    m.phys.write_bytes(0x10000, prog, sizeof prog);
    m.phys.write_bytes(0x20000, handler, sizeof handler);
    const uint16_t ivt[2] = {0x0000, 0x2000};      // vector 40h: 2000:0000
    m.phys.write_bytes(0x40 * 4, ivt, 4);
    m.cpu.load_seg_real(CS, 0x1000);
    m.cpu.load_seg_real(DS, 0x0000);
    m.cpu.load_seg_real(SS, 0x0000);
    m.cpu.s.set_reg32(ESP, 0x7000);
    m.cpu.s.set_eip(0);
    const Machine::Result res = m.run(10'000'000);
    INFO(m.describe_cpu() << "count " << m.phys.read(0x500, 2));
    REQUIRE(res.reason == StopReason::ExitPort);
    CHECK(res.exit_status == ((1 << 1) | 1));  // CPUID.1:EDX.APIC = 1
    CHECK(m.phys.read(0x500, 2) == 5);
    CHECK(m.phys.read(0x80030, 4) == 0x00050014u);  // the version register at the new base
    CHECK(m.phys.read(0xFEE00030u, 4) == 0xFFFFFFFFu);  // and nothing at the old one
    // A reset puts the window back.
    m.reset();
    CHECK(m.phys.read(0xFEE00030u, 4) == 0x00050014u);
    CHECK(m.phys.read(0x80030, 4) == 0);
}

TEST_CASE("I/O APIC: a reset returns it to power-on (entries masked, no remote IRR) and keeps its input levels", "[apic][ioapic]") {
    Rig r;
    r.wr(0xF0, 0x1FF);
    // Before: ID 5, input 2 (edge) and input 11 (level, active high) held high, 11 with remote IRR.
    r.io_wr(0x00, 0x05000000);
    r.io_wr(0x10 + 2 * 2, 0x30);
    r.io_wr(0x10 + 2 * 11, IoApic::kLevel | 0x61);
    r.ioapic.set_irq(2, true);
    r.ioapic.set_irq(11, true);
    CHECK((r.io_rd(0x10 + 2 * 11) & IoApic::kRemoteIrr) != 0);
    const std::vector<uint8_t> before = save_state(r.ioapic);

    r.ioapic.reset();
    r.apic.reset();  // as a machine reset does: the local APIC forgets the vectors it holds
    r.wr(0xF0, 0x1FF);
    CHECK(r.io_rd(0x00) == 0);
    for (unsigned pin = 0; pin < IoApic::kPins; ++pin) CHECK(r.ioapic.entry(pin) == IoApic::kMasked);
    CHECK(save_state(r.ioapic) != before);
    // The inputs are wires the devices drive, and the reset did not lower them: a fresh chip
    // that saw the same two inputs rise has the same state.
    IoApic fresh;
    fresh.set_irq(2, true);
    fresh.set_irq(11, true);
    CHECK(save_state(r.ioapic) == save_state(fresh));
    // Unmasking the level entry whose input is still high interrupts at once; the edge input
    // held high sends nothing until it falls and rises again.
    r.io_wr(0x10 + 2 * 11, IoApic::kLevel | 0x61);
    r.ioapic.set_irq(11, false);  // the handler quiets the device before its EOI
    CHECK(r.take() == 0x61);
    r.io_wr(0x10 + 2 * 2, 0x30);
    CHECK_FALSE(r.apic.intr());
    r.ioapic.set_irq(2, true);
    CHECK_FALSE(r.apic.intr());
    r.ioapic.set_irq(2, false);
    r.ioapic.set_irq(2, true);
    CHECK(r.take() == 0x30);
}
