// A configuration file applied to a subcommand's options; see
// config_layer.hpp.
#include "config_layer.hpp"

#include <algorithm>

namespace rpcnet::cli {

namespace {

/// The TOML type an option takes, after CLI11's name of its type.
config_kind kind_of(const CLI::Option& option, const std::string& name) {
  if (list_setting_names.count(name) > 0)
    return config_kind::text_list;
  if (option.get_expected_min() == 0)
    return config_kind::boolean;
  auto type = option.get_type_name();
  if (type.rfind("INT", 0) == 0 || type.rfind("UINT", 0) == 0)
    return config_kind::integer;
  if (type.rfind("FLOAT", 0) == 0)
    return config_kind::number;
  return config_kind::text;
}

/// CLI11's message without the option name it starts with (which is
/// empty for some options): the problem names the key.
std::string without_option_name(std::string message) {
  auto colon = message.find(": ");
  if (colon != std::string::npos && (colon == 0 || message.rfind("--", 0) == 0))
    message.erase(0, colon + 2);
  return message;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values)
    out += (out.empty() ? "" : ",") + v;
  return out;
}

} // namespace

config_layer::config_layer(CLI::App& cmd, std::string section,
                           const std::map<const CLI::Option*, env_option>& env_backed)
  : section_(std::move(section)) {
  for (auto* option : cmd.get_options()) {
    const auto& names = option->get_lnames();
    if (names.empty() || names.front() == "help" || names.front() == "config")
      continue;
    setting s{option, names.front(), kind_of(*option, names.front()), std::nullopt, false};
    if (auto i = env_backed.find(option); i != env_backed.end())
      s.env = i->second;
    settings_.push_back(std::move(s));
  }
}

std::vector<config_key> config_layer::keys() const {
  std::vector<config_key> out;
  for (const auto& s : settings_)
    out.push_back({s.name, s.kind});
  return out;
}

std::vector<config_problem> config_layer::apply(const config_file& file, const env_lookup& env) {
  std::vector<config_problem> problems;
  for (auto& s : settings_) {
    s.from_flag = s.option->count() > 0;
    if (s.from_flag || (s.env && !s.env->env.empty() && env(s.env->env)))
      continue;
    const auto* value = file.find(section_, s.name);
    if (value == nullptr)
      continue;
    try {
      s.option->add_result(value->text);
      s.option->run_callback();
    } catch (const CLI::Error& e) {
      s.option->clear();
      problems.push_back({value->at, "'" + s.name + "': " + without_option_name(e.what())});
    }
  }
  return problems;
}

effective_settings config_layer::effective(const config_file* file, const env_lookup& env) const {
  effective_settings out;
  for (const auto& s : settings_) {
    auto flag = "--" + s.name;
    auto fallback = s.env ? std::string{s.env->fallback} : s.option->get_default_str();
    env_option option{flag, s.env ? s.env->env : std::string_view{}, fallback};
    std::optional<std::string> given;
    if (s.from_flag)
      given = joined(s.option->results());
    out.emplace_back(s.name, resolve_layered(option, given, env, file, section_));
  }
  return out;
}

config_schema schema_of(const std::vector<const config_layer*>& layers) {
  config_schema schema;
  for (const auto* layer : layers) {
    auto keys = layer->keys();
    for (const auto& key : keys) {
      bool common = common_setting_names.count(key.name) > 0;
      bool known = std::any_of(schema.common.begin(), schema.common.end(),
                               [&](const config_key& k) { return k.name == key.name; });
      if (common && !known)
        schema.common.push_back(key);
    }
    schema.sections.emplace_back(layer->section(), std::move(keys));
  }
  return schema;
}

} // namespace rpcnet::cli
