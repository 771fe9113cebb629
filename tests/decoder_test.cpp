// The decoder works on bytes alone (no CpuState, no throw) and packs what the executors need
// into the compact record, including the flags each instruction reads and writes.
#include <catch2/catch.hpp>

#include <vector>

#include "translator/decoder.h"

using namespace xlat;

namespace {

struct Dec {
    Decoder d{instruction_table()};
    Insn in{};
    DecodeStatus run(std::vector<uint8_t> b, DecodeMode mode = DecodeMode::Prot32, unsigned avail = 15,
                     uint32_t eip = 0x1000, bool x87_nm = false) {
        return d.decode(b.data(), unsigned(b.size()), avail, eip, mode, x87_nm, in);
    }
};

constexpr uint8_t kAll = kFlagBitCF | kFlagBitPF | kFlagBitAF | kFlagBitZF | kFlagBitSF | kFlagBitOF;

} // namespace

TEST_CASE("decoding reports the flags an instruction reads and writes", "[decoder]") {
    Dec t;
    REQUIRE(t.run({0x01, 0xD8}) == DecodeStatus::Ok);  // add eax, ebx
    CHECK(t.in.flags_read == 0);
    CHECK(t.in.flags_written == kAll);
    REQUIRE(t.run({0x11, 0xD8}) == DecodeStatus::Ok);  // adc eax, ebx
    CHECK(t.in.flags_read == kFlagBitCF);
    REQUIRE(t.run({0x40}) == DecodeStatus::Ok);  // inc eax: CF untouched
    CHECK(t.in.flags_written == (kAll & ~kFlagBitCF));
    REQUIRE(t.run({0x74, 0x00}) == DecodeStatus::Ok);  // jz
    CHECK(t.in.flags_read == kFlagBitZF);
    CHECK(t.in.flags_written == 0);
    REQUIRE(t.run({0x7C, 0x00}) == DecodeStatus::Ok);  // jl: SF != OF
    CHECK(t.in.flags_read == (kFlagBitSF | kFlagBitOF));
    REQUIRE(t.run({0x89, 0xD8}) == DecodeStatus::Ok);  // mov eax, ebx
    CHECK(t.in.flags_read == 0);
    CHECK(t.in.flags_written == 0);
    REQUIRE(t.run({0xD3, 0xE0}) == DecodeStatus::Ok);  // shl eax, cl: written (perhaps unchanged for cl=0)
    CHECK((t.in.flags_written & kFlagBitCF) != 0);
}

TEST_CASE("decoding packs operands into the compact record", "[decoder]") {
    Dec t;
    REQUIRE(t.run({0x8B, 0x44, 0x8B, 0xFC}) == DecodeStatus::Ok);  // mov eax, [ebx+ecx*4-4]
    CHECK(t.in.mnem() == ZYDIS_MNEMONIC_MOV);
    CHECK(t.in.row == instruction_table().find(ZYDIS_MNEMONIC_MOV, Form::Any));
    CHECK(t.in.next_eip == 0x1004);
    CHECK(t.in.is_reg(0));
    CHECK(t.in.regv(0) == ZYDIS_REGISTER_EAX);
    CHECK(t.in.is_mem(1));
    CHECK(t.in.size(1) == 4);
    CHECK(t.in.mem.segment == ZYDIS_REGISTER_DS);
    CHECK(t.in.mem.base == ZYDIS_REGISTER_EBX);
    CHECK(t.in.mem.index == ZYDIS_REGISTER_ECX);
    CHECK(t.in.mem.scale == 4);
    CHECK(t.in.mem.disp == 0xFFFFFFFCu);
    REQUIRE(t.run({0xEA, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00}) == DecodeStatus::Ok);  // jmp 0008:12345678
    CHECK(t.in.is_ptr(0));
    CHECK(t.in.far());
    CHECK(t.in.reg[0] == 0x0008);
    CHECK(t.in.val[0] == 0x12345678u);
    REQUIRE(t.run({0x8E, 0xD8}, DecodeMode::Real16) == DecodeStatus::Ok);  // mov ds, ax
    CHECK(t.in.row == instruction_table().find(ZYDIS_MNEMONIC_MOV, Form::SregLoad));
    REQUIRE(t.run({0xEB, 0xFE}, DecodeMode::Real16, 15, 0xFFFF) == DecodeStatus::Ok);  // IP wraps
    CHECK(t.in.next_eip == 0x0001);
}

TEST_CASE("decoding says why it stopped, without CpuState or a throw", "[decoder]") {
    Dec t;
    static_assert(noexcept(t.d.decode(nullptr, 0, 0, 0, DecodeMode::Prot32, false, t.in)), "no throw");
    CHECK(t.run({0xB8, 0x01}) == DecodeStatus::NeedMore);                          // mov eax, imm32: 2 of 5 bytes
    CHECK(t.run({0xB8, 0x01}, DecodeMode::Prot32, 2) == DecodeStatus::PastLimit);  // ... and the limit ends there
    CHECK(t.run({0x0F, 0x0B}) == DecodeStatus::Ok);                                // ud2 decodes
    CHECK(t.run({0x0F, 0x04}) == DecodeStatus::Undefined);
    // Undefined x87 opcode: #NM under CR0.EM/TS, #UD otherwise.
    CHECK(t.run({0xD9, 0xD1}, DecodeMode::Prot32, 15, 0, true) == DecodeStatus::X87Absent);
    CHECK(t.run({0xD9, 0xD1}, DecodeMode::Prot32, 15, 0, false) == DecodeStatus::Undefined);
}
