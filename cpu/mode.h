// The mode key: everything a translated block depends on besides its code bytes and its CS base.
//
// The block cache looks blocks up by (physical address of EIP, CS base, mode_key(state)), so two
// states with the same key run the same host code. One function decides the key and nothing else
// does (../shared/DESIGN.md, "How a guest instruction runs", point 1). An instruction that can
// change the key, or anything else a translation was specialised on, ends its block (kEndsBlock
// in its row); tests/mode_key_test.cpp checks every row for that.
#pragma once
#include <cstdint>
#include <cstring>

#include "cpu/state.h"

namespace xlat {

// Bits of the high half of the key (the low half is the CS limit).
enum ModeKeyBit : uint32_t {
    kModePE = 1u << 0,        // CR0.PE: protected mode (with VM: V86 mode)
    kModeVM = 1u << 1,        // EFLAGS.VM: V86 mode
    kModeCode32 = 1u << 2,    // CS.D: default operand and address size 32
    kModeStack32 = 1u << 3,   // SS.B: ESP (not SP) is the stack pointer
    kModeCplShift = 4,        // bits 4-5: CPL (privilege checks, user/supervisor TLB)
    kModePaging = 1u << 6,    // CR0.PG: linear addresses go through the page walker
    kModeFlatShift = 7,       // bits 7-12, one per SegReg: base 0, limit 4 GiB, usable without checks
    kModeIoplShift = 13,      // bits 13-14: EFLAGS.IOPL (CLI/STI/PUSHF/POPF/IN/OUT rights)
    kModeEM = 1u << 15,       // CR0.EM: x87 instructions raise #NM; decides decoding of bad x87 opcodes
    kModeTS = 1u << 16,       // CR0.TS: x87/MMX instructions raise #NM
    kModeMP = 1u << 17,       // CR0.MP: WAIT raises #NM with TS
    kModeVME = 1u << 18,      // CR4.VME: V86 virtual interrupt flag and redirection
    kModePVI = 1u << 19,      // CR4.PVI: protected-mode virtual interrupts at CPL 3
    kModeInterp = 1u << 20,   // TF, armed debug registers or alignment checking: the interpreter
                              // runs this state (the JIT does not translate per-instruction traps)
};

// True when segment register `sr` of `s` is flat: base 0, limit 4 GiB and usable for every access
// its kind allows without a check (a present writable expand-up data segment; for CS, a present
// code segment), so emitted code may skip the base add and the limit check.
bool segment_flat(const CpuState& s, SegReg sr);

// The key: CS limit in bits 0-31, ModeKeyBit bits in bits 32-63.
uint64_t mode_key(const CpuState& s);

// mode_key() remembered with the state it was computed from. The JIT's dispatcher needs the key
// at every block lookup; computing it costs about 10 ns on the host (six segment tests and a
// dozen control bits), comparing its inputs about 3 ns, and between two lookups they almost
// never change. The cache compares every input mode_key() reads (the six segment caches, CR0,
// CR4, the EFLAGS bits VM, IOPL, TF and AC, CPL and DR7's enable byte), so whoever writes the
// state, and however, the key it returns is mode_key(s).
class ModeKeyCache {
public:
    uint64_t get(const CpuState& s) {
        if (std::memcmp(seg_, s.seg, sizeof seg_) == 0 && cr0_ == s.cr0 && cr4_ == s.cr4 &&
            eflags_ == (s.eflags & kFlags) && dr7_ == (s.dr[7] & 0xFF) && cpl_ == s.cpl)
            return key_;
        return refill(s);
    }

private:
    static constexpr uint32_t kFlags = VM | IOPL | TF | AC;  // the EFLAGS bits mode_key() reads
    SegmentCache seg_[kSegCount]{};
    uint32_t cr0_ = 0, cr4_ = 0, eflags_ = 0, dr7_ = 0;
    uint32_t cpl_ = 0xFF;  // no CPU has it: the first get() computes the key
    uint64_t key_ = 0;
    uint64_t refill(const CpuState& s);
};

constexpr uint32_t mode_bits(uint64_t key) { return uint32_t(key >> 32); }
constexpr uint32_t mode_cs_limit(uint64_t key) { return uint32_t(key); }
constexpr unsigned mode_cpl(uint64_t key) { return (mode_bits(key) >> kModeCplShift) & 3; }

} // namespace xlat
