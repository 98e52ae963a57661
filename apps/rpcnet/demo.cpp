// `rpcnet demo`: the reference's four terminals in one command -- a
// director, two workers and a client on loopback, this same executable in
// four processes sharing the terminal -- for a bounded time, then a clean
// shutdown (SIGTERM to the workers and the director, which leave and
// drain). Exits 0 when every process did.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "log.hpp"

extern char** environ;

namespace rpcnet::cli {

namespace {

/// One process of the demo.
class demo_process {
public:
  demo_process(const std::string& self, std::vector<std::string> args) {
    args.insert(args.begin(), self);
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    // The children take SIGINT and SIGTERM again (the demo blocks them).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    if (posix_spawn(&pid_, self.c_str(), nullptr, &attr, argv.data(), environ) != 0)
      pid_ = -1;
    posix_spawnattr_destroy(&attr);
  }

  bool started() const noexcept {
    return pid_ > 0;
  }

  void terminate() const {
    if (pid_ > 0)
      ::kill(pid_, SIGTERM);
  }

  /// The exit status within `timeout`; -1 after killing a process that
  /// took longer (or for one that died of a signal).
  int wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = 0;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return status_;
  }

  /// False once the process has exited (and was reaped).
  bool running() {
    if (pid_ <= 0)
      return false;
    int status = 0;
    auto r = waitpid(pid_, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
      return true;
    status_ = r == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = 0;
    return false;
  }

private:
  pid_t pid_ = -1;
  int status_ = -1;
};

} // namespace

int run_demo(const demo_settings& settings, shutdown_signal& shutdown) {
  auto certs = std::string{"--certs="} + settings.certs;
  auto director = "--director=" + settings.director;
  auto seconds = std::to_string(settings.duration.count() / 1000);
  log_info("director at " + settings.director + ", workers at " + settings.workers[0]
           + " and " + settings.workers[1] + ", client for up to " + seconds + " s");
  demo_process director_proc{settings.self, {"director", "--addr=" + settings.director, certs,
                                             "--pool-interval=3"}};
  std::vector<demo_process> workers;
  workers.reserve(settings.workers.size());
  for (size_t i = 0; i < settings.workers.size(); ++i)
    workers.emplace_back(settings.self,
                         std::vector<std::string>{"worker", "--addr=" + settings.workers[i],
                                                  "--label=worker-" + std::string(1, char('a' + i)),
                                                  director, certs});
  demo_process client{settings.self,
                      {"client", director, certs, "--tasks=20", "--tokens=20",
                       "--task-pause-ms=300", "--duration=" + seconds}};
  bool started = director_proc.started() && client.started();
  for (const auto& w : workers)
    started = started && w.started();
  if (!started)
    return fail("demo: cannot start the processes");
  // The client ends on its own; a signal cuts the demo short.
  while (client.running() && !shutdown.wait_for(std::chrono::milliseconds{100})) {
  }
  client.terminate();
  int status = client.wait(std::chrono::seconds{10}) == 0 ? 0 : 1;
  log_info("client finished, stopping workers and director");
  for (auto& w : workers)
    w.terminate();
  for (auto& w : workers)
    status |= w.wait(std::chrono::seconds{10}) == 0 ? 0 : 1;
  director_proc.terminate();
  status |= director_proc.wait(std::chrono::seconds{10}) == 0 ? 0 : 1;
  log_info(status == 0 ? "every process exited cleanly" : "a process failed");
  return status;
}

} // namespace rpcnet::cli
