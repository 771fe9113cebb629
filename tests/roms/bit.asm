; bit.asm: BT BTS BTR BTC (register and immediate bit offsets, register and memory operands,
; bit strings beyond the addressed word, negative offsets, LOCK), BSF BSR, in real mode.
;
; Lines:
;   "<op><bits> <value> <bit> [in=<flags before>] = <value after> fl=<flags>"   register operand
;       (the bit offset is taken modulo the operand size); "<op><bits>i" for an immediate offset.
;       The flags are masked with 0041: CF is the selected bit, ZF is unaffected; OF SF AF PF
;       are undefined (SDM Vol. 2, BT/BTS/BTR/BTC).
;   "<bsf|bsr><bits> <source> = <index> fl=<flags>"   masked with 0040: ZF is defined, CF OF SF
;       AF PF undefined; for a zero source the destination is undefined and not printed.
%include "rom.inc"
        ROM_BEGIN

BUF equ 0x0600          ; RAM scratch (segment 0)

%macro REGS 1
%if %1 == 16
%define %$a ax
%define %$b bx
%else
%define %$a eax
%define %$b ebx
%endif
%endmacro

; BTR op, bits, value, bit, flags-before: bit offset in a register
%macro BTR 5
%push btr
        REGS %2
        mov %$a, %3
        mov %$b, %4
        SETFL %5
        %1 %$a, %$b
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
        PRINT " "
        HEX8 %4
%if %5 != 0
        PRINT " in="
        HEX16 %5
%endif
        PRINT " = "
        HEXN %2, %$a
        FL FL_ZF | FL_CF
        NL
%pop
%endmacro

; BTI op, bits, value, bit, flags-before: immediate bit offset
%macro BTI 5
%push bti
        REGS %2
        mov %$a, %3
        SETFL %5
        %1 %$a, %4
        GETFL
        PRINT %str(%1), %str(%2), "i "
        HEXN %2, %3
        PRINT " "
        HEX8 %4
%if %5 != 0
        PRINT " in="
        HEX16 %5
%endif
        PRINT " = "
        HEXN %2, %$a
        FL FL_ZF | FL_CF
        NL
%pop
%endmacro

; BSX op, bits, source (nonzero)
%macro BSX 3
%push bsx
        REGS %2
        mov %$b, %3
        SETFL 0
        %1 %$a, %$b
        GETFL
        PRINT %str(%1), %str(%2), " "
        HEXN %2, %3
        PRINT " = "
        HEXN %2, %$a
        FL FL_ZF
        NL
%pop
%endmacro

; MEM16 label: prints " m=" and the four words at BUF .. BUF+6 (segment 0).
%macro MEMWORDS 0
        PRINT " m="
        HEX16 [es:BUF + 6]
        PRINT ":"
        HEX16 [es:BUF + 4]
        PRINT ":"
        HEX16 [es:BUF + 2]
        PRINT ":"
        HEX16 [es:BUF]
%endmacro

; CLEARBUF: BUF .. BUF+7 := 0
%macro CLEARBUF 0
        mov dword [es:BUF], 0
        mov dword [es:BUF + 4], 0
%endmacro

rom_main:
;> bt16 0008 03 = 0008 fl=0001
        BTR bt, 16, 0x0008, 3, 0x0000
;> bt16 0008 13 in=0040 = 0008 fl=0041
        BTR bt, 16, 0x0008, 19, 0x0040
;> bt16 8000 0f in=0001 = 8000 fl=0001
        BTR bt, 16, 0x8000, 15, 0x0001
;> bt32 00000001 00 in=0040 = 00000001 fl=0041
        BTR bt, 32, 0x00000001, 0, 0x0040
;> bt32 80000000 3f = 80000000 fl=0001
        BTR bt, 32, 0x80000000, 63, 0x0000
;> bt32 00000000 23 in=0041 = 00000000 fl=0040
        BTR bt, 32, 0x00000000, 35, 0x0041
;> bt16 fffe 00 = fffe fl=0000
        BTR bt, 16, 0xfffe, 0, 0x0000
;> bts16 0008 03 = 0008 fl=0001
        BTR bts, 16, 0x0008, 3, 0x0000
;> bts16 0008 13 in=0040 = 0008 fl=0041
        BTR bts, 16, 0x0008, 19, 0x0040
;> bts16 8000 0f in=0001 = 8000 fl=0001
        BTR bts, 16, 0x8000, 15, 0x0001
;> bts32 00000001 00 in=0040 = 00000001 fl=0041
        BTR bts, 32, 0x00000001, 0, 0x0040
;> bts32 80000000 3f = 80000000 fl=0001
        BTR bts, 32, 0x80000000, 63, 0x0000
;> bts32 00000000 23 in=0041 = 00000008 fl=0040
        BTR bts, 32, 0x00000000, 35, 0x0041
;> bts16 fffe 00 = ffff fl=0000
        BTR bts, 16, 0xfffe, 0, 0x0000
;> btr16 0008 03 = 0000 fl=0001
        BTR btr, 16, 0x0008, 3, 0x0000
;> btr16 0008 13 in=0040 = 0000 fl=0041
        BTR btr, 16, 0x0008, 19, 0x0040
;> btr16 8000 0f in=0001 = 0000 fl=0001
        BTR btr, 16, 0x8000, 15, 0x0001
;> btr32 00000001 00 in=0040 = 00000000 fl=0041
        BTR btr, 32, 0x00000001, 0, 0x0040
;> btr32 80000000 3f = 00000000 fl=0001
        BTR btr, 32, 0x80000000, 63, 0x0000
;> btr32 00000000 23 in=0041 = 00000000 fl=0040
        BTR btr, 32, 0x00000000, 35, 0x0041
;> btr16 fffe 00 = fffe fl=0000
        BTR btr, 16, 0xfffe, 0, 0x0000
;> btc16 0008 03 = 0000 fl=0001
        BTR btc, 16, 0x0008, 3, 0x0000
;> btc16 0008 13 in=0040 = 0000 fl=0041
        BTR btc, 16, 0x0008, 19, 0x0040
;> btc16 8000 0f in=0001 = 0000 fl=0001
        BTR btc, 16, 0x8000, 15, 0x0001
;> btc32 00000001 00 in=0040 = 00000000 fl=0041
        BTR btc, 32, 0x00000001, 0, 0x0040
;> btc32 80000000 3f = 00000000 fl=0001
        BTR btc, 32, 0x80000000, 63, 0x0000
;> btc32 00000000 23 in=0041 = 00000008 fl=0040
        BTR btc, 32, 0x00000000, 35, 0x0041
;> btc16 fffe 00 = ffff fl=0000
        BTR btc, 16, 0xfffe, 0, 0x0000
;> bt16i 1000 0c = 1000 fl=0001
        BTI bt, 16, 0x1000, 12, 0x0000
;> bt32i 00010000 30 in=0040 = 00010000 fl=0041
        BTI bt, 32, 0x00010000, 48, 0x0040
;> bts16i 1000 0c = 1000 fl=0001
        BTI bts, 16, 0x1000, 12, 0x0000
;> bts32i 00010000 30 in=0040 = 00010000 fl=0041
        BTI bts, 32, 0x00010000, 48, 0x0040
;> btr16i 1000 0c = 0000 fl=0001
        BTI btr, 16, 0x1000, 12, 0x0000
;> btr32i 00010000 30 in=0040 = 00000000 fl=0041
        BTI btr, 32, 0x00010000, 48, 0x0040
;> btc16i 1000 0c = 0000 fl=0001
        BTI btc, 16, 0x1000, 12, 0x0000
;> btc32i 00010000 30 in=0040 = 00000000 fl=0041
        BTI btc, 32, 0x00010000, 48, 0x0040
;> bsf16 0001 = 0000 fl=0000
        BSX bsf, 16, 0x0001
;> bsf16 8000 = 000f fl=0000
        BSX bsf, 16, 0x8000
;> bsf16 0110 = 0004 fl=0000
        BSX bsf, 16, 0x0110
;> bsf32 80000000 = 0000001f fl=0000
        BSX bsf, 32, 0x80000000
;> bsf32 00010100 = 00000008 fl=0000
        BSX bsf, 32, 0x00010100
;> bsf32 ffffffff = 00000000 fl=0000
        BSX bsf, 32, 0xffffffff
;> bsr16 0001 = 0000 fl=0000
        BSX bsr, 16, 0x0001
;> bsr16 8000 = 000f fl=0000
        BSX bsr, 16, 0x8000
;> bsr16 0110 = 0008 fl=0000
        BSX bsr, 16, 0x0110
;> bsr32 80000000 = 0000001f fl=0000
        BSX bsr, 32, 0x80000000
;> bsr32 00010100 = 00000010 fl=0000
        BSX bsr, 32, 0x00010100
;> bsr32 ffffffff = 0000001f fl=0000
        BSX bsr, 32, 0xffffffff

        ; ---- bsf/bsr of zero: ZF = 1, the destination is undefined ----
;> bsf16 0000 = (undefined) fl=0040
        mov bx, 0
        SETFL 0
        bsf ax, bx
        GETFL
        PRINT "bsf16 0000 = (undefined)"
        FL FL_ZF
        NL
;> bsr32 00000000 = (undefined) fl=0040
        mov ebx, 0
        SETFL 0
        bsr eax, ebx
        GETFL
        PRINT "bsr32 00000000 = (undefined)"
        FL FL_ZF
        NL

        ; ---- memory operands: with a register offset the operand is a bit string starting at
        ;      the address (the offset is signed and may reach other words); with an immediate
        ;      offset only the addressed word is used (offset modulo its size) ----
        mov ax, 0
        mov es, ax
;> bt [mem16],reg 17 m=0000:0000:0002:0000 fl=0001
        CLEARBUF
        mov word [es:BUF + 2], 0x0002
        mov ax, 17
        SETFL 0
        bt word [es:BUF], ax            ; bit 1 of the word at BUF+2
        GETFL
        PRINT "bt [mem16],reg 17"
        MEMWORDS
        FL FL_ZF | FL_CF
        NL
;> bts [mem16+4],reg -1 m=0000:0000:8000:0000 fl=0000
        CLEARBUF
        mov ax, -1
        SETFL 0
        bts word [es:BUF + 4], ax       ; bit 15 of the word at BUF+2
        GETFL
        PRINT "bts [mem16+4],reg -1"
        MEMWORDS
        FL FL_ZF | FL_CF
        NL
;> lock btr [mem32],reg 33 in=0040 m=ffff:fffd:0000:0000 fl=0041
        CLEARBUF
        mov dword [es:BUF + 4], 0xffffffff
        mov eax, 33
        SETFL FL_ZF
        lock btr dword [es:BUF], eax    ; bit 1 of the dword at BUF+4
        GETFL
        PRINT "lock btr [mem32],reg 33 in=0040"
        MEMWORDS
        FL FL_ZF | FL_CF
        NL
;> btc [mem32+8],reg -33 m=0000:0000:8000:0000 fl=0000
        CLEARBUF
        mov eax, -33
        SETFL 0
        btc dword [es:BUF + 8], eax     ; bit 31 of the dword at BUF
        GETFL
        PRINT "btc [mem32+8],reg -33"
        MEMWORDS
        FL FL_ZF | FL_CF
        NL
;> bts [mem16],imm 17 m=0000:0000:0000:0002 fl=0001
        CLEARBUF
        mov word [es:BUF], 0x0002
        SETFL 0
        bts word [es:BUF], 17           ; immediate: bit 17 mod 16 = 1 of the word at BUF
        GETFL
        PRINT "bts [mem16],imm 17"
        MEMWORDS
        FL FL_ZF | FL_CF
        NL
;> bsf32 [mem] 00000010 = 00000004 fl=0000
        CLEARBUF
        mov dword [es:BUF], 0x00000010
        SETFL 0
        bsf ecx, [es:BUF]
        GETFL
        PRINT "bsf32 [mem] 00000010 = "
        HEX32 ecx
        FL FL_ZF
        NL
;> bsr16 [mem] 0ff0 = 000b fl=0000
        mov word [es:BUF], 0x0ff0
        SETFL 0
        bsr dx, [es:BUF]
        GETFL
        PRINT "bsr16 [mem] 0ff0 = "
        HEX16 dx
        FL FL_ZF
        NL

;> bit done
        PRINT "bit done", 10
        EXIT 0
        ROM_END
