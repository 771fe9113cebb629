; A Multiboot kernel in the a.out-kludge format (header flag 16): a flat binary whose header
; gives the load addresses. It prints the magic it was entered with and exits.
        bits 32
        org 0x200000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010000
header:
        dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
        dd header                   ; header_addr
        dd header                   ; load_addr
        dd load_end                 ; load_end_addr
        dd bss_end                  ; bss_end_addr
        dd start                    ; entry_addr
start:
        mov ebp, eax                ; the magic the loader passed
        mov esi, msg
.next:  lodsb
        test al, al
        jz .done
        out 0xE9, al
        jmp .next
.done:  mov al, 0x11                ; exit status 0x23 when the magic is right
        cmp ebp, 0x2BADB002
        je .exit
        mov al, 0x12
.exit:  out 0xF4, al
        hlt
msg:    db "a.out kludge kernel entered", 10, 0
load_end:
        times 64 db 0
bss_end:
