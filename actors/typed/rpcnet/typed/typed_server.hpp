// The handlers a generated server registers: each decodes the caller's
// messages, calls the user's typed method with the call's context
// (call_context.hpp) and encodes what it returns -- or forwards the call to
// a typed service actor, with the context or without.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <rpcnet/actors/call_context.hpp>
#include <rpcnet/actors/streaming_handler.hpp>
#include <rpcnet/actors/unary_handler.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/typed/typed_messages.hpp>

namespace rpcnet::typed {

// -- typed streams of a handler -----------------------------------------------

/// The caller's messages as Ts.
template <class T>
class reader {
public:
  explicit reader(stream_reader& in) : in_(in) {
  }

  /// The next message; nullopt when the caller finished sending.
  caf::expected<std::optional<T>> next() {
    return next_as<T>(in_);
  }

private:
  stream_reader& in_;
};

/// Messages back to the caller.
template <class T>
class writer {
public:
  explicit writer(stream_writer& out) : out_(out) {
  }

  /// Sends one message; an error once the call failed (the handler should
  /// then return).
  caf::error write(const T& message) {
    return out_.write(encode(message));
  }

private:
  stream_writer& out_;
};

// -- adapters from typed functions to rpcnet handlers --------------------------

/// `fn(call_context&, Request) -> Reply` as a unary handler.
template <class Request, class F>
context_unary_handler unary(F fn) {
  return [fn = std::move(fn)](call_context& ctx, byte_buffer bytes) -> caf::expected<byte_buffer> {
    auto request = decode<Request>(bytes);
    if (!request)
      return std::move(request.error());
    return encode(fn(ctx, std::move(*request)));
  };
}

/// `fn(call_context&, Request, writer<Response>&) -> caf::error` as a
/// streaming handler that takes the call's one request first.
template <class Request, class Response, class F>
context_streaming_handler server_streaming(F fn) {
  return [fn = std::move(fn)](call_context& ctx, stream_reader& in,
                              stream_writer& out) -> caf::error {
    auto request = next_as<Request>(in);
    if (!request)
      return std::move(request.error());
    if (!*request)
      return make_error(error::protocol, "server-streaming call without its request");
    writer<Response> responses{out};
    return fn(ctx, std::move(**request), responses);
  };
}

/// `fn(call_context&, reader<Request>&) -> caf::expected<Reply>` as a
/// streaming handler that answers with one message.
template <class Request, class F>
context_streaming_handler client_streaming(F fn) {
  return [fn = std::move(fn)](call_context& ctx, stream_reader& in,
                              stream_writer& out) -> caf::error {
    reader<Request> requests{in};
    auto reply = fn(ctx, requests);
    if (!reply)
      return std::move(reply.error());
    return out.write(encode(*reply));
  };
}

/// `fn(call_context&, reader<Request>&, writer<Response>&) -> caf::error` as
/// a streaming handler.
template <class Request, class Response, class F>
context_streaming_handler bidirectional(F fn) {
  return [fn = std::move(fn)](call_context& ctx, stream_reader& in,
                              stream_writer& out) -> caf::error {
    reader<Request> requests{in};
    writer<Response> responses{out};
    return fn(ctx, requests, responses);
  };
}

// -- typed service actors -----------------------------------------------------

/// The `Fields` of forward_unary for a method without parameters: its
/// actor's message is the tag alone.
inline constexpr std::nullptr_t no_parameters = nullptr;

/// Asks `target` with (Tag, [ctx,] request) -- or, with `Fields`, with
/// (Tag, [ctx,] fields...), or with no_parameters (Tag[, ctx]) -- and
/// delivers the encoded Reply through `promise`. What the two forwarders
/// below share.
template <class Tag, class Request, class Reply, auto... Fields, class Self, class Target,
          class... Context>
void ask_target(Self* self, const Target& target, caf::typed_response_promise<byte_buffer> promise,
                Request request, Context&&... ctx) {
  auto pending = [&] {
    if constexpr (sizeof...(Fields) == 0)
      return self->request(target, caf::infinite, Tag{}, std::forward<Context>(ctx)...,
                           std::move(request));
    else if constexpr ((std::is_null_pointer_v<decltype(Fields)> && ...))
      return self->request(target, caf::infinite, Tag{}, std::forward<Context>(ctx)...);
    else
      return self->request(target, caf::infinite, Tag{}, std::forward<Context>(ctx)...,
                           std::move(request.*Fields)...);
  }();
  pending.then([promise](Reply& reply) mutable { promise.deliver(encode(reply)); },
               [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
}

/// A service actor for one unary method of a typed `target`: decodes the
/// request, asks `target` with (Tag, Request) and encodes its Reply. With
/// `Fields` -- pointers to members of Request, the struct that packs a
/// method's parameters -- it asks with (Tag, fields...) instead, so that
/// the actor takes the parameters as the elements of its message; with
/// no_parameters, with (Tag) alone.
template <class Tag, class Request, class Reply, class Target, auto... Fields>
service_actor::behavior_type forward_unary(service_actor::pointer self, Target target) {
  return {
    [self, target](call_atom, const std::string&,
                   const byte_buffer& bytes) -> caf::result<byte_buffer> {
      auto request = decode<Request>(bytes);
      if (!request)
        return std::move(request.error());
      auto promise = self->make_response_promise<byte_buffer>();
      ask_target<Tag, Request, Reply, Fields...>(self, target, promise, std::move(*request));
      return promise;
    },
  };
}

/// forward_unary for a `target` that reads the call's context: it asks
/// with the context after the tag, (Tag, ctx, request...). The target
/// learns of a call given up through the context (cancelled(),
/// on_cancel()); the server drops an answer that comes after.
template <class Tag, class Request, class Reply, class Target, auto... Fields>
context_service_actor::behavior_type forward_unary_with_context(
  context_service_actor::pointer self, Target target) {
  return {
    [self, target](call_atom, const std::string&, const byte_buffer& bytes,
                   call_context& ctx) -> caf::result<byte_buffer> {
      auto request = decode<Request>(bytes);
      if (!request)
        return std::move(request.error());
      auto promise = self->make_response_promise<byte_buffer>();
      ask_target<Tag, Request, Reply, Fields...>(self, target, promise, std::move(*request),
                                                 ctx);
      return promise;
    },
    [](cancel_atom, uint64_t) {
      // The context told the target already.
    },
  };
}

} // namespace rpcnet::typed
