// The director's live dashboard (the page at / of its admin address) in a
// real headless Chromium, on a real cluster under load: the page lists the
// workers and the members, shows calls per second, and marks a worker
// killed with kill -9 as failed. A screenshot of it is kept in
// test-artifacts/dashboard.png for a person to look at.
//
// Chromium is driven over its DevTools pipe rather than with --dump-dom:
// under --virtual-time-budget the page's polling runs, but virtual time
// jumps from poll to poll, so two polls lie milliseconds of real time apart
// and the calls per second the page computes from the director's clock are
// 0 or a spike. Over the pipe the page runs in real time, as a person sees
// it, and the test reads it whenever it needs to.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "eventually.hpp"
#include "http_get.hpp"
#include "rpcnet_processes.hpp"

using namespace std::chrono_literals;
using namespace rpcnet::test;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

/// Headless Chromium with one page, driven over --remote-debugging-pipe:
/// DevTools commands go in on its fd 3 and answers and events come out on
/// its fd 4, each a JSON text ended by a NUL. Both are one end of a socket
/// pair, so no chromedriver and no websocket stand between the test and the
/// browser. Closed with the test however it ends.
class headless_chromium {
public:
  // -- constructors, destructors ----------------------------------------------

  /// Starts Chromium and loads `url` in a page of `width` x `height` CSS
  /// pixels.
  headless_chromium(const std::string& url, int width, int height) {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
      throw std::runtime_error("socketpair failed");
    socket_.emplace(ends[0]);
    // Chromium's end reaches fds 3 and 4 by a shell redirection: moved above
    // 9 first, so that writing 3 and 4 cannot overwrite it (and so bash,
    // whose redirections take such numbers; dash's do not), and without
    // close-on-exec so that the shell inherits it. Closed here once it did.
    int theirs = fcntl(ends[1], F_DUPFD, 10);
    close(ends[1]);
    auto n = std::to_string(theirs);
    process_ = std::make_unique<child_process>(
      "/bin/bash",
      std::vector<std::string>{"-c",
                               "exec \"$0\" \"$@\" 3<&" + n + " 4>&" + n + " " + n + "<&- >'"
                                 + log_file() + "' 2>&1",
                               "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                               "--user-data-dir=" + profile_.file("profile"),
                               "--remote-debugging-pipe"});
    close(theirs);
    auto target = call("Target.createTarget", {{"url", "about:blank"}});
    session_ = call("Target.attachToTarget",
                    {{"targetId", target.at("targetId")}, {"flatten", true}})
                 .at("sessionId")
                 .get<std::string>();
    call_on_page("Page.enable", json::object());
    call_on_page("Emulation.setDeviceMetricsOverride",
                 {{"width", width}, {"height", height}, {"deviceScaleFactor", 1},
                  {"mobile", false}});
    call_on_page("Page.navigate", {{"url", url}});
    wait_for_event("Page.loadEventFired");
  }

  ~headless_chromium() {
    // Closing lets Chromium end its renderer and GPU processes itself;
    // child_process kills what did not exit.
    auto close_browser = json{{"id", ++last_id_}, {"method", "Browser.close"}}.dump();
    send(fd(), close_browser.c_str(), close_browser.size() + 1, MSG_NOSIGNAL);
    process_->wait_exit(5s);
  }

  headless_chromium(const headless_chromium&) = delete;
  headless_chromium& operator=(const headless_chromium&) = delete;

  // -- the page ---------------------------------------------------------------

  /// The value of `expression` on the page (a promise is awaited).
  json evaluate(const std::string& expression) {
    auto answer = call_on_page("Runtime.evaluate", {{"expression", expression},
                                                    {"returnByValue", true},
                                                    {"awaitPromise", true}});
    if (answer.contains("exceptionDetails"))
      throw std::runtime_error("the page threw: " + answer["exceptionDetails"].dump());
    return answer.at("result").value("value", json{});
  }

  /// The page as it looks now, as PNG bytes.
  std::vector<uint8_t> screenshot() {
    auto data = call_on_page("Page.captureScreenshot", {{"format", "png"}})
                  .at("data")
                  .get<std::string>();
    // DevTools sends the standard alphabet, padded; the CLI decodes the
    // URL-safe one without padding.
    std::replace(data.begin(), data.end(), '+', '-');
    std::replace(data.begin(), data.end(), '/', '_');
    data.erase(data.find_last_not_of('=') + 1);
    auto png = rpcnet::cli::decode_base64url(data);
    if (!png)
      throw std::runtime_error("Page.captureScreenshot sent no base64");
    return *png;
  }

private:
  // -- the pipe ---------------------------------------------------------------

  /// Where Chromium's stdout and stderr go: read back when it does not
  /// answer, and out of the test's log otherwise (it complains of a missing
  /// D-Bus on every start).
  std::string log_file() const {
    return profile_.file("chromium.log");
  }

  int fd() const noexcept {
    return socket_->get();
  }

  /// Sends `method` to the browser (or to the page's session) and returns
  /// its result; throws when it fails or no answer comes within 20 s (a
  /// first command waits for Chromium to start on a busy machine).
  json call(const std::string& method, json params, const std::string& session = {}) {
    json command{{"id", ++last_id_}, {"method", method}, {"params", std::move(params)}};
    if (!session.empty())
      command["sessionId"] = session;
    auto text = command.dump();
    text.push_back('\0');
    for (size_t sent = 0; sent < text.size();) {
      auto n = send(fd(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail("cannot send " + method);
      sent += static_cast<size_t>(n);
    }
    auto deadline = clock_type::now() + 20s;
    for (;;) {
      auto message = next_message(deadline, method);
      if (message.value("id", int64_t{0}) != last_id_) {
        if (message.contains("method"))
          events_.push_back(message["method"].get<std::string>());
        continue;
      }
      if (message.contains("error"))
        fail(method + " failed: " + message["error"].dump());
      return message.value("result", json::object());
    }
  }

  json call_on_page(const std::string& method, json params) {
    return call(method, std::move(params), session_);
  }

  /// Waits until the page sent event `method` (or had sent it).
  void wait_for_event(const std::string& method) {
    auto deadline = clock_type::now() + 20s;
    while (std::find(events_.begin(), events_.end(), method) == events_.end()) {
      auto message = next_message(deadline, method);
      if (message.contains("method"))
        events_.push_back(message["method"].get<std::string>());
    }
  }

  /// The next message from Chromium; throws at `deadline` (while waiting
  /// for `what`) or when it closed the pipe.
  json next_message(clock_type::time_point deadline, const std::string& what) {
    for (auto end = pending_.find('\0'); end == std::string::npos; end = pending_.find('\0')) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                         - clock_type::now());
      pollfd pfd{fd(), POLLIN, 0};
      int ready = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready <= 0)
        fail("no answer to " + what + " in time");
      char buffer[65536];
      auto n = recv(fd(), buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail("Chromium closed its DevTools pipe while waiting for " + what);
      pending_.append(buffer, static_cast<size_t>(n));
    }
    auto end = pending_.find('\0');
    auto message = json::parse(pending_.substr(0, end));
    pending_.erase(0, end + 1);
    return message;
  }

  /// Throws `why` with what Chromium logged.
  [[noreturn]] void fail(const std::string& why) const {
    std::ifstream in{log_file()};
    std::string log{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    throw std::runtime_error("Chromium: " + why + "; its log:\n" + log);
  }

  // -- member variables -------------------------------------------------------

  /// The profile and the log; removed after the browser is gone.
  temp_dir profile_;
  /// The test's end of the DevTools pipe.
  std::optional<owned_socket> socket_;
  std::unique_ptr<child_process> process_;
  /// The DevTools session attached to the page.
  std::string session_;
  /// Received bytes after the last whole message.
  std::string pending_;
  int64_t last_id_ = 0;
  /// Names of the events received so far.
  std::vector<std::string> events_;
};

/// What the dashboard shows, read from its DOM by the element ids and data
/// attributes it documents.
struct dashboard_view {
  /// #status[data-ok]: the page's last poll of /api/cluster succeeded.
  bool live = false;
  /// The #calls-per-second figure.
  double calls_per_second = 0;
  /// data-state of each #members row, by its data-id (a node id).
  std::map<std::string, std::string> member_states;
  /// The label in each #workers row, by its data-id.
  std::map<std::string, std::string> worker_labels;
  /// data-kind of each #events item.
  std::vector<std::string> event_kinds;
};

/// The page after its next poll has rendered (its render changes the DOM
/// every second, if only the "updated" time; the observer runs once the
/// render is over), or after 3 s without a change.
const std::string read_dashboard = R"js(
new Promise((resolve) => {
  const done = () => { observer.disconnect(); clearTimeout(timer); resolve(); };
  const observer = new MutationObserver(done);
  const timer = setTimeout(done, 3000);
  observer.observe(document.body,
                   { subtree: true, childList: true, characterData: true, attributes: true });
}).then(() => {
  const rows = (table) => Array.from(document.querySelectorAll('#' + table + ' tbody tr'));
  return {
    live: document.getElementById('status').dataset.ok === 'true',
    callsPerSecond: document.getElementById('calls-per-second').textContent,
    members: rows('members').map((tr) => [tr.dataset.id, tr.dataset.state]),
    workers: rows('workers').map((tr) => [tr.dataset.id, tr.cells[0].textContent]),
    events: Array.from(document.querySelectorAll('#events li')).map((li) => li.dataset.kind),
  };
}))js";

dashboard_view view_of(headless_chromium& browser) {
  auto page = browser.evaluate(read_dashboard);
  dashboard_view view;
  view.live = page.at("live").get<bool>();
  auto figure = page.at("callsPerSecond").get<std::string>();
  char* end = nullptr;
  view.calls_per_second = std::strtod(figure.c_str(), &end);
  if (figure.empty() || *end != '\0')
    throw std::runtime_error("#calls-per-second is not a number: '" + figure + "'");
  for (const auto& row : page.at("members"))
    view.member_states[row.at(0).get<std::string>()] = row.at(1).get<std::string>();
  for (const auto& row : page.at("workers"))
    view.worker_labels[row.at(0).get<std::string>()] = row.at(1).get<std::string>();
  view.event_kinds = page.at("events").get<std::vector<std::string>>();
  return view;
}

std::ostream& operator<<(std::ostream& out, const dashboard_view& view) {
  out << "live=" << view.live << " calls/s=" << view.calls_per_second << " members:";
  for (const auto& [id, state] : view.member_states)
    out << ' ' << id.substr(0, 8) << '=' << state;
  out << " workers:";
  for (const auto& [id, label] : view.worker_labels)
    out << ' ' << id.substr(0, 8) << '=' << label;
  return out;
}

/// What `map` holds for `key`, "" if nothing.
std::string entry(const std::map<std::string, std::string>& map, const std::string& key) {
  auto it = map.find(key);
  return it != map.end() ? it->second : std::string{};
}

/// The node id the director logged for `label` when it joined ("cluster
/// event joined: LABEL ID at ADDRESS").
std::string joined_id(child_process& director, const std::string& label) {
  auto marker = "cluster event joined: " + label + " ";
  auto line = wait_for_text(director, marker, 10s);
  REQUIRE(line);
  auto from = line->find(marker) + marker.size();
  return line->substr(from, line->find(' ', from) - from);
}

/// PNG's signature, then the IHDR chunk's big-endian width and height.
bool is_png_of_size(const std::vector<uint8_t>& png, uint32_t width, uint32_t height) {
  static constexpr uint8_t signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto be32 = [&](size_t at) {
    return uint32_t{png[at]} << 24 | uint32_t{png[at + 1]} << 16 | uint32_t{png[at + 2]} << 8
           | uint32_t{png[at + 3]};
  };
  return png.size() > 24 && std::equal(std::begin(signature), std::end(signature), png.begin())
         && be32(16) == width && be32(20) == height;
}

} // namespace

TEST_CASE("the dashboard in headless chromium lists the workers and members as alive and shows "
          "calls per second under load and a worker killed with kill -9 as failed",
          "[operator]") {
  test_cluster cluster;
  auto admin = loopback(logged_port(cluster.start_director({"--metrics-address", "127.0.0.1:0"}),
                                    "admin HTTP at http://127.0.0.1:"));
  cluster.start_worker("worker-a");
  cluster.start_worker("worker-b");
  auto worker_a = joined_id(cluster.director(), "worker-a");
  auto worker_b = joined_id(cluster.director(), "worker-b");

  headless_chromium browser{"http://" + admin + "/", 1280, 900};
  dashboard_view view;
  auto listed = eventually(
    [&] {
      view = view_of(browser);
      return view.live && entry(view.worker_labels, worker_a) == "worker-a"
             && entry(view.worker_labels, worker_b) == "worker-b"
             && entry(view.member_states, worker_a) == "alive"
             && entry(view.member_states, worker_b) == "alive";
    },
    15s);
  auto idle = view.calls_per_second;
  {
    INFO("the dashboard shows " << view);
    REQUIRE(listed); // both workers listed and alive within 15 s
    // The director and the two workers, all alive, and no calls yet.
    CHECK(view.member_states.size() == 3);
    CHECK(std::all_of(view.member_states.begin(), view.member_states.end(),
                      [](const auto& member) { return member.second == "alive"; }));
    CHECK(idle == 0);
  }

  // Each task asks the director for a worker again, so each is a call the
  // director's registry sees end.
  auto client = cluster.client({});
  REQUIRE(wait_for_text(*client, "completed by", 15s));
  auto busy = eventually(
    [&] {
      view = view_of(browser);
      return view.calls_per_second > idle;
    },
    15s);
  {
    INFO("calls per second did not rise above " << idle << " within 15 s of load: " << view);
    REQUIRE(busy);
  }
  std::cout << "dashboard: " << view.calls_per_second << " calls/s under load (" << idle
            << " before)\n";

  cluster.worker("worker-a").kill(SIGKILL);
  auto killed = clock_type::now();
  auto failed = eventually(
    [&] {
      view = view_of(browser);
      return entry(view.member_states, worker_a) == "failed";
    },
    10s);
  {
    INFO("worker-a was not shown as failed within 10 s of kill -9: " << view);
    REQUIRE(failed);
  }
  std::cout << "dashboard: worker-a failed " << elapsed_ms(killed) << " ms after kill -9\n";
  CHECK(entry(view.member_states, worker_b) == "alive");
  CHECK(std::count(view.event_kinds.begin(), view.event_kinds.end(), "failed") == 1);

  std::filesystem::create_directories(RPCNET_TEST_ARTIFACTS);
  auto path = std::string{RPCNET_TEST_ARTIFACTS} + "/dashboard.png";
  auto png = browser.screenshot();
  std::ofstream{path, std::ios::binary}.write(reinterpret_cast<const char*>(png.data()),
                                              static_cast<std::streamsize>(png.size()));
  std::ifstream written{path, std::ios::binary};
  std::vector<uint8_t> kept{std::istreambuf_iterator<char>{written},
                            std::istreambuf_iterator<char>{}};
  INFO(path << " is not the 1280x900 PNG of the page");
  CHECK(is_png_of_size(kept, 1280, 900));
  std::cout << "dashboard: screenshot in " << path << " (" << kept.size() << " bytes)\n";
}
