#include "memory/trace.h"

namespace xlat {

const char* trace_name(TraceFlag f) {
    for (const TraceName& n : kTraceNames)
        if (n.flag == f) return n.name;
    return "?";
}

void Tracer::log(TraceFlag f, const char* fmt, ...) const {
    if (!on(f)) return;
    va_list ap;
    va_start(ap, fmt);
    vlog(f, fmt, ap);
    va_end(ap);
}

void Tracer::vlog(TraceFlag f, const char* fmt, va_list ap) const {
    char buf[1024];
    int n = std::snprintf(buf, sizeof buf, "[%s] ", trace_name(f));
    const int body = std::vsnprintf(buf + n, sizeof buf - size_t(n) - 1, fmt, ap);
    if (body > 0) n += body;
    if (n > int(sizeof buf) - 2) n = int(sizeof buf) - 2;
    buf[n++] = '\n';
    std::fwrite(buf, 1, size_t(n), out);
}

} // namespace xlat
