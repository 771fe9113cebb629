// The default guest on a real terminal: `xlat` with no guest options, started in a tmux pane
// (a pseudo-terminal, as a user's terminal emulator gives), boots to the busybox shell on COM1;
// the test types commands with `tmux send-keys` and reads the answers with `capture-pane`:
// arithmetic, uname, Ctrl-C interrupting a foreground command, `reboot` (the machine resets and
// the kernel boots again), then Ctrl-A x, which must end xlat with status 0 and leave the
// terminal's settings as they were before (stty -g before and after).
//
// It boots Linux twice, so it is hidden from the default run: build/bin/xlat_tests
// "[.linux-console]" (.ci/run runs it with the boot test). It needs tmux (.ci/setup installs it)
// and the guest (tests/linux_guest.h).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "linux_guest.h"
#include "process_util.h"
#include "scratch_dir.h"

namespace {

// A tmux server of the test's own (its own socket name), killed with everything in it at the end.
class Tmux {
public:
    explicit Tmux(std::string program) : program_(std::move(program)), socket_("xlat-test-" + std::to_string(getpid())) {}
    ~Tmux() { run({"kill-server"}); }
    xlat_test::ProcessResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {program_, "-L", socket_});
        return xlat_test::run_process(args, 20);
    }
    // The pane's whole text, history included, wrapped lines joined.
    std::string screen() const { return run({"capture-pane", "-p", "-J", "-S", "-", "-t", "xlat"}).out; }
    void type(const std::string& text) const {
        run({"send-keys", "-t", "xlat", "-l", text});
        run({"send-keys", "-t", "xlat", "Enter"});
    }
    void keys(std::vector<std::string> k) const {
        k.insert(k.begin(), {"send-keys", "-t", "xlat"});
        run(k);
    }
    // Polls the screen until `done` holds or `seconds` pass; true when it held.
    bool wait_for(const std::function<bool(const std::string&)>& done, double seconds) const {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
            if (done(screen())) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        return done(screen());
    }

private:
    std::string program_, socket_;
};

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

} // namespace

TEST_CASE("linux: the default guest's shell on a terminal: keys, Ctrl-C, reboot, Ctrl-A x", "[.linux-console]") {
    const std::string tmux_program = xlat_test::find_on_path("tmux");
    if (tmux_program.empty()) {
        WARN("tmux is not installed (.ci/setup installs it): the console test is skipped");
        return;
    }
    const std::string dir = xlat_test::guest_dir();
    if (dir.empty()) return;
    xlat_test::ScratchDir scratch("linux-console");
    const std::string before = (scratch.dir / "stty-before").string(), after = (scratch.dir / "stty-after").string();
    // xlat with no guest options: the default guest, COM1 on the pane's terminal.
    const std::string shell = "stty -g > '" + before + "'; XLAT_GUEST_DIR='" + dir + "' '" + xlat_test::kXlatBinary +
                              "'; echo XLAT-EXIT=$?; stty -g > '" + after + "'; sleep 600";
    Tmux tmux(tmux_program);
    xlat_test::ProcessResult started =
        tmux.run({"new-session", "-d", "-s", "xlat", "-x", "160", "-y", "50", "/bin/sh", "-c", shell});
    REQUIRE(started.exit_status == 0);
    auto prompts = [](size_t n) { return [n](const std::string& s) { return count(s, "xlat-guest#") >= n; }; };
    auto has_line = [](const std::string& line) {
        return [line](const std::string& s) { return s.find("\n" + line + "\n") != std::string::npos; };
    };

    // The banner of /init, then busybox's shell with the prompt of /etc/profile.
    bool up = tmux.wait_for(prompts(1), 600);
    INFO("screen:\n" << tmux.screen());
    REQUIRE(up);
    CHECK(count(tmux.screen(), "xlat-guest: Linux 6.1.0-") == 1);
    tmux.type("echo $((7*6))");
    CHECK(tmux.wait_for(has_line("42"), 60));
    tmux.type("uname -m");
    CHECK(tmux.wait_for(has_line("i686"), 60));
    // Ctrl-C reaches the guest's foreground job (the shell has ttyS0 as its controlling tty).
    tmux.type("sleep 1000; echo sleep-ended");
    std::this_thread::sleep_for(std::chrono::seconds(2));
    tmux.keys({"C-c"});
    tmux.type("echo after-ctrl-c");
    CHECK(tmux.wait_for(has_line("after-ctrl-c"), 60));
    CHECK(tmux.screen().find("\nsleep-ended") == std::string::npos);
    // reboot: busybox's init ends the shell, the kernel resets the machine, and xlat boots the
    // kernel again to a second banner and prompt.
    tmux.type("reboot");
    const std::string banner = "xlat-guest: Linux 6.1.0-";
    CHECK(tmux.wait_for([&](const std::string& s) { return count(s, banner) == 2; }, 600));
    CHECK(tmux.wait_for([&](const std::string& s) {
        const size_t second = s.rfind(banner);
        return second != std::string::npos && s.find("xlat-guest#", second) != std::string::npos;
    }, 120));
    tmux.type("echo second-boot-$((1+1))");
    CHECK(tmux.wait_for(has_line("second-boot-2"), 60));
    // Ctrl-A x: xlat ends with status 0 and gives the terminal its settings back.
    tmux.keys({"C-a", "x"});
    CHECK(tmux.wait_for([](const std::string& s) { return s.find("XLAT-EXIT=") != std::string::npos; }, 30));
    CHECK(tmux.screen().find("XLAT-EXIT=0\n") != std::string::npos);
    CHECK(tmux.wait_for([&](const std::string&) { return !read_file(after).empty(); }, 10));
    CHECK(!read_file(before).empty());
    CHECK(read_file(after) == read_file(before));
}
