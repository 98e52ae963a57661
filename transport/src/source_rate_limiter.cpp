#include "source_rate_limiter.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace rpcnet {

source_rate_limiter::source_rate_limiter(uint32_t per_second, size_t max_sources)
  : per_second_(per_second), max_sources_(max_sources) {
}

size_t source_rate_limiter::ip_hash::operator()(const ip_key& k) const noexcept {
  // Keys are peer-chosen, but the table's size is capped, so a crafted
  // collision chain is bounded too; FNV-1a spreads ordinary addresses.
  size_t h = 14695981039346656037ull ^ k.family;
  for (auto b : k.bytes)
    h = (h ^ b) * 1099511628211ull;
  return h;
}

source_rate_limiter::ip_key source_rate_limiter::key_of(const socket_address& source) {
  ip_key key;
  key.family = static_cast<uint8_t>(source.family());
  if (source.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(source.native());
    std::memcpy(key.bytes.data(), &in->sin_addr, sizeof(in->sin_addr));
  } else if (source.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(source.native());
    std::memcpy(key.bytes.data(), &in6->sin6_addr, sizeof(in6->sin6_addr));
  }
  return key;
}

double source_rate_limiter::refilled(const bucket& b, clock::time_point now) const {
  std::chrono::duration<double> elapsed = now - b.updated;
  return std::min<double>(per_second_, b.tokens + elapsed.count() * per_second_);
}

void source_rate_limiter::sweep(clock::time_point now) {
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    return refilled(entry.second, now) >= per_second_;
  });
}

bool source_rate_limiter::admit(const socket_address& source, clock::time_point now) {
  if (per_second_ == 0)
    return true;
  if (now - last_sweep_ >= std::chrono::seconds{1})
    sweep(now);
  auto key = key_of(source);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // A full table is swept at most every 100 ms, so that a flood of
    // new sources costs a lookup each, not a walk of the table.
    if (buckets_.size() >= max_sources_ && now - last_sweep_ >= std::chrono::milliseconds{100})
      sweep(now);
    if (buckets_.size() >= max_sources_)
      return true;
    it = buckets_.emplace(key, bucket{static_cast<double>(per_second_), now}).first;
  }
  auto& b = it->second;
  b.tokens = refilled(b, now);
  b.updated = now;
  if (b.tokens < 1)
    return false;
  b.tokens -= 1;
  return true;
}

} // namespace rpcnet
