// sd_notify(3) for the CLI's nodes: the only file that talks to libsystemd.
#include "service_manager.hpp"

#include <unistd.h>

#include <string>
#include <system_error>

#include <systemd/sd-daemon.h>

#include "log.hpp"

namespace rpcnet::cli {

namespace {

/// The notification protocol is one assignment per line: a newline in a
/// status (an address or an error text) would start a bogus assignment.
std::string one_line(std::string_view text) {
  std::string line{text};
  for (auto& c : line)
    if (c == '\n' || c == '\r')
      c = ' ';
  return line;
}

void notify(const std::string& state) {
  // unset_environment = 0: NOTIFY_SOCKET must stay for STOPPING at the end.
  // A failure only costs systemd's view of the node, never the node itself.
  if (auto rv = sd_notify(0, state.c_str()); rv < 0)
    log_warn("cannot notify the service manager: "
             + std::system_category().message(-rv));
}

} // namespace

void notify_ready(std::string_view status) {
  // MAINPID names this process even when a wrapper (a shell, env) is what
  // systemd started.
  notify("READY=1\nSTATUS=" + one_line(status) + "\nMAINPID=" + std::to_string(::getpid()));
}

void notify_stopping() {
  notify("STOPPING=1");
}

void notify_status(std::string_view status) {
  notify("STATUS=" + one_line(status));
}

} // namespace rpcnet::cli
