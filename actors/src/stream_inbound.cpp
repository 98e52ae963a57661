#include "stream_inbound.hpp"

#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

namespace rpcnet {

namespace {

/// The sink, remembering how the call ended for stream_inbound::outcome().
struct recorder {
  stream_sink& sink;
  caf::error& outcome;

  void fail(caf::error err) {
    outcome = err;
    sink.fail(std::move(err));
  }
  void end_input(caf::error status) {
    outcome = status;
    sink.end_input(std::move(status));
  }
  void trailers_arrived(call_metadata trailers) {
    sink.trailers_arrived(std::move(trailers));
  }
  void push(byte_buffer message, uint64_t wire_size) {
    sink.push(std::move(message), wire_size);
  }
  void acked(uint64_t bytes) {
    sink.acked(bytes);
  }
};

} // namespace

std::string stream_inbound::apply(stream_sink& sink, stream_event& ev) {
  recorder ch{sink, outcome_};
  switch (ev.what) {
    case stream_event::kind::progress:
      ch.acked(ev.acked);
      return {};
    case stream_event::kind::reset:
      ch.fail(ev.app_code == static_cast<uint64_t>(app_error::cancelled)
                ? make_error(error::cancelled, "the peer cancelled the call")
                : make_error(error::stream, ev.detail + " (code " + std::to_string(ev.app_code)
                                              + ")"));
      return {};
    case stream_event::kind::protocol_error:
      ch.fail(make_error(error::protocol, ev.detail));
      return ev.detail;
    case stream_event::kind::refused:
      ch.fail(make_error(static_cast<error>(ev.refusal), ev.detail));
      return ev.detail;
    case stream_event::kind::frames:
      break;
  }
  for (auto& payload : ev.frames) {
    auto wire_size = payload.size() + frame_encoder::header_size;
    auto decoded = wire::decode(payload, max_metadata_);
    std::string bad;
    if (!decoded.value)
      bad = decoded.error;
    else if (auto* msg = std::get_if<byte_buffer>(&*decoded.value); msg && !status_)
      ch.push(std::move(*msg), wire_size);
    else if (auto* st = std::get_if<wire::status>(&*decoded.value); st && replies_ && !status_)
      status_ = std::move(*st);
    else
      bad = "unexpected frame in a stream";
    if (!bad.empty()) {
      ch.fail(make_error(error::protocol, bad));
      return bad;
    }
  }
  if (!ev.finished)
    return {};
  if (!replies_) {
    ch.end_input({});
  } else if (!status_) {
    ch.fail(make_error(error::protocol, "reply stream ended without a STATUS frame"));
    return "reply stream ended without a STATUS frame";
  } else {
    auto status = status_->ok() ? caf::error{} : wire::error_from_status(*status_);
    ch.trailers_arrived(std::move(status_->trailers));
    ch.end_input(std::move(status));
  }
  return {};
}

} // namespace rpcnet
