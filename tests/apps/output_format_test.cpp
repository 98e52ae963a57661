// Tests what the CLI prints: structured log lines, and the member table as
// columns and as JSON whose strings survive hostile tag values.
#include <catch2/catch.hpp>

#include "log.hpp"
#include "member_table_format.hpp"

using namespace rpcnet::cli;

TEST_CASE("a log line carries a UTC timestamp, the level and the speaker", "[log]") {
  auto when = std::chrono::system_clock::from_time_t(1'795'802'400) + std::chrono::milliseconds{7};
  CHECK(format_log_line(when, log_level::info, "worker worker-1", "served task 7")
        == "2026-11-27T18:00:00.007Z INFO worker worker-1: served task 7");
  CHECK(parse_log_level("Warning") == log_level::warn);
  CHECK_FALSE(parse_log_level("verbose"));
}

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
        == R"({"node":"00000000000000000000000000000001","members":[{"id":"00000000000000000000000000000002","address":"127.0.0.1:62001","state":"alive","incarnation":3,"phi":0.50,"tags":{"label":"worker-a","role":"worker"}}]})");
}

TEST_CASE("JSON strings escape quotes, backslashes and control bytes", "[members]") {
  CHECK(json_string("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
}
