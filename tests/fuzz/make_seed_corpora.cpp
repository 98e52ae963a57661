// Writes the fuzzers' seed corpora (tests/fuzz/corpus/<fuzzer>/) from real
// encodings: frames, calls, streams, gossip and sealed datagrams made by
// the library's own encoders, the repository's service definitions and
// configuration files, and a configuration with every key of the fuzz
// schema written by toml++. Seeds are what a fuzzer's mutations start
// from, so they cover each kind of input a decoder accepts and a few it
// refuses. Run after a change to a wire format, then commit the output:
//
//   build/tests/fuzz/rpcnet-make-seed-corpora tests/fuzz/corpus
//
// Each corpus folder is emptied first. Sealed seeds differ from run to run
// (the nonces are random); everything else is the same every time.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/frame_codec.hpp>

#include "call_protocol.hpp"
#include "fuzz_cluster_keys.hpp"
#include "fuzz_config_schema.hpp"
#include "gossip_codec.hpp"
#include "stream_input.hpp"

namespace fs = std::filesystem;
namespace gossip = rpcnet::gossip;
namespace wire = rpcnet::wire;
using rpcnet::byte_buffer;
using rpcnet::call_metadata;
using rpcnet::fuzz::stream_input;

namespace {

/// One corpus folder, emptied when opened.
class corpus {
public:
  corpus(const fs::path& root, const std::string& name) : dir_(root / name) {
    fs::create_directories(dir_);
    for (const auto& entry : fs::directory_iterator{dir_})
      if (entry.is_regular_file())
        fs::remove(entry.path());
  }

  void add(const std::string& name, std::string_view bytes) {
    std::ofstream out{dir_ / name, std::ios::binary};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
      throw std::runtime_error("cannot write " + (dir_ / name).string());
    ++count_;
  }

  void add(const std::string& name, const byte_buffer& bytes) {
    add(name, rpcnet::as_string_view(bytes));
  }

  ~corpus() {
    std::printf("%s: %zu seeds\n", dir_.c_str(), count_);
  }

private:
  fs::path dir_;
  size_t count_ = 0;
};

std::string text_of(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

byte_buffer bytes_of(size_t n, uint8_t seed) {
  byte_buffer out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<uint8_t>(seed + 13 * i);
  return out;
}

// -- the call layer -------------------------------------------------------------

call_metadata request_metadata() {
  call_metadata md;
  md.add("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl");
  md.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  md.add("tenant", "acme");
  md.add("trace-bin", rpcnet::as_string_view(bytes_of(16, 0xf0)));
  return md;
}

wire::call_header call(wire::call_kind kind, std::string method,
                       std::optional<uint32_t> deadline_ms = std::nullopt) {
  wire::call_header hdr;
  hdr.kind = kind;
  hdr.request_id = 0x0102030405060708u;
  hdr.deadline_ms = deadline_ms;
  hdr.method = std::move(method);
  return hdr;
}

wire::status error_status(rpcnet::error code, std::string message, byte_buffer details = {}) {
  auto st = wire::status_from_error(rpcnet::make_error(code, std::move(message), std::move(details)),
                                    42);
  st.trailers.add("retry-after", "250");
  return st;
}

wire::status ok_status() {
  wire::status st{0, 42};
  st.trailers.add("server-timing", "handler;dur=1.5");
  return st;
}

void call_header_seeds(const fs::path& root) {
  corpus c{root, "call_header"};
  c.add("call_unary", wire::encode_call(call(wire::call_kind::unary, "Greeting/greet")));
  c.add("call_deadline_passed",
        wire::encode_call(call(wire::call_kind::unary, "Compute/add", 0)));
  auto streaming = call(wire::call_kind::bidi_streaming, "Kitchen/mirror", 30000);
  streaming.wait_ms = 5000;
  streaming.metadata = request_metadata();
  c.add("call_bidi_metadata", wire::encode_call(streaming));
  c.add("call_server_streaming",
        wire::encode_call(call(wire::call_kind::server_streaming, "Kitchen/download", 1000)));
  c.add("call_client_streaming",
        wire::encode_call(call(wire::call_kind::client_streaming, "Kitchen/upload")));
  c.add("call_longest_method",
        wire::encode_call(call(wire::call_kind::unary, std::string(wire::max_method_size, 'm'))));
  c.add("data_empty", wire::encode_data({}));
  c.add("data_message", wire::encode_data(bytes_of(64, 1)));
  c.add("status_ok", wire::encode_status(wire::status{0, 7}));
  c.add("status_ok_trailers", wire::encode_status(ok_status()));
  c.add("status_timeout", wire::encode_status(error_status(rpcnet::error::timeout, "deadline")));
  c.add("status_remote_details",
        wire::encode_status(error_status(rpcnet::error::remote, "rejected", bytes_of(24, 9))));
  c.add("status_unauthenticated",
        wire::encode_status(error_status(rpcnet::error::unauthenticated, "no token")));
}

// -- streams of frames ---------------------------------------------------------

/// A reply: DATA frames of `messages`, the STATUS, the end frame.
byte_buffer reply_stream(size_t messages, const wire::status& st) {
  byte_buffer out;
  for (size_t i = 0; i < messages; ++i)
    wire::append_data(out, bytes_of(8 + 5 * i, static_cast<uint8_t>(i)));
  wire::append_status(out, st);
  rpcnet::frame_encoder::append_end(out);
  return out;
}

/// A call's request side: the CALL, DATA frames, the end frame.
byte_buffer request_stream(size_t messages) {
  byte_buffer out;
  auto hdr = call(wire::call_kind::client_streaming, "Kitchen/upload", 2000);
  hdr.metadata = request_metadata();
  wire::append_call(out, hdr);
  for (size_t i = 0; i < messages; ++i)
    wire::append_data(out, bytes_of(16, static_cast<uint8_t>(i)));
  rpcnet::frame_encoder::append_end(out);
  return out;
}

/// `stream` without its first frame (what follows a CALL).
byte_buffer after_first_frame(const byte_buffer& stream) {
  auto len = uint32_t{stream[0]} | (uint32_t{stream[1]} << 8) | (uint32_t{stream[2]} << 16)
             | (uint32_t{stream[3]} << 24);
  return byte_buffer(stream.begin() + 4 + len, stream.end());
}

void frame_codec_seeds(const fs::path& root) {
  corpus c{root, "frame_codec"};
  // Options bit 7: a 1 MiB limit; else the limit is the byte itself.
  constexpr uint8_t large = 0x80;
  byte_buffer end;
  rpcnet::frame_encoder::append_end(end);
  c.add("end_only", stream_input::make(large, 0, end));
  c.add("request_whole", stream_input::make(large, 0, request_stream(2)));
  c.add("request_bytewise", stream_input::make(large, 1, request_stream(1)));
  c.add("reply_chunks_of_7", stream_input::make(large, 7, reply_stream(3, ok_status())));
  byte_buffer exact;
  rpcnet::frame_encoder::append(exact, bytes_of(16, 3));
  rpcnet::frame_encoder::append_end(exact);
  c.add("frame_at_limit", stream_input::make(16, 3, exact));
  c.add("frame_over_limit", stream_input::make(15, 0, exact));
  auto after_end = end;
  wire::append_data(after_end, bytes_of(4, 0));
  c.add("bytes_after_end", stream_input::make(large, 0, after_end));
  auto cut = request_stream(1);
  cut.resize(cut.size() - 9);
  c.add("cut_inside_frame", stream_input::make(large, 5, cut));
}

void stream_inbound_seeds(const fs::path& root) {
  corpus c{root, "stream_inbound"};
  // Options bit 0: the stream is a reply.
  constexpr uint8_t request = 0;
  constexpr uint8_t reply = 1;
  c.add("request_messages", stream_input::make(request, 0, after_first_frame(request_stream(3))));
  c.add("request_no_messages", stream_input::make(request, 2, after_first_frame(request_stream(0))));
  c.add("reply_unary_ok", stream_input::make(reply, 0, reply_stream(1, ok_status())));
  c.add("reply_streamed_ok", stream_input::make(reply, 3, reply_stream(4, wire::status{0, 9})));
  c.add("reply_error_details",
        stream_input::make(reply, 11, reply_stream(0, error_status(rpcnet::error::remote,
                                                                   "rejected", bytes_of(8, 2)))));
  c.add("reply_cancelled",
        stream_input::make(reply, 0, reply_stream(2, error_status(rpcnet::error::cancelled, ""))));
  // Refused: a CALL among a request's messages, a reply without STATUS.
  c.add("request_with_call", stream_input::make(request, 0, request_stream(1)));
  c.add("reply_without_status", stream_input::make(reply, 1, after_first_frame(request_stream(2))));
}

// -- gossip ----------------------------------------------------------------------

rpcnet::node_id id_of(uint64_t n) {
  return {n * 0x0101010101010101ULL, ~n};
}

std::vector<rpcnet::member> members(size_t n) {
  std::vector<rpcnet::member> out;
  for (size_t i = 0; i < n; ++i) {
    rpcnet::member m;
    m.id = id_of(i + 1);
    m.address = "10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + ":7946";
    m.incarnation = i;
    m.state = static_cast<rpcnet::member_state>(i % 4);
    if (i % 3 == 0)
      m.tags = {{"role", "worker"}, {"zone", "eu-west-1"}};
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<std::pair<std::string, byte_buffer>> gossip_datagrams() {
  auto sender = id_of(1000);
  std::vector<std::pair<std::string, gossip::datagram>> dgs;
  auto add = [&](std::string name, std::vector<gossip::message> msgs) {
    dgs.emplace_back(std::move(name), gossip::datagram{sender, std::move(msgs)});
  };
  add("ping", {gossip::ping{1, id_of(2)}});
  add("ping_piggyback",
      {gossip::ping{2, id_of(3)},
       gossip::alive{id_of(4), 3, "10.0.0.4:7946", {{"role", "director"}, {"label", "d-1"}}},
       gossip::suspect{id_of(5), 1, sender}});
  add("ping_req", {gossip::ping_req{0xffffffffu, id_of(6)}});
  add("ack_nack", {gossip::ack{3}, gossip::nack{4}});
  add("alive_ipv6", {gossip::alive{id_of(7), 0, "[fe80::7]:7946", {}}});
  add("dead_leave", {gossip::dead{id_of(8), 5, id_of(9)},
                     gossip::leave{id_of(10), gossip::max_incarnation}});
  gossip::push_pull empty;
  empty.reply_requested = true;
  add("push_pull_empty", {empty});
  // A full state larger than a datagram, cut into parts as a node sends it.
  auto parts = gossip::split_state(members(40), rpcnet::node_id::min(), rpcnet::node_id::max(),
                                   false);
  for (size_t i = 0; i < parts.size() && i < 3; ++i)
    add("push_pull_part_" + std::to_string(i), {parts[i]});
  std::vector<std::pair<std::string, byte_buffer>> out;
  for (const auto& [name, dg] : dgs) {
    auto bytes = gossip::encode(dg);
    if (!bytes)
      throw std::runtime_error(name + ": " + rpcnet::describe(bytes.error()));
    out.emplace_back(name, std::move(*bytes));
  }
  return out;
}

void gossip_seeds(const fs::path& root) {
  corpus gossip_corpus{root, "gossip_codec"};
  corpus sealed_corpus{root, "sealed_datagram"};
  auto datagrams = gossip_datagrams();
  size_t primary = 0;
  auto seal = [&](const byte_buffer& plain) {
    // Every key of the ring seals some, so every key's opening is covered.
    auto sealed = rpcnet::fuzz::cluster_ring(primary++ % 3).seal(plain);
    if (!sealed)
      throw std::runtime_error(rpcnet::describe(sealed.error()));
    return *sealed;
  };
  for (const auto& [name, bytes] : datagrams) {
    gossip_corpus.add(name, bytes);
    sealed_corpus.add(name, seal(bytes));
  }
  sealed_corpus.add("empty_plaintext", seal({}));
}

// -- text formats ------------------------------------------------------------------

void parser_seeds(const fs::path& root, const fs::path& source) {
  corpus c{root, "rpc_parser"};
  // No build folder and nothing generated: the definitions written by hand.
  for (const char* dir : {"apps", "tests/codegen", "tests/packaging"})
    for (const auto& entry : fs::recursive_directory_iterator{source / dir}) {
      auto name = entry.path().filename().string();
      if (entry.is_regular_file() && name.ends_with(".rpc.hpp"))
        c.add(name.substr(0, name.size() - 4), text_of(entry.path()));
    }
}

/// A value of the kind `key` takes, under its name.
void place_value(toml::table& table, const rpcnet::cli::config_key& key) {
  using rpcnet::cli::config_kind;
  switch (key.kind) {
    case config_kind::text:
      table.insert(key.name, "value-of-" + key.name);
      break;
    case config_kind::integer:
      table.insert(key.name, 1500);
      break;
    case config_kind::number:
      table.insert(key.name, 8.25);
      break;
    case config_kind::boolean:
      table.insert(key.name, true);
      break;
    case config_kind::text_list:
      table.insert(key.name, toml::array{"10.0.0.2:61000", "10.0.0.3:61000"});
      break;
  }
}

void config_seeds(const fs::path& root, const fs::path& source) {
  corpus c{root, "config_file"};
  for (const auto& entry : fs::directory_iterator{source / "packaging/config"})
    if (entry.path().extension() == ".toml")
      c.add(entry.path().filename().string(), text_of(entry.path()));
  const auto& schema = rpcnet::fuzz::config_schema();
  toml::table every;
  for (const auto& key : schema.common)
    place_value(every, key);
  for (const auto& [section, keys] : schema.sections) {
    toml::table table;
    for (const auto& key : keys)
      place_value(table, key);
    every.insert(section, std::move(table));
  }
  std::ostringstream out;
  out << toml::toml_formatter{every};
  c.add("every_key.toml", out.str() + "\n");
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS-ROOT (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  fs::path root{argv[1]};
  fs::path source{RPCNET_SOURCE_DIR};
  try {
    frame_codec_seeds(root);
    call_header_seeds(root);
    stream_inbound_seeds(root);
    gossip_seeds(root);
    parser_seeds(root, source);
    config_seeds(root, source);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
