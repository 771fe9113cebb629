; Entry of the native (Linux i386) build of a benchmark program: the kernel leaves argc and the
; argv array on the stack (System V i386 ABI, process initialization); exit is system call 1.
        bits 32
        section .text
        global _start
        extern linux_main
_start: mov eax, [esp]          ; argc
        lea ecx, [esp + 4]      ; argv
        and esp, -16
        sub esp, 8
        push ecx
        push eax
        call linux_main
        mov ebx, eax
        mov eax, 1
        int 0x80
        section .note.GNU-stack noalloc noexec nowrite progbits
