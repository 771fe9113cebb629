; pm_tasks.asm: hardware task switching (SDM Vol. 3A, chapter 7; Vol. 2, JMP, CALL, IRET, LTR,
; STR): LTR/STR and the busy bit; task switches through JMP to a TSS and to a task gate (the old
; task's busy bit cleared), CALL to a TSS and through task gates in the GDT and IDT (back link,
; NT, both tasks busy), IRET with NT back to the caller (busy bit and NT of the returning task
; cleared); the state saved in the old TSS and loaded from the new one; CR0.TS set by every
; switch; a 16-bit TSS; an exception (#NP) handled by a task through an IDT task gate, with its
; error code on the task's stack and the faulting instruction restarted; a task gate called
; from CPL 3 (DPL 3) and one that may not be (DPL 0); and the faults: JMP/CALL to a busy TSS,
; LTR of a busy TSS, IRET to a task that is not busy, a TSS limit below 67h.
;
; Every task but the ROM's runs flat at CPL 0 and prints itself; each loops, so that the next
; switch into it runs it again from after its JMP or IRET.
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

TSS_A      equ 0x40     ; 32-bit TSS: task A (entered with JMP)
TSS_B      equ 0x48     ; 32-bit TSS: task B (entered with CALL, returns with IRET)
TSS16      equ 0x50     ; 16-bit TSS: task 16
TG_B       equ 0x58     ; task gate, DPL 3 -> TSS_B
TSS_EXC    equ 0x60     ; 32-bit TSS: the #NP handler task
DATA_NP    equ 0x68     ; flat data, not present (the #NP handler task sets P)
TG_DPL0    equ 0x70     ; task gate, DPL 0 -> TSS_B
TG_A       equ 0x78     ; task gate, DPL 0 -> TSS_A
TSS_SMALL  equ 0x80     ; 32-bit TSS with limit 50 (too small)

TSS_A_BASE   equ 0x2100
TSS_B_BASE   equ 0x2200
TSS16_BASE   equ 0x2300
TSS_EXC_BASE equ 0x2400

V_TR    equ 0x0800      ; what task 16 saw: TR, AX, SP, FLAGS, the back link
V_AX    equ 0x0802
V_SP    equ 0x0804
V_FL    equ 0x0806
V_LINK  equ 0x0808
V_RUNS  equ 0x080C      ; how often task B ran

; TSS32 base, eip, esp, eax: a 32-bit TSS with flat ring-0 segments, EFLAGS 2, no LDT.
%macro TSS32 4
        mov dword [%1 + 0x20], %2
        mov dword [%1 + 0x24], 0x00000002
        mov dword [%1 + 0x28], %4
        mov dword [%1 + 0x38], %3
        mov dword [%1 + 0x48], SEL_DATA0
        mov dword [%1 + 0x4C], SEL_CODE0
        mov dword [%1 + 0x50], SEL_DATA0
        mov dword [%1 + 0x54], SEL_DATA0
        mov dword [%1 + 0x58], SEL_DATA0
        mov dword [%1 + 0x5C], SEL_DATA0
        mov word [%1 + 0x66], 0x68
%endmacro

; TSSBYTE sel: prints the type byte (byte 5) of the TSS descriptor: 89 available, 8b busy.
%macro TSSBYTE 1
        HEX8 [GDT_BASE + (%1) + 5]
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        DESC TSS_A, TSS_A_BASE, 0x67, 0x89, 0
        DESC TSS_B, TSS_B_BASE, 0x67, 0x89, 0
        DESC TSS16, TSS16_BASE, 0x2B, 0x81, 0
        GDT_GATE TG_B, TSS_B, 0, 0xE5, 0
        DESC TSS_EXC, TSS_EXC_BASE, 0x67, 0x89, 0
        DESC DATA_NP, 0, 0xFFFFF, 0x12, FLAGS_32
        GDT_GATE TG_DPL0, TSS_B, 0, 0x85, 0
        GDT_GATE TG_A, TSS_A, 0, 0x85, 0
        DESC TSS_SMALL, TSS_A_BASE, 0x50, 0x89, 0
        TSS32 TSS_A_BASE, task_a + ROM_LINEAR, 0x3000, 0xAAAA0001
        TSS32 TSS_B_BASE, task_b + ROM_LINEAR, 0x3400, 0xBBBB0002
        TSS32 TSS_EXC_BASE, task_exc + ROM_LINEAR, 0x3800, 0
        ; The 16-bit TSS: IP, FLAGS, AX, SP, ES, CS, SS, DS (Vol. 3A, Figure 7-11).
        mov word [TSS16_BASE + 0x0E], task16
        mov word [TSS16_BASE + 0x10], 0x0002
        mov word [TSS16_BASE + 0x12], 0x1616
        mov word [TSS16_BASE + 0x1A], 0x3C00
        mov word [TSS16_BASE + 0x22], SEL_DATA16
        mov word [TSS16_BASE + 0x24], SEL_CODE16
        mov word [TSS16_BASE + 0x26], SEL_DATA16
        mov word [TSS16_BASE + 0x28], SEL_DATA16
        IDT_GATE 0x50, TSS_B, 0, 0x85                   ; INT 50: a task gate to B

;> str: 0038, TSS0 type byte 8b (busy); TSS A 89
        str ax
        PRINT "str: "
        HEX16 ax
        PRINT ", TSS0 type byte "
        TSSBYTE SEL_TSS0
        PRINT " (busy); TSS A "
        TSSBYTE TSS_A
        NL
;> ltr 0038 (busy): #GP(0038) at 0008:insn+00; ltr 0058 (a task gate): #GP(0058) at 0008:insn+00
        PRINT "ltr 0038 (busy):"
        mov ax, SEL_TSS0
        TRY .l1, .l1r
.l1:    ltr ax
.l1r:   PRINT "; ltr 0058 (a task gate):"
        mov ax, TG_B
        TRY .l2, .l2r
.l2:    ltr ax
.l2r:   NL

        ; ---- JMP to a TSS and back ----
;> jmp far 0040:0 -> task A: tr=0040 eax=aaaa0001 esp=00003000 eflags=00000002 cr0.ts=08; TSS0 89 (not busy), TSS A 8b
;> jmp far 0038:0 -> back: tr=0038 ebx=12345678; saved in TSS0: ebx=12345678 eip=ret+00; TSS A 89, TSS0 8b; cr0.ts=08
        PRINT "jmp far 0040:0"
        clts
        mov ebx, 0x12345678
        jmp TSS_A:0
.r1:    mov edx, cr0
        and edx, 8
        str ax
        PRINT " -> back: tr="
        HEX16 ax
        PRINT " ebx="
        HEX32 ebx
        PRINT "; saved in TSS0: ebx="
        HEX32 [TSS0_BASE + 0x34]
        PRINT " eip=ret+"
        mov eax, [TSS0_BASE + 0x20]
        sub eax, .r1 + ROM_LINEAR
        HEX8 al
        PRINT "; TSS A "
        TSSBYTE TSS_A
        PRINT ", TSS0 "
        TSSBYTE SEL_TSS0
        PRINT "; cr0.ts="
        HEX8 dl
        NL
;> jmp far 0078:0 (task gate) -> task A: tr=0040 eax=aaaa0001 esp=00003000 eflags=00000002 cr0.ts=08; TSS0 89 (not busy), TSS A 8b
;> jmp far 0038:0 -> back
        clts
        PRINT "jmp far 0078:0 (task gate)"
        jmp TG_A:0
        PRINT " -> back", 10

        ; ---- CALL to a TSS, IRET back ----
;> call far 0048:0 -> task B: tr=0048 eax=bbbb0002 link=0038 nt=01 cr0.ts=08; TSS0 8b, TSS B 8b
;> iretd -> back: tr=0038 eflags.nt=00; TSS B 89, saved eflags.nt=00, eip=after iretd
        clts
        PRINT "call far 0048:0"
        call TSS_B:0
.r2:    pushfd
        pop edx
        shr edx, 14
        and edx, 1
        str ax
        PRINT " -> back: tr="
        HEX16 ax
        PRINT " eflags.nt="
        HEX8 dl
        PRINT "; TSS B "
        TSSBYTE TSS_B
        PRINT ", saved eflags.nt="
        mov edx, [TSS_B_BASE + 0x24]
        shr edx, 14
        and edx, 1
        HEX8 dl
        PRINT ", eip="
        cmp dword [TSS_B_BASE + 0x20], task_b.after + ROM_LINEAR
        jne .r2bad
        PRINT "after iretd"
        jmp .r2done
.r2bad: HEX32 [TSS_B_BASE + 0x20]
.r2done:
        NL
;> call far 0058:0 (task gate) -> task B: tr=0048 eax=bbbb0002 link=0038 nt=01 cr0.ts=08; TSS0 8b, TSS B 8b
;> iretd -> back, task B ran 02 times
        PRINT "call far 0058:0 (task gate)"
        call TG_B:0
        PRINT " -> back, task B ran "
        HEX8 [V_RUNS]
        PRINT " times", 10
;> int 50 (task gate in the IDT) -> task B: tr=0048 eax=bbbb0002 link=0038 nt=01 cr0.ts=08; TSS0 8b, TSS B 8b
;> iretd -> back, task B ran 03 times
        PRINT "int 50 (task gate in the IDT)"
        int 0x50
        PRINT " -> back, task B ran "
        HEX8 [V_RUNS]
        PRINT " times", 10

        ; ---- a 16-bit TSS ----
;> call far 0050:0 (16-bit TSS): task 16 saw tr=0050 ax=1616 sp=3c00 flags=4002 link=0038; TSS 16 ip=after iret, TSS 16 81
        PRINT "call far 0050:0 (16-bit TSS): "
        call TSS16:0
        PRINT "task 16 saw tr="
        HEX16 [V_TR]
        PRINT " ax="
        HEX16 [V_AX]
        PRINT " sp="
        HEX16 [V_SP]
        PRINT " flags="
        HEX16 [V_FL]
        PRINT " link="
        HEX16 [V_LINK]
        PRINT "; TSS 16 ip="
        cmp word [TSS16_BASE + 0x0E], task16.after
        jne .t16bad
        PRINT "after iret"
        jmp .t16done
.t16bad:
        HEX16 [TSS16_BASE + 0x0E]
.t16done:
        PRINT ", TSS 16 "
        TSSBYTE TSS16
        NL

        ; ---- an exception handled by a task ----
;> mov ds,0068 (not present), #NP through a task gate -> task EXC: error=0068 link=0038 TSS0 eip=insn+00 nt=01; P set; iretd -> mov ds restarted: ds=0068
        IDT_GATE 11, TSS_EXC, 0, 0x85
        PRINT "mov ds,0068 (not present), #NP through a task gate"
        mov ax, DATA_NP
        mov dword [EXC_INSN], .np + ROM_LINEAR
.np:    mov ds, ax
        mov bx, ds
        mov ax, SEL_DATA0
        mov ds, ax
        PRINT " -> mov ds restarted: ds="
        HEX16 bx
        NL
        IDT_DEFAULT 11

        ; ---- the faults ----
;> jmp far 0038:0 (busy): #GP(0038) at 0008:insn+00; call far 0038:0: #GP(0038) at 0008:insn+00
        PRINT "jmp far 0038:0 (busy):"
        TRY .f1, .f1r
.f1:    jmp SEL_TSS0:0
.f1r:   PRINT "; call far 0038:0:"
        TRY .f2, .f2r
.f2:    call SEL_TSS0:0
.f2r:   NL
;> jmp far 0080:0 (TSS limit 50 < 67): #TS(0080) at 0008:insn+00
        PRINT "jmp far 0080:0 (TSS limit 50 < 67):"
        TRY .f3, .f3r
.f3:    jmp TSS_SMALL:0
.f3r:   NL
;> iretd with NT=1 and the back link 0040 (not busy): #TS(0040) at 0008:insn+00; TSS A 89
        PRINT "iretd with NT=1 and the back link 0040 (not busy):"
        mov word [TSS0_BASE], TSS_A
        TRY .f4, .f4r
        push dword 0x4002
        popfd
.f4:    iretd
.f4r:   PRINT "; TSS A "
        TSSBYTE TSS_A
        NL

        ; ---- a task gate from CPL 3 ----
;> call far 005b:0 at CPL 3 -> task B: tr=0048 eax=bbbb0002 link=0038 nt=01 cr0.ts=08; TSS0 8b, TSS B 8b
;> iretd -> back at CPL 3: cs=002b ss:esp=0033:00005000
        TO_RING3 ring3
ring3:
        PRINT "call far 005b:0 at CPL 3"
        call (TG_B | 3):0
        mov edx, esp
        PRINT " -> back at CPL 3: cs="
        HEX16 cs
        PRINT " ss:esp="
        HEX16 ss
        PRINT ":"
        HEX32 edx
        NL
;> call far 0070:0 (task gate DPL 0) at CPL 3: #GP(0070) at 002b:insn+00 stack 0033:00005000
        PRINT "call far 0070:0 (task gate DPL 0) at CPL 3:"
        TRY .g1, .g1r
.g1:    call TG_DPL0:0
.g1r:   NL
        TO_RING0 ring0
ring0:
;> pm_tasks done
        PRINT "pm_tasks done", 10
        EXIT 0

; ---- the tasks ----
; task_report: "-> task X: tr=.. eax=.. " (EAX as the task found it; the caller pushed it).
task_a:
        mov edx, cr0
        and edx, 8
        mov ecx, esp
        pushfd
        pop ebx
        str si
        PRINT " -> task A: tr="
        HEX16 si
        PRINT " eax="
        HEX32 eax
        PRINT " esp="
        HEX32 ecx
        PRINT " eflags="
        HEX32 ebx
        PRINT " cr0.ts="
        HEX8 dl
        PRINT "; TSS0 "
        TSSBYTE SEL_TSS0
        PRINT " (not busy), TSS A "
        TSSBYTE TSS_A
        NL
        PRINT "jmp far 0038:0"
        mov eax, 0xAAAA0001             ; for the next run
        mov esp, 0x3000
        jmp SEL_TSS0:0
        jmp task_a

task_b:
        inc dword [V_RUNS]
        mov edx, cr0
        and edx, 8
        pushfd
        pop ebx
        shr ebx, 14
        and ebx, 1
        str si
        PRINT " -> task B: tr="
        HEX16 si
        PRINT " eax="
        HEX32 eax
        PRINT " link="
        HEX16 [TSS_B_BASE]
        PRINT " nt="
        HEX8 bl
        PRINT " cr0.ts="
        HEX8 dl
        PRINT "; TSS0 "
        TSSBYTE SEL_TSS0
        PRINT ", TSS B "
        TSSBYTE TSS_B
        NL
        PRINT "iretd"
        mov eax, 0xBBBB0002
        iretd
.after: jmp task_b

; The #NP handler task: the error code is on its stack; it makes DATA_NP present and returns.
task_exc:
        pop ecx                         ; the error code
        pushfd
        pop ebx
        shr ebx, 14
        and ebx, 1
        PRINT " -> task EXC: error="
        HEX16 cx
        PRINT " link="
        HEX16 [TSS_EXC_BASE]
        PRINT " TSS0 eip=insn+"
        mov eax, [TSS0_BASE + 0x20]
        sub eax, [EXC_INSN]
        HEX8 al
        PRINT " nt="
        HEX8 bl
        PRINT "; P set; iretd"
        or byte [GDT_BASE + DATA_NP + 5], 0x80
        iretd
        jmp task_exc

        bits 16
; Task 16: 16-bit code in SEL_CODE16, DS = SEL_DATA16 (base 0).
task16:
        str [V_TR]
        mov [V_AX], ax
        mov [V_SP], sp
        pushf
        pop word [V_FL]
        mov ax, [TSS16_BASE]
        mov [V_LINK], ax
        iret
.after: jmp task16

        ROM_END
