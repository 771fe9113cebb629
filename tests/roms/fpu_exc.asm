; fpu_exc.asm: the x87 exceptions in real mode, through handlers in the IVT (SDM Vol. 3A, 2.5,
; Table 2-2, and Vol. 1, 8.7):
;   #NM (7) for x87 instructions with CR0.EM or CR0.TS, for WAIT only with CR0.MP and CR0.TS,
;        for MMX with CR0.TS; #UD (6) for MMX with CR0.EM;
;   #MF (16) with CR0.NE=1: an unmasked exception is only recorded by the instruction that
;        raises it, and reported before the next waiting instruction (here FWAIT), never by
;        the no-wait ones (FNSTSW);
;   CR0.NE=0: no #MF (the error goes to FERR#/IRQ13; IF stays clear here, so nothing arrives).
; Not tested here: FERR# delivered as IRQ13 through the PIC (xlat has no PIC yet: the chipset
; issue wires Cpu::ferr_hook to IRQ13; tests/x87_unit_test.cpp checks the hook), and what QEMU
; does differently from the hardware: #MF before a waiting instruction other than FWAIT (QEMU
; checks only at FWAIT), FLDCW unmasking a flag already set, FNSTENV masking the exceptions,
; and stack faults, which QEMU does not detect. tests/roms/fpu_hw.asm tests those, under xlat.
;
; The #NM handler clears CR0.EM and CR0.TS and returns to the instruction, which then runs: a
; lazy FPU switch. The #MF handler prints the status word, clears the exceptions (FNCLEX) and
; returns to the instruction, which then runs. Lines print the vector and the IP on the stack
; relative to the instruction under test (+0000: a fault, reported before it ran), and what the
; instruction did in the end.
%include "rom.inc"
        ROM_BEGIN

BUF        equ 0x0600   ; RAM scratch (segment 0)
EXC_INSN   equ 0x0580   ; the instruction under test (offset in F000)
EXC_RESUME equ 0x0582   ; where the #UD handler resumes
EXC_COUNT  equ 0x0584   ; exceptions taken during the test

%macro TRY 2
        mov word [ss:EXC_INSN], %1
        mov word [ss:EXC_RESUME], %2
        mov word [ss:EXC_COUNT], 0
%endmacro

%macro COUNT 0
        PRINT " count="
        HEX8 [ss:EXC_COUNT]
%endmacro

%macro SETVEC 2
        mov word [ss:%1 * 4], %2
        mov word [ss:%1 * 4 + 2], ROM_SEG
%endmacro

; CR0SET bits / CR0CLR bits
%macro CR0SET 1
        mov eax, cr0
        or eax, %1
        mov cr0, eax
%endmacro
%macro CR0CLR 1
        mov eax, cr0
        and eax, ~(%1)
        mov cr0, eax
%endmacro

CR0_MP equ 2
CR0_EM equ 4
CR0_TS equ 8
CR0_NE equ 0x20

; PTOP: prints " top=N" (the stack top after the instruction ran)
%macro PTOP 0
        fnstsw [es:BUF]
        PRINT " top="
        mov ax, [es:BUF]
        shr ax, 11
        and al, 7
        HEX8 al
%endmacro

rom_main:
        SETVEC 6, exc6
        SETVEC 7, exc7
        SETVEC 16, exc16
        xor ax, ax
        mov es, ax
        fninit

        ; ---- #NM ----
;> fld1 em=1: vector 07 at f000:insn+0000 then ran: top=07 count=01
        PRINT "fld1 em=1:"
        CR0SET CR0_EM
        TRY .i1, .r1
.i1:    fld1
.r1:    PRINT " then ran:"
        PTOP
        COUNT
        NL
;> fld1 ts=1: vector 07 at f000:insn+0000 then ran: top=06 count=01
        PRINT "fld1 ts=1:"
        CR0SET CR0_TS
        TRY .i2, .r2
.i2:    fld1
.r2:    PRINT " then ran:"
        PTOP
        COUNT
        NL
;> fninit ts=1 (no-wait forms too): vector 07 at f000:insn+0000 then ran: top=00 count=01
        PRINT "fninit ts=1 (no-wait forms too):"
        CR0SET CR0_TS
        TRY .i3, .r3
.i3:    fninit
.r3:    PRINT " then ran:"
        PTOP
        COUNT
        NL
;> fwait ts=1 mp=0: count=00; ts=1 mp=1: vector 07 at f000:insn+0000 count=01; em=1 mp=0: count=00
        PRINT "fwait ts=1 mp=0:"
        CR0SET CR0_TS
        TRY .i4, .r4
.i4:    fwait
.r4:    COUNT
        PRINT "; ts=1 mp=1:"
        CR0SET CR0_TS | CR0_MP
        TRY .i5, .r5
.i5:    fwait
.r5:    COUNT
        CR0CLR CR0_MP
        PRINT "; em=1 mp=0:"
        CR0SET CR0_EM
        TRY .i6, .r6
.i6:    fwait
.r6:    COUNT
        CR0CLR CR0_EM
        NL
;> mmx ts=1: vector 07 at f000:insn+0000 count=01; em=1: vector 06 at f000:insn+0000 count=01
        PRINT "mmx ts=1:"
        CR0SET CR0_TS
        TRY .i7, .r7
.i7:    pxor mm0, mm0
.r7:    COUNT
        PRINT "; em=1:"
        CR0SET CR0_EM
        TRY .i8, .r8
.i8:    pxor mm0, mm0
.r8:    COUNT
        CR0CLR CR0_EM
        emms
        NL

        ; ---- #MF (CR0.NE = 1) ----
        CR0SET CR0_NE
;> 1/0 unmasked: fdiv count=00; fnstsw count=00 sw=b084; fwait: vector 10 at f000:insn+0000 sw=b084 count=01
        fninit
        mov word [es:BUF + 2], 0x037B   ; ZE unmasked
        fldcw [es:BUF + 2]
        fldz
        fld1
        PRINT "1/0 unmasked: fdiv"
        TRY .i9, .r9
.i9:    fdiv st0, st1
.r9:    COUNT
        PRINT "; fnstsw"
        TRY .i10, .r10
.i10:   fnstsw [es:BUF]
.r10:   COUNT
        PRINT " sw="
        HEX16 [es:BUF]
        PRINT "; fwait:"
        TRY .i11, .r11
.i11:   fwait
.r11:   COUNT
        NL
        ; ---- CR0.NE = 0 ----
;> ne=0, 1/0 unmasked, fwait: count=00 sw=b084
        CR0CLR CR0_NE
        fninit
        mov word [es:BUF + 2], 0x037B
        fldcw [es:BUF + 2]
        fldz
        fld1
        fdiv st0, st1
        PRINT "ne=0, 1/0 unmasked, fwait:"
        TRY .i17, .r17
.i17:   fwait
.r17:   COUNT
        fnstsw [es:BUF]
        PRINT " sw="
        HEX16 [es:BUF]
        fninit
        NL

;> fpu_exc done
        PRINT "fpu_exc done", 10
        EXIT 0

; ---- handlers: [bp+2] = AX, [bp+4] = IP, [bp+6] = CS, [bp+8] = FLAGS ----
exc6:   push ax
        mov al, 0x06
        jmp exc_common
exc7:   push ax
        mov al, 0x07
        jmp exc_common
exc16:  push ax
        mov al, 0x10
exc_common:
        push bp
        mov bp, sp
        PRINT " vector "
        HEX8 al
        PRINT " at "
        HEX16 [bp + 6]
        PRINT ":insn+"
        push ax
        mov ax, [bp + 4]
        sub ax, [ss:EXC_INSN]
        HEX16 ax
        pop ax
        inc word [ss:EXC_COUNT]
        cmp al, 0x07
        je .nm
        cmp al, 0x10
        je .mf
        mov ax, [ss:EXC_RESUME]         ; #UD: skip the instruction
        mov [bp + 4], ax
        jmp .done
.nm:    push eax                        ; #NM: let the FPU be used, run the instruction again
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        mov cr0, eax
        pop eax
        jmp .done
.mf:    fnstsw ax                       ; #MF: report, clear, run the instruction again
        PRINT " sw="
        HEX16 ax
        fnclex
.done:  pop bp
        pop ax
        iret

        align 8
three:  dq 3.0

        ROM_END
