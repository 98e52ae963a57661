// The `rpcnet` CLI under test as real processes on loopback: a director,
// workers and clients started with the test's own ports, fast timings and
// cluster key, and waits on their log lines (which start with a timestamp,
// so lines are matched by what they contain).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "temp_dir.hpp"

namespace rpcnet::test {

inline const std::string rpcnet_cli = RPCNET_CLI;

/// A UDP port on 127.0.0.1 nobody used a moment ago: tests running in
/// parallel get different ports without a fixed plan.
inline uint16_t free_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline std::string loopback(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

/// `rpcnet <args>` with `env` ("NAME=value") set, stdout and stderr both
/// read back as lines.
inline std::unique_ptr<child_process> run_rpcnet(std::vector<std::string> args,
                                                 std::vector<std::string> env = {}) {
  std::vector<std::string> sh{"-c", "exec \"$0\" \"$@\" 2>&1", "/usr/bin/env"};
  sh.insert(sh.end(), env.begin(), env.end());
  sh.push_back(rpcnet_cli);
  sh.insert(sh.end(), args.begin(), args.end());
  return std::make_unique<child_process>("/bin/sh", sh);
}

/// A line containing `text` (from line `from` on).
inline std::optional<std::string> wait_for_text(child_process& proc, const std::string& text,
                                                std::chrono::milliseconds timeout,
                                                size_t from = 0) {
  return proc.wait_for(
    [&](const std::string& line) { return line.find(text) != std::string::npos; }, timeout,
    from);
}

/// Lines containing `text` so far (reading what has arrived first).
inline size_t count_text(child_process& proc, const std::string& text) {
  proc.drain();
  size_t n = 0;
  for (const auto& line : proc.lines())
    n += line.find(text) != std::string::npos ? 1 : 0;
  return n;
}

/// How the processes of a test cluster key their gossip.
enum class cluster_keying : uint8_t {
  /// The director makes a key; workers and clients join with the token it
  /// prints, as in the README.
  printed_token,
  /// Every process reads one key file that rpcnet keygen made, so that
  /// workers started before the director, and a director restarted, share
  /// the key.
  key_file,
  /// --insecure-gossip everywhere.
  insecure,
};

/// The join token a director printed, "" if none (yet).
inline std::string printed_token(child_process& director) {
  const std::string marker = "join token: ";
  auto line = wait_for_text(director, marker, std::chrono::milliseconds{0});
  return line ? line->substr(line->find(marker) + marker.size()) : std::string{};
}

/// A director, and workers that join through it, with test timings: the
/// pool is printed every 500 ms, tasks take 20 ms, tokens come every 20 ms.
class test_cluster {
public:
  explicit test_cluster(cluster_keying keying = cluster_keying::printed_token)
    : keying_(keying), director_addr_(loopback(free_udp_port())) {
    if (keying_ == cluster_keying::key_file) {
      key_file_ = dir_.file("cluster.key");
      auto keygen = run_rpcnet({"keygen", "--out", key_file_});
      REQUIRE(keygen->wait_exit(std::chrono::seconds{10}) == 0);
    }
  }

  const std::string& director_addr() const noexcept {
    return director_addr_;
  }

  /// The token the director printed (printed_token keying, once it is up).
  const std::string& token() const noexcept {
    return token_;
  }

  child_process& start_director(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"director",        "--addr", director_addr_, "--certs",
                                  RPCNET_CERT_DIR,   "--pool-interval", "0.5"};
    add_key_args(args);
    args.insert(args.end(), extra.begin(), extra.end());
    director_ = run_rpcnet(args);
    REQUIRE(wait_for_text(*director_, "director ready", std::chrono::seconds{10}));
    if (keying_ == cluster_keying::printed_token) {
      token_ = printed_token(*director_);
      REQUIRE_FALSE(token_.empty());
    }
    return *director_;
  }

  child_process& director() {
    return *director_;
  }

  /// Starts worker `label` (on a fresh port unless `addr` is given).
  child_process& start_worker(const std::string& label, std::vector<std::string> extra = {},
                              std::string addr = {}) {
    if (addr.empty())
      addr = loopback(free_udp_port());
    addresses_[label] = addr;
    std::vector<std::string> args{"worker",       "--addr",       addr,
                                  "--label",      label,          "--certs",
                                  RPCNET_CERT_DIR, "--work-ms",   "20",
                                  "--token-interval-ms", "20",    "--join-timeout-ms",
                                  "500"};
    add_director_args(args);
    add_key_args(args);
    args.insert(args.end(), extra.begin(), extra.end());
    auto& slot = workers_[label];
    slot = run_rpcnet(args);
    return *slot;
  }

  child_process& worker(const std::string& label) {
    return *workers_.at(label);
  }

  const std::string& address_of(const std::string& label) const {
    return addresses_.at(label);
  }

  /// Waits until the director's pool report names `n` workers, after line
  /// `from`.
  bool wait_for_pool(size_t n, std::chrono::milliseconds timeout, size_t from = 0) {
    return wait_for_text(*director_,
                         "worker pool status: " + std::to_string(n) + " workers available",
                         timeout, from)
      .has_value();
  }

  /// A client of this cluster with `args` added.
  std::unique_ptr<child_process> client(std::vector<std::string> args) {
    std::vector<std::string> all{"client", "--certs", RPCNET_CERT_DIR, "--call-timeout-ms",
                                 "2000"};
    add_director_args(all);
    all.insert(all.end(), args.begin(), args.end());
    return run_rpcnet(all);
  }

private:
  /// The printed token names the director; otherwise --director does.
  void add_director_args(std::vector<std::string>& args) const {
    if (keying_ == cluster_keying::printed_token) {
      REQUIRE_FALSE(token_.empty()); // the director is up and printed it
      args.insert(args.end(), {"--join", token_});
    } else {
      args.insert(args.end(), {"--director", director_addr_});
    }
  }

  /// The key flags of a director or a worker that gets no token.
  void add_key_args(std::vector<std::string>& args) const {
    if (keying_ == cluster_keying::key_file)
      args.insert(args.end(), {"--cluster-key-file", key_file_});
    else if (keying_ == cluster_keying::insecure)
      args.push_back("--insecure-gossip");
  }

  cluster_keying keying_;
  temp_dir dir_;
  std::string key_file_;
  std::string token_;
  std::string director_addr_;
  std::unique_ptr<child_process> director_;
  std::map<std::string, std::unique_ptr<child_process>> workers_;
  std::map<std::string, std::string> addresses_;
};

/// What a client's "done:" line says.
struct client_summary {
  uint64_t tasks = 0;
  std::map<std::string, uint64_t> by_worker;
  uint64_t tokens = 0;
  uint64_t duplicates = 0;
  uint64_t worker_failures = 0;
};

inline std::optional<client_summary> parse_summary(const std::string& line) {
  // "done: N tasks completed (a=1, b=2), T tokens received, D duplicates,
  // F worker failures" (std::regex trips GCC 12's warnings under ASan).
  auto at = line.find("done: ");
  auto open = line.find(" tasks completed (", at);
  auto close = line.find(')', open);
  if (at == std::string::npos || open == std::string::npos || close == std::string::npos)
    return std::nullopt;
  client_summary s;
  unsigned long long tokens = 0, duplicates = 0, failures = 0;
  if (std::sscanf(line.c_str() + close, "), %llu tokens received, %llu duplicates, %llu worker",
                  &tokens, &duplicates, &failures)
      != 3)
    return std::nullopt;
  s.tasks = std::stoull(line.substr(at + 6));
  s.tokens = tokens;
  s.duplicates = duplicates;
  s.worker_failures = failures;
  std::istringstream counts{line.substr(open + 18, close - open - 18)};
  for (std::string pair; std::getline(counts, pair, ',');) {
    auto eq = pair.find('=');
    if (eq != std::string::npos)
      s.by_worker[pair.substr(pair.find_first_not_of(' '), eq - pair.find_first_not_of(' '))]
        = std::stoull(pair.substr(eq + 1));
  }
  return s;
}

/// Runs `client` to its end (bounded) and returns its summary.
inline client_summary finish_client(child_process& client, std::chrono::milliseconds timeout) {
  auto line = wait_for_text(client, "done: ", timeout);
  REQUIRE(line);
  REQUIRE(client.wait_exit(std::chrono::seconds{10}) == 0);
  auto summary = parse_summary(*line);
  REQUIRE(summary);
  return *summary;
}

/// The task ids of the client's "task N completed by" lines, in order.
inline std::vector<uint64_t> completed_tasks(child_process& client) {
  const std::string marker = "client: task ";
  std::vector<uint64_t> ids;
  client.drain();
  for (const auto& line : client.lines()) {
    auto at = line.find(marker);
    if (at != std::string::npos && line.find(" completed by ", at) != std::string::npos)
      ids.push_back(std::stoull(line.substr(at + marker.size())));
  }
  return ids;
}

/// Task ids 1..n, each exactly once, in order.
inline void check_each_task_once(child_process& client, uint64_t n) {
  std::vector<uint64_t> expected(n);
  std::iota(expected.begin(), expected.end(), uint64_t{1});
  CHECK(completed_tasks(client) == expected);
}

} // namespace rpcnet::test
