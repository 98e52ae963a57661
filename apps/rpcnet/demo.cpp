// `rpcnet demo`: the Rust RpcNet's four terminals in one command -- a
// director, two workers and a client on loopback, this same executable in
// four processes sharing the terminal -- for a bounded time, then a clean
// shutdown (SIGTERM to the workers and the director, which leave and
// drain). Exits 0 when every process did. Gossip is sealed as in any CLI
// cluster: the demo makes the key, hands it to the director in its
// environment and the join token to the workers and the client.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "base64.hpp"
#include "cluster_key_source.hpp"
#include "demo.hpp"
#include "join_token.hpp"
#include "log.hpp"

extern char** environ;

namespace rpcnet::cli {

namespace {

/// This process's environment with `name` set to `value` (replacing any
/// value it had), as "NAME=value" strings.
std::vector<std::string> environment_with(std::string_view name, const std::string& value) {
  std::vector<std::string> env;
  auto prefix = std::string{name} + "=";
  for (char** entry = environ; *entry != nullptr; ++entry)
    if (std::strncmp(*entry, prefix.c_str(), prefix.size()) != 0)
      env.emplace_back(*entry);
  env.push_back(prefix + value);
  return env;
}

/// Pointers to `strings` ending with a null pointer, for argv and envp.
std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// One process of the demo.
class demo_process {
public:
  /// `self` with `args`, in the environment `env` (this one's if empty).
  demo_process(const std::string& self, std::vector<std::string> args,
               std::vector<std::string> env = {}) {
    args.insert(args.begin(), self);
    auto argv = null_terminated(args);
    auto envp = null_terminated(env);
    // The children take SIGINT and SIGTERM again (the demo blocks them).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    if (posix_spawn(&pid_, self.c_str(), nullptr, &attr, argv.data(),
                    env.empty() ? environ : envp.data())
        != 0)
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
  auto seconds = std::to_string(settings.duration.count() / 1000);
  // The processes get the addresses as given and resolve names themselves;
  // the token carries what the director's name resolves to here.
  auto director_addr = resolve_address(settings.director);
  if (!director_addr)
    return fail("demo: the director address: " + message_of(director_addr.error()));
  auto key = generate_cluster_key();
  if (!key)
    return fail("demo: " + message_of(key.error()));
  auto token = format_join_token({*director_addr, *key});
  auto join = "--join=" + token;
  log_info("director at " + settings.director + ", workers at " + settings.workers[0]
           + " and " + settings.workers[1] + ", client for up to " + seconds + " s");
  log_info("join token: " + token);
  // A director reads no token: it takes the key from its environment. The
  // workers and the client get the token on their command lines, as an
  // operator pastes it.
  demo_process director_proc{settings.self,
                             {"director", "--addr=" + settings.director, certs,
                              "--pool-interval=3"},
                             environment_with(cluster_key_env, encode_base64(*key))};
  std::vector<demo_process> workers;
  workers.reserve(settings.workers.size());
  for (size_t i = 0; i < settings.workers.size(); ++i)
    workers.emplace_back(settings.self,
                         std::vector<std::string>{"worker", "--addr=" + settings.workers[i],
                                                  "--label=worker-" + std::string(1, char('a' + i)),
                                                  join, certs});
  demo_process client{settings.self,
                      {"client", join, certs, "--tasks=20", "--tokens=20",
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
