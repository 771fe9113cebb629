; misc.asm: CPUID (only what every P6-family processor and QEMU's qemu32 agree on: the vendor,
; model and most feature bits differ, so they are not printed), the EFLAGS.AC and EFLAGS.ID bits,
; CLC STC CMC CLD STD, the NOP forms, RDTSC, IN from the debug console, MOV from CR0 and SMSW
; after reset, in real mode.
%include "rom.inc"
        ROM_BEGIN

rom_main:
        ; ---- EFLAGS.ID (CPUID present) and EFLAGS.AC (486 and later) can be toggled ----
;> eflags.id toggles: yes; eflags.ac toggles: yes
        PRINT "eflags.id toggles: "
        mov ecx, 1 << 21
        call toggles
        PRINT "; eflags.ac toggles: "
        mov ecx, 1 << 18
        call toggles
        NL

        ; ---- CPUID ----
;> cpuid 0: max leaf >= 1: yes
        mov eax, 0
        cpuid
        PRINT "cpuid 0: max leaf >= 1: "
        cmp eax, 1
        call yesno_ae
        NL
;> cpuid 1: family 6, tsc cx8 cmov: 8110
        mov eax, 1
        cpuid
        shr eax, 8
        and al, 0x0f
        PRINT "cpuid 1: family "
        add al, '0'
        call putc
        and edx, (1 << 4) | (1 << 8) | (1 << 15)
        PRINT ", tsc cx8 cmov: "
        HEX16 dx
        NL

        ; ---- flag instructions ----
;> clc: 0002 stc: 0003 cmc: 0002 cmc: 0003 std: 0403 cld: 0003 (from 0002)
        SETFL 0x0002
        clc
        pushf
        stc
        pushf
        cmc
        pushf
        cmc
        pushf
        std
        pushf
        cld
        pushf
        mov bp, sp
        PRINT "clc: "
        HEX16 [bp + 10]
        PRINT " stc: "
        HEX16 [bp + 8]
        PRINT " cmc: "
        HEX16 [bp + 6]
        PRINT " cmc: "
        HEX16 [bp + 4]
        PRINT " std: "
        HEX16 [bp + 2]
        PRINT " cld: "
        HEX16 [bp]
        PRINT " (from 0002)", 10
        add sp, 12
;> clc/stc/cmc/std/cld leave the other flags: 08d6 08d7 08d6 0cd6 08d6 (from 08d7)
        SETFL FL_ARITH
        clc
        pushf
        stc
        pushf
        cmc
        pushf
        std
        pushf
        cld
        pushf
        mov bp, sp
        PRINT "clc/stc/cmc/std/cld leave the other flags: "
        HEX16 [bp + 8]
        PRINT " "
        HEX16 [bp + 6]
        PRINT " "
        HEX16 [bp + 4]
        PRINT " "
        HEX16 [bp + 2]
        PRINT " "
        HEX16 [bp]
        PRINT " (from 08d7)", 10
        add sp, 10

        ; ---- NOP forms ----
;> nop (90), o32 nop (66 90), nop r/m16 (0f 1f /0), nop r/m32 (66 0f 1f /0): flags and registers kept: yes
        SETFL FL_ARITH
        mov eax, 0x12345678
        nop
        o32 nop
        db 0x0f, 0x1f, 0x00             ; nop word [bx+si]
        db 0x66, 0x0f, 0x1f, 0x40, 0x00 ; nop dword [bx+si+0]
        GETFL
        PRINT "nop (90), o32 nop (66 90), nop r/m16 (0f 1f /0), nop r/m32 (66 0f 1f /0): flags and registers kept: "
        pop dx
        cmp dx, FL_ARITH | 2
        jne .no
        cmp eax, 0x12345678
        jne .no
        PRINT "yes", 10
        jmp .nopdone
.no:    PRINT "no", 10
.nopdone:

        ; ---- RDTSC ----
;> rdtsc increases: yes
        rdtsc
        mov esi, eax
        mov edi, edx
        mov cx, 100
.spin:  dec cx
        jnz .spin
        rdtsc
        sub eax, esi
        sbb edx, edi                    ; EDX:EAX = the difference, > 0
        PRINT "rdtsc increases: "
        or eax, edx
        jz .tsc_no
        test edx, 0x80000000
        jnz .tsc_no
        PRINT "yes", 10
        jmp .tsc_done
.tsc_no:
        PRINT "no", 10
.tsc_done:

        ; ---- IN from the debug console (it reads back E9), OUT to the POST port ----
;> in al,e9: e9; in al,dx (dx=e9): e9
        in al, DEBUGCON_PORT
        PRINT "in al,e9: "
        call puthex8
        mov dx, DEBUGCON_PORT
        mov al, 0
        in al, dx
        PRINT "; in al,dx (dx=e9): "
        call puthex8
        NL
        mov al, 0x42
        out POST_PORT, al

        ; ---- CR0 after reset (SDM Vol. 3A, 9.1.1: 60000010H) ----
;> mov eax,cr0: 60000010; smsw ax: 0010
        mov eax, cr0
        PRINT "mov eax,cr0: "
        HEX32 eax
        smsw ax
        PRINT "; smsw ax: "
        HEX16 ax
        ; (SMSW r32 is not tested: the SDM leaves the upper half undefined.)
        NL

;> misc done
        PRINT "misc done", 10
        EXIT 0

; toggles: prints "yes" when the EFLAGS bits in ECX can be flipped with POPFD, else "no".
toggles:
        pushfd
        pop eax
        mov ebx, eax
        xor eax, ecx
        push eax
        popfd
        pushfd
        pop eax
        push ebx
        popfd                           ; the flags as they were
        xor eax, ebx
        cmp eax, ecx
        je .yes
        PRINT "no"
        ret
.yes:   PRINT "yes"
        ret

; yesno_ae: prints "yes" when the flags say above or equal (CF = 0), else "no".
yesno_ae:
        jb .no
        PRINT "yes"
        ret
.no:    PRINT "no"
        ret

        ROM_END
