; exceptions.asm: exceptions and software interrupts in real mode, through handlers in the IVT:
; #DE from DIV/IDIV (divide by zero and quotient overflow, 8/16/32 bits) and AAM 0, #UD from UD2
; and other invalid encodings, #BR from BOUND (16 and 32 bits), INTO with OF = 1 and 0, INT3,
; INT 3, INT n to an exception vector, and an IVT moved with LIDT.
; Not tested: INT1/ICEBP (F1), which the SDM defines as a trap to vector 1 but QEMU 7.2 treats
; as an invalid opcode (#UD) unless built with WANT_ICEBP.
;
; The handler prints the vector, the CS:IP it finds on the stack (IP relative to the first byte
; of the instruction under test: +0000 for a fault, the instruction's length for a trap or a
; software interrupt) and the FLAGS it finds there, then resumes after the instruction. The
; line ends with what the instruction left: nothing may be committed by a faulting instruction
; (SDM Vol. 3A, 6.5: faults are reported with the state before the instruction).
%include "rom.inc"
        ROM_BEGIN

BUF        equ 0x0600   ; RAM scratch (segment 0)
EXC_INSN   equ 0x0580   ; the instruction under test (offset in F000)
EXC_RESUME equ 0x0582   ; where the handler resumes
EXC_COUNT  equ 0x0584   ; exceptions taken during the test
NEW_IVT    equ 0x2000   ; the IVT moved with LIDT

; TRY insn, resume: the next instruction under test starts at label insn; the handler resumes at
; label resume. Keeps every register (the flags too).
%macro TRY 2
        mov word [ss:EXC_INSN], %1
        mov word [ss:EXC_RESUME], %2
        mov word [ss:EXC_COUNT], 0
%endmacro

; COUNT: prints " count=N" (exceptions taken)
%macro COUNT 0
        PRINT " count="
        HEX8 [ss:EXC_COUNT]
%endmacro

; SETVEC vec, handler
%macro SETVEC 2
        mov word [ss:%1 * 4], %2
        mov word [ss:%1 * 4 + 2], ROM_SEG
%endmacro

rom_main:
        SETVEC 0, exc0
        SETVEC 3, exc3
        SETVEC 4, exc4
        SETVEC 5, exc5
        SETVEC 6, exc6
        mov ax, 0
        mov es, ax

        ; ---- #DE ----
;> div8 1234/00: vector 00 at f000:insn+0000 fl=08d7; after: ax=1234 count=01
        PRINT "div8 1234/00:"
        mov ax, 0x1234
        mov bl, 0
        TRY .i1, .r1
        SETFL FL_ARITH
.i1:    div bl
.r1:    PRINT "; after: ax="
        HEX16 ax
        COUNT
        NL
;> div8 1234/10 (quotient 123): vector 00 at f000:insn+0000 fl=0002; after: ax=1234 count=01
        PRINT "div8 1234/10 (quotient 123):"
        mov ax, 0x1234
        mov bl, 0x10
        TRY .i2, .r2
        SETFL 0
.i2:    div bl
.r2:    PRINT "; after: ax="
        HEX16 ax
        COUNT
        NL
;> div16 0001:0000/0000: vector 00 at f000:insn+0000 fl=0002; after: dx:ax=0001:0000 count=01
        PRINT "div16 0001:0000/0000:"
        mov dx, 1
        mov ax, 0
        mov bx, 0
        TRY .i3, .r3
        SETFL 0
.i3:    div bx
.r3:    PRINT "; after: dx:ax="
        HEX16 dx
        PRINT ":"
        HEX16 ax
        COUNT
        NL
;> div16 1234:0000/1234 (quotient 10000): vector 00 at f000:insn+0000 fl=0002; after: dx:ax=1234:0000 count=01
        PRINT "div16 1234:0000/1234 (quotient 10000):"
        mov dx, 0x1234
        mov ax, 0
        mov bx, 0x1234
        TRY .i4, .r4
        SETFL 0
.i4:    div bx
.r4:    PRINT "; after: dx:ax="
        HEX16 dx
        PRINT ":"
        HEX16 ax
        COUNT
        NL
;> div32 [mem] 00000002:00000000/00000002: vector 00 at f000:insn+0000 fl=0002; after: edx:eax=00000002:00000000 count=01
        PRINT "div32 [mem] 00000002:00000000/00000002:"
        mov edx, 2
        mov eax, 0
        mov dword [es:BUF], 2
        TRY .i5, .r5
        SETFL 0
.i5:    div dword [es:BUF]
.r5:    PRINT "; after: edx:eax="
        HEX32 edx
        PRINT ":"
        HEX32 eax
        COUNT
        NL
;> idiv8 ff80/ff (-128/-1): vector 00 at f000:insn+0000 fl=0002; after: ax=ff80 count=01
        PRINT "idiv8 ff80/ff (-128/-1):"
        mov ax, 0xff80
        mov cl, 0xff
        TRY .i6, .r6
        SETFL 0
.i6:    idiv cl
.r6:    PRINT "; after: ax="
        HEX16 ax
        COUNT
        NL
;> idiv16 ffff:8000/ffff (-32768/-1): vector 00 at f000:insn+0000 fl=0002; after: dx:ax=ffff:8000 count=01
        PRINT "idiv16 ffff:8000/ffff (-32768/-1):"
        mov dx, 0xffff
        mov ax, 0x8000
        mov cx, 0xffff
        TRY .i7, .r7
        SETFL 0
.i7:    idiv cx
.r7:    PRINT "; after: dx:ax="
        HEX16 dx
        PRINT ":"
        HEX16 ax
        COUNT
        NL
;> idiv32 ffffffff:80000000/ffffffff: vector 00 at f000:insn+0000 fl=0002; after: eax=80000000 count=01
        PRINT "idiv32 ffffffff:80000000/ffffffff:"
        mov edx, 0xffffffff
        mov eax, 0x80000000
        mov ecx, 0xffffffff
        TRY .i8, .r8
        SETFL 0
.i8:    idiv ecx
.r8:    PRINT "; after: eax="
        HEX32 eax
        COUNT
        NL
;> idiv8 0100/fe (-128 fits): no exception; al=80 ah=00 count=00
        PRINT "idiv8 0100/fe (-128 fits): "
        mov ax, 0x0100
        mov cl, 0xfe
        TRY .i9, .r9
.i9:    idiv cl
.r9:    PRINT "no exception; al="
        HEX8 al
        PRINT " ah="
        HEX8 ah
        COUNT
        NL
;> aam 0 (ax=0042): vector 00 at f000:insn+0000 fl=0002; after: ax=0042 count=01
        PRINT "aam 0 (ax=0042):"
        mov ax, 0x0042
        TRY .i10, .r10
        SETFL 0
.i10:   aam 0
.r10:   PRINT "; after: ax="
        HEX16 ax
        COUNT
        NL

        ; ---- #UD ----
;> ud2: vector 06 at f000:insn+0000 fl=0002 count=01
        PRINT "ud2:"
        TRY .i11, .r11
        SETFL 0
.i11:   ud2
.r11:   COUNT
        NL
;> mov cs,ax (8e c8): vector 06 at f000:insn+0000 fl=0002 count=01
        PRINT "mov cs,ax (8e c8):"
        TRY .i12, .r12
        SETFL 0
.i12:   db 0x8e, 0xc8
.r12:   COUNT
        NL
;> lea ax,bx (8d c3): vector 06 at f000:insn+0000 fl=0002 count=01
        PRINT "lea ax,bx (8d c3):"
        TRY .i13, .r13
        SETFL 0
.i13:   db 0x8d, 0xc3
.r13:   COUNT
        NL
;> lock add bx,ax (f0 01 c3): vector 06 at f000:insn+0000 fl=0002; after: bx=0001 count=01
        PRINT "lock add bx,ax (f0 01 c3):"
        mov bx, 1
        mov ax, 1
        TRY .i14, .r14
        SETFL 0
.i14:   db 0xf0, 0x01, 0xc3
.r14:   PRINT "; after: bx="
        HEX16 bx
        COUNT
        NL

        ; ---- #BR (BOUND): the index must lie within [lower, upper], signed, both included ----
        mov word [es:BUF], 10           ; 16-bit bounds [10, 20]
        mov word [es:BUF + 2], 20
        mov dword [es:BUF + 4], -5      ; 32-bit bounds [-5, 5]
        mov dword [es:BUF + 8], 5
;> bound ax=0009 [10,20]: vector 05 at f000:insn+0000 fl=0002 count=01
        PRINT "bound ax=0009 [10,20]:"
        mov ax, 9
        TRY .i15, .r15
        SETFL 0
.i15:   bound ax, [es:BUF]
.r15:   COUNT
        NL
;> bound ax=000a [10,20]: count=00; ax=0014: count=00; ax=0015: vector 05 at f000:insn+0000 fl=0002 count=01
        PRINT "bound ax=000a [10,20]:"
        mov ax, 10
        TRY .i16, .r16
.i16:   bound ax, [es:BUF]
.r16:   COUNT
        PRINT "; ax=0014:"
        mov ax, 20
        TRY .i17, .r17
.i17:   bound ax, [es:BUF]
.r17:   COUNT
        PRINT "; ax=0015:"
        mov ax, 21
        TRY .i18, .r18
        SETFL 0
.i18:   bound ax, [es:BUF]
.r18:   COUNT
        NL
;> bound eax=fffffffb [-5,5]: count=00; eax=fffffffa: vector 05 at f000:insn+0000 fl=0002 count=01
        PRINT "bound eax=fffffffb [-5,5]:"
        mov eax, -5
        TRY .i19, .r19
.i19:   bound eax, [es:BUF + 4]
.r19:   COUNT
        PRINT "; eax=fffffffa:"
        mov eax, -6
        TRY .i20, .r20
        SETFL 0
.i20:   bound eax, [es:BUF + 4]
.r20:   COUNT
        NL

        ; ---- traps and software interrupts: the pushed IP is the next instruction ----
;> into with of=1: vector 04 at f000:insn+0001 fl=0802 count=01
        PRINT "into with of=1:"
        TRY .i21, .r21
        SETFL FL_OF
.i21:   into
.r21:   COUNT
        NL
;> into with of=0: count=00
        PRINT "into with of=0:"
        TRY .i22, .r22
        SETFL 0
.i22:   into
.r22:   COUNT
        NL
;> int3 (cc): vector 03 at f000:insn+0001 fl=0003 count=01
        PRINT "int3 (cc):"
        TRY .i23, .r23
        SETFL FL_CF
.i23:   int3
.r23:   COUNT
        NL
;> int 3 (cd 03): vector 03 at f000:insn+0002 fl=0002 count=01
        PRINT "int 3 (cd 03):"
        TRY .i24, .r24
        SETFL 0
.i24:   db 0xcd, 0x03
.r24:   COUNT
        NL
;> int 0 (cd 00): vector 00 at f000:insn+0002 fl=0046 count=01
        PRINT "int 0 (cd 00):"
        TRY .i26, .r26
        SETFL FL_ZF | FL_PF
.i26:   int 0
.r26:   COUNT
        NL

        ; ---- the IVT is where IDTR points, also in real mode ----
;> lidt base 2000: int 50 goes through the new table: vector 50 at f000:insn+0002 fl=0002 count=01; old table back: idtr base=00000000 limit=03ff
        mov word [ss:NEW_IVT + 0x50 * 4], exc50
        mov word [ss:NEW_IVT + 0x50 * 4 + 2], ROM_SEG
        o32 lidt [cs:new_idtr]
        PRINT "lidt base 2000: int 50 goes through the new table:"
        TRY .i27, .r27
        SETFL 0
.i27:   int 0x50
.r27:   COUNT
        o32 lidt [cs:old_idtr]
        o32 sidt [ss:BUF]
        PRINT "; old table back: idtr base="
        HEX32 [ss:BUF + 2]
        PRINT " limit="
        HEX16 [ss:BUF]
        NL

;> exceptions done
        PRINT "exceptions done", 10
        EXIT 0

new_idtr: dw 0x03ff
          dd NEW_IVT
old_idtr: dw 0x03ff
          dd 0

; One stub per vector: keeps AX on the stack, AL = the vector.
exc0:   push ax
        mov al, 0x00
        jmp exc_common
exc3:   push ax
        mov al, 0x03
        jmp exc_common
exc4:   push ax
        mov al, 0x04
        jmp exc_common
exc5:   push ax
        mov al, 0x05
        jmp exc_common
exc6:   push ax
        mov al, 0x06
        jmp exc_common
exc50:  push ax
        mov al, 0x50
        jmp exc_common

; exc_common: [bp+2] = AX, [bp+4] = IP, [bp+6] = CS, [bp+8] = FLAGS.
exc_common:
        push bp
        mov bp, sp
        PRINT " vector "
        HEX8 al
        PRINT " at "
        HEX16 [bp + 6]
        PRINT ":insn+"
        mov ax, [bp + 4]
        sub ax, [ss:EXC_INSN]
        HEX16 ax
        PRINT " fl="
        HEX16 [bp + 8]
        inc word [ss:EXC_COUNT]
        mov ax, [ss:EXC_RESUME]
        mov [bp + 4], ax
        pop bp
        pop ax
        iret

        ROM_END
