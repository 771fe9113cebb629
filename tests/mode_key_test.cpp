// Every instruction that changes what a translation depends on ends its block.
//
// A translated block is specialised on mode_key() and the CS base (cpu/mode.h); an instruction
// that changes either in the middle of a block would leave the rest of the block running code
// translated for the old mode. This test runs every row of the instruction table over random
// states (real, V86, 16- and 32-bit protected mode at CPL 0 and 3, with and without paging;
// random registers, flags, control and debug registers and memory; faults allowed) and fails
// when an instruction that completed changed the key, the CS base, or a control register without
// kEndsBlock in its row.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "cpu/mode.h"
#include "frontend/machine.h"
#include "test_machine.h"

using namespace xlat;

namespace {

constexpr uint32_t kGdt = 0x1000, kPd = 0x3000, kTss = 0x5000, kRam = 2u << 20;

// GDT entries: a mix of flat and non-flat, 16- and 32-bit, DPL 0 and 3 segments, so that
// segment loads from random memory succeed often and change the key when they do.
uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    return (uint64_t(limit & 0xFFFF)) | (uint64_t(base & 0xFFFFFF) << 16) | (uint64_t(access) << 40) |
           (uint64_t((limit >> 16) & 0xF) << 48) | (uint64_t(flags & 0xF) << 52) |
           (uint64_t(base >> 24) << 56);
}
const uint64_t kGdtImage[] = {
    0,
    descriptor(0, 0xFFFFF, 0x9B, 0xC),         // 0x08 code32 flat DPL0
    descriptor(0, 0xFFFFF, 0x93, 0xC),         // 0x10 data32 flat DPL0
    descriptor(0x10000, 0xFFFF, 0x9B, 0x0),    // 0x18 code16 DPL0
    descriptor(0x20000, 0xFFFF, 0x93, 0x0),    // 0x20 data16 DPL0
    descriptor(0, 0xFFFFF, 0xFB, 0xC),         // 0x28 code32 flat DPL3
    descriptor(0, 0xFFFFF, 0xF3, 0xC),         // 0x30 data32 flat DPL3
    descriptor(0x30000, 0xFFFFF, 0xF3, 0x4),   // 0x38 data32 based DPL3
    descriptor(0, 0xFFFFF, 0xF3, 0x4),         // 0x40 data32 byte-granular 1 MiB DPL3
    descriptor(kTss, 0x67, 0x89, 0x0),         // 0x48 32-bit TSS, available
};
const uint16_t kSelectors[] = {0x08, 0x10, 0x18, 0x20, 0x2B, 0x33, 0x3B, 0x43, 0x13, 0x00, 0x23};

enum class Mode { Real, V86, Prot16, Prot32, Prot32User, Prot32Paging, kCount };
const char* mode_name(Mode m) {
    static const char* names[] = {"real", "v86", "prot16", "prot32", "prot32-cpl3", "prot32-paging"};
    return names[int(m)];
}

struct Rig {
    Machine m{small_config(kRam)};
    std::mt19937 rng;

    explicit Rig(uint32_t seed) : rng(seed) {
        // Random memory, a quarter of its words valid selectors.
        uint8_t* ram = m.phys.ram();
        for (uint32_t i = 0; i < kRam; i += 2) {
            uint16_t w = (rng() & 3) == 0 ? kSelectors[rng() % std::size(kSelectors)] : uint16_t(rng());
            std::memcpy(ram + i, &w, 2);
        }
    }

    uint32_t random_value() {
        switch (rng() % 4) {
        case 0: return kSelectors[rng() % std::size(kSelectors)];
        case 1: return rng() & 0xFFFF;
        case 2: return rng() & 0xFFFFF;
        default: return rng();
        }
    }

    // Puts the CPU in `mode` with random registers and flags, and `code` at CS:EIP.
    void setup(Mode mode, const uint8_t* code, unsigned len) {
        uint8_t* ram = m.phys.ram();
        std::memcpy(ram + kGdt, kGdtImage, sizeof kGdtImage);
        for (uint32_t i = 0; i < 1024; ++i) {  // identity map with 4 MiB pages, user and writable
            uint32_t pde = (i << 22) | 0x87;
            std::memcpy(ram + kPd + 4 * i, &pde, 4);
        }
        Cpu& c = m.cpu;
        c.reset();
        CpuState& s = c.s;
        for (unsigned i = 0; i < 8; ++i) s.set_reg32(i, random_value());
        s.eflags = FIXED1 | (rng() & (kArithFlags | DF | IF | NT | AC | IOPL)) | ((rng() % 8 == 0) ? TF : 0);
        s.cr0 = CR0_ET | (rng() & (CR0_MP | CR0_NE | CR0_WP | CR0_AM));
        if (rng() % 8 == 0) s.cr0 |= CR0_EM;  // rarely: x87 instructions would only raise #NM
        if (rng() % 8 == 0) s.cr0 |= CR0_TS;
        s.cr4 = rng() & (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PGE | CR4_PCE | CR4_OSFXSR);
        s.dr[7] = (rng() % 4 == 0) ? (rng() & 0xFFFF00FFu) | 0x400 : 0x400;
        for (unsigned i = 0; i < 4; ++i) s.dr[i] = rng() & 0xFFFFF;
        s.gdtr = TableRegister{kGdt, uint16_t(sizeof kGdtImage - 1)};
        s.idtr = TableRegister{uint32_t(rng() & 0xFFFF0), 0x7FF};
        s.tr = SegmentCache{kTss, 0x67, 0x48, uint16_t(SEG_P | kTss32Busy)};
        s.cr3 = kPd;
        s.sysenter_cs = 0x08;
        s.sysenter_esp = 0x80000;
        s.sysenter_eip = 0x90000;
        // x87: exceptions masked, some registers holding random numbers.
        s.fpu.fcw = 0x037F;
        s.fpu.ftw = 0;
        for (unsigned i = 0; i < 8; ++i) {
            s.fpu.st[i] = Float80{rng() | (uint64_t(rng()) << 32) | (1ull << 63), uint16_t(0x3FFF + rng() % 64 - 32)};
            if (rng() % 4 == 0) s.fpu.ftw |= uint16_t(3u << (2 * i));
        }
        s.fpu.fsw = uint16_t((rng() & 7) << 11);
        auto load = [&](SegReg sr, unsigned index, unsigned rpl) {
            uint64_t d = kGdtImage[index];
            Descriptor desc{uint32_t(d), uint32_t(d >> 32)};
            s.seg[sr] = desc.cache(uint16_t(index * 8 | rpl));
            s.seg[sr].attr |= SEG_ACCESSED;
        };
        uint32_t code_lin;
        if (mode == Mode::Real || mode == Mode::V86) {
            if (mode == Mode::V86) { s.cr0 |= CR0_PE; s.eflags |= VM; }
            for (unsigned i = 0; i < kSegCount; ++i) {
                s.seg[i] = SegmentCache{0, 0xFFFF, 0, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED)};
                c.load_seg_real(SegReg(i), uint16_t(rng() & 0x7FFF));
            }
            if (mode == Mode::Real && rng() % 4 == 0) {  // "unreal" mode: flat 4 GiB data segments
                s.seg[DS] = SegmentCache{0, 0xFFFFFFFFu, 0, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_ACCESSED)};
            }
            s.set_eip(rng() & 0xFFF0);
            s.set_reg32(ESP, s.reg32(ESP) & 0xFFFF);
        } else {
            s.cr0 |= CR0_PE;
            const bool user = mode == Mode::Prot32User;
            if (mode == Mode::Prot16) {
                load(CS, 3, 0);
                load(SS, 4, 0);
                s.set_eip(rng() & 0xFFF0);
                s.set_reg32(ESP, s.reg32(ESP) & 0xFFFF);
            } else {
                load(CS, user ? 5 : 1, user ? 3 : 0);
                load(SS, user ? 6 : 2, user ? 3 : 0);
                s.set_eip(0x40000 + (rng() & 0x7FFF0));
                s.set_reg32(ESP, 0x40000 + (rng() & 0x7FFFC));
            }
            s.cpl = user ? 3 : 0;
            for (SegReg sr : {DS, ES, FS, GS}) {
                static const unsigned dpl0[] = {2, 4, 6, 7, 8}, dpl3[] = {6, 7, 8};
                unsigned idx = user ? dpl3[rng() % 3] : dpl0[rng() % 5];
                load(sr, idx, user ? 3 : 0);
            }
            if (mode == Mode::Prot32Paging) { s.cr0 |= CR0_PG; s.cr4 |= CR4_PSE; }
        }
        code_lin = s.seg[CS].base + s.eip();
        std::memcpy(ram + code_lin, code, len);
        c.mode_changed();
        c.debug_regs_changed();
        c.update_paging();
    }
};

struct Finding {
    unsigned count = 0;
    std::string example;
};

} // namespace

TEST_CASE("an instruction that changes the mode key ends its block", "[mode_key]") {
    const uint32_t seed = Catch::rngSeed() ? Catch::rngSeed() : 1;
    INFO("seed " << seed);
    Rig rig(seed);
    std::map<const InsnRow*, Finding> missing;  // changed the key without kEndsBlock
    std::set<const InsnRow*> ran, changed;
    const InsnTable& table = instruction_table();
    ModeKeyCache cache;  // asked before and after every instruction: it must agree with mode_key
    unsigned cache_wrong = 0;

    // Opcodes: every one-byte and 0F two-byte opcode with every ModRM byte, then random bytes for
    // SIB, displacement and immediate; now and then an operand-size or REP prefix first. Selector
    // loads need valid descriptors (LLDT, LTR): the random selectors rarely point at one.
    const uint8_t prefixes[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x0F};
    for (unsigned esc = 0; esc < 2; ++esc) {
        for (unsigned op = 0; op < 256; ++op) {
            if (!esc && std::find(std::begin(prefixes), std::end(prefixes), op) != std::end(prefixes)) continue;
            for (unsigned modrm_rep = 0; modrm_rep < 4 * 256; ++modrm_rep) {
                const unsigned modrm = modrm_rep & 0xFF;  // each ModRM byte in four random states
                uint8_t code[16];
                unsigned n = 0;
                if (rig.rng() % 4 == 0) code[n++] = 0x66;
                if (rig.rng() % 8 == 0) code[n++] = 0xF3;
                if (esc) code[n++] = 0x0F;
                code[n++] = uint8_t(op);
                code[n++] = uint8_t(modrm);
                while (n < sizeof code) code[n++] = uint8_t(rig.rng());
                const Mode mode = Mode(rig.rng() % unsigned(Mode::kCount));
                rig.setup(mode, code, sizeof code);
                Cpu& c = rig.m.cpu;
                CpuState& s = c.s;
                const Insn* in = nullptr;
                try {
                    in = &rig.m.interp.fetch();
                } catch (const GuestFault&) {
                    continue;
                }
                if (!in->row) continue;
                const uint64_t key = mode_key(s);
                cache_wrong += cache.get(s) != key;
                const CpuState before = s;
                s.insn_eip = s.eip();
                s.set_eip(in->next_eip);
                try {
                    in->row->fn(c, *in);
                } catch (const GuestFault&) {
                    continue;  // a fault is delivered by the dispatcher, which leaves the block anyway
                }
                ran.insert(in->row);
                cache_wrong += cache.get(s) != mode_key(s);
                const bool differs = mode_key(s) != key || s.seg[CS].base != before.seg[CS].base ||
                                     s.cr0 != before.cr0 || s.cr3 != before.cr3 || s.cr4 != before.cr4 ||
                                     s.efer != before.efer || s.dr[7] != before.dr[7];
                if (!differs) continue;
                changed.insert(in->row);
                if (in->row->facts & kEndsBlock) continue;
                Finding& f = missing[in->row];
                if (f.count++ == 0) {
                    std::ostringstream o;
                    o << ZydisMnemonicGetString(in->mnem()) << " form " << int(in->row->form) << " in "
                      << mode_name(mode) << ": " << rig.m.interp.disassemble(*in) << " key " << std::hex
                      << key << " -> " << mode_key(s);
                    f.example = o.str();
                }
            }
        }
    }
    for (const auto& [row, f] : missing) {
        UNSCOPED_INFO(f.example << " (" << f.count << " times)");
        (void)row;
    }
    CHECK(missing.empty());
    CHECK(cache_wrong == 0);
    // The test can see a change: the rows that load segment registers and EFLAGS must have done
    // so at least once over these states.
    for (auto [m, form] : {std::pair{ZYDIS_MNEMONIC_MOV, Form::SregLoad}, std::pair{ZYDIS_MNEMONIC_POP, Form::SregLoad},
                           std::pair{ZYDIS_MNEMONIC_LDS, Form::Any},
                           std::pair{ZYDIS_MNEMONIC_POPFD, Form::Any}, std::pair{ZYDIS_MNEMONIC_CLTS, Form::Any}}) {
        INFO(ZydisMnemonicGetString(m));
        CHECK(changed.count(table.find(m, form)) == 1);
    }
    // And it reached nearly every row (UD0-UD2 always fault): report the ones it never completed.
    std::ostringstream never;
    unsigned never_count = 0;
    for (const InsnRow& r : table.rows()) {
        if (ran.count(&r) || (r.fn == table.find(ZYDIS_MNEMONIC_UD2, Form::Any)->fn)) continue;
        never << ZydisMnemonicGetString(r.mnemonic) << ' ';
        ++never_count;
    }
    INFO("rows never completed: " << never.str());
    CHECK(never_count * 50 < table.rows().size());
}

TEST_CASE("the mode key cache sees a change of every input of mode_key", "[mode_key]") {
    CpuState s{};
    s.cr0 = CR0_PE | CR0_ET;
    s.eflags = FIXED1;
    s.dr[7] = 0x400;
    for (unsigned i = 0; i < kSegCount; ++i)
        s.seg[i] = SegmentCache{0, 0xFFFFFFFFu, 0x10, uint16_t(SEG_P | SEG_S | SEG_RW | SEG_DB | (i == CS ? SEG_CODE : 0))};
    ModeKeyCache cache;
    REQUIRE(cache.get(s) == mode_key(s));
    // Each change alone, then back: the cached key follows both ways.
    auto flip = [&](const char* what, auto change) {
        INFO(what);
        const CpuState before = s;
        change();
        CHECK(mode_key(s) != mode_key(before));
        CHECK(cache.get(s) == mode_key(s));
        s = before;
        CHECK(cache.get(s) == mode_key(s));
    };
    flip("CR0.PG", [&] { s.cr0 |= CR0_PG; });
    flip("CR0.TS", [&] { s.cr0 |= CR0_TS; });
    flip("CR0.AM at CPL 3 with AC", [&] { s.cr0 |= CR0_AM; s.eflags |= AC; s.cpl = 3; });
    flip("CR4.VME", [&] { s.cr4 |= CR4_VME; });
    flip("EFLAGS.VM", [&] { s.eflags |= VM; });
    flip("EFLAGS.IOPL", [&] { s.eflags |= IOPL; });
    flip("EFLAGS.TF", [&] { s.eflags |= TF; });
    flip("CPL", [&] { s.cpl = 3; });
    flip("DR7 L0", [&] { s.dr[7] |= 1; });
    for (unsigned i = 0; i < kSegCount; ++i) {
        INFO("segment " << i);
        flip("base", [&] { s.seg[i].base = 0x1000; });
        flip("limit", [&] { s.seg[i].limit = 0xFFFFF; });
        flip("attr", [&] { s.seg[i].attr &= uint16_t(~SEG_P); });
    }
    flip("CS limit only", [&] { s.seg[CS].limit = 0xFFFF; });
    // Bits mode_key does not read leave the key as it was.
    s.eflags |= CF | ZF | IF;
    s.cr3 = 0x5000;
    CHECK(cache.get(s) == mode_key(s));
}
