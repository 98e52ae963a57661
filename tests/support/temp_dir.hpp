// A directory of the test's own under the system's temporary one, removed
// with everything in it at scope exit, and a file written into it in one
// call: for tests of code that reads or writes files.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

namespace rpcnet::test {

class temp_dir {
public:
  temp_dir() {
    auto pattern = (std::filesystem::temp_directory_path() / "rpcnet-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The path of `name` in the directory (which need not exist).
  std::string file(const std::string& name) const {
    return (path_ / name).string();
  }

  /// Writes `text` to `name` in the directory; its path.
  std::string write(const std::string& name, const std::string& text) const {
    auto path = file(name);
    std::ofstream out{path, std::ios::binary};
    out << text;
    REQUIRE(out.good());
    return path;
  }

private:
  std::filesystem::path path_;
};

} // namespace rpcnet::test
