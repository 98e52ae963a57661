// The schema of the configuration-file fuzzer, shared with the seed
// generator. rpcnet's own schema is made from the CLI's options at run
// time (config_layer.hpp, in the rpcnet program), so this one copies its
// shape: the settings of every subcommand at the top level and a table per
// subcommand, with the keys of packaging/config/*.toml (so that those
// seeds are clean) and every kind of value.
#pragma once

#include "config_file.hpp"

namespace rpcnet::fuzz {

inline const cli::config_schema& config_schema() {
  using cli::config_kind;
  static const cli::config_schema schema{
    {{"log-level", config_kind::text},
     {"log-format", config_kind::text},
     {"certs", config_kind::text},
     {"cert", config_kind::text},
     {"key", config_kind::text},
     {"ca", config_kind::text},
     {"server-name", config_kind::text}},
    {{"director",
      {{"bind", config_kind::text},
       {"advertise", config_kind::text},
       {"join", config_kind::text_list},
       {"cluster-key-file", config_kind::text},
       {"strategy", config_kind::text},
       {"metrics-address", config_kind::text},
       {"gossip-interval-ms", config_kind::integer},
       {"probe-timeout-ms", config_kind::integer},
       {"suspicion-timeout-ms", config_kind::integer},
       {"phi-threshold", config_kind::number},
       {"insecure-gossip", config_kind::boolean}}},
     {"worker",
      {{"bind", config_kind::text},
       {"advertise", config_kind::text},
       {"label", config_kind::text},
       {"director", config_kind::text_list},
       {"cluster-key-file", config_kind::text},
       {"metrics-address", config_kind::text},
       {"grace-ms", config_kind::integer},
       {"simulate-failures", config_kind::boolean}}},
     {"client",
      {{"director", config_kind::text_list},
       {"tasks", config_kind::integer},
       {"duration", config_kind::number}}}}};
  return schema;
}

} // namespace rpcnet::fuzz
