// Constant-page probes (docs/translator.md, "Constant-page probes"): when every register of a
// memory operand has an upper bound known from the block's earlier instructions (`movzx edx, dl`,
// `and eax, 0x3FC`, `shr ecx, 24`) and the offsets it can take lie in one page, the inline probe
// compares that page's TLB entry, a constant. A bound kept where an instruction raised the
// register would send an access into the wrong page: these guests put a page right after the
// table's (and one right before it) that paging maps to distant frames, so an access through
// the wrong page's entry reads other bytes than the interpreter. Each case runs under the interpreter and the JIT (with the
// bounds, without them, and with categories around them switched off) and compares the whole
// CPU state, CR2, the exception counts and RAM. (Without paging the neighbours are the host's
// neighbours too, and a wrong bound can reach outside guest RAM: the paged runs are the sharp
// ones.)
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/emitter.h"
#include "translator/jit.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kTablePage = 0x20000;       // the table's page; the table at its last KiB
constexpr uint32_t kTable = kTablePage + 0xC00;  // 256 dwords up to the page's last byte
constexpr uint32_t kNextPage = kTablePage + 0x1000;  // linear page mapped to kFar
constexpr uint32_t kPrevPage = kTablePage - 0x1000;  // linear page mapped to kFar + 0x1000
constexpr uint32_t kFar = 0x300000;
constexpr uint32_t kAbsent = 0x40000;           // not present with paging on
constexpr uint32_t kHandler = 0x9000;           // every exception vector: HLT
constexpr uint32_t kGdt = 0x700, kIdt = 0x800;
constexpr uint32_t kPageDir = 0x60000, kPageTable = 0x61000;

void setup(Machine& m, const std::vector<uint8_t>& code, bool paging) {
    enter_flat32(m, kCode, 0x8000);
    install_halting_idt(m, kGdt, kIdt, kHandler);
    auto put32 = [&](uint32_t pa, uint32_t v) { m.phys.write_bytes(pa, &v, 4); };
    // Distinct words in the table's page, the page after it and the distant frame.
    fill_page_words(m, kTablePage, 0x1000000u, 2654435761u);
    fill_page_words(m, kNextPage, 0x2000000u, 40503u);
    fill_page_words(m, kFar, 0x3000000u, 2246822519u);
    fill_page_words(m, kPrevPage, 0x4000000u, 3266489917u);
    fill_page_words(m, kFar + 0x1000, 0x5000000u, 668265263u);
    if (paging) {
        page_first_4mib(m, kPageDir, kPageTable, kAbsent);
        put32(kPageTable + (kNextPage >> 12) * 4, kFar | 3);  // linear kNextPage -> physical kFar
        put32(kPageTable + (kPrevPage >> 12) * 4, (kFar + 0x1000) | 3);
    }
    static const uint32_t regs[8] = {0x01234567, 0x89ABCDEF, 0xFEDCBAFF, 0x76543210, 0, 0x0BADF00D, 0x13579BDF, 0x2468ACE0};
    load_program(m, kCode, code, regs, FIXED1 | 0x8D5);
}

struct Outcome {
    CpuState state;
    uint64_t exceptions = 0;
    uint64_t const_probes = 0, const_probes_off = 0;  // emitted with and without the bounds
    uint64_t folded = 0;                              // of the first, folded into the access
    uint64_t zx_left = 0;                             // MOVZX left out or made a MOV (JitStats::movzx_left)
};

// `upper`: the upper halves of the eight 64-bit register slots set at the start (a 32-bit guest
// never sees them; a 32-bit write clears them), so an access that added a whole host register
// whose upper half was not 0 lands 16 GiB away.
Outcome run_all(const std::vector<uint8_t>& code, bool paging, uint64_t budget = 100000, bool upper = false) {
    auto dirty_upper = [&](Machine& m) {
        if (upper)
            for (unsigned i = 0; i < 8; ++i) m.cpu.s.gpr[i] |= uint64_t(0x4 + i) << 32;
    };
    auto ref = mode_machine(CpuMode::Interp, 0);
    setup(*ref, code, paging);
    dirty_upper(*ref);
    const Machine::Result rr = ref->run(budget);
    Outcome o;
    for (uint32_t disable : {0u, uint32_t(kDisableBounds), uint32_t(kDisableAlu), uint32_t(kDisableMove),
                             uint32_t(kDisableRegs), uint32_t(kDisableChain), uint32_t(kDisablePageTable),
                             uint32_t(kDisableBounds | kDisablePageTable | kDisableBmi2), uint32_t(kDisablePredict)}) {
        INFO("jit, --jit-disable bits " << std::hex << disable << (paging ? ", paging" : ", flat"));
        auto m = mode_machine(CpuMode::Jit, disable);
        setup(*m, code, paging);
        dirty_upper(*m);
        const Machine::Result r = m->run(budget);
        CHECK(run_differences(*ref, *m, rr, r) == "");
        if (disable == 0)
            o.const_probes = m->jit->stats().const_probes, o.folded = m->jit->stats().folded_accesses,
            o.zx_left = m->jit->stats().movzx_left;
        if (disable == kDisableBounds) {
            o.const_probes_off = m->jit->stats().const_probes;
            CHECK(m->jit->stats().movzx_left == 0);  // a bounds rule: off with them
        }
    }
    o.state = ref->cpu.s;
    for (uint64_t e : ref->cpu.stats.exceptions) o.exceptions += e;
    return o;
}

template <typename F> std::vector<uint8_t> assemble(F&& body) { return assemble_at(kCode, body); }

// A read and a write of the table's page, so that its TLB entry holds both tags: a later access
// through the constant page then takes the fast path (a cold entry would send it to the slow
// path, whose semantics are right whatever the bound).
void warm_table_page(ax::Assembler& a) {
    a.mov(ax::eax, ax::dword_ptr(uint64_t(kTablePage)));
    a.mov(ax::dword_ptr(uint64_t(kTablePage)), ax::eax);
}

using Raise = std::function<void(ax::Assembler&)>;

// One instruction each that can raise EDX = 0xFF above 0xFF (into the next page of a table at
// the end of its page, scaled by 4).
const std::vector<std::pair<const char*, Raise>>& raises() {
    static const std::vector<std::pair<const char*, Raise>> list = {
        {"inc", [](ax::Assembler& a) { a.inc(ax::edx); }},
        {"add", [](ax::Assembler& a) { a.add(ax::edx, 1); }},
        {"sub -1", [](ax::Assembler& a) { a.sub(ax::edx, -1); }},
        {"adc", [](ax::Assembler& a) { a.stc(); a.adc(ax::edx, 0); }},
        {"sbb", [](ax::Assembler& a) { a.stc(); a.sbb(ax::edx, -2); }},
        {"or", [](ax::Assembler& a) { a.or_(ax::edx, 0x100); }},
        {"xor", [](ax::Assembler& a) { a.xor_(ax::edx, 0x100); }},
        {"xor reg", [](ax::Assembler& a) { a.xor_(ax::edx, ax::ecx); }},
        {"neg", [](ax::Assembler& a) { a.neg(ax::edx); }},
        {"not", [](ax::Assembler& a) { a.not_(ax::edx); }},
        {"shl", [](ax::Assembler& a) { a.shl(ax::edx, 1); }},
        {"rol", [](ax::Assembler& a) { a.rol(ax::edx, 8); }},
        {"ror", [](ax::Assembler& a) { a.ror(ax::edx, 31); }},
        {"lea", [](ax::Assembler& a) { a.lea(ax::edx, ax::ptr(ax::edx, 1)); }},
        {"movsx", [](ax::Assembler& a) { a.movsx(ax::edx, ax::dl); }},
        {"mov dh", [](ax::Assembler& a) { a.mov(ax::dh, 1); }},
        {"mov dx", [](ax::Assembler& a) { a.mov(ax::dx, 0x1FF); }},
        {"add dl", [](ax::Assembler& a) { a.mov(ax::dh, 0); a.add(ax::dx, 1); }},
        {"mov reg", [](ax::Assembler& a) { a.mov(ax::edx, ax::ecx); }},
        {"mov imm, and imm8", [](ax::Assembler& a) { a.mov(ax::edx, 0x404); a.and_(ax::edx, -4); }},  // 0x404, not 0xFC
        {"mov mem", [](ax::Assembler& a) { a.mov(ax::edx, ax::dword_ptr(kTablePage + 8)); }},
        {"cmov", [](ax::Assembler& a) { a.cmp(ax::edx, 0); a.cmovne(ax::edx, ax::ecx); }},
        {"setcc dh", [](ax::Assembler& a) { a.cmp(ax::edx, 0); a.setne(ax::dh); }},
        {"xchg", [](ax::Assembler& a) { a.xchg(ax::edx, ax::ecx); }},
        {"xadd", [](ax::Assembler& a) { a.xadd(ax::edx, ax::ecx); }},
        {"imul", [](ax::Assembler& a) { a.imul(ax::edx, ax::edx, 3); }},
        {"mul", [](ax::Assembler& a) { a.mov(ax::eax, 0x1000000); a.mov(ax::esi, 0x10000); a.mul(ax::esi); }},  // EDX 0x100
        {"cdq", [](ax::Assembler& a) { a.mov(ax::eax, 0x80000000); a.cdq(); }},
        {"pop", [](ax::Assembler& a) { a.push(ax::ecx); a.pop(ax::edx); }},
        {"cpuid (fallback)", [](ax::Assembler& a) { a.xor_(ax::eax, ax::eax); a.cpuid(); a.and_(ax::edx, 0x7FF); }},  // 0x669 ("ineI")
        // Last: a bound kept here would reach far outside guest RAM (0xFF000000 * 4).
        {"bswap", [](ax::Assembler& a) { a.bswap(ax::edx); }},
    };
    return list;
}

} // namespace

TEST_CASE("a byte-indexed table lookup probes one constant page and computes what the interpreter does", "[jit][bounds]") {
    // The CRC-32 inner loop over 64 bytes of the table's page: movzx, xor, shr, movzx, then the
    // lookup [edx*4 + table], whose offsets (0..1023, plus 3) lie in the table's page.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        asmjit::Label loop = a.newLabel();
        a.mov(ax::esi, kTablePage);
        a.mov(ax::eax, 0xFFFFFFFF);
        a.bind(loop);
        a.movzx(ax::edx, ax::byte_ptr(ax::esi));
        a.inc(ax::esi);
        a.xor_(ax::dl, ax::al);
        a.shr(ax::eax, 8);
        a.movzx(ax::edx, ax::dl);
        a.xor_(ax::eax, ax::dword_ptr(uint64_t(kTable), ax::edx, 2));
        a.cmp(ax::esi, kTablePage + 64);
        a.jnz(loop);
        a.hlt();
    });
    for (bool paging : {false, true}) {
        const Outcome o = run_all(code, paging);
        CHECK(o.exceptions == 0);
        CHECK(o.state.reg32(ESI) == kTablePage + 64);
        CHECK(o.const_probes >= 1);      // the lookup took the constant page
        CHECK(o.const_probes_off == 0);  // and --jit-disable bounds turns it off
    }
}

TEST_CASE("an instruction that can raise a bounded register takes its bound away", "[jit][bounds]") {
    // EDX = 0xFF (movzx: bounded by 255, so [edx*4 + table] stays in the table's page), then one
    // instruction that can raise it, then the lookup: with EDX raised the access lands in the
    // next page, which paging maps to a distant frame. A bound wrongly kept reads the table
    // page's neighbour in host memory instead, or writes there.
    for (const auto& [name, raise] : raises()) {
        for (bool write : {false, true}) {
            const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
                warm_table_page(a);
                a.mov(ax::ecx, 0x40000123);  // a large value for the register-to-register cases
                a.mov(ax::ebx, 0x5A5A5A5A);
                a.movzx(ax::edx, ax::dl);   // EDX = 0xFF, bounded
                raise(a);
                // A table at the end of its page (raised values go to the next page) and one
                // at its start (values that went negative go to the page before).
                if (write) {
                    a.mov(ax::dword_ptr(uint64_t(kTable), ax::edx, 2), ax::ebx);
                    a.mov(ax::dword_ptr(uint64_t(kTablePage), ax::edx, 2), ax::ebx);
                } else {
                    a.mov(ax::ebx, ax::dword_ptr(uint64_t(kTable), ax::edx, 2));
                    a.mov(ax::edi, ax::dword_ptr(uint64_t(kTablePage), ax::edx, 2));
                }
                a.hlt();
            });
            // Paged only: without paging a wrong bound reads the host's neighbours, the same
            // bytes as the guest's, or past guest RAM.
            INFO(name << (write ? ", write" : ", read"));
            run_all(code, true);
        }
    }
}

TEST_CASE("what keeps a bound keeps the access in the table's page", "[jit][bounds]") {
    // Partial writes below the bound, AND and SHR only lower it, a PUSH leaves it: the constant
    // page is taken and the values are the interpreter's.
    const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
        warm_table_page(a);
        a.movzx(ax::edx, ax::dl);
        a.mov(ax::dl, 0xC3);                 // the low byte replaced: still at most 0xFF
        a.and_(ax::edx, ax::ecx);            // lower or equal
        a.shr(ax::edx, ax::cl);              // by CL (0x23 & 31 = 3): lower or equal
        a.push(ax::edx);                     // ESP only
        a.mov(ax::eax, ax::dword_ptr(uint64_t(kTable), ax::edx, 2));
        a.mov(ax::ecx, 0xFFFFFFFF);
        a.shr(ax::ecx, 24);                  // 0xFF
        a.and_(ax::esi, 0x3FC);              // at most 0x3FC
        a.add(ax::eax, ax::dword_ptr(uint64_t(kTable), ax::ecx, 2));
        a.mov(ax::dword_ptr(ax::esi, kTable), ax::eax);  // a write through the constant page
        a.mov(ax::ebx, ax::dword_ptr(uint64_t(kTablePage + 0x10)));  // an absolute address
        a.hlt();
    });
    for (bool paging : {false, true}) {
        const Outcome o = run_all(code, paging);
        CHECK(o.exceptions == 0);
        CHECK(o.const_probes >= 4);
        CHECK(o.const_probes_off == 0);
    }
}

TEST_CASE("a constant-page probe that misses goes the slow way: faults, page crossings, wraps and code pages", "[jit][bounds]") {
    SECTION("an absent page faults with CR2 at the access") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            a.movzx(ax::edx, ax::dl);
            a.mov(ax::esi, 7);
            a.mov(ax::eax, ax::dword_ptr(uint64_t(kAbsent + 0x100), ax::edx, 2));  // #PF
            a.mov(ax::esi, 8);
            a.hlt();
        });
        const Outcome o = run_all(code, true);
        CHECK(o.exceptions == 1);
        CHECK(o.state.cr2 == kAbsent + 0x100 + 0xFF * 4);
        CHECK(o.state.reg32(ESI) == 7);
    }
    SECTION("an absolute dword that crosses into the remapped page") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            a.mov(ax::eax, ax::dword_ptr(uint64_t(kTablePage + 0xFFE)));
            a.mov(ax::dword_ptr(uint64_t(kTablePage + 0xFFD)), ax::eax);
            a.hlt();
        });
        for (bool paging : {false, true}) run_all(code, paging);
    }
    SECTION("offsets that wrap past 4 GiB") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            a.movzx(ax::edx, ax::dl);                                  // 0xFF
            a.mov(ax::eax, ax::dword_ptr(ax::edx, int32_t(0xFFFFFF80 + kTablePage)));  // wraps to kTablePage + 0x7F
            a.hlt();
        });
        for (bool paging : {false, true}) run_all(code, paging);
    }
    SECTION("a write through a constant page into the running block's code") {
        // ECX = 0 and bounded by 0x3F; the store [ecx + patch] changes the NOP after it (in the
        // same block) into INC EAX, which must run.
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            asmjit::Label patch = a.newLabel();
            a.xor_(ax::eax, ax::eax);
            a.mov(ax::ecx, 0);
            a.and_(ax::ecx, 0x3F);
            a.mov(ax::ptr(patch, ax::ecx, 0, 0, 1), 0x40);  // inc eax
            a.nop();
            a.bind(patch);
            a.nop();
            a.hlt();
        });
        for (bool paging : {false, true}) {
            const Outcome o = run_all(code, paging);
            CHECK(o.state.reg32(EAX) == 1);
        }
    }
}

TEST_CASE("a bit-string instruction whose register offset moves the address leaves the bounds' page",
          "[jit][bounds]") {
    // BT/BTS/BTR/BTC m, r address the dword (offset SAR 5) * 4 bytes from the operand: EDX bounded
    // by 255 names the table's page, but the bit offset 0x8000 (0x1000 bytes) lands in the next
    // page, which paging maps to a distant frame. The probe must take the moved address.
    for (int which = 0; which < 4; ++which) {
        const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
            warm_table_page(a);
            a.movzx(ax::edx, ax::dl);
            a.mov(ax::ecx, 0x8000 + 5);
            const ax::Mem m = ax::dword_ptr(ax::edx, int32_t(kTable - 0x400));
            switch (which) {
            case 0: a.bt(m, ax::ecx); break;
            case 1: a.bts(m, ax::ecx); break;
            case 2: a.btr(m, ax::ecx); break;
            default: a.btc(m, ax::ecx); break;
            }
            a.setc(ax::bl);
            a.hlt();
        });
        INFO("bit-string instruction " << which);
        run_all(code, true);
    }
}

TEST_CASE("a constant-page access folds its register into the access: upper halves, sizes, every form", "[jit][bounds]") {
    // `mov eax, [edx*4 + table]` after `movzx edx, dl` is emitted as `mov r8d, [rbp + r10*4 +
    // table]`: the host register is added whole. Every register slot starts with its upper
    // half set; the bound's 32-bit write clears it, a later 8-bit write keeps it clear. Loads,
    // stores, read-modify-writes, MOVZX/MOVSX, INC/NEG and CMP of memory, base or index, every
    // register as the one added, and a destination that is that register too.
    const ax::Gp regs[] = {ax::eax, ax::ecx, ax::edx, ax::ebx, ax::ebp, ax::esi, ax::edi};
    for (const ax::Gp& r : regs) {
        const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
            warm_table_page(a);
            a.mov(ax::esp, 0x8000);
            a.push(r);
            a.and_(r, 0x3F);                          // bounded: 0x3F, upper half cleared
            if (r.id() < 4) a.mov(r.r8(), 0x2D);      // an 8-bit write keeps the bound at 0xFF
            const ax::Gp t = r == ax::eax ? ax::ecx : ax::eax;
            a.mov(t, ax::dword_ptr(uint64_t(kTable), r, 2));             // index, scale 4
            a.add(ax::dword_ptr(uint64_t(kTablePage + 0x10), r, 2), t);  // read-modify-write
            a.movzx(t, ax::word_ptr(r, int32_t(kTable + 2)));            // base
            a.movsx(t, ax::byte_ptr(uint64_t(kTablePage + 0x100), r, 0));
            a.inc(ax::dword_ptr(r, int32_t(kTablePage + 0x200)));
            a.neg(ax::word_ptr(uint64_t(kTablePage), r, 3));
            a.cmp(ax::byte_ptr(uint64_t(kTable), r, 0), 7);
            a.setb(t.r8());
            a.mov(ax::dword_ptr(uint64_t(kTablePage + 0x20), r, 2), t);
            a.add(ax::dword_ptr(uint64_t(kTable + 0x10), r, 2), t);      // may cross: not folded
            a.xor_(r, ax::dword_ptr(uint64_t(kTable), r, 2));           // the register is the destination too
            a.pop(r);
            a.hlt();
        });
        INFO("register " << r.id());
        for (bool paging : {false, true}) {
            const Outcome o = run_all(code, paging, 100000, true);
            CHECK(o.exceptions == 0);
            CHECK(o.folded >= 9);   // every access after the bound
            CHECK(o.const_probes >= o.folded);
        }
    }
}

TEST_CASE("a folded access that misses goes the slow way: an absent page, a write to code, a stop", "[jit][bounds]") {
    SECTION("an absent page faults with CR2 at the access") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            a.movzx(ax::edx, ax::dl);
            a.mov(ax::esi, 7);
            a.add(ax::dword_ptr(uint64_t(kAbsent + 0x100), ax::edx, 2), ax::esi);  // #PF
            a.mov(ax::esi, 8);
            a.hlt();
        });
        const Outcome o = run_all(code, true, 100000, true);
        CHECK(o.exceptions == 1);
        CHECK(o.state.cr2 == kAbsent + 0x100 + 0xFF * 4);
        CHECK(o.state.reg32(ESI) == 7);
        CHECK(o.folded >= 1);
    }
    SECTION("a store into the running block's code through a folded access") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            asmjit::Label patch = a.newLabel();
            a.xor_(ax::eax, ax::eax);
            a.mov(ax::ecx, 1);
            a.and_(ax::ecx, 0x3F);
            a.mov(ax::ptr(patch, ax::ecx, 0, -1, 1), 0x40);  // inc eax
            a.nop();
            a.bind(patch);
            a.nop();
            a.hlt();
        });
        for (bool paging : {false, true}) {
            const Outcome o = run_all(code, paging, 100000, true);
            CHECK(o.state.reg32(EAX) == 1);
        }
    }
    SECTION("a budget that stops the run at every instruction of a folded loop") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            asmjit::Label loop = a.newLabel();
            warm_table_page(a);
            a.mov(ax::ecx, 40);
            a.bind(loop);
            a.movzx(ax::edx, ax::cl);
            a.add(ax::eax, ax::dword_ptr(uint64_t(kTable), ax::edx, 2));
            a.mov(ax::dword_ptr(uint64_t(kTable), ax::edx, 2), ax::eax);
            a.dec(ax::ecx);
            a.jnz(loop);
            a.hlt();
        });
        for (uint64_t budget : {5, 6, 7, 8, 9, 50, 123}) {
            INFO("budget " << budget);
            run_all(code, true, budget, true);
        }
    }
}

TEST_CASE("a MOVZX of a register known to fit its source is a MOV or nothing", "[jit][bounds]") {
    // crc's table loop zero-extends the same byte twice: `movzx edx, byte [ebx]; xor dl, al;
    // movzx edx, dl`. The bound says EDX holds no more than DL already, and the host register's
    // upper half is 0 (the bound came from a 32-bit write), so the second is left out; from a
    // register that fits into another it is a MOV. Every register slot starts with its upper half
    // set: a MOV or an omission that kept another register's upper half, or the source's, sends
    // the folded lookups after it 16 GiB away or leaves a slot the interpreter's does not have.
    SECTION("bytes and words that fit: four MOVZX left out or made a MOV") {
        const std::vector<uint8_t> code = assemble([](ax::Assembler& a) {
            warm_table_page(a);
            a.movzx(ax::edx, ax::byte_ptr(uint64_t(kTablePage + 5)));  // bound 0xFF, upper half cleared
            a.xor_(ax::dl, ax::al);                                     // still 0xFF
            a.movzx(ax::edx, ax::dl);                                   // nothing
            a.mov(ax::ecx, ax::dword_ptr(uint64_t(kTable), ax::edx, 2));
            a.movzx(ax::ebx, ax::dl);                                   // mov ebx, edx
            a.add(ax::ecx, ax::dword_ptr(uint64_t(kTable), ax::ebx, 2));
            a.movzx(ax::esi, ax::word_ptr(uint64_t(kTablePage + 0x10)));  // bound 0xFFFF
            a.add(ax::si, ax::dx);                                       // still 0xFFFF
            a.movzx(ax::edi, ax::si);                                    // mov edi, esi
            a.movzx(ax::esi, ax::si);                                    // nothing
            a.and_(ax::edi, 0xFF);
            a.xor_(ax::ecx, ax::dword_ptr(uint64_t(kTable), ax::edi, 2));
            a.movzx(ax::eax, ax::ah);  // a high byte: never (its bound is not the register's)
            a.hlt();
        });
        for (bool paging : {false, true}) {
            const Outcome o = run_all(code, paging, 100000, true);
            CHECK(o.exceptions == 0);
            CHECK(o.zx_left == 4);
            CHECK(o.folded >= 3);
        }
    }
    SECTION("after an instruction that can raise the register: zero-extended") {
        // EDX = 0xFF, bounded; raised above 0xFF (the low byte another value); then MOVZX into
        // another register and into itself, and a lookup through it. Left out, EDX would stay
        // raised and the lookup would land in the next page.
        for (const auto& [name, raise] : raises()) {
            const std::vector<uint8_t> code = assemble([&](ax::Assembler& a) {
                warm_table_page(a);
                a.mov(ax::ecx, 0x40000123);
                a.movzx(ax::edx, ax::dl);
                raise(a);
                a.movzx(ax::edi, ax::dl);
                a.movzx(ax::edx, ax::dl);
                a.mov(ax::ebx, ax::dword_ptr(uint64_t(kTable), ax::edx, 2));
                a.movzx(ax::esi, ax::dx);  // EDX fits DX now: a MOV, the one counted
                a.hlt();
            });
            INFO(name);
            const Outcome o = run_all(code, true, 100000, true);
            CHECK(o.zx_left == 1);
        }
    }
}
