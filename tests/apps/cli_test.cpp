// Tests the `rpcnet` command line as a user meets it: --help on every
// subcommand, one line of error and a non-zero exit for a bad address, a
// name that does not resolve, a port in use, missing certificates or a
// cluster key that is missing or not a key, processes that find each other
// by host name, settings taken from the environment variables of the Rust
// rpcnet's example (the Rust RpcNet the CLI follows) unless a flag says
// otherwise, rpcnet keygen's key files, rpcnet members, and rpcnet health's
// answer and exit status.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "rpcnet_processes.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;

namespace {

/// Runs a command expected to fail at once; returns its one line of error
/// (the last line; log lines of what started may come before it).
std::string single_error_line(std::vector<std::string> args, std::vector<std::string> env = {}) {
  auto proc = run_rpcnet(std::move(args), std::move(env));
  auto status = proc->wait_exit(10s);
  REQUIRE(status.has_value());
  CHECK(*status != 0);
  proc->drain();
  REQUIRE_FALSE(proc->lines().empty());
  CHECK(count_text(*proc, "error") == 1);
  return proc->lines().back();
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

/// An unsealed worker (these tests are about other settings).
std::vector<std::string> worker_args(const std::string& addr) {
  return {"worker", "--addr", addr, "--certs", RPCNET_CERT_DIR, "--join-timeout-ms", "200",
          "--insecure-gossip"};
}

/// A cluster key in base64, as RPCNET_CLUSTER_KEY holds one.
const std::string test_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// What `rpcnet health` said: its exit status and its last line (the
/// status, or the error).
struct health_answer {
  int status = -1;
  std::string last_line;
};

health_answer ask_health(std::vector<std::string> args) {
  args.insert(args.begin(), {"health", "--certs", RPCNET_CERT_DIR});
  auto proc = run_rpcnet(std::move(args));
  auto status = proc->wait_exit(20s);
  REQUIRE(status.has_value());
  proc->drain();
  REQUIRE_FALSE(proc->lines().empty());
  return {*status, proc->lines().back()};
}

} // namespace

TEST_CASE("every subcommand explains itself with --help", "[cli]") {
  for (auto cmd :
       {"director", "worker", "client", "members", "stats", "health", "keygen", "demo"}) {
    auto proc = run_rpcnet({cmd, "--help"});
    CHECK(proc->wait_exit(10s) == 0);
    CHECK(wait_for_text(*proc, "Usage:", 1s));
  }
  auto worker = run_rpcnet({"worker", "--help"});
  REQUIRE(worker->wait_exit(10s) == 0);
  for (auto env : {"WORKER_ADDR", "DIRECTOR_ADDR", "WORKER_LABEL", "WORKER_FAILURE_ENABLED",
                   "RPCNET_LOG", "RPCNET_CLUSTER_KEY", "--join", "--cluster-key-file",
                   "--insecure-gossip"})
    CHECK(wait_for_text(*worker, env, 1s));
  auto director = run_rpcnet({"director", "--help"});
  REQUIRE(director->wait_exit(10s) == 0);
  CHECK(wait_for_text(*director, "makes one and prints the join token", 1s));
}

TEST_CASE("an address that does not parse is one line of error", "[cli]") {
  CHECK(single_error_line({"worker", "--addr", "localhost:99999"})
        == "rpcnet: error: invalid --bind / WORKER_ADDR value 'localhost:99999': expected "
           "host:port such as 127.0.0.1:61000 or localhost:61000");
  CHECK(starts_with(single_error_line({"client"}, {"DIRECTOR_ADDR=nowhere"}),
                    "rpcnet: error: invalid --director / DIRECTOR_ADDR value 'nowhere'"));
  CHECK(starts_with(single_error_line({"members", "--node", "1.2.3"}),
                    "rpcnet: error: invalid --node value '1.2.3'"));
}

TEST_CASE("a name that does not resolve is one line of error", "[cli]") {
  CHECK(single_error_line({"worker", "--addr", "nowhere.invalid:1"})
        == "rpcnet: error: invalid --bind / WORKER_ADDR value 'nowhere.invalid:1': cannot "
           "resolve 'nowhere.invalid': Name or service not known");
  CHECK(single_error_line({"client"}, {"DIRECTOR_ADDR=director.invalid:61000"})
        == "rpcnet: error: invalid --director / DIRECTOR_ADDR value 'director.invalid:61000': "
           "cannot resolve 'director.invalid': Name or service not known");
  CHECK(starts_with(single_error_line({"stats", "--node", "node.invalid:1"}),
                    "rpcnet: error: invalid --node value 'node.invalid:1': cannot resolve"));
  CHECK(starts_with(single_error_line({"demo", "--director", "demo.invalid:1"}),
                    "rpcnet: error: invalid --director value 'demo.invalid:1': cannot resolve"));
}

TEST_CASE("a director, a worker and a client find each other by localhost:<port>", "[cli]") {
  auto director_addr = "localhost:" + std::to_string(free_udp_port());
  auto director = run_rpcnet({"director", "--addr", director_addr, "--certs", RPCNET_CERT_DIR,
                              "--pool-interval", "0.5", "--insecure-gossip"});
  // The name resolved once, at start: the logs and the gossip say 127.0.0.1.
  REQUIRE(wait_for_text(*director, "director ready - listening on 127.0.0.1:", 10s));
  auto worker_port = std::to_string(free_udp_port());
  auto worker = run_rpcnet({"worker", "--addr", "localhost:" + worker_port, "--director",
                            director_addr, "--label", "worker-named", "--certs", RPCNET_CERT_DIR,
                            "--work-ms", "20", "--join-timeout-ms", "500", "--insecure-gossip"});
  REQUIRE(wait_for_text(*worker, "joined cluster with role=worker", 10s));
  REQUIRE(wait_for_text(*director, "cluster event joined: worker-named ", 10s));
  CHECK(wait_for_text(*director, "worker-named at 127.0.0.1:" + worker_port, 10s));
  auto client = run_rpcnet({"client", "--director", director_addr, "--certs", RPCNET_CERT_DIR,
                            "--tasks", "3", "--call-timeout-ms", "2000"});
  auto summary = finish_client(*client, 30s);
  CHECK(summary.tasks == 3);
  CHECK(summary.by_worker["worker-named"] == 3);
  auto members = run_rpcnet({"members", "--node", director_addr, "--certs", RPCNET_CERT_DIR});
  REQUIRE(members->wait_exit(10s) == 0);
  CHECK(wait_for_text(*members, "127.0.0.1:" + worker_port + " alive", 1s));
  worker->kill(SIGTERM);
  CHECK(worker->wait_exit(10s) == 0);
  director->kill(SIGTERM);
  CHECK(director->wait_exit(10s) == 0);
}

TEST_CASE("a port in use is one line of error", "[cli]") {
  test_cluster cluster;
  cluster.start_director();
  auto line = single_error_line({"director", "--addr", cluster.director_addr(), "--certs",
                                 RPCNET_CERT_DIR});
  CHECK(starts_with(line, "rpcnet: error: cannot bind " + cluster.director_addr()));
}

TEST_CASE("missing certificates are one line of error", "[cli]") {
  for (std::string cmd : {"director", "worker", "client"}) {
    std::vector<std::string> args{cmd, "--certs", "/nonexistent"};
    if (cmd == "worker")
      args.push_back("--insecure-gossip"); // a worker without a key stops before
    CHECK(single_error_line(args)
          == "rpcnet: error: certificate file /nonexistent/test_cert.pem not found or not "
             "readable (--certs / RPCNET_CERTS)");
  }
  CHECK(starts_with(single_error_line({"worker"}, {"RPCNET_CERTS=/nonexistent",
                                                   "RPCNET_CLUSTER_KEY=" + test_key}),
                    "rpcnet: error: certificate file /nonexistent/"));
}

TEST_CASE("a worker takes the Rust RpcNet's defaults and environment variables", "[cli]") {
  auto addr = loopback(free_udp_port());
  // Defaults: label worker-1, director 127.0.0.1:61000, no failure simulation.
  auto plain = run_rpcnet(worker_args(addr));
  REQUIRE(
    wait_for_text(*plain, "INFO worker worker-1: starting worker 'worker-1' at " + addr, 10s));
  REQUIRE(wait_for_text(*plain, "connecting to director at 127.0.0.1:61000", 10s));
  CHECK(count_text(*plain, "failure simulation on") == 0);
  plain->kill(SIGTERM);
  CHECK(plain->wait_exit(10s) == 0);

  auto director = loopback(free_udp_port());
  auto from_env = run_rpcnet(
    {"worker", "--certs", RPCNET_CERT_DIR, "--join-timeout-ms", "200"},
    {"WORKER_ADDR=" + addr, "WORKER_LABEL=worker-env", "DIRECTOR_ADDR=" + director,
     "WORKER_FAILURE_ENABLED=true", "RPCNET_CLUSTER_KEY=" + test_key});
  REQUIRE(wait_for_text(*from_env, "starting worker 'worker-env' at " + addr, 10s));
  CHECK(wait_for_text(*from_env, "cluster key: RPCNET_CLUSTER_KEY", 10s));
  REQUIRE(wait_for_text(*from_env, "connecting to director at " + director, 10s));
  CHECK(wait_for_text(*from_env, "failure simulation on", 10s));
  from_env->kill(SIGTERM);
  CHECK(from_env->wait_exit(10s) == 0);
}

TEST_CASE("a flag wins over the environment", "[cli]") {
  auto addr = loopback(free_udp_port());
  auto args = worker_args(addr);
  args.insert(args.end(),
              {"--label", "worker-flag", "--simulate-failures=false", "--log-level", "info"});
  auto proc = run_rpcnet(args, {"WORKER_ADDR=not-an-address", "WORKER_LABEL=worker-env",
                                "WORKER_FAILURE_ENABLED=true", "RPCNET_LOG=error",
                                "RPCNET_CLUSTER_KEY=not a key"});
  REQUIRE(wait_for_text(*proc, "starting worker 'worker-flag' at " + addr, 10s));
  // --insecure-gossip is a flag: the variable's key is not even read.
  CHECK(wait_for_text(*proc, "gossip is not sealed (--insecure-gossip)", 10s));
  CHECK(count_text(*proc, "failure simulation on") == 0);
  proc->kill(SIGTERM);
  CHECK(proc->wait_exit(10s) == 0);
  // RPCNET_LOG applies without the flag: only warnings and errors.
  auto quiet = run_rpcnet(worker_args(loopback(free_udp_port())), {"RPCNET_LOG=warn"});
  REQUIRE(wait_for_text(*quiet, "WARN worker worker-1: director at", 10s));
  CHECK(count_text(*quiet, " INFO ") == 0);
  CHECK(starts_with(single_error_line({"client"}, {"RPCNET_LOG=loud"}),
                    "rpcnet: error: invalid --log-level / RPCNET_LOG value 'loud'"));
  CHECK(starts_with(single_error_line({"worker"}, {"WORKER_FAILURE_ENABLED=maybe"}),
                    "rpcnet: error: invalid --simulate-failures / WORKER_FAILURE_ENABLED"));
}

TEST_CASE("members prints a node's table as columns and as JSON", "[cli]") {
  test_cluster cluster;
  cluster.start_director();
  cluster.start_worker("worker-a");
  REQUIRE(wait_for_text(cluster.director(), "cluster event joined: worker-a ", 10s));
  auto text = run_rpcnet({"members", "--node", cluster.director_addr(), "--certs",
                          RPCNET_CERT_DIR});
  REQUIRE(text->wait_exit(10s) == 0);
  CHECK(wait_for_text(*text, "ID", 1s));
  CHECK(wait_for_text(*text, cluster.address_of("worker-a") + " alive", 1s));
  auto json = run_rpcnet({"members", "--node", cluster.address_of("worker-a"), "--json",
                          "--certs", RPCNET_CERT_DIR});
  REQUIRE(json->wait_exit(10s) == 0);
  auto line = wait_for_text(*json, "{\"node\":", 1s);
  REQUIRE(line);
  CHECK(line->find("\"tags\":{\"role\":\"director\"}") != std::string::npos);
  CHECK(line->find("\"label\":\"worker-a\"") != std::string::npos);
}

TEST_CASE("a worker without a cluster key is refused at start", "[cli][keys]") {
  CHECK(single_error_line({"worker", "--certs", RPCNET_CERT_DIR})
        == "rpcnet: error: no cluster key: give --join TOKEN (rpcnet director prints it), "
           "--cluster-key-file PATH or RPCNET_CLUSTER_KEY, or --insecure-gossip to gossip "
           "unsealed");
}

TEST_CASE("a bad join token, key file or RPCNET_CLUSTER_KEY is one line of error",
          "[cli][keys]") {
  temp_dir dir;
  auto short_key = dir.write("short.key", "AAAA\n");
  auto garbage = dir.write("garbage.key", "\x7f""ELF\x02\x01");
  CHECK(single_error_line({"worker", "--join", "rpcnet1.AAAA.00000000@127.0.0.1:1"})
        == "rpcnet: error: invalid --join token: its check digits do not match: it was "
           "mistyped or cut short");
  // --join also takes addresses: text that is neither is named as such.
  CHECK(single_error_line({"client", "--join", "not-a-token"})
        == "rpcnet: error: invalid --join: 'not-a-token' is neither a join token "
           "(rpcnet1.<key>.<check>@<host:port>) nor a host:port");
  for (std::string cmd : {"director", "worker"}) {
    CHECK(single_error_line({cmd, "--cluster-key-file", dir.file("missing.key")})
          == "rpcnet: error: cluster key file " + dir.file("missing.key")
               + ": No such file or directory");
    CHECK(single_error_line({cmd, "--cluster-key-file", short_key})
          == "rpcnet: error: cluster key file " + short_key
               + ": the cluster key must decode to 16, 24 or 32 bytes, not 3");
    CHECK(single_error_line({cmd, "--cluster-key-file", garbage})
          == "rpcnet: error: cluster key file " + garbage
               + ": the cluster key is not valid base64");
    CHECK(single_error_line({cmd}, {"RPCNET_CLUSTER_KEY=c2hvcnQ="})
          == "rpcnet: error: invalid RPCNET_CLUSTER_KEY: the cluster key must decode to 16, 24 or "
             "32 bytes, not 5");
    CHECK(single_error_line({cmd, "--cluster-key-file", short_key, "--insecure-gossip"})
          == "rpcnet: error: --cluster-key-file and --insecure-gossip exclude each other: give "
             "one");
  }
}

TEST_CASE("a join token names the director over DIRECTOR_ADDR, and beside --director is an "
          "error",
          "[cli][keys]") {
  test_cluster cluster;
  cluster.start_director();
  for (auto cmd : {"worker", "client"})
    CHECK(single_error_line({cmd, "--join", cluster.token(), "--director", "127.0.0.1:1"})
          == "rpcnet: error: --join and --director both name the directors: give one");
  auto worker = run_rpcnet({"worker", "--join", cluster.token(), "--addr",
                            loopback(free_udp_port()), "--certs", RPCNET_CERT_DIR},
                           {"DIRECTOR_ADDR=127.0.0.1:1"});
  CHECK(wait_for_text(*worker, "connecting to director at " + cluster.director_addr(), 10s));
  CHECK(wait_for_text(*worker, "joined cluster with role=worker", 10s));
}

TEST_CASE("keygen writes a new key file only its owner reads, and never overwrites one",
          "[cli][keys]") {
  temp_dir dir;
  auto path = dir.file("cluster.key");
  auto keygen = run_rpcnet({"keygen", "--out", path});
  REQUIRE(keygen->wait_exit(10s) == 0);
  CHECK(wait_for_text(*keygen, "wrote a 256-bit cluster key to " + path + " (mode 0600)", 1s));
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(info.st_size == 45); // 44 characters of base64 and a newline
  CHECK(single_error_line({"keygen", "--out", path})
        == "rpcnet: error: cluster key file " + path + ": File exists");
  // Without --out the key is printed, in the form RPCNET_CLUSTER_KEY takes.
  auto printed = run_rpcnet({"keygen"});
  REQUIRE(printed->wait_exit(10s) == 0);
  printed->drain();
  REQUIRE(printed->lines().size() == 1);
  CHECK(printed->lines()[0].size() == 44);
  auto worker = run_rpcnet({"worker", "--addr", loopback(free_udp_port()), "--certs",
                           RPCNET_CERT_DIR},
                          {"RPCNET_CLUSTER_KEY=" + printed->lines()[0]});
  CHECK(wait_for_text(*worker, "cluster key: RPCNET_CLUSTER_KEY", 10s));
}

TEST_CASE("health prints SERVING and exits 0 for a running director and worker", "[cli][health]") {
  test_cluster cluster;
  cluster.start_director();
  auto& worker = cluster.start_worker("worker-a");
  REQUIRE(wait_for_text(worker, "joined cluster with role=worker", 10s));
  for (const auto& node : {cluster.director_addr(), cluster.address_of("worker-a")}) {
    INFO("asking " << node);
    auto answer = ask_health({node});
    CHECK(answer.status == 0);
    CHECK(answer.last_line == "SERVING");
  }
  // A service nobody set is not serving.
  auto unknown = ask_health({cluster.director_addr(), "--service", "compute"});
  CHECK(unknown.status == 1);
  CHECK(unknown.last_line == "SERVICE_UNKNOWN");
}

TEST_CASE("health exits 1 when nothing listens and when the node drains", "[cli][health]") {
  auto nobody = ask_health({loopback(free_udp_port()), "--timeout", "1000"});
  CHECK(nobody.status == 1);
  CHECK(starts_with(nobody.last_line, "rpcnet: error: cannot reach 127.0.0.1:"));

  test_cluster cluster;
  cluster.start_director();
  // A task long enough to hold the worker's drain while health asks.
  auto& worker = cluster.start_worker("worker-a", {"--work-ms", "4000", "--grace-ms", "10000"});
  REQUIRE(wait_for_text(worker, "joined cluster with role=worker", 10s));
  auto client = cluster.client({"--tasks", "1", "--call-timeout-ms", "10000"});
  REQUIRE(wait_for_text(worker, "processing task 1", 10s));
  auto from = cluster.director().lines().size();
  worker.kill(SIGTERM);
  // Left: the node's health said not serving before it left.
  REQUIRE(wait_for_text(cluster.director(), "cluster event left: worker-a", 5s, from));
  auto draining = ask_health({cluster.address_of("worker-a"), "--timeout", "1000"});
  INFO("health said: " << draining.last_line);
  CHECK(draining.status == 1);
  // Still leaving, or already refusing calls as its server drains.
  CHECK((draining.last_line == "NOT_SERVING"
         || starts_with(draining.last_line, "rpcnet: error: ")));
  CHECK_FALSE(worker.wait_exit(0ms).has_value());
  // The drain went on: the task in flight was answered.
  CHECK(finish_client(*client, 15s).by_worker["worker-a"] == 1);
  CHECK(worker.wait_exit(10s) == 0);
}

TEST_CASE("health refuses bad arguments with an error and a non-zero exit", "[cli][health]") {
  struct bad_call {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& bad : {
         bad_call{{"health"}, "ADDRESS is required"},
         bad_call{{"health", "127.0.0.1:1", "--timeout", "0"}, "--timeout: Value 0 not in range"},
         bad_call{{"health", "127.0.0.1:1", "--timeout", "soon"}, "--timeout: Value soon"},
         bad_call{{"health", "1.2.3"}, "rpcnet: error: invalid ADDRESS value '1.2.3'"},
         bad_call{{"health", "127.0.0.1:1", "--service", std::string(257, 's')},
                  "rpcnet: error: invalid --service: a service name of 257 bytes exceeds 256"},
         bad_call{{"health", "127.0.0.1:1", "--service", "\xff"},
                  "rpcnet: error: invalid --service: a service name must be UTF-8"},
       }) {
    INFO("rpcnet " << bad.args.back());
    auto proc = run_rpcnet(bad.args);
    auto status = proc->wait_exit(10s);
    REQUIRE(status.has_value());
    CHECK(*status != 0);
    CHECK(wait_for_text(*proc, bad.says, 1s));
  }
}

TEST_CASE("a client that reached no director exits non-zero and says why", "[client]") {
  // A port nothing listens on: every dial is refused at once.
  auto port = std::to_string(rpcnet::test::free_udp_port());
  auto proc = run_rpcnet({"client", "--certs", RPCNET_CERT_DIR, "--director", "127.0.0.1:" + port,
                          "--duration", "1", "--call-timeout-ms", "300"});
  auto status = proc->wait_exit(20s);
  REQUIRE(status.has_value());
  CHECK(*status == 4);
  CHECK(wait_for_text(*proc, "no task completed and no token received", 1s));
}
