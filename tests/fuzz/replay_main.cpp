// The main of a fuzz target in the ordinary build, where libFuzzer is not:
// runs every file of the folders it is given through LLVMFuzzerTestOneInput
// once, so that a target's seed corpus and its regressions (inputs that once
// broke it) are a CTest test under any compiler and sanitizer.
//
//   rpcnet-fuzz-replay-<name> <seed corpus> [<more folders>...]
//
// The seed corpus must hold at least one file (a replay of nothing would
// pass for nothing); further folders may be missing or empty. Each file's
// name is printed before it runs, so a trap names its input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

/// The regular files of `dir` but dotfiles, in name order so that runs repeat.
std::vector<fs::path> inputs_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{dir, ec})
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with("."))
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<uint8_t> contents_of(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SEED-CORPUS [FOLDER...]\n", argv[0]);
    return 2;
  }
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    auto files = inputs_in(argv[i]);
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "%s: the seed corpus %s is missing or empty\n", argv[0], argv[i]);
      return 1;
    }
    for (const auto& file : files) {
      auto bytes = contents_of(file);
      std::printf("%s (%zu bytes)\n", file.c_str(), bytes.size());
      std::fflush(stdout);
      // libFuzzer never passes a null pointer, not even for an empty input.
      static const uint8_t none = 0;
      LLVMFuzzerTestOneInput(bytes.empty() ? &none : bytes.data(), bytes.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
