// An ATA channel with up to two hard disks (master and slave), PIO only, as the legacy IDE ports
// of the PIIX3 expose it (ATA/ATAPI-6, T13/1410D, sections 7 and 8; register layout in 7.1):
//   primary   0x1F0-0x1F7 command block, 0x3F6 control block, IRQ 14
//   secondary 0x170-0x177 command block, 0x376 control block, IRQ 15
// Command block: +0 data (16-bit; a 32-bit access moves two words), +1 error / features,
// +2 sector count, +3 LBA low (sector), +4 LBA mid (cylinder low), +5 LBA high (cylinder high),
// +6 device (bit 4 selects the slave, bit 6 LBA addressing), +7 status / command.
// Control block: alternate status (read) / device control (write: nIEN bit 1, SRST bit 2, HOB bit 7).
// The 48-bit commands see each of features, count and LBA as a two-byte FIFO: the previous byte
// written is the high-order one, read back with HOB set.
// Commands complete at once (no BSY time): the data is ready as soon as the command is written.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "devices/block/block.h"
#include "devices/devlog.h"
#include "devices/port_device.h"
#include "memory/irq.h"

namespace xlat {

class AtaChannel : public PortDevice {
public:
    // Status register (7.15) and error register (7.9) bits.
    enum : uint8_t { kBsy = 0x80, kDrdy = 0x40, kDf = 0x20, kDsc = 0x10, kDrq = 0x08, kErr = 0x01 };
    enum : uint8_t { kAbrt = 0x04, kIdnf = 0x10, kUnc = 0x40 };
    enum : uint8_t { kNien = 0x02, kSrst = 0x04, kHob = 0x80 };
    static constexpr unsigned kMaxMultiple = 16;  // sectors per DRQ block in READ/WRITE MULTIPLE

    // cmd_base: 0x1F0 or 0x170; ctl_port: 0x3F6 or 0x376. `index` (0 or 1) only makes the serial
    // numbers differ.
    AtaChannel(const char* name, uint16_t cmd_base, uint16_t ctl_port, unsigned index, const Tracer* tracer = nullptr);
    const char* name() const override { return name_; }
    void reset() override;  // power-on: both devices as after a hardware reset
    uint32_t io_read(uint16_t port, unsigned size) override;
    void io_write(uint16_t port, unsigned size, uint32_t value) override;

    // Attaches (or with null detaches) the disk of unit 0 (master) or 1 (slave).
    void attach(unsigned unit, BlockDevice* disk);
    uint16_t cmd_base() const { return cmd_base_; }
    uint16_t ctl_port() const { return ctl_port_; }
    // The 512-byte IDENTIFY DEVICE data of a unit (words little-endian).
    std::array<uint16_t, 256> identify(unsigned unit) const;

    IrqLine irq;  // INTRQ: IRQ 14 or 15

private:
    struct Drive {
        BlockDevice* disk = nullptr;
        // State.
        uint8_t status = 0, error = 0;
        uint8_t multiple = 0;                 // sectors per block for READ/WRITE MULTIPLE (0: disabled)
        uint16_t heads = 16, spt = 63;        // current logical geometry (INITIALIZE DEVICE PARAMETERS)
        bool write_cache = true;
        // Derived from the disk.
        uint16_t default_cyls = 0, default_heads = 16, default_spt = 63;
    };
    Drive& cur() { return drives_[(device_ >> 4) & 1]; }
    bool present(unsigned unit) const { return drives_[unit].disk != nullptr; }
    void soft_reset();
    void set_signature();
    void execute(uint8_t cmd);
    void abort_command();
    void finish(uint8_t status);  // ends a command: status, interrupt
    void raise_irq();
    void update_irq();
    // Transfers.
    bool address(bool lba48, uint64_t& lba, uint32_t& count);
    void start_read(uint64_t lba, uint32_t count, uint32_t block);
    void start_write(uint64_t lba, uint32_t count, uint32_t block);
    void next_read_block();
    void pio_in(const uint8_t* data, uint32_t len);
    uint16_t data_read();
    void data_write(uint16_t w);
    void io_error(uint8_t err);

    const char* name_;
    uint16_t cmd_base_, ctl_port_;
    unsigned index_;
    OnceLog log_;
    std::array<Drive, 2> drives_{};
    // State: the task file (shared by both devices, as the writes reach both), control, the transfer.
    uint8_t feature_[2] = {}, count_[2] = {}, lba_low_[2] = {}, lba_mid_[2] = {}, lba_high_[2] = {};  // [0] current, [1] previous (HOB)
    uint8_t device_ = 0xA0;
    uint8_t control_ = 0;
    bool irq_pending_ = false;
    enum class Xfer : uint8_t { None, PioIn, ReadSectors, WriteSectors } xfer_ = Xfer::None;
    uint64_t xfer_lba_ = 0;        // next sector to read or write
    uint32_t xfer_left_ = 0;       // sectors still to move after the current block
    uint32_t xfer_block_ = 1;      // sectors per DRQ block
    uint32_t block_sectors_ = 0;   // sectors in the current block
    std::vector<uint8_t> buf_;     // the current DRQ block
    uint32_t buf_pos_ = 0, buf_len_ = 0;
};

} // namespace xlat
