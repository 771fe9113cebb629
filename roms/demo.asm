; The demo ROM: the main job until a guest OS boots. It greets, runs a few small computations
; of different instruction kinds, prints what it executed and what came out, and exits through
; the exit port with status 0 (process exit status 1).
%include "rom.inc"
        ROM_BEGIN

rom_main:
        PRINT "Hello from xlat: a ROM running on the reference CPU.", 10
        PRINT "what it ran                          result", 10
        PRINT "-----------------------------------  --------", 10

        ; 1. ALU: sum of 1..100 with ADD and LOOP
        xor ax, ax
        mov cx, 100
.sum:   add ax, cx
        loop .sum
        PRINT "sum 1..100 (ADD, LOOP)               "
        call puthex16
        call newline

        ; 2. 32-bit multiply and divide: 12345678 * 9 / 7
        mov eax, 12345678
        mov ebx, 9
        mul ebx
        mov ebx, 7
        div ebx
        PRINT "12345678*9/7 (MUL, DIV, 32-bit)      "
        call puthex32
        call newline

        ; 3. string instructions: copy a message into RAM with REP MOVSB, compare with REPE CMPSB
        xor ax, ax
        mov es, ax
        mov si, message
        mov di, 0x500
        mov cx, message_len
        rep movsb
        mov si, message
        mov di, 0x500
        mov cx, message_len
        repe cmpsb
        mov ax, cx              ; 0 when every byte matched
        PRINT "copy+compare 21 bytes (REP MOVSB)    "
        call puthex16
        call newline

        ; 4. shifts and rotates: a CRC-8 (polynomial 0x07) of the message
        mov si, message
        mov cx, message_len
        xor ah, ah
.crc_byte:
        lodsb
        xor ah, al
        mov dl, 8
.crc_bit:
        shl ah, 1
        jnc .no_xor
        xor ah, 0x07
.no_xor:
        dec dl
        jnz .crc_bit
        loop .crc_byte
        mov al, ah
        PRINT "CRC-8 of the message (SHL, XOR)      "
        call puthex8
        call newline

        ; 5. BCD: 1999 + 1 in packed BCD with DAA
        mov al, 0x99
        add al, 0x01
        daa                     ; AL = 00, CF = 1
        mov bl, 0x19
        adc bl, 0
        mov al, bl
        daa
        mov ah, al
        mov al, 0
        PRINT "BCD 1999 + 1 (ADD, ADC, DAA)         "
        call puthex16
        call newline

        ; 6. CPUID vendor string
        xor eax, eax
        cpuid
        mov [es:0x600], ebx
        mov [es:0x604], edx
        mov [es:0x608], ecx
        mov byte [es:0x60C], 0
        PRINT "CPU vendor (CPUID)                   "
        push ds
        xor ax, ax
        mov ds, ax
        mov si, 0x600
        call puts
        pop ds
        call newline

        PRINT "Goodbye.", 10
        EXIT 0

message: db "xlat copies this text"
message_len equ $ - message

        ROM_END
