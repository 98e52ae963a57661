#include <rpcnet/actors/error_trailers.hpp>

#include <caf/make_message.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// Where the trailers sit in an rpcnet error's context: after the message
/// and the details (error.hpp).
constexpr size_t trailers_index = 2;

} // namespace

call_metadata trailers_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (is_rpcnet_error(err) && ctx.size() > trailers_index
      && ctx.match_element<call_metadata>(trailers_index))
    return ctx.get_as<call_metadata>(trailers_index);
  return {};
}

caf::error with_trailers(caf::error err, call_metadata trailers) {
  if (trailers.empty() || !is_rpcnet_error(err))
    return err;
  return caf::error{err.code(), err.category(),
                    caf::make_message(message_of(err), details_of(err), std::move(trailers))};
}

} // namespace rpcnet
