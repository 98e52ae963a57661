// Checking a routing actor's answer against its request.
#include <rpcnet/cluster/routing_request.hpp>

#include <algorithm>

namespace rpcnet {

std::optional<size_t> find_choice(const routing_request& request, const routing_answer& answer) {
  const auto& cs = request.candidates;
  auto i = std::find_if(cs.begin(), cs.end(),
                        [&](const routing_candidate& c) { return c.id == answer.chosen; });
  if (i == cs.end())
    return std::nullopt;
  return static_cast<size_t>(i - cs.begin());
}

} // namespace rpcnet
