// Firmware images for the run-loop tests (runloop_test.cpp runs them on a Machine, cli_test.cpp
// through the xlat binary): 64 KiB of 0xFF for the segment F000 with code at the reset vector,
// or a switch to flat 32-bit protected mode with paging followed by a test's payload.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xlat_test {

// `code` at F000:FFF0 (the reset vector), the rest 0xFF.
inline std::vector<uint8_t> reset_vector_rom(const std::vector<uint8_t>& code) {
    std::vector<uint8_t> image(64 * 1024, 0xFF);
    for (size_t i = 0; i < code.size(); ++i) image[0xFFF0 + i] = code[i];
    return image;
}

// Enters flat 32-bit protected mode (CS 08h, DS = ES = SS 10h, base 0, limit 4 GiB) with 32-bit
// paging and 4 MiB pages, then jumps to the payload at linear kPmPayload:
//   linear 0x000000-0x3FFFFF -> physical 0x00000000 (RAM and this ROM's low copy)
//   linear 0x400000-0x7FFFFF -> physical 0xC0000000 (nothing there: reads give all ones,
//                               writes are dropped, the TLB cannot hold it)
//   linear 0x800000 and up   -> not present (#PF; with no IDT that ends in a triple fault)
// Source (nasm, org 0, ROM at F000:0000; the reset vector jumps here):
//       cli
//       lgdt [cs:gdt_desc]
//       mov eax, cr0 / or al, 1 / mov cr0, eax
//       jmp dword 0x08:(0xF0000 + pm)
//   pm: (bits 32) mov ax, 0x10 / mov ds, ax / mov es, ax / mov ss, ax
//       mov dword [0x1000], 0x00000083      ; PDE 0: 4 MiB page at 0, present, writable
//       mov dword [0x1004], 0xC0000083      ; PDE 1: 4 MiB page at 0xC0000000
//       mov eax, cr4 / or eax, 0x10 / mov cr4, eax          ; CR4.PSE
//       mov eax, 0x1000 / mov cr3, eax
//       mov eax, cr0 / or eax, 0x80000000 / mov cr0, eax    ; CR0.PG
//       jmp 0x08:(0xF0000 + payload)
//   gdt: dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
//   gdt_desc: dw 23, dd 0xF0000 + gdt
//   payload:
constexpr uint32_t kPmPayload = 0xF0076;
constexpr unsigned kPmSetupInsns = 22;  // instructions from the reset vector (included) to the payload
inline std::vector<uint8_t> pm_paging_rom(const std::vector<uint8_t>& payload) {
    static const uint8_t kSetup[] = {
        0xfa, 0x2e, 0x0f, 0x01, 0x16, 0x70, 0x00, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0, 0x66,
        0xea, 0x17, 0x00, 0x0f, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e,
        0xd0, 0xc7, 0x05, 0x00, 0x10, 0x00, 0x00, 0x83, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x04, 0x10, 0x00,
        0x00, 0x83, 0x00, 0x00, 0xc0, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x10, 0x0f, 0x22, 0xe0, 0xb8, 0x00,
        0x10, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22,
        0xc0, 0xea, 0x76, 0x00, 0x0f, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
        0x17, 0x00, 0x58, 0x00, 0x0f, 0x00};
    static_assert(sizeof kSetup == kPmPayload - 0xF0000, "the payload follows the setup");
    std::vector<uint8_t> image = reset_vector_rom({0xEA, 0x00, 0x00, 0x00, 0xF0});  // jmp F000:0000
    for (size_t i = 0; i < sizeof kSetup; ++i) image[i] = kSetup[i];
    for (size_t i = 0; i < payload.size(); ++i) image[sizeof kSetup + i] = payload[i];
    return image;
}

// Payload pieces (32-bit code).
inline void emit(std::vector<uint8_t>& code, std::initializer_list<uint8_t> bytes) { code.insert(code.end(), bytes); }
inline void emit_mov(std::vector<uint8_t>& code, uint8_t opcode, uint32_t imm) {  // mov r32, imm32 (B8+r)
    code.push_back(opcode);
    for (int i = 0; i < 4; ++i) code.push_back(uint8_t(imm >> (8 * i)));
}
constexpr uint8_t kMovEcx = 0xB9, kMovEsi = 0xBE, kMovEdi = 0xBF;

} // namespace xlat_test
