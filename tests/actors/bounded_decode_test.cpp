// Tests that decoding a typed payload allocates no more than the payload
// could hold (rpcnet/typed/bounded_iarchive.hpp): a vector, a string or a
// map whose count claims more elements than bytes follow fails with
// error::serialization before anything of that size is allocated, while
// every value still round-trips and trailing bytes are still refused.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <rpcnet/typed/serialization.hpp>

using namespace rpcnet;

namespace {

struct reading {
  int32_t id = 0;
  std::string name;
  std::vector<double> samples;
  std::map<std::string, std::vector<int32_t>> tagged;

  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar & id & name & samples & tagged;
  }

  bool operator==(const reading&) const = default;
};

/// `bytes` with the 8 bytes at `at` (a collection's count, a string's
/// length) set to `claim`.
byte_buffer claiming(byte_buffer bytes, size_t at, uint64_t claim) {
  std::memcpy(bytes.data() + at, &claim, sizeof claim);
  return bytes;
}

/// The process's peak resident memory, in KiB.
long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

} // namespace

TEST_CASE("a count larger than the payload fails to decode without allocating it",
          "[bounded_decode]") {
  auto before = peak_rss_kib();
  // 2^28 int32_t would be 1 GiB, zero-filled by Boost's own archive.
  auto vector = decode<std::vector<int32_t>>(
    claiming(encode(std::vector<int32_t>{1, 2, 3}), 0, uint64_t{1} << 28));
  REQUIRE_FALSE(vector);
  CHECK(code_of(vector.error()) == error::serialization);
  CHECK(message_of(vector.error()).find("a collection of 268435456 in") != std::string::npos);
  auto text = decode<std::string>(claiming(encode(std::string{"abc"}), 0, uint64_t{1} << 29));
  REQUIRE_FALSE(text);
  CHECK(code_of(text.error()) == error::serialization);
  CHECK(message_of(text.error()).find("a string of 536870912 in 3 bytes left")
        != std::string::npos);
  // A map's count follows its class's tracking byte and version.
  auto map = decode<std::map<int32_t, int32_t>>(
    claiming(encode(std::map<int32_t, int32_t>{{1, 2}}), 5, uint64_t{1} << 40));
  REQUIRE_FALSE(map);
  CHECK(message_of(map.error()).find("a collection of 1099511627776 in") != std::string::npos);
  // Far below the 1.5 GiB the claims would have cost.
  CHECK(peak_rss_kib() - before < 64 * 1024);
}

TEST_CASE("values still round-trip through the bounded archive, and trailing bytes are refused",
          "[bounded_decode]") {
  reading value{7, "sensor-7", {1.5, -2.25}, {{"a", {1, 2}}, {"empty", {}}}};
  auto bytes = encode(value);
  auto back = decode<reading>(bytes);
  REQUIRE(back);
  CHECK(*back == value);
  auto empty = decode<reading>(encode(reading{}));
  REQUIRE(empty);
  CHECK(*empty == reading{});
  bytes.push_back(0);
  auto trailing = decode<reading>(bytes);
  REQUIRE_FALSE(trailing);
  CHECK(message_of(trailing.error()) == "trailing bytes after the value");
  for (size_t cut = 0; cut + 1 < bytes.size(); ++cut)
    CHECK_FALSE(decode<reading>(byte_buffer(bytes.begin(), bytes.begin() + cut)));
}
