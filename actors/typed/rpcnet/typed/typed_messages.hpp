// Reading one typed message from any rpcnet stream (a client's
// client_stream, a handler's stream_reader): the shared step of generated
// clients and servers.
#pragma once

#include <optional>
#include <utility>

#include <caf/expected.hpp>

#include <rpcnet/typed/serialization.hpp>
#include <rpcnet/typed/std_serialization.hpp>

namespace rpcnet::typed {

/// The next message of `source` as a T: the message, nullopt at the clean
/// end, or the error that ended the call (a malformed message included).
template <class T, class Source>
caf::expected<std::optional<T>> next_as(Source& source) {
  auto frame = source.next();
  if (!frame)
    return std::move(frame.error());
  if (!*frame)
    return std::optional<T>{};
  auto value = decode<T>(**frame);
  if (!value)
    return std::move(value.error());
  return std::optional<T>{std::move(*value)};
}

/// Decodes a reply, or passes the call's error on.
template <class T>
caf::expected<T> decode_reply(caf::expected<byte_buffer> reply) {
  if (!reply)
    return std::move(reply.error());
  return decode<T>(*reply);
}

} // namespace rpcnet::typed
