#include <rpcnet/actors/call_context.hpp>

#include "call_context_state.hpp"
#include <rpcnet/transport/actor_boundary.hpp>

namespace rpcnet {

namespace {

const std::string empty_string;
const call_metadata empty_metadata;
const socket_address no_address;

/// The last id given to a call; ids start at 1, 0 names no call.
std::atomic<uint64_t> last_call_id{0};

} // namespace

// -- cancel_subscription ------------------------------------------------------

cancel_subscription::cancel_subscription(std::shared_ptr<void> state, uint64_t id)
  : state_(state), id_(id) {
}

cancel_subscription::cancel_subscription(cancel_subscription&& other) noexcept
  : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {
}

cancel_subscription& cancel_subscription::operator=(cancel_subscription&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

cancel_subscription::~cancel_subscription() {
  reset();
}

void cancel_subscription::reset() {
  if (id_ == 0)
    return;
  if (auto st = state_.lock())
    static_cast<call_context::state*>(st.get())->unsubscribe(id_);
  id_ = 0;
  state_.reset();
}

// -- call_context::state -------------------------------------------------------

bool call_context::state::cancel(caf::error why) {
  std::vector<std::pair<uint64_t, std::function<void()>>> run;
  {
    std::lock_guard<std::mutex> guard{mtx};
    if (cancelled.load(std::memory_order_relaxed))
      return false;
    reason = std::move(why);
    cancelled.store(true, std::memory_order_release);
    run.swap(callbacks);
  }
  // Outside the lock: a callback may cancel another call, or unsubscribe.
  // Callbacks are user code, run by whoever cancels -- a connection actor in
  // the middle of its work, the deadline watcher: what one throws is logged
  // and the others still run.
  static const actor_boundary callbacks{"cancel_callback"};
  for (auto& [id, fn] : run)
    callbacks.run(fn);
  return true;
}

void call_context::state::unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx};
  std::erase_if(callbacks, [id](const auto& entry) { return entry.first == id; });
}

call_context make_call_context(std::string method, call_metadata metadata,
                               std::optional<uint32_t> timeout_ms, socket_address peer,
                               std::shared_ptr<const peer_identity> identity) {
  auto st = std::make_shared<call_context::state>();
  st->id = last_call_id.fetch_add(1, std::memory_order_relaxed) + 1;
  st->method = std::move(method);
  st->metadata = std::move(metadata);
  if (timeout_ms)
    st->deadline = call_context::clock::now() + std::chrono::milliseconds{*timeout_ms};
  st->peer = std::move(peer);
  st->identity = std::move(identity);
  return call_context{std::move(st)};
}

// -- call_context ---------------------------------------------------------------

const std::string& call_context::method() const noexcept {
  return st_ ? st_->method : empty_string;
}

uint64_t call_context::id() const noexcept {
  return st_ ? st_->id : 0;
}

const call_metadata& call_context::metadata() const noexcept {
  return st_ ? st_->metadata : empty_metadata;
}

call_metadata& call_context::metadata() noexcept {
  if (!st_)
    st_ = std::make_shared<state>();
  return st_->metadata;
}

std::optional<call_context::clock::time_point> call_context::deadline() const noexcept {
  return st_ ? st_->deadline : std::nullopt;
}

call_context::clock::duration call_context::remaining() const noexcept {
  if (!st_ || !st_->deadline)
    return clock::duration::max();
  return std::max(*st_->deadline - clock::now(), clock::duration::zero());
}

const socket_address& call_context::peer_address() const noexcept {
  return st_ ? st_->peer : no_address;
}

const peer_identity* call_context::peer_identity() const noexcept {
  return st_ ? st_->identity.get() : nullptr;
}

uint64_t call_context::request_bytes() const noexcept {
  return st_ ? st_->request_bytes : 0;
}

uint64_t call_context::response_bytes() const noexcept {
  return st_ ? st_->response_bytes : 0;
}

bool call_context::cancelled() const noexcept {
  return st_ && st_->cancelled.load(std::memory_order_acquire);
}

caf::error call_context::cancellation() const {
  if (!cancelled())
    return {};
  std::lock_guard<std::mutex> guard{st_->mtx};
  return st_->reason;
}

cancel_subscription call_context::on_cancel(std::function<void()> fn) const {
  if (!st_)
    return {};
  {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->cancelled.load(std::memory_order_relaxed)) {
      auto id = st_->next_subscription++;
      st_->callbacks.emplace_back(id, std::move(fn));
      return cancel_subscription{st_, id};
    }
  }
  fn();
  return {};
}

call_metadata& call_context::trailers() noexcept {
  if (!st_)
    st_ = std::make_shared<state>();
  return st_->trailers;
}

const call_metadata& call_context::trailers() const noexcept {
  return st_ ? st_->trailers : empty_metadata;
}

} // namespace rpcnet
