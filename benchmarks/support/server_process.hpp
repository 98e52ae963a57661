// A benchmark's server in a process of its own: the benchmark re-executes
// itself with a server subcommand, reads the port the child prints as its
// first line, and terminates and reaps it when done -- on every exit path,
// and even when the parent is killed (the child dies with it).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace rpcnet::bench {

/// A failure that ends the benchmark with a one-line message.
struct bench_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

class server_process {
public:
  /// Runs /proc/self/exe with `args` (argv[0] included) and waits up to
  /// `start_timeout` for it to print its port.
  explicit server_process(std::vector<std::string> args,
                          std::chrono::seconds start_timeout = std::chrono::seconds{15}) {
    // Built before fork: the child may only make async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw bench_error(errno_text("pipe"));
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) {
      close(fds[0]);
      close(fds[1]);
      throw bench_error(errno_text("fork"));
    }
    if (pid_ == 0) {
      // The getppid check closes the race with a parent that died before prctl.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
      if (dup2(fds[1], STDOUT_FILENO) < 0)
        _exit(127);
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    close(fds[1]);
    try {
      port_ = read_port(fds[0], start_timeout);
    } catch (...) {
      close(fds[0]);
      stop();
      throw;
    }
    close(fds[0]);
  }

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  ~server_process() {
    stop();
  }

  int port() const noexcept {
    return port_;
  }

  /// Terminates the server; false if it had died on its own, which means
  /// the measurement it took part in cannot be trusted.
  bool stop() {
    if (pid_ <= 0)
      return true;
    int status = 0;
    bool died_early = waitpid(pid_, &status, WNOHANG) == pid_;
    if (!died_early) {
      kill(pid_, SIGTERM);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
    return !died_early;
  }

private:
  static int read_port(int fd, std::chrono::seconds timeout) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw bench_error("server process did not report its port in time");
      pollfd pfd{fd, POLLIN, 0};
      int ready = poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR)
        throw bench_error(errno_text("poll"));
      if (ready <= 0)
        continue;
      char buffer[64];
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        throw bench_error(errno_text("read from server process"));
      if (n == 0)
        throw bench_error("server process exited before reporting its port");
      line.append(buffer, static_cast<size_t>(n));
      if (auto end = line.find('\n'); end != std::string::npos) {
        line.resize(end);
        break;
      }
    }
    char* end = nullptr;
    long port = std::strtol(line.c_str(), &end, 10);
    if (end == line.c_str() || *end != '\0' || port <= 0 || port > 65535)
      throw bench_error("server process reported an invalid port '" + line + "'");
    return static_cast<int>(port);
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

} // namespace rpcnet::bench
