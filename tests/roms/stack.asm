; stack.asm: PUSH/POP (registers, 32-bit registers, immediates, memory, segment registers, SP
; itself, [ESP] as the destination), PUSHA/POPA, PUSHAD/POPAD, PUSHF/POPF, PUSHFD/POPFD,
; ENTER/LEAVE with nesting levels 0, 1 and 3, and SP wrap-around, in real mode (SS = 0).
;
; "pushed" and "sp back" are byte counts; stack words are printed from the top ([sp] first).
%include "rom.inc"
        ROM_BEGIN

BUF equ 0x0600          ; RAM scratch (segment 0)

; TOP n: prints " [sp]=" and n words from the top of the stack (the caller's view)
%macro TOP 1
        push bx
        mov bx, sp
        PRINT " [sp]="
%assign %%i 0
%rep %1
%if %%i > 0
        PRINT " "
%endif
        HEX16 [ss:bx + 2 + %%i * 2]
%assign %%i %%i + 1
%endrep
        pop bx
%endmacro

rom_main:
        mov ax, 0
        mov es, ax

        ; ---- PUSH / POP of registers and immediates ----
;> push ax/pop bx: bx=1234 pushed 0002, then sp back 0000
        mov bp, sp
        mov ax, 0x1234
        push ax
        pop bx
        PRINT "push ax/pop bx: bx="
        HEX16 bx
        PRINT " pushed 0002, then sp back "
        mov ax, bp
        sub ax, sp
        HEX16 ax
        NL
;> push eax/pop ecx: ecx=89abcdef, 4 bytes
        mov eax, 0x89abcdef
        mov bp, sp
        push eax
        mov dx, bp
        sub dx, sp
        pop ecx
        PRINT "push eax/pop ecx: ecx="
        HEX32 ecx
        PRINT ", "
        mov al, dl
        add al, '0'
        call putc
        PRINT " bytes", 10
;> push imm8 -128, imm16 1234, o32 imm8 -2, o32 imm32: [sp]=5678 9abc fffe ffff 1234 ff80
        mov bp, sp
        push byte -128                  ; 6A 80: sign-extended to 16 bits
        push word 0x1234                ; 68 iw
        push dword byte -2              ; 66 6A FE: sign-extended to 32 bits
        push dword 0x9abc5678           ; 66 68 id
        PRINT "push imm8 -128, imm16 1234, o32 imm8 -2, o32 imm32:"
        TOP 6
        NL
        mov sp, bp
;> push [mem16], push dword [mem], pop [mem16], pop dword [mem]: 2222 44443333 -> m=3333 4444 2222
        mov word [es:BUF], 0x2222
        mov dword [es:BUF + 2], 0x44443333
        push word [es:BUF]
        push dword [es:BUF + 2]
        pop word [es:BUF + 6]           ; 3333
        pop dword [es:BUF + 8]          ; 4444 2222 (the pushed word and its neighbour below)
        ; the dword pop takes 3333's upper neighbour 4444 and then 2222
        PRINT "push [mem16], push dword [mem], pop [mem16], pop dword [mem]: 2222 44443333 -> m="
        HEX16 [es:BUF + 6]
        PRINT " "
        HEX16 [es:BUF + 8]
        PRINT " "
        HEX16 [es:BUF + 10]
        NL
;> push sp: pushes the value before the push (+0000)
        mov bx, sp
        push sp
        pop ax
        sub ax, bx
        PRINT "push sp: pushes the value before the push (+"
        HEX16 ax
        PRINT ")", 10
;> pop sp: sp=7b00
        mov bx, sp
        push word 0x7b00
        pop sp
        mov ax, sp
        mov sp, bx
        PRINT "pop sp: sp="
        HEX16 ax
        NL
;> a32 pop word [esp]: the address is computed after the pop: [sp]=2222, net 0002
        mov bp, sp
        push word 0x1111
        push word 0x2222
        a32 pop word [esp]
        mov ax, bp
        sub ax, sp
        PRINT "a32 pop word [esp]: the address is computed after the pop:"
        TOP 1
        PRINT ", net "
        HEX16 ax
        NL
        mov sp, bp

        ; ---- segment registers ----
;> push cs/ss/ds/es/fs/gs: [sp]=5678 3456 0000 f000 0000 f000; pop ds/es/fs/gs: ds=0000 es=f000 fs=1234 gs=1111
        mov ax, 0x5678
        mov gs, ax
        mov ax, 0x3456
        mov fs, ax
        mov bp, sp
        push cs
        push ss
        push ds
        push es
        push fs
        push gs
        PRINT "push cs/ss/ds/es/fs/gs:"
        TOP 6
        mov sp, bp
        push word 0x1111
        push word 0x1234
        push word 0xf000
        push word 0x0000
        pop ds
        pop es
        pop fs
        pop gs
        mov ax, ds
        mov bx, es
        mov cx, fs
        mov dx, gs
        push cs
        pop ds
        mov si, 0
        mov es, si
        PRINT "; pop ds/es/fs/gs: ds="
        HEX16 ax
        PRINT " es="
        HEX16 bx
        PRINT " fs="
        HEX16 cx
        PRINT " gs="
        HEX16 dx
        NL
;> o32 push ds: sp moves by 0004, low word f000
        mov bp, sp
        o32 push ds
        mov ax, bp
        sub ax, sp
        mov bx, sp
        mov cx, [ss:bx]
        mov sp, bp
        PRINT "o32 push ds: sp moves by "
        HEX16 ax
        PRINT ", low word "
        HEX16 cx
        NL

        ; ---- PUSHA / POPA ----
;> pusha: [sp]=0d0d 0c0c 0b0b 7c00 0a0a 0909 0808 0707 (di si bp sp bx dx cx ax); popa skips sp: 0707 0808 0909 0a0a 0b0b 0c0c 0d0d sp=7c00
        mov ax, 0x0707
        mov cx, 0x0808
        mov dx, 0x0909
        mov bx, 0x0a0a
        mov bp, 0x0b0b
        mov si, 0x0c0c
        mov di, 0x0d0d
        pusha
        PRINT "pusha:"
        TOP 8
        PRINT " (di si bp sp bx dx cx ax); popa skips sp: "
        mov bx, sp
        mov word [ss:bx + 6], 0x1234    ; the SP slot: POPA ignores it
        mov ax, 0
        mov cx, 0
        mov dx, 0
        mov bx, 0
        mov bp, 0
        mov si, 0
        mov di, 0
        popa
        HEX16 ax
        PRINT " "
        HEX16 cx
        PRINT " "
        HEX16 dx
        PRINT " "
        HEX16 bx
        PRINT " "
        HEX16 bp
        PRINT " "
        HEX16 si
        PRINT " "
        HEX16 di
        mov ax, sp
        PRINT " sp="
        HEX16 ax
        NL
;> pushad: size 20, [sp+12]=00007c00 (esp) [sp+28]=a0000007 (eax); popad: eax=a0000007 edi=a000000d esp=00007c00
        mov eax, 0xa0000007
        mov ecx, 0xa0000008
        mov edx, 0xa0000009
        mov ebx, 0xa000000a
        mov ebp, 0xa000000b
        mov esi, 0xa000000c
        mov edi, 0xa000000d
        pushad
        mov bx, sp
        PRINT "pushad: size "
        mov ax, 0x7c00
        sub ax, sp
        HEX8 al
        PRINT ", [sp+12]="
        HEX32 [ss:bx + 12]
        PRINT " (esp) [sp+28]="
        HEX32 [ss:bx + 28]
        PRINT " (eax); popad: eax="
        mov eax, 0
        mov edi, 0
        popad
        mov edx, esp
        HEX32 eax
        PRINT " edi="
        HEX32 edi
        PRINT " esp="
        HEX32 edx
        NL

        ; ---- PUSHF / POPF ----
;> popf fcff -> pushf 7cd7 (bits 1, 3, 5, 15 fixed; IOPL and NT writable in real mode)
        push word 0xfcff
        popf
        pushf
        pop ax
        SETFL 0x0002
        PRINT "popf fcff -> pushf "
        HEX16 ax
        PRINT " (bits 1, 3, 5, 15 fixed; IOPL and NT writable in real mode)", 10
;> popf 0000 -> pushf 0002
        push word 0
        popf
        pushf
        pop ax
        PRINT "popf 0000 -> pushf "
        HEX16 ax
        NL
;> popfd fffffcff -> pushfd 00247cd7 (VM, RF, VIF, VIP and bits 22-31 stay 0)
        push dword 0xfffffcff
        popfd
        pushfd
        pop eax
        SETFL 0x0002
        push dword 0x00000002
        popfd
        PRINT "popfd fffffcff -> pushfd "
        HEX32 eax
        PRINT " (VM, RF, VIF, VIP and bits 22-31 stay 0)", 10

        ; ---- ENTER / LEAVE ----
;> enter 8,0: bp=7bfe sp=7bf6 [bp]=1111; leave: bp=1111 sp=7c00
        mov bp, 0x1111
        enter 8, 0
        mov ax, sp
        mov bx, bp
        PRINT "enter 8,0: bp="
        HEX16 bx
        PRINT " sp="
        HEX16 ax
        PRINT " [bp]="
        HEX16 [ss:bx]
        leave
        mov ax, sp
        PRINT "; leave: bp="
        HEX16 bp
        PRINT " sp="
        HEX16 ax
        NL
;> enter 4,1: bp=7bfe sp=7bf8 [bp]=2222 [bp-2]=7bfe; leave: bp=2222 sp=7c00
        mov bp, 0x2222
        enter 4, 1
        mov ax, sp
        mov bx, bp
        PRINT "enter 4,1: bp="
        HEX16 bx
        PRINT " sp="
        HEX16 ax
        PRINT " [bp]="
        HEX16 [ss:bx]
        PRINT " [bp-2]="
        HEX16 [ss:bx - 2]
        leave
        mov ax, sp
        PRINT "; leave: bp="
        HEX16 bp
        PRINT " sp="
        HEX16 ax
        NL
;> enter 2,3 with bp=7000 [6ffe]=aaaa [6ffc]=bbbb: bp=7bfe sp=7bf6 frame=7000 aaaa bbbb 7bfe
        mov word [ss:0x6ffe], 0xaaaa
        mov word [ss:0x6ffc], 0xbbbb
        mov bp, 0x7000
        enter 2, 3
        mov ax, sp
        mov bx, bp
        PRINT "enter 2,3 with bp=7000 [6ffe]=aaaa [6ffc]=bbbb: bp="
        HEX16 bx
        PRINT " sp="
        HEX16 ax
        PRINT " frame="
        HEX16 [ss:bx]
        PRINT " "
        HEX16 [ss:bx - 2]
        PRINT " "
        HEX16 [ss:bx - 4]
        PRINT " "
        HEX16 [ss:bx - 6]
        leave
        NL
;> enter 100,0: sp=7afe; leave: sp=7c00
        enter 0x100, 0
        mov ax, sp
        PRINT "enter 100,0: sp="
        HEX16 ax
        leave
        mov ax, sp
        PRINT "; leave: sp="
        HEX16 ax
        NL

        ; ---- SP wrap-around: a push at SP = 0 writes SS:FFFE ----
;> push at ss:0000 (ss=2000): sp=fffe [2000:fffe]=beef; pop: sp=0000
        mov ax, 0x2000
        mov dx, sp
        mov ss, ax
        mov sp, 0
        mov ax, 0xbeef
        push ax
        mov bx, sp
        mov cx, [ss:0xfffe]
        pop ax
        mov si, sp
        mov ax, 0
        mov ss, ax
        mov sp, dx
        PRINT "push at ss:0000 (ss=2000): sp="
        HEX16 bx
        PRINT " [2000:fffe]="
        HEX16 cx
        PRINT "; pop: sp="
        HEX16 si
        NL

;> stack done
        PRINT "stack done", 10
        EXIT 0
        ROM_END
