// Tests the SWIM core driven by hand, one protocol rule per test: acks,
// indirect probes and nacks, suspicion and its expiry, refutation by
// incarnation, tombstones, piggybacking with its retransmit limit, push-pull
// and join, graceful leave, tags, Lifeguard's three parts and Phi Accrual.
// Nobody answers a core's probes unless the test does, so tests look only at
// the members they are about.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <set>

#include "swim_core.hpp"
#include <rpcnet/transport/error.hpp>

#include "swim_test_support.hpp"

using namespace std::chrono_literals;
namespace gossip = rpcnet::gossip;
using rpcnet::member_state;
using rpcnet::membership_event;
using rpcnet::node_id;
using rpcnet::swim_config;
using rpcnet::swim_core;
using rpcnet::time_point;
using rpcnet::test::all_sent;
using rpcnet::test::core_no;
using rpcnet::test::events_of;
using rpcnet::test::first_sent;
using rpcnet::test::from_no;
using rpcnet::test::member_no;
using rpcnet::test::run_until;
using rpcnet::test::t0;
using kind = membership_event::kind;

namespace {

node_id id_no(uint64_t n) {
  return member_no(n).id;
}

std::string address_no(uint64_t n) {
  return member_no(n).address;
}

swim_config without_lifeguard() {
  swim_config cfg;
  cfg.lifeguard = rpcnet::lifeguard_config::disabled();
  return cfg;
}

/// Ticks `core` at its deadlines until it probes; returns the ping and sets
/// `at` to when it was sent.
gossip::ping first_probe(swim_core& core, time_point& at) {
  for (int i = 0; i < 100; ++i) {
    at = core.next_deadline();
    if (auto ping = first_sent<gossip::ping>(core.tick(at)))
      return ping->message;
  }
  FAIL("the core never probed");
  return {};
}

/// The times at which `core` sent pings until `until`.
std::vector<time_point> ping_times(swim_core& core, time_point until) {
  std::vector<time_point> times;
  for (auto at = core.next_deadline(); at <= until; at = core.next_deadline())
    if (first_sent<gossip::ping>(core.tick(at)))
      times.push_back(at);
  return times;
}

} // namespace

// -- probing ------------------------------------------------------------------

TEST_CASE("a ping for this node is answered with an ack of the same sequence number",
          "[swim_core]") {
  auto a = core_no(1, {2});
  auto out = a.handle(from_no(2, {gossip::ping{77, id_no(1)}}), address_no(2), t0);
  auto ack = first_sent<gossip::ack>(out);
  REQUIRE(ack);
  CHECK(ack->destination == address_no(2));
  CHECK(ack->message.seq == 77);
}

TEST_CASE("a ping for another id is not answered", "[swim_core]") {
  auto a = core_no(1, {2});
  auto out = a.handle(from_no(2, {gossip::ping{77, id_no(9)}}), address_no(2), t0);
  CHECK(out.datagrams.empty());
}

TEST_CASE("a datagram claiming to come from this node itself is ignored", "[swim_core]") {
  auto a = core_no(1, {2});
  auto out = a.handle(from_no(1, {gossip::ping{1, id_no(1)}}), address_no(2), t0);
  CHECK(out.datagrams.empty());
}

TEST_CASE("an unanswered probe goes indirect at the probe timeout, and its target is "
          "suspected when the interval ends",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5});
  time_point start;
  auto ping = first_probe(a, start);
  CHECK(a.next_deadline() <= start + 500ms);
  auto out = a.tick(start + 500ms);
  auto requests = all_sent<gossip::ping_req>(out);
  REQUIRE(requests.size() == 3);
  for (const auto& r : requests) {
    CHECK(r.message.target == ping.target);
    CHECK(r.message.seq == ping.seq);
    CHECK(r.destination != a.find(ping.target)->address);
  }
  CHECK(events_of(out, kind::suspect).empty());
  out = a.tick(start + 1s);
  auto suspected = events_of(out, kind::suspect);
  REQUIRE(suspected.size() == 1);
  CHECK(suspected[0].subject.id == ping.target);
  CHECK(a.find(ping.target)->state == member_state::suspect);
  // No relay sent a nack, so the failure counts against our own health.
  CHECK(a.awareness_score() == 3);
}

TEST_CASE("an ack relayed through ping-req saves the probed member", "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5});
  time_point start;
  auto ping = first_probe(a, start);
  auto requests = all_sent<gossip::ping_req>(a.tick(start + 500ms));
  REQUIRE_FALSE(requests.empty());
  auto relay = requests[0].destination;
  a.handle(gossip::datagram{node_id{0, 99}, {gossip::ack{ping.seq}}}, relay, start + 700ms);
  auto out = a.tick(start + 1s);
  CHECK(events_of(out, kind::suspect).empty());
  CHECK(a.find(ping.target)->state == member_state::alive);
  CHECK(a.awareness_score() == 0);
}

TEST_CASE("nacks from every relay keep a failed probe from hurting our own health",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5});
  time_point start;
  auto ping = first_probe(a, start);
  auto requests = all_sent<gossip::ping_req>(a.tick(start + 500ms));
  for (const auto& r : requests)
    a.handle(from_no(9, {gossip::nack{ping.seq}}), r.destination, start + 900ms);
  a.tick(start + 1s);
  CHECK(a.find(ping.target)->state == member_state::suspect);
  CHECK(a.awareness_score() == 0);
}

TEST_CASE("a relay pings the target for the requester and relays its ack", "[swim_core]") {
  auto r = core_no(2, {1, 3});
  auto out = r.handle(from_no(1, {gossip::ping_req{55, id_no(3)}}), address_no(1), t0);
  auto ping = first_sent<gossip::ping>(out);
  REQUIRE(ping);
  CHECK(ping->destination == address_no(3));
  CHECK(ping->message.target == id_no(3));
  out = r.handle(from_no(3, {gossip::ack{ping->message.seq}}), address_no(3), t0 + 10ms);
  auto ack = first_sent<gossip::ack>(out);
  REQUIRE(ack);
  CHECK(ack->destination == address_no(1));
  CHECK(ack->message.seq == 55);
}

TEST_CASE("a relay answers nack when the target stays silent", "[swim_core]") {
  auto r = core_no(2, {1, 3});
  r.handle(from_no(1, {gossip::ping_req{56, id_no(3)}}), address_no(1), t0);
  // The nack leaves after 80% of the probe timeout, so it reaches the
  // requester before its own interval ends.
  auto out = run_until(r, t0 + 399ms);
  CHECK(all_sent<gossip::nack>(out).empty());
  out = run_until(r, t0 + 400ms);
  auto nacks = all_sent<gossip::nack>(out);
  REQUIRE(nacks.size() == 1);
  CHECK(nacks[0].destination == address_no(1));
  CHECK(nacks[0].message.seq == 56);
}

TEST_CASE("a flood of ping-reqs holds at most 256 relays", "[swim_core]") {
  auto r = core_no(2, {1, 3});
  size_t pings = 0;
  for (uint32_t i = 0; i < 1000; ++i)
    pings += all_sent<gossip::ping>(
               r.handle(from_no(1, {gossip::ping_req{i, id_no(3)}}), address_no(1), t0))
               .size();
  CHECK(pings == 256);
}

// -- suspicion, refutation, incarnations --------------------------------------

TEST_CASE("a member that hears itself suspected refutes with a higher incarnation",
          "[swim_core]") {
  auto a = core_no(1, {2, 3});
  a.handle(from_no(2, {gossip::suspect{id_no(1), 0, id_no(2)}}), address_no(2), t0);
  CHECK(a.self().incarnation == 1);
  auto out = run_until(a, t0);
  auto refutations = all_sent<gossip::alive>(out);
  REQUIRE_FALSE(refutations.empty());
  CHECK(refutations[0].message.id == id_no(1));
  CHECK(refutations[0].message.incarnation == 1);
  // A stale suspicion of the old incarnation changes nothing.
  a.handle(from_no(2, {gossip::suspect{id_no(1), 0, id_no(2)}}), address_no(2), t0);
  CHECK(a.self().incarnation == 1);
  // Being declared dead is refuted the same way.
  a.handle(from_no(2, {gossip::dead{id_no(1), 1, id_no(2)}}), address_no(2), t0);
  CHECK(a.self().incarnation == 2);
}

TEST_CASE("only a higher incarnation of alive ends a suspicion", "[swim_core]") {
  auto a = core_no(1, {2, 3, 4});
  auto out = a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  CHECK(events_of(out, kind::suspect).size() == 1);
  out = a.handle(from_no(3, {gossip::alive{id_no(2), 0, address_no(2), {}}}), address_no(3), t0);
  CHECK(out.events.empty());
  CHECK(a.find(id_no(2))->state == member_state::suspect);
  out = a.handle(from_no(3, {gossip::alive{id_no(2), 1, address_no(2), {}}}), address_no(3), t0);
  CHECK(events_of(out, kind::recovered).size() == 1);
  CHECK(a.find(id_no(2))->state == member_state::alive);
  CHECK(a.find(id_no(2))->incarnation == 1);
}

TEST_CASE("a dead member cannot come back with the same or a lower incarnation",
          "[swim_core]") {
  auto a = core_no(1, {2, 3});
  auto out = a.handle(from_no(3, {gossip::dead{id_no(2), 3, id_no(3)}}), address_no(3), t0);
  CHECK(events_of(out, kind::failed).size() == 1);
  for (uint32_t inc : {0u, 2u, 3u}) {
    out = a.handle(from_no(3, {gossip::alive{id_no(2), inc, address_no(2), {}}}),
                   address_no(3), t0);
    CHECK(out.events.empty());
    CHECK(a.find(id_no(2))->state == member_state::dead);
  }
  out = a.handle(from_no(3, {gossip::alive{id_no(2), 4, address_no(2), {}}}), address_no(3), t0);
  CHECK(events_of(out, kind::joined).size() == 1);
  CHECK(a.find(id_no(2))->state == member_state::alive);
}

TEST_CASE("an unrefuted suspicion becomes a failure after the suspicion timeout",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4}, without_lifeguard());
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  CHECK(events_of(a.tick(t0 + 4999ms), kind::failed).empty());
  // At the timeout the suspect gets one gossip interval more: the last
  // check with it and two witnesses (see the next test).
  CHECK(events_of(a.tick(t0 + 5s), kind::failed).empty());
  auto out = a.tick(t0 + 6s);
  auto failed = events_of(out, kind::failed);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].subject.id == id_no(2));
  // The failure is gossiped with the next broadcast round.
  auto deaths = all_sent<gossip::dead>(run_until(a, t0 + 6200ms));
  REQUIRE_FALSE(deaths.empty());
  CHECK(deaths[0].message.id == id_no(2));
}

TEST_CASE("with dynamic suspicion a lone accusation waits the whole suspicion timeout",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5, 6});
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  CHECK(events_of(a.tick(t0 + 4900ms), kind::failed).empty());
  a.tick(t0 + 5s);
  CHECK(events_of(a.tick(t0 + 5900ms), kind::failed).empty());
  CHECK(events_of(a.tick(t0 + 6s), kind::failed).size() == 1);
}

TEST_CASE("before burying a suspect a node asks it and two witnesses for its entry, and a "
          "refuting answer saves it",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5, 6}, without_lifeguard());
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  auto out = a.tick(t0 + 5s);
  // (A periodic full push-pull may fall due at the same tick.)
  std::set<std::string> askees;
  for (const auto& p : all_sent<gossip::push_pull>(out)) {
    if (p.message.first != id_no(2) || p.message.last != id_no(2))
      continue;
    CHECK(p.message.reply_requested);
    askees.insert(p.destination);
  }
  CHECK(askees.count(address_no(2)) == 1);
  CHECK(askees.size() == 3);
  // A witness knows the refutation this node missed.
  auto refuted = member_no(2);
  refuted.incarnation = 1;
  auto answer = a.handle(from_no(4, {gossip::push_pull{false, id_no(2), id_no(2), {refuted}}}),
                         address_no(4), t0 + 5100ms);
  CHECK(events_of(answer, kind::recovered).size() == 1);
  CHECK(events_of(a.tick(t0 + 7s), kind::failed).empty());
  CHECK(a.find(id_no(2))->state == member_state::alive);
}

TEST_CASE("in a larger cluster a suspicion lasts log10(n) suspicion timeouts", "[swim_core]") {
  std::vector<uint64_t> others;
  for (uint64_t i = 2; i <= 100; ++i)
    others.push_back(i);
  auto a = core_no(1, others);
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  // 100 members: log10(100) = 2, so 10 s, and the last check's interval.
  CHECK(events_of(a.tick(t0 + 9900ms), kind::failed).empty());
  a.tick(t0 + 10s);
  CHECK(events_of(a.tick(t0 + 11s), kind::failed).size() == 1);
}

TEST_CASE("independent confirmations shorten a suspicion to its minimum", "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5, 6});
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  auto out = a.handle(from_no(4, {gossip::suspect{id_no(2), 0, id_no(4)}}), address_no(4), t0);
  // The confirmation is passed on so that others count it too.
  REQUIRE_FALSE(all_sent<gossip::suspect>(run_until(a, t0)).empty());
  a.handle(from_no(4, {gossip::suspect{id_no(2), 0, id_no(4)}}), address_no(4), t0);
  a.handle(from_no(5, {gossip::suspect{id_no(2), 0, id_no(5)}}), address_no(5), t0);
  // Two confirmations: a third of the 5 s, and the last check's interval.
  CHECK(events_of(a.tick(t0 + 2400ms), kind::failed).empty());
  a.tick(t0 + 2500ms);
  CHECK(events_of(a.tick(t0 + 3500ms), kind::failed).size() == 1);
}

TEST_CASE("in a cluster of three the one member who can confirm a suspicion shortens it",
          "[swim_core]") {
  auto a = core_no(1, {2, 3});
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  // This node's own accusation (say, its probe failed too) confirms it.
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(1)}}), address_no(3), t0);
  // A third of the 5 s, and the last check's interval.
  a.tick(t0 + 1700ms);
  CHECK(events_of(a.tick(t0 + 2700ms), kind::failed).size() == 1);
}

TEST_CASE("the buddy system tells a suspect directly", "[swim_core]") {
  // Two runs with equal seeds make equal random choices; they differ only
  // in the buddy system, and so must the datagrams to the suspect.
  auto told = [](bool buddy) {
    swim_config cfg;
    cfg.lifeguard.buddy_system = buddy;
    auto a = core_no(1, {2, 3, 4, 5, 6, 7, 8}, cfg);
    time_point start;
    auto ping = first_probe(a, start);
    a.tick(start + 500ms);
    auto out = a.tick(start + 1s);
    auto address = a.find(ping.target)->address;
    size_t n = 0;
    for (const auto& s : all_sent<gossip::suspect>(out))
      if (s.destination == address && s.message.id == ping.target)
        ++n;
    return n;
  };
  CHECK(told(true) == told(false) + 1);
}

// -- dissemination ------------------------------------------------------------

TEST_CASE("updates ride piggyback on acks", "[swim_core]") {
  auto a = core_no(1, {2, 3});
  a.handle(from_no(3, {gossip::alive{id_no(3), 1, address_no(3), {{"role", "worker"}}}}),
           address_no(3), t0);
  auto out = a.handle(from_no(2, {gossip::ping{5, id_no(1)}}), address_no(2), t0);
  REQUIRE(out.datagrams.size() == 1);
  const auto& msgs = out.datagrams[0].datagram.messages;
  REQUIRE(msgs.size() == 2);
  CHECK(std::holds_alternative<gossip::ack>(msgs[0]));
  CHECK(std::get<gossip::alive>(msgs[1]).id == id_no(3));
}

TEST_CASE("each update is sent retransmit multiplier * ceil(log10(n + 1)) times",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5, 6, 7, 8, 9, 10});
  // Member 99 is heard of, then answers its verification ping.
  auto verify = first_sent<gossip::ping>(a.handle(
    from_no(3, {gossip::alive{id_no(99), 0, address_no(99), {}}}), address_no(3), t0));
  REQUIRE(verify);
  a.handle(from_no(99, {gossip::ack{verify->message.seq}}), address_no(99), t0);
  // 11 live members with the new one: 4 * ceil(log10(12)) = 8.
  size_t copies = 0;
  for (uint32_t i = 0; i < 30; ++i)
    copies += all_sent<gossip::alive>(
                a.handle(from_no(2, {gossip::ping{i, id_no(1)}}), address_no(2), t0))
                .size();
  CHECK(copies == 8);
}

TEST_CASE("fresh news is gossiped at once, then at most every broadcast interval",
          "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5, 6});
  a.handle(from_no(3, {gossip::alive{id_no(3), 1, address_no(3), {}}}), address_no(3), t0);
  CHECK(a.next_deadline() <= t0);
  auto out = a.tick(t0);
  CHECK(all_sent<gossip::alive>(out).size() == 3); // the fan-out
  a.handle(from_no(4, {gossip::alive{id_no(4), 1, address_no(4), {}}}), address_no(4), t0);
  CHECK(a.next_deadline() == std::min(t0 + 200ms, a.next_deadline()));
  CHECK(a.next_deadline() > t0);
}

TEST_CASE("a joining node is verified by its seed, then learns every member from the "
          "seed's reply and verifies each",
          "[swim_core]") {
  auto seed = core_no(1, {2, 3, 4});
  auto made = swim_core::make(swim_config{}, member_no(5), 5, t0);
  REQUIRE(made);
  auto& joiner = *made;
  std::vector<std::string> seeds{address_no(1)};
  auto out = joiner.join(seeds, t0);
  auto push = first_sent<gossip::push_pull>(out);
  REQUIRE(push);
  CHECK(push->destination == address_no(1));
  CHECK(push->message.reply_requested);
  REQUIRE(push->message.members.size() == 1);
  CHECK(push->message.members[0].id == id_no(5));

  // The seed has never heard from the joiner's address: it pings it first,
  // and its state waits.
  auto check = seed.handle(from_no(5, {push->message}), address_no(5), t0);
  CHECK(events_of(check, kind::joined).empty());
  CHECK(all_sent<gossip::push_pull>(check).empty());
  auto ping = first_sent<gossip::ping>(check);
  REQUIRE(ping);
  CHECK(ping->destination == address_no(5));
  CHECK(ping->message.target == id_no(5));
  REQUIRE(check.datagrams.size() == 1);
  CHECK(check.datagrams[0].datagram.messages.size() == 1);

  auto ack = first_sent<gossip::ack>(joiner.handle(from_no(1, {ping->message}), address_no(1), t0));
  REQUIRE(ack);
  auto reply = seed.handle(from_no(5, {ack->message}), address_no(5), t0 + 1ms);
  CHECK(events_of(reply, kind::joined).size() == 1);
  auto parts = all_sent<gossip::push_pull>(reply);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].destination == address_no(5));
  CHECK_FALSE(parts[0].message.reply_requested);
  std::vector<node_id> ids;
  for (const auto& m : parts[0].message.members)
    ids.push_back(m.id);
  CHECK(ids == std::vector<node_id>{id_no(1), id_no(2), id_no(3), id_no(4), id_no(5)});

  // The joiner asked the seed, so it takes the seed's word for whom to
  // ping, and takes each member in when it answers.
  auto learned = joiner.handle(from_no(1, {parts[0].message}), address_no(1), t0 + 2ms);
  CHECK(learned.events.empty());
  CHECK(joiner.candidates() == 4);
  auto pings = all_sent<gossip::ping>(learned);
  REQUIRE(pings.size() == 4);
  size_t joined = 0;
  for (const auto& p : pings) {
    auto n = std::find_if(ids.begin(), ids.end(), [&](auto& id) { return id == p.message.target; });
    REQUIRE(n != ids.end());
    auto answer = joiner.handle(gossip::datagram{p.message.target, {gossip::ack{p.message.seq}}},
                                p.destination, t0 + 3ms);
    joined += events_of(answer, kind::joined).size();
  }
  CHECK(joined == 4);
  CHECK(joiner.live_members() == 4);
  CHECK(joiner.has_members());
  CHECK(joiner.counters().candidates_verified == 4);
}

TEST_CASE("a push-pull between members that agree needs no reply", "[swim_core]") {
  auto a = core_no(1, {2, 3});
  gossip::push_pull same;
  same.reply_requested = true;
  for (uint64_t n : {1, 2, 3})
    same.members.push_back(member_no(n));
  std::sort(same.members.begin(), same.members.end(),
            [](const auto& x, const auto& y) { return x.id < y.id; });
  auto out = a.handle(from_no(2, {same}), address_no(2), t0);
  CHECK(all_sent<gossip::push_pull>(out).empty());
  CHECK(out.events.empty());
}

TEST_CASE("a death in a remote state is only a suspicion here", "[swim_core]") {
  auto a = core_no(1, {2, 3});
  gossip::push_pull state;
  auto dead = member_no(2);
  dead.state = member_state::dead;
  state.members.push_back(dead);
  auto out = a.handle(from_no(3, {state}), address_no(3), t0);
  CHECK(events_of(out, kind::suspect).size() == 1);
  CHECK(events_of(out, kind::failed).empty());
  CHECK(a.find(id_no(2))->state == member_state::suspect);
}

// -- leaving and tags ---------------------------------------------------------

TEST_CASE("a leaving node tells fan-out members at once and stops probing", "[swim_core]") {
  auto a = core_no(1, {2, 3, 4, 5});
  // A suspicion running when it leaves is left alone.
  a.handle(from_no(3, {gossip::suspect{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  auto out = a.leave(t0);
  auto leaves = all_sent<gossip::leave>(out);
  CHECK(leaves.size() == 3);
  for (const auto& l : leaves)
    CHECK(l.message.id == id_no(1));
  CHECK(all_sent<gossip::ping>(run_until(a, t0 + 40s)).empty());
  // Suspicion of a leaving node is not refuted.
  a.handle(from_no(2, {gossip::suspect{id_no(1), 0, id_no(2)}}), address_no(2), t0 + 40s);
  CHECK(a.self().incarnation == 0);
  CHECK(a.self().state == member_state::left);
}

TEST_CASE("a leave message makes a member left, not failed, everywhere", "[swim_core]") {
  auto b = core_no(2, {1, 3});
  auto out = b.handle(from_no(1, {gossip::leave{id_no(1), 0}}), address_no(1), t0);
  REQUIRE(events_of(out, kind::left).size() == 1);
  CHECK(events_of(out, kind::failed).empty());
  CHECK(b.find(id_no(1))->state == member_state::left);
  // It cannot come back at the same incarnation.
  out = b.handle(from_no(3, {gossip::alive{id_no(1), 0, address_no(1), {}}}), address_no(3), t0);
  CHECK(out.events.empty());
}

TEST_CASE("changed tags are gossiped with a new incarnation and arrive as updated",
          "[swim_core]") {
  auto a = core_no(1, {2});
  REQUIRE_FALSE(a.set_tags({{"role", "worker"}}, t0));
  CHECK(a.self().incarnation == 1);
  auto announced = all_sent<gossip::alive>(run_until(a, t0));
  REQUIRE_FALSE(announced.empty());
  auto b = core_no(2, {1});
  auto out = b.handle(from_no(1, {announced[0].message}), address_no(1), t0);
  auto updated = events_of(out, kind::updated);
  REQUIRE(updated.size() == 1);
  CHECK(updated[0].subject.tags.at("role") == "worker");
  auto err = a.set_tags({{"", "empty key"}}, t0);
  CHECK(rpcnet::code_of(err) == rpcnet::error::config);
  CHECK(a.self().incarnation == 1);
}

// -- Lifeguard's local health and Phi Accrual ---------------------------------

TEST_CASE("a node whose probes all fail doubts itself and probes less often",
          "[swim_core]") {
  // Nobody answers: each failed probe with three silent relays costs 3.
  auto a = core_no(1, {2, 3, 4, 5, 6, 7, 8, 9});
  auto times = ping_times(a, t0 + 30s);
  REQUIRE(times.size() >= 5);
  CHECK(a.awareness_score() == 7);
  CHECK(times[1] - times[0] == 1s);
  CHECK(times[2] - times[1] == 4s);
  // From the score of 7 on: eight times the gossip interval.
  CHECK(times[4] - times[3] == 8s);
  auto plain = core_no(1, {2, 3, 4, 5, 6, 7, 8, 9}, without_lifeguard());
  times = ping_times(plain, t0 + 5s);
  REQUIRE(times.size() >= 4);
  CHECK(times[3] - times[2] == 1s);
  CHECK(plain.awareness_score() == 0);
}

TEST_CASE("phi above the threshold raises suspicion, with the phi in the event",
          "[swim_core]") {
  swim_config cfg;
  cfg.health.acceptable_pause = 0ms;
  cfg.health.min_samples = 10;
  auto a = core_no(1, {2}, cfg);
  // Member 2 acks every probe 5 ms after it was sent: regular heartbeats.
  time_point last_ack;
  for (int i = 0; i < 12; ++i) {
    time_point at;
    auto ping = first_probe(a, at);
    last_ack = at + 5ms;
    a.handle(from_no(2, {gossip::ack{ping.seq}}), address_no(2), last_ack);
  }
  CHECK(a.heartbeat_history(id_no(2)).size() == 11);
  CHECK(a.phi(id_no(2), last_ack + 1s) < 1);
  // Then silence: phi passes 8 at 1 s + 5.6 deviations (50 ms floor), well
  // before the next probe's interval ends.
  auto out = run_until(a, last_ack + 1500ms);
  auto suspected = events_of(out, kind::suspect);
  REQUIRE(suspected.size() == 1);
  CHECK(suspected[0].phi >= 8.0);
  CHECK(a.find(id_no(2))->state == member_state::suspect);
}

TEST_CASE("tombstones are forgotten after the tombstone timeout", "[swim_core]") {
  swim_config cfg;
  cfg.tombstone_timeout = 15s;
  auto a = core_no(1, {2, 3}, cfg);
  a.handle(from_no(3, {gossip::dead{id_no(2), 0, id_no(3)}}), address_no(3), t0);
  run_until(a, t0 + 14s);
  CHECK(a.find(id_no(2)) != nullptr);
  run_until(a, t0 + 40s);
  CHECK(a.find(id_no(2)) == nullptr);
}

TEST_CASE("invalid settings are refused with a config error when the core is made",
          "[swim_core]") {
  auto refused = [](swim_config cfg, rpcnet::member self) {
    auto core = swim_core::make(std::move(cfg), std::move(self), 1, t0);
    return !core && rpcnet::code_of(core.error()) == rpcnet::error::config;
  };
  swim_config cfg;
  cfg.probe_timeout = 2s;
  CHECK(refused(cfg, member_no(1)));
  auto long_address = member_no(1);
  long_address.address = std::string(300, 'x');
  CHECK(refused(swim_config{}, long_address));
  auto named = member_no(1);
  named.address = "node-1:7946";
  CHECK(refused(swim_config{}, named));
  auto reserved = member_no(1);
  reserved.id = rpcnet::node_id::min();
  CHECK(refused(swim_config{}, reserved));
  CHECK(swim_core::make(swim_config{}, member_no(1), 1, t0));
}
