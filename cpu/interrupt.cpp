// Interrupt and exception delivery (SDM Vol. 3A, chapter 6; real mode: 20.1.4).
#include "cpu/cpu.h"
#include "cpu/descriptor.h"
#include "cpu/segment.h"

namespace xlat {

namespace {

// For the "exc" trace (SDM Vol. 3A, Table 6-1).
const char* exception_mnemonic(uint8_t v) {
    static const char* const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
                                          "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
                                          "#VE", "#CP"};
    return v < 32 && names[v] ? names[v] : "#reserved";
}

enum class FaultClass { Benign, Contributory, PageFault, DoubleFault };

FaultClass classify(uint8_t v) {
    switch (v) {
    case kDE: case kTS: case kNP: case kSS: case kGP: return FaultClass::Contributory;
    case kPF: return FaultClass::PageFault;
    case kDF: return FaultClass::DoubleFault;
    default: return FaultClass::Benign;
    }
}

// Fault-class exceptions: the pushed EFLAGS image has RF set so that the faulting instruction,
// restarted by IRET, does not hit its own instruction breakpoint again (SDM Vol. 3A, 17.3.1.1).
// #DB is left out: its instruction-breakpoint form must push RF as it was, its other forms are
// traps (DR7.GD, a fault, is the one exception this misses).
bool pushes_rf(uint8_t v) {
    switch (v) {
    case kDE: case kBR: case kUD: case kNM: case kTS: case kNP: case kSS: case kGP: case kPF:
    case kMF: case kAC: case kXM: return true;
    default: return false;
    }
}

} // namespace

void Cpu::interrupt(uint8_t vec, IntSource src, uint32_t ret_eip, bool has_error, uint32_t error) {
    if (src == IntSource::Exception) {
        if (trace.on(kTraceExc))
            trace.log(kTraceExc, "%s (vector %u) at %04x:%08x err %x cr2 %08x", exception_mnemonic(vec), vec,
                      s.seg[CS].selector, s.insn_eip, has_error ? error : 0, s.cr2);
    } else if (trace.on(kTraceInt)) {
        trace.log(kTraceInt, "vector %u (%s) at %04x:%08x ret %08x", vec, src == IntSource::Software ? "soft" : "ext",
                  s.seg[CS].selector, s.insn_eip, ret_eip);
    }
    if (src == IntSource::Exception) {
        ++stats.exceptions[vec & 31];
    } else {
        ++stats.interrupts;
        if (src == IntSource::External) ++stats.external[vec];
        // INT n, INT3, INTO and INT1 clear TF on the way into their handler: no single-step
        // trap follows them (SDM Vol. 3A, 17.3.1.4).
        s.single_step = 0;
    }
    s.halted = 0;
    if (!protected_mode()) return deliver_real(vec, ret_eip);
    try {
        deliver_protected(vec, src, ret_eip, has_error, error);
    } catch (GuestFault& f) {
        // A fault while delivering an event the program did not ask for (an exception, an
        // external interrupt, INT1) sets EXT in its selector error code (SDM Vol. 3A, 6.13):
        // #TS, #NP, #SS and #GP; #PF's error code has another format.
        if (src != IntSource::Software && (f.vector == kTS || f.vector == kNP || f.vector == kSS || f.vector == kGP))
            f.error_code |= 1;
        throw;
    }
}

void Cpu::deliver_real(uint8_t vec, uint32_t ret_eip) {
    // The IVT entry must lie within the IDTR limit, else #GP (SDM Vol. 3A, 20.1.4).
    uint32_t entry = uint32_t(vec) * 4;
    if (entry + 3 > s.idtr.limit) raise_fault(kGP, uint32_t(vec) * 8 + 2);
    uint32_t sp = s.reg32(ESP);
    sp = push_at(sp, 2, s.eflags & 0xFFFF);
    sp = push_at(sp, 2, s.seg[CS].selector);
    sp = push_at(sp, 2, ret_eip & 0xFFFF);
    uint16_t ip = uint16_t(sys_rd(s.idtr.base + entry, 2));
    uint16_t cs = uint16_t(sys_rd(s.idtr.base + entry + 2, 2));
    set_sp(sp);
    s.eflags &= ~(IF | TF | AC | RF);
    load_seg_real(CS, cs);
    s.set_eip(ip);
}

void Cpu::deliver_protected(uint8_t vec, IntSource src, uint32_t ret_eip, bool has_error, uint32_t error) {
    // SDM Vol. 3A, 6.12: interrupt, trap and task gates. Errors raised while delivering an event
    // that software did not cause carry EXT (bit 0).
    const uint32_t ext = (src == IntSource::Software) ? 0 : 1;
    const uint32_t idt_err = uint32_t(vec) * 8 + 2 + ext;
    if (uint32_t(vec) * 8 + 7 > s.idtr.limit) raise_fault(kGP, idt_err);
    Descriptor gate{sys_rd(s.idtr.base + vec * 8u, 4), sys_rd(s.idtr.base + vec * 8u + 4, 4)};
    const unsigned type = gate.type();
    bool gate_ok = gate.system() && (type == kIntGate16 || type == kTrapGate16 || type == kIntGate32 ||
                                     type == kTrapGate32 || type == kTaskGate);
    if (!gate_ok) raise_fault(kGP, idt_err);
    // INT n, INT3 and INTO check the gate's DPL. In V86 mode with IOPL < 3, INT n has raised
    // #GP(0) already (in its semantics function, before the IDT is read); INT3 and INTO are not
    // IOPL-sensitive and come here (SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation: the #GP(0) is
    // for "INT n" only; Vol. 3A, 20.3.1.1).
    if (src == IntSource::Software && gate.dpl() < s.cpl) raise_fault(kGP, idt_err);
    if (!gate.present()) raise_fault(kNP, idt_err);
    if (type == kTaskGate) {
        const uint16_t tss = gate.gate_selector();
        return task_switch(tss, TaskSwitch::Int, ret_eip, has_error, error);
    }
    const uint16_t sel = gate.gate_selector(), cerr = uint16_t((sel & 0xFFFC) + ext);
    if ((sel & 0xFFFC) == 0) raise_fault(kGP, ext);
    Descriptor cd = read_descriptor(*this, sel, kGP);
    if (!cd.code() || cd.dpl() > s.cpl) raise_fault(kGP, cerr);
    if (!cd.present()) raise_fault(kNP, cerr);
    const bool gate32 = type & 8;
    const unsigned sz = gate32 ? 4 : 2;
    const uint32_t target = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xFFFF;
    const bool from_v86 = v86();
    const bool inner = !cd.conforming() && cd.dpl() < s.cpl;
    // From V86 mode the handler must be a ring-0, non-conforming code segment.
    if (from_v86 && (!inner || cd.dpl() != 0)) raise_fault(kGP, cerr);
    const uint32_t old_flags = s.eflags;

    if (inner) {
        const unsigned dpl = cd.dpl();
        uint16_t nss;
        uint32_t nesp;
        inner_stack(dpl, nss, nesp);
        SegmentCache ssc = check_new_ss(nss, dpl, kTS);
        if (target > cd.limit()) raise_fault(kGP, ext);  // checked before anything is pushed
        NewStack ns{*this, ssc, nesp, false};
        if (from_v86) {
            ns.push(sz, s.seg[GS].selector);
            ns.push(sz, s.seg[FS].selector);
            ns.push(sz, s.seg[DS].selector);
            ns.push(sz, s.seg[ES].selector);
        }
        ns.push(sz, s.seg[SS].selector);
        ns.push(sz, s.reg32(ESP));
        ns.push(sz, old_flags);
        ns.push(sz, s.seg[CS].selector);
        ns.push(sz, ret_eip);
        if (has_error) ns.push(sz, error);
        load_cs(sel, cd, dpl);  // first: marking the descriptor accessed can still fault
        if (from_v86)
            for (SegReg sr : {ES, DS, FS, GS}) s.seg[sr] = SegmentCache{0, 0, 0, 0};
        s.eflags &= ~(TF | NT | RF | VM);
        if (!(type & 1)) s.eflags &= ~IF;  // interrupt gates clear IF, trap gates keep it
        s.seg[SS] = ssc;
        s.set_reg32(ESP, ns.sp);
        mode_changed();
        s.set_eip(target);
        return;
    }
    // Same privilege: push on the current stack.
    if (target > cd.limit()) raise_fault(kGP, ext);
    uint32_t sp = s.reg32(ESP);
    sp = push_at(sp, sz, old_flags);
    sp = push_at(sp, sz, s.seg[CS].selector);
    sp = push_at(sp, sz, ret_eip);
    if (has_error) sp = push_at(sp, sz, error);
    set_sp(sp);
    load_cs(sel, cd, s.cpl);
    s.set_eip(target);
    s.eflags &= ~(TF | NT | RF | VM);
    if (!(type & 1)) s.eflags &= ~IF;
}

bool Cpu::accept_interrupts() {
    // SDM Vol. 3A, 6.7-6.8: events are recognised between instructions, NMI before INTR, INTR
    // only with IF set, neither in the shadow of STI, MOV SS or POP SS.
    if (s.inhibit_irq) return false;
    uint8_t vec;
    if (s.nmi_pending && !s.nmi_blocked) {
        s.nmi_pending = 0;
        s.nmi_blocked = 1;  // until the handler's IRET
        vec = kNMI;
    } else if ((s.eflags & IF) && intr_source && intr_source->intr()) {
        vec = intr_source->acknowledge();
    } else {
        return false;
    }
    s.halted = 0;
    s.insn_eip = s.eip();  // the interrupted instruction is the next one to run
    try {
        interrupt(vec, IntSource::External, s.eip());
    } catch (const GuestFault& f) {
        // A fault while delivering an external interrupt is delivered itself (the interrupt is
        // benign for the double-fault rules); its error code carries EXT.
        deliver_fault(f);
    }
    return true;
}

void Cpu::deliver_fault(const GuestFault& first) {
    GuestFault f = first;
    // Benign exceptions raised while delivering benign ones (#AC on a misaligned CPL-3 stack,
    // say) could repeat forever; after this many the CPU shuts down instead of hanging the host.
    constexpr int kMaxNested = 16;
    for (int nested = 0;; ++nested) {
        if (nested == kMaxNested) {
            trace.log(kTraceCpu, "exceptions keep faulting during delivery: shutdown");
            request_stop(StopReason::TripleFault);
            return;
        }
        if (f.vector == kPF) s.cr2 = f.address;
        try {
            if (pushes_rf(f.vector)) s.eflags |= RF;
            bool err = protected_mode() && vector_has_error_code(f.vector);
            interrupt(f.vector, IntSource::Exception, s.insn_eip, err, f.error_code);
            return;
        } catch (const GuestFault& again) {
            // A fault while delivering: SDM Vol. 3A, 6.15, Table 6-5. A page fault loads CR2
            // as it is detected, also when it becomes a #DF (as Bochs and QEMU do; tools/trace-diff
            // found the difference).
            if (again.vector == kPF) s.cr2 = again.address;
            FaultClass a = classify(uint8_t(f.vector)), b = classify(again.vector);
            if (a == FaultClass::DoubleFault) {
                request_stop(StopReason::TripleFault);
                return;
            }
            bool dbl = (a == FaultClass::Contributory && b == FaultClass::Contributory) ||
                       (a == FaultClass::PageFault &&
                        (b == FaultClass::Contributory || b == FaultClass::PageFault));
            f = dbl ? GuestFault{kDF, 0, 0} : again;
        }
    }
}

} // namespace xlat
