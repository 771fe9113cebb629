// The native emitter's shared machinery: one Emitter per block being translated. The per-category
// emitters (emit_alu.cpp, emit_control.cpp) use it to reach guest registers and memory, capture
// guest flags and leave through the block's exits; translator/emit_table.cpp maps rows to them by
// mnemonic, so cpu/ needs no change. Conventions (docs/translator.md): r15 is the CpuState, the
// guest registers live in host registers (host_gpr) and the arithmetic flags in r14 inside a
// block; rbx holds the linear address of a memory operand and rbp its host address on the fast
// path (both callee-saved, so they survive a helper call); rax, rcx, rdx are scratch.
//
// An emitter either declines (returns false having emitted nothing; the instruction becomes a
// fallback call) or emits the whole instruction. A memory operand takes the inline TLB probe;
// on a miss (or MMIO, a code page, a page crossing) the whole instruction runs through its
// semantics function instead (helper_slow), which also raises its faults exactly.
#pragma once
#include <Zydis/Zydis.h>
#include <asmjit/x86.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "memory/mmu.h"

namespace xlat {

namespace x86 = asmjit::x86;

// Categories of native emission that --jit-disable can switch off (besides the rows' own).
enum JitDisable : uint32_t {
    kDisableAlu = 1u << 0,      // "alu": ALU group, INC/DEC, NEG/NOT
    kDisableMove = 1u << 1,     // "move": MOV, MOVZX/MOVSX, LEA, XCHG, CBW/CWDE/CDQ
    kDisableControl = 1u << 2,  // "control": Jcc, JMP, CALL, RET
    kDisableStack = 1u << 3,    // "stack": PUSH, POP
    kDisableCond = 1u << 4,     // "cond": SETcc, CMOVcc
    kDisableTlb = 1u << 5,      // "tlb": no inline memory access (memory forms fall back)
    kDisableFlags = 1u << 6,    // "flags": no liveness (every flag written is captured)
    kDisableChain = 1u << 7,    // "chain": every block returns to the dispatcher (no links, no inline jump cache)
    kDisableAll = 1u << 8,      // "all": no native emission at all
    kDisableShift = 1u << 9,    // "shift": shifts and rotates
    kDisableMuldiv = 1u << 10,  // "muldiv": MUL, IMUL
    kDisableBit = 1u << 11,     // "bit": BT, BTS, BTR, BTC
    kDisableString = 1u << 12,  // "string": REP MOVS, REP STOS
    kDisableRegs = 1u << 13,    // "regs": guest registers stay in CpuState (no host-register cache)
    kDisableSimple = 1u << 14,  // "simple": NOP, BSWAP
    kDisableSys = 1u << 15,     // "sys": RDTSC, IN, OUT, CLI, STI, CLD, STD
    kDisableRetStack = 1u << 16,  // "retstack": RET through the inline jump cache (no host return stack)
    kDisableStackGroup = 1u << 17,  // "stackgroup": one probe per stack access (no shared probe, emit_stack.cpp)
    kDisableBounds = 1u << 18,  // "bounds": no constant-page probes from register bounds (every probe indexes the TLB by address)
    kDisableLoopFlags = 1u << 19,  // "loopflags": a block that loops to itself captures its CMP's flags on the back edge
    kDisableSuperblocks = 1u << 20,  // "superblocks": every Jcc ends its block (no side exits)
    kDisableLearn = 1u << 21,   // "learn": a superblock goes on at every Jcc's way not taken (no learnt ways)
    kDisableBmi2 = 1u << 22,    // "bmi2": no BMI2 instructions even where the host has them (the TLB probe's RORX)
    kDisablePageTable = 1u << 23,  // "pagetable": the data probe indexes the TLB and compares its tag (no fast pages)
    kDisablePredict = 1u << 24,  // "predict": the data probe loads the addend before the access (no predicted addend)
    kDisableFuse = 1u << 25,     // "fuse": every chained jump enters its target's entry test (no fused entry tests)
    kDisableTwoTurns = 1u << 26,  // "twoturns": a self-loop without lazy flags runs one turn per entry test
    kDisableGroupReuse = 1u << 27,  // "groupreuse": a self-loop's second copy probes its stack group every turn
    kDisableBackward = 1u << 28,  // "backward": a superblock ends at a Jcc backward (no ways learnt backward)
    kDisableTraces = 1u << 29,    // "traces": a self-loop's side exit leaves the block (no side trace back into the loop)
    kDisableSelect = 1u << 30,    // "select": a side trace's two ways stay a branch (no select of both in the loop)
};
// Whether emitted code may use BMI2 (RORX): the host has it (CPUID leaf 7, EBX bit 8) and
// `disabled` does not switch it off. The code computes the same either way.
bool jit_bmi2(uint32_t disabled);
// Parses a comma-separated --jit-disable list; throws std::invalid_argument naming a bad item.
uint32_t parse_jit_disable(const std::string& list);

// Out-of-line code queued while a block is emitted, emitted after its body (Emitter::emit_cold)
// in the order queued: a native instruction's slow path (end_native) as a plain record, or
// other deferred code (Emitter::defer). A record instead of a closure per slow path: those were
// a heap allocation each (docs/translator.md, "What a translation costs").
struct ColdCode {
    const Insn* insn = nullptr;   // the slow path's instruction; null: `f` instead
    asmjit::Label slow;           // its entry (an instruction's: where its jumps to Emitter::slow() go)
    uint32_t slow_rel = 0;        // a probe's part: its entry is where the one jump whose rel32 is here goes
    uint32_t back = 0;            // where it rejoins the fast path (an offset in the block's code)
    int before = 0;               // Emitter::pending as the instruction began
    uint32_t at = 0;              // its EIP
    uint8_t spill_set = 0;        // the dirty registers as it began
    bool flags_set = false;       // r14 dirty as it began
    uint32_t host_ok = 0;         // the host flags the fast path leaves as the guest's
    bool lazy = false;            // Emitter::lazy as it began: the slow path does its recipe first
    const Insn* recipe = nullptr; // ... Emitter::recipe then (a block may hold several lazy writers)
    bool rip_to_eax = false;      // after the semantics function, eax = CpuState::rip (Emitter::rip_in_eax)
    bool zero_rbp = false;        // rbp = 0 before it rejoins (a stack group's member: Emitter::slow_zero_rbp)
    uint64_t restore_rbp = 0;     // rbp = this before it rejoins (0: as the slow path left it; Emitter::rbp_set)
    // A fast-pages probe's out-of-line parts (insn null), records rather than closures (one or
    // two per probe; a closure of this size is a heap allocation, which is translation time):
    // Reload, a predicted probe's other addend: at `slow`, rbp = `entry` (the page's fast
    // entry), 0 to `miss`, else back to `back`. Crossing, an unaligned access: at `slow`, the
    // exact crossing test of `size` bytes at ebx, to `miss` when it crosses, else to `back`.
    enum class Probe : uint8_t { None, Reload, Crossing } probe = Probe::None;
    uint8_t size = 0;
    asmjit::Label miss;
    x86::Mem entry;
    std::function<void()> f;
};

class Emitter {
public:
    // `cold`: where out-of-line code is queued (empty; the caller keeps it from block to block,
    // so its memory is reused).
    Emitter(x86::Assembler& a, Cpu& cpu, uint64_t key, uint32_t disabled, int32_t exit_disp, uint64_t epilogue,
            asmjit::Label fault_exit, std::vector<ColdCode>& cold)
        : a(a), cpu(cpu), key(key), disabled(disabled), exit_disp(exit_disp), epilogue(epilogue),
          fault_exit(fault_exit), cold_(cold) {}

    x86::Assembler& a;
    Cpu& cpu;
    const uint64_t key;        // mode_key of the block
    const uint32_t disabled;   // JitDisable bits
    const int32_t exit_disp;   // Cpu::exit_request - CpuState
    const uint64_t epilogue;   // the shared epilogue (status in eax)
    const asmjit::Label fault_exit;  // eax = kBlockFault already: to the epilogue

    // The instruction being translated.
    const Insn* in = nullptr;
    uint32_t eip = 0;          // its EIP
    uint8_t live_after = 0x3F; // arithmetic flags (kFlagBit*) a later reader may need
    bool last = false;         // the block's last instruction
    // Native instructions run but not yet in CpuState::icount, less those counted ahead: the
    // block's entry adds all its instructions at once, so this starts at -ninsns
    // (docs/translator.md, "Counting").
    int pending = 0;

    // The instruction budget (docs/translator.md, "Counting"): xmm15's low quadword holds R =
    // Cpu::icount_end - icount inside blocks and along chained jumps, so that icount in
    // CpuState is exact = icount_end - R + pending; `icount_end_disp` is Cpu::icount_end - CpuState.
    int32_t icount_end_disp = 0;
    // Set when the block's code takes R afresh from CpuState anywhere (a fallback call, a
    // helper that counts or may count, a slow path without the shared thunk): such a block
    // may not cover its successors' instructions at its entry (Block::fuse_source).
    bool budget_reloaded = false;
    // The current instruction's slow path sets rbp = 0 before it rejoins: a stack group's member
    // reaches its slow path only from its own probe out of line, after which the members that
    // follow must see rbp = 0 and probe for themselves (emit_stack.cpp). Reset per instruction.
    bool slow_zero_rbp = false;
    // rbp is not 0 on every path that reaches here (docs/translator.md, "The predicted addend
    // kept"): a predicted probe's compare then needs no `mov rbp, addend` first, since an entry
    // equal to any nonzero rbp is that page's addend. Set by a predicted probe whose access adds
    // rbp (its slow path puts the prediction back in rbp before it rejoins); cleared by every
    // other probe, a stack group's member, a fallback call, a join (enter_block), and at the end
    // of an instruction that is not of the plain forms whose emitters write rbp only in probe()
    // (end_native, keeps_rbp).
    bool rbp_set = false;
    // The arena's shared out-of-line code (Jit::emit_fixed; docs/translator.md, "Shared exit
    // code"), 0 with --jit-disable regs (the inline forms then). exit_thunk: stores icount from
    // R, all eight registers and r14, then the epilogue (eax: the status). call_thunk: rbx =
    // Insn*, edx = its EIP, ecx = pending; slow_thunk: the same from the SlowSite record after
    // its call (below). They store icount, the registers and the flags, call helper_fallback /
    // helper_slow and return eax = 0 with everything reloaded; else call_thunk returns
    // kBlockFault, or kBlockStop (the exit request was set after the instruction: the block
    // stops, CpuState is current), and the block's `stopfault` label sorts those out, to which
    // slow_thunk goes itself.
    uint64_t exit_thunk = 0, slow_thunk = 0, call_thunk = 0;
    // The shared fast-pages probes out-of-line code calls (Jit::probe_thunk_, indexed by log2 of
    // the size): ebx = the linear address; rbp = the addend or 0; eax, edx and the flags
    // clobbered. 0: the probe inline (no fast pages).
    uint64_t probe_thunk[2][4] = {};
    // The shared crossing tests (Jit::cross_thunk_, by log2 of the size, 2 to 8 bytes): ZF clear
    // when an access of that size at ebx crosses into the next page; edx and the flags clobbered.
    uint64_t cross_thunk[4] = {};
    static constexpr uint32_t kBlockStop = 3;
    // A slow path's call site is `call slow_thunk; jmp rel32` and then this record, which the
    // thunk reads at its return address + kSlowSiteAt (the jmp's 5 bytes) instead of three
    // register loads at the site: translation time is mostly asmjit encoding instructions, and
    // the data is one copy. On a stop or fault the thunk leaves through `stopfault` (bound
    // before the cold code is emitted, so its offset is known).
    struct SlowSite {
        uint64_t insn;       // the Insn*
        uint32_t eip;
        int32_t counted;     // the emitter's `pending` there
        int32_t stopfault;   // the block's `stopfault` label, relative to the record
        uint32_t unused = 0;
    };
    static constexpr int32_t kSlowSiteAt = 5;
    // With --trace jit: the [begin, end) offsets of data embedded among the block's code, which
    // the trace prints as data instead of disassembling.
    std::vector<std::pair<uint32_t, uint32_t>>* data_ranges = nullptr;
    asmjit::Label stopfault;
    // Set by Jit::emit for chaining and exact statistics (docs/translator.md, "Chaining"):
    asmjit::Label stop_exit;         // a slow path that saw the exit request leaves here (eax = 0)
    uint64_t* slow_count = nullptr;  // counts slow-path entries (inline TLB misses and callouts)
    unsigned probes = 0;             // inline TLB probes emitted in the block so far
    unsigned const_probes = 0;       // of those, probes of a constant page (register bounds)
    unsigned folded = 0;             // of those, folded into the access (ea(true))
    unsigned zx_left = 0;            // MOVZX of a register that fits already: a MOV or nothing
    unsigned predicted = 0;          // of those, with a predicted addend (predict_addend)
    unsigned predicted_kept = 0;     // `mov rbp` of a prediction left out (rbp_set), in every copy
    unsigned aligned_probes = 0;     // of those, of an address aligned to the size (no crossing test: tz_after)
    unsigned shared_probes = 0;      // of those, calls of a shared probe out of line (probe_thunk)
    // The counts above that a block's statistics take once per instruction, whatever copies of
    // it are emitted (a self-loop's second copy, a side trace: Jit::emit puts them back after).
    struct Counts {
        unsigned probes, const_probes, folded, zx_left, predicted, aligned_probes;
    };
    Counts counts() const { return {probes, const_probes, folded, zx_left, predicted, aligned_probes}; }
    void set_counts(const Counts& c) {
        probes = c.probes, const_probes = c.const_probes, folded = c.folded, zx_left = c.zx_left;
        predicted = c.predicted, aligned_probes = c.aligned_probes;
    }
    // A native Jcc that ends the block branches to `taken` instead of storing rip when
    // `chain_branch` is set (the block's exits are emitted by Jit::emit); it sets `branched`.
    // The Jcc is emitted in its rel32 form at offset `branch_at`, so that Jit::emit may patch it
    // to the taken target's block itself (one taken branch instead of two). The Jcc creates
    // `taken` (a label per block cost more than the Jcc ending a block is worth).
    bool chain_branch = false;
    bool branched = false;
    asmjit::Label taken;
    uint32_t branch_at = 0;
    // A superblock (docs/translator.md, "Superblocks"): a native Jcc that is not the block's
    // last instruction jumps to a side exit at `label`, which Jit::emit emits with the block's
    // exits: `index` is the Jcc's in the block, `pending` Emitter::pending after it (minus the
    // instructions the way out gives back), `ffix` the fix-ups of r14 pending at it, `recipe`
    // the CMP whose flags r14 lacks (lazy at the Jcc).
    static constexpr unsigned kMaxSides = 3;
    // Entries: a superblock that is a lazy self-loop has its Jccs inside it once per copy and turn.
    // A side trace (Jit::emit) adds its own Jcc and those of the loop's tail it runs, per copy and turn.
    static constexpr unsigned kSideCapacity = 32;
    struct SideExit {
        asmjit::Label label;
        unsigned index = 0;
        uint32_t target = 0;
        int pending = 0;
        uint32_t ffix = 0;
        const Insn* recipe = nullptr;  // lazy at the Jcc: the CMP to do again into r14
        bool flipped = false;          // a learnt way: the Jcc's way not taken leaves here
    };
    SideExit sides[kSideCapacity];
    unsigned nsides = 0;
    unsigned index() const { return cur_; }  // the current instruction's in the block (~0: none)
    uint32_t flags_fix_bits() const { return fcache_ ? ffix_ : 0; }
    // Emission only: the fix-ups `bits` (a flags_fix_bits() of before) applied to r14.
    void emit_flags_fix_bits(uint32_t bits);

    // ---- guest state ----
    static x86::Mem field(size_t off, unsigned size) { return x86::Mem(x86::r15, int32_t(off), size); }
    // Loads guest register `r` (8, 16 or 32 bits) zero-extended into the 32-bit host register
    // `dst32` (one of eax, ecx, edx, ebx). Host flags are left alone.
    void load_reg(const x86::Gp& dst32, ZydisRegister r);
    // Stores the low bytes of `src32` (eax, ecx, edx or ebx) into guest register `r` (its size).
    // Host flags are left alone. Nothing may branch to slow() after a store_reg: the slow path
    // runs the whole instruction again from the state at its start.
    void store_reg(ZydisRegister r, const x86::Gp& src32);
    static bool is_gpr(ZydisRegister r);

    // ---- the guest-register cache (docs/translator.md, "Guest registers in host registers") ----
    // With the cache on (not --jit-disable regs), guest register i lives in host_gpr(i) for the
    // whole block; dirty() says which may be newer than CpuState::gpr (a superset: storing a
    // clean one is harmless). At a chained entry every register may be dirty.
    bool regs_cached() const { return regs_; }
    static x86::Gp host_gpr(unsigned i);
    uint8_t dirty() const { return regs_ ? dirty_ : 0; }
    // With the cache on and `r` one of EAX..EDI: its host register (32-bit view) in `out`, for
    // an emitter that operates on it in place (`inc r10d`, `cmp r13d, r10d`: no moves through
    // scratch registers). `write` marks it dirty, with store_reg's rule: nothing may branch to
    // slow() afterwards; a 32-bit host write zero-extends, as the guest's into its slot.
    // False (the scratch forms then) otherwise.
    bool reg32(ZydisRegister r, x86::Gp& out, bool write = false);
    // reg32 for every size but AH..BH: AL..BL, AX..DI and EAX..EDI as the host register's low
    // byte, word or dword (`r10b`, `r10w`, `r10d`). A host write of 8 or 16 bits leaves the rest
    // of the register alone, as the guest's does; of 32 bits it zero-extends, as above.
    bool regn(ZydisRegister r, x86::Gp& out, bool write = false);
    // Stores the registers of `mask` to CpuState (emission only; the state is unchanged).
    void emit_store(uint8_t mask);
    // Loads all eight and the guest flags (r14) from CpuState, and the budget (xmm15) from
    // CpuState::icount as R = icount_end - icount + `adjust` (emission only; clobbers rax).
    void emit_load_all(int adjust = 0);
    // Stores the exact icount = icount_end - R + `pending` into CpuState (emission only;
    // clobbers `t1`, `t2` and the host flags).
    void emit_icount_store(int pending, const x86::Gp& t1 = x86::rax, const x86::Gp& t2 = x86::rcx);
    // Stores the dirty registers and the flags before a call that reads them or may fault;
    // they are clean after.
    void spill();
    // After a helper that may have written guest registers or flags (or clobbered the
    // caller-saved host registers): loads all eight and the flags again; none is dirty.
    void reload();
    // Calls fn(cpu, insn, eip) (every block helper has that signature) after spilling: status in
    // eax; the caller tests it and then reload()s.
    using HelperFn = uint32_t (*)(Cpu*, const Insn*, uint32_t) noexcept;
    void call_helper(HelperFn fn, const Insn* insn, uint32_t at);
    // A fallback call of `insn` (helper_fallback: it counts the instruction) with icount stored
    // from `pending` first, the registers and flags reloaded after, and a fault or (unless
    // `last`) the exit request leaving the block. pending is 0 afterwards.
    void call_fallback(const Insn* insn, uint32_t at, bool last);
    // The block's entry for the dispatcher: dirty() = all (a chained entry follows it).
    void enter_block() {
        dirty_ = 0xFF, fdirty_ = true, ffix_ = 0, host_ok_ = 0;
        rbp_set = false;
        for (uint32_t& b : bound_) b = 0xFFFFFFFFu;
        for (uint8_t& z : tz_) z = 0;
    }

    // Guest register i written by code no emitter made (Jit::emit's selects): dirty, its bound
    // and known low bits forgotten.
    void forget_reg(unsigned i) {
        dirty_ |= uint8_t(1u << i);
        bound_[i] = 0xFFFFFFFFu;
        tz_[i] = 0;
    }

    // ---- register bounds (docs/translator.md, "Constant-page probes") ----
    // An upper bound of each guest register's 32-bit value at the start of the current
    // instruction, from the block's own instructions since its entry (0xFFFFFFFF: none known):
    // `movzx edx, dl` bounds EDX by 255, `and eax, 0x3FC` by 0x3FC, `shr ecx, 24` by 255. A
    // memory operand whose every register is bounded spans a known range of offsets; when that
    // range lies within one page (of a flat segment), probe() compares the TLB entry of that
    // page, a constant, instead of computing the entry from the address: the probe no longer
    // waits for the index (a table lookup `xor eax, [edx*4 + table]` after `movzx edx, dl`
    // waits for the load alone, as natively). Jit::emit calls track_bounds after every
    // instruction, native or not (the bounds hold on its slow path too: same semantics).
    void track_bounds(const Insn& in);
    // A byte or word register (not AH..BH) whose 32-bit register is known to hold no more than
    // it (its bound at most 0xFF or 0xFFFF): zero-extending it changes nothing. With the
    // register cache and the bounds on only. `whole`: the 32-bit host register that holds it.
    bool fits_in(ZydisRegister r, x86::Gp& whole) const;

    // ---- memory ----
    // True when the memory operand can be emitted inline: 16- or 32-bit addressing, a flat
    // segment, or (outside protected mode proper, or with a usable segment at run time) one
    // whose base and limit the probe applies; the inline TLB not disabled.
    bool mem_ok() const;
    // Computes the effective address (the offset in the segment) into ebx; for a flat segment
    // that is the linear address, otherwise the next probe() checks it and adds the base.
    // `fold`: the caller accesses the operand only through host_mem() after probe(size, write,
    // true), never ebx; when the operand's range lies in one page (the register bounds) and it
    // names at most one register, probe() then folds the address into the access instead
    // (`xor r8d, [rbp + r10*4 + 0x140460]`: no lea on the way from the index to the load).
    void ea(bool fold = false);
    // An emitter that moves ebx after ea() (BT's bit offset) says so before probe(): the range
    // ea() derived from the register bounds (a constant-page probe) no longer holds.
    void ea_moved() { ea_known_ = false, ea_tz_ = 0; }
    // The inline probe of the TLB for an access of `size` bytes at ebx: rbp = host address,
    // or a jump to the instruction's slow path. `write`: the write tag (also for read-modify-write).
    // After ea() of a segment that is not flat it first runs the segment's checks (the access
    // kind allowed by Cpu::seg_ok(), the limit; any doubt goes to the slow path) and adds the
    // base, so ebx is linear afterwards.
    // `indexed`: rbp = the entry's addend only (host minus linear address), and the caller
    // accesses [rbp + rbx] (host_at()) without changing rbx: one add fewer per access.
    // `miss`: where a miss goes instead of the instruction's slow path (a flat segment only: no
    // segment checks; emit_stack.cpp's out-of-line probes).
    void probe(unsigned size, bool write, bool indexed = false, asmjit::Label miss = asmjit::Label());
    // The parts of the fast-pages probe that Jit::emit_fixed's shared probes also take:
    // rax = the page number of ebx, and the entry of the table `pages` for it (through rdx when
    // the table is not in the low 2 GiB); and the crossing test of `size` bytes at ebx, ZF clear
    // when the last byte lies in the next page (edx clobbered).
    static x86::Mem fast_pages_entry(x86::Assembler& a, uintptr_t pages);
    static void crossing_flags(x86::Assembler& a, unsigned size);
    // A memory operand's scale (0, 1, 2, 4, 8) as the shift of a host address (0-3).
    static unsigned scale_shift(const InsnMem& m) { return m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0; }
    // The probed operand after probe(size, write, true): [rbp + rbx].
    static x86::Mem host_at(unsigned size) { return x86::Mem(x86::rbp, x86::rbx, 0, 0, size); }
    // The operand of the current instruction's access is `m` (host_mem; a stack group's member).
    void fold_into(const x86::Mem& m) {
        folded_ = true;
        fold_mem_ = m;
    }
    // The same after ea(true): [rbp + rbx], or the folded operand (rbp + the guest's register
    // and displacement: rbp is the entry's addend and the register's upper half is 0; or rbp +
    // a stack group member's offset in the group's range).
    x86::Mem host_mem(unsigned size) const {
        if (!folded_) return host_at(size);
        x86::Mem m = fold_mem_;
        m.setSize(size);
        return m;
    }
    // The slow path label of the current instruction (created on first use, emitted at the end).
    asmjit::Label slow();
    // The label after the current instruction's code, where its slow path rejoins.
    asmjit::Label done();

    // ---- jumps between the body and its out-of-line code without asmjit labels ----
    // A label costs asmjit an allocation, a link and a bind: a fifth of a translation's time
    // went to them (docs/translator.md, "What a translation costs"). Where one jump goes out of
    // line and the code there comes back, offsets in the block's one code buffer do.
    uint32_t here() const { return uint32_t(a.offset()); }
    // `jcc rel32` and `jmp rel32` to code not emitted yet; return where their rel32 is, for land().
    uint32_t jcc_forward(x86::CondCode cc);
    uint32_t jmp_forward();
    // The jump whose rel32 is at `rel` lands here.
    void land(uint32_t rel);
    // `jmp` back to `to`, emitted already: rel8 when it reaches, else rel32; rel32 always with
    // `long32` (a slow path's site has a fixed layout).
    void jmp_back(uint32_t to, bool long32 = false);

    // ---- flags (docs/translator.md, "Guest flags in r14") ----
    // With the register cache on, the guest's arithmetic flags live in r14 inside blocks and
    // along chained jumps, in the layout `lahf; seto al; mov r14d, eax` leaves: bits 8-15 are
    // AH (SF ZF 0 AF 0 PF 1 CF, EFLAGS bits 0-7 moved up by 8), bits 0-7 are OF as exactly 0 or
    // 1, bits 16-63 are garbage. The non-arithmetic flags (DF, IF, TF...) stay in
    // CpuState::eflags. Emitters reach the flags only through the functions here, which take
    // and give EFLAGS bit masks and values. With --jit-disable regs they stay in
    // CpuState::eflags, as before the cache.
    // r14's bits for the EFLAGS arithmetic bits of `eflags_bits` (OF -> bit 0, the rest + 8).
    static constexpr uint32_t r14_mask(uint32_t eflags_bits) {
        return ((eflags_bits & 0xD5u) << 8) | ((eflags_bits >> 11) & 1u);
    }
    // Emission only (also the dispatcher's entry and the thunks, Jit::emit_fixed): r14 from
    // CpuState::eflags (clobbers the host flags); r14's arithmetic flags into CpuState::eflags
    // (`t`: a 32-bit scratch with a high byte, eax..ebx; clobbers it and the host flags); the
    // host's arithmetic flags from r14 (clobbers eax: OF from `add al, 0x7F`, the rest `sahf`).
    static void emit_r14_load(x86::Assembler& a);
    static void emit_r14_store(x86::Assembler& a, const x86::Gp& t);
    static void emit_host_flags_from_r14(x86::Assembler& a);
    // `t` (eax..ebx, 32 bits) = r14's arithmetic flags in EFLAGS layout, other bits 0.
    static void emit_r14_to_eflags_bits(x86::Assembler& a, const x86::Gp& t);
    bool flags_cached() const { return fcache_; }
    // After a host instruction that computed the guest flags `written` (EFLAGS bits) as the
    // guest would: keeps them (in r14 or CpuState::eflags) if a later reader may need them.
    // `clear` bits are stored as 0 whatever the host says (AF of the logic instructions: the
    // interpreter's rule). Nothing may change the host flags between the instruction and this
    // call; rax (the cached form: lahf/seto) and rcx (the memory form) are clobbered, so an
    // emitter keeps no value in eax across it (it stores its result first). Afterwards the host flags still hold the guest's `written &
    // ~clear` (a Jcc right after uses them, see cond()): an emitter that changes the host flags
    // after this call says so with host_flags_changed().
    void capture_flags(uint32_t written, uint32_t clear = 0);
    void host_flags_changed() { host_ok_ = 0; }
    // INC/DEC leave the host's CF as it was: when it was the guest's before (`was`) and the
    // capture left the host's flags alone (host_ok_ not cleared), it still is.
    bool host_cf_ok() const { return fcache_ && (host_ok_ & CF); }
    // Emits no host flag change, natively (begin() keeps host_ok_; Jit's lazy_w_from).
    static bool flag_transparent(const Insn& in);
    void host_cf_kept(bool was) {
        if (was && host_ok_) host_ok_ |= CF;
    }
    // The EFLAGS bits of `written` that a later reader may need (all of them with the "flags"
    // category disabled): what an emitter that computes flags itself must store.
    uint32_t live_flags(uint32_t written) const;
    // Stores the `mask` bits of `value32` (EFLAGS layout, other bits zero) into the guest flags;
    // `value32` and the host flags are clobbered (r14's layout is made from it in place).
    void merge_flags(const x86::Gp& value32, uint32_t mask);
    // ORs `value32` (EFLAGS layout, bits of a mask merge_flags just cleared) into the guest
    // flags; `value32` and the host flags are clobbered.
    void or_flags(const x86::Gp& value32);
    // Stores OF = `bit32` (exactly 0 or 1; eax..ebx, whose low byte is taken) into the guest
    // flags: `mov r14b, cl` with the cache, which leaves the host flags alone (those a capture
    // just took stay usable by a condition); without it they are clobbered.
    void merge_of(const x86::Gp& bit32);
    // Sets host ZF = no bit of `mask` (EFLAGS bits) set in the guest flags.
    void test_flags(uint32_t mask);
    // `t` (a 32-bit scratch) = guest CF as 0 or 1 (clobbers the host flags).
    void load_cf_bit(const x86::Gp& t);
    // Loads guest CF into host CF (for ADC, SBB, RCL, RCR); nothing when the host's CF is the
    // guest's already (the instruction before computed it). `scratch_free`: rax and the host
    // flags hold nothing the caller needs, so a lazy recipe is made again straight into the
    // host's flags (one CMP, say) instead of into r14 with pushfq/popfq round it.
    void load_cf(bool scratch_free = false);
    // Evaluates guest condition `cc` (0-15, the Jcc encoding); returns the host condition that
    // is true exactly when the guest's is. The host condition itself when the flags it reads
    // were computed by the instruction just before (which left the host flags alone since),
    // else a test of one r14 bit (or of CpuState::eflags), or for L, LE and their negations the
    // host flags restored from r14 (emit_host_flags_from_r14); may clobber eax and ecx.
    x86::CondCode cond(unsigned cc);
    // Emission only, state unchanged (the block's exits, Jit::emit): the pending fix-ups of
    // r14 (bits a capture left as the host's where the interpreter's are 0), then the write-back
    // of r14 into CpuState::eflags (when it may be newer, or always with `force`).
    void emit_flags_fix();
    bool flags_fix_pending() const { return fcache_ && ffix_; }  // emit_flags_fix() emits something
    void emit_flags_store(bool force = false, const x86::Gp& scratch = x86::ecx);

    // ---- lazy flags of a self-loop (docs/translator.md, "Lazy flags of a self-loop") ----
    // A block that loops to itself through `cmp; jcc` (Jit::emit picks them) is emitted twice:
    // the first copy is entered as any block, the second only from the two copies' Jcc, so at
    // its head the guest flags are those of the CMP (`recipe`) on the host registers, which
    // nothing has changed since; the CMP's flags are never captured on the back edge. While
    // `lazy` is set (from the second copy's head until the first instruction that writes every
    // live flag, and after the CMP in both copies) every path that stores or reads r14 does the
    // CMP again first: the cold ones (head stop, slow paths, exits) with emit_materialize, any
    // other (a fallback call's spill, a condition not in the host flags) inline with need_r14,
    // which keeps rax and the host flags.
    const Insn* recipe = nullptr;
    bool lazy = false;
    asmjit::Label loop_head;  // valid: the last Jcc's taken way is this label (the second copy's head)
    // Emission only: r14 = the recipe's flags (clobbers rax and the host flags); the one-argument
    // form with recipe `r` (a side exit's or a slow path's, of when it was queued; null: nothing).
    void emit_materialize() { emit_materialize(recipe); }
    void emit_materialize(const Insn* r);
    // Emission only: r14 = the six arithmetic flags the host holds (`lahf; seto al; mov r14d,
    // eax`), AF cleared when `clear_af` (the logic group's, the interpreter's 0).
    void emit_capture_host(bool clear_af);

    // ---- control ----
    // Ends the block with CpuState::rip = `target`.
    void set_rip(uint32_t target) { a.mov(field(offsetof(CpuState, rip), 4), target); }
    // rip = the static target of a JMP or CALL rel, unless the instruction is the block's last:
    // then the block's exit (Jit::emit: JitEmit::direct, call_exit) stores rip on the ways out
    // that read it (to the dispatcher, the jump cache) and a linked exit needs none.
    void set_rip_of_branch(uint32_t target) {
        if (!last) set_rip(target);
    }
    // A RET whose exit is the return stack's (JitEmit::ret_exit; Jit::emit sets `ret_in_eax`
    // before the block's last instruction when it will be): the RET leaves the popped EIP in eax
    // and stores no rip (`rip_in_eax`); the exit compares eax with the frame and stores rip only
    // on a miss, and the RET's slow path loads eax from rip before it rejoins.
    bool ret_in_eax = false;
    bool rip_in_eax = false;
    // The RET's emitters: rip = eax, or nothing when the exit takes it from eax.
    void set_rip_of_ret() {
        if (ret_in_eax) rip_in_eax = true;
        else a.mov(field(offsetof(CpuState, rip), 4), x86::eax);
    }

    // ---- per-instruction bookkeeping (Jit::emit) ----
    void begin(const Insn& i, uint32_t at, uint8_t live, bool is_last);
    // After a native instruction: its slow path (if any) is queued, the exit check emitted if
    // the instruction can have set the exit request (only through its slow path).
    void end_native();
    // Emits the queued slow paths and exit stubs (after the block's body).
    void emit_cold();
    // Queues out-of-line code of the current instruction, emitted with the slow paths.
    void defer(std::function<void()> f) {
        cold_.emplace_back();
        cold_.back().f = std::move(f);
    }
    // Stores the exact icount into CpuState now (before a helper call that counts its own
    // instruction); pending is 0 afterwards and the reload() after the call takes R from it.
    void commit_icount();
    x86::Mem exit_word() const { return x86::dword_ptr(x86::r15, exit_disp); }

    // ---- stack groups (emit_stack.cpp; docs/translator.md, "Stack groups") ----
    // The block's instructions (set by Jit::emit; null: no look-ahead, no groups), and the group
    // of ESP-relative accesses that shares one probe: instructions [leader, end), rbp = the host
    // address of ESP(leader) + lo, or 0 once a member took its own probe. A fallback call ends it.
    const Insn* block_insns = nullptr;
    unsigned block_ninsns = 0;
    // The addend the fast-pages probe predicts (docs/translator.md, "The predicted addend"): 0 =
    // none (the probe loads the page's addend before the access).
    uint64_t predict_addend = 0;
    const uint32_t* block_eips = nullptr;  // their EIPs (a Jcc followed by its target: emit_jcc)
    struct StackGroup {
        unsigned leader = 0, end = 0;
        int lo = 0;
        uint64_t reload = 0;  // bit k: member k loads rbp from the slot first (an access since the last member)
    } stack_group;
    // Cpu::jit_group_base - CpuState: where a group's leader leaves rbp (0 on a miss) for its
    // members after other instructions' accesses (0: no such groups).
    int32_t group_slot_disp = 0;
    // A self-loop whose ESP nothing in it writes (block_keeps_esp; docs/translator.md, "Stack
    // groups across turns"): `group_keep`, every leader leaves rbp (0 on a miss) in the slot;
    // `group_reuse` (its second copy, when the first had one group and no fallback call), the
    // leader takes rbp from the slot, the previous turn's, and probes only when it is 0.
    bool group_keep = false, group_reuse = false;
    // A side trace (Jit::emit, docs/translator.md "Side traces") forms no stack groups: its
    // accesses probe for themselves and never touch the group slot, whose value the loop's
    // later turns may take.
    bool no_groups = false;

    // ---- what the emission knows between instructions, saved and put back (Jit::emit's side
    // traces: a trace is emitted after the block's body from the state at its Jcc) ----
    struct State {
        int pending;
        bool rbp_set, lazy, branched, rip_in_eax, fdirty;
        const Insn* recipe;
        asmjit::Label loop_head, taken;
        uint32_t branch_at;
        StackGroup stack_group;
        uint8_t dirty;
        uint32_t bound[8];
        uint8_t tz[8];
        uint32_t ffix, host_ok;
    };
    State save() const;
    void restore(const State& s);
    // At a side trace's start, what its side exit would have done to r14: the host's flags
    // captured (`capture`: 1, or 2 with AF cleared) for an ALU instruction before the Jcc that
    // left them uncaptured, and the lazy flags (if any) made again, so that r14 holds the
    // guest's flags from here; unless `keep_lazy` (the trace's first instruction writes every
    // flag and reads none: it ends the lazy stretch, its slow path doing the recipe first).
    void trace_entry(int capture, bool keep_lazy);
    unsigned group_leaders = 0;  // groups begun in the block so far (their leaders)
    // Cpu::jit_flag_stash - CpuState: where a lazy writer keeps what its recipe needs and the
    // block overwrites (word 0: a shift's operand as it was, emit_shift_flags_again, or an
    // INC/DEC's CF; words 1 and 2: its operands' registers as it left them, when a move in its
    // stretch overwrites them). stash_operand stores the 32-bit register holding `r` in word
    // `k` (host flags left alone; clobbers eax when the register is not cached).
    int32_t stash_disp = 0;
    x86::Mem stash_mem(unsigned k = 0, unsigned size = 4) const {
        return x86::Mem(x86::r15, stash_disp + int32_t(4 * k), size);
    }
    void stash_operand(ZydisRegister r, unsigned k = 0);
    // Which of a lazy writer's operand registers its recipe takes from stash words 1 and 2
    // (bit 0: the first operand's, bit 1: the second's), and for a lazy INC/DEC whether the CF
    // it keeps is in stash word 0 (bit 2; else r14 holds it), by its index in the block (Jit::emit).
    const uint8_t* recipe_stash = nullptr;
    unsigned stashed(const Insn& r) const {
        return recipe_stash && block_insns && &r >= block_insns && &r < block_insns + block_ninsns
                   ? recipe_stash[&r - block_insns] : 0;
    }
    // The guest's CF into the stash's bit 0 (a lazy INC/DEC's recipe keeps it; clobbers the host
    // flags but CF).
    void stash_cf();

private:
    // The call of call_thunk with its three arguments, and the stop/fault test.
    void call_shared_thunk(uint64_t thunk, const Insn* insn, uint32_t at, int counted);
    static x86::Mem gpr_mem(unsigned gpr, unsigned size, bool high = false);
    void emit_call(HelperFn fn, const Insn* insn, uint32_t at);
    const bool regs_ = !(disabled & kDisableRegs);
    const bool bmi2_ = jit_bmi2(disabled);  // the probe's RORX
    bool in_cold_ = false;  // emit_cold() runs: deferred code may not defer more
    // &cpu.s - &cpu: the Cpu* every helper takes is r15 minus this (Cpu is not standard-layout,
    // so no offsetof; the same for every block of this CPU).
    const int32_t cpu_disp_ = int32_t(reinterpret_cast<const char*>(&cpu.s) - reinterpret_cast<const char*>(&cpu));
    uint8_t dirty_ = 0xFF;        // guest registers (bit i: register i) the host may hold newer
    uint8_t dirty_begin_ = 0xFF;  // dirty_ when the current instruction began (its slow path)
    asmjit::Label slow_, done_;
    bool has_slow_ = false, has_done_ = false;
    int seg_pending_ = -1;  // ea() of a segment that is not flat: the SegReg probe() checks
    uint32_t bound_[8];     // track_bounds: each register's upper bound (0xFFFFFFFF: unknown)
    // track_bounds too: how many low bits of each register are known to be 0 (0-32), and
    // ea()'s of the operand's address (a flat segment, 32-bit addressing; else 0), which the
    // next probe() takes: an access that aligned cannot cross a page (no crossing test).
    uint8_t tz_[8] = {};
    uint8_t ea_tz_ = 0;
    // ea() of a flat segment with every register bounded: the offsets lie in [ea_lo_, ea_lo_ +
    // ea_span_] before the access size; the next probe() takes it (and clears ea_known_).
    bool ea_known_ = false;
    uint32_t ea_lo_ = 0;
    uint64_t ea_span_ = 0;
    // ea(true) left the address to probe() (ebx not computed yet: emit_ea does it when the
    // probe does not fold); folded_: the last probe folded it into fold_mem_ (host_mem()).
    bool ea_deferred_ = false, folded_ = false;
    // ea(true) of a stack group's ALU member: probe() takes the group's address (ebx is
    // computed only when it does not: stack_member_probe).
    bool ea_member_ = false;
    x86::Mem fold_mem_;
    // An access of `size` bytes at ebx that crosses into the next page goes to `to`.
    void emit_crossing_test(unsigned size, asmjit::Label to);
    void emit_ea();  // ea()'s code: the offset into ebx
    // The guest flags in r14 (docs/translator.md, "Guest flags in r14"); compile-time state.
    void settle_flags();  // emit_flags_fix(), then none pending and the host flags clobbered
    void store_flags_code(const x86::Gp& scratch);  // r14 into CpuState::eflags
    static bool host_flag_reader(const Insn& in);
    void need_r14();  // before a read or write of r14 on the fast path: emit_materialize if lazy (rax, flags kept)
    bool next_takes_host_cf() const;  // capture_flags: CF reaches the next instruction in the host's flags
    unsigned cur_ = ~0u;              // the current instruction's index in block_insns (~0: none)
    const bool fcache_ = regs_;
    bool fdirty_ = true;         // r14 may be newer than CpuState::eflags
    bool fdirty_begin_ = true;   // fdirty_ when the current instruction began (its slow path)
    uint32_t ffix_ = 0;          // bits of r14 that must be cleared before anyone looks at them
    uint32_t host_ok_ = 0;       // arithmetic flags the host's FLAGS hold as the guest's now
    std::vector<ColdCode>& cold_;
    void emit_slow_path(const ColdCode& c);  // end_native's slow path
};

// The 16 conditional jumps (Jcc rel).
bool is_jcc(ZydisMnemonic m);
// The target EIP of a relative jump or call (`in.val[0]` its displacement), wrapped at the
// operand size.
uint32_t relative_target(const Insn& in);
// A direct conditional branch: a Jcc, LOOP, JCXZ or JECXZ.
bool end_branch(ZydisMnemonic m);
// A direct conditional branch or a relative JMP to `eip`.
bool jumps_to(const Insn& in, uint32_t eip);

// An ALU-group member of the current stack group (emit_stack.cpp): its operand's address from
// the group, folded into host_mem() ([rbp + its offset in the group]); false: not one.
bool stack_member_probe(Emitter& e, const Insn& in, unsigned k, unsigned size, bool write);
// Whether instruction `k` (`in`) is such a member (ea(true) leaves its address to the probe).
bool stack_alu_member(const Emitter& e, const Insn& in, unsigned k);
// For Jit::emit's selects (docs/translator.md, "Selects"): the group that instruction `k` would
// lead here (no group is active there, and it is a MOV-like member with another after it), in
// `g`; and for a MOV of 4 bytes between [ESP + disp] and a register at `k` within that group,
// its access's offset from the group's rbp (`off`). False: none.
bool select_group(const Emitter& e, unsigned k, Emitter::StackGroup& g);
bool select_member(const Emitter& e, unsigned k, const Emitter::StackGroup& g, int32_t& off);
// Whether instruction `k` is a member of group `g` (any kind: its access lies in the group's range).
bool select_in_group(const Emitter& e, unsigned k, const Emitter::StackGroup& g);

using NativeEmitFn = bool (*)(Emitter&, const Insn&);
// The native emitter for a mnemonic (nullptr: none), and the JitDisable bit that turns it off.
NativeEmitFn native_emitter(ZydisMnemonic m, uint32_t& category);

// The slow path of a native instruction: its semantics with insn_eip and rip committed, without
// counting it (the dispatcher counts native instructions). noexcept: faults come back as
// kBlockFault with CpuState::fault set.
uint32_t helper_slow(Cpu* c, const Insn* in, uint32_t eip) noexcept;

// Registered by each category file.
bool emit_alu(Emitter& e, const Insn& in);
bool emit_incdec(Emitter& e, const Insn& in);
bool emit_negnot(Emitter& e, const Insn& in);
bool emit_mov(Emitter& e, const Insn& in);
bool emit_movx(Emitter& e, const Insn& in);
bool emit_lea(Emitter& e, const Insn& in);
bool emit_jcc(Emitter& e, const Insn& in);
bool emit_jmp(Emitter& e, const Insn& in);
bool emit_call(Emitter& e, const Insn& in);
bool emit_ret(Emitter& e, const Insn& in);
bool emit_push(Emitter& e, const Insn& in);
bool emit_pop(Emitter& e, const Insn& in);
bool emit_setcc(Emitter& e, const Insn& in);
bool emit_cmovcc(Emitter& e, const Insn& in);
bool emit_shift(Emitter& e, const Insn& in);     // emit_shift.cpp
bool emit_shxd(Emitter& e, const Insn& in);
bool emit_mul(Emitter& e, const Insn& in);       // emit_muldiv.cpp
bool emit_imul(Emitter& e, const Insn& in);
bool emit_xchg(Emitter& e, const Insn& in);      // emit_misc.cpp
bool emit_convert(Emitter& e, const Insn& in);
bool emit_bt(Emitter& e, const Insn& in);
bool emit_loop(Emitter& e, const Insn& in);
bool emit_rep_string(Emitter& e, const Insn& in);  // emit_string.cpp
bool emit_nop(Emitter& e, const Insn& in);         // emit_simple.cpp
bool emit_bswap(Emitter& e, const Insn& in);

// Flag liveness across an instruction with a native emitter of these files: the arithmetic
// flags (kFlagBit*) live before `in` given those live after it, or 0x3F when it may fault, may
// leave a flag unwritten or reads them (the block's liveness pass, translator/jit.cpp, asks this
// for the mnemonics it does not know itself).
uint8_t flags_live_before(const Insn& in, uint8_t live_after);

// Emitters added for issue 16's remaining fallback rows (translator/emit_table.cpp maps them).
bool emit_div(Emitter& e, const Insn& in);  // emit_muldiv.cpp: DIV, IDIV
// emit_rep_string (emit_string.cpp, above) takes every MOVS CMPS SCAS LODS STOS, single or REP.
bool emit_cmpxchg(Emitter& e, const Insn& in);    // emit_misc.cpp
bool emit_cmpxchg8b(Emitter& e, const Insn& in);
bool emit_xadd(Emitter& e, const Insn& in);
bool emit_push_more(Emitter& e, const Insn& in);  // emit_stack.cpp: emit_push, else the other forms
bool emit_pop_more(Emitter& e, const Insn& in);
bool emit_call_more(Emitter& e, const Insn& in);
bool emit_leave(Emitter& e, const Insn& in);
// Stack groups (emit_stack.cpp): an ESP-relative access (PUSH/POP r32, imm, CALL, RET, MOV to or
// from [ESP + disp]) as a member of a group sharing one probe; false: the caller's own form.
bool emit_stack_member(Emitter& e, const Insn& in);
// No instruction of these writes ESP (each is a register-only or MOV-like form whose
// destination is not ESP, SP or SPL, or a Jcc): a stack group's range is the same every turn.
bool block_keeps_esp(const Insn* insns, unsigned n);
bool emit_mov_stack(Emitter& e, const Insn& in);  // MOV: emit_stack_member, else emit_mov
bool emit_rdtsc(Emitter& e, const Insn& in);    // emit_sys.cpp
bool emit_in(Emitter& e, const Insn& in);       // IN and OUT
bool emit_pushf(Emitter& e, const Insn& in);    // PUSHF, PUSHFD
bool emit_cli_sti(Emitter& e, const Insn& in);
bool emit_cld_std(Emitter& e, const Insn& in);
bool emit_bitscan(Emitter& e, const Insn& in);  // emit_bits.cpp: BSF, BSR, TZCNT, LZCNT
// emit_alu.cpp: the host flags of a flag writer whose flags were not captured, had again from
// the guest's host registers it left (Emitter::emit_materialize): a CMP or TEST between
// registers or a register and an immediate done again, TEST of the result of AND/OR/XOR, the
// first operand of a 32-bit ADD/SUB taken back from its result (in eax) and the operation done
// on it. Returns 1 when AF is to be cleared after the capture (the logic group), 0 when not, -1
// when it cannot (Jit's recipe_ok admits only the forms it can).
int emit_flags_again(Emitter& e, const Insn& in);
// emit_shift.cpp: r14 = the flags of SHL/SHR/SAR of a register by an immediate below its width,
// from its operand as it was (Emitter::stash_operand stored it before the shift): the shift done
// again on it in eax, the capture, AF cleared and OF the interpreter's (clobbers rax and the
// host flags, as emit_materialize may).
void emit_shift_flags_again(Emitter& e, const Insn& in);
// A flag writer whose recipe is emit_shift_flags_again (the others' is emit_flags_again).
bool stash_recipe(const Insn& in);

} // namespace xlat
