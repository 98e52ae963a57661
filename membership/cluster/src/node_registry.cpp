// The node registry core: live members by id, kept from membership events.
#include "node_registry.hpp"

#include <string>

#include "member_change.hpp"

namespace rpcnet {

bool node_registry::apply(const membership_event& event) {
  if (!is_member_change(event))
    return false;
  const auto& m = event.subject;
  if (!is_live(m.state))
    return nodes_.erase(m.id) > 0;
  auto [i, added] = nodes_.try_emplace(m.id, m);
  if (added)
    return true;
  if (i->second == m)
    return false;
  i->second = m;
  return true;
}

const member* node_registry::find(const node_id& id) const {
  auto i = nodes_.find(id);
  return i == nodes_.end() ? nullptr : &i->second;
}

template <class Predicate>
std::vector<member> node_registry::nodes_if(Predicate keep) const {
  std::vector<member> result;
  for (const auto& [id, m] : nodes_)
    if (keep(m))
      result.push_back(m);
  return result;
}

std::vector<member> node_registry::nodes() const {
  return nodes_if([](const member&) { return true; });
}

std::vector<member> node_registry::nodes_with_tag(std::string_view key,
                                                  std::string_view value) const {
  return nodes_if([&](const member& m) {
    auto i = m.tags.find(std::string{key});
    return i != m.tags.end() && i->second == value;
  });
}

std::vector<member> node_registry::nodes_with_tag(std::string_view key) const {
  return nodes_if([&](const member& m) { return m.tags.contains(std::string{key}); });
}

std::vector<member> node_registry::nodes_matching(const tag_filter& filter) const {
  return nodes_if([&](const member& m) { return filter.matches(m.tags); });
}

} // namespace rpcnet
