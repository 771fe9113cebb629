// Protected mode: segment loads, gates, privilege changes, tasks, V86 mode, exceptions and debug
// traps, each checked for vector, error code, the saved CS:EIP and the stack (SDM Vol. 3A,
// chapters 5-7, 17 and 20).
#include <catch2/catch.hpp>

#include <initializer_list>
#include <vector>

#include "cpu/descriptor.h"
#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kTssA = 0x3000, kTssB = 0x3100;
constexpr uint32_t kHandlers = 0x8000;  // vector v's handler: 0x8000 + 16 * v (a HLT)
constexpr uint32_t kStack0 = 0x9000;    // ring-0 stack top (TSS A's ESP0)

enum Sel : uint16_t {
    CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1B, DATA3 = 0x23, TSS_A = 0x28, TSS_B = 0x30,
    CALLGATE3 = 0x3B, TASKGATE3 = 0x43, DATA_NP = 0x48, DATA_RO = 0x50, CODE16 = 0x58,
};

uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    uint32_t lo = (limit & 0xFFFF) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xFF) | (uint32_t(access) << 8) | (limit & 0xF0000) | (uint32_t(flags) << 20) |
                  (base & 0xFF000000u);
    return uint64_t(hi) << 32 | lo;
}
uint64_t gate(uint16_t sel, uint32_t off, uint8_t access, uint8_t params = 0) {
    uint32_t lo = (off & 0xFFFF) | (uint32_t(sel) << 16);
    uint32_t hi = (off & 0xFFFF0000u) | (uint32_t(access) << 8) | params;
    return uint64_t(hi) << 32 | lo;
}

struct Pm {
    Machine m{small_config(16u << 20)};
    Cpu& c = m.cpu;
    CpuState& s = m.cpu.s;

    void w8(uint32_t pa, uint8_t v) { m.phys.write_bytes(pa, &v, 1); }
    void w16(uint32_t pa, uint16_t v) { m.phys.write_bytes(pa, &v, 2); }
    void w32(uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); }
    void w64(uint32_t pa, uint64_t v) { m.phys.write_bytes(pa, &v, 8); }
    uint16_t r16(uint32_t pa) { uint16_t v; m.phys.read_bytes(pa, &v, 2); return v; }
    uint32_t r32(uint32_t pa) { uint32_t v; m.phys.read_bytes(pa, &v, 4); return v; }
    void code(uint32_t pa, std::initializer_list<uint8_t> b) {
        std::vector<uint8_t> v(b);
        m.phys.write_bytes(pa, v.data(), v.size());
    }
    void step(int n = 1) { for (int i = 0; i < n; ++i) m.step(); }

    Pm() {
        w64(kGdt + CODE0, seg(0, 0xFFFFF, 0x9A, 0xC));
        w64(kGdt + DATA0, seg(0, 0xFFFFF, 0x92, 0xC));
        w64(kGdt + (CODE3 & ~3), seg(0, 0xFFFFF, 0xFA, 0xC));
        w64(kGdt + (DATA3 & ~3), seg(0, 0xFFFFF, 0xF2, 0xC));
        w64(kGdt + TSS_A, seg(kTssA, 0x68 + 0x20, 0x89, 0));  // room for ports 0-0xFF
        w64(kGdt + TSS_B, seg(kTssB, 0x67, 0x89, 0));
        w64(kGdt + (CALLGATE3 & ~3), gate(CODE0, 0x6000, 0xEC, 2));  // 32-bit call gate, DPL 3, 2 dwords
        w64(kGdt + (TASKGATE3 & ~3), gate(TSS_B, 0, 0xE5));
        w64(kGdt + DATA_NP, seg(0, 0xFFFFF, 0x12, 0xC));              // not present
        w64(kGdt + DATA_RO, seg(0, 0xFFFFF, 0x90, 0xC));              // read-only data
        w64(kGdt + CODE16, seg(0, 0xFFFF, 0x9A, 0x0));
        for (unsigned v = 0; v < 256; ++v) {
            w64(kIdt + 8 * v, gate(CODE0, kHandlers + 16 * v, 0x8E));  // interrupt gates, DPL 0
            w8(kHandlers + 16 * v, 0xF4);
        }
        w64(kIdt + 8 * 0x80, gate(CODE0, kHandlers + 16 * 0x80, 0xEF));  // trap gate, DPL 3
        w32(kTssA + 4, kStack0);
        w32(kTssA + 8, DATA0);
        w16(kTssA + 0x66, 0x68);  // the I/O permission bitmap follows the TSS at offset 0x68
        s.gdtr = TableRegister{kGdt, 0x5F};
        s.idtr = TableRegister{kIdt, 0x7FF};
        s.cr0 |= CR0_PE;
        load(TSS_A);
        enter(0);
    }
    Descriptor desc(uint16_t sel) { return Descriptor{r32(kGdt + (sel & ~7u)), r32(kGdt + (sel & ~7u) + 4)}; }
    void load(uint16_t tss) {
        s.tr = desc(tss).cache(tss);
        s.tr.attr |= 2;
        w8(kGdt + tss + 5, uint8_t(0x8B));
    }
    // Flat segments at privilege `cpl`, EIP 0x5000, ESP 0x7000.
    void enter(unsigned cpl) {
        uint16_t cs = cpl ? CODE3 : CODE0, ds = cpl ? DATA3 : DATA0;
        s.seg[CS] = desc(cs).cache(cs);
        for (SegReg sr : {ES, SS, DS, FS, GS}) s.seg[sr] = desc(ds).cache(ds);
        s.cpl = uint8_t(cpl);
        c.mode_changed();
        s.set_eip(0x5000);
        s.set_reg32(ESP, 0x7000);
    }
    // After a fault: delivered to vector v's handler, with the frame on the ring-0 stack.
    bool at_handler(unsigned v) const { return s.seg[CS].selector == CODE0 && s.eip() == kHandlers + 16 * v; }
    uint32_t stack(unsigned i) { return r32(s.reg32(ESP) + 4 * i); }
};

} // namespace

TEST_CASE("segment loads raise #GP, #NP and #SS with the selector as error code", "[pm]") {
    struct Case { uint16_t sel; bool ss; uint8_t vec; uint32_t err; };
    const Case cases[] = {
        {0x0100, false, kGP, 0x0100},        // beyond the GDT limit
        {DATA_NP, false, kNP, DATA_NP},      // not present
        {DATA_RO, true, kGP, DATA_RO},       // SS must be writable
        {TSS_A, false, kGP, TSS_A},          // a system descriptor
        {0, true, kGP, 0},                   // SS may not be null
        {DATA3, true, kGP, DATA3 & ~3},      // SS: RPL 3 != CPL 0
    };
    for (const Case& k : cases) {
        CAPTURE(k.sel, k.ss);
        Pm p;
        p.s.set_reg32(EAX, k.sel);
        p.code(0x5000, {0x8E, uint8_t(k.ss ? 0xD0 : 0xD8)});  // mov ss/ds, ax
        p.step();
        CHECK(p.at_handler(k.vec));
        CHECK(p.stack(0) == k.err);
        CHECK(p.stack(1) == 0x5000);  // the faulting instruction
        CHECK(p.stack(2) == CODE0);
        CHECK(p.s.reg32(ESP) == 0x7000 - 16);
    }
    Pm p;
    p.w64(kGdt + DATA_NP, seg(0, 0xFFFFF, 0x12, 0xC));
    p.s.set_reg32(EAX, DATA_NP);
    p.code(0x5000, {0x8E, 0xD0});  // mov ss, ax: a not-present stack segment is #SS(sel)
    p.step();
    CHECK(p.at_handler(kSS));
    CHECK(p.stack(0) == DATA_NP);
}

TEST_CASE("a far call through a call gate switches to the inner stack and copies parameters", "[pm]") {
    Pm p;
    p.enter(3);
    p.s.set_reg32(ESP, 0x7000 - 8);
    p.w32(0x7000 - 8, 0x11111111);  // parameter 1 (at ESP)
    p.w32(0x7000 - 4, 0x22222222);  // parameter 2
    p.code(0x5000, {0x9A, 0x00, 0x00, 0x00, 0x00, CALLGATE3, 0x00});  // call far 003b:00000000
    p.code(0x6000, {0xCA, 0x08, 0x00});                             // retf 8
    p.step();
    CHECK(p.s.cpl == 0);
    CHECK(p.s.seg[CS].selector == CODE0);
    CHECK(p.s.eip() == 0x6000);
    CHECK(p.s.seg[SS].selector == DATA0);
    CHECK(p.s.reg32(ESP) == kStack0 - 24);
    CHECK(p.r32(kStack0 - 4) == DATA3);         // old SS
    CHECK(p.r32(kStack0 - 8) == 0x7000 - 8);    // old ESP
    CHECK(p.r32(kStack0 - 12) == 0x22222222);   // parameters, same order
    CHECK(p.r32(kStack0 - 16) == 0x11111111);
    CHECK(p.r32(kStack0 - 20) == CODE3);        // return CS
    CHECK(p.r32(kStack0 - 24) == 0x5007);       // return EIP
    // DS holds a ring-3 segment; make it ring 0 to see RETF to an outer level null it.
    p.s.seg[DS] = p.desc(DATA0).cache(DATA0);
    p.step();
    CHECK(p.s.cpl == 3);
    CHECK(p.s.seg[CS].selector == CODE3);
    CHECK(p.s.eip() == 0x5007);
    CHECK(p.s.seg[SS].selector == DATA3);
    CHECK(p.s.reg32(ESP) == 0x7000);  // the 8 bytes of parameters released on the outer stack
    CHECK(p.s.seg[DS].selector == 0);
    CHECK(p.s.seg[ES].selector == DATA3);
}

TEST_CASE("INT from ring 3 goes to ring 0 on the TSS stack; IRET returns", "[pm]") {
    Pm p;
    p.enter(3);
    p.s.eflags |= IF;
    p.code(0x5000, {0xCD, 0x80});  // int 0x80 (trap gate, DPL 3)
    p.code(kHandlers + 16 * 0x80, {0xCF});  // iretd
    p.step();
    CHECK(p.at_handler(0x80));
    CHECK(p.s.cpl == 0);
    CHECK(p.s.reg32(ESP) == kStack0 - 20);
    CHECK(p.stack(0) == 0x5002);
    CHECK(p.stack(1) == CODE3);
    CHECK((p.stack(2) & IF) == IF);
    CHECK((p.stack(2) & RF) == 0);  // INT n pushes RF as 0
    CHECK(p.stack(3) == 0x7000);
    CHECK(p.stack(4) == DATA3);
    CHECK((p.s.eflags & IF) == IF);  // a trap gate keeps IF
    p.step();
    CHECK(p.s.cpl == 3);
    CHECK(p.s.eip() == 0x5002);
    CHECK(p.s.reg32(ESP) == 0x7000);
    // INT 0x21 through a DPL 0 gate from ring 3: #GP(vector * 8 + 2).
    p.code(0x5002, {0xCD, 0x21});
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(0) == 0x21 * 8 + 2);
    CHECK(p.stack(1) == 0x5002);
    CHECK(p.stack(2) == CODE3);
    CHECK((p.stack(3) & RF) == RF);  // a fault pushes RF set (SDM Vol. 3A, 17.3.1.1)
    CHECK((p.s.eflags & RF) == 0);   // and the handler runs with RF clear
}

TEST_CASE("a fault while delivering a fault is a double fault; a third is a shutdown", "[pm]") {
    Pm p;
    // #GP's gate is not present: delivering #GP raises #NP (contributory after contributory).
    p.w64(kIdt + 8 * kGP, gate(CODE0, kHandlers + 16 * kGP, 0x0E));
    p.s.set_reg32(EAX, 0x0100);
    p.code(0x5000, {0x8E, 0xD8});  // mov ds, ax: #GP(0x100)
    p.step();
    CHECK(p.at_handler(kDF));
    CHECK(p.stack(0) == 0);       // #DF's error code is 0
    CHECK(p.stack(1) == 0x5000);  // the instruction that caused the first fault
    // A benign exception during delivery is not escalated: #UD with its gate absent gives #NP.
    Pm q;
    q.w64(kIdt + 8 * kUD, gate(CODE0, 0, 0x0E));
    q.code(0x5000, {0x0F, 0x0B});  // ud2
    q.step();
    CHECK(q.at_handler(kNP));
    CHECK(q.stack(0) == kUD * 8 + 2 + 1);  // IDT entry, EXT set
    // No usable IDT at all: #GP -> #DF -> shutdown.
    Pm t;
    t.s.idtr.limit = 0;
    t.code(0x5000, {0x0F, 0x0B});
    Machine::Result r = t.m.run(10);
    (void)r;
    CHECK(t.s.icount <= 10);
}

TEST_CASE("a triple fault stops the machine under -no-reboot and resets it otherwise", "[pm]") {
    for (bool no_reboot : {true, false}) {
        MachineConfig cfg;
        cfg.cpu_mode = test_cpu_mode();
        cfg.ram_bytes = 4u << 20;
        cfg.firmware.assign(64 << 10, 0xF4);  // HLT everywhere: after a reset the CPU halts
        cfg.no_reboot = no_reboot;
        Machine m(cfg);
        m.cpu.s.idtr = TableRegister{0, 0};  // real mode, IVT limit 0: INT3 cannot be delivered
        m.cpu.s.set_eip(0);
        m.cpu.load_seg_real(CS, 0x1000);
        uint8_t int3 = 0xCC;
        m.phys.write_bytes(0x10000, &int3, 1);
        Machine::Result r = m.run(1000);
        if (no_reboot) {
            CHECK(r.reason == StopReason::TripleFault);
        } else {
            CHECK(r.resets == 1);
            CHECK(r.reason == StopReason::HaltForever);  // the reset firmware's HLT
        }
    }
}

TEST_CASE("hardware task switches: JMP to a TSS, CALL through a task gate, IRET back", "[pm]") {
    Pm p;
    // Task B: its own registers and EIP 0x6100, flat ring-0 segments.
    p.w32(kTssB + 0x20, 0x6100);
    p.w32(kTssB + 0x24, 0x2 | CF);
    p.w32(kTssB + 0x28, 0xAAAA0001);  // EAX
    p.w32(kTssB + 0x38, 0x8000);      // ESP
    p.w32(kTssB + 0x48, DATA0);
    p.w32(kTssB + 0x4C, CODE0);
    p.w32(kTssB + 0x50, DATA0);
    p.w32(kTssB + 0x54, DATA0);
    p.s.set_reg32(EBX, 0x12345678);
    p.code(0x5000, {0x9A, 0, 0, 0, 0, TASKGATE3, 0});  // call far 0043:0 (task gate)
    p.code(0x6100, {0xCF});                            // iretd (NT set: back to A)
    p.step();
    CHECK(p.s.tr.selector == TSS_B);
    CHECK(p.s.eip() == 0x6100);
    CHECK(p.s.reg32(EAX) == 0xAAAA0001);
    CHECK((p.s.eflags & (NT | CF)) == (NT | CF));
    CHECK(p.r16(kTssB) == TSS_A);                     // back link
    CHECK((p.desc(TSS_B).type()) == kTss32Busy);
    CHECK((p.desc(TSS_A).type()) == kTss32Busy);      // CALL keeps the old task busy
    CHECK(p.r32(kTssA + 0x20) == 0x5007);             // old EIP saved
    CHECK(p.r32(kTssA + 0x34) == 0x12345678);         // old EBX saved
    CHECK((p.s.cr0 & CR0_TS) == CR0_TS);
    p.step();
    CHECK(p.s.tr.selector == TSS_A);
    CHECK(p.s.eip() == 0x5007);
    CHECK(p.s.reg32(EBX) == 0x12345678);
    CHECK(p.desc(TSS_B).type() == kTss32Avail);       // IRET frees the nested task
    CHECK((p.r32(kTssB + 0x24) & NT) == 0);
    // JMP to a busy TSS is #GP(selector).
    p.code(0x5007, {0xEA, 0, 0, 0, 0, TSS_A, 0});
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(0) == TSS_A);
}

TEST_CASE("virtual-8086 mode: IRET into it, IOPL-sensitive faults, the I/O bitmap", "[pm][v86]") {
    Pm p;
    // IRETD to V86 mode: EIP, CS, EFLAGS(VM, IOPL 0), ESP, SS, ES, DS, FS, GS.
    const uint32_t frame[] = {0x0100, 0x2000, 0x00020002, 0x0FFE, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
    p.s.set_reg32(ESP, 0x7000 - sizeof frame);
    for (unsigned i = 0; i < 9; ++i) p.w32(0x7000 - sizeof frame + 4 * i, frame[i]);
    p.code(0x5000, {0xCF});
    p.step();
    REQUIRE(p.c.v86());
    CHECK(p.s.cpl == 3);
    CHECK(p.s.seg[CS].base == 0x20000);
    CHECK(p.s.seg[SS].base == 0x30000);
    CHECK(p.s.eip() == 0x100);
    // CLI with IOPL 0 in V86 mode: #GP(0) to the ring-0 handler with the V86 frame.
    p.code(0x20100, {0xFA});
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(!p.c.v86());
    CHECK(p.s.reg32(ESP) == kStack0 - 40);
    CHECK(p.stack(0) == 0);        // error code
    CHECK(p.stack(1) == 0x100);    // EIP
    CHECK(p.stack(2) == 0x2000);   // CS
    CHECK((p.stack(3) & VM) == VM);
    CHECK(p.stack(4) == 0x0FFE);   // ESP
    CHECK(p.stack(5) == 0x3000);   // SS
    CHECK(p.stack(6) == 0x4000);   // ES
    CHECK(p.stack(7) == 0x5000);   // DS
    CHECK(p.stack(8) == 0x6000);   // FS
    CHECK(p.stack(9) == 0x7000);   // GS
    CHECK(p.s.seg[DS].selector == 0);  // data segments are null in the handler
    // Back to V86 (skip the CLI), then IN from a port the bitmap allows and one it denies.
    p.w32(p.s.reg32(ESP) + 4, 0x101);
    p.code(kHandlers + 16 * kGP, {0x83, 0xC4, 0x04, 0xCF});  // add esp, 4; iretd
    p.w8(kTssA + 0x68 + (0x61 / 8), 0x00);
    p.w8(kTssA + 0x68 + (0x60 / 8), uint8_t(1u << (0x64 & 7)));  // port 0x64 denied
    p.code(0x20101, {0xE4, 0x61, 0xE4, 0x64});  // in al, 0x61; in al, 0x64
    p.step(2);
    REQUIRE(p.c.v86());
    CHECK(p.s.eip() == 0x101);
    p.step();
    CHECK(p.s.eip() == 0x103);  // allowed by the bitmap (IOPL does not matter in V86 mode)
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(1) == 0x103);
}

TEST_CASE("#PF with paging: error code, CR2, saved EIP", "[pm][mmu]") {
    Pm p;
    // Identity-map the first 4 MiB with a 4 KiB table, leaving page 0x00400000.. absent and
    // page 0x6000 read-only for user.
    const uint32_t pd = 0x100000, pt = 0x101000;
    p.w32(pd, pt | 7);
    for (uint32_t i = 0; i < 1024; ++i) p.w32(pt + 4 * i, (i << 12) | 7);
    p.w32(pt + 4 * 6, 0x6000 | 5);  // present, user, read-only
    p.s.cr3 = pd;
    p.s.cr0 |= CR0_PG | CR0_WP;
    p.c.update_paging();
    p.enter(3);
    p.code(0x5000, {0xC6, 0x05, 0x10, 0x60, 0x00, 0x00, 0x01});  // mov byte [0x6010], 1
    p.step();
    CHECK(p.at_handler(kPF));
    CHECK(p.s.cr2 == 0x6010);
    CHECK(p.stack(0) == 7);  // present, write, user
    CHECK(p.stack(1) == 0x5000);
    CHECK(p.stack(2) == CODE3);
    p.enter(0);
    p.s.set_reg32(ESP, 0x7800);  // below it lies the read-only page: with CR0.WP ring 0 may not push there
    p.code(0x5000, {0xA1, 0x00, 0x00, 0x80, 0x00});  // mov eax, [0x800000]: no page table
    p.step();
    CHECK(p.at_handler(kPF));
    CHECK(p.s.cr2 == 0x800000);
    CHECK(p.stack(0) == 0);
}

TEST_CASE("debug: single step, instruction and data breakpoints, RF", "[pm][debug]") {
    Pm p;
    p.w8(kHandlers + 16 * kDB, 0xCF);  // the #DB handler: iretd
    p.s.eflags |= TF;
    p.code(0x5000, {0x90, 0x90});
    p.step();
    CHECK(p.at_handler(kDB));
    CHECK(p.stack(0) == 0x5001);  // a trap: the next instruction
    CHECK((p.s.dr[6] & (1u << 14)) != 0);
    // Data breakpoint 0: writes to the dword at 0x7100.
    Pm q;
    q.s.dr[0] = 0x7100;
    q.s.dr[7] = 0x400 | 0x1 | (1u << 16) | (3u << 18);
    q.c.debug_regs_changed();
    q.code(0x5000, {0xC6, 0x05, 0x02, 0x71, 0x00, 0x00, 0x5A,   // mov byte [0x7102], 0x5a
                    0xA1, 0x00, 0x71, 0x00, 0x00});             // mov eax, [0x7100]: a read, no hit
    q.step();
    CHECK(q.at_handler(kDB));
    CHECK(q.stack(0) == 0x5007);
    CHECK((q.s.dr[6] & 0xF) == 1);
    // Instruction breakpoint 1 at 0x5000: a fault before the instruction; RF skips it once.
    Pm r;
    r.s.dr[1] = 0x5000;
    r.s.dr[7] = 0x400 | 0x4;
    r.c.debug_regs_changed();
    r.code(0x5000, {0x40});  // inc eax
    r.code(kHandlers + 16 * kDB, {0x81, 0x4C, 0x24, 0x08, 0x00, 0x00, 0x01, 0x00,  // or dword [esp+8], RF
                                  0xCF});
    r.step();
    CHECK(r.at_handler(kDB));
    CHECK(r.stack(0) == 0x5000);  // a fault: the instruction itself
    CHECK(r.s.reg32(EAX) == 0);
    r.step(2);  // set RF in the image, IRETD
    CHECK(r.s.eip() == 0x5000);
    r.step();   // the breakpoint is skipped once
    CHECK(r.s.eip() == 0x5001);
    CHECK(r.s.reg32(EAX) == 1);
    CHECK((r.s.eflags & RF) == 0);
}

TEST_CASE("SYSENTER and SYSEXIT", "[pm]") {
    Pm p;
    p.s.sysenter_cs = CODE0;
    p.s.sysenter_esp = 0x8800;
    p.s.sysenter_eip = 0x6200;
    p.enter(3);
    p.code(0x5000, {0x0F, 0x34});  // sysenter
    p.code(0x6200, {0x0F, 0x35});  // sysexit
    p.step();
    CHECK(p.s.cpl == 0);
    CHECK(p.s.seg[CS].selector == CODE0);
    CHECK(p.s.seg[SS].selector == DATA0);
    CHECK(p.s.reg32(ESP) == 0x8800);
    CHECK(p.s.eip() == 0x6200);
    p.s.set_reg32(EDX, 0x5002);
    p.s.set_reg32(ECX, 0x7000);
    p.step();
    CHECK(p.s.cpl == 3);
    CHECK(p.s.seg[CS].selector == CODE3);
    CHECK(p.s.seg[SS].selector == DATA3);
    CHECK(p.s.eip() == 0x5002);
    CHECK(p.s.reg32(ESP) == 0x7000);
    p.code(0x5002, {0x0F, 0x35});  // SYSEXIT at CPL 3: #GP(0)
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(0) == 0);
}

TEST_CASE("#AC: unaligned accesses at CPL 3 with CR0.AM and EFLAGS.AC", "[pm]") {
    Pm p;
    p.s.cr0 |= CR0_AM;
    p.enter(3);
    p.s.eflags |= AC;
    p.code(0x5000, {0x8B, 0x05, 0x00, 0x71, 0x00, 0x00,    // mov eax, [0x7100]: aligned
                    0x8B, 0x05, 0x01, 0x71, 0x00, 0x00});  // mov eax, [0x7101]: #AC(0)
    p.step();
    CHECK(p.s.eip() == 0x5006);
    p.step();
    CHECK(p.at_handler(kAC));
    CHECK(p.stack(0) == 0);
    CHECK(p.stack(1) == 0x5006);
    CHECK(p.stack(2) == CODE3);
    // The same access at CPL 0, or with AC clear, is not checked.
    Pm q;
    q.s.cr0 |= CR0_AM;
    q.s.eflags |= AC;
    q.code(0x5000, {0x8B, 0x05, 0x01, 0x71, 0x00, 0x00});
    q.step();
    CHECK(q.s.eip() == 0x5006);
}

TEST_CASE("a far JMP sets the accessed bit of the new code segment's descriptor", "[pm]") {
    // SDM Vol. 3A, 3.4.5.1: the processor sets A when it loads the selector into a segment
    // register, CS included. (QEMU 7.2 does not for far JMPs, so tests/roms/pm_descriptors.asm
    // cannot check it.)
    Pm p;
    p.w64(kGdt + CODE16, seg(0, 0xFFFFF, 0x9A, 0xC));  // flat 32-bit code, A = 0
    p.code(0x5000, {0xEA, 0x00, 0x51, 0x00, 0x00, CODE16, 0x00});  // jmp far 0058:00005100
    p.step();
    CHECK(p.s.seg[CS].selector == CODE16);
    CHECK(p.s.eip() == 0x5100);
    CHECK(p.r32(kGdt + CODE16 + 4) == uint32_t(seg(0, 0xFFFFF, 0x9B, 0xC) >> 32));
}

TEST_CASE("a call gate to a conforming segment keeps CPL and the stack; CS.RPL = CPL", "[pm]") {
    // SDM Vol. 2A, CALL, SAME-PRIVILEGE through a call gate: "CS(RPL) <- CPL". (QEMU 7.2 loads
    // the segment's DPL into CS.RPL instead, so tests/roms/pm_gates.asm does not print CS there.)
    Pm p;
    p.w64(kGdt + CODE16, seg(0, 0xFFFFF, 0x9E, 0xC));                  // conforming code, DPL 0
    p.w64(kGdt + (CALLGATE3 & ~3), gate(CODE16, 0x6000, 0xEC, 0));      // 32-bit call gate, DPL 3
    p.enter(3);
    p.code(0x5000, {0x9A, 0x00, 0x00, 0x00, 0x00, CALLGATE3, 0x00});  // call far 003b:0
    p.step();
    CHECK(p.s.cpl == 3);
    CHECK(p.s.seg[CS].selector == (CODE16 | 3));
    CHECK(p.s.eip() == 0x6000);
    CHECK(p.s.seg[SS].selector == DATA3);
    CHECK(p.s.reg32(ESP) == 0x7000 - 8);
    CHECK(p.r32(0x7000 - 4) == CODE3);
    CHECK(p.r32(0x7000 - 8) == 0x5007);
}

TEST_CASE("a stack switch to a stack segment that is not present is #SS(selector)", "[pm]") {
    // SDM Vol. 2A, CALL (MORE-PRIVILEGE) and INT n (INTER-PRIVILEGE-LEVEL-INTERRUPT): a new SS
    // marked not present raises #SS with its selector. (QEMU 7.2 raises #TS, so
    // tests/roms/pm_exceptions.asm leaves this out.) The target is ring 1, whose SS1 is not
    // present; the #SS goes to ring 0 on the usable SS0.
    constexpr uint16_t CODE1 = DATA_RO, DATA1_NP = DATA_NP;
    for (bool by_int : {false, true}) {
        CAPTURE(by_int);
        Pm p;
        p.w64(kGdt + CODE1, seg(0, 0xFFFFF, 0xBA, 0xC));      // code, DPL 1
        p.w64(kGdt + DATA1_NP, seg(0, 0xFFFFF, 0x32, 0xC));   // data, DPL 1, not present
        p.w32(kTssA + 0x0C, 0x8000);                          // ESP1
        p.w32(kTssA + 0x10, DATA1_NP | 1);                    // SS1
        p.w64(kGdt + (CALLGATE3 & ~3), gate(CODE1, 0x6000, 0xEC, 0));
        p.w64(kIdt + 8 * 0x80, gate(CODE1, 0x6000, 0xEF));
        p.enter(3);
        if (by_int) p.code(0x5000, {0xCD, 0x80});                                  // int 0x80
        else p.code(0x5000, {0x9A, 0x00, 0x00, 0x00, 0x00, CALLGATE3, 0x00});      // call 003b:0
        p.step();
        CHECK(p.at_handler(kSS));
        CHECK(p.stack(0) == DATA1_NP);
        CHECK(p.stack(1) == 0x5000);
        CHECK(p.stack(2) == CODE3);
    }
}

TEST_CASE("MOV CR0/CR4 with invalid bits and WRMSR/RDMSR of an unknown MSR are #GP(0)", "[pm]") {
    // SDM Vol. 2B, MOV (control registers): NW without CD, PG without PE and reserved CR4 bits;
    // WRMSR/RDMSR: an MSR that does not exist. (QEMU 7.2 ignores the first and the last and
    // hangs on a reserved CR4 bit, so tests/roms/pm_exceptions.asm leaves them out.)
    struct Case { uint32_t eax; uint32_t ecx; std::initializer_list<uint8_t> code; };
    const Case cases[] = {
        {CR0_PE | CR0_NW | CR0_ET, 0, {0x0F, 0x22, 0xC0}},  // mov cr0, eax: NW without CD
        {CR0_PG | CR0_ET, 0, {0x0F, 0x22, 0xC0}},           // mov cr0, eax: PG without PE
        {0x80000000u, 0, {0x0F, 0x22, 0xE0}},               // mov cr4, eax: bit 31 reserved
        {0, 0xBAD, {0x0F, 0x30}},                           // wrmsr 0xBAD
        {0, 0xBAD, {0x0F, 0x32}},                           // rdmsr 0xBAD
    };
    for (const Case& k : cases) {
        Pm p;
        p.s.set_reg32(EAX, k.eax);
        p.s.set_reg32(ECX, k.ecx);
        p.code(0x5000, k.code);
        p.step();
        CHECK(p.at_handler(kGP));
        CHECK(p.stack(0) == 0);
        CHECK(p.stack(1) == 0x5000);
    }
}

TEST_CASE("V86 mode with IOPL 0: INT3 and INTO go through the IDT, INT 3 (CD 03) is #GP(0)", "[pm][v86]") {
    // SDM Vol. 2A, INT n/INTO/INT3/INT1, Operation: only INT n is IOPL-sensitive in V86 mode;
    // INT3 and INTO reach the protected-mode handler through a DPL 3 gate (Vol. 3A, 20.3.1.1).
    struct Case { std::initializer_list<uint8_t> code; uint8_t vec; uint32_t eip; };
    const Case cases[] = {
        {{0xCC}, kBP, 0x101},        // int3: a trap through gate 3
        {{0xCE}, kOF, 0x101},        // into with OF = 1: through gate 4
        {{0xCD, 0x03}, kGP, 0x100},  // int 3: #GP(0), a fault
    };
    for (const Case& k : cases) {
        Pm p;
        p.w64(kIdt + 8 * kBP, gate(CODE0, kHandlers + 16 * kBP, 0xEE));  // DPL 3
        p.w64(kIdt + 8 * kOF, gate(CODE0, kHandlers + 16 * kOF, 0xEE));
        // IRETD to V86 mode, IOPL 0, OF set: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
        const uint32_t frame[] = {0x0100, 0x2000, 0x00020802, 0x0FFE, 0x3000, 0, 0, 0, 0};
        p.s.set_reg32(ESP, 0x7000 - sizeof frame);
        for (unsigned i = 0; i < 9; ++i) p.w32(0x7000 - sizeof frame + 4 * i, frame[i]);
        p.code(0x5000, {0xCF});
        p.code(0x20100, k.code);
        p.step(2);
        CHECK(p.at_handler(k.vec));
        CHECK(!p.c.v86());
        uint32_t err = vector_has_error_code(k.vec) ? 1 : 0;
        if (err) CHECK(p.stack(0) == 0);
        CHECK(p.stack(err) == k.eip);
        CHECK(p.stack(err + 1) == 0x2000);
        CHECK((p.stack(err + 2) & VM) == VM);
    }
}

TEST_CASE("debug: DR7.GD, the TSS T bit, ICEBP, single step with a data breakpoint", "[pm][debug]") {
    // QEMU 7.2 implements neither GD nor T, raises #UD for ICEBP and mishandles a data breakpoint
    // hit while single-stepping, so tests/roms/pm_debug.asm leaves these out.
    // DR7.GD: the next MOV DRn is a #DB fault with DR6.BD; GD is cleared for the handler
    // (SDM Vol. 3A, 17.2.4).
    Pm p;
    p.s.dr[7] = 0x400 | (1u << 13);
    p.c.debug_regs_changed();
    p.code(0x5000, {0x0F, 0x21, 0xC0});  // mov eax, dr0
    p.step();
    CHECK(p.at_handler(kDB));
    CHECK(p.stack(0) == 0x5000);
    CHECK((p.s.dr[6] & (1u << 13)) != 0);
    CHECK((p.s.dr[7] & (1u << 13)) == 0);
    // The T bit of the new task's TSS: a #DB trap with DR6.BT once the switch is done, before
    // the new task's first instruction (SDM Vol. 3A, 7.2.1 and 17.3.1.5).
    Pm t;
    t.w32(kTssB + 0x20, 0x6100);
    t.w32(kTssB + 0x24, 0x2);
    t.w32(kTssB + 0x38, 0x8000);
    for (uint32_t off : {0x48u, 0x50u, 0x54u, 0x58u, 0x5Cu}) t.w32(kTssB + off, DATA0);
    t.w32(kTssB + 0x4C, CODE0);
    t.w16(kTssB + 0x64, 1);
    t.code(0x5000, {0xEA, 0, 0, 0, 0, TSS_B, 0});  // jmp far 0030:0
    t.step();
    CHECK(t.s.tr.selector == TSS_B);
    CHECK(t.at_handler(kDB));
    CHECK(t.stack(0) == 0x6100);
    CHECK((t.s.dr[6] & (1u << 15)) != 0);
    // ICEBP (F1) at CPL 3: a #DB trap after the instruction, through a DPL 0 gate (no gate
    // DPL check: it is not INT n), DR6 untouched (SDM Vol. 2A, INT1).
    Pm i;
    i.enter(3);
    i.code(0x5000, {0xF1});
    i.step();
    CHECK(i.at_handler(kDB));
    CHECK(i.stack(0) == 0x5001);
    CHECK(i.stack(1) == CODE3);
    CHECK(i.s.dr[6] == 0xFFFF0FF0u);
    // Single step and a data breakpoint on the same instruction: one #DB trap with BS and B1.
    Pm d;
    d.s.dr[1] = 0x7100;
    d.s.dr[7] = 0x400 | 0x4 | (1u << 20) | (3u << 22);  // L1, write, 4 bytes
    d.c.debug_regs_changed();
    d.s.eflags |= TF;
    d.code(0x5000, {0xA3, 0x00, 0x71, 0x00, 0x00});  // mov [0x7100], eax
    d.step();
    CHECK(d.at_handler(kDB));
    CHECK(d.stack(0) == 0x5005);
    CHECK((d.s.dr[6] & 0xF00F) == 0x4002);
    CHECK(d.c.stats.exceptions[kDB] == 1);
}

TEST_CASE("PAE: loading a PDPTE with a reserved bit set is #GP(0), not a later #PF", "[pm][mmu]") {
    // SDM Vol. 3A, 4.4.1: MOV to CR3 with PAE paging on, and MOV to CR0 that turns PAE paging
    // on, load the PDPTEs; a present one with a reserved bit set is #GP(0) and the register
    // keeps its value. (QEMU 7.2 reads PDPTEs on every walk and raises #PF with RSVD, so
    // tests/roms/paging_pae.asm leaves this out.)
    const uint32_t pdpt = 0x100000, bad = 0x100020, pd = 0x101000, pt = 0x102000;
    for (int how = 0; how < 2; ++how) {
        CAPTURE(how);
        Pm p;
        p.w64(pdpt, pd | 1);
        p.w64(bad, pd | 1);
        p.w64(bad + 8, pd | 1 | 2);  // PDPTE 1: bit 1 is reserved
        p.w64(pd, pt | 7);
        for (uint32_t i = 0; i < 512; ++i) p.w64(pt + 8 * i, (i << 12) | 7);
        if (how == 0) {
            // Paging on with the good table, then MOV CR3 to the bad one.
            p.s.cr3 = pdpt;
            p.s.cr4 |= CR4_PAE;
            p.s.cr0 |= CR0_PG;
            p.c.update_paging();
            p.s.set_reg32(EAX, bad);
            p.code(0x5000, {0x0F, 0x22, 0xD8});  // mov cr3, eax
        } else {
            // CR4.PAE set, CR3 at the bad table: MOV CR0 that sets PG.
            p.s.cr3 = bad;
            p.s.cr4 |= CR4_PAE;
            p.c.update_paging();
            p.s.set_reg32(EAX, p.s.cr0 | CR0_PG);
            p.code(0x5000, {0x0F, 0x22, 0xC0});  // mov cr0, eax
        }
        const uint32_t cr0 = p.s.cr0, cr3 = p.s.cr3, cr4 = p.s.cr4;
        p.step();
        CHECK(p.at_handler(kGP));
        CHECK(p.stack(0) == 0);
        CHECK(p.stack(1) == 0x5000);
        CHECK(p.s.cr0 == cr0);
        CHECK(p.s.cr3 == cr3);
        CHECK(p.s.cr4 == cr4);
    }
}

TEST_CASE("an instruction running onto a not-present page faults on that page", "[pm][mmu]") {
    Pm p;
    const uint32_t pd = 0x100000, pt = 0x101000;
    p.w32(pd, pt | 3);
    for (uint32_t i = 0; i < 1024; ++i) p.w32(pt + 4 * i, (i << 12) | 3);
    p.w32(pt + 4 * 0x51, 0);  // page 0x51000 not present
    p.s.cr3 = pd;
    p.s.cr0 |= CR0_PG;
    p.c.update_paging();
    p.s.set_eip(0x50FFE);
    p.code(0x50FFE, {0xB8, 0x01});  // mov eax, imm32: the last 3 bytes would be on page 0x51000
    p.step();
    CHECK(p.at_handler(kPF));
    CHECK(p.s.cr2 == 0x51000);
    CHECK(p.stack(0) == 0);        // not present, read (a fetch without NX), supervisor
    CHECK(p.stack(1) == 0x50FFE);  // the instruction's first byte
    // The same with the page present runs through.
    p.w32(pt + 4 * 0x51, 0x51000 | 3);
    p.c.mmu.invalidate_page(0x51000);
    p.code(0x51000, {0x02, 0x03, 0x04});
    p.s.set_eip(0x50FFE);
    p.step();
    CHECK(p.s.reg32(EAX) == 0x04030201u);
    CHECK(p.s.eip() == 0x51003);
}

TEST_CASE("I/O breakpoints with CR4.DE trap after the access; DR4/DR5 become #UD", "[pm][debug]") {
    Pm p;
    p.s.cr4 |= CR4_DE;
    p.s.dr[2] = 0x80;
    p.s.dr[7] = 0x400 | (1u << 4) | (2u << 24);  // L2, R/W = 10 (I/O), LEN = 1
    p.c.debug_regs_changed();
    p.code(0x5000, {0xE6, 0x81,                   // out 0x81, al: no hit
                    0xE6, 0x80,                   // out 0x80, al: hit
                    0x0F, 0x21, 0xE0});           // mov eax, dr4 with CR4.DE: #UD
    p.step();
    CHECK(p.s.eip() == 0x5002);
    p.step();
    CHECK(p.at_handler(kDB));
    CHECK(p.stack(0) == 0x5004);
    CHECK((p.s.dr[6] & 0xF) == 4);
    p.s.set_eip(0x5004);
    p.step();
    CHECK(p.at_handler(kUD));
    // Without CR4.DE the same breakpoint never fires (R/W = 10 is undefined then).
    Pm q;
    q.s.dr[2] = 0x80;
    q.s.dr[7] = 0x400 | (1u << 4) | (2u << 24);
    q.c.debug_regs_changed();
    q.code(0x5000, {0xE6, 0x80});
    q.step();
    CHECK(q.s.eip() == 0x5002);
}

TEST_CASE("CR4.VME: virtual IF in V86 mode, INT n redirected through the task's IVT", "[pm][v86]") {
    Pm p;
    p.s.cr4 |= CR4_VME;
    p.w16(kTssA + 0x66, 0x88);  // redirection bitmap at 0x68..0x87, I/O bitmap from 0x88
    for (uint32_t i = 0; i < 32; ++i) p.w8(kTssA + 0x68 + i, 0);
    p.w8(kTssA + 0x68 + 0x22 / 8, uint8_t(1u << (0x22 & 7)));  // INT 22h is not redirected
    // The V86 task's IVT entry for 21h: 3000:0100.
    p.w16(0x21 * 4, 0x0100);
    p.w16(0x21 * 4 + 2, 0x3000);
    // IRETD into V86 mode with IOPL 0, IF 1, VIF 0.
    const uint32_t frame[] = {0x0100, 0x2000, 0x00020202, 0x0FFE, 0x3000, 0, 0, 0, 0};
    p.s.set_reg32(ESP, 0x7000 - sizeof frame);
    for (unsigned i = 0; i < 9; ++i) p.w32(0x7000 - sizeof frame + 4 * i, frame[i]);
    p.code(0x5000, {0xCF});
    p.step();
    REQUIRE(p.c.v86());
    p.code(0x20100, {0xFB,         // sti: sets VIF, not IF's... IF is already 1
                     0x9C,         // pushf: IF in the image is VIF, IOPL shows 3
                     0xFA,         // cli: clears VIF only
                     0xCD, 0x21,   // int 21h: redirected to 3000:0100
                     0xCD, 0x22}); // int 22h: not redirected, IOPL 0: #GP
    p.step();
    CHECK((p.s.eflags & VIF) == VIF);
    p.step();
    const uint32_t ss_base = 0x30000;
    CHECK(p.r16(ss_base + 0x0FFC) == ((0x0202 & ~IF) | IOPL | IF));  // IF from VIF, IOPL 3
    p.step();
    CHECK((p.s.eflags & VIF) == 0);
    CHECK((p.s.eflags & IF) == IF);  // the real IF stays
    p.step();
    CHECK(p.c.v86());
    CHECK(p.s.seg[CS].selector == 0x3000);
    CHECK(p.s.eip() == 0x0100);
    CHECK(p.r16(ss_base + 0x0FFA) == (((0x0202 & ~IF) | IOPL)));  // VIF was 0: IF 0 in the image
    CHECK(p.r16(ss_base + 0x0FF8) == 0x2000);
    CHECK(p.r16(ss_base + 0x0FF6) == 0x0105);
    // Back with a 16-bit IRET: VIF takes the popped IF.
    p.w16(ss_base + 0x0FFA, 0x0202);
    p.code(0x30100, {0xCF});
    p.step();
    CHECK(p.s.seg[CS].selector == 0x2000);
    CHECK(p.s.eip() == 0x0105);
    CHECK((p.s.eflags & VIF) == VIF);
    // INT 22h is not redirected and IOPL is 0: #GP(0) to the monitor.
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(1) == 0x0105);
}

TEST_CASE("CR4.PVI: CLI and STI at CPL 3 work on VIF", "[pm]") {
    Pm p;
    p.s.cr4 |= CR4_PVI;
    p.enter(3);
    p.s.eflags |= IF;
    p.code(0x5000, {0xFA, 0xFB});  // cli; sti
    p.step();
    CHECK((p.s.eflags & (IF | VIF)) == IF);
    p.step();
    CHECK((p.s.eflags & (IF | VIF)) == (IF | VIF));
    p.s.eflags |= VIP;
    p.s.set_eip(0x5001);
    p.step();
    CHECK(p.at_handler(kGP));  // STI with an interrupt pending
}

TEST_CASE("PAE: PDPTEs are loaded with CR3 and checked then", "[pm][mmu]") {
    Pm p;
    const uint32_t pdpt = 0x100000, pd0 = 0x101000, pd1 = 0x102000, pd2 = 0x103000;
    p.w32(pdpt, pd0 | 1);      // 0..1 GiB: identity (code, stacks, tables)
    p.w32(pdpt + 8, pd1 | 1);  // 1..2 GiB: data through pd1
    p.w32(pd0, 0x00000000 | 0x83);
    p.w32(pd1, 0x00000000 | 0x83);  // 0x40000000 -> 0
    p.w32(pd2, 0x00200000 | 0x83);  // the replacement: 0x40000000 -> 2 MiB
    p.w32(0x7100, 0x11111111);
    p.w32(0x207100, 0x22222222);
    p.s.cr4 |= CR4_PAE;
    p.s.set_reg32(EAX, pdpt);
    p.s.set_reg32(EBX, CR0_PG);
    p.code(0x5000, {0x0F, 0x22, 0xD8,        // mov cr3, eax
                    0x0F, 0x20, 0xC1,        // mov ecx, cr0
                    0x09, 0xD9,              // or ecx, ebx
                    0x0F, 0x22, 0xC1,        // mov cr0, ecx: paging on, PDPTEs loaded
                    0x8B, 0x15, 0x00, 0x71, 0x00, 0x40,   // mov edx, [0x40007100]
                    0x8B, 0x15, 0x00, 0x71, 0x00, 0x40,   // (after the PDPT changed)
                    0x0F, 0x22, 0xD8,        // mov cr3, eax: reloads the PDPTEs
                    0x8B, 0x15, 0x00, 0x71, 0x00, 0x40}); // mov edx, [0x40007100]
    p.step(5);
    CHECK(p.s.reg32(EDX) == 0x11111111);
    p.w32(pdpt + 8, pd2 | 1);  // change the PDPT behind the CPU's back
    p.c.mmu.flush_all();       // even with an empty TLB the loaded PDPTE stays in use
    p.step();
    CHECK(p.s.reg32(EDX) == 0x11111111);
    p.step(2);
    CHECK(p.s.reg32(EDX) == 0x22222222);
    // A reserved bit in a present PDPTE: MOV CR3 raises #GP(0) and CR3 keeps its value.
    p.w32(pdpt + 16, pd1 | 1 | 0x4);  // bit 2 is reserved
    p.code(p.s.eip(), {0x0F, 0x22, 0xD8});
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(0) == 0);
    CHECK(p.s.cr3 == pdpt);
}

TEST_CASE("review fixes: PAE toggled under paging, DR7 local enables and the LDT across task switches, #AC storms", "[pm]") {
    SECTION("MOV CR4 may leave PAE paging while CR0.PG is set (no IA-32e here)") {
        Pm p;
        const uint32_t pdpt = 0x100000, pd = 0x101000;
        p.w32(pdpt, pd | 1);
        p.w32(pd, 0x00000083);  // 0..2 MiB: a 2 MiB page
        p.s.cr4 |= CR4_PAE | CR4_PSE;
        p.s.cr3 = pdpt;
        p.s.cr0 |= CR0_PG;
        p.c.update_paging();
        p.s.set_reg32(EDX, CR4_PSE);
        p.code(0x5000, {0x0F, 0x22, 0xE2});  // mov cr4, edx: PAE off
        p.step();
        CHECK(p.c.stats.exceptions[kGP] == 0);
        CHECK((p.s.cr4 & CR4_PAE) == 0);
        CHECK(p.s.eip() == 0x5003);
        CHECK(!p.c.mmu.paging().pae);
    }
    SECTION("a task switch clears DR7's local enables and loads the LDT of a V86 task") {
        Pm p;
        const uint16_t LDT_SEL = 0x60;
        p.w64(kGdt + LDT_SEL, seg(0x4000, 0x0F, 0x82, 0));  // an LDT with two entries
        p.s.gdtr.limit = 0x67;
        p.w32(kTssB + 0x20, 0x0100);        // EIP
        p.w32(kTssB + 0x24, 0x00020002);    // EFLAGS: VM
        p.w32(kTssB + 0x38, 0x0FFE);        // ESP
        for (unsigned i = 0; i < 6; ++i) p.w32(kTssB + 0x48 + 4 * i, 0x2000);
        p.w32(kTssB + 0x60, LDT_SEL);
        p.s.dr[0] = 0x20100;
        p.s.dr[7] = 0x400 | 0x1 | 0x2;  // L0 and G0
        p.c.debug_regs_changed();
        p.code(0x5000, {0xEA, 0, 0, 0, 0, TSS_B, 0});  // jmp far TSS B
        p.step();
        CHECK(p.c.v86());
        CHECK(p.s.ldtr.selector == LDT_SEL);
        CHECK(p.s.ldtr.base == 0x4000);
        CHECK((p.s.ldtr.attr & SEG_P) != 0);
        CHECK((p.s.dr[7] & 0x55) == 0);  // L0 cleared
        CHECK((p.s.dr[7] & 0x2) == 0x2); // G0 kept
    }
    SECTION("#AC raised again and again while delivering ends in a shutdown, not a hang") {
        Pm p;
        // A DPL-3 conforming handler for #AC runs at CPL 3 on the same misaligned stack.
        p.w64(kGdt + CODE16, seg(0, 0xFFFFF, 0x9E, 0xC));  // conforming code, DPL 0
        for (unsigned v = 0; v < 32; ++v) p.w64(kIdt + 8 * v, gate(CODE16, kHandlers + 16 * v, 0xEF));
        p.s.cr0 |= CR0_AM;
        p.enter(3);
        p.s.eflags |= AC;
        p.s.set_reg32(ESP, 0x7002);  // misaligned: every 4-byte push raises #AC
        p.code(0x5000, {0x0F, 0x0B});  // ud2
        Machine::Result r = p.m.run(100);
        CHECK(r.reason != StopReason::MaxInsns);
    }
}

TEST_CASE("faults while delivering an exception carry EXT in their error code", "[pm]") {
    Pm p;
    p.w64(kIdt + 8 * kUD, gate(0x0100, kHandlers + 16 * kUD, 0x8E));  // selector beyond the GDT
    p.code(0x5000, {0x0F, 0x0B});  // ud2
    p.step();
    CHECK(p.at_handler(kGP));
    CHECK(p.stack(0) == (0x0100u | 1u));
    // The same through INT n (software): no EXT.
    Pm q;
    q.w64(kIdt + 8 * 0x40, gate(0x0100, kHandlers, 0x8E));
    q.code(0x5000, {0xCD, 0x40});
    q.step();
    CHECK(q.at_handler(kGP));
    CHECK(q.stack(0) == 0x0100u);
}
