// The GDB remote serial protocol (GDB manual, appendix E "GDB Remote Serial Protocol"): the
// packets a stock gdb sends to an i386 target in all-stop mode. See frontend/gdbstub.h.
#include "frontend/gdbstub.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "memory/fault.h"

namespace xlat {

namespace {

constexpr size_t kPacketSize = 0x1000;  // announced in qSupported: the largest packet we take

// The target description (GDB manual, "Target Descriptions", and "i386 Features"): the core
// feature with the names gdb's i386 port requires, in the order of the g packet; x87 registers
// ST(i) (not physical Ri), as gdb numbers them; then xlat's own feature for the control registers.
// No SSE feature: xlat has no XMM registers yet.
const char kTargetXml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.xlat.i386.sys\">\n"
    "<reg name=\"cr0\" bitsize=\"32\" type=\"int\" group=\"system\"/>\n"
    "<reg name=\"cr2\" bitsize=\"32\" type=\"int\" group=\"system\"/>\n"
    "<reg name=\"cr3\" bitsize=\"32\" type=\"int\" group=\"system\"/>\n"
    "<reg name=\"cr4\" bitsize=\"32\" type=\"int\" group=\"system\"/>\n"
    "<reg name=\"efer\" bitsize=\"64\" type=\"int\" group=\"system\"/>\n"
    "</feature>\n"
    "</target>\n";

// Register numbers, in the order of the description above.
enum : unsigned {
    kRegEip = 8, kRegEflags = 9, kRegCs = 10, kRegGs = 15, kRegSt0 = 16, kRegSt7 = 23, kRegFctrl = 24,
    kRegFop = 31, kRegCr0 = 32, kRegCr2 = 33, kRegCr3 = 34, kRegCr4 = 35, kRegEfer = 36, kRegCount = 37,
};
// The g packet's segment order (cs ss ds es fs gs) in SegReg terms.
constexpr SegReg kSegOrder[6] = {CS, SS, DS, ES, FS, GS};
// EFLAGS bits a debugger may write (SDM Vol. 1, 3.4.3); bit 1 always reads 1.
constexpr uint32_t kWritableFlags = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

unsigned reg_size(unsigned n) {
    if (n >= kRegSt0 && n <= kRegSt7) return 10;
    return n == kRegEfer ? 8 : 4;
}

const char kHex[] = "0123456789abcdef";

void put_hex(std::string& out, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        out += kHex[p[i] >> 4];
        out += kHex[p[i] & 15];
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Hex text to bytes; false on an odd length or a bad digit.
bool from_hex(const std::string& hex, std::vector<uint8_t>& out) {
    if (hex.size() % 2) return false;
    out.clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(uint8_t(hi << 4 | lo));
    }
    return true;
}

// A hex number (as gdb writes addresses and lengths); false when empty, bad or too large.
bool parse_hex(const std::string& text, uint64_t& v) {
    if (text.empty() || text.size() > 16) return false;
    v = 0;
    for (char c : text) {
        int d = hex_digit(c);
        if (d < 0) return false;
        v = v << 4 | unsigned(d);
    }
    return true;
}

// The bytes of register n (little-endian, as on the target). Machine thread.
std::vector<uint8_t> get_reg(const Cpu& cpu, unsigned n) {
    const CpuState& s = cpu.s;
    std::vector<uint8_t> b(reg_size(n));
    uint64_t v = 0;
    if (n < 8) v = s.reg32(n);  // the g order is the ModRM order: eax ecx edx ebx esp ebp esi edi
    else if (n == kRegEip) v = s.eip();
    else if (n == kRegEflags) v = s.eflags;
    else if (n >= kRegCs && n <= kRegGs) v = s.seg[kSegOrder[n - kRegCs]].selector;
    else if (n >= kRegSt0 && n <= kRegSt7) {
        // ST(i) is physical register (TOP + i) mod 8 (SDM Vol. 1, 8.1.2).
        const unsigned top = (s.fpu.fsw >> 11) & 7;
        const Float80& f = s.fpu.st[(top + n - kRegSt0) & 7];
        std::memcpy(b.data(), &f.mant, 8);
        std::memcpy(b.data() + 8, &f.sexp, 2);
        return b;
    } else if (n >= kRegFctrl && n <= kRegFop) {
        const uint32_t fpu[8] = {s.fpu.fcw, s.fpu.fsw, s.fpu.ftw, s.fpu.fcs, s.fpu.fip, s.fpu.fds, s.fpu.fdp, s.fpu.fop};
        v = fpu[n - kRegFctrl];
    } else if (n == kRegCr0) v = s.cr0;
    else if (n == kRegCr2) v = s.cr2;
    else if (n == kRegCr3) v = s.cr3;
    else if (n == kRegCr4) v = s.cr4;
    else if (n == kRegEfer) v = s.efer;
    std::memcpy(b.data(), &v, b.size());
    return b;
}

// Writes register n from its target bytes; false when the value cannot be loaded (a segment
// selector protected mode refuses, a CR value that faults). Machine thread.
bool set_reg(Cpu& cpu, unsigned n, const uint8_t* b) {
    CpuState& s = cpu.s;
    uint64_t v = 0;
    if (!(n >= kRegSt0 && n <= kRegSt7)) std::memcpy(&v, b, reg_size(n));
    const uint32_t v32 = uint32_t(v);
    try {
        if (n < 8) s.set_reg32(n, v32);
        else if (n == kRegEip) s.set_eip(v32);
        else if (n == kRegEflags) {
            const bool if_rose = (v32 & IF) && !(s.eflags & IF);
            s.eflags = (v32 & kWritableFlags) | FIXED1;
            cpu.mode_changed();  // VM may have changed
            if (if_rose) cpu.interrupt_window_opened();
        } else if (n >= kRegCs && n <= kRegGs) {
            const SegReg sr = kSegOrder[n - kRegCs];
            const uint16_t sel = uint16_t(v32);
            if (sel == s.seg[sr].selector) return true;  // a G packet rewrites every register
            if (cpu.real_mode() || cpu.v86()) cpu.load_seg_real(sr, sel);
            else if (sr == CS) return false;  // a far transfer's checks belong to the guest
            else cpu.load_seg(sr, sel);
        } else if (n >= kRegSt0 && n <= kRegSt7) {
            const unsigned top = (s.fpu.fsw >> 11) & 7;
            Float80& f = s.fpu.st[(top + n - kRegSt0) & 7];
            std::memcpy(&f.mant, b, 8);
            std::memcpy(&f.sexp, b + 8, 2);
        } else if (n >= kRegFctrl && n <= kRegFop) {
            switch (n - kRegFctrl) {
            case 0: s.fpu.fcw = uint16_t(v32); break;
            case 1: s.fpu.fsw = uint16_t(v32); break;
            case 2: s.fpu.ftw = uint16_t(v32); break;
            case 3: s.fpu.fcs = uint16_t(v32); break;
            case 4: s.fpu.fip = v32; break;
            case 5: s.fpu.fds = uint16_t(v32); break;
            case 6: s.fpu.fdp = v32; break;
            default: s.fpu.fop = uint16_t(v32 & 0x7FF); break;
            }
        } else if (n == kRegCr2) s.cr2 = v32;
        else if (n == kRegCr0 || n == kRegCr3 || n == kRegCr4 || n == kRegEfer) {
            if (n == kRegCr0 && v32 == s.cr0) return true;
            if (n == kRegCr3 && v32 == s.cr3) return true;
            if (n == kRegCr4 && v32 == s.cr4) return true;
            if (n == kRegEfer && v == s.efer) return true;
            cpu.load_paging_regs(n == kRegCr0 ? v32 | CR0_ET : s.cr0, n == kRegCr3 ? v32 : s.cr3,
                                 n == kRegCr4 ? v32 : s.cr4, n == kRegEfer ? v : s.efer);
            cpu.mode_changed();
        } else {
            return false;
        }
    } catch (const GuestFault&) {
        return false;
    }
    return true;
}

} // namespace

GdbStub::GdbStub(Machine& machine, const ListenSpec& spec) : m_(machine), spec_(spec) {
    listen_fd_ = open_listener(spec);
    m_.add_listener([this](const Machine::RunEvent& e) {
        std::lock_guard<std::mutex> lock(mu_);
        events_.push_back(e);
        wake_.wake();
    });
    thread_ = std::thread([this] { thread_main(); });
}

GdbStub::~GdbStub() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    wake_.wake();
    thread_.join();
    if (conn_ >= 0) close(conn_);
    close(listen_fd_);
    if (spec_.is_unix) unlink(spec_.path.c_str());
}

void GdbStub::thread_main() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_.fd(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents & POLLIN) {
            wake_.drain();
            on_events();
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) return;
        }
        if (machine_ended_) continue;  // nothing to debug any more: wait for the destructor
        if (!(fds[0].revents & POLLIN)) continue;
        conn_ = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn_ < 0) continue;
        // As QEMU: a debugger that attaches finds the machine stopped.
        no_ack_ = false;
        waiting_ = false;
        inbuf_.clear();
        m_.call([this] { m_.pause(Machine::PauseCause::Request); });
        last_stop_ = "T05thread:01;";
        serve();
        if (conn_ >= 0) close(conn_);
        conn_ = -1;
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
    }
}

void GdbStub::serve() {
    for (;;) {
        if (conn_ < 0) return;  // detached (D) or the peer is gone
        pollfd fds[2] = {{conn_, POLLIN, 0}, {wake_.fd(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents & POLLIN) {
            wake_.drain();
            on_events();
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) return;
        }
        if (conn_ < 0) return;
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        const ssize_t n = recv(conn_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // the client went away: as a detach (QEMU resumes the guest too)
            detach();
            return;
        }
        inbuf_.append(buf, size_t(n));
        // Packets are $payload#xx; a lone 0x03 is Ctrl-C; '+' and '-' are acknowledgements.
        while (!inbuf_.empty() && conn_ >= 0) {
            const char c = inbuf_[0];
            if (c == 0x03) {
                inbuf_.erase(0, 1);
                m_.tracer.log(kTraceGdb, "<- Ctrl-C%s", waiting_ ? "" : " (ignored: the guest is stopped)");
                if (waiting_) m_.post([this] { m_.pause(Machine::PauseCause::Request); });
                continue;
            }
            if (c != '$') {
                inbuf_.erase(0, 1);
                continue;
            }
            const size_t hash = inbuf_.find('#');
            if (hash == std::string::npos || inbuf_.size() < hash + 3) {
                if (inbuf_.size() > 2 * kPacketSize + 16) inbuf_.clear();  // junk without an end
                break;
            }
            const std::string payload = inbuf_.substr(1, hash - 1);
            uint64_t sum = 0;
            const bool sum_ok = parse_hex(inbuf_.substr(hash + 1, 2), sum);
            inbuf_.erase(0, hash + 3);
            uint8_t mine = 0;
            for (char ch : payload) mine = uint8_t(mine + uint8_t(ch));
            if (!no_ack_) {
                if (!sum_ok || sum != mine) {
                    send_all(conn_, "-");
                    continue;
                }
                send_all(conn_, "+");
            }
            handle(payload);
        }
    }
}

// A packet for the trace: printable bytes as they are, others as '.'.
std::string GdbStub::printable(const std::string& p) {
    std::string out = p.substr(0, 400);
    for (char& c : out)
        if (uint8_t(c) < 0x20 || uint8_t(c) > 0x7E) c = '.';
    return p.size() > 400 ? out + "..." : out;
}

void GdbStub::send_packet(const std::string& payload) {
    if (conn_ < 0) return;
    m_.tracer.log(kTraceGdb, "-> %s", printable(payload).c_str());
    uint8_t sum = 0;
    for (char ch : payload) sum = uint8_t(sum + uint8_t(ch));
    char tail[4];
    std::snprintf(tail, sizeof tail, "#%02x", sum);
    // Acknowledgements ('+') from gdb are read and skipped with the next packets; a '-' (a
    // corrupt packet on a TCP stream) is not answered by resending.
    if (!send_all(conn_, "$" + payload + tail)) {
        close(conn_);
        conn_ = -1;
    }
}

void GdbStub::on_events() {
    std::deque<Machine::RunEvent> evs;
    {
        std::lock_guard<std::mutex> lock(mu_);
        evs.swap(events_);
    }
    for (const Machine::RunEvent& e : evs) {
        if (e.kind == Machine::RunEvent::Shutdown) {
            machine_ended_ = true;
            // The guest ended (exit port, quit): gdb hears the process's exit status.
            char w[8];
            std::snprintf(w, sizeof w, "W%02x", unsigned(e.exit_status) & 0xFF);
            if (conn_ >= 0) {
                send_packet(w);
                shutdown(conn_, SHUT_WR);
            }
            waiting_ = false;
            continue;
        }
        if (e.kind != Machine::RunEvent::Stop) continue;
        // Only the stop of the run gdb started is reported: attaching, another client's stop
        // and the like leave '?' answering as before.
        if (waiting_ && e.generation >= waiting_gen_) {
            waiting_ = false;
            last_stop_ = stop_reply(e);
            send_packet(last_stop_);
        }
    }
}

std::string GdbStub::stop_reply(const Machine::RunEvent& e) const {
    if (e.cause != Machine::PauseCause::Debug) return "T02thread:01;";  // SIGINT: stopped on request
    char buf[64];
    switch (e.hit) {
    case DebugStops::Hit::Breakpoint: {
        // gdb takes EIP as the PC and the breakpoint's address as linear: where CS.base is not
        // zero (real mode, V86) they differ, and a stop that claims to be a breakpoint at a PC
        // where gdb has none is taken for one just removed and silently resumed (gdb's
        // "moribund" locations). Without the claim gdb shows the stop as a SIGTRAP at EIP.
        if (e.hit_addr != e.eip) return "T05thread:01;";
        auto it = breakpoint_hw_.find(e.hit_addr);
        return std::string("T05thread:01;") + (it != breakpoint_hw_.end() && it->second ? "hwbreak:;" : "swbreak:;");
    }
    case DebugStops::Hit::Watch:
        std::snprintf(buf, sizeof buf, "T05thread:01;%swatch:%x;",
                      e.hit_kind == WatchKind::Read ? "r" : e.hit_kind == WatchKind::Access ? "a" : "", e.hit_addr);
        return buf;
    default:
        return "T05thread:01;";
    }
}

void GdbStub::resume(bool step, const std::string& addr) {
    uint64_t new_eip = 0;
    const bool set_eip = !addr.empty() && parse_hex(addr, new_eip);
    uint64_t gen = 0;
    // waiting_ first: the stop of this run may come before call() returns (a step on HLT).
    waiting_ = true;
    waiting_gen_ = UINT64_MAX;
    if (!m_.call([&] {
            if (set_eip) m_.cpu.s.set_eip(uint32_t(new_eip));
            gen = m_.debug_resume(step);
        })) {
        waiting_ = false;
        return;
    }
    waiting_gen_ = gen;
}

void GdbStub::detach() {
    breakpoint_hw_.clear();
    waiting_ = false;
    m_.call([this] {
        DebugStops& d = m_.cpu.debugger;
        d.breakpoints.clear();
        d.watches.clear();
        d.single_step = false;
        m_.cpu.debugger_changed();
        m_.resume();
    });
}

std::string GdbStub::breakpoint(bool insert, const std::string& args) {
    // Ztype,addr,kind
    const size_t c1 = args.find(','), c2 = args.find(',', c1 == std::string::npos ? c1 : c1 + 1);
    if (args.size() < 1 || c1 != 1 || c2 == std::string::npos) return "E01";
    const char type = args[0];
    uint64_t addr, len;
    if (!parse_hex(args.substr(2, c2 - 2), addr) || addr > 0xFFFFFFFFu) return "E01";
    const std::string lens = args.substr(c2 + 1);
    if (!parse_hex(lens.substr(0, lens.find(';')), len)) return "E01";
    if (type < '0' || type > '4') return "";  // unknown kinds: not supported
    const uint32_t lin = uint32_t(addr);
    if (type == '0' || type == '1') {
        if (insert) breakpoint_hw_[lin] = type == '1';
        else breakpoint_hw_.erase(lin);
    } else if (len == 0 || len > 0x10000) {
        return "E01";
    }
    const WatchKind kind = WatchKind(type - '0');
    m_.call([&] {
        DebugStops& d = m_.cpu.debugger;
        if (type == '0' || type == '1') {
            auto it = std::find(d.breakpoints.begin(), d.breakpoints.end(), lin);
            if (insert && it == d.breakpoints.end()) d.breakpoints.push_back(lin);
            if (!insert && it != d.breakpoints.end()) d.breakpoints.erase(it);
        } else {
            auto it = std::find_if(d.watches.begin(), d.watches.end(), [&](const DebugStops::Watch& w) {
                return w.lin == lin && w.len == len && w.kind == kind;
            });
            if (insert && it == d.watches.end()) d.watches.push_back({lin, uint32_t(len), kind});
            if (!insert && it != d.watches.end()) d.watches.erase(it);
        }
        m_.cpu.debugger_changed();
    });
    return "OK";
}

std::string GdbStub::read_registers() {
    std::string out;
    m_.call([&] {
        for (unsigned n = 0; n < kRegCount; ++n) {
            std::vector<uint8_t> b = get_reg(m_.cpu, n);
            put_hex(out, b.data(), b.size());
        }
    });
    return out;
}

std::string GdbStub::write_registers(const std::string& hex) {
    std::vector<uint8_t> bytes;
    if (!from_hex(hex, bytes)) return "E01";
    bool ok = true;
    m_.call([&] {
        size_t at = 0;
        for (unsigned n = 0; n < kRegCount && at + reg_size(n) <= bytes.size(); at += reg_size(n), ++n)
            ok &= set_reg(m_.cpu, n, bytes.data() + at);
    });
    return ok ? "OK" : "E01";
}

std::string GdbStub::read_register(unsigned n) {
    if (n >= kRegCount) return "E01";
    std::string out;
    m_.call([&] {
        std::vector<uint8_t> b = get_reg(m_.cpu, n);
        put_hex(out, b.data(), b.size());
    });
    return out;
}

std::string GdbStub::write_register(unsigned n, const std::string& hex) {
    std::vector<uint8_t> bytes;
    if (n >= kRegCount || !from_hex(hex, bytes) || bytes.size() != reg_size(n)) return "E01";
    bool ok = false;
    m_.call([&] { ok = set_reg(m_.cpu, n, bytes.data()); });
    return ok ? "OK" : "E01";
}

std::string GdbStub::read_memory(const std::string& args) {
    const size_t comma = args.find(',');
    uint64_t addr, len;
    if (comma == std::string::npos || !parse_hex(args.substr(0, comma), addr) ||
        !parse_hex(args.substr(comma + 1), len) || addr > 0xFFFFFFFFu)
        return "E01";
    len = std::min<uint64_t>(len, kPacketSize / 2);
    std::vector<uint8_t> data(len);
    size_t got = 0;
    m_.call([&] { got = m_.read_linear(uint32_t(addr), data.data(), data.size()); });
    // Unmapped memory: EFAULT, as QEMU answers; a partial read returns what could be read.
    if (got == 0 && len) return "E14";
    std::string out;
    put_hex(out, data.data(), got);
    return out;
}

std::string GdbStub::write_memory(const std::string& args, bool binary) {
    const size_t comma = args.find(','), colon = args.find(':');
    uint64_t addr, len;
    if (comma == std::string::npos || colon == std::string::npos || colon < comma ||
        !parse_hex(args.substr(0, comma), addr) || !parse_hex(args.substr(comma + 1, colon - comma - 1), len) ||
        addr > 0xFFFFFFFFu)
        return "E01";
    std::vector<uint8_t> data;
    const std::string body = args.substr(colon + 1);
    if (binary) {
        // X: binary data with '}' escaping the next byte (XOR 0x20).
        for (size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '}' && i + 1 < body.size()) data.push_back(uint8_t(body[++i] ^ 0x20));
            else data.push_back(uint8_t(body[i]));
        }
    } else if (!from_hex(body, data)) {
        return "E01";
    }
    if (data.size() != len) return "E01";
    size_t put = 0;
    m_.call([&] { put = m_.write_linear(uint32_t(addr), data.data(), data.size()); });
    return put == data.size() ? "OK" : "E14";
}

void GdbStub::handle(const std::string& p) {
    m_.tracer.log(kTraceGdb, "<- %s", printable(p).c_str());
    if (p.empty()) return send_packet("");
    const auto starts = [&](const char* s) { return p.rfind(s, 0) == 0; };
    switch (p[0]) {
    case '?': return send_packet(last_stop_);
    case 'g': return send_packet(read_registers());
    case 'G': return send_packet(write_registers(p.substr(1)));
    case 'p': {
        uint64_t n;
        return send_packet(parse_hex(p.substr(1), n) ? read_register(unsigned(std::min<uint64_t>(n, 999))) : "E01");
    }
    case 'P': {
        const size_t eq = p.find('=');
        uint64_t n;
        if (eq == std::string::npos || !parse_hex(p.substr(1, eq - 1), n)) return send_packet("E01");
        return send_packet(write_register(unsigned(std::min<uint64_t>(n, 999)), p.substr(eq + 1)));
    }
    case 'm': return send_packet(read_memory(p.substr(1)));
    case 'M': return send_packet(write_memory(p.substr(1), false));
    case 'X': return send_packet(write_memory(p.substr(1), true));
    case 'c': return resume(false, p.substr(1));
    case 's': return resume(true, p.substr(1));
    case 'C':
    case 'S': {  // with a signal, which a bare machine has no use for
        const size_t semi = p.find(';');
        return resume(p[0] == 'S', semi == std::string::npos ? "" : p.substr(semi + 1));
    }
    case 'Z': return send_packet(breakpoint(true, p.substr(1)));
    case 'z': return send_packet(breakpoint(false, p.substr(1)));
    case 'H': return send_packet("OK");  // one thread: every selection names it
    case 'T': return send_packet("OK");  // thread 1 is alive
    case 'D':
        send_packet("OK");
        detach();
        close(conn_);
        conn_ = -1;
        return;
    case 'k':  // kill: xlat ends with status 0; no reply is expected
        m_.post([this] { m_.quit(0); });
        return;
    default: break;
    }
    if (starts("qSupported"))
        return send_packet("PacketSize=" + [] { char b[16]; std::snprintf(b, sizeof b, "%zx", kPacketSize); return std::string(b); }() +
                           ";qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+");
    if (p == "QStartNoAckMode") {
        send_packet("OK");
        no_ack_ = true;
        return;
    }
    if (starts("qXfer:features:read:")) {
        // qXfer:features:read:ANNEX:OFFSET,LENGTH
        const std::string rest = p.substr(20);
        const size_t colon = rest.find(':'), comma = rest.find(',');
        uint64_t off, len;
        if (colon == std::string::npos || comma == std::string::npos || comma < colon ||
            !parse_hex(rest.substr(colon + 1, comma - colon - 1), off) || !parse_hex(rest.substr(comma + 1), len))
            return send_packet("E01");
        if (rest.substr(0, colon) != "target.xml") return send_packet("E00");
        const std::string xml = kTargetXml;
        if (off >= xml.size()) return send_packet("l");
        len = std::min<uint64_t>(len, kPacketSize - 16);
        const std::string part = xml.substr(size_t(off), size_t(len));
        // The text has none of the bytes binary data must escape ($ # } *).
        return send_packet((off + part.size() >= xml.size() ? "l" : "m") + part);
    }
    if (p == "qAttached" || starts("qAttached:")) return send_packet("1");
    if (p == "qC") return send_packet("QC01");
    if (p == "qfThreadInfo") return send_packet("m01");
    if (p == "qsThreadInfo") return send_packet("l");
    if (starts("qSymbol")) return send_packet("OK");
    if (p == "vCont?") return send_packet("vCont;c;C;s;S");
    if (starts("vCont;")) {
        // vCont;ACTION[:TID][;ACTION[:TID]]...: the first action that names thread 1 or all.
        const char a = p.size() > 6 ? p[6] : 'c';
        if (a == 's' || a == 'S') return resume(true, "");
        if (a == 'c' || a == 'C') return resume(false, "");
        return send_packet("E01");
    }
    if (starts("vKill")) {
        send_packet("OK");
        m_.post([this] { m_.quit(0); });
        return;
    }
    send_packet("");  // not supported: the empty reply
}

} // namespace xlat
