// One channel of a bus-master IDE controller (SFF-8038i, "Programming Interface for Bus Master IDE
// Controller", rev 1.0; as the PIIX3 implements it: the BMICx, BMISx and BMIDTPx registers of
// the 82371SB datasheet, order 290550, which the PIIX4's (82371AB, order 290562, section 5.2)
// repeat). Eight bytes of I/O per channel at BMIBA (primary +0, secondary +8), any access size:
//   +0 BMICx  command: bit 0 start/stop, bit 3 read/write control (1: the bus master writes
//             memory, i.e. the device is read)
//   +2 BMISx  status: bit 0 active (RO), bit 1 error and bit 2 interrupt (write 1 to clear),
//             bits 5/6 drive 0/1 DMA capable (R/W, for software's own use), bit 7 simplex (RO 0)
//   +4 BMIDTPx the PRD table's physical address, dword aligned (bits 1:0 read 0)
// A PRD (physical region descriptor) is two dwords: the region's address (bit 0 is 0) and its
// byte count in bits 15:1 (0 means 64 KiB), bit 31 EOT on the last entry of the table. A region
// must not cross a 64 KiB boundary (SFF-8038i's PRD rules, which the PIIX3 and PIIX4 datasheets
// repeat); what the chip does with one that does is not documented (its address counter may
// wrap within the 64 KiB), and drivers split their regions there (Linux's ata_bmdma_fill_sg).
// QEMU and Bochs move such a region straight on across the boundary; so does this model, and
// it logs the first one (a guest that relies on either behaviour is broken on hardware).
// Starting the bus master (start 0 -> 1) sets active and begins at the table's first entry;
// the channel's DMA command then moves its bytes through transfer(). Active clears when the
// region with EOT is used up, when software stops the bus master, or on an error. The
// interrupt bit latches each rise of the channel's INTRQ. Errors (a descriptor or a region that
// is not guest RAM: a master abort on PCI) set error and clear active without an interrupt;
// a table shorter than the transfer clears active with neither bit, and the drive goes on
// waiting for the rest (both as the datasheet's Interrupt/Active table says; the driver times
// out and resets the drive).
#pragma once
#include <cstdint>
#include <functional>

#include "devices/ata.h"
#include "devices/devlog.h"
#include "memory/device.h"
#include "memory/dma.h"

namespace xlat {

class IdeBusMaster : public AtaBusMaster {
public:
    enum : uint8_t { kStart = 0x01, kToMemory = 0x08 };
    enum : uint8_t { kActive = 0x01, kError = 0x02, kInterrupt = 0x04, kDrive0Dma = 0x20, kDrive1Dma = 0x40 };
    static constexpr uint32_t kEot = 0x80000000u;

    // dma: guest memory (null: every access fails as a master abort); may_master: whether the
    // PCI function may master the bus now (its command register's bus master enable).
    IdeBusMaster(const char* name, DmaTarget* dma, std::function<bool()> may_master, const Tracer* tracer = nullptr);
    // The channel whose DMA commands this bus master serves (it calls back through AtaBusMaster).
    void attach(AtaChannel* ch);
    void reset();
    // A byte of the channel's eight (reg 0-7).
    uint8_t read(unsigned reg) const;
    void write(unsigned reg, uint8_t value);
    // The PCI function's bus master enable went on: a transfer waiting for it goes on.
    void master_enabled();

    uint32_t transfer(uint8_t* data, uint32_t len, bool to_memory) override;
    void irq_raised() override { status_ |= kInterrupt; }

    uint8_t command() const { return cmd_; }
    uint8_t status() const { return status_; }
    uint32_t prd_table() const { return prdt_; }
    // The state list's fields, under `prefix` (the function lists both channels).
    void describe_state(StateList& out, const char* prefix);
    void post_load();

private:
    void fail();  // a master abort: error set, active cleared, the walk abandoned

    const char* name_;
    DmaTarget* dma_;
    std::function<bool()> may_master_;
    AtaChannel* ch_ = nullptr;
    OnceLog log_;
    // State: the registers, and the walk of the table (the datasheet's current base and count).
    uint8_t cmd_ = 0, status_ = 0;
    uint32_t prdt_ = 0;
    uint32_t next_prd_ = 0;             // the descriptor to fetch when the current region is used up
    uint32_t cur_addr_ = 0, cur_left_ = 0;  // the current region: next address, bytes left
    bool cur_eot_ = false;              // the current region is the table's last
};

} // namespace xlat
