// Network stacks of a test's own, for tests that run processes on networks
// the host never sees: Linux network namespaces (iproute2's `ip netns`),
// a bridge that joins several of them through veth pairs, nftables rules
// that drop a share of the datagrams at random (this kernel has no netem),
// and a capture of the UDP datagrams crossing a namespace's interfaces
// (an AF_PACKET socket opened from a thread that entered the namespace).
// Every namespace is deleted by its owner's destructor, however the test
// ends; names carry the test's pid, so the leftovers of a run that was
// killed are recognised and deleted by the next one. Needs root, iproute2
// and nftables (cmake/install-deps.sh installs them).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rpcnet::test {

inline const std::string ip_tool = "/usr/sbin/ip";
inline const std::string nft_tool = "/usr/sbin/nft";

/// Runs a shell command; true if it exited 0.
inline bool run_command(const std::string& command) {
  return std::system(command.c_str()) == 0;
}

/// What a shell command printed on stdout.
inline std::string command_output(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(command.c_str(), "r"), pclose};
  if (!pipe)
    return out;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe.get()) != nullptr)
    out += buffer;
  return out;
}

/// Runs a shell command, throwing (which fails the test case) if it fails.
inline void require_command(const std::string& command) {
  if (!run_command(command))
    throw std::runtime_error("command failed: " + command);
}

/// The network namespaces that exist, by name.
inline std::vector<std::string> network_namespace_names() {
  std::vector<std::string> names;
  std::istringstream listing{command_output(ip_tool + " netns list 2>/dev/null")};
  for (std::string line; std::getline(listing, line);) {
    // "name" or "name (id: 3)".
    auto name = line.substr(0, line.find(' '));
    if (!name.empty())
      names.push_back(name);
  }
  return names;
}

/// Deletes the namespaces named `prefix` + pid + anything whose process is
/// gone: what runs killed before their destructors left. The namespaces of
/// a run still going (another pid alive) are left alone.
inline void remove_leftover_namespaces(const std::string& prefix) {
  for (const auto& name : network_namespace_names()) {
    if (name.rfind(prefix, 0) != 0)
      continue;
    auto pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid <= 0 || pid == getpid())
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      run_command(ip_tool + " netns del " + name + " 2>/dev/null");
  }
}

/// A rule that drops `percent` % of the packets `match` selects, at random
/// (nft's numgen), in a chain on `hook` of a table of `family`: "inet" with
/// "input" or "output" in a node's namespace, "bridge" with "forward" in a
/// bridge's.
struct random_loss {
  std::string family = "inet";
  std::string hook = "input";
  /// An nft match, "" for every packet: "udp dport 47101-47105".
  std::string match;
  int percent = 5;
};

/// The nft table of `loss`, named rpcnet_loss.
inline std::string random_loss_ruleset(const random_loss& loss) {
  std::ostringstream rules;
  rules << "table " << loss.family << " rpcnet_loss {\n  chain loss {\n"
        << "    type filter hook " << loss.hook << " priority 0; policy accept;\n"
        << "    " << loss.match << (loss.match.empty() ? "" : " ") << "numgen random mod 100 < "
        << loss.percent << " counter drop\n  }\n}\n";
  return rules.str();
}

/// A network namespace, made (after deleting one of the same name) by the
/// constructor and deleted by the destructor. Processes still running in
/// it keep it alive until they end: declare it before them, so that they
/// are killed first.
class network_namespace {
public:
  explicit network_namespace(std::string name) : name_(std::move(name)) {
    run_command(ip_tool + " netns del " + name_ + " 2>/dev/null");
    require_command(ip_tool + " netns add " + name_);
    created_ = true;
  }

  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  ~network_namespace() {
    if (created_)
      run_command(ip_tool + " netns del " + name_ + " 2>/dev/null");
  }

  const std::string& name() const noexcept {
    return name_;
  }

  /// "ip netns exec NAME ": runs what follows in the namespace.
  std::string exec_prefix() const {
    return ip_tool + " netns exec " + name_ + " ";
  }

  /// child_process's arguments to run `command` in the namespace, with
  /// ip_tool as the program.
  std::vector<std::string> exec_args(const std::vector<std::string>& command) const {
    std::vector<std::string> args{"netns", "exec", name_};
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }

  /// `ip -n NAME <args>`, throwing if it fails.
  void ip(const std::string& args) const {
    require_command(ip_tool + " -n " + name_ + " " + args);
  }

  void bring_up_loopback() const {
    ip("link set lo up");
  }

  /// Loads an nft ruleset into the namespace, throwing if nft refuses it.
  void load_nft(const std::string& ruleset) const {
    auto path = "/tmp/" + name_ + ".nft";
    {
      std::ofstream rules{path};
      rules << ruleset;
    }
    auto loaded = run_command(exec_prefix() + nft_tool + " -f " + path);
    std::remove(path.c_str());
    if (!loaded)
      throw std::runtime_error("nft refused in " + name_ + ":\n" + ruleset);
  }

  /// Adds the table of `loss` (one per namespace).
  void add_random_loss(const random_loss& loss) {
    load_nft(random_loss_ruleset(loss));
    loss_family_ = loss.family;
  }

  /// Packets the rule of add_random_loss dropped so far, -1 if unknown.
  long dropped() const {
    if (loss_family_.empty())
      return -1;
    auto listing
      = command_output(exec_prefix() + nft_tool + " list table " + loss_family_ + " rpcnet_loss");
    auto at = listing.find("packets ");
    return at == std::string::npos ? -1 : std::strtol(listing.c_str() + at + 8, nullptr, 10);
  }

private:
  std::string name_;
  bool created_ = false;
  std::string loss_family_;
};

/// Why the namespaces, veth pairs, bridge and bridge-family nft rules of
/// bridged_network cannot be made here, nullopt if they can: tried once
/// on a namespace of its own.
inline std::optional<std::string> bridged_networks_unavailable() {
  if (geteuid() != 0)
    return "network namespaces need root (running as uid " + std::to_string(geteuid()) + ")";
  if (access(ip_tool.c_str(), X_OK) != 0)
    return ip_tool + " (iproute2) is missing";
  if (access(nft_tool.c_str(), X_OK) != 0)
    return nft_tool + " (nftables) is missing";
  auto name = "rpcnet-probe-" + std::to_string(getpid());
  auto tried = [&](const std::string& command) { return run_command(command + " >/dev/null 2>&1"); };
  if (!tried(ip_tool + " netns add " + name))
    return "'ip netns add' fails (no permission to make network namespaces?)";
  std::optional<std::string> why;
  if (!tried(ip_tool + " -n " + name + " link add br0 type bridge"))
    why = "cannot make a bridge in a network namespace";
  else if (!tried(ip_tool + " -n " + name + " link add v0 type veth peer name v1"))
    why = "cannot make a veth pair in a network namespace";
  else if (!tried("echo 'table bridge rpcnet_probe { chain c { type filter hook forward priority "
                  "0; policy accept; numgen random mod 100 < 5 counter drop; }; }' | "
                  + ip_tool + " netns exec " + name + " " + nft_tool + " -f -"))
    why = "nftables refuses a bridge-family table with numgen (kernel without nf_tables_bridge?)";
  tried(ip_tool + " netns del " + name);
  return why;
}

/// Namespaces joined by a bridge: the bridge "br0" in a namespace of its
/// own, PREFIX + "br", and each node in PREFIX + node with an "eth0" whose
/// peer ("v" + node) is a port of the bridge, addressed SUBNET.host/24.
/// Nodes reach each other over the bridge only: there is no route between
/// them but eth0.
class bridged_network {
public:
  /// `subnet`: the first three numbers of a private /24, "10.77.0".
  bridged_network(std::string prefix, std::string subnet)
    : prefix_(std::move(prefix)), subnet_(std::move(subnet)), bridge_(prefix_ + "br") {
    bridge_.bring_up_loopback();
    bridge_.ip("link add br0 type bridge");
    bridge_.ip("link set br0 up");
  }

  bridged_network(const bridged_network&) = delete;
  bridged_network& operator=(const bridged_network&) = delete;

  /// A node's namespace at SUBNET.host, its link up.
  network_namespace& add_node(const std::string& node, int host) {
    auto port = "v" + node;
    if (port.size() > 15)
      throw std::invalid_argument("node name too long for an interface name: " + node);
    auto ns = std::make_unique<network_namespace>(prefix_ + node);
    bridge_.ip("link add " + port + " type veth peer name eth0 netns " + ns->name());
    bridge_.ip("link set " + port + " master br0 up");
    ns->ip("addr add " + subnet_ + "." + std::to_string(host) + "/24 dev eth0");
    ns->ip("link set eth0 up");
    ns->bring_up_loopback();
    addresses_[node] = subnet_ + "." + std::to_string(host);
    auto& made = *ns;
    nodes_[node] = std::move(ns);
    return made;
  }

  network_namespace& node(const std::string& name) {
    return *nodes_.at(name);
  }

  /// The node's address on the bridge, "10.77.0.11".
  const std::string& address_of(const std::string& node) const {
    return addresses_.at(node);
  }

  /// The namespace holding the bridge: every datagram between two nodes
  /// crosses it once.
  network_namespace& bridge() {
    return bridge_;
  }

private:
  std::string prefix_;
  std::string subnet_;
  network_namespace bridge_;
  std::map<std::string, std::unique_ptr<network_namespace>> nodes_;
  std::map<std::string, std::string> addresses_;
};

/// One IPv4 UDP datagram a capture saw (or a later fragment of one: its
/// ports are then 0 and its payload the fragment's).
struct captured_datagram {
  std::string source;
  std::string destination;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  std::string payload;
};

/// Captures the IPv4 UDP datagrams received on every interface of a
/// namespace from construction to stop(), on a thread of its own that
/// entered the namespace (setns changes only the calling thread's). On a
/// bridge's namespace each datagram is seen once, as it enters the bridge
/// from its sender's port (what the bridge sends out is not kept).
class udp_capture {
public:
  explicit udp_capture(const std::string& namespace_name) {
    std::promise<std::string> opened;
    auto ready = opened.get_future();
    thread_ = std::thread{[this, namespace_name, &opened] { capture(namespace_name, opened); }};
    auto error = ready.get();
    if (!error.empty()) {
      thread_.join();
      throw std::runtime_error("capture in " + namespace_name + ": " + error);
    }
  }

  udp_capture(const udp_capture&) = delete;
  udp_capture& operator=(const udp_capture&) = delete;

  ~udp_capture() {
    stop();
  }

  /// Ends the capture; what it saw.
  std::vector<captured_datagram> stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
    std::lock_guard<std::mutex> guard{mtx_};
    return seen_;
  }

private:
  void capture(const std::string& namespace_name, std::promise<std::string>& opened) {
    auto path = "/run/netns/" + namespace_name;
    int ns = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      opened.set_value("open " + path + ": " + std::strerror(errno));
      return;
    }
    auto entered = setns(ns, CLONE_NEWNET);
    ::close(ns);
    if (entered != 0) {
      opened.set_value(std::string{"setns: "} + std::strerror(errno));
      return;
    }
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
      opened.set_value(std::string{"AF_PACKET socket: "} + std::strerror(errno));
      return;
    }
    opened.set_value("");
    std::vector<uint8_t> frame(65536);
    while (!stopping_) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0)
        continue;
      sockaddr_ll from{};
      socklen_t len = sizeof from;
      auto n = recvfrom(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&from),
                        &len);
      if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
        continue;
      if (auto dg = parse(frame.data(), static_cast<size_t>(n))) {
        std::lock_guard<std::mutex> guard{mtx_};
        seen_.push_back(std::move(*dg));
      }
    }
    ::close(fd);
  }

  /// The IPv4 UDP datagram in an Ethernet frame.
  static std::optional<captured_datagram> parse(const uint8_t* frame, size_t size) {
    if (size < sizeof(ether_header) + sizeof(iphdr))
      return std::nullopt;
    ether_header eth;
    std::memcpy(&eth, frame, sizeof eth);
    if (ntohs(eth.ether_type) != ETHERTYPE_IP)
      return std::nullopt;
    const uint8_t* packet = frame + sizeof eth;
    size_t left = size - sizeof eth;
    iphdr ip;
    std::memcpy(&ip, packet, sizeof ip);
    size_t header = ip.ihl * 4u;
    size_t total = std::min<size_t>(ntohs(ip.tot_len), left);
    if (ip.protocol != IPPROTO_UDP || header < sizeof ip || total < header)
      return std::nullopt;
    captured_datagram dg;
    char text[INET_ADDRSTRLEN];
    dg.source = inet_ntop(AF_INET, &ip.saddr, text, sizeof text);
    dg.destination = inet_ntop(AF_INET, &ip.daddr, text, sizeof text);
    const uint8_t* data = packet + header;
    size_t data_size = total - header;
    bool first_fragment = (ntohs(ip.frag_off) & IP_OFFMASK) == 0;
    if (first_fragment) {
      if (data_size < sizeof(udphdr))
        return std::nullopt;
      udphdr udp;
      std::memcpy(&udp, data, sizeof udp);
      dg.source_port = ntohs(udp.source);
      dg.destination_port = ntohs(udp.dest);
      data += sizeof udp;
      data_size -= sizeof udp;
    }
    dg.payload.assign(reinterpret_cast<const char*>(data), data_size);
    return dg;
  }

  std::atomic<bool> stopping_{false};
  std::mutex mtx_;
  std::vector<captured_datagram> seen_;
  std::thread thread_;
};

} // namespace rpcnet::test
