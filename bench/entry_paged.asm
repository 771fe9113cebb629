; Multiboot entry of a paged benchmark kernel: identity-maps the low 64 MiB with 4 KiB pages
; (16 page tables, no large pages) and sets CR0.PG before calling kmain, so every guest access
; goes through the page walk and the TLB (SDM 3A 4.3, 32-bit paging). Run with -m 64M or less
; above the kernel: the map covers all of a 64 MiB guest.
        bits 32
MAPPED_MIB equ 64
        section .multiboot
        align 4
        dd 0x1BADB002, 0, -0x1BADB002
        section .text
        global _start
        extern kmain
_start: mov esp, stack_top
        cld
        mov edx, eax            ; keep the Multiboot magic
        ; Page tables: entry i maps the page at i * 4 KiB, present and writable.
        mov edi, page_tables
        mov eax, 0x003
        mov ecx, MAPPED_MIB * 256
.pte:   stosd
        add eax, 0x1000
        loop .pte
        ; Page directory: the first MAPPED_MIB / 4 entries point to those tables; the rest stay
        ; zero (not present) from the loader's zeroed .bss.
        mov edi, page_directory
        mov eax, page_tables + 0x003
        mov ecx, MAPPED_MIB / 4
.pde:   stosd
        add eax, 0x1000
        loop .pde
        mov eax, page_directory
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000      ; CR0.PG
        mov cr0, eax
        jmp .paged              ; the next fetch already goes through the new map (identity)
.paged: sub esp, 8              ; keep ESP 16-byte aligned at the call, as the i386 ABI expects
        push ebx                ; the Multiboot information structure
        push edx                ; the Multiboot magic
        call kmain
.hang:  cli
        hlt
        jmp .hang
        section .bss nobits alloc noexec write align=4096
        alignb 4096
page_directory:
        resb 4096
page_tables:
        resb MAPPED_MIB * 1024
        alignb 16
        resb 262144             ; deep recursion in the recurse program
stack_top:
        section .note.GNU-stack noalloc noexec nowrite progbits
