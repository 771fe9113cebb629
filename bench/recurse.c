/* recurse: call-heavy code: naive Fibonacci (two calls per call), Ackermann's function (deep
 * recursion, hundreds of frames) and N-queens by backtracking (recursion inside a loop, with
 * bit masks). Nearly every block ends in a CALL or a RET. */
#include "bench.h"

const uint32_t bench_default_scale = 1200;

/* noinline and noclone keep each a real recursive function rather than a loop gcc unrolled. */
__attribute__((noinline, noclone)) static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline, noclone)) static uint32_t ackermann(uint32_t m, uint32_t n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

__attribute__((noinline, noclone)) static uint32_t queens(uint32_t cols, uint32_t diag1, uint32_t diag2, uint32_t all) {
    if (cols == all) return 1;
    uint32_t count = 0;
    uint32_t free = all & ~(cols | diag1 | diag2);
    while (free) {
        uint32_t bit = free & (0u - free);
        free ^= bit;
        count += queens(cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1, all);
    }
    return count;
}

void bench_main(uint32_t scale) {
    uint32_t h_fib = 0, h_ack = 0, h_queens = 0;
    for (uint32_t s = 0; s < scale * 2; ++s) {
        h_fib += fib(24 + s % 4);
        h_ack += ackermann(3, 5 + s % 3);
        h_queens += queens(0, 0, 0, (1u << (7 + s % 3)) - 1);
    }
    bench_check("fib", h_fib);
    bench_check("ackermann", h_ack);
    bench_check("queens", h_queens);
}
