// `rpcnet demo`: director, two workers and a client on loopback as four
// processes of this executable, for a bounded time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "shutdown_signal.hpp"

namespace rpcnet::cli {

struct demo_settings {
  /// This executable.
  std::string self;
  std::string certs;
  std::string director = "127.0.0.1:61000";
  std::vector<std::string> workers{"127.0.0.1:62001", "127.0.0.1:62002"};
  /// The client's bound.
  std::chrono::milliseconds duration{20'000};
};

int run_demo(const demo_settings& settings, shutdown_signal& shutdown);

} // namespace rpcnet::cli
