#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/library_log.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <utility>
#include <vector>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <caf/send.hpp>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>
#include "tls_credentials.hpp"

#include "address_validator.hpp"
#include "quic_connection.hpp"
#include "source_rate_limiter.hpp"
#include "transport_metrics.hpp"

namespace rpcnet {

namespace {

/// Datagrams whose first byte has both top bits clear are gossip unless
/// their connection ID is ours (see endpoint::impl::route).
bool is_foreign_datagram(uint8_t first_byte) {
  return (first_byte & 0xC0) == 0;
}

/// Hashable copy of a connection ID, the key of the routing table.
struct cid_key {
  uint8_t len = 0;
  std::array<uint8_t, NGTCP2_MAX_CIDLEN> bytes{};

  cid_key(const uint8_t* data, size_t size) : len(static_cast<uint8_t>(size)) {
    std::memcpy(bytes.data(), data, size);
  }
  explicit cid_key(const ngtcp2_cid& cid) : cid_key(cid.data, cid.datalen) {
  }
  friend bool operator==(const cid_key& x, const cid_key& y) {
    return x.len == y.len && std::memcmp(x.bytes.data(), y.bytes.data(), x.len) == 0;
  }
};

struct cid_hash {
  size_t operator()(const cid_key& k) const noexcept {
    // CIDs we issue are random; FNV-1a spreads the peer-chosen ones too.
    size_t h = 14695981039346656037ull;
    for (size_t i = 0; i < k.len; ++i)
      h = (h ^ k.bytes[i]) * 1099511628211ull;
    return h;
  }
};

constexpr size_t max_datagram = 2048;

/// Length of every connection ID we issue (quic_connection.cpp).
constexpr size_t cid_length = 16;
constexpr size_t batch_size = 64;

caf::error io_failure(const std::string& what) {
  return make_error(error::io, what + ": " + std::strerror(errno));
}

/// "certificate 'a.pem', key 'a.key', CA 'ca.pem'": the files
/// load_endpoint_credentials reads for `cfg`, for log lines.
std::string credential_files(const transport_config& cfg, bool accepting) {
  std::string out;
  auto add = [&out](const char* what, const std::string& path) {
    if (path.empty())
      return;
    if (!out.empty())
      out += ", ";
    out += what;
    out += " '" + path + "'";
  };
  if (accepting) {
    add("certificate", cfg.cert_path);
    add("key", cfg.key_path);
    add("client CA", cfg.client_ca_path);
  }
  if (!cfg.ca_path.empty()) {
    add("CA", cfg.ca_path);
    add("client certificate", cfg.client_cert_path);
    add("client key", cfg.client_key_path);
  }
  return out;
}

} // namespace

// -- endpoint::impl: the transport thread -------------------------------------

class endpoint::impl final : public connection_host {
public:
  // The actor system is not needed here: events go out with anon_send.
  impl(caf::actor_system&, transport_config cfg, options opts)
    : cfg_(std::move(cfg)),
      opts_(std::move(opts)),
      budget_(cfg_.max_endpoint_buffered_bytes) {
  }

  ~impl() override {
    stop(std::chrono::milliseconds{0});
    for (int fd : {sock_, epfd_, evfd_})
      if (fd >= 0)
        ::close(fd);
  }

  caf::error init() {
    if (auto err = cfg_.validate())
      return err;
    // On the caller's thread, before ours exists: a look-up of a name may
    // take as long as DNS does, and validate() has checked the syntax.
    auto bind_addr = resolve_address(cfg_.bind_address);
    if (!bind_addr)
      return make_error(error::config, "bind_address: " + message_of(bind_addr.error()));
    auto creds = load_endpoint_credentials(cfg_, accepts());
    if (!creds)
      return std::move(creds.error());
    server_cred_ = std::move(creds->server);
    client_cred_ = std::move(creds->client);
    validator_ = address_validator::make();
    if (!validator_)
      return make_error(error::io, "cannot draw the address validation secret");
    sock_ = ::socket(bind_addr->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock_ < 0)
      return io_failure("socket");
    int buf = 4 * 1024 * 1024;
    ::setsockopt(sock_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    ::setsockopt(sock_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    if (::bind(sock_, bind_addr->native(), bind_addr->native_size()) != 0)
      return io_failure("cannot bind " + cfg_.bind_address);
    // ICMP errors (port unreachable: the peer's process is gone) reach an
    // unconnected socket only with RECVERR; with it, connections to a dead
    // peer fail at once instead of waiting out the idle timeout.
    int on = 1;
    if (bind_addr->family() == AF_INET6)
      ::setsockopt(sock_, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
    else
      ::setsockopt(sock_, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    ::getsockname(sock_, reinterpret_cast<sockaddr*>(&ss), &len);
    local_ = socket_address::from_native(reinterpret_cast<sockaddr*>(&ss), len);
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || evfd_ < 0)
      return io_failure("epoll/eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = sock_;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, sock_, &ev);
    ev.data.fd = evfd_;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev);
    for (size_t i = 0; i < batch_size; ++i) {
      rx_iov_[i] = {rx_buf_[i].data(), rx_buf_[i].size()};
      rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
      rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    thread_ = std::thread{[this] { run(); }};
    return {};
  }

  // -- called from any thread -------------------------------------------------

  void submit(transport_command cmd) {
    bool was_empty;
    {
      std::lock_guard<std::mutex> guard{queue_mtx_};
      was_empty = queue_.empty();
      queue_.push_back(std::move(cmd));
    }
    // One wake-up per burst: the thread drains the whole queue.
    if (was_empty)
      wake();
  }

  void submit_datagram(const socket_address& to, byte_buffer data) {
    {
      std::lock_guard<std::mutex> guard{queue_mtx_};
      datagrams_.emplace_back(to, std::move(data));
    }
    wake();
  }

  connection_id next_id() {
    return next_id_.fetch_add(1, std::memory_order_relaxed);
  }

  void set_datagram_handler(datagram_handler handler) {
    std::lock_guard<std::mutex> guard{datagram_handler_mtx_};
    opts_.on_datagram = std::move(handler);
  }

  void set_accepting(bool value) {
    accepting_ = value && accepts();
  }

  caf::error reload_credentials(std::chrono::milliseconds timeout) {
    auto result = swap_credentials(timeout);
    if (result) {
      reloads_failed_.fetch_add(1, std::memory_order_relaxed);
      auto text = "tls: refused to reload the credentials of " + local_.to_string() + ": "
                  + message_of(result);
      if (code_of(result) == error::config)
        text += "; the ones in use stay";
      log_line(log_level::warn, text);
    } else if (accepts() || connects()) {
      reloads_ok_.fetch_add(1, std::memory_order_relaxed);
      log_line(log_level::info, "tls: reloaded credentials from "
                                  + credential_files(cfg_, accepts()) + " for "
                                  + local_.to_string());
    }
    return result;
  }

  /// Reloads that succeeded and that were refused, for the metrics.
  std::pair<uint64_t, uint64_t> reloads() const noexcept {
    return {reloads_ok_.load(std::memory_order_relaxed),
            reloads_failed_.load(std::memory_order_relaxed)};
  }

  void stop(std::chrono::milliseconds linger) {
    if (!thread_.joinable())
      return;
    linger_ns_ = static_cast<ngtcp2_tstamp>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(linger).count());
    stopping_ = true;
    wake();
    thread_.join();
    // Only the thread used the socket. Closed now, not when the last owner
    // lets go, so that a successor can bind the port at once (a server
    // restarted in the same process).
    ::close(sock_);
    sock_ = -1;
  }

  bool running() const noexcept {
    return !stopping_.load();
  }

  transport_stats snapshot() const {
    std::lock_guard<std::mutex> guard{stats_mtx_};
    return published_;
  }

  /// Packets carrying stream data that ngtcp2 declared lost, as published
  /// with the other counters (not in transport_stats, whose layout is
  /// public).
  uint64_t lost_packets() const {
    std::lock_guard<std::mutex> guard{stats_mtx_};
    return published_lost_packets_;
  }

  const socket_address& local() const {
    return local_;
  }

  // -- connection_host --------------------------------------------------------

  void associate_cid(const ngtcp2_cid& cid, quic_connection* conn) override {
    cids_[cid_key{cid}] = conn;
  }

  void dissociate_cid(const ngtcp2_cid& cid) override {
    cids_.erase(cid_key{cid});
  }

  uint8_t* packet_buffer(size_t size) override {
    if (tx_count_ == batch_size || size > max_datagram)
      flush_tx();
    return tx_buf_[tx_count_].data();
  }

  void commit_packet(const ngtcp2_addr& remote, size_t size) override {
    auto& msg = tx_msgs_[tx_count_];
    std::memcpy(&tx_addr_[tx_count_], remote.addr, remote.addrlen);
    tx_iov_[tx_count_] = {tx_buf_[tx_count_].data(), size};
    msg.msg_hdr = {};
    msg.msg_hdr.msg_name = &tx_addr_[tx_count_];
    msg.msg_hdr.msg_namelen = remote.addrlen;
    msg.msg_hdr.msg_iov = &tx_iov_[tx_count_];
    msg.msg_hdr.msg_iovlen = 1;
    ++tx_count_;
  }

  const transport_config& config() const override {
    return cfg_;
  }

  transport_stats& stats() override {
    return stats_;
  }

  buffer_budget& budget() override {
    return budget_;
  }

  void count_lost_packets(uint64_t n) override {
    lost_packets_ += n;
  }

  caf::actor accept(connection_id id, const socket_address& peer) override {
    // Called once per server connection, as its handshake completes.
    --half_open_;
    if (!opts_.on_accept)
      return {};
    ++stats_.connections_accepted;
    return opts_.on_accept(id, peer);
  }

  std::vector<uint8_t> new_token_for(const socket_address& peer) override {
    ngtcp2_addr addr{const_cast<sockaddr*>(peer.native()), peer.native_size()};
    return validator_->regular_token(addr, monotonic_now());
  }

  void remember_token(const socket_address& peer, std::span<const uint8_t> token) override {
    // Bounded: a server may send any number; one per server address is
    // all a client needs, and a client talks to a bounded set of them.
    constexpr size_t max_remembered = 1024;
    auto key = peer.to_string();
    if (tokens_.size() >= max_remembered && !tokens_.contains(key))
      tokens_.erase(tokens_.begin());
    tokens_[key].assign(token.begin(), token.end());
  }

  std::vector<uint8_t> take_token(const socket_address& peer) override {
    auto it = tokens_.find(peer.to_string());
    if (it == tokens_.end())
      return {};
    auto token = std::move(it->second);
    tokens_.erase(it);
    return token;
  }

private:
  /// True for an endpoint that may accept connections (it has server
  /// credentials); fixed at construction.
  bool accepts() const noexcept {
    return static_cast<bool>(opts_.on_accept);
  }

  /// True for an endpoint that may connect (it has a CA).
  bool connects() const noexcept {
    return !cfg_.ca_path.empty();
  }

  // -- credentials ------------------------------------------------------------

  /// Loads fresh credentials on the caller's thread and has the transport
  /// thread make them current; see endpoint::reload_credentials.
  caf::error swap_credentials(std::chrono::milliseconds timeout) {
    if (!accepts() && !connects())
      return {};
    if (stopping_)
      return make_error(error::connection, "the endpoint " + local_.to_string()
                                             + " is shutting down");
    // All files first: a bad one leaves every credential as it was.
    auto fresh = load_endpoint_credentials(cfg_, accepts());
    if (!fresh)
      return std::move(fresh.error());
    // The old ones go when the thread drops them here and the last
    // connection that holds them (quic_connection::cred_) closes.
    auto swap = [this, server = std::move(fresh->server),
                 client = std::move(fresh->client)]() mutable {
      if (server)
        server_cred_ = std::move(server);
      if (client)
        client_cred_ = std::move(client);
    };
    if (std::this_thread::get_id() == loop_thread_.load()) {
      swap();
      return {};
    }
    auto done = post(std::move(swap));
    if (!done)
      return make_error(error::connection, "the endpoint " + local_.to_string()
                                             + " is shut down");
    if (done->wait_for(timeout) != std::future_status::ready)
      return make_error(error::timeout,
                        "the transport thread of " + local_.to_string()
                          + " did not confirm the new credentials within "
                          + std::to_string(timeout.count()) + " ms; it may still apply them");
    if (!done->get())
      return make_error(error::connection, "the endpoint " + local_.to_string()
                                             + " shut down before the new credentials "
                                               "were applied");
    return {};
  }

  /// Runs `fn` on the transport thread at its next wake-up; the future
  /// says true once it ran, false if the thread ended first. Nothing once
  /// the thread ended.
  std::optional<std::future<bool>> post(std::function<void()> fn) {
    posted_task task{std::move(fn), {}};
    auto done = task.done.get_future();
    {
      std::lock_guard<std::mutex> guard{queue_mtx_};
      if (tasks_closed_)
        return std::nullopt;
      tasks_.push_back(std::move(task));
    }
    wake();
    return done;
  }

  /// The thread ends: tasks posted from now on are refused, and those it
  /// will never run are told so.
  void close_tasks() {
    std::vector<posted_task> left;
    {
      std::lock_guard<std::mutex> guard{queue_mtx_};
      tasks_closed_ = true;
      std::swap(left, tasks_);
    }
    for (auto& task : left)
      task.done.set_value(false);
  }

  // -- the loop ---------------------------------------------------------------

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(evfd_, &one, sizeof(one));
  }

  void run() {
    loop_thread_ = std::this_thread::get_id();
    std::array<epoll_event, 4> events;
    ngtcp2_tstamp stop_deadline = UINT64_MAX;
    for (;;) {
      if (stopping_) {
        // Linger while replies already handed to us are still unacknowledged,
        // so a graceful stop loses no answer it promised.
        if (stop_deadline == UINT64_MAX)
          stop_deadline = monotonic_now() + linger_ns_;
        if (monotonic_now() >= stop_deadline || (queue_empty() && all_quiescent()))
          break;
      }
      timespec timeout;
      timespec* timeout_ptr = nullptr;
      auto next = std::min(earliest_expiry(), stopping_ ? stop_deadline : UINT64_MAX);
      if (next != UINT64_MAX) {
        auto now = monotonic_now();
        auto wait = next > now ? next - now : 0;
        timeout.tv_sec = static_cast<time_t>(wait / NGTCP2_SECONDS);
        timeout.tv_nsec = static_cast<long>(wait % NGTCP2_SECONDS);
        timeout_ptr = &timeout;
      }
      int n = ::epoll_pwait2(epfd_, events.data(), events.size(), timeout_ptr, nullptr);
      if (n < 0 && errno != EINTR)
        break;
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == evfd_) {
          uint64_t value;
          [[maybe_unused]] auto r = ::read(evfd_, &value, sizeof(value));
        } else if (events[i].events & EPOLLERR) {
          receive_errors();
        }
      }
      run_commands();
      receive();
      auto now = monotonic_now();
      for (auto& [id, conn] : conns_)
        conn->handle_expiry(now);
      for (auto& [id, conn] : conns_)
        conn->write();
      flush_tx();
      deliver();
      publish_stats();
    }
    close_all();
    close_tasks();
  }

  bool queue_empty() {
    std::lock_guard<std::mutex> guard{queue_mtx_};
    return queue_.empty();
  }

  bool all_quiescent() const {
    for (auto& [id, conn] : conns_)
      if (!conn->quiescent())
        return false;
    return true;
  }

  ngtcp2_tstamp earliest_expiry() const {
    ngtcp2_tstamp result = UINT64_MAX;
    for (auto& [id, conn] : conns_)
      result = std::min(result, conn->expiry());
    return result;
  }

  void run_commands() {
    {
      std::lock_guard<std::mutex> guard{queue_mtx_};
      std::swap(queue_, work_);
      std::swap(datagrams_, datagram_work_);
      std::swap(tasks_, task_work_);
    }
    for (auto& task : task_work_) {
      task.run();
      task.done.set_value(true);
    }
    task_work_.clear();
    for (auto& cmd : work_)
      std::visit([this](auto& c) { apply(c); }, cmd);
    work_.clear();
    for (auto& [to, data] : datagram_work_) {
      if (data.empty() || data.size() > max_datagram)
        continue;
      auto* buf = packet_buffer(data.size());
      std::memcpy(buf, data.data(), data.size());
      ngtcp2_addr addr{const_cast<sockaddr*>(to.native()), to.native_size()};
      commit_packet(addr, data.size());
    }
    datagram_work_.clear();
  }

  quic_connection* find(connection_id id) {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second.get();
  }

  void apply(connect_command& cmd) {
    auto conn = std::make_unique<quic_connection>(*this, cmd.conn, cmd.owner);
    std::string err;
    if (!client_cred_)
      err = "no CA configured: a client must verify the server";
    else if (cmd.remote.family() != local_.family())
      err = "address family of " + cmd.remote.to_string() + " differs from the bound "
            + local_.to_string();
    else
      err = conn->init_client(local_, cmd.remote, cmd.server_name, client_cred_);
    if (!err.empty()) {
      caf::anon_send(cmd.owner,
                     connection_closed{cmd.conn, static_cast<uint8_t>(error::config), err});
      return;
    }
    conns_.emplace(cmd.conn, std::move(conn));
    ++stats_.connections_open;
  }

  void apply(open_stream_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->open_stream(cmd.token, std::move(cmd.data), cmd.fin, cmd.manual_credit);
  }

  void apply(manual_credit_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->set_manual_credit(cmd.stream_id, cmd.token);
  }

  void apply(consume_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->consume(cmd.stream_id, cmd.token, cmd.bytes);
  }

  void apply(write_stream_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->write_stream(cmd.stream_id, cmd.token, std::move(cmd.data), cmd.fin);
  }

  void apply(reset_stream_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->reset_stream(cmd.stream_id, cmd.token, cmd.code);
  }

  void apply(stop_reading_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->stop_reading(cmd.stream_id, cmd.code);
  }

  void apply(close_command& cmd) {
    if (auto* c = find(cmd.conn))
      c->close(cmd.code, cmd.reason,
               {static_cast<uint8_t>(error::connection), "closed locally: " + cmd.reason});
  }

  void receive() {
    // Bounded so that a flood cannot starve commands and timers.
    for (int round = 0; round < 16; ++round) {
      for (size_t i = 0; i < batch_size; ++i) {
        rx_msgs_[i].msg_hdr.msg_name = &rx_addr_[i];
        rx_msgs_[i].msg_hdr.msg_namelen = sizeof(rx_addr_[i]);
        rx_msgs_[i].msg_hdr.msg_flags = 0;
      }
      int n = ::recvmmsg(sock_, rx_msgs_.data(), batch_size, MSG_DONTWAIT, nullptr);
      if (n <= 0)
        return;
      for (int i = 0; i < n; ++i) {
        ++stats_.datagrams_received;
        stats_.bytes_received += rx_msgs_[i].msg_len;
        auto& hdr = rx_msgs_[i].msg_hdr;
        if (hdr.msg_flags & MSG_TRUNC) {
          ++stats_.datagrams_dropped;
          continue;
        }
        auto from = socket_address::from_native(reinterpret_cast<sockaddr*>(&rx_addr_[i]),
                                                 hdr.msg_namelen);
        route(from, rx_buf_[i].data(), rx_msgs_[i].msg_len);
      }
      if (static_cast<size_t>(n) < batch_size)
        return;
    }
  }

  // ngtcp2 0.12 always advertises grease_quic_bit (RFC 9287), so a peer
  // may clear the fixed bit of any packet after the handshake's first
  // flight: the first byte alone cannot tell QUIC from gossip. A datagram
  // whose destination CID is one of ours is QUIC whatever its first byte;
  // otherwise 0x00-0x3F is gossip and a long header may open a connection.
  void route(socket_address& from, const uint8_t* data, size_t size) {
    if (size == 0) {
      ++stats_.datagrams_dropped;
      return;
    }
    ngtcp2_version_cid vc;
    auto rv = ngtcp2_pkt_decode_version_cid(&vc, data, size, cid_length);
    if (rv == 0) {
      auto it = cids_.find(cid_key{vc.dcid, vc.dcidlen});
      if (it != cids_.end()) {
        it->second->read(path_from(from), data, size);
        return;
      }
    }
    if (is_foreign_datagram(data[0])) {
      std::lock_guard<std::mutex> guard{datagram_handler_mtx_};
      if (opts_.on_datagram)
        opts_.on_datagram(from, {data, size});
      else
        ++stats_.foreign_datagrams;
      return;
    }
    // rpcnet speaks QUIC v1 alone, though ngtcp2 0.12 would also accept
    // draft versions and a draft of v2 (PROTOCOL.md 1.1). Version 0 is a
    // Version Negotiation packet, which a server never answers.
    bool other_version = rv == 0 && (data[0] & 0x80) != 0 && vc.version != NGTCP2_PROTO_VER_V1;
    if (rv == NGTCP2_ERR_VERSION_NEGOTIATION
        || (other_version && vc.version != 0 && size >= NGTCP2_MAX_UDP_PAYLOAD_SIZE)) {
      send_version_negotiation(from, vc);
      return;
    }
    if (rv != 0 || other_version) {
      ++stats_.datagrams_dropped;
      return;
    }
    accept_new(from, data, size);
  }

  /// The path a datagram from `from` arrived on.
  ngtcp2_path path_from(socket_address& from) const {
    ngtcp2_path path{};
    path.local.addr = const_cast<sockaddr*>(local_.native());
    path.local.addrlen = local_.native_size();
    path.remote.addr = from.native();
    path.remote.addrlen = from.native_size();
    return path;
  }

  /// An Initial that may open a connection: admitted, answered with a
  /// Retry, or refused (transport_config::admission says when).
  void accept_new(socket_address& from, const uint8_t* data, size_t size) {
    ngtcp2_pkt_hd hd;
    if (!server_cred_ || ngtcp2_accept(&hd, data, size) != 0) {
      ++stats_.datagrams_dropped;
      return;
    }
    if (!accepting_ || conns_.size() >= cfg_.max_connections) {
      refuse(from, nullptr, accepting_ ? "max_connections reached" : "not accepting");
      return;
    }
    const auto& limits = cfg_.admission;
    ngtcp2_addr remote{from.native(), from.native_size()};
    auto now = monotonic_now();
    auto proof = validator_->check({hd.token.base, hd.token.len}, remote, hd.version, hd.dcid,
                                   now);
    using verdict = address_validator::verdict;
    if (proof.outcome == verdict::retry_invalid) {
      // No second Retry: the client would only come back with the same
      // token. INVALID_TOKEN tells it why (RFC 9000 section 8.1.2).
      send_stateless_close(from, hd, NGTCP2_INVALID_TOKEN);
      refuse(from, &stats_.connections_refused_invalid_token, "invalid Retry token");
      return;
    }
    bool validated = proof.outcome == verdict::retry_valid
                     || proof.outcome == verdict::regular_valid;
    if (!validated && half_open_ >= limits.retry_threshold) {
      send_retry(from, hd, now);
      return;
    }
    if (half_open_ >= limits.max_half_open) {
      refuse(from, &stats_.connections_refused_half_open, "half-open connection limit");
      return;
    }
    if (!rate_limiter_.admit(from, std::chrono::steady_clock::now())) {
      refuse(from, &stats_.connections_refused_source_rate,
             "more than " + std::to_string(limits.max_new_per_source_per_second)
               + " new connections a second from its address");
      return;
    }
    server_admission admission;
    if (validated)
      admission.token = {hd.token.base, hd.token.len};
    if (proof.outcome == verdict::retry_valid)
      admission.original_dcid = proof.original_dcid;
    auto id = next_id();
    auto conn = std::make_unique<quic_connection>(*this, id, caf::actor{});
    if (auto err = conn->init_server(local_, from, hd, admission, server_cred_); !err.empty()) {
      ++stats_.datagrams_dropped;
      return;
    }
    if (proof.outcome == verdict::retry_valid)
      ++stats_.connections_validated_by_retry;
    else if (proof.outcome == verdict::regular_valid)
      ++stats_.connections_validated_by_new_token;
    auto* ptr = conn.get();
    conns_.emplace(id, std::move(conn));
    ++stats_.connections_open;
    ++half_open_;
    ptr->read(path_from(from), data, size);
  }

  /// Counts a refused Initial (in `reason_counter` too, when given) and
  /// logs it; a flood logs at most what library_log's rate limit lets by.
  void refuse(const socket_address& from, uint64_t* reason_counter, const std::string& why) {
    ++stats_.connections_refused;
    ++stats_.datagrams_dropped;
    if (reason_counter)
      ++*reason_counter;
    log_network_line(log_level::warn, "connection_refused",
                     "transport: refused a connection from " + from.to_string() + " (" + why
                       + ")");
  }

  /// A Retry (RFC 9000 section 17.2.5): no state is kept, the token
  /// carries what the next Initial must prove. It is far smaller than the
  /// Initial it answers, so it amplifies nothing.
  void send_retry(const socket_address& to, const ngtcp2_pkt_hd& hd, ngtcp2_tstamp now) {
    ngtcp2_cid scid;
    scid.datalen = cid_length;
    gnutls_rnd(GNUTLS_RND_NONCE, scid.data, scid.datalen);
    ngtcp2_addr addr{const_cast<sockaddr*>(to.native()), to.native_size()};
    auto token = validator_->retry_token(addr, hd.version, scid, hd.dcid, now);
    if (token.empty()) {
      ++stats_.datagrams_dropped;
      return;
    }
    auto* buf = packet_buffer(max_datagram);
    auto n = ngtcp2_crypto_write_retry(buf, max_datagram, hd.version, &hd.scid, &scid, &hd.dcid,
                                       token.data(), token.size());
    if (n <= 0) {
      ++stats_.datagrams_dropped;
      return;
    }
    commit_packet(addr, static_cast<size_t>(n));
    ++stats_.retries_sent;
  }

  /// CONNECTION_CLOSE in an Initial, without connection state.
  void send_stateless_close(const socket_address& to, const ngtcp2_pkt_hd& hd, uint64_t code) {
    auto* buf = packet_buffer(max_datagram);
    auto n = ngtcp2_crypto_write_connection_close(buf, max_datagram, hd.version, &hd.scid,
                                                  &hd.dcid, code, nullptr, 0);
    if (n > 0) {
      ngtcp2_addr addr{const_cast<sockaddr*>(to.native()), to.native_size()};
      commit_packet(addr, static_cast<size_t>(n));
    }
  }

  void send_version_negotiation(const socket_address& to, const ngtcp2_version_cid& vc) {
    uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
    uint8_t unused;
    gnutls_rnd(GNUTLS_RND_NONCE, &unused, 1);
    auto* buf = packet_buffer(max_datagram);
    auto n = ngtcp2_pkt_write_version_negotiation(buf, max_datagram, unused, vc.scid,
                                                  vc.scidlen, vc.dcid, vc.dcidlen,
                                                  versions, 1);
    if (n > 0) {
      ngtcp2_addr addr{const_cast<sockaddr*>(to.native()), to.native_size()};
      commit_packet(addr, static_cast<size_t>(n));
      ++stats_.version_negotiations_sent;
    }
  }

  /// Drains the socket's error queue. A port unreachable from a peer
  /// closes every connection to that address with error::connection: its
  /// process is gone, and the calls on it can fail over now.
  void receive_errors() {
    for (;;) {
      sockaddr_storage offender{};
      std::array<char, 512> control;
      uint8_t payload[1];
      iovec iov{payload, sizeof(payload)};
      msghdr msg{};
      msg.msg_name = &offender;
      msg.msg_namelen = sizeof(offender);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      if (::recvmsg(sock_, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        return;
      bool refused = false;
      for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
        bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4 && !v6)
          continue;
        sock_extended_err ee;
        std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        refused |= (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
                   && ee.ee_errno == ECONNREFUSED;
      }
      if (!refused)
        continue;
      ++stats_.peers_unreachable;
      auto peer = socket_address::from_native(reinterpret_cast<sockaddr*>(&offender),
                                              msg.msg_namelen);
      for (auto& [id, conn] : conns_)
        if (!conn->closed() && conn->peer() == peer)
          conn->close(app_error::no_error, "peer unreachable",
                      {static_cast<uint8_t>(error::connection),
                       "the peer's port is closed (ICMP port unreachable): " + peer.to_string()});
    }
  }

  /// True for an error of sendmmsg that sending again to the same peer
  /// cannot cure (this socket cannot reach it at all), as opposed to a full
  /// buffer or an ICMP report from an earlier datagram.
  static bool fatal_for_peer(int err) {
    switch (err) {
      case EINVAL:       // e.g. a socket bound to 127.0.0.1 sending elsewhere
      case ENETUNREACH:  // no route
      case EHOSTUNREACH:
      case EADDRNOTAVAIL:
      case EAFNOSUPPORT: // an IPv4 socket and an IPv6 peer, or the reverse
      case EACCES:       // a broadcast address, or a firewall's refusal
      case EPERM:
        return true;
      default:
        return false;
    }
  }

  void flush_tx() {
    size_t done = 0;
    while (done < tx_count_) {
      int n = ::sendmmsg(sock_, tx_msgs_.data() + done, static_cast<unsigned>(tx_count_ - done), 0);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        // A full socket buffer loses these packets; QUIC's loss recovery
        // resends what matters. An error no resend can cure fails the
        // peer's connections now, instead of at their handshake or idle
        // timeout.
        if (fatal_for_peer(errno)) {
          const auto& hdr = tx_msgs_[done].msg_hdr;
          unsendable_.emplace_back(
            socket_address::from_native(static_cast<const sockaddr*>(hdr.msg_name),
                                        hdr.msg_namelen),
            errno);
        }
        ++stats_.datagrams_dropped;
        ++done;
        continue;
      }
      done += static_cast<size_t>(n);
    }
    stats_.datagrams_sent += tx_count_;
    for (size_t i = 0; i < tx_count_; ++i)
      stats_.bytes_sent += tx_iov_[i].iov_len;
    tx_count_ = 0;
    fail_unsendable();
  }

  /// Closes the connections to peers this socket could not send to, with
  /// the reason; their owners hear of it at the next delivery. Closing may
  /// queue a CONNECTION_CLOSE for the next flush, which fails alike but
  /// finds the connections closed already.
  void fail_unsendable() {
    auto failures = std::move(unsendable_);
    unsendable_.clear();
    for (const auto& [peer, err] : failures)
      for (auto& [id, conn] : conns_)
        if (!conn->closed() && conn->peer() == peer) {
          ++stats_.peers_unreachable;
          log_network_line(log_level::warn, "send_failed",
                           "transport: cannot send to " + peer.to_string() + " from "
                             + local_.to_string() + ": " + std::strerror(err));
          conn->close(app_error::no_error, "cannot send",
                      {static_cast<uint8_t>(error::io),
                       "cannot send to " + peer.to_string() + " from " + local_.to_string()
                         + ": " + std::strerror(err)});
        }
  }

  void deliver() {
    for (auto it = conns_.begin(); it != conns_.end();) {
      auto& conn = *it->second;
      if (conn.owner()) {
        if (conn.take_ready_signal())
          caf::anon_send(conn.owner(), connection_ready{conn.id(), conn.peer(), conn.identity()});
        if (conn.has_events())
          caf::anon_send(conn.owner(), connection_batch{conn.id(), conn.take_events()});
      }
      if (conn.closed()) {
        if (conn.owner())
          caf::anon_send(conn.owner(), connection_closed{conn.id(), conn.cause().code,
                                                         conn.cause().reason});
        --stats_.connections_open;
        if (conn.is_server() && !conn.handshake_completed())
          --half_open_;
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void close_all() {
    // Whatever was handed in up to now still goes out before the close.
    run_commands();
    for (auto& [id, conn] : conns_)
      conn->write();
    for (auto& [id, conn] : conns_)
      conn->close(app_error::shutdown, "endpoint shutting down",
                  {static_cast<uint8_t>(error::connection), "endpoint shut down"});
    flush_tx();
    deliver();
    publish_stats();
  }

  void publish_stats() {
    stats_.half_open_connections = half_open_;
    stats_.buffered_bytes = budget_.held();
    stats_.buffered_bytes_peak = budget_.peak();
    sample_paths();
    std::lock_guard<std::mutex> guard{stats_mtx_};
    published_ = stats_;
    published_lost_packets_ = lost_packets_;
  }

  /// RTT and recoveries, read from every connection at most every 250 ms:
  /// publish_stats() runs each loop, far too often to walk them all.
  void sample_paths() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_path_sample_ < std::chrono::milliseconds{250})
      return;
    last_path_sample_ = now;
    uint64_t rtt_sum = 0;
    uint64_t sampled = 0;
    for (auto& [id, conn] : conns_) {
      auto sample = conn->sample_path();
      if (sample.entered_recovery)
        ++stats_.congestion_events;
      if (sample.smoothed_rtt_ns > 0) {
        rtt_sum += sample.smoothed_rtt_ns;
        ++sampled;
      }
    }
    stats_.smoothed_rtt_us = sampled ? rtt_sum / sampled / 1000 : 0;
  }

  // -- member variables -------------------------------------------------------

  transport_config cfg_;
  options opts_;
  /// Guards opts_.on_datagram, which another thread may replace.
  std::mutex datagram_handler_mtx_;

  /// TLS material: ours when accepting, the trusted CAs when connecting.
  /// The ones new connections get; only the thread reads or replaces them
  /// after init() (reload_credentials posts the swap), and each connection
  /// holds its own reference to those its session uses.
  std::shared_ptr<const tls_credentials> server_cred_;
  std::shared_ptr<const tls_credentials> client_cred_;
  /// Reloads that succeeded and that were refused.
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_failed_{0};

  /// The UDP socket, the epoll set and the eventfd that wakes the loop.
  int sock_ = -1;
  int epfd_ = -1;
  int evfd_ = -1;
  socket_address local_;

  std::thread thread_;
  /// The thread's id, set by the thread itself: tasks posted from it run
  /// at once (it would never wake to run them while it waits).
  std::atomic<std::thread::id> loop_thread_{};
  std::atomic<bool> stopping_{false};
  /// How long shutdown waits for unacknowledged stream data; set before
  /// stopping_.
  ngtcp2_tstamp linger_ns_ = 0;
  std::atomic<bool> accepting_{false};
  std::atomic<connection_id> next_id_{1};

  /// Work for the thread that is no transport_command (the credentials'
  /// swap), with the promise of its outcome.
  struct posted_task {
    std::function<void()> run;
    std::promise<bool> done;
  };

  /// Commands, datagrams and tasks handed in by other threads; tasks are
  /// refused once tasks_closed_ (the thread ended).
  std::mutex queue_mtx_;
  std::vector<transport_command> queue_;
  std::vector<std::pair<socket_address, byte_buffer>> datagrams_;
  std::vector<posted_task> tasks_;
  bool tasks_closed_ = false;
  /// Swapped with the above under the lock; only the thread touches them.
  std::vector<transport_command> work_;
  std::vector<std::pair<socket_address, byte_buffer>> datagram_work_;
  std::vector<posted_task> task_work_;

  /// What the connections hold for their peers; declared before them,
  /// since they give their bytes back as they go.
  buffer_budget budget_;

  /// Proves clients' addresses (Retry and NEW_TOKEN tokens) and limits
  /// each address's new connections; see accept_new.
  std::optional<address_validator> validator_;
  source_rate_limiter rate_limiter_{cfg_.admission.max_new_per_source_per_second};
  /// Server connections whose handshake has not completed.
  size_t half_open_ = 0;
  /// NEW_TOKEN tokens servers sent us, by their address (client side).
  std::unordered_map<std::string, std::vector<uint8_t>> tokens_;

  /// Every live connection, and the routing table from CIDs to them.
  std::unordered_map<connection_id, std::unique_ptr<quic_connection>> conns_;
  std::unordered_map<cid_key, quic_connection*, cid_hash> cids_;

  /// recvmmsg/sendmmsg batches.
  std::array<std::array<uint8_t, max_datagram>, batch_size> rx_buf_;
  std::array<iovec, batch_size> rx_iov_;
  std::array<sockaddr_storage, batch_size> rx_addr_;
  std::array<mmsghdr, batch_size> rx_msgs_{};
  std::array<std::array<uint8_t, max_datagram>, batch_size> tx_buf_;
  std::array<iovec, batch_size> tx_iov_;
  std::array<sockaddr_storage, batch_size> tx_addr_;
  std::array<mmsghdr, batch_size> tx_msgs_{};
  size_t tx_count_ = 0;

  /// Counters: written by the thread, published once per wake-up.
  transport_stats stats_;
  mutable std::mutex stats_mtx_;
  transport_stats published_;
  /// Peers sendmmsg failed for in the flush under way, with errno.
  std::vector<std::pair<socket_address, int>> unsendable_;
  uint64_t lost_packets_ = 0;
  uint64_t published_lost_packets_ = 0;
  std::chrono::steady_clock::time_point last_path_sample_;
};

// -- endpoint -----------------------------------------------------------------

caf::expected<std::shared_ptr<endpoint>>
endpoint::start(caf::actor_system& sys, transport_config cfg, options opts) {
  auto ptr = std::make_unique<impl>(sys, std::move(cfg), std::move(opts));
  if (auto err = ptr->init())
    return err;
  std::shared_ptr<endpoint> ep{new endpoint(std::move(ptr))};
  if (auto& metrics = ep->config().metrics) {
    // The collection dies with the endpoint, before its impl: the raw
    // pointer is good whenever the collector runs.
    ep->metrics_ = metrics->add_collector(
      [raw = ep.get(), label = ep->local_address().to_string()](metrics_writer& out) {
        report_transport_stats(out, raw->stats(), raw->impl_->lost_packets(), label);
        auto [ok, refused] = raw->impl_->reloads();
        report_credential_reloads(out, ok, refused, label);
      });
  }
  return ep;
}

endpoint::endpoint(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

endpoint::~endpoint() {
  shutdown();
}

const socket_address& endpoint::local_address() const noexcept {
  return impl_->local();
}

const transport_config& endpoint::config() const noexcept {
  return impl_->config();
}

transport_stats endpoint::stats() const {
  return impl_->snapshot();
}

connection_id endpoint::connect(const socket_address& remote, std::string server_name,
                                caf::actor owner) {
  auto id = impl_->next_id();
  impl_->submit(connect_command{id, remote, std::move(server_name), std::move(owner)});
  return id;
}

bool endpoint::running() const noexcept {
  return impl_->running();
}

void endpoint::submit(transport_command cmd) {
  impl_->submit(std::move(cmd));
}

void endpoint::send_datagram(const socket_address& to, byte_buffer data) {
  impl_->submit_datagram(to, std::move(data));
}

void endpoint::set_datagram_handler(datagram_handler handler) {
  impl_->set_datagram_handler(std::move(handler));
}

void endpoint::start_accepting() {
  impl_->set_accepting(true);
}

void endpoint::stop_accepting() {
  impl_->set_accepting(false);
}

caf::error endpoint::reload_credentials(std::chrono::milliseconds timeout) {
  return impl_->reload_credentials(timeout);
}

void endpoint::shutdown(std::chrono::milliseconds linger) {
  impl_->stop(linger);
}

} // namespace rpcnet
