// The cluster client: selection through the registry actor, pooled
// connections, failover with backoff, circuit breakers and hedging (see
// cluster_client.hpp).
#include <rpcnet/cluster/cluster_client.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <rpcnet/actors/rpc_client.hpp>
#include "tag_filter.hpp"
#include "worker_registry.hpp"
#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// How long a selection may take: the registry answers at once, or after
/// asking a routing actor with its own deadline.
constexpr auto selection_timeout = std::chrono::seconds{10};

/// How often the client's own endpoint pings a worker whose connection is
/// idle, unless the configuration sets keep_alive_interval (see start()).
constexpr auto worker_keep_alive = std::chrono::milliseconds{1000};

/// The breaker's verdict on a failed call: a handler's own error proves the
/// worker alive and working, so it neither opens nor closes the circuit.
bool counts_against_worker(const caf::error& err) {
  switch (code_of(err)) {
    case error::connection:
    case error::timeout:
    case error::overloaded:
    case error::tls:
    case error::io:
    case error::stream:
    case error::protocol:
      return true;
    default:
      return false;
  }
}

/// The first of up to two concurrent attempts to finish well, or the last
/// to fail (hedging).
struct hedge_race {
  /// One attempt of the race: where it runs and the key that cancels it.
  struct racer {
    std::shared_ptr<rpc_client> conn;
    call_key key;
    bool hedge;
  };

  std::mutex mtx;
  std::condition_variable cv;
  int running = 0;
  std::vector<racer> racers;
  std::optional<caf::expected<byte_buffer>> success;
  std::optional<caf::error> failure;
  bool won_by_hedge = false;

  void finish(caf::expected<byte_buffer> result, bool hedge) {
    std::lock_guard<std::mutex> guard{mtx};
    --running;
    if (result && !success) {
      success = std::move(result);
      won_by_hedge = hedge;
    } else if (!result) {
      failure = std::move(result.error());
    }
    cv.notify_all();
  }
};

} // namespace

/// The client's copy of the registry's pool, kept current by the registry
/// (worker_registry_actor.hpp, "replicas"): selecting from it costs no
/// message round trip, which was most of what routing a call cost.
struct pool_replica {
  std::mutex mtx;
  std::unique_ptr<worker_registry> workers;
  /// While the registry has a routing actor, selections go to the registry.
  bool routed = false;
  /// Calls and streams ended per worker since the relay's last report.
  std::map<node_id, uint32_t> ended;

  /// Ends a call on `id` (the caller holds mtx).
  void end_call(const node_id& id) {
    workers->end_call(id);
    ++ended[id];
  }
};

namespace {

/// How often a replica tells the registry how its in-flight counts changed.
constexpr auto in_flight_report_interval = std::chrono::milliseconds{50};

using report_atom = caf::atom_constant<caf::atom("report")>;

struct relay_state {
  std::shared_ptr<pool_replica> replica;
  worker_registry_actor registry;
  /// What the registry was last told, per worker.
  std::map<node_id, uint32_t> reported;
};

/// The in-flight changes since the last report.
std::vector<in_flight_delta> in_flight_changes(relay_state& st) {
  std::vector<in_flight_delta> out;
  std::map<node_id, uint32_t> now;
  std::map<node_id, uint32_t> ended;
  {
    std::lock_guard<std::mutex> guard{st.replica->mtx};
    for (const auto& w : st.replica->workers->workers())
      if (auto n = st.replica->workers->in_flight(w.id); n > 0)
        now.emplace(w.id, n);
    ended.swap(st.replica->ended);
  }
  auto ended_on = [&](const node_id& id) {
    auto it = ended.find(id);
    if (it == ended.end())
      return 0u;
    auto n = it->second;
    ended.erase(it);
    return n;
  };
  for (const auto& [id, n] : now) {
    auto before = st.reported.count(id) != 0 ? st.reported[id] : 0u;
    auto done = ended_on(id);
    if (n != before || done != 0)
      out.push_back({id, static_cast<int32_t>(n) - static_cast<int32_t>(before), done});
  }
  for (const auto& [id, n] : st.reported)
    if (now.count(id) == 0)
      out.push_back({id, -static_cast<int32_t>(n), ended_on(id)});
  // Workers with no calls in flight before or now that ended some.
  for (const auto& [id, done] : ended)
    out.push_back({id, 0, done});
  st.reported = std::move(now);
  return out;
}

caf::behavior replica_relay(caf::stateful_actor<relay_state>* self,
                            std::shared_ptr<pool_replica> replica,
                            worker_registry_actor registry, actor_boundary boundary) {
  self->state.replica = std::move(replica);
  self->state.registry = std::move(registry);
  self->delayed_send(self, in_flight_report_interval, report_atom::value);
  return boundary.behavior<caf::behavior>(
    self,
    [self](const membership_event& ev) {
      std::lock_guard<std::mutex> guard{self->state.replica->mtx};
      self->state.replica->workers->apply(ev);
    },
    [self](strategy_atom, load_balancing_strategy strategy) {
      std::lock_guard<std::mutex> guard{self->state.replica->mtx};
      self->state.replica->workers->set_strategy(strategy);
    },
    [self](router_atom, bool routed) {
      std::lock_guard<std::mutex> guard{self->state.replica->mtx};
      self->state.replica->routed = routed;
    },
    [self](report_atom) {
      // The next report is due whatever this one throws.
      self->delayed_send(self, in_flight_report_interval, report_atom::value);
      if (auto changes = in_flight_changes(self->state); !changes.empty())
        caf::anon_send(self->state.registry, in_flight_atom::value, std::move(changes));
    },
    // Answered after everything the registry sent before its own answer.
    [](caf::ok_atom) { return caf::ok_atom::value; });
}

} // namespace

struct cluster_client::impl {
  // -- member types -----------------------------------------------------------

  /// One attempt's outcome: the result and the worker that gave it.
  struct outcome {
    caf::expected<byte_buffer> result;
    worker served_by;
  };

  // -- member variables -------------------------------------------------------

  caf::actor_system& sys;
  worker_registry_actor registry;
  cluster_client_config cfg;
  std::shared_ptr<endpoint> ep;
  bool owns_endpoint = false;

  std::shared_ptr<pool_replica> replica = std::make_shared<pool_replica>();
  caf::actor relay;

  mutable std::mutex mtx;
  /// Hedged attempts still running on threads of their own.
  int racers = 0;
  /// Keys that name hedged attempts for cancelling (0 means none).
  std::atomic<uint64_t> next_call_key{1};
  std::condition_variable racers_done;
  std::map<node_id, std::shared_ptr<rpc_client>> pool;
  std::map<node_id, circuit_breaker> breakers;
  std::mt19937_64 rng{std::random_device{}()};
  cluster_client_stats counters;

  impl(caf::actor_system& s, worker_registry_actor r, cluster_client_config c)
    : sys(s), registry(std::move(r)), cfg(std::move(c)) {
  }

  ~impl() {
    // A hedge's loser runs on a thread of its own until its call ends (at
    // most its timeout); it uses this object, so wait for it.
    {
      std::unique_lock<std::mutex> guard{mtx};
      racers_done.wait(guard, [this] { return racers == 0; });
    }
    close();
    if (relay)
      caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
  }

  /// Builds the replica from the registry's settings and subscribes it.
  caf::error start_replica() {
    caf::scoped_actor self{sys};
    caf::error err;
    std::optional<worker_registry_config> settings;
    self->request(registry, caf::timespan{selection_timeout}, config_atom::value)
      .receive([&](worker_registry_config& c) { settings = std::move(c); },
               [&](caf::error& e) { err = std::move(e); });
    if (!settings)
      return err ? err : make_error(error::timeout, "the worker registry did not answer");
    auto filter = tag_filter::parse(settings->pool_filter);
    if (!filter)
      return std::move(filter.error());
    worker_registry::settings local;
    local.pool_filter = std::move(*filter);
    local.strategy = settings->strategy;
    local.max_in_flight = settings->max_in_flight;
    local.seed = std::random_device{}();
    replica->workers = std::make_unique<worker_registry>(std::move(local));
    relay = sys.spawn(replica_relay, replica, registry,
                      actor_boundary{"registry_replica", cfg.rpc.metrics});
    self->request(registry, caf::timespan{selection_timeout}, subscribe_atom::value, relay)
      .receive([](caf::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
    if (err)
      return err;
    // The snapshot was sent before the registry answered: once the relay
    // answers too, it has applied it.
    self->request(relay, caf::timespan{selection_timeout}, caf::ok_atom::value)
      .receive([](caf::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
    return err;
  }

  void close() {
    std::map<node_id, std::shared_ptr<rpc_client>> conns;
    {
      std::lock_guard<std::mutex> guard{mtx};
      conns.swap(pool);
    }
    for (auto& [id, conn] : conns)
      conn->close();
    if (owns_endpoint && ep)
      ep->shutdown();
  }

  // -- selection ----------------------------------------------------------------

  /// A worker from the replica (no message round trip); through the
  /// registry while a routing actor decides. The call counts as in flight
  /// from call_on's begin_call, once its connection is ready.
  caf::expected<worker> select(const worker_call_options& options,
                               const std::vector<node_id>& exclude) {
    {
      std::lock_guard<std::mutex> guard{replica->mtx};
      if (!replica->routed) {
        selection_context ctx{options.affinity_key, options.zone, exclude};
        auto chosen = replica->workers->select_worker(options.filter, ctx);
        if (!chosen)
          return std::move(chosen.error());
        return **chosen;
      }
    }
    caf::scoped_actor self{sys};
    caf::expected<worker> result = make_error(error::timeout, "the worker registry did not answer");
    worker_selection sel{options.filter, options.affinity_key, options.zone, exclude};
    self->request(registry, caf::timespan{selection_timeout}, select_atom::value, std::move(sel))
      .receive([&](worker& w) { result = std::move(w); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// Counted in the replica; the relay reports the changes to the registry.
  void begin_call(const node_id& id) {
    std::lock_guard<std::mutex> guard{replica->mtx};
    replica->workers->begin_call(id);
  }

  void end_call(const node_id& id) {
    std::lock_guard<std::mutex> guard{replica->mtx};
    replica->end_call(id);
  }

  /// A worker whose circuit lets a call through, skipping (and excluding
  /// from later selections) those whose circuit is open.
  caf::expected<worker> select_allowed(const worker_call_options& options,
                                       std::vector<node_id>& exclude) {
    {
      // Workers whose circuit is open are not even proposed.
      std::lock_guard<std::mutex> guard{mtx};
      auto now = membership_clock::now();
      for (const auto& [id, breaker] : breakers)
        if (breaker.current(now) == circuit_breaker::state::open
            && std::find(exclude.begin(), exclude.end(), id) == exclude.end())
          exclude.push_back(id);
    }
    for (;;) {
      auto w = select(options, exclude);
      if (!w)
        return w;
      std::lock_guard<std::mutex> guard{mtx};
      auto& breaker = breakers.try_emplace(w->id, cfg.breaker).first->second;
      if (breaker.allow(membership_clock::now()))
        return w;
      ++counters.circuit_rejections;
      exclude.push_back(w->id);
    }
  }

  // -- connections ----------------------------------------------------------------

  caf::expected<std::shared_ptr<rpc_client>> connection(const worker& w) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (auto it = pool.find(w.id); it != pool.end())
        return it->second;
    }
    // Connecting takes a handshake: not under the lock. Two threads may
    // race to connect to the same worker; the second keeps the first's.
    // A lost worker connection is dropped from the pool and dialled anew
    // only while the registry still lists the worker: rpc_client's own
    // re-dial would hold a call for a dead worker where failing over to a
    // live one is the better answer.
    auto conn = rpc_client::connect(sys, w.address,
                                    cfg.rpc.with_reconnect(reconnect_policy::disabled()), ep);
    if (!conn)
      return std::move(conn.error());
    auto shared = std::make_shared<rpc_client>(std::move(*conn));
    std::lock_guard<std::mutex> guard{mtx};
    auto [it, added] = pool.emplace(w.id, shared);
    if (added)
      ++counters.connections_opened;
    return it->second;
  }

  void drop_connection(const node_id& id, const std::shared_ptr<rpc_client>& conn) {
    std::lock_guard<std::mutex> guard{mtx};
    if (auto it = pool.find(id); it != pool.end() && it->second == conn)
      pool.erase(it);
  }

  void record(const node_id& id, const caf::expected<byte_buffer>& result) {
    std::lock_guard<std::mutex> guard{mtx};
    auto& breaker = breakers.try_emplace(id, cfg.breaker).first->second;
    auto now = membership_clock::now();
    if (result)
      breaker.record_success(now);
    else if (counts_against_worker(result.error()))
      breaker.record_failure(now);
    else
      breaker.record_neutral(now);
  }

  // -- calls ------------------------------------------------------------------------

  /// One call on one worker, counted in flight at the registry.
  /// With `race`, the attempt is listed there before it starts, under
  /// `key`, so that the winner can cancel it.
  caf::expected<byte_buffer> call_on(const worker& w, const std::string& method,
                                     const byte_buffer& request, const call_options& opts,
                                     hedge_race* race = nullptr, bool hedge = false) {
    auto conn = connection(w);
    if (!conn) {
      caf::expected<byte_buffer> failed{conn.error()};
      record(w.id, failed);
      return failed;
    }
    if (race) {
      std::lock_guard<std::mutex> guard{race->mtx};
      race->racers.push_back({*conn, opts.key, hedge});
    }
    begin_call(w.id);
    auto result = (*conn)->call(method, request, opts);
    end_call(w.id);
    if (!result && code_of(result.error()) == error::connection)
      drop_connection(w.id, *conn);
    record(w.id, result);
    return result;
  }

  /// call_on(first); with hedging, a second request to another worker when
  /// the first is slow, the first success winning.
  outcome attempt(const worker& first, const std::string& method, const byte_buffer& request,
                  const call_options& opts, const worker_call_options& options,
                  std::vector<node_id>& tried) {
    if (!cfg.hedge_after)
      return {call_on(first, method, request, opts), first};
    auto race = std::make_shared<hedge_race>();
    auto launch = [&](worker w, bool hedge) {
      race->running += 1;
      {
        std::lock_guard<std::mutex> outer{mtx};
        ++racers;
      }
      auto keyed = opts.with_key(call_key{next_call_key.fetch_add(1)});
      auto racer_done = [this] {
        std::lock_guard<std::mutex> outer{mtx};
        if (--racers == 0)
          racers_done.notify_all();
      };
      try {
        std::thread{[this, race, w = std::move(w), method, request, keyed, hedge, racer_done] {
          auto result = call_on(w, method, request, keyed, race.get(), hedge);
          if (!result && code_of(result.error()) == error::cancelled) {
            std::lock_guard<std::mutex> stats_guard{mtx};
            ++counters.hedges_cancelled;
          }
          race->finish(std::move(result), hedge);
          racer_done();
        }}.detach();
      } catch (const std::system_error& ex) {
        // Out of threads: the attempt fails, as a call the handler pool
        // has no thread for does, instead of throwing out of a call that
        // returns caf::expected. The race's lock is held here.
        race->running -= 1;
        race->failure = make_error(error::overloaded, std::string{"no thread for the call: "}
                                                        + ex.what());
        racer_done();
      }
    };
    std::unique_lock<std::mutex> guard{race->mtx};
    launch(first, false);
    bool settled = race->cv.wait_for(guard, *cfg.hedge_after,
                                     [&] { return race->success || race->running == 0; });
    std::optional<worker> second;
    if (!settled) {
      guard.unlock();
      auto exclude = tried;
      exclude.push_back(first.id);
      if (auto w = select_allowed(options, exclude)) {
        second = std::move(*w);
        guard.lock();
        launch(*second, true);
        std::lock_guard<std::mutex> stats_guard{mtx};
        ++counters.hedges;
      } else {
        guard.lock();
      }
    }
    race->cv.wait(guard, [&] { return race->success || race->running == 0; });
    if (race->success) {
      if (race->won_by_hedge) {
        std::lock_guard<std::mutex> stats_guard{mtx};
        ++counters.hedges_won;
      }
      // The loser is cancelled: its stream is reset, and the server's
      // reply, should it still come, goes nowhere.
      for (const auto& r : race->racers)
        if (r.hedge != race->won_by_hedge)
          r.conn->cancel(r.key);
      return {std::move(*race->success), race->won_by_hedge ? *second : first};
    }
    if (second)
      tried.push_back(second->id);
    return {caf::expected<byte_buffer>{*race->failure}, first};
  }

  caf::expected<byte_buffer> call(const std::string& method, const byte_buffer& request,
                                  const worker_call_options& options) {
    call_options opts;
    opts.timeout = options.timeout.value_or(cfg.rpc.call_timeout);
    opts.metadata = options.metadata;
    opts.parent = options.parent;
    std::vector<node_id> tried = options.exclude;
    caf::error last;
    duration delay = duration::zero();
    {
      std::lock_guard<std::mutex> guard{mtx};
      ++counters.calls;
    }
    for (uint32_t attempt_no = 1;; ++attempt_no) {
      auto w = select_allowed(options, tried);
      if (!w) {
        // Nothing left to try: report why the last attempt failed, if any.
        fail_call();
        return last ? std::move(last) : std::move(w.error());
      }
      auto [result, served_by] = attempt(*w, method, request, opts, options, tried);
      if (result)
        return result;
      last = std::move(result.error());
      // The caller's caller gave up: another worker would be asked for
      // nothing.
      if (options.parent
          && (options.parent.cancelled()
              || options.parent.remaining() == call_context::clock::duration::zero())) {
        fail_call();
        return last;
      }
      // A connection error may hit a request already sent; retry_policy's
      // rule (is_safe_to_retry) counts it safe, since the worker is gone,
      // like overloaded.
      auto progress = code_of(last) == error::timeout ? request_progress::sent
                                                      : request_progress::not_sent;
      if (!cfg.retry.should_retry(last, progress, attempt_no)) {
        fail_call();
        return last;
      }
      tried.push_back(served_by.id);
      {
        std::lock_guard<std::mutex> guard{mtx};
        ++counters.failovers;
        delay = cfg.retry.backoff(attempt_no, delay, rng);
      }
      if (cfg.on_failover)
        cfg.on_failover(served_by, last);
      std::this_thread::sleep_for(delay);
    }
  }

  void fail_call() {
    std::lock_guard<std::mutex> guard{mtx};
    ++counters.failed_calls;
  }

  /// Opens a stream on a chosen worker, failing over while opening fails.
  template <class Open>
  caf::expected<client_stream> open_stream(const worker_call_options& options, Open open) {
    std::vector<node_id> tried = options.exclude;
    caf::error last;
    for (uint32_t attempt_no = 1;; ++attempt_no) {
      auto w = select_allowed(options, tried);
      if (!w)
        return last ? std::move(last) : std::move(w.error());
      auto conn = connection(*w);
      caf::expected<client_stream> stream
        = conn ? open(**conn) : caf::expected<client_stream>{conn.error()};
      if (stream) {
        record(w->id, byte_buffer{});
        // A stream is in flight on its worker until the caller drops it.
        begin_call(w->id);
        stream->on_release([replica = replica, id = w->id] {
          std::lock_guard<std::mutex> guard{replica->mtx};
          replica->end_call(id);
        });
        return stream;
      }
      last = std::move(stream.error());
      record(w->id, caf::expected<byte_buffer>{last});
      if (conn && code_of(last) == error::connection)
        drop_connection(w->id, *conn);
      if (!cfg.retry.should_retry(last, request_progress::not_sent, attempt_no))
        return last;
      tried.push_back(w->id);
      {
        std::lock_guard<std::mutex> guard{mtx};
        ++counters.failovers;
      }
      if (cfg.on_failover)
        cfg.on_failover(*w, last);
    }
  }

  /// cluster_client_* series and each known worker's circuit state.
  void report(metrics_writer& out) {
    std::lock_guard<std::mutex> guard{mtx};
    auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
      out.counter(name, help, static_cast<double>(value));
    };
    counter("cluster_client_calls_total", "Calls through the cluster client.", counters.calls);
    counter("cluster_client_failed_calls_total", "Cluster client calls that failed in the end.",
            counters.failed_calls);
    counter("cluster_client_retries_total", "Attempts after the first, on another worker.",
            counters.failovers);
    counter("cluster_client_hedges_total", "Hedged attempts started.", counters.hedges);
    counter("cluster_client_hedges_won_total", "Hedged attempts that answered first.",
            counters.hedges_won);
    counter("cluster_client_circuit_rejections_total",
            "Workers skipped because their circuit was open.", counters.circuit_rejections);
    auto now = membership_clock::now();
    for (const auto& [id, breaker] : breakers) {
      auto state = breaker.current(now);
      auto hex = id.to_string();
      out.gauge("cluster_client_circuit_state",
                "Each known worker's circuit: 0 closed, 1 half-open, 2 open.",
                state == circuit_breaker::state::closed      ? 0
                : state == circuit_breaker::state::half_open ? 1
                                                             : 2,
                {{"worker", hex}});
    }
  }

  /// Runs report() at each scrape while cfg.rpc.metrics is set; declared
  /// last, so it is removed before anything report() reads goes.
  metrics_collection metrics;
};

// -- cluster_client_config ------------------------------------------------------

cluster_client_config cluster_client_config::with_rpc(rpc_config client) const {
  return copy_with(*this, [&](auto& c) { c.rpc = std::move(client); });
}

cluster_client_config cluster_client_config::with_retry(retry_policy policy) const {
  return copy_with(*this, [&](auto& c) { c.retry = policy; });
}

cluster_client_config
cluster_client_config::with_breaker(circuit_breaker::settings settings) const {
  return copy_with(*this, [&](auto& c) { c.breaker = settings; });
}

cluster_client_config
cluster_client_config::with_hedge_after(std::chrono::milliseconds delay) const {
  return copy_with(*this, [&](auto& c) { c.hedge_after = delay; });
}

cluster_client_config cluster_client_config::with_on_failover(
  std::function<void(const worker&, const caf::error&)> observer) const {
  return copy_with(*this, [&](auto& c) { c.on_failover = std::move(observer); });
}

caf::error cluster_client_config::validate() const {
  config_errors errors{"cluster_client_config"};
  errors.nest("rpc", rpc.validate());
  errors.nest("retry", retry.validate());
  errors.nest("breaker", breaker.validate());
  errors.require(!hedge_after || *hedge_after > std::chrono::milliseconds::zero(),
                 "hedge_after must be positive when set");
  return errors.result();
}

// -- cluster_client -------------------------------------------------------------

caf::expected<cluster_client> cluster_client::start(caf::actor_system& sys,
                                                    worker_registry_actor registry,
                                                    cluster_client_config cfg,
                                                    std::shared_ptr<endpoint> shared) {
  if (auto err = cfg.validate())
    return err;
  auto ptr = std::make_unique<impl>(sys, std::move(registry), std::move(cfg));
  if (shared) {
    ptr->ep = std::move(shared);
  } else {
    // One endpoint (one port, one transport thread) for every worker. Its
    // connections ping idle workers: a worker killed while it holds a call
    // whose request it had acknowledged is otherwise not heard from until
    // the call's timeout, since nothing more is sent to it -- the ping's
    // port-unreachable answer ends the connection in a second, and the call
    // fails over.
    auto transport = ptr->cfg.rpc.to_transport(false);
    if (transport.keep_alive_interval.count() == 0)
      transport.keep_alive_interval = worker_keep_alive;
    auto ep = endpoint::start(sys, transport);
    if (!ep)
      return std::move(ep.error());
    ptr->ep = std::move(*ep);
    ptr->owns_endpoint = true;
  }
  if (auto err = ptr->start_replica())
    return err;
  if (ptr->cfg.rpc.metrics)
    ptr->metrics = ptr->cfg.rpc.metrics->add_collector(
      [raw = ptr.get()](metrics_writer& out) { raw->report(out); });
  return cluster_client{std::move(ptr)};
}

cluster_client::cluster_client(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

cluster_client::cluster_client(cluster_client&&) noexcept = default;
cluster_client& cluster_client::operator=(cluster_client&&) noexcept = default;
cluster_client::~cluster_client() = default;

caf::expected<byte_buffer> cluster_client::call_worker(const std::string& method,
                                                       byte_buffer request,
                                                       const worker_call_options& options) {
  return impl_->call(method, request, options);
}

caf::expected<client_stream>
cluster_client::call_worker_streaming(const std::string& method,
                                      const worker_call_options& options) {
  return impl_->open_stream(options,
                            [&](rpc_client& conn) { return conn.call_streaming(method); });
}

caf::expected<client_stream>
cluster_client::call_worker_server_streaming(const std::string& method,
                                             const byte_buffer& request,
                                             const worker_call_options& options) {
  return impl_->open_stream(options, [&](rpc_client& conn) {
    return conn.call_server_streaming(method, request);
  });
}

circuit_breaker::state cluster_client::circuit(const node_id& id) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto it = impl_->breakers.find(id);
  return it == impl_->breakers.end() ? circuit_breaker::state::closed
                                     : it->second.current(membership_clock::now());
}

cluster_client_stats cluster_client::stats() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->counters;
}

void cluster_client::close() {
  impl_->close();
}

} // namespace rpcnet
