// What a fuzz target asserts: a property every input must keep. A broken
// one prints what broke and traps, so that libFuzzer keeps the input as a
// crash (fuzz-artifacts/) and the replay test of the ordinary build fails on
// it; an assert() would vanish under NDEBUG, which RelWithDebInfo sets.
#pragma once

#include <cstdio>

namespace rpcnet::fuzz {

[[noreturn]] inline void property_violated(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::fflush(stderr);
  __builtin_trap();
}

} // namespace rpcnet::fuzz

// Variadic, so that a property with template commas needs no parentheses.
#define FUZZ_REQUIRE(...)                                                                          \
  ((__VA_ARGS__) ? static_cast<void>(0)                                                            \
                 : ::rpcnet::fuzz::property_violated(#__VA_ARGS__, __FILE__, __LINE__))
