// The workers a registry can choose from, kept for fast selection: workers
// sit in a dense array (a "slot" is an index into it) with their in-flight
// counts and zone numbers in parallel arrays, so that a strategy scanning a
// thousand workers reads a few kilobytes of contiguous numbers rather than
// a thousand worker records. Removal swaps the last worker into the gap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rpcnet/membership/node_id.hpp>
#include <rpcnet/cluster/worker.hpp>

namespace rpcnet {

class worker_pool {
public:
  // -- member types -----------------------------------------------------------

  /// A worker's index in the pool; valid until the next upsert or erase.
  using slot = uint32_t;

  // -- lookup -----------------------------------------------------------------

  /// The slot of the worker with `id`, if it is in the pool.
  std::optional<slot> find(const node_id& id) const;

  /// The worker in `s` (s < size()).
  const worker& at(slot s) const noexcept {
    return workers_[s];
  }

  /// All workers, indexed by slot.
  const std::vector<worker>& workers() const noexcept {
    return workers_;
  }

  size_t size() const noexcept {
    return workers_.size();
  }

  bool empty() const noexcept {
    return workers_.empty();
  }

  /// Bumped by every change of membership (a worker added, removed, its
  /// address, tags or suspicion changed) and never by in-flight counts:
  /// whoever caches something derived from the pool compares generations.
  uint64_t generation() const noexcept {
    return generation_;
  }

  // -- load -------------------------------------------------------------------

  /// In-flight calls and streams per worker, indexed by slot.
  std::span<const uint32_t> in_flight() const noexcept {
    return in_flight_;
  }

  /// In-flight calls and streams of the worker with `id` (0 if unknown).
  uint32_t in_flight(const node_id& id) const;

  /// Counts a call or stream started on the worker with `id`; false (and
  /// nothing counted) when it is not in the pool.
  bool begin_call(const node_id& id);

  /// Counts a call or stream on the worker with `id` as ended. Ignored for
  /// a worker no longer in the pool (its count went with it) and never
  /// below zero (a worker that left and rejoined starts again from zero).
  void end_call(const node_id& id);

  /// How many in-flight counts changed since the pool was made.
  uint64_t load_changes() const noexcept {
    return load_changes_;
  }

  /// Calls `changed(slot)` for each in-flight change from change number
  /// `since` on (slots may repeat; read the count from in_flight()).
  /// Returns false, calling nothing, when the journal no longer reaches
  /// back that far: the caller then rereads every count.
  template <class Function>
  bool replay_load_changes(uint64_t since, Function changed) const {
    if (load_changes_ - since > load_journal_.size())
      return false;
    for (auto k = since; k < load_changes_; ++k)
      changed(load_journal_[k % load_journal_.size()]);
    return true;
  }

  // -- zones ------------------------------------------------------------------

  /// Each worker's zone as a small number, indexed by slot; equal numbers
  /// mean equal zones, so a strategy compares numbers instead of strings.
  std::span<const uint32_t> zones() const noexcept {
    return zones_;
  }

  /// The number of `zone`, if a worker ever had it.
  std::optional<uint32_t> zone_number(std::string_view zone) const;

  // -- changes ----------------------------------------------------------------

  /// Adds `w`, or replaces the worker with its id keeping its in-flight
  /// count. Returns whether anything changed.
  bool upsert(worker w);

  /// Removes the worker with `id`; returns whether it was in the pool.
  bool erase(const node_id& id);

private:
  uint32_t intern_zone(const std::string& zone);

  void note_load_change(slot s) noexcept {
    load_journal_[load_changes_ % load_journal_.size()] = s;
    ++load_changes_;
  }

  // -- member variables -------------------------------------------------------

  std::vector<worker> workers_;
  std::vector<uint32_t> in_flight_;
  std::vector<uint32_t> zones_;
  std::unordered_map<node_id, slot> slots_;
  /// Zone names to numbers. Only grows: zones are few and stable.
  std::map<std::string, uint32_t, std::less<>> zone_numbers_;
  uint64_t generation_ = 0;
  /// The slots of the latest in-flight changes, a ring indexed by change
  /// number: enough for a few hundred calls between two selections.
  std::array<slot, 1024> load_journal_{};
  uint64_t load_changes_ = 0;
};

} // namespace rpcnet
