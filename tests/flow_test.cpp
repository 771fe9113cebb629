// Unit tests of control flow, the stack, string instructions and the miscellaneous instructions
// (cpu/control.cpp, cpu/stack.cpp, cpu/string.cpp, cpu/misc.cpp). Each test builds a fresh
// machine, puts a few instruction bytes in RAM, runs them with Interpreter::step and checks the
// registers and memory against the Intel SDM.
#include <catch2/catch.hpp>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "cpu/descriptor.h"
#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

// A machine in real mode with CS=1000 SS=2000 DS=3000 ES=4000, SP=1000, IP=0, and an IVT whose
// vector v points at 0500:v*16 (so a delivered vector can be told from CS:IP).
struct Rig {
    Machine m{small_config()};
    Cpu& c = m.cpu;
    CpuState& s = m.cpu.s;

    static constexpr uint16_t kHandlerSeg = 0x0500;

    Rig() {
        c.load_seg_real(CS, 0x1000);
        c.load_seg_real(SS, 0x2000);
        c.load_seg_real(DS, 0x3000);
        c.load_seg_real(ES, 0x4000);
        s.set_eip(0);
        s.set_reg32(ESP, 0x1000);
        s.idtr = TableRegister{0, 0x3FF};
        for (unsigned v = 0; v < 256; ++v) {
            wr16(v * 4, uint16_t(v * 16));
            wr16(v * 4 + 2, kHandlerSeg);
        }
    }

    // Physical memory helpers.
    void wr8(uint32_t pa, uint8_t v) { m.phys.write_bytes(pa, &v, 1); }
    void wr16(uint32_t pa, uint16_t v) { m.phys.write_bytes(pa, &v, 2); }
    void wr32(uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); }
    uint8_t rd8(uint32_t pa) { uint8_t v; m.phys.read_bytes(pa, &v, 1); return v; }
    uint16_t rd16(uint32_t pa) { uint16_t v; m.phys.read_bytes(pa, &v, 2); return v; }
    uint32_t rd32(uint32_t pa) { uint32_t v; m.phys.read_bytes(pa, &v, 4); return v; }
    void bytes(uint32_t pa, std::initializer_list<uint8_t> b) {
        std::vector<uint8_t> v(b);
        m.phys.write_bytes(pa, v.data(), v.size());
    }
    // Code at CS:EIP.
    void code(std::initializer_list<uint8_t> b) { bytes(s.seg[CS].base + s.eip(), b); }
    void step(int n = 1) { for (int i = 0; i < n; ++i) m.step(); }

    uint16_t sp() const { return uint16_t(s.reg32(ESP)); }
    uint32_t ss_top(unsigned off = 0) const { return s.seg[SS].base + uint16_t(s.reg32(ESP) + off); }
    // True when vector v was delivered through the IVT (CS:IP at its handler).
    bool delivered(unsigned v) const { return s.seg[CS].selector == kHandlerSeg && s.eip() == v * 16; }
};

// Protected mode with flat 32-bit segments (GDT at 0x500: null, code 08, data 10) and an IDT at
// 0x600 whose vector v points at 08:0x7000+v*16.
struct Flat32 : Rig {
    static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
        uint32_t lo = (limit & 0xFFFF) | (base << 16);
        uint32_t hi = ((base >> 16) & 0xFF) | (uint32_t(access) << 8) | (limit & 0xF0000) |
                      (uint32_t(flags) << 20) | (base & 0xFF000000u);
        return uint64_t(hi) << 32 | lo;
    }
    void set_desc(uint32_t pa, uint64_t d) { wr32(pa, uint32_t(d)); wr32(pa + 4, uint32_t(d >> 32)); }
    Descriptor desc_at(uint32_t pa) { return Descriptor{rd32(pa), rd32(pa + 4)}; }

    Flat32() {
        set_desc(0x500, 0);
        set_desc(0x508, seg_desc(0, 0xFFFFF, 0x9B, 0xC));  // code, 32-bit, 4 GiB
        set_desc(0x510, seg_desc(0, 0xFFFFF, 0x93, 0xC));  // data, 32-bit, 4 GiB
        for (unsigned v = 0; v < 32; ++v) {
            uint32_t off = 0x7000 + v * 16;
            wr32(0x600 + v * 8, (off & 0xFFFF) | (0x08u << 16));
            wr32(0x600 + v * 8 + 4, (off & 0xFFFF0000u) | 0x8E00);  // 32-bit interrupt gate, DPL 0
        }
        s.gdtr = TableRegister{0x500, 23};
        s.idtr = TableRegister{0x600, 32 * 8 - 1};
        s.cr0 |= CR0_PE;
        s.seg[CS] = desc_at(0x508).cache(0x08);
        for (SegReg r : {ES, SS, DS, FS, GS}) s.seg[r] = desc_at(0x510).cache(0x10);
        c.mode_changed();
        m.mmu.flush_all();
        s.set_eip(0x10000);
        s.set_reg32(ESP, 0x90000);
    }
    bool delivered32(unsigned v) const { return s.seg[CS].selector == 0x08 && s.eip() == 0x7000 + v * 16; }
};

// A port device that returns an incrementing byte pattern and records what it is sent.
struct Probe : Device {
    uint32_t next = 0x11;
    std::vector<uint32_t> written;
    const char* name() const override { return "probe"; }
    uint32_t read(unsigned, uint32_t, unsigned size) override {
        uint32_t v = next;
        next += 0x11;
        return v & size_mask(size);
    }
    void write(unsigned, uint32_t, unsigned, uint32_t v) override { written.push_back(v); }
};

} // namespace

// ---------------------------------------------------------------------------------------------
// String instructions

TEST_CASE("REP MOVSB copies forward with 16-bit addressing", "[flow][string]") {
    Rig r;
    r.bytes(0x30000 + 0x100, {1, 2, 3, 4, 5});
    r.s.set_reg32(ESI, 0xABCD0100);  // the upper halves are not used and stay
    r.s.set_reg32(EDI, 0x12340200);
    r.s.set_reg32(ECX, 0x55550005);
    r.code({0xF3, 0xA4});  // rep movsb
    r.step();
    CHECK(r.s.eip() == 2);
    CHECK(r.s.reg32(ECX) == 0x55550000);
    CHECK(r.s.reg32(ESI) == 0xABCD0105);
    CHECK(r.s.reg32(EDI) == 0x12340205);
    for (unsigned i = 0; i < 5; ++i) CHECK(r.rd8(0x40000 + 0x200 + i) == i + 1);
}

TEST_CASE("MOVSW with DF=1 and a segment override copies backward", "[flow][string]") {
    Rig r;
    r.s.eflags |= DF;
    r.wr16(0x40000 + 0x100, 0xBEEF);  // ES:0100 as the source (ES override)
    r.wr16(0x40000 + 0x0FE, 0xCAFE);
    r.s.set_reg32(ESI, 0x100);
    r.s.set_reg32(EDI, 0x300);
    r.s.set_reg32(ECX, 2);
    r.code({0xF3, 0x26, 0xA5});  // rep movsw es:[si] -> es:[di]
    r.step();
    CHECK(r.s.reg32(ECX) == 0);
    CHECK(r.s.reg32(ESI) == 0xFC);
    CHECK(r.s.reg32(EDI) == 0x2FC);
    CHECK(r.rd16(0x40000 + 0x300) == 0xBEEF);
    CHECK(r.rd16(0x40000 + 0x2FE) == 0xCAFE);
}

TEST_CASE("16-bit addressing wraps SI and DI within 64 KiB", "[flow][string]") {
    Rig r;
    r.wr8(0x30000 + 0xFFFF, 0x5A);
    r.s.set_reg32(ESI, 0x0001FFFF);
    r.s.set_reg32(EDI, 0x0000FFFF);
    r.code({0xA4});  // movsb
    r.step();
    CHECK(r.s.reg32(ESI) == 0x00010000);
    CHECK(r.s.reg32(EDI) == 0);
    CHECK(r.rd8(0x40000 + 0xFFFF) == 0x5A);
}

TEST_CASE("REP with a zero count does nothing", "[flow][string]") {
    Rig r;
    r.s.set_reg32(ECX, 0xFFFF0000);  // CX = 0
    r.s.set_reg32(EDI, 0x10);
    r.code({0xF3, 0xAA});  // rep stosb
    r.step();
    CHECK(r.s.eip() == 2);
    CHECK(r.s.reg32(EDI) == 0x10);
    CHECK(r.s.reg32(ECX) == 0xFFFF0000);
}

TEST_CASE("REPE CMPSB stops at the first difference", "[flow][string]") {
    Rig r;
    r.bytes(0x30000 + 0x10, {'a', 'b', 'c', 'd'});
    r.bytes(0x40000 + 0x20, {'a', 'b', 'x', 'd'});
    r.s.set_reg32(ESI, 0x10);
    r.s.set_reg32(EDI, 0x20);
    r.s.set_reg32(ECX, 4);
    r.code({0xF3, 0xA6});  // repe cmpsb
    r.step();
    CHECK(r.s.reg32(ECX) == 1);
    CHECK(r.s.reg32(ESI) == 0x13);
    CHECK(r.s.reg32(EDI) == 0x23);
    CHECK(!r.c.flag(ZF));
    CHECK(r.c.flag(CF));  // 'c' - 'x' borrows
}

TEST_CASE("REPNE SCASB finds a byte, forward and with DF=1", "[flow][string]") {
    Rig r;
    r.bytes(0x40000 + 0x40, {1, 2, 3, 0, 5, 6});
    r.s.set_reg32(EAX, 0);
    r.s.set_reg32(EDI, 0x40);
    r.s.set_reg32(ECX, 100);
    r.code({0xF2, 0xAE, 0xFD, 0xF2, 0xAE});  // repne scasb; std; repne scasb
    r.step();
    CHECK(r.c.flag(ZF));
    CHECK(r.s.reg32(EDI) == 0x44);  // one past the zero
    CHECK(r.s.reg32(ECX) == 96);
    r.s.set_reg32(EAX, 1);
    r.step(2);
    CHECK(r.c.flag(ZF));
    CHECK(r.s.reg32(EDI) == 0x3F);  // one before the 1 at 0x40
    CHECK(r.s.reg32(ECX) == 91);
}

TEST_CASE("REP SCASW with 32-bit addressing uses ECX, EDI", "[flow][string]") {
    Flat32 r;
    r.wr16(0x123456, 0x7777);
    r.wr16(0x123458, 0x1234);
    r.s.set_reg32(EAX, 0x1234);
    r.s.set_reg32(EDI, 0x123456);
    r.s.set_reg32(ECX, 0x10005);
    r.code({0x66, 0xF2, 0xAF});  // repne scasw
    r.step();
    CHECK(r.c.flag(ZF));
    CHECK(r.s.reg32(EDI) == 0x12345A);
    CHECK(r.s.reg32(ECX) == 0x10003);
}

TEST_CASE("REP MOVSB with 16-bit addressing in 32-bit code (67 prefix)", "[flow][string]") {
    Flat32 r;
    r.s.set_reg32(ESI, 0x0001FFFF);  // only SI = FFFF counts: DS:FFFF
    r.s.set_reg32(EDI, 0x00050010);
    r.s.set_reg32(ECX, 0x00070001);
    r.bytes(0xFFFF, {0x42});
    r.code({0x67, 0xF3, 0xA4});
    r.step();
    CHECK(r.rd8(0x0010) == 0x42);
    CHECK(r.s.reg32(ESI) == 0x00010000);
    CHECK(r.s.reg32(EDI) == 0x00050011);
    CHECK(r.s.reg32(ECX) == 0x00070000);
}

TEST_CASE("a fault in the middle of REP STOSW leaves the completed iterations", "[flow][string]") {
    Rig r;
    r.s.set_reg32(EAX, 0xA55A);
    r.s.set_reg32(EDI, 0xFFF9);  // words at FFF9, FFFB, FFFD, then FFFF crosses the limit
    r.s.set_reg32(ECX, 10);
    r.code({0xF3, 0xAB});
    r.step();
    CHECK(r.delivered(kGP));
    CHECK(r.s.reg32(ECX) == 7);
    CHECK(r.s.reg32(EDI) == 0xFFFF);
    CHECK(r.rd16(0x40000 + 0xFFFD) == 0xA55A);
    CHECK(r.rd16(r.ss_top()) == 0);        // pushed IP: the REP prefix
    CHECK(r.rd16(r.ss_top(2)) == 0x1000);  // pushed CS
}

TEST_CASE("a fault in the middle of REP MOVSD (32-bit) leaves ECX, ESI, EDI exact", "[flow][string]") {
    Flat32 r;
    r.s.seg[DS].limit = 0x2000B;  // the dword at 0x2000C is beyond the limit
    r.c.seg_changed(DS);
    r.s.set_reg32(ESI, 0x20000);
    r.s.set_reg32(EDI, 0x30000);
    r.s.set_reg32(ECX, 8);
    r.wr32(0x20008, 0xDEADBEEF);
    r.code({0xF3, 0xA5});
    r.step();
    CHECK(r.delivered32(kGP));
    CHECK(r.s.reg32(ECX) == 5);
    CHECK(r.s.reg32(ESI) == 0x2000C);
    CHECK(r.s.reg32(EDI) == 0x3000C);
    CHECK(r.rd32(0x30008) == 0xDEADBEEF);
    CHECK(r.rd32(r.s.reg32(ESP)) == 0);         // error code
    CHECK(r.rd32(r.s.reg32(ESP) + 4) == 0x10000);  // EIP of the REP MOVSD
}

TEST_CASE("a long REP loop yields with EIP on itself and resumes", "[flow][string]") {
    Rig r;
    r.s.set_reg32(EAX, 0x77);
    r.s.set_reg32(EDI, 0);
    r.s.set_reg32(ECX, 5000);  // several bursts (1024 iterations: cpu/string.cpp kRepBurst)
    r.code({0xF3, 0xAA, 0x90});
    const uint64_t icount = r.s.icount;
    r.step();
    CHECK(r.s.eip() == 0);
    CHECK(r.s.reg32(ECX) == 5000 - 1024);
    CHECK(r.s.icount == icount + 1024);  // each iteration counts one, the yield none
    r.step(4);
    CHECK(r.s.eip() == 2);
    CHECK(r.s.reg32(ECX) == 0);
    r.step();  // the NOP
    CHECK(r.s.icount == icount + 5000 + 1);
    CHECK(r.s.reg32(EDI) == 5000);
    CHECK(r.rd8(0x40000 + 4999) == 0x77);
    CHECK(r.rd8(0x40000 + 5000) == 0);
}

TEST_CASE("with TF set a REP loop traps after each iteration", "[flow][string]") {
    Rig r;
    r.s.eflags |= TF;
    r.s.set_reg32(EAX, 0x99);
    r.s.set_reg32(ECX, 3);
    r.s.set_reg32(EDI, 0x10);
    r.code({0xF3, 0xAA});  // rep stosb
    r.step();
    CHECK(r.delivered(kDB));
    CHECK(r.s.reg32(ECX) == 2);
    CHECK(r.s.reg32(EDI) == 0x11);
    CHECK(r.rd16(r.ss_top()) == 0);  // the trap returns to the REP instruction
    CHECK((r.s.dr[6] & (1u << 14)) != 0);  // DR6.BS
}

TEST_CASE("a data breakpoint stops a REP loop after the iteration that hit it", "[flow][string]") {
    Rig r;
    r.s.dr[0] = 0x40011;                // ES:0011
    r.s.dr[7] = 0x400 | 1 | (1u << 16);  // L0, write, 1 byte
    r.c.debug_regs_changed();
    r.s.set_reg32(ECX, 5);
    r.s.set_reg32(EDI, 0x10);
    r.code({0xF3, 0xAA});  // rep stosb
    r.step();
    CHECK(r.delivered(kDB));
    CHECK(r.s.reg32(ECX) == 3);
    CHECK(r.s.reg32(EDI) == 0x12);
    CHECK(r.rd16(r.ss_top()) == 0);  // resumes at the REP instruction
    CHECK((r.s.dr[6] & 1) != 0);     // DR6.B0
}

TEST_CASE("LODS, INS and OUTS", "[flow][string]") {
    Rig r;
    Probe p;
    r.m.io.claim(0x300, 4, &p);
    r.s.set_reg32(EDX, 0x300);
    r.bytes(0x30000 + 0x50, {0xA1, 0xB2, 0xC3});
    r.s.set_reg32(ESI, 0x50);
    r.s.set_reg32(EDI, 0x60);
    r.s.set_reg32(ECX, 3);
    r.code({0xF3, 0x6E,   // rep outsb
            0xF3, 0x6C,   // rep insb (CX = 0 now: nothing)
            0xAC});       // lodsb
    r.step();
    CHECK(p.written == std::vector<uint32_t>{0xA1, 0xB2, 0xC3});
    CHECK(r.s.reg32(ESI) == 0x53);
    r.step();
    CHECK(r.s.reg32(EDI) == 0x60);
    r.s.set_reg32(ESI, 0x51);
    r.step();
    CHECK(r.c.reg8(0) == 0xB2);
    r.s.set_reg32(ECX, 2);
    r.code({0x66, 0xF3, 0x6D});  // rep insd
    r.step();
    CHECK(r.rd32(0x40000 + 0x60) == 0x11);
    CHECK(r.rd32(0x40000 + 0x64) == 0x22);
    CHECK(r.s.reg32(EDI) == 0x68);
}

// ---------------------------------------------------------------------------------------------
// Control transfers

TEST_CASE("near JMP, Jcc, and a 32-bit target beyond the CS limit", "[flow][control]") {
    Rig r;
    r.code({0xEB, 0x10});  // jmp short +0x10
    r.step();
    CHECK(r.s.eip() == 0x12);
    r.s.eflags |= ZF;
    r.code({0x75, 0x10});  // jnz: not taken
    r.step();
    CHECK(r.s.eip() == 0x14);
    r.code({0x0F, 0x84, 0x00, 0x01});  // jz near +0x100
    r.step();
    CHECK(r.s.eip() == 0x118);
    r.code({0xE9, 0xE5, 0xFE});  // jmp near -0x11B
    r.step();
    CHECK(r.s.eip() == 0);
    r.code({0xEB, 0xFC});  // jmp short -4: IP wraps to FFFE
    r.step();
    CHECK(r.s.eip() == 0xFFFE);
    r.s.set_eip(0x20);
    r.code({0x66, 0xE9, 0x00, 0x00, 0x01, 0x00});  // jmp near32 +0x10000: beyond the 64 KiB limit
    r.step();
    CHECK(r.delivered(kGP));
    CHECK(r.rd16(r.ss_top()) == 0x20);
}

TEST_CASE("CALL near and RET imm16", "[flow][control]") {
    Rig r;
    r.s.set_eip(0x40);
    r.code({0xE8, 0x10, 0x00});  // call +0x10 -> 0x53
    r.step();
    CHECK(r.s.eip() == 0x53);
    CHECK(r.sp() == 0x0FFE);
    CHECK(r.rd16(r.ss_top()) == 0x43);
    r.code({0xC2, 0x04, 0x00});  // ret 4
    r.step();
    CHECK(r.s.eip() == 0x43);
    CHECK(r.sp() == 0x1004);
    // Indirect call through a register, 32-bit operand size.
    r.s.set_reg32(EAX, 0x1234);
    r.code({0x66, 0xFF, 0xD0});  // call eax
    r.step();
    CHECK(r.s.eip() == 0x1234);
    CHECK(r.sp() == 0x1000);
    CHECK(r.rd32(r.ss_top()) == 0x46);
}

TEST_CASE("far CALL and RETF imm16 in real mode", "[flow][control]") {
    Rig r;
    r.s.set_eip(0x10);
    r.s.set_reg32(ESP, 0x0FFC);  // two argument words above
    r.code({0x9A, 0x00, 0x01, 0x00, 0x20});  // call 2000:0100
    r.bytes(0x20000 + 0x100, {0xCA, 0x04, 0x00});  // retf 4
    r.step();
    CHECK(r.s.seg[CS].selector == 0x2000);
    CHECK(r.s.seg[CS].base == 0x20000);
    CHECK(r.s.eip() == 0x100);
    CHECK(r.sp() == 0x0FF8);
    CHECK(r.rd16(r.ss_top()) == 0x15);
    CHECK(r.rd16(r.ss_top(2)) == 0x1000);
    r.step();
    CHECK(r.s.seg[CS].selector == 0x1000);
    CHECK(r.s.eip() == 0x15);
    CHECK(r.sp() == 0x1000);
}

TEST_CASE("a far CALL whose push faults leaves CS and SP as they were", "[flow][control]") {
    Rig r;
    r.s.set_reg32(ESP, 3);  // CS goes to SS:0001, IP would straddle SS:FFFF: #SS
    r.code({0x9A, 0x00, 0x01, 0x00, 0x20});
    r.step();
    // Delivering the #SS needs the same stack and fails too: the run ends in a triple fault
    // with the state of before the CALL.
    CHECK(r.s.pending_exit == uint8_t(StopReason::TripleFault));
    CHECK(r.s.seg[CS].selector == 0x1000);
    CHECK(r.s.seg[CS].base == 0x10000);
    CHECK(r.s.eip() == 0);
    CHECK(r.sp() == 3);
}

TEST_CASE("far CALL through memory with a 32-bit operand size, and RETF", "[flow][control]") {
    Rig r;
    r.wr32(0x30000 + 0x80, 0x00000200);
    r.wr16(0x30000 + 0x84, 0x2000);
    r.code({0x66, 0xFF, 0x1E, 0x80, 0x00});  // call far dword [0x80]
    r.bytes(0x20000 + 0x200, {0x66, 0xCB});   // retf (32-bit)
    r.step();
    CHECK(r.s.seg[CS].selector == 0x2000);
    CHECK(r.s.eip() == 0x200);
    CHECK(r.sp() == 0x0FF8);
    CHECK(r.rd32(r.ss_top()) == 5);
    CHECK(r.rd32(r.ss_top(4)) == 0x1000);
    r.step();
    CHECK(r.s.seg[CS].selector == 0x1000);
    CHECK(r.s.eip() == 5);
    CHECK(r.sp() == 0x1000);
}

TEST_CASE("far JMP direct and indirect", "[flow][control]") {
    Rig r;
    r.code({0xEA, 0x34, 0x12, 0x00, 0x30});  // jmp 3000:1234
    r.step();
    CHECK(r.s.seg[CS].selector == 0x3000);
    CHECK(r.s.eip() == 0x1234);
    r.wr16(0x30000 + 0x10, 0x0055);
    r.wr16(0x30000 + 0x12, 0x1000);
    r.code({0xFF, 0x2E, 0x10, 0x00});  // jmp far [0x10]
    r.step();
    CHECK(r.s.seg[CS].selector == 0x1000);
    CHECK(r.s.eip() == 0x55);
}

TEST_CASE("far CALL in protected mode at the same privilege level", "[flow][control]") {
    Flat32 r;
    r.code({0x9A, 0x00, 0x00, 0x02, 0x00, 0x08, 0x00});  // call 0008:00020000
    r.bytes(0x20000, {0xCB});                             // retf
    r.step();
    CHECK(r.s.seg[CS].selector == 0x08);
    CHECK(r.s.eip() == 0x20000);
    CHECK(r.rd32(r.s.reg32(ESP)) == 0x10007);
    CHECK(r.rd32(r.s.reg32(ESP) + 4) == 0x08);
    r.step();
    CHECK(r.s.eip() == 0x10007);
    CHECK(r.s.reg32(ESP) == 0x90000);
    // A far RET to a null selector is #GP(0).
    r.s.set_reg32(ESP, 0x8FFF8);
    r.wr32(0x8FFF8, 0x1234);
    r.wr32(0x8FFFC, 0);
    r.s.set_eip(0x10100);
    r.code({0xCB});
    r.step();
    CHECK(r.delivered32(kGP));
    CHECK(r.rd32(r.s.reg32(ESP)) == 0);
    CHECK(r.rd32(r.s.reg32(ESP) + 4) == 0x10100);
}

TEST_CASE("LOOP counts CX or ECX by the address size", "[flow][control]") {
    Rig r;
    r.s.set_reg32(ECX, 0x00010000);  // CX = 0: LOOP wraps to FFFF and jumps
    r.code({0xE2, 0xFE});        // loop $
    r.step();
    CHECK(r.s.reg32(ECX) == 0x0001FFFF);
    CHECK(r.s.eip() == 0);
    r.s.set_reg32(ECX, 0x00010000);  // ECX: 0x10000 -> 0xFFFF, taken
    r.code({0x67, 0xE2, 0xFD});  // loop $ (a32)
    r.step();
    CHECK(r.s.reg32(ECX) == 0x0000FFFF);
    CHECK(r.s.eip() == 0);
    r.s.set_reg32(ECX, 1);  // ECX 1 -> 0: falls through
    r.step();
    CHECK(r.s.reg32(ECX) == 0);
    CHECK(r.s.eip() == 3);
}

TEST_CASE("LOOPE and LOOPNE test ZF", "[flow][control]") {
    Rig r;
    r.s.set_reg32(ECX, 5);
    r.s.eflags |= ZF;
    r.code({0xE0, 0xFE});  // loopne $: ZF=1 stops
    r.step();
    CHECK(r.s.reg32(ECX) == 4);
    CHECK(r.s.eip() == 2);
    r.code({0xE1, 0xFE});  // loope $: ZF=1 continues
    r.step();
    CHECK(r.s.reg32(ECX) == 3);
    CHECK(r.s.eip() == 2);
}

TEST_CASE("JCXZ tests CX, JECXZ tests ECX", "[flow][control]") {
    Rig r;
    r.s.set_reg32(ECX, 0x00010000);
    r.code({0xE3, 0x10});  // jcxz: CX = 0, taken
    r.step();
    CHECK(r.s.eip() == 0x12);
    r.code({0x67, 0xE3, 0x10});  // jecxz: ECX != 0, not taken
    r.step();
    CHECK(r.s.eip() == 0x15);
}

TEST_CASE("INT n and IRET round trip through the IVT", "[flow][control]") {
    Rig r;
    r.s.eflags = FIXED1 | IF | CF | DF;
    r.s.set_eip(0x30);
    r.code({0xCD, 0x21});
    r.bytes(r.kHandlerSeg * 16 + 0x21 * 16, {0xF8, 0xCF});  // clc; iret
    r.step();
    CHECK(r.delivered(0x21));
    CHECK(!r.c.flag(IF));
    CHECK(r.sp() == 0x0FFA);
    CHECK(r.rd16(r.ss_top()) == 0x32);
    CHECK(r.rd16(r.ss_top(2)) == 0x1000);
    CHECK(r.rd16(r.ss_top(4)) == (FIXED1 | IF | CF | DF));
    r.step(2);
    CHECK(r.s.seg[CS].selector == 0x1000);
    CHECK(r.s.eip() == 0x32);
    CHECK(r.sp() == 0x1000);
    CHECK(r.s.eflags == (FIXED1 | IF | CF | DF));
}

TEST_CASE("INT3, INTO and INT1 push the next instruction", "[flow][control]") {
    Rig r;
    r.code({0xCE});  // into, OF = 0: nothing
    r.step();
    CHECK(r.s.eip() == 1);
    r.s.eflags |= OF;
    r.code({0xCE});
    r.step();
    CHECK(r.delivered(kOF));
    CHECK(r.rd16(r.ss_top()) == 2);
    Rig r2;
    r2.code({0xCC});
    r2.step();
    CHECK(r2.delivered(kBP));
    CHECK(r2.rd16(r2.ss_top()) == 1);
    Rig r3;
    r3.code({0xF1});
    r3.step();
    CHECK(r3.delivered(kDB));
    CHECK(r3.rd16(r3.ss_top()) == 1);
}

TEST_CASE("IRETD in real mode keeps VM and takes AC, ID", "[flow][control]") {
    Rig r;
    r.s.set_reg32(ESP, 0x0FF4);
    r.wr32(r.ss_top(), 0x44);
    r.wr32(r.ss_top(4), 0x1000);
    r.wr32(r.ss_top(8), 0xFFFFFFFF);
    r.code({0x66, 0xCF});
    r.step();
    CHECK(r.s.eip() == 0x44);
    CHECK(r.sp() == 0x1000);
    // (RF is loaded too, but the run loop clears it as the instruction completes.)
    CHECK((r.s.eflags & ~RF) == (0x247FD5u | FIXED1));
}

TEST_CASE("IRET in protected mode to the same level", "[flow][control]") {
    Flat32 r;
    r.s.set_reg32(ESP, 0x8FFF4);
    r.wr32(0x8FFF4, 0x12345);
    r.wr32(0x8FFF8, 0x08);
    r.wr32(0x8FFFC, 0x00003202);  // IOPL 3, IF
    r.code({0xCF});
    r.step();
    CHECK(r.s.eip() == 0x12345);
    CHECK(r.s.reg32(ESP) == 0x90000);
    CHECK(r.s.eflags == 0x3202);
}

TEST_CASE("BOUND raises #BR out of range and compares signed", "[flow][control]") {
    Rig r;
    r.wr16(0x30000 + 0x20, uint16_t(-5));
    r.wr16(0x30000 + 0x22, 5);
    r.s.set_reg32(EAX, 0xFFFE);  // -2: in range
    r.code({0x62, 0x06, 0x20, 0x00});  // bound ax, [0x20]
    r.step();
    CHECK(r.s.eip() == 4);
    r.s.set_eip(0);
    r.s.set_reg32(EAX, 6);
    r.step();
    CHECK(r.delivered(kBR));
    CHECK(r.rd16(r.ss_top()) == 0);  // a fault: the BOUND itself
}

// ---------------------------------------------------------------------------------------------
// Stack

TEST_CASE("PUSHA and POPA", "[flow][stack]") {
    Rig r;
    for (unsigned i = 0; i < 8; ++i) r.s.set_reg32(i, 0x11110000u * (i + 1) + 0x100 * (i + 1));
    r.s.set_reg32(ESP, 0x1000);
    r.code({0x60, 0x61});
    r.step();
    CHECK(r.sp() == 0x0FF0);
    const uint16_t want[8] = {0x0800, 0x0700, 0x0600, 0x1000, 0x0400, 0x0300, 0x0200, 0x0100};  // DI..AX
    for (unsigned i = 0; i < 8; ++i) CHECK(r.rd16(r.ss_top(2 * i)) == want[i]);
    for (unsigned i = 0; i < 8; ++i)
        if (i != ESP) r.s.set_reg32(i, 0);
    r.wr16(r.ss_top(6), 0x4444);  // the saved SP is skipped by POPA
    r.step();
    CHECK(r.sp() == 0x1000);
    CHECK(r.s.reg32(EAX) == 0x0100);
    CHECK(r.s.reg32(EDI) == 0x0800);
    CHECK(r.s.reg32(EBP) == 0x0600);
}

TEST_CASE("PUSHAD and POPAD with a 32-bit operand size", "[flow][stack]") {
    Rig r;
    for (unsigned i = 0; i < 8; ++i)
        if (i != ESP) r.s.set_reg32(i, 0xA0000000u + i);
    r.code({0x66, 0x60, 0x66, 0x61});
    r.step();
    CHECK(r.sp() == 0x0FE0);
    CHECK(r.rd32(r.ss_top(12)) == 0x1000);  // the original ESP
    CHECK(r.rd32(r.ss_top(28)) == 0xA0000000u);
    for (unsigned i = 0; i < 8; ++i)
        if (i != ESP) r.s.set_reg32(i, 0);
    r.step();
    CHECK(r.s.reg32(EAX) == 0xA0000000u);
    CHECK(r.s.reg32(EDI) == 0xA0000007u);
    CHECK(r.sp() == 0x1000);
}

TEST_CASE("PUSHA in real mode with SP = 7..15 odd is #GP", "[flow][stack]") {
    Rig r;
    r.s.set_reg32(ESP, 13);
    r.code({0x60});
    r.step();
    CHECK(r.delivered(kGP));
}

TEST_CASE("PUSH SP, PUSH imm8, PUSH and POP segment registers", "[flow][stack]") {
    Rig r;
    r.code({0x54});  // push sp: the value before the push
    r.step();
    CHECK(r.rd16(r.ss_top()) == 0x1000);
    r.code({0x6A, 0x80});  // push -128
    r.step();
    CHECK(r.rd16(r.ss_top()) == 0xFF80);
    r.code({0x66, 0x6A, 0x80});  // push dword -128
    r.step();
    CHECK(r.rd32(r.ss_top()) == 0xFFFFFF80u);
    // A 32-bit push of a segment register moves SP by 4 and writes the low word only.
    r.wr32(r.ss_top() - 4, 0xDDDDDDDD);
    r.code({0x66, 0x1E});  // push ds (o32)
    r.step();
    CHECK(r.sp() == 0x1000 - 2 - 2 - 4 - 4);
    CHECK(r.rd32(r.ss_top()) == 0xDDDD3000u);
    r.code({0x66, 0x07});  // pop es (o32)
    r.step();
    CHECK(r.s.seg[ES].selector == 0x3000);
    CHECK(r.s.seg[ES].base == 0x30000);
    CHECK(r.sp() == 0x1000 - 8);
    r.c.load_seg_real(FS, 0x1234);
    r.code({0x0F, 0xA0, 0x0F, 0xA9});  // push fs; pop gs
    r.step(2);
    CHECK(r.s.seg[GS].selector == r.s.seg[FS].selector);
    r.code({0x17});  // pop ss: interrupts inhibited for one instruction
    r.wr16(r.ss_top(), 0x2000);
    r.step();
    CHECK(r.s.inhibit_irq == (kShadowIrq | kShadowDebug));
}

TEST_CASE("POP to an ESP-based memory operand uses ESP after the pop", "[flow][stack]") {
    Flat32 r;
    r.wr32(0x90000, 0xCAFEF00D);
    r.code({0x8F, 0x44, 0x24, 0x04});  // pop dword [esp+4]
    r.step();
    CHECK(r.s.reg32(ESP) == 0x90004);
    CHECK(r.rd32(0x90008) == 0xCAFEF00D);
    r.code({0x5C});  // pop esp: loads the popped value
    r.wr32(0x90004, 0x12345678);
    r.step();
    CHECK(r.s.reg32(ESP) == 0x12345678);
}

TEST_CASE("POPF in real mode changes IOPL, NT, IF but not VM or RF", "[flow][stack]") {
    Rig r;
    r.s.eflags = FIXED1 | RF;
    r.s.set_reg32(ESP, 0x0FFE);
    r.wr16(r.ss_top(), 0xFFFF & ~TF);  // (TF would single-step the next instruction)
    r.code({0x9D});
    r.step();
    CHECK(r.s.eflags == (0x7FD7u & ~TF));  // every FLAGS bit but reserved 3, 5, 15; RF cleared
    r.s.set_reg32(ESP, 0x0FFC);
    r.wr32(r.ss_top(), 0xFFFFFFFF & ~TF);
    r.code({0x66, 0x9D});
    r.step();
    CHECK(r.s.eflags == ((0x7FD7u & ~TF) | AC | ID));  // not VM, RF, VIF, VIP
    r.code({0x66, 0x9C});  // pushfd
    r.s.eflags |= RF;
    r.step();
    CHECK(r.rd32(r.ss_top()) == ((0x7FD7u & ~TF) | AC | ID));  // RF and VM are not pushed
}

TEST_CASE("POPF in protected mode: IOPL at CPL 0 only, IF when CPL <= IOPL", "[flow][stack]") {
    Flat32 r;
    r.s.cpl = 3;  // pretend: the checks only read CPL
    r.s.eflags = FIXED1;
    r.s.set_reg32(ESP, 0x8FFFC);
    r.wr32(0x8FFFC, IOPL | IF | CF);
    r.code({0x9D});
    r.step();
    CHECK(r.s.eflags == (FIXED1 | CF));
    r.s.cpl = 0;
    r.s.set_reg32(ESP, 0x8FFFC);
    r.code({0x9D});
    r.step();
    CHECK(r.s.eflags == (FIXED1 | CF | IF | IOPL));
}

TEST_CASE("ENTER with nesting and LEAVE", "[flow][stack]") {
    Rig r;
    r.s.set_reg32(EBP, 0x0F00);
    r.wr16(0x20000 + 0x0EFE, 0x1111);
    r.wr16(0x20000 + 0x0EFC, 0x2222);
    r.code({0xC8, 0x08, 0x00, 0x03, 0xC9});  // enter 8, 3; leave
    r.step();
    CHECK(r.s.reg32(EBP) == 0x0FFE);
    CHECK(r.sp() == 0x0FF0);
    CHECK(r.rd16(0x20000 + 0x0FFE) == 0x0F00);  // old BP
    CHECK(r.rd16(0x20000 + 0x0FFC) == 0x1111);  // enclosing frame pointers
    CHECK(r.rd16(0x20000 + 0x0FFA) == 0x2222);
    CHECK(r.rd16(0x20000 + 0x0FF8) == 0x0FFE);  // this frame's pointer
    r.step();
    CHECK(r.s.reg32(EBP) == 0x0F00);
    CHECK(r.sp() == 0x1000);
}

TEST_CASE("ENTER with level 0 and 1, 32-bit", "[flow][stack]") {
    Flat32 r;
    r.s.set_reg32(EBP, 0x12345678);
    r.code({0xC8, 0x10, 0x00, 0x00});  // enter 16, 0
    r.step();
    CHECK(r.s.reg32(EBP) == 0x8FFFC);
    CHECK(r.s.reg32(ESP) == 0x8FFFC - 16);
    CHECK(r.rd32(0x8FFFC) == 0x12345678);
    r.s.set_reg32(ESP, 0x90000);
    r.s.set_reg32(EBP, 0x1000);
    r.code({0xC8, 0x00, 0x00, 0x01});  // enter 0, 1
    r.step();
    CHECK(r.s.reg32(EBP) == 0x8FFFC);
    CHECK(r.s.reg32(ESP) == 0x8FFF8);
    CHECK(r.rd32(0x8FFF8) == 0x8FFFC);
}

// ---------------------------------------------------------------------------------------------
// Miscellaneous

TEST_CASE("CPUID leaves 0 and 1, and leaves above the maximum", "[flow][misc]") {
    Rig r;
    r.s.set_reg32(EAX, 0);
    r.code({0x0F, 0xA2, 0x0F, 0xA2, 0x0F, 0xA2});
    r.step();
    CHECK(r.s.reg32(EAX) == 1);
    char vendor[13] = {};
    const uint32_t words[3] = {r.s.reg32(EBX), r.s.reg32(EDX), r.s.reg32(ECX)};
    std::memcpy(vendor, words, 12);
    CHECK(std::string(vendor) == "GenuineIntel");
    r.s.set_reg32(EAX, 1);
    r.step();
    CHECK(r.s.reg32(EAX) == 0x652);
    CHECK(r.s.reg32(EBX) == 0);
    CHECK(r.s.reg32(ECX) == (1u << 31));  // not bare metal (the bit hypervisors set)
    // FPU VME DE PSE TSC MSR PAE CX8 APIC (the machine's local APIC, enabled at reset) SEP PGE
    // CMOV MMX FXSR, and nothing the CPU lacks (MTRR, PAT...).
    CHECK(r.s.reg32(EDX) == ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                            (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 23) | (1u << 24)));
    r.s.set_reg32(EAX, 0x80000000u);
    r.step();
    CHECK(r.s.reg32(EAX) == 0x80000001u);  // the highest extended leaf
    CHECK(r.s.reg32(EBX) == 0);             // reserved on Intel (no vendor string here)
    r.s.set_reg32(EAX, 0x80000001u);
    r.code({0x0F, 0xA2, 0x0F, 0xA2});
    r.step();
    CHECK(r.s.reg32(EAX) == 0);
    CHECK(r.s.reg32(EDX) == (1u << 20));  // NX
    r.s.set_reg32(EAX, 0x80000002u);         // above the extended maximum: the highest basic leaf
    r.step();
    CHECK(r.s.reg32(EAX) == 0x652);
}

TEST_CASE("the P6 microcode MSRs: IA32_PLATFORM_ID and IA32_BIOS_SIGN_ID read 0, the latter takes writes", "[flow][misc]") {
    // Linux reads both without a fault handler on an Intel family 6 CPU (SDM Vol. 3A, 9.11.7.1:
    // write 0 to 8Bh, CPUID, read EDX: the revision, 0 when no update was loaded).
    Rig r;
    r.s.set_reg32(ECX, 0x8B);
    r.s.set_reg32(EAX, 0);
    r.s.set_reg32(EDX, 0);
    r.code({0x0F, 0x30, 0x0F, 0x32, 0x0F, 0x32});  // wrmsr; rdmsr; rdmsr
    r.step();
    r.s.set_reg32(EDX, 0x1234);
    r.step();
    CHECK(r.s.reg32(EDX) == 0);
    CHECK(r.c.stats.exceptions[kGP] == 0);
    r.s.set_reg32(ECX, 0x17);
    r.s.set_reg32(EDX, 0x1234);
    r.step();
    CHECK(r.s.reg32(EDX) == 0);
    CHECK(r.s.reg32(EAX) == 0);
    CHECK(r.c.stats.exceptions[kGP] == 0);
}

TEST_CASE("RDTSC, and #GP with CR4.TSD at CPL 3", "[flow][misc]") {
    Rig r;
    r.c.set_tsc(0x123456789ull);  // as WRMSR 10h does; the TSC then runs with the clock
    r.code({0x0F, 0x31});
    r.step();
    const uint64_t tsc = (uint64_t(r.s.reg32(EDX)) << 32) | r.s.reg32(EAX);
    CHECK(tsc >= 0x123456789ull);
    CHECK(tsc < 0x123456789ull + 1000000000ull);  // 1 GHz: well under a second later
    Flat32 p;
    p.s.cr4 |= CR4_TSD;
    p.s.cpl = 3;
    p.s.set_reg32(EAX, 0);
    p.code({0x0F, 0x31});
    p.step();
    // (Delivery to CPL 0 from CPL 3 is the protected-mode issue's: count the #GP only.)
    CHECK(p.c.stats.exceptions[kGP] >= 1);
    CHECK(p.s.reg32(EAX) == 0);
}

TEST_CASE("flag instructions, STI shadow, HLT", "[flow][misc]") {
    Rig r;
    r.code({0xF9, 0xF5, 0xFD, 0xFC, 0xFB, 0xFB, 0xFA, 0xF4});
    r.step();
    CHECK(r.c.flag(CF));
    r.step();
    CHECK(!r.c.flag(CF));
    r.step();
    CHECK(r.c.flag(DF));
    r.step();
    CHECK(!r.c.flag(DF));
    r.step();
    CHECK(r.c.flag(IF));
    CHECK(r.s.inhibit_irq == kShadowIrq);
    r.s.inhibit_irq = 0;
    r.step();  // STI with IF already set: no shadow
    CHECK(r.s.inhibit_irq == 0);
    r.step();
    CHECK(!r.c.flag(IF));
    r.step();
    CHECK(r.s.halted == 1);
}

TEST_CASE("CLI at CPL > IOPL and HLT at CPL > 0 are #GP in protected mode", "[flow][misc]") {
    // CPL 3 is pretended (CS stays DPL 0), so the #GP is counted rather than delivered.
    Flat32 r;
    r.s.cpl = 3;
    r.s.eflags |= IF;
    r.code({0xFA});
    r.step();
    CHECK(r.c.stats.exceptions[kGP] >= 1);
    CHECK(r.c.flag(IF));
    Flat32 h;
    h.s.cpl = 3;
    h.code({0xF4});
    h.step();
    CHECK(h.c.stats.exceptions[kGP] >= 1);
    CHECK(h.s.halted == 0);
    Flat32 ok;  // CPL 3 with IOPL 3 may CLI
    ok.s.cpl = 3;
    ok.s.eflags |= IF | IOPL;
    ok.code({0xFA});
    ok.step();
    CHECK(!ok.c.flag(IF));
}

TEST_CASE("IN and OUT, imm8 and DX forms", "[flow][misc]") {
    Rig r;
    Probe p;
    r.m.io.claim(0xE0, 1, &p);  // ports no PC device of the machine claims
    r.m.io.claim(0x300, 4, &p);
    r.s.set_reg32(EAX, 0xFFFFFFFF);
    r.s.set_reg32(EDX, 0x300);
    r.code({0xE4, 0xE0, 0xED, 0x66, 0xEF, 0xE6, 0xE0});  // in al,0E0h; in ax,dx; out dx,eax; out 0E0h,al
    r.step();
    CHECK(r.s.reg32(EAX) == 0xFFFFFF11u);
    r.step();
    CHECK(r.s.reg32(EAX) == 0xFFFF0022u);
    r.step(2);
    CHECK(p.written == std::vector<uint32_t>{0xFFFF0022u, 0x22});
}

TEST_CASE("UD2, UD0, UD1 raise #UD and WAIT checks CR0.MP/TS", "[flow][misc]") {
    Rig r;
    r.code({0x0F, 0x0B});
    r.step();
    CHECK(r.delivered(kUD));
    CHECK(r.c.stats.unimplemented[ZYDIS_MNEMONIC_UD2] == 0);
    Rig w;
    w.code({0x9B, 0x9B});
    w.step();
    CHECK(w.s.eip() == 1);
    w.s.cr0 |= CR0_MP | CR0_TS;
    w.step();
    CHECK(w.delivered(kNM));
    Rig u;
    u.code({0x0F, 0xB9, 0xC0});
    u.step();
    CHECK(u.delivered(kUD));
}
