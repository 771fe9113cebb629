// The block cache's index by host address (translator/block_cache.h, HostIndex): inserts,
// lookups and deletions against std::map as the reference, with addresses that collide in the
// probe runs, across growth and after reset.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "translator/block_cache.h"

using namespace xlat;

TEST_CASE("the host index finds what was inserted and forgets what was erased, in any order", "[jit][blockcache]") {
    HostIndex ix;
    std::map<const uint8_t*, Block*> ref;
    std::vector<uint8_t> bytes(1 << 20);
    std::vector<Block> blocks(4096);
    std::mt19937 rng(12345);
    // Addresses close together (blocks a few bytes apart) and far apart; more than the initial
    // table holds, so that it grows while entries are erased in between.
    auto pick = [&] { return bytes.data() + (rng() % 4 ? rng() % 8192 : rng() % bytes.size()); };
    for (int round = 0; round < 20000; ++round) {
        const uint8_t* h = pick();
        if (rng() % 3) {
            Block* b = &blocks[rng() % blocks.size()];
            ix.head(h) = b;
            ref[h] = b;
        } else {
            ix.erase(h);
            ref.erase(h);
        }
        if (round % 997 == 0) {
            for (const auto& [host, b] : ref) REQUIRE(ix.find(host) == b);
            REQUIRE(ix.size() == ref.size());
        }
    }
    for (const auto& [host, b] : ref) REQUIRE(ix.find(host) == b);
    for (int i = 0; i < 5000; ++i) {
        const uint8_t* h = pick();
        auto it = ref.find(h);
        REQUIRE(ix.find(h) == (it == ref.end() ? nullptr : it->second));
        REQUIRE((ix.find_head(h) != nullptr) == (it != ref.end()));
    }
    // Erasing everything leaves nothing to find; reset empties it as well.
    for (const auto& [host, b] : ref) ix.erase(host);
    REQUIRE(ix.size() == 0);
    for (const auto& [host, b] : ref) REQUIRE(ix.find(host) == nullptr);
    ix.head(bytes.data()) = &blocks[0];
    ix.reset();
    REQUIRE(ix.find(bytes.data()) == nullptr);
}

TEST_CASE("the block cache finds blocks by host address and context and drops a page's blocks", "[jit][blockcache]") {
    PhysMem phys(1 << 20);
    BlockCache cache(phys);
    const uint8_t* ram = phys.ram();
    auto block = [&](uint32_t paddr, uint32_t eip, uint64_t key) {
        auto b = std::make_unique<Block>();
        b->host = ram + paddr;
        b->paddr = paddr;
        b->ram = true;
        b->eip = eip;
        b->key = key;
        return cache.insert(std::move(b));
    };
    // Two contexts at one host address (chained), and blocks on two pages.
    Block* a = block(0x3000, 0x3000, 1);
    Block* a2 = block(0x3000, 0x3000, 2);
    Block* c = block(0x3010, 0x3010, 1);
    Block* d = block(0x5000, 0x5000, 1);
    REQUIRE(cache.find(ram + 0x3000, 0x3000, 0, 1, 0) == a);
    REQUIRE(cache.find(ram + 0x3000, 0x3000, 0, 2, 0) == a2);
    REQUIRE(cache.find(ram + 0x3000, 0x3000, 0, 3, 0) == nullptr);
    REQUIRE(cache.find(ram + 0x3010, 0x3010, 0, 1, 0) == c);
    REQUIRE(phys.is_code_page(0x3000));
    REQUIRE(cache.invalidate_page(0x3abc) == 3);
    REQUIRE(!a->valid);
    REQUIRE(!a2->valid);
    REQUIRE(cache.find(ram + 0x3000, 0x3000, 0, 1, 0) == nullptr);
    REQUIRE(cache.find(ram + 0x3000, 0x3000, 0, 2, 0) == nullptr);
    REQUIRE(cache.find(ram + 0x3010, 0x3010, 0, 1, 0) == nullptr);
    REQUIRE(!phys.is_code_page(0x3000));
    REQUIRE(cache.find(ram + 0x5000, 0x5000, 0, 1, 0) == d);
    cache.clear();
    REQUIRE(cache.find(ram + 0x5000, 0x5000, 0, 1, 0) == nullptr);
}
