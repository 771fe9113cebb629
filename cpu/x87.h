// What the x87 and MMX semantics files share: the register stack, the status word, the start of
// every x87 instruction (#NM, pending exceptions), exception reporting, the instruction and data
// pointers, and memory operands of any size. Internal to cpu/x87*.cpp and cpu/mmx.cpp.
//
// The arithmetic itself is cpu/fpu/softfloat80 (and cpu/fpu/transcendental), never the host FPU.
#pragma once
#include "cpu/cpu.h"
#include "cpu/fpu/softfloat80.h"
#include "cpu/table.h"

namespace xlat::x87 {

// Status word bits (SDM Vol. 1, 8.1.3, Figure 8-4).
enum Fsw : uint16_t {
    FSW_IE = 1u << 0, FSW_DE = 1u << 1, FSW_ZE = 1u << 2, FSW_OE = 1u << 3, FSW_UE = 1u << 4,
    FSW_PE = 1u << 5, FSW_SF = 1u << 6, FSW_ES = 1u << 7, FSW_C0 = 1u << 8, FSW_C1 = 1u << 9,
    FSW_C2 = 1u << 10, FSW_TOP = 7u << 11, FSW_C3 = 1u << 14, FSW_B = 1u << 15,
};
constexpr uint16_t kFswCc = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3;
constexpr uint16_t kFswExceptions = 0x3F;
constexpr uint16_t kFcwInit = 0x037F;  // FINIT: all masked, 64-bit precision, round to nearest

// ---- the start of an instruction ----

// Every x87 instruction: #NM when CR0.EM or CR0.TS is set (SDM Vol. 3A, 2.5, Table 2-2); for
// the waiting ones (all but FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE), a pending unmasked
// exception is reported first: #MF with CR0.NE=1, FERR# with CR0.NE=0. Returns false when the
// CPU froze on the instruction waiting for the FERR# interrupt (it must then do nothing).
[[nodiscard]] bool begin(Cpu& c, bool waiting = true);
// The pending-exception part alone (MMX instructions and WAIT check #NM their own way).
[[nodiscard]] bool check_pending(Cpu& c);

// ---- the register stack ----

inline unsigned top(const Cpu& c) { return (c.s.fpu.fsw >> 11) & 7; }
inline unsigned phys(const Cpu& c, unsigned i) { return (top(c) + i) & 7; }
inline unsigned tag(const Cpu& c, unsigned p) { return (c.s.fpu.ftw >> (2 * p)) & 3; }  // physical
inline bool empty(const Cpu& c, unsigned i) { return tag(c, phys(c, i)) == 3; }
inline Float80 st(const Cpu& c, unsigned i) { return c.s.fpu.st[phys(c, i)]; }
void set_tag(Cpu& c, unsigned p, unsigned t);
// Writes ST(i) and tags it from its contents.
void set_st(Cpu& c, unsigned i, Float80 v);
void set_top(Cpu& c, unsigned t);
// Pushes v (TOP - 1); pops (tags ST(0) empty, TOP + 1). Callers have checked for stack faults.
void push(Cpu& c, Float80 v);
void pop(Cpu& c);
// The full tag word with every non-empty register tagged from its contents, as FSTENV, FSAVE
// and FXSAVE compute it (SDM Vol. 1, 8.1.7).
uint16_t full_tag_word(const Cpu& c);

// ---- status ----

// Replaces C0-C3 with `cc` (FSW_C* bits).
inline void set_cc(Cpu& c, uint16_t cc) { c.s.fpu.fsw = uint16_t((c.s.fpu.fsw & ~kFswCc) | (cc & kFswCc)); }
inline void set_c1(Cpu& c, bool on) { c.s.fpu.fsw = uint16_t(on ? c.s.fpu.fsw | FSW_C1 : c.s.fpu.fsw & ~FSW_C1); }
// Recomputes ES and B (B mirrors ES since the 387) from the flags and masks, and FERR#.
void update_es(Cpu& c);
// Adds exception flags to the status word.
void raise(Cpu& c, uint16_t flags);
// The rounding context for the basic arithmetic (with precision control) or for the others.
fp80::Context context(const Cpu& c, bool precision_control = false);
// Records the exceptions of an operation and C1 (round-up; 0 when the result was suppressed).
void finish(Cpu& c, const fp80::Context& ctx);
// A stack overflow (push onto a full register) or underflow (an empty operand): IE and SF, C1
// = overflow (SDM Vol. 1, 8.5.1.1). Returns true when IE is masked and the caller must deliver
// the masked response (the indefinite); false: nothing else changes.
bool stack_fault(Cpu& c, bool overflow);

// ---- instruction and data pointers (SDM Vol. 1, 8.1.8 - 8.1.9) ----

// Records FIP/FCS/FOP of this non-control instruction, and FDP/FDS when it has a memory operand.
void note_insn(Cpu& c, const Insn& in);

// ---- memory operands ----

struct MemRef {
    SegReg sr;
    uint32_t off;
    bool a16;  // 16-bit addressing: offsets wrap at 64 KiB
    uint32_t at(uint32_t k) const { return a16 ? (off + k) & 0xFFFF : off + k; }
};
// The memory operand of `in` (it must have one).
MemRef mem_ref(Cpu& c, const Insn& in);
bool has_mem(const Insn& in);
// Reads n bytes after checking the whole range (segment limit, #AC for `align`).
void read_mem(Cpu& c, const MemRef& m, void* out, unsigned n, unsigned align);
// Checks that n bytes can be written (segment, pages, #AC) without writing.
void check_write(Cpu& c, const MemRef& m, unsigned n, unsigned align);
// Writes n bytes (after check_write).
void write_mem(Cpu& c, const MemRef& m, const void* in, unsigned n);

// ModRM fields of an x87 instruction (the opcode map is regular: D8-DF, reg, rm).
inline unsigned modrm_reg(const Insn& in) { return in.modrm_reg(); }
inline unsigned modrm_rm(const Insn& in) { return in.modrm_rm(); }

// Registration of each x87 file's rows.
void register_x87_arith(InsnTable& t);
void register_x87_load_store(InsnTable& t);
void register_x87_control(InsnTable& t);
void register_x87_transcendental(InsnTable& t);

} // namespace xlat::x87
