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
// DMA commands (READ/WRITE DMA (EXT), and PACKET with the features register's DMA bit) move their
// data through the channel's bus master (AtaBusMaster: the PIIX3's, devices/ide_bmdma.h) as soon
// as it is started; until then, or when its PRD table runs out, the device waits with BSY and
// DRQ set, as a drive whose DMARQ goes unanswered.
// A unit may instead be an ATAPI CD-ROM (devices/atapi.h): it answers with the packet signature
// (LBA mid/high 14h/EBh), IDENTIFY PACKET DEVICE and the PACKET command (ATA-6 section 9.10, PIO
// data-in only). During a packet command the sector count register reads as the interrupt reason
// (bit 0 CoD, bit 1 IO) and LBA mid/high hold the byte count of the current DRQ block.
// The task file is one copy shared by both units, so after a reset it shows the signature of the
// unit that is selected (the master); a real channel keeps one per device.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "devices/atapi.h"
#include "devices/block/block.h"
#include "devices/block/geometry.h"
#include "devices/devlog.h"
#include "devices/port_device.h"
#include "memory/irq.h"

namespace xlat {

// The bus master a channel's DMA commands move their data through (SFF-8038i: the PIIX3 IDE
// function's, one per channel). The channel offers data, the bus master walks its PRD table.
class AtaBusMaster {
public:
    virtual ~AtaBusMaster() = default;
    // Moves up to `len` bytes between `data` and guest memory: to memory for a command that
    // reads from the device. Returns how many it moved; fewer when the bus master is not
    // running, its PRD table ended or it met an error (its own status register says which).
    virtual uint32_t transfer(uint8_t* data, uint32_t len, bool to_memory) = 0;
    // The channel's INTRQ rose (the bus master's status latches it).
    virtual void irq_raised() = 0;
};

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
    // The guest-visible state: the task file, each unit's status and settings, and a transfer
    // in progress with its DRQ block. Which images are attached is configuration.
    uint32_t state_version() const override { return 2; }
    void describe_state(StateList& out) override;
    void post_load() override;  // checks the loaded positions against the buffers, sets INTRQ

    // The bus master of this channel (null: none, DMA commands abort as on a PIO-only board).
    void set_bus_master(AtaBusMaster* bm) { bm_ = bm; }
    // The bus master was started: a DMA command waiting for it moves its data now.
    void dma_ready();
    // Whether a DMA command waits for (or is moving data through) the bus master.
    bool dma_pending() const { return xfer_ == Xfer::DmaIn || xfer_ == Xfer::DmaOut || xfer_ == Xfer::PacketDma; }

    // Attaches (or with null detaches) the disk of unit 0 (master) or 1 (slave); with `cdrom`
    // the unit is an ATAPI CD-ROM drive reading the image as 2048-byte blocks.
    void attach(unsigned unit, BlockDevice* disk, bool cdrom = false);
    bool is_cdrom(unsigned unit) const { return drives_[unit & 1].cd != nullptr; }
    // The BIOS translation the unit's hard disk wants (None without a hard disk); the board
    // puts it in CMOS 39h for the firmware.
    ChsTranslation bios_translation(unsigned unit) const { return drives_[unit & 1].translation; }
    const AtapiCdrom* cdrom(unsigned unit) const { return drives_[unit & 1].cd.get(); }
    uint16_t cmd_base() const { return cmd_base_; }
    uint16_t ctl_port() const { return ctl_port_; }
    // The 512-byte IDENTIFY DEVICE data of a unit (words little-endian).
    std::array<uint16_t, 256> identify(unsigned unit) const;
    // The IDENTIFY PACKET DEVICE data of a CD-ROM unit.
    std::array<uint16_t, 256> identify_packet(unsigned unit) const;
    // Interrupt reason bits (ATA-6 section 9.10, the sector count register of a packet device).
    enum : uint8_t { kCoD = 0x01, kIo = 0x02 };

    IrqLine irq;  // INTRQ: IRQ 14 or 15

private:
    // What the data port or the bus master moves now. DMA transfers: DmaIn (a disk read, to
    // memory), DmaOut (a disk write), PacketDma (a packet command's data-in); buf_ holds the
    // chunk being moved, buf_pos_ how much of it has moved.
    enum class Xfer : uint8_t { None, PioIn, ReadSectors, WriteSectors, PacketCmd, PacketIn, DmaIn, DmaOut, PacketDma };
    struct Drive {
        BlockDevice* disk = nullptr;
        std::unique_ptr<AtapiCdrom> cd;       // set: the unit is an ATAPI CD-ROM drive on `disk`
        AtapiCdrom::State spare_cd_state;     // the state list's CD fields when the unit is no CD-ROM
        // State.
        uint8_t status = 0, error = 0;
        uint8_t multiple = 0;                 // sectors per block for READ/WRITE MULTIPLE (0: disabled)
        uint16_t heads = 16, spt = 63;        // current logical geometry (INITIALIZE DEVICE PARAMETERS)
        bool write_cache = true;
        // The transfer modes SET FEATURES selected (ATA-6 8.37.11): the PIO mode (0-4) and the
        // DMA mode, 20h-22h multiword DMA 0-2, 40h-45h Ultra DMA 0-5, 0 none.
        uint8_t pio_mode = 0, dma_mode = 0;
        // Derived from the disk.
        uint16_t default_cyls = 0, default_heads = 16, default_spt = 63;
        ChsTranslation translation = ChsTranslation::None;  // what the BIOS should apply (CMOS 39h)
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
    // ATAPI.
    void execute_atapi(uint8_t cmd);
    void run_packet();
    void next_packet_block();
    void packet_done(bool good);
    // DMA.
    void start_dma(Xfer kind, uint64_t lba, uint32_t count);
    void run_dma();
    bool next_dma_chunk();
    static bool valid_dma_mode(uint8_t m) { return m == 0 || (m >= 0x20 && m <= 0x22) || (m >= 0x40 && m <= 0x45); }
    static void set_dma_words(std::array<uint16_t, 256>& w, uint8_t dma_mode);
    static bool set_transfer_mode(Drive& d, uint8_t mode);

    const char* name_;
    uint16_t cmd_base_, ctl_port_;
    unsigned index_;
    const Tracer* tracer_;
    OnceLog log_;
    AtaBusMaster* bm_ = nullptr;
    std::array<Drive, 2> drives_{};
    // State: the task file (shared by both devices, as the writes reach both), control, the transfer.
    uint8_t feature_[2] = {}, count_[2] = {}, lba_low_[2] = {}, lba_mid_[2] = {}, lba_high_[2] = {};  // [0] current, [1] previous (HOB)
    uint8_t device_ = 0xA0;
    uint8_t control_ = 0;
    bool irq_pending_ = false;
    bool loading_ = false;  // post_load is setting INTRQ from a loaded state
    Xfer xfer_ = Xfer::None;
    uint64_t xfer_lba_ = 0;        // next sector to read or write
    uint32_t xfer_left_ = 0;       // sectors still to move after the current block
    uint32_t xfer_block_ = 1;      // sectors per DRQ block
    uint32_t block_sectors_ = 0;   // sectors in the current block
    std::vector<uint8_t> buf_;     // the current DRQ block
    uint32_t buf_pos_ = 0, buf_len_ = 0;
    // A packet command: its 12 bytes as they arrive, then the reply it is sending: blocks of the
    // medium, or bytes the command made (at most kMaxReply: the largest, MODE SENSE of all
    // pages, is 42).
    static constexpr uint32_t kMaxReply = 256;
    uint64_t reply_bytes() const {
        return reply_read_blocks_ ? uint64_t(reply_read_blocks_) * AtapiCdrom::kBlockSize : reply_len_;
    }
    uint8_t packet_[12] = {};
    bool packet_dma_ = false;      // the PACKET command asked for DMA (features bit 0)
    uint64_t reply_read_lba_ = 0;
    uint32_t reply_read_blocks_ = 0;
    uint8_t reply_data_[kMaxReply] = {};
    uint32_t reply_len_ = 0;
    uint64_t reply_pos_ = 0;       // bytes of the reply sent
    uint32_t byte_limit_ = 0;      // the host's byte count limit per DRQ block
};

} // namespace xlat
