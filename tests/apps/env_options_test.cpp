// Tests where the CLI's settings come from: a flag wins over the
// environment, which wins over the Rust RpcNet's defaults, and a bad value is
// a config error that names the flag, the variable and the value.
#include <catch2/catch.hpp>

#include <map>

#include <rpcnet/transport/error.hpp>

#include "env_options.hpp"
#include "fake_environment.hpp"

using namespace rpcnet;
using namespace rpcnet::cli;

using rpcnet::test::fake_env;

TEST_CASE("without flag or environment the Rust RpcNet's defaults apply", "[env_options]") {
  auto env = fake_env({});
  CHECK(resolve(director_addr_option, std::nullopt, env) == "127.0.0.1:61000");
  CHECK(resolve(director_bind_option, std::nullopt, env) == "127.0.0.1:61000");
  CHECK(resolve(worker_addr_option, std::nullopt, env) == "127.0.0.1:62001");
  CHECK(resolve(worker_label_option, std::nullopt, env) == "worker-1");
  CHECK(resolve(failure_option, std::nullopt, env) == "false");
  CHECK(resolve(log_level_option, std::nullopt, env) == "info");
}

TEST_CASE("the environment overrides a default and a flag overrides the environment",
          "[env_options]") {
  auto env = fake_env({{"WORKER_LABEL", "worker-env"}, {"DIRECTOR_ADDR", "10.0.0.1:7000"}});
  CHECK(resolve(worker_label_option, std::nullopt, env) == "worker-env");
  CHECK(resolve(worker_label_option, std::string{"worker-flag"}, env) == "worker-flag");
  CHECK(resolve(director_addr_option, std::nullopt, env) == "10.0.0.1:7000");
  // An empty flag value is still the flag's.
  CHECK(resolve(worker_label_option, std::string{}, env).empty());
}

TEST_CASE("addresses are host:port, names resolved", "[env_options]") {
  CHECK(parse_address(worker_addr_option, "127.0.0.1:62001")->port() == 62001);
  CHECK(parse_address(worker_addr_option, "[::1]:7000"));
  CHECK(parse_address(worker_addr_option, "localhost:61000")->to_string() == "127.0.0.1:61000");
  for (auto bad : {"localhost", "127.0.0.1", "127.0.0.1:99999", "", "1.2.3.4:x", "my host:1"}) {
    auto addr = parse_address(worker_addr_option, bad);
    REQUIRE_FALSE(addr);
    CHECK(code_of(addr.error()) == error::config);
    CHECK(message_of(addr.error())
          == "invalid --bind / WORKER_ADDR value '" + std::string{bad}
               + "': expected host:port such as 127.0.0.1:61000 or localhost:61000");
  }
  auto nowhere = parse_address(worker_addr_option, "nowhere.invalid:1");
  REQUIRE_FALSE(nowhere);
  CHECK(code_of(nowhere.error()) == error::config);
  CHECK(message_of(nowhere.error())
        == "invalid --bind / WORKER_ADDR value 'nowhere.invalid:1': cannot resolve "
           "'nowhere.invalid': Name or service not known");
}

TEST_CASE("switches, levels and labels accept their spellings and refuse the rest",
          "[env_options]") {
  for (auto yes : {"true", "TRUE", "1", "yes", "on"})
    CHECK(parse_switch(failure_option, yes) == true);
  for (auto no : {"false", "0", "no", "Off", ""})
    CHECK(parse_switch(failure_option, no) == false);
  CHECK_FALSE(parse_switch(failure_option, "maybe"));
  CHECK(parse_level(log_level_option, "WARN") == log_level::warn);
  CHECK(parse_level(log_level_option, "trace") == log_level::debug);
  CHECK_FALSE(parse_level(log_level_option, "loud"));
  CHECK(parse_label(worker_label_option, "worker-a") == std::string{"worker-a"});
  CHECK_FALSE(parse_label(worker_label_option, ""));
  CHECK_FALSE(parse_label(worker_label_option, "two words"));
  CHECK_FALSE(parse_label(worker_label_option, std::string(65, 'x')));
}
