/* pages: a 32 MiB array (8192 pages of 4 KiB) touched once per page per pass, with a
 * read-modify-write at an offset that moves every pass. Nearly every access lands on a page
 * other than the last one: with paging on, that is a TLB miss in an emulator's small TLB and a
 * page walk; flat, it measures the address path without one. */
#include "bench.h"

const uint32_t bench_default_scale = 1500;

#define PAGES 8192u
#define WORDS_PER_PAGE 1024u
static uint32_t area[PAGES * WORDS_PER_PAGE];

void bench_main(uint32_t scale) {
    uint32_t h = 0;
    for (uint32_t pass = 0; pass < scale * 16; ++pass) {
        uint32_t offset = (pass * 17u) % WORDS_PER_PAGE;
        /* An odd step through the pages (coprime with their number): not a plain stride, which
         * a host's prefetcher would hide. */
        uint32_t page = pass % PAGES;
        for (uint32_t i = 0; i < PAGES; ++i) {
            uint32_t* w = &area[page * WORDS_PER_PAGE + offset];
            *w += page ^ pass;
            h = (h << 1 | h >> 31) ^ *w;
            page = (page + 2053u) % PAGES;
        }
    }
    bench_check("pages-hash", h);
    bench_check("pages-sample", area[(PAGES / 3) * WORDS_PER_PAGE + 17]);
}
