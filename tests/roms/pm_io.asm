; pm_io.asm: I/O protection (SDM Vol. 1, 19.5 and 19.6; Vol. 2, IN, OUT, INS, OUTS): with CPL <=
; IOPL every port is allowed; otherwise the TSS's I/O permission bitmap decides, bit by bit for
; every port an access touches (a word or dword access straddling an allowed and a denied port
; is denied, also across a byte of the bitmap), and a port whose bits lie beyond the TSS limit
; is denied; #GP(0) for a denied access, before anything happens (REP INS/OUTS leave ECX, ESI and
; EDI alone).
;
; The bitmap covers ports 00-FF: it allows 80 (the POST port) and 82-87, and the debug console
; (E9) and the exit port (F4), so that ring 3 prints itself; it denies the rest. Only harmless
; ports are accessed (reads of 80-87, writes of 80); the values read are not printed (they are
; whatever the machine returns there).
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

IOMAP_OFF  equ 0x68
TSS_LIMIT  equ IOMAP_OFF + 0x20         ; 32 bytes for ports 00-FF, then a byte of FFs

; IOT "what", instruction...: prints "what:" and " ok" or the exception.
%macro IOT 2+
        PRINT %1, ":"
        TRY %%i, %%r
%%i:    %2
        PRINT " ok"
%%r:
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        mov edi, TSS0_BASE + IOMAP_OFF
        mov ecx, 0x21
        mov al, 0xFF
        rep stosb
        mov byte [TSS0_BASE + IOMAP_OFF + 0x10], 0x02   ; 80-87: all but 81 allowed
        mov byte [TSS0_BASE + IOMAP_OFF + 0xE9 / 8], ~(1 << (0xE9 & 7)) & 0xFF
        mov byte [TSS0_BASE + IOMAP_OFF + 0xF4 / 8], ~(1 << (0xF4 & 7)) & 0xFF
        mov word [TSS0_BASE + 0x66], IOMAP_OFF
        DESC SEL_TSS0, TSS0_BASE, TSS_LIMIT, 0x89, 0
        mov ax, SEL_TSS0
        ltr ax

;> CPL 0, IOPL 0: in al,81: ok; in al,dx (03f8): ok
        PRINT "CPL 0, IOPL 0: "
        IOT "in al,81", in al, 0x81
        mov dx, 0x3F8
        IOT "; in al,dx (03f8)", in al, dx
        NL
        TO_RING3 ring3_iopl3, 0x3002
ring3_iopl3:
;> CPL 3, IOPL 3: in al,81: ok; in al,dx (03f8): ok
        PRINT "CPL 3, IOPL 3: "
        IOT "in al,81", in al, 0x81
        mov dx, 0x3F8
        IOT "; in al,dx (03f8)", in al, dx
        NL
        TO_RING0 ring0
ring0:
        TO_RING3 ring3, 0x0002
ring3:
;> CPL 3, IOPL 0: the bitmap decides
        PRINT "CPL 3, IOPL 0: the bitmap decides", 10
;> in al,80: ok; out 80,al: ok; in al,81: #GP(0000) at 002b:insn+00 stack 0033:00005000; out 81,al: #GP(0000) at 002b:insn+00 stack 0033:00005000
        IOT "in al,80", in al, 0x80
        mov al, 0x55
        IOT "; out 80,al", out 0x80, al
        IOT "; in al,81", in al, 0x81
        IOT "; out 81,al", out 0x81, al
        NL
;> in ax,80 (80 allowed, 81 denied): #GP(0000) at 002b:insn+00 stack 0033:00005000; in ax,82: ok; in eax,84: ok; in eax,80: #GP(0000) at 002b:insn+00 stack 0033:00005000
        IOT "in ax,80 (80 allowed, 81 denied)", in ax, 0x80
        IOT "; in ax,82", in ax, 0x82
        IOT "; in eax,84", in eax, 0x84
        IOT "; in eax,80", in eax, 0x80
        NL
;> in ax,86: ok; in ax,87 (87 allowed, 88 denied: the next byte of the bitmap): #GP(0000) at 002b:insn+00 stack 0033:00005000
        IOT "in ax,86", in ax, 0x86
        IOT "; in ax,87 (87 allowed, 88 denied: the next byte of the bitmap)", in ax, 0x87
        NL
;> in al,7f: #GP(0000) at 002b:insn+00 stack 0033:00005000; in al,dx (0100, beyond the TSS limit): #GP(0000) at 002b:insn+00 stack 0033:00005000
        IOT "in al,7f", in al, 0x7F
        mov dx, 0x100
        IOT "; in al,dx (0100, beyond the TSS limit)", in al, dx
        NL
;> insb from 80: ok, edi=00000701; outsb to 80: ok, esi=00000701
        cld
        mov dx, 0x80
        mov edi, BUF
        IOT "insb from 80", insb
        PRINT ", edi="
        HEX32 edi
        mov esi, BUF
        IOT "; outsb to 80", outsb
        PRINT ", esi="
        HEX32 esi
        NL
;> rep outsb to 80, ecx=3: ok, ecx=00000000 esi=00000703; rep insw from 82, ecx=2: ok, ecx=00000000 edi=00000704
        mov esi, BUF
        mov ecx, 3
        IOT "rep outsb to 80, ecx=3", rep outsb
        PRINT ", ecx="
        HEX32 ecx
        PRINT " esi="
        HEX32 esi
        mov dx, 0x82
        mov edi, BUF
        mov ecx, 2
        IOT "; rep insw from 82, ecx=2", rep insw
        PRINT ", ecx="
        HEX32 ecx
        PRINT " edi="
        HEX32 edi
        NL
;> rep insb from 81, ecx=3: #GP(0000) at 002b:insn+00 stack 0033:00005000; ecx=00000003 edi=00000700
        mov dx, 0x81
        mov edi, BUF
        mov ecx, 3
        IOT "rep insb from 81, ecx=3", rep insb
        PRINT "; ecx="
        HEX32 ecx
        PRINT " edi="
        HEX32 edi
        NL
;> rep outsw to 80 (81 denied), ecx=2: #GP(0000) at 002b:insn+00 stack 0033:00005000; ecx=00000002 esi=00000700
        mov dx, 0x80
        mov esi, BUF
        mov ecx, 2
        IOT "rep outsw to 80 (81 denied), ecx=2", rep outsw
        PRINT "; ecx="
        HEX32 ecx
        PRINT " esi="
        HEX32 esi
        NL
;> the I/O map base beyond the TSS limit: in al,80: #GP(0000) at 002b:insn+00 stack 0033:00005000
        PRINT "the I/O map base beyond the TSS limit: in al,80:"
        mov word [TSS0_BASE + 0x66], 0x1000     ; (the ROM cannot print until it is back)
        TRY .b1, .b1r
.b1:    in al, 0x80
.b1r:   mov word [TSS0_BASE + 0x66], IOMAP_OFF
        NL
        TO_RING0 ring0_end
ring0_end:
;> pm_io done
        PRINT "pm_io done", 10
        EXIT 0

        bits 16
        ROM_END
