// Peers that write rpcnet's call frames by hand over a real QUIC + TLS
// connection (an rpcnet::endpoint owned by the test, its events received
// by a scoped actor): a raw client that sends requests the real client
// never would, and a raw server that sends replies the real server never
// would. They let the tests feed malformed input to the server's and the
// client's connection actors.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "call_protocol.hpp"
#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "loopback.hpp"

namespace rpcnet::test {

/// Frames for a request or reply: each payload framed, then the end frame.
inline byte_buffer framed(std::initializer_list<byte_buffer> payloads, bool with_end = true) {
  byte_buffer out;
  for (const auto& payload : payloads)
    frame_encoder::append(out, payload);
  if (with_end)
    frame_encoder::append_end(out);
  return out;
}

/// A unary CALL header for `method` with request id `id`.
inline wire::call_header unary_call(std::string method, uint64_t id) {
  wire::call_header hdr;
  hdr.request_id = id;
  hdr.deadline_ms = 5'000;
  hdr.method = std::move(method);
  return hdr;
}

/// What arrived on one stream until the peer ended or reset it.
struct stream_outcome {
  std::vector<byte_buffer> frames;
  bool finished = false;
  bool reset = false;
  std::string detail;

  /// The STATUS frame among the frames, if one decodes.
  std::optional<wire::status> status() const {
    for (const auto& f : frames) {
      auto decoded = wire::decode(f);
      if (decoded.value)
        if (auto* st = std::get_if<wire::status>(&*decoded.value))
          return *st;
    }
    return std::nullopt;
  }
};

/// Receives connection events in a scoped actor; shared by both peers.
class raw_peer_base {
protected:
  explicit raw_peer_base(caf::actor_system& sys) : self_(sys) {
  }

  ~raw_peer_base() {
    if (ep_)
      ep_->shutdown();
  }

  caf::actor owner() {
    return caf::actor_cast<caf::actor>(self_);
  }

  /// Collects the events of the stream selected by `matches` until it
  /// ends, is reset, or `patience` runs out.
  template <class Matches>
  stream_outcome collect(Matches matches, int64_t* stream_id = nullptr,
                         connection_id* conn = nullptr) {
    stream_outcome out;
    auto deadline = clock_type::now() + patience;
    bool done = false;
    while (!done) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                        - clock_type::now());
      if (left <= 0ms) {
        out.detail = "no end of stream within the test's patience";
        break;
      }
      self_->receive(
        [&](connection_batch& batch) {
          for (auto& ev : batch.events) {
            if (done || !matches(ev))
              continue;
            if (stream_id)
              *stream_id = ev.stream_id;
            if (conn)
              *conn = batch.conn;
            switch (ev.what) {
              case stream_event::kind::frames:
                for (auto& f : ev.frames)
                  out.frames.push_back(std::move(f));
                if (ev.finished) {
                  out.finished = true;
                  done = true;
                }
                break;
              case stream_event::kind::reset:
              case stream_event::kind::protocol_error:
              case stream_event::kind::refused:
                out.reset = true;
                out.detail = ev.detail;
                done = true;
                break;
              case stream_event::kind::progress:
                break;
            }
          }
        },
        [&](connection_ready&) {},
        [&](connection_closed& msg) {
          out.detail = "connection closed: " + msg.reason;
          done = true;
        },
        caf::after(left) >> [] {});
    }
    return out;
  }

  caf::scoped_actor self_;
  std::shared_ptr<endpoint> ep_;
};

/// A client that opens streams carrying whatever bytes the test gives.
class raw_client : public raw_peer_base {
public:
  raw_client(caf::actor_system& sys, const std::string& server_address)
    : raw_peer_base(sys) {
    auto ep = endpoint::start(sys, client_config().to_transport(false));
    REQUIRE(ep);
    ep_ = std::move(*ep);
    auto remote = socket_address::parse(server_address);
    REQUIRE(remote);
    conn_ = ep_->connect(*remote, "localhost", owner());
    std::string failure = "no handshake within the test's patience";
    self_->receive([&](connection_ready&) { failure.clear(); },
                   [&](connection_closed& msg) { failure = msg.reason; },
                   caf::after(patience) >> [] {});
    INFO(failure);
    REQUIRE(failure.empty());
  }

  /// Opens a stream, writes `bytes`, ends the stream, and returns what the
  /// server answered on it.
  stream_outcome exchange(byte_buffer bytes) {
    auto token = next_token_++;
    ep_->submit(open_stream_command{conn_, token, std::move(bytes), true});
    return collect([token](const stream_event& ev) { return ev.token == token; });
  }

private:
  connection_id conn_ = 0;
  uint64_t next_token_ = 1;
};

/// A server whose replies the test writes by hand.
class raw_server : public raw_peer_base {
public:
  /// One request as it arrived.
  struct request {
    connection_id conn = 0;
    int64_t stream_id = -1;
    std::optional<wire::call_header> header;
    stream_outcome frames;
  };

  explicit raw_server(caf::actor_system& sys) : raw_peer_base(sys) {
    endpoint::options opts;
    opts.on_accept = [owner = owner()](connection_id, const socket_address&) { return owner; };
    auto ep = endpoint::start(sys, server_config().to_transport(true), std::move(opts));
    REQUIRE(ep);
    ep_ = std::move(*ep);
    ep_->start_accepting();
  }

  std::string address() const {
    return ep_->local_address().to_string();
  }

  /// Waits for the next complete request stream.
  request next_request() {
    request req;
    int64_t chosen = -1;
    auto first_peer_stream = [&chosen](const stream_event& ev) {
      if (ev.token != 0)
        return false;
      if (chosen < 0)
        chosen = ev.stream_id;
      return ev.stream_id == chosen;
    };
    req.frames = collect(first_peer_stream, &req.stream_id, &req.conn);
    INFO(req.frames.detail);
    REQUIRE(req.frames.finished);
    REQUIRE_FALSE(req.frames.frames.empty());
    auto decoded = wire::decode(req.frames.frames.front());
    REQUIRE(decoded.value);
    auto* hdr = std::get_if<wire::call_header>(&*decoded.value);
    REQUIRE(hdr);
    req.header = *hdr;
    return req;
  }

  /// Writes `bytes` on the request's stream and ends it.
  void reply(const request& req, byte_buffer bytes) {
    ep_->submit(write_stream_command{req.conn, req.stream_id, std::move(bytes), true});
  }

  /// Resets the request's stream.
  void reset(const request& req) {
    ep_->submit(reset_stream_command{req.conn, req.stream_id, 0, app_error::internal});
  }
};

} // namespace rpcnet::test
