// `rpcnet config check FILE` (is a configuration file right, and if not,
// every mistake with its line and column) and `rpcnet config show` (each
// setting's effective value and where it came from: flag, environment,
// file or default). main.cpp reads the flags and builds the schema; these
// are the programs.
#pragma once

#include <functional>
#include <iosfwd>
#include <set>
#include <string>

#include "config_file.hpp"

namespace rpcnet::cli {

/// Names whose values `config show` hides (a cluster key, say).
using redacted_names = std::set<std::string, std::less<>>;

/// What judges a file's values beyond their types (the flags' own checks):
/// the problems it finds.
using config_value_check = std::function<std::vector<config_problem>(const config_file&)>;

/// Loads `path` against `schema` and, when given, runs `check` on it. With
/// problems: prints each as "PATH:LINE:COLUMN: message" on `err` and
/// returns 2. Otherwise prints "PATH: ok (N settings)" on `out` and
/// returns 0.
int run_config_check(const std::string& path, const config_schema& schema, std::ostream& out,
                     std::ostream& err, const config_value_check& check = {});

/// Prints `settings` on `out`: a table of name, value and origin (with
/// where, e.g. "file (rpcnet.toml:3:1)"), or with `json` one JSON object
/// {"settings":{"NAME":{"value":..,"origin":..,"where":..,"redacted":..}}}.
/// The value of each name in `redacted` is "(secret)" in the table and null
/// in the JSON. The table's text is escaped (utf8::escaped); the JSON is
/// valid whatever the bytes (nlohmann::json escapes controls and writes a
/// byte that is not UTF-8 as U+FFFD).
void print_effective(std::ostream& out, const effective_settings& settings,
                     const redacted_names& redacted, bool json);

/// `config show`: the problems of `file` (when there is one) on `err` and 2
/// if it has any, else print_effective and 0.
int run_config_show(const config_file* file, const effective_settings& settings,
                    const redacted_names& redacted, bool json, std::ostream& out,
                    std::ostream& err);

} // namespace rpcnet::cli
