// A page of the Prometheus text format (0.0.4) read back the way a
// scraper reads it: each sample line becomes name + label set -> value,
// each TYPE line a name -> type, so a test asks for a series by its labels
// (all of them, or some and sums the rest) instead of matching text. And
// scrape(), which fetches and parses an admin address's /metrics, and
// promtool_check(), Prometheus' own verdict on a page.
#pragma once

#include <sys/wait.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "http_probe.hpp"
#include "temp_dir.hpp"

namespace rpcnet::test {

class scraped_metrics {
public:
  using labels = std::map<std::string, std::string>;

  explicit scraped_metrics(std::string page) : text_(std::move(page)) {
    std::string_view rest = text_;
    while (!rest.empty()) {
      auto end = rest.find('\n');
      auto line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      if (line.empty())
        continue;
      if (line.rfind("# TYPE ", 0) == 0)
        read_type(line.substr(7));
      else if (line[0] != '#' && !read_sample(line))
        malformed_.emplace_back(line);
    }
  }

  /// The sample `name` with exactly the labels `exact`.
  std::optional<double> value(std::string_view name, const labels& exact = {}) const {
    for (const auto& s : samples_)
      if (s.name == name && s.label_set == exact)
        return s.value;
    return std::nullopt;
  }

  /// The sum of the samples `name` whose labels include `subset` (0 when
  /// there are none): a series whatever its other labels say.
  double sum(std::string_view name, const labels& subset = {}) const {
    double total = 0;
    for (const auto& s : samples_)
      if (s.name == name && includes(s.label_set, subset))
        total += s.value;
    return total;
  }

  /// How many samples `name` has whose labels include `subset`.
  size_t count(std::string_view name, const labels& subset = {}) const {
    size_t n = 0;
    for (const auto& s : samples_)
      n += s.name == name && includes(s.label_set, subset) ? 1 : 0;
    return n;
  }

  /// The label names of the samples `name`, each set that occurs once.
  std::set<std::set<std::string>> label_names(std::string_view name) const {
    std::set<std::set<std::string>> result;
    for (const auto& s : samples_)
      if (s.name == name) {
        std::set<std::string> keys;
        for (const auto& entry : s.label_set)
          keys.insert(entry.first);
        result.insert(std::move(keys));
      }
    return result;
  }

  /// The names of every sample on the page.
  std::set<std::string> sample_names() const {
    std::set<std::string> result;
    for (const auto& s : samples_)
      result.insert(s.name);
    return result;
  }

  /// The type a TYPE line gave `name` ("counter", "gauge", "histogram"),
  /// empty when the page has none.
  std::string type_of(std::string_view name) const {
    auto it = types_.find(std::string{name});
    return it != types_.end() ? it->second : std::string{};
  }

  /// Lines that are neither comments nor samples this parser understands.
  const std::vector<std::string>& malformed() const noexcept {
    return malformed_;
  }

  const std::string& text() const noexcept {
    return text_;
  }

private:
  struct sample {
    std::string name;
    labels label_set;
    double value = 0;
  };

  static bool includes(const labels& all, const labels& subset) {
    for (const auto& [k, v] : subset) {
      auto it = all.find(k);
      if (it == all.end() || it->second != v)
        return false;
    }
    return true;
  }

  void read_type(std::string_view rest) {
    auto space = rest.find(' ');
    if (space != std::string_view::npos)
      types_[std::string{rest.substr(0, space)}] = std::string{rest.substr(space + 1)};
  }

  /// name{label="value",...} value [timestamp]
  bool read_sample(std::string_view line) {
    sample s;
    auto name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos || name_end == 0)
      return false;
    s.name = std::string{line.substr(0, name_end)};
    line.remove_prefix(name_end);
    if (line[0] == '{') {
      line.remove_prefix(1);
      while (!line.empty() && line[0] != '}') {
        auto eq = line.find("=\"");
        if (eq == std::string_view::npos)
          return false;
        auto key = std::string{line.substr(0, eq)};
        line.remove_prefix(eq + 2);
        std::string value;
        while (!line.empty() && line[0] != '"') {
          if (line[0] == '\\' && line.size() > 1) {
            value += line[1] == 'n' ? '\n' : line[1];
            line.remove_prefix(2);
          } else {
            value += line[0];
            line.remove_prefix(1);
          }
        }
        if (line.empty())
          return false;
        line.remove_prefix(1); // the closing quote
        s.label_set.emplace(std::move(key), std::move(value));
        if (!line.empty() && line[0] == ',')
          line.remove_prefix(1);
      }
      if (line.empty())
        return false;
      line.remove_prefix(1); // '}'
    }
    if (line.empty() || line[0] != ' ')
      return false;
    auto number = std::string{line.substr(1, line.find(' ', 1) - 1)};
    char* end = nullptr;
    s.value = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0')
      return false;
    samples_.push_back(std::move(s));
    return true;
  }

  std::string text_;
  std::vector<sample> samples_;
  std::map<std::string, std::string> types_;
  std::vector<std::string> malformed_;
};

/// GET /metrics on the admin address `server`, parsed; fails the test
/// unless it answers 200 with a page every line of which parses.
inline scraped_metrics scrape(const socket_address& server) {
  auto reply = http_get(server, "/metrics");
  {
    INFO("GET /metrics on " << server.to_string() << " got no answer");
    REQUIRE(reply);
  }
  {
    INFO("GET /metrics answered " << reply->status << ": " << reply->body);
    REQUIRE(reply->status == 200);
  }
  scraped_metrics page{std::move(reply->body)};
  INFO("lines that do not parse:\n" << Catch::Detail::stringify(page.malformed()));
  REQUIRE(page.malformed().empty());
  return page;
}

/// What `promtool check metrics` said of a page: its exit status (-1 when
/// it did not exit) and everything it printed.
struct promtool_verdict {
  int status = -1;
  std::string output;
};

/// Feeds `page` to promtool on its standard input.
inline promtool_verdict promtool_check(const std::string& page) {
  const std::string promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool))
    FAIL(promtool + " is missing: install the Debian package 'prometheus' to run this test");
  temp_dir dir;
  auto output = dir.file("promtool.out");
  // Should promtool stop reading early, its exit status says why; a
  // SIGPIPE would end the test program instead.
  std::signal(SIGPIPE, SIG_IGN);
  FILE* in = ::popen((promtool + " check metrics > '" + output + "' 2>&1").c_str(), "w");
  REQUIRE(in != nullptr);
  std::fwrite(page.data(), 1, page.size(), in);
  auto status = ::pclose(in);
  promtool_verdict verdict;
  verdict.status = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream said{output, std::ios::binary};
  verdict.output.assign(std::istreambuf_iterator<char>{said}, std::istreambuf_iterator<char>{});
  return verdict;
}

} // namespace rpcnet::test
