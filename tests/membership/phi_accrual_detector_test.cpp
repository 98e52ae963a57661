// Tests the Phi Accrual detector: phi = -log10(1 - F(t)) with F the normal
// CDF of the heartbeat intervals, the deviation floor, the acceptable pause,
// the history window, the far tail (finite and still growing) and the
// schedule a caller derives from it.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "phi_accrual_detector.hpp"

using namespace std::chrono_literals;
using rpcnet::duration;
using rpcnet::phi_accrual_detector;
using rpcnet::time_point;

namespace {

/// A detector with `cfg` that saw a heartbeat at 1 h and then one after
/// each of `intervals`.
phi_accrual_detector fed(const std::vector<duration>& intervals,
                         phi_accrual_detector::settings cfg = {}) {
  phi_accrual_detector det{cfg};
  auto t = time_point{} + 1h;
  det.heartbeat(t);
  for (auto d : intervals)
    det.heartbeat(t += d);
  return det;
}

/// A detector fed alternately with intervals of mean - sd and mean + sd:
/// exactly that mean and (population) standard deviation.
phi_accrual_detector fed_alternating(duration mean, duration sd, int intervals,
                                     phi_accrual_detector::settings cfg = {}) {
  std::vector<duration> all;
  for (int i = 0; i < intervals; ++i)
    all.push_back((i % 2 == 0) ? mean - sd : mean + sd);
  return fed(all, cfg);
}

time_point last_of(const phi_accrual_detector& det) {
  return *det.last_heartbeat();
}

} // namespace

TEST_CASE("phi is log10(2) when the silence equals the mean interval", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 10);
  CHECK(det.mean_seconds() == Approx(1.0));
  CHECK(det.std_deviation_seconds() == Approx(0.1));
  CHECK(det.phi(last_of(det) + 1s) == Approx(std::log10(2.0)).epsilon(1e-9));
}

TEST_CASE("phi three deviations past the mean is -log10 of the normal tail, 2.87",
          "[phi]") {
  auto det = fed_alternating(1s, 100ms, 10);
  // 1 - F(3) = 0.0013499, -log10 = 2.8697.
  CHECK(det.phi(last_of(det) + 1300ms) == Approx(2.8697).epsilon(1e-4));
}

TEST_CASE("phi one deviation before the mean is small but positive", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 10);
  // 1 - F(-1) = 0.8413, -log10 = 0.07501.
  CHECK(det.phi(last_of(det) + 900ms) == Approx(0.07501).epsilon(1e-3));
}

TEST_CASE("phi grows monotonically with the silence", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 20);
  double previous = -1;
  for (auto silence = 0ms; silence <= 60s; silence += 10ms) {
    auto phi = det.phi(last_of(det) + silence);
    REQUIRE(phi >= previous);
    previous = phi;
  }
  CHECK(previous > 1000);
}

TEST_CASE("the deviation never counts as smaller than the floor", "[phi]") {
  // Perfectly regular heartbeats: deviation 0, so the 50 ms floor applies
  // and one deviation past the mean is 1.05 s, where 1 - F(1) = 0.1587.
  std::vector<duration> regular(10, 1s);
  auto det = fed(regular);
  auto t = last_of(det);
  CHECK(det.std_deviation_seconds() == Approx(0.0).margin(1e-12));
  CHECK(det.phi(t + 1050ms) == Approx(-std::log10(0.158655)).epsilon(1e-4));
  // A larger floor makes the same lateness less suspicious.
  phi_accrual_detector::settings wide;
  wide.min_std_deviation = 500ms;
  auto relaxed = fed(regular, wide);
  CHECK(relaxed.phi(t + 1500ms) < det.phi(t + 1500ms));
  CHECK(relaxed.phi(t + 1500ms) == Approx(-std::log10(0.158655)).epsilon(1e-4));
}

TEST_CASE("the acceptable pause is added to the mean", "[phi]") {
  phi_accrual_detector::settings cfg;
  cfg.acceptable_pause = 2s;
  auto det = fed_alternating(1s, 100ms, 10, cfg);
  CHECK(det.phi(last_of(det) + 3s) == Approx(std::log10(2.0)).epsilon(1e-9));
}

TEST_CASE("only the latest history intervals count", "[phi]") {
  phi_accrual_detector::settings cfg;
  cfg.history = 5;
  std::vector<duration> intervals(50, 10s);
  intervals.insert(intervals.end(), 5, 1s);
  auto det = fed(intervals, cfg);
  CHECK(det.sample_count() == 5);
  CHECK(det.mean_seconds() == Approx(1.0));
  CHECK(det.heartbeat_history() == std::vector<duration>(5, 1s));
}

TEST_CASE("the heartbeat history lists intervals oldest first", "[phi]") {
  phi_accrual_detector::settings cfg;
  cfg.history = 3;
  auto det = fed({1s, 2s, 3s, 4s, 5s}, cfg);
  CHECK(det.heartbeat_history() == std::vector<duration>{3s, 4s, 5s});
}

TEST_CASE("running sums stay exact over a million heartbeats", "[phi]") {
  // Intervals alternate 0.9 s / 1.1 s after a long stretch of 7 s ones;
  // drift in the running sums would show as a wrong deviation.
  phi_accrual_detector det;
  auto t = time_point{};
  det.heartbeat(t);
  for (int i = 0; i < 1000; ++i)
    det.heartbeat(t += 7s);
  for (int i = 0; i < 1'000'000; ++i)
    det.heartbeat(t += (i % 2 == 0) ? 900ms : 1100ms);
  CHECK(det.mean_seconds() == Approx(1.0).epsilon(1e-12));
  CHECK(det.std_deviation_seconds() == Approx(0.1).epsilon(1e-9));
}

TEST_CASE("phi is 0 without data and with a single heartbeat", "[phi]") {
  phi_accrual_detector det;
  CHECK(det.phi(time_point{} + 1h) == 0);
  det.heartbeat(time_point{});
  CHECK(det.phi(time_point{} + 1h) == 0);
  CHECK_FALSE(det.silence_for_phi(8).has_value());
}

TEST_CASE("phi stays finite and keeps growing for enormous silences", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 10);
  auto last = last_of(det);
  double previous = 0;
  for (duration silence : {duration{10s}, duration{60s}, duration{600s}, duration{3600s},
                           duration{86400s * 365}, duration::max() / 4, duration::max() / 2}) {
    auto phi = det.phi(last + silence);
    INFO("silence " << std::chrono::duration<double>(silence).count() << " s");
    REQUIRE(std::isfinite(phi));
    REQUIRE(phi > previous);
    previous = phi;
  }
}

TEST_CASE("phi is continuous where erfc hands over to the asymptotic series",
          "[phi]") {
  // The switch is at y / sqrt(2) = 25.
  auto y = 25.0 * std::sqrt(2.0);
  auto below = rpcnet::standard_normal_phi(std::nextafter(y, 0.0));
  auto above = rpcnet::standard_normal_phi(y * (1 + 1e-12));
  CHECK(above == Approx(below).epsilon(1e-9));
  CHECK(above >= below);
  // And matches the exact tail a little further, computed with long double.
  auto x = 26.0L;
  auto exact = -std::log10(0.5L * std::erfc(x));
  CHECK(rpcnet::standard_normal_phi(static_cast<double>(x * std::sqrt(2.0L)))
        == Approx(static_cast<double>(exact)).epsilon(1e-10));
}

TEST_CASE("phi is never NaN or negative, whatever the input", "[phi]") {
  for (auto y : {-1e300, -40.0, -1.0, 0.0, 1e-300, 37.0, 1e10, 1e300,
                 std::numeric_limits<double>::infinity(),
                 -std::numeric_limits<double>::infinity(),
                 std::numeric_limits<double>::quiet_NaN()}) {
    auto phi = rpcnet::standard_normal_phi(y);
    INFO("y = " << y);
    CHECK(std::isfinite(phi));
    CHECK(phi >= 0);
  }
}

TEST_CASE("a long silence drives phi above the threshold of 8", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 10);
  auto last = last_of(det);
  CHECK(det.phi(last + 1500ms) < 8);
  // phi = 8 where 1 - F = 1e-8: 5.612 deviations past the mean.
  CHECK(det.phi(last + 1570ms) > 8);
  CHECK(det.phi(last + 10s) > 8);
}

TEST_CASE("silence_for_phi names the moment phi reaches a value", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 10);
  auto last = last_of(det);
  for (double target : {0.5, 1.0, 3.0, 8.0, 20.0, 500.0}) {
    auto silence = det.silence_for_phi(target);
    REQUIRE(silence.has_value());
    INFO("target " << target);
    CHECK(det.phi(last + *silence) >= target);
    CHECK(det.phi(last + *silence - 1ms) < target);
  }
  // phi = 8 is 5.612 deviations past the mean: 1.5612 s here.
  CHECK(rpcnet::to_seconds(*det.silence_for_phi(8.0)) == Approx(1.5612).epsilon(1e-4));
}

TEST_CASE("heartbeats that go back in time are ignored", "[phi]") {
  auto det = fed_alternating(1s, 100ms, 4);
  auto last = last_of(det);
  det.heartbeat(last - 10s);
  CHECK(det.sample_count() == 4);
  CHECK(last_of(det) == last);
}
