// Tests the call's context end to end on real QUIC: metadata both ways, the
// deadline a handler sees, cancellation when the caller cancels, leaves or
// runs out of time (and the server's counting of it), deadlines and
// cancellation handed on across hops, the peer's certificate under mutual
// TLS, and the wire's bounds on deadlines and metadata.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/call_options.hpp>

#include "loopback.hpp"
#include "raw_peers.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using namespace rpcnet::test;

namespace {

using clock_type = std::chrono::steady_clock;

/// What a handler saw of its context, for the test thread to read.
struct observed {
  std::mutex mtx;
  call_metadata metadata;
  std::optional<clock_type::time_point> deadline;
  std::string peer;
  std::optional<peer_identity> identity;
  caf::error cancellation;
  arrivals started;
  arrivals cancelled;

  void record(const call_context& ctx) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      metadata = ctx.metadata();
      deadline = ctx.deadline();
      peer = ctx.peer_address().to_string();
      if (auto* id = ctx.peer_identity())
        identity = *id;
    }
    started.arrive();
  }

  void record_cancellation(const call_context& ctx) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      cancellation = ctx.cancellation();
    }
    cancelled.arrive();
  }

  error cancellation_code() {
    std::lock_guard<std::mutex> guard{mtx};
    return code_of(cancellation);
  }
};

/// A handler that records its context, then waits until its call is
/// cancelled (or `patience` passes) and says it noticed.
context_unary_handler waits_for_cancellation(std::shared_ptr<observed> seen) {
  return [seen](call_context& ctx, byte_buffer) -> caf::expected<byte_buffer> {
    seen->record(ctx);
    gate noticed;
    auto sub = ctx.on_cancel([&noticed] { noticed.open(); });
    if (noticed.wait(patience))
      seen->record_cancellation(ctx);
    return make_error(error::remote, "not cancelled in time");
  };
}

/// An echo handler that records its context.
context_unary_handler recording_echo(std::shared_ptr<observed> seen) {
  return [seen](call_context& ctx, byte_buffer req) -> caf::expected<byte_buffer> {
    seen->record(ctx);
    return req;
  };
}

/// An echo handler that counts its calls.
unary_handler counting_echo(std::shared_ptr<arrivals> calls) {
  return [calls](byte_buffer req) -> caf::expected<byte_buffer> {
    calls->arrive();
    return req;
  };
}

/// A server whose method `name` waits for its call's cancellation.
struct slow_server {
  explicit slow_server(const std::string& name = "slow") {
    net.server().register_unary(name, waits_for_cancellation(seen));
  }

  loopback net;
  std::shared_ptr<observed> seen = std::make_shared<observed>();
};

} // namespace

TEST_CASE("a handler reads the caller's metadata in order and the caller reads the trailers",
          "[call_context]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto seen = std::make_shared<observed>();
  // snippet-begin: context-handler
  net.server().register_unary("echo", [seen](call_context& ctx, byte_buffer req)
                                        -> caf::expected<byte_buffer> {
    seen->record(ctx); // ctx.metadata(), ctx.deadline(), ctx.peer_address() ...
    ctx.trailers().add("served-by", "test");
    ctx.trailers().add("count-bin", std::string("\x00\x01", 2));
    return req;
  });
  // snippet-end: context-handler
  auto client = net.connect();
  // snippet-begin: call-options
  auto opts = call_options{}
                .with_metadata("authorization", "Bearer t0k3n")
                .with_metadata("x-tag", "a")
                .with_metadata("x-tag", "b");
  auto reply = client.call_with_trailers("echo", to_bytes("hi"), opts);
  // snippet-end: call-options
  REQUIRE(reply);
  CHECK(reply->body == to_bytes("hi"));
  CHECK(reply->trailers.get("served-by") == std::optional<std::string_view>{"test"});
  CHECK(reply->trailers.get("count-bin") == std::optional<std::string_view>{
                                              std::string_view("\x00\x01", 2)});
  std::lock_guard<std::mutex> guard{seen->mtx};
  CHECK(seen->metadata == opts.metadata);
  CHECK(seen->peer == client.local_address().to_string());
  CHECK_FALSE(seen->identity); // no mutual TLS here
}

TEST_CASE("a handler sees the caller's deadline", "[call_context]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto seen = std::make_shared<observed>();
  net.server().register_unary("echo", recording_echo(seen));
  auto client = net.connect();
  auto before = clock_type::now();
  REQUIRE(client.call("echo", to_bytes("x"), call_options{}.with_timeout(2s)));
  std::lock_guard<std::mutex> guard{seen->mtx};
  REQUIRE(seen->deadline);
  CHECK(*seen->deadline > before);
  CHECK(*seen->deadline <= clock_type::now() + 2s);
}

TEST_CASE("a handler is told when its caller cancels, and the server stops waiting for it",
          "[call_context][cancel]") {
  slow_server server;
  auto& net = server.net;
  auto& seen = server.seen;
  auto client = net.connect();
  auto pending = std::async(std::launch::async, [&] {
    return client.call("slow", to_bytes("x"), call_options{}.with_timeout(10s).with_key({7}));
  });
  REQUIRE(seen->started.wait_for(1, patience));
  client.cancel(call_key{7});
  REQUIRE(ready_within(pending, patience));
  CHECK(code_of(pending.get().error()) == error::cancelled);
  REQUIRE(seen->cancelled.wait_for(1, patience));
  CHECK(seen->cancellation_code() == error::cancelled);
  CHECK(wait_until([&] { return net.server().abandoned_calls() == 1; }));
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("a handler is told when the deadline passes, the caller gets timeout and the server "
          "counts it",
          "[call_context][deadline]") {
  slow_server server;
  auto& net = server.net;
  auto& seen = server.seen;
  SECTION("rpcnet's client, which gives up at the same moment") {
    auto client = net.connect();
    auto start = clock_type::now();
    auto reply = client.call("slow", to_bytes("x"), call_options{}.with_timeout(150ms));
    CHECK(code_of(reply.error()) == error::timeout);
    CHECK(elapsed_since(start) < 150ms + 1s);
    REQUIRE(seen->cancelled.wait_for(1, patience));
    // The server's deadline and the client's reset race: either names it.
    auto cause = seen->cancellation_code();
    CHECK((cause == error::timeout || cause == error::cancelled));
  }
  SECTION("a peer that waits for the server's answer") {
    raw_client peer{net.client_system(), net.address()};
    auto hdr = unary_call("slow", 3);
    hdr.deadline_ms = 150;
    auto reply = peer.exchange(framed({wire::encode_call(hdr), wire::encode_data(to_bytes("x"))}));
    auto st = reply.status();
    REQUIRE(st);
    CHECK(st->code == static_cast<uint8_t>(error::timeout));
    CHECK(st->request_id == 3);
    REQUIRE(seen->cancelled.wait_for(1, patience));
    CHECK(seen->cancellation_code() == error::timeout);
    CHECK(net.server().deadlines_exceeded() == 1);
  }
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("a handler is told when its caller's connection closes", "[call_context][cancel]") {
  slow_server server;
  auto& net = server.net;
  auto& seen = server.seen;
  auto client = net.connect();
  auto pending = std::async(std::launch::async,
                            [&] { return client.call("slow", to_bytes("x"), 10s); });
  REQUIRE(seen->started.wait_for(1, patience));
  client.close();
  REQUIRE(ready_within(pending, patience));
  REQUIRE(seen->cancelled.wait_for(1, patience));
  CHECK(seen->cancellation_code() == error::connection);
  CHECK(wait_until([&] { return net.server().in_flight() == 0; }));
}

TEST_CASE("A -> B -> C with a 100 ms budget and C slow: the client times out in time, and B's "
          "and C's handlers are cancelled",
          "[call_context][deadline][hops]") {
  slow_server c{"c"};
  auto& c_seen = c.seen;
  auto b_to_c = c.net.connect();

  loopback b_net;
  auto b_seen = std::make_shared<observed>();
  b_net.server().register_unary("b", [b_seen, b_to_c](call_context& ctx, byte_buffer req)
                                       -> caf::expected<byte_buffer> {
    b_seen->record(ctx);
    auto sub = ctx.on_cancel([b_seen, ctx] { b_seen->record_cancellation(ctx); });
    auto reply = b_to_c.call("c", std::move(req), call_options::child_of(ctx));
    // The child failed, at the parent's deadline less the margin.
    if (!reply && !ctx.cancelled())
      b_seen->record_cancellation(ctx);
    return reply;
  });
  auto a = b_net.connect();

  auto start = clock_type::now();
  auto reply = a.call("b", to_bytes("x"), call_options{}.with_timeout(100ms));
  auto took = elapsed_since(start);
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::timeout);
  CHECK(took < 100ms + 250ms);
  REQUIRE(c_seen->started.wait_for(1, patience));
  {
    std::lock_guard<std::mutex> guard{c_seen->mtx};
    std::lock_guard<std::mutex> guard_b{b_seen->mtx};
    REQUIRE(c_seen->deadline);
    REQUIRE(b_seen->deadline);
    // C's budget is B's less the margin.
    CHECK(*c_seen->deadline <= *b_seen->deadline);
  }
  REQUIRE(c_seen->cancelled.wait_for(1, patience));
  REQUIRE(b_seen->cancelled.wait_for(1, patience));
  // C's deadline passes on C at the moment B's call to C times out on B,
  // which resets the stream: whichever C notices first names the cause.
  auto c_cause = c_seen->cancellation_code();
  CHECK((c_cause == error::timeout || c_cause == error::cancelled));
}

TEST_CASE("cancelling the caller of A -> B -> C cancels C's handler", "[call_context][hops]") {
  slow_server c{"c"};
  auto& c_seen = c.seen;
  auto b_to_c = c.net.connect();
  loopback b_net;
  // snippet-begin: child-call
  b_net.server().register_unary("b", [b_to_c](call_context& ctx, byte_buffer req) {
    // C's call gets B's deadline less the margin, and is cancelled with B's.
    return b_to_c.call("c", std::move(req), call_options::child_of(ctx));
  });
  // snippet-end: child-call
  auto a = b_net.connect();
  auto pending = std::async(std::launch::async, [&] {
    return a.call("b", to_bytes("x"), call_options{}.with_timeout(10s).with_key({3}));
  });
  REQUIRE(c_seen->started.wait_for(1, patience));
  a.cancel(call_key{3});
  REQUIRE(ready_within(pending, patience));
  REQUIRE(c_seen->cancelled.wait_for(1, patience));
  CHECK(c_seen->cancellation_code() == error::cancelled);
}

TEST_CASE("a call made for a parent with less time left than the margin fails at once",
          "[call_context][hops]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<arrivals>();
  net.server().register_unary("echo", counting_echo(calls));
  // A wide margin, so that the test does not race a loaded machine's clock.
  auto client = net.connect(client_config().with_deadline_margin(500ms));
  std::atomic<int> outcomes_checked{0};
  net.server().register_unary("outer", [&, client](call_context& ctx, byte_buffer req)
                                         -> caf::expected<byte_buffer> {
    // About 1 s left, less the margin: the child goes.
    if (client.call("echo", req, call_options::child_of(ctx)))
      ++outcomes_checked;
    std::this_thread::sleep_until(*ctx.deadline() - 400ms);
    // Less than the margin left: the child fails without being sent.
    auto late = client.call("echo", req, call_options::child_of(ctx));
    if (!late && code_of(late.error()) == error::timeout)
      ++outcomes_checked;
    return req;
  });
  auto outer = net.connect();
  REQUIRE(outer.call("outer", to_bytes("x"), call_options{}.with_timeout(1s)));
  CHECK(outcomes_checked.load() == 2);
  CHECK(calls->count() == 1);
}

TEST_CASE("a call made for a parent that was cancelled fails with cancelled and is not sent",
          "[call_context][hops]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<arrivals>();
  net.server().register_unary("echo", counting_echo(calls));
  auto client = net.connect();
  auto started = std::make_shared<arrivals>();
  auto child_failed = std::make_shared<arrivals>();
  net.server().register_unary("outer", [=](call_context& ctx, byte_buffer req)
                                         -> caf::expected<byte_buffer> {
    started->arrive();
    gate noticed;
    auto sub = ctx.on_cancel([&noticed] { noticed.open(); });
    noticed.wait(patience);
    auto child = client.call("echo", req, call_options::child_of(ctx));
    if (!child && code_of(child.error()) == error::cancelled)
      child_failed->arrive();
    return req;
  });
  auto outer = net.connect();
  auto pending = std::async(std::launch::async, [&] {
    return outer.call("outer", to_bytes("x"), call_options{}.with_timeout(10s).with_key({5}));
  });
  REQUIRE(started->wait_for(1, patience));
  outer.cancel(call_key{5});
  REQUIRE(ready_within(pending, patience));
  REQUIRE(child_failed->wait_for(1, patience));
  CHECK(calls->count() == 0);
}

TEST_CASE("under mutual TLS the handler's context names the client's certificate",
          "[call_context][mtls]") {
  // TLS is the subject: QUIC only (in_process_test covers the in-process
  // client identity).
  loopback net{server_config().with_client_ca_path(cert_file("ca.pem"))};
  auto seen = std::make_shared<observed>();
  net.server().register_unary("who", recording_echo(seen));
  auto client = net.connect(
    client_config().with_client_certificate(cert_file("client_cert.pem"),
                                            cert_file("client_key.pem")));
  REQUIRE(client.call("who", to_bytes("x")));
  std::lock_guard<std::mutex> guard{seen->mtx};
  REQUIRE(seen->identity);
  CHECK(seen->identity->subject.find("CN=") != std::string::npos);
  CHECK_FALSE(seen->identity->uris.empty());
}

TEST_CASE("a CALL whose deadline had passed on arrival is answered timeout without running "
          "the handler",
          "[call_context][deadline][hostile]") {
  loopback net;
  auto calls = std::make_shared<arrivals>();
  net.server().register_unary("echo", counting_echo(calls));
  raw_client peer{net.client_system(), net.address()};
  auto hdr = unary_call("echo", 4);
  hdr.deadline_ms = 0;
  auto reply = peer.exchange(framed({wire::encode_call(hdr), wire::encode_data(to_bytes("x"))}));
  auto st = reply.status();
  REQUIRE(st);
  CHECK(st->code == static_cast<uint8_t>(error::timeout));
  CHECK(net.server().deadlines_exceeded() == 1);
  CHECK(calls->count() == 0);
}

TEST_CASE("a deadline of years is sent as the longest the wire holds and works",
          "[call_context][deadline]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto seen = std::make_shared<observed>();
  net.server().register_unary("echo", recording_echo(seen));
  auto client = net.connect();
  auto three_years = std::chrono::hours{24 * 365 * 3};
  REQUIRE(client.call("echo", to_bytes("x"), call_options{}.with_timeout(three_years)));
  std::lock_guard<std::mutex> guard{seen->mtx};
  REQUIRE(seen->deadline);
  auto left = *seen->deadline - clock_type::now();
  CHECK(left > std::chrono::hours{24 * 49});
  CHECK(left <= std::chrono::milliseconds{UINT32_MAX});
}

TEST_CASE("metadata the client may not send fails the call with config and sends nothing",
          "[call_context][metadata]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<arrivals>();
  net.server().register_unary("echo", counting_echo(calls));
  auto client = net.connect(client_config().with_max_metadata_size(100));
  auto too_big = client.call("echo", to_bytes("x"),
                             call_options{}.with_metadata("k", std::string(200, 'v')));
  CHECK(code_of(too_big.error()) == error::config);
  CHECK(message_of(too_big.error()).find("exceeds the limit of 100") != std::string::npos);
  auto bad_key = client.call("echo", to_bytes("x"), call_options{}.with_metadata("Bad", "v"));
  CHECK(code_of(bad_key.error()) == error::config);
  auto bad_value = client.call("echo", to_bytes("x"),
                               call_options{}.with_metadata("k", "line\nbreak"));
  CHECK(code_of(bad_value.error()) == error::config);
  REQUIRE(client.call("echo", to_bytes("x")));
  CHECK(calls->count() == 1);
  CHECK(net.server().protocol_errors() == 0);
}

TEST_CASE("trailers a handler may not send turn its reply into remote saying why",
          "[call_context][metadata]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("echo", [](call_context& ctx, byte_buffer req)
                                        -> caf::expected<byte_buffer> {
    ctx.trailers().add("Not-Lower", "x");
    return req;
  });
  auto client = net.connect();
  auto reply = client.call("echo", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()).find("trailing metadata") != std::string::npos);
}

TEST_CASE("error details a handler attaches reach the caller", "[call_context]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().register_unary("fail", [](byte_buffer) -> caf::expected<byte_buffer> {
    return make_error(error::remote, "quota", byte_buffer{9, 8, 7});
  });
  auto client = net.connect();
  auto reply = client.call("fail", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(message_of(reply.error()) == "quota");
  CHECK(details_of(reply.error()) == byte_buffer{9, 8, 7});
}

TEST_CASE("a streaming handler reads the caller's metadata and a parent's deadline bounds the "
          "whole stream",
          "[call_context][stream]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto seen = std::make_shared<observed>();
  net.server().register_streaming("watch", [seen](call_context& ctx, stream_reader&,
                                                  stream_writer& out) -> caf::error {
    seen->record(ctx);
    while (!ctx.cancelled())
      if (auto err = out.write(to_bytes("tick")))
        break;
    seen->record_cancellation(ctx);
    return {};
  });
  auto client = net.connect();
  auto stream = client.call_streaming(
    "watch", call_options{}.with_timeout(200ms).with_metadata("topic", "weather"));
  REQUIRE(stream);
  caf::error end;
  while (true) {
    auto msg = stream->next();
    if (!msg) {
      end = msg.error();
      break;
    }
    if (!*msg)
      break;
  }
  CHECK(code_of(end) == error::timeout);
  REQUIRE(seen->cancelled.wait_for(1, patience));
  std::lock_guard<std::mutex> guard{seen->mtx};
  CHECK(seen->metadata.get("topic") == std::optional<std::string_view>{"weather"});
  REQUIRE(seen->deadline);
}
