// Node ids as hex text and back.
#include <rpcnet/membership/node_id.hpp>

#include <rpcnet/transport/hex.hpp>

namespace rpcnet {

std::string node_id::to_string() const {
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = hex::digits[(hi >> (4 * i)) & 0xf];
    out[31 - i] = hex::digits[(lo >> (4 * i)) & 0xf];
  }
  return out;
}

std::optional<node_id> node_id::parse(std::string_view text) {
  if (text.size() != 32)
    return std::nullopt;
  node_id id;
  for (size_t i = 0; i < 32; ++i) {
    auto v = hex::digit_value(text[i]);
    if (v < 0)
      return std::nullopt;
    auto& half = i < 16 ? id.hi : id.lo;
    half = (half << 4) | static_cast<uint64_t>(v);
  }
  return id;
}

} // namespace rpcnet
