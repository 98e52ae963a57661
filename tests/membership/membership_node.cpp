// rpcnet-membership-node: one cluster member in a process of its own, for
// the tests that run real processes on real UDP. It prints what it sees as
// lines on stdout and takes commands on stdin:
//
//   out: ready <id> <address>             once gossip is up
//        join-ok <members> | join-error <why>
//        event <kind> <id> <address> <state> <incarnation> <tags>
//        member <id> <address> <state> <incarnation> <tags> ... end-members
//        stats <received> <malformed> <unauthenticated> <forged> <backlog>
//        left | tag-ok | tag-error <why>
//   in:  leave | tag <key> <value> | members | stats | quit
//
// Flags: --bind host:port, --seed host:port (repeatable), --tag k=v
// (repeatable), --key <base64> (repeatable; the first seals),
// --join-timeout-ms N.
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <rpcnet/actors/runtime.hpp>
#include <rpcnet/membership/cluster_membership.hpp>
#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

using namespace rpcnet;

namespace {

std::mutex out_mtx;

void say(const std::string& line) {
  std::lock_guard<std::mutex> guard{out_mtx};
  std::cout << line << std::endl;
}

std::string tags_text(const tag_map& tags) {
  if (tags.empty())
    return "-";
  std::string out;
  for (const auto& [k, v] : tags)
    out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

std::string describe(const member& m) {
  return m.id.to_string() + " " + m.address + " " + std::string{to_string_view(m.state)} + " "
         + std::to_string(m.incarnation) + " " + tags_text(m.tags);
}

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "rpcnet-membership-node: " << why << "\n";
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  cluster_config cfg;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      usage("missing value after " + flag);
    std::string value = argv[++i];
    if (flag == "--bind") {
      cfg.bind_address = value;
    } else if (flag == "--seed") {
      seeds.push_back(value);
    } else if (flag == "--tag") {
      auto eq = value.find('=');
      if (eq == std::string::npos)
        usage("--tag wants key=value");
      cfg.tags[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (flag == "--key") {
      auto key = decode_base64_key(value);
      if (!key)
        usage(message_of(key.error()));
      cfg.cluster_keys.push_back(std::move(*key));
    } else if (flag == "--join-timeout-ms") {
      cfg.join_timeout = std::chrono::milliseconds{std::stol(value)};
    } else {
      usage("unknown flag " + flag);
    }
  }
  // snippet-begin: membership
  runtime rt;
  auto cluster = cluster_membership::start(rt.system(), cfg);
  if (!cluster)
    usage(message_of(cluster.error()));
  cluster->on_event([](const membership_event& ev) {
    std::string line = "event " + std::string{to_string_view(ev.what)} + " ";
    if (ev.what == membership_event::kind::partition_detected
        || ev.what == membership_event::kind::partition_healed)
      line += ev.subject.id.to_string() + " unreachable=" + std::to_string(ev.unreachable.size())
              + " reachable=" + std::to_string(ev.reachable.size());
    else
      line += describe(ev.subject);
    say(line);
  });
  auto self = cluster->local_member();
  say("ready " + self.id.to_string() + " " + self.address);
  if (!seeds.empty()) {
    if (auto err = cluster->join(seeds))
      say("join-error " + message_of(err));
    else
      say("join-ok " + std::to_string(cluster->members().size() - 1));
  }
  // snippet-end: membership
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in{line};
    std::string cmd;
    in >> cmd;
    if (cmd == "leave") {
      if (auto err = cluster->leave())
        say("leave-error " + message_of(err));
      else
        say("left");
    } else if (cmd == "tag") {
      std::string key, value;
      in >> key >> value;
      if (auto err = cluster->set_tag(key, value))
        say("tag-error " + message_of(err));
      else
        say("tag-ok");
    } else if (cmd == "members") {
      for (const auto& m : cluster->members())
        say("member " + describe(m));
      say("end-members");
    } else if (cmd == "stats") {
      auto s = cluster->stats();
      say("stats " + std::to_string(s.datagrams_received) + " "
          + std::to_string(s.rejected_malformed) + " " + std::to_string(s.rejected_unauthenticated)
          + " " + std::to_string(s.rejected_forged) + " " + std::to_string(s.dropped_backlog));
    } else if (cmd == "quit") {
      break;
    }
  }
  cluster->stop();
  return 0;
}
