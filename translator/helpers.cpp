#include "translator/helpers.h"

namespace xlat {

namespace {

uint32_t fault_status(Cpu& c, const GuestFault& f) noexcept {
    c.s.fault = PendingFault{1, f.vector, f.error_code, f.address};
    return kBlockFault;
}

} // namespace

uint32_t helper_semantics(Cpu* c, const Insn* in) noexcept {
    try {
        in->row->fn(*c, *in);
        if (c->count_forms) c->count_form(*in);
        return kBlockNext;
    } catch (const GuestFault& f) {
        return fault_status(*c, f);
    }
}

uint64_t helper_read(Cpu* c, uint32_t lin, uint32_t size) noexcept {
    uint32_t v;
    GuestFault f;
    if (!c->mmu.try_read(lin, size, c->user(), Access::Read, v, f)) return fault_status(*c, f), kReadFaulted;
    return v;
}

uint32_t helper_write(Cpu* c, uint32_t lin, uint32_t size, uint32_t value) noexcept {
    GuestFault f;
    if (!c->mmu.try_write(lin, size, value, c->user(), f)) return fault_status(*c, f);
    return kBlockNext;
}

uint64_t helper_read_seg(Cpu* c, uint32_t seg, uint32_t off, uint32_t size) noexcept {
    uint32_t lin;
    try {
        // Segment checks raise #GP/#SS rarely (a limit violation ends the program's path
        // anyway); a throw caught here is cheap enough. Page faults take the non-throwing path.
        lin = c->linear(SegReg(seg), off, size, Access::Read);
    } catch (const GuestFault& f) {
        return fault_status(*c, f), kReadFaulted;
    }
    return helper_read(c, lin, size);
}

uint32_t helper_write_seg(Cpu* c, uint32_t seg, uint32_t off, uint32_t size, uint32_t value) noexcept {
    uint32_t lin;
    try {
        lin = c->linear(SegReg(seg), off, size, Access::Write);
    } catch (const GuestFault& f) {
        return fault_status(*c, f);
    }
    return helper_write(c, lin, size, value);
}

void deliver_pending_fault(Cpu& c) {
    CpuState& s = c.s;
    const PendingFault p = s.fault;
    s.fault = PendingFault{};
    s.set_eip(s.insn_eip);
    s.single_step = 0;  // a fault leaves no single-step trap behind (its handler runs with TF clear)
    c.deliver_fault(GuestFault{p.vector, p.error_code, p.address});
}

} // namespace xlat
