// Comparing files' inode, size and modification time; see
// file_change_detector.hpp.
#include "file_change_detector.hpp"

#include <sys/stat.h>

namespace rpcnet::cli {

file_change_detector::file_change_detector(std::vector<std::string> paths)
  : paths_(std::move(paths)) {
  for (const auto& path : paths_)
    states_.push_back(state_of(path));
}

bool file_change_detector::changed() {
  bool any = false;
  for (size_t i = 0; i < paths_.size(); ++i) {
    auto now = state_of(paths_[i]);
    if (!(now == states_[i])) {
      states_[i] = now;
      any = true;
    }
  }
  return any;
}

file_change_detector::file_state file_change_detector::state_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return {};
  return {info.st_ino, info.st_size,
          static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

} // namespace rpcnet::cli
