// ATA through the legacy IDE ports, as a driver does it (poll status, read/write the data port
// 256 words per sector), on raw image files in a scratch folder: IDENTIFY, LBA28 and CHS reads,
// writes that reach the file, READ/WRITE MULTIPLE, LBA48 past 2^28 on a sparse file, the
// -snapshot overlay, soft reset, nIEN, and images that cannot be used.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ide_channel_rig.h"
#include "scratch_dir.h"
#include "devices/ata.h"
#include "devices/block/block.h"

using namespace xlat;
namespace fs = std::filesystem;

namespace {

struct Scratch : xlat_test::ScratchDir {
    Scratch() : ScratchDir("ata") {}
};

// Sector i holds "SECT" + i (le32) and then bytes (i + j) & 0xFF.
std::vector<uint8_t> pattern(uint64_t lba) {
    std::vector<uint8_t> s(512);
    std::memcpy(s.data(), "SECT", 4);
    for (int b = 0; b < 4; ++b) s[4 + b] = uint8_t(lba >> (8 * b));
    for (size_t j = 8; j < 512; ++j) s[j] = uint8_t(lba + j);
    return s;
}

std::string make_image(const Scratch& s, const std::string& name, uint64_t sectors) {
    const std::string path = (s.dir / name).string();
    const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    for (uint64_t i = 0; i < sectors; ++i) REQUIRE(::pwrite(fd, pattern(i).data(), 512, off_t(i * 512)) == 512);
    ::close(fd);
    return path;
}

std::vector<uint8_t> file_sector(const std::string& path, uint64_t lba) {
    std::vector<uint8_t> s(512);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::pread(fd, s.data(), 512, off_t(lba * 512)) == 512);
    ::close(fd);
    return s;
}

struct Rig : xlat_test::IdeChannelRig {
    std::unique_ptr<RawImage> disk;
    explicit Rig(const std::string& path, ImageOptions opt = {}) : IdeChannelRig(0) {
        std::string err;
        disk = RawImage::open(path, opt, err);
        INFO(err);
        REQUIRE(disk);
        ch.attach(0, disk.get());
    }
    uint8_t status() { return uint8_t(io.read(0x1F7, 1)); }
    uint8_t alt_status() { return uint8_t(io.read(0x3F6, 1)); }
    void lba28(uint32_t lba, uint8_t count) {
        io.write(0x1F6, 1, 0xE0 | (lba >> 24 & 0x0F));
        io.write(0x1F2, 1, count);
        io.write(0x1F3, 1, lba & 0xFF);
        io.write(0x1F4, 1, lba >> 8 & 0xFF);
        io.write(0x1F5, 1, lba >> 16 & 0xFF);
    }
    void lba48(uint64_t lba, uint16_t count) {
        io.write(0x1F6, 1, 0x40);
        // High-order bytes first: each register keeps the previous byte written as its HOB half.
        io.write(0x1F2, 1, count >> 8);
        io.write(0x1F3, 1, lba >> 24 & 0xFF);
        io.write(0x1F4, 1, lba >> 32 & 0xFF);
        io.write(0x1F5, 1, lba >> 40 & 0xFF);
        io.write(0x1F2, 1, count & 0xFF);
        io.write(0x1F3, 1, lba & 0xFF);
        io.write(0x1F4, 1, lba >> 8 & 0xFF);
        io.write(0x1F5, 1, lba >> 16 & 0xFF);
    }
    std::vector<uint8_t> read_block(unsigned sectors) {
        REQUIRE((alt_status() & (AtaChannel::kDrq | AtaChannel::kBsy)) == AtaChannel::kDrq);
        std::vector<uint8_t> out;
        for (unsigned i = 0; i < 256 * sectors; ++i) {
            const uint16_t w = uint16_t(io.read(0x1F0, 2));
            out.push_back(uint8_t(w));
            out.push_back(uint8_t(w >> 8));
        }
        return out;
    }
    void write_block(const std::vector<uint8_t>& data) {
        REQUIRE((alt_status() & AtaChannel::kDrq) != 0);
        for (size_t i = 0; i < data.size(); i += 4)  // 32-bit accesses move two words
            io.write(0x1F0, 4, uint32_t(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | uint32_t(data[i + 3]) << 24));
    }
    std::string ata_string(const std::vector<uint8_t>& id, unsigned word, unsigned words) {
        std::string s;
        for (unsigned i = 0; i < words; ++i) {
            s += char(id[2 * (word + i) + 1]);
            s += char(id[2 * (word + i)]);
        }
        return s;
    }
};

uint16_t word(const std::vector<uint8_t>& id, unsigned w) { return uint16_t(id[2 * w] | id[2 * w + 1] << 8); }

} // namespace

TEST_CASE("ata: IDENTIFY DEVICE reports model, serial, capacities and multiple support", "[devices]") {
    Scratch s;
    Rig r(make_image(s, "disk.img", 2048));  // 1 MiB
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    // The ATA signature after reset.
    CHECK(r.io.read(0x1F2, 1) == 1);
    CHECK(r.io.read(0x1F3, 1) == 1);
    CHECK(r.io.read(0x1F4, 1) == 0);
    CHECK(r.io.read(0x1F5, 1) == 0);
    r.io.write(0x1F6, 1, 0xA0);
    r.io.write(0x1F7, 1, 0xEC);
    CHECK(r.irqs.level);
    const std::vector<uint8_t> id = r.read_block(1);
    CHECK(r.alt_status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(r.ata_string(id, 27, 20) == "XLAT HARDDISK                           ");
    CHECK(r.ata_string(id, 10, 10).substr(0, 4) == "XLAT");
    CHECK((word(id, 60) | word(id, 61) << 16) == 2048);  // LBA28 capacity
    CHECK((word(id, 100) | word(id, 101) << 16) == 2048);  // LBA48 capacity
    CHECK(word(id, 49) & 0x0200);   // LBA
    CHECK(word(id, 83) & 0x0400);   // 48-bit feature set
    // Word 47: 80h, then the most sectors per READ/WRITE MULTIPLE block (16, as QEMU's disks);
    // word 59: no multiple setting until SET MULTIPLE MODE (bit 8 clear) (ATA-6 8.15.8).
    CHECK(word(id, 47) == 0x8010);
    CHECK(word(id, 59) == 0x0000);
    CHECK(word(id, 3) == 16);
    CHECK(word(id, 6) == 63);
    CHECK(word(id, 1) == 2);
    uint8_t sum = 0;
    for (uint8_t b : id) sum = uint8_t(sum + b);
    CHECK(sum == 0);  // integrity word
    CHECK(id[510] == 0xA5);
    // Reading the status register acknowledged the interrupt.
    CHECK(r.irqs.level);
    r.status();
    CHECK_FALSE(r.irqs.level);
}

TEST_CASE("ata: READ SECTORS by LBA28 and by CHS, WRITE SECTORS reaching the file", "[devices]") {
    Scratch s;
    const std::string path = make_image(s, "disk.img", 2048);
    Rig r(path);
    r.lba28(5, 2);
    r.io.write(0x1F7, 1, 0x20);
    CHECK(r.irqs.rises == 1);
    r.status();
    CHECK(r.read_block(1) == pattern(5));
    CHECK(r.irqs.rises == 2);  // the second block is announced too
    CHECK(r.read_block(1) == pattern(6));
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(r.irqs.rises == 2);  // no interrupt after the last block of a read

    // CHS: cylinder 1, head 2, sector 3 with 16 heads and 63 sectors: (1 * 16 + 2) * 63 + 2.
    r.io.write(0x1F6, 1, 0xA0 | 2);
    r.io.write(0x1F2, 1, 1);
    r.io.write(0x1F3, 1, 3);
    r.io.write(0x1F4, 1, 1);
    r.io.write(0x1F5, 1, 0);
    r.io.write(0x1F7, 1, 0x20);
    CHECK(r.read_block(1) == pattern(18 * 63 + 2));
    // INITIALIZE DEVICE PARAMETERS changes the translation: 4 heads, 17 sectors.
    r.io.write(0x1F6, 1, 0xA0 | 3);
    r.io.write(0x1F2, 1, 17);
    r.io.write(0x1F7, 1, 0x91);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    r.io.write(0x1F6, 1, 0xA0 | 2);
    r.io.write(0x1F2, 1, 1);
    r.io.write(0x1F3, 1, 3);
    r.io.write(0x1F4, 1, 1);
    r.io.write(0x1F5, 1, 0);
    r.io.write(0x1F7, 1, 0x20);
    CHECK(r.read_block(1) == pattern((1 * 4 + 2) * 17 + 2));
    // Sector 0 does not exist in CHS.
    r.io.write(0x1F3, 1, 0);
    r.io.write(0x1F7, 1, 0x20);
    CHECK(r.status() & AtaChannel::kErr);
    CHECK(r.io.read(0x1F1, 1) == AtaChannel::kIdnf);

    // WRITE SECTORS: no interrupt before the first block, one at completion; the file has it.
    std::vector<uint8_t> data(1024);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + 1);
    const unsigned before = r.irqs.rises;
    r.lba28(100, 2);
    r.io.write(0x1F7, 1, 0x30);
    CHECK(r.irqs.rises == before);
    r.write_block(std::vector<uint8_t>(data.begin(), data.begin() + 512));
    CHECK(r.irqs.rises == before + 1);  // the second block is asked for
    r.status();
    r.write_block(std::vector<uint8_t>(data.begin() + 512, data.end()));
    CHECK(r.irqs.rises == before + 2);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(file_sector(path, 100) == std::vector<uint8_t>(data.begin(), data.begin() + 512));
    CHECK(file_sector(path, 101) == std::vector<uint8_t>(data.begin() + 512, data.end()));
    CHECK(file_sector(path, 102) == pattern(102));
    r.io.write(0x1F7, 1, 0xE7);  // FLUSH CACHE
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    // Past the end of the disk.
    r.lba28(2047, 2);
    r.io.write(0x1F7, 1, 0x20);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc | AtaChannel::kErr));
    CHECK(r.io.read(0x1F1, 1) == AtaChannel::kIdnf);
}

TEST_CASE("ata: SET MULTIPLE MODE, READ and WRITE MULTIPLE, SET FEATURES", "[devices]") {
    Scratch s;
    const std::string path = make_image(s, "disk.img", 2048);
    Rig r(path);
    r.lba28(0, 8);
    r.io.write(0x1F7, 1, 0xC4);  // multiple mode not set yet: aborted
    CHECK(r.status() & AtaChannel::kErr);
    CHECK(r.io.read(0x1F1, 1) == AtaChannel::kAbrt);
    r.io.write(0x1F2, 1, 3);  // not a power of two
    r.io.write(0x1F7, 1, 0xC6);
    CHECK(r.status() & AtaChannel::kErr);
    r.io.write(0x1F2, 1, 4);
    r.io.write(0x1F7, 1, 0xC6);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    const unsigned before = r.irqs.rises;
    r.lba28(20, 10);
    r.io.write(0x1F7, 1, 0xC4);
    // Blocks of 4, 4 and 2 sectors; the driver's interrupt handler reads the status each time.
    r.status();
    std::vector<uint8_t> got = r.read_block(4);
    r.status();
    std::vector<uint8_t> more = r.read_block(4);
    got.insert(got.end(), more.begin(), more.end());
    r.status();
    more = r.read_block(2);
    got.insert(got.end(), more.begin(), more.end());
    CHECK(r.irqs.rises == before + 3);  // one interrupt per block
    for (unsigned i = 0; i < 10; ++i)
        CHECK(std::vector<uint8_t>(got.begin() + 512 * i, got.begin() + 512 * (i + 1)) == pattern(20 + i));
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));

    std::vector<uint8_t> data(6 * 512, 0x5A);
    r.lba28(200, 6);
    r.io.write(0x1F7, 1, 0xC5);
    r.write_block(std::vector<uint8_t>(data.begin(), data.begin() + 4 * 512));
    r.write_block(std::vector<uint8_t>(data.begin() + 4 * 512, data.end()));
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    for (unsigned i = 0; i < 6; ++i) CHECK(file_sector(path, 200 + i) == std::vector<uint8_t>(512, 0x5A));
    CHECK(file_sector(path, 206) == pattern(206));

    // IDENTIFY shows the multiple setting; SET FEATURES takes a PIO mode and the DMA modes that
    // IDENTIFY offers (multiword 0-2, Ultra 0-5: words 63 and 88 show the one selected), and
    // refuses Ultra DMA 6 and the obsolete single-word DMA.
    r.io.write(0x1F7, 1, 0xEC);
    std::vector<uint8_t> id = r.read_block(1);
    CHECK(word(id, 59) == 0x0104);
    CHECK(word(id, 63) == 0x0007);  // nothing selected after power-on
    CHECK(word(id, 88) == 0x003F);
    auto set_mode = [&](uint8_t mode) {
        r.io.write(0x1F1, 1, 0x03);
        r.io.write(0x1F2, 1, mode);
        r.io.write(0x1F7, 1, 0xEF);
        return r.status();
    };
    auto mode_words = [&] {
        r.io.write(0x1F7, 1, 0xEC);
        const std::vector<uint8_t> w = r.read_block(1);
        return std::make_pair(word(w, 63), word(w, 88));
    };
    CHECK(set_mode(0x0C) == (AtaChannel::kDrdy | AtaChannel::kDsc));  // PIO mode 4
    CHECK(set_mode(0x22) == (AtaChannel::kDrdy | AtaChannel::kDsc));  // multiword DMA 2
    CHECK(mode_words() == std::make_pair(uint16_t(0x0407), uint16_t(0x003F)));
    CHECK(set_mode(0x45) == (AtaChannel::kDrdy | AtaChannel::kDsc));  // Ultra DMA 5
    CHECK(mode_words() == std::make_pair(uint16_t(0x0007), uint16_t(0x203F)));
    CHECK(set_mode(0x46) & AtaChannel::kErr);
    CHECK(set_mode(0x10) & AtaChannel::kErr);
    CHECK(mode_words() == std::make_pair(uint16_t(0x0007), uint16_t(0x203F)));  // unchanged
    r.io.write(0x1F7, 1, 0xB0);  // SMART: not implemented, aborted
    CHECK(r.io.read(0x1F1, 1) == AtaChannel::kAbrt);
    // SET MULTIPLE MODE beyond word 47's 16 is aborted and keeps the setting; 16 is taken; 0
    // turns multiple mode off (word 59 bit 8 clear), and READ MULTIPLE is aborted again.
    auto set_multiple = [&](uint8_t n) {
        r.io.write(0x1F2, 1, n);
        r.io.write(0x1F7, 1, 0xC6);
        return r.status();
    };
    auto word59 = [&] {
        r.io.write(0x1F7, 1, 0xEC);
        return word(r.read_block(1), 59);
    };
    CHECK(set_multiple(32) & AtaChannel::kErr);
    CHECK(word59() == 0x0104);
    CHECK(set_multiple(16) == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(word59() == 0x0110);
    CHECK(set_multiple(0) == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(word59() == 0x0000);
    r.lba28(20, 1);
    r.io.write(0x1F7, 1, 0xC4);
    CHECK(r.status() & AtaChannel::kErr);
}

TEST_CASE("ata: LBA48 beyond 2^28 sectors on a sparse image", "[devices]") {
    Scratch s;
    const std::string path = (s.dir / "big.img").string();
    const uint64_t sectors = (1ull << 28) + 64;  // a little over 128 GiB, sparse
    {
        const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
        REQUIRE(fd >= 0);
        if (::ftruncate(fd, off_t(sectors * 512)) != 0) {
            ::close(fd);
            WARN("the scratch filesystem cannot hold a 128 GiB sparse file; skipped");
            return;
        }
        ::close(fd);
    }
    Rig r(path);
    r.io.write(0x1F7, 1, 0xEC);
    const std::vector<uint8_t> id = r.read_block(1);
    CHECK((word(id, 60) | word(id, 61) << 16) == 0x0FFFFFFF);  // LBA28 capacity saturates
    CHECK((uint64_t(word(id, 100)) | uint64_t(word(id, 101)) << 16 | uint64_t(word(id, 102)) << 32) == sectors);

    const uint64_t lba = (1ull << 28) + 33;
    r.lba48(lba, 2);
    // With HOB set the registers read back the high-order bytes.
    r.io.write(0x3F6, 1, AtaChannel::kHob);
    CHECK(r.io.read(0x1F3, 1) == ((lba >> 24) & 0xFF));
    CHECK(r.io.read(0x1F2, 1) == 0);
    r.io.write(0x3F6, 1, 0);
    CHECK(r.io.read(0x1F3, 1) == (lba & 0xFF));
    CHECK(r.io.read(0x1F2, 1) == 2);
    r.io.write(0x1F7, 1, 0x34);  // WRITE SECTORS EXT
    r.write_block(pattern(lba));
    r.write_block(pattern(lba + 1));
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(file_sector(path, lba) == pattern(lba));
    CHECK(file_sector(path, lba + 1) == pattern(lba + 1));
    r.lba48(lba + 1, 1);
    r.io.write(0x1F7, 1, 0x24);  // READ SECTORS EXT
    CHECK(r.read_block(1) == pattern(lba + 1));
    // The same address through LBA28 is cut to 28 bits: a different sector.
    r.lba28(uint32_t(lba & 0x0FFFFFFF), 1);
    r.io.write(0x1F7, 1, 0x20);
    CHECK(r.read_block(1) == std::vector<uint8_t>(512, 0));
    CHECK(r.disk->sectors() == sectors);
}

TEST_CASE("ata: with -snapshot writes stay in memory and the image file is unchanged", "[devices]") {
    Scratch s;
    const std::string path = make_image(s, "disk.img", 64);
    std::vector<uint8_t> before(64 * 512);
    {
        const int fd = ::open(path.c_str(), O_RDONLY);
        REQUIRE(::pread(fd, before.data(), before.size(), 0) == ssize_t(before.size()));
        ::close(fd);
    }
    {
        Rig r(path, ImageOptions{false, true});
        r.lba28(7, 1);
        r.io.write(0x1F7, 1, 0x30);
        r.write_block(std::vector<uint8_t>(512, 0xC3));
        CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
        r.lba28(6, 2);
        r.io.write(0x1F7, 1, 0x20);
        CHECK(r.read_block(1) == pattern(6));
        CHECK(r.read_block(1) == std::vector<uint8_t>(512, 0xC3));  // the guest sees its write
        CHECK(r.disk->overlay_sectors() == 1);
    }
    std::vector<uint8_t> after(64 * 512);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(::pread(fd, after.data(), after.size(), 0) == ssize_t(after.size()));
    ::close(fd);
    CHECK(after == before);
    // A read-only drive refuses writes.
    Rig ro(path, ImageOptions{true, false});
    ro.lba28(7, 1);
    ro.io.write(0x1F7, 1, 0x30);
    CHECK(ro.status() & AtaChannel::kErr);
    CHECK(ro.io.read(0x1F1, 1) == AtaChannel::kAbrt);
}

TEST_CASE("ata: soft reset, nIEN, an absent slave and an empty channel", "[devices]") {
    Scratch s;
    Rig r(make_image(s, "disk.img", 64));
    r.io.write(0x3F6, 1, AtaChannel::kNien);
    r.io.write(0x1F7, 1, 0xEC);
    CHECK_FALSE(r.irqs.level);  // masked by nIEN
    r.io.write(0x3F6, 1, 0);
    CHECK(r.irqs.level);        // still pending: shows once unmasked
    r.status();
    // SRST: busy while set; afterwards the signature and diagnostic code, no transfer left.
    r.lba28(9, 1);
    r.io.write(0x3F6, 1, AtaChannel::kSrst);
    CHECK(r.alt_status() == AtaChannel::kBsy);
    r.io.write(0x3F6, 1, 0);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    CHECK(r.io.read(0x1F1, 1) == 0x01);
    CHECK(r.io.read(0x1F2, 1) == 1);
    CHECK(r.io.read(0x1F3, 1) == 1);
    CHECK(r.io.read(0x1F0, 2) == 0xFFFF);  // no data
    // Selecting the absent slave: status 0, commands ignored.
    r.io.write(0x1F6, 1, 0xB0);
    CHECK(r.status() == 0);
    r.io.write(0x1F7, 1, 0xEC);
    CHECK(r.status() == 0);
    r.io.write(0x1F6, 1, 0xA0);
    CHECK(r.status() == (AtaChannel::kDrdy | AtaChannel::kDsc));
    // A channel with no device floats: all ones.
    AtaChannel empty("ide1", 0x170, 0x376, 1);
    claim_ports(r.io, 0x170, 8, &empty);
    claim_ports(r.io, 0x376, 1, &empty);
    CHECK(r.io.read(0x177, 1) == 0xFF);
    CHECK(r.io.read(0x376, 1) == 0xFF);
}

TEST_CASE("ata: images that cannot be used are refused with one line", "[devices]") {
    Scratch s;
    std::string err;
    CHECK_FALSE(RawImage::open((s.dir / "missing.img").string(), {}, err));
    CHECK(err.find("missing.img") != std::string::npos);
    CHECK(err.find('\n') == std::string::npos);
    CHECK_FALSE(RawImage::open(s.dir.string(), {}, err));
    CHECK(err.find("is a directory") != std::string::npos);
    const std::string tiny = (s.dir / "tiny.img").string();
    {
        const int fd = ::open(tiny.c_str(), O_CREAT | O_WRONLY, 0644);
        REQUIRE(::write(fd, "abc", 3) == 3);
        ::close(fd);
    }
    CHECK_FALSE(RawImage::open(tiny, {}, err));
    CHECK(err.find("smaller than one") != std::string::npos);
    // An ISO 9660 image is not a hard disk.
    const std::string iso = (s.dir / "cd.iso").string();
    {
        std::vector<uint8_t> img(40 * 1024, 0);
        std::memcpy(&img[0x8001], "CD001", 5);
        const int fd = ::open(iso.c_str(), O_CREAT | O_WRONLY, 0644);
        REQUIRE(::write(fd, img.data(), img.size()) == ssize_t(img.size()));
        ::close(fd);
    }
    CHECK_FALSE(RawImage::open(iso, {}, err));
    CHECK(err.find("ISO 9660") != std::string::npos);
    // A FIFO is no disk (and reading it would block).
    const std::string fifo = (s.dir / "pipe").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK_FALSE(RawImage::open(fifo, {}, err));
    CHECK(err.find("not a regular file") != std::string::npos);
    // Unreadable (only meaningful when not running as root, who reads everything).
    const std::string locked = make_image(s, "locked.img", 4);
    ::chmod(locked.c_str(), 0);
    if (::geteuid() != 0) {
        CHECK_FALSE(RawImage::open(locked, {}, err));
        CHECK(err.find("Permission denied") != std::string::npos);
        CHECK(err.find('\n') == std::string::npos);
    }
    // Read-only file opened for writing: the message says what to do.
    ::chmod(locked.c_str(), 0444);
    if (::geteuid() != 0) {
        CHECK_FALSE(RawImage::open(locked, {}, err));
        CHECK(err.find("readonly=on") != std::string::npos);
        CHECK(RawImage::open(locked, ImageOptions{false, true}, err));  // -snapshot only reads it
    }
}

TEST_CASE("ata: a channel's state list carries a READ MULTIPLE in progress into a fresh channel", "[devices]") {
    Scratch s;
    const std::string path = make_image(s, "disk.img", 64);
    Rig a(path), b(path);
    // Four sectors per DRQ block, eight sectors from LBA 3; stop inside the second block.
    a.io.write(0x1F6, 1, 0xE0);
    a.io.write(0x1F2, 1, 4);
    a.io.write(0x1F7, 1, 0xC6);  // SET MULTIPLE MODE
    REQUIRE((a.io.read(0x1F7, 1) & AtaChannel::kErr) == 0);
    a.io.write(0x1F2, 1, 8);
    a.io.write(0x1F3, 1, 3);
    a.io.write(0x1F4, 1, 0);
    a.io.write(0x1F5, 1, 0);
    a.io.write(0x1F7, 1, 0xC4);  // READ MULTIPLE
    std::vector<uint8_t> got;
    for (unsigned w = 0; w < 4 * 256 + 100; ++w) {
        const uint32_t v = a.io.read(0x1F0, 2);
        got.push_back(uint8_t(v));
        got.push_back(uint8_t(v >> 8));
    }
    REQUIRE(save_state(b.ch) != save_state(a.ch));
    load_state(b.ch, save_state(a.ch));
    CHECK(save_state(b.ch) == save_state(a.ch));
    CHECK(b.irqs.level == a.irqs.level);
    for (Rig* r : {&a, &b}) {
        INFO((r == &a ? "original" : "copy"));
        std::vector<uint8_t> data = got;
        while (r->io.read(0x3F6, 1) & AtaChannel::kDrq) {
            const uint32_t v = r->io.read(0x1F0, 2);
            data.push_back(uint8_t(v));
            data.push_back(uint8_t(v >> 8));
            REQUIRE(data.size() <= 8 * 512);
        }
        REQUIRE(data.size() == 8 * 512);
        for (unsigned i = 0; i < 8; ++i)
            CHECK(std::vector<uint8_t>(data.begin() + i * 512, data.begin() + (i + 1) * 512) == pattern(3 + i));
        // The multiple setting came along too: IDENTIFY word 59.
        r->io.write(0x1F7, 1, 0xEC);
        std::vector<uint16_t> id;
        for (unsigned w = 0; w < 256; ++w) id.push_back(uint16_t(r->io.read(0x1F0, 2)));
        CHECK(id[59] == 0x0104);
    }
}

namespace {

// A first sector with the boot signature and one partition entry ending at (head, sector).
std::vector<uint8_t> mbr_ending_at(unsigned end_head, unsigned end_sector, uint32_t count) {
    std::vector<uint8_t> s(512, 0);
    uint8_t* e = s.data() + 0x1BE;
    e[4] = 0x83;  // type
    e[5] = uint8_t(end_head);
    e[6] = uint8_t(end_sector);  // cylinder bits 8-9 clear
    e[7] = 0xFF;
    e[8] = 63;  // starting LBA
    for (int b = 0; b < 4; ++b) e[12 + b] = uint8_t(count >> (8 * b));
    s[510] = 0x55;
    s[511] = 0xAA;
    return s;
}

} // namespace

TEST_CASE("ata: the CHS geometry and BIOS translation follow the image's size and partition table", "[devices]") {
    const uint64_t mib64 = 64u << 11, gib2 = 2ull << 21, gib10 = 10ull << 21;
    SECTION("no partition table: 16 heads, 63 sectors, translated only past the INT 13h limits") {
        DiskGeometry g = guess_geometry(mib64, nullptr);
        CHECK(g.cylinders == 130);
        CHECK(g.heads == 16);
        CHECK(g.sectors == 63);
        CHECK(g.translation == ChsTranslation::None);
        std::vector<uint8_t> blank(512, 0);
        g = guess_geometry(gib2, blank.data());
        CHECK(g.cylinders == 4161);
        CHECK(g.translation == ChsTranslation::Large);  // 4161 * 16 <= 131072
        g = guess_geometry(gib10, blank.data());
        CHECK(g.cylinders == 16383);
        CHECK(g.translation == ChsTranslation::Lba);
    }
    SECTION("a partition written for 255 heads: the drive keeps 16, the BIOS translates") {
        const std::vector<uint8_t> s = mbr_ending_at(254, 63, uint32_t(mib64 - 63));
        DiskGeometry g = guess_geometry(mib64, s.data());
        CHECK(g.cylinders == 130);
        CHECK(g.heads == 16);
        CHECK(g.sectors == 63);
        CHECK(g.translation == ChsTranslation::Large);
        g = guess_geometry(gib10, mbr_ending_at(254, 63, uint32_t(gib10 - 63)).data());
        CHECK(g.translation == ChsTranslation::Lba);  // 16383 * 16 > 131072
    }
    SECTION("a partition written for an ATA geometry: that geometry, untranslated") {
        const std::vector<uint8_t> s = mbr_ending_at(7, 32, uint32_t(mib64 - 32));
        const DiskGeometry g = guess_geometry(mib64, s.data());
        CHECK(g.cylinders == mib64 / (8 * 32));
        CHECK(g.heads == 8);
        CHECK(g.sectors == 32);
        CHECK(g.translation == ChsTranslation::None);
    }
    SECTION("entries that say nothing are skipped; a broken signature is no table") {
        std::vector<uint8_t> s = mbr_ending_at(7, 0, 100);  // sector 0: unused
        CHECK(guess_geometry(mib64, s.data()).heads == 16);
        s = mbr_ending_at(7, 32, 0);  // no sectors
        CHECK(guess_geometry(mib64, s.data()).heads == 16);
        s = mbr_ending_at(0, 1, 100);  // 1 head: >16383 cylinders on this disk
        CHECK(guess_geometry(gib10, s.data()).heads == 16);
        s = mbr_ending_at(7, 32, 100);
        s[511] = 0;
        CHECK(guess_geometry(mib64, s.data()).heads == 16);
    }
    SECTION("IDENTIFY DEVICE reports the guessed geometry, and CHS addressing uses it") {
        Scratch sc;
        const std::string path = make_image(sc, "parted.img", 4096);
        const std::vector<uint8_t> s = mbr_ending_at(3, 17, 4000);
        const int fd = ::open(path.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        REQUIRE(::pwrite(fd, s.data(), 512, 0) == 512);
        ::close(fd);
        Rig r(path);
        CHECK(r.ch.bios_translation(0) == ChsTranslation::None);
        r.io.write(0x1F6, 1, 0xA0);
        r.io.write(0x1F7, 1, 0xEC);
        const std::vector<uint8_t> id = r.read_block(1);
        CHECK(word(id, 1) == 4096 / (4 * 17));
        CHECK(word(id, 3) == 4);
        CHECK(word(id, 6) == 17);
        // C/H/S 1/2/5 is LBA (1 * 4 + 2) * 17 + 4 = 106 in that geometry.
        r.io.write(0x1F6, 1, 0xA0 | 2);
        r.io.write(0x1F2, 1, 1);
        r.io.write(0x1F3, 1, 5);
        r.io.write(0x1F4, 1, 1);
        r.io.write(0x1F5, 1, 0);
        r.io.write(0x1F7, 1, 0x20);
        CHECK(r.read_block(1) == pattern(106));
    }
}
