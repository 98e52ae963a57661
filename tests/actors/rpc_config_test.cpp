// Tests the configuration idiom on rpc_config (configuration.hpp): builders
// return a changed copy, validate() names every bad field in one error --
// the transport limits it hands on under their own names -- and a server
// or client refuses to start from a configuration that fails it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>

#include "test_certs.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

TEST_CASE("the test configurations are valid, and a builder returns a changed copy",
          "[config]") {
  CHECK_FALSE(test::server_config().validate());
  CHECK_FALSE(test::client_config().validate());
  auto original = test::client_config();
  auto changed = original.with_call_timeout(2s).with_server_name("other");
  CHECK(changed.call_timeout == 2s);
  CHECK(changed.server_name == "other");
  CHECK(original.call_timeout == rpc_config::default_call_timeout);
  CHECK(original.server_name == "localhost");
}

TEST_CASE("an rpc_config with several bad fields names every one of them in one error",
          "[config]") {
  auto cfg = rpc_config{"", "127.0.0.1"}
               .with_server_name("")
               .with_call_timeout(0ms)
               .with_max_concurrent_streams(0)
               .with_client_certificate("client_cert.pem", "");
  auto err = cfg.validate();
  REQUIRE(err);
  CHECK(code_of(err) == error::config);
  CHECK(config_errors::problems_of(err)
        == std::vector<std::string>{
          "bind_address '127.0.0.1' is not a host:port (it has no ':port')",
          "client_cert_path and client_key_path are set together or not at all",
          "max_concurrent_streams must be positive",
          "cert_path or ca_path must name a PEM file (a server presents cert_path, a client "
          "trusts ca_path or else cert_path)",
          "server_name must not be empty",
          "call_timeout must be positive",
        });
  CHECK(message_of(err).rfind("invalid rpc_config: bind_address", 0) == 0);
}

TEST_CASE("a server or client does not start from an rpc_config that fails validation",
          "[config]") {
  runtime rt;
  rpc_server server{rt.system(), test::server_config().with_max_frame_size(0)};
  auto bound = server.bind();
  REQUIRE_FALSE(bound);
  CHECK(config_errors::problems_of(bound.error())
        == std::vector<std::string>{"max_frame_size must be positive"});
  auto client = rpc_client::connect(rt.system(), "127.0.0.1:9",
                                    test::client_config().with_call_timeout(-1ms));
  REQUIRE_FALSE(client);
  CHECK(config_errors::problems_of(client.error())
        == std::vector<std::string>{"call_timeout must be positive"});
}
