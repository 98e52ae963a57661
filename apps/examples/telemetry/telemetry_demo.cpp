// The telemetry walkthrough end to end: starts the telemetry server and a
// client in one process (each with its own UDP socket and transport thread)
// and drives chat, subscribe_metrics and upload_batch over QUIC, printing
// what the Rust RpcNet's client prints.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "telemetry_service.hpp"

namespace {

int fail(const caf::error& err) {
  std::cerr << "error: " << rpcnet::describe(err) << '\n';
  return EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"rpcnet telemetry demo: bidirectional, server and client streaming over QUIC"};
  std::string certs = "certs";
  int interval_ms = 100;
  app.add_option("--certs", certs, "directory with test_cert.pem, test_key.pem and ca.pem");
  app.add_option("--interval-ms", interval_ms, "pause between rolling averages")
    ->check(CLI::Range(0, 10'000));
  CLI11_PARSE(app, argc, argv);

  rpcnet::runtime rt;
  rpcnet::rpc_server server{rt.system(), rpcnet::rpc_config{certs + "/test_cert.pem", "127.0.0.1:0"}
                                           .with_key_path(certs + "/test_key.pem")};
  telemetry::register_methods(server, std::chrono::milliseconds{interval_ms});
  if (auto err = server.start())
    return fail(err);
  std::cout << "Telemetry server listening on " << server.local_address()->to_string() << '\n';
  auto client = rpcnet::rpc_client::connect(rt.system(), server.local_address()->to_string(),
                                            rpcnet::rpc_config{certs + "/test_cert.pem",
                                                               "127.0.0.1:0"}
                                              .with_ca_path(certs + "/ca.pem"));
  if (!client)
    return fail(client.error());

  std::cout << "\n--- Bidirectional chat ---\n";
  auto chat = client->call_streaming("chat");
  if (!chat)
    return fail(chat.error());
  for (const char* body : {"ping", "status?"})
    if (auto err = chat->send(rpcnet::encode(telemetry::chat_message{"operator", body})))
      return fail(err);
  if (auto err = chat->finish())
    return fail(err);
  for (;;) {
    auto frame = chat->next();
    if (!frame)
      return fail(frame.error());
    if (!*frame)
      break;
    auto reply = rpcnet::decode<telemetry::chat_message>(**frame);
    if (!reply)
      return fail(reply.error());
    std::cout << "reply: " << reply->body << '\n';
  }

  std::cout << "\n--- Server streaming ---\n";
  auto updates = client->call_server_streaming(
    "subscribe_metrics", rpcnet::encode(telemetry::metric_reading{"temp", 21.0}));
  if (!updates)
    return fail(updates.error());
  for (;;) {
    auto frame = updates->next();
    if (!frame)
      return fail(frame.error());
    if (!*frame)
      break;
    auto update = rpcnet::decode<telemetry::live_update>(**frame);
    if (!update)
      return fail(update.error());
    std::printf("rolling avg: %.2f\n", update->rolling_avg);
    std::fflush(stdout);
  }

  std::cout << "\n--- Client streaming ---\n";
  std::vector<rpcnet::byte_buffer> readings;
  for (double v : {21.0, 21.5, 22.0})
    readings.push_back(rpcnet::encode(telemetry::metric_reading{"temp", v}));
  auto ack_frame = client->call_client_streaming("upload_batch", readings);
  if (!ack_frame)
    return fail(ack_frame.error());
  auto ack = rpcnet::decode<telemetry::ack>(*ack_frame);
  if (!ack)
    return fail(ack.error());
  std::cout << "server accepted " << ack->accepted << " readings\n";
  client->close();
  server.stop();
  return EXIT_SUCCESS;
}
