; pm_v86.asm: virtual-8086 mode without VME (SDM Vol. 3A, chapter 20): entered through IRETD
; with EFLAGS.VM; real-mode segment loads; with IOPL 3, CLI/STI/PUSHF/POPF run (POPF keeps IOPL)
; and INT n goes through the IDT to a ring-0 handler that finds the V86 frame (EIP CS EFLAGS
; ESP SS ES DS FS GS) on the TSS's ring-0 stack and null data segment registers; exceptions go
; the same way; with IOPL 0, CLI, STI, PUSHF, POPF, INT n and IRET raise #GP(0) to a ring-0
; monitor, which emulates them: it reflects INT 42 to the real-mode handler in the IVT (which
; runs in V86 mode and returns with IRET, emulated too) and returns to V86 mode with IRETD; INT3
; is not IOPL-sensitive (through the IDT); IN from a port the I/O bitmap denies is #GP(0).
;
; The TSS's I/O bitmap allows the debug console and the exit port, so that V86 code prints
; itself while IOPL is 3 (the print macros use PUSHF and POPF: with IOPL 0 only the monitor
; prints).
;
; The frames' EFLAGS are printed without RF (bit 16): a fault pushes it set (SDM Vol. 3A,
; 17.3.1.1), QEMU 7.2 pushes it clear; tests/protected_test.cpp checks it.
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

V86_SS     equ 0x0800   ; the V86 stack: 0800:0800 (linear 8800)
V86_SP     equ 0x0800
V_SKIP     equ 0x0800   ; bytes the ring-0 probe skips in the V86 code (0 for traps)
V_VIF      equ 0x0804   ; the monitor's virtual IF
V_FIRST    equ 0x0808   ; nonzero once the monitor printed the whole frame
V_MARK     equ 0x080C   ; written by the IVT handler of INT 42

; The I/O bitmap: ports 00-FF, all denied but E9 (debug console) and F4 (exit).
IOMAP_OFF  equ 0x68

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        ; TSS0 with an I/O bitmap: a new limit, so TR is loaded again.
        mov edi, TSS0_BASE + IOMAP_OFF
        mov ecx, 0x21
        mov al, 0xFF
        rep stosb
        mov byte [TSS0_BASE + IOMAP_OFF + 0xE9 / 8], ~(1 << (0xE9 & 7)) & 0xFF
        mov byte [TSS0_BASE + IOMAP_OFF + 0xF4 / 8], ~(1 << (0xF4 & 7)) & 0xFF
        mov word [TSS0_BASE + 0x66], IOMAP_OFF
        DESC SEL_TSS0, TSS0_BASE, IOMAP_OFF + 0x20, 0x89, 0
        mov ax, SEL_TSS0
        ltr ax
        IDT_GATE 13, SEL_CODE0, v86_monitor + ROM_LINEAR, 0x8E
        IDT_GATE 0, SEL_CODE0, probe00 + ROM_LINEAR, 0x8E
        IDT_GATE 3, SEL_CODE0, probe03 + ROM_LINEAR, 0xEE
        IDT_GATE 0x41, SEL_CODE0, probe41 + ROM_LINEAR, 0xEE
        mov word [0x42 * 4], v86_int42          ; the real-mode IVT entry of INT 42
        mov word [0x42 * 4 + 2], ROM_SEG

        ; ---- into V86 mode with IOPL 3 ----
        mov [RING0_ESP], esp
        push dword 0                    ; GS
        push dword 0                    ; FS
        push dword 0                    ; DS
        push dword 0                    ; ES
        push dword V86_SS
        push dword V86_SP
        push dword 0x00023002           ; VM, IOPL 3
        push dword ROM_SEG
        push dword v86_a
        iretd

        bits 16
v86_a:
;> v86 (IOPL 3): cs=f000 ss:sp=0800:0800 ds=0000 es=0000 cr0 (smsw)=0011
        mov dx, sp
        PRINT "v86 (IOPL 3): cs="
        HEX16 cs
        PRINT " ss:sp="
        HEX16 ss
        PRINT ":"
        HEX16 dx
        PRINT " ds="
        HEX16 ds
        PRINT " es="
        HEX16 es
        smsw ax
        PRINT " cr0 (smsw)="
        HEX16 ax
        NL
;> segments are real-mode ones: es=0070, [es:0010] := beef, [ds:0710] = beef
        mov ax, 0x0070
        mov es, ax
        mov word [es:0x10], 0xBEEF
        PRINT "segments are real-mode ones: es="
        HEX16 es
        PRINT ", [es:0010] := beef, [ds:0710] = "
        HEX16 [0x710]
        NL
;> sti, pushf: 3202; cli, pushf: 3002; popf 0202 (IOPL 0): pushf 3202
        sti
        pushf
        pop ax
        cli
        pushf
        pop bx
        push word 0x0202
        popf
        pushf
        pop cx
        cli
        PRINT "sti, pushf: "
        HEX16 ax
        PRINT "; cli, pushf: "
        HEX16 bx
        PRINT "; popf 0202 (IOPL 0): pushf "
        HEX16 cx
        NL
;> int 41 (IOPL 3): through the IDT -> ring 0: vector 41 cs=0008 ds=0000 es=0000 fs=0000 gs=0000 ss:esp=0010:00005fdc
;>   frame: eip=insn+02 cs=f000 eflags=00023046 esp=000007fe ss=0800 es=0070 ds=0000 fs=0000 gs=0000
        PRINT "int 41 (IOPL 3): through the IDT"
        mov word [V_SKIP], 0
        mov dword [EXC_INSN], .i1
        push ax
        xor ax, ax                      ; ZF PF: in the pushed flags
.i1:    int 0x41
        pop ax
;> int3 (IOPL 3) -> ring 0: vector 03 cs=0008 ds=0000 es=0000 fs=0000 gs=0000 ss:esp=0010:00005fdc
;>   frame: eip=insn+01 cs=f000 eflags=00023002 esp=00000800 ss=0800 es=0070 ds=0000 fs=0000 gs=0000
        PRINT "int3 (IOPL 3)"
        mov dword [EXC_INSN], .i2
        push word 0x3002
        popf
.i2:    int3
;> div by 0 in V86 mode -> ring 0: vector 00 cs=0008 ds=0000 es=0000 fs=0000 gs=0000 ss:esp=0010:00005fdc
;>   frame: eip=insn+00 cs=f000 eflags=00023002 esp=00000800 ss=0800 es=0070 ds=0000 fs=0000 gs=0000
        PRINT "div by 0 in V86 mode"
        mov word [V_SKIP], 2
        mov dword [EXC_INSN], .i3
        xor cx, cx
        push word 0x3002
        popf
.i3:    div cx
        mov eax, v86_a_done + ROM_LINEAR
        int RING0_VECTOR                ; IOPL 3: through the IDT to pm_ring0

        bits 32
v86_a_done:
        ; ---- V86 mode with IOPL 0: the monitor ----
;> v86 (IOPL 0), each instruction through the monitor (#GP(0), the V86 frame on the ring-0 stack):
        PRINT "v86 (IOPL 0), each instruction through the monitor (#GP(0), the V86 frame on the ring-0 stack):", 10
        mov dword [V_VIF], 1
        mov [RING0_ESP], esp
        push dword 0x11                 ; GS
        push dword 0x22                 ; FS
        push dword 0                    ; DS
        push dword 0x33                 ; ES
        push dword V86_SS
        push dword V86_SP
        push dword 0x00020002           ; VM, IOPL 0
        push dword ROM_SEG
        push dword v86_b
        iretd

;>   #GP(0000) at f000:+00 fa (cli): handler ds=0000 ss:esp=0010:00005fd8
;>     frame: eip=+00 cs=f000 eflags=00020002 esp=00000800 ss=0800 es=0033 ds=0000 fs=0022 gs=0011 -> vif=0
;>   #GP(0000) at f000:+01 fb (sti) -> vif=1
;>   #GP(0000) at f000:+02 9c (pushf) -> pushed 0202 at 0800:07fe
;>   #GP(0000) at f000:+03 9d (popf) -> popped 0c01, vif=00
;>   #GP(0000) at f000:+04 cd (int 42) -> reflected to the IVT handler, ss:sp=0800:07fa
;>   #GP(0000) at f000:+1f cf (iret) -> back to f000:+06, vif=00
;>   #GP(0000) at f000:+06 e4 (in al,80: denied by the I/O bitmap) -> skipped
        ; (the INT3 at +08: not IOPL-sensitive, through the IDT to the ring-0 probe)
;>  -> ring 0: vector 03 cs=0008 ds=0000 es=0000 fs=0000 gs=0000 ss:esp=0010:00005fdc
;>   frame: eip=insn+01 cs=f000 eflags=00020c03 esp=00000800 ss=0800 es=0033 ds=0000 fs=0022 gs=0011
;>   #GP(0000) at f000:+18 cd (int 7f) -> leave V86 mode

        bits 16
v86_b:
        cli                             ; +00
        sti                             ; +01
        pushf                           ; +02
        popf                            ; +03 (pops the 0c01 the monitor left there)
        int 0x42                        ; +04
        in al, 0x80                     ; +06
        mov dword [EXC_INSN], .int3
.int3:  int3                            ; not IOPL-sensitive: through the IDT
        mov eax, v86_b_done + ROM_LINEAR
        int RING0_VECTOR                ; IOPL 0: #GP, the monitor leaves V86 mode
        ; The real-mode handler of INT 42, reached through the IVT (in V86 mode).
v86_int42:
        mov byte [V_MARK], 0x42

        iret

        bits 32
v86_b_done:
;> back at CPL 0: the IVT handler of int 42 ran: mark=42; the monitor's vif=00
        PRINT "back at CPL 0: the IVT handler of int 42 ran: mark="
        HEX8 [V_MARK]
        PRINT "; the monitor's vif="
        HEX8 [V_VIF]
        NL

;> pm_v86 done
        PRINT "pm_v86 done", 10
        EXIT 0

; ---- the ring-0 probe for vectors 00, 03, 41 from V86 mode ----
; Prints the vector, its own segment registers and stack, and the V86 frame; skips V_SKIP
; bytes of the V86 code and returns.
probe00:
        push dword 0x00
        jmp probe
probe03:
        push dword 0x03
        jmp probe
probe41:
        push dword 0x41
probe:
        push ebp
        mov ebp, esp                    ; [ebp+4] vector, [ebp+8] EIP CS EFLAGS ESP SS ES DS FS GS
        push eax
        mov ax, ds                      ; as the CPU left them
        push eax
        mov ax, SEL_DATA0
        mov ds, ax
        pop eax
        PRINT " -> ring 0: vector "
        HEX8 [ebp + 4]
        PRINT " cs="
        HEX16 cs
        PRINT " ds="
        HEX16 ax
        PRINT " es="
        HEX16 es
        PRINT " fs="
        HEX16 fs
        PRINT " gs="
        HEX16 gs
        PRINT " ss:esp="
        HEX16 ss
        PRINT ":"
        lea eax, [ebp + 8]
        HEX32 eax
        NL
        PRINT "  frame: eip=insn+"
        mov eax, [ebp + 8]
        sub eax, [EXC_INSN]
        HEX8 al
        PRINT " cs="
        HEX16 [ebp + 12]
        PRINT " eflags="
        mov eax, [ebp + 16]
        and eax, ~0x10000
        HEX32 eax
        PRINT " esp="
        HEX32 [ebp + 20]
        PRINT " ss="
        HEX16 [ebp + 24]
        PRINT " es="
        HEX16 [ebp + 28]
        PRINT " ds="
        HEX16 [ebp + 32]
        PRINT " fs="
        HEX16 [ebp + 36]
        PRINT " gs="
        HEX16 [ebp + 40]
        NL
        mov eax, [V_SKIP]
        add [ebp + 8], eax
        mov dword [V_SKIP], 0
        pop eax
        pop ebp
        add esp, 4
        iretd

; ---- the V86 monitor: #GP from V86 mode ----
; [ebp+4] error code, [ebp+8] EIP, +12 CS, +16 EFLAGS, +20 ESP, +24 SS, +28 ES, +32 DS, +36 FS,
; +40 GS. Prints the fault, emulates the instruction and returns to V86 mode.
v86_monitor:
        push ebp
        mov ebp, esp
        pushad
        mov bx, ds                      ; what the CPU left in DS (0)
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        test dword [ebp + 16], 0x20000
        jnz .v86
        PRINT " #GP not from V86 mode at "
        HEX16 [ebp + 12]
        PRINT ":"
        HEX32 [ebp + 8]
        NL
        EXIT EXIT_UNEXPECTED
.v86:   ; ESI = linear address of the instruction, DL = its opcode.
        movzx esi, word [ebp + 12]
        shl esi, 4
        movzx eax, word [ebp + 8]
        add esi, eax
        mov dl, [esi]
        PRINT "  #GP("
        HEX16 [ebp + 4]
        PRINT ") at "
        HEX16 [ebp + 12]
        PRINT ":+"
        mov ax, [ebp + 8]
        sub ax, v86_b
        HEX8 al
        PRINT " "
        HEX8 dl
        cmp dl, 0xFA
        je .cli
        cmp dl, 0xFB
        je .sti
        cmp dl, 0x9C
        je .pushf
        cmp dl, 0x9D
        je .popf
        cmp dl, 0xCD
        je .int
        cmp dl, 0xCF
        je .iret
        cmp dl, 0xE4
        je .in
        PRINT " (?)", 10
        EXIT EXIT_UNEXPECTED
.cli:   PRINT " (cli)"
        cmp dword [V_FIRST], 0
        jne .cli2
        ; The first time: the monitor's own DS and stack, and the whole frame.
        mov dword [V_FIRST], 1
        PRINT ": handler ds="
        HEX16 bx
        PRINT " ss:esp="
        HEX16 ss
        PRINT ":"
        lea eax, [ebp + 4]
        HEX32 eax
        NL
        PRINT "    frame: eip=+"
        mov ax, [ebp + 8]
        sub ax, v86_b
        HEX8 al
        PRINT " cs="
        HEX16 [ebp + 12]
        PRINT " eflags="
        mov eax, [ebp + 16]
        and eax, ~0x10000
        HEX32 eax
        PRINT " esp="
        HEX32 [ebp + 20]
        PRINT " ss="
        HEX16 [ebp + 24]
        PRINT " es="
        HEX16 [ebp + 28]
        PRINT " ds="
        HEX16 [ebp + 32]
        PRINT " fs="
        HEX16 [ebp + 36]
        PRINT " gs="
        HEX16 [ebp + 40]
.cli2:  mov dword [V_VIF], 0
        PRINT " -> vif=0"
        mov ecx, 1
        jmp .done
.sti:   PRINT " (sti) -> vif=1"
        mov dword [V_VIF], 1
        mov ecx, 1
        jmp .done
.pushf: ; FLAGS with the virtual IF, onto the V86 stack.
        mov eax, [ebp + 16]
        and eax, 0x0DFF
        cmp dword [V_VIF], 0
        je .pf1
        or eax, 0x200
.pf1:   sub word [ebp + 20], 2
        call v86_stack
        mov [edi], ax
        PRINT " (pushf) -> pushed "
        HEX16 ax
        PRINT " at "
        HEX16 [ebp + 24]
        PRINT ":"
        HEX16 [ebp + 20]
        ; What POPF will find: 0c01 (OF, DF and CF set, IF clear).
        mov word [edi], 0x0C01
        mov ecx, 1
        jmp .done
.popf:  call v86_stack
        movzx eax, word [edi]
        add word [ebp + 20], 2
        PRINT " (popf) -> popped "
        HEX16 ax
        ; The arithmetic flags, TF, DF and OF are taken; IF is virtual; IOPL stays.
        and dword [ebp + 16], ~0x0DD5
        push eax
        and eax, 0x0DD5
        or [ebp + 16], eax
        pop eax
        shr eax, 9
        and eax, 1
        mov [V_VIF], eax
        PRINT ", vif="
        HEX8 al
        mov ecx, 1
        jmp .done
.int:   ; Reflect INT n through the real-mode IVT: FLAGS, CS, IP on the V86 stack.
        movzx ebx, byte [esi + 1]
        cmp bl, RING0_VECTOR
        je .leave
        PRINT " (int "
        HEX8 bl
        PRINT ") -> reflected to the IVT handler, ss:sp="
        sub word [ebp + 20], 6
        call v86_stack
        mov eax, [ebp + 16]
        and eax, 0x0DFF
        cmp dword [V_VIF], 0
        je .int1
        or eax, 0x200
.int1:  mov [edi + 4], ax
        mov ax, [ebp + 12]
        mov [edi + 2], ax
        mov ax, [ebp + 8]
        add ax, 2
        mov [edi], ax
        movzx eax, word [ebx * 4]
        mov [ebp + 8], eax
        movzx eax, word [ebx * 4 + 2]
        mov [ebp + 12], eax
        and dword [ebp + 16], ~0x100    ; TF
        mov dword [V_VIF], 0
        HEX16 [ebp + 24]
        PRINT ":"
        HEX16 [ebp + 20]
        mov ecx, 0
        jmp .done
.iret:  call v86_stack
        movzx eax, word [edi]
        mov [ebp + 8], eax
        movzx eax, word [edi + 2]
        mov [ebp + 12], eax
        movzx eax, word [edi + 4]
        add word [ebp + 20], 6
        and dword [ebp + 16], ~0x0DD5
        push eax
        and eax, 0x0DD5
        or [ebp + 16], eax
        pop eax
        shr eax, 9
        and eax, 1
        mov [V_VIF], eax
        PRINT " (iret) -> back to "
        HEX16 [ebp + 12]
        PRINT ":+"
        mov ax, [ebp + 8]
        sub ax, v86_b
        HEX8 al
        PRINT ", vif="
        HEX8 [V_VIF]
        mov ecx, 0
        jmp .done
.in:    PRINT " (in al,"
        HEX8 [esi + 1]
        PRINT ": denied by the I/O bitmap) -> skipped"
        mov ecx, 2
.done:  NL
        add [ebp + 8], ecx
        popad
        pop ebp
        add esp, 4                      ; the error code
        iretd
.leave: PRINT " (int 7f) -> leave V86 mode", 10
        mov eax, [ebp - 4]              ; EAX as PUSHAD saved it: where to go on
        jmp pm_ring0

; v86_stack: EDI = linear address of the V86 SS:SP in the frame at EBP.
v86_stack:
        push eax
        movzx edi, word [ebp + 24]
        shl edi, 4
        movzx eax, word [ebp + 20]
        add edi, eax
        pop eax
        ret

        bits 16
        ROM_END
