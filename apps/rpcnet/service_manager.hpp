// What a director or a worker tells the service manager that started it
// (sd_notify(3)): that it serves, what it is doing, that it stops. A
// Type=notify unit (packaging/systemd/) is active only once READY arrives,
// so units ordered after it start against a node that accepts calls.
// Outside systemd (no NOTIFY_SOCKET in the environment) every call does
// nothing.
#pragma once

#include <string_view>

namespace rpcnet::cli {

/// READY=1, STATUS=`status` and MAINPID=<this process>: the node accepts
/// calls. Once, after the server started.
void notify_ready(std::string_view status);

/// STOPPING=1: the node leaves and drains, so systemd shows "deactivating"
/// rather than a hung service while calls in flight finish.
void notify_stopping();

/// STATUS=`status`, the line `systemctl status` shows.
void notify_status(std::string_view status);

} // namespace rpcnet::cli
