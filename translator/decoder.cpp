#include "translator/decoder.h"

#include <cstring>

namespace xlat {

namespace {

uint8_t flag_bits(uint32_t eflags_mask) {
    uint8_t b = 0;
    if (eflags_mask & ZYDIS_CPUFLAG_CF) b |= kFlagBitCF;
    if (eflags_mask & ZYDIS_CPUFLAG_PF) b |= kFlagBitPF;
    if (eflags_mask & ZYDIS_CPUFLAG_AF) b |= kFlagBitAF;
    if (eflags_mask & ZYDIS_CPUFLAG_ZF) b |= kFlagBitZF;
    if (eflags_mask & ZYDIS_CPUFLAG_SF) b |= kFlagBitSF;
    if (eflags_mask & ZYDIS_CPUFLAG_OF) b |= kFlagBitOF;
    return b;
}

bool is_si(ZydisRegister r) { return r == ZYDIS_REGISTER_SI || r == ZYDIS_REGISTER_ESI; }

} // namespace

void pack_insn(const ZydisDecodedInstruction& d, const ZydisDecodedOperand* op, Insn& out) noexcept {
    std::memset(&out, 0, sizeof out);
    out.mnemonic = uint16_t(d.mnemonic);
    out.opcode = d.opcode;
    out.modrm = d.attributes & ZYDIS_ATTRIB_HAS_MODRM
                    ? uint8_t(d.raw.modrm.mod << 6 | d.raw.modrm.reg << 3 | d.raw.modrm.rm)
                    : 0;
    out.length = d.length;
    out.osize = uint8_t(d.operand_width / 8);
    out.asize = uint8_t(d.address_width / 8);
    out.nvisible = d.operand_count_visible > 3 ? 3 : d.operand_count_visible;
    uint8_t a = 0;
    if (d.attributes & ZYDIS_ATTRIB_HAS_REP) a |= kAttrRep;
    if (d.attributes & ZYDIS_ATTRIB_HAS_REPE) a |= kAttrRep;
    if (d.attributes & ZYDIS_ATTRIB_HAS_REPNE) a |= kAttrRepne;
    if (d.attributes & ZYDIS_ATTRIB_HAS_LOCK) a |= kAttrLock;
    if (d.attributes & ZYDIS_ATTRIB_HAS_NOTRACK) a |= kAttrNotrack;
    if (d.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) a |= kAttrFar;
    out.attrs = a;
    if (d.cpu_flags) {
        out.flags_read = flag_bits(d.cpu_flags->tested);
        out.flags_written = flag_bits(d.cpu_flags->modified | d.cpu_flags->set_0 | d.cpu_flags->set_1 |
                                      d.cpu_flags->undefined);
    }
    // The first three operands, explicit ones first, then hidden ones (CMPXCHG's accumulator).
    const unsigned n = d.operand_count < 3 ? d.operand_count : 3;
    for (unsigned i = 0; i < n; ++i) {
        const ZydisDecodedOperand& o = op[i];
        out.kind[i] = uint8_t(o.type);
        out.opsz[i] = uint16_t(o.size / 8);
        switch (o.type) {
        case ZYDIS_OPERAND_TYPE_REGISTER: out.reg[i] = uint16_t(o.reg.value); break;
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
            out.val[i] = uint32_t(o.imm.value.u);
            if (o.imm.is_signed) out.kind[i] |= Insn::kImmSigned;
            break;
        case ZYDIS_OPERAND_TYPE_POINTER:
            out.reg[i] = o.ptr.segment;
            out.val[i] = o.ptr.offset;
            break;
        default: break;
        }
    }
    // The memory operand: the explicit one; else, for string instructions, the source based on
    // (E)SI (whose segment an override changes), else the first implicit one (XLAT).
    const ZydisDecodedOperand* m = nullptr;
    for (unsigned i = 0; i < d.operand_count_visible && !m; ++i)
        if (op[i].type == ZYDIS_OPERAND_TYPE_MEMORY) m = &op[i];
    for (unsigned i = d.operand_count_visible; i < d.operand_count && !m; ++i)
        if (op[i].type == ZYDIS_OPERAND_TYPE_MEMORY && is_si(op[i].mem.base)) m = &op[i];
    for (unsigned i = d.operand_count_visible; i < d.operand_count && !m; ++i)
        if (op[i].type == ZYDIS_OPERAND_TYPE_MEMORY) m = &op[i];
    if (m) {
        out.mem.segment = uint16_t(m->mem.segment);
        out.mem.base = uint16_t(m->mem.base);
        out.mem.index = uint16_t(m->mem.index);
        out.mem.scale = m->mem.scale;
        out.mem.disp = uint32_t(m->mem.disp.value);
    }
}

Decoder::Decoder(const InsnTable& table) : table_(table) {
    ZydisDecoderInit(&dec_[0], ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16);
    ZydisDecoderInit(&dec_[1], ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
    ZydisDecoderInit(&dec_[2], ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_INTEL);
}

DecodeStatus Decoder::decode(const uint8_t* bytes, unsigned have, unsigned avail, uint32_t eip, DecodeMode mode,
                             bool x87_nm, Insn& out) const noexcept {
    ZydisDecodedInstruction d;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    ZyanStatus st = ZydisDecoderDecodeFull(&dec_[int(mode)], bytes, have, &d, op);
    if (!ZYAN_SUCCESS(st)) {
        if (st == ZYDIS_STATUS_NO_MORE_DATA)
            return have < avail ? DecodeStatus::NeedMore : DecodeStatus::PastLimit;
        if (st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG) return DecodeStatus::PastLimit;
        // An undefined x87 opcode (escape D8-DF) raises #NM, not #UD, while CR0.EM or CR0.TS is
        // set (SDM Vol. 3A, chapter 22, "x87 FPU Error Signals": undefined floating-point opcodes).
        if (x87_nm) {
            unsigned i = 0;
            while (i < have && (bytes[i] == 0x26 || bytes[i] == 0x2E || bytes[i] == 0x36 || bytes[i] == 0x3E ||
                                bytes[i] == 0x64 || bytes[i] == 0x65 || bytes[i] == 0x66 || bytes[i] == 0x67 ||
                                bytes[i] == 0xF0 || bytes[i] == 0xF2 || bytes[i] == 0xF3))
                ++i;
            if (i < have && bytes[i] >= 0xD8 && bytes[i] <= 0xDF) return DecodeStatus::X87Absent;
        }
        return DecodeStatus::Undefined;
    }
    pack_insn(d, op, out);
    out.next_eip = eip + d.length;
    if (mode != DecodeMode::Prot32) out.next_eip &= 0xFFFF;
    Form form = Form::Any;
    for (unsigned i = 0; i < d.operand_count_visible; ++i) {
        if (op[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        ZydisRegisterClass rc = ZydisRegisterGetClass(op[i].reg.value);
        if (rc == ZYDIS_REGCLASS_SEGMENT) {
            const bool mov = d.mnemonic == ZYDIS_MNEMONIC_MOV;
            if (i == 0 && (mov || d.mnemonic == ZYDIS_MNEMONIC_POP)) form = Form::SregLoad;
            else if (mov) form = Form::Sreg;
        } else if (rc == ZYDIS_REGCLASS_CONTROL) {
            form = Form::Cr;
        } else if (rc == ZYDIS_REGCLASS_DEBUG) {
            form = Form::Dr;
        }
    }
    out.row = table_.find(d.mnemonic, form);
    return DecodeStatus::Ok;
}

std::string Decoder::disassemble(const uint8_t* bytes, unsigned len, DecodeMode mode, uint64_t address) const {
    ZydisDecodedInstruction d;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec_[int(mode)], bytes, len, &d, op))) return "(bad)";
    char text[128];
    ZydisFormatterFormatInstruction(&formatter_, &d, op, d.operand_count_visible, text, sizeof text, address, nullptr);
    return text;
}

} // namespace xlat
