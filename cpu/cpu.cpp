// Shared CPU operations: reset, registers, operands, segmented memory and the stack.
#include "cpu/cpu.h"
#include "cpu/table.h"

namespace xlat {

Cpu::Cpu(Mmu& m, IoBus& bus, const Tracer& t) : mmu(m), io(bus), trace(t) { reset(); }

void Cpu::reset() {
    const bool ferr = s.ferr;
    s = CpuState{};
    set_tsc(0);  // RESET clears the TSC (SDM Vol. 3B, 17.17)
    // Intel SDM Vol. 3A, 9.1.1, Table 9-1: IA-32 processor states following power-up or RESET.
    s.eflags = FIXED1;
    s.set_eip(0xFFF0);
    s.cr0 = CR0_CD | CR0_NW | CR0_ET;
    for (unsigned i = 0; i < kSegCount; ++i)
        s.seg[i] = SegmentCache{0, 0xFFFF, 0, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED)};
    s.seg[CS].selector = 0xF000;
    s.seg[CS].base = 0xFFFF0000u;
    s.ldtr = SegmentCache{0, 0xFFFF, 0, uint16_t(SEG_P | 0x2)};  // LDT, present
    s.tr = SegmentCache{0, 0xFFFF, 0, uint16_t(SEG_P | 0xB)};    // busy 32-bit TSS, present
    s.gdtr = TableRegister{0, 0xFFFF};
    s.idtr = TableRegister{0, 0xFFFF};
    s.set_reg32(EDX, 0x00000652);  // processor signature: family 6, model 5, stepping 2 (as CPUID 1)
    s.fpu.fcw = 0x0040;    // x87 after RESET: registers +0.0 tagged zero (FINIT gives 037FH, FFFFH)
    s.fpu.ftw = 0x5555;
    s.fpu.mxcsr = 0x1F80;
    s.dr[6] = 0xFFFF0FF0u;
    s.dr[7] = 0x00000400u;
    s.apic_base = 0xFEE00900ull;  // BSP, enabled, default base
    debug_hits = 0;
    if (ferr) set_ferr(false);  // the x87 status word is clear again
    debug_regs_changed();
    mode_changed();
    update_paging();
}

// ---------------------------------------------------------------------------------------------
// Registers

uint32_t Cpu::get_slow(ZydisRegister r) const {
    if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH) return reg8(unsigned(r - ZYDIS_REGISTER_AL));
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return reg16(unsigned(r - ZYDIS_REGISTER_AX));
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return s.reg32(r - ZYDIS_REGISTER_EAX);
    if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) return s.seg[r - ZYDIS_REGISTER_ES].selector;
    switch (r) {
    case ZYDIS_REGISTER_CR0: return s.cr0;
    case ZYDIS_REGISTER_CR2: return s.cr2;
    case ZYDIS_REGISTER_CR3: return s.cr3;
    case ZYDIS_REGISTER_CR4: return s.cr4;
    case ZYDIS_REGISTER_FLAGS: return s.eflags & 0xFFFF;
    case ZYDIS_REGISTER_EFLAGS: return s.eflags;
    case ZYDIS_REGISTER_IP: return s.eip() & 0xFFFF;
    case ZYDIS_REGISTER_EIP: return s.eip();
    default: break;
    }
    if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR7) return s.dr[r - ZYDIS_REGISTER_DR0];
    raise_fault(kUD);
}

void Cpu::set_slow(ZydisRegister r, uint32_t v) {
    if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH) return set_reg8(unsigned(r - ZYDIS_REGISTER_AL), uint8_t(v));
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return set_reg16(unsigned(r - ZYDIS_REGISTER_AX), uint16_t(v));
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) { s.set_reg32(r - ZYDIS_REGISTER_EAX, v); return; }
    // Segment, control and debug registers have semantics of their own (MOV Sreg/CRn/DRn rows).
    undefined(nullptr);
}

bool Cpu::cond(unsigned cc) const {
    uint32_t f = s.eflags;
    bool r;
    switch (cc >> 1) {
    case 0: r = f & OF; break;                                    // O
    case 1: r = f & CF; break;                                    // B/C
    case 2: r = f & ZF; break;                                    // Z/E
    case 3: r = f & (CF | ZF); break;                             // BE
    case 4: r = f & SF; break;                                    // S
    case 5: r = f & PF; break;                                    // P
    case 6: r = bool(f & SF) != bool(f & OF); break;              // L
    default: r = (f & ZF) || bool(f & SF) != bool(f & OF); break; // LE
    }
    return (cc & 1) ? !r : r;
}

void Cpu::write_eflags(uint32_t v, uint32_t changeable) {
    const uint32_t old = s.eflags;
    s.eflags = ((s.eflags & ~changeable) | (v & changeable)) | FIXED1;
    // Bits 3, 5, 15 and 22-31 are reserved and read as 0 (SDM Vol. 1, 3.4.3).
    s.eflags &= ~((1u << 3) | (1u << 5) | (1u << 15) | 0xFFC00000u);
    if (s.eflags & ~old & IF) interrupt_window_opened();
}

// ---------------------------------------------------------------------------------------------
// Operands

// rd_op, wr_op, probe_op and ea are inline (cpu/cpu.h).

// ---------------------------------------------------------------------------------------------
// Segmented memory

uint32_t Cpu::linear_slow(SegReg sr, uint32_t off, unsigned size, Access acc) {
    const SegmentCache& c = s.seg[sr];
    const uint8_t vec = sr == SS ? kSS : kGP;
    if (protected_mode() && !v86()) {
        // SDM Vol. 3A, 5.4-5.5: type checks on the cached descriptor.
        if (!(c.attr & SEG_P)) raise_fault(vec, 0);  // null selector loaded (or not present)
        bool code = c.attr & SEG_CODE;
        if (acc == Access::Write && (code || !(c.attr & SEG_RW))) raise_fault(vec, 0);
        if (acc == Access::Read && code && !(c.attr & SEG_RW)) raise_fault(vec, 0);
        // Instruction fetches check only the limit: CS was checked as a code segment when it was
        // loaded, and right after CR0.PE is set it still holds its real-mode cache.
    }
    uint64_t last = uint64_t(off) + size - 1;
    bool expand_down = (c.attr & (SEG_S | SEG_CODE | SEG_DC)) == (SEG_S | SEG_DC);
    if (expand_down) {
        // Valid offsets run from limit + 1 to 0xFFFF or 0xFFFFFFFF (SDM Vol. 3A, 5.3).
        uint32_t upper = (c.attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (off <= c.limit || last > upper) raise_fault(vec, 0);
    } else if (last > c.limit) {
        raise_fault(vec, 0);
    }
    return c.base + off;
}

// #AC(0): an unaligned access at CPL 3 with CR0.AM and EFLAGS.AC set (SDM Vol. 3A, 6.15,
// interrupt 17). Descriptor-table and TSS accesses (sys_rd/sys_wr) are never checked.
inline void check_alignment(const CpuState& s, uint32_t lin, unsigned size) {
    if (s.cpl == 3 && (lin & (size - 1)) && (s.eflags & AC) && (s.cr0 & CR0_AM)) raise_fault(kAC, 0);
}

uint32_t Cpu::rd_checked(uint32_t lin, unsigned size) {
    check_alignment(s, lin, size);
    if (data_breakpoints_) check_data_breakpoints(lin, size, false);
    switch (size) {
    case 1: return mmu.read<uint8_t>(lin, user());
    case 2: return mmu.read<uint16_t>(lin, user());
    default: return mmu.read<uint32_t>(lin, user());
    }
}

void Cpu::wr_checked(uint32_t lin, unsigned size, uint32_t v) {
    check_alignment(s, lin, size);
    if (data_breakpoints_) check_data_breakpoints(lin, size, true);
    switch (size) {
    case 1: return mmu.write<uint8_t>(lin, uint8_t(v), user());
    case 2: return mmu.write<uint16_t>(lin, uint16_t(v), user());
    default: return mmu.write<uint32_t>(lin, v, user());
    }
}

uint32_t Cpu::sys_rd(uint32_t lin, unsigned size) {
    switch (size) {
    case 1: return mmu.read<uint8_t>(lin, false);
    case 2: return mmu.read<uint16_t>(lin, false);
    default: return mmu.read<uint32_t>(lin, false);
    }
}

void Cpu::sys_wr(uint32_t lin, unsigned size, uint32_t v) {
    switch (size) {
    case 1: return mmu.write<uint8_t>(lin, uint8_t(v), false);
    case 2: return mmu.write<uint16_t>(lin, uint16_t(v), false);
    default: return mmu.write<uint32_t>(lin, v, false);
    }
}

// ---------------------------------------------------------------------------------------------
// Stack

// push_at and pop_at are inline (cpu/cpu.h).

// ---------------------------------------------------------------------------------------------
// Segments and modes

void Cpu::seg_changed(SegReg sr) {
    const SegmentCache& c = s.seg[sr];
    constexpr uint8_t R = 1u << unsigned(Access::Read), W = 1u << unsigned(Access::Write),
                      X = 1u << unsigned(Access::Exec);
    bool expand_down = (c.attr & (SEG_S | SEG_CODE | SEG_DC)) == (SEG_S | SEG_DC);
    if (expand_down) { seg_ok_[sr] = 0; return; }  // the slow path knows the inverted limit
    if (!protected_mode() || v86()) { seg_ok_[sr] = R | W | X; return; }
    if (!(c.attr & SEG_P)) { seg_ok_[sr] = 0; return; }
    if (c.attr & SEG_CODE) seg_ok_[sr] = uint8_t(X | ((c.attr & SEG_RW) ? R : 0));
    else seg_ok_[sr] = uint8_t(R | X | ((c.attr & SEG_RW) ? W : 0));  // X: see linear_slow
}

void Cpu::mode_changed() {
    if (!protected_mode()) s.cpl = 0;
    else if (v86()) s.cpl = 3;
    for (unsigned i = 0; i < kSegCount; ++i) seg_changed(SegReg(i));
}

namespace {
Mmu::Paging paging_of(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint64_t efer) {
    Mmu::Paging p;
    p.enabled = cr0 & CR0_PG;
    p.wp = cr0 & CR0_WP;
    p.pse = cr4 & CR4_PSE;
    p.pae = cr4 & CR4_PAE;
    p.pge = cr4 & CR4_PGE;
    p.nxe = efer & kEferNxe;
    p.cr3 = cr3;
    return p;
}
} // namespace

void Cpu::load_paging_regs(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint64_t efer) {
    Mmu::Paging p = paging_of(cr0, cr3, cr4, efer);
    if (p.enabled && p.pae && !mmu.load_pdptes(cr3, p.pdpte)) raise_fault(kGP, 0);
    s.cr0 = cr0, s.cr3 = cr3, s.cr4 = cr4, s.efer = efer;
    for (unsigned i = 0; i < 4; ++i) s.pdpte[i] = p.pdpte[i];
    mmu.set_paging(p);
}

void Cpu::state_loaded() {
    mode_changed();
    debug_regs_changed();
    Mmu::Paging p = paging_of(s.cr0, s.cr3, s.cr4, s.efer);
    for (unsigned i = 0; i < 4; ++i) p.pdpte[i] = s.pdpte[i];
    mmu.set_paging(p);
}

void Cpu::load_seg_real(SegReg sr, uint16_t sel) {
    s.seg[sr].selector = sel;
    s.seg[sr].base = uint32_t(sel) << 4;
    if (v86()) {
        // In V86 mode every segment is a 64 KiB, DPL 3, read/write data segment.
        s.seg[sr].limit = 0xFFFF;
        s.seg[sr].attr = uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | (3u << SEG_DPL_SHIFT));
    }
    seg_changed(sr);
}

void Cpu::jump_near(uint32_t target) {
    // SDM: #GP(0) if the target is beyond the CS limit (in every mode).
    if (target > s.seg[CS].limit) raise_fault(kGP, 0);
    s.set_eip(target);
}

// ---------------------------------------------------------------------------------------------
// Ports

void Cpu::check_io_permission(uint16_t port, unsigned size) {
    if (!protected_mode() || (!v86() && s.cpl <= iopl())) return;
    // SDM Vol. 1, 19.5.2: consult the I/O permission bitmap of a 32-bit TSS.
    unsigned type = s.tr.attr & 0xF;
    if ((type != 0x9 && type != 0xB) || s.tr.limit < 103) raise_fault(kGP, 0);
    uint32_t map = sys_rd(s.tr.base + 102, 2);
    uint32_t byte = map + port / 8;
    if (byte + 1 > s.tr.limit) raise_fault(kGP, 0);
    uint32_t bits = sys_rd(s.tr.base + byte, 2);
    if ((bits >> (port & 7)) & ((1u << size) - 1)) raise_fault(kGP, 0);
}

uint32_t Cpu::port_in(uint16_t port, unsigned size) {
    check_io_permission(port, size);
    if (io_breakpoints_) check_io_breakpoints(port, size);
    return io.read(port, size);
}

void Cpu::port_out(uint16_t port, unsigned size, uint32_t v) {
    check_io_permission(port, size);
    if (io_breakpoints_) check_io_breakpoints(port, size);
    io.write(port, size, v);
}

// ---------------------------------------------------------------------------------------------
// Debug registers (SDM Vol. 3A, 17.2)

namespace {
// DR7 fields of breakpoint n: enabled (L or G), R/W kind, length in bytes.
bool bp_enabled(uint32_t dr7, unsigned n) { return (dr7 >> (2 * n)) & 3; }
unsigned bp_kind(uint32_t dr7, unsigned n) { return (dr7 >> (16 + 4 * n)) & 3; }  // 0 exec, 1 write, 3 rw
unsigned bp_len(uint32_t dr7, unsigned n) {
    static const unsigned len[4] = {1, 2, 8, 4};
    return len[(dr7 >> (18 + 4 * n)) & 3];
}
} // namespace

void Cpu::debug_regs_changed() {
    data_breakpoints_ = false;
    code_breakpoints_ = false;
    io_breakpoints_ = false;
    for (unsigned n = 0; n < 4; ++n) {
        if (!bp_enabled(s.dr[7], n)) continue;
        unsigned k = bp_kind(s.dr[7], n);
        if (k == 0) code_breakpoints_ = true;
        else if (k == 1 || k == 3) data_breakpoints_ = true;
        else if (s.cr4 & CR4_DE) io_breakpoints_ = true;  // R/W = 10: I/O, only with CR4.DE
    }
    if (!debugger.watches.empty()) data_breakpoints_ = true;
}

void Cpu::debugger_changed() {
    debugger_armed_ = debugger.any();
    debug_regs_changed();
}

bool Cpu::debugger_stop_before() {
    const uint32_t lin = s.seg[CS].base + s.eip();
    DebugStops& d = debugger;
    const uint64_t last = d.last_lin;
    d.last_lin = lin;
    if (d.breakpoints.empty() || lin == d.resume_at) return false;
    // A REP string instruction that yielded between iterations (it sets RF and stays on its
    // own EIP: cpu/string.cpp) is the same instruction still running, not a new arrival.
    if ((s.eflags & RF) && lin == last) return false;
    for (uint32_t b : d.breakpoints)
        if (b == lin) {
            d.hit = DebugStops::Hit::Breakpoint;
            d.hit_addr = lin;
            return true;
        }
    return false;
}

bool Cpu::debugger_stop_after() {
    DebugStops& d = debugger;
    d.resume_at = DebugStops::kNone;
    if (d.hit == DebugStops::Hit::Watch) return true;
    if (!d.single_step) return false;
    d.hit = DebugStops::Hit::Step;
    return true;
}

void Cpu::check_io_breakpoints(uint16_t port, unsigned size) {
    // SDM Vol. 3A, 17.2.5: an I/O breakpoint matches any access overlapping its port range;
    // the #DB trap follows the instruction.
    for (unsigned n = 0; n < 4; ++n) {
        if (!bp_enabled(s.dr[7], n) || bp_kind(s.dr[7], n) != 2) continue;
        unsigned len = bp_len(s.dr[7], n);
        uint32_t start = s.dr[n] & 0xFFFF & ~(len - 1);
        if (port <= start + len - 1 && start <= uint32_t(port) + size - 1) debug_hits |= 1u << n;
    }
}

void Cpu::check_data_breakpoints(uint32_t lin, unsigned size, bool write) {
    for (unsigned n = 0; n < 4; ++n) {
        if (!bp_enabled(s.dr[7], n)) continue;
        unsigned k = bp_kind(s.dr[7], n);
        if (!(k == 3 || (k == 1 && write))) continue;
        unsigned len = bp_len(s.dr[7], n);
        uint32_t start = s.dr[n] & ~(len - 1);
        if (lin <= start + len - 1 && start <= lin + size - 1) debug_hits |= 1u << n;
    }
    for (const DebugStops::Watch& w : debugger.watches) {
        if (w.kind != WatchKind::Access && (w.kind == WatchKind::Write) != write) continue;
        if (lin <= w.lin + (w.len - 1) && w.lin <= lin + (size - 1)) {
            debugger.hit = DebugStops::Hit::Watch;
            debugger.hit_addr = w.lin;
            debugger.hit_kind = w.kind;
        }
    }
}

uint32_t Cpu::code_breakpoint_hits_slow(uint32_t lin) const {
    uint32_t hits = 0;
    for (unsigned n = 0; n < 4; ++n)
        if (bp_enabled(s.dr[7], n) && bp_kind(s.dr[7], n) == 0 && s.dr[n] == lin) hits |= 1u << n;
    return hits;
}

[[noreturn]] void Cpu::undefined(const Insn* in) {
    if (in) {
        ++stats.unimplemented[in->mnem()];
        trace.log(kTraceCpu, "#UD: %s not implemented at %04x:%08x", ZydisMnemonicGetString(in->mnem()),
                  s.seg[CS].selector, s.insn_eip);
    } else {
        ++stats.undecodable;
    }
    raise_fault(kUD);
}

} // namespace xlat

namespace xlat {

void Cpu::count_form(const Insn& in) {
    auto seg = [](ZydisRegister r) { return r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS; };
    auto add = [this](SensitiveForm f) { ++stats.forms[size_t(f)]; };
    switch (in.mnem()) {
    case ZYDIS_MNEMONIC_MOV:
        if (in.row->form == Form::Sreg) add(SensitiveForm::MovFromSreg);
        else if (in.row->form == Form::SregLoad) add(SensitiveForm::MovToSreg);
        break;
    case ZYDIS_MNEMONIC_PUSH:
        if (in.is_reg(0) && seg(in.regv(0))) add(SensitiveForm::PushSreg);
        break;
    case ZYDIS_MNEMONIC_POP:
        if (in.is_reg(0) && seg(in.regv(0))) add(SensitiveForm::PopSreg);
        break;
    case ZYDIS_MNEMONIC_CALL: if (in.far()) add(SensitiveForm::FarCall); break;
    case ZYDIS_MNEMONIC_JMP: if (in.far()) add(SensitiveForm::FarJmp); break;
    case ZYDIS_MNEMONIC_RET: if (in.far()) add(SensitiveForm::FarRet); break;
    case ZYDIS_MNEMONIC_INT: ++stats.int_n[in.imm(0) & 0xFF]; break;
    default: break;
    }
}

} // namespace xlat
