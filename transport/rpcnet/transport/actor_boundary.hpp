// Where rpcnet's actors (and the threads that run work for them) meet what
// they call. CAF 0.17 ends an actor whose message handler throws
// (scheduled_actor::reactivate quits with whatever the exception handler
// returns, even none), and with it every call, stream or member the actor
// keeps. Cores report failures as caf::expected and caf::error instead; what
// still throws -- a user's callback, std::bad_alloc, a bug -- is caught here,
// per handler: logged (rate limited, as a peer's input may be what makes it
// throw), counted in rpcnet_actor_exceptions_total{actor}, and answered with
// error::remote when the message was a request. The actor then goes on with
// its next message, so each actor orders its handlers' steps such that an
// exception leaves its state consistent (each says how).
//
//   actor_boundary boundary{"membership", cfg.metrics};
//   return boundary.behavior<my_actor::behavior_type>(self,
//     [self](ping_atom) { ... },
//     [self](get_atom) -> caf::result<int> { ... });
//
// What throws outside the handlers wrapped here -- a down or exit handler, a
// response handler not passed through guard() -- still ends the actor, but is
// logged and counted the same way first. Threads that run work for actors
// (the handler pool, the deadline watcher) use caught() around each task.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/delegated.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/result.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <rpcnet/transport/metrics_registry.hpp>

namespace rpcnet {

namespace detail {

/// What a guarded handler returns for a handler returning R: a caf::result
/// of the same output types, so that it can answer an error instead. A
/// void handler stays void (CAF wants response handlers so) and answers a
/// request's error through a response promise.
template <class R>
struct guarded_result {
  using type = caf::result<R>;
};

template <>
struct guarded_result<void> {
  using type = void;
};

template <class... Ts>
struct guarded_result<caf::result<Ts...>> {
  using type = caf::result<Ts...>;
};

template <class... Ts>
struct guarded_result<caf::typed_response_promise<Ts...>> {
  using type = caf::result<Ts...>;
};

template <class... Ts>
struct guarded_result<caf::delegated<Ts...>> {
  using type = caf::result<Ts...>;
};

template <class T>
struct guarded_result<caf::expected<T>> {
  using type = caf::result<T>;
};

/// The answer of a guarded handler that threw: `err` to a request. A
/// message nobody waits for gets nothing: CAF 0.17 would send the error to
/// its sender as an ordinary message, and an actor's default error handler
/// (the actor itself, for its timers) quits on one.
template <class Result>
struct refusal;

template <class... Ts>
struct refusal<caf::result<Ts...>> {
  static caf::result<Ts...> make(bool request, caf::error err) {
    if (request)
      return err;
    return caf::delegated<Ts...>{};
  }
};

template <class... Args>
struct arg_list {};

/// A handler's result and parameter types (CAF matches messages by the
/// latter, so a wrapper must take exactly the same).
template <class F>
struct handler_signature : handler_signature<decltype(&F::operator())> {};

template <class C, class R, class... Args>
struct handler_signature<R (C::*)(Args...) const> {
  using result = R;
  using args = arg_list<Args...>;
};

template <class C, class R, class... Args>
struct handler_signature<R (C::*)(Args...)> : handler_signature<R (C::*)(Args...) const> {};

} // namespace detail

class actor_boundary {
public:
  // -- constructors -------------------------------------------------------------

  /// `actor` names the actor in log lines and in the counter's label: a
  /// fixed name from the code, never input. With `metrics`, the series
  /// rpcnet_actor_exceptions_total{actor} is made at once (at 0), so that a
  /// scrape shows it before anything throws.
  explicit actor_boundary(std::string actor, std::shared_ptr<metrics_registry> metrics = nullptr);

  // -- wrapping handlers ----------------------------------------------------------

  /// `Behavior` (caf::behavior or a typed behavior_type) made of `handlers`,
  /// each guarded; also installs the actor's exception handler (watch()).
  template <class Behavior, class Self, class... Handlers>
  Behavior behavior(Self* self, Handlers... handlers) const {
    watch(self);
    return Behavior{guard(self, std::move(handlers))...};
  }

  /// `handler` with the same parameters, answering what it throws as
  /// described above; for response handlers (request(...).then) as well.
  template <class Self, class Handler>
  auto guard(Self* self, Handler handler) const {
    using signature = detail::handler_signature<Handler>;
    return guarded<typename signature::result>(self, std::move(handler),
                                               typename signature::args{});
  }

  /// Runs `task` for a thread that works for actors (the handler pool, the
  /// deadline watcher): what it throws is logged and counted, and the
  /// thread goes on with its next task instead of ending the process.
  template <class Task>
  void run(Task&& task) const {
    try {
      std::forward<Task>(task)();
    } catch (...) {
      caught();
    }
  }

  /// Makes what throws outside guarded handlers end `self` logged and
  /// counted, with error::remote as its exit reason.
  template <class Self>
  void watch(Self* self) const {
    self->set_exception_handler(
      [boundary = *this](caf::scheduled_actor*, std::exception_ptr& ex) -> caf::error {
        return boundary.escaped(ex);
      });
  }

  // -- what was caught ------------------------------------------------------------

  /// Logs and counts the exception being handled (call it in a catch block
  /// that goes on); the error that answers the request it failed.
  caf::error caught() const;

  /// Logs and counts `ex`, which ends the actor; the error it exits with.
  caf::error escaped(const std::exception_ptr& ex) const;

  /// Exceptions this boundary and its copies have caught, escaped ones
  /// included.
  uint64_t exceptions() const noexcept;

  // -- properties -----------------------------------------------------------------

  const std::string& actor() const noexcept;

private:
  struct shared;

  template <class R, class Self, class Handler, class... Args>
  auto guarded(Self* self, Handler handler, detail::arg_list<Args...>) const {
    using result_type = typename detail::guarded_result<R>::type;
    return [boundary = *this, self, fn = std::move(handler)](Args... xs) mutable -> result_type {
      try {
        return fn(std::forward<Args>(xs)...);
      } catch (...) {
        auto err = boundary.caught();
        auto request = self->current_message_id().is_request();
        if constexpr (std::is_void_v<R>) {
          if (request)
            self->make_response_promise().deliver(std::move(err));
        } else {
          return detail::refusal<result_type>::make(request, std::move(err));
        }
      }
    };
  }

  std::shared_ptr<shared> shared_;
};

/// What `ex` says: its what(), or that it is no std::exception.
std::string exception_text(const std::exception_ptr& ex);

} // namespace rpcnet
