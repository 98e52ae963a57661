#include <rpcnet/actors/interceptors/trace_context.hpp>

#include <random>

#include <rpcnet/transport/hex.hpp>

namespace rpcnet {

namespace {

/// Reads 2*N lower-case hex digits into `out`; false on anything else.
template <size_t N>
bool parse_hex(std::string_view text, std::array<uint8_t, N>& out) {
  if (text.size() != 2 * N)
    return false;
  for (size_t i = 0; i < N; ++i) {
    // W3C Trace Context: lower-case hex only.
    auto hi = hex::digit_value(text[2 * i], false);
    auto lo = hex::digit_value(text[2 * i + 1], false);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <size_t N>
void append_hex(std::string& out, const std::array<uint8_t, N>& bytes) {
  for (auto b : bytes) {
    out += hex::digits[b >> 4];
    out += hex::digits[b & 0x0f];
  }
}

template <size_t N>
bool all_zero(const std::array<uint8_t, N>& bytes) {
  for (auto b : bytes)
    if (b != 0)
      return false;
  return true;
}

/// Ids only need to be unique, not secret: a per-thread generator seeded
/// once from the system is enough and never blocks.
template <size_t N>
std::array<uint8_t, N> random_id() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::array<uint8_t, N> id{};
  do {
    for (size_t i = 0; i < N; i += 8) {
      auto word = gen();
      for (size_t j = 0; j < 8 && i + j < N; ++j)
        id[i + j] = static_cast<uint8_t>(word >> (8 * j));
    }
  } while (all_zero(id));
  return id;
}

} // namespace

std::optional<trace_parent> trace_parent::parse(std::string_view text) {
  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (text.size() != 55 || text.substr(0, 3) != "00-" || text[35] != '-' || text[52] != '-')
    return std::nullopt;
  trace_parent tp;
  std::array<uint8_t, 1> flags{};
  if (!parse_hex(text.substr(3, 32), tp.trace_id) || !parse_hex(text.substr(36, 16), tp.span_id)
      || !parse_hex(text.substr(53, 2), flags) || all_zero(tp.trace_id) || all_zero(tp.span_id))
    return std::nullopt;
  tp.flags = flags[0];
  return tp;
}

trace_parent trace_parent::start() {
  trace_parent tp;
  tp.trace_id = random_id<16>();
  tp.span_id = random_id<8>();
  return tp;
}

trace_parent trace_parent::child() const {
  auto tp = *this;
  tp.span_id = random_id<8>();
  return tp;
}

std::string trace_parent::trace_id_hex() const {
  std::string out;
  append_hex(out, trace_id);
  return out;
}

std::string trace_parent::to_string() const {
  std::string out = "00-";
  append_hex(out, trace_id);
  out += '-';
  append_hex(out, span_id);
  out += '-';
  append_hex(out, std::array<uint8_t, 1>{flags});
  return out;
}

std::optional<trace_parent> trace_of(const call_metadata& md) {
  auto value = md.get(traceparent_key);
  return value ? trace_parent::parse(*value) : std::nullopt;
}

caf::error trace_context_server::before(call_context& ctx, call_shape) {
  if (!trace_of(ctx.metadata()))
    ctx.metadata().set(std::string{traceparent_key}, trace_parent::start().to_string());
  return {};
}

caf::error trace_context_client::before(outgoing_call& call) {
  if (trace_of(call.metadata))
    return {}; // the caller set its own
  auto parent = trace_of(call.parent.metadata());
  auto span = parent ? parent->child() : trace_parent::start();
  call.metadata.set(std::string{traceparent_key}, span.to_string());
  return {};
}

} // namespace rpcnet
