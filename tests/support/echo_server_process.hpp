// The echo server (echo_server_program.cpp) in a process of its own, as a
// test drives it: started with flags, its address from its "ready" line,
// its transport counters on request, whether it is still running -- for
// hostile input that, mishandled, would abort the server's process -- and
// a kill -9, for clients that must survive their server's crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <rpcnet/transport/socket_address.hpp>

#include "child_process.hpp"
#include "test_certs.hpp"

namespace rpcnet::test {

class echo_server_process {
public:
  /// Starts the server with the development certificates and `flags`, and
  /// waits up to 10 s for it to listen.
  explicit echo_server_process(std::vector<std::string> flags = {})
    : child_(RPCNET_ECHO_SERVER, with_certs(std::move(flags))) {
    auto ready = child_.wait_for_prefix("ready ", std::chrono::seconds{10});
    INFO("rpcnet-echo-server did not say it is ready");
    REQUIRE(ready);
    address_text_ = ready->substr(6);
    auto addr = socket_address::parse(address_text_);
    REQUIRE(addr);
    address_ = *addr;
  }

  const socket_address& address() const noexcept {
    return address_;
  }

  /// "127.0.0.1:port", what rpc_client::connect takes.
  const std::string& address_text() const noexcept {
    return address_text_;
  }

  /// True while the process runs; an abort (exit 134) makes it false.
  bool running() {
    return !child_.wait_exit(std::chrono::milliseconds{0}).has_value();
  }

  /// How the process ended, for messages: "running", "exit N", "signal N".
  std::string state() {
    auto code = child_.wait_exit(std::chrono::milliseconds{0});
    if (!code)
      return "running";
    return *code < 0 ? "killed by signal " + std::to_string(-*code)
                     : "exited with " + std::to_string(*code);
  }

  /// Asks the server to stop and waits up to `limit` for it to exit; its
  /// exit code, or nullopt if it is still running.
  std::optional<int> quit(std::chrono::milliseconds limit) {
    child_.send_line("quit");
    return child_.wait_exit(limit);
  }

  /// Ends the process at once, as a crash or an operator's kill -9 would:
  /// its peers are told nothing.
  void kill() {
    child_.kill(SIGKILL);
  }

  /// The server's transport counters by name; empty if it did not answer
  /// within 5 s.
  std::map<std::string, uint64_t> stats() {
    auto from = child_.lines().size();
    child_.send_line("stats");
    auto line = child_.wait_for_prefix("stats ", std::chrono::seconds{5}, from);
    std::map<std::string, uint64_t> result;
    if (!line)
      return result;
    std::istringstream in{line->substr(6)};
    for (std::string pair; in >> pair;)
      if (auto eq = pair.find('='); eq != std::string::npos)
        result[pair.substr(0, eq)] = std::stoull(pair.substr(eq + 1));
    return result;
  }

  /// Resident memory in KiB, now and at its peak so far.
  struct memory {
    uint64_t resident_kib = 0;
    uint64_t peak_kib = 0;
  };

  /// The server's memory; fails the test when it does not answer in 5 s.
  memory memory_use() {
    auto from = child_.lines().size();
    child_.send_line("memory");
    auto line = child_.wait_for_prefix("memory ", std::chrono::seconds{5}, from);
    INFO("rpcnet-echo-server (" << state() << ") did not report its memory");
    REQUIRE(line);
    memory result;
    std::istringstream{line->substr(7)} >> result.resident_kib >> result.peak_kib;
    return result;
  }

  /// One counter; fails the test when the server does not report it.
  uint64_t stat(const std::string& name) {
    auto all = stats();
    auto it = all.find(name);
    INFO("rpcnet-echo-server (" << state() << ") reported no counter " << name);
    REQUIRE(it != all.end());
    return it->second;
  }

private:
  static std::vector<std::string> with_certs(std::vector<std::string> flags) {
    flags.insert(flags.begin(), {"--certs", cert_dir()});
    return flags;
  }

  child_process child_;
  socket_address address_;
  std::string address_text_;
};

} // namespace rpcnet::test
