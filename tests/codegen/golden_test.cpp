// The emitted code, byte for byte, against reviewed copies in golden/: a
// change to an emitter shows up as a diff of generated C++ in review.
// RPCNET_UPDATE_GOLDEN=1 rewrites the copies after an intended change.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <rpcnet/codegen/generator.hpp>

#include "definitions.hpp"

using namespace rpcnet::codegen;
namespace fs = std::filesystem;

namespace {

void check_against_golden(const std::string& definition_path) {
  auto golden_dir = fs::path{RPCNET_SOURCE_DIR} / "tests/codegen/golden";
  auto result = generator{}.input(fs::path{RPCNET_SOURCE_DIR} / definition_path).output("").plan();
  REQUIRE(result.ok());
  bool update = std::getenv("RPCNET_UPDATE_GOLDEN") != nullptr;
  // Every service of a definition carries the same types.hpp: the first
  // one's is kept as a golden copy, the others must equal it.
  const std::string* types = nullptr;
  for (const auto& svc : result.services) {
    for (const auto& file : svc.files) {
      if (file.role == "types" && types) {
        CHECK(file.content == *types);
        continue;
      }
      if (file.role == "types")
        types = &file.content;
      auto golden = golden_dir / file.path;
      if (update) {
        fs::create_directories(golden.parent_path());
        std::ofstream{golden, std::ios::binary} << file.content;
      }
      INFO("golden file " << golden.string());
      CHECK(file.content
            == test::read_source("tests/codegen/golden/" + file.path.generic_string()));
    }
  }
}

} // namespace

TEST_CASE("the greeting service's files match their golden copies", "[golden]") {
  check_against_golden(test::greeting_path);
}

TEST_CASE("every type and method kind, three services: the files match their golden copies",
          "[golden]") {
  check_against_golden(test::everything_path);
}

TEST_CASE("generation is deterministic: the same input gives the same bytes", "[golden]") {
  auto path = fs::path{RPCNET_SOURCE_DIR} / test::everything_path;
  auto first = generator{}.input(path).plan();
  auto second = generator{}.input(path).plan();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(first.services.size() == second.services.size());
  for (size_t i = 0; i < first.services.size(); ++i)
    for (size_t j = 0; j < first.services[i].files.size(); ++j)
      CHECK(first.services[i].files[j].content == second.services[i].files[j].content);
}
