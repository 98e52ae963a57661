#include <rpcnet/actors/rpc_client.hpp>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "call_protocol.hpp"
#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// Errors from CAF itself (a dead actor, a request timeout) become rpcnet
/// errors so callers branch on one set of codes.
caf::error normalize(caf::error err) {
  if (is_rpcnet_error(err))
    return err;
  return make_error(code_of(err), describe(err));
}

/// Slack on top of a call's own deadline for the blocking wait: the actor
/// enforces the deadline, this only guards against a lost actor.
constexpr auto wait_slack = std::chrono::seconds{5};

} // namespace

class rpc_client::impl {
public:
  impl(caf::actor_system& sys, std::shared_ptr<call_transport> transport,
       std::function<void()> release, rpc_client_actor actor, rpc_config cfg)
    : sys_(sys),
      transport_(std::move(transport)),
      release_(std::move(release)),
      actor_(std::move(actor)),
      cfg_(std::move(cfg)) {
  }

  ~impl() {
    close();
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
  }

  void close() {
    if (!transport_)
      return;
    caf::anon_send(actor_, close_atom::value);
    // A private endpoint goes with the connection (joining its thread; the
    // actor gets connection_closed). A shared one stays for its other users:
    // the close_atom alone closes our connection on it.
    if (release_)
      release_();
    release_ = nullptr;
    transport_.reset();
  }

  caf::actor_system& sys_;
  std::shared_ptr<call_transport> transport_;
  /// Lets go of what this client started for itself (its own endpoint,
  /// its in-process connections), if anything.
  std::function<void()> release_;
  rpc_client_actor actor_;
  rpc_config cfg_;
  socket_address local_;
};

namespace {

/// The server's address, resolved on the caller's thread (a look-up may
/// take as long as DNS does, and no actor may wait on that). A name the
/// user typed is also the name the server's certificate must carry, unless
/// cfg.server_name says another.
caf::expected<socket_address> resolve_server(const std::string& server_address,
                                             rpc_config& cfg) {
  auto parsed = parse_host_port(server_address);
  if (!parsed)
    return make_error(error::config, "invalid server address " + message_of(parsed.error()));
  if (parsed->is_name() && cfg.server_name.empty()) {
    cfg.server_name = parsed->host;
    // "db.example." is fully qualified; certificates and SNI spell it
    // without the final dot.
    if (cfg.server_name.back() == '.')
      cfg.server_name.pop_back();
  }
  return resolve_address(*parsed);
}

} // namespace

caf::expected<rpc_client> rpc_client::connect(caf::actor_system& sys,
                                              const std::string& server_address,
                                              rpc_config cfg) {
  auto remote = resolve_server(server_address, cfg);
  if (!remote)
    return std::move(remote.error());
  // Before the endpoint starts: its thread is not worth starting for a
  // configuration the connection would refuse.
  if (auto err = cfg.validate())
    return err;
  auto ep = endpoint::start(sys, cfg.to_transport(false));
  if (!ep)
    return normalize(std::move(ep.error()));
  return connect(sys, *remote, std::move(cfg), std::move(*ep), true);
}

caf::expected<rpc_client> rpc_client::connect(caf::actor_system& sys,
                                              const std::string& server_address,
                                              rpc_config cfg, std::shared_ptr<endpoint> ep) {
  if (!ep)
    return make_error(error::config, "no endpoint to connect from");
  auto remote = resolve_server(server_address, cfg);
  if (!remote)
    return std::move(remote.error());
  return connect(sys, *remote, std::move(cfg), std::move(ep), false);
}

caf::expected<rpc_client> rpc_client::connect(caf::actor_system& sys,
                                              const socket_address& remote, rpc_config cfg,
                                              std::shared_ptr<endpoint> ep, bool owns_endpoint) {
  auto actor = spawn_client_connection(sys, ep, remote, cfg);
  if (!actor) {
    if (owns_endpoint)
      ep->shutdown();
    return std::move(actor.error());
  }
  auto local = ep->local_address();
  std::function<void()> release;
  if (owns_endpoint)
    release = [ep] { ep->shutdown(); };
  return await_connected(sys, std::move(*actor), std::move(cfg), std::move(ep),
                         std::move(release), std::move(local));
}

caf::expected<rpc_client> rpc_client::await_connected(caf::actor_system& sys,
                                                      rpc_client_actor actor, rpc_config cfg,
                                                      std::shared_ptr<call_transport> transport,
                                                      std::function<void()> release,
                                                      socket_address local) {
  auto wait = transport->config().handshake_timeout + wait_slack;
  auto ptr = std::make_shared<impl>(sys, std::move(transport), std::move(release), actor,
                                    std::move(cfg));
  ptr->local_ = std::move(local);
  caf::error failure;
  {
    caf::scoped_actor self{sys};
    self->request(actor, wait, connect_atom::value)
      .receive([](bool) {}, [&](caf::error& err) { failure = normalize(std::move(err)); });
  }
  if (failure)
    return failure;
  return rpc_client{std::move(ptr)};
}

caf::expected<byte_buffer> rpc_client::call(const std::string& method,
                                            byte_buffer request) const {
  return call(method, std::move(request), impl_->cfg_.call_timeout);
}

caf::expected<byte_buffer> rpc_client::call(const std::string& method, byte_buffer request,
                                            std::chrono::milliseconds timeout) const {
  return call(method, std::move(request), timeout, call_key{});
}

caf::expected<byte_buffer> rpc_client::call(const std::string& method, byte_buffer request,
                                            std::chrono::milliseconds timeout,
                                            call_key key) const {
  caf::expected<byte_buffer> result{make_error(error::connection, "no reply")};
  caf::scoped_actor self{impl_->sys_};
  self
    ->request(impl_->actor_, timeout + wait_slack, call_atom::value, method, std::move(request),
              caf::timespan{timeout}, key)
    .receive([&](byte_buffer& reply) { result = std::move(reply); },
             [&](caf::error& err) { result = normalize(std::move(err)); });
  return result;
}

caf::expected<byte_buffer> rpc_client::call(const std::string& method, byte_buffer request,
                                            const call_options& opts) const {
  auto reply = call_with_trailers(method, std::move(request), opts);
  if (!reply)
    return std::move(reply.error());
  return std::move(reply->body);
}

caf::expected<call_reply> rpc_client::call_with_trailers(const std::string& method,
                                                         byte_buffer request,
                                                         const call_options& opts) const {
  caf::expected<call_reply> result{make_error(error::connection, "no reply")};
  auto timeout = opts.timeout.value_or(caf::timespan{impl_->cfg_.call_timeout});
  caf::scoped_actor self{impl_->sys_};
  self->request(impl_->actor_, timeout + wait_slack, call_atom::value, method, std::move(request),
                opts)
    .receive([&](call_reply& reply) { result = std::move(reply); },
             [&](caf::error& err) { result = normalize(std::move(err)); });
  return result;
}

void rpc_client::cancel(call_key key) const {
  caf::anon_send(impl_->actor_, cancel_atom::value, key);
}

caf::expected<client_stream> rpc_client::open_stream(const std::string& method, uint8_t kind,
                                                     const call_options& opts) const {
  caf::expected<client_stream> result{make_error(error::connection, "no reply")};
  caf::scoped_actor self{impl_->sys_};
  auto wait = stream_channel::clock::duration{impl_->cfg_.call_timeout};
  self->request(impl_->actor_, impl_->cfg_.call_timeout + wait_slack, stream_atom::value,
                method, kind, opts)
    .receive([&](std::shared_ptr<stream_channel>& ch) { result = client_stream{ch, wait}; },
             [&](caf::error& err) { result = normalize(std::move(err)); });
  return result;
}

caf::expected<client_stream> rpc_client::call_streaming(const std::string& method) const {
  return call_streaming(method, call_options{});
}

caf::expected<client_stream> rpc_client::call_streaming(const std::string& method,
                                                        const call_options& opts) const {
  return open_stream(method, static_cast<uint8_t>(wire::call_kind::bidi_streaming), opts);
}

caf::expected<client_stream> rpc_client::call_server_streaming(const std::string& method,
                                                               const byte_buffer& request,
                                                               const call_options& opts) const {
  auto stream = open_stream(method, static_cast<uint8_t>(wire::call_kind::server_streaming),
                            opts);
  if (!stream)
    return stream;
  if (auto err = stream->send(request))
    return err;
  if (auto err = stream->finish())
    return err;
  return stream;
}

caf::expected<byte_buffer>
rpc_client::call_client_streaming(const std::string& method,
                                  const std::vector<byte_buffer>& requests,
                                  const call_options& opts) const {
  auto stream = open_stream(method, static_cast<uint8_t>(wire::call_kind::client_streaming),
                            opts);
  if (!stream)
    return std::move(stream.error());
  for (auto& request : requests)
    if (auto err = stream->send(request))
      return err;
  if (auto err = stream->finish())
    return err;
  auto response = stream->next();
  if (!response)
    return std::move(response.error());
  if (!*response)
    return make_error(error::protocol, "the server ended the call without a response");
  auto end = stream->next();
  if (!end)
    return std::move(end.error());
  if (*end)
    return make_error(error::protocol, "the server sent more than one response");
  return std::move(**response);
}

const rpc_client_actor& rpc_client::actor() const noexcept {
  return impl_->actor_;
}

const socket_address& rpc_client::local_address() const noexcept {
  return impl_->local_;
}

caf::error rpc_client::reload_credentials(std::chrono::milliseconds timeout) {
  auto transport = impl_->transport_;
  if (!transport)
    return make_error(error::connection, "the client was closed");
  auto ep = std::dynamic_pointer_cast<endpoint>(transport);
  if (!ep)
    return make_error(error::config, "an in-process client has no TLS credentials to reload");
  return ep->reload_credentials(timeout);
}

void rpc_client::close() {
  impl_->close();
}

} // namespace rpcnet
