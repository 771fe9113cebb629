// The DMA side of AtaChannel (devices/ata.h): READ/WRITE DMA (EXT) of a disk and the data-in of
// a packet command sent with the DMA bit, moved through the channel's bus master (ATA-6: those
// commands in clause 8, the DMA protocol and the PACKET protocol in clause 9), and the transfer
// modes of SET FEATURES and IDENTIFY.
#include <algorithm>

#include "devices/ata.h"

namespace xlat {

namespace {

// The bytes moved per step: the channel's buffer, 128 sectors (a packet reply: 64 KiB).
constexpr uint32_t kDmaChunk = 0x10000;

} // namespace

bool AtaChannel::set_transfer_mode(Drive& d, uint8_t mode) {
    // SET FEATURES 03h, set transfer mode (ATA-6, SET FEATURES): the sector count holds it.
    // 00h/01h PIO default, 08h-0Ch PIO flow control modes 0-4: the PIO mode has no IDENTIFY
    // word to show and changes nothing here. 20h-22h multiword DMA 0-2, 40h-45h Ultra DMA 0-5:
    // the DMA mode IDENTIFY reports as selected (one of them at a time).
    if (mode <= 0x01 || (mode >= 0x08 && mode <= 0x0C)) return true;
    if (!valid_dma_mode(mode)) return false;
    d.dma_mode = mode;
    return true;
}

void AtaChannel::set_dma_words(std::array<uint16_t, 256>& w, uint8_t dma_mode) {
    // Word 63: multiword DMA modes 0-2 supported (bits 2:0) and the one selected (bits 10:8);
    // word 88: Ultra DMA modes 0-5 supported (bits 5:0) and the one selected (bits 13:8)
    // (ATA-6 8.15.8, words 63 and 88). The bus master decides what is used: the PIIX3 does
    // multiword DMA only, and a host driver for it picks mode 2.
    w[63] = 0x0007;
    w[88] = 0x003F;
    if (dma_mode >= 0x20 && dma_mode <= 0x22) w[63] = uint16_t(w[63] | 0x0100 << (dma_mode & 7));
    if (dma_mode >= 0x40 && dma_mode <= 0x45) w[88] = uint16_t(w[88] | 0x0100 << (dma_mode & 7));
}

void AtaChannel::start_dma(Xfer kind, uint64_t lba, uint32_t count) {
    // The device asks for DMA (DMARQ) with BSY and DRQ set and waits until the bus master
    // answers: at once when it is already started, else when software starts it (dma_ready).
    xfer_ = kind;
    xfer_lba_ = lba;
    xfer_left_ = count;
    block_sectors_ = 0;
    buf_pos_ = buf_len_ = 0;
    cur().status = cur().cd ? uint8_t(kBsy | kDrdy | kDrq) : uint8_t(kBsy | kDrdy | kDsc | kDrq);
    run_dma();
}

void AtaChannel::dma_ready() {
    if (dma_pending()) run_dma();
}

void AtaChannel::run_dma() {
    if (!bm_) return;
    const bool to_memory = xfer_ != Xfer::DmaOut;
    while (dma_pending()) {
        if (buf_pos_ == buf_len_ && !next_dma_chunk()) return;  // finished, or failed
        buf_pos_ += bm_->transfer(buf_.data() + buf_pos_, buf_len_ - buf_pos_, to_memory);
        // The bus master stopped short (not started, its table used up, an error): the drive
        // keeps the rest and waits, as it would with DMARQ unanswered.
        if (buf_pos_ < buf_len_) return;
        if (xfer_ == Xfer::DmaOut) {
            if (!cur().disk->write(xfer_lba_, buf_.data(), block_sectors_)) return io_error(kUnc);
            xfer_lba_ += block_sectors_;
        }
    }
}

bool AtaChannel::next_dma_chunk() {
    // Fills buf_ with the next bytes to move (a read: from the medium; a write: room for them),
    // or ends the command when nothing is left: the completion interrupt, or the status phase
    // of a packet command.
    buf_pos_ = 0;
    buf_len_ = 0;
    if (xfer_ == Xfer::PacketDma) {
        const uint64_t left = reply_bytes() - reply_pos_;
        if (!left) {
            packet_done(true);
            return false;
        }
        const uint32_t n = uint32_t(std::min<uint64_t>(left, kDmaChunk));
        if (reply_read_blocks_) {
            if (!cur().cd->read_medium(reply_read_lba_ * AtapiCdrom::kBlockSize + reply_pos_, buf_.data(), n)) {
                packet_done(false);
                return false;
            }
        } else {
            std::copy(reply_data_ + reply_pos_, reply_data_ + reply_pos_ + n, buf_.begin());
        }
        reply_pos_ += n;
        buf_len_ = n;
        return true;
    }
    if (!xfer_left_) {
        finish(kDrdy | kDsc);
        return false;
    }
    const uint32_t n = std::min(xfer_left_, kDmaChunk / BlockDevice::kSectorSize);
    if (xfer_ == Xfer::DmaIn) {
        if (!cur().disk->read(xfer_lba_, buf_.data(), n)) {
            io_error(kUnc);
            return false;
        }
        xfer_lba_ += n;
    }
    block_sectors_ = n;  // a write: the sectors this chunk holds, written when it is full
    xfer_left_ -= n;
    buf_len_ = n * BlockDevice::kSectorSize;
    return true;
}

} // namespace xlat
