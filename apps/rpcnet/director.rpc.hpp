// The director's service: "which worker should I use". The client names the
// worker it used last (released: it no longer counts as one of that worker's
// connections) and the workers that just failed it (excluded); a client that
// is done releases its worker with release_worker.
#pragma once

#include <string>
#include <vector>

#include <rpcnet/typed/service_definition.hpp>

namespace rpcnet_cli {

struct WorkerRequest {
  /// Node id of the worker this client used until now, "" for none.
  std::string released;
  /// Node ids of workers that failed this client a moment ago.
  std::vector<std::string> excluded;
};

struct WorkerAssignment {
  std::string id;
  std::string address;
  std::string label;
};

/// A client that is done with a worker.
struct WorkerRelease {
  std::string id;
};

struct Released {
  bool known;
};

struct DirectorError : rpcnet::variants {
  struct NoWorkers {};
};

struct Director : rpcnet::service {
  rpcnet::result<WorkerAssignment, DirectorError> get_worker(WorkerRequest request);
  rpcnet::result<Released, DirectorError> release_worker(WorkerRelease request);
};

} // namespace rpcnet_cli
