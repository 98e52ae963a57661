// rpcnet: the cluster example of the Rust RpcNet library,
// whose design rpcnet follows, as one CLI. Subcommands director, worker, client (the
// four terminals), members and stats (a node's member table and gossip
// counters), health (whether a node serves), keygen (a cluster key) and
// demo (the four terminals at once, for a bounded time). Each setting the
// Rust RpcNet's programs read from the environment is also a flag; the
// flag wins.
#include <unistd.h>

#include <climits>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/version.hpp>

#include "cluster_key_source.hpp"
#include "commands.hpp"
#include "demo.hpp"
#include "env_options.hpp"
#include "join_token.hpp"
#include "log.hpp"
#include "node_addresses.hpp"

using namespace rpcnet;
using namespace rpcnet::cli;

namespace {

/// A flag backed by an environment variable: the value if the flag was given.
struct env_flag {
  std::string value;
  CLI::Option* option = nullptr;

  std::optional<std::string> given() const {
    return option->count() > 0 ? std::optional<std::string>{value} : std::nullopt;
  }
};

/// `alias`: an older name of the flag that still works.
void add_env_option(CLI::App& cmd, env_flag& flag, const env_option& option,
                    const std::string& help, const std::string& alias = {}) {
  auto names = std::string{option.flag} + (alias.empty() ? "" : "," + alias);
  auto fallback = option.fallback.empty() ? std::string{"none"} : std::string{option.fallback};
  flag.option = cmd.add_option(names, flag.value,
                               help + " [env " + std::string{option.env} + ", default "
                                 + fallback + "]");
}

/// An option in milliseconds, hidden from --help if `hidden`.
void add_millis(CLI::App& cmd, const std::string& name, milliseconds& target,
                const std::string& help, bool hidden) {
  auto* opt = cmd.add_option_function<int64_t>(
                   name, [&target](int64_t ms) { target = milliseconds{ms}; },
                   help + " (default " + std::to_string(target.count()) + ")")
                ->check(CLI::Range(int64_t{0}, int64_t{24} * 3600 * 1000))
                ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  if (hidden)
    opt->group("");
}

/// --log-level, --log-format and the TLS flags, shared by every
/// subcommand.
struct common_flags {
  env_flag level;
  env_flag format;
  env_flag certs;
  env_flag cert;
  env_flag key;
  env_flag ca;
  env_flag server_name;

  void add_to(CLI::App& cmd) {
    add_env_option(cmd, level, log_level_option, "log level: debug, info, warn, error, off");
    add_env_option(cmd, format, log_format_option,
                   "log format: text, or json for one JSON object per line");
    add_env_option(cmd, certs, certs_option,
                   "directory with the development test_cert.pem, test_key.pem and ca.pem");
    add_env_option(cmd, cert, cert_option,
                   "this process's PEM certificate chain; with --key and --ca, TLS is mutual "
                   "between every node and client");
    add_env_option(cmd, key, key_option, "the PEM private key of --cert");
    add_env_option(cmd, ca, ca_option, "the CA every peer's certificate must chain to");
    add_env_option(cmd, server_name, server_name_option,
                   "the name every node's certificate carries, checked by whoever calls it");
  }

  /// The TLS flags as resolved: flag, then environment.
  tls_flags tls(const env_lookup& env) const {
    tls_flags flags;
    flags.certs_dir = resolve(certs_option, certs.given(), env);
    auto optional = [&](const env_option& option, const env_flag& flag) {
      auto value = resolve(option, flag.given(), env);
      return value.empty() ? std::nullopt : std::optional<std::string>{value};
    };
    flags.cert = optional(cert_option, cert);
    flags.key = optional(key_option, key);
    flags.ca = optional(ca_option, ca);
    flags.server_name = resolve(server_name_option, server_name.given(), env);
    return flags;
  }
};

/// The common flags and the address of the running node a command asks
/// (members, stats, health), given as `option`: --node, or a positional.
struct node_query_flags {
  common_flags common;
  env_option option;
  std::string node;

  void add_to(CLI::App& cmd, const env_option& where) {
    common.add_to(cmd);
    option = where;
    cmd.add_option(std::string{where.flag}, node, "the node to ask, host:port")->required();
  }
};

/// --join, --cluster-key-file and --insecure-gossip: where a node's
/// cluster key comes from (cluster_key_source.hpp), and the seeds it joins
/// through.
struct key_flag_set {
  std::string join;
  std::string key_file;
  bool insecure = false;
  CLI::Option* join_option = nullptr;
  CLI::Option* key_file_option = nullptr;

  void add_to(CLI::App& cmd, const std::string& join_help) {
    join_option = cmd.add_option("--join", join, join_help);
    key_file_option = cmd.add_option(
      "--cluster-key-file", key_file,
      "file with the cluster key (rpcnet keygen --out writes one) [env "
        + std::string{cluster_key_env} + " holds the key itself]");
    cmd.add_flag("--insecure-gossip", insecure,
                 "gossip unsealed: anyone who can send this node a datagram can join the "
                 "cluster or forge members");
  }

  key_flags given() const {
    key_flags flags;
    if (join_option != nullptr && join_option->count() > 0)
      flags.join = join;
    if (key_file_option->count() > 0)
      flags.key_file = key_file;
    flags.insecure = insecure;
    return flags;
  }
};

/// What --join says to a worker or a client: the directors to use.
constexpr const char* join_directors_help
  = "the directors, a,b,c: join tokens (rpcnet director prints one; it also holds the "
    "cluster key) or host:port (instead of --director)";

/// The directors a worker or a client talks to: --join's if it was given,
/// else --director / DIRECTOR_ADDR / the default, a list. --join and
/// --director both name them: giving the two is an error.
caf::expected<std::vector<socket_address>>
directors_of(const std::vector<socket_address>& from_join, const env_flag& director_flag,
             const env_lookup& env) {
  if (!from_join.empty() && director_flag.given())
    return make_error(error::config, "--join and --director both name the directors: give one");
  if (!from_join.empty())
    return from_join;
  return parse_address_list(director_addr_option,
                            resolve(director_addr_option, director_flag.given(), env));
}

/// --bind (once --addr) and --advertise.
struct address_flags {
  env_flag bind;
  env_flag advertise;

  void add_to(CLI::App& cmd, const env_option& bind_option) {
    add_env_option(cmd, bind, bind_option,
                   "address to bind, host:port: any local address, 0.0.0.0 and [::] included",
                   "--addr");
    add_env_option(cmd, advertise, advertise_option,
                   "the address other nodes reach this one at, host or host:port (the bind "
                   "port); required when --bind is a wildcard");
  }

  caf::expected<node_addresses> resolve_with(const env_option& bind_option,
                                             const env_lookup& env) const {
    return parse_node_addresses(bind_option, resolve(bind_option, bind.given(), env),
                                resolve(advertise_option, advertise.given(), env));
  }
};

/// --metrics-address: the node's admin HTTP address, off unless given.
void add_metrics_address(CLI::App& cmd, node_settings& node) {
  cmd.add_option("--metrics-address", node.metrics_address,
                 "serve /metrics, /healthz, /readyz and the live dashboard at this host:port "
                 "(off unless set)");
}

/// Unwraps a resolved setting or exits with its one-line error.
template <class T>
T or_exit(caf::expected<T> value) {
  if (!value)
    std::exit(fail(message_of(value.error())));
  return std::move(*value);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"rpcnet: a director/worker cluster over QUIC + TLS 1.3"};
  app.require_subcommand(1);
  // The library's version: the one this program runs with.
  app.set_version_flag("-V,--version", "rpcnet " + std::string{rpcnet::version()}, "Print version");
  auto env = process_environment();

  // -- director ----------------------------------------------------------------
  auto* director_cmd = app.add_subcommand("director", "form the cluster and assign workers");
  common_flags director_common;
  key_flag_set director_keys;
  address_flags director_addr;
  director_settings director;
  std::string strategy = "least_connections";
  double pool_interval_s = 10;
  director_common.add_to(*director_cmd);
  director_addr.add_to(*director_cmd, director_bind_option);
  director_cmd->add_option("--strategy", strategy,
                           "load balancing: round_robin, random, least_connections, "
                           "power_of_two_choices, weighted, consistent_hash, locality");
  director_cmd->add_option("--pool-interval", pool_interval_s,
                           "seconds between worker pool reports (default 10)")
    ->check(CLI::Range(0.05, 86400.0));
  add_millis(*director_cmd, "--grace-ms", director.node.grace,
             "shutdown: how long calls in flight may finish", true);
  add_metrics_address(*director_cmd, director.node);
  director_keys.add_to(*director_cmd,
                       "the other directors to join, a,b,c: host:port or join tokens (a "
                       "token also gives the cluster key); directors are peers");
  director_cmd->footer("Without a key the director makes one and prints the join token.");

  // -- worker ------------------------------------------------------------------
  auto* worker_cmd = app.add_subcommand("worker", "serve tasks and join through the director");
  common_flags worker_common;
  key_flag_set worker_keys;
  address_flags worker_addr;
  env_flag worker_director;
  env_flag worker_label;
  bool failures_flag = false;
  worker_settings worker;
  worker_common.add_to(*worker_cmd);
  worker_addr.add_to(*worker_cmd, worker_addr_option);
  add_env_option(*worker_cmd, worker_director, director_addr_option,
                 "the directors to join through, a,b,c: any one alive will do");
  add_env_option(*worker_cmd, worker_label, worker_label_option, "this worker's label");
  worker_keys.add_to(*worker_cmd, join_directors_help);
  add_metrics_address(*worker_cmd, worker.node);
  worker_cmd->footer("A worker needs the cluster key: --join, --cluster-key-file or "
                     "RPCNET_CLUSTER_KEY, or --insecure-gossip to gossip unsealed.");
  auto* failures_opt = worker_cmd->add_flag(
    std::string{failure_option.flag}, failures_flag,
    "simulate failures: 10 s healthy, a warning 3 s before, 5 s failed, repeat "
    "[env WORKER_FAILURE_ENABLED, default false]");
  // Advanced timings, hidden from --help: the tests run the cycle fast.
  struct timing {
    const char* name;
    milliseconds* target;
    const char* help;
  };
  for (auto [name, target, help] : {
         timing{"--healthy-ms", &worker.phases.healthy, "failure cycle: healthy time"},
         timing{"--warning-ms", &worker.phases.warning, "failure cycle: warning before failing"},
         timing{"--failed-ms", &worker.phases.failed, "failure cycle: failed time"},
         timing{"--work-ms", &worker.work, "time one task takes"},
         timing{"--token-interval-ms", &worker.token_interval, "time between streamed tokens"},
         timing{"--join-timeout-ms", &worker.join_timeout,
                "one join attempt's timeout before the next"},
         timing{"--grace-ms", &worker.node.grace, "shutdown: how long calls in flight may finish"},
       })
    add_millis(*worker_cmd, name, *target, help, true);

  // -- client ------------------------------------------------------------------
  auto* client_cmd = app.add_subcommand("client", "send tasks and stream tokens via the director");
  common_flags client_common;
  env_flag client_director;
  std::string client_join;
  client_settings client;
  double duration_s = 0;
  client_common.add_to(*client_cmd);
  add_env_option(*client_cmd, client_director, director_addr_option,
                 "the directors to ask for workers, a,b,c: the next is used when one fails");
  auto* client_join_opt = client_cmd->add_option(
    "--join", client_join,
    std::string{join_directors_help} + "; a client does not gossip, so it takes no key");
  client_cmd->add_option("--tasks", client.tasks, "tasks to complete, 0 for no end (default 0)");
  client_cmd->add_option("--tokens", client.tokens,
                         "tokens to stream with generate, 0 for none (default 0)");
  client_cmd->add_option("--duration", duration_s, "seconds before stopping, 0 for no limit")
    ->check(CLI::Range(0.0, 86400.0));
  client_cmd->add_option("--reassign-every", client.reassign_every,
                         "tasks sent to one worker before asking the director again (default 5)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  add_millis(*client_cmd, "--call-timeout-ms", client.call_timeout, "timeout of one call", false);
  add_millis(*client_cmd, "--task-pause-ms", client.task_pause, "pause between tasks", false);

  // -- members -----------------------------------------------------------------
  auto* members_cmd = app.add_subcommand("members", "print a running node's member table");
  node_query_flags members_flags;
  members_settings members;
  members_flags.add_to(*members_cmd, node_option);
  members_cmd->add_flag("--json", members.query.json, "print JSON");
  members_cmd->add_flag("--all", members.all, "include members that left or failed");

  // -- stats -------------------------------------------------------------------
  auto* stats_cmd = app.add_subcommand(
    "stats", "print a running node's gossip counters, refused datagrams by reason");
  node_query_flags stats_flags;
  query_settings stats;
  stats_flags.add_to(*stats_cmd, node_option);
  stats_cmd->add_flag("--json", stats.json, "print JSON");

  // -- health ------------------------------------------------------------------
  auto* health_cmd = app.add_subcommand(
    "health", "ask a running node whether it serves; exit 0 only when it does");
  node_query_flags health_flags;
  health_settings health;
  health_flags.add_to(*health_cmd, env_option{"ADDRESS", "", ""});
  health_cmd->add_option("--service", health.service,
                         "a service the node names (default: the whole node)");
  health_cmd
    ->add_option_function<int64_t>(
      "--timeout", [&health](int64_t ms) { health.timeout = milliseconds{ms}; },
      "milliseconds the handshake and the check may each take (default 5000)")
    ->check(CLI::Range(int64_t{1}, int64_t{3600} * 1000));

  // -- keygen ------------------------------------------------------------------
  auto* keygen_cmd = app.add_subcommand("keygen", "make a random cluster key");
  std::string keygen_out;
  auto* keygen_out_opt = keygen_cmd->add_option(
    "--out", keygen_out, "write it to this new file, mode 0600 (default: print it)");

  // -- demo --------------------------------------------------------------------
  auto* demo_cmd = app.add_subcommand("demo", "director, two workers and a client on loopback");
  common_flags demo_common;
  demo_settings demo;
  double demo_duration_s = 20;
  demo_common.add_to(*demo_cmd);
  demo_cmd->add_option("--director", demo.director, "director address (default 127.0.0.1:61000)");
  demo_cmd->add_option("--workers", demo.workers, "two worker addresses")->expected(2);
  demo_cmd->add_option("--duration", demo_duration_s, "seconds the client runs at most")
    ->check(CLI::Range(1.0, 3600.0));

  CLI11_PARSE(app, argc, argv);

  // Blocked before any other thread starts: see shutdown_signal.hpp.
  shutdown_signal shutdown;
  auto setup_log = [&](const common_flags& common, std::string speaker) {
    log_options opts;
    opts.level = or_exit(
      parse_level(log_level_option, resolve(log_level_option, common.level.given(), env)));
    opts.format = or_exit(
      parse_format(log_format_option, resolve(log_format_option, common.format.given(), env)));
    configure_log(std::move(speaker), opts);
    return common.tls(env);
  };
  if (*director_cmd) {
    director.node.tls = setup_log(director_common, "director");
    director.node.where = or_exit(director_addr.resolve_with(director_bind_option, env));
    director.node.key
      = or_exit(resolve_gossip_key(director_keys.given(), env, without_key::generate));
    director.strategy = or_exit(parse_load_balancing_strategy(strategy));
    director.pool_interval = milliseconds{static_cast<int64_t>(pool_interval_s * 1000)};
    return run_director(director, shutdown);
  }
  if (*worker_cmd) {
    worker.label = or_exit(parse_label(worker_label_option,
                                       resolve(worker_label_option, worker_label.given(), env)));
    worker.node.tls = setup_log(worker_common, "worker " + worker.label);
    worker.node.where = or_exit(worker_addr.resolve_with(worker_addr_option, env));
    std::optional<std::string> failures_given;
    if (failures_opt->count() > 0)
      failures_given = failures_flag ? "true" : "false";
    worker.simulate_failures = or_exit(
      parse_switch(failure_option, resolve(failure_option, failures_given, env)));
    worker.node.key = or_exit(resolve_gossip_key(worker_keys.given(), env, without_key::refuse));
    worker.directors = or_exit(directors_of(worker.node.key.seeds, worker_director, env));
    return run_worker(worker, shutdown);
  }
  if (*client_cmd) {
    client.tls = setup_log(client_common, "client");
    std::vector<socket_address> from_join;
    if (client_join_opt->count() > 0)
      from_join = or_exit(parse_join_list(client_join)).seeds;
    client.directors = or_exit(directors_of(from_join, client_director, env));
    client.duration = milliseconds{static_cast<int64_t>(duration_s * 1000)};
    return run_client(client, shutdown);
  }
  if (*members_cmd) {
    members.query.tls = setup_log(members_flags.common, "members");
    members.query.node = or_exit(parse_address(members_flags.option, members_flags.node));
    return run_members(members);
  }
  if (*stats_cmd) {
    stats.tls = setup_log(stats_flags.common, "stats");
    stats.node = or_exit(parse_address(stats_flags.option, stats_flags.node));
    return run_stats(stats);
  }
  if (*health_cmd) {
    health.tls = setup_log(health_flags.common, "health");
    health.node = or_exit(parse_address(health_flags.option, health_flags.node));
    return run_health(health);
  }
  if (*keygen_cmd) {
    keygen_settings keygen;
    if (keygen_out_opt->count() > 0)
      keygen.out = keygen_out;
    return run_keygen(keygen);
  }
  demo.certs = setup_log(demo_common, "demo").certs_dir;
  for (const auto& addr : demo.workers)
    or_exit(parse_address(env_option{"--workers", "", ""}, addr));
  or_exit(parse_address(env_option{"--director", "", ""}, demo.director));
  char self[PATH_MAX] = {};
  auto n = readlink("/proc/self/exe", self, sizeof self - 1);
  demo.self = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string{argv[0]};
  demo.duration = milliseconds{static_cast<int64_t>(demo_duration_s * 1000)};
  return run_demo(demo, shutdown);
}
