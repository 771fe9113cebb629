/* The Multiboot test kernel: reports what the loader handed it on the debug console (port 0xE9)
 * and exits through the exit port (0xF4). It runs under xlat and under QEMU with the same
 * output for the fields printed here. Freestanding: no library at all. */
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static void putc(char c) { outb(0xE9, (uint8_t)c); }
static void puts(const char* s) { while (*s) putc(*s++); }
static void puthex(uint32_t v) {
    for (int i = 28; i >= 0; i -= 4) putc("0123456789abcdef"[(v >> i) & 15]);
}
static void putdec(uint32_t v) {
    char buf[11];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putc(buf[--n]);
}

/* A little integer work in C, compiled for a 686: checks the CPU on compiler-generated code. */
static uint32_t crc32(const uint8_t* p, uint32_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

struct mb_module { uint32_t start, end, string, reserved; };

void kmain(uint32_t magic, const uint32_t* info) {
    puts("magic ");
    puthex(magic);
    puts("\n");
    uint32_t flags = info[0];
    if (flags & 1) { puts("mem_lower "); putdec(info[1]); puts(" mem_upper "); putdec(info[2]); puts("\n"); }
    if (flags & 4) { puts("cmdline "); puts((const char*)info[4]); puts("\n"); }
    if (flags & 8) {
        const struct mb_module* mods = (const struct mb_module*)info[6];
        puts("modules "); putdec(info[5]); puts("\n");
        for (uint32_t i = 0; i < info[5]; ++i) {
            uint32_t len = mods[i].end - mods[i].start;
            puts("module "); puts((const char*)mods[i].string);
            puts(" aligned "); putdec((mods[i].start & 0xFFF) == 0);
            puts(" length "); putdec(len);
            puts(" crc32 "); puthex(crc32((const uint8_t*)mods[i].start, len));
            puts("\n");
        }
    }
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    puts("protected "); putdec(cr0 & 1); puts(" paging "); putdec(cr0 >> 31); puts("\n");
    puts("done\n");
    outb(0xF4, 0x10);
}
