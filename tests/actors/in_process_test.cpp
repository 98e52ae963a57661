// The in-process transport through its public face (rpcnet/actors/in_process.hpp):
// a server that was never bound, no certificate, and every kind of call.
// The cases that hold on both transports run against both in the test
// files of each feature; these are the ones only the in-process path has.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <string>

#include <rpcnet/actors/in_process.hpp>
#include <rpcnet/actors/interceptors/bearer_token.hpp>
#include <rpcnet/rpcnet.hpp>

#include "catch_printers.hpp"
#include "handler_sync.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// A server that was never bound, with "echo", in a system of its own.
struct echo_server {
  echo_server() {
    server.register_unary("echo", [](byte_buffer request) -> caf::expected<byte_buffer> {
      return request;
    });
  }

  runtime rt;
  rpc_server server{rt.system(), rpc_config{}};
};

} // namespace

TEST_CASE("an in-process client calls a server that was never bound and has no certificate",
          "[in_process]") {
  echo_server f;
  auto& server = f.server;
  auto client = testing::connect_in_process(server);
  REQUIRE(client);
  auto reply = client->call("echo", to_bytes("hello"));
  REQUIRE(reply);
  CHECK(as_string_view(*reply) == "hello");
  CHECK_FALSE(server.local_address());
  CHECK(server.transport().connections_accepted == 1);
  CHECK(server.transport().connections_open == 1);
  auto missing = client->call("nope", to_bytes("x"));
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == error::unknown_method);
}

TEST_CASE("a handler and its auth interceptor are tested in process in a plain unit test",
          "[in_process]") {
  runtime rt;
  // snippet-begin: in-process
  rpc_server server{rt.system(), rpc_config{}}; // no certificate, never bound
  server.add_interceptor(bearer_token_check::accepting("s3cret"));
  server.register_unary("greet", [](call_context& ctx, byte_buffer name)
                                   -> caf::expected<byte_buffer> {
    ctx.trailers().add("greeter", "in-process");
    return to_bytes("hello, " + std::string{as_string_view(name)});
  });
  auto cfg = rpc_config{}.with_interceptor(std::make_shared<bearer_token_attach>("s3cret"));
  auto client = testing::connect_in_process(server, cfg);
  auto reply = client->call_with_trailers("greet", to_bytes("ada"));
  // snippet-end: in-process
  REQUIRE(reply);
  CHECK(as_string_view(reply->body) == "hello, ada");
  CHECK(reply->trailers.get("greeter") == std::optional<std::string_view>{"in-process"});
  auto anonymous = testing::connect_in_process(server);
  REQUIRE(anonymous);
  auto refused = anonymous->call("greet", to_bytes("eve"));
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == error::unauthenticated);
}

TEST_CASE("an in-process call carries metadata both ways and the server sees its peer",
          "[in_process]") {
  runtime rt;
  rpc_server server{rt.system(), rpc_config{}};
  server.register_unary("whoami", context_unary_handler{[](call_context& ctx, byte_buffer) {
                          ctx.trailers().add("seen-tenant",
                                             std::string{ctx.metadata().get("tenant").value_or("")});
                          std::string who = ctx.peer_address().to_string();
                          if (auto* id = ctx.peer_identity())
                            who += " " + id->subject;
                          return caf::expected<byte_buffer>{to_bytes(who)};
                        }});
  testing::in_process_options opts;
  opts.client_address = socket_address::parse("10.1.2.3:4567");
  opts.client_identity = peer_identity{};
  opts.client_identity->subject = "CN=tester,O=rpcnet";
  auto client = testing::connect_in_process(server, rpc_config{}, opts);
  REQUIRE(client);
  CHECK(client->local_address().to_string() == "10.1.2.3:4567");
  auto reply
    = client->call_with_trailers("whoami", {}, call_options{}.with_metadata("tenant", "blue"));
  REQUIRE(reply);
  CHECK(as_string_view(reply->body) == "10.1.2.3:4567 CN=tester,O=rpcnet");
  CHECK(reply->trailers.get("seen-tenant") == std::optional<std::string_view>{"blue"});
}

TEST_CASE("in-process clients get distinct peer addresses by default", "[in_process]") {
  runtime rt;
  rpc_server server{rt.system(), rpc_config{}};
  server.register_unary("peer", context_unary_handler{[](call_context& ctx, byte_buffer) {
                          auto text = ctx.peer_address().to_string();
                          return caf::expected<byte_buffer>{to_bytes(text)};
                        }});
  auto a = testing::connect_in_process(server);
  auto b = testing::connect_in_process(server);
  REQUIRE(a);
  REQUIRE(b);
  auto from_a = a->call("peer", {});
  auto from_b = b->call("peer", {});
  REQUIRE(from_a);
  REQUIRE(from_b);
  CHECK(as_string_view(*from_a) != as_string_view(*from_b));
  CHECK(as_string_view(*from_a) == a->local_address().to_string());
}

TEST_CASE("every streaming kind runs in process", "[in_process]") {
  runtime rt;
  rpc_server server{rt.system(), rpc_config{}};
  server.register_streaming("upper", [](stream_reader& in, stream_writer& out) -> caf::error {
    while (auto msg = in.next()) {
      if (!*msg)
        return {};
      auto text = std::string{as_string_view(**msg)};
      for (auto& c : text)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (auto err = out.write(to_bytes(text)))
        return err;
    }
    return {};
  });
  server.register_streaming("count", [](stream_reader& in, stream_writer& out) -> caf::error {
    size_t n = 0;
    while (auto msg = in.next()) {
      if (!*msg)
        break;
      ++n;
    }
    return out.write(to_bytes(std::to_string(n)));
  });
  auto client = testing::connect_in_process(server);
  REQUIRE(client);
  SECTION("bidirectional") {
    auto stream = client->call_streaming("upper");
    REQUIRE(stream);
    REQUIRE_FALSE(stream->send(to_bytes("ab")));
    auto first = stream->next();
    REQUIRE(first);
    REQUIRE(*first);
    CHECK(as_string_view(**first) == "AB");
    REQUIRE_FALSE(stream->send(to_bytes("cd")));
    REQUIRE_FALSE(stream->finish());
    auto second = stream->next();
    REQUIRE(second);
    REQUIRE(*second);
    CHECK(as_string_view(**second) == "CD");
    auto end = stream->next();
    REQUIRE(end);
    CHECK_FALSE(*end);
  }
  SECTION("server streaming") {
    auto stream = client->call_server_streaming("upper", to_bytes("one"));
    REQUIRE(stream);
    auto first = stream->next();
    REQUIRE(first);
    REQUIRE(*first);
    CHECK(as_string_view(**first) == "ONE");
    auto end = stream->next();
    REQUIRE(end);
    CHECK_FALSE(*end);
  }
  SECTION("client streaming") {
    auto reply = client->call_client_streaming("count", {to_bytes("a"), to_bytes("b"),
                                                         to_bytes("c")});
    REQUIRE(reply);
    CHECK(as_string_view(*reply) == "3");
  }
}

TEST_CASE("stopping the server fails in-process calls with connection and refuses new clients",
          "[in_process]") {
  runtime rt;
  rpc_server server{rt.system(), rpc_config{}};
  auto started = std::make_shared<test::arrivals>();
  auto release = std::make_shared<test::gate>();
  server.register_unary("slow", [=](byte_buffer request) -> caf::expected<byte_buffer> {
    started->arrive();
    release->wait(10'000ms);
    return request;
  });
  auto client = testing::connect_in_process(server);
  REQUIRE(client);
  auto pending = std::async(std::launch::async, [&] { return client->call("slow", {}, 5'000ms); });
  REQUIRE(started->wait_for(1, 5'000ms));
  server.stop(0ms);
  release->open();
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  auto reply = pending.get();
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::connection);
  auto late = testing::connect_in_process(server);
  REQUIRE_FALSE(late);
  CHECK(code_of(late.error()) == error::connection);
}

TEST_CASE("a client's settings are validated without the TLS rules", "[in_process]") {
  runtime rt;
  rpc_server server{rt.system(), rpc_config{}};
  auto bad = testing::connect_in_process(server, rpc_config{}.with_call_timeout(0ms));
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == error::config);
  CHECK(server.transport().connections_accepted == 0);
}

TEST_CASE("a client that goes away closes its in-process connection at the server",
          "[in_process]") {
  echo_server f;
  auto& server = f.server;
  {
    auto client = testing::connect_in_process(server);
    REQUIRE(client);
    REQUIRE(client->call("echo", to_bytes("x")));
    CHECK(server.transport().connections_open == 1);
  }
  CHECK(server.transport().connections_open == 0);
}

