// The differential harness of the translator tests (jit_diff_test.cpp draws random cases,
// jit_regress_test.cpp keeps the ones that found bugs): one case, the machines it starts from, and
// a run of it under the interpreter and under the JIT with everything they differ in.
#pragma once
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/emitter.h"

namespace jit_diff {

using namespace xlat;

constexpr uint32_t kCode = 0x10000;     // the random code (linear = physical)
constexpr uint32_t kData = 0x20000;     // EBX points into this window of 3 pages
constexpr uint32_t kStack = 0x38000;    // ESP
constexpr uint32_t kHandler = 0x9000;   // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;
constexpr uint32_t kTss = 0x3000;       // ring-3 cases: the TSS (SS0:ESP0 and the I/O bitmap)
constexpr uint32_t kRing0Stack = 0x3F000;
constexpr uint32_t kIoMapBytes = 0x60;  // the bitmap covers ports 0-0x2FF; beyond it IN/OUT fault
// The ports IN and OUT use: the POST port, the PICs' masks (no interrupt is raised), the PIT's
// port B (its refresh bit follows the clock: icount cases only), unclaimed ports (all ones) inside
// the bitmap and past it.
constexpr uint16_t kPorts[] = {0x80, 0x21, 0xA1, 0x2E0, 0x300, 0x61};

// The random program and everything the two machines start from.
struct Case {
    std::vector<uint8_t> code;
    uint32_t regs[8];
    uint32_t flags;
    std::vector<uint8_t> data;    // kData window contents (3 pages)
    bool paging;
    uint32_t frames[3];           // physical frames of the three data pages (paging)
    bool absent[3];               // data pages not present (paging)
    bool segmented;               // DS and ES based at kData with a random limit, EBX small
    uint32_t limit;               // their limit (segmented)
    uint64_t budget;              // --max-insns of the run
    int icount_shift;             // >= 0: --icount (RDTSC and port 61h are then repeatable); -1: host time
    bool ring3;                   // CPL 3 (user pages, a TSS with an I/O bitmap), else CPL 0
    unsigned iopl;                // EFLAGS.IOPL
    bool tsd;                     // CR4.TSD: RDTSC at CPL 3 raises #GP
    uint8_t iomap[kIoMapBytes];   // the TSS's I/O permission bitmap (ring3)
};

inline void put32(Machine& m, uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); }

inline void setup(Machine& m, const Case& k) {
    CpuState& s = m.cpu.s;
    // GDT: null, flat code 0x08, flat data 0x10; IDT: 32 interrupt gates to 08:kHandler.
    install_halting_idt(m, kGdt, kIdt, kHandler);
    const uint16_t code_attr = SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G;
    const uint16_t data_attr = SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB | SEG_G;
    for (unsigned i = 0; i < kSegCount; ++i)
        s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, uint16_t(i == CS ? 0x08 : 0x10), uint16_t(i == CS ? code_attr : data_attr)};
    if (k.segmented) {
        // Byte-granular data segments over the data window (the cache only: the code loads no
        // segment register, and the exception handler does not return).
        const uint16_t attr = SEG_P | SEG_S | SEG_RW | SEG_ACCESSED | SEG_DB;
        s.seg[DS] = SegmentCache{kData, k.limit, 0x10, attr};
        s.seg[ES] = SegmentCache{kData, k.limit, 0x10, attr};
    }
    s.cpl = 0;
    if (k.ring3) {
        // Every segment cache DPL 3 (the code loads none), exceptions through interrupt gates to
        // ring 0 on the TSS's SS0:ESP0; the I/O bitmap at offset 104 ends at the TSS limit.
        for (unsigned i = 0; i < kSegCount; ++i) {
            s.seg[i].attr |= uint16_t(3u << SEG_DPL_SHIFT);
            s.seg[i].selector = uint16_t(i == CS ? 0x1B : 0x23);
        }
        s.cpl = 3;
        put32(m, kTss + 4, kRing0Stack);
        put32(m, kTss + 8, 0x10);
        put32(m, kTss + 100, 104u << 16);  // T = 0, I/O map base 104
        m.phys.write_bytes(kTss + 104, k.iomap, kIoMapBytes);
        s.tr = SegmentCache{kTss, 104 + kIoMapBytes - 1, 0x28, uint16_t(SEG_P | 0xB)};
    }
    s.cr0 = CR0_PE | CR0_ET | CR0_NE;
    if (k.tsd) s.cr4 |= CR4_TSD;
    if (k.paging) {
        // Identity for the first 4 MiB but the data window, whose pages sit in random frames
        // (user pages in ring-3 cases).
        const uint32_t pte = k.ring3 ? 7 : 3;
        put32(m, kPageDir, kPageTable | pte);
        for (uint32_t p = 0; p < 1024; ++p) put32(m, kPageTable + p * 4, (p << 12) | pte);
        for (unsigned i = 0; i < 3; ++i)
            put32(m, kPageTable + ((kData >> 12) + i) * 4, k.absent[i] ? 0 : (k.frames[i] | pte));
        s.cr3 = kPageDir;
        s.cr0 |= CR0_PG;
    }
    for (unsigned i = 0; i < 8; ++i) s.set_reg32(i, k.regs[i]);
    s.eflags = FIXED1 | (k.flags & kArithFlags) | (k.iopl << 12);
    s.set_eip(kCode);
    for (unsigned i = 0; i < 3; ++i)
        m.phys.write_bytes(k.paging ? k.frames[i] : kData + i * 4096, k.data.data() + i * 4096, 4096);
    m.phys.write_bytes(kCode, k.code.data(), k.code.size());
    m.cpu.state_loaded();
    m.mmu.flush_all();
}

inline std::string hex(const std::vector<uint8_t>& v) {
    std::ostringstream o;
    for (uint8_t b : v) { o.width(2); o.fill('0'); o << std::hex << unsigned(b); }
    return o.str();
}


// Both machines after a run of one case, and what differed between them (empty: nothing).
struct DiffRun {
    std::unique_ptr<Machine> interp, jit;
    Machine::Result ri, rj;
    std::string diff;
};

// Runs one case on both executors; adds the JIT's native instruction counts to `native` when given.
// `profile`: the JIT counts block runs (MachineConfig::jit_profile, as with --stats), and the
// per-mnemonic statistics are compared too; without, the blocks take the forms the command line
// runs by default (a Jcc linked straight to its target, lazy self-loops) and the statistics of
// native instructions are not kept.
// `learn_runs`: superblocks learn their ways after that many runs (and again after twice as
// many exits the flipped way; Jit::set_learn_runs), 0 for the default.
inline DiffRun run_both(const Case& k, std::vector<uint32_t>* native = nullptr, bool profile = true,
                        uint32_t learn_runs = 0) {
    MachineConfig ci = small_config(), cj = small_config();
    cj.jit_profile = profile;
    ci.cpu_mode = CpuMode::Interp;
    cj.cpu_mode = CpuMode::Jit;
    ci.icount_shift = cj.icount_shift = k.icount_shift;
    // XLAT_JIT_DIFF_DISABLE=LIST runs the jit with --jit-disable LIST (e.g. regs: the emitters'
    // memory forms of the guest registers and flags).
    if (const char* off = std::getenv("XLAT_JIT_DIFF_DISABLE")) cj.jit_disable = parse_jit_disable(off);
    // A quarter of the cases (by a random register) probe the TLB's tags instead of the fast
    // pages, and half of those without BMI2's RORX, so a host that has it runs every form.
    if ((k.regs[0] & 3) == 0) cj.jit_disable |= kDisablePageTable;
    if ((k.regs[0] & 7) == 0) cj.jit_disable |= kDisableBmi2;
    // Another quarter load the addend before the access instead of predicting it.
    if ((k.regs[0] & 3) == 1) cj.jit_disable |= kDisablePredict;
    // And another enters every linked block through its entry test (no fused entry tests).
    if ((k.regs[0] & 3) == 2) cj.jit_disable |= kDisableFuse;
    // And a quarter (by other bits) leave every self-loop's side exit to leave the block (no
    // side traces, docs/translator.md "Side traces").
    if ((k.regs[0] >> 2 & 3) == 3) cj.jit_disable |= kDisableTraces;
    DiffRun r;
    r.interp = std::make_unique<Machine>(ci);
    r.jit = std::make_unique<Machine>(cj);
    Machine &mi = *r.interp, &mj = *r.jit;
    if (learn_runs) mj.jit->set_learn_runs(learn_runs, 2 * learn_runs);
    setup(mi, k);
    setup(mj, k);
    r.ri = mi.run(k.budget);
    r.rj = mj.run(k.budget);
    const Machine::Result &ri = r.ri, &rj = r.rj;
    std::ostringstream d;
    const CpuState &a = mi.cpu.s, &b = mj.cpu.s;
    if (ri.reason != rj.reason) d << "stop reason " << int(ri.reason) << " vs " << int(rj.reason) << "; ";
    static const char* names[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (unsigned i = 0; i < 8; ++i)
        if (a.gpr[i] != b.gpr[i]) d << names[i] << " " << std::hex << a.gpr[i] << " vs " << b.gpr[i] << "; ";
    if (a.rip != b.rip) d << "eip " << std::hex << a.rip << " vs " << b.rip << "; ";
    if (a.eflags != b.eflags) d << "eflags " << std::hex << a.eflags << " vs " << b.eflags << "; ";
    if (a.icount != b.icount) d << "icount " << std::dec << a.icount << " vs " << b.icount << "; ";
    if (a.cr2 != b.cr2) d << "cr2 " << std::hex << a.cr2 << " vs " << b.cr2 << "; ";
    if (std::memcmp(a.seg, b.seg, sizeof a.seg)) d << "segments; ";
    if (a.fault.pending != b.fault.pending) d << "pending fault; ";
    for (size_t m = 0; profile && m < mi.cpu.stats.executed.size(); ++m)
        if (mi.cpu.stats.executed[m] != mj.cpu.stats.executed[m])
            d << "executed " << ZydisMnemonicGetString(ZydisMnemonic(m)) << " " << std::dec << mi.cpu.stats.executed[m]
              << " vs " << mj.cpu.stats.executed[m] << "; ";
    for (unsigned v = 0; v < 32; ++v)
        if (mi.cpu.stats.exceptions[v] != mj.cpu.stats.exceptions[v]) d << "exceptions " << v << "; ";
    if (native)
        for (size_t m = 0; m < native->size(); ++m) (*native)[m] += mj.jit->stats().native_by_mnemonic[m];
    const size_t n = size_t(mi.phys.ram_size());
    if (std::memcmp(mi.phys.ram(), mj.phys.ram(), n)) {
        for (size_t i = 0; i < n; ++i)
            if (mi.phys.ram()[i] != mj.phys.ram()[i]) {
                d << "RAM first differs at " << std::hex << i << "; ";
                break;
            }
    }
    r.diff = d.str();
    return r;
}

} // namespace jit_diff
