// Native emitters of the system-flavoured rows that dominated the fallback calls of a Linux boot
// (translator/emitter.h): RDTSC (13.2 million fallback calls in a boot of the default guest, its
// delay loops), IN and OUT (0.85 million), PUSHF/PUSHFD (0.18 million).
//
// RDTSC, IN and OUT call small helpers of their own instead of the semantics function: no
// Insn, no catch frame, no statistics, and only the guest registers in caller-saved host
// registers are stored and loaded again around the call (ESP and EBP live in callee-saved r12
// and r13, the flags in r14, the memory operand in rbx and rbp: the call keeps them). What a
// helper can read of the guest (the instruction count, through the clock in --icount mode) is
// committed before it; what the interpreter checks (CR4.TSD, the I/O permission) is checked
// inline or decided at translation from the mode key, and anything that could fault goes to the
// instruction's slow path, whose semantics function raises the fault exactly.
#include "cpu/flags.h"
#include "cpu/mode.h"
#include "cpu/table.h"
#include "memory/clock.h"
#include "translator/emitter.h"

namespace xlat {

namespace {

constexpr unsigned kGprCount = 8;
// Guest registers whose host registers (translator/emitter.cpp, host_gpr) a call clobbers: EAX
// ECX EDX EBX (r8-r11), ESI EDI (rsi, rdi); ESP and EBP are in r12 and r13.
constexpr uint8_t kCallerSaved = 0xCF;

unsigned cpl_of(const Emitter& e) { return mode_cpl(e.key); }

// The displacement of CpuState inside Cpu: a helper's Cpu* is r15 minus it.
int32_t cpu_disp(const Emitter& e) {
    return int32_t(reinterpret_cast<const char*>(&e.cpu.s) - reinterpret_cast<const char*>(&e.cpu));
}

// Calls fn(Cpu*, esi, edx) where the emitter has put the arguments' values in ecx (-> esi) and
// edx already (rax and rbx are free). The exact instruction count goes to CpuState first (the
// clock reads it in --icount mode; `pending` stays as it is: the helper counts nothing). The
// guest registers of `kCallerSaved` that may be newer in the host are stored (and so current in
// CpuState, which does no harm: they are stored, not dropped) and all of them loaded again after
// the call, but those in `outputs`, which the instruction writes whole afterwards; so is the
// budget in xmm15 (caller-saved: R = icount_end - icount + pending, as the slow path restores
// it). The result is in rax. Host flags are clobbered.
void light_call(Emitter& e, const void* fn, uint8_t outputs) {
    x86::Assembler& a = e.a;
    const uint8_t keep = kCallerSaved & uint8_t(~outputs);
    e.emit_icount_store(e.pending, x86::rax, x86::rbx);
    if (e.regs_cached()) e.emit_store(e.dirty() & keep);
    a.mov(x86::esi, x86::ecx);
    a.lea(x86::rdi, x86::ptr(x86::r15, -cpu_disp(e)));
    a.mov(x86::rax, asmjit::imm(reinterpret_cast<uintptr_t>(fn)));
    a.call(x86::rax);  // rsp is 16-byte aligned at every call of a block (docs/translator.md)
    a.mov(x86::rbx, x86::qword_ptr(x86::r15, e.icount_end_disp));
    a.sub(x86::rbx, Emitter::field(offsetof(CpuState, icount), 8));
    if (e.pending) a.add(x86::rbx, int32_t(e.pending));
    a.movq(x86::xmm15, x86::rbx);
    a.punpcklqdq(x86::xmm15, x86::xmm15);  // both quadwords (docs/translator.md, "Fused entry tests")
    e.budget_reloaded = true;
    if (e.regs_cached())
        for (unsigned i = 0; i < kGprCount; ++i)
            if (keep & (1u << i))
                a.mov(Emitter::host_gpr(i), Emitter::field(offsetof(CpuState, gpr) + i * 8, 8));
    e.host_flags_changed();
}

// The TSC as the interpreter's RDTSC reads it (Cpu::tsc: the clock's ns plus the offset), at
// the instruction count committed by the block.
uint64_t helper_rdtsc(Cpu* c) noexcept { return c->tsc(); }

// IN and OUT whose permission the mode key settles (no protected-mode check needed: real mode,
// or CPL <= IOPL outside V86 mode; SDM Vol. 1, 19.5.1). I/O breakpoints need DR7 enables, which
// send the whole mode to the interpreter (cpu/mode.cpp), so none is armed while a block runs.
// The bus itself never raises a guest exception.
uint64_t helper_in(Cpu* c, uint32_t port, uint32_t size) noexcept { return c->io.read(uint16_t(port), size); }
uint64_t helper_out(Cpu* c, uint32_t port_size, uint32_t value) noexcept {
    c->io.write(uint16_t(port_size), port_size >> 16, value);
    return 0;
}

// STI with IF clear: the interrupt shadow, IF, and the exit request when an interrupt waits
// (cpu/misc.cpp, STI).
uint64_t helper_sti(Cpu* c) noexcept {
    c->s.inhibit_irq = kShadowIrq;
    c->s.eflags |= IF;
    c->interrupt_window_opened();
    return 0;
}

bool flat_stack(const Emitter& e) {
    const uint32_t bits = mode_bits(e.key);
    return (e.disabled & kDisableTlb) == 0 && (bits & kModeStack32) && (bits & (1u << (kModeFlatShift + SS)));
}

// The port needs no check at this mode key (see helper_in); nor do CLI and STI act on VIF or
// fault (SDM Vol. 2A, CLI, Table 3-7: real mode, or CPL <= IOPL outside V86 mode).
bool io_allowed(const Emitter& e) {
    const uint32_t bits = mode_bits(e.key);
    if (!(bits & kModePE)) return true;
    return !(bits & kModeVM) && cpl_of(e) <= ((bits >> kModeIoplShift) & 3);
}

} // namespace

// RDTSC: EDX:EAX = the TSC; at CPL > 0 with CR4.TSD set the slow path raises #GP(0). The
// instruction count is committed first (--icount time is the count, Cpu::time_ns); without a
// clock (bare test rigs) the TSC is the offset plus the count, read inline.
bool emit_rdtsc(Emitter& e, const Insn&) {
    x86::Assembler& a = e.a;
    if (cpl_of(e) != 0) {
        // CR4 is not in the mode key (a MOV to CR4 ends its block, but the block is reused).
        a.test(Emitter::field(offsetof(CpuState, cr4), 4), int32_t(CR4_TSD));
        a.jnz(e.slow());
    }
    if (e.cpu.clock) {
        light_call(e, reinterpret_cast<const void*>(&helper_rdtsc), (1u << EAX) | (1u << EDX));
    } else {
        e.emit_icount_store(e.pending, x86::rax, x86::rbx);
        a.mov(x86::rax, Emitter::field(offsetof(CpuState, tsc), 8));
        a.add(x86::rax, Emitter::field(offsetof(CpuState, icount), 8));
    }
    a.mov(x86::rdx, x86::rax);
    a.shr(x86::rdx, 32);
    e.store_reg(ZYDIS_REGISTER_EAX, x86::eax);
    e.store_reg(ZYDIS_REGISTER_EDX, x86::edx);
    return true;
}

// IN AL/AX/EAX, imm8 or DX and OUT imm8 or DX, AL/AX/EAX, where the mode key says the port needs
// no permission check. Devices may read the clock (icount) and the instruction's EIPs (a stop),
// so both are committed. After either the exit request is tested, as after a fallback call, and
// a set one leaves with the instruction done: everything a port write can do that the block must
// not run past asks for it (a memory map change or A20, kExitCode; an interrupt, kExitIrq; a
// reset or power-off, kExitStop; a clock event due sooner, kExitTimer). OUT ended its block
// until 2026-12-06: Linux's io_delay (`out 0x80, al; ret`, 1.4 million times in a boot) then
// returned to the dispatcher every time, and its RET missed the return stack.
bool emit_in(Emitter& e, const Insn& in) {
    const bool out = in.mnem() == ZYDIS_MNEMONIC_OUT;
    const unsigned pi = out ? 0 : 1, di = out ? 1 : 0;  // port and data operands
    if (in.nops() < 2 || !io_allowed(e) || !in.is_reg(di)) return false;
    const unsigned size = in.size(di);
    if (size != 1 && size != 2 && size != 4) return false;
    x86::Assembler& a = e.a;
    if (in.is_imm(pi)) a.mov(x86::ecx, uint32_t(in.val[pi] & 0xFF));
    else if (in.is_reg(pi) && in.regv(pi) == ZYDIS_REGISTER_DX) e.load_reg(x86::ecx, ZYDIS_REGISTER_DX);
    else return false;
    a.mov(Emitter::field(offsetof(CpuState, insn_eip), 4), e.eip);
    e.set_rip(in.next_eip);
    if (out) {
        e.load_reg(x86::edx, in.regv(di));
        a.or_(x86::ecx, int32_t(size << 16));
        light_call(e, reinterpret_cast<const void*>(&helper_out), 0);
    } else {
        a.mov(x86::edx, size);
        light_call(e, reinterpret_cast<const void*>(&helper_in), size == 4 ? (1u << EAX) : 0);
        e.store_reg(in.regv(di), x86::eax);
    }
    // A device may have asked for the dispatcher (an interrupt, a stop, a new memory map): the
    // instruction is done, so it leaves as a slow path that saw the exit request does
    // (Emitter::end_native).
    asmjit::Label stay = a.newLabel();
    a.cmp(e.exit_word(), 0);
    a.je(stay);
    e.emit_store(e.dirty());
    e.emit_flags_store(true);
    a.add(Emitter::field(offsetof(CpuState, icount), 8), 1);
    a.xor_(x86::eax, x86::eax);
    if (e.stop_exit.isValid()) a.jmp(e.stop_exit);
    else a.jmp(asmjit::imm(e.epilogue));
    a.bind(stay);
    return true;
}

// PUSHF/PUSHFD outside V86 mode (there IOPL and CR4.VME decide: the semantics function) on a
// flat 32-bit stack: the image is CpuState::eflags with the arithmetic flags from r14, VM and RF
// clear (SDM Vol. 2B, PUSHF/PUSHFD); a 16-bit PUSHF pushes the low word.
bool emit_pushf(Emitter& e, const Insn& in) {
    const unsigned n = in.opsize();
    if ((mode_bits(e.key) & kModeVM) || !flat_stack(e) || (n != 2 && n != 4)) return false;
    x86::Assembler& a = e.a;
    a.mov(x86::ecx, Emitter::field(offsetof(CpuState, eflags), 4));
    if (e.flags_cached()) {
        a.and_(x86::ecx, int32_t(~(VM | RF | kArithFlags)));
        Emitter::emit_r14_to_eflags_bits(a, x86::eax);  // r14's layout: emitter.h
        a.or_(x86::ecx, x86::eax);
    } else {
        a.and_(x86::ecx, int32_t(~(VM | RF)));
    }
    e.load_reg(x86::ebx, ZYDIS_REGISTER_ESP);
    a.sub(x86::ebx, int32_t(n));
    e.probe(n, true);
    if (n == 4) a.mov(x86::dword_ptr(x86::rbp), x86::ecx);
    else a.mov(x86::word_ptr(x86::rbp), x86::cx);
    e.store_reg(ZYDIS_REGISTER_ESP, x86::ebx);
    return true;
}

// CLD, STD: DF lives in CpuState::eflags (only helpers and these change it; the string
// instructions read it there at run time).
bool emit_cld_std(Emitter& e, const Insn& in) {
    const x86::Mem fl = Emitter::field(offsetof(CpuState, eflags), 4);
    if (in.mnem() == ZYDIS_MNEMONIC_STD) e.a.or_(fl, int32_t(DF));
    else e.a.and_(fl, int32_t(~DF));
    e.host_flags_changed();
    return true;
}

// CLI and STI where they change IF itself (no VIF, no #GP: see io_allowed). STI ends its block
// (kEndsBlock), so the dispatcher sees the new IF, its interrupt shadow and the exit request at
// once; STI with IF set already changes nothing (no shadow: SDM Vol. 2B, STI). CLI goes on in
// its block (it ended it until 2026-12-06: about 110,000 returns to the dispatcher in a boot of
// the default guest, each dropping the return stack).
bool emit_cli_sti(Emitter& e, const Insn& in) {
    if (!io_allowed(e)) return false;
    x86::Assembler& a = e.a;
    const x86::Mem fl = Emitter::field(offsetof(CpuState, eflags), 4);
    if (in.mnem() == ZYDIS_MNEMONIC_CLI) {
        a.and_(fl, int32_t(~IF));
    } else {
        asmjit::Label set = a.newLabel();
        a.test(fl, int32_t(IF));
        a.jnz(set);
        a.xor_(x86::ecx, x86::ecx);
        light_call(e, reinterpret_cast<const void*>(&helper_sti), 0);
        a.bind(set);
    }
    e.host_flags_changed();
    if (in.mnem() == ZYDIS_MNEMONIC_STI) e.set_rip(in.next_eip);
    return true;
}

} // namespace xlat
