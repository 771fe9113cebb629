// QEMU's firmware configuration interface (fw_cfg, QEMU docs/specs/fw_cfg.rst), on the x86 ports:
//   0x510       selector (16-bit write): picks an item and rewinds its data offset
//   0x511       data (8-bit reads): the next byte of the item, 0 past its end; writes ignored
//   0x514-0x51B DMA address, big-endian 64-bit: a 32-bit write at 0x514 sets the high half, one at
//               0x518 the low half and starts the transfer; reads give the signature "QEMU CFG"
// Items are byte strings under 16-bit keys; keys from 0x20 are files, listed by name in the file
// directory (key 0x19). A DMA transfer reads its control structure from guest RAM:
//   be32 control (bit 0 error, 1 read, 2 skip, 3 select with the key in bits 31:16, 4 write),
//   be32 length, be64 address
// and writes the control word back as 0 (done) or with the error bit. All guest memory is reached
// through the DmaTarget.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "devices/devlog.h"
#include "memory/dma.h"
#include "devices/port_device.h"

namespace xlat {

class FwCfg : public PortDevice {
public:
    // Well-known keys (QEMU's fw_cfg_keys.h numbering, which SeaBIOS uses).
    enum Key : uint16_t {
        kSignature = 0x00, kId = 0x01, kUuid = 0x02, kRamSize = 0x03, kNoGraphic = 0x04, kNbCpus = 0x05,
        kBootDevice = 0x0C, kBootMenu = 0x0E, kMaxCpus = 0x0F, kFileDir = 0x19, kFileFirst = 0x20,
        kIrq0Override = 0x8002,
    };
    enum : uint32_t { kDmaError = 1, kDmaRead = 2, kDmaSkip = 4, kDmaSelect = 8, kDmaWrite = 16 };
    static constexpr uint16_t kSelectorPort = 0x510, kDataPort = 0x511, kDmaPort = 0x514;
    static constexpr size_t kMaxFileName = 56;

    explicit FwCfg(DmaTarget& dma, const Tracer* tracer = nullptr);
    const char* name() const override { return "fw_cfg"; }
    void reset() override;
    uint32_t io_read(uint16_t port, unsigned size) override;
    void io_write(uint16_t port, unsigned size, uint32_t value) override;
    // The guest-visible state is the selection and the position in it; the items are the
    // machine's configuration, built again from the options.
    uint32_t state_version() const override { return 1; }
    void describe_state(StateList& out) override {
        out.u16("selector", selector_).u32("offset", offset_).u32("dma_high", dma_high_);
    }

    // Items (set up by the machine before the guest runs; they survive resets).
    void set_item(uint16_t key, std::vector<uint8_t> data, bool writable = false);
    void set_u16(uint16_t key, uint16_t v);
    void set_u32(uint16_t key, uint32_t v);
    void set_u64(uint16_t key, uint64_t v);
    // Adds (or replaces) a named file; returns its key. Throws on a name too long for the directory.
    uint16_t add_file(const std::string& name, std::vector<uint8_t> data, bool writable = false);
    const std::vector<uint8_t>* item(uint16_t key) const;
    const std::vector<uint8_t>* file(const std::string& name) const;

private:
    struct Item {
        std::vector<uint8_t> data;
        bool writable = false;
    };
    void select(uint16_t selector);
    void rebuild_directory();
    void dma_transfer(uint64_t addr);
    Item* current();

    DmaTarget& dma_;
    OnceLog log_;
    std::map<uint16_t, Item> items_;                 // configuration, not guest-visible state
    std::map<std::string, uint16_t> files_;          // file name -> key (sorted: the directory order)
    // State.
    uint16_t selector_ = 0;
    uint32_t offset_ = 0;       // data offset in the selected item
    uint32_t dma_high_ = 0;     // high half of the DMA address, as last written
};

// The items a PC's firmware reads: signature, ID, RAM size, CPU counts, the e820 map of RAM,
// the boot-failure wait and, when given, the boot order.
struct FwCfgPcSetup {
    uint64_t ram_bytes = 0;
    uint16_t cpus = 1;
    int32_t boot_fail_wait_ms = -1;        // SeaBIOS "etc/boot-fail-wait": -1 waits forever
    std::vector<std::string> bootorder;    // OpenFirmware device paths, most preferred first
};
void fw_cfg_pc_items(FwCfg& fw, const FwCfgPcSetup& setup);
// The e820 table of a machine with `ram_bytes` of RAM below 4 GiB: 20-byte entries
// (le64 base, le64 length, le32 type; type 1 is RAM).
std::vector<uint8_t> e820_table(uint64_t ram_bytes);

} // namespace xlat
