// Streaming calls end to end over QUIC: the three patterns of the
// Rust RpcNet's telemetry walkthrough (bidirectional chat, server-streamed
// rolling averages, a client-streamed upload), many streams interleaved on
// one connection, errors and cancellation from either side, and
// backpressure: a server streaming to a client that does not read stalls.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <rpcnet/rpcnet.hpp>

#include "acknowledging_chat.hpp"
#include "stream_fixture.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// A server with "chat" and a client connected to it.
struct streaming_pair : test::stream_fixture {
  explicit streaming_pair(test::transport_kind kind = test::transport_kind::quic)
    : stream_fixture(
      [](rpc_server& server) { server.register_streaming("chat", test::acknowledging_chat); },
      kind) {
  }
};

/// Reads every remaining message of `stream` (bounded by the call timeout).
std::vector<std::string> drain(client_stream& stream) {
  std::vector<std::string> result;
  for (;;) {
    auto msg = stream.next();
    REQUIRE(msg);
    if (!*msg)
      return result;
    result.emplace_back(as_string_view(**msg));
  }
}

} // namespace

TEST_CASE("chat: each message is acknowledged while the upload is still open", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  auto chat = p.client->call_streaming("chat");
  REQUIRE(chat);
  // Upload and download are independent: read each answer before sending on.
  for (std::string body : {"hello", "world", "!"}) {
    REQUIRE_FALSE(chat->send(to_bytes(body)));
    auto reply = chat->next();
    REQUIRE(reply);
    REQUIRE(*reply);
    CHECK(as_string_view(**reply) == "ack: " + body);
  }
  REQUIRE_FALSE(chat->finish());
  CHECK(drain(*chat).empty());
}

TEST_CASE("subscribe_metrics: a server stream of five rolling averages", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  p.server.register_streaming("subscribe_metrics",
                              [](stream_reader& in, stream_writer& out) -> caf::error {
                                auto req = in.next();
                                if (!req || !*req)
                                  return make_error(error::protocol, "no subscription");
                                double sum = 0;
                                for (int i = 1; i <= 5; ++i) {
                                  sum += i * 10;
                                  auto avg = std::to_string(static_cast<int>(sum / i));
                                  if (auto err = out.write(to_bytes("avg=" + avg)))
                                    return err;
                                }
                                return {};
                              });
  auto stream = p.client->call_server_streaming("subscribe_metrics", to_bytes("cpu"));
  REQUIRE(stream);
  CHECK(drain(*stream) == std::vector<std::string>{"avg=10", "avg=15", "avg=20", "avg=25",
                                                   "avg=30"});
}

TEST_CASE("upload_batch: a client stream answered with how many readings were accepted",
          "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  p.server.register_streaming("upload_batch",
                              [](stream_reader& in, stream_writer& out) -> caf::error {
                                size_t accepted = 0;
                                for (;;) {
                                  auto msg = in.next();
                                  if (!msg)
                                    return std::move(msg.error());
                                  if (!*msg)
                                    break;
                                  if (!(*msg)->empty())
                                    ++accepted;
                                }
                                return out.write(to_bytes(std::to_string(accepted)));
                              });
  std::vector<byte_buffer> readings;
  for (int i = 0; i < 250; ++i)
    readings.push_back(i % 50 == 0 ? byte_buffer{} : to_bytes("reading " + std::to_string(i)));
  auto reply = p.client->call_client_streaming("upload_batch", readings);
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "245");
}

TEST_CASE("100 streams interleaved on one connection each get exactly their own messages",
          "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  std::vector<client_stream> streams;
  for (int i = 0; i < 100; ++i) {
    auto s = p.client->call_streaming("chat");
    REQUIRE(s);
    streams.push_back(std::move(*s));
  }
  for (int round = 0; round < 3; ++round)
    for (size_t i = 0; i < streams.size(); ++i)
      REQUIRE_FALSE(streams[i].send(to_bytes(std::to_string(i) + "/" + std::to_string(round))));
  for (size_t i = 0; i < streams.size(); ++i) {
    REQUIRE_FALSE(streams[i].finish());
    auto got = drain(streams[i]);
    auto id = std::to_string(i);
    CHECK(got == std::vector<std::string>{"ack: " + id + "/0", "ack: " + id + "/1",
                                          "ack: " + id + "/2"});
  }
}

TEST_CASE("a handler error mid-stream reaches the client after the messages before it",
          "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  p.server.register_streaming("flaky", [](stream_reader&, stream_writer& out) -> caf::error {
    if (auto err = out.write(to_bytes("one")))
      return err;
    return make_error(error::remote, "sensor offline");
  });
  auto stream = p.client->call_server_streaming("flaky", to_bytes("go"));
  REQUIRE(stream);
  auto first = stream->next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK(as_string_view(**first) == "one");
  auto second = stream->next();
  REQUIRE_FALSE(second);
  CHECK(code_of(second.error()) == error::remote);
  CHECK(message_of(second.error()) == "sensor offline");
}

TEST_CASE("a client that cancels makes the server's handler see cancelled", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  std::atomic<int> outcome{0}; // 1: the input ended with cancelled, 2: otherwise
  std::atomic<bool> started{false};
  p.server.register_streaming("endless", [&](stream_reader& in, stream_writer&) -> caf::error {
    for (;;) {
      auto msg = in.next();
      started = true;
      if (!msg || !*msg) {
        outcome = !msg && code_of(msg.error()) == error::cancelled ? 1 : 2;
        return {};
      }
    }
  });
  auto stream = p.client->call_streaming("endless");
  REQUIRE(stream);
  REQUIRE_FALSE(stream->send(to_bytes("first")));
  // Cancel once the call is under way: a call cancelled before its stream
  // opened never reaches the server at all.
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!started && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  REQUIRE(started);
  stream->cancel();
  auto after = stream->next();
  REQUIRE_FALSE(after);
  CHECK(code_of(after.error()) == error::cancelled);
  // The reset reaches the waiting handler promptly.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (outcome == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(outcome == 1);
}

TEST_CASE("an unknown streaming method fails with unknown_method", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  auto stream = p.client->call_server_streaming("nope", to_bytes("x"));
  REQUIRE(stream);
  auto reply = stream->next();
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::unknown_method);
}

TEST_CASE("a server streaming to a client that does not read stalls at about one window",
          "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  std::atomic<size_t> written{0};
  std::atomic<bool> stop{false};
  p.server.register_streaming("firehose", [&](stream_reader&, stream_writer& out) -> caf::error {
    byte_buffer chunk(16 * 1024, uint8_t{9});
    while (!stop) {
      if (auto err = out.write(chunk))
        return err;
      ++written;
    }
    return {};
  });
  auto stream = p.client->call_server_streaming("firehose", to_bytes("go"));
  REQUIRE(stream);
  // Wait until the writer stops making progress (bounded).
  size_t last = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    last = written;
    std::this_thread::sleep_for(200ms);
  } while (written != last && std::chrono::steady_clock::now() < deadline);
  auto window = transport_config{}.stream_window;
  auto held = written.load() * 16 * 1024;
  INFO("the server wrote " << held << " bytes before stalling");
  // Our window at the client plus the server's own send window.
  CHECK(held <= 2 * window + 2 * 16 * 1024);
  // Reading lets it go on.
  for (int i = 0; i < 200; ++i)
    REQUIRE(stream->next());
  CHECK(written > last);
  stop = true;
  stream->cancel();
}

TEST_CASE("a handler that gives up with cancelled makes the client see cancelled", "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  p.server.register_streaming("quitter", [](stream_reader&, stream_writer& out) -> caf::error {
    if (auto err = out.write(to_bytes("partial")))
      return err;
    return make_error(error::cancelled, "the sensor was unplugged");
  });
  auto stream = p.client->call_server_streaming("quitter", to_bytes("go"));
  REQUIRE(stream);
  auto first = stream->next();
  REQUIRE(first);
  REQUIRE(*first);
  auto end = stream->next();
  REQUIRE_FALSE(end);
  CHECK(code_of(end.error()) == error::cancelled);
  CHECK(message_of(end.error()) == "the sensor was unplugged");
}

TEST_CASE("a server that goes away mid-stream fails the client's stream with connection "
          "promptly",
          "[stream]") {
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  std::atomic<bool> started{false};
  p.server.register_streaming("hang", [&](stream_reader& in, stream_writer&) -> caf::error {
    for (;;) { // takes "hello", then waits until the connection goes
      auto msg = in.next();
      started = true;
      if (!msg)
        return std::move(msg.error());
      if (!*msg)
        return {};
    }
  });
  auto stream = p.client->call_streaming("hang");
  REQUIRE(stream);
  REQUIRE_FALSE(stream->send(to_bytes("hello")));
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!started && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(1ms);
  REQUIRE(started);
  auto t0 = std::chrono::steady_clock::now();
  p.server.stop(0ms);
  auto next = stream->next();
  auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(next);
  CHECK(code_of(next.error()) == error::connection);
  CHECK(waited < 2s);
}

TEST_CASE("a client that drops its stream early never leaves the server's handler stuck",
          "[stream]") {
  // The client's stream is cancelled when dropped. The handler must learn
  // that its writes go nowhere: at the latest when its wait for room times
  // out (the call timeout, 5 s here), never later.
  auto kind = GENERATE(test::transport_kind::quic, test::transport_kind::in_process);
  CAPTURE(kind);
  streaming_pair p{kind};
  std::atomic<int> outcome{0}; // the error code that ended the handler's writes
  p.server.register_streaming("ticker", [&](stream_reader&, stream_writer& out) -> caf::error {
    for (;;) {
      if (auto err = out.write(byte_buffer(1024, uint8_t{1}))) {
        outcome = static_cast<int>(code_of(err));
        return err;
      }
    }
  });
  {
    auto stream = p.client->call_server_streaming("ticker", to_bytes("go"));
    REQUIRE(stream);
    auto first = stream->next();
    REQUIRE(first);
    REQUIRE(*first);
  } // dropped after one message
  auto deadline = std::chrono::steady_clock::now() + 8s;
  while (outcome == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK((outcome == static_cast<int>(error::cancelled)
         || outcome == static_cast<int>(error::timeout)));
  // The outcome is recorded inside the handler, just before it returns; the
  // call leaves the in-flight count only after that, so wait for it too.
  while (p.server.in_flight() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(p.server.in_flight() == 0);
}
