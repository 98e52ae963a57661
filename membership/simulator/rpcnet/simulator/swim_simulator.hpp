// A deterministic simulator of SWIM clusters: N swim_cores on a virtual
// clock, exchanging real encoded datagrams over a simulated network (latency,
// jitter, loss, partitions, slow nodes), with crashes, restarts, joins and
// leaves. Equal seeds replay equal runs. It is how the protocol's bounds are
// proven in tests, and it measures the traffic each member causes, so a
// benchmark can run it too. Time advances from event to event: a node costs
// nothing between its timers and its datagrams, so thousands fit in one
// process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include <rpcnet/membership/membership_event.hpp>
#include <rpcnet/simulator/simulated_network.hpp>
#include <rpcnet/membership/swim_config.hpp>
#include "swim_core.hpp"
#include <rpcnet/transport/byte_buffer.hpp>

namespace rpcnet {

/// What to simulate.
struct simulation_options {
  size_t nodes = 10;
  /// Drives every random choice: node ids, the network, the cores.
  uint64_t seed = 1;
  swim_config config;
  network_conditions network;
  /// Start with every node knowing every other (swim_core::adopt); else
  /// every node joins through node 0 at time zero.
  bool converged = true;
};

class swim_simulator {
public:
  // -- member types -----------------------------------------------------------

  /// Datagrams and bytes one node sent and received (UDP payloads).
  struct traffic {
    uint64_t datagrams_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t datagrams_received = 0;
    uint64_t bytes_received = 0;
  };

  /// Called for every event a running node publishes.
  using event_observer
    = std::function<void(size_t node, const membership_event& event, time_point at)>;

  // -- constructors, destructors ----------------------------------------------

  /// A simulation of `options`; error::config when options.config is not
  /// a valid swim_config (every node's core would refuse it).
  static caf::expected<swim_simulator> make(simulation_options options);

  swim_simulator(swim_simulator&&) noexcept;
  swim_simulator& operator=(swim_simulator&&) noexcept;
  ~swim_simulator();

  // -- the clock --------------------------------------------------------------

  /// Virtual time; the simulation starts at time_point{} + 1 hour, so that
  /// times before it are representable.
  time_point now() const noexcept {
    return now_;
  }

  /// Processes every timer and datagram due within `d`.
  void run_for(duration d);

  /// Runs until `done()` holds, checking it every `step`, for at most
  /// `limit`. Returns whether it held.
  bool run_until(const std::function<bool()>& done, duration limit,
                 duration step = std::chrono::milliseconds{10});

  // -- nodes ------------------------------------------------------------------

  size_t size() const noexcept {
    return nodes_.size();
  }

  swim_core& core(size_t node) {
    return *nodes_[node].core;
  }

  const swim_core& core(size_t node) const {
    return *nodes_[node].core;
  }

  node_id id(size_t node) const {
    return nodes_[node].id;
  }

  const std::string& address(size_t node) const {
    return nodes_[node].address;
  }

  /// False once crashed (or never started).
  bool running(size_t node) const {
    return nodes_[node].running;
  }

  /// Adds a node that is not running yet; join() starts it.
  size_t add_node();

  /// Starts `node` and joins it through `seeds`, retrying every gossip
  /// interval until it knows another member.
  void join(size_t node, const std::vector<size_t>& seeds);

  /// Stops `node` at once: no more timers, datagrams to it are lost.
  void crash(size_t node);

  /// Starts a crashed node again with a fresh core under its old id and
  /// address (incarnation 0) and joins it through `seeds`.
  void restart(size_t node, const std::vector<size_t>& seeds);

  /// Makes `node` leave gracefully; it keeps running to spread the news.
  void leave(size_t node);

  simulated_network& network() noexcept {
    return network_;
  }

  // -- observation ------------------------------------------------------------

  void on_event(event_observer observer) {
    observer_ = std::move(observer);
  }

  const traffic& traffic_of(size_t node) const {
    return nodes_[node].counters;
  }

  /// Zeroes every node's traffic counters (to measure a steady state).
  void reset_traffic();

  /// Datagrams that failed to encode or decode: none, unless the codec or
  /// the core is broken (a failure costs the datagram, as on a real node).
  uint64_t codec_failures() const noexcept {
    return codec_failures_;
  }

  /// Datagrams processed so far.
  uint64_t delivered() const noexcept {
    return delivered_;
  }

private:
  // -- member types -----------------------------------------------------------

  struct node {
    node_id id;
    std::string address;
    std::unique_ptr<swim_core> core;
    bool running = false;
    /// Bumped at each crash, so that timers of a previous life are ignored.
    uint32_t life = 0;
    /// The tick currently scheduled (time_point::max() if none).
    time_point tick_at = time_point::max();
    /// Seeds while joining, empty once joined.
    std::vector<size_t> seeds;
    traffic counters;
  };

  struct scheduled {
    enum class kind : uint8_t { tick, deliver, join_retry };
    time_point at;
    uint64_t order; ///< ties keep their scheduling order
    kind what;
    size_t node;
    uint32_t life;
    size_t from = 0;
    byte_buffer bytes;
  };

  struct later {
    bool operator()(const scheduled& a, const scheduled& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };

  // -- helpers ----------------------------------------------------------------

  explicit swim_simulator(simulation_options options);

  void step(scheduled ev);
  /// Gives `node` a fresh core and runs it; false (the node stays down)
  /// if the core refuses, which make() rules out for the configuration.
  bool start(size_t node);
  void send_join(size_t node);
  void dispatch(size_t node, swim_output out);
  void reschedule(size_t node);
  void push(time_point at, scheduled::kind what, size_t node, size_t from = 0,
            byte_buffer bytes = {});
  caf::expected<std::unique_ptr<swim_core>> make_core(size_t node);

  // -- member variables -------------------------------------------------------

  simulation_options options_;
  std::mt19937_64 rng_;
  simulated_network network_;
  std::vector<node> nodes_;
  std::unordered_map<std::string, size_t> by_address_;
  /// A heap ordered by `later` (not std::priority_queue, whose top cannot
  /// be moved from: datagrams would be copied).
  std::vector<scheduled> queue_;
  time_point now_;
  uint64_t next_order_ = 0;
  event_observer observer_;
  uint64_t codec_failures_ = 0;
  uint64_t delivered_ = 0;
};

} // namespace rpcnet
