// `xlat explain`: the teaching report (docs/teaching.md). It runs the guest twice in this process,
// on two Machines, once translated (--cpu-mode jit) and once interpreted, and reports every
// mnemonic that ran with its count and class (native, helper, privileged,
// sensitive-unprivileged), exceptions and interrupts by vector, the hottest translated blocks
// with guest and host disassembly side by side, and the wall time of each run; as text, JSON or
// one self-contained HTML page.
#pragma once
#include <string>

namespace xlat {

// argv[0] is "explain"; the rest are explain's own options (--from, --count, --format, -o) and
// xlat's usual guest options. Returns the process's exit status (0: the report was written);
// throws UsageError for bad input.
int explain_main(int argc, char** argv);

// The report's classes, and the one line on how xlat catches a sensitive-unprivileged
// mnemonic (empty for the others). Exposed for the tests.
const char* explain_sensitive_note(const std::string& mnemonic);

} // namespace xlat
