#include "handler_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

namespace rpcnet {

/// Shared with the threads, so that they outlive the pool object.
struct handler_pool::core {
  core(limits lim, actor_boundary b) : lim(lim), boundary(std::move(b)) {
  }

  limits lim;
  actor_boundary boundary;
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  size_t threads = 0;
  size_t idle = 0;
  bool stopping = false;
};

namespace {

void run_worker(std::shared_ptr<handler_pool::core> c) {
  std::unique_lock<std::mutex> lock{c->mtx};
  for (;;) {
    if (c->tasks.empty()) {
      if (c->stopping)
        break;
      ++c->idle;
      bool woken = c->cv.wait_for(lock, c->lim.idle_timeout,
                                  [&] { return !c->tasks.empty() || c->stopping; });
      --c->idle;
      if (!woken)
        break;
      continue;
    }
    auto task = std::move(c->tasks.front());
    c->tasks.pop_front();
    lock.unlock();
    c->boundary.run(task);
    // Destroy what the task captured before taking the lock again.
    task = nullptr;
    lock.lock();
  }
  --c->threads;
}

} // namespace

handler_pool::handler_pool(limits lim, actor_boundary boundary)
  : core_(std::make_shared<core>(lim, std::move(boundary))) {
}

handler_pool::~handler_pool() {
  std::lock_guard<std::mutex> guard{core_->mtx};
  core_->stopping = true;
  core_->cv.notify_all();
}

bool handler_pool::post(std::function<void()> task) {
  std::function<void()> dropped;
  {
    std::lock_guard<std::mutex> guard{core_->mtx};
    core_->tasks.push_back(std::move(task));
    // Start a thread when the queued tasks outnumber the idle threads, so a
    // blocked handler never holds up a task behind it.
    if (core_->tasks.size() <= core_->idle || core_->threads >= core_->lim.max_threads) {
      core_->cv.notify_one();
      return true;
    }
    ++core_->threads;
    try {
      std::thread{run_worker, core_}.detach();
      return true;
    } catch (const std::system_error&) {
      // Out of threads (or memory for one): the task waits for a running
      // thread, and with none it would wait for ever.
      --core_->threads;
      if (core_->threads > 0)
        return true;
      dropped = std::move(core_->tasks.back());
      core_->tasks.pop_back();
    }
  }
  // What the task captured goes outside the lock: it may hold the last
  // reference to the pool's owner.
  dropped = nullptr;
  return false;
}

} // namespace rpcnet
