#include "quic_connection.hpp"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <array>
#include <cstring>
#include <ctime>

#include <rpcnet/transport/endpoint.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/library_log.hpp>

#include "peer_certificate.hpp"
#include "tls_credentials.hpp"

namespace rpcnet {

ngtcp2_tstamp monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<ngtcp2_tstamp>(ts.tv_sec) * NGTCP2_SECONDS
         + static_cast<ngtcp2_tstamp>(ts.tv_nsec);
}

namespace {

constexpr size_t cid_length = 16;

// TLS 1.3 only: QUIC requires it, and nothing older may be negotiated.
constexpr const char* tls_priority
  = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"
    "+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519:"
    "+GROUP-SECP384R1:+GROUP-SECP521R1:%DISABLE_TLS13_COMPAT_MODE";

void random_bytes(uint8_t* dest, size_t size) {
  gnutls_rnd(GNUTLS_RND_RANDOM, dest, size);
}

// -- trampolines: ngtcp2's C callbacks into quic_connection members --------

quic_connection* self(void* user_data) {
  return static_cast<quic_connection*>(user_data);
}

ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref) {
  return self(ref->user_data)->native();
}

void rand_cb(uint8_t* dest, size_t size, const ngtcp2_rand_ctx*) {
  gnutls_rnd(GNUTLS_RND_NONCE, dest, size);
}

int handshake_completed_cb(ngtcp2_conn*, void* user_data) {
  return self(user_data)->on_handshake_completed();
}

int recv_stream_data_cb(ngtcp2_conn*, uint32_t flags, int64_t stream_id,
                        uint64_t, const uint8_t* data, size_t size,
                        void* user_data, void*) {
  return self(user_data)->on_recv_stream_data(flags, stream_id, data, size);
}

int acked_stream_data_offset_cb(ngtcp2_conn*, int64_t stream_id, uint64_t offset,
                                uint64_t size, void* user_data, void*) {
  return self(user_data)->on_acked_stream_data(stream_id, offset, size);
}

int stream_close_cb(ngtcp2_conn*, uint32_t flags, int64_t stream_id,
                    uint64_t app_code, void* user_data, void*) {
  if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
    app_code = 0;
  return self(user_data)->on_stream_close(stream_id, app_code);
}

int stream_reset_cb(ngtcp2_conn*, int64_t stream_id, uint64_t, uint64_t app_code,
                    void* user_data, void*) {
  return self(user_data)->on_stream_reset(stream_id, app_code);
}

int stream_stop_sending_cb(ngtcp2_conn*, int64_t stream_id, uint64_t app_code,
                           void* user_data, void*) {
  return self(user_data)->on_stream_stop_sending(stream_id, app_code);
}

int extend_max_stream_data_cb(ngtcp2_conn*, int64_t stream_id, uint64_t,
                              void* user_data, void*) {
  return self(user_data)->on_extend_max_stream_data(stream_id);
}

int extend_max_local_streams_bidi_cb(ngtcp2_conn*, uint64_t, void* user_data) {
  return self(user_data)->on_extend_max_local_streams();
}

int get_new_connection_id_cb(ngtcp2_conn*, ngtcp2_cid* cid, uint8_t* token,
                             size_t cidlen, void* user_data) {
  return self(user_data)->on_get_new_connection_id(cid, token, cidlen);
}

int remove_connection_id_cb(ngtcp2_conn*, const ngtcp2_cid* cid, void* user_data) {
  return self(user_data)->on_remove_connection_id(cid);
}

int recv_new_token_cb(ngtcp2_conn*, const ngtcp2_vec* token, void* user_data) {
  return self(user_data)->on_recv_new_token(token->base, token->len);
}

// GnuTLS's hook after it parsed a ClientHello (servers only).
int client_hello_cb(gnutls_session_t session, unsigned, unsigned, unsigned,
                    const gnutls_datum_t*) {
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  return self(ref->user_data)->on_client_hello();
}

ngtcp2_callbacks make_callbacks(bool server) {
  ngtcp2_callbacks cb{};
  if (server) {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  } else {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
    cb.recv_new_token = recv_new_token_cb;
  }
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.handshake_completed = handshake_completed_cb;
  cb.recv_stream_data = recv_stream_data_cb;
  cb.acked_stream_data_offset = acked_stream_data_offset_cb;
  cb.stream_close = stream_close_cb;
  cb.stream_reset = stream_reset_cb;
  cb.stream_stop_sending = stream_stop_sending_cb;
  cb.extend_max_stream_data = extend_max_stream_data_cb;
  cb.extend_max_local_streams_bidi = extend_max_local_streams_bidi_cb;
  cb.rand = rand_cb;
  cb.get_new_connection_id = get_new_connection_id_cb;
  cb.remove_connection_id = remove_connection_id_cb;
  return cb;
}

ngtcp2_path make_path(socket_address& local, socket_address& remote) {
  ngtcp2_path path{};
  path.local.addr = local.native();
  path.local.addrlen = local.native_size();
  path.remote.addr = remote.native();
  path.remote.addrlen = remote.native_size();
  return path;
}

bool is_ip_literal(const std::string& name) {
  return socket_address::parse(name + ":0").has_value()
         || socket_address::parse("[" + name + "]:0").has_value();
}

std::string tls_failure_text(uint8_t alert, int tls_error) {
  std::string text = "TLS handshake failed";
  if (tls_error != 0) {
    text += ": ";
    text += gnutls_strerror(tls_error);
  }
  if (alert != 0) {
    text += " (TLS alert ";
    text += std::to_string(alert);
    if (auto* name = gnutls_alert_get_strname(static_cast<gnutls_alert_description_t>(alert)))
      text += std::string{" "} + name;
    text += ")";
  }
  return text;
}

} // namespace

// -- constructors, destructors ------------------------------------------------

quic_connection::quic_connection(connection_host& host, connection_id id,
                                 caf::actor owner)
  : host_(host), id_(id), owner_(std::move(owner)) {
  conn_ref_.get_conn = get_conn;
  conn_ref_.user_data = this;
}

quic_connection::~quic_connection() {
  release_all();
  for (auto& cid : cids_)
    host_.dissociate_cid(cid);
  if (conn_)
    ngtcp2_conn_del(conn_);
  if (session_)
    gnutls_deinit(session_);
}

void quic_connection::fill_settings(ngtcp2_settings& settings,
                                    ngtcp2_transport_params& params, bool server) {
  const auto& cfg = host_.config();
  ngtcp2_settings_default(&settings);
  settings.initial_ts = monotonic_now();
  settings.initial_rtt = static_cast<ngtcp2_duration>(cfg.initial_rtt.count())
                         * NGTCP2_MICROSECONDS;
  settings.handshake_timeout
    = static_cast<ngtcp2_duration>(cfg.handshake_timeout.count())
      * NGTCP2_MILLISECONDS;
  settings.no_pmtud = 1;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = cfg.stream_window;
  params.initial_max_stream_data_bidi_remote = cfg.stream_window;
  params.initial_max_data = cfg.connection_window;
  // Only clients open streams (one per call): a server-opened stream is a
  // protocol violation the peer's limit of zero already forbids.
  params.initial_max_streams_bidi = server ? cfg.max_concurrent_streams : 0;
  params.initial_max_streams_uni = 0;
  params.max_idle_timeout = static_cast<ngtcp2_duration>(cfg.idle_timeout.count())
                            * NGTCP2_MILLISECONDS;
  // ngtcp2 0.12 advertises grease_quic_bit whatever this says; routing
  // copes with it (endpoint.cpp, route()).
}

std::string quic_connection::init_tls(bool server, const std::string& server_name,
                                      std::shared_ptr<const tls_credentials> cred) {
  auto flags = (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_END_OF_EARLY_DATA;
  if (auto rv = gnutls_init(&session_, flags); rv != 0)
    return std::string{"gnutls_init: "} + gnutls_strerror(rv);
  if (auto rv = gnutls_priority_set_direct(session_, tls_priority, nullptr); rv != 0)
    return std::string{"gnutls_priority_set_direct: "} + gnutls_strerror(rv);
  auto rv = server ? ngtcp2_crypto_gnutls_configure_server_session(session_)
                   : ngtcp2_crypto_gnutls_configure_client_session(session_);
  if (rv != 0)
    return "cannot configure the TLS session for QUIC";
  gnutls_session_set_ptr(session_, &conn_ref_);
  // Held before the session points to them, for as long as it lives.
  cred_ = std::move(cred);
  if (auto rv2 = gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, cred_->native());
      rv2 != 0)
    return std::string{"gnutls_credentials_set: "} + gnutls_strerror(rv2);
  const auto& alpn = host_.config().alpn;
  gnutls_datum_t proto{reinterpret_cast<unsigned char*>(const_cast<char*>(alpn.data())),
                       static_cast<unsigned>(alpn.size())};
  gnutls_alpn_set_protocols(session_, &proto, 1, GNUTLS_ALPN_MANDATORY);
  if (server)
    gnutls_handshake_set_hook_function(session_, GNUTLS_HANDSHAKE_CLIENT_HELLO,
                                       GNUTLS_HOOK_POST, client_hello_cb);
  if (server && !host_.config().client_ca_path.empty()) {
    // Mutual TLS: no certificate signed by the client CA, no connection.
    gnutls_certificate_server_set_request(session_, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert(session_, nullptr, 0);
  }
  if (!server) {
    // GnuTLS keeps the pointer it is given for verification, not a copy:
    // the name must live as long as the session.
    server_name_ = server_name;
    // SNI carries names only; an IP address is verified against the
    // certificate's IP SANs without being sent.
    if (!is_ip_literal(server_name_))
      gnutls_server_name_set(session_, GNUTLS_NAME_DNS, server_name_.data(),
                             server_name_.size());
    gnutls_session_set_verify_cert(session_, server_name_.c_str(), 0);
  }
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  return {};
}

std::string quic_connection::init_client(const socket_address& local,
                                         const socket_address& remote,
                                         const std::string& server_name,
                                         std::shared_ptr<const tls_credentials> cred) {
  local_ = local;
  remote_ = remote;
  ngtcp2_cid dcid;
  ngtcp2_cid scid;
  dcid.datalen = cid_length;
  random_bytes(dcid.data, dcid.datalen);
  scid.datalen = cid_length;
  random_bytes(scid.data, scid.datalen);
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  fill_settings(settings, params, false);
  // A NEW_TOKEN token from an earlier connection to this server spares
  // this one a Retry when the server is under load.
  auto token = host_.take_token(remote_);
  settings.token = {token.data(), token.size()};
  auto callbacks = make_callbacks(false);
  auto path = make_path(local_, remote_);
  auto rv = ngtcp2_conn_client_new(&conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                                   &callbacks, &settings, &params, nullptr, this);
  if (rv != 0)
    return std::string{"ngtcp2_conn_client_new: "} + ngtcp2_strerror(rv);
  if (auto err = init_tls(false, server_name, std::move(cred)); !err.empty())
    return err;
  if (auto ka = host_.config().keep_alive_interval; ka.count() > 0)
    ngtcp2_conn_set_keep_alive_timeout(conn_, static_cast<ngtcp2_duration>(ka.count())
                                                * NGTCP2_MILLISECONDS);
  cids_.push_back(scid);
  host_.associate_cid(scid, this);
  return {};
}

std::string quic_connection::init_server(const socket_address& local,
                                         const socket_address& remote,
                                         const ngtcp2_pkt_hd& hd,
                                         const server_admission& admission,
                                         std::shared_ptr<const tls_credentials> cred) {
  is_server_ = true;
  local_ = local;
  remote_ = remote;
  ngtcp2_cid scid;
  scid.datalen = cid_length;
  random_bytes(scid.data, scid.datalen);
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  fill_settings(settings, params, true);
  // Without this the client rejects our transport parameters.
  params.original_dcid = admission.original_dcid.value_or(hd.dcid);
  if (admission.original_dcid) {
    params.retry_scid = hd.dcid;
    params.retry_scid_present = 1;
  }
  // A valid token proved the address: ngtcp2 lifts the limit of three
  // times the bytes received that it applies to an unvalidated one.
  settings.token = {const_cast<uint8_t*>(admission.token.data()), admission.token.size()};
  params.stateless_reset_token_present = 1;
  random_bytes(params.stateless_reset_token, sizeof(params.stateless_reset_token));
  auto callbacks = make_callbacks(true);
  auto path = make_path(local_, remote_);
  auto rv = ngtcp2_conn_server_new(&conn_, &hd.scid, &scid, &path, hd.version,
                                   &callbacks, &settings, &params, nullptr, this);
  if (rv != 0)
    return std::string{"ngtcp2_conn_server_new: "} + ngtcp2_strerror(rv);
  if (auto err = init_tls(true, {}, std::move(cred)); !err.empty())
    return err;
  if (auto ka = host_.config().keep_alive_interval; ka.count() > 0)
    ngtcp2_conn_set_keep_alive_timeout(conn_, static_cast<ngtcp2_duration>(ka.count())
                                                * NGTCP2_MILLISECONDS);
  // Packets keep arriving under the client's original DCID until it
  // learns ours.
  cids_.push_back(hd.dcid);
  host_.associate_cid(hd.dcid, this);
  cids_.push_back(scid);
  host_.associate_cid(scid, this);
  return {};
}

// -- driving ------------------------------------------------------------------

void quic_connection::read(const ngtcp2_path& path, const uint8_t* data, size_t size) {
  if (closed_)
    return;
  ngtcp2_pkt_info pi{};
  auto rv = ngtcp2_conn_read_pkt(conn_, &path, &pi, data, size, monotonic_now());
  apply_deferred_stops();
  if (rv != 0) {
    handle_error(rv);
  } else if (over_buffer_limit_) {
    ++host_.stats().connections_over_buffer_limit;
    auto reason = "more than "
                  + std::to_string(host_.config().max_connection_buffered_bytes)
                  + " bytes in unfinished requests";
    close(app_error::protocol, reason,
          {static_cast<uint8_t>(error::protocol), "peer held " + reason});
  }
}

void quic_connection::handle_expiry(ngtcp2_tstamp now) {
  if (closed_)
    return;
  expire_requests(now);
  if (ngtcp2_conn_get_expiry(conn_) > now)
    return;
  if (auto rv = ngtcp2_conn_handle_expiry(conn_, now); rv != 0)
    handle_error(rv);
}

ngtcp2_tstamp quic_connection::expiry() const {
  if (closed_)
    return UINT64_MAX;
  if (write_pending_)
    return 0;
  auto next = ngtcp2_conn_get_expiry(conn_);
  if (!request_deadlines_.empty())
    next = std::min(next, request_deadlines_.begin()->first);
  return next;
}

void quic_connection::apply_deferred_stops() {
  for (auto [sid, code] : stop_reading_later_)
    ngtcp2_conn_shutdown_stream_read(conn_, sid, static_cast<uint64_t>(code));
  stop_reading_later_.clear();
}

void quic_connection::handle_error(int rv) {
  switch (rv) {
    case NGTCP2_ERR_DRAINING: {
      ngtcp2_connection_close_error ccerr;
      ngtcp2_conn_get_connection_close_error(conn_, &ccerr);
      std::string reason(reinterpret_cast<const char*>(ccerr.reason), ccerr.reasonlen);
      close_cause cause;
      cause.code = static_cast<uint8_t>(error::connection);
      if (ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT
          && (ccerr.error_code & 0xff00) == NGTCP2_CRYPTO_ERROR) {
        cause.code = static_cast<uint8_t>(error::tls);
        cause.reason = "peer aborted the TLS handshake"
                       + tls_failure_text(static_cast<uint8_t>(ccerr.error_code & 0xff), 0)
                           .substr(std::string_view{"TLS handshake failed"}.size());
      } else if (ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION) {
        cause.reason = "closed by peer (code " + std::to_string(ccerr.error_code)
                       + (reason.empty() ? "" : ", " + reason) + ")";
      } else {
        cause.reason = "closed by peer (transport error "
                       + std::to_string(ccerr.error_code)
                       + (reason.empty() ? "" : ", " + reason) + ")";
      }
      finish(std::move(cause));
      return;
    }
    case NGTCP2_ERR_IDLE_CLOSE:
      finish({static_cast<uint8_t>(error::connection), "idle timeout"});
      return;
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      ++host_.stats().handshakes_failed_timeout;
      finish({static_cast<uint8_t>(error::connection), "handshake timed out"});
      return;
    case NGTCP2_ERR_DROP_CONN:
    // A server's first Initial held no usable CRYPTO frame (it began past
    // offset 0); ngtcp2 asks for a Retry, which rpcnet does not send, so
    // the stranger is forgotten as if the packet had not parsed.
    case NGTCP2_ERR_RETRY:
      finish({static_cast<uint8_t>(error::connection), "connection dropped"});
      return;
    default:
      fail("QUIC", rv);
  }
}

void quic_connection::fail(std::string_view context, int rv) {
  ngtcp2_connection_close_error ccerr;
  close_cause cause;
  uint8_t alert = alpn_mismatch_ ? 120 : ngtcp2_conn_get_tls_alert(conn_);
  if (rv == NGTCP2_ERR_CRYPTO || alpn_mismatch_) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, alert, nullptr, 0);
    cause.code = static_cast<uint8_t>(error::tls);
    cause.reason = alpn_mismatch_ ? "peer did not negotiate ALPN " + host_.config().alpn
                                  : tls_failure_text(alert, ngtcp2_conn_get_tls_error(conn_));
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, nullptr, 0);
    cause.code = static_cast<uint8_t>(error::connection);
    cause.reason = std::string{context} + " error: " + ngtcp2_strerror(rv);
  }
  send_connection_close(ccerr);
  finish(std::move(cause));
}

void quic_connection::send_connection_close(const ngtcp2_connection_close_error& ccerr) {
  if (ngtcp2_conn_is_in_closing_period(conn_) || ngtcp2_conn_is_in_draining_period(conn_))
    return;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  auto size = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  auto* buf = host_.packet_buffer(size);
  auto n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buf, size, &ccerr,
                                              monotonic_now());
  if (n > 0)
    host_.commit_packet(ps.path.remote, static_cast<size_t>(n));
}

void quic_connection::close(app_error code, const std::string& reason,
                            close_cause cause) {
  if (closed_)
    return;
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_set_application_error(
    &ccerr, static_cast<uint64_t>(code), reinterpret_cast<const uint8_t*>(reason.data()),
    reason.size());
  send_connection_close(ccerr);
  finish(std::move(cause));
}

void quic_connection::finish(close_cause cause) {
  if (closed_)
    return;
  closed_ = true;
  cause_ = std::move(cause);
  if (!handshake_done_) {
    ++host_.stats().handshakes_failed;
    if (cause_.code == static_cast<uint8_t>(error::tls))
      ++host_.stats().handshakes_failed_tls;
    log_network_line(log_level::warn, "handshake_failed",
                     std::string{"transport: handshake "} + (is_server_ ? "from " : "to ")
                       + remote_.to_string() + " failed: " + cause_.reason);
  } else if (log_enabled(log_level::debug)) {
    log_network_line(log_level::debug, "connection_closed",
                     "transport: connection with " + remote_.to_string()
                       + " closed: " + cause_.reason);
  }
  // Nothing more is read: what the streams hold is the owner's to drop.
  release_all();
}

quic_connection::path_sample quic_connection::sample_path() {
  path_sample out;
  if (!conn_ || closed_ || !handshake_done_)
    return out;
  ngtcp2_conn_stat cstat;
  ngtcp2_conn_get_conn_stat(conn_, &cstat);
  if (cstat.first_rtt_sample_ts != UINT64_MAX)
    out.smoothed_rtt_ns = cstat.smoothed_rtt;
  auto recovery = cstat.congestion_recovery_start_ts;
  out.entered_recovery = recovery != UINT64_MAX && recovery != last_recovery_start_;
  last_recovery_start_ = recovery;
  return out;
}

void quic_connection::write() {
  if (closed_)
    return;
  open_pending_streams();
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  auto ts = monotonic_now();
  auto max_size = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  std::array<ngtcp2_vec, 16> vecs;
  // Bound the packets per call so one busy connection cannot starve the
  // socket; expiry() then says "now" so the endpoint comes straight back.
  write_pending_ = true;
  for (int packets = 0; packets < 256;) {
    stream* s = nullptr;
    while (!write_queue_.empty()) {
      s = find_stream(write_queue_.front());
      if (s && !s->write_blocked && (s->tx.has_unsent() || (s->fin_pending && !s->fin_sent)))
        break;
      if (s)
        s->queued = false;
      write_queue_.pop_front();
      s = nullptr;
    }
    int64_t sid = -1;
    size_t nvec = 0;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (s) {
      sid = s->id;
      nvec = s->tx.unsent(vecs.data(), vecs.size());
      uint64_t offered = 0;
      for (size_t i = 0; i < nvec; ++i)
        offered += vecs[i].len;
      if (s->fin_pending && offered == s->tx.unsent_bytes())
        flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize written = -1;
    auto* buf = host_.packet_buffer(max_size);
    auto n = ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, buf, max_size, &written,
                                       flags, sid, vecs.data(), nvec, ts);
    if (n < 0) {
      switch (n) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:
          s->write_blocked = true;
          s->queued = false;
          write_queue_.pop_front();
          continue;
        case NGTCP2_ERR_STREAM_SHUT_WR:
        case NGTCP2_ERR_STREAM_NOT_FOUND:
          s->tx.abandon();
          s->fin_sent = true;
          s->queued = false;
          write_queue_.pop_front();
          continue;
        case NGTCP2_ERR_WRITE_MORE:
          s->tx.consume(static_cast<size_t>(written));
          if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && !s->tx.has_unsent())
            s->fin_sent = true;
          continue;
        default:
          fail("write", static_cast<int>(n));
          return;
      }
    }
    if (s && written >= 0) {
      s->tx.consume(static_cast<size_t>(written));
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && !s->tx.has_unsent())
        s->fin_sent = true;
    }
    if (n == 0) {
      write_pending_ = false;
      break;
    }
    host_.commit_packet(ps.path.remote, static_cast<size_t>(n));
    ++packets;
  }
  ngtcp2_conn_update_pkt_tx_time(conn_, ts);
}

bool quic_connection::quiescent() const noexcept {
  if (closed_ || !handshake_done_)
    return true;
  if (!pending_opens_.empty())
    return false;
  for (auto& [id, s] : streams_)
    if (s->tx.buffered() > 0 || (s->fin_pending && !s->fin_sent))
      return false;
  return true;
}

// -- commands -----------------------------------------------------------------

void quic_connection::open_stream(uint64_t token, byte_buffer data, bool fin,
                                  bool manual_credit) {
  pending_opens_.push_back({token, std::move(data), fin, manual_credit});
}

void quic_connection::open_pending_streams() {
  while (!pending_opens_.empty() && handshake_done_) {
    int64_t sid = -1;
    auto rv = ngtcp2_conn_open_bidi_stream(conn_, &sid, nullptr);
    if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED)
      return; // on_extend_max_local_streams() brings us back
    auto& req = pending_opens_.front();
    if (rv != 0) {
      stream_event ev;
      ev.token = req.token;
      ev.what = stream_event::kind::reset;
      ev.app_code = static_cast<uint64_t>(app_error::internal);
      ev.detail = std::string{"cannot open stream: "} + ngtcp2_strerror(rv);
      events_.push_back(std::move(ev));
      pending_opens_.pop_front();
      continue;
    }
    auto& s = *streams_
                 .emplace(sid, std::make_unique<stream>(sid, req.token,
                                                        host_.config().max_frame_size))
                 .first->second;
    stream_by_token_[req.token] = sid;
    s.manual_credit = req.manual_credit;
    s.tx.push(std::move(req.data));
    s.fin_pending = req.fin;
    enqueue_write(s);
    pending_opens_.pop_front();
  }
}

void quic_connection::write_stream(int64_t stream_id, uint64_t token, byte_buffer data,
                                   bool fin) {
  if (stream_id < 0 && !stream_by_token_.count(token)) {
    // Opened locally but still waiting for stream credit: the bytes join
    // the open request, in order.
    for (auto& p : pending_opens_) {
      if (p.token == token && !p.fin) {
        p.data.insert(p.data.end(), data.begin(), data.end());
        p.fin = fin;
        return;
      }
    }
    return;
  }
  auto* s = find_stream(resolve(stream_id, token));
  if (!s || s->fin_pending)
    return; // the stream is gone (reset by the peer) or already finished
  s->tx.push(std::move(data));
  s->fin_pending = fin;
  enqueue_write(*s);
}

void quic_connection::reset_stream(int64_t stream_id, uint64_t token, app_error code) {
  if (stream_id < 0) {
    auto it = stream_by_token_.find(token);
    if (it == stream_by_token_.end()) {
      // Not opened yet: forget the request.
      std::erase_if(pending_opens_, [&](const pending_open& p) { return p.token == token; });
      return;
    }
    stream_id = it->second;
  }
  if (auto* s = find_stream(stream_id)) {
    s->tx.abandon();
    s->fin_sent = true;
    s->end_reported = true;
    drop_input(*s);
    ngtcp2_conn_shutdown_stream(conn_, stream_id, static_cast<uint64_t>(code));
  }
}

void quic_connection::set_manual_credit(int64_t stream_id, uint64_t token) {
  if (auto* s = find_stream(resolve(stream_id, token))) {
    s->manual_credit = true;
    // Frames delivered before the switch count as taken.
    s->consumed = s->delivered;
    account(*s);
  }
}

void quic_connection::consume(int64_t stream_id, uint64_t token, uint64_t bytes) {
  if (auto* s = find_stream(resolve(stream_id, token)); s && s->manual_credit) {
    s->consumed = std::min(s->delivered, s->consumed + bytes);
    account(*s);
    update_credit(*s);
  }
}

int64_t quic_connection::resolve(int64_t stream_id, uint64_t token) const {
  if (stream_id >= 0)
    return stream_id;
  auto it = stream_by_token_.find(token);
  return it == stream_by_token_.end() ? -1 : it->second;
}

void quic_connection::stop_reading(int64_t stream_id, app_error code) {
  if (auto* s = find_stream(stream_id)) {
    drop_input(*s);
    ngtcp2_conn_shutdown_stream_read(conn_, stream_id, static_cast<uint64_t>(code));
  }
}

// -- streams ------------------------------------------------------------------

quic_connection::stream* quic_connection::find_stream(int64_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

quic_connection::stream& quic_connection::stream_for(int64_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it != streams_.end())
    return *it->second;
  it = streams_
         .emplace(stream_id,
                  std::make_unique<stream>(stream_id, 0, host_.config().max_frame_size))
         .first;
  auto& s = *it->second;
  // A request's clock starts at its first byte; replies to our own
  // calls are bounded by the caller's timeout instead.
  auto timeout = host_.config().request_read_timeout;
  if (timeout.count() > 0 && !ngtcp2_conn_is_local_stream(conn_, stream_id)) {
    s.request_deadline = monotonic_now()
                         + static_cast<ngtcp2_tstamp>(timeout.count()) * NGTCP2_MILLISECONDS;
    request_deadlines_.emplace(s.request_deadline, stream_id);
  }
  return s;
}

stream_event& quic_connection::event_for(stream& s, stream_event::kind what) {
  if (!events_.empty() && events_.back().stream_id == s.id && events_.back().what == what
      && !events_.back().finished)
    return events_.back();
  auto& ev = events_.emplace_back();
  ev.stream_id = s.id;
  ev.token = s.token;
  ev.what = what;
  return ev;
}

void quic_connection::enqueue_write(stream& s) {
  if (!s.queued) {
    s.queued = true;
    write_queue_.push_back(s.id);
  }
}

void quic_connection::drop_input(stream& s) {
  s.read_stopped = true;
  s.decoder = frame_decoder{host_.config().max_frame_size};
  account(s);
}

void quic_connection::protocol_error(stream& s, std::string detail) {
  ++host_.stats().stream_protocol_errors;
  log_network_line(log_level::warn, "protocol_error",
                   "transport: protocol error from " + remote_.to_string() + " on stream "
                     + std::to_string(s.id) + ": " + detail);
  s.end_reported = true;
  drop_input(s);
  auto& ev = event_for(s, stream_event::kind::protocol_error);
  ev.detail = std::move(detail);
  stop_reading_later_.emplace_back(s.id, app_error::protocol);
}

void quic_connection::refuse(stream& s, error code, std::string detail,
                             app_error stop_code) {
  s.end_reported = true;
  drop_input(s);
  auto& ev = event_for(s, stream_event::kind::refused);
  ev.refusal = static_cast<uint8_t>(code);
  ev.detail = std::move(detail);
  stop_reading_later_.emplace_back(s.id, stop_code);
}

// -- limits: memory and time a peer may take ------------------------------------

// What a consumer has not taken yet: the unfinished frame in the decoder,
// and the complete frames delivered but not consumed. A unary call's
// frames count until its end frame, because the connection actor keeps
// them until then; credit has returned for them, so flow control alone
// would let a peer pile up one complete frame per stream without end.
uint64_t quic_connection::holding(const stream& s) const {
  if (s.read_stopped)
    return 0;
  uint64_t untaken = s.manual_credit ? s.delivered - s.consumed
                                     : (s.decoder.ended() ? 0 : s.delivered);
  return s.decoder.buffered() + untaken;
}

// Streaming calls consume as they go, so only a request still waiting for
// its end frame before anyone consumes it has a deadline.
bool quic_connection::awaits_request_end(const stream& s) const {
  return !s.read_stopped && !s.manual_credit && !s.decoder.ended();
}

void quic_connection::account(stream& s) {
  if (closed_)
    return; // release_all() gave everything back for good
  auto now_held = holding(s);
  if (now_held > s.held) {
    auto more = now_held - s.held;
    if (!host_.budget().try_take(more)) {
      ++host_.stats().streams_over_budget;
      refuse(s, error::overloaded,
             "the server holds its limit of "
               + std::to_string(host_.config().max_endpoint_buffered_bytes)
               + " bytes of unfinished requests",
             app_error::protocol);
      return; // refuse() accounted the stream again, at zero
    }
    s.held = now_held;
    buffered_bytes_ += more;
    auto& peak = host_.stats().connection_buffered_peak;
    peak = std::max(peak, buffered_bytes_);
    if (buffered_bytes_ > host_.config().max_connection_buffered_bytes)
      over_buffer_limit_ = true;
  } else if (now_held < s.held) {
    host_.budget().give_back(s.held - now_held);
    buffered_bytes_ -= s.held - now_held;
    s.held = now_held;
  }
  if (s.request_deadline != 0 && !awaits_request_end(s)) {
    request_deadlines_.erase({s.request_deadline, s.id});
    s.request_deadline = 0;
  }
}

void quic_connection::release_all() {
  host_.budget().give_back(buffered_bytes_);
  buffered_bytes_ = 0;
  for (auto& [id, s] : streams_)
    s->held = 0;
  request_deadlines_.clear();
}

void quic_connection::expire_requests(ngtcp2_tstamp now) {
  auto timeout = host_.config().request_read_timeout;
  while (!request_deadlines_.empty() && request_deadlines_.begin()->first <= now) {
    auto* s = find_stream(request_deadlines_.begin()->second);
    if (!s || !awaits_request_end(*s)) {
      request_deadlines_.erase(request_deadlines_.begin());
      continue;
    }
    ++host_.stats().requests_timed_out;
    // refuse() accounts the stream, which takes its deadline off the set.
    refuse(*s, error::timeout,
           "request did not end within " + std::to_string(timeout.count()) + " ms",
           app_error::cancelled);
  }
  apply_deferred_stops();
}

// -- ngtcp2 callbacks ---------------------------------------------------------

// GnuTLS treats quic_transport_parameters as optional, but ngtcp2 0.12
// learns the negotiated version only from them: a server that answered a
// ClientHello without them would write its first 1-RTT packet with no
// version, and libngtcp2's assertion on that aborts the whole process.
// Refusing here, before any key beyond Initial exists, also makes every
// later close safe: without a negotiated version ngtcp2 can only write
// CONNECTION_CLOSE in an Initial packet. RFC 9001 section 8.2 names the
// alert: missing_extension.
int quic_connection::on_client_hello() {
  if (ngtcp2_conn_get_negotiated_version(conn_) == 0)
    return GNUTLS_E_MISSING_EXTENSION;
  return 0;
}

int quic_connection::on_handshake_completed() {
  gnutls_datum_t proto{};
  const auto& alpn = host_.config().alpn;
  if (gnutls_alpn_get_selected_protocol(session_, &proto) != 0
      || std::string_view(reinterpret_cast<const char*>(proto.data), proto.size) != alpn) {
    alpn_mismatch_ = true;
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  handshake_done_ = true;
  ready_signal_ = true;
  if (log_enabled(log_level::debug))
    log_network_line(log_level::debug, "connection_opened",
                     std::string{"transport: connection "} + (is_server_ ? "from " : "to ")
                       + remote_.to_string() + " established");
  // Only a verified chain makes a certificate's names worth reporting: a
  // client verifies every server, a server its clients only under mutual
  // TLS (without a client CA it asks for no certificate either).
  if (!is_server_ || !host_.config().client_ca_path.empty())
    identity_ = verified_peer_identity(session_);
  if (is_server_) {
    owner_ = host_.accept(id_, remote_);
    if (!owner_)
      return NGTCP2_ERR_CALLBACK_FAILURE;
    // For the client's next connection (it uses each token once).
    if (auto token = host_.new_token_for(remote_); !token.empty()
        && ngtcp2_conn_submit_new_token(conn_, token.data(), token.size()) == 0)
      ++host_.stats().new_tokens_sent;
  }
  return 0;
}

int quic_connection::on_recv_new_token(const uint8_t* token, size_t size) {
  host_.remember_token(remote_, {token, size});
  return 0;
}

int quic_connection::on_recv_stream_data(uint32_t flags, int64_t stream_id,
                                         const uint8_t* data, size_t size) {
  auto& s = stream_for(stream_id);
  if (s.read_stopped) {
    // Discarded input costs nothing to hold: return its credit at once.
    grant_credit(s, size);
    return 0;
  }
  std::span<const uint8_t> input{data, size};
  // The end is reported only after the whole chunk decoded cleanly: bytes
  // behind the end frame make the stream malformed, not finished.
  bool ended_here = false;
  while (!input.empty()) {
    auto used = s.decoder.feed(input);
    input = input.subspan(used);
    if (auto frame = s.decoder.next_frame()) {
      auto wire_size = frame->size() + frame_encoder::header_size;
      s.delivered += wire_size;
      if (frame->empty()) {
        ended_here = true;
        // The end frame holds nothing for the consumer to take.
        s.consumed += wire_size;
      } else {
        event_for(s, stream_event::kind::frames).frames.push_back(std::move(*frame));
      }
    }
    if (s.decoder.failed()) {
      protocol_error(s, s.decoder.error_message());
      grant_credit(s, size);
      return 0;
    }
  }
  account(s);
  if (s.read_stopped) {
    // Refused for the endpoint's budget: the chunk is discarded.
    grant_credit(s, size);
    return 0;
  }
  update_credit(s);
  if ((flags & NGTCP2_STREAM_DATA_FLAG_FIN) && !s.decoder.ended()) {
    protocol_error(s, s.decoder.mid_frame() ? "stream ended inside a frame"
                                            : "stream ended without an end frame");
    return 0;
  }
  if (ended_here) {
    event_for(s, stream_event::kind::frames).finished = true;
    s.end_reported = true;
  }
  return 0;
}

// Credit model: the peer may send `stream_window` bytes beyond what the
// consumer took plus what the decoder holds of an unfinished frame. Partial
// frames always get credit, so a frame larger than the window completes;
// complete frames wait for the consumer in manual mode, which is where
// backpressure lives. In automatic mode frames count as taken on delivery.
void quic_connection::update_credit(stream& s) {
  auto taken = s.manual_credit ? s.consumed : s.delivered;
  auto target = taken + s.decoder.buffered();
  if (target > s.granted)
    grant_credit(s, target - s.granted);
}

void quic_connection::grant_credit(stream& s, uint64_t bytes) {
  s.granted += bytes;
  ngtcp2_conn_extend_max_stream_offset(conn_, s.id, bytes);
  ngtcp2_conn_extend_max_offset(conn_, bytes);
}

int quic_connection::on_acked_stream_data(int64_t stream_id, uint64_t offset,
                                          uint64_t size) {
  if (auto* s = find_stream(stream_id)) {
    s->tx.acknowledge_until(offset + size);
    // Producers of streaming calls pace themselves by what the peer has.
    if (s->manual_credit && size > 0)
      event_for(*s, stream_event::kind::progress).acked += size;
  }
  return 0;
}

int quic_connection::on_stream_reset(int64_t stream_id, uint64_t app_code) {
  auto* s = find_stream(stream_id);
  // The peer sends no more: nothing of its input is worth holding.
  if (s)
    drop_input(*s);
  // A reset after the peer's FIN says nothing about our input -- unless it
  // cancels the call: a peer cancelling a call resets its side even when it
  // had finished sending, and the STOP_SENDING meant for our writes is not
  // always sent then.
  bool cancels = app_code == static_cast<uint64_t>(app_error::cancelled);
  if (!s || s->stop_reported || (s->end_reported && !cancels))
    return 0;
  s->end_reported = true;
  s->stop_reported = cancels;
  auto& ev = event_for(*s, stream_event::kind::reset);
  ev.app_code = app_code;
  ev.detail = "stream reset by peer";
  return 0;
}

int quic_connection::on_stream_stop_sending(int64_t stream_id, uint64_t app_code) {
  // The peer will read no more of what we write: whoever writes must hear it
  // even when the peer's own direction already ended.
  auto* s = find_stream(stream_id);
  if (!s || s->stop_reported)
    return 0;
  s->stop_reported = true;
  s->end_reported = true;
  auto& ev = event_for(*s, stream_event::kind::reset);
  ev.app_code = app_code;
  ev.detail = "peer stopped reading the stream";
  return 0;
}

int quic_connection::on_stream_close(int64_t stream_id, uint64_t app_code) {
  // ngtcp2 0.12 counts losses per stream only, and the stream is gone
  // after this callback: the last moment to read its count.
  host_.count_lost_packets(ngtcp2_conn_get_stream_loss_count(conn_, stream_id));
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) {
    auto& s = *it->second;
    if (!s.end_reported) {
      auto& ev = event_for(s, stream_event::kind::reset);
      ev.app_code = app_code;
      ev.detail = "stream closed before it ended";
    } else if (!s.stop_reported && !s.fin_sent
               && app_code == static_cast<uint64_t>(app_error::cancelled)) {
      // ngtcp2 0.12 tells of a peer's STOP_SENDING through no callback of
      // its own (stream_stop_sending reports our own shutdown): it resets
      // our direction with the peer's code and closes the stream. A peer
      // that cancels a call it had finished sending is heard only here --
      // the owner still has a reply to write, which nobody will read.
      s.stop_reported = true;
      auto& ev = event_for(s, stream_event::kind::reset);
      ev.app_code = app_code;
      ev.detail = "peer stopped reading the stream";
    }
    drop_input(s);
    if (s.token != 0)
      stream_by_token_.erase(s.token);
    std::erase(write_queue_, stream_id);
    streams_.erase(it);
  }
  if (!ngtcp2_conn_is_local_stream(conn_, stream_id))
    ngtcp2_conn_extend_max_streams_bidi(conn_, 1);
  return 0;
}

int quic_connection::on_extend_max_stream_data(int64_t stream_id) {
  if (auto* s = find_stream(stream_id); s && s->write_blocked) {
    s->write_blocked = false;
    enqueue_write(*s);
  }
  return 0;
}

int quic_connection::on_extend_max_local_streams() {
  // open_pending_streams() runs at the start of the next write().
  return 0;
}

int quic_connection::on_get_new_connection_id(ngtcp2_cid* cid, uint8_t* token,
                                              size_t cidlen) {
  cid->datalen = cidlen;
  random_bytes(cid->data, cidlen);
  random_bytes(token, NGTCP2_STATELESS_RESET_TOKENLEN);
  cids_.push_back(*cid);
  host_.associate_cid(*cid, this);
  return 0;
}

int quic_connection::on_remove_connection_id(const ngtcp2_cid* cid) {
  host_.dissociate_cid(*cid);
  std::erase_if(cids_, [&](const ngtcp2_cid& x) { return ngtcp2_cid_eq(&x, cid); });
  return 0;
}

} // namespace rpcnet
