/* sort: 8192 random 32-bit integers sorted by a recursive quicksort (Hoare partition, compares
 * and swaps, unpredictable branches) and the same number by a heap sort (index arithmetic and
 * sift-down loops), every round with new numbers; each result is checked to be in order. */
#include "bench.h"

const uint32_t bench_default_scale = 1200;

#define N 8192
static uint32_t a[N];

static void quicksort(uint32_t* v, int lo, int hi) {
    while (lo < hi) {
        uint32_t pivot = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) ++i;
            while (v[j] > pivot) --j;
            if (i <= j) { uint32_t t = v[i]; v[i] = v[j]; v[j] = t; ++i; --j; }
        }
        /* Recurse into the smaller side, loop on the larger: the depth stays logarithmic. */
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; } else { quicksort(v, i, hi); hi = j; }
    }
}

static void sift_down(uint32_t* v, uint32_t root, uint32_t n) {
    uint32_t x = v[root];
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n) break;
        if (child + 1 < n && v[child + 1] > v[child]) ++child;
        if (v[child] <= x) break;
        v[root] = v[child];
        root = child;
    }
    v[root] = x;
}

static void heapsort(uint32_t* v, uint32_t n) {
    for (uint32_t i = n / 2; i-- > 0;) sift_down(v, i, n);
    for (uint32_t end = n - 1; end > 0; --end) {
        uint32_t t = v[0]; v[0] = v[end]; v[end] = t;
        sift_down(v, 0, end);
    }
}

/* A hash of the sorted array, or 0 when it is out of order. */
static uint32_t sorted_hash(const uint32_t* v, uint32_t n) {
    uint32_t h = 0;
    for (uint32_t i = 0; i < n; ++i) {
        if (i > 0 && v[i - 1] > v[i]) return 0;
        h = h * 31 + v[i];
    }
    return h;
}

void bench_main(uint32_t scale) {
    uint32_t r = 0xC0FFEEu, hq = 0, hh = 0;
    for (uint32_t s = 0; s < scale; ++s) {
        for (uint32_t i = 0; i < N; ++i) a[i] = bench_rand(&r);
        quicksort(a, 0, N - 1);
        hq = (hq << 1 | hq >> 31) ^ sorted_hash(a, N);
        for (uint32_t i = 0; i < N; ++i) a[i] = bench_rand(&r);
        heapsort(a, N);
        hh = (hh << 1 | hh >> 31) ^ sorted_hash(a, N);
    }
    bench_check("quicksort", hq);
    bench_check("heapsort", hh);
}
