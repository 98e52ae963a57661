// The pieces of rpcnet-grpc-bench every workload uses: finding and checking
// the certificates, starting the server process and connecting to it, and
// the TLS server that process runs (see grpc_bench.hpp).

#include "grpc_bench.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace rpcnet::grpc_bench {

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw error("cannot read " + std::string(what) + " file '" + path + "'");
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

clock_type::duration seconds(double s) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

std::shared_ptr<grpc::Channel> connect(int port, const std::string& ca_pem) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  grpc::ChannelArguments args;
  // The certificate names localhost; connecting by address keeps name
  // resolution out of the picture while the override still verifies it.
  args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, "localhost");
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                           grpc::SslCredentials(ssl), args);
  if (!channel->WaitForConnected(grpc_deadline_after(server_start_timeout))) {
    throw error("cannot connect to the gRPC server on 127.0.0.1:" + std::to_string(port));
  }
  return channel;
}

}  // namespace

measurement_window measurement_window::starting_now(const client_options& options) {
  auto const measure_begin = clock_type::now() + seconds(options.warmup_s);
  return {measure_begin, measure_begin + seconds(options.duration_s)};
}

gpr_timespec grpc_deadline_after(std::chrono::milliseconds delay) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(static_cast<std::int64_t>(delay.count()), GPR_TIMESPAN));
}

void run_with_server(client_options& options, const std::string& rpcs, const client_body& client,
                     const std::vector<std::string>& server_args) {
  std::string cert_dir = "certs";
  if (char const* env = std::getenv("RPCNET_CERT_DIR"); env != nullptr && *env != '\0') {
    cert_dir = env;
  }
  if (options.cert_path.empty()) {
    options.cert_path = cert_dir + "/test_cert.pem";
  }
  if (options.key_path.empty()) {
    options.key_path = cert_dir + "/test_key.pem";
  }
  if (options.ca_path.empty()) {
    options.ca_path = cert_dir + "/ca.pem";
  }
  // Checked here so a missing file is reported once, by the parent, instead
  // of as a server that never comes up.
  read_file(options.cert_path, "certificate");
  read_file(options.key_path, "key");
  std::string const ca_pem = read_file(options.ca_path, "CA certificate");

  if (options.cpu) {
    rpcnet::bench::pin_to_cpu(*options.cpu);
  }
  // Forked before this process creates any gRPC state or threads.
  std::vector<std::string> args{program_name, "serve",  "--rpcs", rpcs, "--port", "0",
                                "--cert",     options.cert_path, "--key", options.key_path};
  if (options.cpu) {
    args.insert(args.end(), {"--cpu", std::to_string(*options.cpu)});
  }
  args.insert(args.end(), server_args.begin(), server_args.end());
  rpcnet::bench::server_process server(std::move(args), server_start_timeout);
  {
    // The channel closes its connection before the server is told to stop,
    // so the server never sees a client vanish mid-call.
    auto const channel = connect(server.port(), ca_pem);
    client(channel);
  }
  if (!server.stop()) {
    throw error("server process died during the run");
  }
}

built_server build_server(const server_options& options,
                          const std::function<void(grpc::ServerBuilder&)>& add_service) {
  if (options.cpu) {
    rpcnet::bench::pin_to_cpu(*options.cpu);
  }
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back(
      {read_file(options.key_path, "key"), read_file(options.cert_path, "certificate")});

  grpc::ServerBuilder builder;
  built_server built;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(options.port), grpc::SslServerCredentials(ssl),
                           &built.port);
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  add_service(builder);
  built.server = builder.BuildAndStart();
  if (!built.server || built.port == 0) {
    throw error("cannot listen on 127.0.0.1:" + std::to_string(options.port));
  }
  return built;
}

void announce_port(int port) {
  std::printf("%d\n", port);
  std::fflush(stdout);
}

}  // namespace rpcnet::grpc_bench
