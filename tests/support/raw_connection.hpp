// A QUIC connection to a server driven by the test itself, below the RPC
// layer: its own client endpoint, the test thread's scoped_actor as the
// connection's owner, and hand-made bytes on streams it opens. What a
// hostile (or merely buggy) peer can send, a test can send with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/actor_cast.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include "call_protocol.hpp"
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "test_certs.hpp"

namespace rpcnet::test {

/// Everything the server did to one stream the test opened.
struct stream_outcome {
  /// Complete frames received, in order (the end frame not included).
  std::vector<byte_buffer> frames;
  /// The server ended its direction with the end frame.
  bool finished = false;
  /// The server reset the stream or stopped reading it, with this code.
  bool reset = false;
  uint64_t reset_code = 0;
  /// The server's reply broke the framing (our decoder says how).
  bool framing_error = false;
  /// Our own transport refused the stream to keep one of its limits.
  bool refused = false;
  std::string detail;
  /// Bytes the server acknowledged (manual credit streams only).
  uint64_t acked = 0;

  /// The STATUS frames among `frames`, decoded.
  std::vector<wire::status> statuses() const {
    std::vector<wire::status> result;
    for (auto& f : frames)
      if (auto d = wire::decode(f); d.value)
        if (auto* st = std::get_if<wire::status>(&*d.value))
          result.push_back(*st);
    return result;
  }

  /// The DATA bodies among `frames`.
  std::vector<byte_buffer> bodies() const {
    std::vector<byte_buffer> result;
    for (auto& f : frames)
      if (auto d = wire::decode(f); d.value)
        if (auto* body = std::get_if<byte_buffer>(&*d.value))
          result.push_back(*body);
    return result;
  }
};

class raw_connection {
public:
  /// Connects to `server` (verifying it against the development CA) and
  /// waits up to 5 s for the handshake.
  raw_connection(caf::actor_system& sys, const socket_address& server) : self_(sys) {
    auto ep = endpoint::start(sys, bare_client_config());
    REQUIRE(ep);
    ep_ = std::move(*ep);
    conn_ = ep_->connect(server, "localhost", caf::actor_cast<caf::actor>(self_));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (!ready_ && !closed_ && std::chrono::steady_clock::now() < deadline)
      pump(deadline);
    INFO("raw connection: " << (closed_ ? "closed: " + close_reason_ : "no handshake in 5 s"));
    REQUIRE(ready_);
  }

  ~raw_connection() {
    ep_->shutdown();
  }

  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Opens a stream and writes `bytes` to it; returns the stream's token.
  uint64_t open_stream(byte_buffer bytes, bool fin, bool manual_credit = false) {
    auto token = next_token_++;
    outcomes_[token];
    ep_->submit(open_stream_command{conn_, token, std::move(bytes), fin, manual_credit});
    return token;
  }

  /// Waits until `done(outcome)` holds for stream `token` or `limit` passed.
  template <class Predicate>
  const stream_outcome& await_until(uint64_t token, Predicate done,
                                    std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    auto& out = outcomes_[token];
    while (!done(out) && !closed_ && std::chrono::steady_clock::now() < deadline)
      pump(deadline);
    return out;
  }

  /// Waits until the server ended or reset the stream `token`, or `limit`
  /// passed. A reset may come before the reply's frames (STOP_SENDING and
  /// STREAM frames travel independently), so after a reset it waits a
  /// little longer for them.
  const stream_outcome& await(uint64_t token,
                              std::chrono::milliseconds limit = std::chrono::seconds{5}) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + limit;
    auto& out = outcomes_[token];
    bool reset_grace = false;
    while (!out.finished && !out.framing_error && !out.refused && !closed_
           && clock::now() < deadline) {
      if (out.reset && !reset_grace) {
        reset_grace = true;
        deadline = std::min(deadline, clock::now() + std::chrono::seconds{1});
      }
      pump(deadline);
    }
    return out;
  }

  /// What the server did to stream `token` so far.
  const stream_outcome& outcome(uint64_t token) {
    return outcomes_[token];
  }

  /// Handles what the transport reports for `limit`, for tests that watch
  /// many streams, or several connections, at once.
  void pump_for(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed_ && std::chrono::steady_clock::now() < deadline)
      pump(deadline);
  }

  /// True once the transport told us the connection is gone.
  bool closed() const noexcept {
    return closed_;
  }

  /// Waits until the connection is gone or `limit` passed; true if gone.
  bool await_close(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed_ && std::chrono::steady_clock::now() < deadline)
      pump(deadline);
    return closed_;
  }

  const std::string& close_reason() const noexcept {
    return close_reason_;
  }

  /// A well-formed unary call of "echo": CALL, DATA, end frame.
  static byte_buffer echo_call(uint64_t request_id, const byte_buffer& body) {
    wire::call_header hdr;
    hdr.request_id = request_id;
    hdr.deadline_ms = 5000;
    hdr.method = "echo";
    byte_buffer out;
    wire::append_call(out, hdr);
    wire::append_data(out, body);
    frame_encoder::append_end(out);
    return out;
  }

private:
  /// Handles at most one message from the transport, waiting until
  /// `deadline` for it.
  void pump(std::chrono::steady_clock::time_point deadline) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero())
      return;
    self_->receive([this](connection_ready&) { ready_ = true; },
                   [this](connection_batch& batch) {
                     for (auto& ev : batch.events)
                       apply(ev);
                   },
                   [this](connection_closed& msg) {
                     closed_ = true;
                     close_reason_ = msg.reason;
                   },
                   caf::after(left) >> [] {});
  }

  void apply(stream_event& ev) {
    auto& out = outcomes_[ev.token];
    switch (ev.what) {
      case stream_event::kind::frames:
        for (auto& f : ev.frames)
          out.frames.push_back(std::move(f));
        out.finished = out.finished || ev.finished;
        break;
      case stream_event::kind::reset:
        out.reset = true;
        out.reset_code = ev.app_code;
        out.detail = ev.detail;
        break;
      case stream_event::kind::protocol_error:
        out.framing_error = true;
        out.detail = ev.detail;
        break;
      case stream_event::kind::progress:
        out.acked += ev.acked;
        break;
      case stream_event::kind::refused:
        out.refused = true;
        out.detail = ev.detail;
        break;
    }
  }

  caf::scoped_actor self_;
  std::shared_ptr<endpoint> ep_;
  connection_id conn_ = 0;
  bool ready_ = false;
  bool closed_ = false;
  std::string close_reason_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, stream_outcome> outcomes_;
};

} // namespace rpcnet::test
