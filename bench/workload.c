/* The benchmark workload: integer code of the kinds a guest OS and its programs run (checksums,
 * a sieve, sorting, string scanning, multiplication and division, bit manipulation). The same
 * file builds as a Multiboot kernel (for xlat and QEMU) and as a native host program, and each
 * build prints the same checksums, so a run also checks that the three agree. */
#include <stdint.h>

#ifdef BENCH_NATIVE
#include <stdio.h>
static void out_str(const char* s) { fputs(s, stdout); }
#else
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static void out_str(const char* s) { while (*s) outb(0xE9, (uint8_t)*s++); }
#endif

static void out_hex(const char* label, uint32_t v) {
    char buf[9];
    for (int i = 7; i >= 0; --i) { buf[i] = "0123456789abcdef"[v & 15]; v >>= 4; }
    buf[8] = 0;
    out_str(label);
    out_str(buf);
    out_str("\n");
}

static uint8_t arena[1 << 20];
static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

static uint32_t crc32(const uint8_t* p, uint32_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t sieve(uint32_t n) {
    uint8_t* s = arena;
    for (uint32_t i = 0; i < n; ++i) s[i] = 1;
    uint32_t count = 0;
    for (uint32_t i = 2; i < n; ++i) {
        if (!s[i]) continue;
        ++count;
        for (uint32_t j = i * 2; j < n; j += i) s[j] = 0;
    }
    return count;
}

static void sort(uint32_t* a, int lo, int hi) {
    while (lo < hi) {
        uint32_t pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) ++i;
            while (a[j] > pivot) --j;
            if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; ++i; --j; }
        }
        if (j - lo < hi - i) { sort(a, lo, j); lo = i; } else { sort(a, i, hi); hi = j; }
    }
}

static uint32_t sorting(int n) {
    uint32_t* a = (uint32_t*)arena;
    for (int i = 0; i < n; ++i) a[i] = rnd();
    sort(a, 0, n - 1);
    uint32_t h = 0;
    for (int i = 0; i < n; ++i) h = h * 31 + a[i];
    return h;
}

static uint32_t muldiv(int n) {
    uint32_t h = 1;
    for (int i = 1; i <= n; ++i) {
        uint32_t x = rnd() * (uint32_t)(i * 2654435761u);
        h ^= x / (uint32_t)(i | 1) + x % 1000003u;
    }
    return h;
}

static uint32_t popcount(uint32_t v) {  /* no libgcc in the kernel build: by hand */
    uint32_t c = 0;
    while (v) { v &= v - 1; ++c; }
    return c;
}

static uint32_t bits(int n) {
    uint32_t h = 0;
    for (int i = 0; i < n; ++i) {
        uint32_t v = rnd() | 1;
        h += popcount(v) + (uint32_t)__builtin_ctz(v << (i & 15)) + (v >> (i & 31));
        h = (h << 5) | (h >> 27);
    }
    return h;
}

static uint32_t strings(int n) {
    char* s = (char*)arena;
    for (int i = 0; i < 65536; ++i) s[i] = (char)('a' + rnd() % 26);
    s[65535] = 0;
    uint32_t h = 0;
    for (int r = 0; r < n; ++r) {
        const char* p = s;
        while (*p) { if (*p == 'q' && p[1] == 'u') ++h; ++p; }
    }
    return h;
}

void bench_main(void) {
    for (int i = 0; i < (1 << 20); ++i) arena[i] = (uint8_t)rnd();
    out_hex("crc32   ", crc32(arena, 1 << 20));
    out_hex("sieve   ", sieve(1 << 20));
    out_hex("sort    ", sorting(100000));
    out_hex("muldiv  ", muldiv(1000000));
    out_hex("bits    ", bits(2000000));
    out_hex("strings ", strings(40));
}

#ifdef BENCH_NATIVE
int main(void) { bench_main(); return 0; }
#else
void kmain(void) {
    bench_main();
    outb(0xF4, 0);
}
#endif
