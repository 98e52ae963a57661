// The CLI's configuration file (TOML), the layer between the environment and
// the defaults: flags > environment > file > defaults. A file holds settings
// of every subcommand at its top level (log-level, certs) and tables named
// after subcommands ([director], [worker], [client]); each key is a flag's
// name without the dashes. A file is checked whole against a schema, so that
// `rpcnet config check` lists every mistake with its line and column, and
// each value is kept as the flag would spell it, so that the flags' parsers
// (env_options.hpp) check it and name it in their errors like any other.
// toml++ is included by config_file.cpp alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "env_options.hpp"

namespace rpcnet::cli {

// -- the schema --

/// The TOML type a setting must have.
enum class config_kind : uint8_t {
  /// A non-empty string.
  text,
  /// An integer.
  integer,
  /// A float, or an integer.
  number,
  /// true or false.
  boolean,
  /// An array of strings, or one string (the flag's comma-separated form).
  text_list,
};

/// One setting a file may hold: its name (the flag's name without the
/// dashes, e.g. "bind", "gossip-interval-ms", "cluster-key-file") and the
/// TOML type it must have.
struct config_key {
  std::string name;
  config_kind kind;
};

/// Which keys each table may hold: top-level keys (settings of every
/// subcommand, e.g. "log-level", "certs") and tables named after
/// subcommands ([director], [worker], [client]). A subcommand's table may
/// also hold a top-level key, which then applies to that subcommand alone.
struct config_schema {
  /// Allowed at the top level and in every section.
  std::vector<config_key> common;
  /// [director] and the others, each with the keys of its own.
  std::vector<std::pair<std::string, std::vector<config_key>>> sections;
};

// -- what a file holds --

/// Where in the file, 1-based as an editor counts; 0:0 is the file as a
/// whole (it cannot be read, say).
struct config_position {
  uint32_t line = 0;
  uint32_t column = 0;
};

/// A value as the flag's text would spell it, so the same parsers check it:
/// integers in decimal, numbers as written by std::to_chars (shortest
/// round-trip), booleans "true"/"false", a text_list as the items joined
/// with ',' (a single string is accepted for a text_list too). `at` is
/// where its key is.
struct config_value {
  std::string text;
  config_position at;
};

/// One thing wrong with a file.
struct config_problem {
  config_position at;
  std::string message;
};

/// The largest file load() reads; a bigger one is refused unread.
inline constexpr size_t max_config_file_size = size_t{1} << 20;

/// A parsed and checked configuration file: its values, and its problems.
/// Values that are right are kept even when others are wrong; whether a
/// file with problems may be used at all is the caller's decision.
class config_file {
public:
  // -- constructors --

  /// Parses `text` (named `path` in messages) against `schema`. Problems
  /// are collected, not thrown: a TOML syntax error, an unknown table, an
  /// unknown key (with "did you mean X?" when one known key is close), a
  /// wrong type, a text_list item that is not a string, an empty string
  /// where text is required, a key defined twice (toml++ reports it as a
  /// syntax error). toml++ stops at its first syntax error: that one is
  /// then the only problem.
  static config_file parse(std::string_view text, std::string path, const config_schema& schema);

  /// Reads the file (at most max_config_file_size bytes: a bigger one is a
  /// problem, not read into memory) and parses it; a file that cannot be
  /// read is one problem at 0:0 naming strerror.
  static config_file load(const std::string& path, const config_schema& schema);

  // -- properties --

  /// The value for `name` in `section`'s table, else at the top level
  /// (only common keys are kept there); nullptr if absent. An empty
  /// `section` looks at the top level alone.
  const config_value* find(std::string_view section, std::string_view name) const;

  /// Every problem, sorted by position (0:0 first).
  const std::vector<config_problem>& problems() const noexcept {
    return problems_;
  }

  /// True if the file has no problem.
  bool ok() const noexcept {
    return problems_.empty();
  }

  /// Adds what the judges of the values found (an option refusing one),
  /// keeping the problems sorted by position.
  void add_problems(const std::vector<config_problem>& more);

  /// How many values the file holds, top level and sections together.
  size_t value_count() const noexcept;

  const std::string& path() const noexcept {
    return path_;
  }

  /// "PATH:LINE:COLUMN: message", or "PATH: message" when `p` is at 0:0.
  /// Not made printable: the caller escapes what it prints.
  std::string describe(const config_problem& p) const;

private:
  // -- member types --

  /// One table's values by key.
  using value_table = std::map<std::string, config_value, std::less<>>;

  // -- constructors --

  explicit config_file(std::string path);

  void sort_problems();

  // -- member variables --

  /// The name used in messages.
  std::string path_;
  /// The top level's values (common keys only).
  value_table top_;
  /// Each section's values, by section name.
  std::map<std::string, value_table, std::less<>> sections_;
  std::vector<config_problem> problems_;

  friend class config_reader;
};

// -- layered resolution --

/// Where a setting's value came from.
enum class setting_origin : uint8_t { flag, environment, file, fallback };

/// "flag", "environment", "file", "default".
std::string_view to_string_view(setting_origin origin) noexcept;

/// A setting's value and where it came from.
struct resolved_setting {
  std::string value;
  setting_origin origin;
  /// "--bind", "DIRECTOR_ADDR", "rpcnet.toml:3:1" or "default".
  std::string where;
};

/// Settings by name, in the order they are shown.
using effective_settings = std::vector<std::pair<std::string, resolved_setting>>;

/// The flag's value if given, else the environment's (option.env, when it
/// has one), else the file's (the key is option.flag without its leading
/// dashes, looked up in `section` and then the top level; no file:
/// nullptr), else option.fallback. resolve() is this without the file.
resolved_setting resolve_layered(const env_option& option, const std::optional<std::string>& flag,
                                 const env_lookup& env, const config_file* file,
                                 std::string_view section);

} // namespace rpcnet::cli
