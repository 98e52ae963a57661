// Typed payloads over rpcnet's byte payloads with Boost.Serialization
// binary archives -- what generated code and the examples use. Decoding
// treats its input as hostile: any malformed payload yields
// error::serialization, never an exception, and it allocates no more than
// the payload could hold (bounded_iarchive.hpp).
#pragma once

#include <exception>
#include <sstream>
#include <string>

#include <boost/archive/binary_oarchive.hpp>

#include <caf/expected.hpp>

#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/typed/bounded_iarchive.hpp>

namespace rpcnet {

/// Archive flags: no header, so payloads carry only the value.
inline constexpr unsigned archive_flags = boost::archive::no_header | boost::archive::no_codecvt;

/// Serializes `value` into a payload. Binary archives of values (what
/// generated types are: no pointers, no polymorphism) have no failure of
/// their own, so this throws only what allocating the buffer throws.
template <class T>
byte_buffer encode(const T& value) {
  std::ostringstream out;
  {
    boost::archive::binary_oarchive ar{out, archive_flags};
    ar << value;
  }
  auto text = std::move(out).str();
  return byte_buffer(text.begin(), text.end());
}

/// Deserializes a payload; error::serialization when it is malformed or
/// has bytes left over.
template <class T>
caf::expected<T> decode(const byte_buffer& payload) {
  try {
    T value{};
    bounded_iarchive ar{payload, archive_flags};
    ar >> value;
    if (ar.remaining() != 0)
      return make_error(error::serialization, "trailing bytes after the value");
    return value;
  } catch (const std::exception& ex) {
    return make_error(error::serialization, std::string{"malformed payload: "} + ex.what());
  }
}

} // namespace rpcnet
