// Running a list of interceptors around a call, for the server's and the
// client's kind alike: before-hooks in order until one refuses, after-hooks
// of those that ran, last first. Interceptors are user code: what one throws
// refuses the call (before) or is swallowed (after), never ending the
// thread or actor that runs it.
#pragma once

#include <chrono>
#include <exception>
#include <string>

#include <caf/error.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

/// Calls before(args...) of each interceptor in order until one returns an
/// error, which it returns (as an rpcnet error). `ran` counts those called,
/// the refuser included, for run_after().
template <class Interceptors, class... Args>
caf::error run_before(const Interceptors& list, size_t& ran, Args&&... args) {
  ran = 0;
  for (const auto& icpt : list) {
    ++ran;
    try {
      if (auto err = icpt->before(args...))
        return is_rpcnet_error(err) ? err : make_error(error::remote, describe(err));
    } catch (const std::exception& ex) {
      return make_error(error::remote, std::string{"an interceptor threw: "} + ex.what());
    } catch (...) {
      return make_error(error::remote, "an interceptor threw");
    }
  }
  return {};
}

/// Calls after(args..., elapsed) of the first `ran` interceptors, last
/// first; `elapsed` counts from `started`.
template <class Interceptors, class... Args>
void run_after(const Interceptors& list, size_t ran,
               std::chrono::steady_clock::time_point started, const Args&... args) {
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
    std::chrono::steady_clock::now() - started);
  for (size_t i = std::min(ran, list.size()); i-- > 0;) {
    try {
      list[i]->after(args..., elapsed);
    } catch (...) {
      // An observer's failure must not change the call's outcome.
    }
  }
}

} // namespace rpcnet
