// System instructions (SDM Vol. 2 and Vol. 3A chapters 2-5): descriptor-table registers, control
// and debug registers, LDT and task register, descriptor inspection (LAR, LSL, VERR, VERW, ARPL),
// caches and TLB, model-specific registers, SYSENTER/SYSEXIT. Each runs once here, in C++; the
// translator calls these as helpers.
#include "cpu/cpu.h"
#include "cpu/descriptor.h"
#include "cpu/segment.h"
#include "cpu/table.h"

namespace xlat {

namespace {

// #GP(0) unless CPL is 0 (real mode counts as CPL 0; V86 mode runs at CPL 3).
void require_cpl0(Cpu& c) {
    if (c.protected_mode() && c.s.cpl != 0) raise_fault(kGP, 0);
}
// Instructions that exist only in protected mode raise #UD in real and V86 mode.
void require_protected(Cpu& c, const Insn& in) {
    if (!c.protected_mode() || c.v86()) { (void)in; raise_fault(kUD); }
}

// ---- GDTR / IDTR ----

// LGDT/LIDT m16&32: limit then base; with a 16-bit operand size only 24 bits of base are used.
template <bool IDT> void Lxdt(Cpu& c, const Insn& in) {
    if (!in.is_mem(0)) raise_fault(kUD);
    require_cpl0(c);
    SegReg sr = c.seg_of(in, 0);
    uint32_t off = c.ea(in, 0);
    uint16_t limit = c.rd16(sr, off);
    uint32_t base = c.rd32(sr, in.addrsize() == 2 ? (off + 2) & 0xFFFF : off + 2);
    if (in.opsize() == 2) base &= 0x00FFFFFF;
    (IDT ? c.s.idtr : c.s.gdtr) = TableRegister{base, limit};
}

// SGDT/SIDT: with a 16-bit operand size the fourth base byte is stored as 0 (SDM SGDT).
template <bool IDT> void Sxdt(Cpu& c, const Insn& in) {
    if (!in.is_mem(0)) raise_fault(kUD);
    const TableRegister& t = IDT ? c.s.idtr : c.s.gdtr;
    SegReg sr = c.seg_of(in, 0);
    uint32_t off = c.ea(in, 0);
    c.probe_wr(sr, off, 6);
    c.wr16(sr, off, t.limit);
    c.wr32(sr, in.addrsize() == 2 ? (off + 2) & 0xFFFF : off + 2,
           in.opsize() == 2 ? t.base & 0x00FFFFFF : t.base);
}

// ---- control registers ----

constexpr uint32_t kCr0Implemented = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP |
                                     CR0_AM | CR0_NW | CR0_CD | CR0_PG;
// CR4 bits whose features exist (and CPUID reports). Setting any other bit raises #GP(0).
constexpr uint32_t kCr4Implemented =
    CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR;

void write_cr0(Cpu& c, uint32_t v) {
    if ((v & CR0_PG) && !(v & CR0_PE)) raise_fault(kGP, 0);
    if ((v & CR0_NW) && !(v & CR0_CD)) raise_fault(kGP, 0);
    v = (v & kCr0Implemented) | CR0_ET;  // ET is hardwired to 1 since the 486
    uint32_t old = c.s.cr0;
    if ((old ^ v) & (CR0_PE | CR0_PG | CR0_WP)) {
        c.trace.log(kTraceCpu, "CR0 %08x -> %08x", old, v);
        c.load_paging_regs(v, c.s.cr3, c.s.cr4, c.s.efer);
        c.mode_changed();
    } else {
        c.s.cr0 = v;
    }
}

void write_cr4(Cpu& c, uint32_t v) {
    if (v & ~kCr4Implemented) raise_fault(kGP, 0);
    // Switching between 32-bit and PAE paging with MOV to CR4 is allowed while paging is on
    // (SDM Vol. 3A, 4.1.2; the #GP applies only to IA-32e paging, which this CPU lacks).
    c.load_paging_regs(c.s.cr0, c.s.cr3, v, c.s.efer);
    c.debug_regs_changed();  // CR4.DE turns I/O breakpoints on and off
}

void MOV_Cr(Cpu& c, const Insn& in) {
    require_cpl0(c);
    if (c.v86()) raise_fault(kGP, 0);
    if (ZydisRegisterGetClass(in.regv(0)) == ZYDIS_REGCLASS_CONTROL) {
        uint32_t v = c.get(in.regv(1));
        switch (in.regv(0)) {
        case ZYDIS_REGISTER_CR0: write_cr0(c, v); break;
        case ZYDIS_REGISTER_CR2: c.s.cr2 = v; break;
        case ZYDIS_REGISTER_CR3: c.load_paging_regs(c.s.cr0, v, c.s.cr4, c.s.efer); break;
        case ZYDIS_REGISTER_CR4: write_cr4(c, v); break;
        default: raise_fault(kUD);  // CR1, CR5-CR7 do not exist
        }
    } else {
        ZydisRegister cr = in.regv(1);
        if (cr != ZYDIS_REGISTER_CR0 && cr != ZYDIS_REGISTER_CR2 && cr != ZYDIS_REGISTER_CR3 &&
            cr != ZYDIS_REGISTER_CR4)
            raise_fault(kUD);
        c.set(in.regv(0), c.get(cr));
    }
}

// MOV to/from DR0-DR7. DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD.
void MOV_Dr(Cpu& c, const Insn& in) {
    require_cpl0(c);
    if (c.v86()) raise_fault(kGP, 0);
    if (c.s.dr[7] & (1u << 13)) {
        // DR7.GD: general detect. #DB (a fault) with DR6.BD, and GD cleared for the handler.
        c.s.dr[6] |= 1u << 13;
        c.s.dr[7] &= ~(1u << 13);
        raise_fault(kDB);
    }
    bool to_dr = ZydisRegisterGetClass(in.regv(0)) == ZYDIS_REGCLASS_DEBUG;
    unsigned n = unsigned((to_dr ? in.regv(0) : in.regv(1)) - ZYDIS_REGISTER_DR0);
    if (n == 4 || n == 5) {
        if (c.s.cr4 & CR4_DE) raise_fault(kUD);
        n += 2;
    }
    if (!to_dr) {
        c.set(in.regv(0), c.s.dr[n]);
        return;
    }
    uint32_t v = c.get(in.regv(1));
    if (n == 6) v = (v & 0x0000E00Fu) | 0xFFFF0FF0u;       // reserved bits read as fixed values
    else if (n == 7) v = (v & 0xFFFF2BFFu) | 0x00000400u;
    c.s.dr[n] = v;
    c.debug_regs_changed();
}

// LMSW loads PE, MP, EM and TS from a 16-bit source; it can set PE but not clear it.
void LMSW(Cpu& c, const Insn& in) {
    require_cpl0(c);
    uint32_t v = c.rd_op(in, 0) & 0xF;
    uint32_t cr0 = (c.s.cr0 & ~0xEu) | (v & 0xE) | ((c.s.cr0 | v) & CR0_PE);
    write_cr0(c, cr0);
}

// SMSW: the low 16 bits of CR0 to memory; a 32-bit register gets all of CR0 (P6 behaviour).
void SMSW(Cpu& c, const Insn& in) {
    if (in.is_mem(0)) c.wr(c.seg_of(in, 0), c.ea(in, 0), 2, c.s.cr0 & 0xFFFF);
    else c.wr_op(in, 0, c.s.cr0);
}

void CLTS(Cpu& c, const Insn&) {
    require_cpl0(c);
    c.s.cr0 &= ~CR0_TS;
}

// ---- LDTR and TR ----

void LLDT(Cpu& c, const Insn& in) {
    require_protected(c, in);
    require_cpl0(c);
    uint16_t sel = uint16_t(c.rd_op(in, 0));
    if ((sel & 0xFFFC) == 0) {
        c.s.ldtr = SegmentCache{0, 0, sel, 0};  // unusable LDT
        return;
    }
    if (sel & 4) raise_fault(kGP, sel & 0xFFFC);  // must be in the GDT
    Descriptor d = read_descriptor(c, sel, kGP);
    if (!d.system() || d.type() != kLdt) raise_fault(kGP, sel & 0xFFFC);
    if (!d.present()) raise_fault(kNP, sel & 0xFFFC);
    c.s.ldtr = d.cache(sel);
}

void LTR(Cpu& c, const Insn& in) {
    require_protected(c, in);
    require_cpl0(c);
    uint16_t sel = uint16_t(c.rd_op(in, 0));
    if ((sel & 0xFFFC) == 0) raise_fault(kGP, 0);
    if (sel & 4) raise_fault(kGP, sel & 0xFFFC);
    Descriptor d = read_descriptor(c, sel, kGP);
    if (!d.system() || (d.type() != kTss16Avail && d.type() != kTss32Avail)) raise_fault(kGP, sel & 0xFFFC);
    if (!d.present()) raise_fault(kNP, sel & 0xFFFC);
    d.hi |= 2u << 8;  // mark busy in the GDT
    c.sys_wr(c.s.gdtr.base + (sel & ~7u) + 5, 1, (d.hi >> 8) & 0xFF);
    c.s.tr = d.cache(sel);
}

// SLDT/STR: the selector; a 32-bit register destination is zero-extended.
template <bool TR> void Sxtr(Cpu& c, const Insn& in) {
    require_protected(c, in);
    uint16_t sel = TR ? c.s.tr.selector : c.s.ldtr.selector;
    if (in.is_mem(0)) c.wr(c.seg_of(in, 0), c.ea(in, 0), 2, sel);
    else c.wr_op(in, 0, sel);
}

// ---- descriptor inspection ----

// Reads the descriptor for LAR/LSL/VERR/VERW; false (ZF = 0) when null or beyond the table.
bool inspect(Cpu& c, uint16_t sel, Descriptor& d) {
    if ((sel & 0xFFFC) == 0) return false;
    bool ldt = sel & 4;
    uint32_t limit = ldt ? c.s.ldtr.limit : c.s.gdtr.limit;
    if (ldt && !(c.s.ldtr.attr & SEG_P)) return false;
    if ((uint32_t(sel) | 7) > limit) return false;
    uint32_t at = (ldt ? c.s.ldtr.base : c.s.gdtr.base) + (sel & ~7u);
    d = Descriptor{c.sys_rd(at, 4), c.sys_rd(at + 4, 4)};
    return true;
}

// The privilege rule shared by LAR, LSL, VERR, VERW: except for conforming code segments,
// DPL must be >= CPL and >= RPL.
bool visible(const Cpu& c, uint16_t sel, const Descriptor& d) {
    if (d.conforming()) return true;
    return d.dpl() >= c.s.cpl && d.dpl() >= (sel & 3u);
}

template <bool LSL> void LARLSL(Cpu& c, const Insn& in) {
    require_protected(c, in);
    uint16_t sel = uint16_t(c.rd_op(in, 1));
    Descriptor d{};
    bool ok = inspect(c, sel, d) && visible(c, sel, d);
    if (ok && d.system()) {
        unsigned ty = d.type();
        // LAR accepts TSS, LDT and call/task gates; LSL only what has a limit (TSS, LDT).
        ok = ty == kTss16Avail || ty == kLdt || ty == kTss16Busy || ty == kTss32Avail || ty == kTss32Busy ||
             (!LSL && (ty == kCallGate16 || ty == kTaskGate || ty == kCallGate32));
    }
    c.set_flag(ZF, ok);
    if (!ok) return;
    if (LSL) c.wr_op(in, 0, d.limit());
    else c.wr_op(in, 0, d.hi & 0x00FFFF00u);  // wr_op keeps the low 16 bits for 16-bit operands
}

template <bool W> void VERx(Cpu& c, const Insn& in) {
    require_protected(c, in);
    uint16_t sel = uint16_t(c.rd_op(in, 0));
    Descriptor d{};
    bool ok = inspect(c, sel, d) && !d.system() && visible(c, sel, d);
    if (ok) ok = W ? d.writable() : d.readable();
    c.set_flag(ZF, ok);
}

void ARPL(Cpu& c, const Insn& in) {
    require_protected(c, in);
    c.probe_op(in, 0);
    uint16_t dst = uint16_t(c.rd_op(in, 0)), src = uint16_t(c.rd_op(in, 1));
    if ((dst & 3) < (src & 3)) {
        c.wr_op(in, 0, (dst & ~3u) | (src & 3u));
        c.set_flag(ZF, true);
    } else {
        c.set_flag(ZF, false);
    }
}

// ---- caches and TLB ----

// INVD/WBINVD: there are no caches to write back or drop; the privilege check is the behaviour.
void INVD(Cpu& c, const Insn&) { require_cpl0(c); }

void INVLPG(Cpu& c, const Insn& in) {
    if (!in.is_mem(0)) raise_fault(kUD);
    require_cpl0(c);
    // The address is a linear one: segment base added, no limit check or fault (SDM INVLPG).
    c.mmu.invalidate_page(c.s.seg[c.seg_of(in, 0)].base + c.ea(in, 0));
}

// ---- model-specific registers ----

enum Msr : uint32_t {
    kMsrTsc = 0x10, kMsrPlatformId = 0x17, kMsrApicBase = 0x1B, kMsrBiosSignId = 0x8B, kMsrSysenterCs = 0x174, kMsrSysenterEsp = 0x175,
    kMsrSysenterEip = 0x176, kMsrEfer = 0xC0000080,
};

void RDMSR(Cpu& c, const Insn&) {
    require_cpl0(c);
    uint64_t v;
    switch (c.s.reg32(ECX)) {
    case kMsrTsc: v = c.tsc(); break;
    case kMsrApicBase: v = c.s.apic_base; break;
    // IA32_PLATFORM_ID (SDM Vol. 4, table 2-2; the P6 family has it): platform 0. Linux's
    // microcode loader reads it without a fault handler on an Intel family 6 model 5 and later.
    case kMsrPlatformId: v = 0; break;
    // IA32_BIOS_SIGN_ID (SDM Vol. 3A, 9.11.7.1): the revision of the loaded microcode update in
    // EDX after a CPUID; 0, none was ever loaded (no update can be).
    case kMsrBiosSignId: v = 0; break;
    case kMsrSysenterCs: v = c.s.sysenter_cs; break;
    case kMsrSysenterEsp: v = c.s.sysenter_esp; break;
    case kMsrSysenterEip: v = c.s.sysenter_eip; break;
    case kMsrEfer: v = c.s.efer; break;
    default: raise_fault(kGP, 0);
    }
    c.s.set_reg32(EAX, uint32_t(v));
    c.s.set_reg32(EDX, uint32_t(v >> 32));
}

void WRMSR(Cpu& c, const Insn&) {
    require_cpl0(c);
    uint64_t v = (uint64_t(c.s.reg32(EDX)) << 32) | c.s.reg32(EAX);
    switch (c.s.reg32(ECX)) {
    case kMsrTsc: c.set_tsc(v); break;
    case kMsrApicBase:
        // Base (bits 12-35), enable (11) and BSP (8); anything else reserved.
        if (v & ~0xFFFFFF900ull) raise_fault(kGP, 0);
        c.s.apic_base = v;
        if (c.apic) c.apic->apic_base_written(v);
        break;
    case kMsrBiosSignId: break;  // software writes 0 before reading the revision (9.11.7.1)
    case kMsrSysenterCs: c.s.sysenter_cs = uint32_t(v); break;
    case kMsrSysenterEsp: c.s.sysenter_esp = uint32_t(v); break;
    case kMsrSysenterEip: c.s.sysenter_eip = uint32_t(v); break;
    case kMsrEfer:
        if (v & ~kEferNxe) raise_fault(kGP, 0);  // only NXE exists (no long mode, no SYSCALL)
        c.load_paging_regs(c.s.cr0, c.s.cr3, c.s.cr4, v);
        break;
    default: raise_fault(kGP, 0);
    }
}

// RDPMC: no performance counters are emulated; counters 0 and 1 read as zero.
void RDPMC(Cpu& c, const Insn&) {
    if (c.protected_mode() && c.s.cpl != 0 && !(c.s.cr4 & CR4_PCE)) raise_fault(kGP, 0);
    if (c.s.reg32(ECX) > 1) raise_fault(kGP, 0);
    c.s.set_reg32(EAX, 0);
    c.s.set_reg32(EDX, 0);
}

// ---- SYSENTER / SYSEXIT (SDM Vol. 2B): flat segments derived from IA32_SYSENTER_CS ----

SegmentCache flat(uint16_t sel, bool code, unsigned dpl) {
    uint16_t attr = uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G | (dpl << SEG_DPL_SHIFT) |
                             (code ? SEG_CODE : 0));
    return SegmentCache{0, 0xFFFFFFFFu, sel, attr};
}

void SYSENTER(Cpu& c, const Insn&) {
    if (!c.protected_mode()) raise_fault(kGP, 0);
    uint16_t cs = uint16_t(c.s.sysenter_cs);
    if ((cs & 0xFFFC) == 0) raise_fault(kGP, 0);
    c.s.eflags &= ~(VM | IF | RF);
    c.s.seg[CS] = flat(cs & 0xFFFC, true, 0);
    c.s.seg[SS] = flat(uint16_t((cs + 8) & 0xFFFC), false, 0);
    c.s.cpl = 0;
    c.s.set_reg32(ESP, c.s.sysenter_esp);
    c.s.set_eip(c.s.sysenter_eip);
    c.mode_changed();
}

void SYSEXIT(Cpu& c, const Insn&) {
    if (!c.protected_mode() || c.v86() || c.s.cpl != 0) raise_fault(kGP, 0);
    uint16_t cs = uint16_t(c.s.sysenter_cs);
    if ((cs & 0xFFFC) == 0) raise_fault(kGP, 0);
    c.s.seg[CS] = flat(uint16_t((cs + 16) | 3), true, 3);
    c.s.seg[SS] = flat(uint16_t((cs + 24) | 3), false, 3);
    c.s.cpl = 3;
    c.s.set_reg32(ESP, c.s.reg32(ECX));
    c.s.set_eip(c.s.reg32(EDX));
    c.mode_changed();
}

} // namespace

void register_system(InsnTable& t) {
    constexpr uint16_t P = kPrivileged | kSensitive;
    t.add(ZYDIS_MNEMONIC_LGDT, Lxdt<false>, "system", P);
    t.add(ZYDIS_MNEMONIC_LIDT, Lxdt<true>, "system", P);
    t.add(ZYDIS_MNEMONIC_SGDT, Sxdt<false>, "system");
    t.add(ZYDIS_MNEMONIC_SIDT, Sxdt<true>, "system");
    t.add(ZYDIS_MNEMONIC_MOV, MOV_Cr, "system", P | kEndsBlock, Form::Cr);
    t.add(ZYDIS_MNEMONIC_MOV, MOV_Dr, "system", P | kEndsBlock, Form::Dr);  // DR7 arms breakpoints
    t.add(ZYDIS_MNEMONIC_LMSW, LMSW, "system", P | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_SMSW, SMSW, "system");
    t.add(ZYDIS_MNEMONIC_CLTS, CLTS, "system", P | kEndsBlock);  // CR0.TS is in the mode key
    t.add(ZYDIS_MNEMONIC_LLDT, LLDT, "system", P);
    t.add(ZYDIS_MNEMONIC_LTR, LTR, "system", P);
    t.add(ZYDIS_MNEMONIC_SLDT, Sxtr<false>, "system");
    t.add(ZYDIS_MNEMONIC_STR, Sxtr<true>, "system");
    t.add(ZYDIS_MNEMONIC_LAR, LARLSL<false>, "system");
    t.add(ZYDIS_MNEMONIC_LSL, LARLSL<true>, "system");
    t.add(ZYDIS_MNEMONIC_VERR, VERx<false>, "system");
    t.add(ZYDIS_MNEMONIC_VERW, VERx<true>, "system");
    t.add(ZYDIS_MNEMONIC_ARPL, ARPL, "system");
    t.add(ZYDIS_MNEMONIC_INVD, INVD, "system", P);
    t.add(ZYDIS_MNEMONIC_WBINVD, INVD, "system", P);
    // INVLPG may remap the page the rest of the block was fetched from.
    t.add(ZYDIS_MNEMONIC_INVLPG, INVLPG, "system", P | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_RDMSR, RDMSR, "system", P);
    t.add(ZYDIS_MNEMONIC_WRMSR, WRMSR, "system", P | kEndsBlock);
    t.add(ZYDIS_MNEMONIC_RDPMC, RDPMC, "system", kSensitive);
    t.add(ZYDIS_MNEMONIC_SYSENTER, SYSENTER, "system", kEndsBlock | kSensitive);
    t.add(ZYDIS_MNEMONIC_SYSEXIT, SYSEXIT, "system", P | kEndsBlock);
}

} // namespace xlat
