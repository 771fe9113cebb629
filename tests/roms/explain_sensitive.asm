; explain_sensitive.asm: known numbers of the sensitive-unprivileged instructions (SGDT 3, SIDT 5,
; SMSW 7, PUSHF 11, POPF 11, INT 6: 30h 4 times and 31h twice, IRET 9), privileged ones (LGDT 2, LIDT 1, and MOV to and from
; CR0), three #DE, and a loop of ALU work, for tests/explain_test.cpp: `xlat explain` must report
; exactly these counts. It prints "ok" through OUT alone (rom.inc's print macros use PUSHF/POPF)
; and exits with status (0x10 << 1) | 1 = 33.
;
; The PUSHF/POPF loop is the byte sequence 9C 9D E2 FC (pushf; popf; loop $-2), which the test
; finds in the image to start an --from/--count window there. So is the sequence of forms that
; share a mnemonic with plain ones, which starts with `mov si, 5EC5h` (BE C5 5E): in its first 18
; instructions MOV from a segment register 1, MOV to one 2, plain MOV 1, PUSH DS 1, POP DS 1, far
; CALL 2 and far RET 2, near CALL 1 and near RET 1, far JMP 1 and near JMP 1, INT 31h 2, IRET 2.
%include "rom.inc"
        ROM_BEGIN

rom_main:
        xor ax, ax
        mov es, ax
        mov word [es:0x30 * 4], int30_handler   ; INT 30h: a real-mode IVT entry
        mov word [es:0x30 * 4 + 2], ROM_SEG
        mov word [es:0x31 * 4], int30_handler   ; INT 31h: the same handler
        mov word [es:0x31 * 4 + 2], ROM_SEG
        mov word [es:0 * 4], de_handler         ; #DE: skips the 2-byte DIV
        mov word [es:0 * 4 + 2], ROM_SEG
        lgdt [cs:gdt_pointer]
        lgdt [cs:gdt_pointer]
        lidt [cs:idt_pointer]
%rep 3
        sgdt [es:0x600]
%endrep
%rep 5
        sidt [es:0x610]
%endrep
%rep 7
        smsw ax
%endrep
        mov cx, 11
pushf_loop:
        pushf
        popf
        loop pushf_loop
        ; ALU work: 1000 iterations of a 6-instruction block.
        mov cx, 1000
        xor eax, eax
        mov ebx, 0x12345678
alu:    add eax, ebx
        xor ebx, eax
        rol ebx, 3
        inc eax
        dec cx
        jnz alu
%rep 4
        int 0x30
%endrep
        mov bl, 0
%rep 3
        mov ax, 1
        div bl                  ; #DE
%endrep
forms:  mov si, 0x5EC5           ; the marker
        mov ax, ds
        mov ds, ax
        mov es, ax
        push ds
        pop ds
        call ROM_SEG:far_proc
        call ROM_SEG:far_proc
        jmp ROM_SEG:.far_done
.far_done:
        int 0x31
        int 0x31
        call near_proc
        jmp short .near_done
.near_done:
        mov eax, cr0            ; MOV from CR0 and back: PE stays clear
        mov cr0, eax
        mov al, 'o'
        out DEBUGCON_PORT, al
        mov al, 'k'
        out DEBUGCON_PORT, al
        mov al, 10
        out DEBUGCON_PORT, al
;> ok
        EXIT 0x10

int30_handler:
        iret

far_proc:
        retf

near_proc:
        ret

; #DE is a fault: the pushed IP is the DIV's; its 2 bytes (F6 F3) are skipped.
de_handler:
        push bp
        mov bp, sp
        add word [bp + 2], 2
        pop bp
        iret

        align 8
gdt:    dq 0
        dw 0xffff, 0x0000
        db 0x00, 0x9b, 0xcf, 0x00
gdt_end:
gdt_pointer:
        dw gdt_end - gdt - 1
        dd gdt + ROM_LINEAR
idt_pointer:
        dw 0x03ff
        dd 0

        ROM_END
