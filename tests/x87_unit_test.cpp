// x87 unit tests for what the host oracle cannot show: #NM from CR0.EM/TS/MP (SDM Vol. 3A,
// Table 2-2), #MF and the FERR#/IGNNE# path of CR0.NE=0, the environment and save-area layouts
// in every mode and operand size, the instruction and data pointers, and faults that leave the
// FPU as it was.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "cpu/fpu/softfloat80.h"
#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

constexpr uint32_t kCode = 0x1000;
constexpr uint32_t kData = 0x10000;  // DS base in real mode; a flat address in protected mode

// A machine in real mode (CS = 0, DS = 0x1000) or flat 32-bit protected mode (CS 0x08, DS 0x10).
class Vm {
public:
    explicit Vm(bool protected_mode) : m_(small_config()), c(m_.cpu) {
        c.reset();
        if (!protected_mode) {
            for (unsigned i = 0; i < kSegCount; ++i) c.load_seg_real(SegReg(i), 0);
            c.load_seg_real(DS, uint16_t(kData >> 4));
            c.s.set_reg32(ESP, 0xFFF0);
        } else {
            c.s.cr0 |= CR0_PE;
            for (unsigned i = 0; i < kSegCount; ++i)
                c.s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(i == CS ? 0x08 : 0x10),
                                          uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G |
                                                   (i == CS ? SEG_CODE : 0))};
            c.s.set_reg32(ESP, 0x30000);
            c.mode_changed();
        }
        c.s.cr0 |= CR0_NE;
    }

    // Runs one instruction at kCode without delivering what it raises: the vector, or -1.
    int exec(const std::vector<uint8_t>& bytes) {
        std::memcpy(m_.phys.ram() + kCode, bytes.data(), bytes.size());
        c.s.set_eip(c.s.insn_eip = kCode);
        c.s.halted = 0;
        try {
            Insn in;
            m_.interp.decode(in);
            if (!in.row) c.undefined(&in);
            c.s.set_eip(in.next_eip);
            in.row->fn(c, in);
        } catch (const GuestFault& f) {
            c.s.set_eip(kCode);
            return f.vector;
        }
        return -1;
    }
    uint8_t* ram(uint32_t a) { return m_.phys.ram() + a; }
    uint16_t get16(uint32_t a) { uint16_t v; std::memcpy(&v, ram(a), 2); return v; }
    uint32_t get32(uint32_t a) { uint32_t v; std::memcpy(&v, ram(a), 4); return v; }

private:
    Machine m_;

public:
    Cpu& c;
};

// ModRM + displacement for [disp] in the guest's address size.
std::vector<uint8_t> mem16(uint8_t opc, unsigned digit, uint16_t disp, bool prefix66 = false) {
    std::vector<uint8_t> b;
    if (prefix66) b.push_back(0x66);
    b.insert(b.end(), {opc, uint8_t(digit << 3 | 6), uint8_t(disp), uint8_t(disp >> 8)});
    return b;
}
std::vector<uint8_t> mem32(std::vector<uint8_t> opc, unsigned digit, uint32_t addr, bool prefix66 = false) {
    std::vector<uint8_t> b;
    if (prefix66) b.push_back(0x66);
    b.insert(b.end(), opc.begin(), opc.end());
    b.insert(b.end(), {uint8_t(digit << 3 | 5), uint8_t(addr), uint8_t(addr >> 8), uint8_t(addr >> 16), uint8_t(addr >> 24)});
    return b;
}

const std::vector<uint8_t> kFninit = {0xDB, 0xE3}, kFld1 = {0xD9, 0xE8}, kFldz = {0xD9, 0xEE},
                           kFdiv = {0xD8, 0xF1}, kFaddSt1 = {0xD8, 0xC1}, kFwait = {0x9B}, kFnclex = {0xDB, 0xE2},
                           kFnstswAx = {0xDF, 0xE0};

unsigned top(const Cpu& c) { return (c.s.fpu.fsw >> 11) & 7; }

} // namespace

TEST_CASE("x87: #NM from CR0.EM and CR0.TS, WAIT only with MP and TS", "[x87]") {
    Vm vm(true);
    Cpu& c = vm.c;
    REQUIRE(vm.exec(kFninit) == -1);
    c.s.cr0 |= CR0_EM;
    CHECK(vm.exec(kFld1) == kNM);
    CHECK(vm.exec(kFninit) == kNM);
    CHECK(vm.exec(mem32({0x0F, 0xAE}, 0, 0x10000)) == kNM);  // FXSAVE
    CHECK(vm.exec(kFwait) == -1);                             // EM does not concern WAIT
    CHECK(top(c) == 0);
    c.s.cr0 &= ~CR0_EM;
    c.s.cr0 |= CR0_TS;
    CHECK(vm.exec(kFld1) == kNM);
    CHECK(vm.exec(kFnstswAx) == kNM);
    CHECK(vm.exec(kFwait) == -1);  // TS without MP
    c.s.cr0 |= CR0_MP;
    CHECK(vm.exec(kFwait) == kNM);
    // Undefined x87 opcodes (D9 D1, DB /4, FISTTP of SSE3) are #NM too, #UD otherwise.
    CHECK(vm.exec({0xD9, 0xD1}) == kNM);
    CHECK(vm.exec({0x66, 0xDB, 0x20}) == kNM);
    CHECK(vm.exec({0xDB, 0x08}) == kNM);
    c.s.cr0 &= ~(CR0_TS | CR0_MP);
    CHECK(vm.exec(kFld1) == -1);
    CHECK(top(c) == 7);
    CHECK(vm.exec({0xD9, 0xD1}) == kUD);
    CHECK(vm.exec({0xDB, 0x08}) == kUD);
    CHECK(top(c) == 7);
}

TEST_CASE("x87: an unmasked exception is reported by #MF at the next waiting instruction", "[x87]") {
    Vm vm(true);
    Cpu& c = vm.c;
    REQUIRE(vm.exec(kFninit) == -1);
    // Unmask zero-divide, then 1/0.
    c.s.fpu.fcw = 0x037B;
    REQUIRE(vm.exec(kFldz) == -1);
    REQUIRE(vm.exec(kFld1) == -1);
    REQUIRE(vm.exec(kFdiv) == -1);  // the exception is only recorded
    CHECK((c.s.fpu.fsw & 0x80BF) == 0x8084);  // ZE, ES, B
    CHECK(c.s.fpu.st[(top(c)) & 7].mant == 0x8000000000000000ull);  // unmasked: ST(0) unchanged (1.0)
    const FpuState before = c.s.fpu;
    CHECK(vm.exec(kFaddSt1) == kMF);  // a fault: nothing changed
    CHECK(std::memcmp(&c.s.fpu, &before, sizeof before) == 0);
    CHECK(vm.exec(kFwait) == kMF);
    CHECK(vm.exec(kFld1) == kMF);
    // The no-wait forms run.
    CHECK(vm.exec(kFnstswAx) == -1);
    CHECK(c.reg16(EAX) == c.s.fpu.fsw);
    CHECK(vm.exec(kFnclex) == -1);
    CHECK((c.s.fpu.fsw & 0x80FF) == 0);
    CHECK(vm.exec(kFaddSt1) == -1);
    // FLDCW unmasking a flag that is already set makes it pending.
    c.s.fpu.fcw = 0x037F;
    c.s.fpu.fsw |= 0x20;  // PE, masked: nothing pending
    CHECK(vm.exec(kFwait) == -1);
    std::memcpy(vm.ram(0x10000), "\x5F\x03", 2);  // 0x035F: PE unmasked
    CHECK(vm.exec(mem32({0xD9}, 5, 0x10000)) == -1);
    CHECK((c.s.fpu.fsw & 0x8080) == 0x8080);
    CHECK(vm.exec(kFwait) == kMF);
    // FNSTENV masks everything: nothing is pending after it.
    CHECK(vm.exec(mem32({0xD9}, 6, 0x10100)) == -1);
    CHECK(c.s.fpu.fcw == 0x037F);
    CHECK((c.s.fpu.fsw & 0x8080) == 0);
    CHECK(vm.exec(kFwait) == -1);
}

TEST_CASE("x87: with CR0.NE=0, FERR# and IGNNE# instead of #MF", "[x87]") {
    Vm vm(true);
    Cpu& c = vm.c;
    c.s.cr0 &= ~CR0_NE;
    REQUIRE(vm.exec(kFninit) == -1);
    c.s.fpu.fcw = 0x037B;
    REQUIRE(vm.exec(kFldz) == -1);
    REQUIRE(vm.exec(kFld1) == -1);
    SECTION("no chipset: FERR# is asserted but goes nowhere; the next instruction runs") {
        REQUIRE(vm.exec(kFdiv) == -1);
        CHECK(c.s.ferr);
        const unsigned t = top(c);
        CHECK(vm.exec(kFld1) == -1);
        CHECK(top(c) == ((t - 1) & 7));
        CHECK(vm.exec(kFnclex) == -1);
        CHECK_FALSE(c.s.ferr);
    }
    SECTION("wired to IRQ13: FERR# when the instruction completes, then a freeze until IGNNE#") {
        struct Line { int raised = 0, lowered = 0; } line;
        c.ferr_ctx = &line;
        c.ferr_hook = [](void* ctx, bool on) { ++(on ? static_cast<Line*>(ctx)->raised : static_cast<Line*>(ctx)->lowered); };
        REQUIRE(vm.exec(kFdiv) == -1);
        CHECK(line.raised == 1);
        const FpuState before = c.s.fpu;
        CHECK(vm.exec(kFld1) == -1);
        CHECK(c.s.halted == 1);          // frozen on the instruction, waiting for the interrupt
        CHECK(c.s.eip() == kCode);
        CHECK(std::memcmp(&c.s.fpu, &before, sizeof before) == 0);
        c.s.ignne = 1;                  // the IRQ13 handler wrote port F0h
        CHECK(vm.exec(kFld1) == -1);
        CHECK(c.s.halted == 0);
        CHECK(top(c) == (((before.fsw >> 11) - 1) & 7));
        c.s.ignne = 0;
        CHECK(vm.exec(kFnclex) == -1);
        CHECK(line.lowered == 1);
        CHECK_FALSE(c.s.ferr);
    }
}

TEST_CASE("x87: FINIT state, and the instruction and data pointers", "[x87]") {
    Vm vm(true);
    Cpu& c = vm.c;
    c.s.fpu.fsw = 0x1234;
    c.s.fpu.fop = 0x123;
    REQUIRE(vm.exec(kFninit) == -1);
    CHECK(c.s.fpu.fcw == 0x037F);
    CHECK(c.s.fpu.fsw == 0);
    CHECK(c.s.fpu.ftw == 0xFFFF);
    CHECK(c.s.fpu.fop == 0);
    CHECK(c.s.fpu.fip == 0);
    // FLD dword [0x10040]: FIP/FCS the instruction, FOP = (D9 & 7) << 8 | ModRM, FDP/FDS the operand.
    std::memcpy(vm.ram(0x10040), "\x00\x00\x80\x3F", 4);  // 1.0f
    REQUIRE(vm.exec(mem32({0xD9}, 0, 0x10040)) == -1);
    CHECK(c.s.fpu.fip == kCode);
    CHECK(c.s.fpu.fcs == 0x08);
    CHECK(c.s.fpu.fop == 0x105);
    CHECK(c.s.fpu.fdp == 0x10040);
    CHECK(c.s.fpu.fds == 0x10);
    // A control instruction (FLDCW) leaves them; a register instruction updates FIP and FOP.
    std::memcpy(vm.ram(0x10050), "\x7F\x03", 2);
    REQUIRE(vm.exec(mem32({0xD9}, 5, 0x10050)) == -1);
    CHECK(c.s.fpu.fop == 0x105);
    CHECK(c.s.fpu.fdp == 0x10040);
    REQUIRE(vm.exec({0xD9, 0xE1}) == -1);  // fabs
    CHECK(c.s.fpu.fop == 0x1E1);
    CHECK(c.s.fpu.fdp == 0x10040);         // no memory operand: the data pointer stays
}

TEST_CASE("x87: FSTENV layouts in protected and real mode, both operand sizes", "[x87]") {
    SECTION("protected mode, 32-bit: offsets and selectors, FOP beside FCS") {
        Vm vm(true);
        Cpu& c = vm.c;
        REQUIRE(vm.exec(kFninit) == -1);
        std::memcpy(vm.ram(0x10040), "\x00\x00\x80\x3F", 4);
        REQUIRE(vm.exec(mem32({0xD9}, 0, 0x10040)) == -1);  // fld dword [0x10040]
        REQUIRE(vm.exec(mem32({0xD9}, 6, 0x10100)) == -1);  // fnstenv [0x10100]
        CHECK(vm.get32(0x10100) == 0xFFFF037F);
        CHECK(vm.get32(0x10104) == (0xFFFF0000u | c.s.fpu.fsw));
        CHECK(vm.get32(0x10108) == 0xFFFF3FFF);  // R7 valid (1.0), the rest empty
        CHECK(vm.get32(0x1010C) == kCode);
        CHECK(vm.get32(0x10110) == (0x08u | 0x105u << 16));
        CHECK(vm.get32(0x10114) == 0x10040);
        CHECK(vm.get32(0x10118) == 0xFFFF0010);
        // FLDENV reads it back; a tag claiming "zero" for the 1.0 in R7 is recomputed.
        std::memcpy(vm.ram(0x10108), "\xFF\x7F", 2);  // R7 tagged 01 (zero)
        c.s.fpu.fcw = 0;
        REQUIRE(vm.exec(mem32({0xD9}, 4, 0x10100)) == -1);
        CHECK(c.s.fpu.fcw == 0x037F);
        CHECK(c.s.fpu.ftw == 0x3FFF);
        CHECK(c.s.fpu.fop == 0x105);
    }
    SECTION("protected mode, 16-bit (66h): 14 bytes") {
        Vm vm(true);
        Cpu& c = vm.c;
        REQUIRE(vm.exec(kFninit) == -1);
        REQUIRE(vm.exec(kFld1) == -1);
        REQUIRE(vm.exec(mem32({0xD9}, 6, 0x10100, true)) == -1);
        CHECK(vm.get16(0x10100) == 0x037F);
        CHECK(vm.get16(0x10102) == c.s.fpu.fsw);
        CHECK(vm.get16(0x10104) == 0x3FFF);
        CHECK(vm.get16(0x10106) == kCode);
        CHECK(vm.get16(0x10108) == 0x08);
    }
    SECTION("real mode, 16-bit: 20-bit linear pointers with FOP") {
        Vm vm(false);  // CS:IP = 0000:1000
        REQUIRE(vm.exec(kFninit) == -1);
        std::memcpy(vm.ram(kData + 0x40), "\x00\x00\x80\x3F", 4);
        REQUIRE(vm.exec(mem16(0xD9, 0, 0x40)) == -1);   // fld dword [0x40] (DS = 0x1000)
        REQUIRE(vm.exec(mem16(0xD9, 6, 0x100)) == -1);  // fnstenv [0x100]
        const uint32_t env = kData + 0x100;
        CHECK(vm.get16(env + 0) == 0x037F);
        CHECK(vm.get16(env + 4) == 0x3FFF);
        CHECK(vm.get16(env + 6) == 0x1000);                // IP 15..0 of linear 0x01000
        CHECK(vm.get16(env + 8) == (0x0000 | 0x106));      // IP 19..16 = 0, FOP (mod 00 rm 110)
        CHECK(vm.get16(env + 10) == 0x0040);               // DP 15..0 of linear 0x10040
        CHECK(vm.get16(env + 12) == 0x1000);               // DP 19..16 = 1 in bits 12-15
    }
    SECTION("real mode, 32-bit (66h): 28 bytes, pointer bits 31..16 in bits 27..12") {
        Vm vm(false);
        REQUIRE(vm.exec(kFninit) == -1);
        std::memcpy(vm.ram(kData + 0x40), "\x00\x00\x80\x3F", 4);
        REQUIRE(vm.exec(mem16(0xD9, 0, 0x40)) == -1);
        REQUIRE(vm.exec(mem16(0xD9, 6, 0x100, true)) == -1);
        const uint32_t env = kData + 0x100;
        CHECK(vm.get32(env + 12) == 0xFFFF1000);
        CHECK(vm.get32(env + 16) == 0x106);
        CHECK(vm.get32(env + 20) == 0xFFFF0040);
        CHECK(vm.get32(env + 24) == 0x1000);
        // FLDENV of the same layout puts the linear pointers back.
        REQUIRE(vm.exec(mem16(0xD9, 4, 0x100, true)) == -1);
        CHECK(vm.c.s.fpu.fip == 0x1000);
        CHECK(vm.c.s.fpu.fdp == 0x10040);
    }
}

TEST_CASE("x87: FSAVE and FRSTOR round trip; FSAVE initializes", "[x87]") {
    Vm vm(true);
    Cpu& c = vm.c;
    REQUIRE(vm.exec(kFninit) == -1);
    REQUIRE(vm.exec(kFld1) == -1);
    REQUIRE(vm.exec({0xD9, 0xEB}) == -1);  // fldpi
    c.s.fpu.fcw = 0x0B7F;
    const FpuState saved = c.s.fpu;
    for (bool op16 : {false, true}) {
        c.s.fpu = saved;
        REQUIRE(vm.exec(mem32({0xDD}, 6, 0x10200, op16)) == -1);  // fnsave
        CHECK(c.s.fpu.fcw == 0x037F);
        CHECK(c.s.fpu.ftw == 0xFFFF);
        CHECK(c.s.fpu.fsw == 0);
        const unsigned env = op16 ? 14 : 28;
        // ST(0) = pi first, in stack order.
        uint64_t m;
        std::memcpy(&m, vm.ram(0x10200 + env), 8);
        CHECK(m == 0xC90FDAA22168C235ull);
        REQUIRE(vm.exec(mem32({0xDD}, 4, 0x10200, op16)) == -1);  // frstor
        CHECK(c.s.fpu.fcw == saved.fcw);
        CHECK(c.s.fpu.fsw == saved.fsw);
        CHECK(c.s.fpu.ftw == saved.ftw);
        for (unsigned i = 6; i < 8; ++i) CHECK(fp80::same(c.s.fpu.st[i], saved.st[i]));
    }
}

TEST_CASE("x87: faults leave the FPU as it was", "[x87]") {
    Vm vm(true);
    Cpu& c = vm.c;
    REQUIRE(vm.exec(kFninit) == -1);
    REQUIRE(vm.exec(kFld1) == -1);
    // DS limit 0x10005: an 80-bit store or load at 0x10000 runs past it.
    c.s.seg[DS].limit = 0x10005;
    c.s.seg[DS].attr &= ~SEG_G;
    c.seg_changed(DS);
    const FpuState before = c.s.fpu;
    std::memset(vm.ram(0x10000), 0xAA, 16);
    CHECK(vm.exec(mem32({0xDB}, 7, 0x10000)) == kGP);  // fstp tbyte
    CHECK(std::memcmp(&c.s.fpu, &before, sizeof before) == 0);
    CHECK(vm.ram(0x10000)[0] == 0xAA);
    CHECK(vm.exec(mem32({0xDB}, 5, 0x10000)) == kGP);  // fld tbyte
    CHECK(std::memcmp(&c.s.fpu, &before, sizeof before) == 0);
    CHECK(vm.exec(mem32({0xDD}, 6, 0x10000)) == kGP);  // fnsave: no initialization either
    CHECK(std::memcmp(&c.s.fpu, &before, sizeof before) == 0);
    CHECK(vm.exec(mem32({0xDF}, 7, 0x10000)) == kGP);  // fistp qword
    CHECK(std::memcmp(&c.s.fpu, &before, sizeof before) == 0);
    CHECK(vm.exec(mem32({0xD9}, 3, 0x10000)) == -1);   // fstp dword fits
    c.s.seg[DS].limit = 0xFFFFFFFFu;
    c.s.seg[DS].attr |= SEG_G;
    c.seg_changed(DS);
    // FXSAVE/FXRSTOR: #GP for an area not 16-byte aligned and for reserved MXCSR bits.
    CHECK(vm.exec(mem32({0x0F, 0xAE}, 0, 0x10008)) == kGP);
    REQUIRE(vm.exec(mem32({0x0F, 0xAE}, 0, 0x10100)) == -1);
    uint32_t mx = 0xFFFF1F80u;
    std::memcpy(vm.ram(0x10100 + 24), &mx, 4);
    const FpuState before2 = c.s.fpu;
    c.s.fpu.fcw = 0x0000;
    CHECK(vm.exec(mem32({0x0F, 0xAE}, 1, 0x10100)) == kGP);
    CHECK(c.s.fpu.fcw == 0x0000);  // nothing loaded
    mx = 0x1F80;
    std::memcpy(vm.ram(0x10100 + 24), &mx, 4);
    CHECK(vm.exec(mem32({0x0F, 0xAE}, 1, 0x10100)) == -1);
    CHECK(c.s.fpu.fcw == before2.fcw);
    CHECK(c.s.fpu.ftw == before2.ftw);
}
