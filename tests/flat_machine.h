// Flat 32-bit protected mode for the translator tests (jit_smc, jit_chain, interp_block), which
// each had their own copy of this set-up and of the asmjit wrapper that assembles their guests.
#pragma once
#include <asmjit/x86.h>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/machine.h"

// Puts `m` in flat 32-bit protected mode (every segment base 0, limit 4 GiB; no GDT is needed:
// nothing reloads a segment) at `eip` with ESP = `esp`.
inline void enter_flat32(xlat::Machine& m, uint32_t eip, uint32_t esp) {
    using namespace xlat;
    CpuState& s = m.cpu.s;
    const uint16_t code_attr = SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G;
    const uint16_t data_attr = SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G;
    for (unsigned i = 0; i < kSegCount; ++i)
        s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(i == CS ? 8 : 16), uint16_t(i == CS ? code_attr : data_attr)};
    s.cr0 = CR0_PE | CR0_ET;
    s.set_reg32(ESP, esp);
    s.set_eip(eip);
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

// Turns 4 KiB paging on over the first 4 MiB, identity-mapped through the page directory and
// table at `page_dir` and `page_table`, with the page at `absent` not present (a #PF target).
inline void page_first_4mib(xlat::Machine& m, uint32_t page_dir, uint32_t page_table, uint32_t absent) {
    auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
    put32(page_dir, page_table | 3);
    for (uint32_t p = 0; p < 1024; ++p) put32(page_table + p * 4, p == (absent >> 12) ? 0 : ((p << 12) | 3));
    m.cpu.s.cr3 = page_dir;
    m.cpu.s.cr0 |= xlat::CR0_PG;
}

// Fills the 4 KiB page at physical `pa` with distinct dwords, `base + offset * mul`, so that a
// test can tell which page (and offset) an access read.
inline void fill_page_words(xlat::Machine& m, uint32_t pa, uint32_t base, uint32_t mul) {
    for (uint32_t a = 0; a < 0x1000; a += 4) {
        const uint32_t v = base + a * mul;
        m.phys.write_bytes(pa + a, &v, 4);
    }
}

// The last step of the JIT tests' setups: the registers but ESP (enter_flat32 set it), EFLAGS,
// the program at `base`, then the CPU told its state changed and the TLB flushed.
inline void load_program(xlat::Machine& m, uint32_t base, const std::vector<uint8_t>& code,
                         const uint32_t (&regs)[8], uint32_t eflags) {
    xlat::CpuState& s = m.cpu.s;
    for (unsigned i = 0; i < 8; ++i)
        if (i != xlat::ESP) s.set_reg32(i, regs[i]);
    s.eflags = eflags;
    m.phys.write_bytes(base, code.data(), code.size());
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

// The bytes `body` assembles (32-bit code) for address `base`.
template <typename F> std::vector<uint8_t> assemble_at(uint32_t base, F&& body) {
    asmjit::Environment env(asmjit::Arch::kX86);
    asmjit::CodeHolder code;
    code.init(env, base);
    asmjit::x86::Assembler a(&code);
    body(a);
    code.flatten();
    code.resolveUnresolvedLinks();
    code.relocateToBase(base);
    const asmjit::CodeBuffer& b = code.textSection()->buffer();
    return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

// A GDT (null, flat code 0x08, flat data 0x10) at `gdt` and an IDT at `idt` whose 32 exception
// vectors are interrupt gates to 08:`handler`, where a HLT stands: a fault's frame lands on the
// stack and the run stops there (the jit_diff and jit_regcache tests compare both).
inline void install_halting_idt(xlat::Machine& m, uint32_t gdt, uint32_t idt, uint32_t handler) {
    using namespace xlat;
    auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
    put32(gdt + 8, 0x0000FFFF), put32(gdt + 12, 0x00CF9B00);
    put32(gdt + 16, 0x0000FFFF), put32(gdt + 20, 0x00CF9300);
    for (uint32_t v = 0; v < 32; ++v) {
        put32(idt + v * 8, (0x08u << 16) | (handler & 0xFFFF));
        put32(idt + v * 8 + 4, (handler & 0xFFFF0000u) | 0x8E00);
    }
    const uint8_t hlt = 0xF4;
    m.phys.write_bytes(handler, &hlt, 1);
    m.cpu.s.gdtr = TableRegister{gdt, 23};
    m.cpu.s.idtr = TableRegister{idt, 32 * 8 - 1};
}

// What differs between two machines in what every executor must agree on: the general
// registers, EIP, EFLAGS (undefined flags included), the instruction count and the per-mnemonic
// statistics. Empty: nothing. The tests add what else they compare.
// `stats`: the per-mnemonic counts too (a JIT keeps them only when it counts block runs,
// MachineConfig::jit_profile).
inline std::string state_differences(const xlat::Machine& i, const xlat::Machine& j, bool stats = true) {
    std::ostringstream d;
    const xlat::CpuState &a = i.cpu.s, &b = j.cpu.s;
    static const char* names[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (unsigned r = 0; r < 8; ++r)
        if (a.gpr[r] != b.gpr[r]) d << names[r] << " " << std::hex << a.gpr[r] << " vs " << b.gpr[r] << "; ";
    if (a.rip != b.rip) d << "eip " << std::hex << a.rip << " vs " << b.rip << "; ";
    if (a.eflags != b.eflags) d << "eflags " << std::hex << a.eflags << " vs " << b.eflags << "; ";
    if (a.icount != b.icount) d << "icount " << std::dec << a.icount << " vs " << b.icount << "; ";
    for (size_t m = 0; stats && m < i.cpu.stats.executed.size(); ++m)
        if (i.cpu.stats.executed[m] != j.cpu.stats.executed[m])
            d << "executed " << ZydisMnemonicGetString(ZydisMnemonic(m)) << " " << std::dec << i.cpu.stats.executed[m]
              << " vs " << j.cpu.stats.executed[m] << "; ";
    return d.str();
}

// The first byte where the two machines' RAM differs, as a difference line (empty: none).
inline std::string ram_difference(xlat::Machine& i, xlat::Machine& j) {
    const size_t n = size_t(i.phys.ram_size());
    if (std::memcmp(i.phys.ram(), j.phys.ram(), n) == 0) return {};  // the common case, at memcmp's speed
    for (size_t k = 0; k < n; ++k)
        if (i.phys.ram()[k] != j.phys.ram()[k]) {
            std::ostringstream d;
            d << "RAM first differs at " << std::hex << k << "; ";
            return d.str();
        }
    return {};
}
// What differs between a reference run (the interpreter) and another run of the same guest: the
// stop reason, the whole CPU state, CR2, the exception counts and RAM (empty: nothing).
inline std::string run_differences(xlat::Machine& i, xlat::Machine& j, const xlat::Machine::Result& ri,
                                   const xlat::Machine::Result& rj, bool stats = true) {
    std::ostringstream d;
    if (ri.reason != rj.reason) d << "stop reason " << int(ri.reason) << " vs " << int(rj.reason) << "; ";
    d << state_differences(i, j, stats);
    if (i.cpu.s.cr2 != j.cpu.s.cr2) d << "cr2 " << std::hex << i.cpu.s.cr2 << " vs " << j.cpu.s.cr2 << "; ";
    for (unsigned v = 0; v < 32; ++v)
        if (i.cpu.stats.exceptions[v] != j.cpu.stats.exceptions[v]) d << "exceptions " << v << "; ";
    return d.str() + ram_difference(i, j);
}


// mov ecx, N / xor edx, edx / L: mov [P+1], ecx / P: mov eax, 0 / add edx, eax / dec ecx / jnz L /
// hlt at `base`: a loop whose store rewrites the immediate of the instruction after it, in the same
// block, N times; EDX ends as N(N+1)/2 when every turn runs the new bytes.
inline std::vector<uint8_t> self_patching_loop(uint32_t base, uint32_t n) {
    namespace ax = asmjit::x86;
    return assemble_at(base, [n](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel(), patch = a.newLabel();
        a.mov(ax::ecx, n);
        a.xor_(ax::edx, ax::edx);
        a.bind(loop);
        a.mov(ax::dword_ptr(patch, 1), ax::ecx);
        a.bind(patch);
        a.long_().mov(ax::eax, 0);
        a.add(ax::edx, ax::eax);
        a.dec(ax::ecx);
        a.jnz(loop);
        a.hlt();
    });
}
