// How every rpcnet configuration is written (rpc_config, transport_config,
// cluster_config, swim_config and its parts, worker_registry_config,
// cluster_client_config, retry_policy, circuit_breaker::settings): named
// public fields with documented defaults; with_* builders that return a
// changed copy, so settings read as one expression; and validate(), which
// names every bad field in one error::config, so a user fixes them all in
// one go instead of one per run.
//
//   auto cfg = rpc_config{"cert.pem", "0.0.0.0:8443"}.with_key_path("key.pem");
//   if (auto err = cfg.validate()) ...   // "invalid rpc_config: a; b; c"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

/// A copy of `cfg` changed by `change` (a callable taking Config&): the
/// body of every with_* builder.
template <class Config, class Change>
Config copy_with(const Config& cfg, Change change) {
  auto copy = cfg;
  change(copy);
  return copy;
}

/// The problems validate() finds, one per bad field, gathered into one
/// error.
class config_errors {
public:
  /// `config` names the configuration in the message ("rpc_config").
  explicit config_errors(std::string_view config);

  /// Notes `problem` (what is wrong with one field, naming it) unless `ok`.
  void require(bool ok, std::string_view problem);

  /// Notes "<field> <why>" when `parsed`, a parser's verdict on the
  /// field's text, is an error saying why
  /// (require_parsed("bind_address", parse_host_port(bind_address))).
  template <class T>
  void require_parsed(std::string_view field, const caf::expected<T>& parsed) {
    if (!parsed)
      problems_.push_back(std::string{field} + " " + message_of(parsed.error()));
  }

  /// Notes every problem of `nested`, the validate() of the configuration
  /// held in field `field`, each prefixed "field." (nothing when `field` is
  /// empty: settings this configuration hands on under their own names).
  void nest(std::string_view field, const caf::error& nested);

  /// No error when nothing was noted; else error::config whose message is
  /// "invalid <config>: <problem>; <problem>..." and which carries the
  /// problems one by one (problems_of).
  caf::error result() const;

  /// The problems a result() carries, in the order they were noted; empty
  /// for no error and for errors that are not a result().
  static std::vector<std::string> problems_of(const caf::error& err);

private:
  std::string config_;
  std::vector<std::string> problems_;
};

} // namespace rpcnet
