// call_options' builders.
#include <rpcnet/actors/call_options.hpp>

#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

call_options call_options::child_of(call_context parent) {
  call_options opts;
  opts.parent = std::move(parent);
  return opts;
}

call_options call_options::with_timeout(std::chrono::nanoseconds t) const {
  return copy_with(*this, [&](auto& c) { c.timeout = t; });
}

call_options call_options::with_metadata(std::string key, std::string value) const {
  return copy_with(*this, [&](auto& c) { c.metadata.add(std::move(key), std::move(value)); });
}

call_options call_options::with_key(call_key k) const {
  return copy_with(*this, [&](auto& c) { c.key = k; });
}

call_options call_options::with_parent(call_context p) const {
  return copy_with(*this, [&](auto& c) { c.parent = std::move(p); });
}

call_options call_options::with_wait_for_ready(bool wait) const {
  return copy_with(*this, [&](auto& c) { c.wait_for_ready = wait; });
}

} // namespace rpcnet
