// The JIT's code arena (translator/code_arena.*): committed code runs, a later commit at the same
// place (after a reset) runs its new bytes, and W^X holds: the view blocks run from is not
// writable and the view the dispatcher writes through is not executable.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "translator/code_arena.h"

using namespace xlat;

namespace {

// The permissions ("r-xs", "rw-p", ...) of the mapping holding `p`, from /proc/self/maps;
// "" when the file cannot be read (not Linux) or nothing maps `p`.
std::string permissions(const void* p) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    while (std::getline(maps, line)) {
        unsigned long lo = 0, hi = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi) return perms;
    }
    return "";
}

// mov eax, imm32; ret
void returner(uint8_t (&code)[6], uint32_t value) {
    code[0] = 0xB8;
    std::memcpy(code + 1, &value, 4);
    code[5] = 0xC3;
}

int call(const void* at) { return reinterpret_cast<int (*)()>(const_cast<void*>(at))(); }

} // namespace

TEST_CASE("code arena: committed code runs, and no view is writable and executable", "[jit][arena]") {
    CodeArena arena(1u << 20);
    uint8_t code[6];
    returner(code, 42);
    void* first = arena.commit(code, sizeof code);
    CHECK(first == static_cast<void*>(arena.cursor() - 16));  // 16-byte aligned slots
    returner(code, 7);
    void* second = arena.commit(code, sizeof code);
    CHECK(call(first) == 42);
    CHECK(call(second) == 7);
    // Over the bytes of an earlier block (the arena was flushed): the new code runs.
    arena.reset(0);
    returner(code, 99);
    CHECK(arena.commit(code, sizeof code) == first);
    CHECK(call(first) == 99);

    const std::string exec = permissions(first);
    if (exec.empty()) return;  // no /proc here
    INFO("executable view " << exec);
    CHECK(exec[2] == 'x');
    CHECK(exec[1] == '-');
    if (arena.dual_mapped()) {
        const std::string rw = permissions(arena.rw(first));
        INFO("writable view " << rw);
        CHECK(rw[1] == 'w');
        CHECK(rw[2] == '-');
        CHECK(arena.rw(first) != first);
        // The two views are the same memory.
        CHECK(std::memcmp(arena.rw(first), first, sizeof code) == 0);
    }
}
