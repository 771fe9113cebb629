// Miscellaneous: HLT, flag instructions (CLC STC CMC CLD STD CLI STI), CPUID, RDTSC, IN/OUT,
// UD0/UD1/UD2, PAUSE (WAIT/FWAIT is in x87.cpp) (SDM Vol. 2 under each mnemonic).
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// HLT: privileged (#GP(0) at CPL > 0, V86 mode included). The CPU sleeps until an interrupt.
void HLT(Cpu& c, const Insn&) {
    if (c.s.cpl != 0) raise_fault(kGP, 0);
    c.s.halted = 1;
}

void CLC(Cpu& c, const Insn&) { c.set_flag(CF, false); }
void STC(Cpu& c, const Insn&) { c.set_flag(CF, true); }
void CMC(Cpu& c, const Insn&) { c.set_flag(CF, !c.flag(CF)); }
void CLD(Cpu& c, const Insn&) { c.set_flag(DF, false); }
void STD(Cpu& c, const Insn&) { c.set_flag(DF, true); }

// CLI/STI need CPL <= IOPL in protected mode and IOPL = 3 in V86 mode, else #GP(0) (SDM Vol. 2A,
// CLI, Table 3-7) -- unless virtual interrupts apply (CR4.VME in V86 mode, CR4.PVI at CPL 3):
// then they clear and set VIF, and STI faults when an interrupt is pending (VIP).
bool acts_on_vif(Cpu& c) {
    if (!c.protected_mode() || c.s.cpl <= c.iopl()) return false;
    if (c.virtual_if()) return true;
    raise_fault(kGP, 0);
}

void CLI(Cpu& c, const Insn&) {
    if (acts_on_vif(c)) c.set_flag(VIF, false);
    else c.set_flag(IF, false);
}

void STI(Cpu& c, const Insn&) {
    if (acts_on_vif(c)) {
        if (c.flag(VIP)) raise_fault(kGP, 0);
        c.set_flag(VIF, true);
        return;
    }
    // Setting IF delays interrupts until after the next instruction (SDM Vol. 2B, STI); an STI
    // with IF already set does not.
    if (!c.flag(IF)) {
        c.s.inhibit_irq = kShadowIrq;
        c.set_flag(IF, true);
        c.interrupt_window_opened();
    }
}

// CPUID (SDM Vol. 2A, CPUID). xlat emulates an Intel P6-family CPU, so it says so: the vendor is
// "GenuineIntel" (as QEMU's qemu32 and other emulators' default models), and the signature is the
// one RESET puts in EDX (family 6, model 5, stepping 2: a Pentium II "Deschutes", the first P6 with
// FXSAVE, whose instruction set is the closest to what the CPU implements). Operating systems
// key a lot on the vendor: Linux trusts a local APIC that the ACPI MADT names and runs the
// Intel-specific set-up (errata, the microcode revision MSR, cache and TLB tables) only for a
// vendor it knows; an unknown one gets the no-op APIC and a warning with a call trace. The
// feature flags list exactly what the CPU implements now, and grow with it: no MTRR, PAT, MCE,
// SSE yet. APIC (EDX bit 9) is set when the machine has a local APIC and IA32_APIC_BASE enables
// it (SDM Vol. 3A, 10.4.3: a hardware-disabled APIC clears the flag); EBX bits 31:24 are its
// initial ID. ECX bit 31 (reserved for this use: "not used, always 0" on Intel hardware) says
// that the CPU is not bare metal, as QEMU and hypervisors set it: Linux then explains the missing
// performance counters ("PMU not available due to virtualization") instead of calling the PMU
// broken, and leaves the microcode loader off. The extended leaves (which a Pentium II lacks) are there for NX; on Intel CPUs
// their EAX, EBX and ECX are reserved (zero) but in leaf 0x80000000's EAX.
constexpr uint32_t kMaxBasicLeaf = 1;
constexpr uint32_t kMaxExtendedLeaf = 0x80000001u;
constexpr uint32_t kSignature = 0x00000652;
constexpr uint32_t kFeatureEdx = (1u << 0)     // FPU: the x87
                                 | (1u << 1)   // VME: CR4.VME and CR4.PVI
                                 | (1u << 2)   // DE: CR4.DE, I/O breakpoints
                                 | (1u << 3)   // PSE: 4 MiB pages
                                 | (1u << 4)   // TSC: RDTSC, CR4.TSD
                                 | (1u << 5)   // MSR: RDMSR, WRMSR
                                 | (1u << 6)   // PAE: 64-bit page-table entries
                                 | (1u << 8)   // CX8: CMPXCHG8B
                                 | (1u << 11)  // SEP: SYSENTER, SYSEXIT
                                 | (1u << 13)  // PGE: global pages
                                 | (1u << 15)  // CMOV: CMOVcc (and FCMOVcc, FCOMI with the FPU)
                                 | (1u << 23)  // MMX
                                 | (1u << 24); // FXSR: FXSAVE, FXRSTOR, CR4.OSFXSR
constexpr uint32_t kFeatureEcx = 1u << 31;     // hypervisor present (see above)
constexpr uint32_t kExtFeatureEdx = 1u << 20;  // NX: EFER.NXE and the execute-disable bit

constexpr uint32_t fourcc(const char* s) {
    return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
           uint32_t(uint8_t(s[3])) << 24;
}

void CPUID(Cpu& c, const Insn&) {
    uint32_t leaf = c.s.reg32(EAX);
    // A leaf above the maximum (basic or extended) returns the data of the highest basic leaf
    // (SDM Vol. 2A, CPUID: "If a value entered for CPUID.EAX is higher than the maximum input
    // value for basic or extended function ... the data for the highest basic information leaf
    // is returned").
    if ((leaf > kMaxBasicLeaf && leaf < 0x80000000u) || leaf > kMaxExtendedLeaf) leaf = kMaxBasicLeaf;
    uint32_t a = 0, b = 0, cx = 0, d = 0;
    switch (leaf) {
    case 0: a = kMaxBasicLeaf, b = fourcc("Genu"), d = fourcc("ineI"), cx = fourcc("ntel"); break;
    case 1:
        a = kSignature, d = kFeatureEdx, cx = kFeatureEcx;
        if (c.apic && (c.s.apic_base & (1u << 11))) {
            d |= 1u << 9;
            b = uint32_t(c.apic->apic_id()) << 24;
        }
        break;
    case 0x80000000u: a = kMaxExtendedLeaf; break;
    case 0x80000001u: d = kExtFeatureEdx; break;
    }
    c.s.set_reg32(EAX, a), c.s.set_reg32(EBX, b), c.s.set_reg32(ECX, cx), c.s.set_reg32(EDX, d);
}

// RDTSC: #GP(0) when CR4.TSD is set and CPL > 0 (SDM Vol. 2B, RDTSC).
void RDTSC(Cpu& c, const Insn&) {
    if ((c.s.cr4 & CR4_TSD) && c.s.cpl != 0) raise_fault(kGP, 0);
    const uint64_t tsc = c.tsc();
    c.s.set_reg32(EAX, uint32_t(tsc));
    c.s.set_reg32(EDX, uint32_t(tsc >> 32));
}

// IN AL/AX/EAX, imm8 or DX; OUT imm8 or DX, AL/AX/EAX. Cpu::port_in/port_out apply IOPL and the
// TSS I/O permission bitmap.
void IN(Cpu& c, const Insn& in) {
    const unsigned sz = in.size(0);
    const uint16_t port = uint16_t(c.rd_op(in, 1));
    c.set_reg(EAX, sz, c.port_in(port, sz));
}

void OUT(Cpu& c, const Insn& in) {
    const unsigned sz = in.size(1);
    const uint16_t port = uint16_t(c.rd_op(in, 0));
    c.port_out(port, sz, c.reg(EAX, sz));
}

// UD0, UD1, UD2: defined to raise #UD (SDM Vol. 2B, UD). Implemented, so not counted as missing.
void UD(Cpu&, const Insn&) { raise_fault(kUD); }

// PAUSE (F3 90) is REP NOP on processors before the Pentium 4: a plain NOP.
void PAUSE(Cpu&, const Insn&) {}

} // namespace

void register_misc(InsnTable& t) {
    t.add(ZYDIS_MNEMONIC_HLT, HLT, "misc", kPrivileged | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_CLC, CLC, "misc");
    t.add(ZYDIS_MNEMONIC_STC, STC, "misc");
    t.add(ZYDIS_MNEMONIC_CMC, CMC, "misc");
    t.add(ZYDIS_MNEMONIC_CLD, CLD, "misc");
    t.add(ZYDIS_MNEMONIC_STD, STD, "misc");
    // CLI does not end a block: blocks take interrupts only at their ends anyway, and a cleared
    // IF (or VIF) asks nothing of the dispatcher. STI does: its interrupt shadow covers exactly
    // the next instruction, which the dispatcher steps (translator/jit.cpp, Jit::run).
    t.add(ZYDIS_MNEMONIC_CLI, CLI, "misc", kSensitive);
    t.add(ZYDIS_MNEMONIC_STI, STI, "misc", kSensitive | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_CPUID, CPUID, "misc");
    t.add(ZYDIS_MNEMONIC_RDTSC, RDTSC, "misc", kSensitive);
    t.add(ZYDIS_MNEMONIC_IN, IN, "misc", kSensitive);
    // A port write may remap memory (A20, PAM), raise an interrupt that must be taken at the next
    // boundary, reset or stop the machine: each sets the exit request, which every executor
    // tests after every instruction that calls out (docs/runloop.md), so the block goes on only
    // when none of them happened. As IN.
    t.add(ZYDIS_MNEMONIC_OUT, OUT, "misc", kSensitive);
    t.add(ZYDIS_MNEMONIC_UD0, UD, "misc", kEndsBlock);
    t.add(ZYDIS_MNEMONIC_UD1, UD, "misc", kEndsBlock);
    t.add(ZYDIS_MNEMONIC_UD2, UD, "misc", kEndsBlock);
    t.add(ZYDIS_MNEMONIC_PAUSE, PAUSE, "misc");
}

} // namespace xlat
