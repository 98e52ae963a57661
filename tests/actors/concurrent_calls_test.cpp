// Many calls at once: 1,000 calls in flight on one connection from an actor,
// blocking calls from several threads sharing a client, several clients on
// one server, more calls than the server's stream limit -- every reply must
// belong to its own request. And a slow handler must not hold up the other
// calls of its connection.
#include <atomic>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <caf/event_based_actor.hpp>

#include <rpcnet/typed/serialization.hpp>

#include "loopback.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

using tagged_reply = std::pair<uint64_t, std::string>;

std::string tag_of(uint64_t index) {
  return "reply-" + std::to_string(index);
}

/// Answers request index i with (i, "reply-i"): a reply that could only
/// have come from that request. Counts its calls in `calls`.
unary_handler tagging_handler(std::shared_ptr<std::atomic<size_t>> calls) {
  return [calls](byte_buffer request) -> caf::expected<byte_buffer> {
    calls->fetch_add(1);
    auto index = decode<uint64_t>(request);
    if (!index)
      return std::move(index.error());
    return encode(tagged_reply{*index, tag_of(*index)});
  };
}

/// What happened to each of a batch of calls.
struct batch_outcome {
  /// replies[i] is the decoded reply to request i, if it succeeded.
  std::vector<std::optional<tagged_reply>> replies;
  std::vector<std::string> errors;
};

/// Spawns an actor that sends `n` requests (index i as payload) to the
/// client's connection actor all at once -- all of them are in flight
/// before the first reply is handled -- and collects every outcome.
std::future<batch_outcome> call_all_at_once(caf::actor_system& sys,
                                            const rpc_client_actor& connection,
                                            const std::string& method, size_t n) {
  auto done = std::make_shared<std::promise<batch_outcome>>();
  auto result = done->get_future();
  // Inputs as spawn arguments: CAF 0.17 binds a reference to a null
  // pointer (UBSan) when a function actor gets none.
  sys.spawn([](caf::event_based_actor* self, rpc_client_actor connection, std::string method,
               size_t n, std::shared_ptr<std::promise<batch_outcome>> done) {
    auto outcome = std::make_shared<batch_outcome>();
    outcome->replies.resize(n);
    auto remaining = std::make_shared<size_t>(n);
    auto finish_one = [outcome, remaining, done] {
      if (--*remaining == 0)
        done->set_value(std::move(*outcome));
    };
    for (uint64_t i = 0; i < n; ++i) {
      self->request(connection, std::chrono::seconds{30}, call_atom::value, method, encode(i))
        .then(
          [outcome, finish_one, i](byte_buffer& reply) {
            if (auto decoded = decode<tagged_reply>(reply))
              outcome->replies[i] = std::move(*decoded);
            else
              outcome->errors.push_back("request " + std::to_string(i) + ": undecodable reply");
            finish_one();
          },
          [outcome, finish_one, i](caf::error& err) {
            outcome->errors.push_back("request " + std::to_string(i) + ": " + describe(err));
            finish_one();
          });
    }
  }, connection, method, n, done);
  return result;
}

/// Checks that every request got its own reply; reports the first problems.
void check_each_reply_matches_its_request(const batch_outcome& outcome) {
  INFO("first error: " << (outcome.errors.empty() ? "none" : outcome.errors.front()));
  CHECK(outcome.errors.empty());
  size_t mismatched = 0;
  size_t missing = 0;
  for (uint64_t i = 0; i < outcome.replies.size(); ++i) {
    const auto& reply = outcome.replies[i];
    if (!reply)
      ++missing;
    else if (reply->first != i || reply->second != tag_of(i))
      ++mismatched;
  }
  CHECK(missing == outcome.errors.size());
  CHECK(mismatched == 0);
}

} // namespace

TEST_CASE("1,000 concurrent calls from an actor on one connection each get their own "
          "reply",
          "[concurrency]") {
  constexpr size_t n = 1000;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<std::atomic<size_t>>(0);
  net.server().register_unary("tag", tagging_handler(calls));
  auto client = net.connect();
  auto outcome = call_all_at_once(net.client_system(), client.actor(), "tag", n);
  REQUIRE(ready_within(outcome, 30'000ms));
  auto result = outcome.get();
  check_each_reply_matches_its_request(result);
  CHECK(calls->load() == n);
  CHECK(net.server().transport().connections_accepted == 1);
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("blocking calls from eight threads sharing one client each get their own reply",
          "[concurrency]") {
  constexpr uint64_t threads = 8;
  constexpr uint64_t per_thread = 100;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<std::atomic<size_t>>(0);
  net.server().register_unary("tag", tagging_handler(calls));
  auto client = net.connect();
  // Catch's assertions are not thread-safe: threads only record.
  std::vector<std::future<std::vector<std::string>>> workers;
  for (uint64_t t = 0; t < threads; ++t)
    workers.push_back(std::async(std::launch::async, [client, t] {
      std::vector<std::string> problems;
      for (uint64_t k = 0; k < per_thread; ++k) {
        auto index = t * per_thread + k;
        auto reply = client.call("tag", encode(index), 10'000ms);
        if (!reply) {
          problems.push_back(std::to_string(index) + ": " + describe(reply.error()));
          continue;
        }
        auto decoded = decode<tagged_reply>(*reply);
        if (!decoded || decoded->first != index || decoded->second != tag_of(index))
          problems.push_back(std::to_string(index) + ": reply of another request");
      }
      return problems;
    }));
  size_t failures = 0;
  std::string first_problem;
  for (auto& worker : workers) {
    REQUIRE(ready_within(worker, 30'000ms));
    auto problems = worker.get();
    if (!problems.empty() && first_problem.empty())
      first_problem = problems.front();
    failures += problems.size();
  }
  INFO("first problem: " << first_problem);
  CHECK(failures == 0);
  CHECK(calls->load() == threads * per_thread);
  CHECK(net.server().transport().connections_accepted == 1);
}

TEST_CASE("calls from several clients are answered on each client's own connection",
          "[concurrency]") {
  constexpr size_t clients = 4;
  constexpr size_t per_client = 50;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<std::atomic<size_t>>(0);
  net.server().register_unary("tag", tagging_handler(calls));
  std::vector<rpc_client> connected;
  std::vector<std::future<batch_outcome>> outcomes;
  for (size_t c = 0; c < clients; ++c)
    connected.push_back(net.connect());
  for (auto& client : connected)
    outcomes.push_back(call_all_at_once(net.client_system(), client.actor(), "tag", per_client));
  for (auto& outcome : outcomes) {
    REQUIRE(ready_within(outcome, 30'000ms));
    check_each_reply_matches_its_request(outcome.get());
  }
  CHECK(calls->load() == clients * per_client);
  CHECK(net.server().transport().connections_accepted == clients);
}

TEST_CASE("more concurrent calls than the server's stream limit all complete",
          "[concurrency]") {
  constexpr size_t n = 200;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind, server_config().with_max_concurrent_streams(8)};
  auto calls = std::make_shared<std::atomic<size_t>>(0);
  net.server().register_unary("tag", tagging_handler(calls));
  auto client = net.connect();
  auto outcome = call_all_at_once(net.client_system(), client.actor(), "tag", n);
  REQUIRE(ready_within(outcome, 30'000ms));
  check_each_reply_matches_its_request(outcome.get());
  CHECK(calls->load() == n);
}

TEST_CASE("a slow handler does not delay another call on the same connection",
          "[concurrency]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("slow", gated_echo_handler(started, release));
  net.server().register_unary("fast", echo_handler());
  auto client = net.connect();

  auto slow = call_in_background(client, "slow", to_bytes("slow"), patience);
  REQUIRE(started->wait_for(1, patience));
  auto fast = client.call("fast", to_bytes("fast"), 2'000ms);
  REQUIRE(fast);
  CHECK(as_string_view(*fast) == "fast");
  // The slow call is still waiting for its handler: the fast one overtook it.
  CHECK_FALSE(ready_within(slow, 0ms));

  release->open();
  REQUIRE(ready_within(slow, patience));
  auto slow_reply = slow.get();
  REQUIRE(slow_reply);
  CHECK(as_string_view(*slow_reply) == "slow");
}

TEST_CASE("slow handlers as many as the server's scheduler threads do not delay a fast "
          "call",
          "[concurrency]") {
  // unary_handler.hpp: a handler "runs in an actor of its own, off the
  // connection's actor, so a slow handler delays no other call".
  constexpr size_t server_threads = 2;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind, server_config(), server_threads};
  auto started = std::make_shared<arrivals>();
  auto release = net.make_gate();
  net.server().register_unary("slow", gated_echo_handler(started, release));
  net.server().register_unary("fast", echo_handler());
  auto client = net.connect();

  std::vector<std::future<caf::expected<byte_buffer>>> slow_calls;
  for (size_t i = 0; i < server_threads; ++i)
    slow_calls.push_back(call_in_background(client, "slow", to_bytes("slow"), patience));
  REQUIRE(started->wait_for(server_threads, patience));
  auto fast = client.call("fast", to_bytes("fast"), 1'000ms);
  CHECK(fast);

  release->open();
  for (auto& slow : slow_calls) {
    REQUIRE(ready_within(slow, patience));
    CHECK(slow.get());
  }
}
