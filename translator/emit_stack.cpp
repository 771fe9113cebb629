// Native emitters of the stack forms emit_control.cpp leaves out (translator/emitter.h): PUSH of
// memory, of a segment register and with a 16-bit operand (66 prefix), POP to memory and to a
// 16-bit register, LEAVE, CALL through memory and the 16-bit CALL and RET. Each tries
// emit_control.cpp's emitter first (the 32-bit register and immediate forms) and otherwise
// takes the form itself. Like those, only with a flat 32-bit stack (SS flat, SS.B set): the
// stack slot is ESP - size, probed inline. None of them touches a flag.
#include "cpu/flags.h"
#include "cpu/mode.h"
#include "cpu/table.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

bool flat_stack(const Emitter& e) {
    const uint32_t bits = mode_bits(e.key);
    return (e.disabled & kDisableTlb) == 0 && (bits & kModeStack32) && (bits & (1u << (kModeFlatShift + SS)));
}

bool cs_flat(const Emitter& e) { return mode_bits(e.key) & (1u << (kModeFlatShift + CS)); }

x86::Gp sized(const x86::Gp& r32, unsigned size) { return size == 2 ? r32.r16() : r32; }

bool gpr_of_size(const Insn& in, unsigned i, unsigned n) {
    return in.is_reg(i) && Emitter::is_gpr(in.regv(i)) && in.size(i) == n;
}

bool is_segment(const Insn& in, unsigned i) {
    return in.is_reg(i) && ZydisRegisterGetClass(in.regv(i)) == ZYDIS_REGCLASS_SEGMENT;
}

// ecx = the n-byte memory operand (probed for reading), zero-extended.
void load_mem(Emitter& e, unsigned n) {
    e.ea();
    e.probe(n, false);
    if (n == 4) e.a.mov(x86::ecx, x86::dword_ptr(x86::rbp));
    else e.a.movzx(x86::ecx, x86::word_ptr(x86::rbp));
}

// Pushes the low `n` bytes of ecx: ESP - slot probed for writing, written, ESP stored (the last
// write of the instruction: nothing may go to the slow path after it). `slot` is what ESP moves
// by, `n` <= slot what is written (PUSH of a segment register with a 32-bit operand writes 2).
void push_ecx(Emitter& e, unsigned slot, unsigned n) {
    x86::Assembler& a = e.a;
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    a.sub(x86::ebx, int32_t(slot));
    e.probe(n, true);
    a.mov(x86::Mem(x86::rbp, 0, n), sized(x86::ecx, n));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
}

// A memory operand that does not depend on ESP (POP computes it after the increment).
bool esp_free(const Insn& in) {
    const ZydisRegister b = ZydisRegister(in.mem.base), x = ZydisRegister(in.mem.index);
    return b != ZYDIS_REGISTER_ESP && x != ZYDIS_REGISTER_ESP;
}

} // namespace

// PUSH r16, imm (66 prefix), m16/m32, and segment registers. An ESP-based memory operand is
// addressed with ESP before the push (ea() runs first), and PUSH SP pushes the old value.
bool emit_push_more(Emitter& e, const Insn& in) {
    if (emit_push(e, in)) return true;
    const unsigned n = in.opsize();
    if (!flat_stack(e) || in.nops() != 1 || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    if (is_segment(in, 0)) {
        // With a 32-bit operand ESP moves by 4 and only the low word is written (cpu/stack.cpp).
        const unsigned sr = unsigned(in.regv(0)) - ZYDIS_REGISTER_ES;
        if (sr >= kSegCount) return false;
        a.movzx(x86::ecx, Emitter::field(offsetof(CpuState, seg) + sr * sizeof(SegmentCache) +
                                              offsetof(SegmentCache, selector), 2));
        push_ecx(e, n, 2);
        return true;
    }
    if (in.is_imm(0)) {
        a.mov(x86::ecx, in.val[0] & size_mask(n));  // sign-extended to the operand size already
    } else if (gpr_of_size(in, 0, n)) {
        e.load_reg(x86::ecx, in.regv(0));
    } else if (in.is_mem(0) && in.size(0) == n && e.mem_ok()) {
        load_mem(e, n);
    } else {
        return false;
    }
    push_ecx(e, n, n);
    return true;
}

// POP r16 and POP m16/m32 (not ESP-based: that address is computed after the increment, which
// the slow path's semantics function does).
bool emit_pop_more(Emitter& e, const Insn& in) {
    if (emit_pop(e, in)) return true;
    const unsigned n = in.opsize();
    if (!flat_stack(e) || in.nops() != 1 || in.row->form != Form::Any || (n != 2 && n != 4)) return false;
    const bool to_reg = gpr_of_size(in, 0, n);
    if (!to_reg && !(in.is_mem(0) && in.size(0) == n && e.mem_ok() && esp_free(in))) return false;
    x86::Assembler& a = e.a;
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    e.probe(n, false);
    if (n == 4) a.mov(x86::ecx, x86::dword_ptr(x86::rbp));
    else a.movzx(x86::ecx, x86::word_ptr(x86::rbp));
    if (!to_reg) {
        e.ea();
        e.probe(n, true);
        a.mov(x86::Mem(x86::rbp, 0, n), sized(x86::ecx, n));
        e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    }
    a.lea(x86::eax, x86::ptr(x86::rbx, int32_t(n)));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::eax);
    if (to_reg) e.store_reg(in.regv(0), x86::ecx);  // POP SP: the popped value wins
    return true;
}

// LEAVE: ESP = EBP (a 32-bit stack), then EBP (BP with a 16-bit operand) popped.
bool emit_leave(Emitter& e, const Insn& in) {
    const unsigned n = in.opsize();
    if (!flat_stack(e) || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    e.load_reg(x86::ebx, ZYDIS_REGISTER_EBP);
    e.probe(n, false);
    if (n == 4) a.mov(x86::ecx, x86::dword_ptr(x86::rbp));
    else a.movzx(x86::ecx, x86::word_ptr(x86::rbp));
    a.lea(x86::eax, x86::ptr(x86::rbx, int32_t(n)));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::eax);
    e.store_reg(n == 4 ? ZYDIS_REGISTER_EBP : ZYDIS_REGISTER_BP, x86::ecx);
    return true;
}

// CALL m32 (near, through memory) and the 16-bit near CALLs (rel16, r16, m16: IP pushed as a
// word, the target zero-extended). A static target must be within the CS limit; an indirect one
// needs a flat CS (any 32-bit target is then within it; a 16-bit one always is).
bool emit_call_more(Emitter& e, const Insn& in) {
    if (emit_call(e, in)) return true;
    const unsigned n = in.opsize();
    if (in.far() || in.nops() < 1 || !flat_stack(e) || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    uint32_t target = 0;
    if (in.is_imm(0)) {
        if (n != 2) return false;
        target = (in.next_eip + in.val[0]) & 0xFFFF;
        if (target > mode_cs_limit(e.key)) return false;
    } else if (!cs_flat(e)) {
        return false;
    } else if (gpr_of_size(in, 0, n)) {
        e.load_reg(x86::ecx, in.regv(0));  // before ESP changes (CALL SP)
    } else if (in.is_mem(0) && in.size(0) == n && e.mem_ok()) {
        load_mem(e, n);
    } else {
        return false;
    }
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    a.sub(x86::ebx, int32_t(n));
    e.probe(n, true);
    if (n == 4) a.mov(x86::dword_ptr(x86::rbp), in.next_eip);
    else a.mov(x86::word_ptr(x86::rbp), int32_t(in.next_eip & 0xFFFF));
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
    if (in.is_imm(0)) e.set_rip(target);
    else a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::ecx);
    e.rip_set = true;
    return true;
}

} // namespace xlat
