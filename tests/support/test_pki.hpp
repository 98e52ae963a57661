// A PKI made at test time with certtool (Debian gnutls-bin): a CA of the
// test's own and the server and client certificates it signs, as files in
// a temp_dir, for tests that rotate or break certificates (the development
// certificates of certs/ must stay as they are).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

namespace rpcnet::test {

inline void run_certtool(const std::string& args) {
  auto cmd = "certtool " + args + " >/dev/null 2>&1";
  INFO("command: " << cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// A certificate and its key, as files.
struct key_pair {
  std::string cert;
  std::string key;
};

/// A CA made for the test, and the certificates it signs, all in `dir`.
class test_pki {
public:
  explicit test_pki(const temp_dir& dir) : dir_(dir), ca(dir.file("ca.pem")) {
    auto ca_key = dir.file("ca_key.pem");
    generate_key(ca_key);
    auto tmpl = dir.write("ca.tmpl", "cn = \"reload test CA\"\nserial = 1\n"
                                     "expiration_days = 2\nca\ncert_signing_key\n");
    run_certtool("--generate-self-signed --load-privkey " + ca_key + " --template " + tmpl
                 + " --outfile " + ca);
  }

  /// A server certificate for `dns_name` (and no other name or address).
  key_pair server(const std::string& name, const std::string& dns_name, int serial) {
    return issue(name, "cn = \"" + dns_name + "\"\nserial = " + std::to_string(serial)
                         + "\nexpiration_days = 2\ndns_name = \"" + dns_name
                         + "\"\ntls_www_server\nsigning_key\nencryption_key\n");
  }

  /// A server certificate for localhost whose validity ended in 2021.
  key_pair expired_server(const std::string& name, int serial) {
    return issue(name, "cn = \"localhost\"\nserial = " + std::to_string(serial)
                         + "\nactivation_date = \"2020-01-01 00:00:00\"\n"
                           "expiration_date = \"2021-01-01 00:00:00\"\n"
                           "dns_name = \"localhost\"\ntls_www_server\nsigning_key\n"
                           "encryption_key\n");
  }

  /// A client certificate whose subject is CN=`cn`.
  key_pair client(const std::string& name, const std::string& cn, int serial) {
    return issue(name, "cn = \"" + cn + "\"\nserial = " + std::to_string(serial)
                         + "\nexpiration_days = 2\ntls_www_client\nsigning_key\n");
  }

private:
  static void generate_key(const std::string& path) {
    run_certtool("--generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile " + path);
  }

  key_pair issue(const std::string& name, const std::string& tmpl_text) {
    key_pair out{dir_.file(name + "_cert.pem"), dir_.file(name + "_key.pem")};
    generate_key(out.key);
    auto tmpl = dir_.write(name + ".tmpl", tmpl_text);
    run_certtool("--generate-certificate --load-privkey " + out.key + " --load-ca-certificate "
                 + ca + " --load-ca-privkey " + dir_.file("ca_key.pem") + " --template " + tmpl
                 + " --outfile " + out.cert);
    return out;
  }

  const temp_dir& dir_;

public:
  /// The CA's certificate, what clients and servers trust.
  std::string ca;
};

/// Overwrites the files at `live` with those of `from`, as an operator
/// rotating a certificate does.
inline void install(const key_pair& from, const key_pair& live) {
  namespace fs = std::filesystem;
  fs::copy_file(from.cert, live.cert, fs::copy_options::overwrite_existing);
  fs::copy_file(from.key, live.key, fs::copy_options::overwrite_existing);
}

} // namespace rpcnet::test
