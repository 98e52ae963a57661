// How Catch prints rpcnet error codes, caf::error and call results in
// failure messages ("remote: boom" instead of "{?}"), so a failed check
// says what the call actually returned.
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/transport/byte_buffer.hpp>
#include <rpcnet/transport/error.hpp>

namespace Catch {

template <>
struct StringMaker<rpcnet::error> {
  static std::string convert(rpcnet::error code) {
    return rpcnet::to_string(code);
  }
};

template <>
struct StringMaker<caf::error> {
  static std::string convert(const caf::error& err) {
    return rpcnet::describe(err);
  }
};

template <>
struct StringMaker<caf::expected<rpcnet::byte_buffer>> {
  static std::string convert(const caf::expected<rpcnet::byte_buffer>& result) {
    if (!result)
      return "error (" + rpcnet::describe(result.error()) + ")";
    return "ok (" + std::to_string(result->size()) + " bytes)";
  }
};

} // namespace Catch
