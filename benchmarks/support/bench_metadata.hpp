// The metadata `unary --metadata N` attaches to every call, shared by
// rpcnet-bench and the gRPC baseline so that both stacks carry byte for
// byte the same pairs.
//
// "32 B a pair" counts the key and the value as the application hands them
// over: "x-bench-00" (10 bytes) and a 22-byte printable value. Neither
// stack's wire framing counts (rpcnet adds 3 length bytes a pair; gRPC's
// HPACK its own encoding).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpcnet::bench {

inline constexpr size_t metadata_pair_bytes = 32;
inline constexpr size_t max_metadata_pairs = 64;

/// What --metadata's help says a pair is, for both programs.
inline constexpr char metadata_help[]
  = "metadata pairs each call carries, each 32 B: key plus value as the caller hands them "
    "over, key \"x-bench-NN\" (10 B, lower-case as gRPC wants) and a 22 B printable ASCII "
    "value; wire framing not counted. 0 (the default): calls carry no metadata";

/// Prefix of every benchmark key, for servers that also see other metadata.
inline constexpr char metadata_key_prefix[] = "x-bench-";

/// `n` pairs of metadata_pair_bytes each: keys x-bench-00.., values of
/// printable ASCII that differ per pair so no stack can share them.
inline std::vector<std::pair<std::string, std::string>> bench_metadata_pairs(size_t n) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string key = metadata_key_prefix;
    key += static_cast<char>('0' + i / 10 % 10);
    key += static_cast<char>('0' + i % 10);
    std::string value;
    for (size_t j = key.size(); j < metadata_pair_bytes; ++j)
      value += static_cast<char>('A' + (i + j) % 26);
    pairs.emplace_back(std::move(key), std::move(value));
  }
  return pairs;
}

/// True when `key`/`value` could be one of the benchmark's pairs (the
/// servers' check that the metadata arrived whole).
inline bool is_bench_pair(std::string_view key, std::string_view value) {
  return key.starts_with(metadata_key_prefix) && key.size() + value.size() == metadata_pair_bytes;
}

} // namespace rpcnet::bench
