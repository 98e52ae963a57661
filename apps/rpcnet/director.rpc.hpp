// The director's service: "which worker should I use". A client asks once
// per call (get_worker), naming the workers that call failed on already
// (excluded). The director counts each worker it assigns as one call in
// flight there, and the client tells it, in batches, when those calls ended
// (release_calls): the director's registry learns a client's calls this one
// way, which is what least connections balances.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rpcnet/typed/service_definition.hpp>

namespace rpcnet_cli {

struct WorkerRequest {
  /// Node ids of workers not to assign: the earlier attempts of the call
  /// that asks, which failed it.
  std::vector<std::string> excluded;
};

struct WorkerAssignment {
  std::string id;
  std::string address;
  std::string label;
};

/// Calls that ended on one worker the director assigned.
struct EndedCalls {
  /// The worker's node id.
  std::string id;
  std::uint32_t calls;
};

/// What a client reports at once: the calls that ended since its last
/// report, per worker.
struct CallsEnded {
  std::vector<EndedCalls> workers;
};

struct Released {
  /// The calls released on workers whose id parsed.
  std::uint32_t calls;
};

struct DirectorError : rpcnet::variants {
  struct NoWorkers {};
};

struct Director : rpcnet::service {
  rpcnet::result<WorkerAssignment, DirectorError> get_worker(WorkerRequest request);
  rpcnet::result<Released, DirectorError> release_calls(CallsEnded ended);
};

} // namespace rpcnet_cli
