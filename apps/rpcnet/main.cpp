// rpcnet: the cluster example of the Rust RpcNet library,
// whose design rpcnet follows, as one CLI. Subcommands director, worker, client (the
// four terminals), members and stats (a node's member table and gossip
// counters), health (whether a node serves), keygen (a cluster key) and
// demo (the four terminals at once, for a bounded time). Each setting the
// Rust RpcNet's programs read from the environment is also a flag; the
// flag wins.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <map>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/utf8.hpp>
#include <rpcnet/transport/version.hpp>

#include "cluster_key_source.hpp"
#include "commands.hpp"
#include "config_command.hpp"
#include "config_layer.hpp"
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

/// The options that also read an environment variable, for the
/// configuration file's layer (config_layer.hpp), which must not set them
/// over their variable.
std::map<const CLI::Option*, env_option>& env_backed_options() {
  static std::map<const CLI::Option*, env_option> options;
  return options;
}

/// `alias`: an older name of the flag that still works.
void add_env_option(CLI::App& cmd, env_flag& flag, const env_option& option,
                    const std::string& help, const std::string& alias = {}) {
  auto names = std::string{option.flag} + (alias.empty() ? "" : "," + alias);
  auto fallback = option.fallback.empty() ? std::string{"none"} : std::string{option.fallback};
  flag.option = cmd.add_option(names, flag.value,
                               help + " [env " + std::string{option.env} + ", default "
                                 + fallback + "]");
  env_backed_options()[flag.option] = option;
}

/// An option in milliseconds, hidden from --help if `hidden`.
void add_millis(CLI::App& cmd, const std::string& name, milliseconds& target,
                const std::string& help, bool hidden) {
  auto* opt = cmd.add_option_function<int64_t>(
                   name, [&target](int64_t ms) { target = milliseconds{ms}; },
                   help + " (default " + std::to_string(target.count()) + ")")
                ->check(CLI::Range(int64_t{0}, int64_t{24} * 3600 * 1000))
                ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
                ->default_str(std::to_string(target.count()));
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

/// The gossip timings and limits of a director or a worker, in the group
/// "Gossip" of --help: the tests and a WAN cluster tune them.
void add_gossip_options(CLI::App& cmd, node_settings& node) {
  const std::string group = "Gossip";
  auto& swim = node.swim;
  struct timing {
    const char* name;
    duration* target;
    const char* help;
  };
  for (auto [name, target, help] : {
         timing{"--gossip-interval-ms", &swim.gossip_interval, "time between two probes"},
         timing{"--probe-timeout-ms", &swim.probe_timeout,
                "how long a probe waits for its ack before asking others"},
         timing{"--suspicion-timeout-ms", &swim.suspicion_timeout,
                "how long a suspected member has to refute before it is declared failed"},
         timing{"--broadcast-interval-ms", &swim.broadcast_interval,
                "time between two rounds of gossiped updates"},
       }) {
    auto ms = std::chrono::duration_cast<milliseconds>(*target).count();
    cmd
      .add_option_function<int64_t>(
        name, [target](int64_t value) { *target = milliseconds{value}; },
        std::string{help} + " (default " + std::to_string(ms) + ")")
      ->check(CLI::Range(int64_t{1}, int64_t{3600} * 1000))
      ->default_str(std::to_string(ms))
      ->group(group);
  }
  cmd.add_option("--phi-threshold", swim.health.phi_threshold,
                 "phi above which a silent member is suspected (default 8)")
    ->check(CLI::Range(0.5, 100.0))
    ->group(group);
  cmd.add_option("--push-pull-cycles", swim.push_pull_cycles,
                 "probe rounds between two full state exchanges with a random member "
                 "(default 10)")
    ->check(CLI::Range(1u, 100000u))
    ->group(group);
  cmd.add_option("--gossip-fanout", swim.gossip_fanout,
                 "members each round of updates goes to (default 3)")
    ->check(CLI::Range(1u, 64u))
    ->group(group);
  cmd.add_option("--indirect-probes", swim.indirect_probes,
                 "members asked to probe one that did not answer (default 3)")
    ->check(CLI::Range(0u, 64u))
    ->group(group);
  cmd.add_option("--max-members", swim.limits.max_members,
                 "members held at most, tombstones included (default 16384)")
    ->check(CLI::Range(size_t{2}, size_t{1} << 20))
    ->group(group);
  cmd.add_option("--max-pending-datagrams", node.max_pending_datagrams,
                 "received datagrams queued at most; a flood beyond is dropped and counted "
                 "(default 4096)")
    ->check(CLI::Range(size_t{16}, size_t{1} << 20))
    ->group(group);
}

/// --metrics-address: the node's admin HTTP address, off unless given.
void add_metrics_address(CLI::App& cmd, node_settings& node) {
  cmd.add_option("--metrics-address", node.metrics_address,
                 "serve /metrics, /healthz, /readyz and the live dashboard at this host:port "
                 "(off unless set)");
}

/// --config: the configuration file of director, worker or client.
void add_config_option(CLI::App& cmd, env_flag& flag) {
  add_env_option(cmd, flag, config_option,
                 "TOML file with any of these settings, in a [" + cmd.get_name()
                   + "] table or at its top level; flags and environment variables win "
                     "over it (rpcnet config check FILE checks one)");
}

/// Reads the configuration file --config / RPCNET_CONFIG names, if any,
/// into `layer`'s options, or exits with every problem it has, each with its
/// line and column.
void apply_config_file(const env_flag& flag, config_layer& layer, const config_schema& schema,
                       const env_lookup& env) {
  auto path = resolve(config_option, flag.given(), env);
  if (path.empty())
    return;
  auto file = config_file::load(path, schema);
  if (file.ok())
    file.add_problems(layer.apply(file, env));
  for (const auto& problem : file.problems())
    std::cerr << "rpcnet: error: " << utf8::escaped(file.describe(problem)) << '\n';
  if (!file.ok())
    std::exit(2);
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
  // Defaults are shown by `rpcnet config show`.
  app.option_defaults()->always_capture_default();

  // -- director ----------------------------------------------------------------
  auto* director_cmd = app.add_subcommand("director", "form the cluster and assign workers");
  common_flags director_common;
  key_flag_set director_keys;
  address_flags director_addr;
  director_settings director;
  std::string strategy = "least_connections";
  double pool_interval_s = 10;
  director_common.add_to(*director_cmd);
  env_flag director_config;
  add_config_option(*director_cmd, director_config);
  director_addr.add_to(*director_cmd, director_bind_option);
  // Checked by the option, so that a file's bad strategy is reported with
  // its line, as a flag's is.
  director_cmd
    ->add_option("--strategy", strategy,
                 "load balancing: round_robin, random, least_connections, "
                 "power_of_two_choices, weighted, consistent_hash, locality")
    ->check(
      [](const std::string& name) {
        auto parsed = parse_load_balancing_strategy(name);
        return parsed ? std::string{} : message_of(parsed.error());
      },
      "STRATEGY");
  director_cmd->add_option("--pool-interval", pool_interval_s,
                           "seconds between worker pool reports (default 10)")
    ->check(CLI::Range(0.05, 86400.0));
  add_millis(*director_cmd, "--grace-ms", director.node.grace,
             "shutdown: how long calls in flight may finish", true);
  add_metrics_address(*director_cmd, director.node);
  add_gossip_options(*director_cmd, director.node);
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
  env_flag worker_config;
  add_config_option(*worker_cmd, worker_config);
  worker_addr.add_to(*worker_cmd, worker_addr_option);
  add_env_option(*worker_cmd, worker_director, director_addr_option,
                 "the directors to join through, a,b,c: any one alive will do");
  add_env_option(*worker_cmd, worker_label, worker_label_option, "this worker's label");
  worker_keys.add_to(*worker_cmd, join_directors_help);
  add_metrics_address(*worker_cmd, worker.node);
  add_gossip_options(*worker_cmd, worker.node);
  worker_cmd->footer("A worker needs the cluster key: --join, --cluster-key-file or "
                     "RPCNET_CLUSTER_KEY, or --insecure-gossip to gossip unsealed.");
  auto* failures_opt = worker_cmd->add_flag(
    std::string{failure_option.flag}, failures_flag,
    "simulate failures: 10 s healthy, a warning 3 s before, 5 s failed, repeat "
    "[env WORKER_FAILURE_ENABLED, default false]");
  env_backed_options()[failures_opt] = failure_option;
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
  env_flag client_config;
  add_config_option(*client_cmd, client_config);
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
  add_millis(*client_cmd, "--call-timeout-ms", client.call_timeout,
             "timeout of one attempt of a call", false);
  add_millis(*client_cmd, "--hedge-after-ms", client.hedge_after,
             "send a task to a second worker when the first has not answered after this long, "
             "0 for never: a worker that died mid-task costs this, not the call timeout",
             false);
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

  // -- config ------------------------------------------------------------------
  auto* config_cmd = app.add_subcommand("config", "check a configuration file, or show the "
                                                  "settings a node would run with");
  config_cmd->require_subcommand(1);
  auto* config_check_cmd
    = config_cmd->add_subcommand("check", "report every error of a file with its line and column");
  std::string config_check_path;
  config_check_cmd->add_option("FILE", config_check_path, "the TOML file")->required();
  auto* config_show_cmd = config_cmd->add_subcommand(
    "show", "print each setting of director, worker or client, its value and where it came "
            "from: flag, environment, file or default");
  std::string config_show_role;
  env_flag config_show_file;
  bool config_show_json = false;
  config_show_cmd->add_option("ROLE", config_show_role, "director, worker or client")
    ->required()
    ->check(CLI::IsMember({"director", "worker", "client"}));
  add_env_option(*config_show_cmd, config_show_file, config_option, "the TOML file");
  config_show_cmd->add_flag("--json", config_show_json, "print JSON");

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

  // What a configuration file may hold: the settings of these three.
  config_layer director_layer{*director_cmd, "director", env_backed_options()};
  config_layer worker_layer{*worker_cmd, "worker", env_backed_options()};
  config_layer client_layer{*client_cmd, "client", env_backed_options()};
  std::vector<config_layer*> layers{&director_layer, &worker_layer, &client_layer};
  auto schema = schema_of({&director_layer, &worker_layer, &client_layer});

  CLI11_PARSE(app, argc, argv);

  if (*config_check_cmd) {
    // Each value is also given to its option, whose checks judge it as
    // they would judge a flag (the environment is not consulted).
    auto no_env = [](std::string_view) { return std::optional<std::string>{}; };
    return run_config_check(config_check_path, schema, std::cout, std::cerr,
                            [&](const config_file& file) {
                              std::vector<config_problem> problems;
                              for (auto* layer : layers) {
                                auto more = layer->apply(file, no_env);
                                problems.insert(problems.end(), more.begin(), more.end());
                              }
                              return problems;
                            });
  }
  if (*config_show_cmd) {
    auto path = resolve(config_option, config_show_file.given(), env);
    std::optional<config_file> file;
    if (!path.empty())
      file = config_file::load(path, schema);
    auto* layer = *std::find_if(layers.begin(), layers.end(), [&](const config_layer* l) {
      return l->section() == config_show_role;
    });
    // A --join list may hold join tokens, which hold the cluster key.
    return run_config_show(file ? &*file : nullptr, layer->effective(file ? &*file : nullptr, env),
                           {"join"}, config_show_json, std::cout, std::cerr);
  }
  if (*director_cmd)
    apply_config_file(director_config, director_layer, schema, env);
  if (*worker_cmd)
    apply_config_file(worker_config, worker_layer, schema, env);
  if (*client_cmd)
    apply_config_file(client_config, client_layer, schema, env);

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
    director.node.signals = &shutdown;
    director.node.where = or_exit(director_addr.resolve_with(director_bind_option, env));
    director.node.key
      = or_exit(resolve_gossip_key(director_keys.given(), env,
                                   // A key made here could not join the others.
                                   director_keys.given().join ? without_key::refuse
                                                              : without_key::generate));
    director.strategy = or_exit(parse_load_balancing_strategy(strategy));
    director.pool_interval = milliseconds{static_cast<int64_t>(pool_interval_s * 1000)};
    return run_director(director, shutdown);
  }
  if (*worker_cmd) {
    worker.label = or_exit(parse_label(worker_label_option,
                                       resolve(worker_label_option, worker_label.given(), env)));
    worker.node.tls = setup_log(worker_common, "worker " + worker.label);
    worker.node.signals = &shutdown;
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
