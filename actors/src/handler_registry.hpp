// The server's method table: method name -> handler or service actor.
// Registration may happen while calls run; lookups take a snapshot so a
// call never sees a half-updated table.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>

#include <rpcnet/actors/streaming_handler.hpp>
#include <rpcnet/actors/unary_handler.hpp>

namespace rpcnet {

class handler_registry {
public:
  struct function_entry {
    context_unary_handler fn;
    handler_execution execution = handler_execution::blocking_pool;
  };
  using entry
    = std::variant<function_entry, service_actor, context_service_actor,
                   context_streaming_handler, context_streaming_actor_factory>;
  using table = std::unordered_map<std::string, entry>;

  /// Registers or replaces the handler of `method`.
  void set(std::string method, entry handler);

  /// The current table; cheap to take, never changes after it is taken.
  std::shared_ptr<const table> snapshot() const;

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const table> table_ = std::make_shared<table>();
};

} // namespace rpcnet
