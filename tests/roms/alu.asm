; alu.asm: ADD ADC SUB SBB CMP NEG INC DEC AND OR XOR TEST NOT XADD CMPXCHG CMPXCHG8B, in 8, 16
; and 32 bits, register, memory and immediate forms, in real mode.
;
; Each line: "<op><bits> <a> <b> [in=<flags before>] = <result(s)> fl=<flags after>", the flags
; masked to those the SDM defines for the instruction (Vol. 2, "Flags Affected"):
;   ADD ADC SUB SBB CMP NEG XADD CMPXCHG: OF SF ZF AF PF CF (08d5)
;   INC DEC: OF SF ZF AF PF, CF unaffected (08d5, CF shows the flag before)
;   AND OR XOR TEST: OF = CF = 0, SF ZF PF; AF undefined (08c5)
;   NOT: none affected (08d5 shows them kept)
;   CMPXCHG8B: ZF; CF PF AF SF OF unaffected (08d5)
; The flags before are 0000 unless "in=" says otherwise.
%include "rom.inc"
        ROM_BEGIN

BUF equ 0x0600          ; RAM scratch (segment 0)

; ALU2 op, bits, a, b, mask, flags-before: "op bits a b [in=..] = op(a, b) fl=.."
%macro ALU2 6
%push alu2
%if %2 == 8
%define %$a al
%define %$b bl
%elif %2 == 16
%define %$a ax
%define %$b bx
%else
%define %$a eax
%define %$b ebx
%endif
        mov %$a, %3
        mov %$b, %4
        SETFL %6
        %1 %$a, %$b
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
        PRINT " "
        HEXN %2, %4
%if %6 != 0
        PRINT " in="
        HEX16 %6
%endif
        PRINT " = "
        HEXN %2, %$a
        FL %5
        NL
%pop
%endmacro

; ALU1 op, bits, a, mask, flags-before: "op bits a [in=..] = op(a) fl=.."
%macro ALU1 5
%push alu1
%if %2 == 8
%define %$a cl
%elif %2 == 16
%define %$a cx
%else
%define %$a ecx
%endif
        mov %$a, %3
        SETFL %5
        %1 %$a
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
%if %5 != 0
        PRINT " in="
        HEX16 %5
%endif
        PRINT " = "
        HEXN %2, %$a
        FL %4
        NL
%pop
%endmacro

rom_main:
        ; ---- ADD ----
;> add8 7f 01 = 80 fl=0890
        ALU2 add, 8, 0x7f, 0x01, FL_ARITH, 0
;> add8 ff 01 = 00 fl=0055
        ALU2 add, 8, 0xff, 0x01, FL_ARITH, 0
;> add8 80 80 = 00 fl=0845
        ALU2 add, 8, 0x80, 0x80, FL_ARITH, 0
;> add8 12 34 = 46 fl=0000
        ALU2 add, 8, 0x12, 0x34, FL_ARITH, 0
;> add16 1234 edcb = ffff fl=0084
        ALU2 add, 16, 0x1234, 0xedcb, FL_ARITH, 0
;> add16 7fff 0001 = 8000 fl=0894
        ALU2 add, 16, 0x7fff, 0x0001, FL_ARITH, 0
;> add16 ffff 0001 = 0000 fl=0055
        ALU2 add, 16, 0xffff, 0x0001, FL_ARITH, 0
;> add16 8000 8000 = 0000 fl=0845
        ALU2 add, 16, 0x8000, 0x8000, FL_ARITH, 0
;> add16 0fff 0001 = 1000 fl=0014
        ALU2 add, 16, 0x0fff, 0x0001, FL_ARITH, 0
;> add32 7fffffff 00000001 = 80000000 fl=0894
        ALU2 add, 32, 0x7fffffff, 0x00000001, FL_ARITH, 0
;> add32 ffffffff 00000001 = 00000000 fl=0055
        ALU2 add, 32, 0xffffffff, 0x00000001, FL_ARITH, 0
;> add32 12345678 87654321 = 99999999 fl=0084
        ALU2 add, 32, 0x12345678, 0x87654321, FL_ARITH, 0
;> add32 80000000 80000000 = 00000000 fl=0845
        ALU2 add, 32, 0x80000000, 0x80000000, FL_ARITH, 0
;> add32 00000008 00000008 in=08d5 = 00000010 fl=0010
        ALU2 add, 32, 0x00000008, 0x00000008, FL_ARITH, FL_ARITH
        ; ---- ADC ----
;> adc8 ff 00 in=0001 = 00 fl=0055
        ALU2 adc, 8, 0xff, 0x00, FL_ARITH, FL_CF
;> adc8 00 ff in=0001 = 00 fl=0055
        ALU2 adc, 8, 0x00, 0xff, FL_ARITH, FL_CF
;> adc8 7f 00 in=0001 = 80 fl=0890
        ALU2 adc, 8, 0x7f, 0x00, FL_ARITH, FL_CF
;> adc8 7f 00 = 7f fl=0000
        ALU2 adc, 8, 0x7f, 0x00, FL_ARITH, 0
;> adc16 ffff ffff in=0001 = ffff fl=0095
        ALU2 adc, 16, 0xffff, 0xffff, FL_ARITH, FL_CF
;> adc16 7fff 7fff in=0001 = ffff fl=0894
        ALU2 adc, 16, 0x7fff, 0x7fff, FL_ARITH, FL_CF
;> adc16 1234 0000 in=08d4 = 1234 fl=0000
        ALU2 adc, 16, 0x1234, 0x0000, FL_ARITH, FL_ARITH - FL_CF
;> adc32 ffffffff 00000000 in=0001 = 00000000 fl=0055
        ALU2 adc, 32, 0xffffffff, 0x00000000, FL_ARITH, FL_CF
;> adc32 7fffffff 00000000 in=0001 = 80000000 fl=0894
        ALU2 adc, 32, 0x7fffffff, 0x00000000, FL_ARITH, FL_CF
        ; ---- SUB ----
;> sub8 00 01 = ff fl=0095
        ALU2 sub, 8, 0x00, 0x01, FL_ARITH, 0
;> sub8 80 01 = 7f fl=0810
        ALU2 sub, 8, 0x80, 0x01, FL_ARITH, 0
;> sub8 7f ff = 80 fl=0881
        ALU2 sub, 8, 0x7f, 0xff, FL_ARITH, 0
;> sub8 10 01 = 0f fl=0014
        ALU2 sub, 8, 0x10, 0x01, FL_ARITH, 0
;> sub16 8000 0001 = 7fff fl=0814
        ALU2 sub, 16, 0x8000, 0x0001, FL_ARITH, 0
;> sub16 0000 0001 = ffff fl=0095
        ALU2 sub, 16, 0x0000, 0x0001, FL_ARITH, 0
;> sub16 1234 1234 = 0000 fl=0044
        ALU2 sub, 16, 0x1234, 0x1234, FL_ARITH, 0
;> sub32 80000000 00000001 = 7fffffff fl=0814
        ALU2 sub, 32, 0x80000000, 0x00000001, FL_ARITH, 0
;> sub32 00000000 00000001 = ffffffff fl=0095
        ALU2 sub, 32, 0x00000000, 0x00000001, FL_ARITH, 0
;> sub32 7fffffff ffffffff = 80000000 fl=0885
        ALU2 sub, 32, 0x7fffffff, 0xffffffff, FL_ARITH, 0
        ; ---- SBB ----
;> sbb8 00 00 in=0001 = ff fl=0095
        ALU2 sbb, 8, 0x00, 0x00, FL_ARITH, FL_CF
;> sbb8 80 00 in=0001 = 7f fl=0810
        ALU2 sbb, 8, 0x80, 0x00, FL_ARITH, FL_CF
;> sbb8 05 03 = 02 fl=0000
        ALU2 sbb, 8, 0x05, 0x03, FL_ARITH, 0
;> sbb16 0000 ffff in=0001 = 0000 fl=0055
        ALU2 sbb, 16, 0x0000, 0xffff, FL_ARITH, FL_CF
;> sbb16 8000 7fff in=0001 = 0000 fl=0854
        ALU2 sbb, 16, 0x8000, 0x7fff, FL_ARITH, FL_CF
;> sbb32 00000000 00000000 in=0001 = ffffffff fl=0095
        ALU2 sbb, 32, 0x00000000, 0x00000000, FL_ARITH, FL_CF
;> sbb32 12345678 12345677 in=0001 = 00000000 fl=0044
        ALU2 sbb, 32, 0x12345678, 0x12345677, FL_ARITH, FL_CF
        ; ---- CMP (the destination is kept) ----
;> cmp8 01 02 = 01 fl=0095
        ALU2 cmp, 8, 0x01, 0x02, FL_ARITH, 0
;> cmp8 80 01 = 80 fl=0810
        ALU2 cmp, 8, 0x80, 0x01, FL_ARITH, 0
;> cmp16 1234 1234 = 1234 fl=0044
        ALU2 cmp, 16, 0x1234, 0x1234, FL_ARITH, 0
;> cmp16 0000 8000 = 0000 fl=0885
        ALU2 cmp, 16, 0x0000, 0x8000, FL_ARITH, 0
;> cmp32 00000001 ffffffff = 00000001 fl=0011
        ALU2 cmp, 32, 0x00000001, 0xffffffff, FL_ARITH, 0
        ; ---- NEG ----
;> neg8 00 = 00 fl=0044
        ALU1 neg, 8, 0x00, FL_ARITH, 0
;> neg8 80 = 80 fl=0881
        ALU1 neg, 8, 0x80, FL_ARITH, 0
;> neg8 01 = ff fl=0095
        ALU1 neg, 8, 0x01, FL_ARITH, 0
;> neg16 0000 in=08d5 = 0000 fl=0044
        ALU1 neg, 16, 0x0000, FL_ARITH, FL_ARITH
;> neg16 8000 = 8000 fl=0885
        ALU1 neg, 16, 0x8000, FL_ARITH, 0
;> neg16 0010 = fff0 fl=0085
        ALU1 neg, 16, 0x0010, FL_ARITH, 0
;> neg32 80000000 = 80000000 fl=0885
        ALU1 neg, 32, 0x80000000, FL_ARITH, 0
;> neg32 00000001 = ffffffff fl=0095
        ALU1 neg, 32, 0x00000001, FL_ARITH, 0
        ; ---- INC / DEC (CF is kept) ----
;> inc8 7f = 80 fl=0890
        ALU1 inc, 8, 0x7f, FL_ARITH, 0
;> inc8 ff in=0001 = 00 fl=0055
        ALU1 inc, 8, 0xff, FL_ARITH, FL_CF
;> inc16 7fff in=0001 = 8000 fl=0895
        ALU1 inc, 16, 0x7fff, FL_ARITH, FL_CF
;> inc16 ffff = 0000 fl=0054
        ALU1 inc, 16, 0xffff, FL_ARITH, 0
;> inc32 7fffffff = 80000000 fl=0894
        ALU1 inc, 32, 0x7fffffff, FL_ARITH, 0
;> inc32 ffffffff in=0001 = 00000000 fl=0055
        ALU1 inc, 32, 0xffffffff, FL_ARITH, FL_CF
;> dec8 80 = 7f fl=0810
        ALU1 dec, 8, 0x80, FL_ARITH, 0
;> dec8 00 in=0001 = ff fl=0095
        ALU1 dec, 8, 0x00, FL_ARITH, FL_CF
;> dec16 8000 in=0001 = 7fff fl=0815
        ALU1 dec, 16, 0x8000, FL_ARITH, FL_CF
;> dec16 0001 = 0000 fl=0044
        ALU1 dec, 16, 0x0001, FL_ARITH, 0
;> dec32 80000000 = 7fffffff fl=0814
        ALU1 dec, 32, 0x80000000, FL_ARITH, 0
;> dec32 00000000 in=0001 = ffffffff fl=0095
        ALU1 dec, 32, 0x00000000, FL_ARITH, FL_CF
        ; ---- AND OR XOR TEST (OF and CF cleared, AF undefined) ----
;> and8 f0 0f in=08d5 = 00 fl=0044
        ALU2 and, 8, 0xf0, 0x0f, FL_LOGIC, FL_ARITH
;> and8 ff 81 in=08d5 = 81 fl=0084
        ALU2 and, 8, 0xff, 0x81, FL_LOGIC, FL_ARITH
;> and16 f0f0 0ff0 in=08d5 = 00f0 fl=0004
        ALU2 and, 16, 0xf0f0, 0x0ff0, FL_LOGIC, FL_ARITH
;> and32 ffff0000 8000ffff in=08d5 = 80000000 fl=0084
        ALU2 and, 32, 0xffff0000, 0x8000ffff, FL_LOGIC, FL_ARITH
;> or8 00 00 in=08d5 = 00 fl=0044
        ALU2 or, 8, 0x00, 0x00, FL_LOGIC, FL_ARITH
;> or8 01 02 = 03 fl=0004
        ALU2 or, 8, 0x01, 0x02, FL_LOGIC, 0
;> or16 8001 0100 in=08d5 = 8101 fl=0080
        ALU2 or, 16, 0x8001, 0x0100, FL_LOGIC, FL_ARITH
;> or32 00000000 00010000 in=08d5 = 00010000 fl=0004
        ALU2 or, 32, 0x00000000, 0x00010000, FL_LOGIC, FL_ARITH
;> xor8 aa 55 = ff fl=0084
        ALU2 xor, 8, 0xaa, 0x55, FL_LOGIC, 0
;> xor16 ffff ffff in=08d5 = 0000 fl=0044
        ALU2 xor, 16, 0xffff, 0xffff, FL_LOGIC, FL_ARITH
;> xor16 1234 4321 = 5115 fl=0000
        ALU2 xor, 16, 0x1234, 0x4321, FL_LOGIC, 0
;> xor32 80000000 00000001 in=08d5 = 80000001 fl=0080
        ALU2 xor, 32, 0x80000000, 0x00000001, FL_LOGIC, FL_ARITH
;> test8 80 80 in=08d5 = 80 fl=0080
        ALU2 test, 8, 0x80, 0x80, FL_LOGIC, FL_ARITH
;> test16 0001 0002 in=08d5 = 0001 fl=0044
        ALU2 test, 16, 0x0001, 0x0002, FL_LOGIC, FL_ARITH
;> test32 00000300 00000100 = 00000300 fl=0004
        ALU2 test, 32, 0x00000300, 0x00000100, FL_LOGIC, 0
        ; ---- NOT (no flags) ----
;> not8 5a in=08d5 = a5 fl=08d5
        ALU1 not, 8, 0x5a, FL_ARITH, FL_ARITH
;> not16 0000 = ffff fl=0000
        ALU1 not, 16, 0x0000, FL_ARITH, 0
;> not32 12345678 in=0044 = edcba987 fl=0044
        ALU1 not, 32, 0x12345678, FL_ARITH, FL_ZF | FL_PF

        ; ---- other forms: high byte registers, immediates, memory, LOCK ----
        mov ax, 0
        mov es, ax
;> add ah,bh 7f 01 = 80 fl=0890
        mov ah, 0x7f
        mov bh, 0x01
        SETFL 0
        add ah, bh
        GETFL
        PRINT "add ah,bh 7f 01 = "
        HEX8 ah
        FL FL_ARITH
        NL
;> sub dh,cl 00 01 = ff fl=0095
        mov dh, 0x00
        mov cl, 0x01
        SETFL 0
        sub dh, cl
        GETFL
        PRINT "sub dh,cl 00 01 = "
        HEX8 dh
        FL FL_ARITH
        NL
;> add si,imm8 0005 ff = 0004 fl=0011
        mov si, 5
        SETFL 0
        add si, byte -1                 ; 83 /0 ib: the byte is sign-extended
        GETFL
        PRINT "add si,imm8 0005 ff = "
        HEX16 si
        FL FL_ARITH
        NL
;> and eax,imm8 12345678 f0 = 12345670 fl=0000
        mov eax, 0x12345678
        SETFL 0
        and eax, byte -16
        GETFL
        PRINT "and eax,imm8 12345678 f0 = "
        HEX32 eax
        FL FL_LOGIC
        NL
;> cmp al,imm8 (3c) 41 41 = 41 fl=0044
        mov al, 0x41
        SETFL 0
        cmp al, 0x41
        GETFL
        PRINT "cmp al,imm8 (3c) 41 41 = "
        HEX8 al
        FL FL_ARITH
        NL
;> sub ax,imm16 (2d) 0100 0101 = ffff fl=0095
        mov ax, 0x0100
        SETFL 0
        sub ax, 0x0101
        GETFL
        PRINT "sub ax,imm16 (2d) 0100 0101 = "
        HEX16 ax
        FL FL_ARITH
        NL
;> add [mem16],imm16 1234 1111 = 2345 fl=0000
        mov word [es:BUF], 0x1234
        SETFL 0
        add word [es:BUF], 0x1111
        GETFL
        PRINT "add [mem16],imm16 1234 1111 = "
        HEX16 [es:BUF]
        FL FL_ARITH
        NL
;> sbb [mem8],reg 00 01 in=0001 = fe fl=0091
        mov byte [es:BUF], 0x00
        mov dl, 1
        SETFL FL_CF
        sbb [es:BUF], dl
        GETFL
        PRINT "sbb [mem8],reg 00 01 in=0001 = "
        HEX8 [es:BUF]
        FL FL_ARITH
        NL
;> or reg,[mem32] 00000000 80000000 = 80000000 fl=0084
        mov dword [es:BUF], 0x80000000
        mov edx, 0
        SETFL 0
        or edx, [es:BUF]
        GETFL
        PRINT "or reg,[mem32] 00000000 80000000 = "
        HEX32 edx
        FL FL_LOGIC
        NL
;> lock add [mem16],reg ffff 0001 = 0000 fl=0055
        mov word [es:BUF], 0xffff
        mov cx, 1
        SETFL 0
        lock add [es:BUF], cx
        GETFL
        PRINT "lock add [mem16],reg ffff 0001 = "
        HEX16 [es:BUF]
        FL FL_ARITH
        NL
;> lock inc [mem32] 7fffffff in=0001 = 80000000 fl=0895
        mov dword [es:BUF], 0x7fffffff
        SETFL FL_CF
        lock inc dword [es:BUF]
        GETFL
        PRINT "lock inc [mem32] 7fffffff in=0001 = "
        HEX32 [es:BUF]
        FL FL_ARITH
        NL
;> neg [mem8] 7f = 81 fl=0095
        mov byte [es:BUF], 0x7f
        SETFL 0
        neg byte [es:BUF]
        GETFL
        PRINT "neg [mem8] 7f = "
        HEX8 [es:BUF]
        FL FL_ARITH
        NL
;> not [mem16] 00ff = ff00
        mov word [es:BUF], 0x00ff
        not word [es:BUF]
        PRINT "not [mem16] 00ff = "
        HEX16 [es:BUF]
        NL
;> cmp [bx+si+disp8],imm8 1000 fff0 = 1000 fl=0001
        mov bx, BUF - 0x10
        mov si, 0x08
        mov word [es:BUF], 0x1000
        SETFL 0
        cmp word [es:bx + si + 0x08], byte -0x10
        GETFL
        PRINT "cmp [bx+si+disp8],imm8 1000 fff0 = "
        HEX16 [es:BUF]
        FL FL_ARITH
        NL

        ; ---- XADD ----
;> xadd8 10 f0 = 00 10 fl=0045
        mov al, 0x10
        mov bl, 0xf0
        SETFL 0
        xadd al, bl
        GETFL
        PRINT "xadd8 10 f0 = "
        HEX8 al
        PRINT " "
        HEX8 bl
        FL FL_ARITH
        NL
;> xadd16 7fff 0001 = 8000 7fff fl=0894
        mov ax, 0x7fff
        mov bx, 0x0001
        SETFL 0
        xadd ax, bx
        GETFL
        PRINT "xadd16 7fff 0001 = "
        HEX16 ax
        PRINT " "
        HEX16 bx
        FL FL_ARITH
        NL
;> lock xadd [mem32],reg 00000005 00000003 = 00000008 00000005 fl=0000
        mov dword [es:BUF], 5
        mov ecx, 3
        SETFL 0
        lock xadd [es:BUF], ecx
        GETFL
        PRINT "lock xadd [mem32],reg 00000005 00000003 = "
        HEX32 [es:BUF]
        PRINT " "
        HEX32 ecx
        FL FL_ARITH
        NL

        ; ---- CMPXCHG: accumulator == destination: ZF=1, destination := source;
        ;      otherwise ZF=0, accumulator := destination. Flags as CMP accumulator, destination.
;> cmpxchg8 al=12 dst=12 src=34 = al=12 dst=34 fl=0044
        mov al, 0x12
        mov bl, 0x12
        mov cl, 0x34
        SETFL 0
        cmpxchg bl, cl
        GETFL
        PRINT "cmpxchg8 al=12 dst=12 src=34 = al="
        HEX8 al
        PRINT " dst="
        HEX8 bl
        FL FL_ARITH
        NL
;> cmpxchg16 ax=1000 dst=2000 src=3000 = ax=2000 dst=2000 fl=0085
        mov ax, 0x1000
        mov bx, 0x2000
        mov cx, 0x3000
        SETFL 0
        cmpxchg bx, cx
        GETFL
        PRINT "cmpxchg16 ax=1000 dst=2000 src=3000 = ax="
        HEX16 ax
        PRINT " dst="
        HEX16 bx
        FL FL_ARITH
        NL
;> lock cmpxchg [mem32] eax=00000001 dst=00000001 src=cafef00d = eax=00000001 dst=cafef00d fl=0044
        mov dword [es:BUF], 1
        mov eax, 1
        mov edx, 0xcafef00d
        SETFL 0
        lock cmpxchg [es:BUF], edx
        GETFL
        PRINT "lock cmpxchg [mem32] eax=00000001 dst=00000001 src=cafef00d = eax="
        HEX32 eax
        PRINT " dst="
        HEX32 [es:BUF]
        FL FL_ARITH
        NL
;> cmpxchg [mem32] eax=00000002 dst=00000001 src=cafef00d = eax=00000001 dst=00000001 fl=0000
        mov dword [es:BUF], 1
        mov eax, 2
        SETFL 0
        cmpxchg [es:BUF], edx
        GETFL
        PRINT "cmpxchg [mem32] eax=00000002 dst=00000001 src=cafef00d = eax="
        HEX32 eax
        PRINT " dst="
        HEX32 [es:BUF]
        FL FL_ARITH
        NL

        ; ---- CMPXCHG8B: EDX:EAX == m64: ZF=1, m64 := ECX:EBX; otherwise ZF=0, EDX:EAX := m64.
;> cmpxchg8b equal in=0895 = edx:eax=11111111:22222222 m64=33333333:44444444 fl=08d5
        mov dword [es:BUF], 0x22222222
        mov dword [es:BUF + 4], 0x11111111
        mov edx, 0x11111111
        mov eax, 0x22222222
        mov ecx, 0x33333333
        mov ebx, 0x44444444
        SETFL FL_ARITH - FL_ZF
        cmpxchg8b [es:BUF]
        GETFL
        PRINT "cmpxchg8b equal in=0895 = edx:eax="
        HEX32 edx
        PRINT ":"
        HEX32 eax
        PRINT " m64="
        HEX32 [es:BUF + 4]
        PRINT ":"
        HEX32 [es:BUF]
        FL FL_ARITH
        NL
;> lock cmpxchg8b differ in=0041 = edx:eax=33333333:44444444 m64=33333333:44444444 fl=0001
        mov edx, 0x33333333
        mov eax, 0x44444445
        SETFL FL_ZF | FL_CF
        lock cmpxchg8b [es:BUF]
        GETFL
        PRINT "lock cmpxchg8b differ in=0041 = edx:eax="
        HEX32 edx
        PRINT ":"
        HEX32 eax
        PRINT " m64="
        HEX32 [es:BUF + 4]
        PRINT ":"
        HEX32 [es:BUF]
        FL FL_ARITH
        NL

;> alu done
        PRINT "alu done", 10
        EXIT 0
        ROM_END
