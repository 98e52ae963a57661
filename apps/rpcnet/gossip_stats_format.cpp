// Text and JSON renderings of the gossip counters, from one list of names.
#include "gossip_stats_format.hpp"

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rpcnet::cli {

namespace {

struct counter {
  std::string_view name;
  std::uint64_t rpcnet_cli::GossipCounters::*value;
};

using rpcnet_cli::GossipCounters;

constexpr counter counters_in_order[] = {
  {"datagrams_received", &GossipCounters::datagrams_received},
  {"bytes_received", &GossipCounters::bytes_received},
  {"datagrams_sent", &GossipCounters::datagrams_sent},
  {"bytes_sent", &GossipCounters::bytes_sent},
  {"rejected_malformed", &GossipCounters::rejected_malformed},
  {"rejected_unauthenticated", &GossipCounters::rejected_unauthenticated},
  {"rejected_forged", &GossipCounters::rejected_forged},
  {"dropped_backlog", &GossipCounters::dropped_backlog},
  {"unsendable", &GossipCounters::unsendable},
  {"refused_hearsay", &GossipCounters::refused_hearsay},
  {"refused_implausible", &GossipCounters::refused_implausible},
  {"refused_ping_req", &GossipCounters::refused_ping_req},
  {"unexpected_acks", &GossipCounters::unexpected_acks},
  {"refused_introductions", &GossipCounters::refused_introductions},
  {"refused_full", &GossipCounters::refused_full},
  {"candidates_verified", &GossipCounters::candidates_verified},
  {"candidates_expired", &GossipCounters::candidates_expired},
  {"replies_deferred", &GossipCounters::replies_deferred},
  {"replies_refused", &GossipCounters::replies_refused},
};

/// The longest name and a space.
constexpr size_t name_column = 25;

} // namespace

std::string format_stats_text(const GossipCounters& counters) {
  std::string out;
  for (const auto& [name, value] : counters_in_order) {
    out += name;
    out.append(name_column - name.size(), ' ');
    out += std::to_string(counters.*value) + "\n";
  }
  return out;
}

std::string format_stats_json(const GossipCounters& counters) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  for (const auto& [name, value] : counters_in_order)
    doc[std::string{name}] = counters.*value;
  return doc.dump();
}

} // namespace rpcnet::cli
