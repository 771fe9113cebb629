// The CPU of one machine: its architectural state plus the operations every semantics function
// shares (operand plumbing, segmented memory access, the stack, segment loads, control transfers,
// interrupt delivery). The instruction semantics live in the category files (alu.cpp, ...).
#pragma once
#include <Zydis/Zydis.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "cpu/debug_stops.h"
#include "cpu/descriptor.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/state.h"
#include "memory/clock.h"
#include "memory/fault.h"
#include "memory/iobus.h"
#include "memory/irq.h"
#include "memory/mmu.h"
#include "memory/trace.h"

namespace xlat {

// Why the run loop stopped; set in CpuState::pending_exit.
enum class StopReason : uint8_t {
    None = 0,
    ExitPort,     // the guest wrote the exit port
    MaxInsns,     // --max-insns reached
    TripleFault,  // shutdown (a fault while delivering a double fault)
    HaltForever,  // HLT with interrupts disabled and no device that could wake the CPU
    Reset,        // the machine asked for a reset
    OutputError,  // the host could not write the guest's output (the debug console)
    Debug,        // the debugger's breakpoint, watchpoint or single step (Cpu::debugger)
    Quit,         // the GDB stub, QMP or the monitor asked to quit (Cpu::exit_status)
};

// The forms that share a mnemonic with plain ones but are sensitive and unprivileged (xlat
// explain counts them apart: MOV, PUSH, POP, CALL, JMP and RET each cover both kinds).
enum class SensitiveForm : uint8_t { MovFromSreg, MovToSreg, PushSreg, PopSreg, FarCall, FarJmp, FarRet, kCount };

struct CpuStats {
    std::array<uint64_t, ZYDIS_MNEMONIC_MAX_VALUE + 1> executed{};  // retired, per mnemonic
    // With Cpu::count_forms (xlat explain): the sensitive forms above, and INT n per vector,
    // as they retire (all of them are helper calls, counted in helper_semantics).
    std::array<uint64_t, size_t(SensitiveForm::kCount)> forms{};
    std::array<uint64_t, 256> int_n{};
    std::array<uint64_t, ZYDIS_MNEMONIC_MAX_VALUE + 1> unimplemented{};  // #UD raised for lack of a row
    uint64_t undecodable = 0;   // #UD raised because the bytes are not an instruction
    uint64_t exceptions[32] = {};  // exceptions delivered, per vector
    uint64_t interrupts = 0;    // INT n and external interrupts delivered
    std::array<uint64_t, 256> external{};  // external interrupts (PIC, APIC) delivered, per vector
};

// How an interrupt was raised: it decides the pushed EIP, the DPL check and the error code.
enum class IntSource : uint8_t {
    Exception,  // a fault or trap raised by the CPU
    Software,   // INT n, INT3, INTO: gate DPL checked against CPL, EIP after the instruction
    External,   // a hardware interrupt (PIC, APIC)
    Icebp,      // INT1 (F1): like an exception, but EIP after the instruction
};

class Cpu {
public:
    Cpu(Mmu& mmu, IoBus& io, const Tracer& trace);

    CpuState s{};        // architectural state
    Mmu& mmu;            // linear address space
    IoBus& io;           // port address space
    const Tracer& trace; // --trace
    CpuStats stats;      // --stats
    bool count_forms = false;  // count CpuStats::forms and int_n (xlat explain); one test per helper call otherwise

    // Adds a retired instruction to CpuStats::forms or int_n when it is one of those forms.
    void count_form(const Insn& in);

    // Puts the CPU in the power-on state of the Intel SDM (Vol. 3A, 9.1.1, Table 9-1).
    void reset();

    // ---- modes ----
    bool protected_mode() const { return s.cr0 & CR0_PE; }
    bool v86() const { return s.eflags & VM; }
    bool real_mode() const { return !(s.cr0 & CR0_PE); }
    bool user() const { return s.cpl == 3; }
    bool code32() const { return s.seg[CS].attr & SEG_DB; }
    bool stack32() const { return s.seg[SS].attr & SEG_DB; }
    uint8_t iopl() const { return uint8_t((s.eflags >> 12) & 3); }
    // True when CLI, STI, PUSHF, POPF and IRET work on VIF instead of IF: V86 mode with CR4.VME,
    // or CPL 3 with CR4.PVI, and IOPL < 3 (SDM Vol. 3A, 20.3 and 20.4).
    bool virtual_if() const {
        if (!protected_mode() || iopl() == 3) return false;
        return v86() ? (s.cr4 & CR4_VME) : (s.cpl == 3 && (s.cr4 & CR4_PVI));
    }

    // ---- registers ----
    uint8_t reg8(unsigned i) const {  // AL CL DL BL AH CH DH BH
        return i < 4 ? uint8_t(s.reg32(i)) : uint8_t(s.reg32(i - 4) >> 8);
    }
    void set_reg8(unsigned i, uint8_t v) {
        if (i < 4) s.set_reg32(i, (s.reg32(i) & ~0xFFu) | v);
        else s.set_reg32(i - 4, (s.reg32(i - 4) & ~0xFF00u) | (uint32_t(v) << 8));
    }
    uint16_t reg16(unsigned i) const { return uint16_t(s.reg32(i)); }
    void set_reg16(unsigned i, uint16_t v) { s.set_reg32(i, (s.reg32(i) & ~0xFFFFu) | v); }
    // A general register by size (1, 2, 4): 16-bit writes keep the upper half.
    uint32_t reg(unsigned i, unsigned size) const {
        return size == 1 ? reg8(i) : size == 2 ? reg16(i) : s.reg32(i);
    }
    void set_reg(unsigned i, unsigned size, uint32_t v) {
        if (size == 1) set_reg8(i, uint8_t(v));
        else if (size == 2) set_reg16(i, uint16_t(v));
        else s.set_reg32(i, v);
    }
    // A Zydis register operand: general registers, segment selectors, CR/DR. The 32-bit
    // general registers, the common case, take the inline path.
    uint32_t get(ZydisRegister r) const {
        const unsigned g = unsigned(r) - ZYDIS_REGISTER_EAX;
        if (g < 8) return s.reg32(g);
        const unsigned b = unsigned(r) - ZYDIS_REGISTER_AL;  // AL CL DL BL AH CH DH BH
        return b < 8 ? reg8(b) : get_slow(r);
    }
    void set(ZydisRegister r, uint32_t v) {
        const unsigned g = unsigned(r) - ZYDIS_REGISTER_EAX;
        const unsigned b = unsigned(r) - ZYDIS_REGISTER_AL;
        if (g < 8) s.set_reg32(g, v);
        else if (b < 8) set_reg8(b, uint8_t(v));
        else set_slow(r, v);
    }
    // The size-masked value of (E)CX, (E)SI, (E)DI for an address size of 2 or 4 bytes, and
    // writes that keep the upper half for 16-bit addressing.
    uint32_t areg(Gpr g, unsigned asize) const { return asize == 2 ? s.reg32(g) & 0xFFFF : s.reg32(g); }
    void set_areg(Gpr g, unsigned asize, uint32_t v) {
        if (asize == 2) set_reg16(g, uint16_t(v)); else s.set_reg32(g, v);
    }

    // ---- flags ----
    bool flag(uint32_t f) const { return s.eflags & f; }
    void set_flag(uint32_t f, bool on) { s.eflags = on ? s.eflags | f : s.eflags & ~f; }
    // Replaces the six arithmetic flags (CF PF AF ZF SF OF) with f.
    void set_arith(uint32_t f) { s.eflags = (s.eflags & ~kArithFlags) | (f & kArithFlags); }
    // Condition code cc (0-15, the low nibble of Jcc/SETcc/CMOVcc opcodes).
    bool cond(unsigned cc) const;
    // Writes EFLAGS as POPF/IRET do, keeping the bits `keep` (e.g. VM, IOPL, IF by privilege).
    void write_eflags(uint32_t v, uint32_t changeable);

    // ---- operands (explicit operand i of insn) ----
    // Effective address (offset within the segment) of the memory operand (an instruction has at
    // most one: Insn::mem; `i` names which operand it is, for readability), from current registers.
    uint32_t ea(const Insn& in, unsigned) const {
        const InsnMem& m = in.mem;
        uint32_t a = m.disp;
        if (m.base != ZYDIS_REGISTER_NONE) a += get(ZydisRegister(m.base));
        if (m.index != ZYDIS_REGISTER_NONE) a += get(ZydisRegister(m.index)) * m.scale;
        return in.addrsize() == 2 ? a & 0xFFFF : a;
    }
    SegReg seg_of(const Insn& in, unsigned) const { return segreg(ZydisRegister(in.mem.segment)); }
    // Reads operand i (register, memory or immediate), zero-extended to 32 bits.
    uint32_t rd_op(const Insn& in, unsigned i) {
        switch (in.type(i)) {
        case ZYDIS_OPERAND_TYPE_REGISTER: return get(in.regv(i));
        case ZYDIS_OPERAND_TYPE_MEMORY: return rd(seg_of(in, i), ea(in, i), in.size(i));
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
            // A sign-extended immediate (83 /x ib, 6A, 6B ...) takes the instruction's operand
            // size; Zydis reports the size of the encoded field.
            return in.val[i] & size_mask(in.imm_signed(i) ? in.opsize() : in.size(i));
        default: undefined(&in);
        }
    }
    // Writes operand i (register or memory), truncated to its size.
    void wr_op(const Insn& in, unsigned i, uint32_t v) {
        if (in.is_reg(i)) return set(in.regv(i), v);
        if (in.is_mem(i)) return wr(seg_of(in, i), ea(in, i), in.size(i), v);
        undefined(&in);
    }
    // For read-modify-write: checks that operand i can be written (segment and page) before it
    // is read, so that a failing write leaves nothing committed.
    void probe_op(const Insn& in, unsigned i) {
        if (in.is_mem(i)) probe_wr(seg_of(in, i), ea(in, i), in.size(i));
    }

    // ---- segmented memory ----
    // Linear address of [seg:off] for an access of `size` bytes, after the segment checks
    // (limit, type, presence): #GP(0), or #SS(0) for SS.
    uint32_t linear(SegReg sr, uint32_t off, unsigned size, Access acc) {
        const SegmentCache& c = s.seg[sr];
        if ((seg_ok_[sr] & (1u << unsigned(acc))) && off <= c.limit && c.limit - off >= size - 1)
            return c.base + off;
        return linear_slow(sr, off, size, acc);
    }
    // The fast path inline: a segment access the fast path of linear() takes, no alignment
    // check or data breakpoint to look at, a TLB hit.
    uint32_t rd(SegReg sr, uint32_t off, unsigned size) {
        const uint32_t lin = linear(sr, off, size, Access::Read);
        if (s.cpl == 3 || data_breakpoints_) return rd_checked(lin, size);
        switch (size) {
        case 1: return mmu.read<uint8_t>(lin, false);
        case 2: return mmu.read<uint16_t>(lin, false);
        default: return mmu.read<uint32_t>(lin, false);
        }
    }
    void wr(SegReg sr, uint32_t off, unsigned size, uint32_t v) {
        const uint32_t lin = linear(sr, off, size, Access::Write);
        if (s.cpl == 3 || data_breakpoints_) return wr_checked(lin, size, v);
        switch (size) {
        case 1: return mmu.write<uint8_t>(lin, uint8_t(v), false);
        case 2: return mmu.write<uint16_t>(lin, uint16_t(v), false);
        default: return mmu.write<uint32_t>(lin, v, false);
        }
    }
    // Per segment register, the Access kinds linear() passes with the limit check alone (the
    // translator's inline probe of a segment that is not flat reads these).
    const uint8_t* seg_ok() const { return seg_ok_; }
    uint8_t rd8(SegReg sr, uint32_t off) { return uint8_t(rd(sr, off, 1)); }
    uint16_t rd16(SegReg sr, uint32_t off) { return uint16_t(rd(sr, off, 2)); }
    uint32_t rd32(SegReg sr, uint32_t off) { return rd(sr, off, 4); }
    void wr8(SegReg sr, uint32_t off, uint8_t v) { wr(sr, off, 1, v); }
    void wr16(SegReg sr, uint32_t off, uint16_t v) { wr(sr, off, 2, v); }
    void wr32(SegReg sr, uint32_t off, uint32_t v) { wr(sr, off, 4, v); }
    // Checks a write of size bytes at seg:off without doing it.
    void probe_wr(SegReg sr, uint32_t off, unsigned size) {
        mmu.probe_write(linear(sr, off, size, Access::Write), size, user());
    }
    // Linear-address accesses with supervisor rights (descriptor tables, TSS, IDT).
    uint32_t sys_rd(uint32_t lin, unsigned size);
    void sys_wr(uint32_t lin, unsigned size, uint32_t v);

    // ---- stack ----
    // The stack pointer is ESP or SP by SS.B. Pushes and pops work on a local copy `sp` so that a
    // multi-word transfer commits ESP only after every access succeeded: 
    //   uint32_t sp = c.s.reg32(ESP); sp = c.push_at(sp, 2, v1); sp = c.push_at(sp, 2, v2); c.set_sp(sp);
    uint32_t sp_mask() const { return stack32() ? 0xFFFFFFFFu : 0xFFFFu; }
    uint32_t push_at(uint32_t sp, unsigned size, uint32_t v) {  // returns the new sp
        const uint32_t m = sp_mask();
        const uint32_t nsp = (sp & ~m) | ((sp - size) & m);
        wr(SS, nsp & m, size, v);
        return nsp;
    }
    uint32_t pop_at(uint32_t sp, unsigned size, uint32_t& v) {  // returns the new sp
        const uint32_t m = sp_mask();
        v = rd(SS, sp & m, size);
        return (sp & ~m) | ((sp + size) & m);
    }
    void set_sp(uint32_t sp) {
        if (stack32()) s.set_reg32(ESP, sp); else set_reg16(ESP, uint16_t(sp));
    }
    void push(unsigned size, uint32_t v) { set_sp(push_at(s.reg32(ESP), size, v)); }
    uint32_t pop(unsigned size) { uint32_t v; set_sp(pop_at(s.reg32(ESP), size, v)); return v; }

    // ---- segments ----
    // Loads a segment register as MOV/POP/LDS do: in real and V86 mode base = sel * 16 and the
    // rest of the cache stays; in protected mode the descriptor is checked and loaded.
    void load_seg(SegReg sr, uint16_t sel);
    // Sets a segment register in real-mode fashion (base = sel << 4), keeping limit and attributes.
    void load_seg_real(SegReg sr, uint16_t sel);
    // Recomputes what a segment allows after its cache or the mode changed.
    void seg_changed(SegReg sr);
    void mode_changed();  // CR0.PE, EFLAGS.VM or CPL changed
    // Installs new CR0, CR3, CR4 and EFER values and hands the paging state to the MMU. With PAE
    // paging this loads the PDPTEs, raising #GP(0) (and changing nothing) when one has a
    // reserved bit set.
    void load_paging_regs(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint64_t efer);
    void update_paging() { load_paging_regs(s.cr0, s.cr3, s.cr4, s.efer); }
    // After CpuState was written as a whole (a snapshot loaded, a test's setup): rebuilds what
    // is derived from it (segment rights, breakpoint summaries, the MMU's paging state with the
    // PDPTE registers as they are in the state, not reread from memory).
    void state_loaded();

    // ---- control transfer ----
    // Near jump to `target` (already masked to the operand size): #GP(0) beyond the CS limit.
    void jump_near(uint32_t target);

    // Far transfers with every real-, V86- and protected-mode rule: code segments, call gates
    // (with parameter copying and stack switch), task gates and TSS descriptors (SDM Vol. 2A
    // JMP/CALL, Vol. 2B RET/IRET). `osz` is the operand size in bytes (2 or 4); `ret_eip` is
    // the offset of the next instruction.
    void far_jmp(uint16_t sel, uint32_t off, unsigned osz, uint32_t ret_eip);
    void far_call(uint16_t sel, uint32_t off, unsigned osz, uint32_t ret_eip);
    void far_ret(unsigned osz, uint16_t imm);
    void iret(unsigned osz);

    // CR4.VME: whether INT n in V86 mode goes to the V86 task's IVT, and that delivery.
    bool v86_redirected(uint8_t vec);
    void v86_interrupt(uint8_t vec, uint32_t ret_eip);

    // Hardware task switch to the TSS selected by `sel` (SDM Vol. 3A, 7.3). `ret_eip` is saved
    // as the old task's EIP. For exceptions, `error` is pushed on the new task's stack.
    enum class TaskSwitch : uint8_t { Jmp, Call, Iret, Int };
    void task_switch(uint16_t sel, TaskSwitch kind, uint32_t ret_eip, bool has_error = false,
                     uint32_t error = 0);

    // ---- interrupts ----
    // Delivers vector `vec` now: through the IVT in real mode, the IDT in protected mode.
    // `ret_eip` is the EIP pushed (the instruction for faults, the next one for INT n).
    void interrupt(uint8_t vec, IntSource src, uint32_t ret_eip, bool has_error = false,
                   uint32_t error = 0);
    // Delivers a fault caught by the run loop, applying the double- and triple-fault rules.
    void deliver_fault(const GuestFault& f);
    // At an instruction boundary: takes a pending NMI or (with IF set and no interrupt shadow)
    // an INTR from the interrupt source; wakes a halted CPU. Returns true when one was taken.
    bool accept_interrupts();
    InterruptSource* intr_source = nullptr;  // the interrupt controller, if any
    // The local APIC, if the machine has one (then also intr_source): told about IA32_APIC_BASE
    // writes; its presence and ID show in CPUID leaf 1.
    LocalApicPort* apic = nullptr;
    // After IF rose (STI, POPF, IRET, a task switch) or NMI blocking ended: an interrupt held
    // back until now is taken at the next boundary. The run loop only looks when the exit
    // request says so (docs/runloop.md), and a controller signals only when INTR rises.
    void interrupt_window_opened() {
        if (s.nmi_pending || (intr_source && intr_source->intr())) request_exit(kExitIrq);
    }
    // Raises #UD for an instruction we cannot run, counting it.
    [[noreturn]] void undefined(const Insn* in);

    // ---- ports ----
    // IN/OUT with the protected-mode permission checks (IOPL, then the TSS I/O bitmap).
    uint32_t port_in(uint16_t port, unsigned size);
    void port_out(uint16_t port, unsigned size, uint32_t v);

    // ---- x87 errors in MS-DOS compatibility mode (CR0.NE=0; SDM Vol. 1, Appendix D) ----
    // An unmasked x87 exception asserts FERR# when the instruction that caused it completes; the
    // next waiting x87 instruction then freezes until an interrupt arrives, unless IGNNE# is
    // asserted. The chipset wires `ferr_hook` to IRQ13 and drives `s.ignne` (port F0h). Until it
    // does (no hook), waiting instructions go on as if IGNNE# were asserted, logged under
    // --trace cpu. The pins' states are CpuState::ferr and ::ignne. Defined in cpu/x87.cpp.
    void (*ferr_hook)(void* ctx, bool asserted) = nullptr;
    void* ferr_ctx = nullptr;
    void set_ferr(bool asserted);

    // ---- time ----
    // The machine's clock (null in bare test rigs: time is then the instruction count). The TSC
    // counts at 1 GHz of that clock: CpuState::tsc holds its offset from the clock's reading.
    Clock* clock = nullptr;
    uint64_t time_ns() const { return clock ? clock->now() : s.icount; }
    uint64_t tsc() const { return s.tsc + time_ns(); }
    void set_tsc(uint64_t v) { s.tsc = v - time_ns(); }

    // ---- run control (docs/runloop.md) ----
    void request_stop(StopReason r) {
        if (!s.pending_exit) s.pending_exit = uint8_t(r);
        request_exit(kExitStop);
    }
    // The exit request: one word that the executor (interpreter or translated block) tests at
    // every block entry; any thread may set bits in it. It is not architectural state: it only
    // says "leave the block loop and look". Bits:
    static constexpr uint32_t kExitStop = 1;   // a stop reason is pending (CpuState::pending_exit)
    static constexpr uint32_t kExitIrq = 2;    // INTR or NMI may have changed: look at the controller
    static constexpr uint32_t kExitTimer = 4;  // the clock's earliest deadline has passed
    static constexpr uint32_t kExitAsync = 8;  // another thread (monitor, GDB stub, signal) asks
    static constexpr uint32_t kExitCode = 16;  // the JIT's: translated code was written or the memory
                                               // map changed; its dispatcher clears it
    std::atomic<uint32_t> exit_request{0};
    void request_exit(uint32_t bits) { exit_request.fetch_or(bits, std::memory_order_release); }
    // The translator's scratch word: a stack group's host address while its block runs
    // (translator/emit_stack.cpp). Nothing between blocks.
    uint64_t jit_group_base = 0;
    // The translator's other scratch words: what a lazy flag writer's recipe needs that the
    // block overwrites (translator/jit.cpp, docs/translator.md "Lazy flags before a writer"):
    // [0] a shift's operand as it was or an INC/DEC's CF, [1] and [2] its first and second
    // operand's registers as it left them. Nothing between blocks.
    uint32_t jit_flag_stash[3] = {0, 0, 0};
    // The executor's budget: the CpuState::icount at which it stops. A REP string instruction
    // counts one per iteration and stops between iterations when it gets there (cpu/string.cpp).
    uint64_t icount_end = UINT64_MAX;
    int exit_status = 0;  // for StopReason::ExitPort

    // ---- debug registers ----
    void debug_regs_changed();  // after DR7 (or DR0-DR3) changed
    // Records in debug_hits the data breakpoints an access of `size` bytes at `lin` matches.
    void check_data_breakpoints(uint32_t lin, unsigned size, bool write);
    // Records in debug_hits the I/O breakpoints (CR4.DE) a port access matches.
    void check_io_breakpoints(uint16_t port, unsigned size);
    // DR6 B0-B3 bits of the instruction breakpoints set at linear address `lin`.
    uint32_t code_breakpoint_hits(uint32_t lin) const {
        return code_breakpoints_ ? code_breakpoint_hits_slow(lin) : 0;
    }
    // ---- the debugger's stops (cpu/debug_stops.h) ----
    // The machine thread edits `debugger` and then calls debugger_changed(). The executor
    // calls debugger_stop_before() at every instruction boundary and debugger_stop_after()
    // after every instruction while debugger_armed() (one load when nothing is set); a true
    // result ends its run with StopReason::Debug. A JIT dispatcher must do the same: end
    // blocks at breakpoint addresses, or run the interpreter while debugger_armed().
    DebugStops debugger;
    void debugger_changed();
    bool debugger_armed() const { return debugger_armed_; }
    bool debugger_stop_before();
    bool debugger_stop_after();
    // True when some data breakpoint (DR7 or the debugger's watches) makes every data access
    // go through check_data_breakpoints.
    bool data_watched() const { return data_breakpoints_; }

    // Data and I/O breakpoints hit by the current instruction (DR6 B0-B3): scratch of one
    // instruction, cleared as it begins and turned into a #DB (or CpuState::held_dr6) as it ends.
    uint32_t debug_hits = 0;

    static SegReg segreg(ZydisRegister r) { return SegReg(r - ZYDIS_REGISTER_ES); }

private:
    uint32_t linear_slow(SegReg sr, uint32_t off, unsigned size, Access acc);
    uint32_t get_slow(ZydisRegister r) const;
    void set_slow(ZydisRegister r, uint32_t v);
    // rd and wr at CPL 3 (alignment checks) or with data breakpoints, at linear address `lin`.
    uint32_t rd_checked(uint32_t lin, unsigned size);
    void wr_checked(uint32_t lin, unsigned size, uint32_t v);
    void check_io_permission(uint16_t port, unsigned size);
    void deliver_real(uint8_t vec, uint32_t ret_eip);
    void deliver_protected(uint8_t vec, IntSource src, uint32_t ret_eip, bool has_error, uint32_t error);
    // Loads SS:ESP for privilege level `dpl` from the current TSS (SDM Vol. 3A, 5.8.5).
    void inner_stack(unsigned dpl, uint16_t& ss, uint32_t& esp);
    // Checks a new stack segment for a privilege change to `dpl`; raises `vec` (#TS or #GP)
    // with the selector, or #SS when not present. Returns its descriptor.
    SegmentCache check_new_ss(uint16_t ss, unsigned dpl, uint8_t vec);
    // After a return to an outer level: data segments the new CPL may not use become null.
    void null_inaccessible_segments();
    // Loads CS from a checked code descriptor at privilege `cpl` (RPL = CPL), marking it accessed.
    void load_cs(uint16_t sel, Descriptor& d, unsigned cpl);
    // The checks of a direct far JMP or CALL to a code segment at the current privilege.
    void check_direct_code(uint16_t sel, const Descriptor& d);
    // The checks of the CS popped by RET or IRET; returns its descriptor.
    Descriptor check_return_cs(uint16_t sel);
    // The checks of the SS popped by a return to outer level `rpl`; returns it loaded.
    SegmentCache check_outer_ss(uint16_t ss, unsigned rpl);

    // Per segment register: bit per Access kind (Read, Write, Exec) that the fast path of
    // linear() may take without further checks; the limit is always checked.
    uint8_t seg_ok_[kSegCount] = {};
    uint32_t code_breakpoint_hits_slow(uint32_t lin) const;
    bool data_breakpoints_ = false;  // some DR0-DR3 or debugger watch sees data writes or reads
    bool debugger_armed_ = false;    // debugger.any()
    bool code_breakpoints_ = false;  // some DR0-DR3 watches instruction fetches
    bool io_breakpoints_ = false;    // some DR0-DR3 watches ports (CR4.DE)
};

} // namespace xlat
