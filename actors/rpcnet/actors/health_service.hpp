// A server's health as gRPC's grpc.health.v1 tells it, over rpcnet: a
// unary Check and a server-streaming Watch (docs/PROTOCOL.md, "Health"),
// answered from a table of statuses the program sets by service name --
// "" for the whole server. Load balancers and `rpcnet health` ask it.
//
//   auto health = rpcnet::health_service::attach(server);
//   health->set("", rpcnet::health_status::serving);
//   ...
//   health->shutdown();          // before server.stop(): watches end
//   server.stop(std::chrono::seconds{5});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// grpc.health.v1's ServingStatus, with its numbers: the byte on the wire.
enum class health_status : uint8_t {
  unknown = 0,
  serving = 1,
  not_serving = 2,
  /// The answer for a named service nobody set (gRPC's Watch sends it;
  /// its Check fails with NOT_FOUND instead, rpcnet's answers this).
  service_unknown = 3,
};

/// gRPC's names: "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN".
std::string_view to_string_view(health_status status);

/// The status a Check reply or a Watch message holds: exactly one byte of
/// a known value, else a protocol error.
caf::expected<health_status> decode_health_status(const byte_buffer& message);

inline constexpr std::string_view health_check_method = "rpcnet.health.v1.Health/Check";
inline constexpr std::string_view health_watch_method = "rpcnet.health.v1.Health/Watch";

/// What a health service holds at most: names arrive from the network,
/// and each watch is an actor.
struct health_limits {
  /// Bytes of a service name.
  size_t max_name_bytes = 256;
  /// Named services set() may add; "" is always there and not counted.
  size_t max_services = 64;
  /// Watch calls open at once; one more is refused with `overloaded`.
  size_t max_watchers = 1024;
};

/// Why `name` cannot name a service -- longer than `max_bytes`, not
/// well-formed UTF-8 -- or "" if it can.
std::string health_service_name_problem(std::string_view name,
                                        size_t max_bytes = health_limits{}.max_name_bytes);

class health_service {
public:
  // -- constructors -------------------------------------------------------------

  /// Registers Check and Watch on `server` and returns the table that
  /// answers them; the server holds it as long as it holds the methods.
  /// The whole server ("") starts as not_serving.
  static std::shared_ptr<health_service> attach(rpc_server& server, health_limits limits = {});

  health_service(const health_service&) = delete;
  health_service& operator=(const health_service&) = delete;

  // -- statuses -----------------------------------------------------------------

  /// Sets `service`'s status, from any thread; watches of it hear of a
  /// change. Fails with `config` for a bad name, with `overloaded` for a
  /// new name beyond max_services, with `cancelled` after shutdown().
  caf::error set(std::string service, health_status status);

  /// The status Check answers for `service`: service_unknown for a name
  /// never set.
  health_status get(const std::string& service) const;

  /// The terminal state, as gRPC's enterTerminalState: every service set
  /// so far, "" included, not_serving from now on, set() refused, and open
  /// watches get the change and end (so that they do not hold a server's
  /// stop for its grace period); new watches get the status and end at
  /// once. Idempotent.
  void shutdown();

  // -- properties ---------------------------------------------------------------

  /// Watch calls open now.
  size_t watchers() const;

  const health_limits& limits() const noexcept {
    return limits_;
  }

private:
  /// The Watch method's actors, which enter and leave the watcher table.
  friend struct health_watch;

  /// What a watch starts with: the status to send first and whether the
  /// watch ends after it (the service was shut down).
  struct watch_start {
    health_status status;
    bool last;
  };

  explicit health_service(health_limits limits);

  health_status get_locked(const std::string& service) const;

  /// Lists `who` as a watcher of `service`; `overloaded` beyond
  /// max_watchers.
  caf::expected<watch_start> watch(const std::string& service, caf::actor who);

  /// Forgets watcher `who` (an actor id); nothing if it is not listed.
  void forget(caf::actor_id who);

  // -- member variables ---------------------------------------------------------

  health_limits limits_;
  mutable std::mutex mtx_;
  std::map<std::string, health_status, std::less<>> statuses_;
  struct watcher {
    std::string service;
    caf::actor who;
  };
  std::unordered_map<caf::actor_id, watcher> watchers_;
  bool shut_down_ = false;
};

/// Asks the server behind `client` for `service`'s status ("" for the
/// whole server) with a Check that fails with `timeout` after `timeout`.
caf::expected<health_status> check_health(const rpc_client& client, const std::string& service,
                                          std::chrono::milliseconds timeout);

} // namespace rpcnet
