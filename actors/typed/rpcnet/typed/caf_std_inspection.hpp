// CAF 0.17 inspection for std::optional and std::variant, which it
// predates, so that generated types with such fields can travel in actor
// messages (a service's typed actor interface). The overloads live in
// namespace caf because argument-dependent lookup from CAF's inspectors
// finds them there, whatever the optional's or variant's arguments are.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <variant>

#include <caf/detail/scope_guard.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace caf {

// -- std::optional: a presence flag, then the value ---------------------------

template <class Inspector, class T>
std::enable_if_t<Inspector::reads_state, typename Inspector::result_type>
inspect(Inspector& f, std::optional<T>& x) {
  return x ? f(true, *x) : f(false);
}

template <class T>
struct std_optional_inspect_helper {
  bool& present;
  T& storage;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, std_optional_inspect_helper& x) {
    return x.present ? f(x.storage) : f();
  }
};

template <class Inspector, class T>
std::enable_if_t<Inspector::writes_state, typename Inspector::result_type>
inspect(Inspector& f, std::optional<T>& x) {
  bool present = false;
  T tmp{};
  std_optional_inspect_helper<T> helper{present, tmp};
  auto guard = detail::make_scope_guard([&] {
    if (present)
      x = std::move(tmp);
    else
      x.reset();
  });
  return f(present, helper);
}

// -- std::variant: the index as one byte, then the alternative ----------------

template <class Inspector, class... Ts>
std::enable_if_t<Inspector::reads_state, typename Inspector::result_type>
inspect(Inspector& f, std::variant<Ts...>& x) {
  auto index = static_cast<uint8_t>(x.index());
  return std::visit([&](auto& alternative) { return f(index, alternative); }, x);
}

template <class... Ts>
struct std_variant_inspect_helper {
  uint8_t& index;
  std::variant<Ts...>& storage;

  template <size_t I, class Inspector>
  typename Inspector::result_type load(Inspector& f) {
    if constexpr (I < sizeof...(Ts)) {
      if (index != I)
        return load<I + 1>(f);
      return f(storage.template emplace<I>());
    } else {
      return make_error(sec::invalid_argument);
    }
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, std_variant_inspect_helper& x) {
    return x.template load<0>(f);
  }
};

template <class Inspector, class... Ts>
std::enable_if_t<Inspector::writes_state, typename Inspector::result_type>
inspect(Inspector& f, std::variant<Ts...>& x) {
  uint8_t index = 0;
  std_variant_inspect_helper<Ts...> helper{index, x};
  return f(index, helper);
}

} // namespace caf
