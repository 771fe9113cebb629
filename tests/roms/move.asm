; move.asm: MOV (registers, immediates, memory with the 16- and 32-bit addressing forms and their
; default segments, moffs, segment registers), MOVZX/MOVSX, XCHG, LEA, CMOVcc and SETcc (all 16
; conditions), BSWAP, XLAT, CBW/CWDE/CWD/CDQ, LAHF/SAHF, LDS/LES/LFS/LGS/LSS, in real mode.
;
; CMOVcc/SETcc lines print one character per condition in opcode order
; (o no b nb z nz be nbe s ns p np l nl le nle): "T" when the condition holds.
%include "rom.inc"
        ROM_BEGIN

BUF equ 0x0600          ; RAM scratch (segment 0)

; CMOV1 cc, flags: "T" when CMOVcc moved
%macro CMOV1 2
        mov ax, '.'
        mov bx, 'T'
        SETFL %2
        cmov%1 ax, bx
        call putc
%endmacro

; SET1 cc, flags: "T" when SETcc wrote 1 (to a memory byte first holding 55)
%macro SET1 2
        mov byte [es:BUF], 0x55
        SETFL %2
        set%1 byte [es:BUF]
        mov al, [es:BUF]
        add al, '0'
        cmp al, '1'
        jne %%dot
        mov al, 'T'
        jmp %%out
%%dot:  cmp al, '0'
        jne %%out                       ; neither 0 nor 1: print what came out
        mov al, '.'
%%out:  call putc
%endmacro

%macro CC_ROW 3 ; macro, flags, title
        PRINT %3, " fl="
        HEX16 %2
        PRINT " "
        %1 o, %2
        %1 no, %2
        %1 b, %2
        %1 nb, %2
        %1 z, %2
        %1 nz, %2
        %1 be, %2
        %1 nbe, %2
        %1 s, %2
        %1 ns, %2
        %1 p, %2
        %1 np, %2
        %1 l, %2
        %1 nl, %2
        %1 le, %2
        %1 nle, %2
        NL
%endmacro

rom_main:
        mov ax, 0
        mov es, ax

        ; ---- MOV: registers and immediates ----
;> mov r8/r16/r32, imm: al=11 ah=22 bl=33 bh=44 cx=5566 edx=778899aa; mov ah,bl: ax=3311; mov esi,edx: esi=778899aa
        mov al, 0x11
        mov ah, 0x22
        mov bl, 0x33
        mov bh, 0x44
        mov cx, 0x5566
        mov edx, 0x778899aa
        PRINT "mov r8/r16/r32, imm: al="
        HEX8 al
        PRINT " ah="
        HEX8 ah
        PRINT " bl="
        HEX8 bl
        PRINT " bh="
        HEX8 bh
        PRINT " cx="
        HEX16 cx
        PRINT " edx="
        HEX32 edx
        mov ah, bl
        mov esi, edx
        PRINT "; mov ah,bl: ax="
        HEX16 ax
        PRINT "; mov esi,edx: esi="
        HEX32 esi
        NL
;> mov r16 keeps the upper half: eax=ffff1234; mov r8: eax=ffff12ab
        mov eax, 0xffffffff
        mov ax, 0x1234
        PRINT "mov r16 keeps the upper half: eax="
        HEX32 eax
        mov al, 0xab
        PRINT "; mov r8: eax="
        HEX32 eax
        NL

        ; ---- MOV: memory ----
;> mov moffs: al=a1 ax=b2a1 eax=d4c3b2a1; [mem]=imm: 5a 1234 89abcdef
        mov dword [es:BUF], 0xd4c3b2a1
        mov al, [es:BUF]                ; A0
        mov bl, al
        mov ax, [es:BUF]                ; A1
        mov cx, ax
        mov eax, [es:BUF]               ; 66 A1
        PRINT "mov moffs: al="
        HEX8 bl
        PRINT " ax="
        HEX16 cx
        PRINT " eax="
        HEX32 eax
        mov byte [es:BUF], 0x5a         ; C6
        mov word [es:BUF + 2], 0x1234   ; C7
        mov dword [es:BUF + 4], 0x89abcdef
        PRINT "; [mem]=imm: "
        HEX8 [es:BUF]
        PRINT " "
        HEX16 [es:BUF + 2]
        PRINT " "
        HEX32 [es:BUF + 4]
        NL
;> 16-bit addressing: [bx+si]=1111 [bx+di+2]=2222 [bp+si]=3333(ss) [bp+10]=4444(ss) [si]=5555 [di+ffff]=6666 [bx]=7777 [600]=1111
        ; DS = 1000 and SS = 0: the same offsets hold different words in the two segments.
        mov ax, 0x1000
        mov ds, ax
        mov word [0x0600], 0x1111
        mov word [0x0612], 0x2222
        mov word [ss:0x0620], 0x3333
        mov word [ss:0x0640], 0x4444
        mov word [0x0650], 0x5555
        mov word [0x065f], 0x6666
        mov word [0x0670], 0x7777
        mov word [0x0620], 0xdead       ; what [bp+si] would read through DS
        mov word [0x0640], 0xdead
        mov bx, 0x0600
        mov si, 0x0000
        mov di, 0x0010
        mov bp, 0x0600
        mov ax, [bx + si]
        mov cx, [bx + di + 2]
        mov si, 0x0020
        mov dx, [bp + si]
        push ax
        PRINT "16-bit addressing: [bx+si]="
        HEX16 ax
        PRINT " [bx+di+2]="
        HEX16 cx
        PRINT " [bp+si]="
        HEX16 dx
        mov bp, 0x0630
        mov ax, [bp + 0x10]
        PRINT "(ss) [bp+10]="
        HEX16 ax
        mov si, 0x0650
        mov ax, [si]
        PRINT "(ss) [si]="
        HEX16 ax
        mov di, 0x0660
        mov ax, [di - 1]
        PRINT " [di+ffff]="
        HEX16 ax
        mov bx, 0x0670
        mov ax, [bx]
        PRINT " [bx]="
        HEX16 ax
        mov ax, [0x0600]
        PRINT " [600]="
        HEX16 ax
        pop ax
        NL
;> 32-bit addressing: [eax+ebx*4+10]=1111 [esi+edi*2]=2222 [ebp+8]=3333(ss) [esp+2]=4444(ss) [ecx*8+600]=1111
        mov dword [0x0700], 0x00001111
        mov word [0x0710], 0x2222
        mov word [ss:0x0728], 0x3333
        mov word [0x0728], 0xdead
        mov eax, 0x000005f0
        mov ebx, 0x00000040
        mov cx, [eax + ebx*4 + 0x10]
        mov esi, 0x00000700
        mov edi, 0x00000008
        mov dx, [esi + edi*2]
        PRINT "32-bit addressing: [eax+ebx*4+10]="
        HEX16 cx
        PRINT " [esi+edi*2]="
        HEX16 dx
        mov ebp, 0x00000720
        mov ax, [ebp + 8]
        PRINT " [ebp+8]="
        HEX16 ax
        push word 0x4444
        push word 0x5555
        mov ax, [esp + 2]
        add sp, 4
        PRINT "(ss) [esp+2]="
        HEX16 ax
        mov ecx, 0x00000020
        mov ax, [ecx*8 + 0x600]
        PRINT "(ss) [ecx*8+600]="
        HEX16 ax
        NL
        push cs
        pop ds
;> mov sreg: ds=1234 via r16, es=0000 via [mem], [mem]=f000 from cs, eax=0000f000 from cs (upper half cleared)
        mov ax, 0x1234
        mov ds, ax
        mov bx, ds
        push cs
        pop ds
        mov word [es:BUF], 0
        mov es, [es:BUF]
        mov cx, es
        mov [es:BUF + 2], cs
        mov eax, 0xffffffff
        mov eax, cs
        PRINT "mov sreg: ds="
        HEX16 bx
        PRINT " via r16, es="
        HEX16 cx
        PRINT " via [mem], [mem]="
        HEX16 [es:BUF + 2]
        PRINT " from cs, eax="
        HEX32 eax
        PRINT " from cs (upper half cleared)", 10

        ; ---- MOVZX / MOVSX ----
;> movzx: 80->0080 80->00000080 8000->00008000; movsx: 80->ff80 7f->0000007f 8000->ffff8000; [mem] fe->fffffffe
        mov bl, 0x80
        mov bx, 0x8080
        mov ax, 0xffff
        movzx ax, bl
        PRINT "movzx: 80->"
        HEX16 ax
        mov eax, 0xffffffff
        movzx eax, bl
        PRINT " 80->"
        HEX32 eax
        mov bx, 0x8000
        movzx eax, bx
        PRINT " 8000->"
        HEX32 eax
        mov bl, 0x80
        movsx ax, bl
        PRINT "; movsx: 80->"
        HEX16 ax
        mov bl, 0x7f
        mov eax, 0xffffffff
        movsx eax, bl
        PRINT " 7f->"
        HEX32 eax
        mov bx, 0x8000
        movsx eax, bx
        PRINT " 8000->"
        HEX32 eax
        mov byte [es:BUF], 0xfe
        movsx ecx, byte [es:BUF]
        PRINT "; [mem] fe->"
        HEX32 ecx
        NL

        ; ---- XCHG ----
;> xchg: r8 12<->34 ok, ax<->bx (93) 1111 2222, eax<->ecx, [mem]<->reg 5678 1234, [mem32]<->reg
        mov al, 0x12
        mov ah, 0x34
        xchg al, ah
        PRINT "xchg: r8 "
        HEX8 ah
        PRINT "<->"
        HEX8 al
        cmp ax, 0x1234
        jne .x1
        PRINT " ok"
.x1:    mov ax, 0x2222
        mov bx, 0x1111
        xchg ax, bx
        PRINT ", ax<->bx (93) "
        HEX16 ax
        PRINT " "
        HEX16 bx
        mov eax, 0xaaaa5555
        mov ecx, 0x5555aaaa
        xchg eax, ecx
        PRINT ", eax<->ecx"
        cmp eax, 0x5555aaaa
        jne .x2
        cmp ecx, 0xaaaa5555
        je .x3
.x2:    PRINT " WRONG"
.x3:    mov word [es:BUF], 0x1234
        mov dx, 0x5678
        xchg [es:BUF], dx
        PRINT ", [mem]<->reg "
        HEX16 [es:BUF]
        PRINT " "
        HEX16 dx
        mov dword [es:BUF], 0xcccccccc
        mov esi, 0x33333333
        xchg esi, [es:BUF]
        PRINT ", [mem32]<->reg"
        cmp dword [es:BUF], 0x33333333
        jne .x4
        cmp esi, 0xcccccccc
        je .x5
.x4:    PRINT " WRONG"
.x5:    NL

        ; ---- LEA ----
;> lea: [bx+si+10]=3010 [bx+di+20] wraps=001f [eax+ebx*8+12345678]=12345718 a32 in 16-bit ax=5679 a16 in eax=0000ffff
        mov bx, 0x1000
        mov si, 0x2000
        lea ax, [bx + si + 0x10]
        PRINT "lea: [bx+si+10]="
        HEX16 ax
        mov bx, 0xffff
        mov di, 0x0000
        lea ax, [bx + di + 0x20]
        PRINT " [bx+di+20] wraps="
        HEX16 ax
        mov eax, 0x00000020
        mov ebx, 0x00000010
        lea ecx, [eax + ebx*8 + 0x12345678]
        PRINT " [eax+ebx*8+12345678]="
        HEX32 ecx
        mov eax, 0x00000001
        lea ax, [eax + 0x12345678]      ; the 32-bit address truncated to 16 bits
        PRINT " a32 in 16-bit ax="
        HEX16 ax
        mov bx, 0xfff0
        mov si, 0x000f
        mov eax, 0xffffffff
        lea eax, [bx + si]              ; the 16-bit address zero-extended
        PRINT " a16 in eax="
        HEX32 eax
        NL

        ; ---- CMOVcc / SETcc ----
;> cmov fl=0000 .T.T.T.T.T.T.T.T
        CC_ROW CMOV1, 0x0000, "cmov"
;> cmov fl=0041 .TT.T.T..T.T.TT.
        CC_ROW CMOV1, 0x0041, "cmov"
;> cmov fl=0884 T..T.T.TT.T..T.T
        CC_ROW CMOV1, 0x0884, "cmov"
;> cmov fl=0800 T..T.T.T.T.TT.T.
        CC_ROW CMOV1, 0x0800, "cmov"
;> setcc fl=0000 .T.T.T.T.T.T.T.T
        CC_ROW SET1, 0x0000, "setcc"
;> setcc fl=0001 .TT..TT..T.T.T.T
        CC_ROW SET1, 0x0001, "setcc"
;> setcc fl=00c0 .T.TT.T.T..TT.T.
        CC_ROW SET1, 0x00c0, "setcc"
;> setcc fl=0804 T..T.T.T.TT.T.T.
        CC_ROW SET1, 0x0804, "setcc"
;> cmov32 [mem] taken: 12345678, not taken: ffffffff; setnz cl: cl=01 ch=aa
        mov dword [es:BUF], 0x12345678
        mov eax, 0xffffffff
        SETFL FL_ZF
        cmovz eax, [es:BUF]
        PRINT "cmov32 [mem] taken: "
        HEX32 eax
        mov eax, 0xffffffff
        SETFL FL_ZF
        cmovnz eax, [es:BUF]
        PRINT ", not taken: "
        HEX32 eax
        mov cx, 0xaaaa
        SETFL 0
        setnz cl
        PRINT "; setnz cl: cl="
        HEX8 cl
        PRINT " ch="
        HEX8 ch
        NL

        ; ---- BSWAP, XLAT, CBW/CWDE/CWD/CDQ, LAHF/SAHF ----
;> bswap: 12345678->78563412 edi ff000080->800000ff
        mov eax, 0x12345678
        bswap eax
        PRINT "bswap: 12345678->"
        HEX32 eax
        mov edi, 0xff000080
        bswap edi
        PRINT " edi ff000080->"
        HEX32 edi
        NL
;> xlat: al=03->'d' al=ff->'!' es: al=01->'B'
        mov bx, xlat_table
        mov al, 3
        xlatb
        PRINT "xlat: al=03->'"
        call putc
        mov bx, xlat_table + 26 - 0xff  ; BX + AL = the last byte of the table
        mov al, 0xff
        xlatb
        PRINT "' al=ff->'"
        call putc
        mov dword [es:BUF], 'ABCD'
        mov bx, BUF
        mov al, 1
        es xlatb
        PRINT "' es: al=01->'"
        call putc
        PRINT "'", 10
;> cbw 80->ff80 7f->007f cwde 8000->ffff8000 cwd 8000->ffff:8000 7fff->0000:7fff cdq 80000000->ffffffff
        mov ax, 0x1280
        cbw
        PRINT "cbw 80->"
        HEX16 ax
        mov ax, 0xff7f
        cbw
        PRINT " 7f->"
        HEX16 ax
        mov eax, 0x12348000
        cwde
        PRINT " cwde 8000->"
        HEX32 eax
        mov ax, 0x8000
        mov dx, 0x1234
        cwd
        PRINT " cwd 8000->"
        HEX16 dx
        PRINT ":"
        HEX16 ax
        mov ax, 0x7fff
        mov dx, 0x1234
        cwd
        PRINT " 7fff->"
        HEX16 dx
        PRINT ":"
        HEX16 ax
        mov eax, 0x80000000
        mov edx, 0x12345678
        cdq
        PRINT " cdq 80000000->"
        HEX32 edx
        NL
;> lahf with fl=08d5: ah=d7; lahf with fl=0000: ah=02; sahf ah=ff: fl=08d7; sahf ah=00: fl=0802
        SETFL FL_ARITH
        lahf
        PRINT "lahf with fl=08d5: ah="
        HEX8 ah
        SETFL 0
        lahf
        PRINT "; lahf with fl=0000: ah="
        HEX8 ah
        SETFL FL_OF
        mov ah, 0xff
        sahf                            ; OF is not in AH: it stays
        GETFL
        PRINT "; sahf ah=ff:"
        FL 0xffff
        SETFL FL_ARITH
        mov ah, 0x00
        sahf
        GETFL
        PRINT "; sahf ah=00:"
        FL 0xffff
        NL

        ; ---- LDS / LES / LFS / LGS / LSS ----
;> lds si: 1234:5678, les di: abcd:ef01, lfs bx: 1111:2222, lgs ax: 3333:4444, lss sp: 0000:7b00, o32 les: 5555:66667777
        mov dword [es:BUF], 0x12345678
        mov dword [es:BUF + 4], 0xabcdef01
        mov dword [es:BUF + 8], 0x11112222
        mov dword [es:BUF + 12], 0x33334444
        mov dword [es:BUF + 16], 0x00007b00
        mov dword [es:BUF + 20], 0x66667777
        mov word [es:BUF + 24], 0x5555
        push ds
        lds si, [es:BUF]
        mov ax, ds
        pop ds
        PRINT "lds si: "
        HEX16 ax
        PRINT ":"
        HEX16 si
        push es
        mov bx, 0
        mov es, bx
        les di, [es:BUF + 4]
        mov ax, es
        pop es
        PRINT ", les di: "
        HEX16 ax
        PRINT ":"
        HEX16 di
        lfs bx, [es:BUF + 8]
        mov ax, fs
        PRINT ", lfs bx: "
        HEX16 ax
        PRINT ":"
        HEX16 bx
        lgs ax, [es:BUF + 12]
        mov cx, gs
        PRINT ", lgs ax: "
        HEX16 cx
        PRINT ":"
        HEX16 ax
        mov dx, sp
        lss sp, [es:BUF + 16]
        mov cx, ss
        mov bx, sp
        mov sp, dx
        PRINT ", lss sp: "
        HEX16 cx
        PRINT ":"
        HEX16 bx
        push es
        les edi, [es:BUF + 20]
        mov ax, es
        pop es
        PRINT ", o32 les: "
        HEX16 ax
        PRINT ":"
        HEX32 edi
        NL

;> move done
        PRINT "move done", 10
        EXIT 0

xlat_table: db "abcdefghijklmnopqrstuvwxyz!"

        ROM_END
