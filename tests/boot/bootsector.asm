; A boot sector for the SeaBIOS boot test (tests/boot_test.cpp): the firmware loads it at
; 0000:7C00 from the first disk and jumps to it with DL = the boot drive. It prints through the
; debug console (port 0xE9) and COM1, reads two more sectors of the disk through INT 13h (AH=02h with
; CHS, then AH=42h with the LBA extensions) and checks what they hold, and ends through the exit
; port 0xF4: value 0x10 when every check passed, 0x11 when one failed. The test writes the
; sectors' contents: sector 1 (LBA, 0-based) starts "SEC1", sector 2 "SEC2".
bits 16
org 0x7C00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov [drive], dl
    mov si, msg_ran
    call print
    cmp byte [drive], 0x80
    jne fail
    ; CHS read: cylinder 0, head 0, sector 2 (sectors count from 1) -> 0000:8000.
    mov ax, 0x0201
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x8000
    int 0x13
    jc fail
    cmp dword [0x8000], 'SEC1'
    jne fail
    mov si, msg_chs
    call print
    ; The LBA extensions: installed? then read LBA 2 -> 0000:8200 through a disk address packet.
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, [drive]
    int 0x13
    jc fail
    cmp bx, 0xAA55
    jne fail
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    cmp dword [0x8200], 'SEC2'
    jne fail
    mov si, msg_lba
    call print
    mov al, 0x10
    out 0xF4, al
    hlt

%include "boot_exit.inc"          ; fail: and print:

drive:    db 0
dap:      db 0x10, 0        ; packet size, reserved
          dw 1              ; sectors
          dw 0x8200, 0      ; buffer offset, segment
          dq 2              ; LBA
msg_ran:  db "boot sector ran", 10, 0
msg_chs:  db "int13 chs read ok", 10, 0
msg_lba:  db "int13 lba read ok", 10, 0
msg_fail: db "boot sector check failed", 10, 0

times 510 - ($ - $$) db 0
dw 0xAA55
