// Tests what counts as a changed credential file: written in place (size or
// time), replaced by a rename (a new inode), removed, or created where
// there was none; and that looking twice without a change says so.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "file_change_detector.hpp"
#include "temp_dir.hpp"

using namespace rpcnet::cli;
using rpcnet::test::temp_dir;

namespace {

/// Sets the file's modification time, so that a rewrite within one clock
/// tick is still a different time.
void touch_at(const std::string& path, long seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

} // namespace

TEST_CASE("a file written in place or replaced or removed is a change", "[reload]") {
  temp_dir dir;
  auto path = dir.write("cert.pem", "one");
  touch_at(path, 1'000'000);
  file_change_detector detector{{path, dir.file("later.pem")}};
  CHECK_FALSE(detector.changed());
  // The same size, only a new time: an editor saving the same length.
  dir.write("cert.pem", "two");
  touch_at(path, 1'000'001);
  CHECK(detector.changed());
  CHECK_FALSE(detector.changed());
  // Replaced by a rename with the same size and time: a new inode.
  auto staged = dir.write("staged.pem", "two");
  touch_at(staged, 1'000'001);
  std::filesystem::rename(staged, path);
  CHECK(detector.changed());
  CHECK_FALSE(detector.changed());
  std::filesystem::remove(path);
  CHECK(detector.changed());
  CHECK_FALSE(detector.changed());
  // A file that did not exist appears.
  dir.write("later.pem", "new");
  CHECK(detector.changed());
}
