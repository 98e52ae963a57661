// A program under test in a process of its own, as an operator would run
// it: arguments in, lines on stdin, lines read back from stdout with bounded
// waits, and signals (kill -9 included). The child dies with the test
// process, and the destructor kills and reaps it, so no test leaves
// processes behind however it ends.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rpcnet::test {

class child_process {
public:
  using clock = std::chrono::steady_clock;

  /// Starts `path` with `args` (argv[0] excluded); stderr is inherited so
  /// that a failing child explains itself in the test log.
  child_process(std::string path, std::vector<std::string> args) : path_(std::move(path)) {
    std::vector<std::string> all{path_};
    all.insert(all.end(), args.begin(), args.end());
    // Built before fork: the child may only make async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& arg : all)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    int out[2];
    int in[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string{"pipe: "} + std::strerror(errno));
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
    if (pid_ == 0) {
      // The getppid check closes the race with a parent that died before prctl.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
      if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(in[0], STDIN_FILENO) < 0)
        _exit(127);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    out_ = out[0];
    in_ = in[1];
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    kill(SIGKILL);
    if (out_ >= 0)
      close(out_);
    if (in_ >= 0)
      close(in_);
  }

  /// Writes `line` and a newline to the child's stdin.
  void send_line(const std::string& line) {
    auto text = line + "\n";
    const char* data = text.data();
    size_t left = text.size();
    while (left > 0) {
      auto n = ::write(in_, data, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        throw std::runtime_error("cannot write to " + path_);
      data += n;
      left -= static_cast<size_t>(n);
    }
  }

  /// Waits up to `timeout` for a line that satisfies `match`, among the
  /// lines from index `from` on (lines already read included: events of
  /// several kinds arrive in any order). nullopt on timeout or when the
  /// child closed its stdout.
  std::optional<std::string> wait_for(const std::function<bool(const std::string&)>& match,
                                      std::chrono::milliseconds timeout, size_t from = 0) {
    auto deadline = clock::now() + timeout;
    for (size_t next = from;;) {
      for (; next < lines_.size(); ++next)
        if (match(lines_[next]))
          return lines_[next];
      if (!read_more(deadline))
        return std::nullopt;
    }
  }

  /// A line that starts with `prefix` (from index `from` on).
  std::optional<std::string> wait_for_prefix(const std::string& prefix,
                                             std::chrono::milliseconds timeout,
                                             size_t from = 0) {
    return wait_for([&](const std::string& line) { return line.rfind(prefix, 0) == 0; },
                    timeout, from);
  }

  /// The child's process id (-1 once reaped), for what /proc says of it.
  pid_t pid() const noexcept {
    return pid_;
  }

  /// Every line read so far.
  const std::vector<std::string>& lines() const noexcept {
    return lines_;
  }

  /// Reads whatever has arrived without waiting.
  void drain() {
    while (read_more(clock::now())) {
    }
  }

  /// Sends `sig` (no-op once reaped).
  void kill(int sig) {
    if (pid_ <= 0)
      return;
    ::kill(pid_, sig);
    if (sig == SIGKILL)
      wait();
  }

  /// Waits up to `timeout` for the child to exit; its exit code, or nullopt
  /// if it is still running (or died of a signal: -signal).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      auto rv = waitpid(pid_, &status, WNOHANG);
      if (rv == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        break;
      }
      if (clock::now() >= deadline)
        return std::nullopt;
      // Reading keeps a chatty child from blocking on a full pipe.
      read_more(clock::now() + std::chrono::milliseconds{20});
    }
    return exit_code_;
  }

private:
  void wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    pid_ = -1;
  }

  /// Reads once, waiting until `deadline`; false on timeout or end of file.
  bool read_more(clock::time_point deadline) {
    if (out_ < 0)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    pollfd pfd{out_, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready <= 0)
      return false;
    char buffer[4096];
    auto n = ::read(out_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      return true;
    if (n <= 0) {
      close(out_);
      out_ = -1;
      return false;
    }
    partial_.append(buffer, static_cast<size_t>(n));
    for (auto end = partial_.find('\n'); end != std::string::npos; end = partial_.find('\n')) {
      lines_.push_back(partial_.substr(0, end));
      partial_.erase(0, end + 1);
    }
    return true;
  }

  std::string path_;
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  std::optional<int> exit_code_;
  std::string partial_;
  std::vector<std::string> lines_;
};

} // namespace rpcnet::test
