// Boost.Serialization 1.74 for std::optional and std::variant, which it
// predates, in the compact form generated types use on the wire: an
// optional is a presence byte then the value; a variant is its index as
// one byte then the alternative. Loading a bad index throws, which
// rpcnet::decode turns into error::serialization. rpcnet::result<T, E> is
// such a variant of two and carries no class information either.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include <boost/archive/archive_exception.hpp>
#include <boost/serialization/level.hpp>
#include <boost/serialization/split_free.hpp>

#include <rpcnet/typed/service_definition.hpp>

namespace boost::serialization {

// -- std::optional ------------------------------------------------------------

template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& x, unsigned) {
  bool present = x.has_value();
  ar << present;
  if (present)
    ar << *x;
}

template <class Archive, class T>
void load(Archive& ar, std::optional<T>& x, unsigned) {
  bool present = false;
  ar >> present;
  if (!present) {
    x.reset();
    return;
  }
  T value{};
  ar >> value;
  x = std::move(value);
}

template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& x, unsigned version) {
  split_free(ar, x, version);
}

// -- std::variant -------------------------------------------------------------

template <class Archive, class... Ts>
void save(Archive& ar, const std::variant<Ts...>& x, unsigned) {
  auto index = static_cast<uint8_t>(x.index());
  ar << index;
  std::visit([&ar](const auto& alternative) { ar << alternative; }, x);
}

/// Loads alternative `index`, found by walking the alternatives from I.
template <size_t I, class Archive, class... Ts>
void load_alternative(Archive& ar, std::variant<Ts...>& x, size_t index) {
  if constexpr (I < sizeof...(Ts)) {
    if (index != I) {
      load_alternative<I + 1>(ar, x, index);
      return;
    }
    std::variant_alternative_t<I, std::variant<Ts...>> value{};
    ar >> value;
    x.template emplace<I>(std::move(value));
  } else {
    // Boost.Serialization reports a bad input only by throwing; every load
    // runs inside rpcnet::decode, which catches it (serialization.hpp), so
    // this never reaches an actor.
    throw boost::archive::archive_exception{boost::archive::archive_exception::input_stream_error};
  }
}

template <class Archive, class... Ts>
void load(Archive& ar, std::variant<Ts...>& x, unsigned) {
  uint8_t index = 0;
  ar >> index;
  load_alternative<0>(ar, x, index);
}

template <class Archive, class... Ts>
void serialize(Archive& ar, std::variant<Ts...>& x, unsigned version) {
  split_free(ar, x, version);
}

// -- no class information on the wire ------------------------------------------

template <class T>
struct implementation_level_impl<const std::optional<T>> {
  typedef mpl::integral_c_tag tag;
  typedef mpl::int_<object_serializable> type;
  BOOST_STATIC_CONSTANT(int, value = type::value);
};

template <class... Ts>
struct implementation_level_impl<const std::variant<Ts...>> {
  typedef mpl::integral_c_tag tag;
  typedef mpl::int_<object_serializable> type;
  BOOST_STATIC_CONSTANT(int, value = type::value);
};

template <class T, class E>
struct implementation_level_impl<const rpcnet::result<T, E>> {
  typedef mpl::integral_c_tag tag;
  typedef mpl::int_<object_serializable> type;
  BOOST_STATIC_CONSTANT(int, value = type::value);
};

} // namespace boost::serialization
