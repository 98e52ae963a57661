// The telemetry service: every streaming pattern rpcnet offers, as in the
// Rust RpcNet's walkthrough -- chat (bidirectional: each message answered
// with "ack: <body>"), subscribe_metrics (server streaming: five rolling
// averages for the requested sensor) and upload_batch (client streaming:
// how many readings were accepted).
#pragma once

#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include <rpcnet/typed/serialization.hpp>
#include <rpcnet/rpcnet.hpp>

#include "telemetry_types.hpp"

namespace telemetry {

/// Reads the next message of `in` as a T: the message, nullopt at the end,
/// or the error that ended the call (a malformed message included).
template <class T>
caf::expected<std::optional<T>> next_as(rpcnet::stream_reader& in) {
  auto frame = in.next();
  if (!frame)
    return std::move(frame.error());
  if (!*frame)
    return std::optional<T>{};
  auto value = rpcnet::decode<T>(**frame);
  if (!value)
    return std::move(value.error());
  return std::optional<T>{std::move(*value)};
}

/// Registers chat, subscribe_metrics and upload_batch on `server`;
/// `update_interval` paces the rolling averages.
inline void register_methods(rpcnet::rpc_server& server,
                             std::chrono::milliseconds update_interval) {
  server.register_streaming("chat", [](rpcnet::stream_reader& in,
                                       rpcnet::stream_writer& out) -> caf::error {
    for (;;) {
      auto msg = next_as<chat_message>(in);
      if (!msg)
        return std::move(msg.error());
      if (!*msg)
        return {};
      if (auto err = out.write(rpcnet::encode(chat_message{"server", "ack: " + (*msg)->body})))
        return err;
    }
  });
  server.register_streaming("subscribe_metrics", [update_interval](rpcnet::stream_reader& in,
                                                                   rpcnet::stream_writer& out)
                                                   -> caf::error {
    auto req = next_as<metric_reading>(in);
    if (!req)
      return std::move(req.error());
    if (!*req)
      return rpcnet::make_error(rpcnet::error::remote, "subscribe_metrics needs a reading");
    std::vector<double> window{(*req)->value};
    for (int step = 1; step <= 5; ++step) {
      std::this_thread::sleep_for(update_interval);
      window.push_back((*req)->value + step);
      auto avg = std::accumulate(window.begin(), window.end(), 0.0)
                 / static_cast<double>(window.size());
      if (auto err = out.write(rpcnet::encode(live_update{(*req)->sensor, avg})))
        return err;
    }
    return {};
  });
  server.register_streaming("upload_batch", [](rpcnet::stream_reader& in,
                                               rpcnet::stream_writer& out) -> caf::error {
    std::vector<metric_reading> readings;
    for (;;) {
      auto reading = next_as<metric_reading>(in);
      if (!reading)
        return std::move(reading.error());
      if (!*reading)
        break;
      readings.push_back(std::move(**reading));
    }
    return out.write(rpcnet::encode(ack{readings.size()}));
  });
}

} // namespace telemetry
