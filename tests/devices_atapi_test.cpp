// The ATAPI CD-ROM through the secondary channel's ports, as a driver sends packet commands:
// signature after reset, IDENTIFY PACKET DEVICE, the PACKET protocol's phases (interrupt reason,
// byte count per DRQ block, interrupts), READ(10)/READ(12) of known blocks under several byte
// count limits, sense after a bad opcode, READ TOC, and the other commands SeaBIOS and Linux send.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ide_channel_rig.h"
#include "scratch_dir.h"
#include "devices/ata.h"
#include "devices/atapi.h"
#include "devices/block/block.h"

using namespace xlat;

namespace {

constexpr uint32_t kBlocks = 40;

// Block i holds "BLK" + i (one byte) and then bytes (i * 7 + j) & 0xFF.
uint8_t pattern(uint32_t block, uint32_t j) {
    static const char tag[3] = {'B', 'L', 'K'};
    if (j < 3) return uint8_t(tag[j]);
    if (j == 3) return uint8_t(block);
    return uint8_t(block * 7 + j);
}

struct Rig : xlat_test::IdeChannelRig {
    xlat_test::ScratchDir scratch{"atapi"};
    std::unique_ptr<RawImage> iso;
    Rig() : IdeChannelRig(1) {
        std::string data(kBlocks * 2048, '\0');
        for (uint32_t b = 0; b < kBlocks; ++b)
            for (uint32_t j = 0; j < 2048; ++j) data[b * 2048 + j] = char(pattern(b, j));
        const std::string path = scratch.file("cd.iso", data);
        std::string err;
        iso = RawImage::open(path, {true, false}, err);
        INFO(err);
        REQUIRE(iso);
        ch.attach(0, iso.get(), true);
    }
    uint8_t status() { return uint8_t(io.read(0x177, 1)); }
    uint8_t alt_status() { return uint8_t(io.read(0x376, 1)); }
    uint8_t reason() { return uint8_t(io.read(0x172, 1)); }

    struct Result {
        std::vector<uint8_t> data;
        std::vector<uint32_t> blocks;  // the byte count of each DRQ block
        uint8_t status = 0, error = 0;
        unsigned irqs = 0;
    };
    // One packet command, PIO data-in, checking each phase as ATA-6 section 9.10 has it.
    Result packet(std::initializer_list<uint8_t> cdb, uint16_t limit = 0xFFFE) {
        Result r;
        io.write(0x176, 1, 0xA0);
        io.write(0x171, 1, 0);  // PIO
        io.write(0x174, 1, limit & 0xFF);
        io.write(0x175, 1, limit >> 8);
        const unsigned before = irqs.rises;
        io.write(0x177, 1, 0xA0);
        REQUIRE((alt_status() & (AtaChannel::kBsy | AtaChannel::kDrq)) == AtaChannel::kDrq);
        REQUIRE((reason() & 3) == AtaChannel::kCoD);
        CHECK(irqs.rises == before);  // no interrupt for the command packet
        uint8_t bytes[12] = {};
        size_t i = 0;
        for (uint8_t b : cdb) bytes[i++] = b;
        for (unsigned w = 0; w < 6; ++w) io.write(0x170, 2, uint32_t(bytes[2 * w] | bytes[2 * w + 1] << 8));
        // Reading the status register acknowledges each block's interrupt, as a driver's handler does.
        while (status() & AtaChannel::kDrq) {
            REQUIRE((reason() & 3) == AtaChannel::kIo);
            const uint32_t n = io.read(0x174, 1) | io.read(0x175, 1) << 8;
            REQUIRE(n > 0);
            r.blocks.push_back(n);
            for (uint32_t k = 0; k < n; k += 2) {
                const uint32_t w = io.read(0x170, 2);
                r.data.push_back(uint8_t(w));
                if (k + 1 < n) r.data.push_back(uint8_t(w >> 8));
            }
            REQUIRE(r.blocks.size() < 10000);
        }
        CHECK((reason() & 3) == (AtaChannel::kIo | AtaChannel::kCoD));
        r.error = uint8_t(io.read(0x171, 1));
        r.irqs = irqs.rises - before;
        r.status = status();
        return r;
    }
};

bool blocks_match(const std::vector<uint8_t>& data, uint32_t first, uint32_t count) {
    if (data.size() != size_t(count) * 2048) return false;
    for (uint32_t b = 0; b < count; ++b)
        for (uint32_t j = 0; j < 2048; ++j)
            if (data[b * 2048 + j] != pattern(first + b, j)) return false;
    return true;
}

} // namespace

TEST_CASE("atapi: the packet signature after reset, SRST and an aborted IDENTIFY DEVICE", "[devices][atapi]") {
    Rig r;
    auto signature = [&] {
        return std::vector<uint32_t>{r.io.read(0x172, 1), r.io.read(0x173, 1), r.io.read(0x174, 1), r.io.read(0x175, 1)};
    };
    const std::vector<uint32_t> packet_sig{0x01, 0x01, 0x14, 0xEB};
    CHECK(signature() == packet_sig);
    CHECK(r.status() == 0);  // a packet device keeps DRDY clear after a reset
    CHECK(r.io.read(0x171, 1) == 0x01);  // diagnostic passed
    // Clobber the registers, then a soft reset through SRST.
    r.io.write(0x174, 1, 0x55);
    r.io.write(0x175, 1, 0xAA);
    r.io.write(0x376, 1, 0x06);
    CHECK(r.alt_status() & AtaChannel::kBsy);
    r.io.write(0x376, 1, 0x02);
    CHECK(signature() == packet_sig);
    // IDENTIFY DEVICE is for ATA devices: aborted, the signature shown again.
    r.io.write(0x174, 1, 0);
    r.io.write(0x177, 1, 0xEC);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kErr));
    CHECK(r.io.read(0x171, 1) == AtaChannel::kAbrt);
    CHECK(signature() == packet_sig);
}

TEST_CASE("atapi: IDENTIFY PACKET DEVICE", "[devices][atapi]") {
    Rig r;
    r.io.write(0x177, 1, 0xA1);
    REQUIRE(r.status() == (AtaChannel::kDrdy | AtaChannel::kDrq));
    std::vector<uint16_t> w(256);
    for (auto& x : w) x = uint16_t(r.io.read(0x170, 2));
    CHECK(r.status() == AtaChannel::kDrdy);
    CHECK(w[0] == 0x85C0);  // ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets
    std::string model;
    for (unsigned i = 27; i < 47; ++i) model += {char(w[i] >> 8), char(w[i] & 0xFF)};
    CHECK(model.substr(0, 12) == "XLAT CD-ROM ");
    CHECK((w[49] & 0x0300) == 0x0300);  // LBA, DMA
    CHECK(w[63] == 0x0007);             // multiword DMA 0-2, none selected
    CHECK(w[88] == 0x003F);             // Ultra DMA 0-5, none selected
    CHECK((w[82] & 0x0010) != 0);       // the PACKET feature set
    uint8_t sum = 0;
    for (uint16_t x : w) sum = uint8_t(sum + (x & 0xFF) + (x >> 8));
    CHECK(sum == 0);
    CHECK((w[255] & 0xFF) == 0xA5);
}

TEST_CASE("atapi: READ(10) and READ(12) of known blocks under several byte count limits", "[devices][atapi]") {
    Rig r;
    SECTION("2048 bytes per DRQ block, as SeaBIOS asks") {
        const auto res = r.packet({0x28, 0, 0, 0, 0, 3, 0, 0, 3, 0, 0, 0}, 2048);
        CHECK(res.blocks == std::vector<uint32_t>{2048, 2048, 2048});
        CHECK(blocks_match(res.data, 3, 3));
        CHECK(res.status == AtaChannel::kDrdy);
        CHECK(res.irqs == 4);  // one per DRQ block and the completion
    }
    SECTION("the whole reply in one block under a large limit") {
        const auto res = r.packet({0x28, 0, 0, 0, 0, 10, 0, 0, 8, 0, 0, 0}, 0xFFFF);
        CHECK(res.blocks == std::vector<uint32_t>{0x4000});
        CHECK(blocks_match(res.data, 10, 8));
    }
    SECTION("a limit that splits blocks: 1000 bytes") {
        const auto res = r.packet({0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0}, 1000);
        CHECK(res.blocks == std::vector<uint32_t>{1000, 1000, 1000, 1000, 96});
        CHECK(blocks_match(res.data, 1, 2));
    }
    SECTION("READ(12): the last block of the disc") {
        const auto res = r.packet({0xA8, 0, 0, 0, 0, kBlocks - 1, 0, 0, 0, 1, 0, 0}, 2048);
        CHECK(blocks_match(res.data, kBlocks - 1, 1));
        CHECK(res.status == AtaChannel::kDrdy);
    }
    SECTION("past the end: CHECK CONDITION, LOGICAL BLOCK ADDRESS OUT OF RANGE") {
        const auto res = r.packet({0x28, 0, 0, 0, 0, kBlocks - 1, 0, 0, 2, 0, 0, 0}, 2048);
        CHECK(res.data.empty());
        CHECK(res.status == (AtaChannel::kDrdy | AtaChannel::kErr));
        CHECK(res.error >> 4 == AtapiCdrom::kIllegalRequest);
        const auto sense = r.packet({0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0});
        REQUIRE(sense.data.size() == 18);
        CHECK(sense.data[12] == 0x21);
    }
    SECTION("a count of 0 moves nothing and succeeds") {
        const auto res = r.packet({0x28, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0});
        CHECK(res.blocks.empty());
        CHECK(res.status == AtaChannel::kDrdy);
        CHECK(res.irqs == 1);
    }
}

TEST_CASE("atapi: an unknown opcode gives CHECK CONDITION, INVALID COMMAND OPERATION CODE", "[devices][atapi]") {
    Rig r;
    const auto res = r.packet({0xF7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(res.status == (AtaChannel::kDrdy | AtaChannel::kErr));
    CHECK(res.error == (AtapiCdrom::kIllegalRequest << 4));
    CHECK(res.irqs == 1);
    CHECK(r.ch.cdrom(0)->unimplemented_count() == 1);
    r.packet({0xF7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(r.ch.cdrom(0)->unimplemented_count() == 1);  // logged once
    const auto sense = r.packet({0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0});
    REQUIRE(sense.data.size() == 18);
    CHECK(sense.data[0] == 0x70);
    CHECK((sense.data[2] & 0x0F) == AtapiCdrom::kIllegalRequest);
    CHECK(sense.data[12] == 0x20);
    CHECK(sense.data[13] == 0x00);
    CHECK(sense.status == AtaChannel::kDrdy);
    // The sense was reported; the next one is clean.
    const auto again = r.packet({0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0});
    CHECK((again.data[2] & 0x0F) == AtapiCdrom::kNoSense);
    // The allocation length cuts the reply.
    CHECK(r.packet({0x03, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0}).data.size() == 8);
}

TEST_CASE("atapi: READ TOC formats 0 and 1, in LBA and MSF", "[devices][atapi]") {
    Rig r;
    const auto toc = r.packet({0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0, 0, 0});
    const std::vector<uint8_t> lba{0, 18, 1, 1,
                                   0, 0x14, 1, 0, 0, 0, 0, 0,
                                   0, 0x14, 0xAA, 0, 0, 0, 0, kBlocks};
    CHECK(toc.data == lba);
    // MSF: block 0 is 00:02:00; the lead-out at 40 blocks is 00:02:40.
    const auto msf = r.packet({0x43, 0x02, 0, 0, 0, 0, 0, 0x03, 0x24, 0, 0, 0});
    REQUIRE(msf.data.size() == 20);
    CHECK(std::vector<uint8_t>(msf.data.begin() + 8, msf.data.begin() + 12) == std::vector<uint8_t>{0, 0, 2, 0});
    CHECK(std::vector<uint8_t>(msf.data.begin() + 16, msf.data.end()) == std::vector<uint8_t>{0, 0, 2, 40});
    // Starting at the lead-out: only its descriptor.
    CHECK(r.packet({0x43, 0, 0, 0, 0, 0, 0xAA, 0, 12, 0, 0, 0}).data ==
          std::vector<uint8_t>{0, 10, 1, 1, 0, 0x14, 0xAA, 0, 0, 0, 0, kBlocks});
    // Format 1, session information: one session, track 1 at block 0.
    CHECK(r.packet({0x43, 0, 0x01, 0, 0, 0, 0, 0, 12, 0, 0, 0}).data ==
          std::vector<uint8_t>{0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0});
    // An allocation length of 4 gives the header alone.
    CHECK(r.packet({0x43, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0}).data == std::vector<uint8_t>{0, 18, 1, 1});
}

TEST_CASE("atapi: the commands an El Torito boot and Linux's sr driver send", "[devices][atapi]") {
    Rig r;
    // TEST UNIT READY: no data, good.
    auto tur = r.packet({0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(tur.blocks.empty());
    CHECK(tur.status == AtaChannel::kDrdy);
    // READ CAPACITY: the last block and 2048.
    CHECK(r.packet({0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).data ==
          std::vector<uint8_t>{0, 0, 0, kBlocks - 1, 0, 0, 0x08, 0x00});
    // INQUIRY: a removable CD/DVD device.
    const auto inq = r.packet({0x12, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0});
    REQUIRE(inq.data.size() == 36);
    CHECK(inq.data[0] == 0x05);
    CHECK(inq.data[1] == 0x80);
    CHECK(std::string(inq.data.begin() + 16, inq.data.begin() + 27) == "XLAT CD-ROM");
    // MODE SENSE(10), the capabilities page 2Ah.
    const auto mode = r.packet({0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64, 0, 0, 0});
    REQUIRE(mode.data.size() == 30);
    CHECK(mode.data[1] == 28);  // mode data length
    CHECK(mode.data[8] == 0x2A);
    CHECK(mode.data[9] == 20);
    // PREVENT ALLOW MEDIUM REMOVAL shows in the page's lock state, and refuses an eject.
    r.packet({0x1E, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
    CHECK((r.packet({0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64, 0, 0, 0}).data[14] & 0x02) != 0);
    CHECK(r.packet({0x1B, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0}).status & AtaChannel::kErr);
    r.packet({0x1E, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(r.packet({0x1B, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0}).status == AtaChannel::kDrdy);
    // An unknown mode page is an invalid field.
    CHECK(r.packet({0x5A, 0, 0x15, 0, 0, 0, 0, 0, 64, 0, 0, 0}).status & AtaChannel::kErr);
    // GET CONFIGURATION: the CD-ROM profile is current.
    const auto conf = r.packet({0x46, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0});
    REQUIRE(conf.data.size() >= 16);
    CHECK(conf.data[6] == 0x00);
    CHECK(conf.data[7] == 0x08);
    CHECK(conf.data[8] == 0x00);
    CHECK(conf.data[9] == 0x00);  // the profile list comes first
    CHECK(conf.data[12] == 0x00);
    CHECK(conf.data[13] == 0x08);
    // rt=2: exactly the one feature asked for (core, 0001h).
    const auto core = r.packet({0x46, 0x02, 0, 0x01, 0, 0, 0, 0, 64, 0, 0, 0});
    REQUIRE(core.data.size() == 8 + 12);
    CHECK(core.data[9] == 0x01);
    // GET EVENT STATUS NOTIFICATION: new media once, then no change.
    const auto ev1 = r.packet({0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0});
    CHECK(ev1.data == std::vector<uint8_t>{0, 6, 0x04, 0x10, 0x02, 0x02, 0, 0});
    const auto ev2 = r.packet({0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0});
    CHECK(ev2.data[4] == 0x00);
    // Not polled: asynchronous notification is not supported.
    CHECK(r.packet({0x4A, 0x00, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0}).status & AtaChannel::kErr);
    // READ DISC INFORMATION: a complete disc of one session.
    const auto disc = r.packet({0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0, 0, 0});
    REQUIRE(disc.data.size() == 34);
    CHECK(disc.data[2] == 0x0E);
    // SET CD SPEED and MECHANISM STATUS.
    CHECK(r.packet({0xBB, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0}).status == AtaChannel::kDrdy);
    CHECK(r.packet({0xBD, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0}).data.size() == 8);
}

TEST_CASE("atapi: PACKET with DMA on a channel without a bus master is aborted; nIEN holds the interrupt", "[devices][atapi]") {
    Rig r;
    r.io.write(0x171, 1, 0x01);  // DMA
    r.io.write(0x177, 1, 0xA0);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kErr));
    CHECK(r.io.read(0x171, 1) == AtaChannel::kAbrt);
    r.io.write(0x376, 1, AtaChannel::kNien);
    const auto res = r.packet({0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, 2048);
    CHECK(blocks_match(res.data, 0, 1));
    CHECK(res.irqs == 0);
}

TEST_CASE("atapi: a channel's state list carries a packet read in progress into a fresh channel", "[devices][atapi]") {
    Rig a, b;
    // Lock the tray, then READ(10) three blocks from 5 in DRQ blocks of 2048 bytes; stop inside
    // the second block.
    Rig::Result lock = a.packet({0x1E, 0, 0, 0, 1});
    REQUIRE((lock.status & AtaChannel::kErr) == 0);
    a.io.write(0x176, 1, 0xA0);
    a.io.write(0x171, 1, 0);
    a.io.write(0x174, 1, 0x00);
    a.io.write(0x175, 1, 0x08);
    a.io.write(0x177, 1, 0xA0);
    const uint8_t cdb[12] = {0x28, 0, 0, 0, 0, 5, 0, 0, 3};
    for (unsigned w = 0; w < 6; ++w) a.io.write(0x170, 2, uint32_t(cdb[2 * w] | cdb[2 * w + 1] << 8));
    std::vector<uint8_t> got;
    for (unsigned w = 0; w < 1024 + 300; ++w) {
        const uint32_t v = a.io.read(0x170, 2);
        got.push_back(uint8_t(v));
        got.push_back(uint8_t(v >> 8));
    }
    REQUIRE(a.irqs.level);  // the second block's interrupt, not yet acknowledged

    REQUIRE(save_state(b.ch) != save_state(a.ch));
    load_state(b.ch, save_state(a.ch));
    CHECK(save_state(b.ch) == save_state(a.ch));
    CHECK(b.irqs.level);  // post_load drives INTRQ as the state says
    for (Rig* r : {&a, &b}) {
        INFO((r == &a ? "original" : "copy"));
        std::vector<uint8_t> data = got;
        CHECK((r->status() & (AtaChannel::kDrq | AtaChannel::kErr)) == AtaChannel::kDrq);
        while (r->status() & AtaChannel::kDrq) {
            const uint32_t v = r->io.read(0x170, 2);
            data.push_back(uint8_t(v));
            data.push_back(uint8_t(v >> 8));
            REQUIRE(data.size() <= 3 * 2048);
        }
        CHECK(blocks_match(data, 5, 3));
        CHECK((r->reason() & 3) == (AtaChannel::kIo | AtaChannel::kCoD));
        // The lock came along: ejecting is refused, and the sense says why.
        Rig::Result eject = r->packet({0x1B, 0, 0, 0, 0x02});
        CHECK((eject.status & AtaChannel::kErr) != 0);
        Rig::Result sense = r->packet({0x03, 0, 0, 0, 18});
        REQUIRE(sense.data.size() == 18);
        CHECK(sense.data[2] == AtapiCdrom::kIllegalRequest);
        CHECK(sense.data[12] == 0x53);
        CHECK(sense.data[13] == 0x02);
    }
}
