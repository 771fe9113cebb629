/* strings: byte-at-a-time string loops (length, compare, search, copy, as a C library's plain
 * versions would be written) over 64 KiB of text, and the copies and fills gcc turns into
 * REP MOVSD and REP STOSD (block-sized struct copies and variable-length memsets; see the
 * disassembly of strings.o). */
#include "bench.h"

const uint32_t bench_default_scale = 900;

#define TEXT 65536u
static char text[TEXT];
static char copy[TEXT];

/* A 4 KiB block: assigning one is a REP MOVSD of 1024 doublewords. */
struct block {
    uint32_t w[1024];
};
static struct block blocks[16], saved[16];

static uint32_t str_len(const char* s) {
    const char* p = s;
    while (*p) ++p;
    return (uint32_t)(p - s);
}

static int str_cmp(const char* a, const char* b) {
    while (*a && *a == *b) { ++a; ++b; }
    return (unsigned char)*a - (unsigned char)*b;
}

static char* str_cpy(char* d, const char* s) {
    char* r = d;
    while ((*d++ = *s++) != 0) {}
    return r;
}

static const char* str_chr(const char* s, char c) {
    for (; *s; ++s)
        if (*s == c) return s;
    return 0;
}

/* Fills with a length only known at run time: gcc makes this a REP STOSD (and a tail). */
__attribute__((noinline)) static void fill(void* p, int c, uint32_t n) { __builtin_memset(p, c, n); }

void bench_main(uint32_t scale) {
    /* Words of 1-11 letters from a small alphabet (so that compares often share a prefix),
     * separated by NULs: the text is a string table. */
    uint32_t r = 0x5EED5u;
    for (uint32_t i = 0; i < TEXT - 1; ++i) {
        uint32_t x = bench_rand(&r);
        text[i] = (x % 7 == 0) ? 0 : (char)('a' + (x >> 8) % 6);
    }
    text[TEXT - 1] = 0;
    uint32_t h = 0, less = 0, found = 0;
    for (uint32_t s = 0; s < scale * 5; ++s) {
        /* Walk the words: length, compare with the previous one, search for a letter, copy. */
        const char* prev = "";
        char* out = copy;
        for (const char* p = text; p < text + TEXT - 1; p += str_len(p) + 1) {
            h = h * 33 + str_len(p);
            if (str_cmp(prev, p) < 0) ++less;
            const char* q = str_chr(p, (char)('a' + s % 6));
            if (q) found += (uint32_t)(q - p);
            str_cpy(out, p);
            out += str_len(out) + 1;
            prev = p;
        }
        /* Block copies and fills: REP MOVSD / REP STOSD. */
        for (uint32_t round = 0; round < 8; ++round) {
            for (uint32_t b = 0; b < 16; ++b) blocks[b] = *(const struct block*)(copy + b * 4096);
            blocks[s % 16].w[round] ^= s;
            for (uint32_t b = 0; b < 16; ++b) saved[(b + round) % 16] = blocks[b];
            fill(copy + (s * 97 + round * 1021) % (TEXT / 2), (int)(s & 0x7F), 1000 + (s + round) % 2048);
        }
        for (uint32_t b = 0; b < 16; ++b) h ^= saved[b].w[(s + b) % 1024];
    }
    bench_check("strings-hash", h);
    bench_check("strings-less", less);
    bench_check("strings-found", found);
}
