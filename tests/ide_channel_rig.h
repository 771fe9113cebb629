// An IDE channel on its legacy ports with its interrupt line counted, without a CPU: what the ATA
// (tests/devices_ata_test.cpp) and ATAPI (tests/devices_atapi_test.cpp) device tests drive, each
// attaching its own drive to `ch`.
#pragma once
#include <cstdint>

#include "devices/ata.h"
#include "memory/iobus.h"
#include "memory/irq.h"

namespace xlat_test {

// The channel's interrupt wire: its level and how often it rose.
struct IrqCounter : xlat::IrqSink {
    unsigned rises = 0;
    bool level = false;
    void set_irq(unsigned, bool l) override {
        if (l && !level) ++rises;
        level = l;
    }
};

struct IdeChannelRig {
    xlat::IoBus io;
    xlat::AtaChannel ch;
    IrqCounter irqs;
    // The primary channel (index 0: 0x1F0-0x1F7, 0x3F6, IRQ 14) or the secondary (1: 0x170-0x177,
    // 0x376, IRQ 15).
    explicit IdeChannelRig(unsigned index)
        : ch(index ? "ide1" : "ide0", index ? 0x170 : 0x1F0, index ? 0x376 : 0x3F6, index) {
        const uint16_t base = index ? 0x170 : 0x1F0, ctl = index ? 0x376 : 0x3F6;
        claim_ports(io, base, 8, &ch);
        claim_ports(io, ctl, 1, &ch);
        ch.irq.connect(&irqs, index ? 15 : 14);
    }
};

} // namespace xlat_test
