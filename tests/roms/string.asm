; string.asm: MOVS STOS LODS CMPS SCAS INS OUTS, bytes, words and dwords, with REP/REPE/REPNE,
; forwards and backwards (DF), a zero count, a segment override on the source, 16-bit address
; wrap-around and 32-bit addressing, in real mode.
;
; Lines print what the instruction left: SI (relative to the source string), DI, CX (or ESI, EDI, ECX), the accumulator, the
; memory written, and for CMPS/SCAS the flags (as CMP: OF SF ZF AF PF CF, mask 08d5). REP stops
; when (E)CX reaches 0; REPE/REPNE also stop after the compare that clears/sets ZF. With a zero
; count nothing is read or written and the flags stay (SDM Vol. 2, REP/REPE/REPZ/REPNE/REPNZ).
%include "rom.inc"
        ROM_BEGIN

BUF  equ 0x0600         ; RAM buffers (segment 0)
BUF2 equ 0x0700

hello:  db "hello", 0
help:   db "help!", 0
words:  dw 0x1111, 0x2222, 0x3333
dwords: dd 0x89abcdef, 0x01234567

; REGS16: " si=.. di=.. cx=.."
%macro REGS16 0
        PRINT " si="
        HEX16 si
        PRINT " di="
        HEX16 di
        PRINT " cx="
        HEX16 cx
%endmacro

; SHOWSTR addr: prints " '<the string at 0:addr>'"
%macro SHOWSTR 1
        PRINT " '"
        push ds
        push si
        push ax
        mov ax, 0
        mov ds, ax
        mov si, %1
        call puts
        pop ax
        pop si
        pop ds
        PRINT "'"
%endmacro

; FILLBUF byte: BUF .. BUF+15 := byte, BUF+16 := 0
%macro FILLBUF 1
        push ax
        mov eax, %1 * 0x01010101
        mov [es:BUF], eax
        mov [es:BUF + 4], eax
        mov [es:BUF + 8], eax
        mov [es:BUF + 12], eax
        mov byte [es:BUF + 16], 0
        pop ax
%endmacro

rom_main:
        mov ax, 0
        mov es, ax                      ; destinations in RAM, sources in the ROM (DS = F000)

        ; ---- MOVS ----
;> rep movsb 'hello' si=0005 di=0606 cx=0000 '.hello..........'
        FILLBUF '.'
        mov si, hello
        mov di, BUF + 1
        mov cx, 5
        rep movsb
        PRINT "rep movsb 'hello'"
        sub si, hello
        REGS16
        SHOWSTR BUF
        NL
;> rep movsw backwards si=fffe di=05fe cx=0000 m=1111:2222:3333
        FILLBUF 0
        mov si, words + 4
        mov di, BUF + 4
        mov cx, 3
        std
        rep movsw
        cld
        PRINT "rep movsw backwards"
        sub si, words                   ; fffe: one word below the first
        REGS16
        PRINT " m="
        HEX16 [es:BUF]
        PRINT ":"
        HEX16 [es:BUF + 2]
        PRINT ":"
        HEX16 [es:BUF + 4]
        NL
;> movsd si=0004 di=0604 m=89abcdef
        FILLBUF 0
        mov si, dwords
        mov di, BUF
        movsd
        PRINT "movsd"
        sub si, dwords
        PRINT " si="
        HEX16 si
        PRINT " di="
        HEX16 di
        PRINT " m="
        HEX32 [es:BUF]
        NL
;> rep movsb cx=0 si=0000 di=0600 cx=0000 '................'
        FILLBUF '.'
        mov si, hello
        mov di, BUF
        mov cx, 0
        rep movsb
        PRINT "rep movsb cx=0"
        sub si, hello
        REGS16
        SHOWSTR BUF
        NL
;> fs: rep movsb (RAM to RAM) si=0703 di=0603 cx=0000 'abc.............'
        FILLBUF '.'
        mov dword [es:BUF2], 'abcd'
        push ds
        mov ax, 0
        mov fs, ax
        mov ds, ax                      ; DS must not matter: the source is FS:SI
        mov ax, 0x1234
        mov ds, ax
        mov si, BUF2
        mov di, BUF
        mov cx, 3
        fs rep movsb
        pop ds
        PRINT "fs: rep movsb (RAM to RAM)"
        REGS16
        SHOWSTR BUF
        NL
;> rep movsb a16 with ecx=00010002: ecx=00010000 'he..............'
        FILLBUF '.'
        mov si, hello
        mov di, BUF
        mov ecx, 0x00010002             ; 16-bit addressing counts with CX only
        rep movsb
        PRINT "rep movsb a16 with ecx=00010002: ecx="
        HEX32 ecx
        SHOWSTR BUF
        NL
;> a32 rep movsb esi=00000003 edi=00000603 ecx=00000000 'hel.............'
        FILLBUF '.'
        ; 32-bit addressing: ESI, EDI and ECX are used whole (offsets stay below the 64 KiB
        ; real-mode limit: beyond it the SDM raises #GP, which QEMU does not model).
        mov esi, hello
        mov edi, BUF
        mov ecx, 3
        a32 rep movsb
        sub esi, hello
        PRINT "a32 rep movsb esi="
        HEX32 esi
        PRINT " edi="
        HEX32 edi
        PRINT " ecx="
        HEX32 ecx
        SHOWSTR BUF
        NL

        ; ---- STOS / LODS ----
;> rep stosb di=060a cx=0000 '**********......'
        FILLBUF '.'
        mov al, '*'
        mov di, BUF
        mov cx, 10
        rep stosb
        PRINT "rep stosb"
        PRINT " di="
        HEX16 di
        PRINT " cx="
        HEX16 cx
        SHOWSTR BUF
        NL
;> rep stosw backwards di=05fe cx=0000 m=abcd:abcd:0000
        FILLBUF 0
        mov ax, 0xabcd
        mov di, BUF + 2
        mov cx, 2
        std
        rep stosw
        cld
        PRINT "rep stosw backwards di="
        HEX16 di
        PRINT " cx="
        HEX16 cx
        PRINT " m="
        HEX16 [es:BUF]
        PRINT ":"
        HEX16 [es:BUF + 2]
        PRINT ":"
        HEX16 [es:BUF + 4]
        NL
;> stosd di=0604 m=deadbeef
        FILLBUF 0
        mov eax, 0xdeadbeef
        mov di, BUF
        stosd
        PRINT "stosd di="
        HEX16 di
        PRINT " m="
        HEX32 [es:BUF]
        NL
;> stosb at di=ffff: di=0000 m=5a
        push es
        mov ax, 0x1000
        mov es, ax
        mov al, 0x5a
        mov di, 0xffff
        stosb                           ; writes 1000:FFFF, DI wraps to 0000
        mov bx, es
        pop es
        PRINT "stosb at di=ffff: di="
        HEX16 di
        push ds
        mov ds, bx
        PRINT " m="
        HEX8 [0xffff]
        pop ds
        NL
;> lodsb/lodsw/lodsd 'hello',0,'help!': al=68 ax=6c65 eax=68006f6c si=0007
        mov eax, 0xffffffff
        mov si, hello
        lodsb
        mov bl, al
        lodsw
        mov cx, ax
        lodsd
        PRINT "lodsb/lodsw/lodsd 'hello',0,'help!': al="
        HEX8 bl
        PRINT " ax="
        HEX16 cx
        PRINT " eax="
        HEX32 eax
        sub si, hello
        PRINT " si="
        HEX16 si
        NL

        ; ---- CMPS / SCAS ----
;> repe cmpsb 'hello' 'help!' si=0004 di=0604 cx=0001 fl=0085
        mov dword [es:BUF], 'help'
        mov word [es:BUF + 4], '!'
        mov si, hello
        mov di, BUF
        mov cx, 5
        SETFL 0
        repe cmpsb                      ; stops after 'l' - 'p'
        GETFL
        PRINT "repe cmpsb 'hello' 'help!'"
        sub si, hello
        REGS16
        FL FL_ARITH
        NL
;> repe cmpsw equal si=0006 di=0606 cx=0000 fl=0044
        mov eax, [words]
        mov [es:BUF], eax
        mov ax, [words + 4]
        mov [es:BUF + 4], ax
        mov si, words
        mov di, BUF
        mov cx, 3
        SETFL 0
        repe cmpsw
        GETFL
        PRINT "repe cmpsw equal"
        sub si, words
        REGS16
        FL FL_ARITH
        NL
;> repne cmpsd si=0008 di=0608 cx=0003 fl=0044
        mov dword [es:BUF], 0
        mov eax, [dwords + 4]
        mov [es:BUF + 4], eax
        mov si, dwords
        mov di, BUF
        mov cx, 5
        SETFL 0
        repne cmpsd                     ; 89abcdef != 0, then 01234567 == 01234567
        GETFL
        PRINT "repne cmpsd"
        sub si, dwords
        REGS16
        FL FL_ARITH
        NL
;> cmpsb 01 02 fl=0095; cmpsb 80 01 fl=0810
        mov byte [es:BUF], 0x02
        mov byte [es:BUF + 1], 0x01
        mov byte [es:BUF2], 0x01
        mov byte [es:BUF2 + 1], 0x80
        push ds
        mov ax, 0
        mov ds, ax
        mov si, BUF2
        mov di, BUF
        SETFL 0
        cmpsb                           ; [DS:SI] - [ES:DI] = 01 - 02
        GETFL
        PRINT "cmpsb 01 02"
        FL FL_ARITH
        SETFL 0
        cmpsb                           ; 80 - 01
        GETFL
        PRINT "; cmpsb 80 01"
        FL FL_ARITH
        pop ds
        NL
;> repne scasb 'l' in 'hello' di=0603 cx=0002 fl=0044
        mov dword [es:BUF], 'hell'
        mov word [es:BUF + 4], 'o'
        mov al, 'l'
        mov di, BUF
        mov cx, 5
        SETFL 0
        repne scasb
        GETFL
        PRINT "repne scasb 'l' in 'hello' di="
        HEX16 di
        PRINT " cx="
        HEX16 cx
        FL FL_ARITH
        NL
;> repne scasb 'z' in 'hello' di=0605 cx=0000 fl=0010
        mov al, 'z'
        mov di, BUF
        mov cx, 5
        SETFL 0
        repne scasb                     ; not found: the last compare is 'z' - 'o'
        GETFL
        PRINT "repne scasb 'z' in 'hello' di="
        HEX16 di
        PRINT " cx="
        HEX16 cx
        FL FL_ARITH
        NL
;> repe scasw cx=0 in=08d5 di=0600 cx=0000 fl=08d5
        mov ax, 0
        mov di, BUF
        mov cx, 0
        SETFL FL_ARITH
        repe scasw                      ; a zero count compares nothing: the flags stay
        GETFL
        PRINT "repe scasw cx=0 in=08d5 di="
        HEX16 di
        PRINT " cx="
        HEX16 cx
        FL FL_ARITH
        NL
;> scasd backwards 00000001 00000002 di=05fc fl=0095
        mov dword [es:BUF], 2
        mov eax, 1
        mov di, BUF
        std
        SETFL FL_DF
        scasd
        GETFL
        cld
        PRINT "scasd backwards 00000001 00000002 di="
        HEX16 di
        FL FL_ARITH
        NL

        ; ---- OUTS / INS through the debug console (port E9 reads back E9) ----
;> rep outsb: [outs!] si=0006 cx=0000
        PRINT "rep outsb: ["
        mov dx, DEBUGCON_PORT
        mov si, outs_text
        mov cx, 5
        rep outsb
        sub si, outs_text - 1
        PRINT "] si="
        HEX16 si
        PRINT " cx="
        HEX16 cx
        NL
;> rep insb: di=0603 m=e9e9e9 cx=0000
        FILLBUF 0
        mov dx, DEBUGCON_PORT
        mov di, BUF
        mov cx, 3
        rep insb
        PRINT "rep insb: di="
        HEX16 di
        PRINT " m="
        HEX8 [es:BUF]
        HEX8 [es:BUF + 1]
        HEX8 [es:BUF + 2]
        PRINT " cx="
        HEX16 cx
        NL

;> string done
        PRINT "string done", 10
        EXIT 0

outs_text: db "outs!"

        ROM_END
