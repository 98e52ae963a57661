#include <rpcnet/actors/runtime.hpp>

#include <thread>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

runtime_config::runtime_config(size_t threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  set("scheduler.max-threads", threads);
  // Poll instead of sleeping between moderate attempts: a call's hops are
  // microseconds apart and a 50 µs nap per hop dominates latency.
  set("work-stealing.moderate-poll-attempts", size_t{0});
  add_error_category(error_category,
                     [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                       return describe(make_error(static_cast<error>(code),
                                                  ctx.match_elements<std::string>()
                                                    ? ctx.get_as<std::string>(0)
                                                    : std::string{}));
                     });
}

} // namespace rpcnet
