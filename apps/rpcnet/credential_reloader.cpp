// Re-reading a node's key file and TLS files; see credential_reloader.hpp.
#include "credential_reloader.hpp"

#include <algorithm>
#include <utility>

#include <rpcnet/transport/error.hpp>

#include "cluster_key_file.hpp"
#include "log.hpp"

namespace rpcnet::cli {

namespace {

/// How often the files are looked at between signals.
constexpr auto poll_interval = std::chrono::seconds{1};

bool holds(const std::vector<cluster_key_set::key>& keys, const cluster_key_set::key& k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

} // namespace

credential_reloader::credential_reloader(cluster_membership& cluster, rpc_server& server,
                                         std::shared_ptr<cluster_key_set> keys, sources from,
                                         shutdown_signal& signals)
  : cluster_(cluster), server_(server), keys_(std::move(keys)), from_(std::move(from)),
    signals_(signals),
    key_changes_(from_.key_file ? std::vector<std::string>{*from_.key_file}
                                : std::vector<std::string>{}),
    tls_changes_(from_.tls_files), watcher_([this] { run(); }) {
  signals_.on_reload([this] {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      wanted_ = true;
    }
    cv_.notify_all();
  });
}

credential_reloader::~credential_reloader() {
  signals_.on_reload({});
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  watcher_.join();
}

void credential_reloader::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stopping_) {
    cv_.wait_for(lock, poll_interval, [this] { return wanted_ || stopping_; });
    if (stopping_)
      return;
    bool signalled = std::exchange(wanted_, false);
    lock.unlock();
    // Both detectors look every time, so that a signal does not leave a
    // change to be found again a second later.
    bool keys_changed = key_changes_.changed();
    bool tls_changed = tls_changes_.changed();
    if (signalled)
      log_info("SIGHUP: reloading the cluster key file and the TLS files");
    if (signalled || keys_changed)
      reload_keys();
    if (signalled || tls_changed)
      reload_tls();
    lock.lock();
  }
}

void credential_reloader::reload() {
  reload_keys();
  reload_tls();
}

void credential_reloader::reload_keys() {
  if (!from_.key_file)
    return;
  const auto& path = *from_.key_file;
  auto ring = read_cluster_key_ring(path);
  if (!ring) {
    log_warn(message_of(ring.error()) + "; the cluster keys in use stay");
    return;
  }
  auto current = keys_->get();
  if (*ring == current)
    return;
  // Install first, then seal with the new first key, then drop the old: a
  // node never seals with a key it has not installed, nor drops one it
  // still seals with.
  for (const auto& k : *ring)
    if (!holds(current, k))
      if (auto err = cluster_.install_key(k)) {
        log_warn("cannot install a cluster key from " + path + ": " + describe(err)
                 + "; the cluster keys in use stay");
        return;
      }
  bool new_primary = current.empty() || ring->front() != current.front();
  if (new_primary)
    if (auto err = cluster_.use_key(ring->front())) {
      log_warn("cannot seal with the first key of " + path + ": " + describe(err));
      return;
    }
  for (const auto& k : current)
    if (!holds(*ring, k))
      if (auto err = cluster_.remove_key(k))
        log_warn("cannot remove a cluster key no longer in " + path + ": " + describe(err));
  keys_->set(*ring);
  log_info("cluster keys reloaded from " + path + ": " + std::to_string(ring->size())
           + (ring->size() == 1 ? " key" : " keys") + ", sealing with "
           + (new_primary ? "a new key" : "the same key"));
}

void credential_reloader::reload_tls() {
  if (from_.tls_files.empty())
    return;
  // The transport logs what it loaded or why it refused.
  if (auto err = server_.reload_credentials())
    log_warn("TLS files not reloaded: " + describe(err));
}

} // namespace rpcnet::cli
