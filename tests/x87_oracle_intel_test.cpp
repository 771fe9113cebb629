// The x87 transcendentals against results recorded on an Intel host, on every host.
//
// Intel and AMD x87s differ in the transcendentals FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X
// FYL2XP1: in the last bit, in PE and C1, and at the underflow threshold in UE, the tag and the
// result (tests/x87_oracle.h, "Vendors"). xlat answers as Intel's does, so on a non-Intel host
// the random oracle test cannot check those parts against the host. This test checks them
// against tests/data/x87_transcendental_intel.txt instead: a grid of edge cases (zeros' and
// denormals' neighbours, pseudo-denormals, the smallest normal and its neighbours, the
// thresholds where results underflow or overflow, the 2^-68 below which Intel returns the
// operand unrounded, the 2^-40 below which FPATAN returns the quotient, operands near multiples
// of pi/2), each in the four rounding modes and the four precision controls, with
// underflow, precision and denormal exceptions masked and unmasked; and a sample of ordinary
// random operands. Each line holds the inputs and the Intel host's outputs, so the file does
// not depend on any generator here.
//
// Re-recording (only on an Intel host; the test refuses anywhere else):
//     build/bin/xlat_tests "[.x87-record]"
// writes the file in the source tree (XLAT_RECORD_DIR=dir writes dir/x87_transcendental_intel.txt
// instead). The cases are the ones record_cases() below lists.
#include "tests/x87_oracle.h"

#include <fstream>
#include <set>
#include <sstream>

using namespace x87test;

namespace {

const char* const kFile = "x87_transcendental_intel.txt";

std::string data_path(bool write) {
    const char* dir = write ? std::getenv("XLAT_RECORD_DIR") : nullptr;
    return std::string(dir && *dir ? dir : XLAT_SOURCE_DIR "/tests/data") + "/" + kFile;
}

struct TrForm { const char* name; uint8_t modrm; bool binary; };
// The eight instructions (D9 xx); `binary`: reads ST(1) too.
const TrForm kForms[] = {{"f2xm1", 0xF0, false}, {"fyl2x", 0xF1, true},    {"fptan", 0xF2, false},
                         {"fpatan", 0xF3, true}, {"fyl2xp1", 0xF9, true},  {"fsincos", 0xFB, false},
                         {"fsin", 0xFE, false},  {"fcos", 0xFF, false}};

OracleForm oracle_form(const TrForm& t) {
    return OracleForm{t.name, 0, 0xD9, -1, t.modrm, t.modrm, Mem::None, false, true};
}

const TrForm* find_form(const std::string& name) {
    for (const TrForm& t : kForms)
        if (name == t.name) return &t;
    return nullptr;
}

// One recorded case: the instruction, the control word, ST(0) = x and ST(1) = y.
struct Case {
    const TrForm* form;
    uint16_t fcw;
    Float80 x, y;
};

const Float80 kOne = f80(false, 0x3FFF, 1ull << 63);

// The state a case runs from: TOP = 3, ST(0) = x, ST(1) = y, the rest empty (ST(7) too, so
// FSINCOS and FPTAN can push), no exception flags, condition codes clear.
State case_state(const Case& k) {
    State s{};
    s.fcw = k.fcw;
    const unsigned top = 3;
    s.fsw = uint16_t(top << 11);
    s.phys[top] = k.x;
    s.phys[top + 1] = k.y;
    s.ftw = 0xFFFF;
    for (unsigned p : {top, top + 1}) s.ftw = uint16_t((s.ftw & ~(3u << (2 * p))) | fp80::tag_of(s.phys[p]) << (2 * p));
    for (unsigned i = 0; i < 8; ++i) s.regs[i] = 0x11111111u * i;
    return s;
}

// The cases to record: a grid at the vendors' edge, the failing case in every rounding
// and precision control, and a sample of ordinary operands.
std::vector<Case> record_cases() {
    std::vector<Case> v;
    std::set<std::tuple<std::string, uint16_t, uint64_t, uint16_t, uint64_t, uint16_t>> seen;
    auto add = [&](const TrForm& t, uint16_t fcw, Float80 x, Float80 y) {
        if (!t.binary) y = kOne;
        if (seen.insert({t.name, fcw, x.mant, x.sexp, y.mant, y.sexp}).second) v.push_back(Case{&t, fcw, x, y});
    };
    // The control word as the oracle's pick_fcw builds it (bits 12 and 6 set): rounding `rc`,
    // precision `pc`, exception masks `m`.
    auto fcw = [](unsigned rc, unsigned pc, unsigned m) { return uint16_t(0x1040 | rc << 10 | pc << 8 | m); };
    const unsigned kAll = 0x3F, kUnmaskUE = 0x2F, kUnmaskPE = 0x1F, kUnmaskDE = 0x3D;
    // Every value in the four rounding modes, masked and (where a result can underflow) with
    // UE unmasked, the precision control turning with the value; some with PE or DE unmasked.
    unsigned turn = 0;
    auto grid = [&](const TrForm& t, Float80 x, Float80 y, bool can_underflow) {
        for (unsigned rc = 0; rc < 4; ++rc) {
            add(t, fcw(rc, (turn + rc) % 4, kAll), x, y);
            if (can_underflow) add(t, fcw(rc, (turn + rc + 1) % 4, kUnmaskUE), x, y);
        }
        if (turn % 3 == 0) {
            add(t, fcw(turn % 4, 3, kUnmaskPE), x, y);
            add(t, fcw((turn + 1) % 4, 3, kUnmaskDE), x, y);
        }
        ++turn;
    };
    const uint64_t J = 1ull << 63;
    // Magnitudes at the bottom of the range: denormals (smallest, middle, largest), pseudo-
    // denormals, the smallest normal and its neighbours, 1/ln 2 times it (where F2XM1's result
    // crosses into the denormals), values 64 and 128 binades up.
    const Float80 tiny[] = {f80(false, 0, 1),
                            f80(false, 0, 0x00000000ABCDEF01ull),
                            f80(false, 0, 0x4000000000000000ull),
                            f80(false, 0, 0x7FFFFFFFFFFFFFFFull),
                            f80(false, 0, J),
                            f80(false, 0, 0xC000000000000001ull),
                            f80(false, 1, J),
                            f80(false, 1, J | 1),
                            f80(false, 1, 0xB8AA3B295C17F0BCull),
                            f80(false, 1, ~0ull),
                            f80(false, 2, J),
                            f80(false, 0x40, 0xA5A5A5A5A5A5A5A5ull),
                            f80(false, 0x80, ~0ull)};
    // Around 2^-68, below which Intel's FSIN FPTAN FSINCOS return the operand (FCOS 1) unrounded.
    const Float80 small[] = {f80(false, 0x3FBA, ~0ull), f80(false, 0x3FBB, J), f80(false, 0x3FBC, 0xC000000000000001ull),
                             f80(false, 0x3FDF, 0x9E3779B97F4A7C15ull)};
    for (const TrForm& t : kForms) {
        if (t.binary) continue;
        for (bool neg : {false, true}) {
            for (Float80 x : tiny) grid(t, neg ? fp80::negate(x) : x, kOne, true);
            for (Float80 x : small) grid(t, neg ? fp80::negate(x) : x, kOne, false);
        }
    }
    const Float80 one5 = f80(false, 0x3FFF, 0xC000000000000000ull), two = f80(false, 0x4000, J),
                  three = f80(false, 0x4000, 0xC000000000000000ull), big = f80(false, 0x7FFE, J),
                  max = f80(false, 0x7FFE, ~0ull), smallest = f80(false, 1, J);
    // FPATAN: atan(y / x), tiny when y is tiny against x > 0.
    const TrForm& fpatan = *find_form("fpatan");
    for (Float80 y : {smallest, fp80::negate(smallest), tiny[3], fp80::negate(tiny[0]), tiny[4], tiny[11],
                      fp80::negate(tiny[10])})
        grid(fpatan, kOne, y, true);
    grid(fpatan, three, smallest, true);
    grid(fpatan, three, fp80::negate(tiny[2]), true);
    grid(fpatan, big, kOne, true);                                  // 2^-16383: a denormal
    grid(fpatan, big, fp80::negate(kOne), true);
    grid(fpatan, max, one5, true);
    grid(fpatan, fp80::negate(kOne), smallest, true);               // about pi
    grid(fpatan, f80(false, 0x4063, J), f80(false, 0x004F, 0xF0F0F0F0F0F0F0F0ull), true);  // 2^-16400
    grid(fpatan, kOne, small[1], false);
    grid(fpatan, f80(false, 0x3FFE, ~0ull), smallest, true);        // just above the smallest normal
    // Around 2^-40, below which Intel returns the quotient y / x for atan(y / x).
    for (unsigned e = 0x3FFF - 42; e <= 0x3FFF - 38; ++e)
        for (uint64_t m : std::initializer_list<uint64_t>{J, ~0ull, J | 0x3039})
            for (bool neg : {false, true}) grid(fpatan, kOne, neg ? f80(true, e, m) : f80(false, e, m), false);
    grid(fpatan, three, f80(false, 0x3FFF - 39, J), false);
    // FYL2X: y log2 x, tiny with a tiny y; exact when x is a power of two; overflowing with a
    // huge y.
    const TrForm& fyl2x = *find_form("fyl2x");
    for (Float80 y : {smallest, fp80::negate(smallest), tiny[3], fp80::negate(tiny[0]), tiny[4], tiny[11],
                      f80(false, 0x42, J), f80(true, 0x41, 0xC000000000000000ull)})
        for (Float80 x : {two, f80(false, 0x3FFE, 0xC000000000000000ull)}) grid(fyl2x, x, y, true);
    grid(fyl2x, f80(false, 0x3FFF, J | 1), smallest, true);         // log2 x about 2^-62.5
    grid(fyl2x, big, f80(false, 0x7FF0, J), true);                  // overflow
    grid(fyl2x, f80(false, 0x4001, J), max, true);                  // 2 max: overflow
    grid(fyl2x, two, max, true);                                    // exactly max
    // FYL2XP1: y log2(1 + x), about y x / ln 2.
    const TrForm& fyl2xp1 = *find_form("fyl2xp1");
    for (Float80 y : {smallest, fp80::negate(smallest), tiny[3], tiny[11]})
        for (Float80 x : {f80(false, 0x3FFB, 0xCCCCCCCCCCCCCCCDull), f80(true, 0x3FFC, 0xCCCCCCCCCCCCCCCDull)})
            grid(fyl2xp1, x, y, true);
    for (Float80 y : {kOne, f80(false, 0x3FFE, J)})
        for (Float80 x : {smallest, fp80::negate(smallest), tiny[3]}) grid(fyl2xp1, x, y, true);
    grid(fyl2xp1, f80(false, 0x2000, J), f80(false, 0x2000, J), true);
    // The case: FSIN and FSINCOS of the smallest normal, rounding towards zero (FCW
    // 1F7F), gave the operand on the Intel host and the largest denormal on an AMD EPYC. Every
    // rounding and precision control, for all five one-operand instructions.
    for (const TrForm& t : kForms)
        if (!t.binary)
            for (bool neg : {false, true})
                for (unsigned rc = 0; rc < 4; ++rc)
                    for (unsigned pc = 0; pc < 4; ++pc) add(t, fcw(rc, pc, kAll), neg ? fp80::negate(smallest) : smallest, kOne);
    // Near multiples of pi/2, where the results depend on the x87's 66-bit pi of the reduction.
    std::mt19937_64 prng(77);
    const Float80 pi = f80(false, 0x4000, 0xC90FDAA22168C235ull), half = f80(false, 0x3FFE, J);
    for (unsigned i = 0; i < 12; ++i) {
        fp80::Context c;
        const int shift = int(prng() % 62);
        const int64_t k = int64_t((prng() >> (63 - shift)) | 1);
        Float80 x = fp80::mul(c, fp80::mul(c, pi, fp80::from_int(k)), half);
        x.mant += prng() % 7 - 3;
        if (prng() % 2) x = fp80::negate(x);
        for (const char* name : {"fsin", "fcos", "fsincos", "fptan"}) grid(*find_form(name), x, kOne, false);
    }
    // Ordinary operands, as the random oracle test draws them.
    std::mt19937_64 rng(20261204);
    for (const TrForm& t : kForms) {
        const OracleForm f = oracle_form(t);
        for (unsigned i = 0; i < 16; ++i) {
            Float80 x = pick_f80(rng);
            clamp_domain(rng, f, x);
            add(t, pick_fcw(rng), x, pick_f80(rng));
        }
    }
    return v;
}

// A recorded case with the Intel host's outputs: the status and full tag words, ST(0), and
// ST(1) when the instruction writes two registers.
struct Record {
    Case k;
    uint16_t fsw, ftw;
    Float80 st0, st1;
    unsigned line;
};

std::string hex16(uint16_t v) { char b[8]; std::snprintf(b, sizeof b, "%04x", v); return b; }

bool parse80(const std::string& s, Float80& f) {
    unsigned e;
    unsigned long long m;
    char tail;
    if (s.size() != 21 || std::sscanf(s.c_str(), "%4x:%16llx%c", &e, &m, &tail) != 2) return false;
    f = Float80{uint64_t(m), uint16_t(e)};
    return true;
}

bool parse16(const std::string& s, uint16_t& v) {
    unsigned x;
    char tail;
    if (s.size() != 4 || std::sscanf(s.c_str(), "%4x%c", &x, &tail) != 1) return false;
    v = uint16_t(x);
    return true;
}

// Reads the file: one case a line, "form fcw x y : fsw ftw st0 st1" (y and st1 "-" where the
// instruction does not use them); '#' starts a comment. Throws on a malformed line.
std::vector<Record> read_records(const std::string& path, std::string& signature) {
    std::vector<Record> out;
    hostcpu::read_recorded_lines(path, signature, [&](const std::string& line, unsigned n) {
        std::istringstream ls(line);
        std::string name, fcw, x, y, colon, fsw, ftw, s0, s1, extra;
        ls >> name >> fcw >> x >> y >> colon >> fsw >> ftw >> s0 >> s1;
        Record r{};
        r.line = n;
        r.k.form = find_form(name);
        r.k.y = kOne;
        bool ok = r.k.form && colon == ":" && !(ls >> extra) && parse16(fcw, r.k.fcw) && parse80(x, r.k.x) &&
                  parse16(fsw, r.fsw) && parse16(ftw, r.ftw) && parse80(s0, r.st0);
        if (ok) ok = r.k.form->binary ? parse80(y, r.k.y) : y == "-";
        if (ok) ok = written_regs(oracle_form(*r.k.form)) == 2 ? parse80(s1, r.st1) : s1 == "-";
        if (!ok) throw std::runtime_error(path + ":" + std::to_string(n) + ": malformed line: " + line.substr(0, 120));
        out.push_back(r);
    });
    return out;
}

std::string format_record(const Record& r) {
    const bool two = written_regs(oracle_form(*r.k.form)) == 2;
    return std::string(r.k.form->name) + " " + hex16(r.k.fcw) + " " + hex80(r.k.x) + " " +
           (r.k.form->binary ? hex80(r.k.y) : "-") + " : " + hex16(r.fsw) + " " + hex16(r.ftw) + " " + hex80(r.st0) +
           " " + (two ? hex80(r.st1) : "-");
}

// The outcome of running a case (host or guest), as a Record.
Record outcome(const Case& k, const Result& res, unsigned line) {
    return Record{k, res.fsw, res.ftw, res.st[0], res.st[1], line};
}

// The guest's result for a recorded case, and the reference built from it with the recorded
// parts replaced: compare() then judges exactly those parts.
std::string check_record(Guest& g, const Record& rec, uint64_t& ulp) {
    const OracleForm f = oracle_form(*rec.k.form);
    const State s = case_state(rec.k);
    const Result r = run_guest(g, encode(f, rec.k.form->modrm, 0, false), s);
    Result h = r;
    h.retired = true;
    h.fsw = rec.fsw;
    h.ftw = rec.ftw;
    h.st[0] = rec.st0;
    if (written_regs(f) == 2) h.st[1] = rec.st1;
    const std::string why = compare(f, h, r, Rule::Exact, ulp);
    if (why.empty()) return why;
    return "line " + std::to_string(rec.line) + ": " + describe(f, encode(f, rec.k.form->modrm, 0, false), s) +
           "\n  Intel: " + format_record(rec) + "\n  xlat:  " + format_record(outcome(rec.k, r, 0)) + "\n  differs:" + why;
}

std::vector<Record> load() {
    std::string sig;
    return read_records(data_path(false), sig);
}

} // namespace

TEST_CASE("x87 transcendentals agree with the results recorded on an Intel host", "[x87][oracle]") {
    std::string sig;
    const std::vector<Record> recs = read_records(data_path(false), sig);
    REQUIRE(recs.size() > 1500);
    Guest g;
    uint64_t ulp = 0, bad = 0;
    std::map<std::string, unsigned> per_form;
    for (const Record& rec : recs) {
        ++per_form[rec.k.form->name];
        const std::string why = check_record(g, rec, ulp);
        if (!why.empty() && ++bad <= 30) FAIL_CHECK(why);
    }
    for (const TrForm& t : kForms) {
        INFO(t.name);
        CHECK(per_form[t.name] >= 100);  // every instruction covered
    }
    // The random oracle leaves the cases vendor_edge() picks to this data on a non-Intel host:
    // the data has such cases of every instruction but FCOS (never at the edge) in every
    // rounding mode and precision control, with underflow masked and unmasked.
    std::set<std::string> edge;
    for (const Record& rec : recs) {
        if (!vendor_edge(oracle_form(*rec.k.form), case_state(rec.k))) continue;
        const std::string n = rec.k.form->name;
        edge.insert(n + " rc" + std::to_string(rec.k.fcw >> 10 & 3));
        edge.insert(n + " pc" + std::to_string(rec.k.fcw >> 8 & 3));
        edge.insert(n + ((rec.k.fcw & 0x10) ? " UE masked" : " UE unmasked"));
    }
    for (const TrForm& t : kForms) {
        if (std::string(t.name) == "fcos") continue;
        for (const char* what : {" rc0", " rc1", " rc2", " rc3", " pc0", " pc1", " pc2", " pc3", " UE masked", " UE unmasked"}) {
            INFO(t.name << what);
            CHECK(edge.count(t.name + std::string(what)) == 1);
        }
    }
    INFO("records " << recs.size() << ", one ulp from Intel " << ulp);
    CHECK(bad == 0);
    // On an Intel host of the recorded model the host itself must still give the recorded
    // answers (the file is what it says); other Intel models may differ in the last bit.
    if (hostcpu::detected_vendor() == hostcpu::Vendor::Intel) {
        HostThunk thunk;
        REQUIRE(thunk.ok());
        alignas(16) static uint8_t buf[kDataSize];
        uint64_t host_bad = 0, host_ulp = 0;
        for (const Record& rec : recs) {
            const OracleForm f = oracle_form(*rec.k.form);
            Result h;
            REQUIRE(run_host(thunk, encode(f, rec.k.form->modrm, 0, true), case_state(rec.k), buf, h) == 0);
            Result want = h;
            want.fsw = rec.fsw;
            want.ftw = rec.ftw;
            want.st[0] = rec.st0;
            if (written_regs(f) == 2) want.st[1] = rec.st1;
            if (!compare(f, want, h, sig == hostcpu::signature() ? Rule::Exact : Rule::Vendor, host_ulp).empty()) {
                ++host_bad;
                if (host_bad <= 10) UNSCOPED_INFO("host differs: " << format_record(outcome(rec.k, h, rec.line)));
            }
        }
        INFO("recorded on " << sig << ", this host " << hostcpu::signature());
        if (sig == hostcpu::signature()) CHECK(host_bad == 0);
        else if (host_bad) WARN(host_bad << " recorded cases differ on this Intel model beyond the last bit");
    }
}

// The failing case, on every host: FSIN and FSINCOS of +-0001:8000000000000000 with
// FCW 1F7F (and the other rounding and precision controls). Intel returns the operand with PE
// only; an AMD EPYC returned the largest denormal 0000:7FFFFFFFFFFFFFFF with UE and PE.
TEST_CASE("x87: FSIN and FSINCOS of the smallest normal give Intel's answer on every host", "[x87][oracle]") {
    const std::vector<Record> recs = load();
    Guest g;
    unsigned found = 0, found_1f7f = 0;
    uint64_t ulp = 0;
    for (const Record& rec : recs) {
        const std::string name = rec.k.form->name;
        if ((name != "fsin" && name != "fsincos") || fp80::abs(rec.k.x).sexp != 1 || rec.k.x.mant != 1ull << 63 ||
            (rec.k.fcw & 0x3F) != 0x3F)
            continue;
        ++found;
        INFO(format_record(rec));
        if (rec.k.fcw == 0x1F7F) {
            ++found_1f7f;
            // What the Intel host answered (the issue): the operand unrounded, PE set, UE clear,
            // the register valid. A file recorded elsewhere would not say this. (FSINCOS
            // pushes the cosine: the sine is ST(1).)
            const bool sincos = name == "fsincos";
            CHECK(fp80::same(sincos ? rec.st1 : rec.st0, rec.k.x));
            CHECK((rec.fsw & 0x3F) == 0x20);
            CHECK(((rec.ftw >> (2 * (((rec.fsw >> 11) + (sincos ? 1 : 0)) & 7))) & 3) == 0);
        }
        const std::string why = check_record(g, rec, ulp);
        CHECK(why == "");
    }
    CHECK(found_1f7f == 4);  // fsin and fsincos of + and -
    CHECK(found == 64);      // ... in all 16 rounding and precision controls
    CHECK(ulp == 0);         // and bit for bit
}

// An xlat bug the recorded data found: FPATAN computed atan(y / x) correctly rounded for every
// quotient, where Intel returns the quotient itself below 2^-40: for y = the smallest normal and
// x = 1, rounding down or towards zero, Intel gives y (PE), xlat gave the largest denormal
// (UE, PE). Checked against the recorded cases around 2^-40 and at the underflow threshold.
TEST_CASE("x87: FPATAN of a quotient below 2^-40 is the quotient, as on Intel", "[x87][oracle]") {
    const std::vector<Record> recs = load();
    Guest g;
    unsigned found = 0, as_is = 0;
    uint64_t ulp = 0;
    for (const Record& rec : recs) {
        if (std::string(rec.k.form->name) != "fpatan" || !fp80::same(rec.k.x, kOne)) continue;
        const unsigned e = fp80::biased_exp(rec.k.y);
        if (!(e <= 1 || (e >= 0x3FFF - 42 && e <= 0x3FFF - 38))) continue;
        ++found;
        if (fp80::same(rec.st0, rec.k.y) && (rec.k.fcw & 0x3F) == 0x3F) ++as_is;
        INFO(format_record(rec));
        CHECK(check_record(g, rec, ulp) == "");
    }
    CHECK(found >= 150);
    CHECK(as_is >= 50);  // the recorded data shows the rule: many results are y itself
    CHECK(ulp == 0);
}

// Writes the data file from this host. Hidden: run it by its tag on an Intel host.
TEST_CASE("record the x87 transcendentals on this Intel host", "[.x87-record]") {
    if (hostcpu::detected_vendor() != hostcpu::Vendor::Intel) FAIL("the recording needs an Intel host, this is " << hostcpu::cpuid_vendor_string());
    HostThunk thunk;
    REQUIRE(thunk.ok());
    alignas(16) static uint8_t buf[kDataSize];
    const std::vector<Case> cases = record_cases();
    const std::string path = data_path(true);
    std::ofstream out(path);
    REQUIRE(out);
    out << "# x87 transcendentals on an Intel host, read by tests/x87_oracle_intel_test.cpp; written by\n"
           "# build/bin/xlat_tests \"[.x87-record]\" (on an Intel host only). One case a line:\n"
           "#   form fcw st0 st1 : fsw ftw st0' st1'\n"
           "# from TOP = 3, ST(0) = st0, ST(1) = st1 (1.0 where the form does not read it: \"-\"), the\n"
           "# other registers empty, no flags; after it the status word, the full tag word (FSAVE's),\n"
           "# ST(0) and, for FSINCOS and FPTAN, ST(1). Values are sign+exponent:significand in hex.\n"
           "# host "
        << hostcpu::brand_string() << "\n# host signature " << hostcpu::signature() << "\n";
    unsigned n = 0;
    for (const Case& k : cases) {
        const OracleForm f = oracle_form(*k.form);
        Result h;
        REQUIRE(run_host(thunk, encode(f, k.form->modrm, 0, true), case_state(k), buf, h) == 0);
        out << format_record(outcome(k, h, 0)) << "\n";
        ++n;
    }
    out.close();
    REQUIRE(out);
    std::printf("wrote %u cases to %s\n", n, path.c_str());
    // What was written reads back as the same cases.
    std::string sig;
    CHECK(read_records(path, sig).size() == n);
    CHECK(sig == hostcpu::signature());
}
