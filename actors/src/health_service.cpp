// The health table and its two methods (see health_service.hpp). Check is a
// function handler that only reads the table, so it runs as a one-shot
// actor. Each Watch is an actor of its own rather than a handler on the
// pool: a watch waits for hours, and a thousand of them would hold every
// pool thread.
#include <rpcnet/actors/health_service.hpp>

#include <optional>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <rpcnet/actors/atoms.hpp>
#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/utf8.hpp>

namespace rpcnet {

namespace {

/// To a watch: (health_atom, status, last) -- the service's new status,
/// and whether the watch ends after sending it.
using health_atom = caf::atom_constant<caf::atom("health")>;

/// The service name a request names, or a protocol error for the caller.
caf::expected<std::string> requested_service(const byte_buffer& request, size_t max_bytes) {
  auto name = as_string_view(request);
  if (auto why = health_service_name_problem(name, max_bytes); !why.empty())
    return make_error(error::protocol, "health: " + why);
  return std::string{name};
}

/// A Check reply or a Watch message.
byte_buffer status_message(health_status status) {
  return byte_buffer{static_cast<uint8_t>(status)};
}

} // namespace

// -- the Watch method -----------------------------------------------------------

/// One Watch call: reads the request, sends the status, then each change,
/// one send at a time. Changes that come while a send is under way
/// collapse into the latest, so a watcher that reads slowly costs one
/// message, not a queue.
struct health_watch {
  static inline const char* name = "health_watch";

  std::shared_ptr<health_service> service;
  caf::actor connection;
  uint64_t id = 0;
  cancel_subscription cancelled;
  bool listed = false;
  bool sending = false;
  /// Ends the call once `pending` is sent.
  bool ending = false;
  std::optional<health_status> sent;
  std::optional<health_status> pending;

  using self_ptr = caf::stateful_actor<health_watch>*;

  static caf::behavior make(self_ptr self, std::shared_ptr<health_service> service,
                            caf::actor connection, uint64_t id, call_context ctx,
                            actor_boundary boundary) {
    auto& st = self->state;
    st.service = service;
    st.connection = connection;
    st.id = id;
    // The stream tells an actor of its end only until the caller has
    // finished its upload -- a watch's caller finishes at once -- so the
    // context says when the call is given up. Held weakly: the context
    // outlives this actor.
    st.cancelled = ctx.on_cancel([weak = caf::actor_cast<caf::weak_actor_ptr>(self), id] {
      if (auto strong = caf::actor_cast<caf::actor>(weak))
        caf::anon_send(strong, cancel_atom::value, id);
    });
    // However the actor ends, its slot is free again.
    self->attach_functor([service, who = self->id()] { service->forget(who); });
    self->send(connection, demand_atom::value, id, uint32_t{1});
    return boundary.behavior<caf::behavior>(
      self,
      [self](message_atom, uint64_t, byte_buffer& request) { self->state.start(self, request); },
      [self](end_atom, uint64_t, caf::error& status) {
        if (status)
          self->quit();
        else if (!self->state.listed && !self->state.ending)
          self->state.finish(self, make_error(error::protocol, "health: Watch without a request"));
      },
      [self](cancel_atom, uint64_t) { self->quit(); },
      [self](health_atom, uint8_t status, bool last) {
        self->state.pending = static_cast<health_status>(status);
        self->state.ending = self->state.ending || last;
        self->state.pump(self);
      });
  }

  void start(self_ptr self, const byte_buffer& request) {
    if (listed || ending) {
      finish(self, make_error(error::protocol, "health: Watch takes one request"));
      return;
    }
    auto name = requested_service(request, service->limits().max_name_bytes);
    if (!name) {
      finish(self, std::move(name.error()));
      return;
    }
    auto begin = service->watch(*name, caf::actor_cast<caf::actor>(self));
    if (!begin) {
      finish(self, std::move(begin.error()));
      return;
    }
    listed = !begin->last;
    ending = begin->last;
    pending = begin->status;
    // A second request is an error: asked for so that it is seen.
    self->send(connection, demand_atom::value, id, uint32_t{1});
    pump(self);
  }

  void pump(self_ptr self) {
    if (sending)
      return;
    if (pending && pending != sent) {
      sent = pending;
      pending.reset();
      sending = true;
      self->request(connection, caf::infinite, send_atom::value, id, status_message(*sent))
        .then(
          [self](bool) {
            self->state.sending = false;
            self->state.pump(self);
          },
          [self](caf::error&) { self->quit(); });
      return;
    }
    pending.reset();
    if (ending)
      finish(self, caf::error{});
  }

  void finish(self_ptr self, caf::error outcome) {
    self->send(connection, finish_atom::value, id, std::move(outcome));
    self->quit();
  }
};

// -- names and statuses ---------------------------------------------------------

std::string_view to_string_view(health_status status) {
  switch (status) {
    case health_status::unknown: return "UNKNOWN";
    case health_status::serving: return "SERVING";
    case health_status::not_serving: return "NOT_SERVING";
    case health_status::service_unknown: return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

namespace {

bool is_known(uint8_t status) {
  return status <= static_cast<uint8_t>(health_status::service_unknown);
}

} // namespace

caf::expected<health_status> decode_health_status(const byte_buffer& message) {
  if (message.size() != 1)
    return make_error(error::protocol, "health: a status is one byte, not "
                                         + std::to_string(message.size()));
  if (!is_known(message[0]))
    return make_error(error::protocol,
                      "health: unknown status " + std::to_string(message[0]));
  return static_cast<health_status>(message[0]);
}

std::string health_service_name_problem(std::string_view name, size_t max_bytes) {
  if (name.size() > max_bytes)
    return "a service name of " + std::to_string(name.size()) + " bytes exceeds "
           + std::to_string(max_bytes);
  if (!utf8::is_valid(name))
    return "a service name must be UTF-8";
  return {};
}

// -- health_service -------------------------------------------------------------

health_service::health_service(health_limits limits) : limits_(limits) {
  statuses_.emplace("", health_status::not_serving);
}

std::shared_ptr<health_service> health_service::attach(rpc_server& server,
                                                       health_limits limits) {
  std::shared_ptr<health_service> self{new health_service(limits)};
  server.register_unary(
    std::string{health_check_method},
    [self](byte_buffer request) -> caf::expected<byte_buffer> {
      auto name = requested_service(request, self->limits_.max_name_bytes);
      if (!name)
        return std::move(name.error());
      return status_message(self->get(*name));
    },
    handler_execution::actor);
  server.register_streaming_actor(
    std::string{health_watch_method},
    [self, boundary = actor_boundary{"health_watch", server.config().metrics}](
      caf::actor_system& sys, caf::actor connection, uint64_t id, call_context ctx) {
      return sys.spawn(health_watch::make, self, std::move(connection), id, std::move(ctx),
                       boundary);
    });
  return self;
}

caf::error health_service::set(std::string service, health_status status) {
  if (auto why = health_service_name_problem(service, limits_.max_name_bytes); !why.empty())
    return make_error(error::config, "health: " + why);
  if (!is_known(static_cast<uint8_t>(status)))
    return make_error(error::config, "health: unknown status "
                                       + std::to_string(static_cast<unsigned>(status)));
  std::lock_guard<std::mutex> guard{mtx_};
  if (shut_down_)
    return make_error(error::cancelled, "health: the service was shut down");
  auto it = statuses_.find(service);
  if (it != statuses_.end() && it->second == status)
    return {};
  if (it == statuses_.end()) {
    // "" is always there and not counted.
    if (statuses_.size() - 1 >= limits_.max_services)
      return make_error(error::overloaded, "health: already " + std::to_string(limits_.max_services)
                                             + " named services");
    it = statuses_.emplace(std::move(service), status).first;
  }
  it->second = status;
  // Under the lock, so that watchers hear the changes in the order the
  // table took them, whichever threads set them.
  for (const auto& [id, w] : watchers_)
    if (w.service == it->first)
      caf::anon_send(w.who, health_atom::value, static_cast<uint8_t>(status), false);
  return {};
}

health_status health_service::get(const std::string& service) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return get_locked(service);
}

health_status health_service::get_locked(const std::string& service) const {
  auto it = statuses_.find(service);
  return it == statuses_.end() ? health_status::service_unknown : it->second;
}

void health_service::shutdown() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (shut_down_)
    return;
  shut_down_ = true;
  for (auto& [name, status] : statuses_)
    status = health_status::not_serving;
  for (const auto& [id, w] : watchers_)
    caf::anon_send(w.who, health_atom::value, static_cast<uint8_t>(get_locked(w.service)),
                   true);
  watchers_.clear();
}

size_t health_service::watchers() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return watchers_.size();
}

caf::expected<health_service::watch_start> health_service::watch(const std::string& service,
                                                                 caf::actor who) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (shut_down_)
    return watch_start{get_locked(service), true};
  if (watchers_.size() >= limits_.max_watchers)
    return make_error(error::overloaded, "health: already " + std::to_string(limits_.max_watchers)
                                           + " watches open");
  auto id = who.id();
  watchers_[id] = watcher{service, std::move(who)};
  return watch_start{get_locked(service), false};
}

void health_service::forget(caf::actor_id who) {
  std::lock_guard<std::mutex> guard{mtx_};
  watchers_.erase(who);
}

// -- the client's side ------------------------------------------------------------

caf::expected<health_status> check_health(const rpc_client& client, const std::string& service,
                                          std::chrono::milliseconds timeout) {
  auto reply = client.call(std::string{health_check_method}, to_bytes(service), timeout);
  if (!reply)
    return std::move(reply.error());
  return decode_health_status(*reply);
}

} // namespace rpcnet
