; A boot sector for the VGA boot test (tests/devices_vga_test.cpp): SeaBIOS loads it at
; 0000:7C00 after running the VGA BIOS from the std VGA's ROM BAR. It prints one line through
; INT 10h teletype (AH=0Eh), so the VGA BIOS writes it into the text buffer at 0xB8000, and ends
; through the exit port 0xF4 with 0x10.
bits 16
org 0x7C00

start:
    xor ax, ax
    mov ds, ax
    mov si, msg
.next:
    lodsb
    test al, al
    jz .done
    mov ah, 0x0E
    mov bx, 0x0007          ; page 0, grey
    int 0x10
    jmp .next
.done:
    mov al, 0x10
    out 0xF4, al
    hlt
    jmp .done

msg: db "xlat vga teletype ok", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xAA55
