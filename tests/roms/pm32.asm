; pm32.asm: enters 32-bit protected mode (a GDT in the ROM with a flat 32-bit code segment and
; flat data segments; LGDT, MOV CR0 with PE = 1, a far JMP), runs 32-bit ALU, string, stack,
; call and memory code there (also above 1 MiB), takes exceptions through an IDT (#DE, #UD, #GP
; with error codes from segment loads and an INT beyond the IDT limit), and returns to real mode
; through a 16-bit code segment.
;
; The 32-bit code is ROM code at linear ROM_LINEAR + offset: relative jumps and calls need
; nothing, absolute addresses of ROM data add ROM_LINEAR. The exception handlers print the
; vector, the error code when there is one, CS and EIP (relative to the instruction under test)
; and the low 16 bits of the pushed EFLAGS, then resume after the instruction.
%include "rom.inc"
        ROM_BEGIN

SEL_CODE32 equ 0x08
SEL_DATA32 equ 0x10
SEL_CODE16 equ 0x18
SEL_DATA16 equ 0x20

EXC_INSN   equ 0x0580   ; the instruction under test (linear)
EXC_RESUME equ 0x0584   ; where the handler resumes (linear)
EXC_COUNT  equ 0x0588   ; exceptions taken during the test
HIGH1      equ 0x00200000 ; buffers above 1 MiB (bit 20 clear: A20 does not matter)
HIGH2      equ 0x00400000

rom_main:
;> real mode: cr0=60000010
        mov eax, cr0
        PRINT "real mode: cr0="
        HEX32 eax
        NL
        o32 lgdt [cs:gdt_pointer]
        mov eax, cr0
        or al, 1                        ; PE
        mov cr0, eax
        jmp dword SEL_CODE32:(pm_entry + ROM_LINEAR)

; The GDT (SDM Vol. 3A, 3.4.5). The accessed bits are set already: the ROM cannot be written.
        align 8
gdt:    dq 0                                    ; null
        dw 0xffff, 0x0000                       ; 08: code, base 0, limit 4 GiB, 32-bit
        db 0x00, 0x9b, 0xcf, 0x00
        dw 0xffff, 0x0000                       ; 10: data, base 0, limit 4 GiB, 32-bit (B)
        db 0x00, 0x93, 0xcf, 0x00
        dw 0xffff, 0x0000                       ; 18: code, base F0000, limit 64 KiB, 16-bit
        db 0x0f, 0x9b, 0x00, 0x00
        dw 0xffff, 0x0000                       ; 20: data, base 0, limit 64 KiB, 16-bit
        db 0x00, 0x93, 0x00, 0x00
gdt_end:
gdt_pointer:
        dw gdt_end - gdt - 1
        dd gdt + ROM_LINEAR
real_idtr:
        dw 0x03ff
        dd 0

        ROM_LIB32

        bits 32
; TRY insn, resume (32-bit): as in exceptions.asm, with linear addresses.
%macro TRY 2
        mov dword [EXC_INSN], %1 + ROM_LINEAR
        mov dword [EXC_RESUME], %2 + ROM_LINEAR
        mov dword [EXC_COUNT], 0
%endmacro

%macro COUNT 0
        PRINT " count="
        HEX8 [EXC_COUNT]
%endmacro

; ALU2 op, a, b, mask, flags-before: "op32 a b [in=..] = op(a, b) fl=.."  (as in alu.asm)
%macro ALU2 5
        mov eax, %2
        mov ebx, %3
        SETFL %5
        %1 eax, ebx
        GETFL
        PRINT %str(%1), "32 "
        HEX32 %2
        PRINT " "
        HEX32 %3
%if %5 != 0
        PRINT " in="
        HEX16 %5
%endif
        PRINT " = "
        HEX32 eax
        FL %4
        NL
%endmacro

pm_entry:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x00090000
        call idt32_install
        IDT32_GATE 0, pm_exc0, SEL_CODE32
        IDT32_GATE 6, pm_exc6, SEL_CODE32
        IDT32_GATE 13, pm_exc13, SEL_CODE32

;> protected mode: cr0=60000011 cs=0008 ds=0010 ss=0010 esp=00090000
        mov eax, cr0
        mov edx, esp
        PRINT "protected mode: cr0="
        HEX32 eax
        PRINT " cs="
        HEX16 cs
        PRINT " ds="
        HEX16 ds
        PRINT " ss="
        HEX16 ss
        PRINT " esp="
        HEX32 edx
        NL
;> sgdt: limit 0027 base = gdt: yes; sidt: limit 00ff base 00001000
        sgdt [0x0600]
        sidt [0x0606]
        PRINT "sgdt: limit "
        HEX16 [0x0600]
        PRINT " base = gdt: "
        cmp dword [0x0602], gdt + ROM_LINEAR
        jne .gdt_no
        PRINT "yes"
        jmp .gdt_done
.gdt_no:
        PRINT "no"
.gdt_done:
        PRINT "; sidt: limit "
        HEX16 [0x0606]
        PRINT " base "
        HEX32 [0x0608]
        NL

        ; ---- 32-bit ALU: the default operand size is 32 bits now; 66 selects 16 ----
;> add32 7fffffff 00000001 = 80000000 fl=0894
        ALU2 add, 0x7fffffff, 0x00000001, FL_ARITH, 0
;> sub32 00000000 00000001 = ffffffff fl=0095
        ALU2 sub, 0x00000000, 0x00000001, FL_ARITH, 0
;> adc32 ffffffff 00000000 in=0001 = 00000000 fl=0055
        ALU2 adc, 0xffffffff, 0x00000000, FL_ARITH, FL_CF
;> xor32 12345678 12345678 in=08d5 = 00000000 fl=0044
        ALU2 xor, 0x12345678, 0x12345678, FL_LOGIC, FL_ARITH
;> o16 add ax,bx: ffff+0001 = 0000, eax=12340000 fl=0055
        mov eax, 0x1234ffff
        mov ebx, 0x00000001
        SETFL 0
        add ax, bx
        GETFL
        PRINT "o16 add ax,bx: ffff+0001 = "
        HEX16 ax
        PRINT ", eax="
        HEX32 eax
        FL FL_ARITH
        NL
;> imul eax,ebx,imm32: 00012345*00010000 = 23450000 fl=0801; mul ffffffff*ffffffff = fffffffe:00000001 fl=0801
        mov ebx, 0x00012345
        SETFL 0
        imul eax, ebx, 0x00010000
        GETFL
        PRINT "imul eax,ebx,imm32: 00012345*00010000 = "
        HEX32 eax
        FL FL_OF | FL_CF
        PRINT "; mul ffffffff*ffffffff = "
        mov eax, 0xffffffff
        mov ecx, eax
        SETFL 0
        mul ecx
        GETFL
        HEX32 edx
        PRINT ":"
        HEX32 eax
        FL FL_OF | FL_CF
        NL
;> shld eax,ebx,8: 12345678 9abcdef0 = 3456789a; bsr 00400000 = 00000016; bswap = 78563412
        mov eax, 0x12345678
        mov ebx, 0x9abcdef0
        shld eax, ebx, 8
        PRINT "shld eax,ebx,8: 12345678 9abcdef0 = "
        HEX32 eax
        mov ebx, 0x00400000
        bsr ecx, ebx
        PRINT "; bsr 00400000 = "
        HEX32 ecx
        mov eax, 0x12345678
        bswap eax
        PRINT "; bswap = "
        HEX32 eax
        NL

        ; ---- 32-bit addressing ----
;> [ebx+esi*4+8]=11111111 [esp+4]=22222222 [ebp-4]=33333333 [disp32]=44444444 lea=00012348
        mov dword [0x0620], 0x11111111
        mov ebx, 0x0600
        mov esi, 6
        mov eax, [ebx + esi*4 + 8]
        PRINT "[ebx+esi*4+8]="
        HEX32 eax
        push dword 0x22222222
        push dword 0x55555555
        mov eax, [esp + 4]
        add esp, 8
        PRINT " [esp+4]="
        HEX32 eax
        mov ebp, 0x0634
        mov dword [0x0630], 0x33333333
        mov eax, [ebp - 4]
        PRINT " [ebp-4]="
        HEX32 eax
        mov dword [0x00123450], 0x44444444
        mov eax, [0x00123450]
        PRINT " [disp32]="
        HEX32 eax
        mov ecx, 0x00012340
        lea eax, [ecx + 8]
        PRINT " lea="
        HEX32 eax
        NL

        ; ---- strings above 1 MiB ----
;> rep stosd 1024 at 00200000: edi=00201000 ecx=00000000; rep movsd to 00400000: esi=00201000 edi=00401000
        cld
        mov edi, HIGH1
        mov ecx, 1024
        mov eax, 0x01234567
        rep stosd
        PRINT "rep stosd 1024 at 00200000: edi="
        HEX32 edi
        PRINT " ecx="
        HEX32 ecx
        mov esi, HIGH1
        mov edi, HIGH2
        mov ecx, 1024
        rep movsd
        PRINT "; rep movsd to 00400000: esi="
        HEX32 esi
        PRINT " edi="
        HEX32 edi
        NL
;> repe cmpsd 4 KiB equal: ecx=00000000 fl=0044; one dword changed: ecx=00000100 fl=0095
        mov esi, HIGH1
        mov edi, HIGH2
        mov ecx, 1024
        SETFL 0
        repe cmpsd
        GETFL
        PRINT "repe cmpsd 4 KiB equal: ecx="
        HEX32 ecx
        FL FL_ARITH
        mov dword [HIGH2 + 767 * 4], 0x01234568
        mov esi, HIGH1
        mov edi, HIGH2
        mov ecx, 1024
        SETFL 0
        repe cmpsd
        GETFL
        PRINT "; one dword changed: ecx="
        HEX32 ecx
        FL FL_ARITH
        NL
;> sum of the 1024 dwords with lodsd: 8d159c01
        mov esi, HIGH2
        mov ecx, 1024
        mov edx, 0
.sum:   lodsd
        add edx, eax
        loop .sum
        PRINT "sum of the 1024 dwords with lodsd: "
        HEX32 edx
        NL

        ; ---- the 32-bit stack ----
;> push/pop: esp-4 per push; call: [esp]=ret+00000000; pushad 20 bytes (hex); enter 16,2: ebp=0008fffc esp=0008ffe4 [ebp-4]=ccccdddd [ebp-8]=0008fffc
        mov ebx, esp
        push eax
        sub ebx, esp
        pop eax
        PRINT "push/pop: esp-"
        mov al, bl
        add al, '0'
        call putc32
        PRINT " per push; call: [esp]=ret+"
        call .callee
.ret1:  jmp .after_call
.callee:
        mov eax, [esp]
        sub eax, .ret1 + ROM_LINEAR
        HEX32 eax
        ret
.after_call:
        mov edx, esp
        pushad
        sub edx, esp
        mov [0x0610], edx
        popad
        PRINT "; pushad "
        HEX8 [0x0610]
        PRINT " bytes (hex); enter 16,2: ebp="
        ; ENTER 16, 2 with EBP = 0008FFF0 and [0008FFEC] = CCCCDDDD: pushes EBP, the one
        ; frame pointer copied from [EBP-4], and the new frame pointer.
        mov dword [0x0008ffec], 0xccccdddd
        mov esi, esp
        mov esp, 0x00090000
        mov ebp, 0x0008fff0
        enter 16, 2
        mov edx, esp
        mov ecx, ebp
        HEX32 ecx
        PRINT " esp="
        HEX32 edx
        PRINT " [ebp-4]="
        HEX32 [ecx - 4]
        PRINT " [ebp-8]="
        HEX32 [ecx - 8]
        leave
        mov esp, esi
        NL
;> call far 0008: cs=0008 [esp]=ret+00000000 [esp+4]=00000008; retf: esp back +00000000
        mov ebp, esp
        call SEL_CODE32:(far32 + ROM_LINEAR)
.ret2:  mov eax, ebp
        sub eax, esp
        PRINT "; retf: esp back +"
        HEX32 eax
        NL
;> pushfd: 00000002 after popfd 00000002; popfd 00000cd5: pushfd 00000cd7 (DF set)
        SETFL 0
        pushfd
        pop eax
        PRINT "pushfd: "
        HEX32 eax
        push dword 0x00000000
        popfd
        pushfd
        pop eax
        PRINT " after popfd "
        HEX32 eax
        push dword 0x00000cd5
        popfd
        pushfd
        pop eax
        cld
        PRINT "; popfd 00000cd5: pushfd "
        HEX32 eax
        PRINT " (DF set)", 10

        ; ---- exceptions through the IDT ----
;> div by 0: vector 00 at 0008:insn+00000000 fl=0002 count=01
        PRINT "div by 0:"
        mov eax, 1
        mov edx, 0
        mov ecx, 0
        TRY .i1, .r1
        SETFL 0
.i1:    div ecx
.r1:    COUNT
        NL
;> ud2: vector 06 at 0008:insn+00000000 fl=0002 count=01
        PRINT "ud2:"
        TRY .i2, .r2
        SETFL 0
.i2:    ud2
.r2:    COUNT
        NL
;> mov ds,0050 (beyond the GDT limit): vector 0d error 00000050 at 0008:insn+00000000 fl=0002 count=01; ds=0010
        PRINT "mov ds,0050 (beyond the GDT limit):"
        mov ax, 0x0050
        TRY .i3, .r3
        SETFL 0
.i3:    mov ds, ax
.r3:    COUNT
        PRINT "; ds="
        HEX16 ds
        NL
;> mov ss,0000: vector 0d error 00000000 at 0008:insn+00000000 fl=0002 count=01; mov ds,0000: count=00
        PRINT "mov ss,0000:"
        mov ax, 0
        TRY .i4, .r4
        SETFL 0
.i4:    mov ss, ax
.r4:    COUNT
        PRINT "; mov ds,0000:"
        TRY .i5, .r5
.i5:    mov ds, ax                      ; a null selector may be loaded into DS
.r5:    mov ax, SEL_DATA32
        mov ds, ax
        COUNT
        NL
;> mov es,0018 (a readable code segment: allowed): count=00; mov ss,0018: vector 0d error 00000018 at 0008:insn+00000000 fl=0002 count=01
        PRINT "mov es,0018 (a readable code segment: allowed):"
        mov ax, SEL_CODE16
        TRY .i6, .r6
.i6:    mov es, ax
.r6:    COUNT
        mov ax, SEL_DATA32
        mov es, ax
        PRINT "; mov ss,0018:"
        mov ax, SEL_CODE16
        TRY .i7, .r7
        SETFL 0
.i7:    mov ss, ax
.r7:    COUNT
        NL
;> int 30 (beyond the IDT limit): vector 0d error 00000182 at 0008:insn+00000000 fl=0002 count=01
        PRINT "int 30 (beyond the IDT limit):"
        TRY .i8, .r8
        SETFL 0
.i8:    int 0x30
.r8:    COUNT
        NL

        ; ---- back to real mode: a 16-bit code segment, 16-bit data segments, PE = 0 ----
        cli
        lidt [real_idtr + ROM_LINEAR]
        jmp SEL_CODE16:to_real16
        bits 16
to_real16:
        mov ax, SEL_DATA16
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x7c00
        mov eax, cr0
        and al, ~1
        mov cr0, eax
        jmp ROM_SEG:real_again
real_again:
        mov ax, 0
        mov ss, ax
        mov ax, cs
        mov ds, ax
        mov es, ax
;> back in real mode: cr0=60000010 cs=f000; int 40 through the IVT again: ok
        mov eax, cr0
        PRINT "back in real mode: cr0="
        HEX32 eax
        PRINT " cs="
        HEX16 cs
        mov word [ss:0x40 * 4], int40
        mov word [ss:0x40 * 4 + 2], ROM_SEG
        PRINT "; int 40 through the IVT again: "
        int 0x40
        NL

;> pm32 done
        PRINT "pm32 done", 10
        EXIT 0

int40:  PRINT "ok"
        iret

        bits 32
; far32: called with a far CALL through selector 08.
far32:
        mov ebx, esp
        PRINT "call far 0008: cs="
        HEX16 cs
        PRINT " [esp]=ret+"
        mov eax, [ebx]
        sub eax, pm_entry.ret2 + ROM_LINEAR
        HEX32 eax
        PRINT " [esp+4]="
        HEX32 [ebx + 4]
        retf

; Exception handlers: AL = the vector; pm_exc_common for those without an error code,
; pm_exc_error for those with one.
pm_exc0:
        push eax
        mov al, 0x00
        jmp pm_exc_common
pm_exc6:
        push eax
        mov al, 0x06
        jmp pm_exc_common
pm_exc13:
        push eax
        mov al, 0x0d
        jmp pm_exc_error

; [ebp+4] = EAX, [ebp+8] = EIP, [ebp+12] = CS, [ebp+16] = EFLAGS
pm_exc_common:
        push ebp
        mov ebp, esp
        PRINT " vector "
        HEX8 al
        call pm_exc_report
        pop ebp
        pop eax
        iretd

; [ebp+4] = EAX, [ebp+8] = error code, [ebp+12] = EIP, [ebp+16] = CS, [ebp+20] = EFLAGS
pm_exc_error:
        push ebp
        mov ebp, esp
        PRINT " vector "
        HEX8 al
        PRINT " error "
        HEX32 [ebp + 8]
        add ebp, 4
        call pm_exc_report
        pop ebp
        pop eax
        add esp, 4                      ; the error code
        iretd

; pm_exc_report: EBP + 8 points at the pushed EIP, CS, EFLAGS: prints them and makes the
; handler return to the resume address.
pm_exc_report:
        PRINT " at "
        HEX16 [ebp + 12]
        PRINT ":insn+"
        mov eax, [ebp + 8]
        sub eax, [EXC_INSN]
        HEX32 eax
        PRINT " fl="
        HEX16 [ebp + 16]
        inc dword [EXC_COUNT]
        mov eax, [EXC_RESUME]
        mov [ebp + 8], eax
        ret
        bits 16

        ROM_END
