// Fuzzes rpcnet-gen's parser (parser.hpp) with definition files. A
// definition has many spellings of one model (whitespace, comments, const
// and &, the order of types and services), so the round trip is through a
// canonical printing (definition_printer.hpp). What must hold:
//  - each input either parses or is refused, never both, never a crash;
//  - a refusal points inside the input: "file:L:C: error: what", with L a
//    line of it and C at most one past that line's end;
//  - a parsed definition prints as source that parses again, prints the
//    same (a fixpoint), and generates the same code (the emitters read
//    every part of the model that matters).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <rpcnet/codegen/client_emitter.hpp>
#include <rpcnet/codegen/parser.hpp>
#include <rpcnet/codegen/server_emitter.hpp>
#include <rpcnet/codegen/types_emitter.hpp>

#include "definition_printer.hpp"
#include "fuzz_check.hpp"

using namespace rpcnet::codegen;

namespace {

const std::string file_name = "fuzz.rpc.hpp";

/// Every generated file of `def`, in one string.
std::string generated(const definition& def) {
  auto out = emit_types(def);
  for (const auto& svc : def.services)
    out += emit_client(def, svc) + emit_server(def, svc);
  return out;
}

/// The length of line `line` (1-based) of `text`, or nothing past its end.
std::optional<size_t> line_length(std::string_view text, uint32_t line) {
  size_t begin = 0;
  for (uint32_t i = 1; i < line; ++i) {
    begin = text.find('\n', begin);
    if (begin == std::string_view::npos)
      return std::nullopt;
    ++begin;
  }
  auto end = std::min(text.find('\n', begin), text.size());
  return end - begin;
}

void check_refusal(std::string_view text, const diagnostic& error) {
  FUZZ_REQUIRE(error.file == file_name && !error.what.empty());
  FUZZ_REQUIRE(error.pos.line >= 1 && error.pos.column >= 1);
  auto length = line_length(text, error.pos.line);
  FUZZ_REQUIRE(length && error.pos.column <= *length + 1);
  auto place = file_name + ":" + std::to_string(error.pos.line) + ":"
               + std::to_string(error.pos.column) + ": error: ";
  FUZZ_REQUIRE(error.to_string() == place + error.what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed = parse_definition(text, file_name);
  FUZZ_REQUIRE(parsed.value.has_value() != parsed.error.has_value());
  if (parsed.error) {
    check_refusal(text, *parsed.error);
    return 0;
  }
  auto printed = rpcnet::fuzz::print_definition(*parsed.value);
  auto reparsed = parse_definition(printed, file_name);
  if (reparsed.error)
    std::fprintf(stderr, "printed:\n%s\nrefused: %s\n", printed.c_str(),
                 reparsed.error->to_string().c_str());
  FUZZ_REQUIRE(reparsed.value.has_value());
  FUZZ_REQUIRE(rpcnet::fuzz::print_definition(*reparsed.value) == printed);
  FUZZ_REQUIRE(generated(*reparsed.value) == generated(*parsed.value));
  return 0;
}
