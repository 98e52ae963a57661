// Tests the library's log and the text rules beneath it: UTF-8 sequences
// are judged as RFC 3629 says, escaping keeps what prints and writes every
// other byte as \xNN, and the log escapes each line, honours its level and
// goes to a handler a program installs, rate limits lines a peer causes,
// reads its settings from the environment and writes JSON lines.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <rpcnet/transport/library_log.hpp>
#include <rpcnet/transport/utf8.hpp>

#include "captured_log.hpp"

namespace utf8 = rpcnet::utf8;
using rpcnet::log_level;
using rpcnet::test::captured_log;

TEST_CASE("UTF-8 sequences are well-formed exactly as RFC 3629 says", "[utf8]") {
  CHECK(utf8::sequence_length("a", 0) == 1);
  CHECK(utf8::sequence_length("\xc3\xa4", 0) == 2);
  CHECK(utf8::sequence_length("\xe2\x82\xac", 0) == 3);
  CHECK(utf8::sequence_length("\xf0\x9f\x8e\x89", 0) == 4);
  uint32_t cp = 0;
  CHECK(utf8::sequence_length("\xf4\x8f\xbf\xbf", 0, &cp) == 4);
  CHECK(cp == 0x10ffff);
  // Overlong forms, surrogates, values past U+10FFFF, stray continuation
  // bytes, cut sequences and bytes that never start one.
  for (std::string bad : std::vector<std::string>{"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80",
                                                  "\xf0\x80\x80\x80", "\xed\xa0\x80",
                                                  "\xf4\x90\x80\x80", "\x80", "\xe2\x82", "\xf5",
                                                  "\xff"}) {
    CHECK(utf8::sequence_length(bad, 0) == 0);
    CHECK_FALSE(utf8::is_valid(bad));
  }
  CHECK(utf8::is_valid("plain, ümlaut, 日本, 🎉"));
  CHECK(utf8::is_valid(std::string("nul\0inside", 10)));
  CHECK_FALSE(utf8::is_printable(std::string("nul\0inside", 10)));
  CHECK_FALSE(utf8::is_printable("\xc2\x9b" "31m")); // C1 CSI
  CHECK(utf8::is_printable("tab-free text"));
}

TEST_CASE("escaping keeps printable text and writes every other byte as a hex escape", "[utf8]") {
  CHECK(utf8::escaped("worker-1 at 127.0.0.1:62001") == "worker-1 at 127.0.0.1:62001");
  CHECK(utf8::escaped("zürich 🎉") == "zürich 🎉");
  CHECK(utf8::escaped("a\nb") == "a\\nb");
  CHECK(utf8::escaped("tab\there\r") == "tab\\there\\r");
  CHECK(utf8::escaped(std::string{"\x00\x01\x1f\x7f", 4}) == "\\x00\\x01\\x1f\\x7f");
  CHECK(utf8::escaped("\x1b[31mred") == "\\x1b[31mred");
  CHECK(utf8::escaped("\xc2\x85") == "\\u0085");
  // Bidirectional overrides would make a line read other than its bytes.
  CHECK(utf8::escaped("\xe2\x80\xae" "cba") == "\\u202ecba");
  CHECK_FALSE(utf8::is_printable("\xe2\x80\xae"));
  CHECK(utf8::escaped("bad \xff byte") == "bad \\xff byte");
  // A cut sequence loses only its own bytes; what follows is kept.
  CHECK(utf8::escaped("\xe2\x82" "ok") == "\\xe2\\x82ok");
  // A backslash is doubled, so an escape in the input cannot pass for one.
  CHECK(utf8::escaped("\\x41") == "\\\\x41");
  // Whatever goes in, what comes out is printable.
  std::string all;
  for (int b = 0; b < 256; ++b)
    all.push_back(static_cast<char>(b));
  CHECK(utf8::is_printable(utf8::escaped(all)));
}

TEST_CASE("printable text keeps UTF-8 and escapes every control and malformed byte",
          "[utf8]") {
  CHECK(utf8::escaped("plain, caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, \xf0\x9f\x94\x91")
        == "plain, caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, \xf0\x9f\x94\x91");
  CHECK(utf8::escaped("tab\there\r\\") == "tab\\there\\r\\\\");
  CHECK(utf8::escaped(std::string{"\x00\x01\x1f\x7f", 4}) == "\\x00\\x01\\x1f\\x7f");
  // Overlong '/', a surrogate, above U+10FFFF, cut short, a stray
  // continuation byte: each byte of it escaped.
  CHECK(utf8::escaped("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(utf8::escaped("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(utf8::escaped("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
  CHECK(utf8::escaped("end\xe2\x82") == "end\\xe2\\x82");
  CHECK(utf8::escaped("\x80x") == "\\x80x");
  // C1 controls, line separators and bidirectional controls.
  CHECK(utf8::escaped("\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\x8f\xe2\x81\xa6")
        == "\\u0085\\u2028\\u2029\\u200f\\u2066");
  CHECK(utf8::display_width("caf\xc3\xa9") == 4);
}

TEST_CASE("the library log escapes each line, honours its level and reaches a handler",
          "[library_log]") {
  captured_log log;
  rpcnet::log_line(log_level::warn, "peer said \x1b[2J\xff");
  rpcnet::log_line(log_level::debug, "below the default level");
  rpcnet::set_log_level(log_level::debug);
  rpcnet::log_line(log_level::debug, "now shown");
  rpcnet::set_log_level(log_level::error);
  rpcnet::log_line(log_level::warn, "dropped");
  auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == std::make_pair(log_level::warn, std::string{"peer said \\x1b[2J\\xff"}));
  CHECK(lines[1] == std::make_pair(log_level::debug, std::string{"now shown"}));
}

TEST_CASE("network lines pass a burst then the rate and say how many were dropped",
          "[library_log]") {
  captured_log log;
  rpcnet::log_options opts;
  opts.network_burst = 3;
  // No refill within the test: what is dropped depends on the count alone.
  opts.network_lines_per_second = 0;
  rpcnet::configure_log(opts);
  for (int i = 0; i < 10; ++i)
    rpcnet::log_network_line(log_level::warn, "test_flood", "flood " + std::to_string(i));
  // Another kind has a bucket of its own.
  rpcnet::log_network_line(log_level::warn, "test_other", "other kind");
  auto lines = log.lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].second == "flood 0");
  CHECK(lines[2].second == "flood 2");
  CHECK(lines[3].second == "other kind");
  rpcnet::log_options refilling = opts;
  refilling.network_lines_per_second = 1e9;
  rpcnet::configure_log(refilling);
  rpcnet::log_network_line(log_level::warn, "test_flood", "after \x1b the flood");
  lines = log.lines();
  REQUIRE(lines.size() == 5);
  CHECK(lines[4].second == "after \\x1b the flood (7 similar lines dropped)");
  rpcnet::configure_log(rpcnet::log_options{});
}

TEST_CASE("log levels and formats are parsed from their names", "[library_log]") {
  CHECK(rpcnet::parse_log_level("WARNING") == log_level::warn);
  CHECK(rpcnet::parse_log_level("trace") == log_level::debug);
  CHECK(rpcnet::parse_log_level("off") == log_level::off);
  CHECK_FALSE(rpcnet::parse_log_level("loud"));
  CHECK(rpcnet::parse_log_format("JSON") == rpcnet::log_format::json);
  CHECK(rpcnet::parse_log_format("text") == rpcnet::log_format::text);
  CHECK_FALSE(rpcnet::parse_log_format("xml"));
  auto when = std::chrono::system_clock::from_time_t(1'795'802'400) + std::chrono::milliseconds{7};
  CHECK(rpcnet::log_timestamp(when) == "2026-11-27T18:00:00.007Z");
}

TEST_CASE("RPCNET_LOG and RPCNET_LOG_FORMAT set the defaults and bad values are ignored",
          "[library_log]") {
  ::setenv("RPCNET_LOG", "debug", 1);
  ::setenv("RPCNET_LOG_FORMAT", "json", 1);
  auto opts = rpcnet::log_options::from_environment();
  CHECK(opts.level == log_level::debug);
  CHECK(opts.format == rpcnet::log_format::json);
  ::setenv("RPCNET_LOG", "shouting", 1);
  ::setenv("RPCNET_LOG_FORMAT", "yaml", 1);
  opts = rpcnet::log_options::from_environment();
  CHECK(opts.level == log_level::info);
  CHECK(opts.format == rpcnet::log_format::text);
  ::unsetenv("RPCNET_LOG");
  ::unsetenv("RPCNET_LOG_FORMAT");
}

TEST_CASE("the JSON format writes one object per line with escaped text", "[library_log]") {
  // The default sink writes to stderr: read it back through a file.
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(capture), STDERR_FILENO);
  rpcnet::log_options opts;
  opts.format = rpcnet::log_format::json;
  rpcnet::configure_log(opts);
  rpcnet::log_line(log_level::warn, "quote \" backslash \\ escape \x1b end");
  rpcnet::log_network_line(log_level::error, "test_json", "from a peer");
  rpcnet::configure_log(rpcnet::log_options{});
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(capture);
  std::string text;
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof buf, capture))
    text.append(buf, n);
  std::fclose(capture);
  auto json = nlohmann::json::parse(text.substr(0, text.find('\n')));
  CHECK(json["level"] == "warn");
  CHECK(json["logger"] == "rpcnet");
  CHECK(json["msg"] == "quote \" backslash \\\\ escape \\x1b end");
  CHECK(json["ts"].get<std::string>().size() == 24);
  auto second = nlohmann::json::parse(text.substr(text.find('\n') + 1));
  CHECK(second["event"] == "test_json");
  CHECK(second["level"] == "error");
}
