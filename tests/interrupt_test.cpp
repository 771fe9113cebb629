// Hardware interrupts at the CPU: INTR with IF, the STI and MOV SS shadows, HLT, NMI, delivery
// through protected-mode gates with EXT in error codes, and REP string instructions interrupted
// between iterations (SDM Vol. 3A, 6.7-6.8, 6.12, 17.3.1.1). A fake controller stands in for
// the PIC of the chipset issue.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <vector>

#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

struct FakePic : InterruptSource {
    bool line = false;
    uint8_t vector = 0x20;
    int acks = 0;
    bool intr() const override { return line; }
    uint8_t acknowledge() override { ++acks; line = false; return vector; }
};

struct Rig {
    Machine m{small_config()};
    Cpu& c = m.cpu;
    CpuState& s = m.cpu.s;
    FakePic pic;

    Rig() {
        c.intr_source = &pic;
        // The machine's own PIC raised INTR at power-on (the PIT runs from reset and the IMR is
        // 0): drop that request, which this rig's controller replaces.
        m.pic_master->on_intr(nullptr, nullptr);
        c.exit_request.store(0);
        c.load_seg_real(CS, 0x1000);
        c.load_seg_real(SS, 0x2000);
        s.set_reg32(ESP, 0x1000);
        s.idtr = TableRegister{0, 0x3FF};
        s.set_eip(0);
        for (unsigned v = 0; v < 256; ++v) {  // vector v: 0500:v*16, a HLT
            uint16_t e[2] = {uint16_t(v * 16), 0x0500};
            m.phys.write_bytes(v * 4, e, 4);
            uint8_t hlt = 0xF4;
            m.phys.write_bytes(0x5000 + v * 16, &hlt, 1);
        }
    }
    void code(std::initializer_list<uint8_t> b) {
        std::vector<uint8_t> v(b);
        m.phys.write_bytes(s.seg[CS].base + s.eip(), v.data(), v.size());
    }
    // One instruction boundary of the run loop: an interrupt, or else one instruction.
    void boundary() { if (!c.accept_interrupts()) m.step(); }
    bool in_handler(unsigned v) const { return s.seg[CS].selector == 0x0500 && s.eip() == v * 16; }
    uint16_t stack(unsigned i) {
        uint16_t w;
        m.phys.read_bytes(s.seg[SS].base + uint16_t(s.reg32(ESP) + 2 * i), &w, 2);
        return w;
    }
};

} // namespace

TEST_CASE("INTR is taken at the next boundary when IF is set, never when it is clear", "[interrupt]") {
    Rig r;
    r.code({0x90, 0x90, 0xFB, 0x90, 0x90});  // nop; nop; sti; nop; nop
    r.pic.line = true;
    r.boundary();  // IF clear: the NOP runs
    r.boundary();
    CHECK(r.s.eip() == 2);
    CHECK(r.pic.acks == 0);
    r.boundary();  // STI
    r.boundary();  // the STI shadow: the NOP after it still runs
    CHECK(r.s.eip() == 4);
    CHECK(r.pic.acks == 0);
    r.boundary();  // now the interrupt
    CHECK(r.pic.acks == 1);
    CHECK(r.in_handler(0x20));
    CHECK(r.stack(0) == 4);       // IP of the interrupted instruction
    CHECK(r.stack(1) == 0x1000);  // CS
    CHECK((r.stack(2) & IF) == IF);
    CHECK((r.s.eflags & IF) == 0);
}

TEST_CASE("MOV SS holds interrupts off for one instruction", "[interrupt]") {
    Rig r;
    r.s.eflags |= IF;
    r.s.set_reg32(EAX, 0x2000);
    r.code({0x8E, 0xD0, 0x90, 0x90});  // mov ss, ax; nop; nop
    r.boundary();
    r.pic.line = true;
    r.boundary();  // in the shadow: the NOP runs
    CHECK(r.s.eip() == 3);
    r.boundary();
    CHECK(r.in_handler(0x20));
}

TEST_CASE("HLT sleeps until an interrupt; with nothing to wake it the run stops", "[interrupt]") {
    Rig r;
    r.s.eflags |= IF;
    r.code({0xF4, 0x90});  // hlt
    r.boundary();
    CHECK(r.s.halted == 1);
    r.pic.line = true;
    r.boundary();
    CHECK(r.s.halted == 0);
    CHECK(r.in_handler(0x20));
    CHECK(r.stack(0) == 1);  // returns after the HLT
    // IF clear and halted: Machine::run says the CPU can never wake.
    Rig q;
    q.code({0xFA, 0xF4});  // cli; hlt
    q.pic.line = true;
    CHECK(q.m.run(100).reason == StopReason::HaltForever);
    CHECK(q.pic.acks == 0);
}

TEST_CASE("NMI is taken with IF clear and blocked until IRET", "[interrupt]") {
    Rig r;
    r.code({0x90, 0x90});
    r.c.s.nmi_pending = 1;
    r.boundary();
    CHECK(r.in_handler(kNMI));
    r.c.s.nmi_pending = 1;  // a second NMI waits for the handler's IRET
    uint8_t iret = 0xCF;
    r.m.phys.write_bytes(0x5000 + kNMI * 16, &iret, 1);
    r.boundary();  // IRET
    CHECK(r.s.eip() == 0);
    r.boundary();  // the held NMI
    CHECK(r.in_handler(kNMI));
}

TEST_CASE("a REP string instruction is interrupted between iterations and resumes", "[interrupt]") {
    Rig r;
    r.s.eflags |= IF;
    r.c.load_seg_real(DS, 0x3000);
    r.c.load_seg_real(ES, 0x3000);
    r.s.set_reg32(ECX, 5000);
    r.s.set_reg32(ESI, 0);
    r.s.set_reg32(EDI, 0x8000);
    r.code({0xF3, 0xA4, 0x90});  // rep movsb
    uint8_t iret = 0xCF;
    r.m.phys.write_bytes(0x5000 + 0x20 * 16, &iret, 1);
    r.boundary();  // the first burst of iterations
    CHECK(r.s.eip() == 0);
    const uint16_t left = uint16_t(r.s.reg32(ECX));
    CHECK(left < 5000);
    CHECK(left > 0);
    r.pic.line = true;
    r.boundary();  // taken between iterations: the pushed IP is the REP instruction itself
    CHECK(r.in_handler(0x20));
    CHECK(r.stack(0) == 0);
    CHECK(uint16_t(r.s.reg32(ECX)) == left);
    r.boundary();  // IRET
    for (int i = 0; i < 10 && r.s.eip() == 0; ++i) r.boundary();
    CHECK(r.s.eip() == 2);
    CHECK(r.s.reg32(ECX) == 0);
    CHECK(r.s.reg32(EDI) == 0x8000 + 5000);
}

TEST_CASE("an external interrupt whose gate is absent faults with EXT in the error code", "[interrupt][pm]") {
    Rig r;
    // Flat protected mode with an IDT whose vector 0x20 gate is not present and #NP's is.
    const uint32_t gdt = 0x10000, idt = 0x11000;
    const uint64_t code = 0x00CF9A000000FFFFull, data = 0x00CF92000000FFFFull;
    r.m.phys.write_bytes(gdt + 8, &code, 8);
    r.m.phys.write_bytes(gdt + 16, &data, 8);
    const uint64_t np_gate = (uint64_t(0x8E00 | 0x0000) << 32) | (uint64_t(0x08) << 16) | 0x6000;
    r.m.phys.write_bytes(idt + 8 * kNP, &np_gate, 8);
    const uint64_t absent = (uint64_t(0x0E00) << 32) | (uint64_t(0x08) << 16) | 0x6100;  // P = 0
    r.m.phys.write_bytes(idt + 8 * 0x20, &absent, 8);
    r.s.gdtr = TableRegister{gdt, 23};
    r.s.idtr = TableRegister{idt, 0x7FF};
    r.s.cr0 |= CR0_PE;
    r.s.seg[CS] = SegmentCache{0, 0xFFFFFFFFu, 0x08, uint16_t(SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_DB | SEG_G)};
    for (SegReg sr : {SS, DS, ES}) r.s.seg[sr] = SegmentCache{0, 0xFFFFFFFFu, 0x10, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_DB | SEG_G)};
    r.c.mode_changed();
    r.s.set_reg32(ESP, 0x9000);
    r.s.set_eip(0x7000);
    r.s.eflags |= IF;
    r.pic.line = true;
    r.boundary();
    CHECK(r.s.eip() == 0x6000);  // #NP's handler
    uint32_t frame[2];
    r.m.phys.read_bytes(r.s.reg32(ESP), frame, 8);
    CHECK(frame[0] == 0x20 * 8 + 2 + 1);  // IDT entry, EXT
    CHECK(frame[1] == 0x7000);            // the interrupted instruction
}
