// Tests interceptors on real QUIC: their order and what a refusal does, the
// bearer-token pair refusing a call without a token, W3C trace context
// crossing two hops, the call log line, and interceptors that throw.
#include <catch2/catch.hpp>

#include <mutex>

#include <rpcnet/actors/interceptors/bearer_token.hpp>
#include <rpcnet/actors/interceptors/call_log.hpp>
#include <rpcnet/actors/interceptors/trace_context.hpp>

#include "loopback.hpp"

using namespace std::chrono_literals;
using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// Writes "<name>.before" and "<name>.after:<outcome>" into a shared
/// journal; refuses calls when told to.
class journaling_interceptor : public server_interceptor {
public:
  journaling_interceptor(std::string name, std::shared_ptr<std::vector<std::string>> journal,
                         std::shared_ptr<std::mutex> mtx, caf::error refusal = {})
    : name_(std::move(name)), journal_(std::move(journal)), mtx_(std::move(mtx)),
      refusal_(std::move(refusal)) {
  }

  caf::error before(call_context& ctx, call_shape) override {
    std::lock_guard<std::mutex> guard{*mtx_};
    journal_->push_back(name_ + ".before");
    ctx.trailers().add("seen-by", name_);
    return refusal_;
  }

  void after(const call_context&, call_shape, const caf::error& outcome,
             std::chrono::nanoseconds) override {
    std::lock_guard<std::mutex> guard{*mtx_};
    journal_->push_back(name_ + ".after:" + (outcome ? to_string(code_of(outcome)) : "ok"));
  }

private:
  std::string name_;
  std::shared_ptr<std::vector<std::string>> journal_;
  std::shared_ptr<std::mutex> mtx_;
  caf::error refusal_;
};

struct journal {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> mtx = std::make_shared<std::mutex>();

  std::shared_ptr<journaling_interceptor> interceptor(std::string name, caf::error refusal = {}) {
    return std::make_shared<journaling_interceptor>(std::move(name), lines, mtx,
                                                    std::move(refusal));
  }

  void note(std::string line) {
    std::lock_guard<std::mutex> guard{*mtx};
    lines->push_back(std::move(line));
  }

  std::vector<std::string> read() {
    std::lock_guard<std::mutex> guard{*mtx};
    return *lines;
  }
};

/// Records the traceparent each call arrived with.
struct trace_log {
  std::mutex mtx;
  std::vector<std::string> seen;

  void record(const call_context& ctx) {
    std::lock_guard<std::mutex> guard{mtx};
    seen.emplace_back(ctx.metadata().get(traceparent_key).value_or(""));
  }
};

} // namespace

TEST_CASE("server interceptors run before the handler in order and after it in reverse",
          "[interceptor]") {
  journal j;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().add_interceptor(j.interceptor("outer"));
  net.server().add_interceptor(j.interceptor("inner"));
  net.server().register_unary("echo", [&j](byte_buffer req) -> caf::expected<byte_buffer> {
    j.note("handler");
    return req;
  });
  auto client = net.connect();
  auto reply = client.call_with_trailers("echo", to_bytes("x"));
  REQUIRE(reply);
  CHECK(reply->trailers.get_all("seen-by") == std::vector<std::string_view>{"outer", "inner"});
  CHECK(wait_until([&] { return j.read().size() == 5; }));
  CHECK(j.read()
        == std::vector<std::string>{"outer.before", "inner.before", "handler",
                                    "inner.after:ok", "outer.after:ok"});
}

TEST_CASE("an interceptor's refusal fails the call with its error and the handler never runs",
          "[interceptor]") {
  journal j;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().add_interceptor(j.interceptor("outer"));
  net.server().add_interceptor(
    j.interceptor("gate", make_error(error::unauthenticated, "no entry")));
  net.server().add_interceptor(j.interceptor("never"));
  net.server().register_unary("echo", [&j](byte_buffer req) -> caf::expected<byte_buffer> {
    j.note("handler");
    return req;
  });
  auto client = net.connect();
  auto reply = client.call("echo", to_bytes("x"));
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::unauthenticated);
  CHECK(message_of(reply.error()) == "no entry");
  CHECK(wait_until([&] { return j.read().size() == 4; }));
  CHECK(j.read()
        == std::vector<std::string>{"outer.before", "gate.before", "gate.after:unauthenticated",
                                    "outer.after:unauthenticated"});
}

TEST_CASE("interceptors wrap streaming calls too", "[interceptor][stream]") {
  journal j;
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().add_interceptor(j.interceptor("only"));
  net.server().register_streaming("count", [](stream_reader&, stream_writer& out) -> caf::error {
    for (int i = 0; i < 3; ++i)
      if (auto err = out.write(to_bytes(std::to_string(i))))
        return err;
    return {};
  });
  auto client = net.connect();
  auto stream = client.call_server_streaming("count", to_bytes("go"));
  REQUIRE(stream);
  size_t messages = 0;
  while (true) {
    auto msg = stream->next();
    REQUIRE(msg);
    if (!*msg)
      break;
    ++messages;
  }
  CHECK(messages == 3);
  CHECK(wait_until([&] { return j.read().size() == 2; }));
  CHECK(j.read() == std::vector<std::string>{"only.before", "only.after:ok"});
}

TEST_CASE("an interceptor that throws refuses the call with remote and the server serves on",
          "[interceptor]") {
  struct thrower : server_interceptor {
    caf::error before(call_context& ctx, call_shape) override {
      if (ctx.method() == "bad")
        throw std::runtime_error("boom");
      return {};
    }
  };
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().add_interceptor(std::make_shared<thrower>());
  net.server().register_unary("bad", echo_handler());
  net.server().register_unary("good", echo_handler());
  auto client = net.connect();
  auto bad = client.call("bad", to_bytes("x"));
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == error::remote);
  CHECK(message_of(bad.error()).find("boom") != std::string::npos);
  CHECK(client.call("good", to_bytes("x")));
}

TEST_CASE("the bearer-token check refuses a call without a valid token with unauthenticated",
          "[interceptor][auth]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto check = std::make_shared<bearer_token_check>(
    [](std::string_view token) { return token == "s3cret"; }, std::set<std::string>{"health"});
  net.server().add_interceptor(check);
  auto calls = std::make_shared<arrivals>();
  auto counting = [calls](byte_buffer req) -> caf::expected<byte_buffer> {
    calls->arrive();
    return req;
  };
  net.server().register_unary("echo", counting);
  net.server().register_unary("health", counting);

  SECTION("no token") {
    auto reply = net.connect().call("echo", to_bytes("x"));
    REQUIRE_FALSE(reply);
    CHECK(code_of(reply.error()) == error::unauthenticated);
    CHECK(message_of(reply.error()) == "the call carries no authorization token");
    CHECK(calls->count() == 0);
    CHECK(check->refused() == 1);
  }
  SECTION("a wrong token") {
    auto client = net.connect(
      client_config().with_interceptor(std::make_shared<bearer_token_attach>("guess")));
    auto reply = client.call("echo", to_bytes("x"));
    CHECK(code_of(reply.error()) == error::unauthenticated);
    CHECK(calls->count() == 0);
  }
  SECTION("not a bearer token") {
    auto reply = net.connect().call("echo", to_bytes("x"),
                                    call_options{}.with_metadata("authorization", "Basic eA=="));
    CHECK(message_of(reply.error()) == "the call's authorization is not a bearer token");
  }
  SECTION("the right token") {
    auto client = net.connect(
      client_config().with_interceptor(std::make_shared<bearer_token_attach>("s3cret")));
    CHECK(client.call("echo", to_bytes("x")));
    CHECK(calls->count() == 1);
    CHECK(check->refused() == 0);
  }
  SECTION("an open method needs no token") {
    CHECK(net.connect().call("health", to_bytes("x")));
    CHECK(calls->count() == 1);
  }
}

TEST_CASE("accepting(token) compares the whole token", "[interceptor][auth]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  // snippet-begin: interceptors
  net.server().add_interceptor(bearer_token_check::accepting("abc"));
  net.server().add_interceptor(std::make_shared<trace_context_server>());
  net.server().add_interceptor(std::make_shared<call_log>());
  // snippet-end: interceptors
  net.server().register_unary("echo", echo_handler());
  auto with = [&](std::string token) {
    // snippet-begin: client-interceptors
    auto cfg = client_config()
                 .with_interceptor(std::make_shared<bearer_token_attach>(token))
                 .with_interceptor(std::make_shared<trace_context_client>());
    // snippet-end: client-interceptors
    return net.connect(cfg).call("echo", to_bytes("x"));
  };
  CHECK(with("abc"));
  CHECK_FALSE(with("ab"));
  CHECK_FALSE(with("abcd"));
  CHECK_FALSE(with("abd"));
}

TEST_CASE("a trace id crosses two hops: each hop has a span of its own in the caller's trace",
          "[interceptor][trace]") {
  auto tracing = client_config().with_interceptor(std::make_shared<trace_context_client>());
  loopback c_net;
  c_net.server().add_interceptor(std::make_shared<trace_context_server>());
  auto c_log = std::make_shared<trace_log>();
  c_net.server().register_unary("c", [c_log](call_context& ctx, byte_buffer req)
                                       -> caf::expected<byte_buffer> {
    c_log->record(ctx);
    return req;
  });
  auto b_to_c = c_net.connect(tracing);

  loopback b_net;
  b_net.server().add_interceptor(std::make_shared<trace_context_server>());
  auto b_log = std::make_shared<trace_log>();
  b_net.server().register_unary("b", [b_log, b_to_c](call_context& ctx, byte_buffer req) {
    b_log->record(ctx);
    return b_to_c.call("c", std::move(req), call_options::child_of(ctx));
  });
  auto a = b_net.connect(tracing);

  auto root = trace_parent::start();
  REQUIRE(a.call("b", to_bytes("x"),
                 call_options{}.with_metadata(std::string{traceparent_key}, root.to_string())));
  // Without a trace of its own, the client starts one.
  REQUIRE(a.call("b", to_bytes("y")));

  std::lock_guard<std::mutex> guard_b{b_log->mtx};
  std::lock_guard<std::mutex> guard_c{c_log->mtx};
  REQUIRE(b_log->seen.size() == 2);
  REQUIRE(c_log->seen.size() == 2);
  auto at_b = trace_parent::parse(b_log->seen[0]);
  auto at_c = trace_parent::parse(c_log->seen[0]);
  REQUIRE(at_b);
  REQUIRE(at_c);
  CHECK(at_b->trace_id == root.trace_id);
  CHECK(at_c->trace_id == root.trace_id);
  CHECK(at_b->span_id == root.span_id); // the caller's own header, as sent
  CHECK(at_c->span_id != at_b->span_id); // B's outgoing call is a span of its own
  auto fresh_b = trace_parent::parse(b_log->seen[1]);
  auto fresh_c = trace_parent::parse(c_log->seen[1]);
  REQUIRE(fresh_b);
  REQUIRE(fresh_c);
  CHECK(fresh_b->trace_id != root.trace_id);
  CHECK(fresh_c->trace_id == fresh_b->trace_id);
}

TEST_CASE("the trace server starts a trace for a call with none or a malformed one",
          "[interceptor][trace]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  net.server().add_interceptor(std::make_shared<trace_context_server>());
  auto log = std::make_shared<trace_log>();
  net.server().register_unary("echo", [log](call_context& ctx, byte_buffer req)
                                        -> caf::expected<byte_buffer> {
    log->record(ctx);
    return req;
  });
  auto client = net.connect();
  REQUIRE(client.call("echo", to_bytes("x")));
  REQUIRE(client.call("echo", to_bytes("x"),
                      call_options{}.with_metadata("traceparent", "00-zz-not-a-trace")));
  std::lock_guard<std::mutex> guard{log->mtx};
  REQUIRE(log->seen.size() == 2);
  CHECK(trace_parent::parse(log->seen[0]));
  CHECK(trace_parent::parse(log->seen[1]));
}

TEST_CASE("traceparent values parse strictly", "[interceptor][trace]") {
  auto good = std::string{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  auto tp = trace_parent::parse(good);
  REQUIRE(tp);
  CHECK(tp->to_string() == good);
  CHECK(tp->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(tp->flags == 0x01);
  CHECK_FALSE(trace_parent::parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(trace_parent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  CHECK_FALSE(trace_parent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(trace_parent::parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(trace_parent::parse(good + "-"));
  CHECK_FALSE(trace_parent::parse(""));
  auto child = tp->child();
  CHECK(child.trace_id == tp->trace_id);
  CHECK(child.span_id != tp->span_id);
}

TEST_CASE("the call log writes one line per call with method, outcome, duration and trace",
          "[interceptor][log]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto lines = std::make_shared<std::vector<std::string>>();
  auto mtx = std::make_shared<std::mutex>();
  net.server().add_interceptor(std::make_shared<trace_context_server>());
  net.server().add_interceptor(std::make_shared<call_log>([lines, mtx](const std::string& l) {
    std::lock_guard<std::mutex> guard{*mtx};
    lines->push_back(l);
  }));
  net.server().register_unary("echo", echo_handler());
  auto client = net.connect();
  auto root = trace_parent::start();
  REQUIRE(client.call("echo", to_bytes("x"),
                      call_options{}.with_metadata("traceparent", root.to_string())));
  CHECK_FALSE(client.call("nope\x1b[2J", to_bytes("x")));
  CHECK(wait_until([&] {
    std::lock_guard<std::mutex> guard{*mtx};
    return lines->size() == 1;
  }));
  std::lock_guard<std::mutex> guard{*mtx};
  // Unknown methods are answered before interceptors run: one line.
  REQUIRE(lines->size() == 1);
  auto& line = (*lines)[0];
  CHECK(line.starts_with("method=echo peer=127.0.0.1:"));
  CHECK(line.find(" shape=unary outcome=ok duration_us=") != std::string::npos);
  CHECK(line.ends_with(" trace=" + root.trace_id_hex()));
}

TEST_CASE("the call log escapes a method name that carries terminal sequences",
          "[interceptor][log]") {
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto lines = std::make_shared<std::vector<std::string>>();
  auto mtx = std::make_shared<std::mutex>();
  net.server().add_interceptor(std::make_shared<call_log>([lines, mtx](const std::string& l) {
    std::lock_guard<std::mutex> guard{*mtx};
    lines->push_back(l);
  }));
  net.server().register_unary("evil\x1b[2J", echo_handler());
  REQUIRE(net.connect().call("evil\x1b[2J", to_bytes("x")));
  CHECK(wait_until([&] {
    std::lock_guard<std::mutex> guard{*mtx};
    return lines->size() == 1;
  }));
  std::lock_guard<std::mutex> guard{*mtx};
  CHECK((*lines)[0].find('\x1b') == std::string::npos);
}

TEST_CASE("a client interceptor adds metadata, and one that refuses sends nothing",
          "[interceptor][client]") {
  struct tagger : client_interceptor {
    caf::error before(outgoing_call& call) override {
      if (call.method == "blocked")
        return make_error(error::cancelled, "blocked by policy");
      call.metadata.add("x-client", "tests");
      return {};
    }
    void after(const outgoing_call& call, const caf::error& outcome,
               std::chrono::nanoseconds) override {
      std::lock_guard<std::mutex> guard{mtx};
      outcomes.push_back(call.method + ":" + (outcome ? to_string(code_of(outcome)) : "ok"));
    }
    std::mutex mtx;
    std::vector<std::string> outcomes;
  };
  auto tags = std::make_shared<tagger>();
  auto kind = GENERATE(transport_kind::quic, transport_kind::in_process);
  CAPTURE(kind);
  loopback net{kind};
  auto calls = std::make_shared<arrivals>();
  std::string seen_tag;
  std::mutex seen_mtx;
  net.server().register_unary("echo", [&, calls](call_context& ctx, byte_buffer req)
                                        -> caf::expected<byte_buffer> {
    std::lock_guard<std::mutex> guard{seen_mtx};
    seen_tag = ctx.metadata().get("x-client").value_or("");
    calls->arrive();
    return req;
  });
  net.server().register_unary("blocked", echo_handler());
  auto client = net.connect(client_config().with_interceptor(tags));
  REQUIRE(client.call("echo", to_bytes("x")));
  auto blocked = client.call("blocked", to_bytes("x"));
  CHECK(code_of(blocked.error()) == error::cancelled);
  auto malformed = client.call("echo", to_bytes("x"), call_options{}.with_metadata("Bad", "v"));
  CHECK(code_of(malformed.error()) == error::config);
  CHECK(calls->count() == 1);
  {
    std::lock_guard<std::mutex> guard{seen_mtx};
    CHECK(seen_tag == "tests");
  }
  std::lock_guard<std::mutex> guard{tags->mtx};
  CHECK(tags->outcomes
        == std::vector<std::string>{"echo:ok", "blocked:cancelled", "echo:config"});
}
