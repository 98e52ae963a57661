// A definition is ordinary C++: the greeting and everything definitions
// compile on their own against rpcnet/typed/service_definition.hpp, and
// rpcnet::result behaves as generated code expects.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

#include "everything.rpc.hpp"
#include "greeting.rpc.hpp"

static_assert(std::is_base_of_v<rpcnet::service, greeting::Greeting>);
static_assert(std::is_base_of_v<rpcnet::variants, greeting::GreetingError>);
static_assert(std::is_base_of_v<rpcnet::service, codegen_test::everything::Kitchen>);
static_assert(std::is_abstract_v<codegen_test::everything::Kitchen>);

TEST_CASE("rpcnet::result holds either the reply or the error", "[definition]") {
  rpcnet::result<std::string, int> ok = std::string{"fine"};
  rpcnet::result<std::string, int> failed = 7;
  CHECK(ok.has_value());
  CHECK(*ok == "fine");
  CHECK(ok->size() == 4);
  CHECK_FALSE(failed);
  CHECK(failed.error() == 7);
  CHECK(ok != failed);
  auto same = rpcnet::result<int, int>::failure(3);
  CHECK_FALSE(same.has_value());
  CHECK(same.error() == 3);
  CHECK(rpcnet::result<int, int>::ok(3).value() == 3);
}
