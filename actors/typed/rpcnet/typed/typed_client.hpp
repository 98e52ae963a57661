// The calls a generated client makes: each encodes its request with
// Boost.Serialization, calls through rpcnet::rpc_client and decodes the
// reply, so that a generated method is one line. Every call has a form with
// call_options (timeout, metadata, key, parent; call_options.hpp).
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include <rpcnet/actors/call_options.hpp>
#include <rpcnet/actors/rpc_client.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/typed/typed_messages.hpp>

namespace rpcnet::typed {

// -- unary calls --------------------------------------------------------------

/// Calls `method` with `request` and waits for the reply.
template <class Reply, class Request>
caf::expected<Reply> call(const rpc_client& client, const std::string& method,
                          const Request& request) {
  return decode_reply<Reply>(client.call(method, encode(request)));
}

/// The same with options.
template <class Reply, class Request>
caf::expected<Reply> call(const rpc_client& client, const std::string& method,
                          const Request& request, const call_options& opts) {
  return decode_reply<Reply>(client.call(method, encode(request), opts));
}

/// A typed reply with the trailing metadata the server's status carried.
template <class T>
struct reply_with_trailers {
  T result;
  call_metadata trailers;
};

/// Calls `method` and returns its reply with the server's trailers.
template <class Reply, class Request>
caf::expected<reply_with_trailers<Reply>>
call_with_trailers(const rpc_client& client, const std::string& method, const Request& request,
                   const call_options& opts) {
  auto reply = client.call_with_trailers(method, encode(request), opts);
  if (!reply)
    return std::move(reply.error());
  auto result = decode<Reply>(reply->body);
  if (!result)
    return std::move(result.error());
  return reply_with_trailers<Reply>{std::move(*result), std::move(reply->trailers)};
}

/// Fulfils `promise` with the reply of one call (the actor behind call_async).
template <class Reply>
void await_reply(caf::event_based_actor* self, rpc_client_actor connection, std::string method,
                 byte_buffer request, call_options opts,
                 std::shared_ptr<std::promise<caf::expected<Reply>>> promise) {
  // No deadline here: the connection enforces the call's timeout.
  self
    ->request(connection, caf::infinite, call_atom::value, std::move(method), std::move(request),
              std::move(opts))
    .then([promise](call_reply& reply) { promise->set_value(decode<Reply>(reply.body)); },
          [promise](caf::error& err) { promise->set_value(std::move(err)); });
}

/// Calls `method` without blocking: an actor makes the call and the
/// future receives what call() would have returned.
template <class Reply, class Request>
std::future<caf::expected<Reply>> call_async(const rpc_client& client, std::string method,
                                             const Request& request,
                                             const call_options& opts = {}) {
  auto promise = std::make_shared<std::promise<caf::expected<Reply>>>();
  auto reply = promise->get_future();
  const auto& connection = client.actor();
  connection.home_system().spawn(await_reply<Reply>, connection, std::move(method),
                                 encode(request), opts, std::move(promise));
  return reply;
}

// -- streaming calls ----------------------------------------------------------

/// Uploads `requests` as a client-streaming call and waits for the reply.
template <class Reply, class Request>
caf::expected<Reply> call_client_streaming(const rpc_client& client, const std::string& method,
                                           const std::vector<Request>& requests,
                                           const call_options& opts = {}) {
  std::vector<byte_buffer> frames;
  frames.reserve(requests.size());
  for (const auto& request : requests)
    frames.push_back(encode(request));
  return decode_reply<Reply>(client.call_client_streaming(method, frames, opts));
}

/// Uploads without blocking: the upload runs on a thread of its own, since
/// sending blocks for backpressure; the future receives what
/// call_client_streaming() returns.
template <class Reply, class Request>
std::future<caf::expected<Reply>>
call_client_streaming_async(const rpc_client& client, std::string method,
                            std::vector<Request> requests, call_options opts = {}) {
  return std::async(std::launch::async, [client, method = std::move(method),
                                         requests = std::move(requests),
                                         opts = std::move(opts)] {
    return call_client_streaming<Reply>(client, method, requests, opts);
  });
}

/// A streaming call with typed messages: send Requests (bidirectional
/// calls), take Responses. Dropping it before the end cancels the call.
template <class Request, class Response>
class call_stream {
public:
  explicit call_stream(client_stream stream) : stream_(std::move(stream)) {
  }

  /// Sends one message; blocks while the server is a window behind.
  caf::error send(const Request& message) {
    return stream_.send(encode(message));
  }

  /// Ends the upload; the server sees the end of its input.
  caf::error finish() {
    return stream_.finish();
  }

  /// The next response; nullopt when the server ended the call cleanly.
  caf::expected<std::optional<Response>> next() {
    return next_as<Response>(stream_);
  }

  /// Cancels the call; the server sees `cancelled`.
  void cancel() {
    stream_.cancel();
  }

private:
  client_stream stream_;
};

/// A typed stream over `stream`, or the error that kept it from opening.
template <class Request, class Response>
caf::expected<call_stream<Request, Response>> typed_stream(caf::expected<client_stream> stream) {
  if (!stream)
    return std::move(stream.error());
  return call_stream<Request, Response>{std::move(*stream)};
}

/// Opens a bidirectional call of `method`; `opts` may bound the whole call.
template <class Request, class Response>
caf::expected<call_stream<Request, Response>>
open_bidirectional(const rpc_client& client, const std::string& method,
                   const call_options& opts = {}) {
  return typed_stream<Request, Response>(client.call_streaming(method, opts));
}

/// Opens a server-streaming call of `method` with its one request.
template <class Request, class Response>
caf::expected<call_stream<Request, Response>>
open_server_streaming(const rpc_client& client, const std::string& method,
                      const Request& request, const call_options& opts = {}) {
  return typed_stream<Request, Response>(
    client.call_server_streaming(method, encode(request), opts));
}

} // namespace rpcnet::typed
