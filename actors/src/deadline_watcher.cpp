#include "deadline_watcher.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace rpcnet {

struct deadline_watcher::core {
  explicit core(actor_boundary b) : boundary(std::move(b)) {
  }

  actor_boundary boundary;
  std::mutex mtx;
  std::condition_variable cv;
  std::set<std::pair<clock::time_point, ticket>> order;
  std::map<ticket, std::pair<clock::time_point, std::function<void()>>> entries;
  ticket next = 1;
  bool stopping = false;
  std::thread thread;
};

namespace {

void run_watcher(std::shared_ptr<deadline_watcher::core> c) {
  std::unique_lock<std::mutex> lock{c->mtx};
  while (!c->stopping) {
    if (c->order.empty()) {
      c->cv.wait(lock);
      continue;
    }
    auto [due, t] = *c->order.begin();
    if (deadline_watcher::clock::now() < due) {
      c->cv.wait_until(lock, due);
      continue;
    }
    c->order.erase(c->order.begin());
    auto it = c->entries.find(t);
    auto fn = std::move(it->second.second);
    c->entries.erase(it);
    lock.unlock();
    c->boundary.run(fn);
    fn = nullptr;
    lock.lock();
  }
}

} // namespace

deadline_watcher::deadline_watcher(actor_boundary boundary)
  : core_(std::make_shared<core>(std::move(boundary))) {
}

deadline_watcher::~deadline_watcher() {
  std::thread thread;
  decltype(core_->entries) dropped;
  {
    std::lock_guard<std::mutex> guard{core_->mtx};
    core_->stopping = true;
    thread = std::move(core_->thread);
    dropped.swap(core_->entries);
    core_->order.clear();
  }
  core_->cv.notify_all();
  if (!thread.joinable())
    return;
  if (thread.get_id() == std::this_thread::get_id())
    thread.detach();
  else
    thread.join();
}

deadline_watcher::ticket deadline_watcher::watch(clock::time_point due,
                                                 std::function<void()> on_due) {
  std::lock_guard<std::mutex> guard{core_->mtx};
  auto t = core_->next++;
  bool earliest = core_->order.empty() || due < core_->order.begin()->first;
  core_->order.emplace(due, t);
  core_->entries.emplace(t, std::make_pair(due, std::move(on_due)));
  if (!core_->thread.joinable())
    core_->thread = std::thread{run_watcher, core_};
  else if (earliest)
    core_->cv.notify_one();
  return t;
}

void deadline_watcher::forget(ticket t) {
  std::function<void()> dropped;
  {
    std::lock_guard<std::mutex> guard{core_->mtx};
    auto it = core_->entries.find(t);
    if (it == core_->entries.end())
      return;
    core_->order.erase({it->second.first, t});
    dropped = std::move(it->second.second);
    core_->entries.erase(it);
  }
  // What the callback captured goes outside the lock: it may own a call's
  // last references.
}

size_t deadline_watcher::size() const {
  std::lock_guard<std::mutex> guard{core_->mtx};
  return core_->entries.size();
}

} // namespace rpcnet
