// Helpers for tests that drive swim_cores by hand: members with readable
// ids and addresses, and finders for what a core sent and published.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "swim_core.hpp"

namespace rpcnet::test {

/// The start of every hand-driven test's clock.
inline const time_point t0 = time_point{} + std::chrono::hours{1};

/// Member number `n` (1 and up): id {0, n}, address "10.0.(n / 256).(n % 256):7946".
inline member member_no(uint64_t n) {
  return member{node_id{0, n}, "10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256) + ":7946", 0,
                member_state::alive, {}};
}

/// A core for member `n` that already knows members `others` (alive).
/// The test fails at once if the core refuses `cfg`.
inline swim_core core_no(uint64_t n, const std::vector<uint64_t>& others,
                         swim_config cfg = {}) {
  auto core = swim_core::make(cfg, member_no(n), 1000 + n, t0);
  REQUIRE(core);
  std::vector<member> known;
  for (auto o : others)
    known.push_back(member_no(o));
  core->adopt(known, t0);
  return std::move(*core);
}

/// A message of type T that `out` sends, with its destination.
template <class T>
struct sent_message {
  std::string destination;
  T message;
};

/// Every message of type T in `out`, in order.
template <class T>
std::vector<sent_message<T>> all_sent(const swim_output& out) {
  std::vector<sent_message<T>> result;
  for (const auto& dg : out.datagrams)
    for (const auto& msg : dg.datagram.messages)
      if (auto* m = std::get_if<T>(&msg))
        result.push_back({dg.destination, *m});
  return result;
}

/// The first message of type T in `out`, if any.
template <class T>
std::optional<sent_message<T>> first_sent(const swim_output& out) {
  auto all = all_sent<T>(out);
  if (all.empty())
    return std::nullopt;
  return all.front();
}

/// Events of kind `what` in `out`.
inline std::vector<membership_event> events_of(const swim_output& out,
                                               membership_event::kind what) {
  std::vector<membership_event> result;
  for (const auto& ev : out.events)
    if (ev.what == what)
      result.push_back(ev);
  return result;
}

/// A datagram from member `n` holding `messages`.
inline gossip::datagram from_no(uint64_t n, std::vector<gossip::message> messages) {
  return gossip::datagram{member_no(n).id, std::move(messages)};
}

/// Ticks `core` at each deadline until `until`, collecting everything.
/// Throws if the core keeps asking for ticks without time passing.
inline swim_output run_until(swim_core& core, time_point until) {
  swim_output all;
  auto last = time_point::min();
  int same_time = 0;
  for (auto at = core.next_deadline(); at <= until; at = core.next_deadline()) {
    same_time = at == last ? same_time + 1 : 0;
    if (same_time > 1000)
      throw std::logic_error("the core asks for ticks without time passing");
    last = at;
    auto out = core.tick(at);
    for (auto& dg : out.datagrams)
      all.datagrams.push_back(std::move(dg));
    for (auto& ev : out.events)
      all.events.push_back(std::move(ev));
  }
  return all;
}

} // namespace rpcnet::test
