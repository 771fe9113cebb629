#include "devices/fw_cfg.h"

#include <algorithm>
#include <stdexcept>

namespace xlat {

namespace {

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
void put_be32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (24 - 8 * i));
}
void append_le(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

// What a read of the DMA address register gives: "QEMU CFG", most significant byte first.
constexpr char kDmaSignature[] = "QEMU CFG";

} // namespace

FwCfg::FwCfg(DmaTarget& dma, const Tracer* tracer) : dma_(dma), log_(tracer) {
    set_item(kSignature, {'Q', 'E', 'M', 'U'});
    set_u32(kId, 0x3);  // bit 0: the port interface, bit 1: DMA
    rebuild_directory();
}

void FwCfg::reset() {
    selector_ = 0;
    offset_ = 0;
    dma_high_ = 0;
}

void FwCfg::set_item(uint16_t key, std::vector<uint8_t> data, bool writable) {
    items_[uint16_t(key & ~0x4000)] = {std::move(data), writable};
}
void FwCfg::set_u16(uint16_t key, uint16_t v) {
    std::vector<uint8_t> d;
    append_le(d, v, 2);
    set_item(key, std::move(d));
}
void FwCfg::set_u32(uint16_t key, uint32_t v) {
    std::vector<uint8_t> d;
    append_le(d, v, 4);
    set_item(key, std::move(d));
}
void FwCfg::set_u64(uint16_t key, uint64_t v) {
    std::vector<uint8_t> d;
    append_le(d, v, 8);
    set_item(key, std::move(d));
}

uint16_t FwCfg::add_file(const std::string& name, std::vector<uint8_t> data, bool writable) {
    if (name.empty() || name.size() >= kMaxFileName) throw std::invalid_argument("fw_cfg file name '" + name + "' is too long");
    auto it = files_.find(name);
    const uint16_t key = it != files_.end() ? it->second : uint16_t(kFileFirst + files_.size());
    files_[name] = key;
    set_item(key, std::move(data), writable);
    rebuild_directory();
    return key;
}

const std::vector<uint8_t>* FwCfg::item(uint16_t key) const {
    auto it = items_.find(uint16_t(key & ~0x4000));
    return it == items_.end() ? nullptr : &it->second.data;
}

const std::vector<uint8_t>* FwCfg::file(const std::string& name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : item(it->second);
}

void FwCfg::rebuild_directory() {
    // be32 count, then per file: be32 size, be16 key, be16 reserved, 56 bytes of NUL-padded name.
    std::vector<uint8_t> dir(4 + 64 * files_.size(), 0);
    put_be32(dir.data(), uint32_t(files_.size()));
    size_t i = 0;
    for (const auto& [name, key] : files_) {
        uint8_t* e = dir.data() + 4 + 64 * i++;
        put_be32(e, uint32_t(items_[key].data.size()));
        e[4] = uint8_t(key >> 8);
        e[5] = uint8_t(key);
        std::copy(name.begin(), name.end(), e + 8);
    }
    items_[kFileDir] = {std::move(dir), false};
}

FwCfg::Item* FwCfg::current() {
    // Bit 14 of the selector only asked for the old write mode; the key is the rest.
    auto it = items_.find(uint16_t(selector_ & ~0x4000));
    return it == items_.end() ? nullptr : &it->second;
}

void FwCfg::select(uint16_t selector) {
    selector_ = selector;
    offset_ = 0;
    if (!current()) log_.unimplemented(name(), "item", selector);
}

uint32_t FwCfg::io_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned p = port + i;
        uint32_t b = 0;
        if (p == kDataPort) {
            // Each byte read moves the offset on; past the end the item reads as zeros.
            const Item* it = current();
            if (it && offset_ < it->data.size()) b = it->data[offset_++];
        } else if (p >= kDmaPort && p < kDmaPort + 8u) {
            b = uint8_t(kDmaSignature[p - kDmaPort]);
        }  // the selector is write-only: reads 0
        v |= b << (8 * i);
    }
    return v;
}

void FwCfg::io_write(uint16_t port, unsigned size, uint32_t value) {
    if (port == kSelectorPort) {
        select(uint16_t(size == 1 ? value & 0xFF : value & 0xFFFF));
    } else if (port == kDataPort) {
        // Data port writes have been ignored since QEMU 2.4; items are written through DMA.
        log_.unimplemented(name(), "write to the data port", port);
    } else if (port == kDmaPort && size == 4) {
        dma_high_ = bswap32(value);  // the guest stores the big-endian register as it is in memory
    } else if (port == kDmaPort + 4 && size == 4) {
        const uint64_t addr = uint64_t(dma_high_) << 32 | bswap32(value);
        dma_high_ = 0;  // the register reads back as 0 after an operation
        dma_transfer(addr);
    } else {
        log_.unimplemented(name(), "DMA address access of this size or offset", port);
    }
}

void FwCfg::dma_transfer(uint64_t addr) {
    uint8_t ctl[16];
    if (!dma_.read(addr, ctl, sizeof ctl)) {
        // There is no control word to report the error in.
        log_.unimplemented(name(), "DMA control structure outside RAM", uint32_t(addr));
        return;
    }
    const uint32_t control = be32(ctl);
    const uint32_t length = be32(ctl + 4);
    const uint64_t address = uint64_t(be32(ctl + 8)) << 32 | be32(ctl + 12);
    if (control & kDmaSelect) select(uint16_t(control >> 16));
    Item* it = current();
    const uint32_t size = it ? uint32_t(it->data.size()) : 0;
    const uint32_t avail = offset_ < size ? size - offset_ : 0;
    bool error = false;
    if (control & kDmaRead) {
        // The item's next bytes, then zeros for what lies past its end; all or nothing.
        const uint32_t n = std::min(length, avail);
        if (!dma_.in_ram(address, length)) {
            error = true;
        } else {
            error = !dma_.write(address, n ? it->data.data() + offset_ : nullptr, n) ||
                    !dma_.fill(address + n, 0, length - n);
            offset_ += n;
        }
    } else if (control & kDmaWrite) {
        // Only writable items, and never past their end (an item does not grow): else an error
        // and nothing is written.
        if (!it || !it->writable || length > avail || !dma_.read(address, it->data.data() + offset_, length)) error = true;
        else offset_ += length;
    } else if (control & kDmaSkip) {
        offset_ += std::min(length, avail);
    }
    uint8_t done[4];
    put_be32(done, error ? uint32_t(kDmaError) : 0u);
    (void)dma_.write(addr, done, 4);  // the structure was readable RAM a moment ago
}

std::vector<uint8_t> e820_table(uint64_t ram_bytes) {
    std::vector<uint8_t> t;
    append_le(t, 0, 8);
    append_le(t, ram_bytes, 8);
    append_le(t, 1, 4);  // E820 type 1: usable RAM
    return t;
}

void fw_cfg_pc_items(FwCfg& fw, const FwCfgPcSetup& s) {
    fw.set_item(FwCfg::kUuid, std::vector<uint8_t>(16, 0));
    fw.set_u64(FwCfg::kRamSize, s.ram_bytes);
    fw.set_u16(FwCfg::kNbCpus, s.cpus);
    fw.set_u16(FwCfg::kMaxCpus, s.cpus);
    // The board wires the PIT's IRQ 0 to the I/O APIC's input 2 (PcBoard::IsaIrqs): SeaBIOS's MP
    // table and ACPI MADT say so only when this item is 1 (it reads 0 without it, and Linux
    // then looks for the timer on input 0).
    fw.set_item(FwCfg::kIrq0Override, {1});
    fw.add_file("etc/e820", e820_table(s.ram_bytes));
    std::vector<uint8_t> wait;
    append_le(wait, uint32_t(s.boot_fail_wait_ms), 4);
    fw.add_file("etc/boot-fail-wait", std::move(wait));
    if (!s.bootorder.empty()) {
        // One device path per line, the whole text NUL-terminated (SeaBIOS reads it as a string).
        std::vector<uint8_t> text;
        for (const std::string& p : s.bootorder) {
            text.insert(text.end(), p.begin(), p.end());
            text.push_back('\n');
        }
        text.push_back(0);
        fw.add_file("bootorder", std::move(text));
    }
}

} // namespace xlat
