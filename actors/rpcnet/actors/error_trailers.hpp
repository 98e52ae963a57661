// The trailing metadata of an error reply. A server's STATUS carries the
// handler's trailers whatever the outcome; on a failed call they travel
// inside the error the caller gets, beside its message and details, so
// every way of calling -- rpc_client::call, call_with_trailers, a streaming
// call's end, an actor's request -- hands them on without a form of its own.
//
//   auto reply = client.call("charge", request);
//   if (!reply)
//     if (auto retry = rpcnet::trailers_of(reply.error()).get("retry-after"))
//       wait_for(*retry);
#pragma once

#include <caf/error.hpp>

#include <rpcnet/actors/call_metadata.hpp>

namespace rpcnet {

/// The trailers the server sent with the error `err` stands for; empty for
/// an error that came with none, or that no server sent.
call_metadata trailers_of(const caf::error& err);

/// `err` carrying `trailers` as well (rpcnet errors only; any other error,
/// or no trailers, leaves `err` as it is). Its code, message and details
/// stay.
caf::error with_trailers(caf::error err, call_metadata trailers);

} // namespace rpcnet
