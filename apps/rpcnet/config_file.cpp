// Reading a configuration file with toml++ (the one file that includes it,
// for its compile cost) and checking each table and key against the schema.
#include "config_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include <toml++/toml.h>

namespace rpcnet::cli {

namespace {

config_position position_of(const toml::source_region& region) {
  return {region.begin.line, region.begin.column};
}

/// "a string", "an integer", ...: what a value is, for "must be X, not Y".
std::string_view kind_name(config_kind kind) {
  switch (kind) {
    case config_kind::text:
      return "a string";
    case config_kind::integer:
      return "an integer";
    case config_kind::number:
      return "a number";
    case config_kind::boolean:
      return "true or false";
    case config_kind::text_list:
      return "a list of strings";
  }
  return "?";
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

/// The number of single-character edits that turn `a` into `b`.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j < row.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row.back();
}

/// The one name among `known` that `typed` is close to (a typo, not another
/// word: at most two edits, and at most a third of the name), or nothing
/// when none is or two are equally close.
std::optional<std::string_view> closest(std::string_view typed,
                                        const std::vector<std::string_view>& known) {
  std::optional<std::string_view> best;
  size_t best_distance = 3;
  bool tie = false;
  for (auto name : known) {
    auto distance = edit_distance(typed, name);
    if (distance > 2 || distance * 3 > name.size())
      continue;
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
      tie = false;
    } else if (distance == best_distance && name != *best) {
      tie = true;
    }
  }
  return tie ? std::nullopt : best;
}

const config_key* find_key(const std::vector<config_key>& keys, std::string_view name) {
  auto i = std::find_if(keys.begin(), keys.end(),
                        [&](const config_key& k) { return k.name == name; });
  return i == keys.end() ? nullptr : &*i;
}

std::string shortest_text(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string{};
}

} // namespace

/// Walks a parsed TOML document and fills a config_file with its values
/// and problems.
class config_reader {
public:
  config_reader(config_file& file, const config_schema& schema) : file_(file), schema_(schema) {
  }

  void read(const toml::table& doc) {
    for (auto&& [key, node] : doc) {
      auto name = key.str();
      if (auto keys = section_keys(name)) {
        if (auto* table = node.as_table())
          read_section(name, *table, *keys);
        else
          problem(key.source(), "'" + std::string{name} + "' must be a table ([" + std::string{name}
                                  + "]), not " + std::string{type_name(node.type())});
      } else if (auto* known = find_key(schema_.common, name)) {
        read_value(file_.top_, *known, key, node, "");
      } else if (node.is_table()) {
        unknown_table(key);
      } else {
        unknown_top_level_key(key);
      }
    }
  }

private:
  // -- the tables --

  const std::vector<config_key>* section_keys(std::string_view name) const {
    for (const auto& [section, keys] : schema_.sections)
      if (section == name)
        return &keys;
    return nullptr;
  }

  void read_section(std::string_view section, const toml::table& table,
                    const std::vector<config_key>& keys) {
    auto& values = file_.sections_[std::string{section}];
    for (auto&& [key, node] : table) {
      auto name = key.str();
      const auto* known = find_key(keys, name);
      if (!known)
        known = find_key(schema_.common, name);
      if (known) {
        read_value(values, *known, key, node, section);
        continue;
      }
      if (node.is_table()) {
        // No subcommand's table has tables of its own: nothing to suggest.
        problem(key.source(),
                "unknown table [" + std::string{section} + "." + std::string{name} + "]");
        continue;
      }
      std::vector<std::string_view> candidates;
      for (const auto* list : {&keys, &schema_.common})
        for (const auto& k : *list)
          candidates.push_back(k.name);
      problem(key.source(), "unknown key '" + std::string{name} + "' in [" + std::string{section}
                              + "]" + suggestion(name, candidates));
    }
  }

  void unknown_table(const toml::key& key) {
    std::vector<std::string_view> candidates;
    for (const auto& [section, keys] : schema_.sections)
      candidates.push_back(section);
    auto close = closest(key.str(), candidates);
    problem(key.source(), "unknown table [" + std::string{key.str()} + "]"
                            + (close ? "; did you mean [" + std::string{*close} + "]?" : ""));
  }

  void unknown_top_level_key(const toml::key& key) {
    auto name = key.str();
    // A subcommand's setting written at the top level: say where it goes.
    std::string homes;
    for (const auto& [section, keys] : schema_.sections)
      if (find_key(keys, name))
        homes += (homes.empty() ? "[" : " or [") + section + "]";
    if (!homes.empty()) {
      problem(key.source(), "'" + std::string{name} + "' is not a top-level setting; put it in "
                              + homes);
      return;
    }
    std::vector<std::string_view> candidates;
    for (const auto& k : schema_.common)
      candidates.push_back(k.name);
    problem(key.source(), "unknown key '" + std::string{name} + "'" + suggestion(name, candidates));
  }

  static std::string suggestion(std::string_view typed,
                                const std::vector<std::string_view>& known) {
    auto close = closest(typed, known);
    return close ? "; did you mean '" + std::string{*close} + "'?" : "";
  }

  // -- the values --

  /// Keeps `node` as `want.kind`'s text in `values`, or says why not.
  void read_value(config_file::value_table& values, const config_key& want, const toml::key& key,
                  const toml::node& node, std::string_view section) {
    auto where = "'" + want.name + "'"
                 + (section.empty() ? "" : " in [" + std::string{section} + "]");
    auto wrong_type = [&] {
      problem(key.source(), where + " must be " + std::string{kind_name(want.kind)} + ", not "
                              + std::string{type_name(node.type())});
    };
    std::string text;
    switch (want.kind) {
      case config_kind::text:
        if (!node.is_string())
          return wrong_type();
        text = node.as_string()->get();
        if (text.empty())
          return problem(key.source(), where + " must not be empty");
        break;
      case config_kind::integer:
        if (!node.is_integer())
          return wrong_type();
        text = std::to_string(node.as_integer()->get());
        break;
      case config_kind::number:
        if (auto* i = node.as_integer()) {
          text = std::to_string(i->get());
        } else if (auto* f = node.as_floating_point()) {
          if (!std::isfinite(f->get()))
            return problem(key.source(), where + " must be a finite number");
          text = shortest_text(f->get());
        } else {
          return wrong_type();
        }
        break;
      case config_kind::boolean:
        if (!node.is_boolean())
          return wrong_type();
        text = node.as_boolean()->get() ? "true" : "false";
        break;
      case config_kind::text_list:
        if (auto* s = node.as_string()) {
          text = s->get();
        } else if (auto* list = node.as_array()) {
          if (!join_items(*list, where, text))
            return;
        } else {
          return wrong_type();
        }
        break;
    }
    values[want.name] = config_value{std::move(text), position_of(key.source())};
  }

  /// The items of `list` joined with ','; false (with each bad item a
  /// problem) when one is not a string, is empty or holds a ',' (which
  /// the joined text could not tell from two items).
  bool join_items(const toml::array& list, const std::string& where, std::string& out) {
    bool good = true;
    for (size_t i = 0; i < list.size(); ++i) {
      const auto& item = list[i];
      auto item_name = where + " item " + std::to_string(i + 1);
      auto* s = item.as_string();
      if (!s) {
        problem(item.source(),
                item_name + " must be a string, not " + std::string{type_name(item.type())});
        good = false;
      } else if (s->get().empty() || s->get().find(',') != std::string::npos) {
        problem(item.source(),
                item_name + (s->get().empty() ? " must not be empty" : " must not contain ','"));
        good = false;
      } else {
        out += (i == 0 ? "" : ",") + s->get();
      }
    }
    return good;
  }

  void problem(const toml::source_region& region, std::string message) {
    file_.problems_.push_back({position_of(region), std::move(message)});
  }

  // -- member variables --

  config_file& file_;
  const config_schema& schema_;
};

config_file::config_file(std::string path) : path_(std::move(path)) {
}

config_file config_file::parse(std::string_view text, std::string path,
                               const config_schema& schema) {
  config_file file{std::move(path)};
  try {
    auto doc = toml::parse(text, std::string_view{file.path_});
    config_reader{file, schema}.read(doc);
  } catch (const toml::parse_error& err) {
    file.problems_.push_back({position_of(err.source()), std::string{err.description()}});
  }
  file.sort_problems();
  return file;
}

void config_file::add_problems(const std::vector<config_problem>& more) {
  problems_.insert(problems_.end(), more.begin(), more.end());
  sort_problems();
}

void config_file::sort_problems() {
  std::stable_sort(problems_.begin(), problems_.end(),
                   [](const config_problem& a, const config_problem& b) {
                     return std::pair{a.at.line, a.at.column} < std::pair{b.at.line, b.at.column};
                   });
}

config_file config_file::load(const std::string& path, const config_schema& schema) {
  auto refuse = [&](std::string message) {
    config_file file{path};
    file.problems_.push_back({{}, std::move(message)});
    return file;
  };
  auto cannot = [&](std::string_view what) {
    return refuse(std::string{what} + ": " + std::strerror(errno));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in{std::fopen(path.c_str(), "rb"), &std::fclose};
  if (!in)
    return cannot("cannot open");
  auto too_big = [&] {
    return refuse("larger than " + std::to_string(max_config_file_size >> 20)
                  + " MiB, the most a configuration file may hold");
  };
  // A regular file says its size; anything else is read up to one byte
  // past the limit.
  struct stat info {};
  if (::fstat(::fileno(in.get()), &info) == 0 && S_ISREG(info.st_mode)
      && static_cast<uintmax_t>(info.st_size) > max_config_file_size)
    return too_big();
  std::string text(max_config_file_size + 1, '\0');
  auto got = std::fread(text.data(), 1, text.size(), in.get());
  if (std::ferror(in.get()))
    return cannot("cannot read");
  if (got > max_config_file_size)
    return too_big();
  text.resize(got);
  return parse(text, path, schema);
}

const config_value* config_file::find(std::string_view section, std::string_view name) const {
  if (!section.empty())
    if (auto s = sections_.find(section); s != sections_.end())
      if (auto v = s->second.find(name); v != s->second.end())
        return &v->second;
  auto v = top_.find(name);
  return v == top_.end() ? nullptr : &v->second;
}

size_t config_file::value_count() const noexcept {
  auto n = top_.size();
  for (const auto& [name, values] : sections_)
    n += values.size();
  return n;
}

std::string config_file::describe(const config_problem& p) const {
  if (p.at.line == 0 && p.at.column == 0)
    return path_ + ": " + p.message;
  return path_ + ":" + std::to_string(p.at.line) + ":" + std::to_string(p.at.column) + ": "
         + p.message;
}

// -- layered resolution --

std::string_view to_string_view(setting_origin origin) noexcept {
  switch (origin) {
    case setting_origin::flag:
      return "flag";
    case setting_origin::environment:
      return "environment";
    case setting_origin::file:
      return "file";
    case setting_origin::fallback:
      return "default";
  }
  return "?";
}

resolved_setting resolve_layered(const env_option& option, const std::optional<std::string>& flag,
                                 const env_lookup& env, const config_file* file,
                                 std::string_view section) {
  if (flag)
    return {*flag, setting_origin::flag, std::string{option.flag}};
  if (!option.env.empty())
    if (auto value = env(option.env))
      return {*value, setting_origin::environment, std::string{option.env}};
  auto key = option.flag.substr(std::min(option.flag.find_first_not_of('-'), option.flag.size()));
  if (file && !key.empty())
    if (const auto* value = file->find(section, key))
      return {value->text, setting_origin::file,
              file->path() + ":" + std::to_string(value->at.line) + ":"
                + std::to_string(value->at.column)};
  return {std::string{option.fallback}, setting_origin::fallback, "default"};
}

} // namespace rpcnet::cli
