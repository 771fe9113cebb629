// The helpers translated blocks call never throw: a guest fault comes back as a status, with the
// fault in CpuState, and delivering it gives what the interpreter's throwing path gives.
#include <catch2/catch.hpp>

#include <cstring>

#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/helpers.h"

using namespace xlat;

static_assert(noexcept(helper_semantics(nullptr, nullptr)), "called from emitted code");
static_assert(noexcept(helper_read(nullptr, 0, 0)), "called from emitted code");
static_assert(noexcept(helper_write(nullptr, 0, 0, 0)), "called from emitted code");
static_assert(noexcept(helper_read_seg(nullptr, 0, 0, 0)), "called from emitted code");
static_assert(noexcept(helper_write_seg(nullptr, 0, 0, 0, 0)), "called from emitted code");

namespace {

// 32-bit paging: linear 0-4 MiB identity-mapped by one page table, user and writable, except
// page 0x200000 (not present) and page 0x201000 (read-only).
struct Paged {
    Machine m{small_config()};
    Paged() {
        const uint32_t pd = 0x1000, pt = 0x2000;
        const uint32_t pde = pt | 7;
        m.phys.write_bytes(pd, &pde, 4);
        for (uint32_t i = 0; i < 1024; ++i) {
            uint32_t pte = (i << 12) | 7;
            if (i == 0x200) pte = 0;
            if (i == 0x201) pte = (i << 12) | 5;
            m.phys.write_bytes(pt + 4 * i, &pte, 4);
        }
        CpuState& s = m.cpu.s;
        s.cr0 |= CR0_PE;
        s.seg[CS] = SegmentCache{0, 0xFFFFFFFFu, 0x1B, uint16_t(SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_DB | SEG_G | (3 << SEG_DPL_SHIFT))};
        for (SegReg sr : {SS, DS, ES})
            s.seg[sr] = SegmentCache{0, 0xFFFFFFFFu, 0x23, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_DB | SEG_G | (3 << SEG_DPL_SHIFT))};
        s.seg[FS] = SegmentCache{0x100000, 0xFFF, 0x2B, uint16_t(SEG_P | SEG_S | SEG_RW | (3 << SEG_DPL_SHIFT))};
        s.cpl = 3;
        m.cpu.mode_changed();
        m.cpu.load_paging_regs(s.cr0 | CR0_PG, pd, 0, 0);
    }
};

} // namespace

TEST_CASE("memory helpers return page faults as a status, without a throw", "[helpers]") {
    Paged p;
    Cpu& c = p.m.cpu;
    uint64_t r = 0;
    REQUIRE_NOTHROW(r = helper_read(&c, 0x200ABC, 4));
    CHECK(r == kReadFaulted);
    CHECK(c.s.fault.pending == 1);
    CHECK(c.s.fault.vector == kPF);
    CHECK(c.s.fault.error_code == 4);  // not present, read, user
    CHECK(c.s.fault.address == 0x200ABC);

    // The throwing path raises the same fault.
    GuestFault thrown{0xFF, 0, 0};
    try {
        c.mmu.read<uint32_t>(0x200ABC, true);
    } catch (const GuestFault& f) {
        thrown = f;
    }
    CHECK(thrown.vector == c.s.fault.vector);
    CHECK(thrown.error_code == c.s.fault.error_code);

    // A write to a read-only page: a protection fault; a write crossing into it from a writable
    // page leaves the first page unchanged.
    c.s.fault = PendingFault{};
    CHECK(helper_write(&c, 0x201000, 4, 0x12345678) == kBlockFault);
    CHECK(c.s.fault.error_code == 7);  // present, write, user
    const uint32_t before = p.m.phys.read(0x200FFC, 4);
    CHECK(helper_write(&c, 0x200FFE, 4, 0xAABBCCDD) == kBlockFault);
    CHECK(c.s.fault.address == 0x200FFE);  // page 0x200000 is not present: the lower page's fault
    CHECK(p.m.phys.read(0x200FFC, 4) == before);

    // Accesses that succeed.
    CHECK(helper_write(&c, 0x1FEFFE, 4, 0xCAFEF00D) == kBlockNext);
    CHECK(helper_read(&c, 0x1FEFFE, 4) == 0xCAFEF00D);
    CHECK(helper_read(&c, 0x201004, 2) == p.m.phys.read(0x201004, 2));
}

TEST_CASE("segmented helpers return segment faults as a status", "[helpers]") {
    Paged p;
    Cpu& c = p.m.cpu;
    CHECK(helper_write_seg(&c, FS, 0x10, 4, 0x11223344) == kBlockNext);
    CHECK(p.m.phys.read(0x100010, 4) == 0x11223344);
    CHECK(helper_read_seg(&c, FS, 0x10, 4) == 0x11223344);
    CHECK(helper_read_seg(&c, FS, 0xFFE, 4) == kReadFaulted);  // beyond the 4 KiB limit
    CHECK(c.s.fault.vector == kGP);
    CHECK(helper_write_seg(&c, CS, 0, 4, 0) == kBlockFault);  // code segments are not writable
    CHECK(c.s.fault.vector == kGP);
}

TEST_CASE("a faulting semantics function returns kBlockFault, and the fault is delivered as the interpreter does", "[helpers]") {
    // DIV by zero at CPL 3 in the paged rig, through helper_semantics and through a step.
    Machine* ms[2];
    Paged a, b;
    ms[0] = &a.m;
    ms[1] = &b.m;
    const uint8_t code[] = {0xF7, 0xF1};  // div ecx
    for (Machine* m : ms) {
        m->phys.write_bytes(0x300000, code, sizeof code);
        CpuState& s = m->cpu.s;
        s.set_eip(0x300000);
        s.set_reg32(ECX, 0);
        s.set_reg32(ESP, 0x380000);
        s.idtr = TableRegister{0x390000, 0x7FF};  // an empty IDT: the #DE becomes #GP, then #DF...
    }
    Cpu& c = a.m.cpu;
    const Insn& in = a.m.interp.fetch();
    c.s.insn_eip = c.s.eip();
    c.s.set_eip(in.next_eip);
    uint32_t status = kBlockNext;
    REQUIRE_NOTHROW(status = helper_semantics(&c, &in));
    CHECK(status == kBlockFault);
    CHECK(c.s.fault.vector == kDE);
    deliver_pending_fault(c);
    ++c.s.icount;  // the interpreter counts a faulting instruction as a step (the TSC reads the clock)
    b.m.interp.step();
    CHECK(c.s.fault.pending == 0);
    // CpuState::tsc is the TSC's offset from each machine's own clock (host time here), so it
    // differs between two machines built one after the other: everything else must be equal.
    b.m.cpu.s.tsc = a.m.cpu.s.tsc;
    CHECK(std::memcmp(&a.m.cpu.s, &b.m.cpu.s, sizeof(CpuState)) == 0);
    CHECK(a.m.cpu.stats.exceptions[kDE] == 1);
}
