// Tests the `rpcnet` command line as a user meets it: --help on every
// subcommand, one line of error and a non-zero exit for a bad address, a
// port in use or missing certificates, and settings taken from the
// reference's environment variables unless a flag says otherwise.
#include <catch2/catch.hpp>

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

std::vector<std::string> worker_args(const std::string& addr) {
  return {"worker", "--addr", addr, "--certs", RPCNET_CERT_DIR, "--join-timeout-ms", "200"};
}

} // namespace

TEST_CASE("every subcommand explains itself with --help", "[cli]") {
  for (auto cmd : {"director", "worker", "client", "members", "demo"}) {
    auto proc = run_rpcnet({cmd, "--help"});
    CHECK(proc->wait_exit(10s) == 0);
    CHECK(wait_for_text(*proc, "Usage:", 1s));
  }
  auto worker = run_rpcnet({"worker", "--help"});
  REQUIRE(worker->wait_exit(10s) == 0);
  for (auto env : {"WORKER_ADDR", "DIRECTOR_ADDR", "WORKER_LABEL", "WORKER_FAILURE_ENABLED",
                   "RPCNET_LOG"})
    CHECK(wait_for_text(*worker, env, 1s));
}

TEST_CASE("an address that does not parse is one line of error", "[cli]") {
  CHECK(single_error_line({"worker", "--addr", "localhost:1"})
        == "rpcnet: error: invalid --addr / WORKER_ADDR value 'localhost:1': expected a numeric "
           "host:port such as 127.0.0.1:61000");
  CHECK(starts_with(single_error_line({"client"}, {"DIRECTOR_ADDR=nowhere"}),
                    "rpcnet: error: invalid --director / DIRECTOR_ADDR value 'nowhere'"));
  CHECK(starts_with(single_error_line({"members", "--node", "1.2.3"}),
                    "rpcnet: error: invalid --node value '1.2.3'"));
}

TEST_CASE("a port in use is one line of error", "[cli]") {
  test_cluster cluster;
  cluster.start_director();
  auto line = single_error_line({"director", "--addr", cluster.director_addr(), "--certs",
                                 RPCNET_CERT_DIR});
  CHECK(starts_with(line, "rpcnet: error: cannot bind " + cluster.director_addr()));
}

TEST_CASE("missing certificates are one line of error", "[cli]") {
  for (auto cmd : {"director", "worker", "client"})
    CHECK(single_error_line({cmd, "--certs", "/nonexistent"})
          == "rpcnet: error: certificate file /nonexistent/test_cert.pem not found or not "
             "readable (--certs / RPCNET_CERTS)");
  CHECK(starts_with(single_error_line({"worker"}, {"RPCNET_CERTS=/nonexistent"}),
                    "rpcnet: error: certificate file /nonexistent/"));
}

TEST_CASE("a worker takes the reference's defaults and environment variables", "[cli]") {
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
     "WORKER_FAILURE_ENABLED=true"});
  REQUIRE(wait_for_text(*from_env, "starting worker 'worker-env' at " + addr, 10s));
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
                                "WORKER_FAILURE_ENABLED=true", "RPCNET_LOG=error"});
  REQUIRE(wait_for_text(*proc, "starting worker 'worker-flag' at " + addr, 10s));
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
