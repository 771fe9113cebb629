// Shifts and rotates: ROL ROR RCL RCR SHL (= SAL) SHR SAR, and the double shifts SHLD SHRD
// (SDM Vol. 2B, "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD").
//
// The count (1, CL or imm8) is masked to 5 bits. A masked count of 0 changes neither the operand
// nor any flag; a memory operand is still checked for writing and read first, so it can fault
// (the access is a read-modify-write whatever the count; QEMU only reads, Bochs checks both). Zydis names D0-D3/C0/C1 /6 (the undocumented alias of /4) SHL too, so one SHL
// row covers SAL and both encodings.
//
// Flags the SDM leaves undefined, and what we do. No P6 measurements were at hand; Intel
// processors since keep these rules (measured on the test host, an Intel Xeon, by
// tests/alu_oracle_test.cpp "[.alu-info]"), so we take them as the P6 family's:
//  - OF for counts above 1: the value a 1-bit shift or rotate of the original operand would give
//    (the first step decides): ROL/SHL: MSB(dest) XOR bit w-2 of dest; ROR: MSB(dest) XOR bit 0;
//    RCL: MSB(dest) XOR bit w-2; RCR: MSB(dest) XOR CF; SHR: MSB(dest); SAR: 0;
//    SHLD: MSB(dest) XOR bit w-2 of dest; SHRD: MSB(dest) XOR bit 0 of src. (Bochs and QEMU
//    instead apply the count-1 formula to the final result.) One host quirk we do not copy:
//    recent Intel cores leave OF unchanged after ROL/ROR by an immediate count above 1 (the
//    CL forms follow the rule above); we treat every encoding alike.
//  - RCL/RCR by a nonzero multiple of 9 (bytes) or 17 (words): nothing changes, CF and OF
//    included (the rotation is by 0; the test host does the same).
//  - AF after SHL/SHR/SAR/SHLD/SHRD with a nonzero count: cleared.
//  - CF after SHL/SHR of an 8- or 16-bit operand by a count >= the width: the last bit shifted
//    out of the operand, as if it sat in a wider register (0 once the count exceeds the width).
//  - SHLD/SHRD r/m16 with a count above 16: the P6 shifts the 48-bit value DEST:SRC:DEST (DEST
//    in the top and bottom words) and keeps the 16 bits that land in DEST's place; CF is the last
//    bit shifted out of that value. (The Pentium used DEST:SRC:SRC instead; QEMU and Bochs also
//    model the P6 way, and the test host agrees.)
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

constexpr uint32_t bit(uint64_t v, unsigned i) { return uint32_t(v >> i) & 1; }

// The masked count. Operand 1 is 1 (D0/D1, an implicit immediate), CL, or imm8.
unsigned shift_count(Cpu& c, const Insn& in, unsigned i) { return c.rd_op(in, i) & 0x1F; }

// OF as a 1-bit step of the original operand v sets it (the rules above): MSB(v) XOR `other`.
uint32_t of_first_step(uint32_t v, uint32_t other, unsigned w) { return (bit(v, w - 1) ^ other) ? OF : 0; }

// ROL/ROR/RCL/RCR change only CF and OF (SDM: "The SF, ZF, AF, and PF flags are not affected").
void set_cf_of(Cpu& c, uint32_t cf, uint32_t of) {
    c.s.eflags = (c.s.eflags & ~(CF | OF)) | (cf ? CF : 0) | of;
}

enum class Kind { Rol, Ror, Rcl, Rcr, Shl, Shr, Sar };

template <Kind K> void shift(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0), w = 8 * n;
    const uint32_t m = size_mask(n);
    const unsigned count = shift_count(c, in, 1);
    c.probe_op(in, 0);
    const uint32_t v = c.rd_op(in, 0);  // read even for a count of 0: the access may fault
    if (count == 0) return;
    uint32_t res;
    switch (K) {
    case Kind::Rol: {
        // The rotation is by count mod width, but CF and OF are updated for any nonzero masked
        // count (8-bit ROL by 8: the value is unchanged, CF = its bit 0).
        const unsigned r = count % w;
        res = r ? ((v << r) | (v >> (w - r))) & m : v;
        const uint32_t cf = bit(res, 0);
        c.wr_op(in, 0, res);
        set_cf_of(c, cf, of_first_step(v, bit(v, w - 2), w));
        return;
    }
    case Kind::Ror: {
        const unsigned r = count % w;
        res = r ? ((v >> r) | (v << (w - r))) & m : v;
        c.wr_op(in, 0, res);
        set_cf_of(c, bit(res, w - 1), of_first_step(v, bit(v, 0), w));
        return;
    }
    case Kind::Rcl:
    case Kind::Rcr: {
        // Rotate the (w+1)-bit value CF:operand by count mod (w+1) (9 for bytes, 17 for words;
        // 32-bit counts are below 33 already). A count that is a multiple of w+1 rotates by
        // nothing: the operand, CF and OF stay as they were (as on the test host).
        const unsigned r = count % (w + 1);
        if (r == 0) return;
        const uint32_t cf_in = c.flag(CF) ? 1 : 0;
        const uint64_t wide = (uint64_t(cf_in) << w) | v;
        const uint64_t wmask = (uint64_t(1) << (w + 1)) - 1;
        const uint64_t rot =
            (K == Kind::Rcl ? (wide << r) | (wide >> (w + 1 - r)) : (wide >> r) | (wide << (w + 1 - r))) & wmask;
        res = uint32_t(rot) & m;
        const uint32_t cf = bit(rot, w);
        c.wr_op(in, 0, res);
        set_cf_of(c, cf, of_first_step(v, K == Kind::Rcl ? bit(v, w - 2) : cf_in, w));
        return;
    }
    case Kind::Shl: {
        const uint64_t wide = uint64_t(v) << count;
        res = uint32_t(wide) & m;
        const uint32_t cf = bit(wide, w);
        c.wr_op(in, 0, res);
        c.set_arith(szp_flags(res, n) | (cf ? CF : 0) | of_first_step(v, bit(v, w - 2), w));
        return;
    }
    case Kind::Shr: {
        res = v >> count;  // count <= 31
        const uint32_t cf = bit(v, count - 1);
        c.wr_op(in, 0, res);
        c.set_arith(szp_flags(res, n) | (cf ? CF : 0) | of_first_step(v, 0, w));
        return;
    }
    default: {  // SAR
        const int32_t sv = sext(v, n);
        res = uint32_t(sv >> count) & m;
        const uint32_t cf = uint32_t(sv >> (count - 1)) & 1;
        c.wr_op(in, 0, res);
        c.set_arith(szp_flags(res, n) | (cf ? CF : 0));  // OF = 0: the sign never changes
        return;
    }
    }
}

// SHLD r/m, r, imm8/CL: DEST shifted left, vacated bits filled from the top of SRC.
void SHLD(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0), w = 8 * n;
    const unsigned count = shift_count(c, in, 2);
    c.probe_op(in, 0);
    const uint32_t dest = c.rd_op(in, 0), src = c.rd_op(in, 1);
    if (count == 0) return;
    uint32_t res, cf;
    if (w == 32) {
        const uint64_t wide = (uint64_t(dest) << 32) | src;  // DEST:SRC
        res = uint32_t((wide << count) >> 32);
        cf = bit(wide, 64 - count);
    } else {
        // DEST:SRC:DEST (48 bits), see the file comment; for counts <= 16 this is DEST:SRC.
        const uint64_t wide = (uint64_t(dest) << 32) | (uint64_t(src) << 16) | dest;
        res = uint32_t(wide >> (32 - count)) & 0xFFFF;
        cf = bit(wide, 48 - count);
    }
    c.wr_op(in, 0, res);
    c.set_arith(szp_flags(res, n) | (cf ? CF : 0) | of_first_step(dest, bit(dest, w - 2), w));
}

// SHRD r/m, r, imm8/CL: DEST shifted right, vacated bits filled from the bottom of SRC.
void SHRD(Cpu& c, const Insn& in) {
    const unsigned n = in.size(0), w = 8 * n;
    const unsigned count = shift_count(c, in, 2);
    c.probe_op(in, 0);
    const uint32_t dest = c.rd_op(in, 0), src = c.rd_op(in, 1);
    if (count == 0) return;
    uint64_t wide;
    if (w == 32) wide = (uint64_t(src) << 32) | dest;                                    // SRC:DEST
    else wide = (uint64_t(dest) << 32) | (uint64_t(src) << 16) | dest;                  // DEST:SRC:DEST
    const uint32_t res = uint32_t(wide >> count) & size_mask(n);
    const uint32_t cf = bit(wide, count - 1);
    c.wr_op(in, 0, res);
    c.set_arith(szp_flags(res, n) | (cf ? CF : 0) | of_first_step(dest, bit(src, 0), w));
}

} // namespace

void register_shift(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_ROL, shift<Kind::Rol>, "shift");
    t.add(ZYDIS_MNEMONIC_ROR, shift<Kind::Ror>, "shift");
    t.add(ZYDIS_MNEMONIC_RCL, shift<Kind::Rcl>, "shift");
    t.add(ZYDIS_MNEMONIC_RCR, shift<Kind::Rcr>, "shift");
    t.add(ZYDIS_MNEMONIC_SHL, shift<Kind::Shl>, "shift");  // SAL and /6 too: Zydis says SHL
    t.add(ZYDIS_MNEMONIC_SHR, shift<Kind::Shr>, "shift");
    t.add(ZYDIS_MNEMONIC_SAR, shift<Kind::Sar>, "shift");
    t.add(ZYDIS_MNEMONIC_SHLD, SHLD, "shift");
    t.add(ZYDIS_MNEMONIC_SHRD, SHRD, "shift");
}

} // namespace xlat
