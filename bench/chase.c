/* chase: a linked list of 2^18 16-byte nodes (4 MiB) threaded through the array in a random
 * order, so each step is a load whose address comes from the previous load: the memory latency
 * natively, the cost of one guest memory access (segment, TLB, RAM) per step in an emulator. */
#include "bench.h"

const uint32_t bench_default_scale = 1400;

#define NODES (1u << 18)
struct node {
    struct node* next;
    uint32_t value;
    uint32_t pad[2];
};
static struct node nodes[NODES];
static uint32_t order[NODES];

void bench_main(uint32_t scale) {
    /* Sattolo's shuffle: a random permutation that is one single cycle through all nodes. */
    uint32_t r = 0xBADC0DEu;
    for (uint32_t i = 0; i < NODES; ++i) order[i] = i;
    for (uint32_t i = NODES - 1; i > 0; --i) {
        uint32_t j = bench_rand(&r) % i;
        uint32_t t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (uint32_t i = 0; i < NODES; ++i) {
        nodes[order[i]].next = &nodes[order[(i + 1) % NODES]];
        nodes[i].value = bench_rand(&r);
    }
    uint32_t sum = 0;
    const struct node* p = &nodes[0];
    for (uint32_t s = 0; s < scale; ++s) {
        for (uint32_t i = 0; i < NODES / 8 - s % 1024; ++i) {
            sum = (sum ^ p->value) + i;
            p = p->next;
        }
        nodes[s % NODES].value += s;  /* a write, so no round is the same as the last */
    }
    bench_check("chase-sum", sum);
    bench_check("chase-end", (uint32_t)(p - nodes));
}
