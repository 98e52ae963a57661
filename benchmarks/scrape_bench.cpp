// rpcnet-bench scrape: what an operator's scrape of a big cluster costs.
// In this process a director (a cluster node with an admin address and a
// worker registry) and N-1 more members tagged role=worker on loopback,
// each with a UDP endpoint of its own; once the director sees all N alive,
// K scrapes each of /metrics and /api/cluster over HTTP, timed from the
// request's first byte to the response's last. The report gives the
// median and the slowest scrape, and the page sizes.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <rpcnet/cluster/cluster_node.hpp>
#include <rpcnet/membership/cluster_membership.hpp>

#include "bench_common.hpp"

namespace rpcnet::bench {

namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct scrape_sample {
  double ms = 0;
  size_t bytes = 0;
};

/// One GET of `target` on a fresh connection, as Prometheus makes it.
scrape_sample scrape(const socket_address& admin, const std::string& target) {
  boost::asio::io_context io;
  boost::beast::tcp_stream stream{io};
  tcp::resolver resolver{io};
  auto host = admin.to_string();
  auto colon = host.rfind(':');
  auto start = bench_clock::now();
  stream.connect(resolver.resolve(host.substr(0, colon), host.substr(colon + 1)));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  scrape_sample out;
  out.ms = std::chrono::duration<double, std::milli>(bench_clock::now() - start).count();
  if (res.result() != http::status::ok)
    throw bench_error(target + " answered " + std::to_string(res.result_int()));
  out.bytes = res.body().size();
  return out;
}

struct scrape_summary {
  double p50_ms = 0;
  double max_ms = 0;
  size_t bytes = 0;
};

scrape_summary summarize(std::vector<scrape_sample> samples) {
  std::sort(samples.begin(), samples.end(),
            [](const auto& a, const auto& b) { return a.ms < b.ms; });
  return {samples[samples.size() / 2].ms, samples.back().ms, samples.back().bytes};
}

/// Gossip fast enough that a hundred members meet in seconds.
cluster_config bench_cluster(std::string role) {
  return cluster_config{}
    .with_tag("role", std::move(role))
    .with_gossip_interval(std::chrono::milliseconds{200})
    .with_probe_timeout(std::chrono::milliseconds{100})
    .with_join_timeout(std::chrono::seconds{10});
}

} // namespace

int run_scrape(const scrape_options& opt) {
  runtime rt;
  auto server_cfg = rpc_config{opt.certs + "/test_cert.pem", "127.0.0.1:0"}.with_key_path(
    opt.certs + "/test_key.pem");
  auto director = cluster_node::open(rt.system(), server_cfg, bench_cluster("director"),
                                     admin_config{.address = "127.0.0.1:0"});
  if (!director)
    throw bench_error("cannot open the director: " + describe(director.error()));
  auto& node = **director;
  if (auto err = node.start())
    throw bench_error("cannot start the director: " + describe(err));
  auto registry = spawn_worker_registry(rt.system(), node.cluster().actor(),
                                        worker_registry_config{}.with_metrics(node.metrics()));
  if (!registry)
    throw bench_error("cannot spawn the registry: " + describe(registry.error()));
  node.show_workers(*registry);
  auto seed = node.local_address().to_string();
  std::vector<cluster_membership> members;
  members.reserve(opt.members - 1);
  for (size_t i = 1; i < opt.members; ++i) {
    auto member = cluster_membership::start(
      rt.system(), bench_cluster("worker").with_tag("label", "worker-" + std::to_string(i)));
    if (!member)
      throw bench_error("cannot start member " + std::to_string(i) + ": "
                        + describe(member.error()));
    if (auto err = member->join({seed}))
      throw bench_error("member " + std::to_string(i) + " cannot join: " + describe(err));
    members.push_back(std::move(*member));
  }
  auto all_alive = [&] {
    auto seen = node.cluster().members();
    return static_cast<size_t>(std::count_if(seen.begin(), seen.end(), [](const member& m) {
             return m.state == member_state::alive;
           }))
           >= opt.members;
  };
  auto deadline = bench_clock::now() + std::chrono::seconds{60};
  while (!all_alive()) {
    if (bench_clock::now() > deadline)
      throw bench_error("the director did not see " + std::to_string(opt.members)
                        + " alive members within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  auto admin = *node.admin_address();
  std::vector<scrape_sample> metrics;
  std::vector<scrape_sample> cluster;
  for (size_t i = 0; i < opt.scrapes; ++i) {
    metrics.push_back(scrape(admin, "/metrics"));
    cluster.push_back(scrape(admin, "/api/cluster"));
  }
  auto m = summarize(metrics);
  auto c = summarize(cluster);
  if (opt.json)
    std::cout << "{\"members\":" << opt.members << ",\"scrapes\":" << opt.scrapes
              << ",\"metrics_p50_ms\":" << m.p50_ms << ",\"metrics_max_ms\":" << m.max_ms
              << ",\"metrics_bytes\":" << m.bytes << ",\"cluster_json_p50_ms\":" << c.p50_ms
              << ",\"cluster_json_max_ms\":" << c.max_ms << ",\"cluster_json_bytes\":" << c.bytes
              << "}\n";
  else
    std::cout << opt.members << " members, " << opt.scrapes << " scrapes each\n"
              << "/metrics:     p50 " << m.p50_ms << " ms, max " << m.max_ms << " ms, "
              << m.bytes << " bytes\n"
              << "/api/cluster: p50 " << c.p50_ms << " ms, max " << c.max_ms << " ms, "
              << c.bytes << " bytes\n";
  for (auto& member : members)
    member.stop();
  node.shutdown(std::chrono::milliseconds{0});
  return 0;
}

} // namespace rpcnet::bench
