#include "devices/ide_bmdma.h"

#include <algorithm>

namespace xlat {

IdeBusMaster::IdeBusMaster(const char* name, DmaTarget* dma, std::function<bool()> may_master, const Tracer* tracer)
    : name_(name), dma_(dma), may_master_(std::move(may_master)), log_(tracer) {}

void IdeBusMaster::attach(AtaChannel* ch) {
    if (ch_) ch_->set_bus_master(nullptr);
    ch_ = ch;
    if (ch_) ch_->set_bus_master(this);
}

void IdeBusMaster::reset() {
    cmd_ = status_ = 0;
    prdt_ = next_prd_ = cur_addr_ = cur_left_ = 0;
    cur_eot_ = false;
}

uint8_t IdeBusMaster::read(unsigned reg) const {
    switch (reg & 7) {
    case 0: return cmd_;
    case 2: return status_;
    case 4: case 5: case 6: case 7: return uint8_t(prdt_ >> (8 * (reg - 4)));
    default: return 0;  // reserved
    }
}

void IdeBusMaster::write(unsigned reg, uint8_t v) {
    switch (reg & 7) {
    case 0: {
        const bool was = cmd_ & kStart;
        // The read/write control must not change while active (BMICx bit 3); a write that does
        // is taken as it comes, as the direction is checked against each transfer anyway.
        cmd_ = uint8_t(v & (kStart | kToMemory));
        if ((cmd_ & kStart) && !was) {
            // Start: the first descriptor is fetched at the table pointer.
            status_ |= kActive;
            next_prd_ = prdt_;
            cur_left_ = 0;
            cur_eot_ = false;
            if (ch_) ch_->dma_ready();
        } else if (!(cmd_ & kStart) && was) {
            // Stop: whatever the table still held is abandoned; the drive, if it still wants
            // data, goes on waiting until software resets it.
            status_ &= uint8_t(~kActive);
            cur_left_ = 0;
        }
        return;
    }
    case 2:
        status_ = uint8_t((status_ & ~(kDrive0Dma | kDrive1Dma)) | (v & (kDrive0Dma | kDrive1Dma)));
        status_ &= uint8_t(~(v & (kError | kInterrupt)));
        return;
    case 4: case 5: case 6: case 7: {
        const unsigned shift = 8 * ((reg & 7) - 4);
        prdt_ = ((prdt_ & ~(0xFFu << shift)) | uint32_t(v) << shift) & ~3u;
        return;
    }
    default:
        return;  // reserved
    }
}

void IdeBusMaster::master_enabled() {
    if (ch_ && (status_ & kActive)) ch_->dma_ready();
}

void IdeBusMaster::fail() {
    status_ = uint8_t((status_ & ~kActive) | kError);
    cur_left_ = 0;
}

uint32_t IdeBusMaster::transfer(uint8_t* data, uint32_t len, bool to_memory) {
    if (!(status_ & kActive) || !may_master_()) return 0;
    if (to_memory != ((cmd_ & kToMemory) != 0)) {
        // The drive and the bus master disagree on the direction: nothing moves (on hardware
        // the bytes would be garbage); the drive waits and the driver's timeout resets it.
        log_.unimplemented(name_, "DMA command against the bus master's read/write control", cmd_);
        return 0;
    }
    uint32_t done = 0;
    while (done < len && (status_ & kActive)) {
        if (cur_left_ == 0) {
            uint32_t prd[2];
            if (!dma_ || !dma_->read(next_prd_, prd, sizeof prd)) {
                fail();
                break;
            }
            next_prd_ += 8;
            // Bit 0 of the address and of the count are reserved (SFF-8038i, the PRD format).
            cur_addr_ = prd[0] & ~1u;
            cur_left_ = prd[1] & 0xFFFE;
            if (cur_left_ == 0) cur_left_ = 0x10000;
            cur_eot_ = (prd[1] & kEot) != 0;
            if ((cur_addr_ & 0xFFFF) + cur_left_ > 0x10000)
                log_.undefined(name_, "a PRD region crosses a 64 KiB boundary; moved on linearly, as QEMU does", 0x10000, cur_addr_);
        }
        const uint32_t n = std::min(len - done, cur_left_);
        const bool ok = to_memory ? dma_->write(cur_addr_, data + done, n) : dma_->read(cur_addr_, data + done, n);
        if (!ok) {
            fail();
            break;
        }
        done += n;
        cur_addr_ += n;
        cur_left_ -= n;
        if (cur_left_ == 0 && cur_eot_) status_ &= uint8_t(~kActive);  // the table is used up
    }
    return done;
}

void IdeBusMaster::describe_state(StateList& out, const char* prefix) {
    out.prefix(prefix)
        .u8("command", cmd_).u8("status", status_).u32("prd_table", prdt_).u32("next_prd", next_prd_)
        .u32("cur_addr", cur_addr_).u32("cur_left", cur_left_).boolean("cur_eot", cur_eot_);
    out.prefix("");
}

void IdeBusMaster::post_load() {
    // Loaded values are input: keep the registers to their bits, a region to its 64 KiB.
    cmd_ &= kStart | kToMemory;
    status_ &= kActive | kError | kInterrupt | kDrive0Dma | kDrive1Dma;
    prdt_ &= ~3u;
    if (cur_left_ > 0x10000) cur_left_ = 0;
}

} // namespace xlat
