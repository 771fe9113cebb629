; shift.asm: SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD in 8, 16 and 32 bits, with counts 0, 1,
; below, at and above the operand size (the count is masked to 5 bits), by CL, by 1 and by an
; immediate, register and memory destinations, in real mode.
;
; Each line: "<op><bits> <value> [<fill>] <count> [in=<flags before>] = <result> fl=<flags>".
; The flags are masked to what the SDM defines (Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR,
; SHLD, SHRD, "Flags Affected"), by the masked count c = count AND 1FH:
;   c = 0: no flag is affected: all six are shown (they are the flags before).
;   shifts: c = 1: OF SF ZF PF CF (AF undefined); c > 1: SF ZF PF CF (OF undefined too), but CF
;     is undefined for SHL/SHR when c >= the operand size.
;   rotates: c = 1: OF CF, and SF ZF AF PF unaffected; c > 1: CF, SF ZF AF PF (OF undefined).
;   SHLD/SHRD: as shifts (c is never above the operand size here: the result would be undefined).
; The flags before are 0000 unless "in=" says otherwise.
%include "rom.inc"
        ROM_BEGIN

BUF equ 0x0600          ; RAM scratch (segment 0)

; Prints the common tail: "[ in=..] = <result> fl=.." and a newline. %1 bits, %2 result,
; %3 mask, %4 flags before.
%macro TAIL 4
%if %4 != 0
        PRINT " in="
        HEX16 %4
%endif
        PRINT " = "
        HEXN %1, %2
        FL %3
        NL
%endmacro

%macro REGS 1
%if %1 == 8
%define %$a al
%define %$b bl
%elif %1 == 16
%define %$a ax
%define %$b bx
%else
%define %$a eax
%define %$b ebx
%endif
%endmacro

; SHIFT op, bits, value, count, flags-before  (count in CL)
%macro SHIFT 5
%push shift
        REGS %2
%assign %$c (%4) & 31
%if %$c == 0
%assign %$m FL_ARITH
%elif %$c == 1
%assign %$m FL_LOGIC
%elif %$c >= %2
%ifidni %1, sar
%assign %$m FL_SF | FL_ZF | FL_PF | FL_CF
%else
%assign %$m FL_SF | FL_ZF | FL_PF
%endif
%else
%assign %$m FL_SF | FL_ZF | FL_PF | FL_CF
%endif
        mov %$a, %3
        mov cl, %4
        SETFL %5
        %1 %$a, cl
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
        PRINT " "
        HEX8 %4
        TAIL %2, %$a, %$m, %5
%pop
%endmacro

; ROT op, bits, value, count, flags-before  (count in CL)
%macro ROT 5
%push rot
        REGS %2
%assign %$c (%4) & 31
%if %$c <= 1
%assign %$m FL_ARITH
%else
%assign %$m FL_ARITH & ~FL_OF
%endif
        mov %$a, %3
        mov cl, %4
        SETFL %5
        %1 %$a, cl
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
        PRINT " "
        HEX8 %4
        TAIL %2, %$a, %$m, %5
%pop
%endmacro

; DSHIFT op, bits, value, fill, count, flags-before  (count in CL)
%macro DSHIFT 6
%push dshift
        REGS %2
%assign %$c (%5) & 31
%if %$c == 0
%assign %$m FL_ARITH
%elif %$c == 1
%assign %$m FL_LOGIC
%else
%assign %$m FL_SF | FL_ZF | FL_PF | FL_CF
%endif
        mov %$a, %3
        mov %$b, %4
        mov cl, %5
        SETFL %6
        %1 %$a, %$b, cl
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
        PRINT " "
        HEXN %2, %4
        PRINT " "
        HEX8 %5
        TAIL %2, %$a, %$m, %6
%pop
%endmacro

rom_main:
;> shl8 81 01 = 02 fl=0801
        SHIFT shl, 8, 0x81, 0x01, 0x0000
;> shl8 81 00 in=08d5 = 81 fl=08d5
        SHIFT shl, 8, 0x81, 0x00, 0x08d5
;> shl8 c3 02 = 0c fl=0005
        SHIFT shl, 8, 0xc3, 0x02, 0x0000
;> shl8 01 07 = 80 fl=0080
        SHIFT shl, 8, 0x01, 0x07, 0x0000
;> shl8 ff 08 = 00 fl=0044
        SHIFT shl, 8, 0xff, 0x08, 0x0000
;> shl8 55 09 = 00 fl=0044
        SHIFT shl, 8, 0x55, 0x09, 0x0000
;> shl8 80 01 = 00 fl=0845
        SHIFT shl, 8, 0x80, 0x01, 0x0000
;> shl8 40 01 = 80 fl=0880
        SHIFT shl, 8, 0x40, 0x01, 0x0000
;> shl16 8000 01 = 0000 fl=0845
        SHIFT shl, 16, 0x8000, 0x01, 0x0000
;> shl16 4000 01 = 8000 fl=0884
        SHIFT shl, 16, 0x4000, 0x01, 0x0000
;> shl16 1234 04 = 2340 fl=0001
        SHIFT shl, 16, 0x1234, 0x04, 0x0000
;> shl16 ffff 10 = 0000 fl=0044
        SHIFT shl, 16, 0xffff, 0x10, 0x0000
;> shl16 0001 0f = 8000 fl=0084
        SHIFT shl, 16, 0x0001, 0x0f, 0x0000
;> shl16 1234 21 = 2468 fl=0000
        SHIFT shl, 16, 0x1234, 0x21, 0x0000
;> shl32 80000000 01 = 00000000 fl=0845
        SHIFT shl, 32, 0x80000000, 0x01, 0x0000
;> shl32 12345678 04 = 23456780 fl=0001
        SHIFT shl, 32, 0x12345678, 0x04, 0x0000
;> shl32 ffffffff 1f = 80000000 fl=0085
        SHIFT shl, 32, 0xffffffff, 0x1f, 0x0000
;> shl32 00000001 20 in=08d5 = 00000001 fl=08d5
        SHIFT shl, 32, 0x00000001, 0x20, 0x08d5
;> shr8 81 01 = 40 fl=0801
        SHIFT shr, 8, 0x81, 0x01, 0x0000
;> shr8 80 07 = 01 fl=0000
        SHIFT shr, 8, 0x80, 0x07, 0x0000
;> shr8 ff 08 = 00 fl=0044
        SHIFT shr, 8, 0xff, 0x08, 0x0000
;> shr8 01 01 = 00 fl=0045
        SHIFT shr, 8, 0x01, 0x01, 0x0000
;> shr16 8001 01 = 4000 fl=0805
        SHIFT shr, 16, 0x8001, 0x01, 0x0000
;> shr16 8000 0f = 0001 fl=0000
        SHIFT shr, 16, 0x8000, 0x0f, 0x0000
;> shr16 ffff 04 = 0fff fl=0005
        SHIFT shr, 16, 0xffff, 0x04, 0x0000
;> shr16 0003 41 = 0001 fl=0001
        SHIFT shr, 16, 0x0003, 0x41, 0x0000
;> shr32 80000001 01 = 40000000 fl=0805
        SHIFT shr, 32, 0x80000001, 0x01, 0x0000
;> shr32 80000000 1f = 00000001 fl=0000
        SHIFT shr, 32, 0x80000000, 0x1f, 0x0000
;> shr32 f0000000 1c = 0000000f fl=0004
        SHIFT shr, 32, 0xf0000000, 0x1c, 0x0000
;> sar8 81 01 = c0 fl=0085
        SHIFT sar, 8, 0x81, 0x01, 0x0000
;> sar8 80 07 = ff fl=0084
        SHIFT sar, 8, 0x80, 0x07, 0x0000
;> sar8 80 08 = ff fl=0085
        SHIFT sar, 8, 0x80, 0x08, 0x0000
;> sar8 7f 09 = 00 fl=0044
        SHIFT sar, 8, 0x7f, 0x09, 0x0000
;> sar8 80 14 = ff fl=0085
        SHIFT sar, 8, 0x80, 0x14, 0x0000
;> sar16 8000 01 = c000 fl=0084
        SHIFT sar, 16, 0x8000, 0x01, 0x0000
;> sar16 8000 0f = ffff fl=0084
        SHIFT sar, 16, 0x8000, 0x0f, 0x0000
;> sar16 4000 0e = 0001 fl=0000
        SHIFT sar, 16, 0x4000, 0x0e, 0x0000
;> sar16 8001 10 = ffff fl=0085
        SHIFT sar, 16, 0x8001, 0x10, 0x0000
;> sar16 7fff 00 in=0891 = 7fff fl=0891
        SHIFT sar, 16, 0x7fff, 0x00, 0x0891
;> sar32 80000000 01 = c0000000 fl=0084
        SHIFT sar, 32, 0x80000000, 0x01, 0x0000
;> sar32 80000000 1f = ffffffff fl=0084
        SHIFT sar, 32, 0x80000000, 0x1f, 0x0000
;> sar32 7fffffff 1e = 00000001 fl=0001
        SHIFT sar, 32, 0x7fffffff, 0x1e, 0x0000
;> sar32 00000003 01 in=08d5 = 00000001 fl=0001
        SHIFT sar, 32, 0x00000003, 0x01, 0x08d5
;> rol8 81 01 = 03 fl=0801
        ROT rol, 8, 0x81, 0x01, 0x0000
;> rol8 81 04 in=0094 = 18 fl=0094
        ROT rol, 8, 0x81, 0x04, 0x0094
;> rol8 01 08 in=0040 = 01 fl=0041
        ROT rol, 8, 0x01, 0x08, 0x0040
;> rol8 81 09 = 03 fl=0001
        ROT rol, 8, 0x81, 0x09, 0x0000
;> rol8 80 00 in=08d5 = 80 fl=08d5
        ROT rol, 8, 0x80, 0x00, 0x08d5
;> rol8 40 01 in=0001 = 80 fl=0800
        ROT rol, 8, 0x40, 0x01, 0x0001
;> rol16 8001 01 = 0003 fl=0801
        ROT rol, 16, 0x8001, 0x01, 0x0000
;> rol16 1234 04 in=0010 = 2341 fl=0011
        ROT rol, 16, 0x1234, 0x04, 0x0010
;> rol16 1234 10 in=0004 = 1234 fl=0004
        ROT rol, 16, 0x1234, 0x10, 0x0004
;> rol32 80000001 01 = 00000003 fl=0801
        ROT rol, 32, 0x80000001, 0x01, 0x0000
;> rol32 12345678 08 in=0080 = 34567812 fl=0080
        ROT rol, 32, 0x12345678, 0x08, 0x0080
;> rol32 12345678 20 in=0801 = 12345678 fl=0801
        ROT rol, 32, 0x12345678, 0x20, 0x0801
;> ror8 01 01 = 80 fl=0801
        ROT ror, 8, 0x01, 0x01, 0x0000
;> ror8 81 02 in=0044 = 60 fl=0044
        ROT ror, 8, 0x81, 0x02, 0x0044
;> ror8 80 10 = 80 fl=0001
        ROT ror, 8, 0x80, 0x10, 0x0000
;> ror8 02 01 in=0801 = 01 fl=0000
        ROT ror, 8, 0x02, 0x01, 0x0801
;> ror16 0001 01 = 8000 fl=0801
        ROT ror, 16, 0x0001, 0x01, 0x0000
;> ror16 1234 04 in=00d4 = 4123 fl=00d4
        ROT ror, 16, 0x1234, 0x04, 0x00d4
;> ror16 8000 11 = 4000 fl=0000
        ROT ror, 16, 0x8000, 0x11, 0x0000
;> ror32 00000001 01 = 80000000 fl=0801
        ROT ror, 32, 0x00000001, 0x01, 0x0000
;> ror32 12345678 04 = 81234567 fl=0001
        ROT ror, 32, 0x12345678, 0x04, 0x0000
;> ror32 80000000 1f in=0010 = 00000001 fl=0010
        ROT ror, 32, 0x80000000, 0x1f, 0x0010
;> rcl8 80 01 = 00 fl=0801
        ROT rcl, 8, 0x80, 0x01, 0x0000
;> rcl8 80 01 in=0001 = 01 fl=0801
        ROT rcl, 8, 0x80, 0x01, 0x0001
;> rcl8 40 01 = 80 fl=0800
        ROT rcl, 8, 0x40, 0x01, 0x0000
;> rcl8 01 08 in=0001 = 80 fl=0001
        ROT rcl, 8, 0x01, 0x08, 0x0001
;> rcl8 81 09 in=0001 = 81 fl=0001
        ROT rcl, 8, 0x81, 0x09, 0x0001
;> rcl8 55 0a in=0094 = aa fl=0094
        ROT rcl, 8, 0x55, 0x0a, 0x0094
;> rcl16 8000 01 = 0000 fl=0801
        ROT rcl, 16, 0x8000, 0x01, 0x0000
;> rcl16 1234 11 in=0001 = 1234 fl=0001
        ROT rcl, 16, 0x1234, 0x11, 0x0001
;> rcl16 1234 10 in=0001 = 891a fl=0000
        ROT rcl, 16, 0x1234, 0x10, 0x0001
;> rcl16 4000 01 in=0001 = 8001 fl=0800
        ROT rcl, 16, 0x4000, 0x01, 0x0001
;> rcl32 80000000 01 = 00000000 fl=0801
        ROT rcl, 32, 0x80000000, 0x01, 0x0000
;> rcl32 12345678 04 in=0001 = 23456788 fl=0001
        ROT rcl, 32, 0x12345678, 0x04, 0x0001
;> rcl32 00000001 1f = 80000000 fl=0000
        ROT rcl, 32, 0x00000001, 0x1f, 0x0000
;> rcr8 01 01 = 00 fl=0001
        ROT rcr, 8, 0x01, 0x01, 0x0000
;> rcr8 01 01 in=0001 = 80 fl=0801
        ROT rcr, 8, 0x01, 0x01, 0x0001
;> rcr8 80 08 in=0001 = 01 fl=0001
        ROT rcr, 8, 0x80, 0x08, 0x0001
;> rcr8 00 09 in=0001 = 00 fl=0001
        ROT rcr, 8, 0x00, 0x09, 0x0001
;> rcr8 80 01 in=0001 = c0 fl=0000
        ROT rcr, 8, 0x80, 0x01, 0x0001
;> rcr16 0001 01 in=0001 = 8000 fl=0801
        ROT rcr, 16, 0x0001, 0x01, 0x0001
;> rcr16 1234 10 = 2468 fl=0000
        ROT rcr, 16, 0x1234, 0x10, 0x0000
;> rcr16 8000 01 = 4000 fl=0800
        ROT rcr, 16, 0x8000, 0x01, 0x0000
;> rcr32 00000001 01 in=0001 = 80000000 fl=0801
        ROT rcr, 32, 0x00000001, 0x01, 0x0001
;> rcr32 80000000 1f = 00000001 fl=0000
        ROT rcr, 32, 0x80000000, 0x1f, 0x0000
;> rcr32 12345678 24 in=0040 = 01234567 fl=0041
        ROT rcr, 32, 0x12345678, 0x24, 0x0040
;> shld16 1234 abcd 04 = 234a fl=0001
        DSHIFT shld, 16, 0x1234, 0xabcd, 0x04, 0x0000
;> shld16 8000 0000 01 = 0000 fl=0845
        DSHIFT shld, 16, 0x8000, 0x0000, 0x01, 0x0000
;> shld16 4000 8000 01 = 8001 fl=0880
        DSHIFT shld, 16, 0x4000, 0x8000, 0x01, 0x0000
;> shld16 1234 5678 10 = 5678 fl=0004
        DSHIFT shld, 16, 0x1234, 0x5678, 0x10, 0x0000
;> shld16 ffff 0000 00 in=08d5 = ffff fl=08d5
        DSHIFT shld, 16, 0xffff, 0x0000, 0x00, 0x08d5
;> shld32 12345678 9abcdef0 08 = 3456789a fl=0004
        DSHIFT shld, 32, 0x12345678, 0x9abcdef0, 0x08, 0x0000
;> shld32 40000000 00000000 01 = 80000000 fl=0884
        DSHIFT shld, 32, 0x40000000, 0x00000000, 0x01, 0x0000
;> shld32 00000001 80000000 1f = c0000000 fl=0084
        DSHIFT shld, 32, 0x00000001, 0x80000000, 0x1f, 0x0000
;> shld32 12345678 9abcdef0 28 = 3456789a fl=0004
        DSHIFT shld, 32, 0x12345678, 0x9abcdef0, 0x28, 0x0000
;> shrd16 1234 abcd 04 = d123 fl=0080
        DSHIFT shrd, 16, 0x1234, 0xabcd, 0x04, 0x0000
;> shrd16 0001 0000 01 = 0000 fl=0045
        DSHIFT shrd, 16, 0x0001, 0x0000, 0x01, 0x0000
;> shrd16 1234 5678 10 = 5678 fl=0004
        DSHIFT shrd, 16, 0x1234, 0x5678, 0x10, 0x0000
;> shrd16 8000 0001 01 = c000 fl=0084
        DSHIFT shrd, 16, 0x8000, 0x0001, 0x01, 0x0000
;> shrd32 12345678 9abcdef0 08 = f0123456 fl=0084
        DSHIFT shrd, 32, 0x12345678, 0x9abcdef0, 0x08, 0x0000
;> shrd32 00000001 00000001 01 = 80000000 fl=0885
        DSHIFT shrd, 32, 0x00000001, 0x00000001, 0x01, 0x0000
;> shrd32 80000000 00000001 1f = 00000003 fl=0004
        DSHIFT shrd, 32, 0x80000000, 0x00000001, 0x1f, 0x0000

        ; ---- the other encodings: by 1 (D0/D1), by imm8 (C0/C1), memory destinations ----
        mov ax, 0
        mov es, ax
;> shl8 by 1 c0 = 80 fl=0081
        mov al, 0xc0
        SETFL 0
        shl al, 1                       ; D0 /4
        GETFL
        PRINT "shl8 by 1 c0 = "
        HEX8 al
        FL FL_LOGIC
        NL
;> sar16 by 1 8001 = c000 fl=0085
        mov dx, 0x8001
        SETFL 0
        sar dx, 1                       ; D1 /7
        GETFL
        PRINT "sar16 by 1 8001 = "
        HEX16 dx
        FL FL_LOGIC
        NL
;> rcr32 by 1 80000001 in=0040 = 40000000 fl=0841
        mov esi, 0x80000001
        SETFL FL_ZF
        rcr esi, 1                      ; D1 /3
        GETFL
        PRINT "rcr32 by 1 80000001 in=0040 = "
        HEX32 esi
        FL FL_ARITH
        NL
;> ror8 by imm 96 03 = d2 fl=0001
        mov bh, 0x96
        SETFL 0
        ror bh, 3                       ; C0 /1 ib
        GETFL
        PRINT "ror8 by imm 96 03 = "
        HEX8 bh
        FL FL_ARITH & ~FL_OF
        NL
;> shl32 by imm 0000ffff 0c = 0ffff000 fl=0004
        mov ecx, 0x0000ffff
        SETFL 0
        shl ecx, 12                     ; C1 /4 ib
        GETFL
        PRINT "shl32 by imm 0000ffff 0c = "
        HEX32 ecx
        FL FL_SF | FL_ZF | FL_PF | FL_CF
        NL
;> rol [mem8] by 1 81 = 03 fl=0801
        mov byte [es:BUF], 0x81
        SETFL 0
        rol byte [es:BUF], 1            ; D0 /0, memory
        GETFL
        PRINT "rol [mem8] by 1 81 = "
        HEX8 [es:BUF]
        FL FL_ARITH
        NL
;> shr [mem16] by cl 8421 03 = 1084 fl=0004
        mov word [es:BUF], 0x8421
        mov cl, 3
        SETFL 0
        shr word [es:BUF], cl           ; D3 /5, memory
        GETFL
        PRINT "shr [mem16] by cl 8421 03 = "
        HEX16 [es:BUF]
        FL FL_SF | FL_ZF | FL_PF | FL_CF
        NL
;> rcl [mem32] by imm 00000001 1f in=0001 = c0000000 fl=0000
        mov dword [es:BUF], 0x00000001
        SETFL FL_CF
        rcl dword [es:BUF], 31          ; C1 /2 ib, memory
        GETFL
        PRINT "rcl [mem32] by imm 00000001 1f in=0001 = "
        HEX32 [es:BUF]
        FL FL_ARITH & ~FL_OF
        NL
;> shld [mem16] by imm 00ff f000 04 = 0fff fl=0004
        mov word [es:BUF], 0x00ff
        mov dx, 0xf000
        SETFL 0
        shld [es:BUF], dx, 4            ; 0F A4 ib, memory
        GETFL
        PRINT "shld [mem16] by imm 00ff f000 04 = "
        HEX16 [es:BUF]
        FL FL_SF | FL_ZF | FL_PF | FL_CF
        NL
;> shrd [mem32] by cl 00000100 000000ff 08 = ff000001 fl=0080
        mov dword [es:BUF], 0x00000100
        mov edx, 0x000000ff
        mov cl, 8
        SETFL 0
        shrd [es:BUF], edx, cl          ; 0F AD, memory
        GETFL
        PRINT "shrd [mem32] by cl 00000100 000000ff 08 = "
        HEX32 [es:BUF]
        FL FL_SF | FL_ZF | FL_PF | FL_CF
        NL

;> shift done
        PRINT "shift done", 10
        EXIT 0
        ROM_END
