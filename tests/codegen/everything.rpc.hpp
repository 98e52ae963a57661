// A definition with every supported type and all four method kinds, a
// second service sharing its types, and a third whose methods take several
// parameters: generated at build time and called end to end by
// end_to_end_test.cpp, and the input of the golden tests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <rpcnet/typed/service_definition.hpp>

namespace codegen_test::everything {

enum class Color : std::uint8_t { red, green, blue };

enum class Level { low, high };

struct Point {
  double x;
  double y;
};

/* A struct inside others, by value, in an optional and in a map. */
struct Inner {
  std::string label;
  std::vector<Point> points;
};

struct Everything {
  bool flag;
  std::int8_t i8;
  std::int16_t i16;
  std::int32_t i32;
  std::int64_t i64;
  std::uint8_t u8;
  std::uint16_t u16;
  std::uint32_t u32;
  uint64_t u64;
  float f32;
  double f64;
  std::string text;
  std::vector<std::int32_t> numbers;
  std::vector<std::uint8_t> bytes;
  std::optional<std::string> maybe_text;
  std::optional<Inner> maybe_inner;
  std::map<std::string, std::int64_t> counts;
  std::map<Color, Inner> by_color;
  Inner inner;
  Color color;
  Level level;
  std::vector<std::vector<std::string>> grid;
  std::optional<std::vector<Point>> maybe_points;
};

/// The service's own errors; TooLarge and Invalid carry data.
struct EchoError : rpcnet::variants {
  struct Rejected {};
  struct TooLarge {
    std::uint64_t size;
    std::uint64_t limit;
  };
  struct Invalid {
    std::string field;
    std::string reason;
  };
};

struct Chunk {
  std::uint32_t index;
  std::vector<std::uint8_t> data;
};

struct Summary {
  std::uint64_t chunks;
  std::uint64_t bytes;
};

/// Fields named like the generated serialize's and inspect's own names.
struct Awkward {
  bool ar;
  std::int32_t Archive;
  std::string f;
  bool x;
  std::uint8_t Inspector;
};

struct Kitchen : rpcnet::service {
  /// Unary: answers the request, or an EchoError.
  rpcnet::result<Everything, EchoError> echo(Everything request);
  /// Server streaming: `chunks` chunks of `bytes` bytes each.
  rpcnet::stream<Chunk> download(const Summary& request);
  /// Client streaming: counts what was uploaded.
  virtual rpcnet::result<Summary, EchoError> upload(rpcnet::stream<Chunk> chunks) = 0;
  /// Bidirectional: each point mirrored at the origin.
  rpcnet::stream<Point> mirror(rpcnet::stream<Point> points);
};

struct Ping : rpcnet::service {
  rpcnet::result<Point, Color> ping(Point p);
  /// No parameters: the request is an empty message.
  rpcnet::result<Point, Color> origin();
};

/// What process_task was given, and what its handler saw of the call.
struct TaskReceipt {
  std::string task_id;
  std::vector<std::uint8_t> data;
  /// The caller's "tenant" metadata, if it sent one.
  std::optional<std::string> tenant;
  /// The time the call had left when the handler started.
  std::int64_t remaining_ms;
};

/// The Rust RpcNet's process_task(task_id, data): several parameters, one
/// message on the wire each call.
// snippet-begin: several-parameters
struct Tasks : rpcnet::service {
  /// Task "slow" waits until the caller gives up.
  rpcnet::result<TaskReceipt, EchoError> process_task(std::string task_id,
                                                      std::vector<std::uint8_t> data);
  /// `count` copies of `chunk`, numbered from `first`.
  rpcnet::stream<Chunk> repeat(std::uint32_t first, std::uint32_t count, const Chunk& chunk);
};
// snippet-end: several-parameters

} // namespace codegen_test::everything
