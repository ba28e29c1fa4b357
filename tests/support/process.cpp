#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace yooni::test {
namespace {

std::vector<char*> to_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry{*e};
        auto name = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (const auto& x : extra)
            if (x.substr(0, x.find('=')) == name) overridden = true;
        if (!overridden) env.push_back(entry);
    }
    // An entry without '=' only removes the inherited variable of that name.
    for (const auto& x : extra)
        if (x.find('=') != std::string::npos) env.push_back(x);
    return env;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
    CommandResult result;
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) return result;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    auto args = to_argv(argv);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(err_pipe[0]);
        result.err = std::string{"spawn failed: "} + std::strerror(rc);
        return result;
    }
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    std::size_t written = 0;
    if (input.empty()) { close(in_pipe[1]); in_pipe[1] = -1; }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true, err_open = true;
    char buf[65536];
    while (out_open || err_open) {
        pollfd fds[3];
        int n = 0;
        int idx_out = -1, idx_err = -1, idx_in = -1;
        if (out_open) { fds[n] = {out_pipe[0], POLLIN, 0}; idx_out = n++; }
        if (err_open) { fds[n] = {err_pipe[0], POLLIN, 0}; idx_err = n++; }
        if (in_pipe[1] >= 0) { fds[n] = {in_pipe[1], POLLOUT, 0}; idx_in = n++; }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) { kill(pid, SIGKILL); break; }
        if (poll(fds, n, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        if (idx_in >= 0 && fds[idx_in].revents) {
            ssize_t w = write(in_pipe[1], input.data() + written, input.size() - written);
            if (w > 0) written += static_cast<std::size_t>(w);
            if (w < 0 || written == input.size()) { close(in_pipe[1]); in_pipe[1] = -1; }
        }
        if (idx_out >= 0 && fds[idx_out].revents) {
            ssize_t r = read(out_pipe[0], buf, sizeof buf);
            if (r > 0) result.out.append(buf, static_cast<std::size_t>(r)); else out_open = false;
        }
        if (idx_err >= 0 && fds[idx_err].revents) {
            ssize_t r = read(err_pipe[0], buf, sizeof buf);
            if (r > 0) result.err.append(buf, static_cast<std::size_t>(r)); else err_open = false;
        }
    }
    if (in_pipe[1] >= 0) close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    // The pipes closing is not the program ending (it may close them and go on):
    // wait for its exit within the same deadline, then kill it.
    // (It usually exits as it closes them: look again soon, then less often.)
    int status = 0;
    for (auto pause = std::chrono::microseconds(50);; pause = std::min(pause * 2, std::chrono::microseconds(10000))) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(pause);
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

CommandResult run_python(const std::string& code, const std::vector<std::string>& args, const std::string& input) {
    std::vector<std::string> argv{"/usr/bin/python3", "-c", code};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input);
}

std::uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) { close(fd); throw std::runtime_error("bind"); }
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                           const std::string& log_path, const std::string& cwd) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    if (!log_path.empty()) {
        posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    auto args = to_argv(argv);
    auto env_strings = merged_env(extra_env);
    auto envp = to_argv(env_strings);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error(std::string{"cannot start "} + argv[0] + ": " + std::strerror(rc));
    pid_ = pid;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0) stop(SIGKILL);
        pid_ = other.pid_;
        other.pid_ = -1;
    }
    return *this;
}
ChildProcess::~ChildProcess() {
    if (pid_ > 0 && stop(SIGTERM, std::chrono::seconds(5)) == -1) stop(SIGKILL);
}

bool ChildProcess::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) { pid_ = -1; return false; }
    return true;
}

int ChildProcess::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) { pid_ = -1; return status; }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (signal == SIGKILL) { int status = 0; waitpid(pid_, &status, 0); pid_ = -1; return status; }
    return -1;
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        close(fd);
        if (rc == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

TempDir::TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "yooni-test.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
}
TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

}  // namespace yooni::test
