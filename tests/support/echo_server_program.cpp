// rpcnet-echo-server: the transport tests' echo server in a process of its
// own, for tests whose hostile input could take the whole process down (a
// failed assertion inside libngtcp2 aborts it) and must prove it did not.
// It prints "ready <address>", then answers lines on stdin:
//
//   stats  ->  stats <counter>=<value> ...   every transport_stats counter
//   memory ->  memory <KiB> <KiB>            its resident memory now and at
//                                            its peak (VmRSS, VmHWM)
//   quit   ->  exits with 0, as end of file does
//
// Flags: --certs dir, --bind host:port (default 127.0.0.1:0),
// --handshake-timeout-ms N, --request-read-timeout-ms N,
// --max-connection-buffered-bytes N, --max-endpoint-buffered-bytes N,
// --retry-threshold N, --max-half-open N, --max-new-per-source N.
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>

#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/error.hpp>

using namespace rpcnet;

namespace {

/// Every counter by the name the tests ask for.
constexpr std::pair<const char*, uint64_t transport_stats::*> counters[] = {
  {"datagrams_received", &transport_stats::datagrams_received},
  {"datagrams_sent", &transport_stats::datagrams_sent},
  {"datagrams_dropped", &transport_stats::datagrams_dropped},
  {"foreign_datagrams", &transport_stats::foreign_datagrams},
  {"version_negotiations_sent", &transport_stats::version_negotiations_sent},
  {"connections_accepted", &transport_stats::connections_accepted},
  {"connections_refused", &transport_stats::connections_refused},
  {"connections_refused_invalid_token", &transport_stats::connections_refused_invalid_token},
  {"connections_refused_half_open", &transport_stats::connections_refused_half_open},
  {"connections_refused_source_rate", &transport_stats::connections_refused_source_rate},
  {"retries_sent", &transport_stats::retries_sent},
  {"connections_validated_by_retry", &transport_stats::connections_validated_by_retry},
  {"connections_validated_by_new_token", &transport_stats::connections_validated_by_new_token},
  {"new_tokens_sent", &transport_stats::new_tokens_sent},
  {"half_open_connections", &transport_stats::half_open_connections},
  {"bytes_received", &transport_stats::bytes_received},
  {"bytes_sent", &transport_stats::bytes_sent},
  {"handshakes_failed", &transport_stats::handshakes_failed},
  {"stream_protocol_errors", &transport_stats::stream_protocol_errors},
  {"connections_open", &transport_stats::connections_open},
  {"connections_over_buffer_limit", &transport_stats::connections_over_buffer_limit},
  {"streams_over_budget", &transport_stats::streams_over_budget},
  {"requests_timed_out", &transport_stats::requests_timed_out},
  {"buffered_bytes", &transport_stats::buffered_bytes},
  {"buffered_bytes_peak", &transport_stats::buffered_bytes_peak},
  {"connection_buffered_peak", &transport_stats::connection_buffered_peak},
  {"peers_unreachable", &transport_stats::peers_unreachable},
};

std::string stats_line(const transport_stats& stats) {
  std::string line = "stats";
  for (auto [name, member] : counters)
    line += " " + std::string{name} + "=" + std::to_string(stats.*member);
  return line;
}

/// VmRSS and VmHWM (the peak) of this process in KiB, from /proc.
std::string memory_line() {
  std::ifstream status{"/proc/self/status"};
  std::string key;
  std::string rss = "0";
  std::string peak = "0";
  while (status >> key) {
    if (key == "VmRSS:")
      status >> rss;
    else if (key == "VmHWM:")
      status >> peak;
    status.ignore(1024, '\n');
  }
  return "memory " + rss + " " + peak;
}

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "rpcnet-echo-server: " << why << "\n";
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags{{"--certs", "certs"}, {"--bind", "127.0.0.1:0"}};
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc)
      usage(std::string{argv[i]} + " needs a value");
    flags[argv[i]] = argv[i + 1];
  }
  auto certs = flags["--certs"];
  auto cfg = rpc_config{certs + "/test_cert.pem", flags["--bind"]}
               .with_key_path(certs + "/test_key.pem");
  // Every other flag takes a number: a size or a duration in milliseconds.
  for (auto& [flag, value] : flags) {
    if (flag == "--certs" || flag == "--bind")
      continue;
    uint64_t number = std::stoull(value);
    std::chrono::milliseconds ms{number};
    if (flag == "--handshake-timeout-ms")
      cfg.handshake_timeout = ms;
    else if (flag == "--request-read-timeout-ms")
      cfg.request_read_timeout = ms;
    else if (flag == "--max-connection-buffered-bytes")
      cfg.max_connection_buffered_bytes = number;
    else if (flag == "--max-endpoint-buffered-bytes")
      cfg.max_endpoint_buffered_bytes = number;
    else if (flag == "--retry-threshold")
      cfg.admission.retry_threshold = number;
    else if (flag == "--max-half-open")
      cfg.admission.max_half_open = number;
    else if (flag == "--max-new-per-source")
      cfg.admission.max_new_per_source_per_second = static_cast<uint32_t>(number);
    else
      usage("unknown flag " + flag);
  }
  runtime rt;
  rpc_server server{rt.system(), cfg};
  server.register_unary("echo", [](byte_buffer request) {
    return caf::expected<byte_buffer>{std::move(request)};
  });
  auto addr = server.bind();
  if (!addr)
    usage(describe(addr.error()));
  if (auto err = server.start())
    usage(describe(err));
  std::cout << "ready " << addr->to_string() << std::endl;
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") {
    if (line == "stats")
      std::cout << stats_line(server.transport()) << std::endl;
    else if (line == "memory")
      std::cout << memory_line() << std::endl;
    else
      std::cout << "error unknown command '" << line << "'" << std::endl;
  }
  server.stop(std::chrono::seconds{1});
  return 0;
}
