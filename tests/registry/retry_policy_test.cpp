// Tests the retry policy: which errors are safe to retry, the attempt
// limit, and the bounds and spread of exponential backoff with full and
// decorrelated jitter.
#include <catch2/catch.hpp>

#include <set>

#include <caf/sec.hpp>

#include <rpcnet/cluster/retry_policy.hpp>
#include "selection_rng.hpp"
#include <rpcnet/transport/error.hpp>

using namespace std::chrono_literals;
using rpcnet::backoff_jitter;
using rpcnet::duration;
using rpcnet::error;
using rpcnet::is_safe_to_retry;
using rpcnet::make_error;
using rpcnet::request_progress;
using rpcnet::retry_policy;

namespace {

retry_policy policy_with(backoff_jitter jitter, duration base, duration max) {
  retry_policy policy;
  policy.base_delay = base;
  policy.max_delay = max;
  policy.jitter = jitter;
  return policy;
}

} // namespace

TEST_CASE("connection failures and overload are retried whether or not the request was sent",
          "[retry_policy]") {
  for (auto progress : {request_progress::not_sent, request_progress::sent}) {
    CHECK(is_safe_to_retry(make_error(error::connection), progress));
    CHECK(is_safe_to_retry(make_error(error::overloaded, "busy"), progress));
    CHECK(is_safe_to_retry(caf::make_error(caf::sec::request_receiver_down), progress));
  }
}

TEST_CASE("a timeout is retried only when the request was not sent", "[retry_policy]") {
  CHECK(is_safe_to_retry(make_error(error::timeout), request_progress::not_sent));
  CHECK_FALSE(is_safe_to_retry(make_error(error::timeout), request_progress::sent));
  CHECK(is_safe_to_retry(caf::make_error(caf::sec::request_timeout),
                         request_progress::not_sent));
}

TEST_CASE("a handler's own error and other failures are never retried", "[retry_policy]") {
  for (auto code : {error::remote, error::unknown_method, error::cancelled, error::protocol,
                    error::serialization, error::config, error::tls, error::io, error::stream,
                    error::no_workers})
    for (auto progress : {request_progress::not_sent, request_progress::sent})
      CHECK_FALSE(is_safe_to_retry(make_error(code, "no"), progress));
  CHECK_FALSE(is_safe_to_retry(caf::error{}, request_progress::not_sent));
}

TEST_CASE("retries stop at the attempt limit", "[retry_policy]") {
  retry_policy policy;
  policy.max_attempts = 3;
  auto err = make_error(error::connection);
  CHECK(policy.should_retry(err, request_progress::sent, 1));
  CHECK(policy.should_retry(err, request_progress::sent, 2));
  CHECK_FALSE(policy.should_retry(err, request_progress::sent, 3));
  CHECK_FALSE(policy.should_retry(make_error(error::remote), request_progress::sent, 1));
}

TEST_CASE("without jitter the backoff doubles up to the cap", "[retry_policy]") {
  auto policy = policy_with(backoff_jitter::none, 10ms, 100ms);
  rpcnet::selection_rng rng{1};
  CHECK(policy.backoff(1, {}, rng) == 10ms);
  CHECK(policy.backoff(2, {}, rng) == 20ms);
  CHECK(policy.backoff(3, {}, rng) == 40ms);
  CHECK(policy.backoff(4, {}, rng) == 80ms);
  CHECK(policy.backoff(5, {}, rng) == 100ms);
  CHECK(policy.backoff(1'000, {}, rng) == 100ms);
}

TEST_CASE("full jitter spreads each backoff over zero to the exponential bound",
          "[retry_policy]") {
  auto policy = policy_with(backoff_jitter::full, 10ms, 1s);
  rpcnet::selection_rng rng{7};
  for (uint32_t retry = 1; retry <= 10; ++retry) {
    auto bound = std::min<duration>(1s, 10ms * (1 << (retry - 1)));
    std::set<duration::rep> distinct;
    double sum = 0;
    constexpr int draws = 2'000;
    for (int i = 0; i < draws; ++i) {
      auto d = policy.backoff(retry, {}, rng);
      REQUIRE(d >= 0ms);
      REQUIRE(d <= bound);
      distinct.insert(d.count());
      sum += static_cast<double>(d.count());
    }
    CHECK(distinct.size() > draws * 9 / 10);
    // Uniform: the mean is half the bound.
    CHECK(sum / draws == Approx(static_cast<double>(bound.count()) / 2).epsilon(0.05));
  }
  CHECK(policy.backoff_at(3, {}, 0.0) == 0ms);
  CHECK(policy.backoff_at(3, {}, 0.5) == 20ms);
}

TEST_CASE("decorrelated jitter stays between the base and three times the previous delay",
          "[retry_policy]") {
  auto policy = policy_with(backoff_jitter::decorrelated, 10ms, 500ms);
  rpcnet::selection_rng rng{11};
  for (int run = 0; run < 200; ++run) {
    duration previous{};
    for (uint32_t retry = 1; retry <= 12; ++retry) {
      auto d = policy.backoff(retry, previous, rng);
      auto high = retry == 1 ? 30ms : std::min<duration>(500ms, std::max<duration>(previous, 10ms) * 3);
      REQUIRE(d >= 10ms);
      REQUIRE(d <= high);
      previous = d;
    }
  }
  CHECK(policy.backoff_at(1, {}, 0.0) == 10ms);
  CHECK(policy.backoff_at(2, 200ms, 0.999999) <= 500ms);
}

TEST_CASE("the same seed gives the same delays", "[retry_policy]") {
  retry_policy policy;
  rpcnet::selection_rng a{42}, b{42};
  for (uint32_t retry = 1; retry <= 5; ++retry)
    CHECK(policy.backoff(retry, {}, a) == policy.backoff(retry, {}, b));
}
