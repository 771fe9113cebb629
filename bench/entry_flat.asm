; Multiboot entry of a flat benchmark kernel: protected mode as the loader left it, paging off.
        bits 32
        section .multiboot
        align 4
        dd 0x1BADB002, 0, -0x1BADB002
        section .text
        global _start
        extern kmain
_start: mov esp, stack_top
        cld
        sub esp, 8              ; keep ESP 16-byte aligned at the call, as the i386 ABI expects
        push ebx                ; the Multiboot information structure
        push eax                ; the Multiboot magic
        call kmain
.hang:  cli
        hlt
        jmp .hang
        section .bss
        alignb 16
        resb 262144             ; deep recursion in the recurse program
stack_top:
        section .note.GNU-stack noalloc noexec nowrite progbits
