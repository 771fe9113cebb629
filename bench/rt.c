/* The runtime linked with every benchmark program: finds the scale, runs bench_main, prints the
 * checksums and exits. Built twice: with BENCH_KERNEL for the Multiboot kernels (output on the
 * debug console, port 0xE9; exit through the isa-debug-exit port 0xF4, which xlat and QEMU both
 * turn into exit status 1 for the value 0) and without it for a static Linux i386 program (the
 * int 0x80 system calls, so no C library is needed on a host without 32-bit libraries). */
#include "bench.h"

#ifdef BENCH_KERNEL
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static void out_str(const char* s) { while (*s) outb(0xE9, (uint8_t)*s++); }
#else
static long sys3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
static void out_str(const char* s) {
    unsigned n = 0;
    while (s[n]) ++n;
    sys3(4 /* write */, 1, (long)s, (long)n);
}
#endif

void bench_check(const char* name, uint32_t value) {
    char line[64];
    unsigned n = 0;
    while (*name && n < 40) line[n++] = *name++;
    line[n++] = ' ';
    for (int i = 28; i >= 0; i -= 4) line[n++] = "0123456789abcdef"[(value >> i) & 15];
    line[n++] = '\n';
    line[n] = 0;
    out_str(line);
}

/* REP MOVSB/STOSB rather than C loops, which gcc could turn back into calls to these very
 * functions. DF is clear: the entry stubs clear it and the i386 ABI keeps it clear. */
void* memcpy(void* dst, const void* src, unsigned n) {
    void* d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void* memset(void* dst, int c, unsigned n) {
    void* d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

/* The scale from "scale=N" (a word of the kernel command line) or from a bare number (a native
 * argument); anything else leaves the default. */
static uint32_t parse_scale(const char* s, uint32_t scale) {
    while (*s) {
        while (*s == ' ') ++s;
        const char* w = s;
        if (w[0] == 's' && w[1] == 'c' && w[2] == 'a' && w[3] == 'l' && w[4] == 'e' && w[5] == '=') w += 6;
        if (*w >= '0' && *w <= '9') {
            uint32_t v = 0;
            while (*w >= '0' && *w <= '9') v = v * 10 + (uint32_t)(*w++ - '0');
            if ((*w == ' ' || *w == 0) && v > 0) scale = v;
        }
        while (*s && *s != ' ') ++s;
    }
    return scale;
}

#ifdef BENCH_KERNEL
/* Called by entry.asm or entry_paged.asm with the Multiboot magic and information structure. */
void kmain(uint32_t magic, const uint32_t* info) {
    uint32_t scale = bench_default_scale;
    if (magic == 0x2BADB002u && (info[0] & 4)) scale = parse_scale((const char*)info[4], scale);
    bench_check("scale", scale);
    bench_main(scale);
    outb(0xF4, 0);
}
#else
/* Called by linux_start.asm; returns the exit status. */
int linux_main(int argc, char** argv) {
    uint32_t scale = bench_default_scale;
    for (int i = 1; i < argc; ++i) scale = parse_scale(argv[i], scale);
    bench_check("scale", scale);
    bench_main(scale);
    return 0;
}
#endif
