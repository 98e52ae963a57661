// The parser fed thousands of random mutations of valid definitions --
// bytes dropped, inserted and repeated, tokens of the subset spliced in --
// never crashes or hangs: each input either parses (and then emits) or is
// refused with an error pointing inside the input. Seeded, so a failure
// repeats; bounded in time, so sanitized builds finish.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <rpcnet/codegen/client_emitter.hpp>
#include <rpcnet/codegen/parser.hpp>
#include <rpcnet/codegen/server_emitter.hpp>
#include <rpcnet/codegen/types_emitter.hpp>

#include "definitions.hpp"

using namespace rpcnet::codegen;

namespace {

const std::vector<std::string> fragments{
  "<", ">", "{", "}", "(", ")", ";", ",", "::", ":", "=", "&", "0", "#", "/*", "*/", "//", "\n",
  " struct ", " enum class ", " namespace ", " virtual ", " const ", "rpcnet::service",
  "rpcnet::variants", "rpcnet::stream<", "rpcnet::result<", "std::vector<", "std::optional<",
  "std::map<", "std::string", "std::int32_t", "bool", "double", "#include <x>\n", "/// doc\n",
  "\xff", std::string(1, '\0')};

class mutator {
public:
  explicit mutator(uint32_t seed) : rng_(seed) {
  }

  std::string mutate(std::string text) {
    auto rounds = pick(1, 8);
    for (size_t i = 0; i < rounds; ++i)
      text = mutate_once(std::move(text));
    return text;
  }

private:
  size_t pick(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>{lo, hi}(rng_);
  }

  std::string mutate_once(std::string text) {
    auto at = text.empty() ? 0 : pick(0, text.size() - 1);
    auto len = text.empty() ? 0 : pick(0, std::min<size_t>(16, text.size() - at));
    switch (pick(0, 5)) {
      case 0: // drop a run of bytes
        text.erase(at, len);
        break;
      case 1: // a random byte
        text.insert(at, 1, static_cast<char>(pick(0, 255)));
        break;
      case 2: // a fragment of the subset
        text.insert(at, fragments[pick(0, fragments.size() - 1)]);
        break;
      case 3: // repeat a run
        text.insert(at, text.substr(at, len));
        break;
      case 4: // replace a byte
        if (!text.empty())
          text[at] = static_cast<char>(pick(0, 255));
        break;
      default: // cut the end off
        text.resize(at);
        break;
    }
    return text;
  }

  std::mt19937 rng_;
};

uint32_t line_count(const std::string& text) {
  return 1 + static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

TEST_CASE("thousands of mutated definitions never crash or hang the parser", "[fuzz]") {
  const std::vector<std::string> seeds{
    test::greeting_definition(), test::everything_definition(),
    "namespace n {\nstruct A { std::map<std::string, std::vector<std::optional<bool>>> m; };\n"
    "struct S : rpcnet::service {\n  rpcnet::stream<A> s(rpcnet::stream<A> a);\n};\n}\n"};
  const uint32_t seed = 20261127;
  mutator mutate{seed};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  const std::regex error_form{"bad\\.rpc\\.hpp:([0-9]+):([0-9]+): error: .+"};
  size_t runs = 0;
  size_t accepted = 0;
  for (; runs < 20'000 && std::chrono::steady_clock::now() < deadline; ++runs) {
    auto input = mutate.mutate(seeds[runs % seeds.size()]);
    auto parsed = parse_definition(input, "bad.rpc.hpp");
    INFO("seed " << seed << ", run " << runs);
    REQUIRE(parsed.value.has_value() != parsed.error.has_value());
    if (parsed.value) {
      ++accepted;
      CHECK_FALSE(emit_types(*parsed.value).empty());
      for (const auto& svc : parsed.value->services) {
        CHECK_FALSE(emit_client(*parsed.value, svc).empty());
        CHECK_FALSE(emit_server(*parsed.value, svc).empty());
      }
      continue;
    }
    std::smatch m;
    auto message = parsed.error->to_string();
    REQUIRE(std::regex_match(message, m, error_form));
    REQUIRE(std::stoul(m[1]) <= line_count(input));
  }
  INFO(runs << " mutations, " << accepted << " still valid");
  CHECK(runs >= 2'000);
}
