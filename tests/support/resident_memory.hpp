// The resident memory of a running process as the kernel counts it
// (VmRSS in /proc/<pid>/status), for tests that bound what a process under
// attack keeps: a leak shows as growth between two readings.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace rpcnet::test {

/// VmRSS of process `pid` in KiB; 0 when it has none (it is gone, or a
/// zombie).
inline uint64_t resident_kib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string key; status >> key; status.ignore(1024, '\n'))
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      status >> kib;
      return kib;
    }
  return 0;
}

} // namespace rpcnet::test
