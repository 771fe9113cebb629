// CpuState: the whole architectural state of one x86 CPU, as one plain struct.
//
// Emitted code reaches every field through offsetof, so this stays a standard-layout struct with
// no virtual functions, no references and no owning pointers. Every field says what it holds.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace xlat {

// General registers, in the order of the ModRM encoding (SDM Vol. 2A, Table 2-1); R8-R15 exist
// only in long mode.
enum Gpr : uint8_t { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, kGprCount = 16 };

// Segment registers, in the order of the sreg encoding (SDM Vol. 2A, 3.1.1.3).
enum SegReg : uint8_t { ES, CS, SS, DS, FS, GS, kSegCount };

// EFLAGS bits (SDM Vol. 1, 3.4.3).
constexpr uint32_t CF = 1u << 0, FIXED1 = 1u << 1, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6,
                   SF = 1u << 7, TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11,
                   IOPL = 3u << 12, NT = 1u << 14, RF = 1u << 16, VM = 1u << 17, AC = 1u << 18,
                   VIF = 1u << 19, VIP = 1u << 20, ID = 1u << 21;
constexpr uint32_t kArithFlags = CF | PF | AF | ZF | SF | OF;

// CR0 and CR4 bits (SDM Vol. 3A, 2.5).
enum Cr0 : uint32_t {
    CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3, CR0_ET = 1u << 4,
    CR0_NE = 1u << 5, CR0_WP = 1u << 16, CR0_AM = 1u << 18, CR0_NW = 1u << 29, CR0_CD = 1u << 30,
    CR0_PG = 1u << 31,
};
enum Cr4 : uint32_t {
    CR4_VME = 1u << 0, CR4_PVI = 1u << 1, CR4_TSD = 1u << 2, CR4_DE = 1u << 3, CR4_PSE = 1u << 4,
    CR4_PAE = 1u << 5, CR4_MCE = 1u << 6, CR4_PGE = 1u << 7, CR4_PCE = 1u << 8,
    CR4_OSFXSR = 1u << 9, CR4_OSXMMEXCPT = 1u << 10,
};

// IA32_EFER bits (SDM Vol. 3A, 2.2.1): only NXE exists on a 32-bit CPU with PAE and NX.
constexpr uint64_t kEferNxe = 1ull << 11;

// Access-rights word of a segment cache: bits 0-7 are byte 5 of the descriptor (type, S, DPL,
// P), bits 12-15 the flags nibble of byte 6 (AVL, L, D/B, G), as in the VMX guest-state format.
enum SegAttr : uint16_t {
    SEG_ACCESSED = 1u << 0, SEG_RW = 1u << 1,      // data: writable; code: readable
    SEG_DC = 1u << 2,                              // data: expand-down; code: conforming
    SEG_CODE = 1u << 3, SEG_S = 1u << 4,           // code segment; code/data (not system)
    SEG_DPL_SHIFT = 5, SEG_P = 1u << 7,            // privilege level; present
    SEG_AVL = 1u << 12, SEG_L = 1u << 13, SEG_DB = 1u << 14, SEG_G = 1u << 15,
};

// A segment register: the visible selector and the hidden descriptor cache (SDM Vol. 3A, 3.4.3).
struct SegmentCache {
    uint32_t base;      // linear base address
    uint32_t limit;     // limit in bytes (granularity already applied)
    uint16_t selector;  // visible selector
    uint16_t attr;      // access rights, SegAttr bits
};

// GDTR and IDTR (SDM Vol. 3A, 2.4).
struct TableRegister {
    uint32_t base;   // linear base address
    uint16_t limit;  // limit in bytes
};

// An x87 register: the 80-bit extended format (SDM Vol. 1, 4.2.2, Figure 4-3). MMX register n
// is the significand of physical register n.
struct Float80 {
    uint64_t mant;  // significand, with the explicit integer bit (bit 63)
    uint16_t sexp;  // sign (bit 15) and biased exponent (bits 0-14)
};

// The x87 FPU environment and register stack (SDM Vol. 1, chapter 8).
struct FpuState {
    Float80 st[8];  // physical registers R0-R7; ST(i) is st[(TOP + i) & 7]
    uint16_t fcw;   // control word: exception masks, precision (PC) and rounding (RC) control
    uint16_t fsw;   // status word: exception flags, SF, ES, C0-C3, TOP (bits 11-13), B
    uint16_t ftw;   // full tag word, 2 bits per physical register: 0 valid, 1 zero, 2 special, 3 empty
    uint16_t fop;   // last non-control instruction's opcode (11 bits)
    uint32_t fip;   // last non-control instruction's offset
    uint16_t fcs;   // ... and its code segment selector
    uint32_t fdp;   // last memory operand's offset
    uint16_t fds;   // ... and its segment selector
    uint32_t mxcsr; // SSE control and status (FXSAVE image; SSE itself comes later)
};

// Bits of CpuState::inhibit_irq: what the next instruction boundary holds back.
constexpr uint8_t kShadowIrq = 1;    // external interrupts (after STI, MOV SS, POP SS)
constexpr uint8_t kShadowDebug = 2;  // debug traps as well (after MOV SS, POP SS)

// A guest exception that a helper called from translated code caught, for the dispatcher to
// deliver (no C++ exception crosses emitted code: docs/translator.md).
struct PendingFault {
    uint8_t pending;      // 1: a fault waits for delivery
    uint8_t vector;       // exception vector
    uint32_t error_code;  // error code, where the vector has one
    uint32_t address;     // faulting linear address (#PF: becomes CR2)
};

struct CpuState {
    // The general registers and the instruction pointer are 64 bits wide, as in long mode, so
    // that long mode adds semantics without moving what emitted code addresses. Only 32-bit
    // code runs today: it goes through the 32-bit accessors below, and a 32-bit write
    // zero-extends as it does in 64-bit mode.
    uint64_t gpr[kGprCount];     // RAX RCX RDX RBX RSP RBP RSI RDI R8-R15, indexed by Gpr
    uint64_t rip;                // offset of the next instruction to run in CS
    uint32_t eflags;             // EFLAGS, all bits kept current (no lazy flags here)
    SegmentCache seg[kSegCount]; // ES CS SS DS FS GS, indexed by SegReg
    SegmentCache ldtr;           // LDT register: selector and cached descriptor
    SegmentCache tr;             // task register: selector and cached TSS descriptor
    TableRegister gdtr;          // global descriptor table register
    TableRegister idtr;          // interrupt descriptor table register (IVT base in real mode)
    uint32_t cr0;                // CR0: PE, MP, EM, TS, ET, NE, WP, AM, NW, CD, PG
    uint32_t cr2;                // CR2: linear address of the last page fault
    uint32_t cr3;                // CR3: page directory base and PWT/PCD
    uint32_t cr4;                // CR4: VME, PVI, TSD, DE, PSE, PAE, MCE, PGE, PCE, ...
    uint32_t dr[8];              // DR0-DR7 (DR4/DR5 alias DR6/DR7 when CR4.DE=0)
    uint64_t efer;               // IA32_EFER (NXE)
    uint64_t tsc;                // time-stamp counter minus the clock's ns (Cpu::tsc() reads it)
    uint32_t sysenter_cs;        // IA32_SYSENTER_CS
    uint32_t sysenter_esp;       // IA32_SYSENTER_ESP
    uint32_t sysenter_eip;       // IA32_SYSENTER_EIP
    uint64_t apic_base;          // IA32_APIC_BASE
    uint8_t cpl;                 // current privilege level (0 in real mode, 3 in V86 mode)
    uint8_t halted;              // 1 after HLT until an interrupt or reset
    uint8_t inhibit_irq;         // interrupt shadow after STI (kShadowIrq) or MOV/POP SS (both bits)
    uint8_t pending_exit;        // nonzero: stop the run loop after this instruction
    uint8_t nmi_pending;         // the NMI pin was asserted and the NMI is not delivered yet
    uint8_t nmi_blocked;         // an NMI handler runs: further NMIs wait for its IRET (SDM 6.7.1)
    uint8_t task_trap;           // a task switch loaded a TSS with T=1: #DB after the instruction
    uint8_t single_step;         // TF was set as this instruction began: #DB (DR6.BS) after it,
                                 // unless it delivered a software interrupt (SDM Vol. 3A, 17.3.1.4)
    uint8_t ferr;                // FERR# output asserted (unmasked x87 error with CR0.NE=0)
    uint8_t ignne;               // IGNNE# input asserted: x87 errors are ignored (port F0h)
    uint32_t held_dr6;           // debug traps (DR6 bits) held back by a MOV SS / POP SS shadow
    uint64_t pdpte[4];           // PAE PDPTE registers, loaded with CR3/CR0/CR4 (SDM Vol. 3A, 4.4.1)
    FpuState fpu;                // x87 FPU and MMX state
    PendingFault fault;          // raised by a helper of a translated block, not yet delivered
    uint32_t insn_eip;           // EIP of the instruction being executed (for faults)
    uint64_t icount;             // instructions retired since reset

    uint32_t reg32(unsigned i) const { return uint32_t(gpr[i]); }
    void set_reg32(unsigned i, uint32_t v) { gpr[i] = v; }
    uint32_t eip() const { return uint32_t(rip); }
    void set_eip(uint32_t v) { rip = v; }
};

static_assert(std::is_standard_layout_v<CpuState>, "CpuState must stay offsetof-reachable");

} // namespace xlat
