; serial_echo.asm: a guest for the serial back ends (tests/serial_test.cpp drives it; it is not
; one of the self-checking ROMs of rom_test.cpp, which have no input). It programs the PICs as a
; PC BIOS does (vectors 08h and 70h, only IRQ4 unmasked) and COM1 as a driver does: 115200 8N1,
; FIFOs on with the trigger at 14 bytes (so short input arrives through the character-timeout
; interrupt), the received-data interrupt, DTR, RTS and OUT2. It writes "echo ready" to COM1,
; then sleeps in HLT; the IRQ4 handler reads every byte the UART holds and writes it back to
; COM1. The byte 04h (EOT) ends it: it writes "bye" and exits with status
; ((bytes echoed mod 128) << 1) | 1, so a lost or doubled byte shows in the status too.
%include "rom.inc"
        ROM_BEGIN

COM1      equ 0x3F8
EXIT_BYTE equ 0x04
COUNT     equ 0x0580            ; word: bytes echoed
DONE      equ 0x0582            ; byte: the exit byte arrived

rom_main:
        xor ax, ax
        mov es, ax
        mov word [es:COUNT], 0
        mov byte [es:DONE], 0
        mov word [es:0x0C * 4], irq4
        mov word [es:0x0C * 4 + 2], cs

        mov al, 0x11            ; ICW1: edge, cascade, ICW4 follows
        out 0x20, al
        out 0xA0, al
        mov al, 0x08            ; ICW2: vector bases
        out 0x21, al
        mov al, 0x70
        out 0xA1, al
        mov al, 0x04            ; ICW3: the slave on IR2
        out 0x21, al
        mov al, 0x02
        out 0xA1, al
        mov al, 0x01            ; ICW4: 8086 mode, normal EOI
        out 0x21, al
        out 0xA1, al
        mov al, 0xEF            ; only IRQ4
        out 0x21, al
        mov al, 0xFF
        out 0xA1, al

        mov dx, COM1 + 3        ; LCR: DLAB, then 8N1
        mov al, 0x80
        out dx, al
        mov dx, COM1            ; divisor 1: 115200 baud
        mov al, 1
        out dx, al
        inc dx
        mov al, 0
        out dx, al
        mov dx, COM1 + 3
        mov al, 0x03
        out dx, al
        mov dx, COM1 + 2        ; FCR: FIFOs on and cleared, trigger 14
        mov al, 0xC7
        out dx, al
        mov dx, COM1 + 1        ; IER: received data (and its timeout)
        mov al, 0x01
        out dx, al
        mov dx, COM1 + 4        ; MCR: DTR, RTS, OUT2 (the IRQ driver)
        mov al, 0x0B
        out dx, al

        mov si, ready_msg
        call com1_puts
;> serial echo ready
        PRINT "serial echo ready", 10
.wait:  cli
        cmp byte [es:DONE], 0
        jne .done
        sti
        hlt                     ; STI's shadow covers HLT: no interrupt slips in between
        jmp .wait
.done:  mov si, bye_msg
        call com1_puts
;> serial echo done
        PRINT "serial echo done", 10
        mov al, [es:COUNT]
        and al, 0x7F
        out EXIT_PORT, al
.halt:  hlt
        jmp .halt

; IRQ4: while IIR says an interrupt is pending, read every byte LSR says is there.
irq4:
        push ax
        push dx
        push es
        xor ax, ax
        mov es, ax
.more:  mov dx, COM1 + 2
        in al, dx
        test al, 1
        jnz .eoi
.byte:  mov dx, COM1 + 5
        in al, dx
        test al, 1
        jz .more
        mov dx, COM1
        in al, dx
        cmp al, EXIT_BYTE
        je .exit
        inc word [es:COUNT]
        call com1_putc
        jmp .byte
.exit:  mov byte [es:DONE], 1
        jmp .byte
.eoi:   mov al, 0x20
        out 0x20, al
        pop es
        pop dx
        pop ax
        iret

; Writes the zero-terminated string at DS:SI to COM1.
com1_puts:
        push ax
        push si
.next:  lodsb
        test al, al
        jz .end
        call com1_putc
        jmp .next
.end:   pop si
        pop ax
        ret

; Writes AL to COM1 once THR is empty.
com1_putc:
        push ax
        push dx
        mov ah, al
        mov dx, COM1 + 5
.busy:  in al, dx
        test al, 0x20
        jz .busy
        mov dx, COM1
        mov al, ah
        out dx, al
        pop dx
        pop ax
        ret

ready_msg: db "echo ready", 13, 10, 0
bye_msg:   db 13, 10, "bye", 13, 10, 0
        ROM_END
