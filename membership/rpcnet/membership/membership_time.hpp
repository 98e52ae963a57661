// The time base of the membership cores. The cores never read a clock: the
// caller passes "now" into every call, the membership actor from the steady
// clock and the simulator from its virtual clock, so one core runs in both.
#pragma once

#include <chrono>

namespace rpcnet {

/// The clock whose time points the membership cores take.
using membership_clock = std::chrono::steady_clock;

/// A moment as the membership cores see it.
using time_point = membership_clock::time_point;

/// A span of time as the membership cores see it (nanoseconds).
using duration = membership_clock::duration;

/// `d` in seconds, for formulas and reports.
inline double to_seconds(duration d) {
  return std::chrono::duration<double>(d).count();
}

/// `seconds` as a duration, rounded to the nearest nanosecond.
inline duration from_seconds(double seconds) {
  return std::chrono::round<duration>(std::chrono::duration<double>(seconds));
}

} // namespace rpcnet
