// The order of the cluster key's sources; see cluster_key_source.hpp.
#include "cluster_key_source.hpp"

#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "cluster_key_file.hpp"
#include "join_token.hpp"
#include "node_addresses.hpp"

namespace rpcnet::cli {

namespace {

/// "--join and --insecure-gossip", naming the flags given.
std::string flags_given(const key_flags& flags) {
  std::string names;
  auto add = [&](bool given, const char* name) {
    if (given)
      names += (names.empty() ? "" : " and ") + std::string{name};
  };
  add(flags.join.has_value(), "--join");
  add(flags.key_file.has_value(), "--cluster-key-file");
  add(flags.insecure, "--insecure-gossip");
  return names;
}

} // namespace

std::string_view to_string_view(key_origin origin) {
  switch (origin) {
    case key_origin::join_token:
      return "the join token";
    case key_origin::key_file:
      return "--cluster-key-file";
    case key_origin::environment:
      return cluster_key_env;
    case key_origin::generated:
      return "a new random key";
    case key_origin::insecure:
      return "--insecure-gossip";
  }
  return "--insecure-gossip";
}

caf::expected<gossip_key> resolve_gossip_key(const key_flags& flags, const env_lookup& env,
                                             without_key fallback) {
  // --join names seeds; only its tokens make it a source of the key.
  join_targets targets;
  if (flags.join) {
    auto parsed = parse_join_list(*flags.join);
    if (!parsed)
      return std::move(parsed.error());
    targets = std::move(*parsed);
  }
  auto given_flags = flags;
  if (!targets.key)
    given_flags.join.reset();
  int given = int{given_flags.join.has_value()} + int{flags.key_file.has_value()}
              + int{flags.insecure};
  if (given > 1)
    return make_error(error::config, flags_given(given_flags) + " exclude each other: give one");
  auto seeds = std::move(targets.seeds);
  if (flags.insecure)
    return gossip_key{key_origin::insecure, {}, {}, std::nullopt, std::move(seeds)};
  if (targets.key)
    return gossip_key{key_origin::join_token, std::move(*targets.key), {}, std::nullopt,
                      std::move(seeds)};
  if (flags.key_file) {
    auto ring = read_cluster_key_ring(*flags.key_file);
    if (!ring)
      return std::move(ring.error());
    auto primary = std::move(ring->front());
    ring->erase(ring->begin());
    return gossip_key{key_origin::key_file, std::move(primary), std::move(*ring),
                      *flags.key_file, std::move(seeds)};
  }
  if (auto text = env(cluster_key_env)) {
    auto key = parse_cluster_key(*text, "invalid " + std::string{cluster_key_env});
    if (!key)
      return std::move(key.error());
    return gossip_key{key_origin::environment, std::move(*key), {}, std::nullopt, std::move(seeds)};
  }
  if (fallback == without_key::refuse)
    return make_error(error::config,
                      "no cluster key: give --join TOKEN (rpcnet director prints it), "
                      "--cluster-key-file PATH or "
                        + std::string{cluster_key_env}
                        + ", or --insecure-gossip to gossip unsealed");
  auto key = generate_cluster_key();
  if (!key)
    return std::move(key.error());
  return gossip_key{key_origin::generated, std::move(*key), {}, std::nullopt, std::move(seeds)};
}

} // namespace rpcnet::cli
