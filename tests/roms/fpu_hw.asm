; fpu_hw.asm: x87 and MMX behaviour where QEMU 7.2 departs from the hardware, so this ROM runs
; under xlat only (tests/rom_test.cpp). The expected lines are the hardware's: each behaviour is
; compared with the host x87 by tests/x87_oracle_test.cpp (every instruction, bit for bit, with
; stack faults and unmasked exceptions) or stated by the SDM where noted.
;   - C1 reports a round-up (SDM Vol. 1, 8.1.3.3): QEMU leaves it clear.
;   - Stack overflow and underflow (SDM Vol. 1, 8.5.1.1): IE and SF, C1 = 1 for an overflow;
;     masked, the indefinite is pushed or stored; unmasked, nothing changes and the next
;     waiting instruction raises #MF. QEMU detects neither.
;   - FCOMI clears OF, SF and AF (SDM Vol. 2A, FCOMI): QEMU keeps them.
;   - #MF comes before any waiting x87 or MMX instruction, not only FWAIT (SDM Vol. 1, 8.7.2;
;     Vol. 3A, 12.5.1); FLDCW that unmasks a flag already set makes it pending (SDM Vol. 2A,
;     FLDCW); FNSTENV masks all exceptions (SDM Vol. 2A, FSTENV). QEMU does none of these.
;   - An MMX write sets the register's exponent and sign to all ones (SDM Vol. 3A, 12.2), and
;     FSTENV computes the tags from the contents (a valid MMX register holding a NaN pattern is
;     "special"). QEMU keeps the exponent and tags differently.
%include "rom.inc"
        ROM_BEGIN

BUF        equ 0x0600   ; RAM scratch (segment 0)
SAVE       equ 0x0700   ; an FSAVE area
EXC_INSN   equ 0x0580   ; the instruction under test (offset in F000)
EXC_COUNT  equ 0x0584   ; exceptions taken during the test

%macro TRY 1
        mov word [ss:EXC_INSN], %1
        mov word [ss:EXC_COUNT], 0
%endmacro

%macro COUNT 0
        PRINT " count="
        HEX8 [ss:EXC_COUNT]
%endmacro

%macro P80 0
        fstp tword [es:BUF]
        HEX16 [es:BUF + 8]
        PRINT ":"
        HEX32 [es:BUF + 4]
        HEX32 [es:BUF]
%endmacro

%macro PSW 0
        fnstsw [es:BUF + 16]
        PRINT " sw="
        HEX16 [es:BUF + 16]
%endmacro

%macro SETCW 1
        mov word [es:BUF + 20], %1
        fldcw [es:BUF + 20]
%endmacro

rom_main:
        mov word [ss:16 * 4], exc16
        mov word [ss:16 * 4 + 2], ROM_SEG
        mov eax, cr0
        or eax, 0x20                    ; CR0.NE: #MF
        mov cr0, eax
        xor ax, ax
        mov es, ax

        ; ---- C1 ----
;> 1/3 rc=nearest: sw=3a20 (c1: rounded up) rc=down: sw=3820
        fninit
        PRINT "1/3 rc=nearest:"
        fld1
        fdiv qword [three]
        PSW
        PRINT " (c1: rounded up) rc=down:"
        fninit
        SETCW 0x077F
        fld1
        fdiv qword [three]
        PSW
        fninit
        NL

        ; ---- masked stack faults ----
;> 9 pushes: sw=3a41 st0=ffff:c000000000000000
        fninit
        PRINT "9 pushes:"
        mov cx, 9
.push:  fld1
        loop .push
        PSW
        PRINT " st0="
        P80
        NL
;> fadd on empty: sw=0041 st0=ffff:c000000000000000; fstp m64 on empty: fff80000 00000000 sw=0841
        fninit
        PRINT "fadd on empty:"
        fadd st0, st1
        PSW
        PRINT " st0="
        P80
        fninit
        PRINT "; fstp m64 on empty: "
        fstp qword [es:BUF + 24]
        HEX32 [es:BUF + 28]
        PRINT " "
        HEX32 [es:BUF + 24]
        PSW
        NL

        ; ---- unmasked stack faults: nothing changes, #MF at the next waiting instruction ----
;> unmasked overflow: sw=82c1 top=00 st0=3fff:8000000000000000; fwait: vector 10 at f000:insn+0000 sw=82c1 count=01
        fninit
        PRINT "unmasked overflow:"
        SETCW 0x037E                    ; IE unmasked
        mov cx, 8
.fill:  fld1
        loop .fill
        fldz                            ; a ninth push: overflow
        PSW
        PRINT " top="
        fnstsw ax
        shr ax, 11
        and al, 7
        HEX8 al
        fnstenv [es:BUF + 32]           ; masks: the stores below do not fault
        PRINT " st0="
        P80
        fldenv [es:BUF + 32]
        PRINT "; fwait:"
        TRY .i1
.i1:    fwait
        COUNT
        fninit
        NL
;> unmasked underflow: sw=80c1 top=00; fwait: vector 10 at f000:insn+0000 sw=80c1 count=01
        fninit
        PRINT "unmasked underflow:"
        SETCW 0x037E
        fadd st0, st1                   ; both empty: nothing is written
        PSW
        PRINT " top="
        fnstsw ax
        shr ax, 11
        and al, 7
        HEX8 al
        PRINT "; fwait:"
        TRY .i2
.i2:    fwait
        COUNT
        fninit
        NL

        ; ---- FCOMI ----
;> fcomi 1,2 with of sf af set: fl=0001
        fninit
        fld qword [two]
        fld1
        PRINT "fcomi 1,2 with of sf af set:"
        SETFL 0x08D5
        fcomi st0, st1
        GETFL
        FL 0x08D5
        fninit
        NL

        ; ---- #MF before any waiting instruction ----
;> 1/0 unmasked, then fadd: vector 10 at f000:insn+0000 sw=b084 count=01; pxor: vector 10 at f000:insn+0000 sw=b084 count=01
        fninit
        SETCW 0x037B                    ; ZE unmasked
        fldz
        fld1
        fdiv st0, st1
        PRINT "1/0 unmasked, then fadd:"
        TRY .i3
.i3:    fadd st0, st0
        COUNT
        fdiv st0, st1
        PRINT "; pxor:"
        TRY .i4
.i4:    pxor mm0, mm0
        COUNT
        emms
        fninit
        NL
;> fldcw unmasking a set flag: fwait: vector 10 at f000:insn+0000 sw=baa0 count=01
        fninit
        fld1
        fdiv qword [three]              ; PE, masked
        SETCW 0x035F                    ; PE unmasked: now pending
        PRINT "fldcw unmasking a set flag: fwait:"
        TRY .i5
.i5:    fwait
        COUNT
        fninit
        NL
;> fnstenv masks everything: cw=037f count=00
        fninit
        SETCW 0x037B
        fldz
        fld1
        fdiv st0, st1
        fnstenv [es:BUF + 32]
        PRINT "fnstenv masks everything: cw="
        fnstcw [es:BUF]
        HEX16 [es:BUF]
        TRY .i6
.i6:    fwait
        COUNT
        fninit
        NL

        ; ---- MMX and the x87 registers ----
;> movq mm2: r2=ffff:0123456789abcdef tw=402a top=00
        ; (FSAVE's tags: R0 (0 with an exponent of all ones: unsupported), R1 (-inf) and R2 special,
        ; R3-R6 valid (the 1.0 left by the pushes above), R7 zero)
        fninit
        fldz                            ; R7 = 0
        fld1                            ; R6 = 1
        fstp st0
        fstp st0
        movq mm1, [mmx_one]             ; R1's significand: 1.0 with an exponent of all ones
        pxor mm0, mm0
        movq mm2, [mmx_x]
        fnsave [es:SAVE]                ; (FNSAVE reinitializes; FRSTOR puts it back)
        frstor [es:SAVE]
        PRINT "movq mm2: r2="
        HEX16 [es:SAVE + 14 + 2 * 10 + 8]
        PRINT ":"
        HEX32 [es:SAVE + 14 + 2 * 10 + 4]
        HEX32 [es:SAVE + 14 + 2 * 10]
        PRINT " tw="
        HEX16 [es:SAVE + 4]
        PRINT " top="
        fnstsw ax
        shr ax, 11
        and al, 7
        HEX8 al
        emms
        NL

;> fpu_hw done
        PRINT "fpu_hw done", 10
        EXIT 0

; #MF: [bp+2] = AX, [bp+4] = IP, [bp+6] = CS. Reports, clears the exceptions, resumes at the
; instruction (which then runs).
exc16:  push ax
        push bp
        mov bp, sp
        PRINT " vector 10 at "
        HEX16 [bp + 6]
        PRINT ":insn+"
        mov ax, [bp + 4]
        sub ax, [ss:EXC_INSN]
        HEX16 ax
        fnstsw ax
        PRINT " sw="
        HEX16 ax
        inc word [ss:EXC_COUNT]
        fnclex
        pop bp
        pop ax
        iret

        align 8
two:     dq 2.0
three:   dq 3.0
mmx_one: dq 0x8000000000000000
mmx_x:   dq 0x0123456789ABCDEF

        ROM_END
