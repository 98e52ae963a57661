// rpcnet::in_process_hub (actors/src/in_process_transport.hpp) driven
// directly: the test submits the transport commands a connection actor
// would, and recording actors stand in for the connection actors, logging
// every connection_ready, connection_batch and connection_closed they get.
//
// in_process_test.cpp proves that calls work over the hub; a call that
// breaks there only hangs or fails. These tests pin down, one rule at a
// time, what the hub copies from the QUIC connection and what the actors
// above rely on: framing checks at the receiver, per-stream credit and
// progress, resets, stop-reading, the server's stream limit, and the
// reasons a connection closes with.
//
// Events reach each owner in the order the hub sent them (it sends under
// its lock, in order, before submit() returns). So an absence is proved by
// running something later through the same owner -- barrier() -- and then
// looking at what arrived before it; no test sleeps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "in_process_transport.hpp"

using namespace rpcnet;
using namespace std::chrono_literals;

namespace {

constexpr int client = in_process_hub::client;
constexpr int server = in_process_hub::server;

/// Every close is reported with this rpcnet::error code, whatever its cause.
constexpr auto connection_code = static_cast<uint8_t>(error::connection);

/// How long any one expected event may take. The hub has no thread: an
/// event is one mailbox hop away, so this only bounds a failing test.
constexpr auto patience = 5s;

using strings = std::vector<std::string>;

// -- frames -----------------------------------------------------------------------

/// Each payload as a frame, then the end frame unless `end` is false.
byte_buffer framed(std::initializer_list<std::string_view> payloads, bool end = true) {
  byte_buffer out;
  for (auto payload : payloads)
    frame_encoder::append(out, to_bytes(payload));
  if (end)
    frame_encoder::append_end(out);
  return out;
}

/// `count` frames of `size` bytes of `fill`, without an end frame.
byte_buffer frames_of(size_t count, size_t size, char fill) {
  byte_buffer out;
  std::string payload(size, fill);
  for (size_t i = 0; i < count; ++i)
    frame_encoder::append(out, to_bytes(payload));
  return out;
}

byte_buffer joined(byte_buffer head, const byte_buffer& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// -- what the owners receive ------------------------------------------------------

/// One thing an owner received: a connection's start or end, or one stream
/// event out of a batch (batches are flattened; their bounds do not matter).
struct entry {
  enum class type { ready, event, closed };
  type what = type::event;
  connection_id conn = 0;
  stream_event event;
  std::string peer; // ready
  uint8_t code = 0; // closed
  std::string reason;
};

const char* kind_name(stream_event::kind what) {
  switch (what) {
    case stream_event::kind::frames: return "frames";
    case stream_event::kind::reset: return "reset";
    case stream_event::kind::protocol_error: return "protocol_error";
    case stream_event::kind::progress: return "progress";
    case stream_event::kind::refused: return "refused";
  }
  return "?";
}

/// A log as text, for the message of a wait that timed out.
std::string dump(const std::vector<entry>& log) {
  std::ostringstream out;
  for (const auto& e : log) {
    out << "  conn " << e.conn << ": ";
    switch (e.what) {
      case entry::type::ready: out << "ready, peer " << e.peer; break;
      case entry::type::closed:
        out << "closed, code " << int{e.code} << ", \"" << e.reason << "\"";
        break;
      case entry::type::event: {
        const auto& ev = e.event;
        out << "stream " << ev.stream_id << " token " << ev.token << " " << kind_name(ev.what);
        for (const auto& f : ev.frames)
          out << " [" << f.size() << " B \"" << as_string_view(f).substr(0, 16) << "\"]";
        if (ev.finished)
          out << " finished";
        if (ev.what == stream_event::kind::reset)
          out << " code " << ev.app_code;
        if (ev.what == stream_event::kind::progress)
          out << " acked " << ev.acked;
        if (!ev.detail.empty())
          out << " \"" << ev.detail << "\"";
        break;
      }
    }
    out << "\n";
  }
  return out.str();
}

/// The two owners' logs, and the server sides the accept handler was given.
struct journal {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<entry> log[2];
  std::map<connection_id, std::shared_ptr<call_transport>> server_sides;
  /// Every recorder spawned, so that none outlives its test.
  std::vector<caf::actor> recorders;

  void add(int side, std::vector<entry> entries) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      for (auto& e : entries)
        log[side].push_back(std::move(e));
    }
    cv.notify_all();
  }
};

/// Stands in for a connection actor of `side`: logs what it gets, and quits
/// with its connection, as the real ones do, so that the system can end.
caf::behavior recorder(caf::event_based_actor* self, std::shared_ptr<journal> j, int side) {
  return {
    [j, side](connection_ready& msg) {
      entry e;
      e.what = entry::type::ready;
      e.conn = msg.conn;
      e.peer = msg.peer.to_string();
      j->add(side, {std::move(e)});
    },
    [j, side](connection_batch& batch) {
      std::vector<entry> entries;
      for (auto& ev : batch.events) {
        entry e;
        e.conn = batch.conn;
        e.event = std::move(ev);
        entries.push_back(std::move(e));
      }
      // One batch lands in the log at once, as the real actor handles it.
      j->add(side, std::move(entries));
    },
    [self, j, side](connection_closed& msg) {
      entry e;
      e.what = entry::type::closed;
      e.conn = msg.conn;
      e.code = msg.code;
      e.reason = msg.reason;
      j->add(side, {std::move(e)});
      self->quit();
    },
  };
}

/// A stream as one side saw it: a stream id, or (for the client, whose
/// events carry the token it opened with) a token.
struct which {
  int64_t sid = -1;
  uint64_t token = 0;

  bool matches(const stream_event& ev) const {
    return sid >= 0 ? ev.stream_id == sid : ev.token == token;
  }
};

which stream(int64_t sid) {
  return which{sid, 0};
}

which token(uint64_t t) {
  return which{-1, t};
}

/// Everything one side received on one stream, summed over its events.
struct stream_view {
  size_t events = 0;
  strings frames;
  bool finished = false;
  std::vector<int64_t> sids;
  std::vector<uint64_t> tokens;
  std::optional<uint64_t> reset_code;
  strings protocol_errors;
  size_t progress_events = 0;
  uint64_t acked = 0;
  /// Events that arrived after the one that finished the stream.
  size_t after_finish = 0;
};

stream_view view_of(const std::vector<entry>& log, connection_id conn, which w) {
  stream_view v;
  for (const auto& e : log) {
    if (e.what != entry::type::event || e.conn != conn || !w.matches(e.event))
      continue;
    const auto& ev = e.event;
    if (v.finished)
      ++v.after_finish;
    ++v.events;
    if (std::find(v.sids.begin(), v.sids.end(), ev.stream_id) == v.sids.end())
      v.sids.push_back(ev.stream_id);
    if (std::find(v.tokens.begin(), v.tokens.end(), ev.token) == v.tokens.end())
      v.tokens.push_back(ev.token);
    switch (ev.what) {
      case stream_event::kind::frames:
        for (const auto& f : ev.frames)
          v.frames.emplace_back(as_string_view(f));
        v.finished = v.finished || ev.finished;
        break;
      case stream_event::kind::reset: v.reset_code = ev.app_code; break;
      case stream_event::kind::protocol_error: v.protocol_errors.push_back(ev.detail); break;
      case stream_event::kind::progress:
        ++v.progress_events;
        v.acked += ev.acked;
        break;
      case stream_event::kind::refused: break;
    }
  }
  return v;
}

const entry* find_entry(const std::vector<entry>& log, connection_id conn, entry::type what) {
  for (const auto& e : log)
    if (e.conn == conn && e.what == what)
      return &e;
  return nullptr;
}

/// True if any frame `side` received on `conn` holds `text`.
bool saw_frame(const std::vector<entry>& log, connection_id conn, std::string_view text) {
  for (const auto& e : log)
    if (e.what == entry::type::event && e.conn == conn)
      for (const auto& f : e.event.frames)
        if (as_string_view(f) == text)
          return true;
  return false;
}

// -- the fixture ------------------------------------------------------------------

const socket_address server_address = *socket_address::parse("127.0.0.1:0");
const socket_address client_address = *socket_address::parse("10.0.0.7:4242");

/// A hub in a system of its own, one client side, and the recorders.
class hub_fixture {
public:
  explicit hub_fixture(transport_config server_cfg = {}, transport_config client_cfg = {},
                       bool refuse = false)
    : sys_{cfg_}, journal_{std::make_shared<journal>()} {
    // The handler runs on the hub's acceptor, an actor of sys_, so it may
    // spawn into sys_. It holds the journal weakly: the journal holds the
    // server sides, which hold the hub, which holds the handler.
    std::weak_ptr<journal> weak = journal_;
    auto accept = [&sys = sys_, weak, refuse](std::shared_ptr<call_transport> side,
                                              connection_id id,
                                              const socket_address&) -> caf::actor {
      auto j = weak.lock();
      if (!j || refuse)
        return {};
      auto rec = sys.spawn(recorder, j, server);
      std::lock_guard<std::mutex> guard{j->mtx};
      j->server_sides[id] = std::move(side);
      j->recorders.push_back(rec);
      return rec;
    };
    hub_ = in_process_hub::make(sys_, std::move(server_cfg), server_address, accept);
    client_ = hub_->client_side(std::move(client_cfg), client_address, std::nullopt);
  }

  ~hub_fixture() {
    // Ends the acceptor and tells every recorder still connected; the exits
    // catch any recorder a failed test left without a connection_closed.
    hub_->shutdown();
    std::vector<caf::actor> recorders;
    {
      std::lock_guard<std::mutex> guard{journal_->mtx};
      recorders = journal_->recorders;
      journal_->server_sides.clear();
    }
    for (auto& rec : recorders)
      caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    client_.reset();
    hub_.reset();
  }

  hub_fixture(const hub_fixture&) = delete;
  hub_fixture& operator=(const hub_fixture&) = delete;

  in_process_hub& hub() {
    return *hub_;
  }

  /// The client side, e.g. to drop it.
  std::shared_ptr<in_process_side>& client_side() {
    return client_;
  }

  /// Dials from the client side; does not wait for the outcome.
  connection_id dial() {
    auto rec = sys_.spawn(recorder, journal_, client);
    {
      std::lock_guard<std::mutex> guard{journal_->mtx};
      journal_->recorders.push_back(rec);
    }
    return client_->connect(server_address, "x", rec);
  }

  /// Dials and waits until both owners heard connection_ready, which the
  /// client must before it submits (as it waits for a QUIC handshake).
  connection_id connect() {
    auto conn = dial();
    auto ready = [conn](const std::vector<entry>& log) {
      return find_entry(log, conn, entry::type::ready) != nullptr;
    };
    await(server, "connection_ready", ready);
    await(client, "connection_ready", ready);
    return conn;
  }

  void client_submit(transport_command cmd) {
    REQUIRE(client_);
    client_->submit(std::move(cmd));
  }

  void server_submit(connection_id conn, transport_command cmd) {
    std::shared_ptr<call_transport> side;
    {
      std::lock_guard<std::mutex> guard{journal_->mtx};
      if (auto it = journal_->server_sides.find(conn); it != journal_->server_sides.end())
        side = it->second;
    }
    REQUIRE(side);
    side->submit(std::move(cmd));
  }

  /// Waits until `side`'s log satisfies `pred`; fails with the log if it
  /// does not within `patience`.
  void await(int side, const std::string& what,
             const std::function<bool(const std::vector<entry>&)>& pred) {
    std::unique_lock<std::mutex> lock{journal_->mtx};
    const auto& log = journal_->log[side];
    if (journal_->cv.wait_for(lock, patience, [&] { return pred(log); }))
      return;
    auto text = dump(log);
    lock.unlock();
    FAIL("the " << (side == client ? "client" : "server") << " did not get " << what
                << " within " << patience.count() << " s; it got:\n"
                << text);
  }

  /// Waits until what `side` saw of stream `w` satisfies `pred`; returns it.
  stream_view await_stream(int side, connection_id conn, which w, const std::string& what,
                           const std::function<bool(const stream_view&)>& pred) {
    await(side, what,
          [&](const std::vector<entry>& log) { return pred(view_of(log, conn, w)); });
    return seen(side, conn, w);
  }

  /// What `side` saw of stream `w` so far.
  stream_view seen(int side, connection_id conn, which w) {
    std::lock_guard<std::mutex> guard{journal_->mtx};
    return view_of(journal_->log[side], conn, w);
  }

  /// The connection_closed `side` got for `conn`, if it got one.
  std::optional<entry> closed_at(int side, connection_id conn) {
    std::lock_guard<std::mutex> guard{journal_->mtx};
    if (auto* e = find_entry(journal_->log[side], conn, entry::type::closed))
      return *e;
    return std::nullopt;
  }

  std::vector<entry> log(int side) {
    std::lock_guard<std::mutex> guard{journal_->mtx};
    return journal_->log[side];
  }

  /// The stream id of the stream whose first frame the server got was
  /// `first_frame`: the client's events name a stream by its token, the
  /// server's by an id the hub chose.
  int64_t sid_at_server(connection_id conn, std::string_view first_frame) {
    int64_t sid = -1;
    await(server, "a stream starting with \"" + std::string{first_frame} + "\"",
          [&](const std::vector<entry>& log) {
            for (const auto& e : log)
              if (e.what == entry::type::event && e.conn == conn && !e.event.frames.empty()
                  && as_string_view(e.event.frames.front()) == first_frame) {
                sid = e.event.stream_id;
                return true;
              }
            return false;
          });
    return sid;
  }

  /// Runs one more stream through the hub, both ways, and waits for it at
  /// both owners: whatever the hub sent either of them before has arrived
  /// by then, so what did not arrive never will. Takes a stream slot while
  /// it runs, so it needs one free.
  void barrier(connection_id conn) {
    auto n = ++barriers_;
    uint64_t tok = 1'000'000 + n;
    auto text = "barrier " + std::to_string(n);
    client_submit(open_stream_command{.conn = conn, .token = tok, .data = framed({text}),
                                      .fin = true});
    auto sid = sid_at_server(conn, text);
    server_submit(conn, write_stream_command{.conn = conn, .stream_id = sid,
                                             .data = framed({text}), .fin = true});
    await_stream(client, conn, token(tok), text + "'s reply",
                 [](const stream_view& v) { return v.finished; });
  }

private:
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  std::shared_ptr<journal> journal_;
  std::shared_ptr<in_process_hub> hub_;
  std::shared_ptr<in_process_side> client_;
  int barriers_ = 0;
};

bool finished(const stream_view& v) {
  return v.finished;
}

bool got_protocol_error(const stream_view& v) {
  return !v.protocol_errors.empty();
}

bool got_reset(const stream_view& v) {
  return v.reset_code.has_value();
}

/// A log predicate: `conn` was closed.
auto closed(connection_id conn) {
  return [conn](const std::vector<entry>& log) {
    return find_entry(log, conn, entry::type::closed) != nullptr;
  };
}

} // namespace

// -- unary-shaped exchanges -------------------------------------------------------

TEST_CASE("the in-process hub carries a request and its reply as frames and numbers streams as "
          "QUIC does",
          "[in_process_transport]") {
  hub_fixture f;
  auto conn = f.connect();
  {
    // Each owner learns who its peer is: the server the client side's
    // address, the client the server's.
    auto server_log = f.log(server);
    auto client_log = f.log(client);
    auto* at_server = find_entry(server_log, conn, entry::type::ready);
    auto* at_client = find_entry(client_log, conn, entry::type::ready);
    REQUIRE(at_server);
    REQUIRE(at_client);
    CHECK(at_server->peer == "10.0.0.7:4242");
    CHECK(at_client->peer == "127.0.0.1:0");
    CHECK(f.hub().stats().connections_accepted == 1);
    CHECK(f.hub().stats().connections_open == 1);
  }

  f.client_submit(open_stream_command{.conn = conn, .token = 7, .data = framed({"hello"}),
                                      .fin = true, .manual_credit = false});
  auto request = f.await_stream(server, conn, stream(0), "the request", finished);
  CHECK(request.frames == strings{"hello"});
  // The server did not open the stream: its events carry no token.
  CHECK(request.tokens == std::vector<uint64_t>{0});
  // Frames and end in one event, as one read of the whole request gives.
  CHECK(request.events == 1);

  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = 0,
                                             .data = framed({"world"}), .fin = true});
  auto reply = f.await_stream(client, conn, stream(0), "the reply", finished);
  CHECK(reply.frames == strings{"world"});
  CHECK(reply.tokens == std::vector<uint64_t>{7});
  CHECK(reply.events == 1);

  // Client-initiated bidirectional streams: 0, 4, 8, ...
  f.client_submit(open_stream_command{.conn = conn, .token = 8, .data = framed({"again"}),
                                      .fin = true});
  auto second = f.await_stream(server, conn, stream(4), "the second request", finished);
  CHECK(second.frames == strings{"again"});
}

// -- framing errors ---------------------------------------------------------------

TEST_CASE("the in-process hub reports broken framing as a protocol error at the receiver and "
          "counts it at the server",
          "[in_process_transport]") {
  transport_config server_cfg;
  server_cfg.max_frame_size = 64;
  hub_fixture f{server_cfg};
  auto conn = f.connect();
  uint64_t errors = 0;

  // Opens a stream with `data`, fin, and returns what the server saw of it.
  uint64_t next_token = 1;
  auto open_broken = [&](byte_buffer data, const std::string& what) {
    auto tok = next_token++;
    f.client_submit(open_stream_command{.conn = conn, .token = tok, .data = std::move(data),
                                        .fin = true});
    // Streams 0, 4, 8, ... in the order opened.
    auto sid = static_cast<int64_t>(4 * (tok - 1));
    return f.await_stream(server, conn, stream(sid), what,
                          [](const stream_view& v) { return v.finished || got_protocol_error(v); });
  };

  // The bound itself is allowed: the check is "larger than", not "at least".
  auto at_limit = open_broken(framed({std::string(64, 'a')}), "a frame of max_frame_size");
  CHECK(at_limit.finished);
  CHECK(at_limit.protocol_errors.empty());
  CHECK(f.hub().stats().stream_protocol_errors == errors);

  auto oversized = open_broken(framed({std::string(65, 'a')}), "an oversized frame");
  REQUIRE(oversized.protocol_errors.size() == 1);
  CHECK(oversized.protocol_errors[0] == "frame of 65 bytes exceeds the maximum of 64");
  CHECK(oversized.frames.empty());
  CHECK_FALSE(oversized.finished);
  CHECK(f.hub().stats().stream_protocol_errors == ++errors);

  byte_buffer garbage{'x', 'y', 'z'};
  auto after_end = open_broken(joined(framed({"a"}), garbage), "bytes after the end frame");
  REQUIRE(after_end.protocol_errors.size() == 1);
  CHECK(after_end.protocol_errors[0] == "data after the end-of-direction frame");
  // The frame before the end was delivered; the end itself is not reported
  // as a finish, since the stream broke.
  CHECK(after_end.frames == strings{"a"});
  CHECK_FALSE(after_end.finished);
  CHECK(f.hub().stats().stream_protocol_errors == ++errors);

  auto no_end = open_broken(framed({"a"}, false), "fin without an end frame");
  REQUIRE(no_end.protocol_errors.size() == 1);
  CHECK(no_end.protocol_errors[0] == "stream ended without an end frame");
  CHECK(no_end.frames == strings{"a"});
  CHECK(f.hub().stats().stream_protocol_errors == ++errors);

  // A prefix announcing 10 bytes, then 3 of them.
  byte_buffer truncated(frame_encoder::header_size);
  frame_encoder::write_header(truncated.data(), 10);
  truncated.insert(truncated.end(), {'a', 'b', 'c'});
  auto inside = open_broken(truncated, "fin inside a frame");
  REQUIRE(inside.protocol_errors.size() == 1);
  CHECK(inside.protocol_errors[0] == "stream ended inside a frame");
  CHECK(inside.frames.empty());
  CHECK(f.hub().stats().stream_protocol_errors == ++errors);

  // Broken framing the client receives is the client's to report: the
  // server's counter does not move. (Stream 0 still waits for its reply.)
  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = 0,
                                             .data = framed({"a"}, false), .fin = true});
  auto at_client = f.await_stream(client, conn, stream(0), "a reply without an end frame",
                                  got_protocol_error);
  CHECK(at_client.protocol_errors == strings{"stream ended without an end frame"});
  CHECK(f.hub().stats().stream_protocol_errors == errors);
}

// -- credit -----------------------------------------------------------------------

TEST_CASE("the in-process hub holds a writer to the reader's window until the reader consumes",
          "[in_process_transport]") {
  constexpr uint64_t window = 1000;
  constexpr size_t payload = 100;
  constexpr uint64_t wire = payload + frame_encoder::header_size;
  constexpr size_t total = 50;
  transport_config client_cfg;
  client_cfg.stream_window = window;
  hub_fixture f{transport_config{}, client_cfg};
  auto conn = f.connect();

  // A streaming call: the client's half manual from the open, so credit
  // returns only as its consumer takes frames.
  f.client_submit(open_stream_command{.conn = conn, .token = 9,
                                      .data = framed({"request"}, false),
                                      .fin = false, .manual_credit = true});
  auto sid = f.sid_at_server(conn, "request");

  // One frame before the server's half turns manual: its writes get no
  // progress until then.
  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = sid,
                                             .data = frames_of(1, payload, 'a')});
  f.await_stream(client, conn, token(9), "the first frame",
                 [](const stream_view& v) { return v.frames.size() == 1; });
  f.server_submit(conn, manual_credit_command{.conn = conn, .stream_id = sid, .token = 0});

  // Far more than a window in one write: a window's worth moves, plus the
  // frame that crossed it (a frame starts while the reader holds less
  // than a window beyond what it took).
  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = sid,
                                             .data = frames_of(total - 1, payload, 'b')});
  f.await_stream(client, conn, token(9), "frames up to the window",
                 [](const stream_view& v) { return v.frames.size() > 1; });
  f.barrier(conn);
  size_t received = f.seen(client, conn, token(9)).frames.size();
  CHECK(received * wire >= window);
  CHECK(received * wire <= window + wire);
  // The writer hears of exactly what moved since its half turned manual.
  CHECK(f.seen(server, conn, stream(sid)).acked == (received - 1) * wire);

  // Each consume returns the credit of what arrived; more frames follow,
  // never more than a window (plus one frame) ahead of the consumer.
  uint64_t consumed = 0;
  for (size_t round = 0; received < total && round < total; ++round) {
    auto before = received;
    f.client_submit(consume_command{.conn = conn, .stream_id = -1, .token = 9,
                                    .bytes = received * wire - consumed});
    consumed = received * wire;
    f.await_stream(client, conn, token(9), "frames after consuming " + std::to_string(consumed),
                   [&](const stream_view& v) { return v.frames.size() > before; });
    f.barrier(conn);
    received = f.seen(client, conn, token(9)).frames.size();
    CHECK(received * wire - consumed <= window + wire);
  }
  REQUIRE(received == total);
  auto at_client = f.seen(client, conn, token(9));
  CHECK(at_client.frames.front() == std::string(payload, 'a'));
  CHECK(std::all_of(at_client.frames.begin() + 1, at_client.frames.end(),
                    [](const std::string& fr) { return fr == std::string(payload, 'b'); }));
  CHECK(f.seen(server, conn, stream(sid)).acked == (total - 1) * wire);

  // A frame larger than the whole window gets through once started; the
  // frame behind it waits for the consumer.
  f.client_submit(open_stream_command{.conn = conn, .token = 10, .data = framed({"big"}, false),
                                      .manual_credit = true});
  auto big_sid = f.sid_at_server(conn, "big");
  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = big_sid,
                                             .data = joined(frames_of(1, 3 * window, 'c'),
                                                            frames_of(1, payload, 'd'))});
  f.await_stream(client, conn, token(10), "the big frame",
                 [](const stream_view& v) { return !v.frames.empty(); });
  f.barrier(conn);
  auto big = f.seen(client, conn, token(10));
  REQUIRE(big.frames.size() == 1);
  CHECK(big.frames[0].size() == 3 * window);
  f.client_submit(consume_command{.conn = conn, .stream_id = -1, .token = 10,
                                  .bytes = 3 * window + frame_encoder::header_size});
  auto after = f.await_stream(client, conn, token(10), "the frame behind the big one",
                              [](const stream_view& v) { return v.frames.size() == 2; });
  CHECK(after.frames[1] == std::string(payload, 'd'));
}

// -- resets -----------------------------------------------------------------------

TEST_CASE("the in-process hub reports a reset while the peer reads, and a cancel always",
          "[in_process_transport]") {
  hub_fixture f;
  auto conn = f.connect();

  // A caller that gives up after its request ended: the server must still
  // learn of it, to stop the handler.
  f.client_submit(open_stream_command{.conn = conn, .token = 21, .data = framed({"req 21"}),
                                      .fin = true});
  auto cancelled = f.sid_at_server(conn, "req 21");
  f.await_stream(server, conn, stream(cancelled), "request 21's end", finished);
  f.client_submit(reset_stream_command{.conn = conn, .token = 21, .code = app_error::cancelled});
  auto at_server = f.await_stream(server, conn, stream(cancelled), "request 21's reset", got_reset);
  CHECK(*at_server.reset_code == static_cast<uint64_t>(app_error::cancelled));

  // Any other code after the input ended is not reported: the server has
  // all it reads, the rest is QUIC's business.
  f.client_submit(open_stream_command{.conn = conn, .token = 22, .data = framed({"req 22"}),
                                      .fin = true});
  auto quiet = f.sid_at_server(conn, "req 22");
  f.await_stream(server, conn, stream(quiet), "request 22's end", finished);
  f.client_submit(reset_stream_command{.conn = conn, .token = 22, .code = app_error::protocol});
  // The reset stream is gone: writes naming it, by id or by token, are dropped.
  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = quiet,
                                             .data = framed({"late reply"}), .fin = true});
  f.client_submit(write_stream_command{.conn = conn, .data = framed({"late request"}),
                                       .fin = true, .token = 22});
  f.barrier(conn);
  auto quiet_at_server = f.seen(server, conn, stream(quiet));
  CHECK_FALSE(quiet_at_server.reset_code);
  CHECK(quiet_at_server.frames == strings{"req 22"});
  CHECK(f.seen(client, conn, token(22)).events == 0);

  // While the peer's input is open, every reset is reported, with its code.
  f.client_submit(open_stream_command{.conn = conn, .token = 23,
                                      .data = framed({"req 23"}, false)});
  auto open_input = f.sid_at_server(conn, "req 23");
  f.client_submit(reset_stream_command{.conn = conn, .token = 23, .code = app_error::protocol});
  auto reset_23 = f.await_stream(server, conn, stream(open_input), "request 23's reset", got_reset);
  CHECK(*reset_23.reset_code == static_cast<uint64_t>(app_error::protocol));
  CHECK_FALSE(reset_23.finished);

  // The server resets too, by stream id; the client hears it under its token.
  f.client_submit(open_stream_command{.conn = conn, .token = 24,
                                      .data = framed({"req 24"}, false)});
  auto by_server = f.sid_at_server(conn, "req 24");
  f.server_submit(conn, reset_stream_command{.conn = conn, .stream_id = by_server,
                                             .code = app_error::internal});
  auto reset_24 = f.await_stream(client, conn, token(24), "the server's reset", got_reset);
  CHECK(*reset_24.reset_code == static_cast<uint64_t>(app_error::internal));
  CHECK(reset_24.sids == std::vector<int64_t>{by_server});
  f.client_submit(write_stream_command{.conn = conn, .data = framed({"more 24"}), .fin = true,
                                       .token = 24});
  f.barrier(conn);
  CHECK(f.seen(server, conn, stream(by_server)).frames == strings{"req 24"});
  // A reset is told to the peer only, not echoed to its sender.
  CHECK(f.seen(client, conn, token(21)).events == 0);
  CHECK(f.seen(server, conn, stream(by_server)).reset_code == std::nullopt);
}

// -- stop reading -----------------------------------------------------------------

TEST_CASE("the in-process hub drops what a peer writes after the reader stopped reading",
          "[in_process_transport]") {
  hub_fixture f;
  auto conn = f.connect();
  // Manual on the client, so that its writes are acknowledged in progress
  // events: what the stopped reader drops still counts as taken.
  auto head = framed({"head"}, false);
  auto tail = framed({"tail"});
  f.client_submit(open_stream_command{.conn = conn, .token = 31, .data = head,
                                      .manual_credit = true});
  auto sid = f.sid_at_server(conn, "head");
  f.server_submit(conn, stop_reading_command{.conn = conn, .stream_id = sid});
  f.client_submit(write_stream_command{.conn = conn, .data = tail, .fin = true, .token = 31});
  f.barrier(conn);
  auto at_server = f.seen(server, conn, stream(sid));
  CHECK(at_server.frames == strings{"head"});
  CHECK_FALSE(at_server.finished);
  CHECK(at_server.protocol_errors.empty());
  CHECK_FALSE(at_server.reset_code);
  CHECK(f.seen(client, conn, token(31)).acked == head.size() + tail.size());

  // The server still answers on the stream it stopped reading.
  f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = sid,
                                             .data = framed({"answer"}), .fin = true});
  auto answer = f.await_stream(client, conn, token(31), "the answer", finished);
  CHECK(answer.frames == strings{"answer"});
  CHECK_FALSE(answer.reset_code);
}

// -- the stream limit -------------------------------------------------------------

TEST_CASE("the in-process hub queues opens beyond the server's stream limit and opens them as "
          "streams end",
          "[in_process_transport]") {
  transport_config server_cfg;
  server_cfg.max_concurrent_streams = 2;
  hub_fixture f{server_cfg};
  auto conn = f.connect();
  auto open_stream = [&](uint64_t tok, std::string_view text) {
    f.client_submit(open_stream_command{.conn = conn, .token = tok, .data = framed({text}, false)});
  };
  auto write_stream = [&](uint64_t tok, byte_buffer data, bool fin) {
    f.client_submit(write_stream_command{.conn = conn, .data = std::move(data), .fin = fin,
                                         .token = tok});
  };
  // Ends stream `sid` (opened as `tok`) both ways, so that it is forgotten.
  auto finish = [&](uint64_t tok, int64_t sid) {
    write_stream(tok, framed({}), true);
    f.await_stream(server, conn, stream(sid), "stream " + std::to_string(sid) + "'s end",
                   finished);
    f.server_submit(conn, write_stream_command{.conn = conn, .stream_id = sid,
                                               .data = framed({"done"}), .fin = true});
    f.await_stream(client, conn, token(tok), "the reply on stream " + std::to_string(sid),
                   finished);
  };

  open_stream(31, "one");
  open_stream(32, "two");
  open_stream(33, "three");
  // Bytes for the waiting open join it, behind its own.
  write_stream(33, framed({"more"}, false), false);
  f.await_stream(server, conn, stream(0), "stream 0",
                 [](const stream_view& v) { return !v.frames.empty(); });
  f.await_stream(server, conn, stream(4), "stream 4",
                 [](const stream_view& v) { return !v.frames.empty(); });
  // Something later on an open stream, to look behind.
  write_stream(31, framed({"ping"}, false), false);
  f.await_stream(server, conn, stream(0), "the ping",
                 [](const stream_view& v) { return v.frames.size() == 2; });
  CHECK_FALSE(saw_frame(f.log(server), conn, "three"));
  CHECK(f.seen(server, conn, stream(8)).events == 0);

  // One stream ends: the waiting open goes, with the bytes it gathered.
  finish(31, 0);
  auto third = f.await_stream(server, conn, stream(8), "the third stream",
                              [](const stream_view& v) { return v.frames.size() >= 2; });
  CHECK(third.frames == strings{"three", "more"});
  // Once open, it is written to by its token as any stream.
  write_stream(33, framed({"last"}, false), false);
  third = f.await_stream(server, conn, stream(8), "a write to the third stream",
                         [](const stream_view& v) { return v.frames.size() >= 3; });
  CHECK(third.frames == strings{"three", "more", "last"});

  // At the limit again (streams 4 and 8): a waiting open reset by its
  // token is forgotten. Had it stayed, it would take the slot stream 4
  // frees, and "five" would wait behind it.
  open_stream(34, "four");
  f.client_submit(reset_stream_command{.conn = conn, .token = 34, .code = app_error::cancelled});
  finish(32, 4);
  open_stream(35, "five");
  auto fifth = f.await_stream(server, conn, stream(12), "the stream after the forgotten one",
                              [](const stream_view& v) { return !v.frames.empty(); });
  CHECK(fifth.frames == strings{"five"});
  CHECK_FALSE(saw_frame(f.log(server), conn, "four"));
  CHECK(f.seen(client, conn, token(34)).events == 0);
}

// -- closes -----------------------------------------------------------------------

TEST_CASE("a close_command on the in-process hub reaches both owners with QUIC's reasons",
          "[in_process_transport]") {
  hub_fixture f;
  // Both owners hear of every close, always with error::connection.
  auto reason_of = [&](int side, connection_id conn) {
    auto e = f.closed_at(side, conn);
    REQUIRE(e);
    CHECK(int{e->code} == int{connection_code});
    return e->reason;
  };
  auto await_closed = [&](connection_id conn) {
    f.await(client, "connection_closed", closed(conn));
    f.await(server, "connection_closed", closed(conn));
  };

  auto by_client = f.connect();
  f.client_submit(close_command{.conn = by_client, .code = app_error::no_error, .reason = "bye"});
  await_closed(by_client);
  CHECK(reason_of(client, by_client) == "closed locally: bye");
  CHECK(reason_of(server, by_client) == "closed by peer (code 0, bye)");
  CHECK(f.hub().stats().connections_open == 0);

  // The other way round, with a code.
  auto by_server = f.connect();
  f.server_submit(by_server, close_command{.conn = by_server, .code = app_error::shutdown,
                                           .reason = "going away"});
  await_closed(by_server);
  CHECK(reason_of(server, by_server) == "closed locally: going away");
  CHECK(reason_of(client, by_server) == "closed by peer (code 3, going away)");

  // Without a reason the peer's text has only the code.
  auto silent = f.connect();
  f.client_submit(close_command{.conn = silent, .code = app_error::internal, .reason = ""});
  await_closed(silent);
  CHECK(reason_of(server, silent) == "closed by peer (code 4)");
  CHECK(f.hub().stats().connections_accepted == 3);
  CHECK(f.hub().stats().connections_open == 0);
}

TEST_CASE("dropping the last reference to an in-process client side closes its connections",
          "[in_process_transport]") {
  hub_fixture f;
  auto first = f.connect();
  auto second = f.connect();
  // A stream in flight does not keep the connection.
  f.client_submit(open_stream_command{.conn = first, .token = 1,
                                      .data = framed({"pending"}, false)});
  f.sid_at_server(first, "pending");
  f.client_side().reset();
  for (auto conn : {first, second}) {
    f.await(server, "connection_closed", closed(conn));
    f.await(client, "connection_closed", closed(conn));
    CHECK(f.closed_at(server, conn)->reason == "closed by peer (code 0, client closed)");
    CHECK(f.closed_at(client, conn)->reason == "closed locally: client gone");
  }
  CHECK(f.hub().stats().connections_open == 0);
}

TEST_CASE("shutting the in-process hub down closes its connections and refuses new ones",
          "[in_process_transport]") {
  hub_fixture f;
  auto conn = f.connect();
  f.hub().shutdown();
  f.await(server, "connection_closed", closed(conn));
  f.await(client, "connection_closed", closed(conn));
  CHECK(f.closed_at(server, conn)->reason == "endpoint shut down");
  CHECK(f.closed_at(client, conn)->reason == "closed by peer (code 3, endpoint shutting down)");
  CHECK(f.hub().stats().connections_open == 0);

  auto refused_before = f.hub().stats().connections_refused;
  auto late = f.dial();
  f.await(client, "connection_closed", closed(late));
  auto refusal = f.closed_at(client, late);
  CHECK(int{refusal->code} == int{connection_code});
  CHECK(refusal->reason.find("not accepting") != std::string::npos);
  CHECK_FALSE(find_entry(f.log(client), late, entry::type::ready));
  CHECK(f.hub().stats().connections_refused == refused_before + 1);
  CHECK(f.hub().stats().connections_accepted == 1);
}

TEST_CASE("the in-process hub refuses connections while not accepting and when its handler "
          "spawns nothing",
          "[in_process_transport]") {
  SECTION("stop_accepting refuses new connections and open ones go on") {
    hub_fixture f;
    auto existing = f.connect();
    f.hub().stop_accepting();
    auto refused = f.dial();
    f.await(client, "connection_closed", closed(refused));
    CHECK(f.closed_at(client, refused)->reason == "the in-process server is not accepting");
    CHECK(f.hub().stats().connections_refused == 1);
    f.barrier(existing);
    f.hub().start_accepting();
    auto again = f.connect();
    f.barrier(again);
    CHECK(f.hub().stats().connections_accepted == 2);
    CHECK(f.hub().stats().connections_open == 2);
  }
  SECTION("a handler that returns no actor refuses the connection") {
    hub_fixture f{transport_config{}, transport_config{}, true};
    auto conn = f.dial();
    f.await(client, "connection_closed", closed(conn));
    CHECK(f.closed_at(client, conn)->reason == "the in-process server refused the connection");
    CHECK(int{f.closed_at(client, conn)->code} == int{connection_code});
    CHECK_FALSE(find_entry(f.log(client), conn, entry::type::ready));
    CHECK(f.hub().stats().connections_refused == 1);
    CHECK(f.hub().stats().connections_accepted == 0);
    CHECK(f.hub().stats().connections_open == 0);
  }
}
