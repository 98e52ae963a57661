#include "reply_writer.hpp"

#include "call_protocol.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

namespace {

/// Why the reply's trailers or details cannot go on the wire, or nothing.
std::string unsendable(const caf::error& outcome, const call_metadata& trailers,
                       size_t max_metadata) {
  if (!trailers.empty())
    if (auto why = metadata_problem(trailers, max_metadata); !why.empty())
      return "the handler's trailing metadata: " + why;
  if (outcome)
    if (auto n = details_of(outcome).size(); n > wire::max_error_details)
      return "the handler's error details of " + std::to_string(n) + " bytes exceed "
             + std::to_string(wire::max_error_details);
  return {};
}

/// Appends STATUS and the end frame for `outcome`, or for `remote` saying
/// `why` when the reply cannot be sent as it is.
void append_reply_end(byte_buffer& out, const caf::error& outcome, uint64_t request_id,
                      const call_metadata& trailers, const std::string& why) {
  wire::status st;
  if (!why.empty()) {
    st = wire::status_from_error(make_error(error::remote, why), request_id);
  } else {
    if (outcome)
      st = wire::status_from_error(outcome, request_id);
    st.request_id = request_id;
    st.trailers = trailers;
  }
  wire::append_status(out, st);
  frame_encoder::append_end(out);
}

} // namespace

byte_buffer encode_reply_end(const caf::error& outcome, uint64_t request_id,
                             const call_metadata& trailers, size_t max_metadata) {
  byte_buffer out;
  append_reply_end(out, outcome, request_id, trailers,
                   unsendable(outcome, trailers, max_metadata));
  return out;
}

void reply_target::send(caf::expected<byte_buffer> result, const call_metadata& trailers,
                        size_t max_metadata) const {
  auto outcome = result ? caf::error{} : result.error();
  auto why = unsendable(outcome, trailers, max_metadata);
  byte_buffer out;
  if (result && why.empty()) {
    out.reserve(result->size() + 32 + trailers.wire_size());
    wire::append_data(out, *result);
  }
  append_reply_end(out, outcome, request_id, trailers, why);
  ep->submit(write_stream_command{conn, stream_id, std::move(out), true});
}

void reply_target::send_error(const caf::error& err) const {
  byte_buffer out;
  wire::append_status(out, wire::status_from_error(err, request_id));
  frame_encoder::append_end(out);
  ep->submit(write_stream_command{conn, stream_id, std::move(out), true});
}

} // namespace rpcnet
