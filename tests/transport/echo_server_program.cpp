// rpcnet-echo-server: the transport tests' echo server in a process of its
// own, for tests whose hostile input could take the whole process down (a
// failed assertion inside libngtcp2 aborts it) and must prove it did not.
// It prints "ready <address>", then answers lines on stdin:
//
//   stats  ->  stats <counter>=<value> ...   every transport_stats counter
//   rss    ->  rss <KiB>                     its resident memory (VmRSS)
//   quit   ->  exits with 0, as end of file does
//
// Flags: --certs dir, --handshake-timeout-ms N.
#include <fstream>
#include <iostream>
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
  {"handshakes_failed", &transport_stats::handshakes_failed},
  {"stream_protocol_errors", &transport_stats::stream_protocol_errors},
  {"connections_open", &transport_stats::connections_open},
  {"connections_over_buffer_limit", &transport_stats::connections_over_buffer_limit},
  {"peers_unreachable", &transport_stats::peers_unreachable},
};

std::string stats_line(const transport_stats& stats) {
  std::string line = "stats";
  for (auto [name, member] : counters)
    line += " " + std::string{name} + "=" + std::to_string(stats.*member);
  return line;
}

std::string resident_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string key;
  std::string value;
  while (status >> key) {
    if (key == "VmRSS:" && status >> value)
      return value;
    status.ignore(1024, '\n');
  }
  return "0";
}

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "rpcnet-echo-server: " << why << "\n";
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  std::string certs = "certs";
  std::chrono::milliseconds handshake_timeout = transport_config{}.handshake_timeout;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      usage(flag + " needs a value");
    std::string value = argv[i + 1];
    if (flag == "--certs")
      certs = value;
    else if (flag == "--handshake-timeout-ms")
      handshake_timeout = std::chrono::milliseconds{std::stoll(value)};
    else
      usage("unknown flag " + flag);
  }
  runtime rt;
  rpc_server server{rt.system(), rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                                   .with_key_path(certs + "/test_key.pem")
                                   .with_handshake_timeout(handshake_timeout)};
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
    else if (line == "rss")
      std::cout << "rss " << resident_kib() << std::endl;
    else
      std::cout << "error unknown command '" << line << "'" << std::endl;
  }
  server.stop(std::chrono::seconds{1});
  return 0;
}
