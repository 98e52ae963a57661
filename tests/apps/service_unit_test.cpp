// The director's and the workers' systemd units (packaging/systemd/) and
// the sd_notify protocol the CLI speaks to them. The units must pass
// `systemd-analyze verify`, and broken copies must fail it, so the check is
// known to read them. The nodes, real processes on loopback with
// NOTIFY_SOCKET naming a socket of the test's, send READY=1 with their pid
// as MAINPID once they serve and STOPPING=1 when SIGTERM makes them leave,
// then exit 0.
//
// The units verified are test copies made from the same templates with
// ExecStart naming the built rpcnet (tests/apps/CMakeLists.txt): verify
// refuses a unit whose program does not exist.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "rpcnet_processes.hpp"
#include "service_manager.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;

namespace {

const std::string units_dir = RPCNET_TEST_UNITS_DIR;

std::string read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `text` with its one occurrence of `from` replaced by `to`.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  return text.replace(at, from.size(), to);
}

// -- systemd-analyze verify ---------------------------------------------------

/// What `systemd-analyze verify` said about one unit.
struct verification {
  std::optional<int> exit_code;
  std::vector<std::string> output;
  /// The lines that name the unit (its file or an instance of it).
  std::vector<std::string> complaints;

  /// Exit 0 and nothing said about the unit. verify exits 0 on what it
  /// ignores with a warning (an unknown key, a bad value), so its output
  /// counts as much as its exit code.
  bool passed() const {
    return exit_code == 0 && complaints.empty();
  }

  std::string describe() const {
    std::string text = "exit " + (exit_code ? std::to_string(*exit_code) : "none") + "\n";
    for (const auto& line : output)
      text += "  " + line + "\n";
    return text;
  }
};

/// Verifies the unit at `path` (a worker as an instance,
/// ".../rpcnet-worker@a.service", which systemd loads from the template
/// beside it), counting the lines that contain `names_unit`. systemd-analyze
/// verify loads the unit into a manager of its own in test mode, so it needs
/// no systemd as PID 1 (nor --root) and works in a container; --man=no,
/// since the units name no man pages. SYSTEMD_LOG_LEVEL=info keeps the
/// warnings an environment's lower level would hide.
verification verify(const std::string& path, const std::string& names_unit) {
  child_process proc{"/bin/sh",
                     {"-c", "exec \"$0\" \"$@\" 2>&1", "/usr/bin/env", "SYSTEMD_LOG_LEVEL=info",
                      SYSTEMD_ANALYZE, "verify", "--man=no", path}};
  verification result;
  result.exit_code = proc.wait_exit(30s);
  proc.drain();
  result.output = proc.lines();
  for (const auto& line : result.output)
    if (line.find(names_unit) != std::string::npos)
      result.complaints.push_back(line);
  return result;
}

// -- the notification socket --------------------------------------------------

/// One sd_notify datagram: its assignments, and the pid the kernel says
/// sent it.
struct notification {
  std::map<std::string, std::string> fields;
  pid_t sender = 0;
  std::string text;
};

/// An AF_UNIX datagram socket in a temporary directory of its own, as
/// systemd's NOTIFY_SOCKET is for a Type=notify service. SO_PASSCRED makes
/// the kernel attach each sender's pid, so the test knows who sent what
/// without trusting what the datagram says.
class notify_socket {
public:
  notify_socket() : path_(dir_.file("notify.sock")) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    path_.copy(addr.sun_path, path_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    int on = 1;
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
  }

  ~notify_socket() {
    ::close(fd_);
  }

  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::string& path() const noexcept {
    return path_;
  }

  /// The next datagram, waiting up to `timeout`; nullopt if none came.
  std::optional<notification> receive(std::chrono::milliseconds timeout) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0)
      return std::nullopt;
    char data[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    auto n = ::recvmsg(fd_, &msg, 0);
    REQUIRE(n >= 0);
    notification note;
    note.text.assign(data, static_cast<size_t>(n));
    for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        note.sender = cred.pid;
      }
    std::istringstream lines{note.text};
    for (std::string line; std::getline(lines, line);)
      if (auto eq = line.find('='); eq != std::string::npos)
        note.fields[line.substr(0, eq)] = line.substr(eq + 1);
    return note;
  }

  /// The next datagram with `key`=`value`, skipping others, within `timeout`.
  std::optional<notification> wait_for(const std::string& key, const std::string& value,
                                       std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      auto note = receive(std::max(left, 0ms));
      if (!note)
        return std::nullopt;
      auto found = note->fields.find(key);
      if (found != note->fields.end() && found->second == value)
        return note;
    }
  }

private:
  temp_dir dir_;
  std::string path_;
  int fd_ = -1;
};

/// NOTIFY_SOCKET set in this process for a scope: the nodes test_cluster
/// starts inherit it, as a service inherits it from systemd. The test runs
/// no threads of its own, so changing the environment is safe.
class scoped_notify_socket {
public:
  explicit scoped_notify_socket(const std::string& path) {
    REQUIRE(::setenv("NOTIFY_SOCKET", path.c_str(), 1) == 0);
  }
  ~scoped_notify_socket() {
    ::unsetenv("NOTIFY_SOCKET");
  }
  scoped_notify_socket(const scoped_notify_socket&) = delete;
  scoped_notify_socket& operator=(const scoped_notify_socket&) = delete;
};

/// Whether `pid` is a child of this test running the rpcnet CLI: the process
/// the test started, not a shell or env in between.
bool is_rpcnet_child(pid_t pid) {
  auto proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink(proc + "/exe", ec);
  if (ec || exe != std::filesystem::canonical(rpcnet_cli))
    return false;
  std::ifstream status{proc + "/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("PPid:", 0) == 0)
      return std::stol(line.substr(5)) == ::getpid();
  return false;
}

/// READY=1 from the node, naming itself as MAINPID and, as its STATUS,
/// `status`.
void require_ready(notify_socket& sock, const std::string& status) {
  auto ready = sock.wait_for("READY", "1", 10s);
  REQUIRE(ready);
  INFO("READY datagram: " << ready->text);
  REQUIRE(ready->fields.count("MAINPID") == 1);
  CHECK(std::stol(ready->fields.at("MAINPID")) == ready->sender);
  CHECK(is_rpcnet_child(ready->sender));
  CHECK(ready->fields["STATUS"] == status);
}

/// SIGTERM: STOPPING=1 from the node, then exit 0, each within a bound.
void require_stops_on_sigterm(notify_socket& sock, child_process& node) {
  node.kill(SIGTERM);
  auto stopping = sock.wait_for("STOPPING", "1", 10s);
  REQUIRE(stopping);
  CHECK(is_rpcnet_child(stopping->sender));
  CHECK(node.wait_exit(15s) == 0);
}

} // namespace

TEST_CASE("the units pass systemd-analyze verify and broken copies fail it", "[service]") {
  const std::string worker_file = "rpcnet-worker@.service";
  auto director = read_text(units_dir + "/rpcnet-director.service");
  auto worker = read_text(units_dir + "/" + worker_file);
  // What is verified runs the program under test.
  REQUIRE(director.find("\nExecStart=" + rpcnet_cli + " director --config ") != std::string::npos);
  REQUIRE(worker.find("\nExecStart=" + rpcnet_cli + " worker --config ") != std::string::npos);

  auto good_director = verify(units_dir + "/rpcnet-director.service", "rpcnet-director");
  INFO("verify rpcnet-director.service: " << good_director.describe());
  CHECK(good_director.passed());
  auto good_worker = verify(units_dir + "/rpcnet-worker@a.service", "rpcnet-worker@");
  INFO("verify rpcnet-worker@a.service: " << good_worker.describe());
  CHECK(good_worker.passed());

  // Each mistake in a copy of the worker's unit, verified the same way.
  struct mistake {
    const char* what;
    std::string unit;
  };
  std::vector<mistake> mistakes{
    {"a misspelled directive", replace_once(worker, "\nProtectSystem=", "\nProtectSytem=")},
    {"Type=bogus", replace_once(worker, "\nType=notify\n", "\nType=bogus\n")},
    {"a missing program",
     replace_once(worker, "\nExecStart=" + rpcnet_cli, "\nExecStart=/nonexistent/rpcnet")},
  };
  for (const auto& m : mistakes) {
    temp_dir broken;
    broken.write(worker_file, m.unit);
    auto result = verify(broken.file("rpcnet-worker@a.service"), "rpcnet-worker@");
    INFO("verify with " << m.what << ": " << result.describe());
    CHECK_FALSE(result.passed());
  }
}

TEST_CASE("notify_ready sends READY and STATUS and MAINPID in one datagram", "[service]") {
  notify_socket sock;
  scoped_notify_socket env{sock.path()};
  // A newline in a status would start an assignment of its own.
  rpcnet::cli::notify_ready("serving at 127.0.0.1:1\nREADY=0");
  auto ready = sock.receive(5s);
  REQUIRE(ready);
  CHECK(ready->text
        == "READY=1\nSTATUS=serving at 127.0.0.1:1 READY=0\nMAINPID=" + std::to_string(getpid()));
  rpcnet::cli::notify_status("draining");
  auto status = sock.receive(5s);
  REQUIRE(status);
  CHECK(status->text == "STATUS=draining");
  rpcnet::cli::notify_stopping();
  auto stopping = sock.receive(5s);
  REQUIRE(stopping);
  CHECK(stopping->text == "STOPPING=1");
}

TEST_CASE("a director notifies READY once it serves and STOPPING on SIGTERM", "[service]") {
  notify_socket sock;
  test_cluster cluster;
  {
    scoped_notify_socket env{sock.path()};
    cluster.start_director();
  }
  require_ready(sock, "serving at " + cluster.director_addr());
  require_stops_on_sigterm(sock, cluster.director());
}

TEST_CASE("a worker notifies READY once it joined and STOPPING on SIGTERM",
          "[service]") {
  test_cluster cluster;
  cluster.start_director();
  notify_socket sock;
  {
    scoped_notify_socket env{sock.path()};
    cluster.start_worker("a");
  }
  // A worker is ready once it is in the cluster, not once it listens: its
  // join line was written before READY was sent.
  require_ready(sock, "serving at " + cluster.address_of("a") + ", joined");
  REQUIRE(wait_for_text(cluster.worker("a"), "joined cluster with role=worker", 0s));
  require_stops_on_sigterm(sock, cluster.worker("a"));
  CHECK(wait_for_text(cluster.director(), "cluster event left: a ", 10s));
}
