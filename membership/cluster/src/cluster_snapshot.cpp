// The dashboard's JSON (see cluster_snapshot.hpp).
#include "cluster_snapshot.hpp"

#include "registry_metrics.hpp"

#include <map>

#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

using json = nlohmann::json;

int64_t unix_ms(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

/// Tags and addresses came from the network: nlohmann refuses to dump
/// invalid UTF-8, so such text is shown escaped instead.
std::string text(const std::string& raw) {
  return utf8::is_valid(raw) ? raw : utf8::escaped(raw);
}

json tags_of(const tag_map& tags) {
  json out = json::object();
  for (const auto& [key, value] : tags)
    out[text(key)] = text(value);
  return out;
}

/// The dashboard's word for a member state: a dead member is "failed".
std::string_view state_name(member_state state) {
  return state == member_state::dead ? "failed" : to_string_view(state);
}

std::string_view event_name(membership_event::kind what) {
  return what == membership_event::kind::suspect ? "suspected" : to_string_view(what);
}

json workers_of(caf::actor_system& sys, const worker_registry_actor& registry) {
  json out = json::array();
  for (const auto& [w, load] : read_pool(sys, registry).value_or(std::vector<loaded_worker>{}))
    out.push_back({{"id", w.id.to_string()},
                   {"label", text(label_of(w))},
                   {"address", text(w.address)},
                   {"suspect", w.suspect},
                   {"in_flight", load.in_flight},
                   {"calls_total", load.calls_ended}});
  return out;
}

} // namespace

void recent_events::add(const membership_event& event) {
  std::lock_guard<std::mutex> guard{mtx_};
  entries_.push_back({std::chrono::system_clock::now(), event});
  if (entries_.size() > capacity)
    entries_.pop_front();
}

std::vector<recent_events::entry> recent_events::list() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return {entries_.begin(), entries_.end()};
}

std::string cluster_snapshot_json(caf::actor_system& sys, const cluster_membership& membership,
                                  const std::optional<worker_registry_actor>& registry,
                                  const recent_events& events) {
  auto self = membership.local_member();
  std::map<node_id, double> phi;
  for (const auto& p : membership.phis())
    phi.emplace(p.id, p.phi);
  json members = json::array();
  for (const auto& m : membership.members()) {
    json entry{{"id", m.id.to_string()},
               {"address", text(m.address)},
               {"state", state_name(m.state)},
               {"incarnation", m.incarnation},
               {"tags", tags_of(m.tags)},
               {"self", m.id == self.id}};
    auto it = phi.find(m.id);
    entry["phi"] = it != phi.end() ? json(it->second) : json(nullptr);
    members.push_back(std::move(entry));
  }
  json recent = json::array();
  for (const auto& [at, ev] : events.list())
    recent.push_back({{"time_ms", unix_ms(at)},
                      {"kind", event_name(ev.what)},
                      {"id", ev.subject.id.to_string()},
                      {"address", text(ev.subject.address)},
                      {"label", text(ev.subject.tags.count("label") != 0
                                       ? ev.subject.tags.at("label")
                                       : std::string{})}});
  json out{{"version", 1},
           {"node",
            {{"id", self.id.to_string()},
             {"address", text(self.address)},
             {"tags", tags_of(self.tags)}}},
           {"time_ms", unix_ms(std::chrono::system_clock::now())},
           {"members", std::move(members)},
           {"workers", registry ? workers_of(sys, *registry) : json::array()},
           {"events", std::move(recent)}};
  return out.dump();
}

} // namespace rpcnet
