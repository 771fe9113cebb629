// MMX: every instruction against the host CPU (the oracle harness of tests/x87_oracle.h runs
// MMX code as well: MMn is the significand of Rn in the FSAVE image), and unit tests for what
// the host cannot show: CR0.EM and CR0.TS, pending x87 exceptions, the aliasing with the stack.
// The SDM defines every MMX result and Intel and AMD agree on them, so they are compared with
// the host whatever its vendor (docs/testing.md, "Host vendors").
#include "tests/x87_oracle.h"

using namespace x87test;

namespace {

std::vector<OracleForm> mmx_forms() {
    std::vector<OracleForm> v;
    auto op = [&](const char* name, uint8_t opc, Mem mem = Mem::M64) {
        OracleForm r{std::string(name) + " mm,mm", 0, opc, -1, 0xC0, 0xFF, Mem::None, false, false};
        r.map0f = true;
        v.push_back(r);
        OracleForm m{std::string(name) + " mm,m", 0, opc, -1, 0, 0, mem, false, false};
        m.map0f = true;
        v.push_back(m);
    };
    op("punpcklbw", 0x60, Mem::M32);
    op("punpcklwd", 0x61, Mem::M32);
    op("punpckldq", 0x62, Mem::M32);
    op("packsswb", 0x63);
    op("pcmpgtb", 0x64);
    op("pcmpgtw", 0x65);
    op("pcmpgtd", 0x66);
    op("packuswb", 0x67);
    op("punpckhbw", 0x68);
    op("punpckhwd", 0x69);
    op("punpckhdq", 0x6A);
    op("packssdw", 0x6B);
    op("movd mm,r/m32", 0x6E, Mem::M32);
    v[v.size() - 2].gpr_rm = true;
    op("movq mm,mm/m64", 0x6F);
    op("pcmpeqb", 0x74);
    op("pcmpeqw", 0x75);
    op("pcmpeqd", 0x76);
    op("movd r/m32,mm", 0x7E, Mem::M32);
    v[v.size() - 2].gpr_rm = true;
    op("movq mm/m64,mm", 0x7F);
    op("psrlw", 0xD1);
    op("psrld", 0xD2);
    op("psrlq", 0xD3);
    op("pmullw", 0xD5);
    op("psubusb", 0xD8);
    op("psubusw", 0xD9);
    op("pand", 0xDB);
    op("paddusb", 0xDC);
    op("paddusw", 0xDD);
    op("pandn", 0xDF);
    op("psraw", 0xE1);
    op("psrad", 0xE2);
    op("pmulhw", 0xE5);
    op("psubsb", 0xE8);
    op("psubsw", 0xE9);
    op("por", 0xEB);
    op("paddsb", 0xEC);
    op("paddsw", 0xED);
    op("pxor", 0xEF);
    op("psllw", 0xF1);
    op("pslld", 0xF2);
    op("psllq", 0xF3);
    op("pmaddwd", 0xF5);
    op("psubb", 0xF8);
    op("psubw", 0xF9);
    op("psubd", 0xFA);
    op("paddb", 0xFC);
    op("paddw", 0xFD);
    op("paddd", 0xFE);
    // Shifts by an immediate: 0F 71/72/73 with /2 (right), /4 (arithmetic), /6 (left).
    struct Imm { const char* name; uint8_t opc, digit; };
    for (const Imm& k : {Imm{"psrlw imm", 0x71, 2}, Imm{"psraw imm", 0x71, 4}, Imm{"psllw imm", 0x71, 6},
                         Imm{"psrld imm", 0x72, 2}, Imm{"psrad imm", 0x72, 4}, Imm{"pslld imm", 0x72, 6},
                         Imm{"psrlq imm", 0x73, 2}, Imm{"psllq imm", 0x73, 6}}) {
        OracleForm r{k.name, 0, k.opc, -1, uint8_t(0xC0 | k.digit << 3), uint8_t(0xC7 | k.digit << 3), Mem::None, false, false};
        r.map0f = true;
        r.imm8 = true;
        v.push_back(r);
    }
    OracleForm emms{"emms", 0, 0x77, -1, 0, 0, Mem::None, false, false};
    emms.map0f = true;
    emms.bare = true;
    v.push_back(emms);
    return v;
}

// A guest with MMX code at 0x1000 run under a given CR0.
struct MmxGuest {
    Guest g;
    Cpu& c = g.cpu();
    // Runs the bytes; returns the vector raised, or -1 when the instruction completed.
    int run(const std::vector<uint8_t>& bytes) { return g.run_fault(bytes); }
};

} // namespace

TEST_CASE("MMX instructions agree with the host CPU", "[mmx][oracle]") {
    Tally t;
    run_oracle(mmx_forms(), 1500, 4711, t, true);
    for (const auto& [name, n] : t.bad_by_form) UNSCOPED_INFO(name << ": " << n << " mismatches");
    CHECK(t.bad == 0);
    if (!std::getenv("X87_ORACLE_FORM")) CHECK(t.run > 100000);
}

TEST_CASE("MMX: CR0.EM raises #UD, CR0.TS #NM, a pending x87 exception #MF", "[mmx]") {
    MmxGuest m;
    const std::vector<uint8_t> paddb = {0x0F, 0xFC, 0xC1}, emms = {0x0F, 0x77};
    m.c.s.cr0 |= CR0_EM;
    CHECK(m.run(paddb) == kUD);
    CHECK(m.run(emms) == kUD);
    m.c.s.cr0 &= ~CR0_EM;
    m.c.s.cr0 |= CR0_TS;
    CHECK(m.run(paddb) == kNM);
    CHECK(m.run(emms) == kNM);
    m.c.s.cr0 &= ~CR0_TS;
    // An unmasked pending exception: #MF before the instruction, nothing changed.
    m.c.s.fpu.fcw = 0x037E;  // IE unmasked
    m.c.s.fpu.fsw = 0x8081;  // IE, ES, B
    m.c.s.fpu.ftw = 0xFFFF;
    CHECK(m.run(paddb) == kMF);
    CHECK(m.c.s.fpu.ftw == 0xFFFF);
    m.c.s.fpu.fsw = 0;
    CHECK(m.run(paddb) == -1);
    // The 66-prefixed (SSE2) form does not exist here.
    CHECK(m.run({0x66, 0x0F, 0xFC, 0xC1}) == kUD);
}

TEST_CASE("MMX: registers alias the x87 significands; TOP and tags", "[mmx]") {
    MmxGuest m;
    Cpu& c = m.c;
    c.s.fpu.fcw = 0x037F;
    c.s.fpu.fsw = 5u << 11;  // TOP = 5
    c.s.fpu.ftw = 0xFFFF;
    c.s.fpu.st[3] = Float80{0x1122334455667788ull, 0x4000};
    // movq mm0, mm3: MM0 = R3's significand; R0's exponent becomes all ones; TOP 0; all valid.
    REQUIRE(m.run({0x0F, 0x6F, 0xC3}) == -1);
    CHECK(c.s.fpu.st[0].mant == 0x1122334455667788ull);
    CHECK(c.s.fpu.st[0].sexp == 0xFFFF);
    CHECK(c.s.fpu.st[3].sexp == 0x4000);  // only written registers change
    CHECK(((c.s.fpu.fsw >> 11) & 7) == 0);
    CHECK(c.s.fpu.ftw == 0x0000);
    // EMMS: all empty; TOP stays 0.
    REQUIRE(m.run({0x0F, 0x77}) == -1);
    CHECK(c.s.fpu.ftw == 0xFFFF);
    // FLD after EMMS: no stack overflow, and ST(1) would be R0 = a NaN-looking MMX value.
    REQUIRE(m.run({0xD9, 0xE8}) == -1);  // fld1
    CHECK((c.s.fpu.fsw & 0x41) == 0);
    // The MMX instructions do not touch FIP/FOP: the last x87 instruction (FLD1) stays.
    const uint16_t fop = c.s.fpu.fop;
    REQUIRE(m.run({0x0F, 0xEF, 0xC0}) == -1);  // pxor mm0, mm0
    CHECK(c.s.fpu.fop == fop);
    CHECK(fop == 0x1E8);
}
