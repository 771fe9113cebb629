#include "devices/i440fx.h"

namespace xlat {

void I440fxHost::init_config() {
    // Datasheet defaults: PCICMD 0006h (memory and bus master always on), PCISTS 0280h (medium
    // DEVSEL#, fast back-to-back capable).
    set_reg(kPciCommand, 2, 0x0006, kPciCmdParity | kPciCmdSerr);
    set_reg(kPciStatus, 2, 0x0280, 0, 0xF900);
    // Subsystem 1AF4:1100, as QEMU gives its PCI functions: SeaBIOS reads the host bridge's pair
    // to know it runs on QEMU's i440FX machine (and then trusts fw_cfg for the CPUs, the PM base
    // and the tables). A real 440FX leaves these bytes 0.
    set_reg(kPciSubVendor, 2, 0x1AF4);
    set_reg(kPciSubVendor + 2, 2, 0x1100);
    // 50h-58h (PMCCFG, DETURBO, DBC, AXC, DRAMR, DRAMC, DRAMT), 60h-67h (DRB0-7), 68h (FDHC),
    // 70h-71h (MTT, CLT), 90h-93h (ERRCMD, ERRSTS, TRC): timing and sizing registers that an
    // emulated DRAM does not need; stored so firmware reads back what it wrote.
    for (uint8_t r = 0x50; r <= 0x58; ++r) set_reg(r, 1, 0, 0xFF);
    for (uint8_t r = 0x60; r <= 0x67; ++r) set_reg(r, 1, 0x01, 0xFF);
    set_reg(0x68, 1, 0x00, 0xFF);
    set_reg(0x70, 1, 0x00, 0xFF);
    set_reg(0x71, 1, 0x10, 0xFF);
    set_reg(0x90, 1, 0x00, 0xFF);
    set_reg(0x91, 1, 0x00, 0, 0xFF);
    set_reg(0x93, 1, 0x00, 0xFF);
    // PAM0 has only the high field (F0000-FFFFF); PAM1-6 two 16 KiB fields each. Bits 3:2 and
    // 7:6 are reserved. Power-on: everything reads and writes the ROM side (PCI).
    set_reg(kPam0, 1, 0x00, 0x30);
    for (uint8_t r = kPam0 + 1; r <= kPam6; ++r) set_reg(r, 1, 0x00, 0x33);
    // SMRAM: C_BASE_SEG is hardwired to 010b (SMRAM at 0xA0000).
    set_reg(kSmram, 1, 0x02, kSmramDOpen | kSmramDCls | kSmramDLck | kSmramGSmrame);
    for (unsigned i = 0; i < 7; ++i) map_regs_[i] = config_[kPam0 + i];
    map_regs_[7] = config_[kSmram];
}

void I440fxHost::config_written(uint8_t offset, unsigned size) {
    if (offset <= kSmram && offset + size > kSmram && (config_[kSmram] & kSmramDLck)) {
        // Setting D_LCK closes SMRAM and makes D_OPEN, D_LCK and G_SMRAME read-only until the next
        // power-on reset (datasheet 3.2.27).
        config_[kSmram] &= uint8_t(~kSmramDOpen);
        wmask_[kSmram] = kSmramDCls;
    }
    bool changed = false;
    for (unsigned i = 0; i < 7; ++i) changed |= map_regs_[i] != config_[kPam0 + i];
    changed |= map_regs_[7] != config_[kSmram];
    if (!changed) return;
    for (unsigned i = 0; i < 7; ++i) map_regs_[i] = config_[kPam0 + i];
    map_regs_[7] = config_[kSmram];
    if (on_map_change) on_map_change();
}

void I440fxHost::post_load() {
    // D_LCK is the only thing that changes a mask after power-on; the power-on mask otherwise.
    wmask_[kSmram] = (config_[kSmram] & kSmramDLck) ? uint8_t(kSmramDCls) : uint8_t(kSmramDOpen | kSmramDCls | kSmramDLck | kSmramGSmrame);
    for (unsigned i = 0; i < 7; ++i) map_regs_[i] = config_[kPam0 + i];
    map_regs_[7] = config_[kSmram];
    if (on_map_change) on_map_change();
}

I440fxHost::PamAccess I440fxHost::pam(uint32_t addr) const {
    uint8_t field;
    if (addr < 0xC0000 || addr > 0xFFFFF) return {true, true};  // not under PAM: plain DRAM
    if (addr >= 0xF0000) {
        field = uint8_t(config_[kPam0] >> 4);
    } else {
        const unsigned seg = (addr - 0xC0000) >> 14;  // 0..11, two per register from PAM1
        field = uint8_t(config_[kPam0 + 1 + seg / 2] >> (seg % 2 ? 4 : 0));
    }
    return {(field & 1) != 0, (field & 2) != 0};
}

} // namespace xlat
