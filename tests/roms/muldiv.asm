; muldiv.asm: MUL, IMUL (one, two and three operands), DIV, IDIV in 8, 16 and 32 bits, register,
; memory and immediate forms, in real mode. (Division faults are in exceptions.asm.)
;
; Lines:
;   "<mul|imul><bits> <a> <b> = <high:low> fl=<flags>"  one operand: AX, DX:AX, EDX:EAX := a * b
;   "imul<bits>r <a> <b> = <product> fl=<flags>"        IMUL r, r/m: the product truncated
;   "<div|idiv><bits> <dividend> <divisor> = <quotient> r <remainder>"
; MUL and IMUL define only CF and OF (both set when the product does not fit the low half, for
; IMUL when it is not the sign extension of the low half); SF ZF AF PF are undefined, so the
; flags are masked with 0801. DIV and IDIV leave all six undefined: no flags are printed.
; The flags before are 0000 (so a set CF/OF is the instruction's doing).
%include "rom.inc"
        ROM_BEGIN

BUF equ 0x0600          ; RAM scratch (segment 0)

; MUL1 op, bits, a, b: one-operand MUL/IMUL with a in the accumulator and b in BL/BX/EBX.
%macro MUL1 4
        SETFL 0
%if %2 == 8
        mov al, %3
        mov bl, %4
        %1 bl
        GETFL
        PRINT %str(%1), "8 "
        HEX8 %3
        PRINT " "
        HEX8 %4
        PRINT " = "
        HEX8 ah
        PRINT ":"
        HEX8 al
%elif %2 == 16
        mov ax, %3
        mov bx, %4
        mov dx, 0x5555                  ; replaced by the high half
        %1 bx
        GETFL
        PRINT %str(%1), "16 "
        HEX16 %3
        PRINT " "
        HEX16 %4
        PRINT " = "
        HEX16 dx
        PRINT ":"
        HEX16 ax
%else
        mov eax, %3
        mov ebx, %4
        mov edx, 0x55555555
        %1 ebx
        GETFL
        PRINT %str(%1), "32 "
        HEX32 %3
        PRINT " "
        HEX32 %4
        PRINT " = "
        HEX32 edx
        PRINT ":"
        HEX32 eax
%endif
        FL FL_OF | FL_CF
        NL
%endmacro

; IMUL2 bits, a, b: IMUL r, r/m (0F AF) with a in CX/ECX, b in SI/ESI.
%macro IMUL2 3
        SETFL 0
%if %1 == 16
        mov cx, %2
        mov si, %3
        mov dx, 0x5555                  ; must stay: the two-operand form has no high half
        imul cx, si
        GETFL
        PRINT "imul16r "
        HEX16 %2
        PRINT " "
        HEX16 %3
        PRINT " = "
        HEX16 cx
        PRINT " dx="
        HEX16 dx
%else
        mov ecx, %2
        mov esi, %3
        mov edx, 0x55555555
        imul ecx, esi
        GETFL
        PRINT "imul32r "
        HEX32 %2
        PRINT " "
        HEX32 %3
        PRINT " = "
        HEX32 ecx
        PRINT " edx="
        HEX32 edx
%endif
        FL FL_OF | FL_CF
        NL
%endmacro

; DIV1 op, bits, high, low, divisor: 8 bits: AX := high (low unused); 16/32: (E)DX := high,
; (E)AX := low. The divisor is in BL/BX/EBX.
%macro DIV1 5
%if %2 == 8
        mov ax, %3
        mov bl, %5
        %1 bl
        mov cx, ax
        PRINT %str(%1), "8 "
        HEX16 %3
        PRINT " "
        HEX8 %5
        PRINT " = "
        HEX8 cl
        PRINT " r "
        HEX8 ch
%elif %2 == 16
        mov dx, %3
        mov ax, %4
        mov bx, %5
        %1 bx
        PRINT %str(%1), "16 "
        HEX16 %3
        PRINT ":"
        HEX16 %4
        PRINT " "
        HEX16 %5
        PRINT " = "
        HEX16 ax
        PRINT " r "
        HEX16 dx
%else
        mov edx, %3
        mov eax, %4
        mov ebx, %5
        %1 ebx
        PRINT %str(%1), "32 "
        HEX32 %3
        PRINT ":"
        HEX32 %4
        PRINT " "
        HEX32 %5
        PRINT " = "
        HEX32 eax
        PRINT " r "
        HEX32 edx
%endif
        NL
%endmacro

rom_main:
;> mul8 12 34 = 03:a8 fl=0801
        MUL1 mul, 8, 0x12, 0x34
;> mul8 ff ff = fe:01 fl=0801
        MUL1 mul, 8, 0xff, 0xff
;> mul8 80 02 = 01:00 fl=0801
        MUL1 mul, 8, 0x80, 0x02
;> mul8 00 ff = 00:00 fl=0000
        MUL1 mul, 8, 0x00, 0xff
;> mul8 10 0f = 00:f0 fl=0000
        MUL1 mul, 8, 0x10, 0x0f
;> mul16 1234 5678 = 0626:0060 fl=0801
        MUL1 mul, 16, 0x1234, 0x5678
;> mul16 ffff ffff = fffe:0001 fl=0801
        MUL1 mul, 16, 0xffff, 0xffff
;> mul16 0100 0100 = 0001:0000 fl=0801
        MUL1 mul, 16, 0x0100, 0x0100
;> mul16 00ff 0100 = 0000:ff00 fl=0000
        MUL1 mul, 16, 0x00ff, 0x0100
;> mul32 12345678 9abcdef0 = 0b00ea4e:242d2080 fl=0801
        MUL1 mul, 32, 0x12345678, 0x9abcdef0
;> mul32 ffffffff ffffffff = fffffffe:00000001 fl=0801
        MUL1 mul, 32, 0xffffffff, 0xffffffff
;> mul32 00010000 00010000 = 00000001:00000000 fl=0801
        MUL1 mul, 32, 0x00010000, 0x00010000
;> mul32 0000ffff 0000ffff = 00000000:fffe0001 fl=0000
        MUL1 mul, 32, 0x0000ffff, 0x0000ffff
;> imul8 ff ff = 00:01 fl=0000
        MUL1 imul, 8, 0xff, 0xff
;> imul8 80 ff = 00:80 fl=0801
        MUL1 imul, 8, 0x80, 0xff
;> imul8 7f 02 = 00:fe fl=0801
        MUL1 imul, 8, 0x7f, 0x02
;> imul8 c0 02 = ff:80 fl=0000
        MUL1 imul, 8, 0xc0, 0x02
;> imul8 f0 10 = ff:00 fl=0801
        MUL1 imul, 8, 0xf0, 0x10
;> imul8 80 80 = 40:00 fl=0801
        MUL1 imul, 8, 0x80, 0x80
;> imul16 8000 ffff = 0000:8000 fl=0801
        MUL1 imul, 16, 0x8000, 0xffff
;> imul16 ffff ffff = 0000:0001 fl=0000
        MUL1 imul, 16, 0xffff, 0xffff
;> imul16 7fff 7fff = 3fff:0001 fl=0801
        MUL1 imul, 16, 0x7fff, 0x7fff
;> imul16 c000 0002 = ffff:8000 fl=0000
        MUL1 imul, 16, 0xc000, 0x0002
;> imul16 1234 fff0 = fffe:dcc0 fl=0801
        MUL1 imul, 16, 0x1234, 0xfff0
;> imul32 80000000 ffffffff = 00000000:80000000 fl=0801
        MUL1 imul, 32, 0x80000000, 0xffffffff
;> imul32 ffffffff 00000002 = ffffffff:fffffffe fl=0000
        MUL1 imul, 32, 0xffffffff, 0x00000002
;> imul32 12345678 fffffff0 = fffffffe:dcba9880 fl=0801
        MUL1 imul, 32, 0x12345678, 0xfffffff0
;> imul32 40000000 00000002 = 00000000:80000000 fl=0801
        MUL1 imul, 32, 0x40000000, 0x00000002
;> imul16r 1234 0010 = 2340 dx=5555 fl=0801
        IMUL2 16, 0x1234, 0x0010
;> imul16r fff0 0010 = ff00 dx=5555 fl=0000
        IMUL2 16, 0xfff0, 0x0010
;> imul16r 7fff 0002 = fffe dx=5555 fl=0801
        IMUL2 16, 0x7fff, 0x0002
;> imul16r 8000 0001 = 8000 dx=5555 fl=0000
        IMUL2 16, 0x8000, 0x0001
;> imul32r 12345678 00000010 = 23456780 edx=55555555 fl=0801
        IMUL2 32, 0x12345678, 0x00000010
;> imul32r fffffff0 fffffff0 = 00000100 edx=55555555 fl=0000
        IMUL2 32, 0xfffffff0, 0xfffffff0
;> imul32r 00010000 00010000 = 00000000 edx=55555555 fl=0801
        IMUL2 32, 0x00010000, 0x00010000
;> div8 03a9 34 = 12 r 01
        DIV1 div, 8, 0x03a9, 0, 0x34
;> div8 00ff 10 = 0f r 0f
        DIV1 div, 8, 0x00ff, 0, 0x10
;> div8 fe01 ff = ff r 00
        DIV1 div, 8, 0xfe01, 0, 0xff
;> div8 0000 01 = 00 r 00
        DIV1 div, 8, 0x0000, 0, 0x01
;> div16 0001:0000 0002 = 8000 r 0000
        DIV1 div, 16, 0x0001, 0x0000, 0x0002
;> div16 1233:ffff 1234 = ffff r 1233
        DIV1 div, 16, 0x1233, 0xffff, 0x1234
;> div16 0000:ffff 0007 = 2492 r 0001
        DIV1 div, 16, 0x0000, 0xffff, 0x0007
;> div32 00000001:00000000 00000002 = 80000000 r 00000000
        DIV1 div, 32, 0x00000001, 0x00000000, 0x00000002
;> div32 00000000:ffffffff 00000010 = 0fffffff r 0000000f
        DIV1 div, 32, 0x00000000, 0xffffffff, 0x00000010
;> div32 12345677:ffffffff 12345678 = ffffffff r 12345677
        DIV1 div, 32, 0x12345677, 0xffffffff, 0x12345678
;> idiv8 fff9 02 = fd r ff
        DIV1 idiv, 8, 0xfff9, 0, 0x02
;> idiv8 0007 fe = fd r 01
        DIV1 idiv, 8, 0x0007, 0, 0xfe
;> idiv8 ff00 02 = 80 r 00
        DIV1 idiv, 8, 0xff00, 0, 0x02
;> idiv8 ff81 7f = ff r 00
        DIV1 idiv, 8, 0xff81, 0, 0x7f
;> idiv8 0080 ff = 80 r 00
        DIV1 idiv, 8, 0x0080, 0, 0xff
;> idiv16 ffff:fff9 0002 = fffd r ffff
        DIV1 idiv, 16, 0xffff, 0xfff9, 0x0002
;> idiv16 0000:8000 ffff = 8000 r 0000
        DIV1 idiv, 16, 0x0000, 0x8000, 0xffff
;> idiv16 ffff:8000 0002 = c000 r 0000
        DIV1 idiv, 16, 0xffff, 0x8000, 0x0002
;> idiv16 0000:0064 fff9 = fff2 r 0002
        DIV1 idiv, 16, 0x0000, 0x0064, 0xfff9
;> idiv32 ffffffff:fffffff9 00000002 = fffffffd r ffffffff
        DIV1 idiv, 32, 0xffffffff, 0xfffffff9, 0x00000002
;> idiv32 00000000:80000000 ffffffff = 80000000 r 00000000
        DIV1 idiv, 32, 0x00000000, 0x80000000, 0xffffffff
;> idiv32 ffffffff:00000001 00010000 = ffff0001 r ffff0001
        DIV1 idiv, 32, 0xffffffff, 0x00000001, 0x00010000

        ; ---- other forms: memory operands, immediates, other registers ----
        mov ax, 0
        mov es, ax
;> mul [mem16] 0300 0100 = 0003:0000 fl=0801
        mov word [es:BUF], 0x0100
        mov ax, 0x0300
        SETFL 0
        mul word [es:BUF]
        GETFL
        PRINT "mul [mem16] 0300 0100 = "
        HEX16 dx
        PRINT ":"
        HEX16 ax
        FL FL_OF | FL_CF
        NL
;> imul [mem8] 05 fd = fff1 fl=0000
        mov byte [es:BUF], 0xfd
        mov al, 0x05
        SETFL 0
        imul byte [es:BUF]
        GETFL
        PRINT "imul [mem8] 05 fd = "
        HEX16 ax
        FL FL_OF | FL_CF
        NL
;> imul32r [mem] 55555555 00000003 = ffffffff fl=0801
        mov dword [es:BUF], 0x00000003
        mov edi, 0x55555555
        SETFL 0
        imul edi, [es:BUF]
        GETFL
        PRINT "imul32r [mem] 55555555 00000003 = "
        HEX32 edi
        FL FL_OF | FL_CF
        NL
;> imul16i 1234 fe = db98 fl=0000
        mov bx, 0x1234
        SETFL 0
        imul bp, bx, byte -2            ; 6B /r ib: the byte is sign-extended
        GETFL
        PRINT "imul16i 1234 fe = "
        HEX16 bp
        FL FL_OF | FL_CF
        NL
;> imul16i [mem] 0102 0304 = 0a08 fl=0801
        mov word [es:BUF], 0x0102
        SETFL 0
        imul ax, [es:BUF], 0x0304       ; 69 /r iw
        GETFL
        PRINT "imul16i [mem] 0102 0304 = "
        HEX16 ax
        FL FL_OF | FL_CF
        NL
;> imul32i 00012345 00010000 = 23450000 fl=0801
        mov edx, 0x00012345
        SETFL 0
        imul edx, edx, 0x00010000       ; 69 /r id
        GETFL
        PRINT "imul32i 00012345 00010000 = "
        HEX32 edx
        FL FL_OF | FL_CF
        NL
;> div [mem8] 0064 07 = 0e r 02
        mov byte [es:BUF], 0x07
        mov ax, 100
        div byte [es:BUF]
        PRINT "div [mem8] 0064 07 = "
        HEX8 al
        PRINT " r "
        HEX8 ah
        NL
;> idiv [mem32] 00000000:00000064 fffffffd = ffffffdf r 00000001
        mov dword [es:BUF], 0xfffffffd
        mov edx, 0
        mov eax, 100
        idiv dword [es:BUF]
        PRINT "idiv [mem32] 00000000:00000064 fffffffd = "
        HEX32 eax
        PRINT " r "
        HEX32 edx
        NL
;> div cx 0000:00ff 0010 = 000f r 000f
        mov dx, 0x0000
        mov ax, 0x00ff
        mov cx, 0x0010
        div cx
        PRINT "div cx 0000:00ff 0010 = "
        HEX16 ax
        PRINT " r "
        HEX16 dx
        NL

;> muldiv done
        PRINT "muldiv done", 10
        EXIT 0
        ROM_END
