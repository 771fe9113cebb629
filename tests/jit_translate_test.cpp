// The translation machinery (translator/jit.cpp, block.cpp): what makes a translation cheaper
// must not change what it produces. The block decoder takes instructions from the interpreter's
// decode cache (a block is translated after the interpreter ran it cold), only while memory
// still holds the bytes they were decoded from, and only as far as a fresh decode would go.
#include <catch2/catch.hpp>

#include <asmjit/x86.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "flat_machine.h"
#include "frontend/machine.h"
#include "test_machine.h"
#include "translator/block.h"
#include "translator/emitter.h"
#include "translator/jit.h"

using namespace xlat;
namespace ax = asmjit::x86;

namespace {

constexpr uint32_t kCode = 0x10000;

std::unique_ptr<Machine> flat_machine(unsigned hot_runs = 1) {
    MachineConfig cfg = small_config();
    cfg.cpu_mode = CpuMode::Jit;
    cfg.jit_hot_runs = hot_runs;
    auto m = std::make_unique<Machine>(cfg);
    enter_flat32(*m, kCode, 0x30000);
    return m;
}

// Every field of two decoded instructions that differs (empty: none). Field by field: the
// record has padding, which a copy need not keep.
std::string insn_differences(const Insn& a, const Insn& b) {
    std::ostringstream d;
    auto f = [&](const char* name, uint64_t x, uint64_t y) {
        if (x != y) d << name << " " << std::hex << x << " vs " << y << "; ";
    };
    f("row", reinterpret_cast<uintptr_t>(a.row), reinterpret_cast<uintptr_t>(b.row));
    f("next_eip", a.next_eip, b.next_eip);
    for (unsigned i = 0; i < 3; ++i) {
        f("val", a.val[i], b.val[i]);
        f("reg", a.reg[i], b.reg[i]);
        f("opsz", a.opsz[i], b.opsz[i]);
        f("kind", a.kind[i], b.kind[i]);
    }
    f("mem.segment", a.mem.segment, b.mem.segment);
    f("mem.base", a.mem.base, b.mem.base);
    f("mem.index", a.mem.index, b.mem.index);
    f("mem.scale", a.mem.scale, b.mem.scale);
    f("mem.disp", a.mem.disp, b.mem.disp);
    f("mnemonic", a.mnemonic, b.mnemonic);
    f("opcode", a.opcode, b.opcode);
    f("modrm", a.modrm, b.modrm);
    f("length", a.length, b.length);
    f("osize", a.osize, b.osize);
    f("asize", a.asize, b.asize);
    f("nvisible", a.nvisible, b.nvisible);
    f("attrs", a.attrs, b.attrs);
    f("flags_read", a.flags_read, b.flags_read);
    f("flags_written", a.flags_written, b.flags_written);
    return d.str();
}

// decode_block at kCode with and without the interpreter's cache: the same instructions.
void check_same_block(Machine& m, uint32_t cs_limit, unsigned expect_n) {
    Decoder dec(instruction_table());
    const uint8_t* host = m.phys.ram() + kCode;
    std::vector<Insn> fresh, known;
    std::vector<uint32_t> fresh_eips, known_eips;
    const unsigned room = 4096;
    const unsigned nf = decode_block(dec, host, room, kCode, cs_limit, DecodeMode::Prot32, false, 0, fresh, fresh_eips);
    const unsigned nk = decode_block(dec, host, room, kCode, cs_limit, DecodeMode::Prot32, false, 0, known, known_eips,
                                     &m.interp);
    CHECK(nf == expect_n);
    REQUIRE(nk == nf);
    for (unsigned i = 0; i < nf; ++i) {
        INFO("instruction " << i);
        CHECK(known_eips[i] == fresh_eips[i]);
        CHECK(insn_differences(known[i], fresh[i]) == "");
    }
}

} // namespace

TEST_CASE("the block decoder takes the interpreter's decoded instructions only while their bytes are in memory",
          "[jit][translate]") {
    // Forms with every part of the record: SIB and displacement, a 16-bit operand, an
    // immediate, a segment override, a REP string instruction (it ends the block).
    const std::vector<uint8_t> code = assemble_at(kCode, [](ax::Assembler& a) {
        a.mov(ax::eax, ax::dword_ptr(ax::ebx, ax::ecx, 2, 0x100));
        a.add(ax::dx, 0x1234);
        a.mov(ax::byte_ptr(ax::edi, 8), 0x5A);
        a.mov(ax::ecx, ax::dword_ptr(ax::ebp, -4));
        a.lea(ax::esi, ax::ptr(ax::eax, ax::eax, 3, 0x7F));
        ax::Mem fs_word = ax::dword_ptr_abs(0x40);
        fs_word.setSegment(ax::fs);
        a.mov(ax::eax, fs_word);  // only decoded, never run
        a.rep().movsb();
    });
    auto m = flat_machine();
    m->phys.write_bytes(kCode, code.data(), code.size());
    Decoder dec(instruction_table());
    std::vector<Insn> insns;
    std::vector<uint32_t> eips;
    REQUIRE(decode_block(dec, m->phys.ram() + kCode, 4096, kCode, 0xFFFFFFFFu, DecodeMode::Prot32, false, 0, insns,
                         eips) == 7);
    const unsigned len0 = insns[0].length, len1 = insns[1].length;
    REQUIRE(insns[1].mnem() == ZYDIS_MNEMONIC_ADD);
    CpuState& s = m->cpu.s;
    s.set_reg32(EBX, 0x20000), s.set_reg32(ECX, 0), s.set_reg32(EDI, 0x21000), s.set_reg32(EBP, 0x22000);
    for (int i = 0; i < 5; ++i) m->interp.step();  // fills the decode cache with the first five
    REQUIRE(s.eip() == eips[5]);

    // They are in the cache, for their mode only; the rest are decoded afresh.
    Insn in;
    CHECK(m->interp.cached(m->phys.ram() + kCode, DecodeMode::Prot32, in));
    CHECK(in.mnem() == ZYDIS_MNEMONIC_MOV);
    CHECK_FALSE(m->interp.cached(m->phys.ram() + kCode, DecodeMode::Prot16, in));
    CHECK_FALSE(m->interp.cached(m->phys.ram() + eips[5], DecodeMode::Prot32, in));
    check_same_block(*m, 0xFFFFFFFFu, 7);

    // Limits a fresh decode stops at: the CS limit on the second instruction's next-to-last
    // byte (it was cached whole), or on its last.
    check_same_block(*m, kCode + len0 + len1 - 2, 1);
    check_same_block(*m, kCode + len0 + len1 - 1, 2);

    // New bytes at a cached instruction (a write the code tracking does not see, since nothing
    // is translated there): the cache no longer answers, the new bytes decode.
    std::vector<uint8_t> inc_ecx_nops(len1, 0x90);
    inc_ecx_nops[0] = 0x41;
    m->phys.write_bytes(kCode + len0, inc_ecx_nops.data(), len1);
    CHECK_FALSE(m->interp.cached(m->phys.ram() + kCode + len0, DecodeMode::Prot32, in));
    check_same_block(*m, 0xFFFFFFFFu, 6 + len1);
    // Back, with one byte of the immediate changed: the same length, another value.
    m->phys.write_bytes(kCode + len0, code.data() + len0, len1);
    CHECK(m->interp.cached(m->phys.ram() + kCode + len0, DecodeMode::Prot32, in));
    const uint8_t imm = 0x99;
    m->phys.write_bytes(kCode + len0 + len1 - 1, &imm, 1);
    CHECK_FALSE(m->interp.cached(m->phys.ram() + kCode + len0, DecodeMode::Prot32, in));
    check_same_block(*m, 0xFFFFFFFFu, 7);
}

TEST_CASE("a block translated after its cold runs runs the bytes memory holds then", "[jit][translate][cold]") {
    // L: add eax, 1 / cmp eax, 1000 / jne L / hlt. With hot_runs 3 the loop runs twice in the
    // interpreter (which caches its decoding), then its immediate is rewritten (the page holds
    // no translation yet: nothing is invalidated) and the third run translates the block.
    const std::vector<uint8_t> code = assemble_at(kCode, [](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.bind(top);
        a.add(ax::eax, 1);
        a.cmp(ax::eax, 1000);
        a.jne(top);
        a.hlt();
    });
    REQUIRE(code[0] == 0x83);  // add eax, imm8: the immediate is byte 2
    MachineConfig ci = small_config();
    ci.cpu_mode = CpuMode::Interp;
    auto mi = std::make_unique<Machine>(ci);
    enter_flat32(*mi, kCode, 0x30000);
    auto mj = flat_machine(3);
    for (Machine* m : {mi.get(), mj.get()}) m->phys.write_bytes(kCode, code.data(), code.size());
    CHECK(mi->run(6).reason == StopReason::MaxInsns);
    CHECK(mj->run(6).reason == StopReason::MaxInsns);
    CHECK(mj->jit->stats().blocks_translated == 0);
    const uint8_t two = 2;
    for (Machine* m : {mi.get(), mj.get()}) m->phys.write_bytes(kCode + 2, &two, 1);
    CHECK(mi->run(300).reason == StopReason::MaxInsns);
    CHECK(mj->run(300).reason == StopReason::MaxInsns);
    CHECK(mj->jit->stats().blocks_translated >= 1);
    CHECK(mi->cpu.s.reg32(EAX) == 2 + 2 * 100);
    CHECK(state_differences(*mi, *mj) == "");
}

TEST_CASE("a block of 64 of the longest translations fits the assembler's buffer", "[jit][translate]") {
    // The assembler writes every block into one fixed buffer (translator/jit.cpp, Jit::Assembly);
    // a block that does not fit is left to the interpreter. IN AX, DX with its helper call, and
    // with --jit-disable regs the inline register spills and loads around it, are among the
    // longest host code per guest instruction (238 bytes in a Linux boot, without its cold path).
    const std::vector<uint8_t> code = assemble_at(kCode, [](ax::Assembler& a) {
        a.mov(ax::edx, 0x2E0);  // an unclaimed port: all ones
        for (unsigned i = 0; i < Block::kMaxInsns; ++i) a.in(ax::ax, ax::dx);
        a.hlt();
    });
    for (uint32_t disable : {0u, uint32_t(kDisableRegs)}) {
        INFO("jit_disable " << disable);
        MachineConfig cj = small_config(), ci = small_config();
        cj.cpu_mode = CpuMode::Jit;
        cj.jit_disable = disable;
        ci.cpu_mode = CpuMode::Interp;
        auto mj = std::make_unique<Machine>(cj), mi = std::make_unique<Machine>(ci);
        for (Machine* m : {mi.get(), mj.get()}) {
            enter_flat32(*m, kCode, 0x30000);
            m->phys.write_bytes(kCode, code.data(), code.size());
        }
        mi->run(1000);
        mj->run(1000);
        CHECK(mj->cpu.s.halted);
        CHECK(state_differences(*mi, *mj) == "");
        unsigned full = 0;
        mj->jit->for_each_block([&](const Block& b) {
            if (b.ninsns == Block::kMaxInsns && b.native_count == Block::kMaxInsns) ++full;
        });
        CHECK(full == 1);
        CHECK(mj->jit->stats().interp_steps == 0);
    }
}

TEST_CASE("a block whose first instruction crosses its page's end is left to the interpreter without "
          "a decode at every run", "[jit][translate][cold]") {
    // L (2 bytes before a page end): mov eax, imm32 (crossing it) / inc ecx / cmp ecx, 5000 /
    // jne L / hlt. No block can start at L (a block stays within its page), so translate() gives
    // up there; the dispatcher then leaves L to the interpreter for Jit::kRetryAfter runs before
    // it tries again, instead of decoding it at every one of the 5000 turns.
    constexpr uint32_t kLoop = kCode + 0xFFE;
    const std::vector<uint8_t> entry = assemble_at(kCode, [](ax::Assembler& a) {
        a.xor_(ax::ecx, ax::ecx);
        a.jmp(uint64_t(kLoop));
    });
    const std::vector<uint8_t> loop = assemble_at(kLoop, [](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        a.bind(top);
        a.long_().mov(ax::eax, 0x12345678);
        a.inc(ax::ecx);
        a.cmp(ax::ecx, 5000);
        a.jne(top);
        a.hlt();
    });
    MachineConfig ci = small_config();
    ci.cpu_mode = CpuMode::Interp;
    auto mi = std::make_unique<Machine>(ci);
    enter_flat32(*mi, kCode, 0x30000);
    auto mj = flat_machine(3);
    for (Machine* m : {mi.get(), mj.get()}) {
        m->phys.write_bytes(kCode, entry.data(), entry.size());
        m->phys.write_bytes(kLoop, loop.data(), loop.size());
    }
    const Machine::Result ri = mi->run(100000), rj = mj->run(100000);
    CHECK(run_differences(*mi, *mj, ri, rj) == "");
    CHECK(mj->cpu.s.reg32(ECX) == 5000);
    const uint64_t gave_up = mj->jit->stats().gave_up;
    CHECK(gave_up >= 1);                           // it tried
    CHECK(gave_up <= 5000 / Jit::kRetryAfter + 2);  // and not at every turn
    CHECK(mj->jit->stats().blocks_translated >= 1);  // the rest of the loop is translated
}

// OUT and CLI do not end their block (cpu/misc.cpp): the block goes on after an OUT unless a device asked
// for the dispatcher through the exit request (emit_sys.cpp, emit_in). Two such devices: port
// 92h's A20 gate changes the memory map, so the load right after the OUT must see the new one
// (the TLB still maps the old until the dispatcher flushes); the exit port stops the machine,
// so nothing after its OUT may run.
TEST_CASE("an OUT or a CLI goes on in its block unless a device asks for the dispatcher", "[jit][translate]") {
    constexpr uint32_t kLow = 0x2000, kHigh = 0x100000 + kLow;  // kHigh wraps to kLow with A20 off
    const std::vector<uint8_t> code = assemble_at(kCode, [](ax::Assembler& a) {
        asmjit::Label top = a.newLabel();
        // The 8042's own A20 gate off (output port DDh), so that port 92h's bit 1 decides.
        a.mov(ax::al, 0xD1);
        a.out(0x64, ax::al);
        a.mov(ax::al, 0xDD);
        a.out(0x60, ax::al);
        a.xor_(ax::esi, ax::esi);
        a.xor_(ax::edi, ax::edi);
        a.mov(ax::edx, 200);
        a.bind(top);
        a.in(ax::al, 0x92);
        a.or_(ax::al, 2);
        a.out(0x92, ax::al);                            // A20 on
        a.add(ax::esi, ax::dword_ptr(uint64_t(kHigh)));  // reads 1 MiB + 2000h
        a.and_(ax::al, 0xFD);
        a.out(0x92, ax::al);                            // A20 off
        a.add(ax::edi, ax::dword_ptr(uint64_t(kHigh)));  // reads 2000h
        a.dec(ax::edx);
        a.jnz(top);
        // A loop through a port that asks for nothing (Linux's io_delay): its OUTs run in one block.
        asmjit::Label delay = a.newLabel();
        a.mov(ax::edx, 100);
        a.bind(delay);
        a.out(0x80, ax::al);
        a.inc(ax::ebx);
        a.cli();                                        // CLI does not end a block either
        a.out(0x80, ax::al);
        a.dec(ax::edx);
        a.jnz(delay);
        a.mov(ax::al, 4);
        a.out(0xF4, ax::al);                            // exit port: status 9
        a.mov(ax::eax, 0x12345678);                     // must not run
        a.hlt();
    });
    MachineConfig cj = small_config(4u << 20), ci = small_config(4u << 20);
    cj.cpu_mode = CpuMode::Jit;
    cj.jit_hot_runs = 1;
    ci.cpu_mode = CpuMode::Interp;
    auto mj = std::make_unique<Machine>(cj), mi = std::make_unique<Machine>(ci);
    for (Machine* m : {mi.get(), mj.get()}) {
        enter_flat32(*m, kCode, 0x30000);
        m->phys.write_bytes(kCode, code.data(), code.size());
        m->phys.write(kLow, 4, 1);
        m->phys.write(kHigh, 4, 1000);
    }
    const Machine::Result ri = mi->run(100000), rj = mj->run(100000);
    REQUIRE(ri.reason == StopReason::ExitPort);
    CHECK(rj.reason == StopReason::ExitPort);
    CHECK((rj.exit_status & 0xFF) == 9);
    CHECK(mi->cpu.s.reg32(ESI) == 200 * 1000);
    CHECK(mi->cpu.s.reg32(EDI) == 200 * 1);
    CHECK(mj->cpu.s.reg32(ESI) == 200 * 1000);
    CHECK(mj->cpu.s.reg32(EDI) == 200 * 1);
    CHECK((mj->cpu.s.reg32(EAX) & 0xFF) == 4);  // the MOV after the exit port's OUT did not run
    CHECK(mj->retired() == mi->retired());
    CHECK(state_differences(*mi, *mj) == "");
    CHECK(mj->cpu.s.reg32(EBX) == 100);
    // The delay loop ran translated, both its OUTs natively inside one block. (Each A20 change
    // flushes every block: the first loop's blocks are gone.)
    unsigned with_outs = 0;
    mj->jit->for_each_block([&](const Block& b) {
        unsigned outs = 0, clis = 0;
        for (unsigned i = 0; i < b.ninsns; ++i) {
            outs += b.insns[i].mnem() == ZYDIS_MNEMONIC_OUT;
            clis += b.insns[i].mnem() == ZYDIS_MNEMONIC_CLI;
        }
        if (outs == 2 && clis == 1 && b.native_count == b.ninsns) ++with_outs;
    });
    CHECK(with_outs >= 1);  // the loop's, and the one that enters it
}
