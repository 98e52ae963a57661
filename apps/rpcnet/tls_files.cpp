// Where the certificate files are, and the configurations built from them.
#include "tls_files.hpp"

#include <unistd.h>

#include <rpcnet/transport/error.hpp>

namespace rpcnet::cli {

caf::expected<tls_files> tls_files::find(const std::string& dir) {
  for (const char* name : {"test_cert.pem", "test_key.pem", "ca.pem"}) {
    auto path = dir + "/" + name;
    if (access(path.c_str(), R_OK) != 0)
      return make_error(error::config, "certificate file " + path
                                         + " not found or not readable (--certs / RPCNET_CERTS)");
  }
  return tls_files{dir};
}

rpc_config tls_files::server_config(const std::string& bind_address) const {
  return rpc_config{dir_ + "/test_cert.pem", bind_address}.with_key_path(dir_ + "/test_key.pem");
}

rpc_config tls_files::client_config(std::chrono::milliseconds call_timeout) const {
  return rpc_config{dir_ + "/test_cert.pem", "0.0.0.0:0"}
    .with_ca_path(dir_ + "/ca.pem")
    .with_server_name("localhost")
    .with_call_timeout(call_timeout);
}

} // namespace rpcnet::cli
