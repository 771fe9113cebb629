; Entry of the Multiboot test kernels (ELF): the Multiboot header, a stack, and a call to kmain.
; With -DHEADER_IN_TEXT the header opens .text instead of a section of its own, for the kernel
; linked without a script (ld -Ttext 0x100000), whose first section is .text.
        bits 32
%ifdef HEADER_IN_TEXT
        section .text
%else
        section .multiboot
%endif
        align 4
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003             ; page-align modules, memory information
        dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        section .text
        global _start
        extern kmain
_start:
        mov esp, stack_top
        push ebx                    ; Multiboot information structure
        push eax                    ; magic
        call kmain
.hang:  cli
        hlt
        jmp .hang

        section .bss
        align 16
        resb 16384
stack_top:

        section .note.GNU-stack noalloc noexec nowrite progbits
