; clock.asm: the machine's timers agree (docs/runloop.md, "Time"). The TSC is measured against
; three other clocks, each the way an operating system calibrates it:
;   the PIT      counter 2 in mode 0, gated through port 61h, until its OUT (61h bit 5) rises:
;                11932 counts of 1.193182 MHz (Linux's pit_calibrate_tsc)
;   the PM timer the PIIX4's ACPI PM timer (3.579545 MHz, 24 bits), at the I/O base this ROM
;                gives the function (PMBA 600h, as SeaBIOS): 35795 ticks or a few more
;   the RTC      from one periodic flag (register C bit 6) to the next at its 64 Hz rate
; and the local APIC timer (divide by 1, one-shot, masked) against the PM timer. Each window is
; about 10 ms. The TSC rates (kHz) must agree within 1%: the TSC's own rate is the host's under
; QEMU and 1 GHz of the machine's Clock under xlat, so only the agreement is printed. The APIC
; timer counts at 1 GHz under both (QEMU's APIC timer counts nanoseconds too). Each rate is the
; median of three measurements.
;
; The rates in kHz are left in RAM for tests/clock_test.cpp, which checks that the TSC is 1 GHz and
; that two --icount runs measure the same:
;   8000 TSC by the PIT   8004 TSC by the PM timer   8008 TSC by the RTC   800C the APIC timer
;   8010 the PM ticks of the PM window   8014 the APIC window's PM ticks
%include "rom.inc"
%include "pm.inc"
        ROM_BEGIN

F_PIT    equ 0x8000
F_PM     equ 0x8004
F_RTC    equ 0x8008
F_APIC   equ 0x800C
PM_TICKS equ 0x8010
APIC_PM  equ 0x8014
T0       equ 0x8020
SAMPLES  equ 0x8024             ; two dwords
DIVISOR  equ 0x802C

PM_BASE  equ 0x600
PM_TMR   equ PM_BASE + 8
APIC     equ 0xFEE00000

rom_main:
        PM_ENTER

        PM_LIB
        bits 32

; Waits until the PM timer has advanced `ticks` (24-bit wrap) from EBX; EAX = the ticks passed.
%macro PM_WAIT 1
%%w:    mov dx, PM_TMR
        in eax, dx
        sub eax, ebx
        and eax, 0xFFFFFF
        cmp eax, %1
        jb %%w
%endmacro

; EAX := EAX * mul / div (unsigned, the quotient must fit 32 bits); keeps all but EAX and EDX.
%macro SCALE 2
        push ecx
        mov ecx, %1
        mul ecx
        mov ecx, %2
        div ecx
        pop ecx
%endmacro

; Prints "yes" when |[a] - [b]| < [b] / 100, else "no".
%macro AGREE 2
        mov eax, [%2]
        xor edx, edx
        mov ecx, 100
        div ecx
        mov ecx, eax            ; tolerance
        mov eax, [%1]
        sub eax, [%2]
        jae %%pos
        neg eax
%%pos:  cmp eax, ecx
        jae %%no
        PRINT "yes", 10
        jmp %%done
%%no:   PRINT "no", 10
%%done:
%endmacro

pm_main:
        ; The PIIX4 PM function (00:01.3): PMBA (40h) = 600h, then PMIOSE in PMREGMISC (80h).
        mov dx, 0xCF8
        mov eax, 0x80000B40
        out dx, eax
        mov dx, 0xCFC
        mov eax, PM_BASE | 1
        out dx, eax
        mov dx, 0xCF8
        mov eax, 0x80000B80
        out dx, eax
        mov dx, 0xCFC
        mov al, 1
        out dx, al
        ; The RTC: 64 Hz periodic rate, PIE so that the flag is set (IF stays clear).
        mov al, 0x0A
        out 0x70, al
        mov al, 0x2A            ; 32.768 kHz time base, rate 10: 64 Hz
        out 0x71, al
        mov al, 0x0B
        out 0x70, al
        in al, 0x71
        or al, 0x40
        call rtc_write_b
        ; The local APIC: software enabled, the timer masked, one-shot, divide by 1.
        mov dword [APIC + 0xF0], 0x1FF
        mov dword [APIC + 0x320], 0x10040
        mov dword [APIC + 0x3E0], 0x0B

        ; Each rate is the median of three measurements: the host may stop xlat's (or QEMU's)
        ; thread in the middle of one, and the guest then sees that time pass there.
        mov esi, ROM_LINEAR + measure_pit
        call median3
        mov [F_PIT], eax
        mov esi, ROM_LINEAR + measure_pm
        call median3
        mov [F_PM], eax
        mov esi, ROM_LINEAR + measure_rtc
        call median3
        mov [F_RTC], eax
        mov esi, ROM_LINEAR + measure_apic
        call median3
        mov [F_APIC], eax

        mov al, 0x0B            ; PIE off again
        out 0x70, al
        in al, 0x71
        and al, ~0x40
        call rtc_write_b

;> tsc rate by the pit and by the pm timer agree: yes
        PRINT "tsc rate by the pit and by the pm timer agree: "
        AGREE F_PIT, F_PM
;> tsc rate by the rtc and by the pm timer agree: yes
        PRINT "tsc rate by the rtc and by the pm timer agree: "
        AGREE F_RTC, F_PM
;> apic timer at 1 GHz by the pm timer: yes
        PRINT "apic timer at 1 GHz by the pm timer: "
        mov dword [T0], 1000000
        AGREE F_APIC, T0
;> clock done
        PRINT "clock done", 10
        EXIT 0

; The TSC rate by the PIT: counter 2 in mode 0, 11932 counts, gated through port 61h.
measure_pit:
        in al, 0x61
        and al, 0xFC            ; gate low, speaker off
        out 0x61, al
        mov al, 0xB0            ; counter 2, LSB then MSB, mode 0, binary
        out 0x43, al
        mov al, 11932 & 0xFF
        out 0x42, al
        mov al, 11932 >> 8
        out 0x42, al
        in al, 0x61
        or al, 1                ; gate high: the count runs
        out 0x61, al
        rdtsc
        mov [T0], eax
.wait:  in al, 0x61
        test al, 0x20
        jz .wait
        rdtsc
        sub eax, [T0]
        SCALE 1193182, 11932 * 1000
        ret

; The TSC rate by the PM timer: 35795 ticks (10 ms) or the few more the loop sees.
measure_pm:
        mov dx, PM_TMR
        in eax, dx
        mov ebx, eax
        and ebx, 0xFFFFFF
        rdtsc
        mov [T0], eax
        PM_WAIT 35795
        mov [PM_TICKS], eax
        imul ecx, eax, 1000
        mov [DIVISOR], ecx
        rdtsc
        sub eax, [T0]
        SCALE 3579545, [DIVISOR]
        ret

; The TSC rate by the RTC: from one periodic flag to the next, 1/64 s.
measure_rtc:
        mov al, 0x0C            ; clear the flag, then wait for the next edge
        out 0x70, al
        in al, 0x71
        call rtc_flag
        rdtsc
        mov [T0], eax
        call rtc_flag
        rdtsc
        sub eax, [T0]
        SCALE 64, 1000
        ret

; The APIC timer's rate by the PM timer: its count from FFFFFFFFh over 35795 PM ticks.
measure_apic:
        mov dx, PM_TMR
        in eax, dx
        mov ebx, eax
        and ebx, 0xFFFFFF
        mov dword [APIC + 0x380], 0xFFFFFFFF    ; the count starts
        PM_WAIT 35795
        mov ecx, [APIC + 0x390]
        mov [APIC_PM], eax
        imul eax, eax, 1000
        mov [DIVISOR], eax
        mov dword [APIC + 0x380], 0             ; stops it
        mov eax, 0xFFFFFFFF
        sub eax, ecx
        SCALE 3579545, [DIVISOR]
        ret

; EAX := the median of three calls of the routine at ESI (each returns its value in EAX).
median3:
        call esi
        mov [SAMPLES], eax
        call esi
        mov [SAMPLES + 4], eax
        call esi
        mov ecx, [SAMPLES]
        mov edx, [SAMPLES + 4]
        ; sort ecx <= edx, then the median is max(ecx, min(edx, eax))
        cmp ecx, edx
        jbe .s1
        xchg ecx, edx
.s1:    cmp eax, edx
        jbe .s2
        mov eax, edx
.s2:    cmp eax, ecx
        jae .s3
        mov eax, ecx
.s3:    ret

; Writes AL to RTC register B.
rtc_write_b:
        mov ah, al
        mov al, 0x0B
        out 0x70, al
        mov al, ah
        out 0x71, al
        ret

; Waits for the RTC's periodic flag; reading register C clears it.
rtc_flag:
        mov al, 0x0C
        out 0x70, al
        in al, 0x71
        test al, 0x40
        jz rtc_flag
        ret

        bits 16
        ROM_END
