// A running node's credentials re-read without a restart: on SIGHUP, or
// when one of the files changes on disk (looked at once a second), the
// cluster key file (--cluster-key-file) is read again and its keys are
// installed, made primary and removed in the order that keeps gossip
// flowing (install the new, seal with the first, drop those no longer
// listed), and the TLS certificate, key and CA are reloaded into the
// server, which applies them to new connections only. A file that cannot
// be read or is not valid is refused with a warning, and what is in use
// stays.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rpcnet/actors/rpc_server.hpp>
#include <rpcnet/membership/cluster_membership.hpp>

#include "file_change_detector.hpp"
#include "shutdown_signal.hpp"

namespace rpcnet::cli {

/// The cluster keys a node holds now, the sealing one first, read by its
/// admin service's key check while a reload may replace them.
class cluster_key_set {
public:
  using key = std::vector<uint8_t>;

  explicit cluster_key_set(std::vector<key> keys) : keys_(std::move(keys)) {
  }

  std::vector<key> get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return keys_;
  }

  void set(std::vector<key> keys) {
    std::lock_guard<std::mutex> guard{mtx_};
    keys_ = std::move(keys);
  }

private:
  mutable std::mutex mtx_;
  std::vector<key> keys_;
};

class credential_reloader {
public:
  /// What is re-read: the key file (none: the key came from elsewhere and
  /// stays) and the TLS files.
  struct sources {
    std::optional<std::string> key_file;
    std::vector<std::string> tls_files;
  };

  /// Starts watching `from`; SIGHUP on `signals` asks for a reload at once.
  credential_reloader(cluster_membership& cluster, rpc_server& server,
                      std::shared_ptr<cluster_key_set> keys, sources from,
                      shutdown_signal& signals);

  credential_reloader(const credential_reloader&) = delete;
  credential_reloader& operator=(const credential_reloader&) = delete;

  /// Stops watching (SIGHUP does nothing from here on).
  ~credential_reloader();

  /// Reloads now, on the caller's thread.
  void reload();

private:
  void reload_keys();
  void reload_tls();
  void run();

  cluster_membership& cluster_;
  rpc_server& server_;
  std::shared_ptr<cluster_key_set> keys_;
  sources from_;
  shutdown_signal& signals_;
  file_change_detector key_changes_;
  file_change_detector tls_changes_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  /// Declared last: it runs with everything above in place.
  std::thread watcher_;
};

} // namespace rpcnet::cli
