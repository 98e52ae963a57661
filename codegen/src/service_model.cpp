#include <rpcnet/codegen/service_model.hpp>

namespace rpcnet::codegen {

const std::string& name_of(const type_def& def) {
  return std::visit([](const auto& x) -> const std::string& { return x.name; }, def);
}

bool streams_requests(method_kind kind) {
  return kind == method_kind::client_streaming || kind == method_kind::bidirectional;
}

bool streams_responses(method_kind kind) {
  return kind == method_kind::server_streaming || kind == method_kind::bidirectional;
}

bool packs_parameters(const method_def& m) {
  return m.params.size() != 1;
}

} // namespace rpcnet::codegen
