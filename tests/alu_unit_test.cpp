// Unit tests for the integer instructions the host cannot check for us: divide errors (#DE) and
// their precision, decimal adjustment (DAA DAS AAA AAS AAM AAD, invalid in 64-bit mode) against
// worked examples and decimal arithmetic, SALC, CMPXCHG8B, faults on read-only destinations,
// and the table rows' facts.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

constexpr uint32_t kCode = 0x1000;      // guest code at 0000:1000
constexpr uint32_t kHandler = 0x2000;   // #DE handler at 0000:2000 (real mode)
constexpr uint32_t kArith = CF | PF | AF | ZF | SF | OF;

// A real-mode machine: CS = DS = ES = 0, SS = 0x3000, SP = 0xFFF0, every IVT entry pointing at
// 0000:2000.
struct RealMachine {
    Machine m{small_config()};
    Cpu& c = m.cpu;

    RealMachine() {
        for (unsigned i = 0; i < kSegCount; ++i) c.load_seg_real(SegReg(i), 0);
        c.load_seg_real(SS, 0x3000);
        c.s.set_reg32(ESP, 0xFFF0);
        for (uint32_t v = 0; v < 256; ++v) {
            const uint8_t entry[4] = {uint8_t(kHandler), uint8_t(kHandler >> 8), 0, 0};
            m.phys.write_bytes(v * 4, entry, 4);
        }
    }

    // Places `bytes` at 0000:1000 and runs one instruction.
    void run(const std::vector<uint8_t>& bytes) {
        m.phys.write_bytes(kCode, bytes.data(), bytes.size());
        c.s.set_eip(kCode);
        m.step();
    }
    uint16_t stack_word(unsigned i) {  // i-th word from SS:SP
        uint16_t v;
        m.phys.read_bytes(0x30000 + ((c.s.reg32(ESP) + 2 * i) & 0xFFFF), &v, 2);
        return v;
    }
};

// Expects the last instruction to have raised #DE: CS:IP at the handler, the return address the
// faulting instruction (0000:1000), and FLAGS pushed as they were (`flags`).
void check_divide_error(RealMachine& r, uint32_t flags) {
    CHECK(r.c.s.eip() == kHandler);
    CHECK(r.c.s.seg[CS].selector == 0);
    CHECK(r.c.stats.exceptions[kDE] == 1);
    CHECK(r.c.s.reg32(ESP) == 0xFFF0 - 6);
    CHECK(r.stack_word(0) == kCode);         // IP of the faulting instruction
    CHECK(r.stack_word(1) == 0);             // CS
    CHECK(r.stack_word(2) == (flags & 0xFFFF));  // FLAGS before the fault, untouched
}

} // namespace

TEST_CASE("DIV and IDIV raise #DE on a zero divisor and on quotient overflow", "[alu][muldiv]") {
    struct Case {
        const char* what;
        std::vector<uint8_t> bytes;
        uint32_t eax, edx, ebx;
    };
    const Case cases[] = {
        {"div bl, bl = 0", {0xF6, 0xF3}, 0x1234, 0x5678, 0xFF00},
        {"div bx, bx = 0", {0xF7, 0xF3}, 0x1234, 0x5678, 0xFFFF0000u},
        {"div ebx, ebx = 0", {0x66, 0xF7, 0xF3}, 0x1234, 0x5678, 0},
        {"div bl, quotient 0x100", {0xF6, 0xF3}, 0x0200, 0, 0x02},
        {"div bx, quotient 0x10000", {0xF7, 0xF3}, 0x0000, 0x0003, 0x0003},
        {"div ebx, quotient 2^32", {0x66, 0xF7, 0xF3}, 0, 7, 7},
        {"idiv bl, bl = 0", {0xF6, 0xFB}, 0x1234, 0, 0},
        {"idiv bl, -32768 / -1", {0xF6, 0xFB}, 0x8000, 0, 0xFF},
        {"idiv bl, 128 / 1", {0xF6, 0xFB}, 0x0080, 0, 0x01},
        {"idiv bl, -129 / 1", {0xF6, 0xFB}, 0xFF7F, 0, 0x01},
        {"idiv bx, -2^31 / -1", {0xF7, 0xFB}, 0x0000, 0x8000, 0xFFFF},
        {"idiv bx, 32768 / 1", {0xF7, 0xFB}, 0x8000, 0x0000, 0x0001},
        {"idiv ebx, -2^63 / -1", {0x66, 0xF7, 0xFB}, 0, 0x80000000u, 0xFFFFFFFFu},
        {"idiv ebx, 2^31 / 1", {0x66, 0xF7, 0xFB}, 0x80000000u, 0, 1},
        {"idiv ebx, -2^31 - 1 / 1", {0x66, 0xF7, 0xFB}, 0x7FFFFFFFu, 0xFFFFFFFFu, 1},
    };
    for (const Case& k : cases) {
        SECTION(k.what) {
            RealMachine r;
            r.c.s.set_reg32(EAX, k.eax);
            r.c.s.set_reg32(EDX, k.edx);
            r.c.s.set_reg32(EBX, k.ebx);
            r.c.s.eflags = FIXED1 | CF | ZF | OF;
            r.run(k.bytes);
            check_divide_error(r, FIXED1 | CF | ZF | OF);
            CHECK(r.c.s.reg32(EAX) == k.eax);  // nothing written
            CHECK(r.c.s.reg32(EDX) == k.edx);
            CHECK(r.c.s.reg32(EBX) == k.ebx);
        }
    }
}

TEST_CASE("IDIV accepts the most negative quotient", "[alu][muldiv]") {
    RealMachine r;
    SECTION("8-bit: -256 / 2 = -128") {
        r.c.s.set_reg32(EAX, 0xFF00);
        r.c.s.set_reg32(EBX, 2);
        r.run({0xF6, 0xFB});
        CHECK(r.c.s.eip() == kCode + 2);
        CHECK(r.c.s.reg32(EAX) == 0x0080);  // AL = -128, AH = 0
    }
    SECTION("8-bit: -129 / 1 faults but -128 / 1 does not, remainder keeps the dividend's sign") {
        r.c.s.set_reg32(EAX, 0xFF80);
        r.c.s.set_reg32(EBX, 1);
        r.run({0xF6, 0xFB});
        CHECK(r.c.s.reg32(EAX) == 0x0080);
        r.c.s.set_reg32(EAX, uint16_t(-7));
        r.c.s.set_reg32(EBX, 2);
        r.run({0xF6, 0xFB});
        CHECK(r.c.s.reg32(EAX) == 0xFFFD);  // AL = -3, AH = -1
    }
    SECTION("16-bit: -65536 / 2 = -32768") {
        r.c.s.set_reg32(EAX, 0);
        r.c.s.set_reg32(EDX, 0xFFFF);
        r.c.s.set_reg32(EBX, 2);
        r.run({0xF7, 0xFB});
        CHECK(r.c.s.reg32(EAX) == 0x8000);
        CHECK(r.c.s.reg32(EDX) == 0);
    }
    SECTION("32-bit: -2^32 / 2 = -2^31") {
        r.c.s.set_reg32(EAX, 0);
        r.c.s.set_reg32(EDX, 0xFFFFFFFFu);
        r.c.s.set_reg32(EBX, 2);
        r.run({0x66, 0xF7, 0xFB});
        CHECK(r.c.s.reg32(EAX) == 0x80000000u);
        CHECK(r.c.s.reg32(EDX) == 0);
    }
    CHECK(r.c.stats.exceptions[kDE] == 0);
}

TEST_CASE("AAM 0 raises #DE and changes nothing", "[alu][bcd]") {
    RealMachine r;
    r.c.s.set_reg32(EAX, 0xABCD1234u);
    r.c.s.eflags = FIXED1 | SF | AF;
    r.run({0xD4, 0x00});
    check_divide_error(r, FIXED1 | SF | AF);
    CHECK(r.c.s.reg32(EAX) == 0xABCD1234u);
}

namespace {

// Runs a one-instruction BCD test: AX and the arithmetic flags in, AX and flags out.
struct Bcd {
    RealMachine r;
    uint16_t ax = 0;
    uint32_t flags = 0;
    void run(std::vector<uint8_t> bytes, uint16_t ax_in, uint32_t flags_in) {
        r.c.s.set_reg32(EAX, 0x55AA0000u | ax_in);
        r.c.s.eflags = FIXED1 | (flags_in & kArith);
        r.run(bytes);
        REQUIRE(r.c.s.eip() == kCode + bytes.size());
        REQUIRE((r.c.s.reg32(EAX) >> 16) == 0x55AA);  // the upper half stays
        ax = uint16_t(r.c.s.reg32(EAX));
        flags = r.c.s.eflags & kArith;
    }
};

uint8_t bcd(unsigned v) { return uint8_t((v / 10) << 4 | v % 10); }

} // namespace

TEST_CASE("DAA and DAS: worked examples", "[alu][bcd]") {
    Bcd b;
    // 79 + 35 = 114: ADD gives AEH; DAA makes it 14H with CF (SDM Vol. 2A, DAA, example).
    b.run({0x27}, 0x00AE, 0);
    CHECK(b.ax == 0x0014);
    CHECK(b.flags == (AF | CF | PF));
    // 35 - 47 = -12: SUB gives EEH with CF and AF; DAS makes it 88H, borrow kept in CF.
    b.run({0x2F}, 0x00EE, CF | AF);
    CHECK(b.ax == 0x0088);
    CHECK(b.flags == (AF | CF | SF | PF));
    // DAS with AF only and AL < 6: the borrow out of AL - 6 sets CF, no -60H step.
    b.run({0x2F}, 0x0003, AF);
    CHECK(b.ax == 0x00FD);
    CHECK(b.flags == (AF | CF | SF));
    // 99 + 01 = 100: 9AH -> 00H with CF, ZF.
    b.run({0x27}, 0x009A, 0);
    CHECK(b.ax == 0x0000);
    CHECK(b.flags == (AF | CF | ZF | PF));
}

TEST_CASE("DAA and DAS give decimal sums and differences for every pair of BCD bytes", "[alu][bcd]") {
    Bcd b;
    for (unsigned x = 0; x < 100; ++x) {
        for (unsigned y = 0; y < 100; ++y) {
            for (unsigned cin = 0; cin < 2; ++cin) {
                // ADC AL, BL then DAA
                b.r.c.s.set_reg32(EBX, bcd(y));
                b.run({0x12, 0xC3}, bcd(x), cin ? CF : 0);  // adc al, bl
                b.run({0x27}, b.ax, b.flags);
                const unsigned sum = x + y + cin;
                REQUIRE(uint8_t(b.ax) == bcd(sum % 100));
                REQUIRE(bool(b.flags & CF) == (sum >= 100));
                REQUIRE(bool(b.flags & ZF) == (sum % 100 == 0));
                // SBB AL, BL then DAS
                b.r.c.s.set_reg32(EBX, bcd(y));
                b.run({0x1A, 0xC3}, bcd(x), cin ? CF : 0);  // sbb al, bl
                b.run({0x2F}, b.ax, b.flags);
                const int diff = int(x) - int(y) - int(cin);
                REQUIRE(uint8_t(b.ax) == bcd(unsigned(diff + 100) % 100));
                REQUIRE(bool(b.flags & CF) == (diff < 0));
            }
        }
    }
}

TEST_CASE("AAA and AAS: unpacked digits, with the 286/P6 carry from AL into AH", "[alu][bcd]") {
    Bcd b;
    // '8' + '9' = 71H with AF; AAA gives AX = 0107H, CF = AF = 1.
    b.run({0x37}, 0x0071, AF);
    CHECK(b.ax == 0x0107);
    CHECK((b.flags & (CF | AF)) == (CF | AF));
    // AL = FBH: AX + 106H carries out of AL into AH (the 8086 would give 0101H).
    b.run({0x37}, 0x00FB, 0);
    CHECK(b.ax == 0x0201);
    // No adjustment: AL's high nibble is cleared, CF = AF = 0.
    b.run({0x37}, 0x1234, 0);
    CHECK(b.ax == 0x1204);
    CHECK((b.flags & (CF | AF)) == 0);
    // AAS: AX - 6 borrows from AH, then AH - 1 (the 8086 would give 010AH).
    b.run({0x3F}, 0x0200, AF);
    CHECK(b.ax == 0x000A);
    CHECK((b.flags & (CF | AF)) == (CF | AF));
    // 3 - 5 = -2: AL = FEH with AF; AAS gives AL = 8, AH - 1, CF.
    b.run({0x3F}, 0x05FE, AF | CF);
    CHECK(b.ax == 0x0408);
    CHECK((b.flags & (CF | AF)) == (CF | AF));
    // The undefined flags, as the P6 family sets them: OF = SF = 0, ZF PF from AL.
    b.run({0x37}, 0x007A, OF | SF | AF);
    CHECK(b.ax == 0x0100);
    CHECK(b.flags == (CF | AF | ZF | PF));

    // Every pair of unpacked digits: ADD AL, BL; AAA gives the decimal sum in AH:AL.
    for (unsigned x = 0; x < 10; ++x) {
        for (unsigned y = 0; y < 10; ++y) {
            b.r.c.s.set_reg32(EBX, y);
            b.run({0x02, 0xC3}, uint16_t(0x0300 | x), 0);  // add al, bl
            b.run({0x37}, b.ax, b.flags);
            CHECK(b.ax == uint16_t(((3 + (x + y) / 10) << 8) | (x + y) % 10));
            CHECK(bool(b.flags & CF) == (x + y >= 10));
            b.r.c.s.set_reg32(EBX, y);
            b.run({0x2A, 0xC3}, uint16_t(0x0300 | x), 0);  // sub al, bl
            b.run({0x3F}, b.ax, b.flags);
            CHECK(b.ax == uint16_t(((x >= y ? 3 : 2) << 8) | (x + 10 - y) % 10));
            CHECK(bool(b.flags & CF) == (x < y));
        }
    }
}

TEST_CASE("AAM and AAD with any base", "[alu][bcd]") {
    Bcd b;
    b.run({0xD4, 0x0A}, 0x003F, 0);  // 63 -> 06 03
    CHECK(b.ax == 0x0603);
    CHECK(b.flags == PF);            // AL = 3: even parity
    b.run({0xD5, 0x0A}, 0x0607, 0);  // 6 * 10 + 7 = 67 = 43H
    CHECK(b.ax == 0x0043);
    b.run({0xD5, 0x0A}, 0x0000, CF | OF | AF);  // OF AF CF cleared, ZF from AL
    CHECK(b.flags == (ZF | PF));
    for (unsigned base = 1; base < 256; base += 3) {
        for (unsigned al = 0; al < 256; al += 5) {
            b.run({0xD4, uint8_t(base)}, uint16_t(0xEE00 | al), kArith);
            REQUIRE(b.ax == uint16_t((al / base) << 8 | al % base));
            REQUIRE((b.flags & (CF | OF | AF)) == 0);
            REQUIRE(bool(b.flags & ZF) == (al % base == 0));
            REQUIRE(bool(b.flags & SF) == bool((al % base) & 0x80));
            for (unsigned ah = 0; ah < 256; ah += 37) {
                b.run({0xD5, uint8_t(base)}, uint16_t(ah << 8 | al), kArith);
                REQUIRE(b.ax == uint16_t((al + ah * base) & 0xFF));
                REQUIRE((b.flags & (CF | OF | AF)) == 0);
            }
        }
    }
}

TEST_CASE("SALC sets AL from CF and changes no flag", "[alu][bcd]") {
    Bcd b;
    b.run({0xD6}, 0x1234, CF | ZF);
    CHECK(b.ax == 0x12FF);
    CHECK(b.flags == (CF | ZF));
    b.run({0xD6}, 0x1234, SF);
    CHECK(b.ax == 0x1200);
    CHECK(b.flags == SF);
}

TEST_CASE("CMPXCHG8B compares EDX:EAX with m64", "[alu]") {
    RealMachine r;
    const uint32_t addr = 0x500;
    auto put = [&](uint32_t lo, uint32_t hi) {
        r.m.phys.write_bytes(addr, &lo, 4);
        r.m.phys.write_bytes(addr + 4, &hi, 4);
    };
    auto get = [&](unsigned i) { uint32_t v; r.m.phys.read_bytes(addr + 4 * i, &v, 4); return v; };
    SECTION("equal: m64 = ECX:EBX, ZF = 1") {
        put(0x11111111u, 0x22222222u);
        r.c.s.set_reg32(EAX, 0x11111111u); r.c.s.set_reg32(EDX, 0x22222222u);
        r.c.s.set_reg32(EBX, 0x33333333u); r.c.s.set_reg32(ECX, 0x44444444u);
        r.c.s.eflags = FIXED1 | CF;
        r.run({0x0F, 0xC7, 0x0E, 0x00, 0x05});  // cmpxchg8b [0x500]
        CHECK(get(0) == 0x33333333u);
        CHECK(get(1) == 0x44444444u);
        CHECK(r.c.s.eflags == (FIXED1 | CF | ZF));  // only ZF changes
    }
    SECTION("unequal: EDX:EAX = m64, ZF = 0") {
        put(0x11111111u, 0x22222222u);
        r.c.s.set_reg32(EAX, 0x11111111u); r.c.s.set_reg32(EDX, 0x22222223u);
        r.c.s.eflags = FIXED1 | ZF | SF;
        r.run({0x0F, 0xC7, 0x0E, 0x00, 0x05});
        CHECK(r.c.s.reg32(EAX) == 0x11111111u);
        CHECK(r.c.s.reg32(EDX) == 0x22222222u);
        CHECK(get(0) == 0x11111111u);
        CHECK(get(1) == 0x22222222u);
        CHECK(r.c.s.eflags == (FIXED1 | SF));
    }
    SECTION("a register operand is #UD") {
        r.run({0x0F, 0xC7, 0xC8});
        CHECK(r.c.stats.exceptions[kUD] == 1);
        CHECK(r.c.s.eip() == kHandler);
    }
    SECTION("m64 past the segment limit is #GP, nothing written") {
        put(0, 0);
        r.c.s.set_reg32(EAX, 0); r.c.s.set_reg32(EDX, 0);
        r.run({0x0F, 0xC7, 0x0E, 0xFC, 0xFF});  // cmpxchg8b [0xFFFC]: 8 bytes past 0xFFFF
        CHECK(r.c.stats.exceptions[kGP] == 1);
        CHECK(r.c.s.reg32(EAX) == 0);
    }
}

namespace {

// A flat 32-bit protected-mode CPU whose DS is read-only; instructions are decoded and run
// directly so that the fault they raise can be inspected without an IDT.
struct ReadOnlyData {
    Machine m{small_config()};
    Cpu& c = m.cpu;
    ReadOnlyData() {
        c.s.cr0 |= CR0_PE;
        for (unsigned i = 0; i < kSegCount; ++i) {
            uint16_t attr = uint16_t(SEG_P | SEG_S | SEG_ACCESSED | SEG_DB | SEG_G | SEG_RW);
            if (i == CS) attr |= SEG_CODE;
            if (i == DS) attr &= uint16_t(~SEG_RW);  // read-only data
            c.s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(8 * (i + 1)), attr};
        }
        c.mode_changed();
    }
    // Returns the vector raised, or -1.
    int run(const std::vector<uint8_t>& bytes) {
        m.phys.write_bytes(kCode, bytes.data(), bytes.size());
        c.s.set_eip(kCode);
        Insn in;
        try {
            m.interp.decode(in);
            REQUIRE(in.row);
            c.s.set_eip(in.next_eip);
            in.row->fn(c, in);
        } catch (const GuestFault& f) {
            return f.vector;
        }
        return -1;
    }
};

} // namespace

TEST_CASE("read-modify-write forms fault on a read-only destination before changing anything", "[alu]") {
    ReadOnlyData d;
    const uint32_t addr = 0x8000;
    const uint32_t word = 0x80000001u;
    d.m.phys.write_bytes(addr, &word, 4);
    // [disp32] = 0x8000 through DS.
    const std::vector<std::vector<uint8_t>> forms = {
        {0x01, 0x05, 0x00, 0x80, 0x00, 0x00},        // add [m], eax
        {0x83, 0x2D, 0x00, 0x80, 0x00, 0x00, 0x01},  // sub dword [m], 1
        {0xFF, 0x05, 0x00, 0x80, 0x00, 0x00},        // inc dword [m]
        {0xF7, 0x1D, 0x00, 0x80, 0x00, 0x00},        // neg dword [m]
        {0xD1, 0x25, 0x00, 0x80, 0x00, 0x00},        // shl dword [m], 1
        {0xD3, 0x05, 0x00, 0x80, 0x00, 0x00},        // rol dword [m], cl (cl = 0 too)
        {0x0F, 0xA5, 0x05, 0x00, 0x80, 0x00, 0x00},  // shld [m], eax, cl
        {0x0F, 0xC1, 0x05, 0x00, 0x80, 0x00, 0x00},  // xadd [m], eax
        {0x0F, 0xB1, 0x05, 0x00, 0x80, 0x00, 0x00},  // cmpxchg [m], eax (unequal: still a write)
        {0x0F, 0xAB, 0x05, 0x00, 0x80, 0x00, 0x00},  // bts [m], eax
        {0x0F, 0xBA, 0x35, 0x00, 0x80, 0x00, 0x00, 3},  // btr dword [m], 3
        {0x0F, 0xC7, 0x0D, 0x00, 0x80, 0x00, 0x00},  // cmpxchg8b [m]
    };
    for (uint32_t cl : {0u, 5u}) {
        for (const auto& bytes : forms) {
            d.c.s.set_reg32(EAX, 0x12345678u);
            d.c.s.set_reg32(ECX, cl);
            d.c.s.set_reg32(EDX, 0);
            d.c.s.eflags = FIXED1 | OF | CF;
            CHECK(d.run(bytes) == kGP);
            uint32_t now;
            d.m.phys.read_bytes(addr, &now, 4);
            CHECK(now == word);
            CHECK(d.c.s.reg32(EAX) == 0x12345678u);
            CHECK(d.c.s.reg32(EDX) == 0);
            CHECK(d.c.s.eflags == (FIXED1 | OF | CF));
        }
    }
    // Reads are allowed: CMP, TEST and BT do not write.
    CHECK(d.run({0x39, 0x05, 0x00, 0x80, 0x00, 0x00}) == -1);        // cmp [m], eax
    CHECK(d.run({0x85, 0x05, 0x00, 0x80, 0x00, 0x00}) == -1);        // test [m], eax
    CHECK(d.run({0x0F, 0xA3, 0x05, 0x00, 0x80, 0x00, 0x00}) == -1);  // bt [m], eax
    CHECK(d.run({0xF7, 0x25, 0x00, 0x80, 0x00, 0x00}) == -1);        // mul dword [m]
}

TEST_CASE("BT with a register offset addresses the bit string around a memory operand", "[alu][bit]") {
    RealMachine r;
    std::vector<uint8_t> zero(64, 0);
    r.m.phys.write_bytes(0x600 - 32, zero.data(), zero.size());
    // bts word [0x600], ax with AX = -1: bit 15 of the word at 0x5FE.
    r.c.s.set_reg32(EAX, 0xFFFF);
    r.run({0x0F, 0xAB, 0x06, 0x00, 0x06});
    uint8_t b[2];
    r.m.phys.read_bytes(0x5FE, b, 2);
    CHECK(b[1] == 0x80);
    // bts dword [0x600], eax with EAX = 67: bit 3 of the dword at 0x608.
    r.c.s.set_reg32(EAX, 67);
    r.run({0x66, 0x0F, 0xAB, 0x06, 0x00, 0x06});
    r.m.phys.read_bytes(0x608, b, 1);
    CHECK(b[0] == 0x08);
    // An immediate offset stays within the operand: bts word [0x600], 17 sets bit 1 of 0x600.
    r.run({0x0F, 0xBA, 0x2E, 0x00, 0x06, 17});
    r.m.phys.read_bytes(0x600, b, 1);
    CHECK(b[0] == 0x02);
}

TEST_CASE("F3 0F BC/BD (TZCNT/LZCNT) execute as BSF/BSR, as on a CPU without BMI1/LZCNT", "[alu][bit]") {
    RealMachine r;
    // rep bsf eax, ecx with ECX = 0x00F0: 4 (TZCNT would give 4 too), ZF = 0.
    r.c.s.set_reg32(ECX, 0x00F0);
    r.run({0x66, 0xF3, 0x0F, 0xBC, 0xC1});
    CHECK(r.c.s.reg32(EAX) == 4);
    CHECK(!r.c.flag(ZF));
    // rep bsr eax, ecx: 7, where LZCNT would give 24.
    r.run({0x66, 0xF3, 0x0F, 0xBD, 0xC1});
    CHECK(r.c.s.reg32(EAX) == 7);
    // A zero source sets ZF and leaves the destination (TZCNT would write 32 and set CF).
    r.c.s.set_reg32(ECX, 0);
    r.c.s.set_reg32(EAX, 0x1234);
    r.run({0x66, 0xF3, 0x0F, 0xBC, 0xC1});
    CHECK(r.c.s.reg32(EAX) == 0x1234);
    CHECK(r.c.flag(ZF));
    CHECK(r.c.stats.exceptions[kUD] == 0);
}

TEST_CASE("lockable rows are marked", "[alu]") {
    const InsnTable& t = instruction_table();
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_SBB,
                             ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_INC,
                             ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG, ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_XADD,
                             ZYDIS_MNEMONIC_CMPXCHG, ZYDIS_MNEMONIC_CMPXCHG8B, ZYDIS_MNEMONIC_BTS,
                             ZYDIS_MNEMONIC_BTR, ZYDIS_MNEMONIC_BTC}) {
        const InsnRow* row = t.find(mn, Form::Any);
        REQUIRE(row);
        CHECK((row->facts & kLockable));
    }
    for (ZydisMnemonic mn : {ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST, ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_SHL,
                             ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_DIV, ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_DAA}) {
        const InsnRow* row = t.find(mn, Form::Any);
        REQUIRE(row);
        CHECK(!(row->facts & kLockable));
    }
}
