// Tests tag filters: every listed tag must match, the empty filter matches
// everything, and each kind of malformed filter is a config error that
// names its problem.
#include <catch2/catch.hpp>

#include "tag_filter.hpp"
#include <rpcnet/transport/error.hpp>

using rpcnet::tag_filter;
using rpcnet::tag_map;

namespace {

tag_filter parsed(std::string_view text) {
  auto f = tag_filter::parse(text);
  REQUIRE(f);
  return *f;
}

} // namespace

TEST_CASE("a filter with several tags matches only members having all of them",
          "[tag_filter]") {
  auto f = parsed("role=worker,zone=eu-1");
  CHECK(f.matches(tag_map{{"role", "worker"}, {"zone", "eu-1"}, {"gpu", "yes"}}));
  CHECK_FALSE(f.matches(tag_map{{"role", "worker"}, {"zone", "us-1"}}));
  CHECK_FALSE(f.matches(tag_map{{"role", "worker"}}));
  CHECK_FALSE(f.matches(tag_map{}));
}

TEST_CASE("the empty filter matches every member", "[tag_filter]") {
  for (auto text : {"", "  ", "\t"}) {
    auto f = parsed(text);
    CHECK(f.empty());
    CHECK(f.matches(tag_map{}));
    CHECK(f.matches(tag_map{{"role", "worker"}}));
  }
}

TEST_CASE("blanks around keys and values are ignored, blanks inside are kept", "[tag_filter]") {
  auto f = parsed(" role = worker ,\tzone=us east ");
  CHECK(f.matches(tag_map{{"role", "worker"}, {"zone", "us east"}}));
  CHECK(f.to_string() == "role=worker,zone=us east");
}

TEST_CASE("the canonical text sorts keys and parses back to the same filter", "[tag_filter]") {
  auto f = parsed("zone=eu,role=worker");
  CHECK(f.to_string() == "role=worker,zone=eu");
  CHECK(parsed(f.to_string()) == f);
}

TEST_CASE("a malformed filter is a config error naming the problem", "[tag_filter]") {
  struct bad {
    const char* text;
    const char* problem;
  };
  auto cases = GENERATE(values<bad>({
    {"role", "pair 1 has no '='"},
    {"role=worker,zone", "pair 2 has no '='"},
    {"=worker", "pair 1 has an empty key"},
    {" =worker", "pair 1 has an empty key"},
    {"role=", "pair 1 has an empty value"},
    {"role=worker,,zone=eu", "pair 2 is empty"},
    {",role=worker", "pair 1 is empty"},
    {"role=worker,", "pair 2 is empty"},
    {"role=a=b", "pair 1 has more than one '='"},
    {"role=worker,role=gpu", "pair 2 repeats the key \"role\""},
  }));
  auto f = tag_filter::parse(cases.text);
  REQUIRE_FALSE(f);
  CHECK(rpcnet::code_of(f.error()) == rpcnet::error::config);
  auto message = rpcnet::message_of(f.error());
  INFO(message);
  CHECK(message.find(cases.problem) != std::string::npos);
  CHECK(message.find(std::string{"\""} + cases.text + "\"") != std::string::npos);
}
