/* What a benchmark program sees: its entry point, a way to print checksums, and a pseudo-random
 * generator. Each program is one C file compiled once (gcc -m32 -O2, freestanding) and linked
 * with three runtimes: a flat Multiboot kernel, a Multiboot kernel with 4 KiB paging on, and a
 * native Linux i386 program (rt.c, the entry stubs in *.asm). The object code of the workload is
 * the same in all three, so the native time is the time of the very instructions the guest runs. */
#pragma once
#include <stdint.h>

/* Each program defines these two. bench_main runs the workload `scale` times over (its running
 * time grows linearly with scale) and reports its results with bench_check. */
extern const uint32_t bench_default_scale;
void bench_main(uint32_t scale);

/* Prints "name xxxxxxxx" (the value in hex) on its own line: on port 0xE9 in a kernel, on stdout
 * natively. bench/run and the differential test compare these lines across every build. The
 * runtime prints the scale the same way first ("scale 00000064"). */
void bench_check(const char* name, uint32_t value);

/* The runtime's string functions: gcc may call these for large copies and fills even in
 * freestanding code, so every build provides them. */
void* memcpy(void* dst, const void* src, unsigned n);
void* memset(void* dst, int c, unsigned n);

/* xorshift32 (Marsaglia): a fixed sequence for a fixed seed, the same in every build. */
static inline uint32_t bench_rand(uint32_t* state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}
