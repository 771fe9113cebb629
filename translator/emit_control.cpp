// Native emitters of near control transfers (Jcc, JMP, CALL, RET), PUSH/POP and the conditional
// forms SETcc/CMOVcc (translator/emitter.h). Only the 32-bit forms with a flat 32-bit stack are
// emitted; a target beyond the CS limit is left to the semantics function (#GP).
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

// A static target the CS limit allows.
bool target_ok(const Emitter& e, uint32_t target) { return target <= mode_cs_limit(e.key); }


// ebx = ESP + disp, the stack slot's linear address (a flat 32-bit stack), for an indexed probe:
// with the register cache one `lea` from r12 (`mov ebx, r12d; sub ebx, 4` before).
void stack_slot(Emitter& e, int32_t disp) {
    x86::Gp esp;
    if (e.reg32(ZYDIS_REGISTER_ESP, esp)) {
        if (disp) e.a.lea(x86::ebx, x86::ptr(esp.r64(), disp));
        else e.a.mov(x86::ebx, esp);
        return;
    }
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    if (disp) e.a.add(x86::ebx, disp);
}

} // namespace

bool emit_jcc(Emitter& e, const Insn& in) {
    if (!in.is_imm(0)) return false;
    const uint32_t target = relative_target(in);
    if (!target_ok(e, target)) return false;
    // A Jcc inside a superblock (below); a learnt way: decode_block went on at the target, so
    // the condition is negated (its low bit) and the side exit goes to the next instruction.
    const bool side = e.chain_branch && !e.last && e.index() != ~0u && e.nsides < Emitter::kSideCapacity;
    const unsigned next = e.index() + 1;
    const bool flipped = side && e.block_eips && next < e.block_ninsns && e.block_eips[next] != in.next_eip;
    const x86::CondCode cc = e.cond((in.opcode & 0xF) ^ (flipped ? 1u : 0u));
    if (e.chain_branch && e.last) {
        // The block's two exits (Jit::emit) follow: taken at `e.taken`, not taken below; each
        // sets rip itself or chains to the next block, whose entry does.
        // A lazy self-loop's second copy jumps back to its own head (Jit::emit).
        e.taken = e.loop_head.isValid() ? e.loop_head : e.a.newLabel();
        e.branch_at = uint32_t(e.a.offset());
        e.a.long_().j(cc, e.taken);  // 0F 8x rel32: Jit::emit may patch it
        e.branched = true;
        return true;
    }
    if (side) {
        // Inside a superblock: the way taken leaves through a side exit (Jit::emit), the way
        // not taken goes on in the block (a learnt way: the other way round); nothing changes
        // the state the next instruction sees.
        Emitter::SideExit& x = e.sides[e.nsides++];
        x.label = e.a.newLabel();
        x.index = e.index();
        x.target = flipped ? in.next_eip : target;
        x.pending = e.pending + 1;
        x.ffix = e.flags_fix_bits();
        x.recipe = e.lazy ? e.recipe : nullptr;
        x.flipped = flipped;
        e.a.j(cc, x.label);
        return true;
    }
    e.a.mov(x86::edx, in.next_eip);
    e.a.mov(x86::ecx, target);
    e.a.cmov(cc, x86::edx, x86::ecx);
    e.a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::edx);
    return true;
}

bool emit_jmp(Emitter& e, const Insn& in) {
    if (in.far() || in.nops() != 1) return false;
    if (in.is_imm(0)) {
        const uint32_t target = relative_target(in);
        if (!target_ok(e, target)) return false;
        e.set_rip_of_branch(target);
    } else if (in.is_reg(0) && in.size(0) == 4 && cs_flat(e) && Emitter::is_gpr(in.regv(0))) {
        e.load_reg(x86::eax, in.regv(0));
        e.a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::eax);
    } else if (in.is_mem(0) && in.size(0) == 4 && cs_flat(e) && e.mem_ok()) {
        e.ea();
        e.probe(4, false);
        e.a.mov(x86::eax, x86::dword_ptr(x86::rbp));
        e.a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::eax);
    } else {
        return false;
    }
    return true;
}

bool emit_call(Emitter& e, const Insn& in) {
    if (emit_stack_member(e, in)) return true;  // a member of a stack group (emit_stack.cpp)
    if (in.far() || in.opsize() != 4 || !flat_stack(e)) return false;
    uint32_t target = 0;
    if (in.is_imm(0)) {
        target = relative_target(in);
        if (!target_ok(e, target)) return false;
    } else if (!(in.is_reg(0) && cs_flat(e) && Emitter::is_gpr(in.regv(0)) && in.size(0) == 4)) {
        return false;
    }
    x86::Assembler& a = e.a;
    stack_slot(e, -4);
    e.probe(4, true, true);
    if (!in.is_imm(0)) e.load_reg(x86::eax, in.regv(0));  // before ESP changes (CALL ESP)
    a.mov(Emitter::host_at(4), in.next_eip);
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
    if (in.is_imm(0)) e.set_rip_of_branch(target);
    else a.mov(Emitter::field(offsetof(CpuState, rip), 4), x86::eax);
    return true;
}

// ESP = ebx (ESP as the instruction began) + `delta`, after the access: straight into ESP's
// host register when the registers are cached (one LEA), else through ecx.
namespace {
void esp_after(Emitter& e, int32_t delta) {
    x86::Gp r;
    if (e.reg32(ZYDIS_REGISTER_ESP, r, true)) {
        e.a.lea(r, x86::ptr(x86::rbx, delta));
    } else {
        e.a.lea(x86::ecx, x86::ptr(x86::rbx, delta));
        e.store_reg(ZYDIS_REGISTER_ESP, x86::ecx);
    }
}
} // namespace

// RET and RET imm16, 32- or 16-bit operand size: EIP (or IP, zero-extended) popped, ESP +=
// size + imm16.
bool emit_ret(Emitter& e, const Insn& in) {
    if (emit_stack_member(e, in)) return true;  // a member of a stack group (emit_stack.cpp)
    const unsigned n = in.opsize();
    if (in.far() || (n != 4 && n != 2) || !flat_stack(e) || !cs_flat(e)) return false;
    const uint32_t extra = in.nops() >= 1 && in.is_imm(0) ? (in.val[0] & 0xFFFF) : 0;
    x86::Assembler& a = e.a;
    stack_slot(e, 0);
    e.probe(n, false, true);
    if (n == 4) a.mov(x86::eax, Emitter::host_at(4));
    else a.movzx(x86::eax, Emitter::host_at(2));
    esp_after(e, int32_t(n + extra));
    e.set_rip_of_ret();
    return true;
}

bool emit_push(Emitter& e, const Insn& in) {
    if (emit_stack_member(e, in)) return true;  // a member of a stack group (emit_stack.cpp)
    if (in.opsize() != 4 || !flat_stack(e) || in.nops() != 1) return false;
    if (!(in.is_imm(0) || (in.is_reg(0) && Emitter::is_gpr(in.regv(0)) && in.size(0) == 4))) return false;
    x86::Assembler& a = e.a;
    stack_slot(e, -4);
    e.probe(4, true, true);
    if (in.is_imm(0)) a.mov(Emitter::host_at(4), in.val[0]);  // sign-extended already
    else {
        e.load_reg(x86::eax, in.regv(0));  // PUSH ESP pushes the value before the push
        a.mov(Emitter::host_at(4), x86::eax);
    }
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
    return true;
}

bool emit_pop(Emitter& e, const Insn& in) {
    if (emit_stack_member(e, in)) return true;  // a member of a stack group (emit_stack.cpp)
    if (in.opsize() != 4 || !flat_stack(e) || in.nops() != 1 || in.row->form != Form::Any) return false;
    if (!(in.is_reg(0) && Emitter::is_gpr(in.regv(0)) && in.size(0) == 4)) return false;
    x86::Assembler& a = e.a;
    stack_slot(e, 0);
    e.probe(4, false, true);
    a.mov(x86::eax, Emitter::host_at(4));
    esp_after(e, 4);
    e.store_reg(in.regv(0), x86::eax);  // POP ESP: the popped value wins
    return true;
}

bool emit_setcc(Emitter& e, const Insn& in) {
    if (in.nops() != 1 || in.size(0) != 1) return false;
    const unsigned cc = in.opcode & 0xF;
    if (in.is_reg(0)) {
        if (!Emitter::is_gpr(in.regv(0))) return false;
        const x86::CondCode c = e.cond(cc);
        x86::Gp r;
        if (e.regn(in.regv(0), r, true)) {
            e.a.set(c, r);  // `setl r8b`: AL..BL in their host register's low byte
        } else {
            e.a.set(c, x86::dl);
            e.store_reg(in.regv(0), x86::edx);
        }
    } else {
        if (!in.is_mem(0) || !e.mem_ok()) return false;
        e.ea();
        e.probe(1, true);
        const x86::CondCode c = e.cond(cc);
        e.a.set(c, x86::byte_ptr(x86::rbp));
    }
    return true;
}

bool emit_cmovcc(Emitter& e, const Insn& in) {
    if (in.nops() != 2 || !in.is_reg(0) || !Emitter::is_gpr(in.regv(0)) || in.size(0) < 2) return false;
    const unsigned n = in.size(0);
    if (in.is_reg(1)) {
        if (!Emitter::is_gpr(in.regv(1))) return false;
        e.load_reg(x86::edx, in.regv(1));
    } else {
        // The source is read whatever the condition (a fault comes either way).
        if (!in.is_mem(1) || !e.mem_ok()) return false;
        e.ea();
        e.probe(n, false);
        if (n == 4) e.a.mov(x86::edx, x86::dword_ptr(x86::rbp));
        else e.a.movzx(x86::edx, x86::word_ptr(x86::rbp));
    }
    const x86::CondCode c = e.cond(in.opcode & 0xF);
    e.load_reg(x86::eax, in.regv(0));
    e.a.cmov(c, x86::eax, x86::edx);
    e.store_reg(in.regv(0), x86::eax);
    return true;
}

} // namespace xlat
