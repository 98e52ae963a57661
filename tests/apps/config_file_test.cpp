// Tests of the CLI's configuration file: a file's values come out as the
// flags would spell them, with the line and column of their key; every
// mistake in a file is reported at once, in file order, with a suggestion
// for a typo; a missing or oversized file is one problem; and a setting
// resolves as flag > environment > file > default, which `config check`
// and `config show` print.
#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fake_environment.hpp"
#include "config_command.hpp"
#include "config_file.hpp"
#include "temp_dir.hpp"

using namespace rpcnet;
using namespace rpcnet::cli;

using rpcnet::test::fake_env;

namespace {

/// A schema shaped like rpcnet's: settings of every subcommand at the top,
/// a table per subcommand.
const config_schema& test_schema() {
  static const config_schema schema{
    {{"log-level", config_kind::text}, {"certs", config_kind::text}},
    {{"director",
      {{"bind", config_kind::text},
       {"pool-interval-ms", config_kind::integer},
       {"load-factor", config_kind::number}}},
     {"worker",
      {{"bind", config_kind::text},
       {"label", config_kind::text},
       {"seeds", config_kind::text_list},
       {"simulate-failures", config_kind::boolean},
       {"join-timeout-ms", config_kind::integer}}},
     {"client", {{"director", config_kind::text}, {"tags", config_kind::text_list}}}}};
  return schema;
}

config_file parse(std::string_view text) {
  return config_file::parse(text, "rpcnet.toml", test_schema());
}

/// "line:column" of the value for `name` in `section`, or "absent".
std::string where(const config_file& file, std::string_view section, std::string_view name) {
  const auto* value = file.find(section, name);
  if (!value)
    return "absent";
  return std::to_string(value->at.line) + ":" + std::to_string(value->at.column);
}

std::string text_of(const config_file& file, std::string_view section, std::string_view name) {
  const auto* value = file.find(section, name);
  REQUIRE(value != nullptr);
  return value->text;
}

/// Each problem as describe() prints it.
std::vector<std::string> described(const config_file& file) {
  std::vector<std::string> out;
  for (const auto& p : file.problems())
    out.push_back(file.describe(p));
  return out;
}

/// Settings of the test's own, so that renaming a CLI flag does not change
/// what the test proves.
constexpr env_option bind_option{"--bind", "WORKER_ADDR", "127.0.0.1:62001"};
constexpr env_option level_option{"--log-level", "RPCNET_LOG", "info"};
constexpr env_option director_bind{"--bind", "DIRECTOR_ADDR", "127.0.0.1:61000"};
constexpr env_option flag_only{"--node", "", ""};

constexpr std::string_view valid_file = R"(log-level = "debug"
certs = "/etc/rpcnet"

[director]
bind = "0.0.0.0:61000"
pool-interval-ms = 2500
log-level = "warn"

[worker]
  label = "w-7"
  seeds = ["a:1", "b:2"]
  simulate-failures = true
)";

} // namespace

TEST_CASE("a valid file gives each value with the position of its key", "[config]") {
  auto file = parse(valid_file);
  REQUIRE(described(file).empty());
  CHECK(file.ok());
  CHECK(file.value_count() == 8);
  CHECK(text_of(file, "", "log-level") == "debug");
  CHECK(where(file, "", "log-level") == "1:1");
  CHECK(text_of(file, "director", "bind") == "0.0.0.0:61000");
  CHECK(where(file, "director", "bind") == "5:1");
  CHECK(text_of(file, "director", "pool-interval-ms") == "2500");
  CHECK(where(file, "director", "pool-interval-ms") == "6:1");
  CHECK(text_of(file, "worker", "label") == "w-7");
  CHECK(where(file, "worker", "label") == "10:3");
  CHECK(text_of(file, "worker", "seeds") == "a:1,b:2");
  CHECK(text_of(file, "worker", "simulate-failures") == "true");
  CHECK(where(file, "worker", "simulate-failures") == "12:3");
}

TEST_CASE("a subcommand's table beats the top level and absent keys are null", "[config]") {
  auto file = parse(valid_file);
  CHECK(text_of(file, "director", "log-level") == "warn");
  CHECK(where(file, "director", "log-level") == "7:1");
  // The worker has no log-level of its own: the top level's applies.
  CHECK(text_of(file, "worker", "log-level") == "debug");
  CHECK(where(file, "client", "certs") == "2:1");
  CHECK(file.find("worker", "bind") == nullptr);
  CHECK(file.find("", "bind") == nullptr);
  CHECK(file.find("client", "director") == nullptr);
  CHECK(file.find("nowhere", "nothing") == nullptr);
}

TEST_CASE("a syntax error is the one problem at toml++'s position", "[config]") {
  // The unknown key before it is not reported: toml++ stops at the error.
  auto file = parse("bogus = 1\ncerts = \nlog-level = 7\n");
  auto problems = described(file);
  REQUIRE(problems.size() == 1);
  CHECK(file.problems()[0].at.line == 2);
  CHECK(file.problems()[0].at.column == 9);
  CHECK_THAT(problems[0], Catch::StartsWith("rpcnet.toml:2:9: ")
                            && Catch::Contains("expected value"));
  CHECK(file.value_count() == 0);
}

TEST_CASE("a key defined twice is a problem at the second", "[config]") {
  auto file = parse("certs = \"a\"\ncerts = \"b\"\n");
  auto problems = described(file);
  REQUIRE(problems.size() == 1);
  CHECK(file.problems()[0].at.line == 2);
  CHECK_THAT(problems[0], Catch::Contains("cannot redefine existing string 'certs'"));
}

TEST_CASE("every mistake of a file is reported in file order", "[config]") {
  auto file = parse(R"(lg-level = "debug"
bind = "0.0.0.0:1"
certs = ""

[worker]
labl = "w"
join-timeout-ms = "5s"
seeds = ["a:1", 7, "b,c"]
simulate-failures = "yes"

[directr]
bind = "x"

[worker.tls]
ca = "ca.pem"
)");
  CHECK(described(file)
        == std::vector<std::string>{
          "rpcnet.toml:1:1: unknown key 'lg-level'; did you mean 'log-level'?",
          "rpcnet.toml:2:1: 'bind' is not a top-level setting; put it in [director] or [worker]",
          "rpcnet.toml:3:1: 'certs' must not be empty",
          "rpcnet.toml:6:1: unknown key 'labl' in [worker]; did you mean 'label'?",
          "rpcnet.toml:7:1: 'join-timeout-ms' in [worker] must be an integer, not a string",
          "rpcnet.toml:8:17: 'seeds' in [worker] item 2 must be a string, not an integer",
          "rpcnet.toml:8:20: 'seeds' in [worker] item 3 must not contain ','",
          "rpcnet.toml:9:1: 'simulate-failures' in [worker] must be true or false, not a string",
          "rpcnet.toml:11:2: unknown table [directr]; did you mean [director]?",
          "rpcnet.toml:14:9: unknown table [worker.tls]",
        });
  CHECK_FALSE(file.ok());
  // Nothing wrong is kept, nor anything of an unknown table.
  CHECK(file.value_count() == 0);
}

TEST_CASE("a name far from every key gets no suggestion", "[config]") {
  auto file = parse("colour = \"blue\"\n[nonsense]\n");
  CHECK(described(file)
        == std::vector<std::string>{"rpcnet.toml:1:1: unknown key 'colour'",
                                    "rpcnet.toml:2:2: unknown table [nonsense]"});
}

TEST_CASE("a subcommand's name must be a table", "[config]") {
  auto file = parse("director = \"127.0.0.1:61000\"\n");
  CHECK(described(file)
        == std::vector<std::string>{
          "rpcnet.toml:1:1: 'director' must be a table ([director]), not a string"});
}

TEST_CASE("numbers booleans and lists are spelled as their flags would be", "[config]") {
  auto file = parse(R"([director]
load-factor = 2.5e-3
pool-interval-ms = 0x10

[worker]
simulate-failures = false
seeds = "a:1,b:2"
join-timeout-ms = -5

[client]
tags = []
)");
  REQUIRE(described(file).empty());
  CHECK(text_of(file, "director", "load-factor") == "0.0025");
  CHECK(text_of(file, "director", "pool-interval-ms") == "16");
  CHECK(text_of(file, "worker", "simulate-failures") == "false");
  // One string is the flag's comma-separated form, kept as written.
  CHECK(text_of(file, "worker", "seeds") == "a:1,b:2");
  CHECK(text_of(file, "worker", "join-timeout-ms") == "-5");
  CHECK(text_of(file, "client", "tags").empty());
}

TEST_CASE("a number may be written as an integer but must be finite", "[config]") {
  CHECK(text_of(parse("[director]\nload-factor = 2\n"), "director", "load-factor") == "2");
  CHECK(text_of(parse("[director]\nload-factor = 1e300\n"), "director", "load-factor")
        == "1e+300");
  CHECK(text_of(parse("[director]\nload-factor = 0.1\n"), "director", "load-factor") == "0.1");
  CHECK(described(parse("[director]\nload-factor = inf\n"))
        == std::vector<std::string>{
          "rpcnet.toml:2:1: 'load-factor' in [director] must be a finite number"});
  CHECK(described(parse("[director]\npool-interval-ms = 2.0\n"))
        == std::vector<std::string>{
          "rpcnet.toml:2:1: 'pool-interval-ms' in [director] must be an integer, not a float"});
}

TEST_CASE("a missing file is one problem naming the path and the reason", "[config]") {
  test::temp_dir dir;
  auto path = dir.file("absent.toml");
  auto file = config_file::load(path, test_schema());
  REQUIRE(file.problems().size() == 1);
  CHECK(file.problems()[0].at.line == 0);
  CHECK(file.describe(file.problems()[0])
        == path + ": cannot open: No such file or directory");
}

TEST_CASE("a file larger than 1 MiB is refused and one of 1 MiB is read", "[config]") {
  test::temp_dir dir;
  auto comment = [](size_t size) { return "#" + std::string(size - 2, 'x') + "\n"; };
  auto big = dir.write("big.toml", comment(max_config_file_size + 1));
  auto refused = config_file::load(big, test_schema());
  REQUIRE(refused.problems().size() == 1);
  CHECK(refused.describe(refused.problems()[0])
        == big + ": larger than 1 MiB, the most a configuration file may hold");

  auto fits = dir.write("fits.toml", "certs = \"c\"\n" + comment(max_config_file_size - 12));
  auto read = config_file::load(fits, test_schema());
  CHECK(described(read).empty());
  CHECK(where(read, "", "certs") == "1:1");
}

TEST_CASE("a setting comes from the flag then the environment then the file then the default",
          "[config]") {
  auto file = parse("log-level = \"debug\"\n[worker]\nbind = \"10.0.0.9:7000\"\n");
  REQUIRE(file.ok());
  auto env = fake_env({{"WORKER_ADDR", "10.0.0.2:7000"}});
  auto none = fake_env({});

  auto flag = resolve_layered(bind_option, std::string{"10.0.0.1:7000"}, env, &file,
                              "worker");
  CHECK(flag.value == "10.0.0.1:7000");
  CHECK(flag.origin == setting_origin::flag);
  CHECK(flag.where == "--bind");

  auto from_env = resolve_layered(bind_option, std::nullopt, env, &file, "worker");
  CHECK(from_env.value == "10.0.0.2:7000");
  CHECK(from_env.origin == setting_origin::environment);
  CHECK(from_env.where == "WORKER_ADDR");

  auto from_file = resolve_layered(bind_option, std::nullopt, none, &file, "worker");
  CHECK(from_file.value == "10.0.0.9:7000");
  CHECK(from_file.origin == setting_origin::file);
  CHECK(from_file.where == "rpcnet.toml:3:1");

  // The top level's value serves every subcommand.
  auto level = resolve_layered(level_option, std::nullopt, none, &file, "worker");
  CHECK(level.value == "debug");
  CHECK(level.where == "rpcnet.toml:1:1");

  // The director's table has no bind; without a file nothing changes.
  for (const config_file* f : std::array<const config_file*, 2>{&file, nullptr}) {
    auto fallback = resolve_layered(director_bind, std::nullopt, none, f, "director");
    CHECK(fallback.value == "127.0.0.1:61000");
    CHECK(fallback.origin == setting_origin::fallback);
    CHECK(fallback.where == "default");
  }
  CHECK(to_string_view(setting_origin::fallback) == "default");
  CHECK(to_string_view(setting_origin::environment) == "environment");
}

TEST_CASE("a flag-only setting never asks the environment", "[config]") {
  bool asked = false;
  env_lookup spy = [&](std::string_view) -> std::optional<std::string> {
    asked = true;
    return std::string{"from env"};
  };
  auto node = resolve_layered(flag_only, std::nullopt, spy, nullptr, "");
  CHECK_FALSE(asked);
  CHECK(node.origin == setting_origin::fallback);
}

TEST_CASE("config check lists each problem on stderr and exits 2", "[config]") {
  test::temp_dir dir;
  auto bad = dir.write("bad.toml", "certs = \"c\"\nlabl = 1\n[worker]\nlabel = 3\n");
  std::ostringstream out;
  std::ostringstream err;
  CHECK(run_config_check(bad, test_schema(), out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str()
        == bad + ":2:1: unknown key 'labl'\n" + bad
             + ":4:1: 'label' in [worker] must be a string, not an integer\n");
}

TEST_CASE("config check says ok with the number of settings and exits 0", "[config]") {
  test::temp_dir dir;
  auto good = dir.write("good.toml", std::string{valid_file});
  std::ostringstream out;
  std::ostringstream err;
  CHECK(run_config_check(good, test_schema(), out, err) == 0);
  CHECK(out.str() == good + ": ok (8 settings)\n");
  CHECK(err.str().empty());
}

namespace {

effective_settings shown_settings() {
  return {{"bind", {"0.0.0.0:62001", setting_origin::flag, "--bind"}},
          {"label", {"worker-env", setting_origin::environment, "WORKER_LABEL"}},
          {"log-level", {"debug", setting_origin::file, "rpcnet.toml:3:1"}},
          {"certs", {"certs", setting_origin::fallback, "default"}},
          {"cluster-key", {"c2VjcmV0LWtleQ==", setting_origin::environment, "RPCNET_CLUSTER_KEY"}}};
}

} // namespace

TEST_CASE("config show prints an aligned table of values and origins", "[config]") {
  std::ostringstream out;
  print_effective(out, shown_settings(), {"cluster-key"}, false);
  auto text = out.str();
  std::istringstream lines{text};
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);)
    rows.push_back(line);
  REQUIRE(rows.size() == 6);
  CHECK_THAT(rows[0], Catch::StartsWith("SETTING"));
  CHECK_THAT(rows[1], Catch::StartsWith("bind") && Catch::EndsWith("flag (--bind)"));
  CHECK_THAT(rows[2], Catch::EndsWith("environment (WORKER_LABEL)"));
  CHECK_THAT(rows[3], Catch::Contains("debug") && Catch::EndsWith("file (rpcnet.toml:3:1)"));
  CHECK_THAT(rows[4], Catch::EndsWith("  default"));
  CHECK_THAT(rows[5], Catch::Contains("(secret)"));
  CHECK_THAT(text, !Catch::Contains("c2VjcmV0"));
  // The values start in one column, and so do the origins.
  CHECK(rows[1].find("0.0.0.0") == rows[0].find("VALUE"));
  CHECK(rows[3].find("debug") == rows[0].find("VALUE"));
  CHECK(rows[3].find("file") == rows[0].find("ORIGIN"));
  CHECK(rows[5].find("environment") == rows[0].find("ORIGIN"));
}

TEST_CASE("config show with json prints one object with every field", "[config]") {
  std::ostringstream out;
  print_effective(out, shown_settings(), {"cluster-key"}, true);
  CHECK_THAT(out.str(), !Catch::Contains("c2VjcmV0"));
  auto doc = nlohmann::json::parse(out.str());
  const auto& settings = doc.at("settings");
  CHECK(settings.size() == 5);
  CHECK(settings.at("bind").at("value") == "0.0.0.0:62001");
  CHECK(settings.at("bind").at("origin") == "flag");
  CHECK(settings.at("bind").at("where") == "--bind");
  CHECK(settings.at("bind").at("redacted") == false);
  CHECK(settings.at("log-level").at("origin") == "file");
  CHECK(settings.at("log-level").at("where") == "rpcnet.toml:3:1");
  CHECK(settings.at("certs").at("origin") == "default");
  CHECK(settings.at("cluster-key").at("value").is_null());
  CHECK(settings.at("cluster-key").at("redacted") == true);
  CHECK(settings.at("cluster-key").at("origin") == "environment");
}

TEST_CASE("config show refuses a file with problems", "[config]") {
  auto file = parse("[worker]\nlabl = \"w\"\n");
  std::ostringstream out;
  std::ostringstream err;
  CHECK(run_config_show(&file, shown_settings(), {}, false, out, err) == 2);
  CHECK(out.str().empty());
  CHECK(err.str() == "rpcnet.toml:2:1: unknown key 'labl' in [worker]; did you mean 'label'?\n");
  auto good = parse(valid_file);
  CHECK(run_config_show(&good, shown_settings(), {}, false, out, err) == 0);
  CHECK_THAT(out.str(), Catch::Contains("c2VjcmV0"));
}
