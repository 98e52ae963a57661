// The generator as the CLI and CMake use it: which files each flag
// combination writes, what the umbrella includes, a missing or invalid
// input (an error and nothing written), several inputs as sibling
// directories, and unchanged files left alone.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>

#include <rpcnet/codegen/generator.hpp>

#include "definitions.hpp"

using namespace rpcnet::codegen;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system's temporary one, removed at the end.
struct scratch_dir {
  scratch_dir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path()
           / ("rpcnet-codegen-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

fs::path source(const std::string& relative) {
  return fs::path{RPCNET_SOURCE_DIR} / relative;
}

/// Every file under `dir`, relative to it.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir))
    return out;
  for (const auto& entry : fs::recursive_directory_iterator{dir})
    if (entry.is_regular_file())
      out.insert(fs::relative(entry.path(), dir).generic_string());
  return out;
}

std::string read(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

struct flags {
  bool server_only = false;
  bool client_only = false;
  bool types_only = false;
};

/// Generates the greeting service with `f` into a fresh directory and
/// returns the files written and the umbrella's include lines.
std::pair<std::set<std::string>, std::string> generate_greeting(const flags& f) {
  scratch_dir out;
  auto result = generator{}
                  .input(source(test::greeting_path))
                  .output(out.path)
                  .server_only(f.server_only)
                  .client_only(f.client_only)
                  .types_only(f.types_only)
                  .build();
  REQUIRE(result.ok());
  auto umbrella = read(out.path / "greeting/greeting.hpp");
  std::string includes;
  for (size_t at = umbrella.find("#include"); at != std::string::npos;
       at = umbrella.find("#include", at + 1))
    includes += umbrella.substr(at, umbrella.find('\n', at) - at) + "\n";
  return {files_under(out.path), includes};
}

} // namespace

TEST_CASE("without flags a service gets types, client, server and an umbrella of all three",
          "[generator]") {
  auto [files, includes] = generate_greeting({});
  CHECK(files
        == std::set<std::string>{"greeting/client.hpp", "greeting/greeting.hpp",
                                 "greeting/server.hpp", "greeting/types.hpp"});
  CHECK(includes
        == "#include \"types.hpp\"\n#include \"client.hpp\"\n#include \"server.hpp\"\n");
}

TEST_CASE("server-only writes the server alone and skips types.hpp", "[generator]") {
  auto [files, includes] = generate_greeting({true, false, false});
  CHECK(files == std::set<std::string>{"greeting/greeting.hpp", "greeting/server.hpp"});
  CHECK(includes == "#include \"server.hpp\"\n");
}

TEST_CASE("client-only writes the client alone and skips types.hpp", "[generator]") {
  auto [files, includes] = generate_greeting({false, true, false});
  CHECK(files == std::set<std::string>{"greeting/client.hpp", "greeting/greeting.hpp"});
  CHECK(includes == "#include \"client.hpp\"\n");
}

TEST_CASE("types-only writes the types alone", "[generator]") {
  auto [files, includes] = generate_greeting({false, false, true});
  CHECK(files == std::set<std::string>{"greeting/greeting.hpp", "greeting/types.hpp"});
  CHECK(includes == "#include \"types.hpp\"\n");
}

TEST_CASE("server-only with client-only writes both and still skips types.hpp",
          "[generator]") {
  auto [files, includes] = generate_greeting({true, true, false});
  CHECK(files
        == std::set<std::string>{"greeting/client.hpp", "greeting/greeting.hpp",
                                 "greeting/server.hpp"});
  CHECK(includes == "#include \"client.hpp\"\n#include \"server.hpp\"\n");
}

TEST_CASE("types-only with server-only: types are skipped, as in the Rust RpcNet",
          "[generator]") {
  auto [files, includes] = generate_greeting({true, false, true});
  CHECK(files == std::set<std::string>{"greeting/greeting.hpp", "greeting/server.hpp"});
  CHECK(includes == "#include \"server.hpp\"\n");
}

TEST_CASE("a missing input is reported as the Rust RpcNet does, and nothing is written",
          "[generator]") {
  scratch_dir out;
  auto result = generator{}
                  .input(source(test::greeting_path))
                  .input("no/such/file.rpc.hpp")
                  .output(out.path)
                  .build();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error->to_string() == "Error: Input file 'no/such/file.rpc.hpp' does not exist.");
  CHECK(files_under(out.path).empty());
}

TEST_CASE("an invalid definition among several stops the run before anything is written",
          "[generator]") {
  scratch_dir out;
  auto bad = out.path / "bad.rpc.hpp";
  std::ofstream{bad} << "namespace n {\nstruct S : rpcnet::service {\n  bool m(bool b);\n};\n}\n";
  auto result = generator{}
                  .input(source(test::greeting_path))
                  .input(bad)
                  .output(out.path / "generated")
                  .build();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error->to_string()
        == bad.string()
             + ":3:3: error: method 'm' must return rpcnet::result<T, E> or rpcnet::stream<T>");
  CHECK_FALSE(fs::exists(out.path / "generated"));
}

TEST_CASE("several inputs and services become sibling directories", "[generator]") {
  scratch_dir out;
  auto result = generator{}
                  .input(source(test::greeting_path))
                  .input(source(test::everything_path))
                  .output(out.path)
                  .build();
  REQUIRE(result.ok());
  REQUIRE(result.services.size() == 4);
  CHECK(result.services[0].include_line
        == "#include \"" + (out.path / "greeting/greeting.hpp").generic_string() + "\"");
  std::set<std::string> dirs;
  for (const auto& entry : fs::directory_iterator{out.path})
    dirs.insert(entry.path().filename().string());
  CHECK(dirs == std::set<std::string>{"greeting", "kitchen", "ping", "tasks"});
}

TEST_CASE("two services that would share a directory are refused", "[generator]") {
  scratch_dir out;
  auto result = generator{}
                  .input(source(test::greeting_path))
                  .input(source(test::greeting_path))
                  .output(out.path)
                  .build();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error->what.find("service 'Greeting' would overwrite the directory of")
        != std::string::npos);
}

TEST_CASE("a second run leaves unchanged files alone and rewrites only what changed",
          "[generator]") {
  scratch_dir out;
  auto run = [&] {
    return generator{}.input(source(test::greeting_path)).output(out.path).build();
  };
  auto first = run();
  REQUIRE(first.ok());
  for (const auto& file : first.services[0].files)
    CHECK(file.written);
  auto client = out.path / "greeting/client.hpp";
  auto stamp = fs::last_write_time(client);
  std::ofstream{client, std::ios::app} << "// edited\n";
  auto second = run();
  REQUIRE(second.ok());
  for (const auto& file : second.services[0].files)
    CHECK(file.written == (file.role == "client"));
  auto third = run();
  for (const auto& file : third.services[0].files)
    CHECK_FALSE(file.written);
  CHECK(fs::last_write_time(out.path / "greeting/server.hpp") <= stamp);
}
