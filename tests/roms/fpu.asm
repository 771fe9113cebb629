; fpu.asm: the x87 FPU and MMX in real mode, results printed bit for bit: FNINIT state, the
; constants under each rounding mode, arithmetic at the three precisions, square root, rounding to
; integers, integer and BCD stores, compares (FCOM/FUCOM/FCOMI condition codes), FXAM classes,
; masked stack overflow and underflow, FSAVE/FRSTOR, and MMX with its aliasing of the x87 registers.
;
; Values print as "ssss:mmmmmmmmmmmmmmmm" (sign and exponent, then the 64-bit significand) after
; FSTP TBYTE; status words print with C1 masked out (sw=, the AND of 0xFDFF): QEMU does not
; report round-ups in C1. The expected lines come from QEMU 7.2 and agree with the host x87
; (tests/x87_oracle_test.cpp compares every instruction with the hardware).
; Left out because QEMU departs from the hardware there (tests/roms/fpu_hw.asm has them, under
; xlat only): C1, stack faults, FCOMI clearing OF/SF/AF, the exponent of MMX registers and the
; tags FSTENV computes after MMX code. Not printed either: the transcendental instructions,
; whose results QEMU computes in double precision.
%include "rom.inc"
        ROM_BEGIN

BUF  equ 0x0600         ; RAM scratch (segment 0, through ES)
SAVE equ 0x0700         ; an FSAVE area

; P80: pops ST(0) into BUF and prints it as ssss:mmmmmmmmmmmmmmmm
%macro P80 0
        fstp tword [es:BUF]
        HEX16 [es:BUF + 8]
        PRINT ":"
        HEX32 [es:BUF + 4]
        HEX32 [es:BUF]
%endmacro

; PSW: prints " sw=XXXX", the status word without C1
%macro PSW 0
        fnstsw [es:BUF + 16]
        and word [es:BUF + 16], 0xFDFF
        PRINT " sw="
        HEX16 [es:BUF + 16]
%endmacro

; SETCW v: loads the control word v
%macro SETCW 1
        mov word [es:BUF + 20], %1
        fldcw [es:BUF + 20]
%endmacro

rom_main:
        xor ax, ax
        mov es, ax

        ; ---- FNINIT ----
;> fninit: cw=037f sw=0000 tw=ffff
        fninit
        fnstcw [es:BUF]
        fnstenv [es:BUF + 32]
        PRINT "fninit: cw="
        HEX16 [es:BUF]
        PSW
        PRINT " tw="
        HEX16 [es:BUF + 32 + 4]
        NL

        ; ---- constants under each rounding mode ----
;> fldpi rc=nearest: 4000:c90fdaa22168c235 rc=down: 4000:c90fdaa22168c234 rc=up: 4000:c90fdaa22168c235 rc=zero: 4000:c90fdaa22168c234
        PRINT "fldpi"
        call constants_pi
        NL
;> fldl2e rc=nearest: 3fff:b8aa3b295c17f0bc rc=down: 3fff:b8aa3b295c17f0bb rc=up: 3fff:b8aa3b295c17f0bc rc=zero: 3fff:b8aa3b295c17f0bb
        PRINT "fldl2e"
        call constants_l2e
        NL
;> fldl2t rc=nearest: 4000:d49a784bcd1b8afe rc=down: 4000:d49a784bcd1b8afe rc=up: 4000:d49a784bcd1b8aff rc=zero: 4000:d49a784bcd1b8afe
        PRINT "fldl2t"
        call constants_l2t
        NL
;> fldlg2 3ffd:9a209a84fbcff799 fldln2 3ffe:b17217f7d1cf79ac fld1 3fff:8000000000000000 fldz 0000:0000000000000000
        fninit
        PRINT "fldlg2 "
        fldlg2
        P80
        PRINT " fldln2 "
        fldln2
        P80
        PRINT " fld1 "
        fld1
        P80
        PRINT " fldz "
        fldz
        P80
        NL

        ; ---- 1/3 at each precision (PC = 24, 53, 64 bits) ----
;> 1/3 pc=24: sw=3820 3ffd:aaaaab0000000000
        PRINT "1/3 pc=24:"
        SETCW 0x007F
        call one_third
;> 1/3 pc=53: sw=3820 3ffd:aaaaaaaaaaaaa800
        PRINT "1/3 pc=53:"
        SETCW 0x027F
        call one_third
;> 1/3 pc=64: sw=3820 3ffd:aaaaaaaaaaaaaaab
        PRINT "1/3 pc=64:"
        SETCW 0x037F
        call one_third
;> 1/3 pc=64 rc=down: sw=3820 3ffd:aaaaaaaaaaaaaaaa
        PRINT "1/3 pc=64 rc=down:"
        SETCW 0x077F
        call one_third

        ; ---- more arithmetic ----
;> sqrt(2): sw=3820 3fff:b504f333f9de6484
        fninit
        PRINT "sqrt(2):"
        fld qword [two]
        fsqrt
        PSW
        PRINT " "
        P80
        NL
;> fstp m64 of 1e300*1e300 (overflow to inf): sw=0028 7ff00000 00000000
        fninit
        PRINT "fstp m64 of 1e300*1e300 (overflow to inf):"
        fld qword [big]
        fmul qword [big]
        fstp qword [es:BUF + 24]
        PSW
        PRINT " "
        HEX32 [es:BUF + 28]
        PRINT " "
        HEX32 [es:BUF + 24]
        NL
;> max*2 rc=zero (overflow to max): sw=3828 7ffe:ffffffffffffffff
        fninit
        PRINT "max*2 rc=zero (overflow to max):"
        SETCW 0x0F7F
        fld tword [max80]
        fadd st0, st0
        PSW
        PRINT " "
        P80
        NL
;> 0/0: sw=3801 ffff:c000000000000000
        fninit
        PRINT "0/0:"
        fldz
        fldz
        fdivp st1, st0
        PSW
        PRINT " "
        P80
        NL
;> 1/-0: sw=3804 ffff:8000000000000000
        fninit
        PRINT "1/-0:"
        fld1
        fldz
        fchs
        fdivp st1, st0
        PSW
        PRINT " "
        P80
        NL

        ; ---- rounding to integers ----
;> frndint 2.5 nearest=4000:8000000000000000 down=4000:8000000000000000 up=4000:c000000000000000 zero=4000:8000000000000000
        PRINT "frndint 2.5"
        mov bx, rnd_25
        call frndint_modes
;> frndint -2.5 nearest=c000:8000000000000000 down=c000:c000000000000000 up=c000:8000000000000000 zero=c000:8000000000000000
        PRINT "frndint -2.5"
        mov bx, rnd_m25
        call frndint_modes
;> fistp m16 -32768.5 nearest: 8000 sw=0020; 32767.5 nearest: 8000 sw=0001
        fninit
        PRINT "fistp m16 -32768.5 nearest: "
        fld qword [m32768_5]
        fistp word [es:BUF + 24]
        HEX16 [es:BUF + 24]
        PSW
        fninit
        PRINT "; 32767.5 nearest: "
        fld qword [p32767_5]
        fistp word [es:BUF + 24]
        HEX16 [es:BUF + 24]
        PSW
        NL
;> fistp m64 -1e18: f21f494c589c0000 sw=0000
        fninit
        PRINT "fistp m64 -1e18: "
        fld qword [m1e18]
        fistp qword [es:BUF + 24]
        HEX32 [es:BUF + 28]
        HEX32 [es:BUF + 24]
        PSW
        NL
;> fbstp -123456789012345678: 80123456789012345678 sw=0000
        fninit
        PRINT "fbstp -123456789012345678: "
        fild qword [bcd_src]
        fchs
        fbstp tword [es:BUF + 24]
        mov bx, 9
.bcd:   HEX8 [es:BUF + 24 + bx]
        dec bx
        jns .bcd
        PSW
        NL

        ; ---- compares ----
;> fcom 1,2: sw=3100 1,1: sw=7000 2,1: sw=3000 1,nan: sw=7501 fucom 1,nan: sw=7500
        fninit
        PRINT "fcom 1,2:"
        fld qword [two]
        fld1
        fcom st1
        PSW
        PRINT " 1,1:"
        fcom st0
        PSW
        fxch
        PRINT " 2,1:"
        fcom st1
        PSW
        fninit
        PRINT " 1,nan:"
        fld qword [qnan]
        fld1
        fcom st1
        PSW
        fnclex
        PRINT " fucom 1,nan:"
        fucom st1
        PSW
        NL
;> fcomi 1,2: fl=0001 1,1: fl=0040 2,1: fl=0000 fucomi 1,nan: fl=0045
        ; (ZF PF CF only: QEMU leaves OF SF AF, which FCOMI clears)
        fninit
        PRINT "fcomi 1,2:"
        fld qword [two]
        fld1
        SETFL 0x0045
        fcomi st0, st1
        GETFL
        FL 0x0045
        PRINT " 1,1:"
        fcomi st0, st0
        GETFL
        FL 0x0045
        fxch
        PRINT " 2,1:"
        fcomi st0, st1
        GETFL
        FL 0x0045
        fninit
        fld qword [qnan]
        fld1
        PRINT " fucomi 1,nan:"
        fucomi st0, st1
        GETFL
        FL 0x0045
        NL

        ; ---- FXAM ----
;> fxam empty=4100 zero=4000 -1=0600 inf=0500 nan=0100 denormal=4400 unsupported=0000
        fninit
        PRINT "fxam empty="
        fxam
        call cc
        PRINT " zero="
        fldz
        fxam
        call cc
        fstp st0
        PRINT " -1="
        fld1
        fchs
        fxam
        call cc
        fstp st0
        PRINT " inf="
        fld tword [inf80]
        fxam
        call cc
        fstp st0
        PRINT " nan="
        fld qword [qnan]
        fxam
        call cc
        fstp st0
        PRINT " denormal="
        fld tword [denorm80]
        fxam
        call cc
        fstp st0
        PRINT " unsupported="
        fld tword [unnormal80]
        fxam
        call cc
        fstp st0
        NL

        ; ---- FSAVE / FRSTOR ----
;> fsave: cw=037f sw=3000 tw=0fff st0=3fff:8000000000000000; after: cw=037f tw=ffff; frstor: st1=4000:8000000000000000
        fninit
        fld qword [two]
        fld1
        PRINT "fsave:"
        fnsave [es:SAVE]
        PRINT " cw="
        HEX16 [es:SAVE]
        PRINT " sw="
        HEX16 [es:SAVE + 2]
        PRINT " tw="
        HEX16 [es:SAVE + 4]
        PRINT " st0="
        HEX16 [es:SAVE + 14 + 8]
        PRINT ":"
        HEX32 [es:SAVE + 14 + 4]
        HEX32 [es:SAVE + 14]
        PRINT "; after: cw="
        fnstcw [es:BUF]
        HEX16 [es:BUF]
        fnstenv [es:BUF + 32]
        PRINT " tw="
        HEX16 [es:BUF + 32 + 4]
        frstor [es:SAVE]
        fstp st0
        PRINT "; frstor: st1="
        P80
        NL

        ; ---- MMX ----
;> paddusb: ffff8080ff7f0201 pmaddwd: 000000010000000d packsswb: 0201807f80017f7f
        fninit
        PRINT "paddusb: "
        movq mm0, [mmx_a]
        paddusb mm0, [mmx_b]
        movq [es:BUF], mm0
        HEX32 [es:BUF + 4]
        HEX32 [es:BUF]
        PRINT " pmaddwd: "
        movq mm1, [mmx_c]
        pmaddwd mm1, [mmx_c]
        movq [es:BUF], mm1
        HEX32 [es:BUF + 4]
        HEX32 [es:BUF]
        PRINT " packsswb: "
        movq mm2, [mmx_d]
        packsswb mm2, [mmx_e]
        movq [es:BUF], mm2
        HEX32 [es:BUF + 4]
        HEX32 [es:BUF]
        NL
;> emms: tw=ffff
        emms
        fnstenv [es:BUF + 32]
        PRINT "emms: tw="
        HEX16 [es:BUF + 32 + 4]
        NL

;> fpu done
        PRINT "fpu done", 10
        EXIT 0

; ---- helpers ----

; Prints " rc=NAME: value" for FLDPI under the four rounding modes (and likewise below).
%macro CONSTANTS 1
        fninit
        PRINT " rc=nearest: "
        %1
        P80
        SETCW 0x077F
        PRINT " rc=down: "
        %1
        P80
        SETCW 0x0B7F
        PRINT " rc=up: "
        %1
        P80
        SETCW 0x0F7F
        PRINT " rc=zero: "
        %1
        P80
        ret
%endmacro
constants_pi:  CONSTANTS fldpi
constants_l2e: CONSTANTS fldl2e
constants_l2t: CONSTANTS fldl2t

; one_third: 1/3 under the current control word; prints the value and the status word.
one_third:
        fld1
        fdiv qword [three]
        PSW
        fnclex
        PRINT " "
        P80
        NL
        fninit
        ret

; frndint_modes: FRNDINT of the double at [bx] under each rounding mode.
frndint_modes:
        fninit
        PRINT " nearest="
        fld qword [bx]
        frndint
        P80
        SETCW 0x077F
        PRINT " down="
        fld qword [bx]
        frndint
        P80
        SETCW 0x0B7F
        PRINT " up="
        fld qword [bx]
        frndint
        P80
        SETCW 0x0F7F
        PRINT " zero="
        fld qword [bx]
        frndint
        P80
        NL
        ret

; cc: prints the status word's C3 C2 C1 C0 bits (and nothing else).
cc:
        fnstsw ax
        and ax, 0x4700
        HEX16 ax
        ret

; ---- data ----
        align 8
two:       dq 2.0
three:     dq 3.0
big:       dq 1.0e300
qnan:      dq 0x7FF8000000000000
rnd_25:    dq 2.5
rnd_m25:   dq -2.5
m32768_5:  dq -32768.5
p32767_5:  dq 32767.5
m1e18:     dq -1.0e18
bcd_src:   dq 123456789012345678
mmx_a:     dq 0x80ff7f80ff7f0100
mmx_b:     dq 0x800001007f000101
mmx_c:     dq 0x0000000100020003
mmx_d:     dq 0x800000017fff0102
mmx_e:     dq 0x00020001ff80007f
max80:     dq 0xFFFFFFFFFFFFFFFF
           dw 0x7FFE
inf80:     dq 0x8000000000000000
           dw 0x7FFF
denorm80:  dq 0x0000000012345678
           dw 0x0000
unnormal80: dq 0x4000000000000000
           dw 0x3FFF

        ROM_END
