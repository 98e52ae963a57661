// Bearer-token authentication as a pair of interceptors: the client attaches
// `authorization: Bearer <token>` to every call, the server refuses calls
// whose token its check does not accept with `unauthenticated`, before any
// handler runs.
//
//   server.add_interceptor(rpcnet::bearer_token_check::accepting("s3cret"));
//   auto cfg = client_cfg.with_interceptor(std::make_shared<rpcnet::bearer_token_attach>("s3cret"));
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <rpcnet/actors/interceptor.hpp>

namespace rpcnet {

/// The metadata key both sides use (as in HTTP and gRPC).
inline constexpr std::string_view authorization_key = "authorization";

class bearer_token_check : public server_interceptor {
public:
  /// True when the token is good. Runs on the handler's thread (see
  /// server_interceptor), once per call.
  using validator = std::function<bool(std::string_view token)>;

  /// Checks every call except those of `open_methods` (a health check, say).
  explicit bearer_token_check(validator accept, std::set<std::string> open_methods = {});

  /// A check that accepts exactly `token`, compared in constant time.
  static std::shared_ptr<bearer_token_check> accepting(std::string token);

  caf::error before(call_context& ctx, call_shape shape) override;

  /// Calls refused.
  uint64_t refused() const noexcept;

private:
  validator accept_;
  std::set<std::string> open_methods_;
  std::atomic<uint64_t> refused_{0};
};

class bearer_token_attach : public client_interceptor {
public:
  /// `token` must be printable ASCII (it travels as a text value); calls
  /// fail with `config` otherwise.
  explicit bearer_token_attach(std::string token);

  caf::error before(outgoing_call& call) override;

private:
  std::string value_;
};

} // namespace rpcnet
