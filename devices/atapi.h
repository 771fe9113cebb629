// The command set of an ATAPI CD-ROM drive: the SCSI/MMC packet commands (MMC-3, T10/1363-D; SPC-2
// for INQUIRY and REQUEST SENSE) that an El Torito boot (SeaBIOS's cdrom code) and Linux's sr
// driver send, on an ISO image of 2048-byte blocks. The ATA side (the PACKET command, DRQ phases,
// interrupt reason, byte count) is AtaChannel's; this class turns one 12-byte command packet into
// a reply: data to send to the host, or CHECK CONDITION with sense data for REQUEST SENSE.
// The medium is always present and cannot be ejected (START STOP UNIT's eject is accepted and
// leaves the disc in).
#pragma once
#include <cstdint>
#include <vector>

#include "devices/block/block.h"
#include "devices/devlog.h"

namespace xlat {

class AtapiCdrom {
public:
    static constexpr uint32_t kBlockSize = 2048;
    // Sense keys (SPC-2 Table 107) and additional sense codes (ASC, ASCQ) used here.
    enum : uint8_t { kNoSense = 0, kNotReady = 2, kMediumError = 3, kIllegalRequest = 5, kUnitAttention = 6 };
    enum : uint16_t {
        kAscInvalidOpcode = 0x2000, kAscLbaOutOfRange = 0x2100, kAscInvalidField = 0x2400,
        kAscSavingNotSupported = 0x3900, kAscRemovalPrevented = 0x5302, kAscReadError = 0x1100,
    };

    // `image` holds whole 2048-byte blocks (a trailing partial block is not addressable).
    AtapiCdrom(BlockDevice* image, const char* name, const Tracer* tracer = nullptr);
    void reset();  // power-on and hardware reset: sense cleared, medium unlocked, new-media event armed
    uint32_t blocks() const { return blocks_; }

    struct Reply {
        bool good = true;             // false: CHECK CONDITION, the sense is set
        std::vector<uint8_t> data;    // data-in bytes (replies other than reads)
        uint64_t read_lba = 0;        // a read: blocks from the medium
        uint32_t read_blocks = 0;
        uint64_t bytes() const { return read_blocks ? uint64_t(read_blocks) * kBlockSize : data.size(); }
    };
    Reply command(const uint8_t (&cdb)[12]);
    // `len` bytes of the medium from byte `offset` (within a read reply's range); false on a host
    // I/O error, after which the sense says MEDIUM ERROR.
    [[nodiscard]] bool read_medium(uint64_t offset, uint8_t* dst, uint32_t len);
    uint8_t sense_key() const { return st_.sense_key; }
    uint16_t sense_asc() const { return st_.sense_asc; }
    size_t unimplemented_count() const { return log_.count(); }  // opcodes and TOC formats logged

    // The guest-visible state, which the ATA channel lists with its own.
    struct State {
        uint8_t sense_key = 0;
        uint16_t sense_asc = 0;        // ASC << 8 | ASCQ
        bool prevent_removal = false;
        bool media_event = true;       // GET EVENT STATUS NOTIFICATION reports "new media" once
    };
    State& state() { return st_; }
    void post_load() { block_lba_ = UINT64_MAX; }  // the read cache may hold another medium's block

private:
    Reply check(uint8_t key, uint16_t asc);  // CHECK CONDITION with this sense
    Reply reply(std::vector<uint8_t> data, uint32_t alloc);  // good, data cut to the allocation length
    Reply read(uint64_t lba, uint32_t count);
    Reply inquiry(const uint8_t (&cdb)[12]);
    Reply mode_sense(const uint8_t (&cdb)[12]);
    Reply read_toc(const uint8_t (&cdb)[12]);
    Reply get_configuration(const uint8_t (&cdb)[12]);
    Reply event_status(const uint8_t (&cdb)[12]);
    Reply disc_information(const uint8_t (&cdb)[12]);

    BlockDevice* image_;
    const char* name_;
    uint32_t blocks_;
    OnceLog log_;  // unknown opcodes, once each
    State st_;
    // A one-block cache for reads that do not start on a block boundary (a byte count limit that
    // is not a multiple of 2048).
    std::vector<uint8_t> block_;
    uint64_t block_lba_ = UINT64_MAX;
};

} // namespace xlat
