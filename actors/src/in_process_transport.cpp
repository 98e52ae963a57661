// The in-process transport's streams: credit, frames, resets and closes,
// following what the QUIC connection does for the same commands.
#include "in_process_transport.hpp"

#include <algorithm>
#include <atomic>
#include <span>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <rpcnet/transport/actor_boundary.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

/// Ids from a range of their own, so that logs never mistake an in-process
/// connection for a QUIC one.
connection_id next_connection_id() {
  static std::atomic<connection_id> next{connection_id{1} << 62};
  return next.fetch_add(1, std::memory_order_relaxed);
}

constexpr auto connection_code = static_cast<uint8_t>(error::connection);

/// Bytes a writer has handed in beyond which its taken prefix is dropped.
constexpr size_t compact_after = 64 * 1024;

/// The reason a peer's close reaches the other side with, as over QUIC.
std::string closed_by_peer(app_error code, const std::string& reason) {
  return "closed by peer (code " + std::to_string(static_cast<uint64_t>(code))
         + (reason.empty() ? "" : ", " + reason) + ")";
}

/// Spawns the server's actor for each connection dialled. Spawned with its
/// hub as an argument: CAF 0.17 dereferences a null argument tuple for
/// functions spawned without one, which UBSan reports.
caf::behavior acceptor(caf::event_based_actor* self, std::weak_ptr<in_process_hub> weak,
                       actor_boundary boundary) {
  return boundary.behavior<caf::behavior>(self, [weak](connection_id id) {
    if (auto hub = weak.lock())
      hub->accept(id);
  });
}

} // namespace

// -- the hub ----------------------------------------------------------------------

std::shared_ptr<in_process_hub> in_process_hub::make(caf::actor_system& sys,
                                                     transport_config server_cfg,
                                                     socket_address server_address,
                                                     accept_handler accept) {
  auto hub = std::make_shared<in_process_hub>(std::move(server_cfg), std::move(server_address),
                                              std::move(accept));
  hub->acceptor_ = sys.spawn(acceptor, std::weak_ptr<in_process_hub>{hub},
                             actor_boundary{"in_process_acceptor", hub->server_cfg_.metrics});
  return hub;
}

in_process_hub::in_process_hub(transport_config server_cfg, socket_address server_address,
                               accept_handler accept)
  : server_cfg_(std::move(server_cfg)),
    server_address_(std::move(server_address)),
    accept_(std::move(accept)) {
}

in_process_hub::~in_process_hub() {
  if (acceptor_)
    caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
}

std::shared_ptr<in_process_side>
in_process_hub::client_side(transport_config cfg, socket_address client_address,
                            std::optional<peer_identity> identity) {
  return std::make_shared<in_process_side>(shared_from_this(), client, std::move(cfg),
                                           std::move(client_address), std::move(identity));
}

void in_process_hub::start_accepting() {
  std::lock_guard<std::mutex> guard{mtx_};
  // A hub shut down has no acceptor left to accept with.
  accepting_ = !shut_down_;
}

void in_process_hub::stop_accepting() {
  std::lock_guard<std::mutex> guard{mtx_};
  accepting_ = false;
}

void in_process_hub::shutdown() {
  static const std::string reasons[2] = {
    closed_by_peer(app_error::shutdown, "endpoint shutting down"), "endpoint shut down"};
  graveyard dead;
  std::lock_guard<std::mutex> guard{mtx_};
  accepting_ = false;
  shut_down_ = true;
  while (!links_.empty())
    close(links_.begin(), reasons, dead);
  // The server's system may be torn down next: nothing of the hub may run
  // in it any more.
  caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
  acceptor_ = nullptr;
}

transport_stats in_process_hub::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto result = stats_;
  result.connections_open = links_.size();
  return result;
}

connection_id in_process_hub::connect(const in_process_side& dialler, caf::actor owner) {
  auto id = next_connection_id();
  std::lock_guard<std::mutex> guard{mtx_};
  if (!accepting_) {
    ++stats_.connections_refused;
    caf::anon_send(owner, connection_closed{id, connection_code,
                                            "the in-process server is not accepting"});
    return id;
  }
  // The link waits for its server's actor; the client holds its calls
  // until connection_ready, as during a handshake.
  auto& l = links_[id];
  l.id = id;
  l.client = &dialler;
  l.cfg[client] = dialler.config();
  l.cfg[server] = server_cfg_;
  l.owner[client] = std::move(owner);
  caf::anon_send(acceptor_, id);
  return id;
}

void in_process_hub::accept(connection_id id) {
  socket_address peer;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = links_.find(id);
    if (it == links_.end())
      return; // the client went away first
    peer = it->second.client->address();
  }
  auto side = std::make_shared<in_process_side>(shared_from_this(), server, server_cfg_,
                                                server_address_, std::nullopt);
  auto server_actor = accept_(std::move(side), id, peer);
  graveyard dead;
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = links_.find(id);
  if (!server_actor || it == links_.end() || !accepting_) {
    // Refused, or closed while the actor was spawned: it quits on hearing so.
    if (server_actor)
      caf::anon_send(server_actor, connection_closed{id, connection_code,
                                                     "the in-process server is not accepting"});
    if (it != links_.end()) {
      ++stats_.connections_refused;
      static const std::string reasons[2] = {"the in-process server refused the connection",
                                             "refused"};
      close(it, reasons, dead);
    }
    dead.push_back(std::move(server_actor));
    return;
  }
  auto& l = it->second;
  ++stats_.connections_accepted;
  // The server learns who its peer is before the first stream opens.
  caf::anon_send(server_actor, connection_ready{id, peer, l.client->identity()});
  caf::anon_send(l.owner[client], connection_ready{id, server_address_, std::nullopt});
  l.owner[server] = std::move(server_actor);
}

void in_process_hub::submit(int side, transport_command cmd) {
  graveyard dead;
  std::lock_guard<std::mutex> guard{mtx_};
  auto conn = std::visit([](const auto& c) { return c.conn; }, cmd);
  auto it = links_.find(conn);
  if (it == links_.end())
    return; // closed: commands for it are dropped, as by a QUIC endpoint
  if (auto* c = std::get_if<close_command>(&cmd)) {
    std::string reasons[2];
    reasons[side] = "closed locally: " + c->reason;
    reasons[1 - side] = closed_by_peer(c->code, c->reason);
    close(it, reasons, dead);
    return;
  }
  apply(it->second, side, cmd);
  flush(it->second);
}

void in_process_hub::close_links_of(const in_process_side& client_side) {
  static const std::string reasons[2] = {"closed locally: client gone",
                                         closed_by_peer(app_error::no_error, "client closed")};
  graveyard dead;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto it = links_.begin(); it != links_.end();) {
    auto next = std::next(it);
    if (it->second.client == &client_side)
      close(it, reasons, dead);
    it = next;
  }
}

void in_process_hub::close(std::unordered_map<connection_id, link>::iterator it,
                           const std::string (&reasons)[2], graveyard& dead) {
  auto& l = it->second;
  // What happened before the close is told before it; bytes still waiting
  // for credit are dropped, as after a QUIC connection's linger.
  flush(l);
  for (int side : {client, server}) {
    if (!l.owner[side])
      continue; // a server whose actor was not spawned yet
    caf::anon_send(l.owner[side], connection_closed{l.id, connection_code, reasons[side]});
    dead.push_back(std::move(l.owner[side]));
  }
  links_.erase(it);
}

void in_process_hub::flush(link& l) {
  for (int side : {client, server}) {
    if (!l.out[side].empty() && l.owner[side])
      caf::anon_send(l.owner[side], connection_batch{l.id, std::move(l.out[side])});
    l.out[side].clear();
  }
}

// -- commands ---------------------------------------------------------------------

void in_process_hub::apply(link& l, int side, transport_command& cmd) {
  std::visit(
    [&](auto& c) {
      using command = std::decay_t<decltype(c)>;
      if constexpr (std::is_same_v<command, open_stream_command>) {
        if (side == client) // servers open no streams in rpcnet's protocol
          open(l, c);
      } else if constexpr (std::is_same_v<command, write_stream_command>) {
        write(l, side, c);
      } else if constexpr (std::is_same_v<command, reset_stream_command>) {
        reset(l, side, c);
      } else if constexpr (std::is_same_v<command, stop_reading_command>) {
        stop_reading(l, side, c.stream_id);
      } else if constexpr (std::is_same_v<command, consume_command>) {
        consume(l, side, c.stream_id, c.token, c.bytes);
      } else if constexpr (std::is_same_v<command, manual_credit_command>) {
        manual_credit(l, side, c.stream_id, c.token);
      }
      // connect_command is never submitted (connect() dials); close_command
      // was handled by submit().
    },
    cmd);
}

void in_process_hub::open(link& l, open_stream_command& cmd) {
  if (l.streams.size() >= l.cfg[server].max_concurrent_streams) {
    // The server's stream limit: the open waits for a stream to end.
    l.opens.push_back(std::move(cmd));
    return;
  }
  auto sid = l.next_sid;
  l.next_sid += 4;
  auto& s = l.streams
              .emplace(std::piecewise_construct, std::forward_as_tuple(sid),
                       std::forward_as_tuple(sid, l.cfg[client].max_frame_size,
                                             l.cfg[server].max_frame_size))
              .first->second;
  auto& mine = s.h[client];
  mine.token = cmd.token;
  mine.manual = cmd.manual_credit;
  mine.tx = std::move(cmd.data);
  mine.fin_pending = cmd.fin;
  l.by_token[cmd.token] = sid;
  pump(l, s, client);
}

void in_process_hub::write(link& l, int side, write_stream_command& cmd) {
  if (cmd.stream_id < 0 && side == client && !l.by_token.contains(cmd.token)) {
    // Still waiting for the stream limit: the bytes join the open, in order.
    for (auto& pending : l.opens)
      if (pending.token == cmd.token && !pending.fin) {
        pending.data.insert(pending.data.end(), cmd.data.begin(), cmd.data.end());
        pending.fin = cmd.fin;
        return;
      }
    return;
  }
  auto* s = find(l, side, cmd.stream_id, cmd.token);
  if (!s || s->h[side].fin_pending)
    return; // gone (reset, or both directions ended) or already finished
  auto& mine = s->h[side];
  mine.tx.insert(mine.tx.end(), cmd.data.begin(), cmd.data.end());
  mine.fin_pending = cmd.fin;
  pump(l, *s, side);
}

void in_process_hub::reset(link& l, int side, const reset_stream_command& cmd) {
  if (cmd.stream_id < 0 && side == client && !l.by_token.contains(cmd.token)) {
    std::erase_if(l.opens, [&](const open_stream_command& p) { return p.token == cmd.token; });
    return;
  }
  auto* s = find(l, side, cmd.stream_id, cmd.token);
  if (!s)
    return;
  // The peer hears of it while its input is open -- and always when the
  // reset cancels the call, so that a server whose request had ended still
  // learns that its caller gave up (as the QUIC connection reports it).
  auto peer = 1 - side;
  if (!s->h[peer].end_reported || cmd.code == app_error::cancelled) {
    auto& ev = event_for(l, *s, peer, stream_event::kind::reset);
    ev.app_code = static_cast<uint64_t>(cmd.code);
    ev.detail = "stream reset by peer";
  }
  erase(l, s->id);
}

void in_process_hub::stop_reading(link& l, int side, int64_t sid) {
  auto* s = find(l, side, sid, 0);
  if (!s)
    return;
  auto& mine = s->h[side];
  mine.read_stopped = true;
  mine.decoder = frame_decoder{l.cfg[side].max_frame_size};
  // The writer is not told (ngtcp2 0.12 reports no STOP_SENDING); what it
  // writes from now on is dropped, and acknowledged, as QUIC would.
  pump(l, *s, 1 - side);
}

void in_process_hub::consume(link& l, int side, int64_t sid, uint64_t token, uint64_t bytes) {
  auto* s = find(l, side, sid, token);
  if (!s || !s->h[side].manual)
    return;
  auto& mine = s->h[side];
  mine.consumed = std::min(mine.delivered, mine.consumed + bytes);
  // The credit returned lets frames waiting behind it move, on this thread.
  pump(l, *s, 1 - side);
}

void in_process_hub::manual_credit(link& l, int side, int64_t sid, uint64_t token) {
  if (auto* s = find(l, side, sid, token); s && !s->h[side].manual) {
    s->h[side].manual = true;
    // Frames delivered before the switch count as taken.
    s->h[side].consumed = s->h[side].delivered;
  }
}

// -- streams ----------------------------------------------------------------------

in_process_hub::stream* in_process_hub::find(link& l, int side, int64_t sid, uint64_t token) {
  if (sid < 0) {
    if (side != client)
      return nullptr;
    auto by = l.by_token.find(token);
    if (by == l.by_token.end())
      return nullptr;
    sid = by->second;
  }
  auto it = l.streams.find(sid);
  return it == l.streams.end() ? nullptr : &it->second;
}

// Moves what `from` wrote into the other side's decoder as far as credit
// allows. Credit as the QUIC connection grants it: a new frame starts only
// while the reader holds less than a window beyond what it took (in manual
// mode, what its consumer took; otherwise frames count as taken on
// delivery), and a started frame always completes, so a frame larger than
// the window gets through.
void in_process_hub::pump(link& l, stream& s, int from) {
  auto to = 1 - from;
  auto& tx = s.h[from];
  auto& rx = s.h[to];
  auto window = l.cfg[to].stream_window;
  uint64_t moved = 0;
  bool ended_here = false;
  bool broken = false;
  while (tx.tx_pos < tx.tx.size()) {
    if (rx.read_stopped) {
      moved += tx.tx.size() - tx.tx_pos;
      tx.tx_pos = tx.tx.size();
      break;
    }
    auto taken = rx.manual ? rx.consumed : rx.delivered;
    if (!rx.decoder.mid_frame() && rx.delivered >= taken + window)
      break;
    auto used = rx.decoder.feed(std::span<const uint8_t>{tx.tx}.subspan(tx.tx_pos));
    tx.tx_pos += used;
    moved += used;
    auto frame = rx.decoder.next_frame();
    if (frame) {
      auto wire_size = frame->size() + frame_encoder::header_size;
      rx.delivered += wire_size;
      if (frame->empty()) {
        ended_here = true;
        // The end frame holds nothing for a consumer to take.
        rx.consumed += wire_size;
      } else {
        event_for(l, s, to, stream_event::kind::frames).frames.push_back(std::move(*frame));
      }
    }
    if (rx.decoder.failed()) {
      protocol_error(l, s, to, rx.decoder.error_message());
      broken = true;
      break;
    }
    if (used == 0 && !frame)
      break; // cannot happen with a sound decoder; never spin
  }
  if (tx.tx_pos == tx.tx.size()) {
    tx.tx.clear();
    tx.tx_pos = 0;
  } else if (tx.tx_pos > compact_after) {
    tx.tx.erase(tx.tx.begin(), tx.tx.begin() + static_cast<std::ptrdiff_t>(tx.tx_pos));
    tx.tx_pos = 0;
  }
  if (!broken && tx.tx.empty() && tx.fin_pending && !tx.fin_done) {
    tx.fin_done = true;
    if (!rx.read_stopped && !rx.decoder.ended()) {
      protocol_error(l, s, to,
                     rx.decoder.mid_frame() ? "stream ended inside a frame"
                                            : "stream ended without an end frame");
      broken = true;
    }
  }
  if (ended_here && !broken) {
    event_for(l, s, to, stream_event::kind::frames).finished = true;
    rx.end_reported = true;
  }
  // Producers of streaming calls pace themselves by what the peer has.
  if (moved > 0 && tx.manual)
    event_for(l, s, from, stream_event::kind::progress).acked += moved;
  maybe_erase(l, s);
}

void in_process_hub::protocol_error(link& l, stream& s, int to, std::string detail) {
  if (to == server)
    ++stats_.stream_protocol_errors;
  auto& rx = s.h[to];
  rx.end_reported = true;
  rx.read_stopped = true;
  rx.decoder = frame_decoder{l.cfg[to].max_frame_size};
  auto& tx = s.h[1 - to];
  tx.tx.clear();
  tx.tx_pos = 0;
  event_for(l, s, to, stream_event::kind::protocol_error).detail = std::move(detail);
}

void in_process_hub::maybe_erase(link& l, stream& s) {
  auto input_done = [](const half& h) { return h.end_reported || h.read_stopped; };
  if (input_done(s.h[client]) && input_done(s.h[server]))
    erase(l, s.id);
}

void in_process_hub::erase(link& l, int64_t sid) {
  auto it = l.streams.find(sid);
  if (it == l.streams.end())
    return;
  l.by_token.erase(it->second.h[client].token);
  l.streams.erase(it);
  // One ended stream lets one waiting open go, as QUIC grants stream
  // credit one by one.
  if (!l.opens.empty() && l.streams.size() < l.cfg[server].max_concurrent_streams) {
    auto next = std::move(l.opens.front());
    l.opens.pop_front();
    open(l, next);
  }
}

stream_event& in_process_hub::event_for(link& l, stream& s, int to, stream_event::kind what) {
  auto& out = l.out[to];
  if (!out.empty() && out.back().stream_id == s.id && out.back().what == what
      && !out.back().finished)
    return out.back();
  auto& ev = out.emplace_back();
  ev.stream_id = s.id;
  ev.token = s.h[to].token;
  ev.what = what;
  return ev;
}

// -- the sides --------------------------------------------------------------------

in_process_side::in_process_side(std::shared_ptr<in_process_hub> hub, int side,
                                 transport_config cfg, socket_address address,
                                 std::optional<peer_identity> identity)
  : hub_(std::move(hub)),
    side_(side),
    cfg_(std::move(cfg)),
    address_(std::move(address)),
    identity_(std::move(identity)) {
}

in_process_side::~in_process_side() {
  // No server actor may wait for a client that is gone.
  if (side_ == in_process_hub::client)
    hub_->close_links_of(*this);
}

connection_id in_process_side::connect(const socket_address&, std::string, caf::actor owner) {
  if (side_ == in_process_hub::client)
    return hub_->connect(*this, std::move(owner));
  auto id = next_connection_id();
  caf::anon_send(owner, connection_closed{id, connection_code,
                                          "an in-process server side does not dial"});
  return id;
}

void in_process_side::submit(transport_command cmd) {
  hub_->submit(side_, std::move(cmd));
}

const transport_config& in_process_side::config() const noexcept {
  return cfg_;
}

bool in_process_side::running() const noexcept {
  return true;
}

void in_process_side::close_all() {
  hub_->close_links_of(*this);
}

} // namespace rpcnet
