#include "devices/atapi.h"

#include <algorithm>
#include <cstring>

namespace xlat {

namespace {

constexpr uint32_t kSectorsPerBlock = AtapiCdrom::kBlockSize / BlockDevice::kSectorSize;

uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
void put16(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    v[at] = uint8_t(x >> 8);
    v[at + 1] = uint8_t(x);
}
void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    put16(v, at, x >> 16);
    put16(v, at + 2, x);
}
void put_text(std::vector<uint8_t>& v, size_t at, size_t len, const char* s) {
    for (size_t i = 0; i < len; ++i) v[at + i] = uint8_t(*s ? *s++ : ' ');
}

// A TOC address: a logical block address, or with MSF minute/second/frame counted from the
// start of the disc, 150 frames (2 s) before block 0 (MMC-3 section 4.2.3.6).
void put_address(std::vector<uint8_t>& v, size_t at, uint32_t lba, bool msf) {
    if (!msf) return put32(v, at, lba);
    const uint32_t f = lba + 150;
    v[at] = 0;
    v[at + 1] = uint8_t(f / (60 * 75));
    v[at + 2] = uint8_t(f / 75 % 60);
    v[at + 3] = uint8_t(f % 75);
}

} // namespace

AtapiCdrom::AtapiCdrom(BlockDevice* image, const char* name, const Tracer* tracer)
    : image_(image), name_(name), blocks_(uint32_t(std::min<uint64_t>(image->sectors() / kSectorsPerBlock, UINT32_MAX))),
      log_(tracer), block_(kBlockSize) {
    reset();
}

void AtapiCdrom::reset() {
    st_.sense_key = kNoSense;
    st_.sense_asc = 0;
    st_.prevent_removal = false;
    st_.media_event = true;
}

AtapiCdrom::Reply AtapiCdrom::check(uint8_t key, uint16_t asc) {
    st_.sense_key = key;
    st_.sense_asc = asc;
    Reply r;
    r.good = false;
    return r;
}

AtapiCdrom::Reply AtapiCdrom::reply(std::vector<uint8_t> data, uint32_t alloc) {
    // The device sends no more than the allocation length asks for (SPC-2 section 4.3.4.6).
    if (data.size() > alloc) data.resize(alloc);
    st_.sense_key = kNoSense;
    st_.sense_asc = 0;
    Reply r;
    r.data = std::move(data);
    return r;
}

AtapiCdrom::Reply AtapiCdrom::command(const uint8_t (&cdb)[12]) {
    const uint8_t op = cdb[0];
    // REQUEST SENSE reports the sense of the previous command, so it must not clear it first.
    if (op == 0x03) {  // REQUEST SENSE: fixed-format sense data (SPC-2 section 7.23.2)
        std::vector<uint8_t> s(18);
        s[0] = 0x70;  // current error, fixed format
        s[2] = st_.sense_key;
        s[7] = 10;    // additional sense length
        s[12] = uint8_t(st_.sense_asc >> 8);
        s[13] = uint8_t(st_.sense_asc);
        return reply(std::move(s), cdb[4]);
    }
    switch (op) {
    case 0x00:  // TEST UNIT READY: the disc is always in and ready
        return reply({}, 0);
    case 0x12:
        return inquiry(cdb);
    case 0x25: {  // READ CAPACITY: the last block's address and the block size (MMC-3 6.1.19)
        std::vector<uint8_t> d(8);
        put32(d, 0, blocks_ ? blocks_ - 1 : 0);
        put32(d, 4, kBlockSize);
        return reply(std::move(d), 8);
    }
    case 0x28:  // READ(10)
        return read(be32(cdb + 2), be16(cdb + 7));
    case 0xA8:  // READ(12)
        return read(be32(cdb + 2), be32(cdb + 6));
    case 0x5A:
        return mode_sense(cdb);
    case 0x43:
        return read_toc(cdb);
    case 0x46:
        return get_configuration(cdb);
    case 0x4A:
        return event_status(cdb);
    case 0x1E:  // PREVENT ALLOW MEDIUM REMOVAL: the prevent bit locks the tray
        st_.prevent_removal = cdb[4] & 1;
        return reply({}, 0);
    case 0x1B:  // START STOP UNIT: LoEj with Start clear ejects, which a locked tray refuses
        if ((cdb[4] & 0x03) == 0x02 && st_.prevent_removal) return check(kIllegalRequest, kAscRemovalPrevented);
        return reply({}, 0);
    case 0x51:
        return disc_information(cdb);
    case 0xBB:  // SET CD SPEED: the image reads at one speed
        return reply({}, 0);
    case 0xBD: {  // MECHANISM STATUS (MMC-3 6.1.10): no changer, idle, door closed, no slot table
        std::vector<uint8_t> d(8);
        return reply(std::move(d), be16(cdb + 8));
    }
    default:
        log_.unimplemented(name_, "ATAPI packet command", op);
        return check(kIllegalRequest, kAscInvalidOpcode);
    }
}

AtapiCdrom::Reply AtapiCdrom::read(uint64_t lba, uint32_t count) {
    if (lba > blocks_ || count > blocks_ - lba) return check(kIllegalRequest, kAscLbaOutOfRange);
    Reply r = reply({}, 0);
    r.read_lba = lba;
    r.read_blocks = count;
    return r;
}

bool AtapiCdrom::read_medium(uint64_t offset, uint8_t* dst, uint32_t len) {
    while (len) {
        const uint64_t lba = offset / kBlockSize;
        const uint32_t in = uint32_t(offset % kBlockSize);
        const uint32_t n = std::min(len, kBlockSize - in);
        if (in == 0 && n == kBlockSize) {
            if (!image_->read(lba * kSectorsPerBlock, dst, kSectorsPerBlock)) {
                check(kMediumError, kAscReadError);
                return false;
            }
        } else {
            if (block_lba_ != lba) {
                block_lba_ = UINT64_MAX;
                if (!image_->read(lba * kSectorsPerBlock, block_.data(), kSectorsPerBlock)) {
                    check(kMediumError, kAscReadError);
                    return false;
                }
                block_lba_ = lba;
            }
            std::memcpy(dst, block_.data() + in, n);
        }
        dst += n;
        offset += n;
        len -= n;
    }
    return true;
}

AtapiCdrom::Reply AtapiCdrom::inquiry(const uint8_t (&cdb)[12]) {
    // Standard INQUIRY data (SPC-2 section 7.3.2); vital product data pages are not kept.
    if (cdb[1] & 0x01) return check(kIllegalRequest, kAscInvalidField);
    std::vector<uint8_t> d(36);
    d[0] = 0x05;  // peripheral device type: CD/DVD (MMC)
    d[1] = 0x80;  // removable medium
    d[2] = 0x00;  // version: ATAPI devices claim no SCSI standard
    d[3] = 0x21;  // ATAPI transport version 2, response data format 1
    d[4] = 36 - 5;
    put_text(d, 8, 8, "XLAT");
    put_text(d, 16, 16, "XLAT CD-ROM");
    put_text(d, 32, 4, "0.1");
    return reply(std::move(d), be16(cdb + 3));
}

AtapiCdrom::Reply AtapiCdrom::mode_sense(const uint8_t (&cdb)[12]) {
    // MODE SENSE(10) (SPC-2 7.9): an 8-byte header without block descriptors, then the pages.
    const unsigned control = cdb[2] >> 6, page = cdb[2] & 0x3F;
    if (control == 3) return check(kIllegalRequest, kAscSavingNotSupported);
    const bool changeable = control == 1;  // nothing can be changed: every bit reads 0
    std::vector<uint8_t> d(8);
    d[2] = 0x01;  // medium type: 120 mm CD-ROM data only
    auto add = [&](std::vector<uint8_t> p) {
        if (changeable) std::fill(p.begin() + 2, p.end(), 0);
        d.insert(d.end(), p.begin(), p.end());
    };
    if (page == 0x01 || page == 0x3F) {
        // Read/write error recovery: no retries to set (MMC-3 6.3.5).
        std::vector<uint8_t> p(12);
        p[0] = 0x01;
        p[1] = 10;
        add(std::move(p));
    }
    if (page == 0x2A || page == 0x3F) {
        // CD/DVD capabilities and mechanical status (MMC-3 6.3.11).
        std::vector<uint8_t> p(22);
        p[0] = 0x2A;
        p[1] = 20;
        p[2] = 0x00;  // reads CD-ROM only (no CD-R/RW, DVD)
        p[3] = 0x00;  // writes nothing
        p[4] = 0x70;  // mode 2 form 1 and 2, multi-session
        p[5] = 0x00;
        p[6] = uint8_t(0x20 | 0x08 | 0x01 | (st_.prevent_removal ? 0x02 : 0));  // tray, eject, lock (state)
        p[7] = 0x00;
        put16(p, 8, 706);    // maximum read speed, kB/s (4x; obsolete in MMC-3)
        put16(p, 12, 512);   // buffer size, KiB
        put16(p, 14, 706);   // current read speed
        add(std::move(p));
    }
    if (d.size() == 8) return check(kIllegalRequest, kAscInvalidField);
    put16(d, 0, uint32_t(d.size() - 2));  // mode data length: the bytes after itself
    return reply(std::move(d), be16(cdb + 7));
}

AtapiCdrom::Reply AtapiCdrom::read_toc(const uint8_t (&cdb)[12]) {
    // READ TOC/PMA/ATIP (MMC-3 6.1.24): one data track (track 1 at block 0) in one session.
    const bool msf = cdb[1] & 0x02;
    // The format sits in byte 2; older drivers (SFF-8020) put it in the top bits of byte 9.
    const unsigned format = (cdb[2] & 0x0F) ? (cdb[2] & 0x0F) : cdb[9] >> 6;
    const unsigned track = cdb[6];
    std::vector<uint8_t> d(4);
    d[2] = d[3] = 1;  // first and last track (format 0) or session (format 1)
    auto descriptor = [&](uint8_t number, uint32_t lba) {
        const size_t at = d.size();
        d.resize(at + 8);
        d[at + 1] = 0x14;  // ADR 1 (Q sub-channel position), control 4 (data track)
        d[at + 2] = number;
        put_address(d, at + 4, lba, msf);
    };
    switch (format) {
    case 0:  // the TOC: tracks from `track` on, then the lead-out (track AAh)
        if (track > 1 && track != 0xAA) return check(kIllegalRequest, kAscInvalidField);
        if (track <= 1) descriptor(1, 0);
        descriptor(0xAA, blocks_);
        break;
    case 1:  // session information: the first track of the last session
        descriptor(1, 0);
        break;
    default:
        log_.unimplemented(name_, "READ TOC format", 0x4300 | format);
        return check(kIllegalRequest, kAscInvalidField);
    }
    put16(d, 0, uint32_t(d.size() - 2));  // TOC data length: the bytes after itself
    return reply(std::move(d), be16(cdb + 7));
}

AtapiCdrom::Reply AtapiCdrom::get_configuration(const uint8_t (&cdb)[12]) {
    // GET CONFIGURATION (MMC-3 5.2, 6.1.4): the CD-ROM profile (0008h) and the features that
    // a CD-ROM drive must report, all current.
    const unsigned rt = cdb[1] & 0x03;
    const unsigned start = be16(cdb + 2);
    if (rt == 3) return check(kIllegalRequest, kAscInvalidField);
    std::vector<uint8_t> d(8);
    put16(d, 6, 0x0008);  // current profile: CD-ROM
    auto feature = [&](unsigned code, uint8_t version_flags, std::vector<uint8_t> body) {
        if (rt == 2 ? code != start : code < start) return;
        const size_t at = d.size();
        d.resize(at + 4);
        put16(d, at, code);
        d[at + 2] = version_flags;  // version << 2 | persistent << 1 | current
        d[at + 3] = uint8_t(body.size());
        d.insert(d.end(), body.begin(), body.end());
    };
    feature(0x0000, 0x03, {0x00, 0x08, 0x01, 0x00});                    // profile list: CD-ROM, current
    feature(0x0001, 0x07, {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00});  // core: ATAPI interface
    feature(0x0002, 0x03, {0x00, 0x00, 0x00, 0x00});                    // morphing: no async events
    feature(0x0003, 0x03, {0x29, 0x00, 0x00, 0x00});                    // removable medium: tray, eject, lock
    feature(0x0010, 0x03, {0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00});  // random readable, 2048-byte blocks
    feature(0x001E, 0x03, {0x00, 0x00, 0x00, 0x00});                    // CD read
    put32(d, 0, uint32_t(d.size() - 4));  // data length: the bytes after itself
    return reply(std::move(d), be16(cdb + 7));
}

AtapiCdrom::Reply AtapiCdrom::event_status(const uint8_t (&cdb)[12]) {
    // GET EVENT STATUS NOTIFICATION (MMC-3 6.1.6), polled only: the media class, with a
    // "new media" event once after power-on.
    if (!(cdb[1] & 0x01)) return check(kIllegalRequest, kAscInvalidField);
    constexpr uint8_t kMediaClass = 0x10;  // class 4
    std::vector<uint8_t> d(4);
    d[3] = kMediaClass;  // supported classes
    if (cdb[4] & kMediaClass) {
        d[2] = 0x04;  // notification class 4 (media)
        d.resize(8);
        d[4] = st_.media_event ? 0x02 : 0x00;  // event: new media, or no change
        d[5] = 0x02;                        // media present, door closed
        st_.media_event = false;
    } else {
        d[2] = 0x80;  // no event available: no requested class is supported
    }
    put16(d, 0, uint32_t(d.size() - 2));
    return reply(std::move(d), be16(cdb + 7));
}

AtapiCdrom::Reply AtapiCdrom::disc_information(const uint8_t (&cdb)[12]) {
    // READ DISC INFORMATION (MMC-3 6.1.18): a finished, non-erasable disc of one session.
    if (cdb[1] & 0x07) return check(kIllegalRequest, kAscInvalidField);
    std::vector<uint8_t> d(34);
    put16(d, 0, 32);
    d[2] = 0x0E;  // last session complete, disc complete
    d[3] = 1;     // first track on the disc
    d[4] = 1;     // sessions
    d[5] = 1;     // first track in the last session
    d[6] = 1;     // last track in the last session
    d[8] = 0x00;  // disc type: CD-DA or CD-ROM
    put32(d, 16, 0xFFFFFFFF);  // last session lead-in start: none (a finished disc)
    put32(d, 20, 0xFFFFFFFF);  // last possible lead-out start: none
    return reply(std::move(d), be16(cdb + 7));
}

} // namespace xlat
