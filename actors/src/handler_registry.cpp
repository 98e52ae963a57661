#include "handler_registry.hpp"

namespace rpcnet {

void handler_registry::set(std::string method, entry handler) {
  std::lock_guard<std::mutex> guard{mtx_};
  // Copy on write: readers keep the table they took.
  auto next = std::make_shared<table>(*table_);
  (*next)[std::move(method)] = std::move(handler);
  table_ = std::move(next);
}

std::shared_ptr<const handler_registry::table> handler_registry::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return table_;
}

} // namespace rpcnet
