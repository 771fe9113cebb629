#include "memory/device.h"

#include <cstring>
#include <stdexcept>

#include "memory/clock.h"

namespace xlat {

namespace {
uint32_t size_mask(unsigned size) { return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
} // namespace

uint32_t window_read(const Window& w, uint32_t off, unsigned size) {
    if (size < w.min_size) {
        // Widen: read the aligned unit that holds the bytes and pick them out.
        const uint32_t aligned = off & ~uint32_t(w.min_size - 1);
        const uint32_t wide = w.dev->read(w.id, aligned, w.min_size);
        return (wide >> (8 * (off - aligned))) & size_mask(size);
    }
    if (size > w.max_size) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i += w.max_size) v |= window_read(w, off + i, w.max_size) << (8 * i);
        return v;
    }
    return w.dev->read(w.id, off, size) & size_mask(size);
}

void window_write(const Window& w, uint32_t off, unsigned size, uint32_t value) {
    if (size < w.min_size) {
        const uint32_t aligned = off & ~uint32_t(w.min_size - 1);
        const unsigned shift = 8 * (off - aligned);
        const uint32_t mask = size_mask(size) << shift;
        const uint32_t wide = w.dev->read(w.id, aligned, w.min_size);
        w.dev->write(w.id, aligned, w.min_size, (wide & ~mask) | ((value << shift) & mask));
        return;
    }
    if (size > w.max_size) {
        for (unsigned i = 0; i < size; i += w.max_size) window_write(w, off + i, w.max_size, value >> (8 * i));
        return;
    }
    w.dev->write(w.id, off, size, value & size_mask(size));
}

namespace {

void put(std::vector<uint8_t>& out, const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
}
void put_u32(std::vector<uint8_t>& out, uint32_t v) { put(out, &v, 4); }
void put_str(std::vector<uint8_t>& out, const std::string& s) {
    put_u32(out, uint32_t(s.size()));
    put(out, s.data(), s.size());
}

struct Reader {
    const std::vector<uint8_t>& in;
    size_t pos = 0;
    std::string who;
    void get(void* p, size_t n) {
        if (in.size() - pos < n) throw std::runtime_error(who + ": state image is truncated");
        std::memcpy(p, in.data() + pos, n);
        pos += n;
    }
    uint32_t u32() {
        uint32_t v;
        get(&v, 4);
        return v;
    }
    std::string str() {
        uint32_t n = u32();
        if (n > in.size() - pos) throw std::runtime_error(who + ": state image is truncated");
        std::string s(reinterpret_cast<const char*>(in.data() + pos), n);
        pos += n;
        return s;
    }
};

} // namespace

std::vector<uint8_t> save_state(Device& dev) {
    StateList list;
    dev.describe_state(list);
    std::vector<uint8_t> out;
    put_str(out, dev.name());
    put_u32(out, dev.state_version());
    put_u32(out, uint32_t(list.fields().size()));
    for (const StateField& f : list.fields()) {
        put_str(out, f.name);
        out.push_back(uint8_t(f.type));
        put_u32(out, f.size);
        if (f.type == FieldType::Event) {
            const ClockEvent& e = *static_cast<const ClockEvent*>(f.ptr);
            const uint8_t pending = e.pending();
            const uint64_t deadline = e.pending() ? e.deadline() : 0;
            put(out, &pending, 1);
            put(out, &deadline, 8);
        } else {
            put(out, f.ptr, f.size);
        }
    }
    return out;
}

void load_state(Device& dev, const std::vector<uint8_t>& image) {
    StateList list;
    dev.describe_state(list);
    Reader r{image, 0, dev.name()};
    const std::string name = r.str();
    if (name != dev.name()) throw std::runtime_error(std::string(dev.name()) + ": state image is of device " + name);
    const uint32_t version = r.u32();
    if (version != dev.state_version())
        throw std::runtime_error(name + ": state version " + std::to_string(version) + ", this device has " +
                                 std::to_string(dev.state_version()));
    if (r.u32() != list.fields().size()) throw std::runtime_error(name + ": state has another number of fields");
    for (const StateField& f : list.fields()) {
        const std::string fname = r.str();
        uint8_t type;
        r.get(&type, 1);
        const uint32_t size = r.u32();
        if (fname != f.name || type != uint8_t(f.type) || size != f.size)
            throw std::runtime_error(name + ": field " + fname + " does not match " + f.name);
        if (f.type == FieldType::Event) {
            uint8_t pending;
            uint64_t deadline;
            r.get(&pending, 1);
            r.get(&deadline, 8);
            ClockEvent& e = *static_cast<ClockEvent*>(f.ptr);
            if (pending) e.schedule(deadline);
            else e.cancel();
        } else if (f.type == FieldType::Bool) {
            uint8_t b;
            r.get(&b, 1);
            *static_cast<bool*>(f.ptr) = b != 0;
        } else {
            r.get(f.ptr, f.size);
        }
    }
    if (r.pos != image.size()) throw std::runtime_error(name + ": state image has trailing bytes");
    dev.post_load();
}

} // namespace xlat
