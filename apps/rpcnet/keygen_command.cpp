// `rpcnet keygen [--out PATH]`: a new random cluster key for
// --cluster-key-file or RPCNET_CLUSTER_KEY, in standard base64, written to a
// new file readable by its owner alone or printed on stdout (like `serf
// keygen`).
#include <iostream>

#include <rpcnet/transport/aead_keyring.hpp>
#include <rpcnet/transport/error.hpp>

#include "base64.hpp"
#include "cluster_key_file.hpp"
#include "commands.hpp"
#include "log.hpp"

namespace rpcnet::cli {

int run_keygen(const keygen_settings& settings) {
  auto key = generate_cluster_key();
  if (!key)
    return fail(message_of(key.error()));
  if (!settings.out) {
    std::cout << encode_base64(*key) << std::endl;
    return 0;
  }
  if (auto err = write_cluster_key_file(*settings.out, *key))
    return fail(message_of(err));
  std::cout << "wrote a " << key->size() * 8 << "-bit cluster key to " << *settings.out
            << " (mode 0600)" << std::endl;
  return 0;
}

} // namespace rpcnet::cli
