; paging.asm: 32-bit paging (SDM Vol. 3A, chapter 4): identity-mapped page tables in RAM; one
; physical page mapped at two linear addresses; 4 MiB pages with CR4.PSE; the accessed and dirty
; bits (set by reads and writes, in 4 KiB PTEs and 4 MiB PDEs; a PTE's left alone by an access
; that faults); #PF error codes and CR2: not present, writes to read-only pages with CR0.WP 0 and
; 1 at CPL 0 and 3, user accesses to supervisor pages, rights from the PDE (U and R/W are ANDed
; over both levels), an instruction fetch; INVLPG and a CR3 load after a PTE changes (and the
; stale translation used before them); a self-referencing page directory (PDE 1023 -> the
; directory: the PTEs at FFC00000, the PDEs at FFFFF000); a page-crossing store and load whose
; second page faults, leaving the first page alone, and accesses faulting on both pages (the
; lower page's fault is reported); the accessed bit of a PDE used by a walk that then faults on a
; not-present PTE or on the rights check (set, SDM Vol. 3A, 4.8), and of the PTE (left clear).
;
; Not here (the SDM does not say, and QEMU 7.2 and xlat differ): whether a page-crossing store
; that faults on its second page sets the dirty bit of the first.
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

PD       equ 0x10000    ; the page directory
PT0      equ 0x11000    ; PDE 0: linear 0-3FFFFF, identity
PT1      equ 0x12000    ; PDE 1 (U W) and PDE 3 (U, read-only): linear 400000+ and C00000+
PAGE_A   equ 0x20000    ; ordinary page (also at linear 400000, 820000 and C00000)
PAGE_ROS equ 0x21000    ; read-only, supervisor
PAGE_ROU equ 0x22000    ; read-only, user
PAGE_SUP equ 0x23000    ; read/write, supervisor
PAGE_NP  equ 0x24000    ; not present
PAGE_X   equ 0x25000    ; read/write, user; the next page (26000) is not present
PAGE_Y   equ 0x27000    ; remapped to 28000 for INVLPG
PAGE_NP2 equ 0x2A000    ; not present, and so is the next page
PT4      equ 0x13000    ; PDE 4 (supervisor, writable): entry 0 -> PAGE_ROS, entry 1 not present
PDE4_LIN equ 0x01000000
ALIAS    equ 0x00400000 ; PT1 entry 0 -> PAGE_A
BIG      equ 0x00800000 ; PDE 2: a 4 MiB page -> physical 0
RO_PDE   equ 0x00C00000 ; PDE 3 (user, read-only) -> PT1
SELFMAP  equ 0xFFC00000 ; PDE 1023 -> PD

%define PTE(lin) (PT0 + ((lin) >> 12) * 4)

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        ; PT0: identity, present, writable, user; then the exceptions.
        mov edi, PT0
        mov eax, 7
.pte:   mov [edi], eax
        add eax, 0x1000
        add edi, 4
        cmp edi, PT0 + 4096
        jne .pte
        mov dword [PTE(PAGE_ROS)], PAGE_ROS | 1
        mov dword [PTE(PAGE_ROU)], PAGE_ROU | 5
        mov dword [PTE(PAGE_SUP)], PAGE_SUP | 3
        mov dword [PTE(PAGE_NP)], 0
        mov dword [PTE(PAGE_X + 0x1000)], 0
        mov dword [PTE(PAGE_NP2)], 0
        mov dword [PTE(PAGE_NP2 + 0x1000)], 0
        mov edi, PT4
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov dword [PT4], PAGE_ROS | 1
        mov dword [PD + 4 * 4], PT4 | 3
        mov dword [PT1], PAGE_A | 7
        mov dword [PD + 0 * 4], PT0 | 7
        mov dword [PD + 1 * 4], PT1 | 7
        mov dword [PD + 2 * 4], 0x00000087      ; 4 MiB page at 0: PS, U, W, P
        mov dword [PD + 3 * 4], PT1 | 1         ; supervisor, read-only
        mov dword [PD + 1023 * 4], PD | 3
        mov dword [PAGE_A], 0x11111111
        mov eax, PD
        mov cr3, eax
        mov eax, cr4
        or eax, 0x10                            ; PSE
        mov cr4, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
;> paging on: cr0=e0000011 cr3=00010000 cr4=00000010
        mov ebx, cr3
        mov ecx, cr4
        PRINT "paging on: cr0="
        HEX32 eax
        PRINT " cr3="
        HEX32 ebx
        PRINT " cr4="
        HEX32 ecx
        NL

        ; ---- one page at two addresses; a 4 MiB page ----
;> [00400000] (PT1 -> 20000) = 11111111; [00400004] := 22222222: [00020004] = 22222222; [00820008] (4 MiB page) = 22222222
        PRINT "[00400000] (PT1 -> 20000) = "
        HEX32 [ALIAS]
        mov dword [ALIAS + 4], 0x22222222
        PRINT "; [00400004] := 22222222: [00020004] = "
        HEX32 [PAGE_A + 4]
        mov eax, [PAGE_A + 4]
        mov [PAGE_A + 8], eax
        PRINT "; [00820008] (4 MiB page) = "
        HEX32 [BIG + PAGE_A + 8]
        NL
;> 4 MiB PDE: 00000087, after a read 000000a7, after a write 000000e7
        mov dword [PD + 2 * 4], 0x00000087      ; clear A and D again, and forget the TLB entry
        invlpg [BIG + PAGE_A]
        PRINT "4 MiB PDE: "
        HEX32 [PD + 2 * 4]
        mov eax, [BIG + PAGE_A]
        PRINT ", after a read "
        HEX32 [PD + 2 * 4]
        mov [BIG + PAGE_A + 12], eax
        PRINT ", after a write "
        HEX32 [PD + 2 * 4]
        NL

        ; ---- accessed and dirty bits ----
;> PTE 20000: 00020007, after a read 00020027, after a write 00020067
        mov dword [PTE(PAGE_A)], PAGE_A | 7
        invlpg [PAGE_A]
        PRINT "PTE 20000: "
        HEX32 [PTE(PAGE_A)]
        mov eax, [PAGE_A]
        PRINT ", after a read "
        HEX32 [PTE(PAGE_A)]
        mov [PAGE_A], eax
        PRINT ", after a write "
        HEX32 [PTE(PAGE_A)]
        NL

        ; ---- #PF error codes at CPL 0 ----
;> read of a page not present: #PF(0000) at 0008:insn+00 cr2=00024010; write: #PF(0002) at 0008:insn+00 cr2=00024020
        PRINT "read of a page not present:"
        TRY .p1, .p1r
.p1:    mov eax, [PAGE_NP + 0x10]
.p1r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; write:"
        TRY .p2, .p2r
.p2:    mov dword [PAGE_NP + 0x20], 1
.p2r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
;> CR0.WP=0: write to a read-only supervisor page: ok, PTE 00021061; to a read-only user page: ok
        PRINT "CR0.WP=0: write to a read-only supervisor page:"
        TRY .p3, .p3r
.p3:    mov dword [PAGE_ROS], 0x33
        PRINT " ok, PTE "
        HEX32 [PTE(PAGE_ROS)]
.p3r:   PRINT "; to a read-only user page:"
        TRY .p4, .p4r
.p4:    mov dword [PAGE_ROU], 0x44
        PRINT " ok"
.p4r:   NL
        mov dword [PTE(PAGE_ROU)], PAGE_ROU | 5  ; A and D clear again
        invlpg [PAGE_ROU]
        mov eax, cr0
        or eax, 0x10000                         ; WP
        mov cr0, eax
;> CR0.WP=1: write to a read-only supervisor page: #PF(0003) at 0008:insn+00 cr2=00021004; to a read-only user page: #PF(0003) at 0008:insn+00 cr2=00022004
        PRINT "CR0.WP=1: write to a read-only supervisor page:"
        TRY .p5, .p5r
.p5:    mov dword [PAGE_ROS + 4], 0x55
.p5r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; to a read-only user page:"
        TRY .p6, .p6r
.p6:    mov dword [PAGE_ROU + 4], 0x66
.p6r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
;> ... the faulting write left PTE 22000 at 00022005 (no A, no D)
        PRINT "... the faulting write left PTE 22000 at "
        HEX32 [PTE(PAGE_ROU)]
        PRINT " (no A, no D)", 10
;> write through PDE 3 (read-only): #PF(0003) at 0008:insn+00 cr2=00c00010; with CR0.WP=0: ok
        PRINT "write through PDE 3 (read-only):"
        TRY .p7, .p7r
.p7:    mov dword [RO_PDE + 0x10], 0x77
.p7r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        PRINT "; with CR0.WP=0:"
        TRY .p8, .p8r
.p8:    mov dword [RO_PDE + 0x10], 0x77
        PRINT " ok"
.p8r:   NL
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
;> jmp to a page not present: #PF(0000) at 0008:insn+00 cr2=00024000
        PRINT "jmp to a page not present:"
        mov eax, PAGE_NP
        TRY_AT PAGE_NP, .p9r + ROM_LINEAR
        jmp eax
.p9r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL

        ; ---- the accessed bit of a PDE whose walk then faults ----
;> PDE 4: 00013003; read through it of a page not present: #PF(0000) at 0008:insn+00 cr2=01001000, PDE 4 00013023
        PRINT "PDE 4: "
        HEX32 [PD + 4 * 4]
        PRINT "; read through it of a page not present:"
        TRY .a1, .a1r
.a1:    mov eax, [PDE4_LIN + 0x1000]
.a1r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT ", PDE 4 "
        HEX32 [PD + 4 * 4]
        NL
;> write to its read-only page (CR0.WP=1): #PF(0003) at 0008:insn+00 cr2=01000010, PDE 4 00013023, PTE 00021001
        mov dword [PD + 4 * 4], PT4 | 3
        invlpg [PDE4_LIN]
        PRINT "write to its read-only page (CR0.WP=1):"
        TRY .a2, .a2r
.a2:    mov dword [PDE4_LIN + 0x10], 1
.a2r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT ", PDE 4 "
        HEX32 [PD + 4 * 4]
        PRINT ", PTE "
        HEX32 [PT4]
        NL

        ; ---- #PF error codes at CPL 3 ----
        TO_RING3 ring3
ring3:
;> CPL 3: read of a supervisor page: #PF(0005) at 002b:insn+00 stack 0033:00005000; write: #PF(0007) at 002b:insn+00 stack 0033:00005000
        PRINT "CPL 3: read of a supervisor page:"
        TRY .u1, .u1r
.u1:    mov eax, [PAGE_SUP]
.u1r:   PRINT "; write:"
        TRY .u2, .u2r
.u2:    mov dword [PAGE_SUP], 1
.u2r:   NL
;> CPL 3: read of a read-only user page: ok; write: #PF(0007) at 002b:insn+00 stack 0033:00005000
        PRINT "CPL 3: read of a read-only user page:"
        TRY .u3, .u3r
.u3:    mov eax, [PAGE_ROU]
        PRINT " ok"
.u3r:   PRINT "; write:"
        TRY .u4, .u4r
.u4:    mov dword [PAGE_ROU], 1
.u4r:   NL
;> CPL 3: read of a page not present: #PF(0004) at 002b:insn+00 stack 0033:00005000; write: #PF(0006) at 002b:insn+00 stack 0033:00005000
        PRINT "CPL 3: read of a page not present:"
        TRY .u5, .u5r
.u5:    mov eax, [PAGE_NP]
.u5r:   PRINT "; write:"
        TRY .u6, .u6r
.u6:    mov dword [PAGE_NP], 1
.u6r:   NL
;> CPL 3: read through PDE 3 (supervisor; the PTE says user): #PF(0005) at 002b:insn+00 stack 0033:00005000 cr2=00c00020
        PRINT "CPL 3: read through PDE 3 (supervisor; the PTE says user):"
        TRY .u7, .u7r
.u7:    mov eax, [RO_PDE + 0x20]
.u7r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
;> CPL 3: mov [22ffe],eax (read-only user page, then a supervisor page): #PF(0007) at 002b:insn+00 stack 0033:00005000 cr2=00022ffe
        PRINT "CPL 3: mov [22ffe],eax (read-only user page, then a supervisor page):"
        TRY .u8, .u8r
.u8:    mov [PAGE_ROU + 0xFFE], eax
.u8r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
        TO_RING0 ring0
ring0:

        ; ---- TLB: a changed PTE, INVLPG, a CR3 load ----
;> PTE 27000 -> 28000: [00027000] = 27272727 before INVLPG (stale), 28282828 after; back -> 27000 and mov cr3: 27272727
        mov dword [PAGE_Y], 0x27272727
        mov dword [PAGE_Y + 0x1000], 0x28282828
        mov eax, [PAGE_Y]                       ; the translation is in the TLB now
        mov dword [PTE(PAGE_Y)], (PAGE_Y + 0x1000) | 7
        PRINT "PTE 27000 -> 28000: [00027000] = "
        HEX32 [PAGE_Y]
        invlpg [PAGE_Y]
        PRINT " before INVLPG (stale), "
        HEX32 [PAGE_Y]
        PRINT " after; back -> 27000 and mov cr3: "
        mov dword [PTE(PAGE_Y)], PAGE_Y | 7
        mov eax, cr3
        mov cr3, eax
        HEX32 [PAGE_Y]
        NL

        ; ---- the self-referencing page directory ----
;> PDE 1023 -> PD: [ffc00000 + 4*27] (PTE 27000) = 00027027, [fffff000 + 4*2] (PDE 2) = 000000e7, [fffffffc] = 00010023
        PRINT "PDE 1023 -> PD: [ffc00000 + 4*27] (PTE 27000) = "
        HEX32 [SELFMAP + (PAGE_Y >> 12) * 4]
        PRINT ", [fffff000 + 4*2] (PDE 2) = "
        HEX32 [0xFFFFF000 + 2 * 4]
        PRINT ", [fffffffc] = "
        HEX32 [0xFFFFFFFC]
        NL
;> writes through it: PTE 27000 := 28007 at ffc0009c, invlpg: [00027000] = 28282828
        mov dword [SELFMAP + (PAGE_Y >> 12) * 4], (PAGE_Y + 0x1000) | 7
        invlpg [PAGE_Y]
        PRINT "writes through it: PTE 27000 := 28007 at ffc0009c, invlpg: [00027000] = "
        HEX32 [PAGE_Y]
        NL

        ; ---- accesses that cross into a page not present ----
        ; (Whether the first page's dirty bit is set by such a store is not said by the SDM;
        ; xlat leaves it clear, QEMU 7.2 sets it: not checked.)
;> mov [25ffe],dword 11223344: #PF(0002) at 0008:insn+00 cr2=00026000; [25ffc] = aaaaaaaa (unchanged)
        mov dword [PAGE_X + 0xFFC], 0xAAAAAAAA
        PRINT "mov [25ffe],dword 11223344:"
        TRY .x1, .x1r
.x1:    mov dword [PAGE_X + 0xFFE], 0x11223344
.x1r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; [25ffc] = "
        HEX32 [PAGE_X + 0xFFC]
        PRINT " (unchanged)", 10
;> mov eax,[25fff]: #PF(0000) at 0008:insn+00 cr2=00026000; eax=12345678
        PRINT "mov eax,[25fff]:"
        mov eax, 0x12345678
        TRY .x2, .x2r
.x2:    mov eax, [PAGE_X + 0xFFF]
.x2r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; eax="
        HEX32 eax
        NL
;> mov eax,[2affe] (both pages not present): #PF(0000) at 0008:insn+00 cr2=0002affe
        PRINT "mov eax,[2affe] (both pages not present):"
        TRY .x3, .x3r
.x3:    mov eax, [PAGE_NP2 + 0xFFE]
.x3r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL
;> mov [2afff],dword 1 (both pages not present): #PF(0002) at 0008:insn+00 cr2=0002afff
        PRINT "mov [2afff],dword 1 (both pages not present):"
        TRY .x4, .x4r
.x4:    mov dword [PAGE_NP2 + 0xFFF], 1
.x4r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL

;> paging done
        PRINT "paging done", 10
        EXIT 0

        bits 16
        ROM_END
