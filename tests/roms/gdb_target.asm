; gdb_target.asm: the guest of the GDB stub's tests (tests/gdbstub_test.cpp). It enters flat
; 32-bit protected mode, where EIP equals the linear address gdb breaks at, runs a marked
; sequence (the test finds `mov eax, 5AC0DE01h` by its bytes and sets its breakpoint there),
; writes the sum to a watched word at linear 0x600, prints it and exits with status 1. The
; sequence runs twice, so that a breakpoint that stays inserted is hit again.
%include "rom.inc"
        ROM_BEGIN

SEL_CODE32 equ 0x08
SEL_DATA32 equ 0x10
WATCHED    equ 0x0600

rom_main:
;> gdb target: real mode
        PRINT "gdb target: real mode", 10
        o32 lgdt [cs:gdt_pointer]
        mov eax, cr0
        or al, 1                        ; PE
        mov cr0, eax
        jmp dword SEL_CODE32:(pm_entry + ROM_LINEAR)

        align 8
gdt:    dq 0                                    ; null
        dw 0xffff, 0x0000                       ; 08: code, base 0, limit 4 GiB, 32-bit
        db 0x00, 0x9b, 0xcf, 0x00
        dw 0xffff, 0x0000                       ; 10: data, base 0, limit 4 GiB, 32-bit (B)
        db 0x00, 0x93, 0xcf, 0x00
gdt_end:
gdt_pointer:
        dw gdt_end - gdt - 1
        dd gdt + ROM_LINEAR

        ROM_LIB32

        bits 32
pm_entry:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x00090000
        mov dword [WATCHED], 0
        mov ecx, 2
;> gdb target: sum=6cf53479
;> gdb target: sum=6cf53479
.again:
        mov eax, 0x5AC0DE01             ; the breakpoint (B8 01 DE C0 5A)
        mov ebx, 0x12345678             ; one step later
        add eax, ebx
        mov [WATCHED], eax              ; the watchpoint's write
        PRINT "gdb target: sum="
        HEX32 eax
        NL
        dec ecx
        jnz .again
        EXIT 0
        bits 16

        ROM_END
