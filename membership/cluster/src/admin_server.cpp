// The admin HTTP server on Boost.Beast (see admin_server.hpp): one io_context
// on a thread of its own, one session per connection, each with a parser
// whose header limit bounds its memory and a timer that bounds its time.
#include <rpcnet/cluster/admin_server.hpp>

#include <map>
#include <optional>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/configuration.hpp>

#include "dashboard_page.hpp"

namespace rpcnet {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

caf::error admin_config::validate() const {
  config_errors errors{"admin_config"};
  errors.require_parsed("address", parse_host_port(address));
  errors.require(max_connections > 0, "max_connections must be at least 1");
  errors.require(request_timeout.count() > 0, "request_timeout must be positive");
  errors.require(max_header_bytes >= 512, "max_header_bytes must be at least 512");
  return errors.result();
}

namespace {

/// The paths the server knows, as rpcnet_admin_requests_total labels them
/// (a bounded set: an unknown path is "other", never its text).
enum class admin_path { metrics, healthz, readyz, dashboard, api_cluster, other };

constexpr std::string_view path_label(admin_path path) {
  switch (path) {
    case admin_path::metrics: return "/metrics";
    case admin_path::healthz: return "/healthz";
    case admin_path::readyz: return "/readyz";
    case admin_path::dashboard: return "/";
    case admin_path::api_cluster: return "/api/cluster";
    case admin_path::other: break;
  }
  return "other";
}

admin_path classify(std::string_view target) {
  // The query string does not choose the page.
  target = target.substr(0, target.find('?'));
  if (target == "/metrics")
    return admin_path::metrics;
  if (target == "/healthz")
    return admin_path::healthz;
  if (target == "/readyz")
    return admin_path::readyz;
  if (target == "/" || target == "/index.html")
    return admin_path::dashboard;
  if (target == "/api/cluster")
    return admin_path::api_cluster;
  return admin_path::other;
}

class admin_session;

} // namespace

struct admin_server::impl {
  // Declared before the io_context: destroying it destroys what handlers
  // it still holds, and with them sessions, which touch these.
  admin_config cfg;
  admin_routes routes;
  /// The open sessions, touched on the io thread only.
  std::map<admin_session*, std::weak_ptr<admin_session>> sessions;
  /// rpcnet_admin_requests_total{path,code}, when there is a registry.
  counter_family* requests = nullptr;
  metric_counter* refused_connections = nullptr;
  bool stopped = false;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  /// Paces accepting after an error such as EMFILE, which would otherwise
  /// fail again at once and spin this thread.
  asio::steady_timer accept_pause{io};
  socket_address bound;
  std::thread thread;

  /// Closes the listener and every session; the io thread's run() then
  /// returns once their handlers have seen the close.
  void close_all();

  void count(admin_path path, unsigned status) {
    if (requests)
      requests->with({path_label(path), std::to_string(status)}).inc();
  }

  /// The answer to one request that parsed.
  http::response<http::string_body> answer(const http::request<http::empty_body>& req) {
    auto path = classify(std::string_view{req.target().data(), req.target().size()});
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "rpcnet");
    res.set(http::field::cache_control, "no-store");
    auto reply = [&](http::status status, std::string_view type, std::string body) {
      res.result(status);
      res.set(http::field::content_type, std::string{type});
      res.body() = std::move(body);
    };
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      reply(http::status::method_not_allowed, "text/plain", "only GET and HEAD\n");
      res.set(http::field::allow, "GET, HEAD");
    } else {
      switch (path) {
        case admin_path::metrics:
          if (routes.metrics)
            reply(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                  routes.metrics->expose());
          else
            reply(http::status::not_found, "text/plain", "no metrics on this node\n");
          break;
        case admin_path::healthz: reply(http::status::ok, "text/plain", "ok\n"); break;
        case admin_path::readyz: {
          auto state = routes.ready ? routes.ready() : readiness{};
          if (state.ready)
            reply(http::status::ok, "text/plain", "ready\n");
          else
            reply(http::status::service_unavailable, "text/plain",
                  "not ready: " + state.reason + "\n");
          break;
        }
        case admin_path::dashboard:
          if (routes.cluster_json)
            reply(http::status::ok, "text/html; charset=utf-8", std::string{dashboard_page});
          else
            reply(http::status::not_found, "text/plain", "no dashboard on this node\n");
          break;
        case admin_path::api_cluster:
          if (routes.cluster_json)
            reply(http::status::ok, "application/json", routes.cluster_json());
          else
            reply(http::status::not_found, "text/plain", "no dashboard on this node\n");
          break;
        case admin_path::other:
          reply(http::status::not_found, "text/plain", "not found\n");
          break;
      }
    }
    count(path, res.result_int());
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (req.method() == http::verb::head)
      res.body().clear(); // Content-Length still says what GET would send
    return res;
  }
};

namespace {

/// One HTTP connection: reads requests one at a time, each within the
/// timeout and the header limit, and answers them.
class admin_session : public std::enable_shared_from_this<admin_session> {
public:
  admin_session(tcp::socket socket, admin_server::impl& server)
    : stream_(std::move(socket)), server_(server), buffer_(server.cfg.max_header_bytes) {
  }

  ~admin_session() {
    server_.sessions.erase(this);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.cfg.max_header_bytes));
    stream_.expires_after(server_.cfg.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     });
  }

private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout
        || ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      close();
      return;
    }
    if (ec) {
      // What did not parse gets one answer, then the connection closes:
      // the stream is out of step with any next request.
      auto status = ec == http::error::header_limit ? http::status::request_header_fields_too_large
                    : ec == http::error::unexpected_body || ec == http::error::body_limit
                      ? http::status::payload_too_large
                      : http::status::bad_request;
      auto res = std::make_shared<http::response<http::string_body>>(status, 11);
      res->set(http::field::content_type, "text/plain");
      res->body() = std::string{http::obsolete_reason(status)} + "\n";
      res->keep_alive(false);
      res->prepare_payload();
      server_.count(admin_path::other, res->result_int());
      write(std::move(res));
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(
      server_.answer(parser_->get()));
    write(std::move(res));
  }

  void write(std::shared_ptr<http::response<http::string_body>> res) {
    stream_.expires_after(server_.cfg.request_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive())
                          self->close();
                        else
                          self->read();
                      });
  }

  beast::tcp_stream stream_;
  admin_server::impl& server_;
  /// Bounded: a request head larger than this fails to parse.
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
};

void accept_next(admin_server::impl& server) {
  server.acceptor.async_accept([&server](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !server.acceptor.is_open())
      return;
    if (ec) {
      server.accept_pause.expires_after(std::chrono::milliseconds{100});
      server.accept_pause.async_wait([&server](beast::error_code wait_ec) {
        if (!wait_ec && server.acceptor.is_open())
          accept_next(server);
      });
      return;
    }
    if (server.sessions.size() >= server.cfg.max_connections) {
      if (server.refused_connections)
        server.refused_connections->inc();
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      auto session = std::make_shared<admin_session>(std::move(socket), server);
      server.sessions.emplace(session.get(), session);
      session->read();
    }
    accept_next(server);
  });
}

} // namespace

void admin_server::impl::close_all() {
  beast::error_code ignored;
  acceptor.close(ignored);
  accept_pause.cancel();
  // close() may end a session, which erases it: walk a copy.
  auto open = sessions;
  for (auto& [raw, weak] : open)
    if (auto session = weak.lock())
      session->close();
}

caf::expected<std::unique_ptr<admin_server>> admin_server::start(admin_config cfg,
                                                                 admin_routes routes) {
  if (auto err = cfg.validate())
    return err;
  auto addr = resolve_address(cfg.address);
  if (!addr)
    return addr.error();
  auto st = std::make_unique<impl>();
  st->cfg = std::move(cfg);
  st->routes = std::move(routes);
  if (st->routes.metrics) {
    st->requests = &st->routes.metrics->counters(
      "rpcnet_admin_requests_total", "Requests to the admin HTTP address by path and status.",
      {"path", "code"});
    st->refused_connections = &st->routes.metrics
                                 ->counters("rpcnet_admin_connections_refused_total",
                                            "Admin connections closed at once: max_connections "
                                            "were open.")
                                 .with({});
  }
  beast::error_code ec;
  tcp::endpoint where{asio::ip::make_address(addr->host(), ec), addr->port()};
  if (!ec)
    st->acceptor.open(where.protocol(), ec);
  if (!ec)
    st->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    st->acceptor.bind(where, ec);
  if (!ec)
    st->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(error::io, "admin address " + addr->to_string() + ": " + ec.message());
  auto local = st->acceptor.local_endpoint(ec);
  auto bound = socket_address::parse(
    local.address().is_v6() ? "[" + local.address().to_string() + "]:" + std::to_string(local.port())
                            : local.address().to_string() + ":" + std::to_string(local.port()));
  st->bound = bound ? *bound : *addr;
  accept_next(*st);
  st->thread = std::thread{[raw = st.get()] { raw->io.run(); }};
  return std::unique_ptr<admin_server>{new admin_server(std::move(st))};
}

admin_server::admin_server(std::unique_ptr<impl> state) : impl_(std::move(state)) {
}

admin_server::~admin_server() {
  stop();
}

const socket_address& admin_server::local_address() const noexcept {
  return impl_->bound;
}

void admin_server::stop() {
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  asio::post(impl_->io, [st = impl_.get()] { st->close_all(); });
  if (impl_->thread.joinable())
    impl_->thread.join();
}

} // namespace rpcnet
