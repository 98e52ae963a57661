// The library's log lines (library_log.hpp), collected for a test while an
// object of this class lives; the default handler and level come back when
// it goes.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <rpcnet/transport/library_log.hpp>

namespace rpcnet::test {

class captured_log {
public:
  captured_log() {
    set_log_handler([this](log_level level, const std::string& line) {
      std::lock_guard<std::mutex> guard{mtx_};
      lines_.emplace_back(level, line);
    });
  }

  ~captured_log() {
    set_log_handler({});
    set_log_level(log_level::info);
  }

  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  /// Every line so far, with its level.
  std::vector<std::pair<log_level, std::string>> lines() {
    std::lock_guard<std::mutex> guard{mtx_};
    return lines_;
  }

private:
  std::mutex mtx_;
  std::vector<std::pair<log_level, std::string>> lines_;
};

} // namespace rpcnet::test
