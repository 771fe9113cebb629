// `xlat explain` (frontend/explain.cpp) on tests/roms/explain_sensitive.asm, whose counts of the
// sensitive-unprivileged and privileged instructions are known from its source.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "frontend/explain.h"
#include "process_util.h"
#include "rom_util.h"
#include "scratch_dir.h"

using namespace xlat_test;
using nlohmann::json;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kRom = rom_image("explain_sensitive");

std::map<std::string, json> by_mnemonic(const json& report) {
    std::map<std::string, json> out;
    for (const json& i : report.at("instructions")) out[i.at("mnemonic").get<std::string>()] = i;
    return out;
}

json explain_json(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {kXlat, "explain", "-bios", kRom, "--format", "json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessResult r = run_process(argv, 60);
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

void check_count(const std::map<std::string, json>& m, const std::string& mnemonic, const std::string& cls,
                 uint64_t count) {
    INFO(mnemonic);
    REQUIRE(m.count(mnemonic));
    const json& i = m.at(mnemonic);
    CHECK(i.at("class") == cls);
    CHECK(i.at("count").get<uint64_t>() == count);         // the JIT run
    CHECK(i.at("count_interp").get<uint64_t>() == count);  // the interpreter run
}

} // namespace

TEST_CASE("explain --format json: the test ROM's sensitive and privileged counts, exceptions, times", "[cli][explain]") {
    ProcessResult r = run_process({kXlat, "explain", "-bios", kRom, "--format", "json"}, 60);
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    CHECK(r.err.find("ok\n") != std::string::npos);  // the guest's console goes to stderr
    const json rep = json::parse(r.out);
    const auto m = by_mnemonic(rep);
    check_count(m, "sgdt", "sensitive-unprivileged", 3);
    check_count(m, "sidt", "sensitive-unprivileged", 5);
    check_count(m, "smsw", "sensitive-unprivileged", 7);
    check_count(m, "pushf", "sensitive-unprivileged", 11);
    check_count(m, "popf", "sensitive-unprivileged", 11);
    check_count(m, "int", "sensitive-unprivileged", 6);
    check_count(m, "iret", "sensitive-unprivileged", 9);  // 4 INT 30h + 2 INT 31h + 3 #DE
    CHECK(rep["int_n"] == json({{"0x30", 4}, {"0x31", 2}}));
    check_count(m, "lgdt", "privileged", 2);
    check_count(m, "lidt", "privileged", 1);
    CHECK_FALSE(m.count("sldt"));  // never ran: not listed
    CHECK(m.at("sgdt").at("sensitive_note").get<std::string>().find("GDTR") != std::string::npos);
    // The ALU loop: 1000 iterations, each instruction either translated natively or a helper call.
    for (const char* alu : {"add", "xor", "rol", "inc", "dec", "jnz"}) {
        INFO(alu);
        REQUIRE(m.count(alu));
        const json& i = m.at(alu);
        CHECK(i.at("count_interp").get<uint64_t>() >= 1000);
        CHECK(i.at("count") == i.at("count_interp"));
        const std::string cls = i.at("class");
        CHECK((cls == "native" || cls == "helper"));
        CHECK((cls == "native") == (i.at("translated_native").get<uint64_t>() > 0));
        CHECK(i.at("translated_native").get<uint64_t>() + i.at("translated_helper").get<uint64_t>() > 0);
    }
    // Three #DE, and the 4 INT 30h + 3 #DE deliveries; no external interrupt (IF stays clear).
    REQUIRE(rep.at("exceptions").contains("0"));
    CHECK(rep["exceptions"]["0"]["name"] == "#DE");
    CHECK(rep["exceptions"]["0"]["count"] == 3);
    CHECK(rep["exceptions"].size() == 1);
    CHECK(rep["interrupts"]["external"].empty());
    // Both runs ended at the exit port with the ROM's status, and both were timed.
    CHECK(rep["runs"]["jit"]["exit_status"] == 33);
    CHECK(rep["runs"]["interp"]["exit_status"] == 33);
    CHECK(rep["runs"]["jit"]["stop"] == "exit port");
    CHECK(rep["time"]["jit_s"].get<double>() > 0);
    CHECK(rep["time"]["interp_s"].get<double>() > 0);
    // The hottest block is the ALU loop: 1000 runs of 6 instructions, guest and host listed.
    REQUIRE_FALSE(rep["blocks"].empty());
    const json& hot = rep["blocks"][0];
    CHECK(hot["runs"].get<uint64_t>() >= 999);
    CHECK(hot["length"] == 6);
    CHECK(hot["guest"][2]["text"].get<std::string>().find("rol ebx, 0x03") != std::string::npos);
    REQUIRE(hot["host"].size() > 6);
    CHECK(hot["host"][0]["text"].get<std::string>() != "(bad)");
}

TEST_CASE("explain --from/--count counts a window of the run", "[cli][explain]") {
    const std::vector<uint8_t> image = read_binary(kRom);
    const uint8_t loop[] = {0x9C, 0x9D, 0xE2, 0xFC};  // pushf; popf; loop $-2
    const auto at = std::search(image.begin(), image.end(), std::begin(loop), std::end(loop));
    REQUIRE(at != image.end());
    char from[16];
    std::snprintf(from, sizeof from, "0x%x", unsigned(0xF0000 + (at - image.begin())));
    const json rep = explain_json({"--from", from, "--count", "33"});
    const auto m = by_mnemonic(rep);
    CHECK(m.size() == 3);
    check_count(m, "pushf", "sensitive-unprivileged", 11);
    check_count(m, "popf", "sensitive-unprivileged", 11);
    REQUIRE(m.count("loop"));
    CHECK(m.at("loop").at("count") == 11);
    CHECK(rep["window"]["count"] == 33);
    CHECK(rep["runs"]["jit"]["instructions_counted"] == 33);
    CHECK(rep["runs"]["interp"]["instructions_counted"] == 33);
    CHECK(rep["runs"]["jit"]["stop"] == "instruction limit");
    CHECK(rep["exceptions"].empty());
}

TEST_CASE("explain: counts per form where a mnemonic covers sensitive and plain ones, INT n per vector", "[cli][explain]") {
    const std::vector<uint8_t> image = read_binary(kRom);
    const uint8_t marker[] = {0xBE, 0xC5, 0x5E};  // mov si, 0x5EC5
    const auto at = std::search(image.begin(), image.end(), std::begin(marker), std::end(marker));
    REQUIRE(at != image.end());
    char from[16];
    std::snprintf(from, sizeof from, "0x%x", unsigned(0xF0000 + (at - image.begin())));
    const json rep = explain_json({"--from", from, "--count", "18"});
    const auto m = by_mnemonic(rep);
    auto forms = [&](const char* mn) {
        REQUIRE(m.count(mn));
        return m.at(mn).at("forms");
    };
    CHECK(forms("mov") == json({{"sreg", 3}, {"plain", 1}, {"from_sreg", 1}, {"to_sreg", 2}}));
    CHECK(forms("push") == json({{"sreg", 1}, {"plain", 0}}));
    CHECK(forms("pop") == json({{"sreg", 1}, {"plain", 0}}));
    CHECK(forms("call") == json({{"far", 2}, {"near", 1}}));
    CHECK(forms("ret") == json({{"far", 2}, {"near", 1}}));
    CHECK(forms("jmp") == json({{"far", 1}, {"near", 1}}));
    check_count(m, "int", "sensitive-unprivileged", 2);
    check_count(m, "iret", "sensitive-unprivileged", 2);
    CHECK(rep["int_n"] == json({{"0x31", 2}}));
    CHECK_FALSE(m.at("int").contains("forms"));
}

TEST_CASE("explain: text and HTML reports", "[cli][explain]") {
    ScratchDir dir("explain");
    const std::string txt = (dir.dir / "r.txt").string(), html = (dir.dir / "r.html").string();
    ProcessResult t = run_process({kXlat, "explain", "-bios", kRom, "-o", txt}, 60);
    REQUIRE(t.exit_status == 0);
    std::ifstream tin(txt);
    const std::string text((std::istreambuf_iterator<char>(tin)), std::istreambuf_iterator<char>());
    CHECK(text.find("wall time: jit ") != std::string::npos);
    // The row: mnemonic, class, the JIT's count and the interpreter's.
    CHECK(std::regex_search(text, std::regex("\n  sgdt +sensitive-unprivileged +3 +3 ")));
    CHECK(text.find("  0 #DE: 3") != std::string::npos);

    ProcessResult h = run_process({kXlat, "explain", "-bios", kRom, "--format=html", "-o", html}, 60);
    REQUIRE(h.exit_status == 0);
    std::ifstream hin(html);
    const std::string page((std::istreambuf_iterator<char>(hin)), std::istreambuf_iterator<char>());
    CHECK(page.find("<svg") != std::string::npos);
    CHECK(page.find("<script") == std::string::npos);  // self-contained: nothing to fetch or run
    CHECK(page.find("src=") == std::string::npos);
    CHECK(page.find("<td>pushf</td>") != std::string::npos);

    const std::string chromium = "/usr/bin/chromium";
    if (access(chromium.c_str(), X_OK) != 0) {
        WARN("/usr/bin/chromium is missing (apt-get install chromium): the headless-browser check is skipped");
        return;
    }
    // The DOM as Chromium built it from the page, and a screenshot of it.
    const std::string shot = (dir.dir / "shot.png").string();
    const std::string profile = (dir.dir / "profile").string();
    ProcessResult dom = run_process({chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                     "--user-data-dir=" + profile, "--dump-dom", "file://" + html},
                                    120);
    INFO(dom.err);
    REQUIRE(dom.exit_status == 0);
    CHECK(dom.out.find("<table id=\"instructions\">") != std::string::npos);
    CHECK(dom.out.find("<td>sgdt</td><td><span class=\"cls\" style=\"background:#c62828\">sensitive-unprivileged"
                       "</span></td><td class=\"n\">3</td>") != std::string::npos);
    CHECK(dom.out.find("<td>smsw</td>") != std::string::npos);
    CHECK(dom.out.find("id=\"jit_s\"") != std::string::npos);
    ProcessResult ss = run_process({chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                    "--user-data-dir=" + profile, "--screenshot=" + shot, "--window-size=1200,900",
                                    "file://" + html},
                                   120);
    INFO(ss.err);
    CHECK(ss.exit_status == 0);
    std::ifstream png(shot, std::ios::binary);
    char sig[8] = {};
    png.read(sig, 8);
    CHECK(std::string(sig + 1, 3) == "PNG");
}

TEST_CASE("explain: bad options and a window never reached give one line and status 1", "[cli][explain]") {
    struct Case {
        std::vector<std::string> args;
        const char* says;
    } cases[] = {
        {{"--format", "xml"}, "--format: 'xml' is not one of"},
        {{"--from", "0x1000"}, "--from and --count go together"},
        {{"--from", "0x1000", "--count", "0"}, "at least one instruction"},
        {{"--from", "zz", "--count", "3"}, "--from: 'zz' is not a number"},
        {{"--from", "0x1234", "--count", "3"}, "never ran the instruction at --from 0x00001234"},
        {{"-o", "/nonexistent-dir/r.txt"}, "cannot open"},
        {{"-s"}, "not for explain runs"},
    };
    for (const Case& c : cases) {
        std::vector<std::string> argv = {kXlat, "explain", "-bios", kRom};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        ProcessResult r = run_process(argv, 60);
        INFO(c.args[0] << " -> " << r.err);
        CHECK(r.exit_status == 1);
        CHECK(r.out.empty());
        CHECK(r.err.find(c.says) != std::string::npos);
        // One error line (the guest's own console output, if any ran, comes before it).
        const size_t x = r.err.find("xlat: ");
        REQUIRE(x != std::string::npos);
        CHECK(r.err.find('\n', x) == r.err.size() - 1);
    }
}

TEST_CASE("explain: a note for each sensitive-unprivileged mnemonic and none for others", "[explain]") {
    for (const char* m : {"sgdt", "sidt", "sldt", "smsw", "str", "pushf", "pushfd", "popf", "popfd", "lar", "lsl",
                          "verr", "verw", "push", "pop", "mov", "call", "jmp", "ret", "int", "iret", "iretd"}) {
        INFO(m);
        CHECK(std::string(xlat::explain_sensitive_note(m)).size() > 60);
    }
    CHECK(std::string(xlat::explain_sensitive_note("add")).empty());
    CHECK(std::string(xlat::explain_sensitive_note("lgdt")).empty());
}
