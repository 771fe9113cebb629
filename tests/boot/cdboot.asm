; An El Torito "no emulation" boot image for the CD-ROM boot tests (tests/cdrom_boot_test.cpp):
; the test puts it on an ISO made with xorriso (-b cdboot.bin -no-emul-boot -boot-load-size 4),
; and SeaBIOS loads its 2048 bytes at 0000:7C00 and jumps there with DL = the CD's drive number
; (E0h for the first CD-ROM; El Torito 1.0 section 5.3). It prints through the debug console
; (port 0xE9), reads the ISO 9660 primary volume descriptor and the El Torito boot record
; volume descriptor (blocks 16 and 17) through the INT 13h extensions on 2048-byte sectors,
; and then does what its last byte says (the test sets it): 0 ends through the exit port 0xF4
; (0x10 when every check passed, 0x11 when one failed), 1 resets the machine through the 8042
; (command FEh), so that a boot order with once= moves on to its next device.
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
    cmp byte [drive], 0xE0
    jne fail
    ; The extensions are there (AH=41h), and the drive has 2048-byte sectors (AH=48h, the
    ; result buffer's bytes per sector at offset 18h).
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, [drive]
    int 0x13
    jc fail
    cmp bx, 0xAA55
    jne fail
    mov ah, 0x48
    mov dl, [drive]
    mov si, params
    mov word [params], 0x1A
    int 0x13
    jc fail
    cmp word [params + 0x18], 2048
    jne fail
    ; Blocks 16 and 17 -> 0000:8000: type 1 "CD001" (primary volume descriptor), then type 0
    ; "CD001" version 1 "EL TORITO SPECIFICATION" (the boot record).
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    cmp byte [0x9000], 1
    jne fail
    cmp dword [0x9001], 'CD00'
    jne fail
    cmp byte [0x9800], 0
    jne fail
    cmp dword [0x9801], 'CD00'
    jne fail
    cmp dword [0x9807], 'EL T'
    jne fail
    cmp dword [0x980B], 'ORIT'
    jne fail
    mov si, msg_read
    call print
    cmp byte [action], 1
    je reset
    mov al, 0x10
    out 0xF4, al
    hlt

reset:
    mov si, msg_reset
    call print
    mov al, 0xFE
    out 0x64, al
    hlt

%include "boot_exit.inc"          ; fail: and print:

drive:     db 0
dap:       db 0x10, 0        ; packet size, reserved
           dw 2              ; blocks
           dw 0x9000, 0      ; buffer offset, segment
           dq 16             ; LBA
msg_ran:   db "cd boot ran", 10, 0
msg_read:  db "int13 cd read ok", 10, 0
msg_reset: db "cd resets", 10, 0
msg_fail:  db "cd boot check failed", 10, 0
params:    times 0x1A db 0

times 2047 - ($ - $$) db 0
action:    db 0
