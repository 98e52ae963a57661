// Tests the configuration idiom on transport_config (configuration.hpp):
// the defaults are valid, a builder returns a changed copy and leaves the
// original alone, and validate() names every bad field in one error.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/transport_config.hpp>

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

/// True if one of `problems` starts with `field`.
bool names(const std::vector<std::string>& problems, const std::string& field) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.rfind(field, 0) == 0; });
}

} // namespace

TEST_CASE("the default transport_config is valid", "[config]") {
  CHECK_FALSE(transport_config{}.validate());
}

TEST_CASE("a transport_config builder returns a changed copy", "[config]") {
  transport_config original;
  auto changed = original.with_max_frame_size(1024).with_alpn("other/1");
  CHECK(changed.max_frame_size == 1024);
  CHECK(changed.alpn == "other/1");
  CHECK(original.max_frame_size == transport_config{}.max_frame_size);
  CHECK(original.alpn == "rpcnet/2");
}

TEST_CASE("a transport_config with several bad fields names every one of them in one error",
          "[config]") {
  auto cfg = transport_config{}
               .with_bind_address("not an address")
               .with_max_frame_size(0)
               .with_handshake_timeout(0ms)
               .with_alpn("");
  cfg.key_path = "key.pem"; // without cert_path
  auto err = cfg.validate();
  REQUIRE(err);
  CHECK(code_of(err) == error::config);
  auto problems = config_errors::problems_of(err);
  CHECK(problems.size() == 5);
  for (auto field : {"bind_address", "cert_path", "alpn", "max_frame_size", "handshake_timeout"})
    CHECK(names(problems, field));
  auto text = message_of(err);
  CHECK(text.rfind("invalid transport_config: ", 0) == 0);
  for (const auto& problem : problems)
    CHECK(text.find(problem) != std::string::npos);
}

TEST_CASE("config_errors prefixes a nested configuration's problems with its field",
          "[config]") {
  config_errors inner{"inner"};
  inner.require(false, "a must be positive");
  inner.require(true, "never noted");
  inner.require(false, "b must be positive");
  config_errors outer{"outer"};
  outer.nest("part", inner.result());
  outer.nest("", inner.result());
  outer.nest("clean", caf::error{});
  outer.nest("other", make_error(error::io, "disk gone"));
  auto problems = config_errors::problems_of(outer.result());
  CHECK(problems
        == std::vector<std::string>{"part.a must be positive", "part.b must be positive",
                                    "a must be positive", "b must be positive",
                                    "other.io: disk gone"});
  CHECK_FALSE(config_errors{"empty"}.result());
  CHECK(config_errors::problems_of(make_error(error::config, "plain")).empty());
}
