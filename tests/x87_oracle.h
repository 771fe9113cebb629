// The x87/MMX host oracle harness shared by tests/x87_oracle_test.cpp and tests/mmx_test.cpp.
//
// Every case builds a random x87 state (the eight registers with values of every class, random
// empty tags, TOP, the control word with all rounding modes and precisions and some unmasked
// exceptions, sticky flags and condition codes), random general registers and flags and a
// random memory operand. The host loads that state with FRSTOR, runs the instruction bytes and
// saves with FNSAVE (tests/x87_host.h); the guest gets the same state in CpuState and runs the
// same instruction through the interpreter in 32-bit protected mode. Compared: the control,
// status and full tag words, all eight registers bit for bit, the memory window, the general
// registers and the arithmetic flags. Not compared: the instruction and data pointers (the host
// runs in 64-bit mode, and recent processors no longer keep FCS, FDS and FOP).
//
// An unmasked exception is left pending, never delivered: FNSAVE does not wait. Waiting
// instructions start without a pending exception (the host would trap); the no-wait ones
// (FNSTENV, FNSAVE, FNSTSW, ...) also start with one.
//
// The transcendental instructions are compared within one unit in the last place of the
// host's result (the bound); C1 (and PE when the results differ by that unit) are not
// compared for them, as they follow the hardware's internal value below the last place.
//
// xlat answers as an Intel x87 on every host. On a host of another vendor (tests/host_cpu.h)
// the transcendentals are compared with the host only where the vendors agree, and with data
// recorded on an Intel host (tests/x87_oracle_intel_test.cpp) where they do not: "Vendors"
// below.
#pragma once
#include <catch2/catch.hpp>

#include <cstdlib>
#include <tuple>
#include <map>

#include "cpu/fpu/softfloat80.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "tests/host_cpu.h"
#include "tests/x87_host.h"

namespace x87test {

using namespace xlat;


constexpr uint32_t kCode = 0x1000;       // guest code: linear 0x1000 (CS base 0)
constexpr uint32_t kDataBase = 0x10000;  // guest data window, 64 KiB at linear 0x10000
constexpr uint32_t kDataSize = 0x1000;   // compared part of it
constexpr uint32_t kMemOff = 0x800;      // the memory operand (16-byte aligned)
constexpr uint32_t kArith = CF | PF | AF | ZF | SF | OF;

// The guest: flat 32-bit protected mode, CR0.NE set, code at 0x1000, data at 0x10000.
class Guest {
public:
    Guest() : m_(small_config()) {
        Cpu& c = m_.cpu;
        c.reset();
        c.s.cr0 |= CR0_PE | CR0_NE;
        for (unsigned i = 0; i < kSegCount; ++i)
            c.s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(i == CS ? 0x08 : 0x10),
                                      uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G |
                                               (i == CS ? SEG_CODE : 0))};
        c.s.set_reg32(ESP, 0x30000);
        c.mode_changed();
    }
    Cpu& cpu() { return m_.cpu; }
    uint8_t* data() { return m_.phys.ram() + kDataBase; }

    // Runs one instruction; false when it did not retire (a fault was delivered).
    bool run(const std::vector<uint8_t>& bytes) {
        Cpu& c = m_.cpu;
        std::memcpy(m_.phys.ram() + kCode, bytes.data(), bytes.size());
        c.s.set_eip(kCode);
        m_.step();
        return c.s.eip() == kCode + bytes.size();
    }

    // Runs one instruction without delivering what it raises: returns the vector, or -1 when it
    // completed (for unit tests of #NM, #MF, #UD, #GP without an IDT).
    int run_fault(const std::vector<uint8_t>& bytes) {
        Cpu& c = m_.cpu;
        std::memcpy(m_.phys.ram() + kCode, bytes.data(), bytes.size());
        c.s.set_eip(c.s.insn_eip = kCode);
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

private:
    Machine m_;
};

// ---------------------------------------------------------------------------------------------
// Instruction forms

enum class Mem { None, F32, F64, F80, I16, I32, I64, Bcd, Env28, Env14, Save108, Save94, Word, Fx512, M64, M32 };

inline unsigned mem_size(Mem m) {
    switch (m) {
    case Mem::F32: case Mem::I32: case Mem::M32: return 4;
    case Mem::F64: case Mem::I64: case Mem::M64: return 8;
    case Mem::F80: case Mem::Bcd: return 10;
    case Mem::Env28: return 28;
    case Mem::Env14: return 14;
    case Mem::Save108: return 108;
    case Mem::Save94: return 94;
    case Mem::Word: return 2;
    case Mem::Fx512: return 512;
    default: return 0;
    }
}

struct OracleForm {
    std::string name;
    uint8_t prefix;      // 0x66 or 0
    uint8_t opc;         // D8-DF, or the second byte after 0F (map0f)
    int digit;           // ModRM.reg of memory forms; -1: any
    uint8_t lo, hi;      // register forms: the ModRM bytes drawn from [lo, hi]
    Mem mem;
    bool nowait;         // may start with a pending exception
    bool transcendental; // compared within one ulp
    bool map0f = false;  // a two-byte opcode 0F opc
    bool imm8 = false;   // an 8-bit immediate follows
    bool gpr_rm = false; // ModRM.rm of the register form names a general register (never ESP)
    bool bare = false;   // no ModRM byte (EMMS)
};

// ---------------------------------------------------------------------------------------------
// Random state

struct State {
    uint16_t fcw, fsw;
    uint16_t ftw;       // full tag word, physical (3 = empty)
    Float80 phys[8];    // physical registers
    uint32_t regs[8];
    uint32_t flags;
    uint8_t mem[512];
};

inline uint16_t pick_fcw(std::mt19937_64& rng) {
    uint16_t masks = 0x3F;
    if (rng() % 4 == 0) masks = uint16_t(rng() & 0x3F);
    const unsigned pc = rng() % 5 == 0 ? 1 : rng() % 4;
    return uint16_t(0x1040 | (rng() % 4) << 10 | pc << 8 | masks);
}

inline void fill_memory(std::mt19937_64& rng, Mem m, uint8_t* mem) {
    for (unsigned i = 0; i < 512; ++i) mem[i] = uint8_t(rng());
    switch (m) {
    case Mem::F32: {
        static const uint32_t sp[] = {0, 1, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000, 0x7F800001, 0x7FC00000,
                                      0x7FA00000, 0x3F800000, 0x4B000000, 0x3F000000};
        uint32_t v = uint32_t(rng());
        if (rng() % 3 == 0) v = sp[rng() % 12] | (rng() % 2 ? 0x80000000u : 0);
        if (rng() % 6 == 0) v &= 0x807FFFFFu;
        std::memcpy(mem, &v, 4);
        break;
    }
    case Mem::F64: {
        static const uint64_t sp[] = {0, 1, 0x000FFFFFFFFFFFFFull, 0x0010000000000000ull, 0x7FEFFFFFFFFFFFFFull,
                                      0x7FF0000000000000ull, 0x7FF0000000000001ull, 0x7FF8000000000000ull,
                                      0x7FF4000000000000ull, 0x3FF0000000000000ull, 0x4330000000000000ull};
        uint64_t v = rng();
        if (rng() % 3 == 0) v = sp[rng() % 11] | (rng() % 2 ? 1ull << 63 : 0);
        if (rng() % 6 == 0) v &= 0x800FFFFFFFFFFFFFull;
        if (rng() % 4 == 0) v = (v & 0x800FFFFFFFFFFFFFull) | uint64_t(1023 + rng() % 130 - 65) << 52;
        std::memcpy(mem, &v, 8);
        break;
    }
    case Mem::F80: {
        Float80 f = pick_f80(rng);
        std::memcpy(mem, &f.mant, 8);
        std::memcpy(mem + 8, &f.sexp, 2);
        break;
    }
    case Mem::I16: case Mem::I32: case Mem::I64: {
        static const uint64_t sp[] = {0, 1, ~0ull, 0x7FFF, 0x8000, 0x7FFFFFFF, 0x80000000ull, 0x7FFFFFFFFFFFFFFFull,
                                      0x8000000000000000ull};
        uint64_t v = rng();
        if (rng() % 3 == 0) v = sp[rng() % 9];
        else if (rng() % 2) v = uint64_t(int64_t(rng() % 2001) - 1000);
        std::memcpy(mem, &v, 8);
        break;
    }
    case Mem::Bcd:
        for (int i = 0; i < 9; ++i) mem[i] = uint8_t((rng() % 10) << 4 | rng() % 10);
        mem[9] = rng() % 2 ? 0x80 : 0;
        if (rng() % 10 == 0) mem[rng() % 9] = uint8_t(rng());  // a non-decimal digit (undefined)
        break;
    case Mem::Word:
        if (rng() % 2) {  // a plausible control word
            const uint16_t w = pick_fcw(rng);
            std::memcpy(mem, &w, 2);
        }
        break;
    case Mem::Env28: case Mem::Env14: case Mem::Save108: case Mem::Save94: {
        // A plausible environment: control word, status word, tags, then random pointers.
        const bool e32 = m == Mem::Env28 || m == Mem::Save108;
        const uint16_t fcw = pick_fcw(rng);
        const uint16_t fsw = uint16_t(rng());
        const uint16_t ftw = uint16_t(rng());
        const unsigned step = e32 ? 4 : 2;
        std::memcpy(mem, &fcw, 2);
        std::memcpy(mem + step, &fsw, 2);
        std::memcpy(mem + 2 * step, &ftw, 2);
        if (m == Mem::Save108 || m == Mem::Save94) {
            const unsigned env = e32 ? 28 : 14;
            for (unsigned i = 0; i < 8; ++i) {
                Float80 f = pick_f80(rng);
                std::memcpy(mem + env + 10 * i, &f.mant, 8);
                std::memcpy(mem + env + 10 * i + 8, &f.sexp, 2);
            }
        }
        break;
    }
    case Mem::Fx512: {
        const uint16_t fcw = pick_fcw(rng), fsw = uint16_t(rng());
        std::memcpy(mem, &fcw, 2);
        std::memcpy(mem + 2, &fsw, 2);
        const uint32_t mxcsr = rng() % 8 ? 0x1F80 | (uint32_t(rng()) & 0x7F3F) : uint32_t(rng());
        std::memcpy(mem + 24, &mxcsr, 4);
        for (unsigned i = 0; i < 8; ++i) {
            Float80 f = pick_f80(rng);
            std::memcpy(mem + 32 + 16 * i, &f.mant, 8);
            std::memcpy(mem + 40 + 16 * i, &f.sexp, 2);
        }
        break;
    }
    default: break;
    }
}

// F2XM1 and FYL2XP1 are defined on part of the line only: keep a finite ST(0) inside
// (F2XM1 mostly: beyond |x| = 1 the hardware returns x; FYL2XP1 computes values beyond its
// range that are not worth imitating).
inline void clamp_domain(std::mt19937_64& rng, const OracleForm& f, Float80& x) {
    if (!f.map0f && f.opc == 0xD9 && (f.lo == 0xF0 || f.lo == 0xF9)) {
        const unsigned e = x.sexp & 0x7FFF;
        const unsigned limit = f.lo == 0xF0 ? 16384 : 16383 - 2;  // |x| < 2, |x| < 0.25
        if (e >= limit && e != 0x7FFF && (f.lo == 0xF9 || rng() % 16)) x.sexp = uint16_t((x.sexp & 0x8000) | (limit - 1 - rng() % 70));
    }
}

inline State pick_state(std::mt19937_64& rng, const OracleForm& f) {
    State s{};
    s.fcw = pick_fcw(rng);
    const unsigned top = unsigned(rng() % 8);
    // Sticky flags: only masked ones unless the instruction does not wait.
    uint16_t flags = uint16_t(rng() & 0x3F);
    if (!f.nowait) flags &= s.fcw;
    if (rng() % 3) flags = 0;
    s.fsw = uint16_t(top << 11 | (rng() & 0x4700) | flags | (rng() % 8 == 0 ? 0x40 : 0));
    if (s.fsw & ~s.fcw & 0x3F) s.fsw |= 0x8080;
    const unsigned empties = unsigned(rng() % 4);  // 0: few empty, 3: mostly empty
    s.ftw = 0;
    for (unsigned p = 0; p < 8; ++p) {
        s.phys[p] = pick_f80(rng);
        bool e = empties == 0 ? rng() % 16 == 0 : empties == 1 ? rng() % 4 == 0 : empties == 2 ? rng() % 2 : rng() % 8 != 0;
        s.ftw = uint16_t(s.ftw | (e ? 3u : fp80::tag_of(s.phys[p])) << (2 * p));
    }
    for (auto& r : s.regs) r = uint32_t(rng());
    s.flags = uint32_t(rng()) & kArith;
    fill_memory(rng, f.mem, s.mem);
    clamp_domain(rng, f, s.phys[top]);
    return s;
}

// ---------------------------------------------------------------------------------------------
// Running

struct Result {
    uint16_t fcw, fsw, ftw;
    Float80 st[8];  // stack order
    uint32_t regs[8];
    uint32_t flags;
    uint8_t mem[512];
    bool retired = true;
};

inline FsaveImage to_image(const State& s) {
    FsaveImage im{};
    im.set_fcw(s.fcw);
    im.set_fsw(s.fsw);
    im.set_ftw(s.ftw);
    const unsigned top = (s.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) im.set_st(i, s.phys[(top + i) & 7]);
    return im;
}

// The FSAVE image bytes the guest's state gives (the tags as FSAVE computes them).
inline Result guest_result(Cpu& c, const uint8_t* mem, bool retired) {
    Result r{};
    r.fcw = c.s.fpu.fcw;
    r.fsw = c.s.fpu.fsw;
    uint16_t w = 0;
    for (unsigned p = 0; p < 8; ++p) {
        const unsigned t = (c.s.fpu.ftw >> (2 * p)) & 3;
        w = uint16_t(w | (t == 3 ? 3u : fp80::tag_of(c.s.fpu.st[p])) << (2 * p));
    }
    r.ftw = w;
    const unsigned top = (r.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) r.st[i] = c.s.fpu.st[(top + i) & 7];
    for (unsigned i = 0; i < 8; ++i) r.regs[i] = c.s.reg32(i);
    r.flags = c.s.eflags & kArith;
    std::memcpy(r.mem, mem, 512);
    r.retired = retired;
    return r;
}

// The instruction bytes: memory forms use [r9] on the host (REX.B) and a disp32 in the guest;
// `modrm` is the ModRM byte of a register form, or carries the reg field of a memory form.
inline std::vector<uint8_t> encode(const OracleForm& f, uint8_t modrm, uint8_t imm, bool host) {
    std::vector<uint8_t> b;
    if (f.prefix) b.push_back(f.prefix);
    if (f.mem != Mem::None) {
        const unsigned reg = f.digit >= 0 ? unsigned(f.digit) : (modrm >> 3) & 7u;
        if (host) b.push_back(0x41);
        if (f.map0f) b.push_back(0x0F);
        b.push_back(f.opc);
        if (host) {
            b.push_back(uint8_t(reg << 3 | 1));
        } else {
            const uint32_t a = kDataBase + kMemOff;
            b.insert(b.end(), {uint8_t(reg << 3 | 5), uint8_t(a), uint8_t(a >> 8), uint8_t(a >> 16), uint8_t(a >> 24)});
        }
    } else {
        if (f.map0f) b.push_back(0x0F);
        b.push_back(f.opc);
        if (!f.bare) b.push_back(modrm);
    }
    if (f.imm8) b.push_back(imm);
    return b;
}

// Bytes of the memory operand not compared: the instruction and data pointers of stored
// environments (the host's are 64-bit-mode addresses), the XMM area of FXSAVE.
inline std::vector<bool> ignored_bytes(Mem m) {
    std::vector<bool> ign(512, false);
    auto range = [&](unsigned a, unsigned n) { for (unsigned i = a; i < a + n; ++i) ign[i] = true; };
    switch (m) {
    case Mem::Env28: case Mem::Save108: range(12, 16); break;  // FIP, FCS+FOP, FDP, FDS
    case Mem::Env14: case Mem::Save94: range(6, 8); break;
    // FOP, FIP, FCS, FDP, FDS; MXCSR (the host process's own sticky flags) and MXCSR_MASK (the
    // host has DAZ, a P6 has not); the XMM area.
    case Mem::Fx512: range(6, 2); range(8, 16); range(24, 8); range(160, 352); break;
    default: break;
    }
    return ign;
}

struct Tally {
    uint64_t run = 0, bad = 0, inexact_ulp = 0;
    uint64_t vendor_edge = 0;  // cases compared by Rule::VendorEdge (a non-Intel host)
    std::map<std::string, uint64_t> bad_by_form;
};

inline std::string describe(const OracleForm& f, const std::vector<uint8_t>& bytes, const State& s) {
    char b[128];
    std::string out = f.name + " bytes";
    for (uint8_t x : bytes) { std::snprintf(b, sizeof b, " %02x", x); out += b; }
    std::snprintf(b, sizeof b, "\n  in: fcw %04x fsw %04x ftw %04x flags %03x eax %08x", s.fcw, s.fsw, s.ftw, s.flags,
                  s.regs[0]);
    out += b;
    const unsigned top = (s.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned p = (top + i) & 7;
        out += (i % 4 == 0 ? "\n     " : " ") + std::string("st") + char('0' + i) +
               ((s.ftw >> (2 * p) & 3) == 3 ? "(e)" : "") + "=" + hex80(s.phys[p]);
    }
    if (f.mem != Mem::None) {
        out += "\n     mem";
        for (unsigned i = 0; i < std::min(16u, mem_size(f.mem)); ++i) { std::snprintf(b, sizeof b, " %02x", s.mem[i]); out += b; }
    }
    return out;
}

inline std::string show(const char* who, const Result& r, const OracleForm& f) {
    char b[128];
    std::snprintf(b, sizeof b, "\n  %s: fcw %04x fsw %04x ftw %04x flags %03x eax %08x%s", who, r.fcw, r.fsw, r.ftw,
                  r.flags, r.regs[0], r.retired ? "" : " (did not retire)");
    std::string out = b;
    for (unsigned i = 0; i < 8; ++i) out += (i % 4 == 0 ? "\n     " : " ") + std::string("st") + char('0' + i) + "=" + hex80(r.st[i]);
    if (f.mem != Mem::None) {
        out += "\n     mem";
        for (unsigned i = 0; i < std::min(28u, mem_size(f.mem)); ++i) { std::snprintf(b, sizeof b, " %02x", r.mem[i]); out += b; }
    }
    return out;
}

// Within one unit in the last place (64-bit significand), with the same sign.
inline bool within_ulp(Float80 a, Float80 b) {
    if (fp80::same(a, b)) return true;
    if ((a.sexp & 0x8000) != (b.sexp & 0x8000)) return false;
    // Compare as integers on the (exponent, significand) scale of normal numbers.
    const unsigned __int128 x = (static_cast<unsigned __int128>(a.sexp & 0x7FFF) << 63) + (a.mant & ~(1ull << 63));
    const unsigned __int128 y = (static_cast<unsigned __int128>(b.sexp & 0x7FFF) << 63) + (b.mant & ~(1ull << 63));
    return (x > y ? x - y : y - x) <= 1;
}

// ---------------------------------------------------------------------------------------------
// Vendors (tests/host_cpu.h; docs/testing.md, "Host vendors")
//
// The x87 of other vendors computes the transcendentals differently from Intel's: AMD rounds
// them correctly where Intel returns sin x = tan x = x unrounded below 2^-68, so the two differ
// in the last bit, in PE and C1, and where a result lies at the underflow threshold also in UE,
// in the tag and (an unmasked underflow) in the whole result: FSIN of the smallest normal,
// rounding towards zero, is that operand with PE on Intel, the largest denormal with UE and PE
// on AMD. Everything else the x87 and MMX oracle tests run is defined by the SDM and IEEE 754
// alike for both (the reviewer's AMD EPYC agreed on every other case), and is compared with the
// host on every host.

// The transcendental instruction a form is (the D9 F0-FF register forms).
enum class Tr { None, F2xm1, Fyl2x, Fptan, Fpatan, Fyl2xp1, Fsincos, Fsin, Fcos };
inline Tr transcendental_of(const OracleForm& f) {
    if (!f.transcendental) return Tr::None;
    switch (f.lo) {
    case 0xF0: return Tr::F2xm1;
    case 0xF1: return Tr::Fyl2x;
    case 0xF2: return Tr::Fptan;
    case 0xF3: return Tr::Fpatan;
    case 0xF9: return Tr::Fyl2xp1;
    case 0xFB: return Tr::Fsincos;
    case 0xFE: return Tr::Fsin;
    case 0xFF: return Tr::Fcos;
    default: return Tr::None;
    }
}

// The exponent of a finite nonzero value as if it were normalized (a denormal's is below 1).
inline int eff_exp(Float80 v) {
    const int e = int(v.sexp & 0x7FFF);
    if (e || !v.mant) return e;
    return 1 - __builtin_clzll(v.mant);
}

// Results this many binades above the underflow threshold (biased exponent 1) or closer count
// as the underflow edge: wide enough for every estimate below to err.
constexpr int kEdgeLow = 1 + 128;

// Whether a case of a transcendental may give a result near the underflow (or overflow)
// threshold, judged from the operands alone: where the vendors' answers differ beyond the last
// bit. FCOS never does (cos x is near 1 or not tiny); near multiples of pi/2 the results stay
// far above the threshold (an 80-bit operand comes no closer to one than about 2^-70).
inline bool vendor_edge(const OracleForm& f, const State& s) {
    const Tr t = transcendental_of(f);
    const unsigned top = (s.fsw >> 11) & 7, p0 = top, p1 = (top + 1) & 7;
    auto valid = [&](unsigned p) { return ((s.ftw >> (2 * p)) & 3) != 3; };
    auto finite = [](Float80 v) { return fp80::is_finite_nonzero(fp80::classify(v)); };
    const Float80 x = s.phys[p0], y = s.phys[p1];
    if (!valid(p0) || !finite(x)) return false;  // stack faults, specials: the SDM's tables
    switch (t) {
    case Tr::Fsin: case Tr::Fsincos: case Tr::Fptan:  // about x
    case Tr::F2xm1:                                    // about x ln 2
        return eff_exp(x) < kEdgeLow;
    case Tr::Fpatan:  // atan(y / x): about y / x when x > 0 and |y| << |x|; near pi when x < 0
        return valid(p1) && finite(y) && !fp80::sign(x) && eff_exp(y) - eff_exp(x) + 16383 < kEdgeLow;
    case Tr::Fyl2x:   // y log2 x with 2^-64 < |log2 x| < 2^15
        return valid(p1) && finite(y) && (eff_exp(y) < kEdgeLow + 66 || eff_exp(y) > 0x7FFE - 16);
    case Tr::Fyl2xp1: // about y x / ln 2
        return valid(p1) && finite(y) && eff_exp(y) + eff_exp(x) - 16383 < kEdgeLow + 2;
    default: return false;
    }
}

// How a case is compared with its reference (the host, or a recorded Intel result).
enum class Rule {
    Exact,       // everything; transcendental results within one ulp (C1, and PE if they differ)
    Vendor,      // a transcendental on a non-Intel host: also PE and C1 (and ES, B when PE is
                 // unmasked) are the vendor's own
    VendorEdge,  // ... at the underflow or overflow edge: also the registers the instruction
                 // writes, their tags, UE and OE; the recorded Intel data covers these
};

inline Rule rule_for(const OracleForm& f, const State& s, bool intel_host) {
    if (intel_host || !f.transcendental) return Rule::Exact;
    return vendor_edge(f, s) ? Rule::VendorEdge : Rule::Vendor;
}

// How many registers (from ST(0) after it) a transcendental writes.
inline unsigned written_regs(const OracleForm& f) {
    const Tr t = transcendental_of(f);
    return t == Tr::Fsincos || t == Tr::Fptan ? 2 : t == Tr::None ? 0 : 1;
}

// The differences between the reference `h` and the guest `r`, or "" when they agree under
// `rule`. `ulp_count` counts transcendental results one ulp apart.
inline std::string compare(const OracleForm& f, const Result& h, const Result& r, Rule rule, uint64_t& ulp_count) {
    std::string why;
    if (!r.retired) why += " did not retire;";
    uint16_t fsw_mask = 0xFFFF, ftw_mask = 0xFFFF;
    // C1 of an inexact transcendental result says on which side of the result the hardware's
    // internal value lay: that is below the last place, and not compared.
    if (f.transcendental && (h.fsw & r.fsw & 0x20)) fsw_mask &= uint16_t(~0x0200);
    unsigned skip_regs = 0;
    if (rule != Rule::Exact) {
        fsw_mask &= uint16_t(~0x0220);                           // C1, PE
        if (!(h.fcw & 0x20)) fsw_mask &= uint16_t(~0x8080);      // ES, B follow an unmasked PE
    }
    if (rule == Rule::VendorEdge) {
        fsw_mask &= uint16_t(~(0x8080 | 0x0018));                // ES, B, UE, OE
        skip_regs = written_regs(f);
        const unsigned top = (h.fsw >> 11) & 7;
        for (unsigned i = 0; i < skip_regs; ++i) ftw_mask &= uint16_t(~(3u << (2 * ((top + i) & 7))));
    }
    bool regs_ok = true;
    for (unsigned i = 0; i < 8; ++i) {
        if (i < skip_regs || fp80::same(h.st[i], r.st[i])) continue;
        if (f.transcendental && within_ulp(h.st[i], r.st[i])) {
            ++ulp_count;
            fsw_mask &= uint16_t(~0x0220);  // C1 and PE follow the last bit
            continue;
        }
        regs_ok = false;
    }
    if (!regs_ok) why += " registers;";
    if (h.fcw != r.fcw) why += " fcw;";
    if ((h.fsw ^ r.fsw) & fsw_mask) why += " fsw;";
    if ((h.ftw ^ r.ftw) & ftw_mask) why += " ftw;";
    for (unsigned i = 0; i < 8; ++i)
        if (i != ESP && h.regs[i] != r.regs[i]) why += " gpr;";
    if (h.flags != r.flags) why += " eflags;";
    const std::vector<bool> ign = ignored_bytes(f.mem);
    for (unsigned i = 0; i < mem_size(f.mem); ++i)
        if (!ign[i] && h.mem[i] != r.mem[i]) {
            char b[64];
            std::snprintf(b, sizeof b, " memory at +%u (host %02x guest %02x);", i, h.mem[i], r.mem[i]);
            why += b;
            break;
        }
    return why;
}

// Runs the host bytes from state `s`; `buf` is the host's data window (kDataSize bytes, the
// operand at kMemOff). Returns the signal the bytes raised (0: none).
inline int run_host(HostThunk& thunk, const std::vector<uint8_t>& hb, const State& s, uint8_t* buf, Result& h) {
    std::memset(buf, 0, kDataSize);
    std::memcpy(buf + kMemOff, s.mem, 512);
    HostState hs{};
    hs.in = to_image(s);
    std::memcpy(hs.r, s.regs, sizeof hs.r);
    hs.flags = 0x202 | s.flags;
    const int sig = thunk.run(hb, hs, buf + kMemOff);
    h = Result{};
    h.fcw = hs.out.fcw();
    h.fsw = hs.out.fsw();
    h.ftw = hs.out.ftw();
    for (unsigned i = 0; i < 8; ++i) h.st[i] = hs.out.st(i);
    std::memcpy(h.regs, hs.r, sizeof h.regs);
    h.flags = uint32_t(hs.flags) & kArith;
    std::memcpy(h.mem, buf + kMemOff, 512);
    return sig;
}

// Runs the guest bytes from state `s` through the interpreter.
inline Result run_guest(Guest& g, const std::vector<uint8_t>& gb, const State& s) {
    Cpu& c = g.cpu();
    std::memset(g.data(), 0, kDataSize);
    std::memcpy(g.data() + kMemOff, s.mem, 512);
    c.s.fpu.fcw = s.fcw;
    c.s.fpu.fsw = s.fsw;
    c.s.fpu.ftw = s.ftw;
    std::memcpy(c.s.fpu.st, s.phys, sizeof s.phys);
    c.s.fpu.mxcsr = 0x1F80;
    const uint32_t esp = c.s.reg32(ESP);
    for (unsigned i = 0; i < 8; ++i) c.s.set_reg32(i, s.regs[i]);
    c.s.set_reg32(ESP, esp);
    c.s.eflags = FIXED1 | s.flags;
    const bool retired = g.run(gb);
    Result r = guest_result(c, g.data() + kMemOff, retired);
    c.s.set_reg32(ESP, esp);
    return r;
}

// Runs `iters` random cases of every form; mismatches are counted in t and, with `report`,
// the first ones reported through Catch2 with their inputs. On a non-Intel host the
// transcendentals are compared by Rule::Vendor and Rule::VendorEdge (see above).
inline void run_oracle(const std::vector<OracleForm>& forms, unsigned iters, uint64_t seed, Tally& t, bool report) {
    HostThunk thunk;
    REQUIRE(thunk.ok());
    const bool intel = hostcpu::intel();
    Guest g;
    std::mt19937_64 rng(seed);
    alignas(16) uint8_t host_buf[kDataSize];
    unsigned shown = 0;
    // X87_ORACLE_FORM=name runs only the forms whose name starts with it (when debugging).
    const char* only = std::getenv("X87_ORACLE_FORM");
    for (const OracleForm& f : forms) {
        if (only && f.name.rfind(only, 0) != 0) continue;
        for (unsigned it = 0; it < iters; ++it) {
            const State s = pick_state(rng, f);
            uint8_t modrm = uint8_t(f.lo + rng() % (f.hi - f.lo + 1u));
            if (f.mem != Mem::None) modrm = uint8_t(rng());
            if (f.gpr_rm && (modrm & 7) == ESP) modrm ^= 1;  // ESP is the host's stack pointer
            const uint8_t imm = uint8_t(rng() % 4 ? rng() % 70 : rng());
            const std::vector<uint8_t> hb = encode(f, modrm, imm, true), gb = encode(f, modrm, imm, false);
            Result h;
            const int host_sig = run_host(thunk, hb, s, host_buf, h);
            const Result r = run_guest(g, gb, s);
            ++t.run;
            // A host trap (#GP from FXRSTOR's MXCSR check) must be a guest fault too.
            if (host_sig) {
                if (r.retired) {
                    ++t.bad;
                    ++t.bad_by_form[f.name];
                    if (report && shown++ < 40) FAIL_CHECK(describe(f, gb, s) + "\n  the host trapped (signal " +
                                                           std::to_string(host_sig) + "), the guest did not");
                }
                continue;
            }
            const Rule rule = rule_for(f, s, intel);
            if (rule == Rule::VendorEdge) ++t.vendor_edge;
            const std::string why = compare(f, h, r, rule, t.inexact_ulp);
            if (!why.empty()) {
                ++t.bad;
                ++t.bad_by_form[f.name];
                if (report && shown++ < 40)
                    FAIL_CHECK(describe(f, gb, s) + show("host ", h, f) + show("guest", r, f) + "\n  differs:" + why);
            }
        }
    }
}


} // namespace x87test
