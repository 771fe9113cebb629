#include "frontend/table_loader.h"

#include <set>
#include <stdexcept>

namespace xlat {

namespace {

void put_le(std::vector<uint8_t>& b, size_t off, uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
void put_name(std::vector<uint8_t>& b, size_t off, const std::string& name) {
    for (size_t i = 0; i < name.size(); ++i) b[off + i] = uint8_t(name[i]);
}
void check_name(const std::string& name) {
    // The field is NUL-terminated within its 56 bytes (SeaBIOS refuses a full one).
    if (name.empty() || name.size() >= TableLoader::kFileNameSize)
        throw std::logic_error("table loader: bad file name '" + name + "'");
}

} // namespace

void TableLoader::allocate(const std::string& file, uint32_t align, Zone zone) {
    check_name(file);
    if (align == 0 || (align & (align - 1))) throw std::logic_error("table loader: alignment must be a power of two");
    Command c{kAllocate, file, {}};
    c.align = align;
    c.zone = zone;
    commands_.push_back(c);
}

void TableLoader::add_pointer(const std::string& dest, uint32_t offset, uint8_t size, const std::string& src) {
    check_name(dest);
    check_name(src);
    if (size != 1 && size != 2 && size != 4 && size != 8) throw std::logic_error("table loader: pointer size must be 1, 2, 4 or 8");
    Command c{kAddPointer, dest, src};
    c.offset = offset;
    c.size = size;
    commands_.push_back(c);
}

void TableLoader::add_checksum(const std::string& file, uint32_t offset, uint32_t start, uint32_t length) {
    check_name(file);
    Command c{kAddChecksum, file, {}};
    c.offset = offset;
    c.start = start;
    c.length = length;
    commands_.push_back(c);
}

std::vector<uint8_t> TableLoader::script() const {
    std::vector<uint8_t> out(commands_.size() * kEntrySize, 0);
    for (size_t i = 0; i < commands_.size(); ++i) {
        const Command& c = commands_[i];
        const size_t e = i * kEntrySize, body = e + 4;
        put_le(out, e, c.kind, 4);
        switch (c.kind) {
        case kAllocate:
            put_name(out, body, c.file);
            put_le(out, body + 56, c.align, 4);
            out[body + 60] = uint8_t(c.zone);
            break;
        case kAddPointer:
            put_name(out, body, c.file);
            put_name(out, body + 56, c.src);
            put_le(out, body + 112, c.offset, 4);
            out[body + 116] = c.size;
            break;
        case kAddChecksum:
            put_name(out, body, c.file);
            put_le(out, body + 56, c.offset, 4);
            put_le(out, body + 60, c.start, 4);
            put_le(out, body + 64, c.length, 4);
            break;
        }
    }
    return out;
}

void TableLoader::link(std::map<std::string, std::vector<uint8_t>>& files, const std::map<std::string, uint64_t>& at) const {
    std::set<std::string> allocated;
    auto file = [&](const std::string& name) -> std::vector<uint8_t>& {
        auto f = files.find(name);
        if (!allocated.count(name) || f == files.end()) throw std::logic_error("table loader: '" + name + "' is not allocated");
        return f->second;
    };
    for (const Command& c : commands_) {
        switch (c.kind) {
        case kAllocate: {
            auto a = at.find(c.file);
            if (a == at.end() || !files.count(c.file)) throw std::logic_error("table loader: no address for '" + c.file + "'");
            if (a->second % c.align) throw std::logic_error("table loader: '" + c.file + "' placed off its alignment");
            allocated.insert(c.file);
            break;
        }
        case kAddPointer: {
            std::vector<uint8_t>& d = file(c.file);
            file(c.src);
            if (uint64_t(c.offset) + c.size > d.size()) throw std::logic_error("table loader: pointer past the end of '" + c.file + "'");
            uint64_t v = 0;
            for (unsigned i = 0; i < c.size; ++i) v |= uint64_t(d[c.offset + i]) << (8 * i);
            put_le(d, c.offset, v + at.at(c.src), c.size);
            break;
        }
        case kAddChecksum: {
            std::vector<uint8_t>& d = file(c.file);
            if (c.offset >= d.size() || uint64_t(c.start) + c.length > d.size())
                throw std::logic_error("table loader: checksum past the end of '" + c.file + "'");
            uint8_t sum = 0;
            for (uint32_t i = c.start; i < c.start + c.length; ++i) sum = uint8_t(sum + d[i]);
            d[c.offset] = uint8_t(d[c.offset] - sum);
            break;
        }
        }
    }
}

} // namespace xlat
