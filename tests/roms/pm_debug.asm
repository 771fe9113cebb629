; pm_debug.asm: the debug exception (SDM Vol. 3A, chapter 17): single-step traps with EFLAGS.TF
; (counted over a short sequence, where they start and stop, across INT n and a task switch);
; instruction breakpoints in DR0-DR3 (faults, and RF to resume); data breakpoints (traps after
; the access, for writes or for reads and writes, by length); DR6's B0-B3 and BS bits.
;
; The #DB handler records every trap (the EIP it interrupts, relative to a label, and DR6),
; clears DR6 and returns; with DB_RF set it sets RF in the frame first.
;
; Not here:
; - INT1/ICEBP (F1): a #DB trap (SDM Vol. 2A, INT1), but QEMU 7.2 raises #UD.
; - DR7.GD (general detect, a #DB fault with DR6.BD on the next MOV DRn) and the T bit of a
;   TSS (a #DB trap with DR6.BT after a switch to the task): QEMU 7.2 implements neither.
; - a data breakpoint hit while single-stepping (one #DB with BS and Bn): QEMU 7.2 gets it wrong.
;   tests/protected_test.cpp covers these.
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

TSS_B      equ 0x40
TSS_B_BASE equ 0x2100

DB_COUNT   equ 0x0800   ; #DB taken
DB_RF      equ 0x0804   ; nonzero: the handler sets RF in the frame
DB_BASE    equ 0x0808   ; EIPs are recorded relative to this
DB_LOG     equ 0x0810   ; per #DB: EIP - DB_BASE (dword), DR6 (dword); 16 entries
INT_COUNT  equ 0x0890   ; INT 40 handler runs
WATCH      equ 0x08A0   ; the data the breakpoints watch (16 bytes)
B_RUNS     equ 0x08B0

; LOG n: prints the n #DB recorded as " +XX/DR6" (DR6 as its low 16 bits).
%macro LOGSHOW 0
        call log_show
%endmacro

; DBSTART base: clears the log; EIPs are recorded relative to label base.
%macro DBSTART 1
        mov dword [DB_COUNT], 0
        mov dword [DB_BASE], %1 + ROM_LINEAR
        mov dword [INT_COUNT], 0
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        IDT_GATE 1, SEL_CODE0, db_handler + ROM_LINEAR, 0x8E
        IDT_GATE 0x40, SEL_CODE0, int40 + ROM_LINEAR, 0x8E
        DESC TSS_B, TSS_B_BASE, 0x67, 0x89, 0
        mov dword [TSS_B_BASE + 0x20], task_b + ROM_LINEAR
        mov dword [TSS_B_BASE + 0x24], 0x00000002
        mov dword [TSS_B_BASE + 0x38], 0x3000
        mov dword [TSS_B_BASE + 0x48], SEL_DATA0
        mov dword [TSS_B_BASE + 0x4C], SEL_CODE0
        mov dword [TSS_B_BASE + 0x50], SEL_DATA0
        mov dword [TSS_B_BASE + 0x54], SEL_DATA0
        mov dword [TSS_B_BASE + 0x58], SEL_DATA0
        mov dword [TSS_B_BASE + 0x5C], SEL_DATA0
        mov word [TSS_B_BASE + 0x66], 0x68
;> dr6=ffff0ff0 dr7=00000400 after reset
        mov eax, dr6
        mov ebx, dr7
        PRINT "dr6="
        HEX32 eax
        PRINT " dr7="
        HEX32 ebx
        PRINT " after reset", 10

        ; ---- single step ----
;> single step (popfd sets TF, ... popfd clears it): 06 traps at +01/4ff0 +02/4ff0 +07/4ff0 +08/4ff0 +0f/4ff0 +10/4ff0
        PRINT "single step (popfd sets TF, ... popfd clears it):"
        DBSTART ss1
        push dword 0x102
        popfd                           ; TF = 1 from here: no trap after POPFD itself
ss1:    nop                             ; +00
        inc eax                         ; +01
        mov ebx, 1                      ; +02
        pushfd                          ; +07
        and dword [esp], ~0x100         ; +08
        popfd                           ; +0f: TF was set as it started: one more trap
        nop                             ; +10
        call log_show
        NL
;> single step over int 40: 04 traps at +01/4ff0 +04/4ff0 +06/4ff0 +07/4ff0; the handler ran 01 times
        ; INT clears TF for its handler (no trap in it, none after the INT itself); IRETD
        ; restores TF, which traps after the next instruction (+04).
        PRINT "single step over int 40:"
        DBSTART ss2
        push dword 0x102
        popfd
ss2:    nop                             ; +00
        int 0x40                        ; +01
        nop                             ; +03
        push dword 2                    ; +04
        popfd                           ; +06
        call log_show
        PRINT "; the handler ran "
        HEX8 [INT_COUNT]
        PRINT " times", 10

        ; ---- instruction breakpoints: faults before the instruction; RF resumes ----
;> dr0 := insn, dr7 := 00000001: 01 traps at +00/0ff1; eax=00000001 (ran once)
        PRINT "dr0 := insn, dr7 := 00000001:"
        DBSTART bp1
        mov dword [DB_RF], 1
        mov eax, bp1 + ROM_LINEAR
        mov dr0, eax
        mov eax, 0x00000001             ; L0, R/W0 = 00 (execute), LEN0 = 00
        mov dr7, eax
        mov eax, 0
bp1:    inc eax                         ; +00
        mov ebx, 0x400
        mov dr7, ebx
        mov dword [DB_RF], 0
        call log_show
        PRINT "; eax="
        HEX32 eax
        PRINT " (ran once)", 10
;> dr3 := insn (G3), dr1 := elsewhere (L1): 01 traps at +00/0ff8
        PRINT "dr3 := insn (G3), dr1 := elsewhere (L1):"
        DBSTART bp2
        mov dword [DB_RF], 1
        mov eax, bp2 + ROM_LINEAR
        mov dr3, eax
        mov eax, bp2 + ROM_LINEAR + 0x100
        mov dr1, eax
        mov eax, 0x00000084             ; G3, L1
        mov dr7, eax
bp2:    nop                             ; +00
        mov ebx, 0x400
        mov dr7, ebx
        mov dword [DB_RF], 0
        call log_show
        NL

        ; ---- data breakpoints: traps after the access ----
        mov eax, WATCH
        mov dr1, eax
;> dr1 := WATCH, write, 4 bytes: mov [WATCH],eax: 01 traps at +05/0ff2; read: 00 traps; mov [WATCH+2],ax: 01 traps at +06/0ff2; mov [WATCH+4],al: 00 traps
        PRINT "dr1 := WATCH, write, 4 bytes: mov [WATCH],eax:"
        mov eax, 0x00D00004             ; L1, R/W1 = 01 (write), LEN1 = 11 (4 bytes)
        mov dr7, eax
        DBSTART w1
w1:     mov [WATCH], eax                ; +00
        call log_show
        PRINT "; read:"
        DBSTART w2
w2:     mov eax, [WATCH]
        call log_show
        PRINT "; mov [WATCH+2],ax:"
        DBSTART w3
w3:     mov [WATCH + 2], ax
        call log_show
        PRINT "; mov [WATCH+4],al:"
        DBSTART w4
w4:     mov [WATCH + 4], al
        call log_show
        NL
;> dr1 read/write, 2 bytes: mov eax,[WATCH]: 01 traps at +05/0ff2; mov al,[WATCH+2]: 00 traps; add [WATCH],bl: 01 traps at +06/0ff2
        PRINT "dr1 read/write, 2 bytes: mov eax,[WATCH]:"
        mov eax, 0x00700004             ; L1, R/W1 = 11 (read or write), LEN1 = 01 (2 bytes)
        mov dr7, eax
        DBSTART r1
r1:     mov eax, [WATCH]
        call log_show
        PRINT "; mov al,[WATCH+2]:"
        DBSTART r2
r2:     mov al, [WATCH + 2]
        call log_show
        PRINT "; add [WATCH],bl:"
        DBSTART r3
r3:     add [WATCH], bl
        call log_show
        NL
        ; (Single step and a data breakpoint on one instruction give one #DB trap with BS and B1
        ; in DR6 (SDM Vol. 3A, 17.3.1); QEMU 7.2 reports two #DBs, the first with a wrong EIP:
        ; tests/protected_test.cpp checks it.)
        mov eax, 0x400
        mov dr7, eax

        ; ---- a task switch while single-stepping ----
;> call far 0040:0 with TF: 01 traps at +00/4ff0; iretd back: 02 traps at +02/4ff0 +03/4ff0
        PRINT "call far 0040:0 with TF:"
        DBSTART task_b
        push dword 0x102
        popfd
        call TSS_B:0
ts1:    push dword 2
        popfd
        call log_show
        NL

;> pm_debug done
        PRINT "pm_debug done", 10
        EXIT 0

; Task B: EFLAGS 2 (no TF), prints what the trap after the CALL recorded, returns with TF
; still set in the old task's EFLAGS: the trap after the IRETD is in the old task.
task_b:
        nop
        call log_show
        PRINT "; iretd back:"
        mov dword [DB_COUNT], 0
        mov dword [DB_BASE], ts1 + ROM_LINEAR
        iretd
        jmp task_b

int40:  inc dword [INT_COUNT]
        iretd

; db_handler: records the trap, clears DR6, maybe sets RF, returns.
db_handler:
        push eax
        push ebx
        mov ebx, [DB_COUNT]
        cmp ebx, 16
        jae .full
        mov eax, [esp + 8]
        sub eax, [DB_BASE]
        mov [DB_LOG + ebx * 8], eax
        mov eax, dr6
        mov [DB_LOG + ebx * 8 + 4], eax
.full:  inc dword [DB_COUNT]
        mov eax, 0
        mov dr6, eax
        cmp dword [DB_RF], 0
        je .ret
        or dword [esp + 16], 0x10000    ; RF in the frame's EFLAGS
.ret:   pop ebx
        pop eax
        iretd

; log_show: " NN traps at +XX/DR6 ..." (DR6's low 16 bits).
log_show:
        pushad
        pushfd
        PRINT " "
        HEX8 [DB_COUNT]
        PRINT " traps"
        mov ecx, [DB_COUNT]
        test ecx, ecx
        jz .done
        PRINT " at"
        mov esi, DB_LOG
.next:  PRINT " +"
        HEX8 [esi]
        PRINT "/"
        HEX16 [esi + 4]
        add esi, 8
        dec ecx
        jnz .next
.done:  popfd
        popad
        ret

        bits 16
        ROM_END
