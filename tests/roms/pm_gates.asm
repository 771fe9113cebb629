; pm_gates.asm: control transfers between code segments and privilege levels (SDM Vol. 3A, 5.8
; and 6.12; Vol. 2, CALL, JMP, RET, INT n, IRET): far CALL and RET within a level; call gates
; (32-bit with 2 dword parameters, 16-bit with 3 word parameters) from CPL 3 to CPL 0 and CPL 1
; with the stack switch to SS:ESP of the TSS and the parameters copied; RET imm to the outer
; level (and the data segment registers it nulls); a gate to conforming code (no switch); JMP
; through call gates; the gate and target checks (#GP, #NP, #TS with their error codes); INT n,
; INT3 and INTO through interrupt and trap gates (DPL checks, IF cleared or kept, 32- and 16-bit
; frames, a gate to conforming code); IRET to the same and to an outer level; CLI and POPF/IRET
; at CPL 3 with IOPL 0.
;
; The gate targets take a snapshot (PROBE32, PROBE16): their CS, SS:ESP, EFLAGS and the eight
; dwords at SS:ESP, which the caller prints when it is back: "cs=.. ss:esp=..:.. frame: ..",
; with the return EIP relative to the label after the calling instruction (ret+00).
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

CODE1      equ 0x40     ; flat code, DPL 1
DATA1      equ 0x48     ; flat data, DPL 1
CODE_CONF0 equ 0x50     ; flat conforming code, DPL 0
CG32       equ 0x58     ; 32-bit call gate, DPL 3 -> CODE0:gate32, 2 dwords
CG16       equ 0x60     ; 16-bit call gate, DPL 3 -> CODE16:gate16, 3 words
CG_DPL0    equ 0x70     ; call gate, DPL 0 -> CODE0
CG_NP      equ 0x78     ; call gate, not present
CG_CODE3   equ 0x80     ; call gate, DPL 3 -> CODE3:gate_code3
CG_CONF    equ 0x88     ; call gate, DPL 3 -> CODE_CONF0:gate_conf
CG_RING1   equ 0x90     ; 32-bit call gate, DPL 3 -> CODE1:gate_ring1, 1 dword
CG_DATA    equ 0x98     ; call gate, DPL 3 -> DATA0 (not code)
CG_NPCODE  equ 0xA0     ; call gate, DPL 3 -> CODE_NP
CODE_NP    equ 0xA8     ; code, not present
CODE3_16   equ 0xB3     ; 16-bit code, DPL 3, base F0000 (the ROM), limit FFFF
CODE2      equ 0xB8     ; flat code, DPL 2
DATA2      equ 0xC0     ; flat data, DPL 2
CG_RING2   equ 0xC8     ; 32-bit call gate, DPL 3 -> CODE2:gate_ring2
CG_CONFJ   equ 0xD0     ; call gate, DPL 3 -> CODE_CONF0:jmp_conf (for JMP)

; Snapshot of a gate target (see above).
P_ESP   equ 0x0800
P_SS    equ 0x0804
P_CS    equ 0x0808
P_EFL   equ 0x080C
P_SAVE  equ 0x0810
P_STACK equ 0x0820      ; 8 dwords
R_ESP   equ 0x0840      ; what 16-bit ring-3 code saw after its call (ESP, CS)
R_CS    equ 0x0844
R_FL1   equ 0x0848      ; EFLAGS seen at CPL 3 with IOPL 0 after POPFD / IRETD
R_FL2   equ 0x084C

; PROBE32 ret...: the snapshot, every register kept, then the return instruction given.
%macro PROBE32 1+
        mov [P_ESP], esp
        mov dword [P_SS], 0
        mov [P_SS], ss
        mov dword [P_CS], 0
        mov [P_CS], cs
        pushfd
        pop dword [P_EFL]
        mov [P_SAVE], esi
        mov [P_SAVE + 4], edi
        mov [P_SAVE + 8], eax
        mov esi, [P_ESP]
        mov edi, P_STACK
%%copy: mov eax, [ss:esi]
        mov [edi], eax
        add esi, 4
        add edi, 4
        cmp edi, P_STACK + 32
        jne %%copy
        mov esi, [P_SAVE]
        mov edi, [P_SAVE + 4]
        mov eax, [P_SAVE + 8]
        %1
%endmacro

; PROBE16 ret...: the same in 16-bit code.
%macro PROBE16 1+
        mov [P_ESP], esp
        mov dword [P_SS], 0
        mov [P_SS], ss
        mov dword [P_CS], 0
        mov [P_CS], cs
        pushfd
        pop dword [P_EFL]
        mov [P_SAVE], esi
        mov [P_SAVE + 4], edi
        mov [P_SAVE + 8], eax
        mov esi, [P_ESP]
        mov edi, P_STACK
%%copy: mov eax, [ss:esi]
        mov [edi], eax
        add esi, 4
        add edi, 4
        cmp edi, P_STACK + 32
        jne %%copy
        mov esi, [P_SAVE]
        mov edi, [P_SAVE + 4]
        mov eax, [P_SAVE + 8]
        %1
%endmacro

; SNAP ret_label, ndwords: prints "cs=CCCC ss:esp=SSSS:EEEEEEEE frame: ret+XX d1 d2 ..." from the
; snapshot (32-bit code at CPL 0 or 3).
%macro SNAP 2
        PRINT "cs="
        HEX16 [P_CS]
        PRINT " ss:esp="
        HEX16 [P_SS]
        PRINT ":"
        HEX32 [P_ESP]
        PRINT " frame: ret+"
        push eax
        mov eax, [P_STACK]
        sub eax, %1 + ROM_LINEAR
        HEX8 al
        pop eax
%assign %%i 1
%rep %2 - 1
        PRINT " "
        HEX32 [P_STACK + 4 * %%i]
%assign %%i %%i + 1
%endrep
%endmacro

; SNAP_STACK ret_label, ndwords: SNAP without CS.
%macro SNAP_STACK 2
        PRINT "ss:esp="
        HEX16 [P_SS]
        PRINT ":"
        HEX32 [P_ESP]
        PRINT " frame: ret+"
        push eax
        mov eax, [P_STACK]
        sub eax, %1 + ROM_LINEAR
        HEX8 al
        pop eax
%assign %%i 1
%rep %2 - 1
        PRINT " "
        HEX32 [P_STACK + 4 * %%i]
%assign %%i %%i + 1
%endrep
%endmacro

; SNAP16 ret_label, nwords: the same for a 16-bit frame (the return IP relative to a label in the
; ROM segment).
%macro SNAP16 2
        PRINT "cs="
        HEX16 [P_CS]
        PRINT " ss:esp="
        HEX16 [P_SS]
        PRINT ":"
        HEX32 [P_ESP]
        PRINT " frame: ret+"
        push eax
        mov ax, [P_STACK]
        sub ax, %1
        HEX8 al
        pop eax
%assign %%i 1
%rep %2 - 1
        PRINT " "
        HEX16 [P_STACK + 2 * %%i]
%assign %%i %%i + 1
%endrep
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        DESC CODE1, 0, 0xFFFFF, 0xBA, FLAGS_32
        DESC DATA1, 0, 0xFFFFF, 0xB2, FLAGS_32
        DESC CODE_CONF0, 0, 0xFFFFF, 0x9E, FLAGS_32
        GDT_GATE CG32, SEL_CODE0, gate32 + ROM_LINEAR, 0xEC, 2
        GDT_GATE CG16, SEL_CODE16, gate16, 0xE4, 3
        GDT_GATE CG_DPL0, SEL_CODE0, gate32 + ROM_LINEAR, 0x8C, 0
        GDT_GATE CG_NP, SEL_CODE0, gate32 + ROM_LINEAR, 0x6C, 0
        GDT_GATE CG_CODE3, SEL_CODE3, gate_code3 + ROM_LINEAR, 0xEC, 0
        GDT_GATE CG_CONF, CODE_CONF0, gate_conf + ROM_LINEAR, 0xEC, 0
        GDT_GATE CG_RING1, CODE1, gate_ring1 + ROM_LINEAR, 0xEC, 1
        GDT_GATE CG_DATA, SEL_DATA0, gate32 + ROM_LINEAR, 0xEC, 0
        GDT_GATE CG_NPCODE, CODE_NP, gate32 + ROM_LINEAR, 0xEC, 0
        DESC CODE_NP, 0, 0xFFFFF, 0x1A, FLAGS_32
        DESC CODE3_16, ROM_LINEAR, 0xFFFF, 0xFA, FLAGS_16
        DESC CODE2, 0, 0xFFFFF, 0xDA, FLAGS_32
        DESC DATA2, 0, 0xFFFFF, 0xD2, FLAGS_32
        GDT_GATE CG_RING2, CODE2, gate_ring2 + ROM_LINEAR, 0xEC, 0
        GDT_GATE CG_CONFJ, CODE_CONF0, jmp_conf + ROM_LINEAR, 0xEC, 0
        mov dword [TSS0_BASE + 16], DATA1 | 1   ; SS1 (ESP1 = RING1_STACK_TOP); SS2 null
        IDT_GATE 0x40, SEL_CODE0, int_probe + ROM_LINEAR, 0xEE   ; interrupt gate, DPL 3
        IDT_GATE 0x41, SEL_CODE0, int_probe + ROM_LINEAR, 0xEF   ; trap gate, DPL 3
        IDT_GATE 0x42, SEL_CODE0, int_probe + ROM_LINEAR, 0x8E   ; interrupt gate, DPL 0
        IDT_GATE 0x43, SEL_CODE0, int_probe + ROM_LINEAR, 0x6E   ; not present, DPL 3
        IDT_GATE 0x44, SEL_CODE16, int_probe16, 0xE6             ; 16-bit interrupt gate, DPL 3
        IDT_GATE 0x45, CODE_CONF0, int_probe + ROM_LINEAR, 0xEE  ; to conforming code

        ; ---- far CALL and RET at CPL 0 ----
;> call far 0008:x at CPL 0: cs=0008 ss:esp=0010:00007bf8 frame: ret+00 00000008; retf: esp=00007c00
        call SEL_CODE0:(far_probe + ROM_LINEAR)
.r0:    mov edx, esp
        PRINT "call far 0008:x at CPL 0: "
        SNAP .r0, 2
        PRINT "; retf: esp="
        HEX32 edx
        NL
;> int 40 at CPL 0 (same level): cs=0008 ss:esp=0010:00007bf4 frame: ret+00 00000008 00000002; iretd: esp=00007c00
        push dword 2
        popfd
        int 0x40
.r1:    mov edx, esp
        PRINT "int 40 at CPL 0 (same level): "
        SNAP .r1, 3
        PRINT "; iretd: esp="
        HEX32 edx
        NL
;> iretd to CPL 3 with ds=0010 (DPL 0) es=0033: ds=0000 es=0033 cs=002b ss=0033
        mov [RING0_ESP], esp
        push dword SEL_DATA3
        push dword RING3_STACK_TOP
        push dword 0x3002
        push dword SEL_CODE3
        push dword iret_outer + ROM_LINEAR
        mov ax, SEL_DATA3
        mov es, ax
        mov ax, SEL_DATA0
        mov ds, ax
        iretd
iret_outer:
        mov bx, ds
        mov cx, es
        mov ax, SEL_DATA3
        mov ds, ax
        PRINT "iretd to CPL 3 with ds=0010 (DPL 0) es=0033: ds="
        HEX16 bx
        PRINT " es="
        HEX16 cx
        PRINT " cs="
        HEX16 cs
        PRINT " ss="
        HEX16 ss
        NL

        ; ---- call gates from CPL 3 ----
;> call far 0058:0 (32-bit gate, 2 dwords): cs=0008 ss:esp=0010:00005fe8 frame: ret+00 0000002b 22222222 11111111 00004ff8 00000033
        push dword 0x11111111
        push dword 0x22222222
        call CG32:0
.r2:    mov bx, es
        mov cx, fs
        mov edx, esp
        mov ax, SEL_DATA3
        mov es, ax
        mov fs, ax
        PRINT "call far 0058:0 (32-bit gate, 2 dwords): "
        SNAP .r2, 6
        NL
;> retf 8 to CPL 3: cs=002b esp=00005000; es=0000 (DPL 0 there: nulled) fs=0033 (DPL 3: kept)
        PRINT "retf 8 to CPL 3: cs="
        HEX16 cs
        PRINT " esp="
        HEX32 edx
        PRINT "; es="
        HEX16 bx
        PRINT " (DPL 0 there: nulled) fs="
        HEX16 cx
        PRINT " (DPL 3: kept)"
        NL
;> call far 0060:0 (16-bit gate, 3 words) from 16-bit code: cs=0018 ss:esp=0010:00005ff2 frame: ret+00 00b3 1111 2222 3333 4ffa 0033; retf 6: cs=00b3 esp=00005000
        jmp CODE3_16:ring3_16
ring3_16_back:
        PRINT "call far 0060:0 (16-bit gate, 3 words) from 16-bit code: "
        SNAP16 ring3_16.ret, 7
        PRINT "; retf 6: cs="
        HEX16 [R_CS]
        PRINT " esp="
        HEX32 [R_ESP]
        NL
;> int 44 (16-bit interrupt gate) from 16-bit code: cs=0018 ss:esp=0010:00005ff6 frame: ret+00 00b3 3202 5000 0033; iret: esp=00005000
        PRINT "int 44 (16-bit interrupt gate) from 16-bit code: "
        jmp CODE3_16:ring3_16_int
ring3_16_int_back:
        SNAP16 ring3_16_int.ret, 5
        PRINT "; iret: esp="
        HEX32 [R_ESP]
        NL
;> call far 0090:0 (to CPL 1, 1 dword): cs=0041 ss:esp=0049:00005bec frame: ret+00 0000002b 12345678 00004ffc 00000033; retf 4: cs=002b esp=00005000
        push dword 0x12345678
        call CG_RING1:0
.r3:    mov edx, esp
        PRINT "call far 0090:0 (to CPL 1, 1 dword): "
        SNAP .r3, 5
        PRINT "; retf 4: cs="
        HEX16 cs
        PRINT " esp="
        HEX32 edx
        NL
;> call far 0088:0 (to conforming code): ss:esp=0033:00004ff8 frame: ret+00 0000002b; retf: esp=00005000
        ; CS is 0053 here: RPL = CPL (SDM Vol. 2A, CALL: SAME-PRIVILEGE through a gate, "CS(RPL)
        ; <- CPL"), but QEMU 7.2 loads 0050 (the RPL of the segment's DPL) while CPL stays 3;
        ; tests/protected_test.cpp checks it.
        call CG_CONF:0
.r4:    mov edx, esp
        PRINT "call far 0088:0 (to conforming code): "
        SNAP_STACK .r4, 2
        PRINT "; retf: esp="
        HEX32 edx
        NL
;> jmp far 0080:0 (gate to DPL 3 code): cs=002b; jmp far 00d0:0 (gate to conforming code): cs=0053
        PRINT "jmp far 0080:0 (gate to DPL 3 code): cs="
        jmp CG_CODE3:0
jmp_code3_back:
        HEX16 bx
        PRINT "; jmp far 00d0:0 (gate to conforming code): cs="
        jmp CG_CONFJ:0
jmp_conf_back:
        HEX16 bx
        NL
;> jmp far 0058:0 (gate to DPL 0 code): #GP(0008) at 002b:insn+00 stack 0033:00005000
        PRINT "jmp far 0058:0 (gate to DPL 0 code):"
        TRY .j1, .j1r
.j1:    jmp CG32:0
.j1r:   NL
;> call far 0070:0 (gate DPL 0): #GP(0070) at 002b:insn+00 stack 0033:00005000
        PRINT "call far 0070:0 (gate DPL 0):"
        TRY .c1, .c1r
.c1:    call CG_DPL0:0
.c1r:   NL
;> call far 005b:0 (gate DPL 3, RPL 3): ok; call far 0078:0 (not present): #NP(0078) at 002b:insn+00 stack 0033:00005000
        PRINT "call far 005b:0 (gate DPL 3, RPL 3):"
        TRY .c2, .c2r
        push dword 0
        push dword 0
.c2:    call (CG32 | 3):0
        PRINT " ok"
.c2r:   mov ax, SEL_DATA3
        mov es, ax
        mov fs, ax
        PRINT "; call far 0078:0 (not present):"
        TRY .c3, .c3r
.c3:    call CG_NP:0
.c3r:   NL
;> call far 0098:0 (gate to data): #GP(0010) at 002b:insn+00 stack 0033:00005000; call far 00a0:0 (gate to a code segment not present): #NP(00a8) at 002b:insn+00 stack 0033:00005000
        PRINT "call far 0098:0 (gate to data):"
        TRY .c4, .c4r
.c4:    call CG_DATA:0
.c4r:   PRINT "; call far 00a0:0 (gate to a code segment not present):"
        TRY .c5, .c5r
.c5:    call CG_NPCODE:0
.c5r:   NL
;> call far 00c8:0 (to CPL 2, SS2 null): #TS(0000) at 002b:insn+00 stack 0033:00005000
        PRINT "call far 00c8:0 (to CPL 2, SS2 null):"
        TRY .c6, .c6r
.c6:    call CG_RING2:0
.c6r:   NL
;> ... SS2 = 00c1 (RPL 1): #TS(00c0) at 002b:insn+00 stack 0033:00005000; SS2 = 004a (DPL 1): #TS(0048) at 002b:insn+00 stack 0033:00005000
        PRINT "... SS2 = 00c1 (RPL 1):"
        mov dword [TSS0_BASE + 24], DATA2 | 1
        TRY .c7, .c7r
.c7:    call CG_RING2:0
.c7r:   PRINT "; SS2 = 004a (DPL 1):"
        mov dword [TSS0_BASE + 24], DATA1 | 2
        TRY .c8, .c8r
.c8:    call CG_RING2:0
.c8r:   NL
;> ... SS2 = 00c2: cs=00ba ss:esp=00c2:000057f0 ok
        PRINT "... SS2 = 00c2: "
        mov dword [TSS0_BASE + 24], DATA2 | 2
        call CG_RING2:0
        PRINT "cs="
        HEX16 [P_CS]
        PRINT " ss:esp="
        HEX16 [P_SS]
        PRINT ":"
        HEX32 [P_ESP]
        PRINT " ok"
        NL
;> retf to 0008 (CPL 0) from CPL 3: #GP(0008) at 002b:insn+00 stack 0033:00004ff8
        PRINT "retf to 0008 (CPL 0) from CPL 3:"
        TRY .c9, .c9r
        push dword SEL_CODE0
        push dword 0
.c9:    retf
.c9r:   NL

        ; ---- INT n from CPL 3 ----
;> int 40 (interrupt gate, DPL 3) with IF=1: handler eflags=00003002 cs=0008 ss:esp=0010:00005fec frame: ret+00 0000002b 00003202 00005000 00000033; iretd: eflags=00003202
        push dword 0x3202
        popfd
        int 0x40
.i1:    pushfd
        pop edx
        push dword 0x3002
        popfd
        PRINT "int 40 (interrupt gate, DPL 3) with IF=1: handler eflags="
        HEX32 [P_EFL]
        PRINT " "
        SNAP .i1, 5
        PRINT "; iretd: eflags="
        HEX32 edx
        NL
;> int 41 (trap gate) with IF=1: handler eflags=00003202
        push dword 0x3202
        popfd
        int 0x41
        push dword 0x3002
        popfd
        PRINT "int 41 (trap gate) with IF=1: handler eflags="
        HEX32 [P_EFL]
        NL
;> int 45 (to conforming code): cs=0053 ss:esp=0033:00004ff4 frame: ret+00 0000002b 00003002
        push dword 0x3002
        popfd
        int 0x45
.i2:    PRINT "int 45 (to conforming code): "
        SNAP .i2, 3
        NL
;> int 42 (gate DPL 0): #GP(0212) at 002b:insn+00 stack 0033:00005000; int 43 (not present): #NP(021a) at 002b:insn+00 stack 0033:00005000
        PRINT "int 42 (gate DPL 0):"
        TRY .i3, .i3r
.i3:    int 0x42
.i3r:   PRINT "; int 43 (not present):"
        TRY .i4, .i4r
.i4:    int 0x43
.i4r:   NL
;> int3 (gate DPL 0): #GP(001a) at 002b:insn+00 stack 0033:00005000; gate DPL 3: #BP at 002b:insn+01 stack 0033:00005000
        PRINT "int3 (gate DPL 0):"
        TRY .i5, .i5r
.i5:    int3
.i5r:   PRINT "; gate DPL 3:"
        mov byte [IDT_BASE + 3 * 8 + 5], 0xEE
        TRY .i6, .i6r
.i6:    int3
.i6r:   NL
;> into with OF=1 (gate DPL 0): #GP(0022) at 002b:insn+00 stack 0033:00005000; gate DPL 3: #OF at 002b:insn+01 stack 0033:00005000; OF=0: count=00
        PRINT "into with OF=1 (gate DPL 0):"
        TRY .i7, .i7r
        push dword 0x3802
        popfd
.i7:    into
.i7r:   PRINT "; gate DPL 3:"
        mov byte [IDT_BASE + 4 * 8 + 5], 0xEE
        TRY .i8, .i8r
        push dword 0x3802
        popfd
.i8:    into
.i8r:   PRINT "; OF=0:"
        TRY .i9, .i9r
        push dword 0x3002
        popfd
.i9:    into
.i9r:   COUNT
        NL
        TO_RING0 ring0_again
ring0_again:

        ; ---- CPL 3 with IOPL 0: IF cannot change ----
;> cli at CPL 3, IOPL 0: #GP(0000) at 002b:insn+00 stack 0033:00005000; popfd with IF=1: eflags=00000002; iretd with IF=1: eflags=00000002
        PRINT "cli at CPL 3, IOPL 0:"
        TO_RING3 iopl0, 0x0002
iopl0:
        TRY .i1, .i1r
.i1:    cli
.i1r:   push dword 0x3202               ; IF and IOPL 3: neither may change
        popfd
        pushfd
        pop dword [R_FL1]
        pushfd
        push dword SEL_CODE3
        push dword .i2 + ROM_LINEAR
        or dword [esp + 8], 0x3200
        iretd
.i2:    pushfd
        pop dword [R_FL2]
        TO_RING0 iopl0_back
iopl0_back:
        PRINT "; popfd with IF=1: eflags="
        HEX32 [R_FL1]
        PRINT "; iretd with IF=1: eflags="
        HEX32 [R_FL2]
        NL

;> pm_gates done
        PRINT "pm_gates done", 10
        EXIT 0

; ---- gate targets ----
far_probe:
        PROBE32 retf
gate32:
        mov ax, SEL_DATA0               ; a DPL 0 segment in ES, a DPL 3 one in FS
        mov es, ax
        mov ax, SEL_DATA3
        mov fs, ax
        PROBE32 retf 8
gate_ring1:
        PROBE32 retf 4
gate_ring2:
        PROBE32 retf
gate_conf:
        PROBE32 retf
jmp_conf:
        mov bx, cs
        jmp SEL_CODE3:(jmp_conf_back + ROM_LINEAR)
gate_code3:
        mov bx, cs
        jmp jmp_code3_back
int_probe:
        PROBE32 iretd

        bits 16
; 16-bit code at CPL 3 (CODE3_16, base F0000): a call through the 16-bit gate, INT 44.
ring3_16:
        push word 0x3333
        push word 0x2222
        push word 0x1111
        call CG16:0
.ret:   mov [R_ESP], esp
        mov dword [R_CS], 0
        mov [R_CS], cs
        jmp dword SEL_CODE3:(ring3_16_back + ROM_LINEAR)
ring3_16_int:
        push dword 0x3202
        popfd
        int 0x44
.ret:   push dword 0x3002
        popfd
        mov [R_ESP], esp
        jmp dword SEL_CODE3:(ring3_16_int_back + ROM_LINEAR)
gate16:
        PROBE16 o16 retf 6
int_probe16:
        PROBE16 iret

        ROM_END
