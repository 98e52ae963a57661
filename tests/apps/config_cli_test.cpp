// Tests the configuration file as an operator uses it with the real `rpcnet`:
// `rpcnet config check` reports every mistake with its line and column (the
// file's types and keys, and each value as its flag would judge it), a node
// started with --config takes the file's settings under its flags and
// environment variables, a file with mistakes stops it with all of them,
// and `rpcnet config show` says where each effective value came from.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "rpcnet_processes.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;

namespace {

/// Runs `args` to its end (bounded); its exit code and every line it wrote.
struct finished {
  int status = -1;
  std::vector<std::string> lines;

  bool says(const std::string& text) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }
};

finished run_to_end(std::vector<std::string> args, std::vector<std::string> env = {}) {
  auto proc = run_rpcnet(std::move(args), std::move(env));
  auto status = proc->wait_exit(20s);
  REQUIRE(status.has_value());
  proc->drain();
  return {*status, proc->lines()};
}

} // namespace

TEST_CASE("config check accepts a good file and counts its settings", "[config-cli]") {
  temp_dir dir;
  auto path = dir.write("rpcnet.toml", "log-level = \"warn\"\n"
                                       "[director]\nbind = \"0.0.0.0:61000\"\n"
                                       "advertise = \"10.0.0.5\"\nstrategy = \"round_robin\"\n"
                                       "gossip-interval-ms = 200\nphi-threshold = 9.5\n"
                                       "[worker]\ndirector = [\"10.0.0.5:61000\", "
                                       "\"10.0.0.6:61000\"]\nlabel = \"gpu-1\"\n"
                                       "simulate-failures = false\n");
  auto result = run_to_end({"config", "check", path});
  CHECK(result.status == 0);
  CHECK(result.says(path + ": ok (9 settings)"));
}

TEST_CASE("config check reports every mistake with its line and column", "[config-cli]") {
  temp_dir dir;
  auto path = dir.write("bad.toml", "[director]\n"
                                    "bind = 61000\n"                 // 2: wrong type
                                    "strategy = \"fastest\"\n"       // 3: the option refuses it
                                    "pool-interval = 0.001\n"        // 4: out of range
                                    "[worker]\n"
                                    "labl = \"x\"\n"                 // 6: unknown, close to label
                                    "gossip-interval-ms = 0\n"       // 7: out of range
                                    "[clinet]\n");                   // 8: unknown table
  auto result = run_to_end({"config", "check", path});
  CHECK(result.status == 2);
  CHECK(result.says(path + ":2:1: 'bind' in [director] must be a string, not an integer"));
  CHECK(result.says(path + ":3:1: 'strategy': unknown load-balancing strategy \"fastest\""));
  CHECK(result.says(path + ":4:1: 'pool-interval': Value 0.001 not in range"));
  CHECK(result.says(path + ":6:1: unknown key 'labl' in [worker]; did you mean 'label'?"));
  CHECK(result.says(path + ":7:1: 'gossip-interval-ms': Value 0 not in range 1 to 3600000"));
  CHECK(result.says(path + ":8:2: unknown table [clinet]; did you mean [client]?"));
  auto syntax = dir.write("syntax.toml", "[director]\nbind = \"127.0.0.1:1\n");
  auto broken = run_to_end({"config", "check", syntax});
  CHECK(broken.status == 2);
  CHECK(broken.says(syntax + ":2:"));
  auto missing = run_to_end({"config", "check", dir.file("nowhere.toml")});
  CHECK(missing.status == 2);
  CHECK(missing.says("nowhere.toml: cannot open: No such file or directory"));
}

TEST_CASE("a node takes the file's settings under its flags and environment variables",
          "[config-cli]") {
  temp_dir dir;
  auto file_port = free_udp_port();
  auto env_port = free_udp_port();
  auto path = dir.write("director.toml", "certs = \"" + std::string{RPCNET_CERT_DIR}
                                           + "\"\n[director]\nbind = \"127.0.0.1:"
                                           + std::to_string(file_port)
                                           + "\"\ninsecure-gossip = true\n"
                                             "strategy = \"round_robin\"\n");
  // The file alone: its address, its strategy, unsealed as it says.
  auto from_file = run_rpcnet({"director", "--config", path});
  REQUIRE(wait_for_text(*from_file, "director ready - listening on 127.0.0.1:"
                                      + std::to_string(file_port),
                        10s));
  CHECK(wait_for_text(*from_file, "load balancing strategy: round_robin", 0s));
  CHECK(wait_for_text(*from_file, "gossip is not sealed (--insecure-gossip)", 0s));
  from_file->kill(SIGTERM);
  CHECK(from_file->wait_exit(15s) == 0);
  // DIRECTOR_ADDR wins over the file, and a flag over both.
  auto from_env = run_rpcnet({"director", "--config", path},
                             {"DIRECTOR_ADDR=127.0.0.1:" + std::to_string(env_port)});
  REQUIRE(wait_for_text(*from_env, "listening on 127.0.0.1:" + std::to_string(env_port), 10s));
  auto show = run_to_end({"config", "show", "director", "--config", path, "--json"},
                         {"DIRECTOR_ADDR=127.0.0.1:" + std::to_string(env_port)});
  REQUIRE(show.status == 0);
  auto json = nlohmann::json::parse(show.lines.back());
  const auto& settings = json.at("settings");
  CHECK(settings.at("bind").at("origin") == "environment");
  CHECK(settings.at("bind").at("where") == "DIRECTOR_ADDR");
  CHECK(settings.at("strategy").at("origin") == "file");
  CHECK(settings.at("strategy").at("where") == path + ":5:1");
  CHECK(settings.at("strategy").at("value") == "round_robin");
  CHECK(settings.at("pool-interval").at("origin") == "default");
  from_env->kill(SIGTERM);
  CHECK(from_env->wait_exit(15s) == 0);
  auto flag_wins = run_rpcnet({"director", "--config", path, "--strategy", "random"},
                              {"DIRECTOR_ADDR=127.0.0.1:" + std::to_string(env_port)});
  REQUIRE(wait_for_text(*flag_wins, "load balancing strategy: random", 10s));
  flag_wins->kill(SIGTERM);
  CHECK(flag_wins->wait_exit(15s) == 0);
}

TEST_CASE("a node whose file has mistakes stops with every one of them", "[config-cli]") {
  temp_dir dir;
  auto path = dir.write("worker.toml", "[worker]\nlabel = 7\nwork-ms = -1\n");
  auto result = run_to_end({"worker", "--config", path, "--insecure-gossip"});
  CHECK(result.status == 2);
  CHECK(result.says("rpcnet: error: " + path + ":2:1: 'label' in [worker] must be a string"));
  // A file whose types are right is judged by the options too.
  auto ranges = dir.write("ranges.toml", "[worker]\nwork-ms = -1\n");
  auto refused = run_to_end({"worker", "--config", ranges, "--insecure-gossip"});
  CHECK(refused.status == 2);
  CHECK(refused.says("rpcnet: error: " + ranges + ":2:1: 'work-ms': Value -1 not in range"));
  // RPCNET_CONFIG names the file as --config does.
  auto by_env = run_to_end({"worker", "--insecure-gossip"}, {"RPCNET_CONFIG=" + ranges});
  CHECK(by_env.status == 2);
  CHECK(by_env.says(ranges + ":2:1:"));
}

TEST_CASE("config show prints every setting with its origin and hides join tokens",
          "[config-cli]") {
  temp_dir dir;
  auto path = dir.write("client.toml",
                        "[client]\njoin = \"rpcnet1.AAAA.00000000@127.0.0.1:1\"\ntasks = 5\n");
  auto table = run_to_end({"config", "show", "client", "--config", path});
  REQUIRE(table.status == 0);
  CHECK(table.says("SETTING"));
  CHECK(table.says("file (" + path + ":3:1)"));
  CHECK(table.says("(secret)"));
  CHECK_FALSE(table.says("rpcnet1.AAAA"));
  auto bad_role = run_to_end({"config", "show", "gateway"});
  CHECK(bad_role.status != 0);
}
