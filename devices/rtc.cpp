#include "devices/rtc.h"

#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

namespace xlat {

namespace {

constexpr uint8_t kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D, kCentury = 0x32;
constexpr uint8_t B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04, B_24H = 0x02;
constexpr uint8_t C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
constexpr uint64_t kUipNs = 244000;  // UIP rises 244 us before the update (datasheet, "UIP")

uint8_t bcd(unsigned v) { return uint8_t((v / 10) << 4 | v % 10); }
unsigned unbcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b) < 0 ? 1 : 0); }

} // namespace

int64_t rtc_start_time(const std::string& base, uint32_t* phase_ns) {
    if (phase_ns) *phase_ns = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const time_t now = ts.tv_sec;
    if ((base == "utc" || base == "localtime") && phase_ns) *phase_ns = uint32_t(ts.tv_nsec);
    if (base == "utc") return int64_t(now);
    if (base == "localtime") {
        struct tm lt;
        localtime_r(&now, &lt);
        return int64_t(now) + lt.tm_gmtoff;  // the guest sees local time as its RTC time
    }
    struct tm t = {};
    char tail = 0;
    int n = std::sscanf(base.c_str(), "%d-%d-%dT%d:%d:%d%c", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                        &t.tm_min, &t.tm_sec, &tail);
    if (n != 6 && n != 3)
        throw std::invalid_argument("invalid -rtc base '" + base + "': use utc, localtime, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS");
    if (n == 3) t.tm_hour = t.tm_min = t.tm_sec = 0;
    if (t.tm_year < 1980 || t.tm_year > 2099 || t.tm_mon < 1 || t.tm_mon > 12 || t.tm_mday < 1 || t.tm_mday > 31 ||
        t.tm_hour > 23 || t.tm_min > 59 || t.tm_sec > 59 || t.tm_hour < 0 || t.tm_min < 0 || t.tm_sec < 0)
        throw std::invalid_argument("invalid -rtc base '" + base + "': a date from 1980 to 2099");
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    return int64_t(timegm(&t));
}

Rtc146818::Rtc146818(Clock& clock, int64_t start, uint32_t start_ns)
    : clock_(clock), update_event_(clock, "rtc.update", [this](uint64_t due) { on_update(due); }),
      periodic_event_(clock, "rtc.periodic", [this](uint64_t due) { on_periodic(due); }) {
    offset_ns_ = start * int64_t(kSecond) + int64_t(start_ns) - int64_t(clock.now());
    collected_ = divider_ns_ = clock.now();
}

void Rtc146818::reset() {
    // The time and the CMOS RAM are battery-backed and survive a reset; the control registers
    // take the values a PC BIOS leaves (and QEMU resets to): 32.768 kHz time base with the
    // 1024 Hz rate, BCD, 24-hour mode, no interrupts, valid RAM and time.
    ram_[kRegA] = 0x26;
    ram_[kRegB] = B_24H;
    ram_[kRegC] = 0;
    ram_[kRegD] = 0x80;
    index_ = 0;
    nmi_masked_ = false;
    collected_ = divider_ns_ = clock_.now();
    update_irq();
    schedule();
}

int64_t Rtc146818::seconds() const {
    return floor_div(int64_t(rtc_ns(clock_.now())), int64_t(kSecond));
}

uint8_t Rtc146818::to_reg(unsigned v) const { return (ram_[kRegB] & B_DM) ? uint8_t(v) : bcd(v); }
unsigned Rtc146818::from_reg(uint8_t v) const { return (ram_[kRegB] & B_DM) ? v : unbcd(v); }

void Rtc146818::fill_time(int64_t secs) {
    const time_t t = time_t(secs);
    struct tm tm;
    gmtime_r(&t, &tm);
    ram_[0] = to_reg(unsigned(tm.tm_sec));
    ram_[2] = to_reg(unsigned(tm.tm_min));
    if (ram_[kRegB] & B_24H) {
        ram_[4] = to_reg(unsigned(tm.tm_hour));
    } else {
        const unsigned h = unsigned(tm.tm_hour) % 12;
        ram_[4] = uint8_t(to_reg(h ? h : 12) | (tm.tm_hour >= 12 ? 0x80 : 0));
    }
    ram_[6] = to_reg(unsigned(tm.tm_wday) + 1);
    ram_[7] = to_reg(unsigned(tm.tm_mday));
    ram_[8] = to_reg(unsigned(tm.tm_mon) + 1);
    ram_[9] = to_reg(unsigned(tm.tm_year + 1900) % 100);
    ram_[kCentury] = bcd(unsigned(tm.tm_year + 1900) / 100);  // the PC's century byte, always BCD
}

int64_t Rtc146818::parse_time() const {
    struct tm tm = {};
    tm.tm_sec = int(from_reg(ram_[0]));
    tm.tm_min = int(from_reg(ram_[2]));
    if (ram_[kRegB] & B_24H) {
        tm.tm_hour = int(from_reg(ram_[4]));
    } else {
        tm.tm_hour = int(from_reg(ram_[4] & 0x7F) % 12 + ((ram_[4] & 0x80) ? 12 : 0));
    }
    tm.tm_mday = int(from_reg(ram_[7]));
    tm.tm_mon = int(from_reg(ram_[8])) - 1;
    const unsigned century = unbcd(ram_[kCentury]);
    tm.tm_year = int((century ? century : 20) * 100 + from_reg(ram_[9])) - 1900;
    return int64_t(timegm(&tm));  // timegm normalises out-of-range fields as the chip would not
}

bool Rtc146818::alarm_matches(int64_t secs) const {
    // An alarm byte with its two top bits set matches every value (datasheet, "Alarm").
    uint8_t saved[10];
    for (unsigned i = 0; i < 10; ++i) saved[i] = ram_[i];
    const uint8_t century = ram_[kCentury];
    auto* self = const_cast<Rtc146818*>(this);
    self->fill_time(secs);
    bool match = true;
    for (unsigned i : {0u, 2u, 4u})
        if ((saved[i + 1] & 0xC0) != 0xC0 && saved[i + 1] != ram_[i]) match = false;
    for (unsigned i = 0; i < 10; ++i) self->ram_[i] = saved[i];
    self->ram_[kCentury] = century;
    return match;
}

uint64_t Rtc146818::periodic_ns() const {
    unsigned rs = ram_[kRegA] & 15;
    if (!rs) return 0;
    if (rs < 3) rs += 7;  // RS 1 and 2 give 256 and 128 Hz on a 32.768 kHz time base
    return uint64_t(1) << (rs - 1);  // the period in 32.768 kHz cycles
}

void Rtc146818::collect(uint64_t now) {
    if (now <= collected_) return;
    const uint64_t from = collected_;
    collected_ = now;
    if (const uint64_t cycles = periodic_ns()) {
        auto index = [&](uint64_t t) {
            return t <= divider_ns_ ? 0 : uint64_t((unsigned __int128)(t - divider_ns_) * 32768 / (cycles * kSecond));
        };
        if (index(now) > index(from)) ram_[kRegC] |= C_PF;
    }
    if (ram_[kRegB] & B_SET) return;  // no updates while the time is being set
    const int64_t s0 = floor_div(int64_t(rtc_ns(from)), int64_t(kSecond));
    const int64_t s1 = floor_div(int64_t(rtc_ns(now)), int64_t(kSecond));
    if (s1 <= s0) return;
    ram_[kRegC] |= C_UF;
    // Each update compares the alarm; a day holds every pattern an alarm can have.
    for (int64_t s = s1; s > s0 && s > s1 - 86400; --s)
        if (alarm_matches(s)) {
            ram_[kRegC] |= C_AF;
            break;
        }
}

void Rtc146818::update_irq() {
    const uint8_t b = ram_[kRegB], c = ram_[kRegC];
    const bool irqf = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) || ((c & C_UF) && (b & B_UIE));
    ram_[kRegC] = irqf ? uint8_t(c | C_IRQF) : uint8_t(c & ~C_IRQF);
    irq8.set(irqf);
}

void Rtc146818::schedule() {
    const uint64_t now = clock_.now();
    const uint8_t b = ram_[kRegB];
    if (!(b & B_SET) && (b & (B_UIE | B_AIE))) {
        const uint64_t r = rtc_ns(now) % kSecond;
        update_event_.schedule(now + (kSecond - r));
    } else {
        update_event_.cancel();
    }
    const uint64_t cycles = periodic_ns();
    if ((b & B_PIE) && cycles) {
        const uint64_t k = uint64_t((unsigned __int128)(now - divider_ns_) * 32768 / (cycles * kSecond)) + 1;
        periodic_event_.schedule(divider_ns_ + uint64_t(((unsigned __int128)k * cycles * kSecond + 32767) / 32768));
    } else {
        periodic_event_.cancel();
    }
}

void Rtc146818::on_update(uint64_t due) {
    collect(due);
    update_irq();
    schedule();
}

void Rtc146818::on_periodic(uint64_t due) {
    collect(due);
    update_irq();
    schedule();
}

uint32_t Rtc146818::read(unsigned, uint32_t offset, unsigned) {
    if (offset == 0) return 0xFF;  // the index register cannot be read back on a PC
    const uint64_t now = clock_.now();
    const uint8_t i = index_;
    switch (i) {
    case 0: case 2: case 4: case 6: case 7: case 8: case 9:
        if (!(ram_[kRegB] & B_SET)) fill_time(seconds());
        return ram_[i];
    case kRegA: {
        const bool uip = !(ram_[kRegB] & B_SET) && rtc_ns(now) % kSecond >= kSecond - kUipNs;
        return uint8_t((ram_[kRegA] & 0x7F) | (uip ? 0x80 : 0));
    }
    case kRegC: {
        collect(now);
        update_irq();
        const uint8_t v = ram_[kRegC];
        ram_[kRegC] = 0;  // reading clears every flag, and IRQ8 falls
        update_irq();
        return v;
    }
    case kCentury:
        if (!(ram_[kRegB] & B_SET)) fill_time(seconds());
        return ram_[i];
    default:
        return ram_[i];
    }
}

void Rtc146818::write(unsigned, uint32_t offset, unsigned, uint32_t value) {
    const uint8_t v = uint8_t(value);
    if (offset == 0) {
        index_ = v & 0x7F;
        nmi_masked_ = v & 0x80;
        return;
    }
    const uint64_t now = clock_.now();
    const uint8_t i = index_;
    switch (i) {
    case 0: case 2: case 4: case 6: case 7: case 8: case 9: case kCentury:
        if (!(ram_[kRegB] & B_SET)) {
            // Setting one field without SET: the others keep running from now on.
            collect(now);
            const uint64_t phase = rtc_ns(now) % kSecond;
            fill_time(seconds());
            ram_[i] = v;
            offset_ns_ = parse_time() * int64_t(kSecond) + int64_t(phase) - int64_t(now);
            collected_ = now;
            schedule();
        } else {
            ram_[i] = v;
        }
        return;
    case kRegA:
        collect(now);
        ram_[kRegA] = v & 0x7F;  // UIP is read-only
        divider_ns_ = now;       // a new rate starts counting now
        schedule();
        return;
    case kRegB: {
        collect(now);
        const uint8_t old = ram_[kRegB];
        uint8_t nv = v;
        if (nv & B_SET) {
            if (!(old & B_SET)) fill_time(seconds());  // the registers hold still while SET is 1
            nv &= uint8_t(~B_UIE);                      // and SET clears UIE (QEMU does the same)
        } else if (old & B_SET) {
            // SET cleared: the time written starts running, the next update one second on.
            ram_[kRegB] = nv;
            offset_ns_ = parse_time() * int64_t(kSecond) - int64_t(now);
        }
        ram_[kRegB] = nv;
        collected_ = now;
        update_irq();
        schedule();
        return;
    }
    case kRegC:
    case kRegD:
        return;  // read-only
    default:
        ram_[i] = v;
        return;
    }
}

void Rtc146818::describe_state(StateList& s) {
    s.bytes("ram", ram_, sizeof ram_).u8("index", index_).boolean("nmi_masked", nmi_masked_);
    s.bytes("offset_ns", &offset_ns_, sizeof offset_ns_).u64("collected", collected_).u64("divider", divider_ns_);
    s.event("update", update_event_).event("periodic", periodic_event_);
}

} // namespace xlat
