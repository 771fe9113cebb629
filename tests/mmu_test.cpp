// The software MMU and the physical address space, tested over hand-built page tables.
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "memory/fault.h"
#include "memory/mmu.h"
#include "memory/phys.h"

using namespace xlat;

namespace {

constexpr uint32_t P = 1, W = 2, U = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;

struct Rig {
    PhysMem phys{16u << 20};
    Mmu mmu{phys};
    uint32_t rd32(uint32_t pa) { return phys.read(pa, 4); }
    void wr32(uint32_t pa, uint32_t v) { phys.write(pa, 4, v); }
    void wr64(uint32_t pa, uint64_t v) { wr32(pa, uint32_t(v)); wr32(pa + 4, uint32_t(v >> 32)); }
    void paging32(uint32_t cr3, bool wp = false, bool pse = false, bool pge = false) {
        Mmu::Paging p;
        p.enabled = true, p.wp = wp, p.pse = pse, p.pge = pge, p.cr3 = cr3;
        mmu.set_paging(p);
    }
    void paging_pae(uint32_t cr3, bool nxe) {
        Mmu::Paging p;
        p.enabled = true, p.pae = true, p.nxe = nxe, p.cr3 = cr3;
        REQUIRE(mmu.load_pdptes(cr3, p.pdpte));
        mmu.set_paging(p);
    }
};

// Runs f and returns the #PF it raised (vector 0xFF when it raised nothing).
template <typename F> GuestFault fault_of(F f) {
    try {
        f();
    } catch (const GuestFault& g) {
        return g;
    }
    return GuestFault{0xFF, 0, 0};
}

} // namespace

TEST_CASE("32-bit paging: every U/S, R/W, WP and privilege combination", "[mmu]") {
    // SDM Vol. 3A, 4.6: a user access needs U=1 in the PDE and the PTE; a write needs R/W=1 in
    // both, except a supervisor write with CR0.WP=0, which may write read-only pages.
    for (unsigned bits = 0; bits < 128; ++bits) {
        bool pde_u = bits & 1, pde_w = bits & 2, pte_u = bits & 4, pte_w = bits & 8, wp = bits & 16,
             user = bits & 32, write = bits & 64;
        CAPTURE(pde_u, pde_w, pte_u, pte_w, wp, user, write);
        Rig r;
        r.wr32(0x1000 + 4 * 1, 0x2000 | P | (pde_u ? U : 0) | (pde_w ? W : 0));    // PDE for 4 MiB..8 MiB
        r.wr32(0x2000 + 4 * 5, 0x9000 | P | (pte_u ? U : 0) | (pte_w ? W : 0));    // PTE for 0x405000
        r.wr32(0x9123, 0x11223344);
        r.paging32(0x1000, wp);
        const uint32_t lin = 0x405123;
        bool denied = (user && !(pde_u && pte_u)) || (write && !(pde_w && pte_w) && (user || wp));
        uint32_t got = 0;
        GuestFault f = fault_of([&] {
            if (write) r.mmu.write<uint32_t>(lin, 0xCAFEF00D, user);
            else got = r.mmu.read<uint32_t>(lin, user);
        });
        if (denied) {
            REQUIRE(f.vector == kPF);
            CHECK(f.address == lin);
            CHECK(f.error_code == (1u | (write ? 2u : 0u) | (user ? 4u : 0u)));
            // The PDE was used before the rights check failed: its A bit is set; the PTE, which
            // maps the page, keeps A and D clear (SDM Vol. 3A, 4.8).
            CHECK((r.rd32(0x1004) & (A | D)) == A);
            CHECK((r.rd32(0x2014) & (A | D)) == 0);
            CHECK(r.rd32(0x9123) == 0x11223344);
        } else {
            REQUIRE(f.vector == 0xFF);
            CHECK((r.rd32(0x1004) & A) == A);
            CHECK((r.rd32(0x2014) & A) == A);
            CHECK(bool(r.rd32(0x2014) & D) == write);  // dirty only on a write
            CHECK((r.rd32(0x1004) & D) == 0);          // never in a PDE that maps a table
            if (write) CHECK(r.rd32(0x9123) == 0xCAFEF00D);
            else CHECK(got == 0x11223344);
        }
    }
}

TEST_CASE("not-present entries fault without the P bit and set CR2's address", "[mmu]") {
    Rig r;
    r.paging32(0x1000);
    GuestFault f = fault_of([&] { r.mmu.read<uint8_t>(0x00ABC123, false); });
    CHECK(f.vector == kPF);
    CHECK(f.error_code == 0);
    CHECK(f.address == 0x00ABC123);
    r.wr32(0x1000, 0x2000 | P | W | U);  // PDE present, PTE not
    f = fault_of([&] { r.mmu.write<uint16_t>(0x3FFE, 1, true); });
    CHECK(f.error_code == (2u | 4u));
    CHECK(f.address == 0x3FFE);
}

TEST_CASE("a walk sets the A bit of each table-mapping entry it uses, also when it then faults", "[mmu]") {
    SECTION("32-bit paging: not-present PTE") {
        Rig r;
        r.wr32(0x1000 + 4 * 1, 0x2000 | P | W | U);  // PDE present, PTE for 0x405000 not
        r.paging32(0x1000);
        GuestFault f = fault_of([&] { r.mmu.read<uint32_t>(0x405000, false); });
        CHECK(f.vector == kPF);
        CHECK(f.error_code == 0);
        CHECK(r.rd32(0x1004) == (0x2000u | P | W | U | A));
        CHECK(r.rd32(0x2014) == 0);
    }
    SECTION("32-bit paging: not-present PDE changes nothing") {
        Rig r;
        r.wr32(0x1000 + 4 * 1, 0x2000 | W | U);
        r.paging32(0x1000);
        CHECK(fault_of([&] { r.mmu.read<uint32_t>(0x405000, false); }).vector == kPF);
        CHECK(r.rd32(0x1004) == (0x2000u | W | U));
    }
    SECTION("32-bit paging: a 4 MiB page is the page-mapping entry: A only on success") {
        Rig r;
        r.wr32(0x1000 + 4 * 2, 0x00400000 | P | PS);  // read-only, supervisor
        r.paging32(0x1000, false, true);
        CHECK(fault_of([&] { r.mmu.read<uint32_t>(0x00812344, true); }).error_code == (1u | 4u));
        CHECK(r.rd32(0x1008) == (0x00400000u | P | PS));
        r.mmu.read<uint32_t>(0x00812344, false);
        CHECK(r.rd32(0x1008) == (0x00400000u | P | PS | A));
    }
    SECTION("PAE: not-present PTE and a rights violation set the PDE's A bit only") {
        Rig r;
        r.wr64(0x1000, 0x2000 | P);
        r.wr64(0x2000 + 8 * 0, 0x3000 | P | W);  // supervisor table for 0..2 MiB
        r.wr64(0x3000 + 8 * 7, 0x9000 | P | W);  // 0x7000 supervisor page; 0x8000 not present
        r.paging_pae(0x1000, false);
        CHECK(fault_of([&] { r.mmu.read<uint32_t>(0x8000, false); }).error_code == 0);
        CHECK(r.rd32(0x2000) == (0x3000u | P | W | A));
        r.wr32(0x2000, 0x3000 | P | W);
        CHECK(fault_of([&] { r.mmu.write<uint32_t>(0x7000, 1, true); }).error_code == (1u | 2u | 4u));
        CHECK(r.rd32(0x2000) == (0x3000u | P | W | A));
        CHECK(r.rd32(0x3038) == (0x9000u | P | W));
        CHECK(r.rd32(0x1000) == (0x2000u | P));  // PDPTEs are registers: nothing written
    }
    SECTION("PAE: an entry with a reserved bit is not used: no A bit") {
        Rig r;
        r.wr64(0x1000, 0x2000 | P);
        r.wr64(0x2000, 0x3000 | P | W | (1ull << 40));  // bit 40 is beyond 36 physical bits
        r.paging_pae(0x1000, false);
        CHECK(fault_of([&] { r.mmu.read<uint32_t>(0x0, false); }).error_code == (1u | 8u));
        CHECK(r.rd32(0x2000) == (0x3000u | P | W));
    }
}

TEST_CASE("4 MiB pages with CR4.PSE, and PS ignored without it", "[mmu]") {
    Rig r;
    r.wr32(0x1000 + 4 * 2, 0x00400000 | P | W | PS);  // 8 MiB..12 MiB -> physical 4 MiB..8 MiB
    r.wr32(0x00400000 + 0x12344, 0xABCD0123);
    r.paging32(0x1000, false, true);
    CHECK(r.mmu.read<uint32_t>(0x00812344, false) == 0xABCD0123);
    r.mmu.write<uint8_t>(0x00812344, 0x55, false);
    CHECK(r.rd32(0x1008) == (0x00400000u | P | W | PS | A | D));
    // Without PSE the PDE points at a page table at 0x400000 (whose entry 0x12 is 0: not present).
    r.paging32(0x1000, false, false);
    GuestFault f = fault_of([&] { r.mmu.read<uint32_t>(0x00812344, false); });
    CHECK(f.vector == kPF);
    CHECK(f.error_code == 0);
}

TEST_CASE("PAE: 4 KiB and 2 MiB pages, NX, reserved bits", "[mmu]") {
    Rig r;
    const uint32_t pdpt = 0x1000, pd = 0x2000, pt = 0x3000;
    r.wr64(pdpt + 8 * 0, pd | P);
    r.wr64(pd + 8 * 0, pt | P | W | U);                              // 0..2 MiB through a table
    r.wr64(pd + 8 * 1, 0x00600000 | P | W | U | PS);                 // 2..4 MiB -> 6 MiB
    r.wr64(pd + 8 * 2, 0x00800000 | P | W | U | PS | (1ull << 63));  // 4..6 MiB, NX
    r.wr64(pt + 8 * 7, 0x00009000 | P | U);                          // 0x7000 -> 0x9000 read-only
    r.wr32(0x9010, 0x01020304);
    r.wr32(0x00600020, 0x0A0B0C0D);
    r.wr32(0x00800000, 0x90909090);
    r.paging_pae(pdpt, true);
    CHECK(r.mmu.read<uint32_t>(0x7010, true) == 0x01020304);
    CHECK(r.mmu.read<uint32_t>(0x00200020, true) == 0x0A0B0C0D);
    GuestFault f = fault_of([&] { r.mmu.write<uint32_t>(0x7010, 0, true); });
    CHECK(f.error_code == (1u | 2u | 4u));
    // NX: data reads are fine, instruction fetches fault with I/D set.
    CHECK(r.mmu.read<uint32_t>(0x00400000, false) == 0x90909090);
    uint8_t buf[4];
    f = fault_of([&] { r.mmu.fetch(0x00400000, buf, 4, false); });
    CHECK(f.vector == kPF);
    CHECK(f.error_code == (1u | 16u));
    CHECK(r.mmu.fetch(0x00200020, buf, 4, false) == 4);
    // Without EFER.NXE, bit 63 is a reserved bit: #PF with P and RSVD.
    r.paging_pae(pdpt, false);
    f = fault_of([&] { r.mmu.read<uint32_t>(0x00400000, false); });
    CHECK(f.error_code == (1u | 8u));
}

TEST_CASE("global pages survive a CR3 load with PGE; INVLPG drops them", "[mmu]") {
    Rig r;
    r.wr32(0x1000, 0x2000 | P | W);
    r.wr32(0x2000 + 4 * 1, 0x5000 | P | W | G);  // 0x1000 -> 0x5000, global
    r.wr32(0x2000 + 4 * 2, 0x6000 | P | W);      // 0x2000 -> 0x6000
    r.wr32(0x5000, 0x55);
    r.wr32(0x6000, 0x66);
    r.wr32(0x7000, 0x77);
    r.paging32(0x1000, false, false, true);
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x55);
    CHECK(r.mmu.read<uint32_t>(0x2000, false) == 0x66);
    // Remap both pages to 0x7000 behind the TLB's back, then reload CR3.
    r.wr32(0x2004, 0x7000 | P | W | G);
    r.wr32(0x2008, 0x7000 | P | W);
    r.paging32(0x1000, false, false, true);
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x55);  // global: still the old translation
    CHECK(r.mmu.read<uint32_t>(0x2000, false) == 0x77);  // not global: walked again
    r.mmu.invalidate_page(0x1FFF);
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x77);
}

TEST_CASE("a page-crossing store that faults on its second page changes nothing", "[mmu]") {
    Rig r;
    r.wr32(0x1000, 0x2000 | P | W | U);
    r.wr32(0x2000 + 4 * 4, 0x8000 | P | W | U);  // 0x4000 writable
    r.wr32(0x2000 + 4 * 5, 0x9000 | P | U);      // 0x5000 read-only
    r.wr32(0x8FFC, 0xAAAAAAAA);
    r.wr32(0x9000, 0xBBBBBBBB);
    r.paging32(0x1000, true);
    GuestFault f = fault_of([&] { r.mmu.write<uint32_t>(0x4FFE, 0x12345678, true); });
    CHECK(f.vector == kPF);
    CHECK(f.address == 0x5000);  // the fault names the second page
    CHECK(f.error_code == 7);
    CHECK(r.rd32(0x8FFC) == 0xAAAAAAAA);
    CHECK(r.rd32(0x9000) == 0xBBBBBBBB);
    CHECK((r.rd32(0x2010) & D) == 0);
    // The same store within writable pages succeeds and splits across them.
    r.wr32(0x2014, 0x9000 | P | W | U);
    r.mmu.invalidate_page(0x5000);
    r.mmu.write<uint32_t>(0x4FFE, 0x12345678, true);
    CHECK(r.rd32(0x8FFC) == 0x5678AAAA);
    CHECK((r.rd32(0x9000) & 0xFFFF) == 0x1234);
}

TEST_CASE("a page-crossing access that faults on both pages reports the lower page", "[mmu]") {
    Rig r;
    r.wr32(0x1000, 0x2000 | P | W | U);
    r.wr32(0x2000 + 4 * 4, 0x8000 | P | U);  // 0x4000 read-only
    r.wr32(0x2000 + 4 * 5, 0x9000 | P);      // 0x5000 supervisor only
    r.wr32(0x2000 + 4 * 6, 0xA000 | P | W | U);  // 0x6000 writable; 0x7000 not present
    r.wr32(0x8FFC, 0xAAAAAAAA);
    r.paging32(0x1000, true);
    // A user write: the lower page is read-only (P W U), the upper one supervisor (P W U).
    GuestFault f = fault_of([&] { r.mmu.write<uint32_t>(0x4FFE, 0x12345678, true); });
    CHECK(f.vector == kPF);
    CHECK(f.address == 0x4FFE);
    CHECK(f.error_code == 7);
    CHECK(r.rd32(0x8FFC) == 0xAAAAAAAA);
    CHECK((r.rd32(0x2010) & (A | D)) == 0);
    CHECK((r.rd32(0x2014) & (A | D)) == 0);
    // A user read: the lower page readable, the upper one not: the upper page's fault.
    f = fault_of([&] { r.mmu.read<uint32_t>(0x4FFE, true); });
    CHECK(f.address == 0x5000);
    CHECK(f.error_code == 5);
    // A supervisor read from a present page into a missing one: the fault names the missing page
    // and the present page's PTE stays unaccessed.
    f = fault_of([&] { r.mmu.read<uint16_t>(0x6FFF, false); });
    CHECK(f.address == 0x7000);
    CHECK(f.error_code == 0);
    CHECK((r.rd32(0x2018) & A) == 0);
    // Both missing: the lower one is reported.
    f = fault_of([&] { r.mmu.read<uint16_t>(0x7FFF, false); });
    CHECK(f.address == 0x7FFF);
    // probe_write (read-modify-write) follows the same order.
    f = fault_of([&] { r.mmu.probe_write(0x4FFF, 2, true); });
    CHECK(f.address == 0x4FFF);
    CHECK(f.error_code == 7);
}

TEST_CASE("an instruction fetch stops at the page end and faults on the right page", "[mmu]") {
    Rig r;
    r.wr32(0x1000, 0x2000 | P | W);
    r.wr32(0x2000 + 4 * 3, 0x3000 | P | W);  // 0x3000 present, 0x4000 not
    r.phys.write_bytes(0x3FFD, "\x66\xB8\x34", 3);
    r.paging32(0x1000);
    uint8_t buf[15];
    CHECK(r.mmu.fetch(0x3FFD, buf, 15, false) == 3);
    CHECK(std::memcmp(buf, "\x66\xB8\x34", 3) == 0);
    GuestFault f = fault_of([&] { r.mmu.fetch(0x4000, buf, 12, false); });
    CHECK(f.vector == kPF);
    CHECK(f.address == 0x4000);
}

TEST_CASE("code pages never take the host-pointer path for writes and report each write", "[mmu]") {
    Rig r;
    std::vector<std::pair<uint32_t, unsigned>> seen;
    r.phys.on_code_write_ctx = &seen;
    r.phys.on_code_write = [](void* ctx, uint32_t pa, unsigned size) {
        static_cast<std::vector<std::pair<uint32_t, unsigned>>*>(ctx)->emplace_back(pa, size);
    };
    r.mmu.write<uint32_t>(0x7000, 1, false);  // fills the TLB's write tag for the page
    r.phys.set_code_page(0x7000, true);
    r.mmu.write<uint32_t>(0x7004, 2, false);
    r.mmu.write<uint16_t>(0x7FFF, 3, false);  // crosses into 0x8000, not a code page
    r.mmu.write<uint32_t>(0x9000, 4, false);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == std::make_pair(0x7004u, 4u));
    CHECK(seen[1] == std::make_pair(0x7FFFu, 1u));
    CHECK(r.phys.is_code_page(0x7ABC));
    r.phys.set_code_page(0x7000, false);
    r.mmu.write<uint32_t>(0x7008, 5, false);
    CHECK(seen.size() == 2);
}

TEST_CASE("the physical address space: A20, nothing, ROM and MMIO access sizes", "[mmu][phys]") {
    Rig r;
    r.phys.write(0x000123, 1, 0x5A);
    r.phys.set_a20(false);
    CHECK(r.mmu.read<uint8_t>(0x100123, false) == 0x5A);  // wraps at 1 MiB like an 8086
    r.phys.set_a20(true);
    CHECK(r.mmu.read<uint8_t>(0x100123, false) == 0x00);
    CHECK(r.mmu.read<uint32_t>(0xA0000, false) == 0xFFFFFFFFu);   // VGA window: nothing yet
    CHECK(r.mmu.read<uint16_t>(0x20000000, false) == 0xFFFF);     // beyond RAM: nothing
    r.mmu.write<uint32_t>(0x20000000, 0, false);                  // dropped, no crash
    std::vector<uint8_t> rom(0x1000, 0xEE);
    r.phys.map_rom(0xFFFFF000u, rom, "rom");
    r.mmu.write<uint8_t>(0xFFFFF010u, 0x11, false);
    CHECK(r.mmu.read<uint8_t>(0xFFFFF010u, false) == 0xEE);       // ROM ignores writes

    struct Dev : Device {
        std::vector<std::tuple<uint32_t, unsigned, uint32_t, bool>> log;
        uint32_t reg[4] = {0x03020100, 0x07060504, 0, 0};
        const char* name() const override { return "mmio-probe"; }
        uint32_t read(unsigned, uint32_t off, unsigned size) override {
            log.emplace_back(off, size, 0, false);
            return size == 4 ? reg[off / 4] : (reg[off / 4] >> (8 * (off & 3))) & 0xFF;
        }
        void write(unsigned, uint32_t off, unsigned size, uint32_t v) override {
            log.emplace_back(off, size, v, true);
            if (size == 4) reg[off / 4] = v;
        }
    } dword_dev;
    r.phys.map_mmio(0xFEC00000u, 0x1000, &dword_dev, 0, 4, 4, "dword-only");
    CHECK(r.mmu.read<uint8_t>(0xFEC00005u, false) == 0x05);  // merged: one 4-byte read
    r.mmu.write<uint8_t>(0xFEC00001u, 0xAA, false);           // read-modify-write of the dword
    CHECK(dword_dev.reg[0] == 0x0302AA00u);
    CHECK(dword_dev.log.size() == 3);
    Dev byte_dev;
    r.phys.map_mmio(0xFED00000u, 0x1000, &byte_dev, 0, 1, 1, "byte-only");
    CHECK(r.mmu.read<uint32_t>(0xFED00004u, false) == 0x07060504u);  // split into four bytes
    CHECK(byte_dev.log.size() == 4);
}

TEST_CASE("page runs: one walk per page, and only for the kind and privilege they were made for", "[mmu]") {
    // A supervisor-only, read-only page mapped to physical 0xC0000000, where nothing is (the TLB
    // cannot hold it): a REP's page run translates it once, and neither a user access nor a
    // write may use what a supervisor read translated.
    Rig r;
    r.wr32(0x1000 + 4 * 1, 0x2000 | P | W | U);  // PDE for 4 MiB..8 MiB
    r.wr32(0x2000 + 4 * 5, 0xC0000000u | P);     // PTE for 0x405000: supervisor, read-only
    r.paging32(0x1000, /*wp=*/true);
    Mmu::PageRun run;
    const uint64_t walks = r.mmu.stats().walks;
    for (uint32_t i = 0; i < 4096; ++i) CHECK(r.mmu.read_run(run, 0x405000 + i, 1, false) == 0xFF);
    CHECK(r.mmu.stats().walks == walks + 1);
    GuestFault user_read = fault_of([&] { r.mmu.read_run(run, 0x405010, 1, true); });
    CHECK(user_read.vector == kPF);
    CHECK(user_read.error_code == (1u | 4u));  // present, user
    Mmu::PageRun wrun;
    GuestFault write = fault_of([&] { r.mmu.write_run(wrun, 0x405010, 1, 0, false); });
    CHECK(write.vector == kPF);
    CHECK(write.error_code == (1u | 2u));  // present, write (CR0.WP)
    // Like a TLB entry, the run keeps its translation until INVLPG of the page.
    CHECK(r.mmu.read_run(run, 0x405010, 4, false) == 0xFFFFFFFFu);
    r.wr32(0x2000 + 4 * 5, 0x9000 | P);
    r.wr32(0x9010, 0x12345678);
    CHECK(r.mmu.read_run(run, 0x405010, 4, false) == 0xFFFFFFFFu);  // still the old translation
    r.mmu.invalidate_page(0x405010);
    CHECK(r.mmu.read_run(run, 0x405010, 4, false) == 0x12345678u);
}

TEST_CASE("the TLB: aliasing entries, and flushes that visit only the entries filled", "[mmu][tlb]") {
    Rig r;
    // Pages kTlbEntries apart share an entry: 0x2000 and 0x2000 + 32 MiB (PDE 8).
    const uint32_t alias = 0x2000 + (kTlbEntries << kPageBits);
    r.wr32(0x1000, 0x2000 | P | W);
    r.wr32(0x1000 + 4 * (alias >> 22), 0x3000 | P | W);
    r.wr32(0x2000 + 4 * 1, 0x5000 | P | W | G);  // 0x1000 -> 0x5000, global
    r.wr32(0x2000 + 4 * 2, 0x6000 | P | W);      // 0x2000 -> 0x6000
    r.wr32(0x3000 + 4 * ((alias >> 12) & 0x3FF), 0x7000 | P | W);  // alias -> 0x7000
    r.wr32(0x5000, 0x55);
    r.wr32(0x6000, 0x66);
    r.wr32(0x7000, 0x77);
    r.wr32(0x8000, 0x88);
    r.paging32(0x1000, false, false, true);
    CHECK(r.mmu.tlb_used() == 0);
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x55);
    CHECK(r.mmu.read<uint32_t>(0x2000, false) == 0x66);
    CHECK(r.mmu.tlb_used() == 2);
    CHECK(r.mmu.entry(false, 0x2000).paddr == 0x6000);
    // The alias evicts 0x2000 from the shared entry, and each reads its own page.
    CHECK(r.mmu.read<uint32_t>(alias, false) == 0x77);
    CHECK(r.mmu.entry(false, 0x2000).tag[int(Access::Read)] == alias);
    CHECK(r.mmu.read<uint32_t>(0x2000, false) == 0x66);
    CHECK(r.mmu.tlb_used() == 2);  // the same entry, listed once
    // INVLPG of the alias leaves the entry holding 0x2000 alone.
    r.mmu.invalidate_page(alias);
    CHECK(r.mmu.entry(false, 0x2000).tag[int(Access::Read)] == 0x2000);
    // Remap both pages to 0x8000 behind the TLB's back; a CR3 load with PGE keeps the global
    // entry (still listed) and drops the other.
    r.wr32(0x2004, 0x8000 | P | W | G);
    r.wr32(0x2008, 0x8000 | P | W);
    r.paging32(0x1000, false, false, true);
    CHECK(r.mmu.tlb_used() == 1);
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x55);
    CHECK(r.mmu.read<uint32_t>(0x2000, false) == 0x88);
    CHECK(r.mmu.tlb_used() == 2);
    // INVLPG drops a global page; its entry stays listed (no second listing when refilled).
    r.mmu.invalidate_page(0x1ABC);
    CHECK(r.mmu.entry(false, 0x1000).tag[int(Access::Read)] == kTlbInvalid);
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x88);
    CHECK(r.mmu.tlb_used() == 2);
    // User entries are apart from supervisor ones.
    r.wr32(0x2008, 0x8000 | P | W | U);
    r.wr32(0x1000, 0x2000 | P | W | U);
    r.mmu.flush_all();
    CHECK(r.mmu.tlb_used() == 0);
    CHECK(r.mmu.read<uint32_t>(0x2000, true) == 0x88);
    CHECK(r.mmu.entry(true, 0x2000).tag[int(Access::Read)] == 0x2000);
    CHECK(r.mmu.entry(false, 0x2000).tag[int(Access::Read)] == kTlbInvalid);
    CHECK(r.mmu.tlb_used() == 1);
    // A CR3 load without PGE drops everything, global or not.
    CHECK(r.mmu.read<uint32_t>(0x1000, false) == 0x88);
    r.paging32(0x1000);
    CHECK(r.mmu.tlb_used() == 0);
    CHECK(r.mmu.entry(false, 0x1000).tag[int(Access::Read)] == kTlbInvalid);
}

TEST_CASE("a new code page drops the write tags of every alias that maps it, and no other", "[mmu][tlb]") {
    Rig r;
    r.wr32(0x1000, 0x2000 | P | W);
    r.wr32(0x2000 + 4 * 4, 0x8000 | P | W | D);  // 0x4000 -> 0x8000
    r.wr32(0x2000 + 4 * 5, 0x8000 | P | W | D);  // 0x5000 -> 0x8000 as well
    r.wr32(0x2000 + 4 * 6, 0x9000 | P | W | D);  // 0x6000 -> 0x9000
    r.paging32(0x1000);
    for (uint32_t lin : {0x4000u, 0x5000u, 0x6000u}) r.mmu.write<uint32_t>(lin, 1, false);
    for (uint32_t lin : {0x4000u, 0x5000u, 0x6000u}) REQUIRE(r.mmu.entry(false, lin).tag[int(Access::Write)] == lin);
    unsigned reported = 0;
    r.phys.on_code_write_ctx = &reported;
    r.phys.on_code_write = [](void* ctx, uint32_t, unsigned) { ++*static_cast<unsigned*>(ctx); };
    r.phys.set_code_page(0x8000, true);
    CHECK(r.mmu.entry(false, 0x4000).tag[int(Access::Write)] == kTlbInvalid);
    CHECK(r.mmu.entry(false, 0x5000).tag[int(Access::Write)] == kTlbInvalid);
    CHECK(r.mmu.entry(false, 0x5000).tag[int(Access::Read)] == 0x5000);  // reads still direct
    CHECK(r.mmu.entry(false, 0x6000).tag[int(Access::Write)] == 0x6000);
    r.mmu.write<uint32_t>(0x5004, 2, false);
    r.mmu.write<uint32_t>(0x6004, 3, false);
    CHECK(reported == 1);
    CHECK(r.rd32(0x8004) == 2);
}

namespace {

// The fast pages (Mmu::fast_pages) hold, for every linear page and access kind, the addend of
// the TLB entry that holds the page's tag for that kind, and 0 where no entry does.
void check_fast_pages(Mmu& mmu, const std::vector<uint32_t>& pages) {
    for (bool user : {false, true})
        for (bool write : {false, true})
            for (uint32_t lin : pages) {
                const TlbEntry& e = mmu.entry(user, lin);
                const uintptr_t want = e.tag[write ? 1 : 0] == lin ? e.addend : 0;
                CAPTURE(user, write, lin);
                REQUIRE(mmu.fast_pages(user, write)[lin >> kPageBits] == want);
            }
}

} // namespace

TEST_CASE("the fast pages mirror the TLB's read and write tags through fills, evictions and flushes", "[mmu][tlb]") {
    // Eight linear pages, four of them aliases of the others in the TLB (kTlbEntries pages
    // apart), mapped to physical pages that change under random reads, writes (supervisor and
    // user), PTE changes with INVLPG, CR3 loads with global pages, full flushes and code pages
    // set and cleared; after every step each page's fast entries must equal the TLB's.
    Rig r;
    const uint32_t span = kTlbEntries << kPageBits;  // 32 MiB: one page table covers 4 MiB
    std::vector<uint32_t> pages;
    for (uint32_t i = 0; i < 4; ++i) pages.push_back(0x400000 + i * 0x1000), pages.push_back(0x400000 + span + i * 0x1000);
    // PDEs for 0x400000 and 0x400000 + span, one page table each.
    r.wr32(0x1000 + 4 * (0x400000 >> 22), 0x2000 | P | W | U);
    r.wr32(0x1000 + 4 * ((0x400000 + span) >> 22), 0x3000 | P | W | U);
    auto pte_at = [&](uint32_t lin) { return (lin >= span ? 0x3000u : 0x2000u) + 4 * ((lin >> 12) & 0x3FF); };
    uint32_t seed = 12345;
    auto next = [&] { seed = seed * 1103515245u + 12345u; return seed >> 8; };
    auto remap = [&](uint32_t lin) {
        const uint32_t frame = 0x10000 + (next() % 6) * 0x1000;  // shared frames: aliases of each other
        const uint32_t bits = P | (next() % 4 ? W : 0) | (next() % 3 ? U : 0) | (next() % 4 == 0 ? G : 0);
        r.wr32(pte_at(lin), frame | bits);
    };
    for (uint32_t lin : pages) remap(lin);
    r.paging32(0x1000, false, false, true);
    check_fast_pages(r.mmu, pages);
    unsigned faults = 0, hits = 0;
    for (unsigned step = 0; step < 3000; ++step) {
        const uint32_t lin = pages[next() % pages.size()] + (next() % 1024) * 4;
        const bool user = next() % 2;
        const unsigned op = next() % 16;
        CAPTURE(step, op, lin, user);
        try {
            if (op < 6) {
                r.mmu.read<uint32_t>(lin, user);
            } else if (op < 11) {
                r.mmu.write<uint32_t>(lin, step, user);
            } else if (op == 11) {
                remap(lin);
                r.mmu.invalidate_page(lin);
            } else if (op == 12) {
                remap(lin);  // behind the TLB's back: a CR3 load drops it unless it is global
                r.paging32(0x1000, false, false, true);
            } else if (op == 13) {
                r.mmu.flush_all();
            } else {
                uint64_t paddr = 0;
                if (r.mmu.debug_translate(lin, paddr)) r.phys.set_code_page(uint32_t(paddr), op == 14);
            }
            ++hits;
        } catch (const GuestFault&) {
            ++faults;
        }
        check_fast_pages(r.mmu, pages);
    }
    // Both kinds of outcome were exercised.
    CHECK(faults > 100);
    CHECK(hits > 1000);
    // And a filled page's fast entry is the TLB's addend (not only 0 = 0).
    unsigned filled = 0;
    for (uint32_t lin : pages)
        for (bool user : {false, true})
            filled += r.mmu.fast_pages(user, false)[lin >> kPageBits] != 0;
    CHECK(filled > 0);
}
