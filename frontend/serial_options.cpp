#include "frontend/serial_options.h"

#include <cerrno>
#include <cstring>

#include "frontend/options.h"

namespace po = boost::program_options;

namespace xlat {

void add_serial_options(po::options_description& d) {
    d.add_options()
        ("serial", po::value<std::vector<std::string>>()->composing()->value_name("DEV"),
         "the next COM port's back end (COM1 first, up to four): stdio, file:PATH or none (default: none); "
         "output only for now");
}

std::vector<std::string> parse_serial_options(const po::variables_map& vm) {
    std::vector<std::string> out;
    if (!vm.count("serial")) return out;
    out = vm["serial"].as<std::vector<std::string>>();
    if (out.size() > 4) throw UsageError("more than four -serial ports (COM1 to COM4)");
    unsigned on_stdio = 0;
    for (const std::string& s : out) {
        if (s == "stdio") ++on_stdio;
        else if (s == "none" || (s.rfind("file:", 0) == 0 && s.size() > 5)) continue;
        else if (s.rfind("tcp:", 0) == 0) throw UsageError("-serial " + quote(s) + ": tcp back ends are not supported yet");
        else throw UsageError("invalid -serial " + quote(s) + ": use stdio, file:PATH or none");
    }
    if (on_stdio > 1) throw UsageError("-serial stdio given for more than one port");
    return out;
}

SerialBackends::SerialBackends(const std::vector<std::string>& specs) {
    for (size_t i = 0; i < specs.size() && i < 4; ++i) {
        const std::string& s = specs[i];
        if (s == "stdio") {
            ports_[i].file = stdout;
        } else if (s.rfind("file:", 0) == 0) {
            const std::string path = s.substr(5);
            ports_[i].file = std::fopen(path.c_str(), "wb");
            if (!ports_[i].file) {
                const int err = errno;
                close();
                throw UsageError("cannot open serial file " + quote(path) + ": " + std::strerror(err));
            }
            ports_[i].own = true;
        }
    }
}

SerialBackends::~SerialBackends() { close(); }

std::function<void(uint8_t)> SerialBackends::sink(unsigned i) {
    Port* p = &ports_[i];
    if (!p->file) return {};
    return [p](uint8_t b) {
        if (p->error) return;
        errno = 0;
        if (std::fputc(b, p->file) == EOF) p->error = errno ? errno : EIO;
        if (p->file == stdout && b == '\n') std::fflush(p->file);
    };
}

int SerialBackends::close() {
    int first = 0;
    for (Port& p : ports_) {
        if (!p.file) continue;
        if (std::fflush(p.file) != 0 && !p.error) p.error = errno ? errno : EIO;
        if (p.own && std::fclose(p.file) != 0 && !p.error) p.error = errno ? errno : EIO;
        p.file = nullptr;
        if (p.error && !first) first = p.error;
    }
    return first;
}

} // namespace xlat
