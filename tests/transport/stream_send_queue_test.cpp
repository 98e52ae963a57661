// Tests what a stream's send queue keeps: bytes handed to ngtcp2 stay where
// they are until acknowledged -- and, once the stream is reset, until the
// stream closes, since ngtcp2 may still copy them into a packet (a hedged
// call's losing attempt reset under packet loss read freed memory before
// the queue kept them) -- while bytes never handed over are forgotten.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "stream_send_queue.hpp"

using namespace rpcnet;

namespace {

byte_buffer bytes_of(const std::string& text) {
  return byte_buffer(text.begin(), text.end());
}

std::string text_of(const ngtcp2_vec& v) {
  return std::string(reinterpret_cast<const char*>(v.base), v.len);
}

} // namespace

TEST_CASE("unsent bytes are offered once and freed when acknowledged", "[send_queue]") {
  stream_send_queue q;
  q.push(bytes_of("hello "));
  q.push(bytes_of("world"));
  ngtcp2_vec v[4];
  REQUIRE(q.unsent(v, 4) == 2);
  CHECK(text_of(v[0]) == "hello ");
  CHECK(text_of(v[1]) == "world");
  q.consume(8);
  REQUIRE(q.unsent(v, 4) == 1);
  CHECK(text_of(v[0]) == "rld");
  CHECK(q.unsent_bytes() == 3);
  CHECK(q.buffered() == 11);
  q.acknowledge_until(6);
  CHECK(q.buffered() == 5);
}

TEST_CASE("a reset keeps the bytes ngtcp2 was handed and forgets the rest", "[send_queue]") {
  stream_send_queue q;
  q.push(bytes_of("first "));
  q.push(bytes_of("second "));
  q.push(bytes_of("third"));
  ngtcp2_vec handed[4];
  REQUIRE(q.unsent(handed, 4) == 3);
  q.consume(9); // "first " and "sec" went into packets
  q.abandon();
  // ngtcp2 may still read what it was handed: the views are intact (ASan
  // would report a read of freed memory here otherwise).
  CHECK(text_of(handed[0]) == "first ");
  CHECK(text_of(handed[1]).substr(0, 3) == "sec");
  ngtcp2_vec rest[4];
  CHECK_FALSE(q.has_unsent());
  CHECK(q.unsent(rest, 4) == 0);
  CHECK(q.buffered() == 0);
  // Nothing is queued after a reset; acknowledgements still release.
  q.push(bytes_of("late"));
  CHECK_FALSE(q.has_unsent());
  q.acknowledge_until(6);
  CHECK(text_of(handed[1]).substr(0, 3) == "sec");
}
