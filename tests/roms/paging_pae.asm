; paging_pae.asm: PAE paging (SDM Vol. 3A, 4.4): CR4.PAE with a page-directory-pointer table,
; 64-bit entries, 4 KiB and 2 MiB pages (with their accessed and dirty bits); execute-disable
; with IA32_EFER.NXE: an instruction fetch from an NX page (in the PTE or in a 2 MiB PDE) is
; #PF with the I/D bit (11), reads are fine, and I/D is set for a fetch from a page not present;
; without NXE, bit 63 is reserved (#PF with RSVD); other reserved bits (62, bits 20:13 of a
; 2 MiB PDE); a PDPTE not present; global pages with CR4.PGE: clearing CR4.PGE and INVLPG drop
; them from the TLB; the accessed bit of a PDE that maps a table, set by walks that then fault
; (on a not-present PTE or on the rights check), while the PTE's stays clear (SDM Vol. 3A, 4.8);
; accesses that cross into the next page faulting on both pages report the lower one.
;
; Not here:
; - that a global translation survives a CR3 load: QEMU 7.2 flushes its whole TLB on every CR3
;   load, which a TLB may do (it is a cache); tests/mmu_test.cpp checks that xlat keeps them.
; - the PDPTE registers (loaded by MOV CR3, with #GP(0) for reserved bits: SDM Vol. 3A, 4.4.1):
;   QEMU 7.2 and xlat read the PDPTEs from memory on every walk.
;
; QEMU's default CPU (qemu32) has no NX; the line below gives it one:
;! qemu-args: -cpu qemu32,+nx
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

PDPT     equ 0x10000    ; 4 PDPTEs; PDPTE 0 -> PD0, the others not present
PD0      equ 0x11000    ; linear 0-3FFFFFFF
PT0      equ 0x12000    ; PDE 0: linear 0-1FFFFF, identity, 4 KiB pages
PAGE_A   equ 0x20000    ; ordinary page
PAGE_NP  equ 0x24000    ; not present
PAGE_Y   equ 0x27000    ; global, remapped to 28000
PAGE_C   equ 0x30000    ; code (a RET) in RAM
BIG1     equ 0x00200000 ; PDE 1: 2 MiB page -> physical 0
BIG2     equ 0x00400000 ; PDE 2: 2 MiB page -> physical 0, NX
BIG3     equ 0x00600000 ; PDE 3: 2 MiB page with bit 13 set (reserved)
PT4      equ 0x13000    ; PDE 4 (linear 800000, supervisor): entry 0 -> 21000 read-only, 1 and 2 not present
PDE4_LIN equ 0x00800000
EFER     equ 0xC0000080

%define PTE(lin) (PT0 + ((lin) >> 12) * 8)

; SETPTE lin, low, high: writes the 64-bit PTE of a page in PT0.
%macro SETPTE 3
        mov dword [PTE(%1)], %2
        mov dword [PTE(%1) + 4], %3
%endmacro

; SHOWQ addr: prints the qword at addr as HHHHHHHH:LLLLLLLL.
%macro SHOWQ 1
        HEX32 [%1 + 4]
        PRINT ":"
        HEX32 [%1]
%endmacro

; RSVD insn, resume: runs the access under TRY without the handler's report, then prints
; " #PF, error and fffe = EEEE, cr2=CCCCCCCC". A reserved-bit fault's error code has P and RSVD
; (SDM Vol. 3A, 4.7: RSVD "can be set only if bit 0 is also set"), but QEMU 7.2 leaves P clear:
; bit 0 is masked here, tests/mmu_test.cpp checks it.
%macro RSVD 2
        mov dword [EXC_QUIET], 1
        TRY %1, %2
%endmacro
%macro RSVD_SHOW 0
        mov dword [EXC_QUIET], 0
        call rsvd_show
%endmacro

rom_main:
        PM_ENTER

        PM_LIB
        bits 32
pm_main:
        mov edi, PT0
        mov eax, 7
.pte:   mov [edi], eax
        mov dword [edi + 4], 0
        add eax, 0x1000
        add edi, 8
        cmp edi, PT0 + 4096
        jne .pte
        SETPTE PAGE_NP, 0, 0
        mov dword [PD0 + 0 * 8], PT0 | 7
        mov dword [PD0 + 1 * 8], 0x00000087     ; 2 MiB page at 0: PS, U, W, P
        mov dword [PD0 + 2 * 8], 0x00000087
        mov dword [PD0 + 2 * 8 + 4], 0x80000000 ; NX
        mov dword [PD0 + 3 * 8], 0x00002087     ; bit 13: reserved in a 2 MiB PDE
        mov edi, PT4
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov dword [PT4], 0x21000 | 1
        mov dword [PD0 + 4 * 8], PT4 | 3
        mov dword [PDPT], PD0 | 1
        mov dword [PAGE_A], 0x11111111
        mov byte [PAGE_C], 0xC3                 ; ret
        mov eax, PDPT
        mov cr3, eax
        mov eax, cr4
        or eax, 0x20                            ; PAE
        mov cr4, eax
        mov eax, cr0
        or eax, 0x80010000                      ; PG, WP
        mov cr0, eax
;> PAE paging on: cr0=e0010011 cr3=00010000 cr4=00000020; cpuid 80000001: edx.nx=01
        mov ebx, cr3
        mov ecx, cr4
        PRINT "PAE paging on: cr0="
        HEX32 eax
        PRINT " cr3="
        HEX32 ebx
        PRINT " cr4="
        HEX32 ecx
        mov eax, 0x80000001
        cpuid
        shr edx, 20
        and dl, 1
        PRINT "; cpuid 80000001: edx.nx="
        HEX8 dl
        NL

        ; ---- 4 KiB and 2 MiB pages, A and D ----
;> [00220000] (2 MiB page -> 0) = 11111111; PDE 1: 00000000:00000087, after a read 00000000:000000a7, after a write 00000000:000000e7
        PRINT "[00220000] (2 MiB page -> 0) = "
        HEX32 [BIG1 + PAGE_A]
        mov dword [PD0 + 1 * 8], 0x00000087
        invlpg [BIG1 + PAGE_A]
        PRINT "; PDE 1: "
        SHOWQ PD0 + 1 * 8
        mov eax, [BIG1 + PAGE_A]
        PRINT ", after a read "
        SHOWQ PD0 + 1 * 8
        mov [BIG1 + PAGE_A + 4], eax
        PRINT ", after a write "
        SHOWQ PD0 + 1 * 8
        NL
;> PTE 20000: 00000000:00020007, after a read 00000000:00020027, after a write 00000000:00020067
        SETPTE PAGE_A, PAGE_A | 7, 0
        invlpg [PAGE_A]
        PRINT "PTE 20000: "
        SHOWQ PTE(PAGE_A)
        mov eax, [PAGE_A]
        PRINT ", after a read "
        SHOWQ PTE(PAGE_A)
        mov [PAGE_A], eax
        PRINT ", after a write "
        SHOWQ PTE(PAGE_A)
        NL

        ; ---- reserved bits, a PDPTE not present ----
;> PTE 30000 with bit 63 (NX) and EFER.NXE=0: read: #PF, error and fffe = 0008, at insn+00, cr2=00030000
        SETPTE PAGE_C, PAGE_C | 7, 0x80000000
        invlpg [PAGE_C]
        PRINT "PTE 30000 with bit 63 (NX) and EFER.NXE=0: read:"
        RSVD .r1, .r1r
.r1:    mov al, [PAGE_C]
.r1r:   RSVD_SHOW
        NL
;> PTE 30000 with bit 62: #PF, error and fffe = 0008, at insn+00, cr2=00030000; PDE 3 (2 MiB) with bit 13: #PF, error and fffe = 0008, at insn+00, cr2=00600000
        SETPTE PAGE_C, PAGE_C | 7, 0x40000000
        invlpg [PAGE_C]
        PRINT "PTE 30000 with bit 62:"
        RSVD .r2, .r2r
.r2:    mov al, [PAGE_C]
.r2r:   RSVD_SHOW
        PRINT "; PDE 3 (2 MiB) with bit 13:"
        RSVD .r3, .r3r
.r3:    mov al, [BIG3]
.r3r:   RSVD_SHOW
        NL
;> read of 40000000 (PDPTE 1 not present): #PF(0000) at 0008:insn+00 cr2=40000000
        PRINT "read of 40000000 (PDPTE 1 not present):"
        TRY .r4, .r4r
.r4:    mov al, [0x40000000]
.r4r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL

        ; ---- the accessed bit of a PDE whose walk then faults; crossing accesses ----
;> PDE 4: 00000000:00013003; read of a page not present through it: #PF(0000) at 0008:insn+00 cr2=00801000, PDE 4 00000000:00013023
        PRINT "PDE 4: "
        SHOWQ PD0 + 4 * 8
        PRINT "; read of a page not present through it:"
        TRY .a1, .a1r
.a1:    mov eax, [PDE4_LIN + 0x1000]
.a1r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT ", PDE 4 "
        SHOWQ PD0 + 4 * 8
        NL
;> write to its read-only page: #PF(0003) at 0008:insn+00 cr2=00800008, PDE 4 00000000:00013023, PTE 00000000:00021001
        mov dword [PD0 + 4 * 8], PT4 | 3
        invlpg [PDE4_LIN]
        PRINT "write to its read-only page:"
        TRY .a2, .a2r
.a2:    mov dword [PDE4_LIN + 8], 1
.a2r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT ", PDE 4 "
        SHOWQ PD0 + 4 * 8
        PRINT ", PTE "
        SHOWQ PT4
        NL
;> mov [800ffe],eax (read-only page, then one not present): #PF(0003) at 0008:insn+00 cr2=00800ffe; mov eax,[801ffd] (both not present): #PF(0000) at 0008:insn+00 cr2=00801ffd
        PRINT "mov [800ffe],eax (read-only page, then one not present):"
        TRY .a3, .a3r
.a3:    mov [PDE4_LIN + 0xFFE], eax
.a3r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; mov eax,[801ffd] (both not present):"
        TRY .a4, .a4r
.a4:    mov eax, [PDE4_LIN + 0x1FFD]
.a4r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        NL

        ; ---- execute-disable ----
;> efer=00000000:00000000; wrmsr NXE: efer=00000000:00000800
        mov ecx, EFER
        rdmsr
        PRINT "efer="
        HEX32 edx
        PRINT ":"
        HEX32 eax
        or eax, 0x800
        wrmsr
        rdmsr
        PRINT "; wrmsr NXE: efer="
        HEX32 edx
        PRINT ":"
        HEX32 eax
        NL
;> call 30000 (a ret there): ok; PTE NX: call: #PF(0011) at 0008:insn+00 cr2=00030000; read: c3
        SETPTE PAGE_C, PAGE_C | 7, 0
        invlpg [PAGE_C]
        PRINT "call 30000 (a ret there):"
        mov eax, PAGE_C
        call eax
        PRINT " ok; PTE NX: call:"
        SETPTE PAGE_C, PAGE_C | 7, 0x80000000
        invlpg [PAGE_C]
        mov eax, PAGE_C
        TRY_AT PAGE_C, .x1r + ROM_LINEAR
        call eax
.x1r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; read: "
        HEX8 [PAGE_C]
        NL
;> call 00430000 (2 MiB page, NX in the PDE): #PF(0011) at 0008:insn+00 cr2=00430000; read: c3
        PRINT "call 00430000 (2 MiB page, NX in the PDE):"
        mov eax, BIG2 + PAGE_C
        TRY_AT BIG2 + PAGE_C, .x2r + ROM_LINEAR
        call eax
.x2r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; read: "
        HEX8 [BIG2 + PAGE_C]
        NL
;> jmp to a page not present (NXE=1): #PF(0010) at 0008:insn+00 cr2=00024000; read: #PF(0000) at 0008:insn+00
        PRINT "jmp to a page not present (NXE=1):"
        mov eax, PAGE_NP
        TRY_AT PAGE_NP, .x3r + ROM_LINEAR
        jmp eax
.x3r:   PRINT " cr2="
        HEX32 [EXC_CR2]
        PRINT "; read:"
        TRY .x4, .x4r
.x4:    mov al, [PAGE_NP]
.x4r:   NL

        ; ---- global pages ----
;> CR4.PGE: PTE 27000 global -> 28000: clearing CR4.PGE drops it: 28282828; INVLPG drops one: 27272727
        mov dword [PAGE_Y], 0x27272727
        mov dword [PAGE_Y + 0x1000], 0x28282828
        mov eax, cr4
        or eax, 0x80                            ; PGE
        mov cr4, eax
        SETPTE PAGE_Y, PAGE_Y | 0x107, 0        ; G
        invlpg [PAGE_Y]
        mov eax, [PAGE_Y]                       ; a global translation in the TLB
        SETPTE PAGE_Y, (PAGE_Y + 0x1000) | 0x107, 0
        PRINT "CR4.PGE: PTE 27000 global -> 28000: clearing CR4.PGE drops it: "
        mov eax, cr4
        and eax, ~0x80
        mov cr4, eax
        HEX32 [PAGE_Y]
        or eax, 0x80
        mov cr4, eax
        mov eax, [PAGE_Y]                       ; global again, now -> 28000
        SETPTE PAGE_Y, PAGE_Y | 0x107, 0
        invlpg [PAGE_Y]
        PRINT "; INVLPG drops one: "
        HEX32 [PAGE_Y]
        NL

;> paging_pae done
        PRINT "paging_pae done", 10
        EXIT 0

rsvd_show:
        PRINT " #"
        push eax
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
        PRINT ", cr2="
        HEX32 [EXC_CR2]
        pop eax
        ret

        bits 16
        ROM_END
