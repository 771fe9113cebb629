; Multiboot entry of the benchmark kernel.
        bits 32
        section .multiboot
        align 4
        dd 0x1BADB002, 0, -0x1BADB002
        section .text
        global _start
        extern kmain
_start: mov esp, stack_top
        call kmain
.hang:  cli
        hlt
        jmp .hang
        section .bss
        align 16
        resb 65536
stack_top:
        section .note.GNU-stack noalloc noexec nowrite progbits
