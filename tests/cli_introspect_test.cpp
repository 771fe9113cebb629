// The command line of the GDB stub, QMP, the monitor and the trace file: bad values end with
// status 1 and one line naming the problem; -D sends the trace lines to a file.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>

#include "process_util.h"
#include "scratch_dir.h"
#include "socket_client.h"

using namespace xlat_test;

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kDemo = XLAT_BINARY_DIR "/roms/demo.bin";

void check_rejected(std::vector<std::string> args, const std::string& names) {
    args.insert(args.begin(), kXlat);
    ProcessResult r = run_process(args, 30);
    INFO("stderr: " << r.err << "\nstdout: " << r.out);
    CHECK(r.exit_status == 1);
    CHECK(r.err.rfind("xlat: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(names) != std::string::npos);
    CHECK(r.out.empty());
}

} // namespace

TEST_CASE("cli: bad -gdb, -qmp, -monitor and -D values are rejected with one line", "[cli][gdbstub][qmp]") {
    SECTION("-gdb with no port") { check_rejected({"-bios", kDemo, "-gdb", "tcp:localhost"}, "HOST:PORT"); }
    SECTION("-gdb with a port too large") { check_rejected({"-bios", kDemo, "-gdb", "tcp::70000"}, "65535"); }
    SECTION("-gdb with an unknown device") { check_rejected({"-bios", kDemo, "-gdb", "serial:ttyS0"}, "serial:ttyS0"); }
    SECTION("-qmp without server") {
        check_rejected({"-bios", kDemo, "-qmp", "unix:/tmp/x.sock"}, "add ,server");
    }
    SECTION("-qmp with an unknown setting") {
        check_rejected({"-bios", kDemo, "-qmp", "unix:/tmp/x.sock,server,bogus"}, "bogus");
    }
    SECTION("-monitor bogus") { check_rejected({"-bios", kDemo, "-monitor", "vc"}, "vc"); }
    SECTION("-monitor in a missing folder") {
        check_rejected({"-bios", kDemo, "-monitor", "unix:/nonexistent-dir/m.sock,server,nowait"}, "/nonexistent-dir/m.sock");
    }
    SECTION("-D in a missing folder") { check_rejected({"-bios", kDemo, "-D", "/nonexistent-dir/trace"}, "/nonexistent-dir/trace"); }
    SECTION("-gdb on a port already taken") {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
        REQUIRE(listen(fd, 1) == 0);
        socklen_t len = sizeof sa;
        getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
        check_rejected({"-bios", kDemo, "-gdb", "tcp::" + std::to_string(ntohs(sa.sin_port))}, "Address already in use");
        close(fd);
    }
}

TEST_CASE("cli: -D FILE takes the trace lines, stderr stays clean", "[cli]") {
    ScratchDir dir("trace");
    const std::string file = (dir.dir / "trace.txt").string();
    ProcessResult r = run_process({kXlat, "-bios", kDemo, "--trace", "cpu", "-D", file, "-debugcon", "none"}, 30);
    INFO("stderr: " << r.err);
    CHECK(r.exit_status == 1);
    CHECK(r.err.empty());
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().rfind("[cpu] reset\n", 0) == 0);
}
