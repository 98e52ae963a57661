// The `rpcnet config` commands: checking a file, and showing the effective
// settings as a table or as JSON.
#include "config_command.hpp"

#include <algorithm>
#include <array>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include <rpcnet/transport/utf8.hpp>

namespace rpcnet::cli {

namespace {

constexpr std::string_view secret_text = "(secret)";

/// "file (rpcnet.toml:3:1)"; a default is just "default".
std::string origin_text(const resolved_setting& s) {
  auto origin = std::string{to_string_view(s.origin)};
  return s.where.empty() || s.where == origin ? origin : origin + " (" + s.where + ")";
}

void print_problems(const config_file& file, std::ostream& err) {
  for (const auto& p : file.problems())
    err << utf8::escaped(file.describe(p)) << '\n';
}

void print_table(std::ostream& out, const effective_settings& settings,
                 const redacted_names& redacted) {
  std::vector<std::array<std::string, 3>> rows{{"SETTING", "VALUE", "ORIGIN"}};
  for (const auto& [name, s] : settings) {
    std::string value = redacted.contains(name) ? std::string{secret_text}
                        : s.value.empty()       ? std::string{"\"\""}
                                                : utf8::escaped(s.value);
    rows.push_back({utf8::escaped(name), std::move(value), utf8::escaped(origin_text(s))});
  }
  // The first two columns as wide as their widest cell and two spaces.
  std::array<size_t, 2> widths{};
  for (const auto& row : rows)
    for (size_t i = 0; i < widths.size(); ++i)
      widths[i] = std::max(widths[i], utf8::display_width(row[i]));
  for (const auto& row : rows) {
    for (size_t i = 0; i < widths.size(); ++i)
      out << row[i] << std::string(widths[i] + 2 - utf8::display_width(row[i]), ' ');
    out << row.back() << '\n';
  }
}

void print_json(std::ostream& out, const effective_settings& settings,
                const redacted_names& redacted) {
  auto all = nlohmann::ordered_json::object();
  for (const auto& [name, s] : settings) {
    bool secret = redacted.contains(name);
    all[name] = {{"value", secret ? nlohmann::ordered_json{} : nlohmann::ordered_json(s.value)},
                 {"origin", to_string_view(s.origin)},
                 {"where", s.where},
                 {"redacted", secret}};
  }
  nlohmann::ordered_json doc{{"settings", std::move(all)}};
  out << doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

} // namespace

int run_config_check(const std::string& path, const config_schema& schema, std::ostream& out,
                     std::ostream& err, const config_value_check& check) {
  auto file = config_file::load(path, schema);
  if (check)
    file.add_problems(check(file));
  if (!file.ok()) {
    print_problems(file, err);
    return 2;
  }
  auto n = file.value_count();
  out << utf8::escaped(path) << ": ok (" << n << (n == 1 ? " setting)" : " settings)") << '\n';
  return 0;
}

void print_effective(std::ostream& out, const effective_settings& settings,
                     const redacted_names& redacted, bool json) {
  if (json)
    print_json(out, settings, redacted);
  else
    print_table(out, settings, redacted);
}

int run_config_show(const config_file* file, const effective_settings& settings,
                    const redacted_names& redacted, bool json, std::ostream& out,
                    std::ostream& err) {
  if (file && !file->ok()) {
    print_problems(*file, err);
    return 2;
  }
  print_effective(out, settings, redacted, json);
  return 0;
}

} // namespace rpcnet::cli
