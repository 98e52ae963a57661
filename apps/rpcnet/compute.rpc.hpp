// The worker's service, the Rust RpcNet's ComputeService: process_task
// answers one task with the label of the worker that did it, and generate
// streams numbered tokens. generate starts after a given token, so a client
// that lost its worker mid-stream resumes on another without a token seen
// twice or missing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rpcnet/typed/service_definition.hpp>

namespace rpcnet_cli {

struct TaskRequest {
  std::uint64_t task_id;
  std::vector<std::uint8_t> data;
};

struct TaskResult {
  std::uint64_t task_id;
  std::vector<std::uint8_t> result;
  std::string worker_label;
};

/// A worker in its simulated failure answers WorkerFailed.
struct ComputeError : rpcnet::variants {
  struct WorkerFailed {
    std::string worker_label;
  };
};

// snippet-begin: compute
/// Tokens start_after + 1 to last, in order.
struct GenerateRequest {
  std::uint64_t start_after;
  std::uint64_t last;
};

struct Token {
  std::uint64_t sequence;
  std::string text;
  std::string worker_label;
};

struct Compute : rpcnet::service {
  rpcnet::result<TaskResult, ComputeError> process_task(TaskRequest request);
  rpcnet::stream<Token> generate(GenerateRequest request);
};
// snippet-end: compute

} // namespace rpcnet_cli
