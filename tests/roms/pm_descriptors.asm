; pm_descriptors.asm: segment descriptors in protected mode (SDM Vol. 3A, chapters 3 and 5;
; Vol. 2, MOV, LLDT, LAR, LSL, VERR/VERW, ARPL, JMP): loads into DS, ES, FS, GS and SS with every
; check and its exception (#GP, #NP, #SS) and error code, at CPL 0 and CPL 3, through MOV, POP,
; LDS, LSS, LFS and LGS (nothing committed on a fault), MOV CS (#UD); the check order
; (privilege before presence); code, data, conforming and expand-down segments; the accessed bit
; set in the descriptor by a load; an LDT (LLDT, SLDT, loads through it); limits as LSL reports
; them (byte and page granularity), the GDT and LDT limits, a far JMP beyond the CS limit;
; CPL/DPL/RPL rules for far JMPs to code segments; LAR, LSL, VERR, VERW and ARPL; and big-real
; ("unreal") mode: back to real mode with a 4 GiB DS cache and an access above 1 MiB.
;
; Not here, because QEMU does not check segment limits or the type of the cached descriptor on
; data accesses (tests/protected_test.cpp and the interpreter's own tests cover them): #GP/#SS
; from an offset beyond a limit (expand-up and expand-down), a write through a read-only
; segment, an access through a null DS, and the real-mode #GP beyond 64 KiB without unreal mode.
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

DATA_NA    equ 0x40     ; flat data, DPL 0, accessed bit clear
DATA_NP    equ 0x48     ; data, not present
DATA_RO    equ 0x50     ; flat read-only data
CODE_XO    equ 0x58     ; flat execute-only code
CODE_CONF0 equ 0x60     ; flat conforming readable code, DPL 0
DATA_ED    equ 0x68     ; expand-down data, limit FFF, B = 1 (offsets 1000-FFFFFFFF)
DATA_ED16  equ 0x70     ; expand-down data, limit FFF, B = 0 (offsets 1000-FFFF)
LDT_DESC   equ 0x78     ; an LDT of 2 descriptors at LDT_BASE
DATA_DPL1  equ 0x80     ; flat data, DPL 1
DATA_BYTE  equ 0x88     ; data, base 12345, limit 1234 (bytes), DPL 3
DATA_PAGE  equ 0x90     ; data, limit 12 in 4 KiB pages (12FFF), DPL 0
CODE_NP    equ 0x98     ; code, not present
CALL_GATE  equ 0xA0     ; a 32-bit call gate, DPL 3 (for LAR/LSL)
INT_GATE   equ 0xA8     ; an interrupt gate in the GDT (not valid for LAR)
CODE_SMALL equ 0xB0     ; 32-bit code, base 0, limit FFFFF (bytes): below the ROM
LDT_NP     equ 0xC0     ; an LDT descriptor, not present

LDT_BASE   equ 0x2200
LDT_DATA   equ 0x04     ; LDT entry 0: data, base 8000, limit FFFF, DPL 0
LDT_NPSEL  equ 0x0C     ; LDT entry 1: data, not present

; LOAD sreg, selector, "what": prints "mov sreg,SSSS what:" and either " ok" or the exception;
; the register is put back after a successful load.
%macro LOAD 3
        PRINT "mov ", %str(%1), ","
        mov ax, %2
        HEX16 ax
        PRINT " ", %3, ":"
        mov dx, %1
        TRY %%i, %%r
%%i:    mov %1, ax
        mov %1, dx
        PRINT " ok"
%%r:    NL
%endmacro

; ZFV: prints " zf=N" from ZF (keeps every register and the flags).
%macro ZFV 0
        PRINT " zf="
        pushfd
        push eax
        mov al, '0'
        jnz %%clear
        mov al, '1'
%%clear:
        call putc32
        pop eax
        popfd
%endmacro

; LARX sel, "what": prints "SSSSwhat: VVVVVVVV zf=N": LAR of sel into EAX (11111111 before),
; bits 19:16 and 7:0 masked.
%macro LARX 2
        mov bx, %1
        HEX16 bx
        PRINT %2, ": "
        mov eax, 0x11111111
        lar eax, bx
        pushfd
        and eax, 0x00F0FF00
        HEX32 eax
        popfd
        ZFV
%endmacro

; LSLX sel, "what": prints "SSSSwhat: LLLLLLLL zf=N" (EAX 11111111 before).
%macro LSLX 2
        mov bx, %1
        HEX16 bx
        PRINT %2, ": "
        mov eax, 0x11111111
        lsl eax, bx
        HEX32 eax
        ZFV
%endmacro

; VERX sel, "what": prints "SSSSwhat: R W", ZF after VERR and VERW.
%macro VERX 2
        mov bx, %1
        HEX16 bx
        PRINT %2, ": "
        verr bx
        mov al, '0'
        jnz %%r
        mov al, '1'
%%r:    call putc32
        PRINT " "
        verw bx
        mov al, '0'
        jnz %%w
        mov al, '1'
%%w:    call putc32
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        DESC DATA_NA, 0, 0xFFFFF, 0x92, FLAGS_32
        DESC DATA_NP, 0, 0xFFFFF, 0x12, FLAGS_32
        DESC DATA_RO, 0, 0xFFFFF, 0x90, FLAGS_32
        DESC CODE_XO, 0, 0xFFFFF, 0x98, FLAGS_32
        DESC CODE_CONF0, 0, 0xFFFFF, 0x9E, FLAGS_32
        DESC DATA_ED, 0, 0x00FFF, 0x96, 0x4
        DESC DATA_ED16, 0, 0x00FFF, 0x96, 0x0
        DESC LDT_DESC, LDT_BASE, 0x0F, 0x82, 0
        DESC DATA_DPL1, 0, 0xFFFFF, 0xB2, FLAGS_32
        DESC DATA_BYTE, 0x12345, 0x01234, 0xF2, 0x4
        DESC DATA_PAGE, 0, 0x00012, 0x92, FLAGS_32
        DESC CODE_NP, 0, 0xFFFFF, 0x1A, FLAGS_32
        GDT_GATE CALL_GATE, SEL_CODE0, 0x12345678, 0xEC, 2
        GDT_GATE INT_GATE, SEL_CODE0, 0x12345678, 0x8E, 0
        DESC CODE_SMALL, 0, 0xFFFFF, 0x9A, 0x4
        DESC LDT_NP, LDT_BASE, 0x0F, 0x02, 0
        DESC_AT LDT_BASE + 0, 0x8000, 0xFFFF, 0x92, 0x4
        DESC_AT LDT_BASE + 8, 0x8000, 0xFFFF, 0x12, 0x4
        mov dword [0x8010], 0xCAFEF00D  ; seen at LDT_DATA:0010

        ; ---- loads at CPL 0: the null selector, the table limit, the descriptor type ----
;> mov ds,0000 (null): ok
        LOAD ds, 0, "(null)"
;> mov ss,0000 (null): #GP(0000) at 0008:insn+00
        LOAD ss, 0, "(null)"
;> mov es,0003 (null, RPL 3): ok
        LOAD es, 3, "(null, RPL 3)"
;> mov fs,0800 (beyond the GDT limit 07ff): #GP(0800) at 0008:insn+00
        LOAD fs, 0x800, "(beyond the GDT limit 07ff)"
;> mov gs,07fb (the last GDT entry, RPL 3: null descriptor there): #GP(07f8) at 0008:insn+00
        LOAD gs, 0x7FB, "(the last GDT entry, RPL 3: null descriptor there)"
;> mov ds,0038 (a TSS): #GP(0038) at 0008:insn+00
        LOAD ds, SEL_TSS0, "(a TSS)"
;> mov ds,00a0 (a call gate): #GP(00a0) at 0008:insn+00
        LOAD ds, CALL_GATE, "(a call gate)"
;> mov ds,0058 (execute-only code): #GP(0058) at 0008:insn+00
        LOAD ds, CODE_XO, "(execute-only code)"
;> mov es,0008 (readable code): ok
        LOAD es, SEL_CODE0, "(readable code)"
;> mov ss,0008 (readable code): #GP(0008) at 0008:insn+00
        LOAD ss, SEL_CODE0, "(readable code)"
;> mov fs,0050 (read-only data): ok
        LOAD fs, DATA_RO, "(read-only data)"
;> mov ss,0050 (read-only data): #GP(0050) at 0008:insn+00
        LOAD ss, DATA_RO, "(read-only data)"
;> mov ds,0048 (not present): #NP(0048) at 0008:insn+00
        LOAD ds, DATA_NP, "(not present)"
;> mov ss,0048 (not present): #SS(0048) at 0008:insn+00
        LOAD ss, DATA_NP, "(not present)"
;> mov ds,004b (not present, RPL 3 > DPL 0: privilege first): #GP(0048) at 0008:insn+00
        LOAD ds, DATA_NP | 3, "(not present, RPL 3 > DPL 0: privilege first)"
;> mov ss,0068 (expand-down, B=1): ok; mov ss,0070 (expand-down, B=0): ok
        PRINT "mov ss,0068 (expand-down, B=1):"
        TRY .ed1, .ed1r
.ed1:   mov ax, DATA_ED
        mov ss, ax
        mov ax, SEL_DATA0
        mov ss, ax
        PRINT " ok"
.ed1r:  PRINT "; mov ss,0070 (expand-down, B=0):"
        TRY .ed2, .ed2r
.ed2:   mov ax, DATA_ED16
        mov ss, ax
        mov ax, SEL_DATA0
        mov ss, ax
        PRINT " ok"
.ed2r:  NL

        ; ---- privilege: DPL, RPL and CPL ----
;> mov ds,0080 (DPL 1, RPL 0): ok
        LOAD ds, DATA_DPL1, "(DPL 1, RPL 0)"
;> mov ds,0082 (DPL 1, RPL 2): #GP(0080) at 0008:insn+00
        LOAD ds, DATA_DPL1 | 2, "(DPL 1, RPL 2)"
;> mov ds,0063 (conforming code DPL 0, RPL 3): ok
        LOAD ds, CODE_CONF0 | 3, "(conforming code DPL 0, RPL 3)"
;> mov ss,0033 (DPL 3 at CPL 0): #GP(0030) at 0008:insn+00
        LOAD ss, SEL_DATA3, "(DPL 3 at CPL 0)"
;> mov ss,0013 (DPL 0, RPL 3 at CPL 0): #GP(0010) at 0008:insn+00
        LOAD ss, SEL_DATA0 | 3, "(DPL 0, RPL 3 at CPL 0)"
;> mov ss,0081 (DPL 1, RPL 1 at CPL 0): #GP(0080) at 0008:insn+00
        LOAD ss, DATA_DPL1 | 1, "(DPL 1, RPL 1 at CPL 0)"

        ; ---- the accessed bit ----
;> accessed bit: descriptor 0040 byte 5 = 92; mov es,0040; byte 5 = 93; lar: 00c09300
        PRINT "accessed bit: descriptor 0040 byte 5 = "
        HEX8 [GDT_BASE + DATA_NA + 5]
        mov ax, DATA_NA
        mov es, ax
        PRINT "; mov es,0040; byte 5 = "
        HEX8 [GDT_BASE + DATA_NA + 5]
        lar eax, ax
        and eax, 0x00F0FF00
        PRINT "; lar: "
        HEX32 eax
        mov ax, SEL_DATA0
        mov es, ax
        NL
;> mov ds,0048 (not present) leaves byte 5 = 12
        mov ax, DATA_NP
        mov dword [EXC_QUIET], 1
        TRY .np, .npr
.np:    mov ds, ax
.npr:   mov dword [EXC_QUIET], 0
        PRINT "mov ds,0048 (not present) leaves byte 5 = "
        HEX8 [GDT_BASE + DATA_NP + 5]
        NL

        ; ---- the LDT ----
;> sldt: 0000; mov ds,0004 with a null LDTR: #GP(0004) at 0008:insn+00
        sldt ax
        PRINT "sldt: "
        HEX16 ax
        PRINT "; mov ds,0004 with a null LDTR:"
        mov ax, LDT_DATA
        TRY .l1, .l1r
.l1:    mov ds, ax
.l1r:   NL
;> lldt 0078: sldt 0078; mov es,0004: ok, [es:0010] = cafef00d
        mov ax, LDT_DESC
        lldt ax
        sldt bx
        PRINT "lldt 0078: sldt "
        HEX16 bx
        PRINT "; mov es,0004:"
        mov ax, LDT_DATA
        TRY .l2, .l2r
.l2:    mov es, ax
        PRINT " ok, [es:0010] = "
        HEX32 [es:0x10]
.l2r:   mov ax, SEL_DATA0
        mov es, ax
        NL
;> mov ds,000c (LDT, not present): #NP(000c) at 0008:insn+00
        LOAD ds, LDT_NPSEL, "(LDT, not present)"
;> mov ds,0017 (beyond the LDT limit 000f): #GP(0014) at 0008:insn+00
        LOAD ds, 0x17, "(beyond the LDT limit 000f)"
;> lldt 0010 (a data segment): #GP(0010) at 0008:insn+00
        PRINT "lldt 0010 (a data segment):"
        mov ax, SEL_DATA0
        TRY .l3, .l3r
.l3:    lldt ax
.l3r:   NL
;> lldt 00c0 (not present): #NP(00c0) at 0008:insn+00
        PRINT "lldt 00c0 (not present):"
        mov ax, LDT_NP
        TRY .l4, .l4r
.l4:    lldt ax
.l4r:   NL
;> lldt 007c (TI = 1): #GP(007c) at 0008:insn+00
        PRINT "lldt 007c (TI = 1):"
        mov ax, LDT_DESC | 4
        TRY .l5, .l5r
.l5:    lldt ax
.l5r:   NL
;> lldt 0000: sldt 0000; mov ds,0004: #GP(0004) at 0008:insn+00
        mov ax, 0
        lldt ax
        sldt bx
        PRINT "lldt 0000: sldt "
        HEX16 bx
        PRINT "; mov ds,0004:"
        mov ax, LDT_DATA
        TRY .l6, .l6r
.l6:    mov ds, ax
.l6r:   NL
        mov ax, LDT_DESC
        lldt ax


        ; ---- LAR, LSL, VERR, VERW, ARPL ----
        ; LAR's bits 19:16 (the limit's) are undefined (SDM Vol. 2A, LAR): masked off. A failing
        ; LAR or LSL leaves the destination (11111111) alone.
;> lar 0008: 00c09b00 zf=1; 0033: 00c0f300 zf=1; 0038 (busy TSS): 00008b00 zf=1; 0078 (LDT): 00008200 zf=1
        PRINT "lar "
        LARX SEL_CODE0, ""
        PRINT "; "
        LARX SEL_DATA3, ""
        PRINT "; "
        LARX SEL_TSS0, " (busy TSS)"
        PRINT "; "
        LARX LDT_DESC, " (LDT)"
        NL
;> lar 00a0 (call gate, offset 12345678): 0030ec00 zf=1; 00a8 (interrupt gate): 00101100 zf=0; 0048 (not present): 00c01200 zf=1
        PRINT "lar "
        LARX CALL_GATE, " (call gate, offset 12345678)"
        PRINT "; "
        LARX INT_GATE, " (interrupt gate)"
        PRINT "; "
        LARX DATA_NP, " (not present)"
        NL
;> lar 0000: 00101100 zf=0; 0800 (beyond the limit): 00101100 zf=0; 0082 (RPL 2 > DPL 1): 00101100 zf=0; 0063 (conforming, accessed): 00c09f00 zf=1
        PRINT "lar "
        LARX 0, ""
        PRINT "; "
        LARX 0x800, " (beyond the limit)"
        PRINT "; "
        LARX DATA_DPL1 | 2, " (RPL 2 > DPL 1)"
        PRINT "; "
        LARX CODE_CONF0 | 3, " (conforming, accessed)"
        NL
;> lar ax,0010 (16-bit): eax=1111f300
        mov eax, 0x11111111
        mov bx, SEL_DATA3
        lar ax, bx
        PRINT "lar ax,0010 (16-bit): eax="
        HEX32 eax
        NL
;> lsl 0010: ffffffff zf=1; 0088 (bytes): 00001234 zf=1; 0090 (pages): 00012fff zf=1; 0068 (expand-down): 00000fff zf=1
        PRINT "lsl "
        LSLX SEL_DATA0, ""
        PRINT "; "
        LSLX DATA_BYTE, " (bytes)"
        PRINT "; "
        LSLX DATA_PAGE, " (pages)"
        PRINT "; "
        LSLX DATA_ED, " (expand-down)"
        NL
;> lsl 0038 (TSS): 00000067 zf=1; 0078 (LDT): 0000000f zf=1; 00a0 (call gate): 11111111 zf=0; lsl ax,0010: eax=1111ffff
        PRINT "lsl "
        LSLX SEL_TSS0, " (TSS)"
        PRINT "; "
        LSLX LDT_DESC, " (LDT)"
        PRINT "; "
        LSLX CALL_GATE, " (call gate)"
        mov eax, 0x11111111
        mov bx, SEL_DATA0
        lsl ax, bx
        PRINT "; lsl ax,0010: eax="
        HEX32 eax
        NL
;> verr/verw 0008 (code): 1 0; 0058 (execute-only): 0 0; 0050 (read-only): 1 0; 0010: 1 1; 0048 (not present): 1 1
        PRINT "verr/verw "
        VERX SEL_CODE0, " (code)"
        PRINT "; "
        VERX CODE_XO, " (execute-only)"
        PRINT "; "
        VERX DATA_RO, " (read-only)"
        PRINT "; "
        VERX SEL_DATA0, ""
        PRINT "; "
        VERX DATA_NP, " (not present)"
        NL
;> verr/verw 0038 (TSS): 0 0; 0000: 0 0; 0082 (RPL 2 > DPL 1): 0 0; 0063 (conforming code): 1 0
        PRINT "verr/verw "
        VERX SEL_TSS0, " (TSS)"
        PRINT "; "
        VERX 0, ""
        PRINT "; "
        VERX DATA_DPL1 | 2, " (RPL 2 > DPL 1)"
        PRINT "; "
        VERX CODE_CONF0 | 3, " (conforming code)"
        NL
;> arpl 0010,0003: 0013 zf=1; arpl 0013,0001: 0013 zf=0; arpl [mem]=0041,0002: 0042 zf=1
        mov ax, 0x0010
        mov bx, 0x0003
        arpl ax, bx
        PRINT "arpl 0010,0003: "
        HEX16 ax
        ZFV
        mov ax, 0x0013
        mov bx, 0x0001
        arpl ax, bx
        PRINT "; arpl 0013,0001: "
        HEX16 ax
        ZFV
        mov word [BUF], 0x0041
        mov bx, 0x0002
        arpl [BUF], bx
        PRINT "; arpl [mem]=0041,0002: "
        HEX16 [BUF]
        ZFV
        NL

        ; ---- far JMP to code segments: CPL, DPL, RPL (SDM Vol. 2A, JMP) ----
;> jmp far 002b:x (DPL 3 at CPL 0): #GP(0028) at 0008:insn+00
        PRINT "jmp far 002b:x (DPL 3 at CPL 0):"
        TRY .j1, .j1r
.j1:    jmp SEL_CODE3:(.j1r + ROM_LINEAR)
.j1r:   NL
;> jmp far 000b:x (RPL 3 > CPL 0): #GP(0008) at 0008:insn+00
        PRINT "jmp far 000b:x (RPL 3 > CPL 0):"
        TRY .j2, .j2r
.j2:    jmp (SEL_CODE0 | 3):(.j2r + ROM_LINEAR)
.j2r:   NL
;> jmp far 0098:x (not present): #NP(0098) at 0008:insn+00
        PRINT "jmp far 0098:x (not present):"
        TRY .j3, .j3r
.j3:    jmp CODE_NP:(.j3r + ROM_LINEAR)
.j3r:   NL
;> jmp far 0010:x (data): #GP(0010) at 0008:insn+00; jmp far 0000:x: #GP(0000) at 0008:insn+00
        PRINT "jmp far 0010:x (data):"
        TRY .j4, .j4r
.j4:    jmp SEL_DATA0:(.j4r + ROM_LINEAR)
.j4r:   PRINT "; jmp far 0000:x:"
        TRY .j5, .j5r
.j5:    jmp 0:(.j5r + ROM_LINEAR)
.j5r:   NL
;> jmp far 00b0:x (x beyond the limit fffff): #GP(0000) at 0008:insn+00
        PRINT "jmp far 00b0:x (x beyond the limit fffff):"
        TRY .j6, .j6r
.j6:    jmp CODE_SMALL:(.j6r + ROM_LINEAR + 0x100000)
.j6r:   NL
;> jmp far 0060:x (conforming DPL 0): cs=0060
        ; (A far JMP sets the accessed bit of the new CS descriptor too (SDM Vol. 3A, 3.4.5.1),
        ; but QEMU 7.2 does not: tests/protected_test.cpp checks it.)
        PRINT "jmp far 0060:x (conforming DPL 0): cs="
        jmp CODE_CONF0:(.j7 + ROM_LINEAR)
.j7:    HEX16 cs
        jmp SEL_CODE0:(.j9 + ROM_LINEAR)
.j9:    NL

        ; ---- the other ways to load a segment register: same checks, nothing committed ----
;> mov cs,ax (8e c8): #UD at 0008:insn+00
        PRINT "mov cs,ax (8e c8):"
        mov ax, SEL_CODE0
        TRY .m1, .m1r
.m1:    db 0x8E, 0xC8
.m1r:   NL
;> pop ds (0048, not present): #NP(0048) at 0008:insn+00; esp at the fault unchanged: yes
        PRINT "pop ds (0048, not present):"
        push dword DATA_NP
        mov ebx, esp
        TRY .m2, .m2r
.m2:    pop ds
.m2r:   PRINT "; esp at the fault unchanged: "
        call yes_if_ebx_esp
        add esp, 4
        NL
;> pop ss (0050, read-only): #GP(0050) at 0008:insn+00; esp at the fault unchanged: yes
        PRINT "pop ss (0050, read-only):"
        push dword DATA_RO
        mov ebx, esp
        TRY .m3, .m3r
.m3:    pop ss
.m3r:   PRINT "; esp at the fault unchanged: "
        call yes_if_ebx_esp
        add esp, 4
        NL
;> lds eax,[0000000c:0048]: #NP(0048) at 0008:insn+00, eax=11111111; lss esp,[...:0048]: #SS(0048) at 0008:insn+00
        mov dword [BUF], 0x0000000C
        mov word [BUF + 4], DATA_NP
        mov eax, 0x11111111
        PRINT "lds eax,[0000000c:0048]:"
        TRY .m4, .m4r
.m4:    lds eax, [BUF]
.m4r:   PRINT ", eax="
        HEX32 eax
        PRINT "; lss esp,[...:0048]:"
        TRY .m5, .m5r
.m5:    lss esp, [BUF]
.m5r:   NL
;> lfs eax,[0000000c:0033] (DPL 3): ok, fs=0033 eax=0000000c; lgs ax,[...:0010]: ok, gs=0010
        mov word [BUF + 4], SEL_DATA3
        PRINT "lfs eax,[0000000c:0033] (DPL 3):"
        TRY .m6, .m6r
.m6:    lfs eax, [BUF]
        mov bx, fs
        PRINT " ok, fs="
        HEX16 bx
        PRINT " eax="
        HEX32 eax
.m6r:   mov word [BUF + 2], SEL_DATA0
        PRINT "; lgs ax,[...:0010]:"
        TRY .m7, .m7r
.m7:    lgs ax, [BUF]
        mov bx, gs
        PRINT " ok, gs="
        HEX16 bx
.m7r:   NL
        mov ax, SEL_DATA0
        mov fs, ax
        mov gs, ax

        ; ---- CPL 3 ----
        TO_RING3 ring3
ring3:
;> cpl 3: cs=002b ss=0033 ds=0033
        PRINT "cpl 3: cs="
        HEX16 cs
        PRINT " ss="
        HEX16 ss
        PRINT " ds="
        HEX16 ds
        NL
;> mov ds,0010 (DPL 0 at CPL 3): #GP(0010) at 002b:insn+00 stack 0033:00005000
        LOAD ds, SEL_DATA0, "(DPL 0 at CPL 3)"
;> mov ds,0060 (conforming code DPL 0, RPL 0): ok
        LOAD ds, CODE_CONF0, "(conforming code DPL 0, RPL 0)"
;> mov es,002b (readable code DPL 3): ok
        LOAD es, SEL_CODE3, "(readable code DPL 3)"
;> mov fs,008b (DPL 3, base 12345): ok
        LOAD fs, DATA_BYTE | 3, "(DPL 3, base 12345)"
;> mov ss,0033: ok; mov ss,0083 (DPL 1): #GP(0080) at 002b:insn+00 stack 0033:00005000
        PRINT "mov ss,0033:"
        mov ax, SEL_DATA3
        TRY .s1, .s1r
.s1:    mov ss, ax
        PRINT " ok"
.s1r:   PRINT "; mov ss,0083 (DPL 1):"
        mov ax, DATA_DPL1 | 3
        TRY .s2, .s2r
.s2:    mov ss, ax
.s2r:   NL
;> lar 0010: 00101100 zf=0; lar 0060: 00c09f00 zf=1; verr/verw 0010: 0 0; 0060: 1 0; 0033: 1 1
        PRINT "lar "
        LARX SEL_DATA0, ""
        PRINT "; lar "
        LARX CODE_CONF0, ""
        PRINT "; verr/verw "
        VERX SEL_DATA0, ""
        PRINT "; "
        VERX CODE_CONF0, ""
        PRINT "; "
        VERX SEL_DATA3, ""
        NL
;> lldt 0078 at CPL 3: #GP(0000) at 002b:insn+00 stack 0033:00005000
        PRINT "lldt 0078 at CPL 3:"
        mov ax, LDT_DESC
        TRY .s3, .s3r
.s3:    lldt ax
.s3r:   NL
;> jmp far 0008:x at CPL 3: #GP(0008) at 002b:insn+00 stack 0033:00005000
        PRINT "jmp far 0008:x at CPL 3:"
        TRY .s4, .s4r
.s4:    jmp SEL_CODE0:(.s4r + ROM_LINEAR)
.s4r:   NL
;> jmp far 0060:x (conforming DPL 0) at CPL 3: cs=0063; back: cs=002b
        PRINT "jmp far 0060:x (conforming DPL 0) at CPL 3: cs="
        jmp CODE_CONF0:(.s5 + ROM_LINEAR)
.s5:    HEX16 cs
        jmp SEL_CODE3:(.s6 + ROM_LINEAR)
.s6:    PRINT "; back: cs="
        HEX16 cs
        NL
        TO_RING0 ring0
ring0:

        ; ---- big-real mode: a 4 GiB DS cache survives the return to real mode ----
        lidt [real_idtr + ROM_LINEAR]
        jmp SEL_CODE16:unreal16
        bits 16
unreal16:
        mov ax, SEL_DATA16
        mov ss, ax
        mov eax, cr0
        and al, ~1
        mov cr0, eax
        jmp ROM_SEG:real16
real16:
        xor ax, ax
        mov ss, ax
        mov ds, ax              ; real-mode loads set the base and keep the 4 GiB limit
        mov es, ax
        mov sp, 0x7C00
;> real mode again: cr0=60000010; [ds:00200000] := 12345678, read back through es: 12345678; es:[00200004] := 89abcdef, ds=1000: [001f0004] = 89abcdef
        mov eax, cr0
        PRINT "real mode again: cr0="
        HEX32 eax
        mov esi, 0x00200000
        mov dword [esi], 0x12345678
        PRINT "; [ds:00200000] := 12345678, read back through es: "
        HEX32 [es:esi]
        mov ax, 0x1000
        mov ds, ax
        PRINT "; es:[00200004] := 89abcdef, ds=1000: [001f0004] = "
        mov dword [es:dword 0x00200004], 0x89ABCDEF
        HEX32 [dword 0x001F0004]
        NL
;> pm_descriptors done
        PRINT "pm_descriptors done", 10
        EXIT 0

real_idtr:
        dw 0x03FF
        dd 0

        bits 32
; yes_if_ebx_esp: prints "yes" when EBX = the ESP the last exception found (its frame of EIP,
; CS, EFLAGS was pushed right below it), else "no".
yes_if_ebx_esp:
        mov ecx, [EXC_HESP]
        add ecx, 12
        cmp ebx, ecx
        jne .no
        PRINT "yes"
        ret
.no:    PRINT "no"
        ret
        bits 16

        bits 16
        ROM_END
