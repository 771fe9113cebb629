; control.asm: Jcc (all 16 conditions, short and near forms), JMP (short, near, register,
; memory, far direct and far indirect), CALL/RET (near relative, register, memory, far direct and
; indirect, RET imm16, RETF, RETF imm16, a 32-bit operand-size CALL/RET), LOOP/LOOPE/LOOPNE,
; JCXZ/JECXZ, INT n/IRET through vectors set in the IVT, in real mode.
;
; Far transfers go to the segment EF00: EF00:(x + 1000) is the same byte as F000:x, so the ROM's
; code runs there with a different CS. Return addresses are printed relative to the label they
; must equal ("+0000" when right).
%include "rom.inc"
        ROM_BEGIN

BUF   equ 0x0600        ; RAM scratch (segment 0)
ALIAS equ 0xEF00        ; EF00:(x + 1000) = F000:x
ALIAS_OFF equ (ROM_SEG - ALIAS) * 16

; JCC1 cc, flags, near?: prints "T" when Jcc is taken with FLAGS = flags, "." when not
%macro JCC1 3
        SETFL %2
%if %3
        j%1 near %%taken
%else
        j%1 short %%taken
%endif
        PRINT "."
        jmp %%next
%%taken:
        PRINT "T"
%%next:
%endmacro

; JCC_ROW flags, near?: one line, the 16 conditions in opcode order
; (o no b nb z nz be nbe s ns p np l nl le nle).
%macro JCC_ROW 2
%if %2
        PRINT "jcc near fl="
%else
        PRINT "jcc fl="
%endif
        HEX16 %1
        PRINT " "
        JCC1 o, %1, %2
        JCC1 no, %1, %2
        JCC1 b, %1, %2
        JCC1 nb, %1, %2
        JCC1 z, %1, %2
        JCC1 nz, %1, %2
        JCC1 be, %1, %2
        JCC1 nbe, %1, %2
        JCC1 s, %1, %2
        JCC1 ns, %1, %2
        JCC1 p, %1, %2
        JCC1 np, %1, %2
        JCC1 l, %1, %2
        JCC1 nl, %1, %2
        JCC1 le, %1, %2
        JCC1 nle, %1, %2
        NL
%endmacro

rom_main:
        mov ax, 0
        mov es, ax

        ; ---- Jcc: o no b nb z nz be nbe s ns p np l nl le nle ----
;> jcc fl=0000 .T.T.T.T.T.T.T.T
        JCC_ROW 0x0000, 0
;> jcc fl=0001 .TT..TT..T.T.T.T
        JCC_ROW 0x0001, 0
;> jcc fl=0040 .T.TT.T..T.T.TT.
        JCC_ROW 0x0040, 0
;> jcc fl=0080 .T.T.T.TT..TT.T.
        JCC_ROW 0x0080, 0
;> jcc fl=0800 T..T.T.T.T.TT.T.
        JCC_ROW 0x0800, 0
;> jcc fl=0004 .T.T.T.T.TT..T.T
        JCC_ROW 0x0004, 0
;> jcc fl=0880 T..T.T.TT..T.T.T
        JCC_ROW 0x0880, 0
;> jcc fl=08d5 T.T.T.T.T.T..TT.
        JCC_ROW 0x08d5, 0
;> jcc near fl=0000 .T.T.T.T.T.T.T.T
        JCC_ROW 0x0000, 1
;> jcc near fl=0041 .TT.T.T..T.T.TT.
        JCC_ROW 0x0041, 1
;> jcc near fl=0884 T..T.T.TT.T..T.T
        JCC_ROW 0x0884, 1

        ; ---- JMP ----
;> jmp short, near, reg, [mem], far ptr16:16, far [m16:16]: ok cs=ef00 then cs=f000
        jmp short .j1
        PRINT "jmp short not taken", 10
.j1:    jmp near .j2
        PRINT "jmp near not taken", 10
.j2:    mov bx, .j3
        jmp bx
        PRINT "jmp reg not taken", 10
.j3:    mov word [es:BUF], .j4
        jmp word [es:BUF]
        PRINT "jmp [mem] not taken", 10
.j4:    jmp ALIAS:(.j5 + ALIAS_OFF)
        PRINT "jmp far not taken", 10
.j5:    mov dx, cs                      ; EF00
        mov word [es:BUF], .j6
        mov word [es:BUF + 2], ROM_SEG
        jmp far [es:BUF]
        PRINT "jmp far [mem] not taken", 10
.j6:    mov cx, cs
        PRINT "jmp short, near, reg, [mem], far ptr16:16, far [m16:16]: ok cs="
        HEX16 dx
        PRINT " then cs="
        HEX16 cx
        NL

        ; ---- CALL / RET near ----
;> call rel16: [sp]=ret+0000 pushed 0002; ret: sp back +0000
        mov bp, sp
        call near_callee
.r1:    sub bp, sp
        PRINT "; ret: sp back +"
        HEX16 bp
        NL
;> call reg: [sp]=ret+0000 pushed 0002; ret: sp back +0000
        mov bp, sp
        mov ax, .r2
        mov [es:BUF + 4], ax
        mov bx, near_callee_reg
        call bx
.r2:    sub bp, sp
        PRINT "; ret: sp back +"
        HEX16 bp
        NL
;> call [mem]: [sp]=ret+0000 pushed 0002; ret 6: sp back +0000
        mov bp, sp
        mov ax, .r3
        mov [es:BUF + 4], ax
        push word 0x1111
        push word 0x2222
        push word 0x3333
        mov word [es:BUF], near_callee_ret6
        call word [es:BUF]
.r3:    sub bp, sp
        PRINT "; ret 6: sp back +"
        HEX16 bp
        NL
;> o32 call rel32: pushed 0004, [sp]=0000+ret+0000; o32 ret: sp back +0000
        mov bp, sp
        call dword near_callee32        ; 66 E8 rel32
.r4:    sub bp, sp
        PRINT "; o32 ret: sp back +"
        HEX16 bp
        NL

        ; ---- CALL / RET far ----
;> call far ptr16:16: cs=ef00 [sp]=f000:ret+0000 pushed 0004; retf: cs=f000 sp back +0000
        mov bp, sp
        call ALIAS:(far_callee + ALIAS_OFF)
.f1:    mov cx, cs
        sub bp, sp
        PRINT "; retf: cs="
        HEX16 cx
        PRINT " sp back +"
        HEX16 bp
        NL
;> call far [m16:16]: cs=ef00 [sp]=f000:ret+0000 pushed 0004; retf 4: cs=f000 sp back +0000
        mov bp, sp
        push word 0x4444
        push word 0x5555
        mov word [es:BUF], far_callee_ret4 + ALIAS_OFF
        mov word [es:BUF + 2], ALIAS
        call far [es:BUF]
.f2:    mov cx, cs
        sub bp, sp
        PRINT "; retf 4: cs="
        HEX16 cx
        PRINT " sp back +"
        HEX16 bp
        NL

        ; ---- LOOP / LOOPE / LOOPNE / JCXZ / JECXZ ----
;> loop: 5 iterations, cx=0000
        mov cx, 5
        mov ax, 0
.l1:    inc ax
        loop .l1
        PRINT "loop: "
        call putdigit
        PRINT " iterations, cx="
        HEX16 cx
        NL
;> loop (a16) with ecx=00050003: 3 iterations, ecx=00050000
        mov ecx, 0x00050003
        mov ax, 0
.l2:    inc ax
        loop .l2
        PRINT "loop (a16) with ecx=00050003: "
        call putdigit
        PRINT " iterations, ecx="
        HEX32 ecx
        NL
;> a32 loop with ecx=00010001: 65537 iterations (00010001), ecx=00000000
        mov ecx, 0x00010001
        mov eax, 0
.l3:    inc eax
        a32 loop .l3
        PRINT "a32 loop with ecx=00010001: 65537 iterations ("
        HEX32 eax
        PRINT "), ecx="
        HEX32 ecx
        NL
;> loope over 'aaab': stops at 'b' with cx=0006 zf=0
        mov si, aaab
        mov cx, 10
.l4:    lodsb
        cmp al, 'a'
        loope .l4
        GETFL
        PRINT "loope over 'aaab': stops at '"
        call putc
        PRINT "' with cx="
        HEX16 cx
        pop ax
        and ax, FL_ZF
        shr ax, 6
        PRINT " zf="
        call putdigit
        NL
;> loopne for 'x' in 'abcxyz': stops at 'x' with cx=0006
        mov si, abcxyz
        mov cx, 10
.l5:    lodsb
        cmp al, 'x'
        loopne .l5
        PRINT "loopne for 'x' in 'abcxyz': stops at '"
        call putc
        PRINT "' with cx="
        HEX16 cx
        NL
;> loope ends on cx=0 though zf=1: cx=0000 3 iterations
        mov cx, 3
        mov ax, 0
.l6:    inc ax
        cmp ax, ax
        loope .l6
        PRINT "loope ends on cx=0 though zf=1: cx="
        HEX16 cx
        PRINT " "
        call putdigit
        PRINT " iterations", 10
;> jcxz cx=0: T; jcxz cx=1: .; jcxz ecx=00010000: T; jecxz ecx=00010000: .; jecxz ecx=0: T
        PRINT "jcxz cx=0: "
        mov cx, 0
        jcxz .c1
        PRINT "."
        jmp .c1n
.c1:    PRINT "T"
.c1n:   PRINT "; jcxz cx=1: "
        mov cx, 1
        jcxz .c2
        PRINT "."
        jmp .c2n
.c2:    PRINT "T"
.c2n:   PRINT "; jcxz ecx=00010000: "
        mov ecx, 0x00010000
        jcxz .c3
        PRINT "."
        jmp .c3n
.c3:    PRINT "T"
.c3n:   PRINT "; jecxz ecx=00010000: "
        jecxz .c4
        PRINT "."
        jmp .c4n
.c4:    PRINT "T"
.c4n:   PRINT "; jecxz ecx=0: "
        mov ecx, 0
        jecxz .c5
        PRINT "."
        jmp .c5n
.c5:    PRINT "T"
.c5n:   NL

        ; ---- INT n / IRET through the IVT ----
;> int 40: frame ip=ret+0000 cs=f000 fl=08d7, in handler fl=08d7; iret: ax=1235 fl=08d6 sp back +0000
        mov word [es:0x40 * 4], int40_handler
        mov word [es:0x40 * 4 + 2], ROM_SEG
        mov bp, sp
        mov ax, 0x1234
        SETFL FL_ARITH
        int 0x40
.i1:    GETFL
        sub bp, sp
        sub bp, 2                       ; the flags GETFL pushed
        PRINT "; iret: ax="
        HEX16 ax
        FL 0xffff
        PRINT " sp back +"
        HEX16 bp
        NL
;> int 41 (handler in segment ef00): cs=ef00 frame ip=ret+0000 cs=f000 fl=0002; iret: cs=f000
        mov word [es:0x41 * 4], int41_handler + ALIAS_OFF
        mov word [es:0x41 * 4 + 2], ALIAS
        SETFL 0
        int 0x41
.i2:    mov cx, cs
        PRINT "; iret: cs="
        HEX16 cx
        NL

;> control done
        PRINT "control done", 10
        EXIT 0

aaab:   db "aaab"
abcxyz: db "abcxyz"

; putdigit: prints AL (0-9) as a digit.
putdigit:
        push ax
        add al, '0'
        call putc
        pop ax
        ret

; near_callee: prints "call rel16: [sp]=ret+XXXX pushed XXXX" (BP = SP before the call).
near_callee:
        mov bx, sp
        mov ax, [ss:bx]
        sub ax, rom_main.r1
        PRINT "call rel16: [sp]=ret+"
        HEX16 ax
        mov ax, bp
        sub ax, bx
        PRINT " pushed "
        HEX16 ax
        ret

; near_callee_reg: the same for CALL reg / CALL [mem]; the expected return address is at 0:BUF+4.
near_callee_reg:
        mov bx, sp
        mov ax, [ss:bx]
        sub ax, [es:BUF + 4]
        PRINT "call reg: [sp]=ret+"
        HEX16 ax
        mov ax, bp
        sub ax, bx
        PRINT " pushed "
        HEX16 ax
        ret

near_callee_ret6:
        mov bx, sp
        mov ax, [ss:bx]
        sub ax, [es:BUF + 4]
        PRINT "call [mem]: [sp]=ret+"
        HEX16 ax
        mov ax, bp
        sub ax, bx
        sub ax, 6                       ; the three words pushed before the call
        PRINT " pushed "
        HEX16 ax
        ret 6

; near_callee32: called with a 32-bit operand size: the return address is a dword.
near_callee32:
        mov bx, sp
        mov ax, bp
        sub ax, bx
        PRINT "o32 call rel32: pushed "
        HEX16 ax
        PRINT ", [sp]="
        HEX16 [ss:bx + 2]
        PRINT "+ret+"
        mov ax, [ss:bx]
        sub ax, rom_main.r4
        HEX16 ax
        o32 ret

; far_callee: runs at EF00:x+1000.
far_callee:
        mov bx, sp
        mov cx, cs
        PRINT "call far ptr16:16: cs="
        HEX16 cx
        PRINT " [sp]="
        HEX16 [ss:bx + 2]
        PRINT ":ret+"
        mov ax, [ss:bx]
        sub ax, rom_main.f1
        HEX16 ax
        mov ax, bp
        sub ax, bx
        PRINT " pushed "
        HEX16 ax
        retf

far_callee_ret4:
        mov bx, sp
        mov cx, cs
        PRINT "call far [m16:16]: cs="
        HEX16 cx
        PRINT " [sp]="
        HEX16 [ss:bx + 2]
        PRINT ":ret+"
        mov ax, [ss:bx]
        sub ax, rom_main.f2
        HEX16 ax
        mov ax, bp
        sub ax, bx
        sub ax, 4                       ; the two words pushed before the call
        PRINT " pushed "
        HEX16 ax
        retf 4

; int40_handler: prints the frame, AX += 1, clears CF in the saved flags.
int40_handler:
        GETFL                           ; the flags inside the handler
        push bp
        mov bp, sp
        PRINT "int 40: frame ip=ret+"
        push ax
        mov ax, [bp + 4]
        sub ax, rom_main.i1
        HEX16 ax
        pop ax
        PRINT " cs="
        HEX16 [bp + 6]
        PRINT " fl="
        HEX16 [bp + 8]
        PRINT ", in handler"
        pop bp
        FL 0xffff
        inc ax
        push bp
        mov bp, sp
        and word [bp + 6], ~FL_CF
        pop bp
        iret

; int41_handler: runs at EF00:x+1000.
int41_handler:
        push bp
        mov bp, sp
        mov cx, cs
        PRINT "int 41 (handler in segment ef00): cs="
        HEX16 cx
        PRINT " frame ip=ret+"
        mov ax, [bp + 2]
        sub ax, rom_main.i2
        HEX16 ax
        PRINT " cs="
        HEX16 [bp + 4]
        PRINT " fl="
        HEX16 [bp + 6]
        pop bp
        iret

        ROM_END
