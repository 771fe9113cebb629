// Interrupt and exception delivery (SDM Vol. 3A, chapter 6; real mode: 20.1.4).
#include "cpu/cpu.h"
#include "cpu/descriptor.h"
#include "cpu/segment.h"

namespace xlat {

namespace {

enum class FaultClass { Benign, Contributory, PageFault, DoubleFault };

FaultClass classify(uint8_t v) {
    switch (v) {
    case kDE: case kTS: case kNP: case kSS: case kGP: return FaultClass::Contributory;
    case kPF: return FaultClass::PageFault;
    case kDF: return FaultClass::DoubleFault;
    default: return FaultClass::Benign;
    }
}

} // namespace

void Cpu::interrupt(uint8_t vec, IntSource src, uint32_t ret_eip, bool has_error, uint32_t error) {
    trace.log(kTraceInt, "vector %u (%s) at %04x:%08x ret %08x err %x", vec,
              src == IntSource::Software ? "soft" : src == IntSource::External ? "ext" : "exc",
              s.seg[CS].selector, s.insn_eip, ret_eip, has_error ? error : 0);
    if (src == IntSource::Exception) ++stats.exceptions[vec & 31];
    else ++stats.interrupts;
    s.halted = 0;
    if (!protected_mode()) deliver_real(vec, ret_eip);
    else deliver_protected(vec, src, ret_eip, has_error, error);
}

void Cpu::deliver_real(uint8_t vec, uint32_t ret_eip) {
    // The IVT entry must lie within the IDTR limit, else #GP (SDM Vol. 3A, 20.1.4).
    uint32_t entry = uint32_t(vec) * 4;
    if (entry + 3 > s.idtr.limit) raise_fault(kGP, uint32_t(vec) * 8 + 2);
    uint32_t sp = s.regs[ESP];
    sp = push_at(sp, 2, s.eflags & 0xFFFF);
    sp = push_at(sp, 2, s.seg[CS].selector);
    sp = push_at(sp, 2, ret_eip & 0xFFFF);
    uint16_t ip = uint16_t(sys_rd(s.idtr.base + entry, 2));
    uint16_t cs = uint16_t(sys_rd(s.idtr.base + entry + 2, 2));
    set_sp(sp);
    s.eflags &= ~(IF | TF | AC | RF);
    load_seg_real(CS, cs);
    s.eip = ip;
}

void Cpu::deliver_protected(uint8_t vec, IntSource src, uint32_t ret_eip, bool has_error, uint32_t error) {
    // SDM Vol. 3A, 6.12: interrupt and trap gates. External events set EXT (bit 0) in error codes.
    const uint32_t ext = src == IntSource::Software ? 0 : 1;
    const uint32_t idt_err = uint32_t(vec) * 8 + 2 + ext;
    if (uint32_t(vec) * 8 + 7 > s.idtr.limit) raise_fault(kGP, idt_err);
    Descriptor gate{sys_rd(s.idtr.base + vec * 8u, 4), sys_rd(s.idtr.base + vec * 8u + 4, 4)};
    unsigned type = gate.type();
    bool gate_ok = gate.system() && (type == kIntGate16 || type == kTrapGate16 || type == kIntGate32 ||
                                     type == kTrapGate32 || type == kTaskGate);
    if (!gate_ok) raise_fault(kGP, idt_err);
    if (src == IntSource::Software && gate.dpl() < s.cpl) raise_fault(kGP, idt_err);
    if (!gate.present()) raise_fault(kNP, idt_err);
    if (type == kTaskGate || v86()) {
        trace.log(kTraceCpu, "interrupt through %s not implemented", v86() ? "V86 mode" : "a task gate");
        raise_fault(kGP, idt_err);
    }
    uint16_t sel = gate.gate_selector();
    if ((sel & 0xFFFC) == 0) raise_fault(kGP, ext);
    Descriptor cd = read_descriptor(*this, sel, kGP);
    if (!cd.code() || cd.dpl() > s.cpl) raise_fault(kGP, (sel & 0xFFFC) + ext);
    if (!cd.present()) raise_fault(kNP, (sel & 0xFFFC) + ext);
    if (!cd.conforming() && cd.dpl() < s.cpl) {
        trace.log(kTraceCpu, "interrupt to an inner privilege level not implemented");
        raise_fault(kGP, (sel & 0xFFFC) + ext);
    }
    // Same privilege: push on the current stack.
    bool gate32 = type & 8;
    unsigned sz = gate32 ? 4 : 2;
    uint32_t target = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xFFFF;
    if (target > cd.limit()) raise_fault(kGP, ext);
    uint32_t sp = s.regs[ESP];
    sp = push_at(sp, sz, s.eflags);
    sp = push_at(sp, sz, s.seg[CS].selector);
    sp = push_at(sp, sz, ret_eip);
    if (has_error) sp = push_at(sp, sz, error);
    set_sp(sp);
    set_accessed(*this, sel, cd);
    s.seg[CS] = cd.cache(uint16_t((sel & ~3u) | s.cpl));
    seg_changed(CS);
    s.eip = target;
    s.eflags &= ~(TF | NT | RF | VM);
    if (!(type & 1)) s.eflags &= ~IF;  // interrupt gates clear IF, trap gates keep it
}

void Cpu::deliver_fault(const GuestFault& first) {
    GuestFault f = first;
    for (;;) {
        if (f.vector == kPF) s.cr2 = f.address;
        int prev = delivering_;
        delivering_ = f.vector;
        try {
            bool err = protected_mode() && vector_has_error_code(f.vector);
            interrupt(f.vector, IntSource::Exception, s.insn_eip, err, f.error_code);
            delivering_ = -1;
            return;
        } catch (const GuestFault& again) {
            // A fault while delivering: SDM Vol. 3A, 6.15, Table 6-5.
            FaultClass a = classify(uint8_t(f.vector)), b = classify(again.vector);
            delivering_ = prev;
            if (a == FaultClass::DoubleFault) {
                delivering_ = -1;
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
