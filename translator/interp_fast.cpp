// Semantics specialised by operand form for the interpreter's block path: the hottest forms of
// the commonest instructions with 8- and 32-bit register, immediate or memory operands and Jcc
// with its condition fixed, chosen once when a block is decoded so that the generic operand
// plumbing (Cpu::rd_op / wr_op look at each operand's kind and size every time) is skipped.
// Each one computes exactly what the row's semantics function computes for that form, with the
// same flag helpers (cpu/flags.h), the same memory accesses in the same order and so the same
// faults; every other instruction runs its row's function. tests/interp_block_test.cpp runs random programs of these forms through both.
#include "translator/interp.h"

#include <array>
#include <utility>

#include "cpu/flags.h"

namespace xlat {

namespace {

// Index of a 32-bit general register operand (EAX..EDI), or 8 when it is not one.
unsigned gpr32_of(const Insn& in, unsigned i) {
    if (!in.is_reg(i) || in.size(i) != 4) return 8;
    const unsigned g = unsigned(in.reg[i]) - ZYDIS_REGISTER_EAX;
    return g < 8 ? g : 8;
}

unsigned reg_index(uint16_t r) { return unsigned(r) - ZYDIS_REGISTER_EAX; }

// The immediate of operand i as Cpu::rd_op reads it.
uint32_t imm_of(const Insn& in, unsigned i) {
    return in.val[i] & size_mask(in.imm_signed(i) ? in.opsize() : in.size(i));
}

// As alu.cpp's arith: the two-operand ALU group, with the same flag computation, on a value of
// N bytes (1 or 4).
enum class Op { Add, Adc, Sub, Sbb, Cmp, And, Or, Xor, Test };

template <Op OP, unsigned N> inline uint32_t alu_flags(Cpu& c, uint32_t a, uint32_t b, uint32_t& res) {
    const uint32_t cf = (c.s.eflags & CF) ? 1 : 0;
    switch (OP) {
    case Op::Add: res = a + b; return add_flags(a, b, 0, N);
    case Op::Adc: res = a + b + cf; return add_flags(a, b, cf, N);
    case Op::Sub:
    case Op::Cmp: res = a - b; return sub_flags(a, b, 0, N);
    case Op::Sbb: res = a - b - cf; return sub_flags(a, b, cf, N);
    case Op::And:
    case Op::Test: res = a & b; return logic_flags(res, N);
    case Op::Or: res = a | b; return logic_flags(res, N);
    default: res = a ^ b; return logic_flags(res, N);
    }
}

// Register d (EAX..EDI, or AL..BH for N = 1) as the generic plumbing reads and writes it.
template <unsigned N> inline uint32_t reg_n(const Cpu& c, unsigned d) { return N == 4 ? c.s.reg32(d) : c.reg8(d); }
template <unsigned N> inline void set_reg_n(Cpu& c, unsigned d, uint32_t v) {
    if (N == 4) c.s.set_reg32(d, v);
    else c.set_reg8(d, uint8_t(v));
}

template <Op OP, unsigned N> inline void alu_reg(Cpu& c, unsigned d, uint32_t b) {
    uint32_t res;
    const uint32_t f = alu_flags<OP, N>(c, reg_n<N>(c, d), b, res);
    if (OP != Op::Cmp && OP != Op::Test) set_reg_n<N>(c, d, res);
    c.set_arith(f);
}

unsigned reg_of(const Insn& in, unsigned i, unsigned n) {
    return unsigned(in.reg[i]) - (n == 4 ? ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_AL);
}

template <Op OP, unsigned N> void alu_rr(Cpu& c, const Insn& in) {
    alu_reg<OP, N>(c, reg_of(in, 0, N), reg_n<N>(c, reg_of(in, 1, N)));
}
template <Op OP, unsigned N> void alu_ri(Cpu& c, const Insn& in) { alu_reg<OP, N>(c, reg_of(in, 0, N), imm_of(in, 1)); }
// r, m: the memory operand is read (and may fault) before anything changes.
template <Op OP, unsigned N> void alu_rm(Cpu& c, const Insn& in) {
    alu_reg<OP, N>(c, reg_of(in, 0, N), c.rd(c.seg_of(in, 1), c.ea(in, 1), N));
}
// CMP and TEST m, imm / m, r: nothing is written.
template <Op OP, unsigned N> void alu_mi(Cpu& c, const Insn& in) {
    uint32_t res;
    const uint32_t a = c.rd(c.seg_of(in, 0), c.ea(in, 0), N);
    c.set_arith(alu_flags<OP, N>(c, a, imm_of(in, 1), res));
}
template <Op OP, unsigned N> void alu_mr(Cpu& c, const Insn& in) {
    uint32_t res;
    const uint32_t a = c.rd(c.seg_of(in, 0), c.ea(in, 0), N);
    c.set_arith(alu_flags<OP, N>(c, a, reg_n<N>(c, reg_of(in, 1, N)), res));
}

void inc_r32(Cpu& c, const Insn& in) {
    CpuState& s = c.s;
    const unsigned d = reg_index(in.reg[0]);
    const uint32_t a = s.reg32(d);
    s.set_reg32(d, a + 1);
    c.set_arith((add_flags(a, 1, 0, 4) & ~CF) | (s.eflags & CF));
}

void dec_r32(Cpu& c, const Insn& in) {
    CpuState& s = c.s;
    const unsigned d = reg_index(in.reg[0]);
    const uint32_t a = s.reg32(d);
    s.set_reg32(d, a - 1);
    c.set_arith((sub_flags(a, 1, 0, 4) & ~CF) | (s.eflags & CF));
}

void mov_rr32(Cpu& c, const Insn& in) { c.s.set_reg32(reg_index(in.reg[0]), c.s.reg32(reg_index(in.reg[1]))); }
void mov_ri32(Cpu& c, const Insn& in) { c.s.set_reg32(reg_index(in.reg[0]), imm_of(in, 1)); }
void mov_rm32(Cpu& c, const Insn& in) {
    c.s.set_reg32(reg_index(in.reg[0]), c.rd(c.seg_of(in, 1), c.ea(in, 1), 4));
}
void mov_mr32(Cpu& c, const Insn& in) { c.wr(c.seg_of(in, 0), c.ea(in, 0), 4, c.s.reg32(reg_index(in.reg[1]))); }
void mov_mi32(Cpu& c, const Insn& in) { c.wr(c.seg_of(in, 0), c.ea(in, 0), 4, imm_of(in, 1)); }
// MOVZX r32, m8/m16.
void movzx_rm32(Cpu& c, const Insn& in) {
    c.s.set_reg32(reg_index(in.reg[0]), c.rd(c.seg_of(in, 1), c.ea(in, 1), in.size(1)));
}
void lea_r32(Cpu& c, const Insn& in) { c.s.set_reg32(reg_index(in.reg[0]), c.ea(in, 1)); }
void mov_rm8(Cpu& c, const Insn& in) { c.set_reg8(reg_of(in, 0, 1), uint8_t(c.rd(c.seg_of(in, 1), c.ea(in, 1), 1))); }
void mov_mr8(Cpu& c, const Insn& in) { c.wr(c.seg_of(in, 0), c.ea(in, 0), 1, c.reg8(reg_of(in, 1, 1))); }
void mov_mi8(Cpu& c, const Insn& in) { c.wr(c.seg_of(in, 0), c.ea(in, 0), 1, imm_of(in, 1)); }
void mov_rr8(Cpu& c, const Insn& in) { c.set_reg8(reg_of(in, 0, 1), c.reg8(reg_of(in, 1, 1))); }
void mov_ri8(Cpu& c, const Insn& in) { c.set_reg8(reg_of(in, 0, 1), uint8_t(imm_of(in, 1))); }
// MOVZX r32, r8.
void movzx_rr8(Cpu& c, const Insn& in) { c.s.set_reg32(reg_index(in.reg[0]), c.reg8(reg_of(in, 1, 1))); }

// Jcc rel with its condition fixed (Cpu::cond, control.cpp's Jcc).
template <unsigned CC> void jcc(Cpu& c, const Insn& in) {
    const uint32_t f = c.s.eflags;
    bool r;
    switch (CC >> 1) {
    case 0: r = f & OF; break;
    case 1: r = f & CF; break;
    case 2: r = f & ZF; break;
    case 3: r = f & (CF | ZF); break;
    case 4: r = f & SF; break;
    case 5: r = f & PF; break;
    case 6: r = bool(f & SF) != bool(f & OF); break;
    default: r = (f & ZF) || bool(f & SF) != bool(f & OF); break;
    }
    if ((CC & 1) ? !r : r) c.jump_near((in.next_eip + in.imm(0)) & size_mask(in.opsize()));
}

template <unsigned... CC> constexpr std::array<SemanticsFn, 16> jcc_table(std::integer_sequence<unsigned, CC...>) {
    return {jcc<CC>...};
}
constexpr std::array<SemanticsFn, 16> kJcc = jcc_table(std::make_integer_sequence<unsigned, 16>{});

// Index of an 8-bit general register operand (AL..BH), or 8 when it is not one.
unsigned gpr8_of(const Insn& in, unsigned i) {
    if (!in.is_reg(i) || in.size(i) != 1) return 8;
    const unsigned g = unsigned(in.reg[i]) - ZYDIS_REGISTER_AL;
    return g < 8 ? g : 8;
}

template <Op OP> SemanticsFn alu_form(const Insn& in) {
    constexpr bool writes = OP != Op::Cmp && OP != Op::Test;
    if (gpr32_of(in, 0) < 8) {
        if (in.is_reg(1)) return gpr32_of(in, 1) < 8 ? alu_rr<OP, 4> : nullptr;
        if (in.is_imm(1)) return alu_ri<OP, 4>;
        if (in.is_mem(1) && in.size(1) == 4) return alu_rm<OP, 4>;
        return nullptr;
    }
    if (gpr8_of(in, 0) < 8) {
        if (in.is_reg(1)) return gpr8_of(in, 1) < 8 ? alu_rr<OP, 1> : nullptr;
        if (in.is_imm(1)) return alu_ri<OP, 1>;
        if (in.is_mem(1) && in.size(1) == 1) return alu_rm<OP, 1>;
        return nullptr;
    }
    if constexpr (!writes) {
        if (in.is_mem(0) && (in.size(0) == 1 || in.size(0) == 4)) {
            const bool four = in.size(0) == 4;
            if (in.is_imm(1)) return four ? alu_mi<OP, 4> : alu_mi<OP, 1>;
            if (four && gpr32_of(in, 1) < 8) return alu_mr<OP, 4>;
            if (!four && gpr8_of(in, 1) < 8) return alu_mr<OP, 1>;
        }
    }
    return nullptr;
}

} // namespace

SemanticsFn Interpreter::semantics_for(const Insn& in) {
    const SemanticsFn generic = in.row->fn;
    // Only the plain forms: no LOCK, no REP prefixes, the row every form of the mnemonic uses.
    if (in.lock() || in.rep() || in.repne() || in.row->form != Form::Any) return generic;
    SemanticsFn f = nullptr;
    // Every Jcc shares one row function (control.cpp); the condition is the opcode's low nibble.
    static const SemanticsFn jcc_row = instruction_table().find(ZYDIS_MNEMONIC_JZ, Form::Any)->fn;
    if (generic == jcc_row && in.is_imm(0)) return kJcc[in.opcode & 0xF];
    const bool dst_r32 = gpr32_of(in, 0) < 8;
    switch (in.mnem()) {
    case ZYDIS_MNEMONIC_ADD: f = alu_form<Op::Add>(in); break;
    case ZYDIS_MNEMONIC_ADC: f = alu_form<Op::Adc>(in); break;
    case ZYDIS_MNEMONIC_SUB: f = alu_form<Op::Sub>(in); break;
    case ZYDIS_MNEMONIC_SBB: f = alu_form<Op::Sbb>(in); break;
    case ZYDIS_MNEMONIC_CMP: f = alu_form<Op::Cmp>(in); break;
    case ZYDIS_MNEMONIC_AND: f = alu_form<Op::And>(in); break;
    case ZYDIS_MNEMONIC_OR: f = alu_form<Op::Or>(in); break;
    case ZYDIS_MNEMONIC_XOR: f = alu_form<Op::Xor>(in); break;
    case ZYDIS_MNEMONIC_TEST: f = alu_form<Op::Test>(in); break;
    case ZYDIS_MNEMONIC_INC: if (dst_r32) f = inc_r32; break;
    case ZYDIS_MNEMONIC_DEC: if (dst_r32) f = dec_r32; break;
    case ZYDIS_MNEMONIC_MOV:
        if (dst_r32) {
            if (gpr32_of(in, 1) < 8) f = mov_rr32;
            else if (in.is_imm(1)) f = mov_ri32;
            else if (in.is_mem(1) && in.size(1) == 4) f = mov_rm32;
        } else if (in.is_mem(0) && in.size(0) == 4) {
            if (gpr32_of(in, 1) < 8) f = mov_mr32;
            else if (in.is_imm(1)) f = mov_mi32;
        } else if (gpr8_of(in, 0) < 8) {
            if (gpr8_of(in, 1) < 8) f = mov_rr8;
            else if (in.is_imm(1)) f = mov_ri8;
            else if (in.is_mem(1) && in.size(1) == 1) f = mov_rm8;
        } else if (in.is_mem(0) && in.size(0) == 1) {
            if (gpr8_of(in, 1) < 8) f = mov_mr8;
            else if (in.is_imm(1)) f = mov_mi8;
        }
        break;
    case ZYDIS_MNEMONIC_MOVZX:
        if (dst_r32 && in.is_mem(1) && (in.size(1) == 1 || in.size(1) == 2)) f = movzx_rm32;
        else if (dst_r32 && gpr8_of(in, 1) < 8) f = movzx_rr8;
        break;
    case ZYDIS_MNEMONIC_LEA:
        if (dst_r32 && in.is_mem(1)) f = lea_r32;
        break;
    default: break;
    }
    return f ? f : generic;
}

} // namespace xlat
