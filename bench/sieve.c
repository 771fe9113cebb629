/* sieve: the sieve of Eratosthenes over a 512 KiB byte array, a limit a little different every
 * round: byte stores at growing strides, then a scan counting what is left. */
#include "bench.h"

const uint32_t bench_default_scale = 1000;

static uint8_t composite[1 << 19];

static uint32_t sieve(uint32_t n, uint32_t* last) {
    for (uint32_t i = 0; i < n; ++i) composite[i] = 0;
    uint32_t count = 0;
    for (uint32_t i = 2; i < n; ++i) {
        if (composite[i]) continue;
        ++count;
        *last = i;
        if (i < n / i)
            for (uint32_t j = i * i; j < n; j += i) composite[j] = 1;
    }
    return count;
}

void bench_main(uint32_t scale) {
    uint32_t total = 0, h = 0;
    for (uint32_t s = 0; s < scale; ++s) {
        uint32_t last = 0;
        uint32_t count = sieve(sizeof composite - (s % 64) * 1000, &last);
        total += count;
        h = (h << 3 | h >> 29) ^ count ^ last;
    }
    bench_check("primes", total);
    bench_check("sieve-hash", h);
}
