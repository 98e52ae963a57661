// An environment for tests of the CLI's settings: the variables given and
// no others, as the env_lookup that env_options.hpp reads through.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "env_options.hpp"

namespace rpcnet::test {

inline cli::env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto i = vars.find(std::string{name});
    if (i == vars.end())
      return std::nullopt;
    return i->second;
  };
}

} // namespace rpcnet::test
