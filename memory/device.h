// The device interface, in the bus layer: one interface for port and memory-mapped registers, a
// declarative list of each device's state, and the registry of a machine's devices.
//
// A device claims windows: a range of ports on the IoBus or of physical addresses in PhysMem,
// each with the access sizes its registers accept. The bus splits wider accesses and widens
// narrower ones (a read-modify-write for writes), so a device sees only the sizes it declares,
// always inside one window, at an offset from the window's start (QEMU's MemoryRegionOps with
// impl.min/max_access_size is the model).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memory/trace.h"

namespace xlat {

class ClockEvent;

// ---- state lists ----
// Each device names its state once, as fields (name, type, where). The same list serves saving,
// loading, comparing two machines and (later) migration; a version number per device says when
// the list changed. Derived state (what a timer's next deadline means, a cached output pin)
// is rebuilt by Device::post_load.
enum class FieldType : uint8_t { U8, U16, U32, U64, Bool, Bytes, Event };

struct StateField {
    std::string name;
    FieldType type;
    void* ptr;
    uint32_t size;  // bytes, for Bytes; else implied by the type
};

class StateList {
public:
    // A prefix for the names that follow ("ch0." for a counter's fields); "" ends it.
    StateList& prefix(std::string p) {
        prefix_ = std::move(p);
        return *this;
    }
    StateList& u8(const char* n, uint8_t& v) { return add(n, FieldType::U8, &v, 1); }
    StateList& u16(const char* n, uint16_t& v) { return add(n, FieldType::U16, &v, 2); }
    StateList& u32(const char* n, uint32_t& v) { return add(n, FieldType::U32, &v, 4); }
    StateList& u64(const char* n, uint64_t& v) { return add(n, FieldType::U64, &v, 8); }
    StateList& boolean(const char* n, bool& v) { return add(n, FieldType::Bool, &v, 1); }
    StateList& bytes(const char* n, void* p, uint32_t size) { return add(n, FieldType::Bytes, p, size); }
    // A timer: whether it is pending and its deadline.
    StateList& event(const char* n, ClockEvent& e) { return add(n, FieldType::Event, &e, 9); }
    const std::vector<StateField>& fields() const { return fields_; }

private:
    StateList& add(const char* n, FieldType t, void* p, uint32_t size) {
        fields_.push_back(StateField{prefix_ + n, t, p, size});
        return *this;
    }
    std::vector<StateField> fields_;
    std::string prefix_;
};

class Device {
public:
    virtual ~Device() = default;
    virtual const char* name() const = 0;
    // Power-on state (also at a machine reset).
    virtual void reset() {}
    // A register access inside window `window` (the number the device gave when it claimed
    // it), `offset` bytes from its start, of a size the window declared.
    virtual uint32_t read(unsigned window, uint32_t offset, unsigned size) {
        (void)window, (void)offset;
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    virtual void write(unsigned window, uint32_t offset, unsigned size, uint32_t value) {
        (void)window, (void)offset, (void)size, (void)value;
    }
    // The state list and its version (0: the device has no state to save).
    virtual uint32_t state_version() const { return 0; }
    virtual void describe_state(StateList& out) { (void)out; }
    // After a load: rebuild what the fields imply (output pins, timers).
    virtual void post_load() {}
    // The machine's tracer (--trace), which the machine hands every device it wires; device
    // tests leave it null. tracing() is the test to make before formatting a line.
    void attach_tracer(const Tracer* t) { trace_ = t; }
    bool tracing(TraceFlag f) const { return trace_ && trace_->on(f); }

protected:
    const Tracer* trace_ = nullptr;
};

// A window as a bus holds it, and the splitting and merging of accesses into it.
struct Window {
    Device* dev = nullptr;
    unsigned id = 0;       // the device's number for it
    uint32_t base = 0, size = 0;
    uint8_t min_size = 1, max_size = 4;
    bool aligned = false;  // accesses not naturally aligned are dropped (reads: all ones), as QEMU's valid.unaligned = false
    std::string name;
};
uint32_t window_read(const Window& w, uint32_t offset, unsigned size);
void window_write(const Window& w, uint32_t offset, unsigned size, uint32_t value);

// Saving and loading a device through its state list. The image starts with the device's
// name and version and names every field, so a load into a device of another kind, version or
// field layout fails with a message naming what differs (std::runtime_error).
std::vector<uint8_t> save_state(Device& dev);
void load_state(Device& dev, const std::vector<uint8_t>& image);

// The devices of one machine, owned here, in the order they were added (reset runs in that order).
class DeviceRegistry {
public:
    template <class T, class... Args>
    T& add(Args&&... args) {
        auto d = std::make_unique<T>(std::forward<Args>(args)...);
        T& ref = *d;
        devices_.push_back(std::move(d));
        return ref;
    }
    Device* find(const std::string& name) const {
        for (const auto& d : devices_)
            if (name == d->name()) return d.get();
        return nullptr;
    }
    template <class T>
    T* get(const std::string& name) const { return dynamic_cast<T*>(find(name)); }
    void reset_all() {
        for (auto& d : devices_) d->reset();
    }
    const std::vector<std::unique_ptr<Device>>& all() const { return devices_; }

private:
    std::vector<std::unique_ptr<Device>> devices_;
};

} // namespace xlat
