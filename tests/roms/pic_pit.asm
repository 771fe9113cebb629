; pic_pit.asm: the 8259A PICs and the 8254 PIT as a BIOS and a driver program them: ICW1-ICW4
; for both chips (vectors 20h and 28h, slave on IR2), masks, the read-back status of the PIT,
; IRQ0 at 1 kHz taken five times with STI; HLT in between (each HLT ends by exactly one IRQ0:
; the handler returns to a CLI), the ISR seen from the handler and an EOI, the poll command
; with IF clear, and counter 2's OUT through port 61h. Nothing printed depends on how fast the
; host is: only counts of events and register contents.
;
; Under QEMU 7.2's default `pc` (i440FX) machine the PIT's IRQ0 never reached the 8259 in this
; ROM (`info pic` showed IRR 00 with IRQ0 unmasked; hpet=off made no difference), while the
; `isapc` machine, which has the same 8259s and 8254, delivers it: the ROM runs there.
;! qemu-args: -M isapc
%include "rom.inc"
%include "pc_timer.inc"
        ROM_BEGIN

TICKS   equ 0x0580              ; word: IRQ0 taken
ISR_IN  equ 0x0582              ; byte: the master's ISR as the handler saw it

rom_main:
        xor ax, ax
        mov es, ax
        mov word [es:TICKS], 0
        mov byte [es:ISR_IN], 0
        mov word [es:0x20 * 4], irq0
        mov word [es:0x20 * 4 + 2], cs

        ; ICW1 (edge, cascade, ICW4), ICW2 (vector base), ICW3 (cascade), ICW4 (8086 mode)
        PIC_INIT
        mov al, 0xFF            ; everything masked while the PIT is set up
        out 0x21, al
        mov al, 0xFB
        out 0xA1, al
;> imr master=ff slave=fb
        PRINT "imr master="
        in al, 0x21
        HEX8 al
        PRINT " slave="
        in al, 0xA1
        HEX8 al
        NL

        ; Counter 0: mode 2 (rate generator), LSB then MSB, 1193 = 1.000 kHz.
        PIT0_1KHZ
        ; (The status's null-count bit is not printed between the two bytes: QEMU 7.2 never
        ; sets it. tests/pit_test.cpp checks it.)
;> status=34
        mov al, 0xE2            ; read-back: the status of counter 0
        out 0x43, al
        in al, 0x40
        and al, 0x7F            ; OUT (bit 7): QEMU 7.2 has mode 2's OUT inverted (high for one
        PRINT "status="         ; clock per period, where the 8254 is low for one)
        HEX8 al
        NL

        mov al, 0xFE            ; IRQ0 only
        out 0x21, al
.wait:  sti
        hlt                     ; STI's shadow covers HLT: the IRQ cannot slip in before it
        cli
        cmp word [es:TICKS], 5
        jb .wait
;> irq0 taken 0005 times, isr in handler=01, isr after eoi=00
        PRINT "irq0 taken "
        HEX16 [es:TICKS]
        PRINT " times, isr in handler="
        HEX8 [es:ISR_IN]
        PRINT ", isr after eoi="
        mov al, 0x0B            ; OCW3: read ISR
        out 0x20, al
        in al, 0x20
        HEX8 al
        NL
        mov al, 0x0A            ; OCW3: back to reading the IRR
        out 0x20, al

        ; Poll mode: IF stays clear; OCW3 with P set, then a read gives 80h | level and counts
        ; as the INTA.
.poll:  mov al, 0x0C
        out 0x20, al
        in al, 0x20
        test al, 0x80
        jz .poll
;> poll=80 isr=01
        PRINT "poll="
        HEX8 al
        PRINT " isr="
        mov al, 0x0B
        out 0x20, al
        in al, 0x20
        HEX8 al
        NL
        mov al, 0x60            ; specific EOI, level 0
        out 0x20, al
;> isr after specific eoi=00
        PRINT "isr after specific eoi="
        in al, 0x20             ; still reading the ISR
        HEX8 al
        NL
        mov al, 0xFF
        out 0x21, al

        ; Counter 2, mode 0, gated by port 61h bit 0: OUT2 (bit 5) low until the count runs out.
        mov al, 0x01            ; gate on, speaker off
        out 0x61, al
        mov al, 0xB0            ; counter 2, LSB/MSB, mode 0
        out 0x43, al
        mov al, 0x00
        out 0x42, al
        mov al, 0x10            ; 1000h clocks: 3.4 ms
        out 0x42, al
        in al, 0x61
        and al, 0x21
;> port 61 after load=01
        PRINT "port 61 after load="
        HEX8 al
        NL
.out2:  in al, 0x61
        test al, 0x20
        jz .out2
;> out2 high
        PRINT "out2 high", 10
        mov al, 0x00
        out 0x61, al

;> pic_pit done
        PRINT "pic_pit done", 10
        EXIT 0

irq0:
        push ax
        mov al, 0x0B            ; OCW3: read ISR
        out 0x20, al
        in al, 0x20
        mov [es:ISR_IN], al
        mov al, 0x0A
        out 0x20, al
        inc word [es:TICKS]
        mov al, 0x20            ; non-specific EOI
        out 0x20, al
        pop ax
        iret

        ROM_END
