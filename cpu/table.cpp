#include "cpu/table.h"

#include <stdexcept>
#include <string>

namespace xlat {

InsnTable::InsnTable() : index_(size_t(ZYDIS_MNEMONIC_MAX_VALUE + 1) * size_t(Form::kCount), -1) {}

void InsnTable::add(ZydisMnemonic m, SemanticsFn fn, const char* category, uint16_t facts, Form form) {
    size_t k = size_t(m) * size_t(Form::kCount) + size_t(form);
    if (index_[k] >= 0)
        throw std::logic_error(std::string("duplicate instruction row: ") + ZydisMnemonicGetString(m));
    index_[k] = int32_t(rows_.size());
    rows_.push_back(InsnRow{m, form, fn, category, facts, nullptr});
}

const InsnRow* InsnTable::find(ZydisMnemonic m, Form form) const {
    size_t base = size_t(m) * size_t(Form::kCount);
    int32_t i = index_[base + size_t(form)];
    if (i < 0 && form != Form::Any) return nullptr;  // a special form never falls back to Any
    return i < 0 ? nullptr : &rows_[size_t(i)];
}

const InsnTable& instruction_table() {
    static const InsnTable table = [] {
        InsnTable t;
        register_move(t);
        register_alu(t);
        register_shift(t);
        register_muldiv(t);
        register_bcd(t);
        register_bit(t);
        register_string(t);
        register_control(t);
        register_stack(t);
        register_system(t);
        register_misc(t);
        register_x87(t);
        register_mmx(t);
        return t;
    }();
    return table;
}

} // namespace xlat
