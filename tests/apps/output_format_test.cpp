// Tests what the CLI prints: structured log lines, in which text from the
// network can neither hide nor forge anything; the member table as columns
// and as JSON that stays valid JSON whatever a forger put in a tag; and the
// gossip counters.
#include <catch2/catch.hpp>

#include <limits>

#include <nlohmann/json.hpp>

#include "gossip_stats_format.hpp"
#include "log.hpp"
#include "member_table_format.hpp"
#include "plainly_printable.hpp"

using namespace rpcnet::cli;
using rpcnet::test::plainly_printable;

namespace {

/// A forger's tag value: quotes, a backslash, a newline with a forged log
/// line after it, ESC sequences (clear screen), NUL, DEL, bytes that are not
/// UTF-8, a C1 CSI and a right-to-left override.
const std::string hostile{"a\"b\\c\n2026-01-01T00:00:00.000Z INFO director: forged\x1b[2J\x00"
                          "\x7f\xff\xfe\xc2\x9b\xe2\x80\xae.exe",
                          69};

rpcnet_cli::MemberTable hostile_table() {
  rpcnet_cli::MemberTable table;
  table.node_id = "00000000000000000000000000000001";
  table.members.push_back({"00000000000000000000000000000002", "127.0.0.1:1\x1b[A", "alive", 1,
                           {{"label", hostile}, {"k\xff", "v"}}, 0.0});
  return table;
}

} // namespace

// -- log lines ----------------------------------------------------------------------

TEST_CASE("a log line carries a UTC timestamp, the level and the speaker", "[log]") {
  auto when = std::chrono::system_clock::from_time_t(1'795'802'400) + std::chrono::milliseconds{7};
  CHECK(format_log_line(when, log_level::info, "worker worker-1", "served task 7")
        == "2026-11-27T18:00:00.007Z INFO worker worker-1: served task 7");
  CHECK(parse_log_level("Warning") == log_level::warn);
  CHECK_FALSE(parse_log_level("verbose"));
}

TEST_CASE("a log line escapes what came over the network, so it is one printable line",
          "[log]") {
  auto when = std::chrono::system_clock::from_time_t(1'795'802'400);
  auto line = format_log_line(when, log_level::info, "worker w\x1b]0;x\x07",
                              "cluster event joined: " + hostile);
  CHECK(line
        == "2026-11-27T18:00:00.000Z INFO worker w\\x1b]0;x\\x07: cluster event joined: "
           "a\"b\\\\c\\n2026-01-01T00:00:00.000Z INFO director: forged\\x1b[2J\\x00\\x7f\\xff"
           "\\xfe\\u009b\\u202e.exe");
  CHECK(plainly_printable(line));
}

TEST_CASE("a JSON log line is one object naming the node with the text escaped", "[log]") {
  auto when = std::chrono::system_clock::from_time_t(1'795'802'400) + std::chrono::milliseconds{7};
  auto line = format_log_line(when, log_level::warn, "worker \"w\"", "peer sent \x1b[2J\\",
                              log_format::json);
  CHECK(plainly_printable(line));
  auto json = nlohmann::json::parse(line);
  CHECK(json["ts"] == "2026-11-27T18:00:00.007Z");
  CHECK(json["level"] == "warn");
  CHECK(json["node"] == "worker \"w\"");
  // The escapes the text format makes stay visible as text.
  CHECK(json["msg"] == "peer sent \\x1b[2J\\\\");
  CHECK(parse_log_format("json") == log_format::json);
}

TEST_CASE("the tests' yardstick tells printable text from not", "[log]") {
  CHECK(plainly_printable("caf\xc3\xa9 \\x1b"));
  CHECK_FALSE(plainly_printable("\xff"));
  CHECK_FALSE(plainly_printable("\x1b[2J"));
}

// -- the member table ---------------------------------------------------------------

TEST_CASE("the member table prints as columns and as JSON", "[members]") {
  rpcnet_cli::MemberTable table;
  table.node_id = "00000000000000000000000000000001";
  table.members.push_back({"00000000000000000000000000000002", "127.0.0.1:62001", "alive", 3,
                           {{"label", "worker-a"}, {"role", "worker"}}, 0.5});
  auto text = format_members_text(table);
  CHECK(text.find("ID") == 0);
  CHECK(text.find("127.0.0.1:62001 alive   3     0.50    label=worker-a,role=worker\n")
        != std::string::npos);
  CHECK(format_members_json(table)
        == R"({"node":"00000000000000000000000000000001","members":[)"
           R"({"id":"00000000000000000000000000000002","address":"127.0.0.1:62001",)"
           R"("state":"alive","incarnation":3,"phi":0.5,)"
           R"("tags":{"label":"worker-a","role":"worker"}}]})");
}

TEST_CASE("the member table as JSON parses back whatever a forger put in it", "[members]") {
  auto table = hostile_table();
  table.members.front().phi = std::numeric_limits<double>::infinity();
  auto json = format_members_json(table);
  CHECK(json.find('\n') == std::string::npos);
  // nlohmann::json::parse refuses bytes that are not UTF-8: the output has none.
  auto doc = nlohmann::json::parse(json);
  const auto& m = doc.at("members").at(0);
  CHECK(m.at("address") == "127.0.0.1:1\x1b[A");
  CHECK(m.at("phi") == 1e308);
  // Bytes that are not UTF-8 became U+FFFD; everything else is intact.
  CHECK(m.at("tags").at("label")
        == std::string{"a\"b\\c\n2026-01-01T00:00:00.000Z INFO director: forged\x1b[2J\x00"
                       "\x7f\xef\xbf\xbd\xef\xbf\xbd\xc2\x9b\xe2\x80\xae.exe",
                       73});
  CHECK(m.at("tags").contains("k\xef\xbf\xbd"));
  CHECK(json.find("\\u001b[2J\\u0000") != std::string::npos);
}

TEST_CASE("the member table as columns escapes what a forger put in it", "[members]") {
  auto text = format_members_text(hostile_table());
  auto rows = text.substr(text.find('\n') + 1);
  CHECK(rows.find('\n') == rows.size() - 1);
  CHECK(plainly_printable(rows.substr(0, rows.size() - 1)));
  CHECK(rows.find("127.0.0.1:1\\x1b[A") != std::string::npos);
  CHECK(rows.find("k\\xff=v,label=a\"b\\\\c\\n2026") != std::string::npos);
  // The columns line up by characters, escapes and all.
  CHECK(text.find("STATE") == rows.find("alive"));
}

// -- gossip counters ----------------------------------------------------------------

TEST_CASE("the gossip counters print as lines and as JSON", "[stats]") {
  rpcnet_cli::GossipCounters counters{10, 2000, 11, 2100, 1, 12, 0, 0, 3,
                                      4, 0, 0, 0, 0, 0, 5, 6, 0, 0};
  CHECK(format_stats_text(counters)
        == "datagrams_received       10\n"
           "bytes_received           2000\n"
           "datagrams_sent           11\n"
           "bytes_sent               2100\n"
           "rejected_malformed       1\n"
           "rejected_unauthenticated 12\n"
           "rejected_forged          0\n"
           "dropped_backlog          0\n"
           "unsendable               3\n"
           "refused_hearsay          4\n"
           "refused_implausible      0\n"
           "refused_ping_req         0\n"
           "unexpected_acks          0\n"
           "refused_introductions    0\n"
           "refused_full             0\n"
           "candidates_verified      5\n"
           "candidates_expired       6\n"
           "replies_deferred         0\n"
           "replies_refused          0\n");
  auto doc = nlohmann::json::parse(format_stats_json(counters));
  CHECK(doc.size() == 19);
  CHECK(doc.at("rejected_unauthenticated") == 12);
  CHECK(doc.at("candidates_expired") == 6);
  CHECK(doc.at("unsendable") == 3);
}
