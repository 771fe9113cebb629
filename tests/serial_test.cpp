// The serial back ends end to end: xlat runs the serial_echo ROM (tests/roms/serial_echo.asm,
// interrupt-driven through IRQ4) with COM1 on a pipe, on a TCP client and on a real terminal (a
// pty), and the test types at it, reads the echo and checks the exit status; on the terminal it
// also checks raw mode while xlat runs and the settings afterwards. And the -serial, -nographic
// and -display options.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "frontend/options.h"
#include "process_util.h"

namespace {

const std::string kXlat = XLAT_BINARY_DIR "/bin/xlat";
const std::string kEcho = XLAT_BINARY_DIR "/tests/roms/serial_echo.bin";
constexpr double kTimeout = 30;  // seconds for any one wait: generous for a sanitizer build

// xlat as a child process, its stdin, stdout and stderr each a pipe, or all three one terminal.
struct Child {
    pid_t pid = -1;
    int in = -1, out = -1, err = -1;  // our ends (with a terminal: all the master)
    std::string got_out, got_err;
    int status = -1;                  // exit status, when it exited
    int signal = 0;                   // the signal that ended it
    bool reaped = false;

    // `tty_slave` >= 0: the child's controlling terminal (stdin, stdout and stderr), `master`
    // our side of it.
    Child(const std::vector<std::string>& args, int tty_slave = -1, int master = -1) {
        int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
        if (tty_slave < 0 && (pipe(pin) != 0 || pipe(pout) != 0 || pipe(perr) != 0)) return;
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        pid = fork();
        if (pid == 0) {
            if (tty_slave >= 0) {
                setsid();
                ioctl_tty(tty_slave);
                dup2(tty_slave, 0);
                dup2(tty_slave, 1);
                dup2(tty_slave, 2);
                if (master >= 0) close(master);
            } else {
                dup2(pin[0], 0);
                dup2(pout[1], 1);
                dup2(perr[1], 2);
                for (int fd : {pin[0], pin[1], pout[0], pout[1], perr[0], perr[1]}) close(fd);
            }
            execv(argv[0], argv.data());
            _exit(127);
        }
        if (tty_slave >= 0) {
            in = out = master;
            return;
        }
        close(pin[0]);
        close(pout[1]);
        close(perr[1]);
        in = pin[1];
        out = pout[0];
        err = perr[0];
    }
    static void ioctl_tty(int fd);
    ~Child() {
        if (pid > 0 && !reaped) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        if (err >= 0) close(err);
        if (out >= 0 && out != in) close(out);
        if (in >= 0) close(in);
    }
    void send(const std::string& s) const {
        size_t at = 0;
        while (at < s.size()) {
            const ssize_t n = write(in, s.data() + at, s.size() - at);
            if (n <= 0) return;
            at += size_t(n);
        }
    }
    void close_input() {
        close(in);
        if (out == in) out = -1;
        in = -1;
    }
    // Reads stdout and stderr until `want` has appeared in `which` (or the time is up, or both
    // ended); true when it did.
    bool read_until(const std::string& want, bool from_err = false, double seconds = kTimeout) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        std::string& hay = from_err ? got_err : got_out;
        while (hay.find(want) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
            if (out < 0 && err < 0) return false;
            if (poll(fds, 2, int(left.count())) <= 0) continue;
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                char buf[4096];
                const ssize_t n = read(fds[i].fd, buf, sizeof buf);
                if (n > 0) (i ? got_err : got_out).append(buf, size_t(n));
                else if (n == 0 || errno != EINTR) {
                    if (fds[i].fd == in) in = -1;  // a terminal: the same descriptor
                    close(fds[i].fd);
                    (i ? err : out) = -1;
                }
            }
        }
        return true;
    }
    // Reads everything until the child exits; false on a timeout.
    bool wait(double seconds = kTimeout) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        for (;;) {
            int st = 0;
            const pid_t w = waitpid(pid, &st, WNOHANG);
            // What is left in the pipes (a terminal's master never ends while we hold the slave).
            read_until("\xff\xfe(a needle no output holds)\xfe\xff", false, w == pid ? 0.05 : 0.02);
            if (w == pid) {
                reaped = true;
                if (WIFEXITED(st)) status = WEXITSTATUS(st);
                if (WIFSIGNALED(st)) signal = WTERMSIG(st);
                return true;
            }
            if (std::chrono::steady_clock::now() > end) return false;
        }
    }
};

void Child::ioctl_tty(int fd) {
    // Opening the slave after setsid() would also make it the controlling terminal; the
    // descriptor we inherited needs TIOCSCTTY.
    ioctl(fd, TIOCSCTTY, 0);
}

std::vector<std::string> echo_args(std::vector<std::string> extra) {
    std::vector<std::string> a = {kXlat, "-bios", kEcho};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

int free_tcp_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

int connect_tcp(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(uint16_t(port));
    for (int i = 0; i < 500; ++i) {  // the listener may not be up yet (nowait)
        if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
        usleep(10000);
    }
    close(fd);
    return -1;
}

// Reads from a socket until `want` appears (or the time is up).
std::string read_socket_until(int fd, const std::string& want) {
    std::string got;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(kTimeout);
    while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < end) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, size_t(n));
    }
    return got;
}

} // namespace

TEST_CASE("serial: stdin from a pipe reaches the guest, which echoes it to stdout", "[serial][cli]") {
    // Everything is written before the guest has set up its UART: the bytes wait on the host
    // until the guest raises RTS, so none is lost to its FIFO reset.
    Child c(echo_args({"-nographic"}));
    REQUIRE(c.pid > 0);
    c.send("hello\nworld\x04");
    c.close_input();
    REQUIRE(c.wait());
    INFO("stderr: " << c.got_err);
    CHECK(c.got_out == "echo ready\r\nhello\nworld\r\nbye\r\n");
    CHECK(c.status == ((11 << 1) | 1));  // 11 bytes echoed
    CHECK(c.got_err.empty());
}

TEST_CASE("serial: a long piped input arrives whole, paced by the guest's reads", "[serial][cli]") {
    std::string in;
    for (int i = 0; i < 3000; ++i) in += char('a' + i % 26);
    Child c(echo_args({"-serial", "stdio", "-debugcon", "none"}));
    REQUIRE(c.pid > 0);
    c.send(in + "\x04");
    c.close_input();
    REQUIRE(c.wait());
    INFO("stderr: " << c.got_err);
    CHECK(c.got_out == "echo ready\r\n" + in + "\r\nbye\r\n");
    CHECK(c.status == (((3000 % 128) << 1) | 1));
}

TEST_CASE("serial: the end of piped input is no more input; Ctrl-A keys work in a pipe too", "[serial][cli]") {
    SECTION("the guest goes on waiting") {
        Child c(echo_args({"-nographic"}));
        REQUIRE(c.pid > 0);
        c.send("abc");
        c.close_input();
        REQUIRE(c.read_until("echo ready\r\nabc"));
        usleep(200000);
        CHECK(waitpid(c.pid, nullptr, WNOHANG) == 0);  // still running
        kill(c.pid, SIGTERM);
        REQUIRE(c.wait());
        CHECK(c.signal == SIGTERM);
        CHECK(c.got_out == "echo ready\r\nabc");
    }
    SECTION("Ctrl-A Ctrl-A sends one Ctrl-A, an unknown key after Ctrl-A is dropped, Ctrl-A x quits with 0") {
        Child c(echo_args({"-nographic"}));
        REQUIRE(c.pid > 0);
        c.send("a\x01\x01" "b\x01z" "c");
        REQUIRE(c.read_until("a\x01" "bc"));
        c.send("\x01h");
        CHECK(c.read_until("Ctrl-A then", true));
        c.send("\x01" "b");  // a break: the ROM reads its zero character and echoes it
        CHECK(c.read_until(std::string("bc\0", 3)));
        c.send("\x01x");
        REQUIRE(c.wait());
        CHECK(c.got_out == std::string("echo ready\r\na\x01" "bc\0", 17));
        CHECK(c.status == 0);
        CHECK(c.got_err.find("terminated (Ctrl-A x)") != std::string::npos);
    }
}

TEST_CASE("serial: Ctrl-A c switches between the guest's console and the monitor (mon:stdio)", "[serial][cli]") {
    Child c(echo_args({"-serial", "mon:stdio", "-debugcon", "none"}));
    REQUIRE(c.pid > 0);
    c.send("a");
    REQUIRE(c.read_until("echo ready\r\na"));
    // The monitor has the keys: what is typed is echoed and run, the guest sees none of it.
    c.send("\x01" "c");
    REQUIRE(c.read_until("xlat monitor - type 'help' for more information"));
    c.send("info statx\x7fus\r");  // Backspace edits the line
    REQUIRE(c.read_until("VM status: running\n(xlat) "));
    c.send("bogus\r");
    REQUIRE(c.read_until("unknown command: 'bogus'"));
    // Back to the guest: its echo resumes with the next key.
    c.send("\x01" "cb");
    REQUIRE(c.read_until("(xlat) \nb"));
    c.send("\x01" "c" "quit\r");
    REQUIRE(c.wait());
    INFO("stdout: " << c.got_out << "\nstderr: " << c.got_err);
    CHECK(c.status == 0);
    CHECK(c.got_out.find("info status\n") == std::string::npos);  // the echo shows the edit
    CHECK(c.got_out.find("info statx\b \bus") != std::string::npos);
    const size_t guest_a = c.got_out.find("echo ready\r\na");
    CHECK(guest_a != std::string::npos);
    CHECK(c.got_out.find("infob") == std::string::npos);
}

TEST_CASE("serial: -monitor stdio beside -serial stdio is one reader and Ctrl-A c switches", "[serial][cli][monitor]") {
    // Two readers of stdin would share out the keys between them; the pair is muxed as
    // mon:stdio, the guest's console first, and xlat says so.
    std::vector<std::string> args;
    SECTION("-serial stdio") { args = {"-monitor", "stdio", "-serial", "stdio", "-debugcon", "none"}; }
    SECTION("-nographic") { args = {"-nographic", "-monitor", "stdio", "-debugcon", "none"}; }
    Child c(echo_args(args));
    REQUIRE(c.pid > 0);
    c.send("xy");
    REQUIRE(c.read_until("echo ready\r\nxy"));  // every key reached the guest
    c.send("\x01" "c");
    REQUIRE(c.read_until("xlat monitor - type 'help' for more information\n(xlat) "));
    c.send("info status\r");
    REQUIRE(c.read_until("VM status: running\n(xlat) "));
    c.send("\x01" "cz");
    REQUIRE(c.read_until("(xlat) \nz"));
    c.send("\x01" "c" "quit\r");
    REQUIRE(c.wait());
    INFO("stdout: " << c.got_out << "\nstderr: " << c.got_err);
    CHECK(c.status == 0);
    CHECK(c.got_err.find("xlat: the monitor shares stdio with the serial console: Ctrl-A c switches between them\n") !=
          std::string::npos);
    CHECK(c.got_out.rfind("echo ready\r\nxy", 0) == 0);
    CHECK(c.got_out.find("infoz") == std::string::npos);
}

TEST_CASE("serial: a tcp server back end echoes through its client", "[serial][cli]") {
    SECTION("wait: the machine starts when the client connects; the kernel's port is printed") {
        Child c(echo_args({"-serial", "tcp:127.0.0.1:0,server", "-debugcon", "none"}));
        REQUIRE(c.pid > 0);
        REQUIRE(c.read_until("\n", true));
        const std::string key = "waiting for a connection on tcp:127.0.0.1:";
        const size_t at = c.got_err.find(key);
        REQUIRE(at != std::string::npos);
        const int port = std::atoi(c.got_err.c_str() + at + key.size());
        REQUIRE(port > 0);
        const int s = connect_tcp(port);
        REQUIRE(s >= 0);
        CHECK(read_socket_until(s, "echo ready\r\n") == "echo ready\r\n");
        const std::string msg = "ping over tcp";
        REQUIRE(write(s, msg.data(), msg.size()) == ssize_t(msg.size()));
        CHECK(read_socket_until(s, msg) == msg);
        REQUIRE(write(s, "\x04", 1) == 1);
        CHECK(read_socket_until(s, "bye\r\n") == "\r\nbye\r\n");
        REQUIRE(c.wait());
        close(s);
        CHECK(c.status == ((int(msg.size()) << 1) | 1));
    }
    SECTION("nowait: the guest runs at once; a client that leaves is followed by the next") {
        const int port = free_tcp_port();
        Child c(echo_args({"-serial", "tcp:127.0.0.1:" + std::to_string(port) + ",server,nowait", "-debugcon", "none"}));
        REQUIRE(c.pid > 0);
        int s = connect_tcp(port);
        REQUIRE(s >= 0);
        REQUIRE(write(s, "one", 3) == 3);
        // "echo ready" went out before this client connected, unless a slow host let it connect
        // first.
        const std::string first = read_socket_until(s, "one");
        CHECK((first == "one" || first == "echo ready\r\none"));
        close(s);
        s = connect_tcp(port);
        REQUIRE(s >= 0);
        REQUIRE(write(s, "two\x04", 4) == 4);
        CHECK(read_socket_until(s, "bye\r\n") == "two\r\nbye\r\n");
        REQUIRE(c.wait());
        close(s);
        CHECK(c.status == ((6 << 1) | 1));
    }
}

namespace {

struct Pty {
    int master = -1, slave = -1;
    termios cooked{};
    Pty() {
        master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return;
        slave = open(ptsname(master), O_RDWR | O_NOCTTY);
        if (slave < 0) return;
        tcgetattr(slave, &cooked);
        // A terminal as a shell leaves it: line editing, echo, signals, CR to NL.
        cooked.c_lflag |= ICANON | ECHO | ISIG | IEXTEN;
        cooked.c_iflag |= ICRNL;
        cooked.c_oflag |= OPOST | ONLCR;
        tcsetattr(slave, TCSANOW, &cooked);
        tcgetattr(slave, &cooked);
    }
    ~Pty() {
        if (slave >= 0) close(slave);
    }
    termios now() const {
        termios t{};
        tcgetattr(slave, &t);
        return t;
    }
    bool same_as_cooked() const {
        const termios t = now();
        return t.c_iflag == cooked.c_iflag && t.c_oflag == cooked.c_oflag && t.c_lflag == cooked.c_lflag &&
               t.c_cflag == cooked.c_cflag && t.c_cc[VMIN] == cooked.c_cc[VMIN] && t.c_cc[VTIME] == cooked.c_cc[VTIME];
    }
};

} // namespace

TEST_CASE("serial: on a terminal, raw mode while xlat runs, Ctrl-A x quits with 0 and restores it", "[serial][cli]") {
    Pty t;
    REQUIRE(t.slave >= 0);
    Child c(echo_args({"-nographic"}), t.slave, t.master);
    REQUIRE(c.pid > 0);
    INFO("output: " << c.got_out);
    REQUIRE(c.read_until("echo ready\r"));
    const termios raw = t.now();
    CHECK_FALSE(raw.c_lflag & ICANON);
    CHECK_FALSE(raw.c_lflag & ECHO);
    CHECK_FALSE(raw.c_lflag & ISIG);
    CHECK_FALSE(raw.c_iflag & ICRNL);
    CHECK(raw.c_oflag & OPOST);  // the guest's "\n" still starts a line
    // Keys go one by one, without a line end; Ctrl-C is the guest's (ISIG is off), and so is CR.
    c.send("k");
    CHECK(c.read_until("\nk"));  // the terminal's ONLCR made the guest's "\r\n" "\r\r\n"
    c.send("\x03\r");
    CHECK(c.read_until("k\x03\r"));
    c.send("\x01h");
    CHECK(c.read_until("Ctrl-A then"));
    c.send("\x01x");
    REQUIRE(c.wait());
    CHECK(c.status == 0);
    CHECK(c.got_out.find("terminated (Ctrl-A x)") != std::string::npos);
    CHECK(t.same_as_cooked());
}

TEST_CASE("serial: a signal that ends xlat restores the terminal first", "[serial][cli]") {
    for (int sig : {SIGTERM, SIGHUP}) {
        Pty t;
        REQUIRE(t.slave >= 0);
        Child c(echo_args({"-nographic"}), t.slave, t.master);
        REQUIRE(c.pid > 0);
        REQUIRE(c.read_until("echo ready\r"));
        CHECK_FALSE(t.same_as_cooked());
        kill(c.pid, sig);
        REQUIRE(c.wait());
        CHECK(c.signal == sig);
        CHECK(t.same_as_cooked());
    }
}

TEST_CASE("serial: bad -serial, -display and -nographic use", "[serial][cli]") {
    const auto parse = [](std::vector<const char*> args) {
        args.insert(args.begin(), "xlat");
        return xlat::parse_options(int(args.size()), args.data());
    };
    const auto refused = [&](std::vector<const char*> args, const std::string& why) {
        try {
            parse(args);
            FAIL("accepted; expected: " << why);
        } catch (const xlat::UsageError& e) {
            CHECK(std::string(e.what()).find(why) != std::string::npos);
        }
    };
    refused({"-serial", "tcp:localhost:4444"}, "only servers");
    refused({"-serial", "tcp:localhost:70000,server"}, "port must be a number");
    refused({"-serial", "tcp:localhost,server"}, "needs HOST:PORT");
    refused({"-serial", "tcp::1,server,telnet"}, "unknown setting 'telnet'");
    refused({"-display", "sdl"}, "-display none");
    refused({"-nographic", "-serial", "stdio", "-serial", "stdio"}, "more than one port");

    xlat::Options o = parse({"-nographic"});
    CHECK(o.serial == std::vector<std::string>{"stdio"});
    CHECK(o.debugcon == "none");
    o = parse({"-nographic", "-debugcon", "stdio", "-serial", "file:/tmp/x"});
    CHECK(o.serial == std::vector<std::string>{"file:/tmp/x"});
    CHECK(o.debugcon == "stdio");
    o = parse({"-display", "none", "-serial", "tcp::4444,server,nowait"});
    CHECK(o.serial == std::vector<std::string>{"tcp::4444,server,nowait"});
    CHECK(o.debugcon == "stdio");
    CHECK(xlat::parse_serial_spec("mon:stdio").kind == xlat::SerialSpec::Stdio);  // QEMU users type it
    CHECK(xlat::parse_serial_spec("null").kind == xlat::SerialSpec::None);
    CHECK(xlat::parse_serial_spec("tcp:127.0.0.2:5,server=on,wait=off").listen.host == "127.0.0.2");
    CHECK_FALSE(xlat::parse_serial_spec("tcp:127.0.0.2:5,server=on,wait=off").listen.wait);
    CHECK(xlat::parse_serial_spec("unix:/tmp/com1.sock,server").listen.path == "/tmp/com1.sock");
}

TEST_CASE("serial: the echo ROM gives the same output and status under QEMU", "[serial][qemu]") {
    const std::string qemu = xlat_test::find_on_path("qemu-system-i386");
    if (qemu.empty()) {
        WARN("qemu-system-i386 is not on PATH: the QEMU comparison of serial_echo is skipped");
        return;
    }
    // Input goes in once the ROM is ready: QEMU has no flow control, and a byte that arrives
    // before the ROM resets the FIFOs is lost there (xlat holds it until the guest raises RTS).
    // The isapc machine: QEMU 7.2's pc machine did not deliver the ROM's IRQs without firmware
    // (see tests/roms/pic_pit.asm).
    const std::string input = "hello\nworld\x04";
    std::string outputs[2];
    int statuses[2];
    const std::vector<std::string> runs[2] = {
        echo_args({"-nographic"}),
        {qemu, "-M", "isapc", "-bios", kEcho, "-nodefaults", "-display", "none", "-serial", "stdio", "-device",
         "isa-debug-exit,iobase=0xf4,iosize=4"}};
    for (int i = 0; i < 2; ++i) {
        Child c(runs[i]);
        REQUIRE(c.pid > 0);
        REQUIRE(c.read_until("echo ready\r\n"));
        c.send(input);
        REQUIRE(c.wait());
        outputs[i] = c.got_out;
        statuses[i] = c.status;
    }
    CHECK(outputs[0] == "echo ready\r\nhello\nworld\r\nbye\r\n");
    CHECK(outputs[1] == outputs[0]);
    CHECK(statuses[1] == statuses[0]);
}

// Hidden (minutes in the interpreter): the default Linux guest's shell on ttyS0 through a real
// terminal. Needs the guest that roms/build-linux-guest builds, in $XLAT_GUEST_DIR or
// ~/.cache/xlat/guest:  build/bin/xlat_tests "[.linux-console]"
TEST_CASE("serial: the Linux guest's shell on a terminal answers typed commands; Ctrl-A x ends it", "[.linux-console]") {
    const char* env = std::getenv("XLAT_GUEST_DIR");
    const char* home = std::getenv("HOME");
    const std::string dir = env ? env : std::string(home ? home : "") + "/.cache/xlat/guest";
    if (access((dir + "/vmlinuz").c_str(), R_OK) != 0 || access((dir + "/initrd.gz").c_str(), R_OK) != 0) {
        WARN("no Linux guest in " << dir << " (roms/build-linux-guest builds it): skipped");
        return;
    }
    Pty t;
    REQUIRE(t.slave >= 0);
    Child c({kXlat, "-m", "256M", "-kernel", dir + "/vmlinuz", "-initrd", dir + "/initrd.gz", "-append",
             "console=ttyS0 quiet", "-nographic"},
            t.slave, t.master);
    REQUIRE(c.pid > 0);
    INFO("terminal: " << c.got_out);
    REQUIRE(c.read_until("xlat-guest# ", false, 900));
    c.send("echo $((6*7)); uname -m\r");
    CHECK(c.read_until("42\r\r\ni686", false, 60));
    c.send("\x01x");
    REQUIRE(c.wait());
    CHECK(c.status == 0);
    CHECK(t.same_as_cooked());
}
