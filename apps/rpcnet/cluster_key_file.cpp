// Reading and writing cluster key files; see cluster_key_file.hpp.
#include "cluster_key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "base64.hpp"

namespace rpcnet::cli {

namespace {

/// A key file is one line of base64; anything longer is some other file.
constexpr off_t max_key_file_size = 1024;

/// Closes a file descriptor when it goes out of scope.
class file_handle {
public:
  explicit file_handle(int fd) : fd_(fd) {
  }
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;
  ~file_handle() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const noexcept {
    return fd_;
  }

private:
  int fd_;
};

caf::error file_error(error code, const std::string& path, const std::string& why) {
  return make_error(code, "cluster key file " + path + ": " + why);
}

} // namespace

caf::expected<std::vector<uint8_t>> parse_cluster_key(std::string_view text,
                                                      const std::string& source) {
  constexpr std::string_view space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  text = first == std::string_view::npos
           ? std::string_view{}
           : text.substr(first, text.find_last_not_of(space) - first + 1);
  auto key = decode_base64_key(text);
  if (!key)
    return make_error(error::config, source + ": " + message_of(key.error()));
  return std::move(*key);
}

caf::expected<std::vector<uint8_t>> read_cluster_key_file(const std::string& path) {
  auto ring = read_cluster_key_ring(path);
  if (!ring)
    return std::move(ring.error());
  return std::move(ring->front());
}

caf::expected<std::vector<std::vector<uint8_t>>> read_cluster_key_ring(const std::string& path) {
  file_handle file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.get() < 0)
    return file_error(error::config, path, std::strerror(errno));
  struct stat info {};
  if (::fstat(file.get(), &info) != 0)
    return file_error(error::config, path, std::strerror(errno));
  if (!S_ISREG(info.st_mode) || info.st_size > max_key_file_size)
    return file_error(error::config, path,
                      "not a key file (one line of base64, as rpcnet keygen writes)");
  std::string text(static_cast<size_t>(info.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    auto n = ::read(file.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return file_error(error::config, path, std::strerror(errno));
    if (n == 0)
      break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    auto end = std::min(text.find('\n', start), text.size());
    auto line = std::string_view{text}.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos)
      lines.push_back(line);
    start = end + 1;
  }
  auto source = "cluster key file " + path;
  if (lines.size() <= 1) {
    auto key = parse_cluster_key(text, source);
    if (!key)
      return std::move(key.error());
    return std::vector<std::vector<uint8_t>>{std::move(*key)};
  }
  if (lines.size() > aead_keyring::max_keys)
    return file_error(error::config, path,
                      "more than " + std::to_string(aead_keyring::max_keys) + " keys");
  std::vector<std::vector<uint8_t>> keys;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto key = parse_cluster_key(lines[i], source + ": key " + std::to_string(i + 1));
    if (!key)
      return std::move(key.error());
    if (std::find(keys.begin(), keys.end(), *key) != keys.end())
      return file_error(error::config, path, "key " + std::to_string(i + 1) + " is listed twice");
    keys.push_back(std::move(*key));
  }
  return keys;
}

caf::error write_cluster_key_file(const std::string& path, std::span<const uint8_t> key) {
  // O_EXCL: never replace a key; the mode is set again past the umask.
  file_handle file{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (file.get() < 0)
    return file_error(error::io, path, std::strerror(errno));
  if (::fchmod(file.get(), 0600) != 0)
    return file_error(error::io, path, std::strerror(errno));
  auto line = encode_base64(key) + "\n";
  size_t put = 0;
  while (put < line.size()) {
    auto n = ::write(file.get(), line.data() + put, line.size() - put);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return file_error(error::io, path, std::strerror(errno));
    put += static_cast<size_t>(n);
  }
  return {};
}

} // namespace rpcnet::cli
