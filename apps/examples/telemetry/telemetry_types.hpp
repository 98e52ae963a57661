// The telemetry walkthrough's messages (the Rust RpcNet's telemetry.rs), as
// Boost.Serialization types carried by rpcnet::encode / rpcnet::decode.
#pragma once

#include <cstddef>
#include <string>

#include <boost/serialization/string.hpp>

namespace telemetry {

struct metric_reading {
  std::string sensor;
  double value = 0;

  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar& sensor& value;
  }
};

struct live_update {
  std::string sensor;
  double rolling_avg = 0;

  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar& sensor& rolling_avg;
  }
};

struct chat_message {
  std::string from;
  std::string body;

  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar& from& body;
  }
};

struct ack {
  std::size_t accepted = 0;

  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar& accepted;
  }
};

} // namespace telemetry
