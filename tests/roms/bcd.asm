; bcd.asm: DAA DAS AAA AAS AAM AAD, in real mode.
;
; Lines:
;   "<daa|das> <al> in=<flags before> = <al> fl=<flags>"     flags masked with 00d5: SF ZF AF PF
;       CF are defined, OF is undefined (SDM Vol. 2, DAA, DAS)
;   "<aaa|aas> <ax> in=<flags before> = <ax> fl=<flags>"     masked with 0011: AF CF defined, OF SF
;       ZF PF undefined (SDM Vol. 2, AAA, AAS: the P6 adds/subtracts 106H/6 to/from all of AX)
;   "<aam|aad> <ax> <base> = <ax> fl=<flags>"                masked with 00c4: SF ZF PF defined, OF
;       AF CF undefined (SDM Vol. 2, AAM, AAD; the base is the immediate byte)
%include "rom.inc"
        ROM_BEGIN

; ADJ8 op, al, flags-before
%macro ADJ8 3
        mov al, %2
        SETFL %3
        %1
        GETFL
        PRINT %str(%1), " "
        HEX8 %2
        PRINT " in="
        HEX16 %3
        PRINT " = "
        HEX8 al
        FL FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF
        NL
%endmacro

; ADJ16 op, ax, flags-before, mask
%macro ADJ16 4
        mov ax, %2
        SETFL %3
        %1
        GETFL
        PRINT %str(%1), " "
        HEX16 %2
        PRINT " in="
        HEX16 %3
        PRINT " = "
        HEX16 ax
        FL %4
        NL
%endmacro

; ADJB op, ax, base: AAM/AAD with an immediate base
%macro ADJB 3
        mov ax, %2
        SETFL 0
        %1 %3
        GETFL
        PRINT %str(%1), " "
        HEX16 %2
        PRINT " "
        HEX8 %3
        PRINT " = "
        HEX16 ax
        FL FL_SF | FL_ZF | FL_PF
        NL
%endmacro

rom_main:
;> daa 0a in=0000 = 10 fl=0010
        ADJ8 daa, 0x0a, 0x0000
;> daa 99 in=0000 = 99 fl=0084
        ADJ8 daa, 0x99, 0x0000
;> daa 9a in=0000 = 00 fl=0055
        ADJ8 daa, 0x9a, 0x0000
;> daa 00 in=0010 = 06 fl=0014
        ADJ8 daa, 0x00, 0x0010
;> daa 00 in=0001 = 60 fl=0005
        ADJ8 daa, 0x00, 0x0001
;> daa 99 in=0011 = ff fl=0095
        ADJ8 daa, 0x99, 0x0011
;> daa ff in=0000 = 65 fl=0015
        ADJ8 daa, 0xff, 0x0000
;> daa 7a in=0000 = 80 fl=0090
        ADJ8 daa, 0x7a, 0x0000
;> daa 41 in=0010 = 47 fl=0014
        ADJ8 daa, 0x41, 0x0010
;> daa 00 in=08c4 = 00 fl=0044
        ADJ8 daa, 0x00, 0x08c4
;> das 0a in=0000 = 04 fl=0010
        ADJ8 das, 0x0a, 0x0000
;> das 05 in=0010 = ff fl=0095
        ADJ8 das, 0x05, 0x0010
;> das 00 in=0001 = a0 fl=0085
        ADJ8 das, 0x00, 0x0001
;> das 9a in=0000 = 34 fl=0011
        ADJ8 das, 0x9a, 0x0000
;> das ff in=0000 = 99 fl=0095
        ADJ8 das, 0xff, 0x0000
;> das 66 in=0011 = 00 fl=0055
        ADJ8 das, 0x66, 0x0011
;> das 10 in=0001 = b0 fl=0081
        ADJ8 das, 0x10, 0x0001
;> aaa 0009 in=0000 = 0009 fl=0000
        ADJ16 aaa, 0x0009, 0x0000, FL_AF | FL_CF
;> aaa 000a in=0000 = 0100 fl=0011
        ADJ16 aaa, 0x000a, 0x0000, FL_AF | FL_CF
;> aaa 00fa in=0000 = 0200 fl=0011
        ADJ16 aaa, 0x00fa, 0x0000, FL_AF | FL_CF
;> aaa 0105 in=0010 = 020b fl=0011
        ADJ16 aaa, 0x0105, 0x0010, FL_AF | FL_CF
;> aaa ff0b in=0000 = 0001 fl=0011
        ADJ16 aaa, 0xff0b, 0x0000, FL_AF | FL_CF
;> aaa 1237 in=0011 = 130d fl=0011
        ADJ16 aaa, 0x1237, 0x0011, FL_AF | FL_CF
;> aas 0009 in=0000 = 0009 fl=0000
        ADJ16 aas, 0x0009, 0x0000, FL_AF | FL_CF
;> aas 000b in=0000 = ff05 fl=0011
        ADJ16 aas, 0x000b, 0x0000, FL_AF | FL_CF
;> aas 0100 in=0010 = ff0a fl=0011
        ADJ16 aas, 0x0100, 0x0010, FL_AF | FL_CF
;> aas 0205 in=0010 = 000f fl=0011
        ADJ16 aas, 0x0205, 0x0010, FL_AF | FL_CF
;> aas 0000 in=0001 = 0000 fl=0000
        ADJ16 aas, 0x0000, 0x0001, FL_AF | FL_CF
;> aas 1234 in=0011 = 110e fl=0011
        ADJ16 aas, 0x1234, 0x0011, FL_AF | FL_CF
;> aam 003f 0a = 0603 fl=0004
        ADJB aam, 0x003f, 10
;> aam 0000 0a = 0000 fl=0044
        ADJB aam, 0x0000, 10
;> aam 12ff 10 = 0f0f fl=0004
        ADJB aam, 0x12ff, 16
;> aam 0063 07 = 0e01 fl=0000
        ADJB aam, 0x0063, 7
;> aam 0080 ff = 0080 fl=0080
        ADJB aam, 0x0080, 255
;> aam 00ff 01 = ff00 fl=0044
        ADJB aam, 0x00ff, 1
;> aad 0603 0a = 003f fl=0004
        ADJB aad, 0x0603, 10
;> aad 0909 0a = 0063 fl=0004
        ADJB aad, 0x0909, 10
;> aad ff0f 10 = 00ff fl=0084
        ADJB aad, 0xff0f, 16
;> aad 0080 0a = 0080 fl=0080
        ADJB aad, 0x0080, 10
;> aad 1900 0a = 00fa fl=0084
        ADJB aad, 0x1900, 10
;> aad 0000 0a = 0000 fl=0044
        ADJB aad, 0x0000, 10
;> aad 0102 ff = 0001 fl=0000
        ADJB aad, 0x0102, 255

        ; ---- in use: packed BCD 1999 + 2001 and 4000 - 0001 with ADD/ADC/DAA, SUB/SBB/DAS;
        ;      unpacked 9 + 5 with ADD/AAA, 7 * 8 with MUL/AAM, 72 / 9 with AAD/DIV ----
;> bcd 1999+2001 = 4000
        mov al, 0x99
        add al, 0x01
        daa
        mov dl, al
        mov al, 0x19
        adc al, 0x20
        daa
        mov dh, al
        PRINT "bcd 1999+2001 = "
        HEX16 dx
        NL
;> bcd 4000-0001 = 3999
        mov al, 0x00
        sub al, 0x01
        das
        mov dl, al
        mov al, 0x40
        sbb al, 0x00
        das
        mov dh, al
        PRINT "bcd 4000-0001 = "
        HEX16 dx
        NL
;> unpacked 9+5 = 0104
        mov ax, 0x0009
        add al, 0x05
        aaa
        PRINT "unpacked 9+5 = "
        HEX16 ax
        NL
;> unpacked 7*8 = 0506
        mov al, 7
        mov bl, 8
        mul bl
        aam
        PRINT "unpacked 7*8 = "
        HEX16 ax
        NL
;> unpacked 72/9 = 0008
        mov ax, 0x0702
        aad
        mov bl, 9
        div bl
        PRINT "unpacked 72/9 = "
        HEX16 ax
        NL

;> bcd done
        PRINT "bcd done", 10
        EXIT 0
        ROM_END
