// Whether any of a node's credential files (its cluster key file, its TLS
// certificate, key and CA) changed on disk since it last looked: a node
// re-reads them when one did, as well as on SIGHUP. A file is known by its
// inode, size and modification time, so that one replaced by a rename (as
// deployment tools and `mv new old` do) counts as changed as much as one
// written in place; one that vanished counts too, and is refused when read.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rpcnet::cli {

class file_change_detector {
public:
  /// Records the files' state now.
  explicit file_change_detector(std::vector<std::string> paths);

  /// True if a file's state differs from the last call's (or the
  /// constructor's); records the new state either way.
  bool changed();

private:
  struct file_state {
    ino_t inode = 0;
    off_t size = -1;
    long long mtime_ns = -1;

    friend bool operator==(const file_state&, const file_state&) = default;
  };

  static file_state state_of(const std::string& path);

  std::vector<std::string> paths_;
  std::vector<file_state> states_;
};

} // namespace rpcnet::cli
