#include <rpcnet/actors/interceptors/bearer_token.hpp>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

namespace {

constexpr std::string_view bearer_prefix = "Bearer ";

/// Equal without telling through its timing where the first difference
/// is (the length it may tell).
bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || b.empty())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

} // namespace

bearer_token_check::bearer_token_check(validator accept, std::set<std::string> open_methods)
  : accept_(std::move(accept)), open_methods_(std::move(open_methods)) {
}

std::shared_ptr<bearer_token_check> bearer_token_check::accepting(std::string token) {
  return std::make_shared<bearer_token_check>(
    [expected = std::move(token)](std::string_view got) {
      return equal_in_constant_time(got, expected);
    });
}

caf::error bearer_token_check::before(call_context& ctx, call_shape) {
  if (open_methods_.count(ctx.method()) > 0)
    return {};
  auto header = ctx.metadata().get(authorization_key);
  std::string_view why;
  if (!header)
    why = "the call carries no authorization token";
  else if (!header->starts_with(bearer_prefix))
    why = "the call's authorization is not a bearer token";
  else if (!accept_ || !accept_(header->substr(bearer_prefix.size())))
    why = "the call's bearer token is not accepted";
  else
    return {};
  refused_.fetch_add(1, std::memory_order_relaxed);
  return make_error(error::unauthenticated, std::string{why});
}

uint64_t bearer_token_check::refused() const noexcept {
  return refused_.load(std::memory_order_relaxed);
}

bearer_token_attach::bearer_token_attach(std::string token)
  : value_(std::string{bearer_prefix} + std::move(token)) {
}

caf::error bearer_token_attach::before(outgoing_call& call) {
  if (auto why = metadata_value_problem(authorization_key, value_); !why.empty())
    return make_error(error::config, "bearer token: " + why);
  call.metadata.set(std::string{authorization_key}, value_);
  return {};
}

} // namespace rpcnet
