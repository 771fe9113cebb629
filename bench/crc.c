/* crc: CRC-32 (the IEEE polynomial, reflected) over a 256 KiB buffer, table-driven (a load, a
 * shift and two XORs per byte: a dependent chain through memory), and bitwise over 16 KiB of it
 * (shifts, masks and a negation per bit: pure ALU work with flags). */
#include "bench.h"

const uint32_t bench_default_scale = 1600;

static uint8_t buf[256 * 1024];
static uint32_t table[256];

static uint32_t crc_bitwise(const uint8_t* p, uint32_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t crc_table(const uint8_t* p, uint32_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

void bench_main(uint32_t scale) {
    uint32_t r = 0x12345678u;
    for (uint32_t i = 0; i < sizeof buf; ++i) buf[i] = (uint8_t)bench_rand(&r);
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        table[i] = c;
    }
    uint32_t h_table = 0, h_bitwise = 0;
    for (uint32_t s = 0; s < scale; ++s) {
        buf[(s * 4099u) % sizeof buf] ^= (uint8_t)(s + 1);  /* a new input every round */
        h_table = (h_table << 1 | h_table >> 31) ^ crc_table(buf, sizeof buf);
        h_bitwise = (h_bitwise << 1 | h_bitwise >> 31) ^ crc_bitwise(buf + (s % 16) * 16384, 16384);
    }
    bench_check("crc32-table", h_table);
    bench_check("crc32-bitwise", h_bitwise);
    bench_check("crc32-check", crc_table((const uint8_t*)"123456789", 9));  /* cbf43926 */
}
