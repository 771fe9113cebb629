// The disk options on the command line: -hda/-hdb, -drive, -snapshot. Bad input ends with status 1
// and one line on stderr naming the problem; good disks let the machine run.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "scratch_dir.h"
#include "frontend/options.h"
#include "process_util.h"

using namespace xlat_test;
namespace fs = std::filesystem;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kDemo = XLAT_BINARY_DIR "/roms/demo.bin";

struct Scratch : ScratchDir {
    Scratch() : ScratchDir("cli-disk") {}
    std::string disk(const std::string& name, size_t bytes) const {
        fs::path p = dir / name;
        std::ofstream(p, std::ios::binary) << std::string(bytes, '\x5a');
        return p.string();
    }
};

ProcessResult run_xlat(std::vector<std::string> args) {
    args.insert(args.begin(), kXlat);
    args.insert(args.end(), {"-bios", kDemo, "-debugcon", "none", "--max-insns", "10000000"});
    return run_process(args, 60);
}

void check_rejected(const std::vector<std::string>& args, const std::string& names) {
    ProcessResult r = run_xlat(args);
    std::string shown;
    for (const std::string& a : args) shown += " " + a;
    INFO("xlat" << shown << "\nstatus " << r.exit_status << "\nstderr: " << r.err);
    REQUIRE(r.started);
    CHECK(r.exit_status == 1);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.rfind("xlat: ", 0) == 0);
    CHECK(r.err.find(names) != std::string::npos);
}

std::vector<xlat::DriveSpec> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "xlat");
    return xlat::parse_options(int(args.size()), args.data()).drives;
}

} // namespace

TEST_CASE("cli disks: bad disk options are refused with one line", "[cli]") {
    Scratch s;
    const std::string good = s.disk("good.img", 1 << 20);
    check_rejected({"-hda", (s.dir / "missing.img").string()}, "missing.img");
    check_rejected({"-hda", s.dir.string()}, "is a directory");
    check_rejected({"-hdb", ""}, "-hdb needs a file name");
    check_rejected({"-drive", "file=" + good + ",cache=none"}, "unknown -drive key 'cache'");
    check_rejected({"-drive", "format=raw"}, "has no file=");
    check_rejected({"-drive", "file=" + good + ",format=qcow2"}, "only raw");
    check_rejected({"-drive", "file=" + good + ",if=virtio"}, "only ide");
    check_rejected({"-drive", "file=" + good + ",readonly=maybe"}, "use on or off");
    check_rejected({"-drive", "file=" + good + ",index=7"}, "use 0 to 3");
    check_rejected({"-hda", good, "-drive", "file=" + good + ",index=0"}, "two drives at IDE index 0");
    check_rejected({"-hda", s.disk("tiny.img", 100)}, "smaller than one 512-byte sector");
    std::string iso(40 * 1024, '\0');
    iso.replace(0x8001, 5, "CD001");
    const std::string iso_path = (s.dir / "cd.iso").string();
    std::ofstream(iso_path, std::ios::binary) << iso;
    check_rejected({"-hda", iso_path}, "ISO 9660");
}

TEST_CASE("cli disks: -hda, -drive and -snapshot place and open the disks", "[cli]") {
    Scratch s;
    const std::string a = s.disk("a.img", 1 << 20), b = s.disk("b.img", 1 << 20);
    std::vector<xlat::DriveSpec> d = parse({"-hda", a.c_str(), "-drive", ("file=" + b + ",readonly=on").c_str()});
    REQUIRE(d.size() == 2);
    CHECK(d[0].file == a);
    CHECK(d[0].index == 0);
    CHECK(d[1].file == b);
    CHECK(d[1].index == 1);  // the first free position
    CHECK(d[1].read_only);
    CHECK_FALSE(d[0].snapshot);
    d = parse({"-drive", ("file=" + a + ",index=3,snapshot=on,format=raw,if=ide,media=disk").c_str(), "-snapshot",
               "--hdb", b.c_str()});
    REQUIRE(d.size() == 2);
    CHECK(d[0].index == 1);
    CHECK(d[1].index == 3);
    CHECK(d[0].snapshot);  // -snapshot applies to every disk
    // ",," is a comma inside a file name.
    d = parse({"-drive", "file=x,,y.img"});
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == "x,y.img");

    // The machine runs the demo ROM with the disks attached and leaves a -snapshot disk alone.
    ProcessResult r = run_xlat({"-hda", a, "-drive", "file=" + b + ",index=2", "-snapshot"});
    INFO(r.err);
    CHECK(r.exit_status == 1);  // the demo ROM's own "success"
    CHECK(r.err.empty());
}

TEST_CASE("cli serial: -serial back ends and bad ones", "[cli]") {
    Scratch s;
    check_rejected({"-serial", "telnet:1"}, "invalid -serial 'telnet:1'");
    check_rejected({"-serial", "tcp:localhost:4444"}, "only servers");
    check_rejected({"-serial", "tcp:192.0.2.1:4444,server"}, "cannot listen on tcp:192.0.2.1:4444");  // not our address
    check_rejected({"-display", "gtk"}, "invalid -display 'gtk'");
    check_rejected({"-serial", "none", "-serial", "none", "-serial", "none", "-serial", "none", "-serial", "none"},
                   "more than four");
    check_rejected({"-serial", "stdio", "-serial", "stdio"}, "more than one port");
    check_rejected({"-serial", "file:/nonexistent-dir/com1"}, "/nonexistent-dir/com1");
    const std::string path = (s.dir / "com1.txt").string();
    ProcessResult r = run_xlat({"-serial", "file:" + path, "-serial", "none"});
    CHECK(r.exit_status == 1);  // the demo ROM ran
    CHECK(fs::exists(path));
}
