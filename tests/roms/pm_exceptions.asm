; pm_exceptions.asm: exception delivery in protected mode (SDM Vol. 3A, chapter 6): for each
; exception the vector, the error code (with the EXT bit for faults raised while delivering
; another event), the saved CS:EIP (the instruction for faults, the next one for traps) and the
; stack (the outer SS:ESP when the exception changes privilege); #DE #DB #BP #OF #BR #UD #NP #SS
; #GP #PF #TS #DF; and the double-fault rules of Table 6-5: contributory then contributory, page
; fault then contributory and page fault then page fault give #DF (error code 0); benign then contributory and contributory then page fault are handled one
; after the other.
;
; Not here (tests/protected_test.cpp covers them):
; - INT1/ICEBP (F1): a trap to vector 1 (SDM Vol. 2A, INT1), but QEMU 7.2 raises #UD.
; - #AC: QEMU 7.2 does not check alignment (CR0.AM, EFLAGS.AC at CPL 3).
; - #SS(0) and #GP(0) from offsets beyond a segment limit: QEMU does not check data limits.
; - a triple fault ends the run (tests/cli_test.cpp).
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

DATA_NP    equ 0x40     ; flat data, not present
CG_RING2   equ 0x60     ; call gate, DPL 3 -> CODE2 (SS2 is null)
CODE2      equ 0x68     ; flat code, DPL 2
TSS_SMALL  equ 0x70     ; a 32-bit TSS with limit 50
TSS_DF     equ 0x78     ; the #DF handler task
TSS_PF     equ 0x80     ; the #PF handler task

TSS_DF_BASE equ 0x2100
TSS_PF_BASE equ 0x2200

PD         equ 0x10000  ; page directory: PDE 0 -> PT
PT         equ 0x11000  ; page table: identity, user, writable, but:
PAGE_NP    equ 0x9000   ;   not present
PAGE_RO    equ 0xA000   ;   read-only, supervisor
PAGE_SUP   equ 0xB000   ;   supervisor

; FAULT "what", instruction...: prints "what:", runs the instruction under TRY (the handler
; prints the exception), ends the line.
%macro FAULT 2+
        PRINT %1, ":"
        TRY %%i, %%r
%%i:    %2
%%r:    NL
%endmacro

%macro DFTRY 2
        mov dword [EXC_QUIET], 1
        TRY %1, %2
%endmacro
%macro DFSHOW 0
        mov dword [EXC_QUIET], 0
        call dfshow
%endmacro

; TSS32 base, eip, esp: a flat ring-0 task (CR3 = PD).
%macro TSS32 3
        mov dword [%1 + 0x1C], PD
        mov dword [%1 + 0x20], %2
        mov dword [%1 + 0x24], 0x00000002
        mov dword [%1 + 0x38], %3
        mov dword [%1 + 0x48], SEL_DATA0
        mov dword [%1 + 0x4C], SEL_CODE0
        mov dword [%1 + 0x50], SEL_DATA0
        mov dword [%1 + 0x54], SEL_DATA0
        mov dword [%1 + 0x58], SEL_DATA0
        mov dword [%1 + 0x5C], SEL_DATA0
        mov word [%1 + 0x66], 0x68
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        DESC DATA_NP, 0, 0xFFFFF, 0x12, FLAGS_32
        GDT_GATE CG_RING2, CODE2, never + ROM_LINEAR, 0xEC, 0
        DESC CODE2, 0, 0xFFFFF, 0xDA, FLAGS_32
        DESC TSS_SMALL, TSS_DF_BASE, 0x50, 0x89, 0
        DESC TSS_DF, TSS_DF_BASE, 0x67, 0x89, 0
        DESC TSS_PF, TSS_PF_BASE, 0x67, 0x89, 0
        TSS32 TSS_DF_BASE, task_df + ROM_LINEAR, 0x3000
        TSS32 TSS_PF_BASE, task_pf + ROM_LINEAR, 0x3400
        mov dword [TSS0_BASE + 0x1C], PD
        mov dword [BUF], 10                             ; BOUND's range [10, 20]
        mov dword [BUF + 4], 20

        ; ---- faults and traps without an error code ----
;> div ecx=0: #DE at 0008:insn+00
        mov edx, 0
        mov eax, 1
        mov ecx, 0
        FAULT "div ecx=0", div ecx
;> popfd with TF, nop: #DB at 0008:insn+01
        PRINT "popfd with TF, nop:"
        TRY .db, .dbr
        push dword 0x102
        popfd
.db:    nop
.dbr:   NL
;> int3: #BP at 0008:insn+01; int 3 (cd 03): #BP at 0008:insn+02
        PRINT "int3:"
        TRY .bp1, .bp1r
.bp1:   int3
.bp1r:  PRINT "; int 3 (cd 03):"
        TRY .bp2, .bp2r
.bp2:   db 0xCD, 0x03
.bp2r:  NL
;> into with OF=1: #OF at 0008:insn+01; OF=0: count=00
        PRINT "into with OF=1:"
        TRY .of1, .of1r
        push dword 0x802
        popfd
.of1:   into
.of1r:  PRINT "; OF=0:"
        TRY .of2, .of2r
        push dword 0x2
        popfd
.of2:   into
.of2r:  COUNT
        NL
;> bound eax=00000005 [10,20]: #BR at 0008:insn+00; eax=00000014: count=00
        PRINT "bound eax=00000005 [10,20]:"
        mov eax, 5
        TRY .br0, .br0r
.br0:   bound eax, [BUF]
.br0r:  PRINT "; eax=00000014:"
        mov eax, 20
        TRY .br, .brr
.br:    bound eax, [BUF]
.brr:   COUNT
        NL
;> ud2: #UD at 0008:insn+00; mov eax,cr1 (0f 20 c8): #UD at 0008:insn+00; lock inc eax (f0 40): #UD at 0008:insn+00
        PRINT "ud2:"
        TRY .ud1, .ud1r
.ud1:   ud2
.ud1r:  PRINT "; mov eax,cr1 (0f 20 c8):"
        TRY .ud2, .ud2r
.ud2:   db 0x0F, 0x20, 0xC8
.ud2r:  PRINT "; lock inc eax (f0 40):"
        TRY .ud3, .ud3r
.ud3:   db 0xF0, 0x40
.ud3r:  NL

        ; ---- #NP, #SS, #GP, #TS ----
;> mov ds,0040 (not present): #NP(0040) at 0008:insn+00
        mov ax, DATA_NP
        FAULT "mov ds,0040 (not present)", mov ds, ax
;> int 43 (gate not present): #NP(021a) at 0008:insn+00
        mov byte [IDT_BASE + 0x43 * 8 + 5], 0x0E
        FAULT "int 43 (gate not present)", int 0x43
        ; ud2 with gate 06 not present: #NP(0033), benign then contributory, handled one after the
        ; other. The error code has EXT (bit 0) set, as the #NP comes from delivering an
        ; exception (SDM Vol. 3A, 6.13), but QEMU 7.2 leaves it clear: bit 0 is masked here and
        ; tests/protected_test.cpp checks it.
;> ud2 with gate 06 not present: #NP, error and fffe = 0032, at insn+00 (benign, contributory)
        PRINT "ud2 with gate 06 not present:"
        mov byte [IDT_BASE + 6 * 8 + 5], 0x0E
        mov dword [EXC_QUIET], 1
        TRY .np2, .np2r
.np2:   ud2
.np2r:  mov dword [EXC_QUIET], 0
        PRINT " #"
        mov eax, [EXC_VEC]
        mov ax, [exc_names + ROM_LINEAR + eax * 2]
        call putc32
        mov al, ah
        call putc32
        PRINT ", error and fffe = "
        mov eax, [EXC_ERR]
        and eax, 0xFFFE
        HEX16 ax
        PRINT ", at insn+"
        mov eax, [EXC_FRAME_EIP]
        sub eax, [EXC_INSN]
        HEX8 al
        PRINT " (benign, contributory)", 10
        mov byte [IDT_BASE + 6 * 8 + 5], 0x8E
;> mov ss,0040 (not present): #SS(0040) at 0008:insn+00
        mov ax, DATA_NP
        FAULT "mov ss,0040 (not present)", mov ss, ax
;> mov ss,0000: #GP(0000) at 0008:insn+00; mov es,0800 (beyond the GDT): #GP(0800) at 0008:insn+00
        PRINT "mov ss,0000:"
        mov ax, 0
        TRY .gp1, .gp1r
.gp1:   mov ss, ax
.gp1r:  PRINT "; mov es,0800 (beyond the GDT):"
        mov ax, 0x800
        TRY .gp2, .gp2r
.gp2:   mov es, ax
.gp2r:  NL
;> int 50 beyond the IDT limit 01ff: #GP(0282) at 0008:insn+00
        lidt [small_idt + ROM_LINEAR]
        FAULT "int 50 beyond the IDT limit 01ff", int 0x50
        lidt [pm_idt_pointer + ROM_LINEAR]
        ; (Not here: WRMSR to an MSR that does not exist, MOV CR0 with NW but not CD and MOV CR4
        ; with a reserved bit, each #GP(0): QEMU 7.2 ignores the first two and hangs on the
        ; third. tests/protected_test.cpp checks them.)
;> jmp far 0070:0 (TSS limit 50): #TS(0070) at 0008:insn+00
        FAULT "jmp far 0070:0 (TSS limit 50)", jmp TSS_SMALL:0

        ; ---- from CPL 3: the frame holds the outer stack ----
        TO_RING3 ring3
ring3:
;> hlt at CPL 3: #GP(0000) at 002b:insn+00 stack 0033:00005000; lidt: #GP(0000) at 002b:insn+00 stack 0033:00005000
        PRINT "hlt at CPL 3:"
        TRY .r1, .r1r
.r1:    hlt
.r1r:   PRINT "; lidt:"
        TRY .r2, .r2r
.r2:    lidt [small_idt + ROM_LINEAR]
.r2r:   NL
;> mov eax,cr0 at CPL 3: #GP(0000) at 002b:insn+00 stack 0033:00005000; wrmsr: #GP(0000) at 002b:insn+00 stack 0033:00005000
        PRINT "mov eax,cr0 at CPL 3:"
        TRY .r4, .r4r
.r4:    mov eax, cr0
.r4r:   PRINT "; wrmsr:"
        mov ecx, 0x174
        TRY .r5, .r5r
.r5:    wrmsr
.r5r:   NL
;> int3 at CPL 3 (gate DPL 0): #GP(001a) at 002b:insn+00 stack 0033:00005000
        FAULT "int3 at CPL 3 (gate DPL 0)", int3
;> div at CPL 3: #DE at 002b:insn+00 stack 0033:00004ffc
        PRINT "div at CPL 3:"
        mov ecx, 0
        TRY .r3, .r3r
        push eax
.r3:    div ecx
.r3r:   NL
;> call far 0060:0 (to CPL 2, SS2 null): #TS(0000) at 002b:insn+00 stack 0033:00005000
        FAULT "call far 0060:0 (to CPL 2, SS2 null)", call CG_RING2:0
        ; (A call gate to CPL 1 whose SS1 is not present raises #SS(SS1) (SDM Vol. 2A, CALL);
        ; QEMU 7.2 raises #TS(SS1) instead: tests/protected_test.cpp checks it.)
        TO_RING0 ring0
ring0:

        ; ---- #PF ----
        mov edi, PT
        mov eax, 7
.pte:   mov [edi], eax
        add eax, 0x1000
        add edi, 4
        cmp edi, PT + 4096
        jne .pte
        mov dword [PT + (PAGE_NP >> 12) * 4], 0
        mov dword [PT + (PAGE_RO >> 12) * 4], PAGE_RO | 1
        mov dword [PT + (PAGE_SUP >> 12) * 4], PAGE_SUP | 3
        mov dword [PD], PT | 7
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000              ; PG, WP
        mov cr0, eax
;> read of a page not present: #PF(0000) at 0008:insn+00 cr2=00009004
        PRINT "read of a page not present:"
        TRY .pf1, .pf1r
.pf1:   mov eax, [PAGE_NP + 4]
.pf1r:  PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
;> write to a read-only page at CPL 0 (CR0.WP=1): #PF(0003) at 0008:insn+00 cr2=0000a008
        PRINT "write to a read-only page at CPL 0 (CR0.WP=1):"
        TRY .pf2, .pf2r
.pf2:   mov dword [PAGE_RO + 8], 1
.pf2r:  PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
        TO_RING3 ring3_pf
ring3_pf:
;> read of a supervisor page at CPL 3: #PF(0005) at 002b:insn+00 stack 0033:00005000 cr2=0000b00c
        PRINT "read of a supervisor page at CPL 3:"
        TRY .pf3, .pf3r
.pf3:   mov eax, [PAGE_SUP + 12]
.pf3r:  PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
;> write to a page not present at CPL 3: #PF(0006) at 002b:insn+00 stack 0033:00005000 cr2=00009010
        PRINT "write to a page not present at CPL 3:"
        TRY .pf4, .pf4r
.pf4:   mov byte [PAGE_NP + 16], 1
.pf4r:  PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
        TO_RING0 ring0_pf
ring0_pf:

        ; ---- double faults and the rules of Table 6-5 ----
        ; After a #DF the saved CS:EIP, and the program state, are undefined (SDM Vol. 3A, 6.15,
        ; Interrupt 8): only the vector and the error code are printed (DFTRY, DFSHOW).
;> mov es,0800 with gate 0d not present: #DF(0000) (contributory, contributory)
        PRINT "mov es,0800 with gate 0d not present:"
        mov byte [IDT_BASE + 13 * 8 + 5], 0x0E
        mov ax, 0x800
        DFTRY .df1, .df1r
.df1:   mov es, ax
.df1r:  DFSHOW
        PRINT " (contributory, contributory)", 10
        mov byte [IDT_BASE + 13 * 8 + 5], 0x8E
;> read of a page not present with gate 0e not present: #DF(0000) (page fault, contributory)
        PRINT "read of a page not present with gate 0e not present:"
        mov byte [IDT_BASE + 14 * 8 + 5], 0x0E
        DFTRY .df2, .df2r
.df2:   mov eax, [PAGE_NP]
.df2r:  DFSHOW
        PRINT " (page fault, contributory)", 10
        mov byte [IDT_BASE + 14 * 8 + 5], 0x8E
;> div by 0 with gate 00 not present: #DF(0000); int3 with gate 03 not present: #NP(001a) at 0008:insn+00 (software: EXT clear)
        PRINT "div by 0 with gate 00 not present:"
        mov byte [IDT_BASE + 0 * 8 + 5], 0x0E
        mov ecx, 0
        DFTRY .df3, .df3r
.df3:   div ecx
.df3r:  DFSHOW
        PRINT "; int3 with gate 03 not present:"
        mov byte [IDT_BASE + 3 * 8 + 5], 0x0E
        TRY .df4, .df4r
.df4:   int3
.df4r:  PRINT " (software: EXT clear)", 10
;> ud2 with gates 06 and 0b not present: #DF(0000) (#UD, then #NP while delivering #NP)
        PRINT "ud2 with gates 06 and 0b not present:"
        mov byte [IDT_BASE + 6 * 8 + 5], 0x0E
        mov byte [IDT_BASE + 11 * 8 + 5], 0x0E
        DFTRY .df7, .df7r
.df7:   ud2
.df7r:  DFSHOW
        PRINT " (#UD, then #NP while delivering #NP)", 10
        mov byte [IDT_BASE + 0 * 8 + 5], 0x8E
        mov byte [IDT_BASE + 3 * 8 + 5], 0x8E
        mov byte [IDT_BASE + 6 * 8 + 5], 0x8E
        mov byte [IDT_BASE + 11 * 8 + 5], 0x8E
        ; A page fault while pushing the frame of a page fault: #DF, handled by a task (the stack
        ; is still unusable).
;> read of a page not present with ESP in that page -> task DF: error=0000 link=0038 (page fault, page fault)
        IDT_GATE 8, TSS_DF, 0, 0x85
        PRINT "read of a page not present with ESP in that page"
        TRY .df5, .df5r
        mov esp, PAGE_NP + 0x800
.df5:   mov eax, [PAGE_NP]
.df5r:  PRINT " (page fault, page fault)", 10
        ; A page fault while pushing the frame of a #GP: handled after it, the #GP is lost.
;> mov es,0800 with ESP in a page not present -> task PF: error=0002 cr2=000097fc link=0038 TSS0 eip=insn+00 esp=00009800 (contributory, page fault)
        IDT_GATE 14, TSS_PF, 0, 0x85
        PRINT "mov es,0800 with ESP in a page not present"
        mov ax, 0x800
        TRY .df6, .df6r
        mov esp, PAGE_NP + 0x800
.df6:   mov es, ax
.df6r:  PRINT " (contributory, page fault)", 10
;> ud2 with ESP in a page not present -> task PF: error=0002 cr2=000097fc link=0038 TSS0 eip=insn+00 esp=00009800 (benign, page fault)
        PRINT "ud2 with ESP in a page not present"
        TRY .df8, .df8r
        mov esp, PAGE_NP + 0x800
.df8:   ud2
.df8r:  PRINT " (benign, page fault)", 10

;> pm_exceptions done
        PRINT "pm_exceptions done", 10
        EXIT 0

small_idt:
        dw 0x01FF
        dd IDT_BASE

never:                                  ; (CG_RING2 never gets here)
        retf

; task_df / task_pf: print what they got and make the ROM's task resume at EXC_RESUME with
; the ESP that TRY saved (after a #DF, the saved EIP and ESP are undefined: not printed).

; DFTRY insn, resume: TRY without the handler's report; DFSHOW prints " #XX(EEEE)".
dfshow:
        PRINT " #"
        push eax
        mov eax, [EXC_VEC]
        mov ax, [exc_names + ROM_LINEAR + eax * 2]
        call putc32
        mov al, ah
        call putc32
        PRINT "("
        HEX16 [EXC_ERR]
        PRINT ")"
        pop eax
        ret

task_df:
        pop ecx
        PRINT " -> task DF: error="
        HEX16 cx
        PRINT " link="
        HEX16 [TSS_DF_BASE]
        jmp task_resume
task_pf:
        pop ecx
        mov ebx, TSS_PF_BASE
        PRINT " -> task PF: error="
        HEX16 cx
        PRINT " cr2="
        mov eax, cr2
        HEX32 eax
        PRINT " link="
        HEX16 [ebx]
        PRINT " TSS0 eip=insn+"
        mov eax, [TSS0_BASE + 0x20]
        sub eax, [EXC_INSN]
        HEX8 al
        PRINT " esp="
        HEX32 [TSS0_BASE + 0x38]
task_resume:
        mov eax, [EXC_RESUME]
        mov [TSS0_BASE + 0x20], eax
        mov eax, [TRY_ESP]
        mov [TSS0_BASE + 0x38], eax
        mov dword [EXC_RESUME], 0
        iretd
        str ax
        cmp ax, TSS_DF
        je task_df
        jmp task_pf

        bits 16
        ROM_END
