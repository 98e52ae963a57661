// The configuration file applied to one subcommand's flags (CLI11 glue over
// config_file.hpp): every long option of `rpcnet director`, `worker` or
// `client` is a key of the file's [director], [worker] or [client] table
// (or of its top level, for the settings every subcommand has), typed after
// the option. A value the file holds is given to the option as if typed on
// the command line, so that the option's own conversion and range checks
// judge it, but only when neither the command line nor the option's
// environment variable set it: flags > environment > file > defaults.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config_file.hpp"
#include "env_options.hpp"

namespace rpcnet::cli {

/// The configuration file's flag, on director, worker and client.
inline constexpr env_option config_option{"--config", "RPCNET_CONFIG", ""};

/// Settings every subcommand has, allowed at a file's top level.
inline const std::set<std::string, std::less<>> common_setting_names{
  "log-level", "log-format", "certs", "cert", "key", "ca", "server-name"};

/// Settings whose values are lists ("a,b,c" or a TOML array).
inline const std::set<std::string, std::less<>> list_setting_names{"director", "join"};

class config_layer {
public:
  /// The options of `cmd` (its long names, all but --help and --config),
  /// known in files as the table `section`; `env_backed` names the options
  /// that also read an environment variable, with its default.
  config_layer(CLI::App& cmd, std::string section,
               const std::map<const CLI::Option*, env_option>& env_backed);

  const std::string& section() const noexcept {
    return section_;
  }

  /// What a file may hold for this subcommand.
  std::vector<config_key> keys() const;

  /// Gives each option that the command line did not set, and whose
  /// environment variable is unset, the file's value; one problem for each
  /// value its option refuses. Call once, after parsing the command line.
  std::vector<config_problem> apply(const config_file& file, const env_lookup& env);

  /// Each setting's value and where it came from; flags only when apply()
  /// ran after a parse that gave them.
  effective_settings effective(const config_file* file, const env_lookup& env) const;

private:
  struct setting {
    CLI::Option* option;
    std::string name;
    config_kind kind;
    /// The variable and default of an option that reads the environment.
    std::optional<env_option> env;
    /// Set on the command line (apply() records it before adding values).
    bool from_flag = false;
  };

  std::string section_;
  std::vector<setting> settings_;
};

/// The schema of a file for all of `layers`.
config_schema schema_of(const std::vector<const config_layer*>& layers);

} // namespace rpcnet::cli
