// The admin addresses of a director and two workers scraped by a real
// Prometheus server (the Debian package's), as an operator would deploy it:
// what Prometheus stores and answers on its HTTP API is what the nodes
// export, in a format it accepts, and cluster_healthy_workers follows a
// worker killed with kill -9.
#include <catch2/catch.hpp>

#include <signal.h>

#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "eventually.hpp"
#include "http_get.hpp"
#include "rpcnet_processes.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string prometheus_program = "/usr/bin/prometheus";

/// The port of a node's admin address, started on port 0.
uint16_t admin_port(child_process& node) {
  return logged_port(node, "admin HTTP at http://127.0.0.1:");
}

/// A Prometheus server of the test's own: its config and its database in a
/// temporary directory, its API on a loopback port the kernel chose,
/// scraping `targets` every second. Killed with the test however it ends
/// (child_process).
class prometheus_server {
public:
  explicit prometheus_server(const std::vector<std::string>& targets) {
    std::string list;
    for (const auto& target : targets)
      list += (list.empty() ? "'" : ", '") + target + "'";
    auto config = dir_.write("prometheus.yml", "global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  scrape_timeout: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: rpcnet\n"
                                               "    static_configs:\n"
                                               "      - targets: ["
                                                 + list + "]\n");
    // Its log (stderr) is read back for the port it got.
    process_ = std::make_unique<child_process>(
      "/bin/sh", std::vector<std::string>{"-c", "exec \"$0\" \"$@\" 2>&1", prometheus_program,
                                          "--config.file=" + config,
                                          "--storage.tsdb.path=" + dir_.file("data"),
                                          "--web.listen-address=127.0.0.1:0"});
    port_ = logged_port(*process_, "msg=\"Listening on\" address=127.0.0.1:", 30s);
  }

  uint16_t port() const noexcept {
    return port_;
  }

  /// True once the server answers /-/ready with 200 (its database open).
  bool ready() {
    auto res = http_get(port_, "/-/ready", 2s);
    return res && res->status == 200;
  }

  /// The value of each series an instant query returns, by its instance
  /// label; empty when the query fails or finds nothing (yet).
  std::map<std::string, double> query(const std::string& promql) {
    std::map<std::string, double> values;
    auto res = http_get(port_, "/api/v1/query?query=" + promql, 2s);
    if (!res || res->status != 200)
      return values;
    auto reply = nlohmann::json::parse(res->body, nullptr, false);
    if (reply.is_discarded() || reply.value("status", "") != "success")
      return values;
    for (const auto& series : reply["data"]["result"])
      values[series["metric"].value("instance", "")]
        = std::stod(series["value"][1].get<std::string>());
    return values;
  }

  /// Stops the server as an operator would; its exit code.
  std::optional<int> stop() {
    process_->kill(SIGTERM);
    return process_->wait_exit(20s);
  }

private:
  temp_dir dir_;
  std::unique_ptr<child_process> process_;
  uint16_t port_ = 0;
};

/// Calls `ask` at most every `period` and repeats its last answer in
/// between: eventually() polls every millisecond, and Prometheus's answers
/// change once a scrape, so asking it a thousand times a second would only
/// load the two cores the nodes under test run on.
template <class Ask>
auto at_most_every(std::chrono::milliseconds period, Ask ask) {
  return [period, ask, last = std::optional<decltype(ask())>{},
          asked = clock_type::time_point{}]() mutable {
    if (!last || clock_type::now() - asked >= period) {
      last = ask();
      asked = clock_type::now();
    }
    return *last;
  };
}

/// Waits up to `limit` until Prometheus answers `value` for `promql` at
/// `instance`.
bool eventually_value(prometheus_server& prometheus, const std::string& promql,
                      const std::string& instance, double value,
                      std::chrono::milliseconds limit) {
  return eventually(at_most_every(100ms,
                                  [&] {
                                    auto values = prometheus.query(promql);
                                    auto it = values.find(instance);
                                    return it != values.end() && it->second == value;
                                  }),
                    limit);
}

} // namespace

TEST_CASE("prometheus scrapes the director and two workers and cluster_healthy_workers drops "
          "from 2 to 1 after kill -9 of a worker",
          "[operator]") {
  test_cluster cluster;
  auto director_admin
    = loopback(admin_port(cluster.start_director({"--metrics-address", "127.0.0.1:0"})));
  std::map<std::string, std::string> worker_admin;
  for (std::string label : {"worker-a", "worker-b"}) {
    worker_admin[label]
      = loopback(admin_port(cluster.start_worker(label, {"--metrics-address", "127.0.0.1:0"})));
    INFO("the director did not see " << label << " join");
    REQUIRE(wait_for_text(cluster.director(), "cluster event joined: " + label + " ", 10s));
  }

  prometheus_server prometheus{{director_admin, worker_admin["worker-a"], worker_admin["worker-b"]}};
  {
    INFO("Prometheus at 127.0.0.1:" << prometheus.port() << " did not become ready in 30 s");
    REQUIRE(eventually(at_most_every(100ms, [&] { return prometheus.ready(); }), 30s));
  }
  auto start = clock_type::now();
  {
    INFO("up is not 1 for the director and both workers after 30 s");
    REQUIRE(eventually(at_most_every(100ms,
                                     [&] {
                                       auto up = prometheus.query("up");
                                       return up.size() == 3 && up[director_admin] == 1
                                              && up[worker_admin["worker-a"]] == 1
                                              && up[worker_admin["worker-b"]] == 1;
                                     }),
                       30s));
  }
  {
    INFO("Prometheus did not find cluster_healthy_workers = 2 at the director in 30 s");
    REQUIRE(eventually_value(prometheus, "cluster_healthy_workers", director_admin, 2, 30s));
  }
  std::cout << "prometheus: all three up and 2 healthy workers after " << elapsed_ms(start)
            << " ms\n";

  cluster.worker("worker-a").kill(SIGKILL);
  start = clock_type::now();
  {
    INFO("Prometheus did not find cluster_healthy_workers = 1 within 20 s of the kill");
    REQUIRE(eventually_value(prometheus, "cluster_healthy_workers", director_admin, 1, 20s));
  }
  std::cout << "prometheus: cluster_healthy_workers = 1 " << elapsed_ms(start)
            << " ms after kill -9\n";
  // The killed worker's target is down, the others still scraped.
  CHECK(eventually_value(prometheus, "up", worker_admin["worker-a"], 0, 10s));
  CHECK(prometheus.query("up")[worker_admin["worker-b"]] == 1);
  CHECK(prometheus.stop() == 0);
}
