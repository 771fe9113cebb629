// Test helpers: running a program as a child process with a time limit, and finding programs on
// PATH. Used by the command-line tests (the built xlat binary) and the ROM tests (QEMU).
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace xlat_test {

struct ProcessResult {
    bool started = false;    // the program could be run at all
    bool timed_out = false;  // killed after the time limit
    int exit_status = -1;    // the exit status when it exited normally
    int term_signal = 0;     // the signal that ended it, if one did
    int pid = 0;             // its process ID (0: not started)
    long max_rss_kb = 0;     // its peak resident memory (getrusage's ru_maxrss), see forked_rss_kb
    // What of max_rss_kb may be ours: Linux keeps the peak across exec, so the child's counts
    // the pages it shared with this process between fork and exec (our resident size then,
    // hundreds of MB for a sanitizer build's test run). max_rss_kb - forked_rss_kb bounds
    // nothing below, but a child that used gigabytes still shows them.
    long forked_rss_kb = 0;
    std::string out;         // everything written to stdout
    std::string err;         // everything written to stderr
};

// The result in words, for a failed check's message.
inline std::string describe(const ProcessResult& r) {
    return "exit status " + std::to_string(r.exit_status) + (r.term_signal ? ", signal " + std::to_string(r.term_signal) : "") +
           (r.timed_out ? ", timed out" : "") + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// This process's resident size now (VmRSS in /proc/self/status), in KiB; 0 if unreadable.
inline long self_rss_kb() {
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    long kb = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
    std::fclose(f);
    return kb;
}

// Runs argv[0] (searched on PATH when it has no '/') with stdin from /dev/null, collecting stdout
// and stderr, and kills it (and its process group) after timeout_s seconds. A non-empty cwd is
// the directory it runs in.
inline ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s, const std::string& cwd = "") {
    ProcessResult r;
    int out_pipe[2], err_pipe[2], exec_pipe[2];
    if (pipe(out_pipe) != 0) return r;
    if (pipe(err_pipe) != 0) { close(out_pipe[0]); close(out_pipe[1]); return r; }
    if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
        close(out_pipe[0]); close(out_pipe[1]); close(err_pipe[0]); close(err_pipe[1]);
        return r;
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    r.forked_rss_kb = self_rss_kb();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(out_pipe[0]); close(out_pipe[1]); close(err_pipe[0]); close(err_pipe[1]);
        close(exec_pipe[0]);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
            int e = errno;
            ssize_t ignored = write(exec_pipe[1], &e, sizeof e);
            (void)ignored;
            _exit(127);
        }
        execvp(args[0], args.data());
        int e = errno;  // tell the parent that exec failed
        ssize_t ignored = write(exec_pipe[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    close(out_pipe[1]); close(err_pipe[1]); close(exec_pipe[1]);
    if (pid < 0) { close(out_pipe[0]); close(err_pipe[0]); close(exec_pipe[0]); return r; }
    int exec_errno = 0;
    r.started = read(exec_pipe[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno;
    if (r.started) r.pid = int(pid);
    close(exec_pipe[0]);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open_fds = 2;
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) { r.timed_out = true; break; }
        int n = poll(fds, 2, int(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got > 0) sinks[i]->append(buf, size_t(got));
            else if (got == 0 || errno != EINTR) { close(fds[i].fd); fds[i].fd = -1; --open_fds; }
        }
    }
    if (r.timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    for (pollfd& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = 0;
    // The pipes closed: the child is exiting. Wait for it, but not past the deadline.
    for (;;) {
        struct rusage ru {};
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) r.max_rss_kb = ru.ru_maxrss;
        if (w == pid) break;
        if (w < 0 && errno != EINTR) return r;
        if (!r.timed_out && std::chrono::steady_clock::now() > deadline) {
            r.timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        usleep(1000);
    }
    if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
    return r;
}

// The full path of an executable named `name` on PATH, or "" when there is none.
inline std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (!path) return {};
    std::string p(path);
    size_t start = 0;
    while (start <= p.size()) {
        size_t end = p.find(':', start);
        if (end == std::string::npos) end = p.size();
        std::string dir = p.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string full = dir + "/" + name;
        struct stat st;
        if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(full.c_str(), X_OK) == 0) return full;
        start = end + 1;
    }
    return {};
}

// A process running in the background while the test talks to it (a socket, a pty): a thread
// waits for it through run_process; wait() (or the destructor) joins and gives its result.
struct BackgroundProcess {
    ProcessResult result;
    std::atomic<bool> done{false};  // the process ended (result is complete once wait() returns)
    std::thread thread;
    // Runs `program` with `args`.
    BackgroundProcess(const std::string& program, std::vector<std::string> args, double timeout_s = 60) {
        args.insert(args.begin(), program);
        thread = std::thread([this, argv = std::move(args), timeout_s] {
            result = run_process(argv, timeout_s);
            done = true;
        });
    }
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;
    const ProcessResult& wait() {
        if (thread.joinable()) thread.join();
        return result;
    }
    ~BackgroundProcess() { wait(); }
};

} // namespace xlat_test
