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
    : name_(name), cmd_base_(cmd_base), ctl_port_(ctl_port), index_(index), tracer_(tracer), log_(tracer),
      buf_(0x10000 + 2) {  // the largest DRQ block: 64 KiB of a packet reply (16 sectors for ATA)
    reset();
}

void AtaChannel::attach(unsigned unit, BlockDevice* disk, bool cdrom) {
    Drive& d = drives_[unit & 1];
    d.disk = disk;
    d.cd.reset();
    if (disk && cdrom) d.cd = std::make_unique<AtapiCdrom>(disk, name_, tracer_);
    d.translation = ChsTranslation::None;
    if (disk && !cdrom) {
        // The default CHS geometry: the one the image's partition table was written for when it
        // fits an ATA drive, else 16 heads of 63 sectors (devices/block/geometry.h).
        const DiskGeometry g = guess_geometry(*disk);
        d.default_cyls = g.cylinders;
        d.default_heads = g.heads;
        d.default_spt = g.sectors;
        d.translation = g.translation;
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
        d.dma_mode = 0;
        if (d.cd) d.cd->reset();
    }
    soft_reset();
}

void AtaChannel::soft_reset() {
    // After a reset each device shows its signature and the diagnostic code 01h (passed), ready,
    // with no interrupt pending (ATA-6 section 9.2).
    // A packet device shows status 00h: DRDY stays clear until a command (ATA-6 section 9.1).
    for (Drive& d : drives_) {
        d.status = d.disk && !d.cd ? uint8_t(kDrdy | kDsc) : 0;
        d.error = 0x01;
    }
    device_ = 0xA0;
    set_signature();  // the master's, as it is selected now
    xfer_ = Xfer::None;
    buf_pos_ = buf_len_ = 0;
    irq_pending_ = false;
    update_irq();
}

void AtaChannel::set_signature() {
    // ATA-6 section 9.12: 01h/01h in count and LBA low; LBA mid/high 00h/00h for an ATA device,
    // 14h/EBh for a packet device.
    const bool packet = cur().cd != nullptr;
    count_[0] = 1;
    lba_low_[0] = 1;
    lba_mid_[0] = packet ? 0x14 : 0;
    lba_high_[0] = packet ? 0xEB : 0;
}

void AtaChannel::update_irq() {
    const bool was = irq.level();
    irq.set(irq_pending_ && !(control_ & kNien));
    // The bus master's interrupt bit latches each rise of INTRQ (BMISx bit 2).
    if (irq.level() && !was && bm_ && !loading_) bm_->irq_raised();
}

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
        if (tracer_ && tracer_->on(kTraceAta))
            tracer_->log(kTraceAta, "%s.%u: command %02x features %02x count %02x lba %02x %02x %02x device %02x%s",
                         name_, (device_ >> 4) & 1, v, feature_[0], count_[0], lba_low_[0], lba_mid_[0], lba_high_[0],
                         device_, present((device_ >> 4) & 1) ? "" : " (no drive)");
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

void AtaChannel::describe_state(StateList& out) {
    for (unsigned u = 0; u < 2; ++u) {
        Drive& d = drives_[u];
        out.prefix(u ? "unit1." : "unit0.")
            .u8("status", d.status).u8("error", d.error).u8("multiple", d.multiple)
            .u16("heads", d.heads).u16("spt", d.spt).boolean("write_cache", d.write_cache).u8("dma_mode", d.dma_mode);
        // The same fields whether or not the unit is a CD-ROM, so that every channel's list
        // has one shape; a unit without one keeps them in spare_cd_state.
        AtapiCdrom::State& cd = d.cd ? d.cd->state() : d.spare_cd_state;
        out.u8("cd.sense_key", cd.sense_key).u16("cd.sense_asc", cd.sense_asc)
            .boolean("cd.prevent_removal", cd.prevent_removal).boolean("cd.media_event", cd.media_event);
    }
    static_assert(sizeof(Xfer) == 1, "the transfer kind is saved as one byte");
    out.prefix("")
        .bytes("feature", feature_, 2).bytes("count", count_, 2).bytes("lba_low", lba_low_, 2)
        .bytes("lba_mid", lba_mid_, 2).bytes("lba_high", lba_high_, 2)
        .u8("device", device_).u8("control", control_).boolean("irq_pending", irq_pending_)
        .u8("xfer", reinterpret_cast<uint8_t&>(xfer_))
        .u64("xfer_lba", xfer_lba_).u32("xfer_left", xfer_left_).u32("xfer_block", xfer_block_)
        .u32("block_sectors", block_sectors_)
        .bytes("buf", buf_.data(), uint32_t(buf_.size())).u32("buf_pos", buf_pos_).u32("buf_len", buf_len_)
        .bytes("packet", packet_, sizeof packet_)
        .u64("reply_read_lba", reply_read_lba_).u32("reply_read_blocks", reply_read_blocks_)
        .bytes("reply_data", reply_data_, kMaxReply).u32("reply_len", reply_len_).u64("reply_pos", reply_pos_)
        .u32("byte_limit", byte_limit_).boolean("packet_dma", packet_dma_);
}

void AtaChannel::post_load() {
    // A state image is input: positions that would reach outside the buffers, or a transfer
    // kind this version does not have, end the transfer instead of being trusted.
    const uint8_t kind = reinterpret_cast<const uint8_t&>(xfer_);
    const bool packet_cmd = xfer_ == Xfer::PacketCmd;
    const bool dma = dma_pending();
    const bool packet = xfer_ == Xfer::PacketCmd || xfer_ == Xfer::PacketIn || xfer_ == Xfer::PacketDma;
    const bool sectors = xfer_ == Xfer::ReadSectors || xfer_ == Xfer::WriteSectors || xfer_ == Xfer::DmaIn || xfer_ == Xfer::DmaOut;
    // The transfer must suit the unit it runs on (this machine's, not the saved one's) ...
    const Drive& unit = cur();
    const bool wrong_unit = (xfer_ != Xfer::None && !unit.disk) || (packet && !unit.cd) || (sectors && unit.cd);
    // ... and its positions the buffers; a DMA write's chunk is whole sectors of the buffer.
    const bool bad_dma = dma && (!bm_ || (xfer_ == Xfer::DmaOut && uint64_t(block_sectors_) * BlockDevice::kSectorSize != buf_len_));
    if (kind > uint8_t(Xfer::PacketDma) || wrong_unit || bad_dma || buf_len_ > buf_.size() - 2 ||
        buf_pos_ > (packet_cmd ? sizeof packet_ : buf_len_) || (buf_pos_ & 1) || reply_len_ > kMaxReply ||
        reply_pos_ > reply_bytes() || xfer_block_ == 0 || xfer_block_ > kMaxMultiple ||
        (!dma && block_sectors_ > kMaxMultiple)) {
        xfer_ = Xfer::None;
        buf_pos_ = buf_len_ = 0;
        reply_len_ = reply_read_blocks_ = 0;
        reply_pos_ = 0;
        xfer_block_ = 1;
        block_sectors_ = 0;
    }
    for (Drive& d : drives_) {
        if (d.heads == 0 || d.heads > 16) d.heads = d.default_heads;
        if (d.spt == 0) d.spt = d.default_spt;
        if (!valid_dma_mode(d.dma_mode)) d.dma_mode = 0;
        if (d.cd) d.cd->post_load();
    }
    // The bus master's interrupt bit is its own state, loaded with it: not latched again here.
    loading_ = true;
    update_irq();
    loading_ = false;
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
    if (d.cd) return execute_atapi(cmd);
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
    case 0xC8: case 0xC9:  // READ DMA (with and without retries)
    case 0x25:             // READ DMA EXT
    case 0xCA: case 0xCB:  // WRITE DMA
    case 0x35: {           // WRITE DMA EXT
        const bool ext = cmd == 0x25 || cmd == 0x35;
        const bool write = cmd == 0xCA || cmd == 0xCB || cmd == 0x35;
        if (!bm_) {  // a channel without a bus master: the drive could not move the data
            log_.unimplemented(name_, "DMA command without a bus master", cmd);
            return abort_command();
        }
        if (write && d.disk->read_only()) return abort_command();
        if (!address(ext, lba, count)) return io_error(kIdnf);
        return start_dma(write ? Xfer::DmaOut : Xfer::DmaIn, lba, count);
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
        case 0x03:  // transfer mode (the sector count's value)
            if (!set_transfer_mode(d, count_[0])) return abort_command();
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
    w[49] = 0x0300;                 // LBA and DMA supported
    w[50] = 0x4000;
    w[51] = 0x0200;                 // PIO mode 2 timing (obsolete field)
    w[53] = 0x0007;                 // words 54-58, 64-70 and 88 are valid
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
    set_dma_words(w, d.dma_mode);
    // Word 93, the hardware reset result (ATA-6 8.15.8): bit 14 set, bit 13 an 80-conductor
    // cable seen, and the unit's own byte: for device 0 bits 3 and 1 (diagnostics passed,
    // number by jumper) and bit 0, for device 1 bits 10:9 (by jumper) and bit 8.
    w[93] = uint16_t(0x6000 | ((unit & 1) ? 0x0300 : 0x000B));
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
    if (xfer_ != Xfer::PioIn && xfer_ != Xfer::ReadSectors && xfer_ != Xfer::PacketIn) return 0xFFFF;
    const uint16_t w = uint16_t(buf_[buf_pos_] | buf_[buf_pos_ + 1] << 8);
    buf_pos_ += 2;
    if (buf_pos_ >= buf_len_) {
        if (xfer_ == Xfer::PacketIn) {
            if (reply_pos_ < reply_bytes()) next_packet_block();
            else packet_done(true);
        } else if (xfer_ == Xfer::ReadSectors && xfer_left_) {
            next_read_block();
        } else {
            xfer_ = Xfer::None;
            cur().status = cur().cd ? kDrdy : kDrdy | kDsc;  // no interrupt after the last block of a read
        }
    }
    return w;
}

void AtaChannel::data_write(uint16_t w) {
    if (xfer_ == Xfer::PacketCmd) {
        packet_[buf_pos_] = uint8_t(w);
        packet_[buf_pos_ + 1] = uint8_t(w >> 8);
        buf_pos_ += 2;
        if (buf_pos_ >= sizeof packet_) run_packet();
        return;
    }
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

namespace xlat {

// ---- ATAPI: the ATA commands of a packet device and the PACKET protocol ----

void AtaChannel::execute_atapi(uint8_t cmd) {
    // A packet device takes the PACKET feature set's commands and a few general ones (ATA-6
    // section 6.4: the commands a packet device supports); the rest abort.
    Drive& d = cur();
    switch (cmd) {
    case 0xA1: {  // IDENTIFY PACKET DEVICE
        const std::array<uint16_t, 256> id = identify_packet((device_ >> 4) & 1);
        uint8_t bytes[512];
        for (unsigned i = 0; i < 256; ++i) {
            bytes[2 * i] = uint8_t(id[i]);
            bytes[2 * i + 1] = uint8_t(id[i] >> 8);
        }
        pio_in(bytes, sizeof bytes);
        d.status = kDrdy | kDrq;
        return;
    }
    case 0xA0:  // PACKET
        // Features bit 0 asks for the data by DMA (through the bus master; a channel without
        // one aborts it), bit 1 for overlap, which IDENTIFY PACKET DEVICE does not offer.
        if ((feature_[0] & 0x02) || ((feature_[0] & 0x01) && !bm_)) {
            log_.unimplemented(name_, "PACKET with overlap or without a bus master, features", feature_[0]);
            d.error = kAbrt;
            count_[0] = kIo | kCoD;
            return finish(kDrdy | kErr);
        }
        packet_dma_ = feature_[0] & 0x01;
        // The byte count limit (LBA mid/high); FFFFh means FFFEh, and 0 (which the host must not
        // send in PIO) is taken as the largest even count too.
        byte_limit_ = uint32_t(lba_high_[0]) << 8 | lba_mid_[0];
        if (byte_limit_ == 0 || byte_limit_ == 0xFFFF) byte_limit_ = 0xFFFE;
        // DRQ for the 12-byte command packet, without an interrupt (IDENTIFY word 0 bits 6:5 say
        // DRQ within 50 us): interrupt reason CoD=1, IO=0.
        count_[0] = kCoD;
        buf_pos_ = 0;
        xfer_ = Xfer::PacketCmd;
        d.status = kDrdy | kDrq;
        return;
    case 0x08:  // DEVICE RESET: the device's own reset, signature shown, no interrupt (8.8)
        d.cd->reset();
        set_signature();
        d.error = 0x01;
        d.status = 0;
        xfer_ = Xfer::None;
        return;
    case 0xEC:  // IDENTIFY DEVICE: aborts and shows the packet signature so the host can tell
        set_signature();
        d.error = kAbrt;
        return finish(kDrdy | kErr);
    case 0xEF:  // SET FEATURES: transfer modes
        if (feature_[0] == 0x03 && !set_transfer_mode(d, count_[0])) break;
        if (feature_[0] != 0x03 && feature_[0] != 0x66 && feature_[0] != 0xCC) {
            log_.unimplemented(name_, "SET FEATURES subcommand (ATAPI)", feature_[0]);
            break;
        }
        return finish(kDrdy);
    case 0xE5:  // CHECK POWER MODE
        count_[0] = 0xFF;
        return finish(kDrdy);
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0xE7:  // power modes, FLUSH CACHE
        return finish(kDrdy);
    default:
        log_.unimplemented(name_, "command (ATAPI)", cmd);
        break;
    }
    d.error = kAbrt;
    finish(kDrdy | kErr);
}

void AtaChannel::run_packet() {
    if (tracer_ && tracer_->on(kTraceAta))
        tracer_->log(kTraceAta, "%s.%u: packet %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x", name_,
                     (device_ >> 4) & 1, packet_[0], packet_[1], packet_[2], packet_[3], packet_[4], packet_[5],
                     packet_[6], packet_[7], packet_[8], packet_[9], packet_[10], packet_[11]);
    AtapiCdrom::Reply r = cur().cd->command(packet_);
    reply_pos_ = 0;
    reply_read_lba_ = r.read_lba;
    reply_read_blocks_ = r.read_blocks;
    reply_len_ = uint32_t(std::min<size_t>(r.data.size(), kMaxReply));
    std::copy(r.data.begin(), r.data.begin() + reply_len_, reply_data_);
    if (!r.good || reply_bytes() == 0) return packet_done(r.good);
    if (packet_dma_) {
        // Data-in by DMA: IO=1, CoD=0, BSY and DRQ while the bus master moves the reply.
        count_[0] = kIo;
        return start_dma(Xfer::PacketDma, 0, 0);
    }
    next_packet_block();
}

void AtaChannel::next_packet_block() {
    // One DRQ block of data-in (ATA-6 section 9.10, PIO data-in): at most the byte count limit;
    // a block that is not the last has an even length. LBA mid/high say its length, the
    // interrupt reason says data to the host (IO=1, CoD=0), and an interrupt announces it.
    const uint64_t left = reply_bytes() - reply_pos_;
    uint32_t n = uint32_t(std::min<uint64_t>(left, byte_limit_));
    if (n < left) n &= ~1u;
    if (reply_read_blocks_) {
        if (!cur().cd->read_medium(reply_read_lba_ * AtapiCdrom::kBlockSize + reply_pos_, buf_.data(), n))
            return packet_done(false);
    } else {
        std::copy(reply_data_ + reply_pos_, reply_data_ + reply_pos_ + n, buf_.begin());
    }
    buf_[n] = 0;  // the pad byte of an odd-length last block
    reply_pos_ += n;
    buf_pos_ = 0;
    buf_len_ = n;
    lba_mid_[0] = uint8_t(n);
    lba_high_[0] = uint8_t(n >> 8);
    count_[0] = kIo;
    xfer_ = Xfer::PacketIn;
    cur().status = kDrdy | kDrq;
    raise_irq();
}

void AtaChannel::packet_done(bool good) {
    // The status phase: IO=1, CoD=1, DRQ clear, and the completion interrupt. CHECK CONDITION
    // sets ERR with the sense key in the error register's top four bits (ATA-6 section 7.9).
    Drive& d = cur();
    count_[0] = kIo | kCoD;
    d.error = good ? 0 : uint8_t(d.cd->sense_key() << 4);
    finish(good ? kDrdy : kDrdy | kErr);
}

std::array<uint16_t, 256> AtaChannel::identify_packet(unsigned unit) const {
    // Word numbers from ATA-6 section 8.16 (IDENTIFY PACKET DEVICE), Table 30.
    std::array<uint16_t, 256> w{};
    // Word 0: ATAPI (10b), device type 05h (CD-ROM), removable, DRQ within 50 us after PACKET
    // (10b), 12-byte command packets (00b).
    w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
    char serial[21];
    std::snprintf(serial, sizeof serial, "XLATCD%06u", 1000 + index_ * 2 + (unit & 1));
    put_string(w, 10, 10, serial);
    put_string(w, 23, 4, "0.1");
    put_string(w, 27, 20, "XLAT CD-ROM");
    w[49] = 0x0300;  // LBA (shall be set) and DMA; no overlap
    w[51] = 0x0200;  // PIO mode 2 timing (obsolete field)
    w[53] = 0x0006;  // words 64-70 and 88 are valid
    w[64] = 0x0003;  // PIO modes 3 and 4
    w[65] = w[66] = w[67] = w[68] = 120;  // cycle times, ns
    w[80] = 0x0070;  // ATA/ATAPI-4 to -6
    w[82] = 0x4000 | 0x0200 | 0x0010;  // NOP, DEVICE RESET, PACKET feature set
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 0x0200 | 0x0010;
    w[87] = 0x4000;
    set_dma_words(w, drives_[unit & 1].dma_mode);
    w[255] = 0x00A5;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 256; ++i) sum = uint8_t(sum + (w[i] & 0xFF) + (i < 255 ? w[i] >> 8 : 0));
    w[255] = uint16_t(uint8_t(-sum) << 8 | 0xA5);
    return w;
}

} // namespace xlat
