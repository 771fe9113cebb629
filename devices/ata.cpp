#include "devices/ata.h"

#include <algorithm>
#include <cstdio>

namespace xlat {

namespace {

// ATA strings hold two characters per word, the first in the high byte (ATA-6 section 8.15.10),
// padded with spaces.
void put_string(std::array<uint16_t, 256>& w, unsigned first, unsigned words, const std::string& s) {
    for (unsigned i = 0; i < words; ++i) {
        const char hi = 2 * i < s.size() ? s[2 * i] : ' ';
        const char lo = 2 * i + 1 < s.size() ? s[2 * i + 1] : ' ';
        w[first + i] = uint16_t(uint8_t(hi) << 8 | uint8_t(lo));
    }
}

} // namespace

AtaChannel::AtaChannel(const char* name, uint16_t cmd_base, uint16_t ctl_port, unsigned index, const Tracer* tracer)
    : name_(name), cmd_base_(cmd_base), ctl_port_(ctl_port), index_(index), log_(tracer),
      buf_(kMaxMultiple * BlockDevice::kSectorSize) {
    reset();
}

void AtaChannel::attach(unsigned unit, BlockDevice* disk) {
    Drive& d = drives_[unit & 1];
    d.disk = disk;
    if (disk) {
        // The default CHS geometry: 16 heads and 63 sectors per track, as many cylinders as fit
        // (at most 16383: larger disks are addressed by LBA; ATA-6 section 8.15.8).
        const uint64_t total = disk->sectors();
        d.default_heads = 16;
        d.default_spt = 63;
        d.default_cyls = uint16_t(std::clamp<uint64_t>(total / (16 * 63), 1, 16383));
    }
    reset();
}

void AtaChannel::reset() {
    control_ = 0;
    for (int i = 0; i < 2; ++i) feature_[i] = count_[i] = lba_low_[i] = lba_mid_[i] = lba_high_[i] = 0;
    for (Drive& d : drives_) {
        d.multiple = 0;
        d.heads = d.default_heads;
        d.spt = d.default_spt;
        d.write_cache = true;
    }
    soft_reset();
}

void AtaChannel::soft_reset() {
    // After a reset each device shows its signature and the diagnostic code 01h (passed), ready,
    // with no interrupt pending (ATA-6 section 9.2).
    for (Drive& d : drives_) {
        d.status = d.disk ? uint8_t(kDrdy | kDsc) : 0;
        d.error = 0x01;
    }
    set_signature();
    device_ = 0xA0;
    xfer_ = Xfer::None;
    buf_pos_ = buf_len_ = 0;
    irq_pending_ = false;
    update_irq();
}

void AtaChannel::set_signature() {
    count_[0] = 1;
    lba_low_[0] = 1;
    lba_mid_[0] = lba_high_[0] = 0;
}

void AtaChannel::update_irq() { irq.set(irq_pending_ && !(control_ & kNien)); }

void AtaChannel::raise_irq() {
    irq_pending_ = true;
    update_irq();
}

void AtaChannel::finish(uint8_t status) {
    cur().status = status;
    xfer_ = Xfer::None;
    raise_irq();
}

void AtaChannel::abort_command() {
    cur().error = kAbrt;
    finish(kDrdy | kDsc | kErr);
}

void AtaChannel::io_error(uint8_t err) {
    cur().error = err;
    finish(kDrdy | kDsc | kErr);
}

uint32_t AtaChannel::io_read(uint16_t port, unsigned size) {
    const uint32_t ones = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    // No device on the channel: nothing drives the bus and it reads as all ones; firmware looks
    // for this "floating bus".
    if (!present(0) && !present(1)) return ones;
    const bool selected = present((device_ >> 4) & 1);
    if (port == ctl_port_) return selected ? cur().status : 0;  // alternate status: no side effect
    const unsigned reg = port - cmd_base_;
    if (reg == 0) {
        if (size == 4) {
            const uint32_t lo = data_read();
            return lo | uint32_t(data_read()) << 16;
        }
        const uint16_t w = data_read();
        return size == 1 ? w & 0xFFu : w;
    }
    const unsigned h = (control_ & kHob) ? 1 : 0;
    switch (reg) {
    case 1: return selected ? cur().error : 0;
    case 2: return count_[h];
    case 3: return lba_low_[h];
    case 4: return lba_mid_[h];
    case 5: return lba_high_[h];
    case 6: return device_ | 0xA0;  // bits 7 and 5 are obsolete and read as 1
    default:
        // Reading the status register acknowledges the interrupt (ATA-6 section 7.15).
        irq_pending_ = false;
        update_irq();
        return selected ? cur().status : 0;
    }
}

void AtaChannel::io_write(uint16_t port, unsigned size, uint32_t value) {
    if (port == ctl_port_) {
        const uint8_t old = control_;
        control_ = uint8_t(value);
        if ((control_ & kSrst) && !(old & kSrst)) {
            for (Drive& d : drives_)
                if (d.disk) d.status = kBsy;  // held in reset while SRST is set
            xfer_ = Xfer::None;
        } else if (!(control_ & kSrst) && (old & kSrst)) {
            soft_reset();
        }
        update_irq();
        return;
    }
    const unsigned reg = port - cmd_base_;
    if (reg == 0) {
        data_write(uint16_t(value));
        if (size == 4) data_write(uint16_t(value >> 16));
        return;
    }
    if (control_ & kSrst) return;
    const uint8_t v = uint8_t(value);
    control_ &= uint8_t(~kHob);  // a write to any command block register clears HOB (7.8)
    auto push = [v](uint8_t (&r)[2]) {
        r[1] = r[0];
        r[0] = v;
    };
    switch (reg) {
    case 1: push(feature_); break;
    case 2: push(count_); break;
    case 3: push(lba_low_); break;
    case 4: push(lba_mid_); break;
    case 5: push(lba_high_); break;
    case 6: device_ = v; break;
    default:
        if (v == 0x90) {  // EXECUTE DEVICE DIAGNOSTIC goes to both devices
            if (!present(0) && !present(1)) return;
            soft_reset();
            raise_irq();
            return;
        }
        if (!present((device_ >> 4) & 1) || (cur().status & kBsy)) return;  // nobody answers
        execute(v);
    }
}

bool AtaChannel::address(bool lba48, uint64_t& lba, uint32_t& count) {
    Drive& d = cur();
    if (lba48) {
        count = uint32_t(count_[1]) << 8 | count_[0];
        if (!count) count = 65536;
        lba = uint64_t(lba_high_[1]) << 40 | uint64_t(lba_mid_[1]) << 32 | uint64_t(lba_low_[1]) << 24 |
              uint64_t(lba_high_[0]) << 16 | uint64_t(lba_mid_[0]) << 8 | lba_low_[0];
    } else {
        count = count_[0] ? count_[0] : 256;
        if (device_ & 0x40) {
            lba = uint64_t(device_ & 0x0F) << 24 | uint64_t(lba_high_[0]) << 16 | uint64_t(lba_mid_[0]) << 8 | lba_low_[0];
        } else {
            // CHS through the current logical geometry (ATA-6 section 6.2.1).
            const uint32_t cyl = uint32_t(lba_high_[0]) << 8 | lba_mid_[0];
            const uint32_t head = device_ & 0x0F, sector = lba_low_[0];
            if (sector == 0 || sector > d.spt || head >= d.heads) return false;
            lba = (uint64_t(cyl) * d.heads + head) * d.spt + sector - 1;
        }
    }
    return lba <= d.disk->sectors() && count <= d.disk->sectors() - lba;
}

void AtaChannel::execute(uint8_t cmd) {
    Drive& d = cur();
    d.error = 0;
    xfer_ = Xfer::None;
    irq_pending_ = false;
    update_irq();
    uint64_t lba = 0;
    uint32_t count = 0;
    switch (cmd) {
    case 0xEC: {  // IDENTIFY DEVICE
        const std::array<uint16_t, 256> id = identify((device_ >> 4) & 1);
        uint8_t bytes[512];
        for (unsigned i = 0; i < 256; ++i) {
            bytes[2 * i] = uint8_t(id[i]);
            bytes[2 * i + 1] = uint8_t(id[i] >> 8);
        }
        pio_in(bytes, sizeof bytes);
        return;
    }
    case 0x20: case 0x21:  // READ SECTORS (with and without retries)
    case 0x24:             // READ SECTORS EXT
    case 0xC4: case 0x29:  // READ MULTIPLE (EXT)
    case 0x30: case 0x31:  // WRITE SECTORS
    case 0x34:             // WRITE SECTORS EXT
    case 0xC5: case 0x39: {  // WRITE MULTIPLE (EXT)
        const bool ext = cmd == 0x24 || cmd == 0x29 || cmd == 0x34 || cmd == 0x39;
        const bool multiple = cmd == 0xC4 || cmd == 0x29 || cmd == 0xC5 || cmd == 0x39;
        const bool write = cmd >= 0x30 && cmd != 0xC4 && cmd != 0x29;
        if (multiple && !d.multiple) return abort_command();  // SET MULTIPLE MODE first (8.26)
        if (write && d.disk->read_only()) return abort_command();
        if (!address(ext, lba, count)) return io_error(kIdnf);
        const uint32_t block = multiple ? d.multiple : 1;
        return write ? start_write(lba, count, block) : start_read(lba, count, block);
    }
    case 0x40: case 0x41: case 0x42:  // READ VERIFY SECTORS (EXT): nothing to check on an image
        if (!address(cmd == 0x42, lba, count)) return io_error(kIdnf);
        return finish(kDrdy | kDsc);
    case 0xC6: {  // SET MULTIPLE MODE: a power of two up to kMaxMultiple; 0 disables
        const uint8_t n = count_[0];
        if (n > kMaxMultiple || (n & (n - 1))) return abort_command();
        d.multiple = n;
        return finish(kDrdy | kDsc);
    }
    case 0x91:  // INITIALIZE DEVICE PARAMETERS: the logical CHS geometry
        if (count_[0] == 0) return abort_command();
        d.spt = count_[0];
        d.heads = uint16_t((device_ & 0x0F) + 1);
        return finish(kDrdy | kDsc);
    case 0xEF:  // SET FEATURES
        switch (feature_[0]) {
        case 0x02: d.write_cache = true; break;
        case 0x82: d.write_cache = false; break;
        case 0x03:  // transfer mode: PIO default (00h, 01h) or PIO modes 0-4 (08h-0Ch); no DMA
            if (!(count_[0] <= 0x01 || (count_[0] >= 0x08 && count_[0] <= 0x0C))) return abort_command();
            break;
        case 0xAA: case 0x55:  // read look-ahead on/off
        case 0x66: case 0xCC:  // reverting to power-on defaults off/on
            break;
        default:
            log_.unimplemented(name_, "SET FEATURES subcommand", feature_[0]);
            return abort_command();
        }
        return finish(kDrdy | kDsc);
    case 0xE7: case 0xEA:  // FLUSH CACHE (EXT)
        if (!d.disk->flush()) return io_error(kAbrt);
        return finish(kDrdy | kDsc);
    case 0x70:  // SEEK
        return finish(kDrdy | kDsc);
    case 0xE0: case 0xE1: case 0xE2: case 0xE3:  // STANDBY/IDLE (IMMEDIATE): always active here
        return finish(kDrdy | kDsc);
    case 0xE5:  // CHECK POWER MODE: FFh, active or idle
        count_[0] = 0xFF;
        return finish(kDrdy | kDsc);
    case 0x08: case 0xA0: case 0xA1:  // DEVICE RESET, PACKET, IDENTIFY PACKET DEVICE: ATAPI only
        set_signature();  // an ATA device keeps showing its signature so the host can tell
        return abort_command();
    default:
        if (cmd >= 0x10 && cmd <= 0x1F) return finish(kDrdy | kDsc);  // RECALIBRATE (obsolete)
        log_.unimplemented(name_, "command", cmd);
        return abort_command();
    }
}

std::array<uint16_t, 256> AtaChannel::identify(unsigned unit) const {
    // Word numbers from ATA-6 section 8.15.8 (IDENTIFY DEVICE), Table 27.
    const Drive& d = drives_[unit & 1];
    std::array<uint16_t, 256> w{};
    const uint64_t total = d.disk ? d.disk->sectors() : 0;
    w[0] = 0x0040;  // fixed (non-removable) ATA device
    w[1] = d.default_cyls;
    w[3] = d.default_heads;
    w[6] = d.default_spt;
    char serial[21];
    std::snprintf(serial, sizeof serial, "XLAT%08u", 1000 + index_ * 2 + (unit & 1));
    put_string(w, 10, 10, serial);
    put_string(w, 23, 4, "0.1");
    put_string(w, 27, 20, "XLAT HARDDISK");
    w[47] = 0x8000 | kMaxMultiple;  // READ/WRITE MULTIPLE: up to 16 sectors per block
    w[49] = 0x0200;                 // LBA supported; no DMA
    w[50] = 0x4000;
    w[51] = 0x0200;                 // PIO mode 2 timing (obsolete field)
    w[53] = 0x0003;                 // words 54-58 and 64-70 are valid
    const uint32_t cur_cyls = uint32_t(std::min<uint64_t>(total / (uint64_t(d.heads) * std::max<uint16_t>(d.spt, 1)), 16383));
    w[54] = uint16_t(cur_cyls);
    w[55] = d.heads;
    w[56] = d.spt;
    const uint32_t cur_capacity = cur_cyls * d.heads * d.spt;
    w[57] = uint16_t(cur_capacity);
    w[58] = uint16_t(cur_capacity >> 16);
    w[59] = uint16_t(d.multiple ? 0x0100 | d.multiple : 0);
    const uint32_t lba28 = uint32_t(std::min<uint64_t>(total, 0x0FFFFFFF));
    w[60] = uint16_t(lba28);
    w[61] = uint16_t(lba28 >> 16);
    w[64] = 0x0003;  // PIO modes 3 and 4
    w[65] = w[66] = w[67] = w[68] = 120;  // cycle times, ns
    w[80] = 0x007E;  // ATA-1 to ATA-6
    w[82] = 0x4000 | 0x0020 | 0x0040;  // NOP (always aborts), write cache, look-ahead
    w[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400;  // FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses
    w[84] = 0x4000;
    w[85] = uint16_t(0x4000 | (d.write_cache ? 0x0020 : 0) | 0x0040);
    w[86] = 0x2000 | 0x1000 | 0x0400;
    w[87] = 0x4000;
    for (unsigned i = 0; i < 4; ++i) w[100 + i] = uint16_t(total >> (16 * i));
    // Integrity word: signature A5h, and a checksum that makes all 512 bytes sum to 0 (8.15.8.59).
    w[255] = 0x00A5;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 256; ++i) sum = uint8_t(sum + (w[i] & 0xFF) + (i < 255 ? w[i] >> 8 : 0));
    w[255] = uint16_t(uint8_t(-sum) << 8 | 0xA5);
    return w;
}

void AtaChannel::pio_in(const uint8_t* data, uint32_t len) {
    std::copy(data, data + len, buf_.begin());
    buf_pos_ = 0;
    buf_len_ = len;
    xfer_ = Xfer::PioIn;
    cur().status = kDrdy | kDsc | kDrq;
    raise_irq();
}

void AtaChannel::start_read(uint64_t lba, uint32_t count, uint32_t block) {
    xfer_lba_ = lba;
    xfer_left_ = count;
    xfer_block_ = block;
    next_read_block();
}

void AtaChannel::next_read_block() {
    // PIO data-in: each DRQ block is announced by an interrupt (ATA-6 section 9.5).
    const uint32_t n = std::min(xfer_left_, xfer_block_);
    if (!cur().disk->read(xfer_lba_, buf_.data(), n)) return io_error(kUnc);
    xfer_lba_ += n;
    xfer_left_ -= n;
    buf_pos_ = 0;
    buf_len_ = n * BlockDevice::kSectorSize;
    xfer_ = Xfer::ReadSectors;
    cur().status = kDrdy | kDsc | kDrq;
    raise_irq();
}

void AtaChannel::start_write(uint64_t lba, uint32_t count, uint32_t block) {
    // PIO data-out: the first block is asked for without an interrupt (ATA-6 section 9.6).
    xfer_lba_ = lba;
    xfer_left_ = count;
    xfer_block_ = block;
    block_sectors_ = std::min(count, block);
    buf_pos_ = 0;
    buf_len_ = block_sectors_ * BlockDevice::kSectorSize;
    xfer_ = Xfer::WriteSectors;
    cur().status = kDrdy | kDsc | kDrq;
}

uint16_t AtaChannel::data_read() {
    if (xfer_ != Xfer::PioIn && xfer_ != Xfer::ReadSectors) return 0xFFFF;
    const uint16_t w = uint16_t(buf_[buf_pos_] | buf_[buf_pos_ + 1] << 8);
    buf_pos_ += 2;
    if (buf_pos_ >= buf_len_) {
        if (xfer_ == Xfer::ReadSectors && xfer_left_) {
            next_read_block();
        } else {
            xfer_ = Xfer::None;
            cur().status = kDrdy | kDsc;  // no interrupt after the last block of a read
        }
    }
    return w;
}

void AtaChannel::data_write(uint16_t w) {
    if (xfer_ != Xfer::WriteSectors) return;
    buf_[buf_pos_] = uint8_t(w);
    buf_[buf_pos_ + 1] = uint8_t(w >> 8);
    buf_pos_ += 2;
    if (buf_pos_ < buf_len_) return;
    if (!cur().disk->write(xfer_lba_, buf_.data(), block_sectors_)) return io_error(kUnc);
    xfer_lba_ += block_sectors_;
    xfer_left_ -= block_sectors_;
    if (!xfer_left_) return finish(kDrdy | kDsc);  // the completion interrupt
    block_sectors_ = std::min(xfer_left_, xfer_block_);
    buf_pos_ = 0;
    buf_len_ = block_sectors_ * BlockDevice::kSectorSize;
    cur().status = kDrdy | kDsc | kDrq;
    raise_irq();
}

} // namespace xlat
