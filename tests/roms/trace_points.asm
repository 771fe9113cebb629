; trace_points.asm: touches each subsystem that has a trace point once, so that a run with
; --trace cpu,int,exc,io,pic,pit,ata,pci,tlb,exec shows a line with each prefix
; (tests/trace_test.cpp): a PCI configuration read of the host bridge's vendor and device
; ID, an ATA command to the primary channel (IDENTIFY DEVICE; no drive answers it, which is
; all the trace needs), the 8259s' initialization and the 8254's counter 0, a divide error
; (#DE) and an INT 30h with their handlers, and a write of CR3 (a TLB flush). What it prints
; does not depend on the drives or on timing, so it runs under QEMU as well.
%include "rom.inc"
%include "pc_timer.inc"
        ROM_BEGIN

rom_main:
        xor ax, ax
        mov es, ax
        mov word [es:0x00 * 4], de_handler
        mov word [es:0x00 * 4 + 2], cs
        mov word [es:0x30 * 4], int30_handler
        mov word [es:0x30 * 4 + 2], cs

        ; PCI configuration mechanism #1: 00:00.0 register 0, the vendor and device ID.
;> pci 00:00.0 id=12378086
        mov eax, 0x80000000
        mov dx, 0xCF8
        out dx, eax
        mov dx, 0xCFC
        in eax, dx
        PRINT "pci 00:00.0 id="
        HEX32 eax
        NL

        ; ATA: select the primary master, IDENTIFY DEVICE.
        mov dx, 0x1F6
        mov al, 0xA0
        out dx, al
        mov dx, 0x1F7
        mov al, 0xEC
        out dx, al

        ; The 8259s: ICW1-ICW4 (vectors 20h and 28h), everything masked.
        PIC_INIT
        mov al, 0xFF
        out 0x21, al
        out 0xA1, al

        ; The 8254's counter 0: mode 2, LSB then MSB, 1193 (1 kHz); its IRQ0 stays masked.
        PIT0_1KHZ

        ; A divide error: the handler skips the 2-byte DIV BL.
;> #DE taken
        xor ax, ax
        mov bl, 0
        div bl
        ; INT 30h.
;> int 30h taken
        int 0x30

        ; A write of CR3 flushes the TLB (paging is off, which changes nothing for the flush).
        xor eax, eax
        mov cr3, eax
;> done
        PRINT "done", 10
        EXIT 0

de_handler:
        PRINT "#DE taken", 10
        push bp
        mov bp, sp
        add word [bp + 2], 2
        pop bp
        iret

int30_handler:
        PRINT "int 30h taken", 10
        iret

        ROM_END
