// A Boost binary input archive over a payload that never allocates more than
// the payload could hold. Boost's own binary_iarchive reads a collection's
// element count, or a string's length, and allocates that much before it
// reads one of them: a 12-byte request claiming 2^28 elements made a
// std::vector<int32_t> zero-fill 1 GiB before the decode failed. Here every
// count and length is checked first against the bytes left, as each
// character of a string takes one and each element of a collection at least
// one; a claim beyond them fails the decode (std::length_error, which
// decode() reports as error::serialization). The one thing refused that
// Boost would read is a collection of empty structs longer than the bytes
// after its count -- which is also how a few bytes would make a decoder
// loop 2^60 times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <streambuf>
#include <string>

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/serialization/collection_size_type.hpp>
// A new archive type instantiates Boost's archive templates itself: the
// library holds them for its own archives only.
#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>

namespace rpcnet {

namespace detail {

/// The payload as the archive's stream buffer: all of it is the get area,
/// so in_avail() is exactly the bytes left.
class payload_buffer : public std::streambuf {
public:
  explicit payload_buffer(std::span<const uint8_t> bytes) {
    // std::streambuf reads through char*; nothing here writes.
    auto* first = const_cast<char*>(reinterpret_cast<const char*>(bytes.data()));
    setg(first, first, first + bytes.size());
  }
};

/// Holds the buffer so that it is made before the archive that reads it.
struct payload_holder {
  payload_buffer buffer;
};

} // namespace detail

class bounded_iarchive
  : private detail::payload_holder,
    public boost::archive::binary_iarchive_impl<bounded_iarchive, char, std::char_traits<char>> {
  using base = boost::archive::binary_iarchive_impl<bounded_iarchive, char, std::char_traits<char>>;
  using primitive
    = boost::archive::basic_binary_iprimitive<bounded_iarchive, char, std::char_traits<char>>;

  // What Boost's archive layers call on the most derived archive.
  friend class boost::archive::detail::interface_iarchive<bounded_iarchive>;
  friend class boost::archive::basic_binary_iarchive<bounded_iarchive>;
  friend class boost::archive::basic_binary_iprimitive<bounded_iarchive, char,
                                                       std::char_traits<char>>;
  friend class boost::archive::load_access;

public:
  /// Reads `payload` (which must outlive the archive) with Boost's archive
  /// `flags`.
  bounded_iarchive(std::span<const uint8_t> payload, unsigned flags)
    : detail::payload_holder{detail::payload_buffer{payload}}, base(buffer, flags) {
    init(flags);
  }

  /// Bytes not read yet.
  std::size_t remaining() {
    auto left = buffer.in_avail();
    return left > 0 ? static_cast<std::size_t>(left) : 0;
  }

protected:
  template <class T>
  void load_override(T& t) {
    base::load_override(t);
  }

  void load_override(boost::serialization::collection_size_type& count) {
    base::load_override(count);
    require(count, "a collection of ");
  }

  using primitive::load;

  void load(std::string& s) {
    std::size_t size = 0;
    primitive::load(size);
    require(size, "a string of ");
    s.resize(size);
    if (size > 0)
      load_binary(s.data(), size);
  }

private:
  void require(std::size_t claimed, const char* what) {
    if (claimed > remaining())
      throw std::length_error(what + std::to_string(claimed) + " in "
                              + std::to_string(remaining()) + " bytes left");
  }
};

} // namespace rpcnet

BOOST_SERIALIZATION_REGISTER_ARCHIVE(rpcnet::bounded_iarchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(rpcnet::bounded_iarchive)
