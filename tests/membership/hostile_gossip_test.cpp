// Tests the SWIM core against forged gossip, one defence per test: a member
// heard of is only a candidate until its address answers for it; strangers'
// claims about members this node holds do not count; one datagram cannot
// evict a member for good, because incarnations move by bounded steps and
// the accused is told; replies to unverified addresses are no larger than
// what came from them; ping-reqs are relayed only between members; and the
// bounds on candidates and members hold, with counters when they bite.
#include <catch2/catch.hpp>

#include <chrono>

#include "gossip_codec.hpp"
#include "swim_core.hpp"

#include "swim_test_support.hpp"

using namespace std::chrono_literals;
namespace gossip = rpcnet::gossip;
using rpcnet::member;
using rpcnet::member_state;
using rpcnet::node_id;
using rpcnet::swim_config;
using rpcnet::swim_core;
using rpcnet::swim_output;
using rpcnet::test::all_sent;
using rpcnet::test::core_no;
using rpcnet::test::events_of;
using rpcnet::test::first_sent;
using rpcnet::test::from_no;
using rpcnet::test::member_no;
using rpcnet::test::run_until;
using rpcnet::test::t0;
using kind = rpcnet::membership_event::kind;

namespace {

node_id id_no(uint64_t n) {
  return member_no(n).id;
}

std::string address_no(uint64_t n) {
  return member_no(n).address;
}

size_t bytes_to(const swim_output& out, const std::string& destination) {
  size_t total = 0;
  for (const auto& dg : out.datagrams)
    if (dg.destination == destination)
      total += gossip::encoded_size(dg.datagram);
  return total;
}

gossip::push_pull state_of(std::vector<member> members, bool reply_requested) {
  std::sort(members.begin(), members.end(),
            [](const member& a, const member& b) { return a.id < b.id; });
  return gossip::push_pull{reply_requested, node_id::min(), node_id::max(), std::move(members)};
}

} // namespace

// -- candidates ----------------------------------------------------------------

TEST_CASE("a member heard of is pinged at its address and joins only when it answers",
          "[hostile_gossip]") {
  auto a = core_no(1, {2, 3});
  auto out = a.handle(from_no(2, {gossip::alive{id_no(9), 0, address_no(9), {}}}), address_no(2),
                      t0);
  CHECK(out.events.empty());
  CHECK(a.find(id_no(9)) == nullptr);
  CHECK(a.candidates() == 1);
  auto ping = first_sent<gossip::ping>(out);
  REQUIRE(ping);
  CHECK(ping->destination == address_no(9));
  CHECK(ping->message.target == id_no(9));
  // The ping carries nothing else: the address may be anyone's.
  CHECK(bytes_to(out, address_no(9)) == gossip::datagram_header_size + 3 + 20);

  // An ack with the right seq from another address proves nothing.
  a.handle(gossip::datagram{id_no(9), {gossip::ack{ping->message.seq}}}, address_no(8), t0);
  CHECK(a.find(id_no(9)) == nullptr);
  CHECK(a.counters().unexpected_acks == 1);
  // An ack with a wrong seq from the right address neither.
  a.handle(gossip::datagram{id_no(9), {gossip::ack{ping->message.seq + 1}}}, address_no(9), t0);
  CHECK(a.find(id_no(9)) == nullptr);

  out = a.handle(gossip::datagram{id_no(9), {gossip::ack{ping->message.seq}}}, address_no(9),
                 t0 + 1ms);
  REQUIRE(events_of(out, kind::joined).size() == 1);
  CHECK(a.find(id_no(9))->state == member_state::alive);
  CHECK(a.candidates() == 0);
  CHECK(a.counters().candidates_verified == 1);
}

TEST_CASE("a candidate that never answers is forgotten after its pings, without an event",
          "[hostile_gossip]") {
  auto a = core_no(1, {2});
  a.handle(from_no(2, {gossip::alive{id_no(9), 0, address_no(9), {}}}), address_no(2), t0);
  auto out = run_until(a, t0 + 3s);
  size_t pings = 0;
  for (const auto& p : all_sent<gossip::ping>(out))
    pings += p.destination == address_no(9);
  // Three pings in all (the first went out at once), one probe timeout apart.
  CHECK(pings == 2);
  CHECK(a.candidates() == 0);
  CHECK(a.counters().candidates_expired == 1);
  for (const auto& ev : out.events)
    CHECK(ev.subject.id != id_no(9));
  CHECK(a.find(id_no(9)) == nullptr);
}

TEST_CASE("forged members in a push-pull never become members", "[hostile_gossip]") {
  auto a = core_no(1, {2});
  std::vector<member> forged;
  for (uint64_t n = 100; n < 120; ++n)
    forged.push_back(member_no(n));
  a.handle(from_no(2, {state_of(forged, false)}), address_no(2), t0);
  CHECK(a.candidates() == 20);
  auto out = run_until(a, t0 + 5s);
  CHECK(events_of(out, kind::joined).empty());
  CHECK(a.live_members() == 1);
  CHECK(a.counters().candidates_expired == 20);
}

TEST_CASE("a member at a new address must answer there before the move is believed",
          "[hostile_gossip]") {
  auto a = core_no(1, {2, 3});
  auto moved = gossip::alive{id_no(2), 1, "10.9.9.9:7946", {}};
  auto out = a.handle(from_no(3, {moved}), address_no(3), t0);
  CHECK(a.find(id_no(2))->address == address_no(2));
  auto ping = first_sent<gossip::ping>(out);
  REQUIRE(ping);
  CHECK(ping->destination == "10.9.9.9:7946");
  out = a.handle(gossip::datagram{id_no(2), {gossip::ack{ping->message.seq}}}, "10.9.9.9:7946",
                 t0 + 1ms);
  CHECK(a.find(id_no(2))->address == "10.9.9.9:7946");
  CHECK(a.find(id_no(2))->incarnation == 1);
  CHECK(events_of(out, kind::updated).size() == 1);
}

// -- strangers -----------------------------------------------------------------

TEST_CASE("a stranger's claims about members this node holds do not count",
          "[hostile_gossip]") {
  auto a = core_no(1, {2, 3});
  // Member 7 is nobody we know, at an address nobody verified.
  auto stranger = address_no(7);
  a.handle(from_no(7, {gossip::dead{id_no(2), 0, id_no(7)}, gossip::suspect{id_no(3), 0, id_no(7)},
                       gossip::leave{id_no(3), 0},
                       gossip::alive{id_no(2), 5, address_no(2), {{"role", "evil"}}}}),
           stranger, t0);
  CHECK(a.find(id_no(2))->state == member_state::alive);
  CHECK(a.find(id_no(2))->incarnation == 0);
  CHECK(a.find(id_no(2))->tags.empty());
  CHECK(a.find(id_no(3))->state == member_state::alive);
  CHECK(a.counters().refused_hearsay == 4);
  // Nor do its claims about us, which would make us refute for nothing.
  a.handle(from_no(7, {gossip::suspect{id_no(1), 0, id_no(7)}}), stranger, t0);
  CHECK(a.self().incarnation == 0);
}

TEST_CASE("a member's id from an address that is not its own is a stranger",
          "[hostile_gossip]") {
  auto a = core_no(1, {2, 3});
  a.handle(from_no(2, {gossip::dead{id_no(3), 0, id_no(2)}}), address_no(7), t0);
  CHECK(a.find(id_no(3))->state == member_state::alive);
  CHECK(a.counters().refused_hearsay == 1);
}

TEST_CASE("a stranger's state request is answered only once its address answers a ping, "
          "and never with more than it sent before that",
          "[hostile_gossip]") {
  std::vector<uint64_t> others;
  for (uint64_t n = 2; n <= 60; ++n)
    others.push_back(n);
  auto seed = core_no(1, others);
  // A forger asks for the state on behalf of a victim's address.
  auto request = gossip::datagram{id_no(99), {state_of({member_no(99)}, true)}};
  auto victim = address_no(99);
  auto out = seed.handle(request, victim, t0);
  CHECK(bytes_to(out, victim) <= gossip::encoded_size(request));
  CHECK(all_sent<gossip::push_pull>(out).empty());
  CHECK(seed.counters().replies_deferred == 1);
  // The victim never answers: it never gets the state.
  out = run_until(seed, t0 + 5s);
  for (const auto& p : all_sent<gossip::push_pull>(out))
    CHECK(p.destination != victim);
}

TEST_CASE("a stranger names at most as many members to ping as its datagram pays for",
          "[hostile_gossip]") {
  auto a = core_no(1, {2});
  // Thirty unknown members with short addresses: each entry is smaller
  // than the ping that would verify it.
  std::vector<member> named;
  for (uint64_t n = 100; n < 130; ++n)
    named.push_back(member{id_no(n), "1.0.0." + std::to_string(n) + ":1", 0,
                           member_state::alive, {}});
  auto dg = from_no(7, {state_of(named, false)});
  auto out = a.handle(dg, address_no(7), t0);
  size_t sent = 0;
  for (const auto& d : out.datagrams)
    sent += gossip::encoded_size(d.datagram);
  CHECK(sent <= gossip::encoded_size(dg));
  CHECK(a.counters().refused_introductions > 0);
  CHECK(a.candidates() + a.counters().refused_introductions == 30);
}

TEST_CASE("ping-reqs are relayed only for members, to the address this node knows",
          "[hostile_gossip]") {
  auto r = core_no(2, {1, 3});
  // From a stranger: refused.
  auto out = r.handle(from_no(7, {gossip::ping_req{1, id_no(3)}}), address_no(7), t0);
  CHECK(all_sent<gossip::ping>(out).empty());
  // From a member, about a member we do not hold: refused.
  out = r.handle(from_no(1, {gossip::ping_req{2, id_no(8)}}), address_no(1), t0);
  CHECK(all_sent<gossip::ping>(out).empty());
  CHECK(r.counters().refused_ping_req == 2);
  // From a member about a member: pinged where we know it is.
  out = r.handle(from_no(1, {gossip::ping_req{3, id_no(3)}}), address_no(1), t0);
  auto ping = first_sent<gossip::ping>(out);
  REQUIRE(ping);
  CHECK(ping->destination == address_no(3));
  // Its ack is relayed only when it comes from the target's address.
  out = r.handle(gossip::datagram{id_no(3), {gossip::ack{ping->message.seq}}}, address_no(8), t0);
  CHECK(all_sent<gossip::ack>(out).empty());
  out = r.handle(gossip::datagram{id_no(3), {gossip::ack{ping->message.seq}}}, address_no(3), t0);
  auto relayed = first_sent<gossip::ack>(out);
  REQUIRE(relayed);
  CHECK(relayed->destination == address_no(1));
  CHECK(relayed->message.seq == 3);
}

TEST_CASE("a stranger's ping is acked with nothing piggybacked", "[hostile_gossip]") {
  auto a = core_no(1, {2, 3});
  // Updates wait to be gossiped.
  a.handle(from_no(2, {gossip::alive{id_no(2), 1, address_no(2), {{"k", "v"}}}}), address_no(2),
           t0);
  auto ping = from_no(7, {gossip::ping{5, id_no(1)}});
  auto out = a.handle(ping, address_no(7), t0);
  REQUIRE(out.datagrams.size() == 1);
  CHECK(out.datagrams[0].datagram.messages.size() == 1);
  CHECK(bytes_to(out, address_no(7)) < gossip::encoded_size(ping));
  // A member's ping gets the news along with the ack.
  out = a.handle(from_no(3, {gossip::ping{6, id_no(1)}}), address_no(3), t0);
  CHECK(out.datagrams[0].datagram.messages.size() == 2);
}

// -- incarnations and refutation ----------------------------------------------

TEST_CASE("a claim that jumps an incarnation far ahead is refused as implausible",
          "[hostile_gossip]") {
  auto a = core_no(1, {2, 3});
  auto huge = gossip::max_incarnation;
  a.handle(from_no(3, {gossip::dead{id_no(2), huge, id_no(3)}, gossip::leave{id_no(2), huge},
                       gossip::alive{id_no(2), huge, address_no(2), {}}}),
           address_no(3), t0);
  CHECK(a.find(id_no(2))->state == member_state::alive);
  CHECK(a.find(id_no(2))->incarnation == 0);
  // About ourselves too: we are the only one who raises our incarnation.
  a.handle(from_no(3, {gossip::suspect{id_no(1), huge, id_no(3)}}), address_no(3), t0);
  CHECK(a.self().incarnation == 0);
  CHECK(a.counters().refused_implausible == 4);
  // A step within max_incarnation_jump is an honest refutation or tag change.
  auto step = swim_config{}.limits.max_incarnation_jump;
  a.handle(from_no(2, {gossip::alive{id_no(2), step, address_no(2), {}}}), address_no(2), t0);
  CHECK(a.find(id_no(2))->incarnation == step);
}

TEST_CASE("one forged death does not evict a member: the accused is told and refutes",
          "[hostile_gossip]") {
  // The director knows worker 2; a forger spoofs member 3's address.
  auto director = core_no(1, {2, 3});
  auto worker = core_no(2, {1, 3});
  auto out = director.handle(from_no(3, {gossip::dead{id_no(2), 0, id_no(3)}}), address_no(3),
                             t0);
  REQUIRE(events_of(out, kind::failed).size() == 1);
  // The director tells the worker at once, as it tells every member it buries.
  std::vector<gossip::datagram> to_worker;
  for (auto& dg : out.datagrams)
    if (dg.destination == address_no(2))
      to_worker.push_back(dg.datagram);
  REQUIRE_FALSE(to_worker.empty());
  swim_output refutation;
  for (const auto& dg : to_worker) {
    auto answer = worker.handle(dg, address_no(1), t0 + 1ms);
    refutation.datagrams.insert(refutation.datagrams.end(), answer.datagrams.begin(),
                                answer.datagrams.end());
  }
  CHECK(worker.self().incarnation == 1);
  // The worker's refutation reaches the director with its next gossip.
  auto gossip_out = run_until(worker, t0 + 300ms);
  refutation.datagrams.insert(refutation.datagrams.end(), gossip_out.datagrams.begin(),
                              gossip_out.datagrams.end());
  size_t back = 0;
  for (const auto& dg : refutation.datagrams)
    if (dg.destination == address_no(1))
      back += events_of(director.handle(dg.datagram, address_no(2), t0 + 300ms), kind::joined)
                .size();
  CHECK(back == 1);
  CHECK(director.find(id_no(2))->state == member_state::alive);
  CHECK(director.find(id_no(2))->incarnation == 1);
}

TEST_CASE("a node can refute every plausible claim about itself", "[hostile_gossip]") {
  auto a = core_no(1, {2});
  auto step = swim_config{}.limits.max_incarnation_jump;
  for (int i = 0; i < 100; ++i) {
    auto heard = a.self().incarnation + step;
    a.handle(from_no(2, {gossip::dead{id_no(1), heard, id_no(2)}}), address_no(2), t0);
    REQUIRE(a.self().incarnation == heard + 1);
  }
}

// -- bounds --------------------------------------------------------------------

TEST_CASE("one source introduces at most its share of candidates per interval",
          "[hostile_gossip]") {
  swim_config cfg;
  cfg.limits.max_introductions_per_source = 10;
  auto a = core_no(1, {2}, cfg);
  std::vector<member> named;
  for (uint64_t n = 100; n < 125; ++n)
    named.push_back(member_no(n));
  a.handle(from_no(2, {state_of(named, false)}), address_no(2), t0);
  CHECK(a.candidates() == 10);
  CHECK(a.counters().refused_introductions == 15);
  // A new interval, a new share.
  a.handle(from_no(2, {state_of(named, false)}), address_no(2), t0 + 1s);
  CHECK(a.candidates() == 20);
}

TEST_CASE("candidates and members are bounded in all", "[hostile_gossip]") {
  swim_config cfg;
  cfg.limits.max_candidates = 5;
  cfg.limits.max_members = 3;
  auto a = core_no(1, {2}, cfg);
  std::vector<member> named;
  for (uint64_t n = 100; n < 110; ++n)
    named.push_back(member_no(n));
  auto out = a.handle(from_no(2, {state_of(named, false)}), address_no(2), t0);
  CHECK(a.candidates() == 5);
  CHECK(a.counters().refused_full == 5);
  // Every candidate answers; only two fit beside member 2.
  for (const auto& p : all_sent<gossip::ping>(out))
    a.handle(gossip::datagram{p.message.target, {gossip::ack{p.message.seq}}}, p.destination,
             t0 + 1ms);
  CHECK(a.live_members() == 3);
  CHECK(a.counters().refused_full == 8);
}
