// The client side of one QUIC connection as a typed actor: each call gets a
// request id and a fresh stream; replies are matched to their callers by
// that id, and each call's deadline is enforced here. Actors call it
// directly; rpc_client wraps it for plain C++ code.
//
// When the connection is lost, the calls in flight fail at once with the
// cause (`connection` for a drop, an idle timeout or the peer's close) and
// the next call dials again; a dial that fails starts a backoff during
// which calls fail at once, or wait with call_options::wait_for_ready
// (rpc_config::reconnect; connection_lifecycle.hpp has the rules).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include <rpcnet/actors/atoms.hpp>
#include <rpcnet/actors/call_options.hpp>
#include <rpcnet/actors/rpc_config.hpp>
#include <rpcnet/actors/stream_channel.hpp>
#include <rpcnet/transport/endpoint.hpp>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<rpcnet::stream_channel>)

namespace rpcnet {

/// What callers may send a client connection actor. (The transport's
/// events and the actor's deadline timer are messages of its own that
/// callers cannot send.)
using rpc_client_actor = caf::typed_actor<
  /// A call with the configured timeout.
  caf::replies_to<call_atom, std::string, byte_buffer>::with<byte_buffer>,
  /// A call with its own timeout.
  caf::replies_to<call_atom, std::string, byte_buffer, caf::timespan>::with<byte_buffer>,
  /// A call with its own timeout, named by the caller's key.
  caf::replies_to<call_atom, std::string, byte_buffer, caf::timespan, call_key>::with<byte_buffer>,
  /// A call with its options (metadata, parent, timeout, key); answers
  /// the reply with its trailing metadata.
  caf::replies_to<call_atom, std::string, byte_buffer, call_options>::with<call_reply>,
  /// Cancels the call started with this key: it fails with `cancelled` and
  /// the server sees its stream reset (a hedge's losing attempt).
  caf::reacts_to<cancel_atom, call_key>,
  /// Opens a streaming call of the given wire::call_kind; the channel
  /// carries its messages both ways (client_stream wraps it).
  caf::replies_to<stream_atom, std::string, uint8_t>::with<std::shared_ptr<stream_channel>>,
  /// The same with call options: metadata, and a parent whose deadline
  /// bounds the whole call and whose cancellation cancels it.
  caf::replies_to<stream_atom, std::string, uint8_t,
                  call_options>::with<std::shared_ptr<stream_channel>>,
  /// Opens a streaming call whose messages go to a consumer actor as
  /// (message_atom, id, bytes) on demand and (end_atom, id, error) at the
  /// end; answers the call's id (actor_stream.hpp).
  caf::replies_to<stream_atom, std::string, uint8_t, caf::actor>::with<uint64_t>,
  /// The consumer of call `id` takes n more messages.
  caf::reacts_to<demand_atom, uint64_t, uint32_t>,
  /// Sends a message on call `id`; answered when it is under way.
  caf::replies_to<send_atom, uint64_t, byte_buffer>::with<bool>,
  /// Ends the upload of call `id`.
  caf::reacts_to<finish_atom, uint64_t>,
  /// Cancels call `id` (a streaming call's id, or a unary call's request
  /// id -- how a parent's cancellation reaches its children).
  caf::reacts_to<cancel_atom, uint64_t>,
  /// Answers true once the handshake completed (dialling again if the
  /// connection was lost), or the error that ended the dial.
  caf::replies_to<connect_atom>::with<bool>,
  /// Closes the connection for good; calls in flight fail with `cancelled`,
  /// later ones with `connection`.
  caf::reacts_to<close_atom>>;

/// Spawns a client connection actor that connects through `ep` to `remote`.
/// Fails with error::config without an endpoint or when cfg.validate()
/// does.
caf::expected<rpc_client_actor> spawn_client_connection(caf::actor_system& sys,
                                                        std::shared_ptr<endpoint> ep,
                                                        socket_address remote,
                                                        rpc_config cfg);

} // namespace rpcnet
