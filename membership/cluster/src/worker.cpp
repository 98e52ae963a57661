// Turning a member into a worker: reading its capacity and zone tags.
#include <rpcnet/cluster/worker.hpp>

#include <charconv>

namespace rpcnet {

uint32_t capacity_of(const tag_map& tags) {
  auto i = tags.find(std::string{capacity_tag});
  if (i == tags.end())
    return default_capacity;
  const auto& text = i->second;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    return max_capacity;
  if (ec != std::errc{} || end != text.data() + text.size())
    return default_capacity;
  return value > max_capacity ? max_capacity : static_cast<uint32_t>(value);
}

worker make_worker(const member& m) {
  worker w;
  w.id = m.id;
  w.address = m.address;
  w.tags = m.tags;
  w.suspect = m.state == member_state::suspect;
  w.capacity = capacity_of(m.tags);
  if (auto i = m.tags.find(std::string{zone_tag}); i != m.tags.end())
    w.zone = i->second;
  return w;
}

} // namespace rpcnet
