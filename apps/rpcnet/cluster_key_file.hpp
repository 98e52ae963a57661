// Cluster key files, the form a key takes outside a join token: the key in
// standard base64 on one line (as serf and memberlist write theirs), written
// by `rpcnet keygen --out PATH` readable by its owner alone and read back by
// --cluster-key-file. RPCNET_CLUSTER_KEY holds the same text. A file may
// hold more keys, one per line, while keys rotate: the first seals what the
// node sends, every one opens what it receives (docs/operations.md, "Rotating
// the cluster key").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace rpcnet::cli {

/// The key in `text` (standard base64; spaces and line breaks around it are
/// ignored). A config error that starts with `source` (where the text came
/// from) and never repeats the text.
caf::expected<std::vector<uint8_t>> parse_cluster_key(std::string_view text,
                                                      const std::string& source);

/// The key the file at `path` holds. A config error naming the path when it
/// cannot be read, is not a regular file of at most 1 KiB, or does not hold
/// a 16, 24 or 32-byte key.
caf::expected<std::vector<uint8_t>> read_cluster_key_file(const std::string& path);

/// The keys the file at `path` holds, one per line (blank lines ignored),
/// the one that seals first: at least one, at most 16, none twice. Errors
/// as read_cluster_key_file's, naming the line when the file has several.
caf::expected<std::vector<std::vector<uint8_t>>> read_cluster_key_ring(const std::string& path);

/// Writes `key` and a newline to a new file at `path` with mode 0600. An io
/// error if the file exists (a key is never overwritten: it may be the only
/// copy of a running cluster's key) or cannot be written.
caf::error write_cluster_key_file(const std::string& path, std::span<const uint8_t> key);

} // namespace rpcnet::cli
