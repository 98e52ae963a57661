// Tests where a node's cluster key comes from (apps/rpcnet/cluster_key_*):
// key files as rpcnet keygen writes them and every way one can be unusable,
// RPCNET_CLUSTER_KEY, which of several sources wins, what a director and a
// worker do with none, and the key check a refused worker asks its director.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <map>

#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "fake_environment.hpp"
#include "base64.hpp"
#include "cluster_key_check.hpp"
#include "cluster_key_file.hpp"
#include "cluster_key_source.hpp"
#include "join_token.hpp"
#include "temp_dir.hpp"

using namespace rpcnet;
using namespace rpcnet::cli;
using rpcnet::test::temp_dir;

using rpcnet::test::fake_env;

namespace {

std::vector<uint8_t> key_of(uint8_t fill, size_t size = 32) {
  return std::vector<uint8_t>(size, fill);
}

/// The flags --join `join`, --cluster-key-file `file` and --insecure-gossip,
/// each when given.
key_flags flags(std::optional<std::string> join, std::optional<std::string> file = {},
                bool insecure = false) {
  key_flags f;
  f.join = std::move(join);
  f.key_file = std::move(file);
  f.insecure = insecure;
  return f;
}

gossip_key key_from(caf::expected<gossip_key> key) {
  REQUIRE(key);
  return std::move(*key);
}

std::string error_of(const caf::expected<gossip_key>& key) {
  REQUIRE_FALSE(key);
  return message_of(key.error());
}

} // namespace

// -- key files ------------------------------------------------------------------

TEST_CASE("keygen's file is mode 0600 and reads back as its key", "[key-file]") {
  temp_dir dir;
  auto path = dir.file("cluster.key");
  auto old_mask = ::umask(0);
  auto written = write_cluster_key_file(path, key_of(7));
  ::umask(old_mask);
  REQUIRE_FALSE(written);
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(read_cluster_key_file(path) == key_of(7));
  // Never overwritten: it may be the only copy of a running cluster's key.
  auto again = write_cluster_key_file(path, key_of(8));
  REQUIRE(again);
  CHECK(message_of(again).find("cluster key file " + path + ": File exists") == 0);
  CHECK(read_cluster_key_file(path) == key_of(7));
  CHECK(write_cluster_key_file(dir.file("no/such/dir/key"), key_of(7)));
}

TEST_CASE("a key file holds base64 with spaces or a newline around it", "[key-file]") {
  temp_dir dir;
  for (size_t size : {16, 24, 32}) {
    auto path = dir.write("key" + std::to_string(size), "  " + encode_base64(key_of(3, size))
                                                              + "\r\n\n");
    CHECK(read_cluster_key_file(path) == key_of(3, size));
  }
}

TEST_CASE("a key file that is missing, garbage or the wrong size is one clear error",
          "[key-file]") {
  temp_dir dir;
  auto missing = dir.file("missing.key");
  auto wrong_size = dir.write("short.key", encode_base64(key_of(1, 20)) + "\n");
  constexpr char binary[] = "\x00\xff\x1b[2J not base64\n";
  auto garbage = dir.write("garbage.key", std::string{binary, sizeof binary - 1});
  auto empty = dir.write("empty.key", "");
  auto large = dir.write("large.key", std::string(4096, 'A'));
  for (const auto& [path, says] : std::vector<std::pair<std::string, std::string>>{
         {missing, "No such file or directory"},
         {wrong_size, "the cluster key must decode to 16, 24 or 32 bytes, not 20"},
         {garbage, "the cluster key is not valid base64"},
         {empty, "the cluster key must decode to 16, 24 or 32 bytes, not 0"},
         {large, "not a key file (one line of base64, as rpcnet keygen writes)"},
         {dir.file(""), "not a key file"}}) {
    INFO(path);
    auto key = read_cluster_key_file(path);
    REQUIRE_FALSE(key);
    auto message = message_of(key.error());
    CHECK(message.rfind("cluster key file " + path + ": ", 0) == 0);
    CHECK(message.find(says) != std::string::npos);
  }
}

// -- which source wins ----------------------------------------------------------

TEST_CASE("each source gives its key and says where it came from", "[key-source]") {
  temp_dir dir;
  auto file = dir.write("cluster.key", encode_base64(key_of(1)) + "\n");
  auto token = format_join_token({*socket_address::parse("[::1]:61000"), key_of(2)});
  auto no_env = fake_env({});
  auto from_token = resolve_gossip_key(flags(token), no_env, without_key::refuse);
  REQUIRE(from_token);
  CHECK(from_token->origin == key_origin::join_token);
  CHECK(from_token->bytes == key_of(2));
  CHECK(from_token->seeds == std::vector<socket_address>{*socket_address::parse("[::1]:61000")});
  auto from_file = resolve_gossip_key(flags({}, file), no_env, without_key::refuse);
  REQUIRE(from_file);
  CHECK(from_file->origin == key_origin::key_file);
  CHECK(from_file->bytes == key_of(1));
  CHECK(from_file->seeds.empty());
  auto env = fake_env({{"RPCNET_CLUSTER_KEY", encode_base64(key_of(3, 16))}});
  auto from_env = resolve_gossip_key(flags({}), env, without_key::refuse);
  REQUIRE(from_env);
  CHECK(from_env->origin == key_origin::environment);
  CHECK(from_env->bytes == key_of(3, 16));
  auto insecure = resolve_gossip_key(flags({}, {}, true), no_env, without_key::refuse);
  REQUIRE(insecure);
  CHECK(insecure->origin == key_origin::insecure);
  CHECK_FALSE(insecure->sealed());
}

TEST_CASE("a flag wins over RPCNET_CLUSTER_KEY", "[key-source]") {
  temp_dir dir;
  auto file = dir.write("cluster.key", encode_base64(key_of(1)));
  auto env = fake_env({{"RPCNET_CLUSTER_KEY", encode_base64(key_of(9))}});
  auto token = format_join_token({*socket_address::parse("127.0.0.1:1"), key_of(2)});
  CHECK(key_from(resolve_gossip_key(flags({}, file), env, without_key::refuse)).bytes
        == key_of(1));
  CHECK(key_from(resolve_gossip_key(flags(token), env, without_key::refuse)).bytes
        == key_of(2));
  CHECK_FALSE(
    key_from(resolve_gossip_key(flags({}, {}, true), env, without_key::refuse)).sealed());
  // Even a broken variable is not read when a flag says where the key is.
  auto broken = fake_env({{"RPCNET_CLUSTER_KEY", "not base64!"}});
  CHECK(resolve_gossip_key(flags({}, file), broken, without_key::refuse));
}

TEST_CASE("two key flags at once are an error naming both", "[key-source]") {
  auto token = format_join_token({*socket_address::parse("127.0.0.1:1"), key_of(2)});
  auto env = fake_env({});
  CHECK(error_of(resolve_gossip_key(flags(token, "k"), env, without_key::refuse))
        == "--join and --cluster-key-file exclude each other: give one");
  CHECK(error_of(resolve_gossip_key(flags({}, "k", true), env,
                                    without_key::generate))
        == "--cluster-key-file and --insecure-gossip exclude each other: give one");
  CHECK(error_of(resolve_gossip_key(flags(token, "k", true), env,
                                    without_key::refuse))
        == "--join and --cluster-key-file and --insecure-gossip exclude each other: give one");
}

TEST_CASE("a bad RPCNET_CLUSTER_KEY is an error that does not repeat it", "[key-source]") {
  auto short_key = encode_base64(key_of(1, 8));
  auto message = error_of(resolve_gossip_key(
    flags({}), fake_env({{"RPCNET_CLUSTER_KEY", short_key}}), without_key::generate));
  CHECK(message == "invalid RPCNET_CLUSTER_KEY: the cluster key must decode to 16, 24 or 32 "
                   "bytes, not 8");
  CHECK(error_of(resolve_gossip_key(flags({}), fake_env({{"RPCNET_CLUSTER_KEY", "%%%"}}),
                                    without_key::generate))
        == "invalid RPCNET_CLUSTER_KEY: the cluster key is not valid base64");
}

TEST_CASE("with no key a director makes a new one and a worker refuses to start",
          "[key-source]") {
  auto env = fake_env({});
  auto first = resolve_gossip_key(flags({}), env, without_key::generate);
  auto second = resolve_gossip_key(flags({}), env, without_key::generate);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->origin == key_origin::generated);
  CHECK(first->bytes.size() == 32);
  CHECK(first->bytes != second->bytes);
  CHECK(first->bytes != key_of(0));
  CHECK(error_of(resolve_gossip_key(flags({}), env, without_key::refuse))
        == "no cluster key: give --join TOKEN (rpcnet director prints it), --cluster-key-file "
           "PATH or RPCNET_CLUSTER_KEY, or --insecure-gossip to gossip unsealed");
}

TEST_CASE("generate_cluster_key makes AES-128, -192 and -256 keys and no other", "[key-source]") {
  for (size_t size : {16, 24, 32}) {
    auto key = generate_cluster_key(size);
    REQUIRE(key);
    CHECK(key->size() == size);
    CHECK(aead_keyring::make(*key));
  }
  CHECK_FALSE(generate_cluster_key(20));
}

// -- the key check ----------------------------------------------------------------

TEST_CASE("a key probe tells the same key from another without sending it", "[key-check]") {
  auto probe = make_key_probe(key_of(1));
  CHECK(probe.sealed.size() > aead_keyring::overhead);
  auto plain = std::string(probe.sealed.begin(), probe.sealed.end());
  CHECK(plain.find(std::string(32, '\x01')) == std::string::npos);
  auto same = answer_key_probe({key_of(1)}, probe);
  CHECK(same.node_sealed);
  CHECK(same.same_key);
  CHECK_FALSE(key_mismatch(true, same));
  // A node in the middle of a rotation holds both keys: either opens.
  CHECK(answer_key_probe({key_of(5), key_of(1)}, probe).same_key);
  auto other = answer_key_probe({key_of(2)}, probe);
  CHECK(other.node_sealed);
  CHECK_FALSE(other.same_key);
  auto why = key_mismatch(true, other);
  REQUIRE(why);
  CHECK(why->find("the cluster key is not the director's") != std::string::npos);
}

TEST_CASE("a key probe tells sealed from unsealed gossip on either side", "[key-check]") {
  auto sealed = make_key_probe(key_of(1));
  auto unsealed = make_key_probe({});
  CHECK(unsealed.sealed.empty());
  auto both_unsealed = answer_key_probe({}, unsealed);
  CHECK_FALSE(both_unsealed.node_sealed);
  CHECK(both_unsealed.same_key);
  CHECK_FALSE(key_mismatch(false, both_unsealed));
  auto node_unsealed = key_mismatch(true, answer_key_probe({}, sealed));
  REQUIRE(node_unsealed);
  CHECK(node_unsealed->find("it gossips unsealed (--insecure-gossip)") == 0);
  auto asker_unsealed = key_mismatch(false, answer_key_probe({key_of(1)}, unsealed));
  REQUIRE(asker_unsealed);
  CHECK(asker_unsealed->find("its gossip is sealed") == 0);
  rpcnet_cli::KeyProbe forged{std::vector<uint8_t>(64, 0x28)};
  CHECK_FALSE(answer_key_probe({key_of(1)}, forged).same_key);
}

// -- key rings (rotation) -------------------------------------------------------

TEST_CASE("a key file of several lines is a ring whose first key seals", "[key-file]") {
  temp_dir dir;
  auto path = dir.write("ring.key", encode_base64(key_of(1)) + "\n\n" + encode_base64(key_of(2))
                                      + "\r\n" + encode_base64(key_of(3, 16)) + "\n");
  auto ring = read_cluster_key_ring(path);
  REQUIRE(ring);
  CHECK(*ring == std::vector<std::vector<uint8_t>>{key_of(1), key_of(2), key_of(3, 16)});
  CHECK(read_cluster_key_file(path) == key_of(1));
  auto source = resolve_gossip_key(flags({}, path), fake_env({}), without_key::refuse);
  REQUIRE(source);
  CHECK(source->bytes == key_of(1));
  CHECK(source->also_open == std::vector<std::vector<uint8_t>>{key_of(2), key_of(3, 16)});
  CHECK(source->file == path);
}

TEST_CASE("a ring with a bad or repeated line is refused naming the key", "[key-file]") {
  temp_dir dir;
  auto bad = dir.write("bad.key", encode_base64(key_of(1)) + "\nnot base64!\n");
  auto ring = read_cluster_key_ring(bad);
  REQUIRE_FALSE(ring);
  CHECK(message_of(ring.error()).rfind("cluster key file " + bad + ": key 2: ", 0) == 0);
  auto twice = dir.write("twice.key", encode_base64(key_of(1)) + "\n" + encode_base64(key_of(1)));
  auto repeated = read_cluster_key_ring(twice);
  REQUIRE_FALSE(repeated);
  CHECK(message_of(repeated.error()) == "cluster key file " + twice + ": key 2 is listed twice");
  std::string seventeen;
  for (uint8_t i = 1; i <= 17; ++i)
    seventeen += encode_base64(key_of(i, 16)) + "\n";
  auto many = dir.write("many.key", seventeen);
  auto full = read_cluster_key_ring(many);
  REQUIRE_FALSE(full);
  CHECK(message_of(full.error()).find("more than 16 keys") != std::string::npos);
}
