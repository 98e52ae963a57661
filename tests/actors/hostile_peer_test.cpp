// Malformed input from the network, fed by hand-written peers: the
// server's connection actor answers every malformed request with a
// protocol STATUS (counted in protocol_errors()) and keeps serving the
// connection; the client's connection actor fails a call whose reply is
// malformed with protocol (or stream for a reset) and keeps the connection
// for the next call. Also pins the shape of a well-formed reply.
#include <future>
#include <string>

#include "raw_peers.hpp"

using namespace rpcnet;
using namespace rpcnet::test;

namespace {

/// The request of a well-formed unary call.
byte_buffer good_request(const std::string& method, uint64_t id, const std::string& body) {
  return framed({wire::encode_call(unary_call(method, id)), wire::encode_data(to_bytes(body))});
}

/// Checks that `reply` is a protocol STATUS whose message contains `why`.
void check_protocol_status(const stream_outcome& reply, const std::string& why,
                           uint64_t request_id) {
  INFO("stream detail: " << reply.detail);
  CHECK(reply.finished);
  auto st = reply.status();
  REQUIRE(st);
  CHECK(st->code == static_cast<uint8_t>(error::protocol));
  CHECK(st->request_id == request_id);
  INFO("status message: " << st->message);
  CHECK(st->message.find(why) != std::string::npos);
}

} // namespace

// -- malformed requests -------------------------------------------------------

TEST_CASE("a well-formed request is answered with DATA, then an ok STATUS naming the "
          "request, then the end",
          "[hostile]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  raw_client peer{net.client_system(), net.address()};
  auto reply = peer.exchange(good_request("echo", 77, "hi"));
  INFO(reply.detail);
  REQUIRE(reply.finished);
  REQUIRE(reply.frames.size() == 2);
  auto data = wire::decode(reply.frames[0]);
  REQUIRE(data.value);
  auto* body = std::get_if<byte_buffer>(&*data.value);
  REQUIRE(body);
  CHECK(as_string_view(*body) == "hi");
  auto st = reply.status();
  REQUIRE(st);
  CHECK(st->ok());
  CHECK(st->request_id == 77);
}

TEST_CASE("the server answers malformed requests with a protocol STATUS, counts them and "
          "keeps serving the connection",
          "[hostile]") {
  loopback net;
  net.server().register_unary("echo", echo_handler());
  raw_client peer{net.client_system(), net.address()};
  auto call = wire::encode_call(unary_call("echo", 9));
  auto data = wire::encode_data(to_bytes("x"));

  SECTION("a frame of an unknown type") {
    check_protocol_status(peer.exchange(framed({byte_buffer{0x09, 0x00}})),
                          "unknown frame type 9", 0);
  }
  SECTION("DATA before CALL") {
    check_protocol_status(peer.exchange(framed({data, call})), "unexpected frame", 0);
  }
  SECTION("a second CALL frame") {
    check_protocol_status(peer.exchange(framed({call, call, data})), "unexpected frame", 9);
  }
  SECTION("a second DATA frame") {
    check_protocol_status(peer.exchange(framed({call, data, data})), "unexpected frame", 9);
  }
  SECTION("a STATUS frame in a request") {
    auto st = wire::encode_status(wire::status{0, 9, {}});
    check_protocol_status(peer.exchange(framed({call, st})), "unexpected frame", 9);
  }
  SECTION("CALL without DATA") {
    check_protocol_status(peer.exchange(framed({call})), "ended before its CALL and DATA", 9);
  }
  SECTION("an empty request") {
    check_protocol_status(peer.exchange(framed({})), "ended before its CALL and DATA", 0);
  }
  SECTION("a CALL frame of protocol version 1") {
    auto v1 = call;
    v1[1] = 1;
    check_protocol_status(peer.exchange(framed({v1, data})), "unsupported protocol version 1",
                          0);
  }
  SECTION("a CALL frame whose metadata breaks the rules") {
    auto hdr = unary_call("echo", 9);
    hdr.metadata.add("Bad Key", "x");
    check_protocol_status(peer.exchange(framed({wire::encode_call(hdr), data})),
                          "is not lower-case", 0);
  }
  SECTION("a CALL frame with more metadata than the server's limit") {
    auto hdr = unary_call("echo", 9);
    for (int i = 0; i < 40; ++i)
      hdr.metadata.add("k" + std::to_string(i), std::string(250, 'v'));
    check_protocol_status(peer.exchange(framed({wire::encode_call(hdr), data})),
                          "metadata exceeds the limit of 8192 bytes", 0);
  }
  SECTION("a stream that ends inside a frame") {
    auto cut = framed({call, data}, false);
    cut.pop_back();
    // The CALL frame arrived whole, so the STATUS names its request.
    check_protocol_status(peer.exchange(cut), "ended inside a frame", 9);
  }
  CHECK(net.server().protocol_errors() == 1);
  CHECK(net.server().in_flight() == 0);

  auto good = peer.exchange(good_request("echo", 10, "still served"));
  auto st = good.status();
  REQUIRE(st);
  CHECK(st->ok());
  CHECK(st->request_id == 10);
}

TEST_CASE("a streaming call to a unary method is refused with unknown_method",
          "[hostile]") {
  loopback net;
  auto called = std::make_shared<arrivals>();
  net.server().register_unary("echo", [called](byte_buffer req) -> caf::expected<byte_buffer> {
    called->arrive();
    return req;
  });
  raw_client peer{net.client_system(), net.address()};
  auto hdr = unary_call("echo", 5);
  hdr.kind = wire::call_kind::server_streaming;
  auto reply = peer.exchange(
    framed({wire::encode_call(hdr), wire::encode_data(to_bytes("x"))}));
  auto st = reply.status();
  REQUIRE(st);
  CHECK(st->code == static_cast<uint8_t>(error::unknown_method));
  CHECK(st->request_id == 5);
  CHECK(called->count() == 0);
}

// -- malformed replies --------------------------------------------------------

TEST_CASE("the client fails a call whose reply is malformed with protocol and keeps the "
          "connection",
          "[hostile]") {
  loopback net; // for its client system and patience; the server is raw
  raw_server server{net.server_system()};
  auto client = net.connect_to(server.address());
  auto pending = call_in_background(client, "m", to_bytes("x"), patience);
  auto req = server.next_request();
  REQUIRE(req.header);
  auto id = req.header->request_id;
  auto data = wire::encode_data(to_bytes("reply"));
  auto ok = [](uint64_t rid) { return wire::encode_status(wire::status{0, rid, {}}); };
  std::string why;

  SECTION("a STATUS naming another request") {
    server.reply(req, framed({data, ok(id + 1000)}));
    why = "reply names request";
  }
  SECTION("no STATUS before the end") {
    server.reply(req, framed({data}));
    why = "without a STATUS";
  }
  SECTION("an ok STATUS without DATA") {
    server.reply(req, framed({ok(id)}));
    why = "without a DATA";
  }
  SECTION("DATA after the STATUS") {
    server.reply(req, framed({ok(id), data}));
    why = "unexpected frame";
  }
  SECTION("a STATUS with an unknown code") {
    server.reply(req, framed({wire::encode_status(wire::status{200, id, "?"})}));
    why = "unknown status code 200";
  }
  SECTION("a frame of an unknown type") {
    server.reply(req, framed({byte_buffer{0x07}}));
    why = "unknown frame type 7";
  }
  REQUIRE(ready_within(pending, patience));
  auto reply = pending.get();
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::protocol);
  INFO("message: " << message_of(reply.error()));
  CHECK(message_of(reply.error()).find(why) != std::string::npos);

  // The same connection carries the next call.
  auto next = call_in_background(client, "m", to_bytes("x"), patience);
  auto next_req = server.next_request();
  REQUIRE(next_req.header);
  server.reply(next_req, framed({data, ok(next_req.header->request_id)}));
  REQUIRE(ready_within(next, patience));
  auto next_reply = next.get();
  REQUIRE(next_reply);
  CHECK(as_string_view(*next_reply) == "reply");
}

TEST_CASE("the client fails a call whose stream the server resets with stream",
          "[hostile]") {
  loopback net;
  raw_server server{net.server_system()};
  auto client = net.connect_to(server.address());
  auto pending = call_in_background(client, "m", to_bytes("x"), patience);
  auto req = server.next_request();
  server.reset(req);
  REQUIRE(ready_within(pending, patience));
  auto reply = pending.get();
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::stream);
}

TEST_CASE("the client takes a remote error STATUS from the wire with its message",
          "[hostile]") {
  loopback net;
  raw_server server{net.server_system()};
  auto client = net.connect_to(server.address());
  auto pending = call_in_background(client, "m", to_bytes("x"), patience);
  auto req = server.next_request();
  REQUIRE(req.header);
  CHECK(req.header->method == "m");
  CHECK(req.header->kind == wire::call_kind::unary);
  CHECK(req.header->deadline_ms == 5'000u);
  server.reply(req, framed({wire::encode_status(
                      wire::status{static_cast<uint8_t>(error::remote),
                                   req.header->request_id, "from the wire"})}));
  REQUIRE(ready_within(pending, patience));
  auto reply = pending.get();
  REQUIRE_FALSE(reply);
  CHECK(code_of(reply.error()) == error::remote);
  CHECK(message_of(reply.error()) == "from the wire");
}
