#include "frontend/monitor.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <vector>

namespace xlat {

namespace {

const char kHelp[] =
    "help                  this list\n"
    "info registers        the CPU registers\n"
    "info tlb              every mapped page: linear -> physical and its flags (from the page tables)\n"
    "info mem              the mapped linear ranges with their rights\n"
    "info pic              the two 8259s\n"
    "info irq              external interrupts delivered, per IRQ\n"
    "info status           running, paused, prelaunch or debug\n"
    "info devices          every device with its state fields\n"
    "info blocks           the translator's blocks: translated, run, invalidated\n"
    "x/FMT ADDR            linear memory: FMT is [count][x|d|u|o|c][b|h|w|g], e.g. x/8xb 0x7c00\n"
    "xp/FMT ADDR           physical memory, the same way\n"
    "stop                  pause the guest\n"
    "cont | c              resume the guest\n"
    "system_reset          reset the machine\n"
    "quit | q              end xlat (status 0)\n";

// Page-table bits (SDM Vol. 3A, 4.3 and 4.4).
constexpr uint64_t kP = 1, kW = 2, kU = 4, kPwt = 8, kPcd = 16, kA = 32, kD = 64, kPs = 128, kG = 256,
                   kNx = 1ull << 63;

struct Mapping {
    uint32_t lin;
    uint64_t paddr;
    uint64_t size;
    uint64_t flags;  // of the entry that maps the page, with W and U ANDed and NX ORed over the levels
};

uint64_t read_entry(Machine& m, uint64_t addr, bool pae) {
    uint64_t v = 0;
    uint8_t b[8] = {};
    m.read_physical(addr, b, pae ? 8 : 4);
    std::memcpy(&v, b, pae ? 8 : 4);
    return v;
}

void for_each_mapping(Machine& m, const std::function<void(const Mapping&)>& fn) {
    const Mmu::Paging& p = m.mmu.paging();
    const auto merge = [](uint64_t upper, uint64_t e) {
        return (e & ~(kW | kU | kNx)) | (e & upper & (kW | kU)) | ((e | upper) & kNx);
    };
    if (!p.pae) {
        for (uint32_t i = 0; i < 1024; ++i) {
            const uint64_t pde = read_entry(m, (p.cr3 & 0xFFFFF000u) + i * 4, false);
            if (!(pde & kP)) continue;
            const uint32_t lin = i << 22;
            if ((pde & kPs) && p.pse) {
                fn({lin, pde & 0xFFC00000u, 4u << 20, pde});
                continue;
            }
            for (uint32_t j = 0; j < 1024; ++j) {
                const uint64_t pte = read_entry(m, (pde & 0xFFFFF000u) + j * 4, false);
                if (pte & kP) fn({lin | (j << 12), pte & 0xFFFFF000u, 4096, merge(pde, pte)});
            }
        }
        return;
    }
    for (uint32_t k = 0; k < 4; ++k) {
        const uint64_t pdpte = p.pdpte[k];
        if (!(pdpte & kP)) continue;
        for (uint32_t i = 0; i < 512; ++i) {
            const uint64_t pde = read_entry(m, (pdpte & 0xFFFFFF000ull) + i * 8, true);
            if (!(pde & kP)) continue;
            const uint32_t lin = (k << 30) | (i << 21);
            if (pde & kPs) {
                fn({lin, pde & 0xFFFFFE00000ull, 2u << 20, pde});
                continue;
            }
            for (uint32_t j = 0; j < 512; ++j) {
                const uint64_t pte = read_entry(m, (pde & 0xFFFFFF000ull) + j * 8, true);
                if (pte & kP) fn({lin | (j << 12), pte & 0xFFFFFFFF000ull, 4096, merge(pde, pte)});
            }
        }
    }
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return std::string(buf, size_t(n < 0 ? 0 : std::min(n, int(sizeof buf) - 1)));
}

// A device's state fields, "name=value" each.
std::string describe_device(Device& d) {
    StateList list;
    d.describe_state(list);
    std::string out = std::string(d.name()) + ":";
    for (const StateField& f : list.fields()) {
        out += " " + f.name + "=";
        switch (f.type) {
        case FieldType::U8: out += format("%02x", *static_cast<uint8_t*>(f.ptr)); break;
        case FieldType::U16: out += format("%04x", *static_cast<uint16_t*>(f.ptr)); break;
        case FieldType::U32: out += format("%08x", *static_cast<uint32_t*>(f.ptr)); break;
        case FieldType::U64: out += format("%" PRIx64, *static_cast<uint64_t*>(f.ptr)); break;
        case FieldType::Bool: out += *static_cast<bool*>(f.ptr) ? "1" : "0"; break;
        case FieldType::Bytes: out += "(" + std::to_string(f.size) + " bytes)"; break;
        case FieldType::Event: out += "(timer)"; break;
        }
    }
    return out + "\n";
}

bool parse_number(const std::string& text, uint64_t& v) {
    if (text.empty()) return false;
    char* end = nullptr;
    errno = 0;
    v = std::strtoull(text.c_str(), &end, 0);
    return !errno && end && !*end && text[0] != '-';
}

} // namespace

std::string describe_page_tables(Machine& m, bool runs) {
    const Mmu::Paging& p = m.mmu.paging();
    if (!p.enabled) return "paging is disabled: linear addresses are physical\n";
    std::string out;
    if (!runs) {
        for_each_mapping(m, [&](const Mapping& mp) {
            const uint64_t f = mp.flags;
            out += format("%08x: %09" PRIx64 " %c%c%c%c%c%c%c%c%c%s\n", mp.lin, mp.paddr, f & kNx ? 'X' : '-',
                          f & kG ? 'G' : '-', f & kPs ? 'P' : '-', f & kD ? 'D' : '-', f & kA ? 'A' : '-',
                          f & kPcd ? 'C' : '-', f & kPwt ? 'T' : '-', f & kU ? 'U' : '-', f & kW ? 'W' : '-',
                          mp.size > 4096 ? (mp.size == (4u << 20) ? " 4M" : " 2M") : "");
        });
        return out.empty() ? "no page is mapped\n" : out;
    }
    // Runs of linear pages with the same rights (user, read, write), as `info mem`.
    bool open = false;
    uint64_t start = 0, end = 0, rights = 0;
    const auto flush = [&] {
        if (!open) return;
        out += format("%08" PRIx64 "-%08" PRIx64 " %08" PRIx64 " %cr%c\n", start, end, end - start,
                      rights & kU ? 'u' : '-', rights & kW ? 'w' : '-');
        open = false;
    };
    for_each_mapping(m, [&](const Mapping& mp) {
        const uint64_t r = mp.flags & (kU | kW);
        if (open && mp.lin == end && r == rights) {
            end += mp.size;
            return;
        }
        flush();
        open = true;
        start = mp.lin;
        end = mp.lin + mp.size;
        rights = r;
    });
    flush();
    return out.empty() ? "no page is mapped\n" : out;
}

Monitor::Monitor(Machine& machine, const ListenSpec* spec, bool serve) : ControlServer(machine, spec) {
    if (serve) start();
}

const char* Monitor::greeting() { return "xlat monitor - type 'help' for more information\n(xlat) "; }

Monitor::~Monitor() { stop(); }

void Monitor::on_connect() { write(greeting()); }

void Monitor::on_input(std::string& buf) {
    for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        m_.tracer.log(kTraceQmp, "monitor: %s", line.c_str());
        write(command(line));
        if (quitting_) return;
        write("(xlat) ");
    }
    if (buf.size() > 4096) buf.clear();  // a line without an end
}

std::string Monitor::command(const std::string& line) {
    std::istringstream in(line);
    std::string cmd, rest;
    in >> cmd;
    std::getline(in, rest);
    rest.erase(0, rest.find_first_not_of(" \t"));
    rest.erase(rest.find_last_not_of(" \t") + 1);
    if (cmd.empty()) return "";
    if (cmd == "help" || cmd == "?") return kHelp;
    if (cmd == "info") return info(rest);
    if (cmd.rfind("x", 0) == 0 && (cmd == "x" || cmd[1] == '/')) return examine(cmd, rest);
    if (cmd.rfind("xp", 0) == 0 && (cmd == "xp" || cmd[2] == '/')) return examine(cmd, rest);
    bool ran = true;
    if (cmd == "stop") ran = m_.call([this] { m_.pause(Machine::PauseCause::Request); });
    else if (cmd == "cont" || cmd == "c") ran = m_.call([this] { m_.resume(); });
    else if (cmd == "system_reset") ran = m_.call([this] { m_.system_reset(); });
    else if (cmd == "quit" || cmd == "q") {
        quitting_ = true;
        m_.post([this] { m_.quit(0); });
    } else {
        return "unknown command: '" + cmd + "' (try help)\n";
    }
    return ran ? "" : "the machine has shut down\n";
}

std::string Monitor::info(const std::string& what) {
    std::string out;
    bool ran = true;
    if (what == "registers") {
        ran = m_.call([&] { out = m_.describe_cpu(); });
    } else if (what == "tlb" || what == "mem") {
        ran = m_.call([&] { out = describe_page_tables(m_, what == "mem"); });
    } else if (what == "pic") {
        ran = m_.call([&] {
            for (Pic8259* p : {m_.pic_master, m_.pic_slave})
                if (p) out += describe_device(*p);
        });
    } else if (what == "irq") {
        ran = m_.call([&] {
            // IRQ n is vector (ICW2 base + n) of its 8259, as programmed now.
            out = "IRQ  vector  delivered\n";
            const Pic8259* pics[2] = {m_.pic_master, m_.pic_slave};
            for (unsigned irq = 0; irq < 16; ++irq) {
                const Pic8259* p = pics[irq / 8];
                if (!p) continue;
                StateList list;
                const_cast<Pic8259*>(p)->describe_state(list);
                unsigned base = 0;
                for (const StateField& f : list.fields())
                    if (f.name == "vector_base") base = *static_cast<uint8_t*>(f.ptr);
                const unsigned vec = (base & 0xF8) + irq % 8;
                out += format("%3u  %6u  %9" PRIu64 "\n", irq, vec, m_.cpu.stats.external[vec]);
            }
        });
    } else if (what == "status") {
        ran = m_.call([&] {
            static const char* names[] = {"running", "prelaunch", "paused", "debug"};
            out = std::string("VM status: ") + names[int(m_.pause_cause())] + "\n";
        });
    } else if (what == "devices") {
        ran = m_.call([&] {
            for (const auto& d : m_.devices.all()) out += describe_device(*d);
        });
    } else if (what == "blocks") {
        ran = m_.call([&] {
            out = m_.jit ? m_.jit->describe_stats()
                         : "no translated blocks: the interpreter runs every instruction (--cpu-mode interp)\n";
        });
    } else {
        return "info what? registers, tlb, mem, pic, irq, status, devices, blocks\n";
    }
    return ran ? out : "the machine has shut down\n";
}

std::string Monitor::examine(const std::string& cmd, const std::string& args) {
    const bool physical = cmd.rfind("xp", 0) == 0;
    const std::string fmt = cmd.substr(physical ? 2 : 1);
    unsigned count = 1, size = 4;
    char style = 'x';
    size_t i = fmt.empty() ? 0 : 1;  // after the '/'
    if (!fmt.empty()) {
        unsigned n = 0;
        bool digits = false;
        while (i < fmt.size() && std::isdigit(uint8_t(fmt[i]))) {
            n = std::min(n * 10 + unsigned(fmt[i++] - '0'), 100000u);
            digits = true;
        }
        if (digits) count = n;
        for (; i < fmt.size(); ++i) {
            const char c = fmt[i];
            if (c == 'x' || c == 'd' || c == 'u' || c == 'o' || c == 'c') style = c;
            else if (c == 'b') size = 1;
            else if (c == 'h') size = 2;
            else if (c == 'w') size = 4;
            else if (c == 'g') size = 8;
            else return std::string("invalid format '") + c + "' (use [count][x|d|u|o|c][b|h|w|g])\n";
        }
        if (style == 'c' && fmt.find_first_of("hwg") == std::string::npos) size = 1;
    }
    uint64_t addr;
    if (!parse_number(args, addr) || addr > 0xFFFFFFFFu) return "usage: " + cmd + " ADDR (0x... for hexadecimal)\n";
    std::vector<uint8_t> data(size_t(count) * size);
    size_t got = 0;
    if (!m_.call([&] {
            got = physical ? m_.read_physical(addr, data.data(), data.size())
                           : m_.read_linear(uint32_t(addr), data.data(), data.size());
        }))
        return "the machine has shut down\n";
    std::string out;
    const unsigned per_line = size == 1 ? 8 : size == 2 ? 8 : size == 4 ? 4 : 2;
    for (unsigned k = 0; k < count; ++k) {
        const uint64_t at = addr + uint64_t(k) * size;
        if (k % per_line == 0) out += format("%s%08" PRIx64 ":", k ? "\n" : "", at);
        if (size_t(k + 1) * size > got) {
            out += format("\ncannot read %s memory at %08" PRIx64 " (%s)", physical ? "physical" : "linear", at,
                          physical ? "not RAM or ROM" : "not mapped, or not RAM or ROM");
            break;
        }
        uint64_t v = 0;
        std::memcpy(&v, data.data() + size_t(k) * size, size);
        switch (style) {
        case 'x': out += format(" 0x%0*" PRIx64, int(size * 2), v); break;
        case 'o': out += format(" 0%" PRIo64, v); break;
        case 'u': out += format(" %" PRIu64, v); break;
        case 'd': {
            const int64_t sv = size == 8 ? int64_t(v) : int64_t(v << (64 - 8 * size)) >> (64 - 8 * size);
            out += format(" %" PRId64, sv);
            break;
        }
        default: out += v >= 0x20 && v < 0x7F ? format(" '%c'", char(v)) : format(" '\\x%02x'", unsigned(v)); break;
        }
    }
    return out + "\n";
}

} // namespace xlat
