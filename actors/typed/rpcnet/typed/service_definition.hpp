// What a service definition (*.rpc.hpp) builds on, so that the definition
// is ordinary C++ that compiles on its own: the service and variants
// markers, rpcnet::stream<T> for streaming methods, and rpcnet::result<T, E>
// -- also the type generated clients and handlers use for a reply or its
// typed error. Standard library only. docs/codegen.md describes the subset.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>

namespace rpcnet {

/// Marks a struct as a service: `struct Greeting : rpcnet::service { ... };`
/// whose member functions are the service's methods.
struct service {};

/// Marks a struct as an enum whose alternatives may carry data: each nested
/// struct is one alternative (`struct GreetingError : rpcnet::variants {
/// struct EmptyName {}; struct InvalidInput { std::string text; }; };`).
struct variants {};

/// A stream of T as a method's parameter (the client streams requests)
/// or return type (the server streams responses). Only a marker: generated
/// code reads and writes typed streams instead.
template <class T>
class stream;

/// A method's outcome as the handler decides it: the reply T or the
/// application's error E. Failures of the call itself (timeouts, lost
/// connections) are never an E: they are rpcnet errors around the result.
template <class T, class E>
class result {
public:
  using value_type = T;
  using error_type = E;

  // -- constructors -----------------------------------------------------------

  /// A default-constructed T (needed to deserialize into).
  result() = default;

  result(T value) : data_(std::in_place_index<0>, std::move(value)) {
  }

  result(E error)
    requires(!std::is_same_v<T, E>)
    : data_(std::in_place_index<1>, std::move(error)) {
  }

  static result ok(T value) {
    return result{std::in_place_index<0>, std::move(value)};
  }

  static result failure(E error) {
    return result{std::in_place_index<1>, std::move(error)};
  }

  // -- properties -------------------------------------------------------------

  bool has_value() const noexcept {
    return data_.index() == 0;
  }

  explicit operator bool() const noexcept {
    return has_value();
  }

  /// The reply; std::bad_variant_access when this holds an error.
  T& value() {
    return std::get<0>(data_);
  }
  const T& value() const {
    return std::get<0>(data_);
  }
  T& operator*() {
    return value();
  }
  const T& operator*() const {
    return value();
  }
  T* operator->() {
    return &value();
  }
  const T* operator->() const {
    return &value();
  }

  /// The error; std::bad_variant_access when this holds a reply.
  E& error() {
    return std::get<1>(data_);
  }
  const E& error() const {
    return std::get<1>(data_);
  }

  friend bool operator==(const result&, const result&) = default;

  // -- serialization ----------------------------------------------------------

  /// Boost.Serialization (rpcnet/typed/std_serialization.hpp): a tag byte,
  /// 0 for the reply and 1 for the error, then the one it holds.
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar& data_;
  }

  /// CAF inspection (rpcnet/typed/caf_std_inspection.hpp), so that results
  /// travel in actor messages.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, result& x) {
    return f(x.data_);
  }

private:
  template <std::size_t I, class V>
  result(std::in_place_index_t<I> which, V&& v) : data_(which, std::forward<V>(v)) {
  }

  std::variant<T, E> data_;
};

} // namespace rpcnet
